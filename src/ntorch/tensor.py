"""Tensor: a strided view (shape, strides, offset) over a shared storage, plus dtype and device.

On the CPU the view is a NumPy array over the storage's flat buffer: NumPy already does offsets,
strides and aliasing, and Numba compiles kernels for any strided array. Every view made from a
tensor shares its `Storage`, which carries the version counter that in-place ops bump.
"""

from __future__ import annotations

import numpy as np

from . import dtypes, layouts
from .cuda.array import CudaArray
from .devices import CPU, cuda_device


class Storage:
    """A flat, contiguous 1-d buffer that views index into, and its version counter."""

    __slots__ = ("flat", "version", "__weakref__")

    def __init__(self, flat: np.ndarray):
        self.flat = flat
        self.version = 0

    def nbytes(self) -> int:
        return self.flat.nbytes

    def size(self) -> int:
        """torch.UntypedStorage.size(): the size in bytes."""
        return self.flat.nbytes

    __len__ = size

    def element_size(self) -> int:
        return 1

    def data_ptr(self) -> int:
        if type(self.flat) is CudaArray:
            return self.flat.data_ptr
        return self.flat.__array_interface__["data"][0]


class InferenceStorage(Storage):
    """The storage of an inference tensor (a non-view tensor made inside inference_mode) and of its views: it has no
    version counter, as in torch. Bumping it (every in-place write does, see Tensor._bump_version) is torch's error
    outside inference_mode; the check rides on the bump so that normal tensors pay nothing for it."""

    __slots__ = ()

    def __init__(self, flat: np.ndarray):
        self.flat = flat

    @property
    def version(self) -> int:
        return 0  # (internal reads; Tensor._version raises torch's error for users)

    @version.setter
    def version(self, value: int) -> None:
        from .autograd.grad_mode import STATE

        if not STATE.inference:
            raise RuntimeError(INFERENCE_INPLACE)


