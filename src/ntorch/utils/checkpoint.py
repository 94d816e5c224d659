"""torch.utils.checkpoint: trade compute for memory by running a block's forward again during backward.

use_reentrant=False (recommended, as in torch) runs the block under saved_tensors_hooks: the tensors its ops save
for backward are dropped (only their count and metadata are kept) and recomputed, all at once, the first time
backward asks for one, with the forward's RNG state. Gradients reach everything the block used (inputs and
captured parameters), and autograd.grad works. use_reentrant=True is torch's older variant: one custom Function
whose backward re-runs the block with grad enabled and back-propagates through it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from typing import Any

from .. import random as _random
from ..autograd import Function, backward, enable_grad, no_grad
from ..autograd.graph import saved_tensors_hooks
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "CheckpointFunction", "detach_variable",
           "noop_context_fn"]


class CheckpointError(RuntimeError):
    """The recomputed forward did not save the same tensors as the original one."""


def detach_variable(inputs: tuple) -> tuple:
    """Detached copies of the tensors in inputs that keep their requires_grad (other values as they are)."""
    if not isinstance(inputs, tuple):
        raise RuntimeError(f"Only tuple of tensors is supported. Got Unsupported input type: {type(inputs).__name__}")
    out = []
    for inp in inputs:
        if not isinstance(inp, Tensor):
            out.append(inp)
            continue
        x = inp.detach()
        x.requires_grad = inp.requires_grad
        out.append(x)
    return tuple(out)


def check_backward_validity(inputs) -> None:
    if not any(isinstance(inp, Tensor) and inp.requires_grad for inp in inputs):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)


def _rng_states(args) -> tuple:
    """The CPU generator's state and that of each CUDA device an argument lives on."""
    devices = sorted({a.get_device() for a in args if isinstance(a, Tensor) and a.is_cuda})
    cuda = {}
    if devices:
        from .. import cuda as _cuda

        cuda = {d: _cuda.get_rng_state(d) for d in devices}
    return _random.get_rng_state(), cuda


def _restore_rng(states: tuple) -> None:
    cpu, cuda = states
    _random.set_rng_state(cpu)
    if cuda:
        from .. import cuda as _cuda

        for d, s in cuda.items():
            _cuda.set_rng_state(s, d)


class CheckpointFunction(Function):
    """use_reentrant=True: forward without a graph; backward runs the block again and back-propagates."""

    @staticmethod
    def forward(ctx, run_function: Callable, preserve_rng_state: bool, *args):
        check_backward_validity(args)
        ctx.run_function = run_function
        ctx.rng = _rng_states(args) if preserve_rng_state else None
        ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
        ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        ctx.save_for_backward(*(a for a in args if isinstance(a, Tensor)))
        with no_grad():
            return run_function(*args)

    @staticmethod
    def backward(ctx, *grads):
        inputs = list(ctx.inputs)
        for i, t in zip(ctx.tensor_indices, ctx.saved_tensors, strict=True):
            inputs[i] = t
        cuda_devices = list(ctx.rng[1]) if ctx.rng is not None else []
        with _random.fork_rng(devices=cuda_devices, enabled=ctx.rng is not None):
            if ctx.rng is not None:
                _restore_rng(ctx.rng)
            detached = detach_variable(tuple(inputs))
            with enable_grad():
                outputs = ctx.run_function(*detached)
        if isinstance(outputs, Tensor):
            outputs = (outputs,)
        pairs = [(o, g) for o, g in zip(outputs, grads, strict=False) if isinstance(o, Tensor) and o.requires_grad]
        if not pairs:
            raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
        backward([o for o, _ in pairs], [g for _, g in pairs])
        return (None, None, *(d.grad if isinstance(d, Tensor) else None for d in detached))


def _meta(t: Tensor) -> tuple:
    return tuple(t.shape), t.dtype, t.device


