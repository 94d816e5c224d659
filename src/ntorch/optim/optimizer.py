"""torch.optim.Optimizer: parameter groups, per-parameter state, state_dict in torch's layout.

The algorithms (sgd.py, adam.py, ...) follow torch's single-tensor ("foreach=False") update rules op for op, with
in-place ntorch ops under no_grad, so they run on CUDA tensors too and keep each parameter tensor (and its
storage) the same object. SGD, Adam/AdamW, RMSprop and Adagrad instead update each parameter and its state in one
fused kernel (ops/optim_kernels.py; one launch on CUDA) whenever `fused_group` and the per-parameter `fusable`
allow, whatever torch's `foreach` / `fused` flags say (they pick between torch's implementations of the same rule;
here they are accepted and stored only); otherwise they run op by op.
"""

from __future__ import annotations

import functools
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import no_grad
from ..ops.complex import view_as_real
from ..ops.creation import tensor as _tensor
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle


class _RequiredParameter:
    """Singleton for a default that a param group must set (SGD's lr in old torch)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj) -> str:
    if isinstance(obj, Tensor):
        return "ntorch.Tensor"
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def _use_grad(step):
    """Run an optimizer's step with autograd off (torch's _use_grad_for_differentiable, never differentiable)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        with no_grad():
            return step(self, *args, **kwargs)

    return wrapper


def _closure_loss(closure: Callable | None):
    """Evaluate the closure with grad enabled, as torch's step does (`with torch.enable_grad(): loss = closure()`)."""
    if closure is None:
        return None
    from ..autograd import enable_grad

    with enable_grad():
        return closure()


def weight_decay_(p: Tensor, grad: Tensor, lr: float, weight_decay: float, decoupled: bool) -> Tensor:
    """The Adam family's weight decay: decoupled (AdamW: p shrinks in place) or L2 (added to the gradient);
    returns the gradient to use."""
    if weight_decay == 0:
        return grad
    if decoupled:
        p.mul_(1 - lr * weight_decay)
        return grad
    return grad.add(p, alpha=weight_decay)


def real_views(*tensors: Tensor | None) -> tuple:
    """torch's _view_as_real: a complex parameter, its gradient and its state are stepped as view_as_real of
    themselves, so every rule updates the (real, imag) pairs as independent real parameters (Adam's second moment
    is per component, not |g|^2). Real tensors and None pass through; the first tensor (the parameter, whose dtype
    its gradient and state share) decides, which keeps a real parameter's step free of the per-tensor checks."""
    if not tensors[0].is_complex():
        return tensors
    return tuple(view_as_real(t) if t is not None and t.is_complex() else t for t in tensors)


def refuse_complex(group: dict, name: str) -> None:
    """torch's check at the start of a group's step in the optimizers that have no complex rule (Adafactor, Muon)."""
    for p in group["params"]:
        if p.grad is not None and p.is_complex():
            raise RuntimeError(f"{name} does not support complex parameters")


FUSED = True
"""Module switch for the fused steps (tests and bench/optim_bench.py turn it off to run the op-by-op path)."""

_FUSED_DEVICES = ["mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"]  # torch's list, as it prints it
_HYPER_TENSOR_KEYS = ("lr", "weight_decay", "momentum", "dampening", "betas", "eps", "alpha", "lr_decay")


def fused_group(group: dict) -> bool:
    """Whether a param group may take the fused path: not differentiable, not capturable, and every
    hyperparameter a Python number (a tensor lr or beta takes the op-by-op path). A group made with fused=True
    refuses complex parameters, as torch's (its fused kernels are real only)."""
    if group.get("fused"):
        for p in group["params"]:
            if p.grad is not None and p.is_complex():
                raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported "
                                   f"devices: {_FUSED_DEVICES} but {p.dtype} and {p.device.type}")
    if not FUSED or group.get("differentiable") or group.get("capturable"):
        return False
    for key in _HYPER_TENSOR_KEYS:
        value = group.get(key)
        if isinstance(value, Tensor) or (isinstance(value, tuple) and any(isinstance(v, Tensor) for v in value)):
            return False
    return True


def check_fused_flags(fused: bool | None, foreach: bool | None, differentiable: bool) -> None:
    """torch's constructor checks of `fused=True` (SGD, Adam, AdamW, Adagrad), after the param groups are made."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def step_tensor(value: float = 0.0) -> Tensor:
    """torch's `state['step']`: a 0-d CPU tensor of the default float dtype (float32)."""
    return _tensor(value, dtype=dtypes.get_default_dtype())


def next_step(step_t: Tensor) -> float:
    """`step_t += 1`, returning the new count as a Python float (torch's _get_value)."""
    arr = step_t._data
    if type(arr) is np.ndarray and arr.size == 1:  # a CPU step, without an op: the sum, exact in Python's float,
        arr.fill(arr.item() + 1)  # is rounded once to the counter's dtype, as add_ rounds it
        step_t._bump_version()
        return arr.item()
    step_t.add_(1)
    return step_t.item()


