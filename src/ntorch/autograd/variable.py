"""torch.autograd.Variable: the pre-0.4 wrapper, kept by torch as a function that returns a detached alias of
its data with requires_grad set; isinstance(t, Variable) is true of every tensor."""

from __future__ import annotations

from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data: Tensor, requires_grad: bool = False, volatile: bool = False) -> Tensor:
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        alias = data.detach()
        if requires_grad:
            alias.requires_grad_(True)
        return alias