def _storage_for(arr: np.ndarray, cls: type = Storage) -> Storage:
    """A Storage covering every element `arr` reaches, starting at its first element (for a CUDA array: its
    whole allocation, as a 1-d array from the allocation's start)."""
    if type(arr) is CudaArray:
        return cls(CudaArray(arr.block, 0, (arr.block.size // arr.itemsize,), (arr.itemsize,), arr.dtype))
    if arr.flags.c_contiguous:
        return cls(arr.reshape(-1))
    span = 1 + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides) if n > 0) // arr.itemsize
    if arr.size == 0:
        span = 0
    return cls(np.lib.stride_tricks.as_strided(arr, shape=(span,), strides=(arr.itemsize,)))


class Size(tuple):
    """torch.Size: a tuple of dims."""

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"ntorch.Size([{', '.join(str(d) for d in self)}])"

    # torch.Size stays a Size through concatenation, repetition and slicing
    def __add__(self, other):
        return Size(tuple(self) + tuple(other)) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, n):
        return Size(tuple(self) * n)

    __rmul__ = __mul__

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """A multi-dimensional array with PyTorch's semantics (see README for the op list)."""

    # Every field lives in a slot, set once by _wrap: no per-tensor dict for the common fields (a dict is
    # one more object for Python's cyclic GC to track while an autograd graph holds the tensor). The
    # instance dict still takes rare attributes (hooks, retain_grad, the grad accumulator).
    __slots__ = ("_data", "_store", "_base", "_flat", "_requires_grad", "_grad", "_grad_fn", "_output_nr",
                 "__dict__", "__weakref__")
    __array_priority__ = 1000
    _hooks = None  # backward hooks of a leaf; a list in the instance dict once register_hook is called
    _grad_accumulator = None  # a leaf's AccumulateGrad node, kept between graphs (autograd/graph.py)
    _grad_dtype = False  # grad_dtype once set (a dtype or None); False: the tensor's own dtype
    _multi_output_view = None  # the node of split/chunk/unbind that made this view (in-place on it is an error)
    # _store: the Storage (made on demand); _base: the tensor whose storage a view shares; _flat: a cached
    # 1-d view of a C-contiguous _data (elementwise fast path); _grad_fn: the autograd Node that produced
    # this tensor (None for leaves; read it through the grad_fn property); _output_nr: which output of it this tensor is

    def __init__(self, *args, **kwargs):
        raise TypeError("create tensors with ntorch.tensor(), ntorch.zeros(), ... ")

    @staticmethod
    def _wrap(arr: np.ndarray, base: Tensor | None = None) -> Tensor:
        """A tensor over `arr`; when `base` is given, `arr` is a view of base's storage."""
        if not isinstance(arr, np.ndarray) and type(arr) is not CudaArray:
            # a NumPy scalar (e.g. from arr[i, j]) is a copy, never a view: callers must index with a
            # trailing Ellipsis to get a 0-d view instead
            if base is not None:
                raise AssertionError("Tensor._wrap: a view must be an ndarray, not a NumPy scalar")
            arr = np.asarray(arr)
        t = object.__new__(Tensor)
        t._data = arr
        t._flat = t._grad = t._grad_fn = None
        t._requires_grad = False
        t._output_nr = 0
        if base is not None:
            t._store = base._storage()
            t._base = base
        else:
            t._store = t._base = None
        return t

    @staticmethod
    def _wrap_result(arr: np.ndarray, flat: np.ndarray) -> Tensor:
        """_wrap for an op's fresh C-contiguous result whose 1-d view `flat` the fast paths already made."""
        t = object.__new__(Tensor)
        t._data = arr
        t._flat = flat
        t._grad = t._grad_fn = t._store = t._base = None
        t._requires_grad = False
        t._output_nr = 0
        return t

    def _storage(self) -> Storage:
        s = self._store
        if s is None:
            s = self._store = _storage_for(self._data)
        return s

    def _view_of(self, arr: np.ndarray) -> Tensor:
        """A tensor over `arr`, a NumPy view into this tensor's memory (_wrap with a base, inlined: every view
        op comes here)."""
        base = self if self._base is None else self._base
        if type(arr) is not np.ndarray and type(arr) is not CudaArray:
            return Tensor._wrap(arr, base)  # (its checks)
        t = object.__new__(Tensor)
        t._data = arr
        t._flat = t._grad = t._grad_fn = None
        t._requires_grad = False
        t._output_nr = 0
        s = base._store
        t._store = s if s is not None else base._storage()
        t._base = base
        return t

    # -- metadata ---------------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes._FROM_NP[self._data.dtype]

    @property
    def device(self):
        arr = self._data
        return cuda_device(arr.device) if type(arr) is CudaArray else CPU

    @property
    def is_cuda(self) -> bool:
        return type(self._data) is CudaArray

    def get_device(self) -> int:
        return self._data.device if type(self._data) is CudaArray else -1

    def cpu(self, memory_format=None) -> Tensor:
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> Tensor:
        return self.to("cuda" if device is None else device if not isinstance(device, int) else f"cuda:{device}",
                       non_blocking=non_blocking)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def ndimension(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def nelement(self) -> int:
        return self._data.size

    def element_size(self) -> int:
        return self._data.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.itemsize

    @property
    def nbytes(self) -> int:
        return self._data.nbytes

    def stride(self, dim: int | None = None):
        if self._data.size == 0:
            # NumPy zeroes the strides of empty arrays; torch reports contiguous ones (sizes 0 count as 1)
            strides = _contiguous_strides(self._data.shape)
        else:
            item = self._data.itemsize
            strides = tuple(s // item for s in self._data.strides)
        if dim is None:
            return strides
        return strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        if type(self._data) is CudaArray:
            return self._data.offset // self._data.itemsize
        start = self._storage().flat.__array_interface__["data"][0]
        return (self.data_ptr() - start) // self._data.itemsize

    def data_ptr(self) -> int:
        if type(self._data) is CudaArray:
            return self._data.data_ptr
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self) -> Storage:
        return self._storage()

    @property
    def _version(self) -> int:
        store = self._storage()
        if type(store) is InferenceStorage:
            raise RuntimeError("Inference tensors do not track version counter.")
        return store.version

    def is_inference(self) -> bool:
        """Whether this tensor was made inside inference_mode (or is a view of such a tensor)."""
        return type(self._store) is InferenceStorage

    def _bump_version(self) -> None:
        self._storage().version += 1

    def _check_writable(self) -> None:
        """torch's error for an in-place write to an inference tensor outside inference_mode, for ops whose version
        bump comes after their write (the others raise from the bump, before writing)."""
        if type(self._store) is InferenceStorage:
            self._store.version = 0  # (InferenceStorage's setter raises outside the mode)

    def is_contiguous(self, memory_format=None) -> bool:
        """PyTorch's rule: size-1 dims may have any stride, and empty tensors are contiguous (in the default
        format; channels_last[_3d] asks for C innermost, see layouts.py)."""
        if memory_format is None and type(self._data) is np.ndarray:  # NumPy's flag follows the same rule
            return self._data.flags.c_contiguous
        if memory_format is layouts.channels_last or memory_format is layouts.channels_last_3d:
            return layouts.is_contiguous_as(self._data.shape, self.stride(), memory_format)
        layouts.check_memory_format("is_contiguous", memory_format)
        if self._data.size == 0:
            return True
        expected = 1
        for n, s in zip(reversed(self._data.shape), reversed(self._data.strides)):
            if n != 1:
                if s // self._data.itemsize != expected:
                    return False
                expected *= n
        return True

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f" or self._data.dtype in dtypes.HALF_NP

    def is_complex(self) -> bool:
        return self._data.dtype.kind == "c"

    # -- autograd metadata (the engine lives in ntorch/autograd) -----------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self._grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you want to use a "
                               "computed variable in a subgraph that doesn't require differentiation use "
                               "var_no_grad = var.detach().")
        if value and self.dtype.category < dtypes.FLOAT:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        if value and type(self._store) is InferenceStorage:
            from .autograd.grad_mode import STATE

            if not STATE.inference:
                raise RuntimeError("Setting requires_grad=True on inference tensor outside InferenceMode is not "
                                   "allowed.")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def grad_fn(self):
        """The node that produced this tensor. A view whose storage was changed in place since (through its
        base or another view) gets a node reading the base's current history, as PyTorch regenerates it."""
        fn = self._grad_fn
        if fn is not None and self._base is not None and \
                getattr(self, "_grad_fn_version", self._store.version) != self._store.version:
            from .autograd.inplace import refresh_view

            fn = refresh_view(self)
        if fn is not None and type(fn).__name__ != fn._name:
            from .autograd.graph import named_node

            named_node(fn)  # type(grad_fn).__name__ is the node's name, as torch's per-function classes
        return fn

    @property
    def grad(self):
        """The accumulated gradient (leaves, and non-leaves after retain_grad); reading it on another non-leaf
        warns as torch does."""
        if self._grad_fn is not None and not self.__dict__.get("_retains_grad", False):
            import warnings

            warnings.warn(_NONLEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                                   f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                                   "the same size")
            want = self._grad_dtype
            if want is False:
                want = self.dtype
            if want is not None and value.dtype != want:
                from .ops._util import CPP_NAMES
                from .ops.shape import _LEGACY_NAMES

                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{CPP_NAMES[value.dtype.name]}' to a tensor with "
                    f"grad_dtype '{_LEGACY_NAMES[want.name]}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific "
                    "dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor "
                    "and its gradient may break downstream systems that assume they match.")
        self._grad = value

    @property
    def grad_dtype(self):
        """The dtype a gradient assigned to (or accumulated into) this leaf must have: its own dtype unless set; None
        allows any dtype."""
        if self._grad_fn is not None:
            raise RuntimeError("grad_dtype can only be accessed on leaf tensors.")
        want = self._grad_dtype
        return self.dtype if want is False else want

    @grad_dtype.setter
    def grad_dtype(self, value) -> None:
        if self._grad_fn is not None:
            import warnings

            warnings.warn(_NONLEAF_GRAD, UserWarning, stacklevel=2)  # (torch's setter reads .grad first)
            raise RuntimeError("grad_dtype can only be set on leaf tensors.")
        if value is not None and not isinstance(value, dtypes.dtype):
            raise RuntimeError(f"grad_dtype must be a torch.dtype or None, but got {type(value).__name__}")
        self._grad_dtype = value

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    def detach(self) -> Tensor:
        """The same data out of the graph: shares storage and version counter, but is not an autograd view
        (an in-place op on it does not reach self's graph)."""
        t = Tensor._wrap(self._data)
        t._store = self._storage()
        return t

    def detach_(self) -> Tensor:
        if self._base is not None:
            raise RuntimeError(_DETACH_VIEW)
        self._grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        return self

    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs=None) -> None:
        _engine().backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) runs when this tensor's gradient is computed; it may return a replacement."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .autograd.graph import _Handle

        if self._grad_fn is None:
            hooks = self.__dict__.setdefault("_hooks", [])
        else:
            hooks = self.grad_fn.tensor_pre_hooks(self._output_nr)
        keep = self.__dict__.get("_retain_hook")
        if keep is not None and keep in hooks:  # retain_grad's hook stays last: .grad sees the hooks' result
            hooks.insert(hooks.index(keep), hook)
        else:
            hooks.append(hook)
        return _Handle(hooks, hook)

    def retain_grad(self) -> None:
        """Keep .grad for a non-leaf tensor too (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or getattr(self, "_retains_grad", False):
            return
        import weakref

        from .autograd.graph import accumulate_into_grad

        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                accumulate_into_grad(t, grad)

        self.grad_fn.tensor_pre_hooks(self._output_nr).append(keep)  # runs after the other hooks, as torch's
        self._retains_grad = True
        self._retain_hook = keep

    @property
    def retains_grad(self) -> bool:
        return bool(getattr(self, "_retains_grad", False))

    @property
    def layout(self) -> layouts.layout:
        return layouts.strided

    @property
    def data(self) -> Tensor:
        """The same memory outside autograd, with its own version counter (as torch): in-place changes through it
        are neither checked nor seen by the graph (`p.data.add_(...)` on a leaf that requires grad is allowed)."""
        t = Tensor._wrap(self._data)
        if type(self._store) is InferenceStorage:  # (as torch: .data of an inference tensor is one)
            t._store = _storage_for(t._data, InferenceStorage)
        return t

    @data.setter
    def data(self, new: Tensor) -> None:
        """`t.data = other`: t now points at other's memory (shape, strides, storage and version counter)."""
        if not isinstance(new, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(new).__name__}")
        self._data = new._data
        self._store = new._storage()
        self._base = None
        self._flat = None

    # -- Python protocol ---------------------------------------------------------------------------
    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar"
            )
        return self._host().reshape(()).item()

    def tolist(self):
        return self._host().tolist()

    def _host(self) -> np.ndarray:
        """The values as a NumPy array: the data itself on the CPU, an explicit copy from a CUDA device."""
        arr = self._data
        return arr.copy_to_host() if type(arr) is CudaArray else arr

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """A NumPy array sharing this tensor's memory (a CUDA tensor raises, as in PyTorch, unless force=True,
        which copies)."""
        if type(self._data) is CudaArray:
            if force:
                return self._data.copy_to_host()
            np.asarray(self._data)  # raises PyTorch's "can't convert cuda:0 device type tensor to numpy"
        if self._data.dtype == dtypes.bfloat16.np:  # torch has no NumPy bfloat16 (ml_dtypes is not NumPy's)
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._data

    def __array__(self, dtype=None, copy=None):
        if type(self._data) is CudaArray:
            self.numpy()  # raises PyTorch's TypeError: no implicit copies from a device
        if self._data.dtype == dtypes.bfloat16.np:
            self.numpy()  # torch's TypeError: no NumPy bfloat16
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                "Boolean value of Tensor with more than one value is ambiguous"
                if self._data.size > 1 else "Boolean value of Tensor with no values is ambiguous"
            )
        return bool(self._host().reshape(()).item())

    def __int__(self) -> int:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self._real_item("int64_t"))

    def __float__(self) -> float:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return float(self._real_item("double"))

    def __complex__(self) -> complex:
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return complex(self.item())

    def _real_item(self, c_type: str):
        """item() for int()/float(): a complex value only when its imaginary part is 0 (torch's checked cast)."""
        v = self.item()
        if isinstance(v, complex):
            if v.imag != 0:
                raise RuntimeError(f"value cannot be converted to type {c_type} without overflow")
            return v.real
        return v

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from .printing import tensor_repr

        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild, (np.array(self._host()), self.requires_grad, str(self.device)))

    # -- interop: DLPack and the CUDA Array Interface, without copies ------------------------------
    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        from .cuda.dlpack import dlpack

        return dlpack(self._data, stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple:
        from .cuda.dlpack import dlpack_device

        return dlpack_device(self._data)

    @property
    def __cuda_array_interface__(self) -> dict:
        if type(self._data) is not CudaArray:
            raise AttributeError("Can't get __cuda_array_interface__ on non-CUDA tensor type: "
                                 f"{dtypes.torch_name(self.dtype).replace('torch.', '').capitalize()}Tensor. "
                                 "If CUDA data is required use tensor.cuda() to copy tensor to device memory.")
        if self._requires_grad:
            raise RuntimeError("Can't get __cuda_array_interface__ on Variable that requires grad. If gradients "
                               "aren't required, use var.detach() to get Variable that doesn't require grad.")
        return self._data.__cuda_array_interface__


_WRAP_PLAIN = Tensor.__dict__["_wrap"].__func__
_WRAP_RESULT_PLAIN = Tensor.__dict__["_wrap_result"].__func__
_INFERENCE_STATE = None  # autograd.grad_mode.STATE, set when inference marking is first switched on


def _wrap_inference(arr: np.ndarray, base: Tensor | None = None) -> Tensor:
    t = _WRAP_PLAIN(arr, base)
    if base is None and _INFERENCE_STATE.inference:
        t._store = _storage_for(t._data, InferenceStorage)
    return t


def _wrap_result_inference(arr: np.ndarray, flat: np.ndarray) -> Tensor:
    t = _WRAP_RESULT_PLAIN(arr, flat)
    if _INFERENCE_STATE.inference:
        t._store = _storage_for(arr, InferenceStorage)
    return t


def set_inference_marking(on: bool) -> None:
    """Swap Tensor's two constructors of new (non-view) tensors for ones that mark a tensor made inside
    inference_mode as an inference tensor, while any thread has an inference_mode block open: outside them
    creating a tensor costs nothing more. (Views share their base's storage, so they follow the base.)"""
    global _INFERENCE_STATE
    from .autograd.grad_mode import STATE

    _INFERENCE_STATE = STATE
    Tensor._wrap = staticmethod(_wrap_inference if on else _WRAP_PLAIN)
    Tensor._wrap_result = staticmethod(_wrap_result_inference if on else _WRAP_RESULT_PLAIN)


def _rebuild(arr: np.ndarray, requires_grad: bool, device: str = "cpu") -> Tensor:
    t = Tensor._wrap(arr)
    if device != "cpu":
        t = t.to(device)
    t.requires_grad = requires_grad
    return t


def _contiguous_strides(shape) -> tuple[int, ...]:
    """Row-major element strides as torch computes them (a size-0 dim counts as 1)."""
    strides, acc = [], 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(strides))


