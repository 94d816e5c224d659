"""Module backward hooks (register_full_backward_hook / register_full_backward_pre_hook).

As torch's BackwardHook does, the module's positional tensor inputs and its tensor outputs pass through identity
nodes: the output node's backward sees grad_output (and runs the pre-hooks, which may replace it), the input
node's backward sees grad_input and runs the hooks with both (they may replace grad_input). When no input needs a
gradient, the hooks run from the output node with grad_input all None, as torch's."""

from __future__ import annotations

import warnings
from typing import Any

from ...autograd import grad_mode
from ...autograd.function import Function
from ...tensor import Tensor


class _State:
    def __init__(self, module, n_inputs: int, input_positions: tuple) -> None:
        self.module = module
        self.n_inputs = n_inputs  # positional tensor inputs (grad_input has one entry each)
        self.input_positions = input_positions  # which of them pass through the input node
        self.grad_outputs: tuple | None = None


def _check(result, expected: int, what: str, hook) -> tuple:
    result = tuple(result) if isinstance(result, tuple | list) else (result,)
    if len(result) != expected:
        raise RuntimeError(f"Backward hook returned an invalid number of grad_{what}, got {len(result)}, but "
                           f"expected {expected}")
    return result


def _run_hooks(state: _State, grad_input: tuple) -> tuple:
    module = state.module
    for hook in list(module._backward_hooks.values()):
        res = hook(module, grad_input, state.grad_outputs)
        if res is not None:
            grad_input = _check(res, len(grad_input), "input", hook)
    return grad_input


class _OutputNode(Function):
    @staticmethod
    def forward(ctx, state: _State, *tensors):
        ctx.state = state
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        module = state.module
        for hook in list(module.__dict__.get("_backward_pre_hooks", {}).values()):
            res = hook(module, grads)
            if res is not None:
                grads = _check(res, len(grads), "output", hook)
        state.grad_outputs = grads
        if not state.input_positions and module.__dict__.get("_backward_hooks"):
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module outputs "
                          "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                          "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.",
                          stacklevel=2)
            _run_hooks(state, (None,) * state.n_inputs)
        return (None, *grads)


class _InputNode(Function):
    @staticmethod
    def forward(ctx, state: _State, *tensors):
        ctx.state = state
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        if not state.module.__dict__.get("_backward_hooks"):
            return (None, *grads)
        grad_input = [None] * state.n_inputs
        for pos, g in zip(state.input_positions, grads, strict=True):
            grad_input[pos] = g
        grad_input = _run_hooks(state, tuple(grad_input))
        return (None, *(grad_input[pos] for pos in state.input_positions))


def call_with_backward_hooks(module, args: tuple, kwargs: dict) -> Any:
    """module(*args, **kwargs) with its inputs and outputs passed through the hook nodes."""
    if not grad_mode.STATE.enabled:
        return module._call_forward_hooks(args, kwargs)
    tensor_args = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    needing = tuple(k for k, i in enumerate(tensor_args) if args[i].requires_grad)
    state = _State(module, len(tensor_args), needing)
    if needing:
        passed = _InputNode.apply(state, *(args[tensor_args[k]] for k in needing))
        args = list(args)
        for k, t in zip(needing, passed, strict=True):
            args[tensor_args[k]] = t
        args = tuple(args)
    result = module._call_forward_hooks(args, kwargs)
    if isinstance(result, Tensor):
        outs = (result,)
    elif isinstance(result, tuple | list):
        outs = tuple(result)
    else:
        return result
    positions = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o.requires_grad]
    if not positions:
        return result
    passed = _OutputNode.apply(state, *(outs[i] for i in positions))
    outs = list(outs)
    for i, t in zip(positions, passed, strict=True):
        outs[i] = t
    if isinstance(result, Tensor):
        return outs[0]
    return type(result)(outs) if isinstance(result, list) else tuple(outs)