class _Frame:
    """use_reentrant=False: the saved tensors of one checkpointed call, recomputed on first use."""

    def __init__(self, fn: Callable, args: tuple, kwargs: dict, preserve_rng_state: bool, determinism: str,
                 recompute_ctx) -> None:
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.recompute_ctx = recompute_ctx
        self.rng = _rng_states(args) if preserve_rng_state else None
        self.check = determinism != "none"
        self.metas: list[tuple] = []
        self.values: list[Tensor] | None = None

    def pack(self, t: Tensor) -> int:
        self.metas.append(_meta(t))
        return len(self.metas) - 1

    def unpack(self, index: int) -> Tensor:
        if self.values is None:
            self.values = self._recompute()
        return self.values[index]

    def _recompute(self) -> list[Tensor]:
        values: list[Tensor] = []

        def pack(t: Tensor) -> None:
            if len(values) >= len(self.metas):
                raise CheckpointError("torch.utils.checkpoint: trying to save more tensors during recomputation "
                                      "than during the original forward pass.")
            values.append(t.detach())

        def unpack(_):
            raise CheckpointError("torch.utils.checkpoint: a tensor saved during recomputation was read.")

        cuda_devices = list(self.rng[1]) if self.rng is not None else []
        with _random.fork_rng(devices=cuda_devices, enabled=self.rng is not None):
            if self.rng is not None:
                _restore_rng(self.rng)
            with enable_grad(), saved_tensors_hooks(pack, unpack), self.recompute_ctx:
                self.fn(*self.args, **self.kwargs)
        if len(values) != len(self.metas):
            raise CheckpointError(f"torch.utils.checkpoint: the recomputed forward saved {len(values)} tensors, the "
                                  f"original forward {len(self.metas)}: the checkpointed function is not "
                                  "deterministic in what it computes.")
        if self.check:
            for i, (v, m) in enumerate(zip(values, self.metas, strict=True)):
                if _meta(v) != m:
                    raise CheckpointError("torch.utils.checkpoint: Recomputed values for the following tensors have "
                                          "different metadata than during the forward pass.\n"
                                          f"tensor at position {i}:\nsaved metadata: {m}\nrecomputed metadata: "
                                          f"{_meta(v)}\n")
        self.fn = self.args = self.kwargs = self.recompute_ctx = None  # the recomputation is done: let the inputs go
        return values


def noop_context_fn() -> tuple:
    return contextlib.nullcontext(), contextlib.nullcontext()


def checkpoint(function: Callable, *args, use_reentrant: bool | None = None, context_fn: Callable = noop_context_fn,
               determinism_check: str = "default", debug: bool = False, early_stop: bool = True, **kwargs) -> Any:
    """Run function(*args, **kwargs) without keeping the tensors its backward needs; recompute them in backward."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in "
                      "PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between the "
                      "two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))
    if use_reentrant:
        if context_fn is not noop_context_fn or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return CheckpointFunction.apply(function, preserve, *args)
    if determinism_check not in ("default", "none"):
        raise ValueError(f"determinism_check should be one of ['default', 'none'], but got {determinism_check}")
    forward_ctx, recompute_ctx = context_fn()
    frame = _Frame(function, args, kwargs, preserve, determinism_check, recompute_ctx)
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_ctx:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments: int, input, use_reentrant: bool | None = None, **kwargs):
    """Checkpoint a sequence of modules/functions in `segments` chunks; the last chunk runs normally."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. In version 2.9 we will raise an exception if use_reentrant is not passed. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default behavior, "
                      "you can pass use_reentrant=True. Refer to docs for more details on the differences between the "
                      "two variants.", stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(arg for arg in kwargs))

    def run_function(start: int, end: int, functions):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x

        return forward

    from ..nn import Sequential

    if isinstance(functions, Sequential):
        functions = list(functions.children())
    segment_size = len(functions) // segments
    end = -1
    for start in range(0, segment_size * (segments - 1), segment_size):
        end = start + segment_size - 1
        input = checkpoint(run_function(start, end, functions), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run_function(end + 1, len(functions) - 1, functions)(input)