def check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def check_common(lr: float, eps: float | None = None, weight_decay: float | None = None) -> None:
    """torch's checks shared by the algorithms, in torch's order."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def params_with_grad(group: dict) -> list[Tensor]:
    """The group's parameters that have a gradient (the others are skipped)."""
    out = []
    for p in group["params"]:
        if p.grad is not None:
            if getattr(p.grad, "is_sparse", False):
                raise RuntimeError("sparse gradients are not supported")
            out.append(p)
    return out


_GLOBAL_STEP_PRE_HOOKS: dict[int, Callable] = {}
_GLOBAL_STEP_POST_HOOKS: dict[int, Callable] = {}
_HOOK_DICTS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
               "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
               "_optimizer_load_state_dict_post_hooks")


def register_optimizer_step_pre_hook(hook: Callable) -> RemovableHandle:
    """hook(optimizer, args, kwargs) before every optimizer's step; may return (new_args, new_kwargs)."""
    handle = RemovableHandle(_GLOBAL_STEP_PRE_HOOKS)
    _GLOBAL_STEP_PRE_HOOKS[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> RemovableHandle:
    """hook(optimizer, args, kwargs) after every optimizer's step."""
    handle = RemovableHandle(_GLOBAL_STEP_POST_HOOKS)
    _GLOBAL_STEP_POST_HOOKS[handle.id] = hook
    return handle


def _with_step_hooks(step: Callable) -> Callable:
    """An optimizer class's step run between the global and the instance's pre and post hooks (once per call,
    even when a subclass's step calls its parent's)."""

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if getattr(self, "_in_step", False):
            return step(self, *args, **kwargs)
        for hook in chain(list(_GLOBAL_STEP_PRE_HOOKS.values()), list(self._optimizer_step_pre_hooks.values())):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
        self._in_step = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._in_step = False
        for hook in chain(list(self._optimizer_step_post_hooks.values()), list(_GLOBAL_STEP_POST_HOOKS.values())):
            hook(self, args, kwargs)
        return out

    wrapper._hooked = True
    return wrapper


class Optimizer:
    """Base class of all optimizers (torch.optim.Optimizer)."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _with_step_hooks(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        for name in _HOOK_DICTS:
            setattr(self, name, OrderedDict())
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name in _HOOK_DICTS:  # hooks are not pickled (as torch): an unpickled optimizer starts without them
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())

    def _register(self, store: str, hook: Callable, prepend: bool) -> RemovableHandle:
        hooks = getattr(self, store)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) before this optimizer's step; may return (new_args, new_kwargs)."""
        return self._register("_optimizer_step_pre_hooks", hook, False)

    def register_step_post_hook(self, hook: Callable) -> RemovableHandle:
        """hook(optimizer, args, kwargs) after this optimizer's step."""
        return self._register("_optimizer_step_post_hooks", hook, False)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) before state_dict() builds the dict."""
        return self._register("_optimizer_state_dict_pre_hooks", hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) after state_dict(); may return a replacement dict."""
        return self._register("_optimizer_state_dict_post_hooks", hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer, state_dict) before load_state_dict(); may return the dict to load instead."""
        return self._register("_optimizer_load_state_dict_pre_hooks", hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> RemovableHandle:
        """hook(optimizer) after load_state_dict()."""
        return self._register("_optimizer_load_state_dict_post_hooks", hook, prepend)

    def __repr__(self) -> str:
        text = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options; unset options take the optimizer's defaults."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(param)}")
            if not self.defaults.get("differentiable", None) and not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in param_group["params"]]
        if len(ids) != len(set(ids)):
            import warnings

            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: to None (the default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def step(self, closure: Callable | None = None):
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """torch's layout: {'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}; the state
        tensors are the optimizer's own (not copies), as in torch."""
        for hook in list(self._optimizer_state_dict_pre_hooks.values()):
            hook(self)
        mapping: dict[int, int] = {}
        start = 0

        def pack(group: dict) -> dict:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack(g) for g in self.param_groups]
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": param_groups}
        for hook in list(self._optimizer_state_dict_post_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state_dict made by state_dict(); state tensors move to their parameter's device (and, for a
        floating-point parameter, to its dtype), except 'step', which stays as saved (torch's rule)."""
        state_dict = dict(state_dict)
        for hook in list(self._optimizer_load_state_dict_pre_hooks.values()):
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))

        def cast(param: Tensor, value, key=None):
            if isinstance(value, Tensor):
                if key == "step":
                    return value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v) for v in value)
            return value

        state: defaultdict[Tensor, Any] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = cast(id_map[k], v)
            else:
                state[k] = v
        for group, new_group in zip(groups, saved_groups):
            new_group["params"] = group["params"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for hook in list(self._optimizer_load_state_dict_post_hooks.values()):
            hook(self)


Params = Iterable[Tensor] | Iterable[dict[str, Any]]
