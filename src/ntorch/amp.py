"""torch.amp: autocast regions and GradScaler.

Inside `autocast(device_type, dtype)`, the ops of torch's "lower precision" list (matmul, mm, bmm, addmm, baddbmm,
linear, convolutions) cast their floating tensor arguments to the autocast dtype (bfloat16 by default on the CPU,
float16 on CUDA), and those of its "float32" list (the losses; on CUDA also softmax, log_softmax, layer_norm and
group_norm, which torch's CPU list leaves out) cast 16-bit float arguments to float32, as torch's autocast does;
float64 is never touched. The casts are recorded ops, so gradients flow back in each leaf's dtype. A CUDA region
may take bfloat16 (computed through float32 kernels, see kernels/cuda/bf16.py) or float16.

GradScaler scales the loss, unscales gradients in place, skips optimizer steps whose gradients hold inf/NaN and
grows/backs off the scale exactly as torch's (init 2**16, x2 after 2000 clean steps, x0.5 after an overflow).
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable
from typing import Any

from . import dtypes
from .tensor import Tensor

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]

_DEVICE_TYPES = ("cuda", "cpu")
# the dtypes an autocast region may take
_SUPPORTED = {"cpu": (dtypes.bfloat16, dtypes.float16), "cuda": (dtypes.float16, dtypes.bfloat16)}


class _State(threading.local):
    """Per thread, as torch's: the enabled flag and dtype of each device type's autocast."""

    def __init__(self) -> None:
        self.enabled = {"cuda": False, "cpu": False}
        self.dtype = {"cuda": dtypes.float16, "cpu": dtypes.bfloat16}
        self.active = False  # any device enabled: the one flag the ops read
        self.cache_enabled = True  # torch's cast-cache flag (ntorch keeps no cache: only recorded)
        self.nesting = 0  # autocast regions entered (torch.autocast_increment_nesting)


STATE = _State()


def is_autocast_available(device_type: str) -> bool:
    return device_type in _DEVICE_TYPES


def _check_device(device_type) -> str:
    if device_type is None:
        return "cuda"
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if device_type not in _DEVICE_TYPES:
        raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
    return device_type


def is_autocast_enabled(device_type: str | None = None) -> bool:
    return STATE.enabled[_check_device(device_type)]


def set_autocast_enabled(device_type, enabled: bool | None = None) -> None:
    if isinstance(device_type, bool) and enabled is None:  # the deprecated set_autocast_enabled(enabled)
        device_type, enabled = "cuda", device_type
    STATE.enabled[_check_device(device_type)] = bool(enabled)
    STATE.active = any(STATE.enabled.values())


def get_autocast_dtype(device_type: str):
    return STATE.dtype[_check_device(device_type)]


def set_autocast_dtype(device_type: str, dtype) -> None:
    STATE.dtype[_check_device(device_type)] = dtypes.as_dtype(dtype)


class autocast:
    """Context manager and decorator: ops in the region run in `dtype` (bfloat16 on the CPU, float16 on CUDA by
    default) where torch's autocast would."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled: bool | None = None):
        self.device = _check_device(device_type)
        self.fast_dtype = STATE.dtype[self.device] if dtype is None else dtypes.as_dtype(dtype)
        if enabled and self.device == "cuda":
            from . import cuda

            if not cuda.is_available():
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling autocast.", stacklevel=2)
                enabled = False
            elif self.fast_dtype is dtypes.bfloat16 and not cuda.is_bf16_supported():  # torch's error
                raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch dtype to float16.")
        supported = _SUPPORTED[self.device]
        if enabled and self.fast_dtype not in supported:
            name = self.device.upper()
            warnings.warn(f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
                          f"{name} Autocast only supports dtypes of {', '.join(map(repr, supported))} currently.",
                          stacklevel=2)
            enabled = False
        self._enabled = enabled
        self._cache_enabled = cache_enabled

    def __enter__(self) -> autocast:
        self._prev = (STATE.enabled[self.device], STATE.dtype[self.device], STATE.cache_enabled)
        STATE.enabled[self.device] = self._enabled
        if self._cache_enabled is not None:
            STATE.cache_enabled = bool(self._cache_enabled)
        STATE.nesting += 1
        if self._enabled:
            STATE.dtype[self.device] = self.fast_dtype
        STATE.active = any(STATE.enabled.values())
        return self

    def __exit__(self, *exc) -> None:
        STATE.enabled[self.device], STATE.dtype[self.device], STATE.cache_enabled = self._prev
        STATE.nesting -= 1
        STATE.active = any(STATE.enabled.values())

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled):
                return func(*args, **kwargs)

        return wrapper


# -- the op policies (what ops call when STATE.active) -----------------------------------------------------------
def _region(args) -> tuple[str, dtypes.dtype] | None:
    """(device type, autocast dtype) of the region that applies to an op on these tensors (by the first tensor's
    device), or None."""
    for a in args:
        if isinstance(a, Tensor):
            kind = a.device.type
            return (kind, STATE.dtype[kind]) if STATE.enabled.get(kind) else None
    return None


