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


class _LegacyStorageMeta(type):
    """torch's FloatStorage ... BoolStorage: calling one builds a TypedStorage of its dtype (no arguments, a size
    or a sequence); a TypedStorage is an instance of the one whose dtype and device type it has."""

    dtype: dtypes.dtype

    def __instancecheck__(cls, obj) -> bool:
        return type(obj) is TypedStorage and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, **kwargs) -> TypedStorage:
        from .ops import creation

        if kwargs or len(args) > 1:
            raise RuntimeError(f"{cls!r}.__new__ received an invalid combination of arguments. Expected one of:\n"
                               " * no arguments\n * (int size)\n * (Sequence data)\n"
                               " * (*, UntypedStorage wrap_storage)\n"
                               + ("Too many positional arguments" if len(args) > 1 else ""))
        if not args:
            return TypedStorage(creation.empty(0, dtype=cls.dtype, device="cpu"))
        if isinstance(args[0], int) and not isinstance(args[0], bool):
            return TypedStorage(creation.empty(args[0], dtype=cls.dtype, device="cpu"))
        return TypedStorage(creation.tensor(args[0], dtype=cls.dtype, device="cpu"))

    def __repr__(cls) -> str:
        return f"<class 'ntorch.{cls.__name__}'>"


LEGACY_STORAGES = {
    f"{dtypes.torch_name(d)}Storage": _LegacyStorageMeta(f"{dtypes.torch_name(d)}Storage", (TypedStorage,),
                                                        {"dtype": d, "__module__": "ntorch"})
    for d in (dtypes.float32, dtypes.float64, dtypes.float16, dtypes.int64, dtypes.int32, dtypes.int16,
              dtypes.int8, dtypes.uint8, dtypes.bool)
}


def storage_type(tensor: Tensor) -> type:
    """Tensor.storage_type(): the legacy storage class of the tensor's dtype (ntorch.FloatStorage for float32)."""
    return LEGACY_STORAGES[f"{dtypes.torch_name(tensor.dtype)}Storage"]
