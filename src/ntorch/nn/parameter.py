"""nn.Parameter and nn.Buffer: the tensors a Module registers when they are assigned as attributes."""

from __future__ import annotations

from ..ops.elementwise import TENSOR_TYPES
from ..tensor import Tensor


def _share(t: Tensor, data: Tensor) -> None:
    """Point t at data's memory (shape, strides, storage and version counter), as torch's `t.data = data`."""
    t._data = data._data
    t._store = data._storage()
    t._base = None
    t._flat = None


class Parameter(Tensor):
    """A Tensor that a Module registers as a parameter when it is assigned as an attribute; it shares the
    memory of `data` and requires grad by default (even under no_grad). Ops on it return plain Tensors."""

    __slots__ = ()

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Parameter:
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' must be Tensor, not {type(data).__name__}")
        t = object.__new__(cls)
        _share(t, data)
        t._grad = t._grad_fn = None
        t._output_nr = 0
        t._requires_grad = False
        t.requires_grad = requires_grad  # the setter refuses non-float dtypes, as torch does
        return t

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        pass

    def __deepcopy__(self, memo: dict) -> Parameter:
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self.detach(), self.requires_grad))

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


def _rebuild_parameter(data: Tensor, requires_grad: bool) -> Parameter:
    return Parameter(data, requires_grad)


class _BufferMeta(type):
    """isinstance(t, Buffer) is true for any tensor that Buffer(...) marked."""

    def __instancecheck__(cls, instance) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """A tensor that a Module registers as a buffer when it is assigned as an attribute (`persistent`: whether it
    goes into state_dict). Buffer(x) returns a detached Tensor marked as a buffer, as torch does."""

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Tensor:
        if data is None:
            from ..ops.creation import empty

            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t.persistent = persistent
        t._is_buffer = True
        return t


TENSOR_TYPES.add(Parameter)  # the elementwise fast paths take Parameters as they take Tensors