def _index_arg(value, op: str, name: str = "dim") -> int:
    """An int argument (a dim) as torch's parser takes it: an int or NumPy integer (not a bool), or a 0-d integer
    tensor (read through __index__); anything else is torch's TypeError naming the op and the argument."""
    if type(value) is int:
        return value
    if isinstance(value, Tensor) and value.ndim == 0 and value.dtype.category == dtypes.INT:
        return int(value.item())
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(value).__name__}")
    return int(value)


def _wrap_dim(dim: int, ndim: int, op: str = "") -> int:
    """Normalise a possibly negative dim; IndexError as torch raises (0-d tensors accept -1 and 0)."""
    if type(dim) is int and -ndim <= dim < ndim:  # the common case, in range of a tensor with dims
        return dim + ndim if dim < 0 else dim
    if isinstance(dim, Tensor):
        dim = _index_arg(dim, op)
    if not isinstance(dim, int | np.integer) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    n = max(ndim, 1)
    if dim < -n or dim >= n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})"
        )
    return dim + n if dim < 0 else dim


def _engine():
    """The autograd engine module (imported on first use: it imports this module)."""
    global _ENGINE
    if _ENGINE is None:
        from .autograd import engine

        _ENGINE = engine
    return _ENGINE


_ENGINE = None

INFERENCE_INPLACE = (
    "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal "
    "tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.")
_NONLEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")
_DETACH_VIEW = (
    "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, "
    "and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be "
    "called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in "
    "torch/optim/optimizer.py as the solution.")

