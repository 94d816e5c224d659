"""torch.TypedStorage, what the deprecated Tensor.storage() returns: a tensor's whole storage seen as elements of
its dtype (size, data_ptr, element_size, nbytes, indexing, tolist, dtype, device). Writing through it writes the
tensor's memory."""

from __future__ import annotations

import warnings

from . import dtypes
from .tensor import Tensor


class TypedStorage:
    def __init__(self, tensor: Tensor) -> None:
        store = tensor._storage()
        self._untyped = store
        self.dtype = tensor.dtype
        self.device = tensor.device
        self._flat = Tensor._wrap(store.flat, tensor if tensor._base is None else tensor._base)

    def size(self) -> int:
        return int(self._flat.numel())

    __len__ = size

    def element_size(self) -> int:
        return self._flat.element_size()

    def nbytes(self) -> int:
        return self.size() * self.element_size()

    def data_ptr(self) -> int:
        return self._untyped.data_ptr()

    def untyped(self):
        return self._untyped

    def tolist(self) -> list:
        return self._flat.tolist()

    def __getitem__(self, index):
        value = self._flat[index]
        return value.item() if isinstance(index, int) else TypedStorage(value.contiguous())

    def __setitem__(self, index, value) -> None:
        self._flat[index] = value

    def __iter__(self):
        return iter(self.tolist())

    def __repr__(self) -> str:
        body = "\n".join(f" {v}" for v in self.tolist())
        return f"{body}\n[ntorch.storage.TypedStorage(dtype={self.dtype}, device={self.device}) of size {self.size()}]"

    @property
    def is_cuda(self) -> bool:
        return self.device.type == "cuda"

    def type(self) -> str:
        return f"ntorch.{dtypes.torch_name(self.dtype)}Storage"


def typed_storage(tensor: Tensor) -> TypedStorage:
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. This should only matter to you if you are using storages directly.  To access "
                  "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()", UserWarning,
                  stacklevel=2)
    return TypedStorage(tensor)
