"""Custom differentiable ops: `ntorch.autograd.Function` with static forward(ctx, ...) / backward(ctx, ...)."""

from __future__ import annotations

from .. import dtypes
from ..tensor import Tensor
from . import grad_mode
from .graph import Node, needs_graph


class FunctionCtx(Node):
    """The `ctx` of a custom Function: also its node in the graph, as in PyTorch."""

    def __init__(self, fn_cls: type, args: tuple) -> None:
        super().__init__(f"{fn_cls.__name__}Backward", _call_user_backward, args)
        self._fn_cls = fn_cls
        self._to_save: tuple = ()
        self._non_differentiable: set[int] = set()
        self._dirty: set[int] = set()
        self._materialize_grads = True
        self._n_inputs = len(args)
        self._tensor_positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor) or a is None)

    @property
    def needs_input_grad(self) -> tuple:
        """One flag per argument of forward (False for the non-tensor ones), as torch's."""
        flags = [False] * self._n_inputs
        for pos, (node, _) in zip(self._tensor_positions, self.next_functions):
            flags[pos] = node is not None
        return tuple(flags)

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        self._to_save = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors: Tensor) -> None:
        self._dirty.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize_grads = bool(value)


def _call_user_backward(ctx: FunctionCtx, *grad_outputs):
    with grad_mode.set_grad_enabled(grad_mode.STATE.enabled):
        grads = ctx._fn_cls.backward(ctx, *grad_outputs)
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != ctx._n_inputs:
        if len(grads) > ctx._n_inputs and all(g is None for g in grads[ctx._n_inputs:]):
            grads = grads[:ctx._n_inputs]
        else:
            raise RuntimeError(f"function {ctx.name()} returned an incorrect number of gradients (expected "
                               f"{ctx._n_inputs}, got {len(grads)})")
    return tuple(grads[i] for i in ctx._tensor_positions)


class Function:
    """Subclass with `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` static methods; call `apply`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = FunctionCtx(cls, args)
        record = needs_graph(*args)
        with grad_mode.no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outputs = (result,) if single else result
        if not record:
            ctx.release()
            return result
        inputs_by_id = {id(a) for a in args if isinstance(a, Tensor)}
        for a in args:
            if isinstance(a, Tensor) and id(a) in ctx._dirty and a.requires_grad and a._grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        final = []
        for i, out in enumerate(outputs):
            if not isinstance(out, Tensor):
                final.append(out)
                continue
            if id(out) in inputs_by_id and id(out) not in ctx._dirty:
                out = out.detach()  # an input returned as is: a new tensor, so the input keeps its history
            ctx._output_meta.append((tuple(out.shape), out.dtype) if not out.is_cuda
                                    else (tuple(out.shape), out.dtype, out.get_device()))
            if id(out) not in ctx._non_differentiable and out.dtype.category >= dtypes.FLOAT:
                out.requires_grad = True
                out._grad_fn = ctx
                out._output_nr = i
            final.append(out)
        ctx.save(*ctx._to_save)
        return final[0] if single else tuple(final)


_TWICE = "trying to differentiate twice a function that was marked with @once_differentiable"


def _delayed_error_backward(node, *grads):
    raise RuntimeError(_TWICE)


def once_differentiable(fn):
    """torch.autograd.function.once_differentiable: the backward runs without recording a graph; under
    create_graph, when a grad output requires grad, its results carry a DelayedError node that raises if
    differentiated again (torch's behaviour)."""
    import functools

    from .graph import record

    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            outputs = fn(ctx, *args)
        if not grad_mode.is_grad_enabled():
            return outputs
        inputs = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        if not inputs:
            return outputs
        single = not isinstance(outputs, tuple)
        outs = (outputs,) if single else outputs
        wrapped = [o.detach() if isinstance(o, Tensor) else o for o in outs]
        record("DelayedError", _delayed_error_backward, inputs, [o for o in wrapped if isinstance(o, Tensor)])
        return wrapped[0] if single else tuple(wrapped)

    return wrapper