def _cast(target: dtypes.dtype, args: tuple) -> tuple:
    """torch's cached_cast: floating tensors other than float64 (and other than `target`) become `target`."""
    return tuple(a.to(target) if isinstance(a, Tensor) and a.dtype.is_floating_point and a.dtype is not target
                 and a.dtype is not dtypes.float64 else a for a in args)


def lower_precision(*args) -> tuple:
    """The arguments of a matmul/conv-like op inside autocast: float32 tensors cast to the region's dtype."""
    region = _region(args)
    return args if region is None else _cast(region[1], args)


def float32(*args, cpu: bool = True) -> tuple:
    """The arguments of an op of torch's float32 list inside autocast: 16-bit float tensors cast to float32.
    cpu=False: an op only CUDA's list holds (softmax, log_softmax, layer_norm, group_norm), left alone on the CPU."""
    region = _region(args)
    if region is None or (not cpu and region[0] == "cpu"):
        return args
    return _cast(dtypes.float32, args)


def custom_fwd(fwd: Callable | None = None, *, device_type: str = "cuda", cast_inputs=None) -> Callable:
    """For a custom Function's forward: run it with autocast off and floating inputs cast to cast_inputs, when
    an autocast region is active and cast_inputs is given (torch's rule); also records the region's state."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        ctx = args[0]
        ctx._fwd_used_autocast = STATE.enabled[device_type]
        ctx._dtype = STATE.dtype[device_type]
        if cast_inputs is None or not STATE.enabled[device_type]:
            return fwd(*args, **kwargs)
        target = dtypes.as_dtype(cast_inputs)
        with autocast(device_type, enabled=False):
            cast = _cast(target, args[1:])
            kw = dict(zip(kwargs, _cast(target, tuple(kwargs.values())), strict=True))
            return fwd(ctx, *cast, **kw)

    return decorate_fwd


def custom_bwd(bwd: Callable | None = None, *, device_type: str = "cuda") -> Callable:
    """For a custom Function's backward: run it in the autocast state its forward ran in."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        ctx = args[0]
        with autocast(device_type, ctx._dtype or dtypes.float16, enabled=ctx._fwd_used_autocast):
            return bwd(*args, **kwargs)

    return decorate_bwd


# -- GradScaler --------------------------------------------------------------------------------------------------
_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _fresh_state() -> dict:
    return {"stage": _READY, "found_inf": None}


class GradScaler:
    """Dynamic loss scaling for float16 training (torch.amp.GradScaler)."""

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled:
            from . import cuda

            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                              stacklevel=2)
                self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = float(init_scale)
        self._scale: float | None = None  # set by the first scale()
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._states: dict[int, dict] = {}

    def _state(self, optimizer) -> dict:
        return self._states.setdefault(id(optimizer), _fresh_state())

    def _check_started(self, funcname: str) -> None:
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  This may indicate your script did not "
                                 "use scaler.scale(loss or outputs) earlier in the iteration.")

    def scale(self, outputs):
        """outputs (a tensor or nested iterables of tensors) multiplied by the current scale."""
        if not self._enabled:
            return outputs
        if self._scale is None:
            self._scale = self._init_scale
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, list | tuple):
            scaled = [self.scale(o) for o in outputs]
            return type(outputs)(scaled)
        if hasattr(outputs, "__iter__"):
            return map(self.scale, outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide the optimizer's gradients by the scale, in place, and note whether any is inf/NaN."""
        if not self._enabled:
            return
        self._check_started("unscale_")
        state = self._state(optimizer)
        if state["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = float(dtypes.float32.np.type(1.0 / self._scale))  # the reciprocal in double, then float
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.dtype is dtypes.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                from .ops.reduction import FUNCTIONS as _R

                if not found and not bool(_R["all"](g.isfinite())):
                    found = True
                g.mul_(inv_scale)
        state["found_inf"] = found
        state["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step() unless the unscaled gradients hold inf/NaN (then the step is skipped: None)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_started("step")
        state = self._state(optimizer)
        if state["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] == _READY:
            self.unscale_(optimizer)
        retval = None if state["found_inf"] else optimizer.step(*args, **kwargs)
        state["stage"] = _STEPPED
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Grow the scale after growth_interval clean steps, back it off after an overflow, or set new_scale."""
        if not self._enabled:
            return
        self._check_started("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale = new_scale
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or torch.FloatTensor "
                          "with requires_grad=False.")
                if not isinstance(new_scale, Tensor) or new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(reason)
                self._scale = float(new_scale.item())
        else:
            found = [s["found_inf"] for s in self._states.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(found):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
            self._scale = float(dtypes.float32.np.type(self._scale))  # torch keeps the scale in a float32 tensor
        self._states = {}

    def get_scale(self) -> float:
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = new_interval

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
