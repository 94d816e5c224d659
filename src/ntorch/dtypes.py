"""dtype objects and PyTorch's type-promotion rules.

Promotion follows torch exactly: three priority groups (tensors with dims, 0-d tensors, Python scalars),
each promoted within itself, then combined by category (bool < integer < floating < complex), so a
lower-priority operand only wins when it is of a higher category (a complex one then keeps a float winner's
precision: float64 tensor * 1j is complex128).
"""

from __future__ import annotations

import ml_dtypes
import numpy as np

_py_bool = bool


class dtype:
    """A tensor element type (ntorch.float32, ...). Instances are singletons; compare with `is` or ==."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "category")

    def __init__(self, name: str, np_dtype: type, category: int, itemsize: int | None = None):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = itemsize or self.np.itemsize
        self.is_floating_point = category == FLOAT
        self.is_signed = name not in ("bool", "uint8")
        self.category = category

    @property
    def is_complex(self) -> _py_bool:
        return self.category == COMPLEX

    @property
    def itemsize_bits(self) -> int:
        return self.itemsize * 8

    def to_real(self) -> dtype:
        """The dtype of a complex dtype's parts (complex64 -> float32); other dtypes are their own."""
        return _TO_REAL.get(self, self)

    def to_complex(self) -> dtype:
        """The complex dtype with this float dtype's parts (float32 -> complex64); complex dtypes are their own."""
        if self.is_complex:
            return self
        if not self.is_floating_point:
            raise RuntimeError(f"Unknown Complex ScalarType for {_TORCH_NAMES[self.name]}")
        return _TO_COMPLEX[self]

    def __repr__(self) -> str:
        return f"ntorch.{self.name}"

    def __reduce__(self):
        return self.name
    # (equality and hashing are the default identity ones, in C: dtypes are singletons, and every dispatch table
    # and dict keyed by a dtype hashes one per lookup)


BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3

bool = dtype("bool", np.bool_, BOOL)  # noqa: A001 - torch's name
uint8 = dtype("uint8", np.uint8, INT)
int8 = dtype("int8", np.int8, INT)
int16 = dtype("int16", np.int16, INT)
int32 = dtype("int32", np.int32, INT)
int64 = dtype("int64", np.int64, INT)
float16 = dtype("float16", np.float16, FLOAT)
float32 = dtype("float32", np.float32, FLOAT)
float64 = dtype("float64", np.float64, FLOAT)
complex64 = dtype("complex64", np.complex64, COMPLEX)
complex128 = dtype("complex128", np.complex128, COMPLEX)
# torch's complex32 (two float16 parts) is a name only: NumPy has no such type, and every use of it raises
complex32 = dtype("complex32", np.complex64, COMPLEX, itemsize=4)
cfloat, cdouble, chalf = complex64, complex128, complex32

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, float32, float64, complex64, complex128)
INTEGER_DTYPES = (uint8, int8, int16, int32, int64)
FLOAT_DTYPES = (float16, float32, float64)
NUMERIC_DTYPES = INTEGER_DTYPES + FLOAT_DTYPES
COMPLEX_DTYPES = (complex64, complex128)
REAL_DTYPES = ALL_DTYPES[:-2]  # everything but the complex dtypes

# bfloat16: stored as ml_dtypes.bfloat16 NumPy arrays. Numba can type neither its arithmetic nor its arrays, so
# like float16 on the CPU it computes in float32 inside kernels, rounded back once per op (HALF_DTYPES is that rule).
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, FLOAT)
ALL_DTYPES = ALL_DTYPES + (bfloat16,)
FLOAT_DTYPES = FLOAT_DTYPES + (bfloat16,)
NUMERIC_DTYPES = NUMERIC_DTYPES + (bfloat16,)
REAL_DTYPES = REAL_DTYPES + (bfloat16,)
HALF_DTYPES = (float16, bfloat16)  # 16-bit floats: computed in float32 by CPU kernels, rounded back to their dtype
HALF_NP = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))  # the same, as NumPy dtypes (arr.dtype in HALF_NP)
CPU_ONLY_DTYPES: tuple = ()  # dtypes dispatch registers no CUDA kernel for (bfloat16 runs float32 kernels there)


def is_float_np(np_dtype) -> _py_bool:
    """Whether a NumPy dtype is a floating one ntorch knows (kind 'f', or ml_dtypes' bfloat16, whose kind is 'V')."""
    return np_dtype.kind == "f" or np_dtype in HALF_NP


def np_finfo(np_dtype):
    """np.finfo that also takes ml_dtypes' bfloat16 (which np.finfo refuses)."""
    return ml_dtypes.finfo(np_dtype)


def compute_np(np_dtype) -> np.dtype:
    """The NumPy dtype a CPU kernel computes in for arrays of np_dtype: float32 for the 16-bit floats."""
    np_dtype = np.dtype(np_dtype)
    return np.dtype(np.float32) if np_dtype in HALF_NP else np_dtype


ALIASES = {
    "half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64,
    "cfloat": complex64, "cdouble": complex128,
}
_TO_REAL = {complex64: float32, complex128: float64, complex32: float16}
_TO_COMPLEX = {float32: complex64, float64: complex128, float16: complex32}
_TO_COMPLEX[bfloat16] = complex64  # as torch: a bfloat16 tensor times 1j is complex64


def unsupported_complex32() -> TypeError:
    return TypeError("ntorch does not support complex32 (torch.chalf): use complex64 or complex128")

_FROM_NP = {d.np: d for d in ALL_DTYPES}
_BY_NAME = {d.name: d for d in ALL_DTYPES} | ALIASES


def from_numpy_dtype(np_dtype) -> dtype:
    """The ntorch dtype of a numpy dtype; TypeError for ones ntorch does not support."""
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: "
            "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool."
        ) from None


def user_numpy_dtype(np_dtype) -> dtype:
    """from_numpy_dtype for arrays a user hands in (from_numpy, tensor): torch refuses ml_dtypes.bfloat16 ones."""
    d = from_numpy_dtype(np_dtype)
    if d is bfloat16:
        raise TypeError("can't convert np.ndarray of type ml_dtypes.bfloat16. The only supported types are: "
                        "float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")
    return d


def as_dtype(d) -> dtype:
    """Accept an ntorch dtype, a numpy dtype/type, or a name such as 'float32'."""
    if isinstance(d, dtype):
        if d is complex32:
            raise unsupported_complex32()
        return d
    if isinstance(d, str):
        if d.startswith("ntorch."):
            d = d[len("ntorch."):]
        if d in _BY_NAME:
            return _BY_NAME[d]
        if d in ("complex32", "chalf"):
            raise unsupported_complex32()
        raise TypeError(f"unknown dtype {d!r}")
    if d is float:
        return float64
    if d is int:
        return int64
    if d is _py_bool:
        return bool
    if d is complex:
        return complex128
    return from_numpy_dtype(d)


_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d) -> None:
    """Set the dtype of float tensors created without one (float32, float64 or float16, as torch)."""
    global _default_float
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float = d


def get_default_complex_dtype() -> dtype:
    """The dtype of a Python complex scalar: complex parts of the default float dtype."""
    return _TO_COMPLEX[_default_float]


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a is b:
        return a
    if a.is_complex or b.is_complex:  # complex, with the widest float part among the operands
        parts = [d.to_real() for d in (a, b) if d.category >= FLOAT]
        return _promote_pair(*parts).to_complex() if len(parts) == 2 else (a if a.is_complex else b)
    if a.is_floating_point or b.is_floating_point:
        if a in HALF_DTYPES and b in HALF_DTYPES:  # float16 with bfloat16: neither holds the other
            return float32
        if a.is_floating_point and b.is_floating_point:
            return a if a.itemsize >= b.itemsize else b
        return a if a.is_floating_point else b
    return _FROM_NP[np.promote_types(a.np, b.np)]


_PROMOTE = {(a, b): _promote_pair(a, b) for a in ALL_DTYPES for b in ALL_DTYPES}


def promote_types(type1, type2) -> dtype:
    """torch.promote_types: the smallest dtype both can be cast to without changing category."""
    return _PROMOTE[(as_dtype(type1), as_dtype(type2))]


def scalar_dtype(value) -> dtype:
    """The dtype a Python scalar takes as a wrapped number: bool, int64, the default float or complex dtype."""
    if isinstance(value, _py_bool) or isinstance(value, np.bool_):
        return bool
    if isinstance(value, int | np.integer):
        return int64
    if isinstance(value, float | np.floating):
        return _default_float
    if isinstance(value, complex | np.complexfloating):
        d = _TO_COMPLEX[_default_float]
        if d is complex32:
            raise unsupported_complex32()
        return d
    raise TypeError(f"unsupported scalar type {type(value).__name__}")


def _combine(higher: dtype | None, lower: dtype | None) -> dtype | None:
    """torch's combine_categories: the higher-priority group wins unless the lower one is of a higher category."""
    if higher is None:
        return lower
    if lower is None or higher.is_complex:
        return higher
    if lower.is_complex:  # a float winner keeps its precision, made complex; an integer one gives way
        if higher.is_floating_point:
            d = higher.to_complex()
            if d is complex32:
                raise unsupported_complex32()
            return d
        return lower
    if higher.is_floating_point:
        return higher
    if higher is bool or lower.is_floating_point:
        return _PROMOTE[(higher, lower)]
    return higher


def result_type_of(dim_dtypes, zero_dim_dtypes, scalar_dtypes) -> dtype:
    """Promote the three priority groups as torch's ResultTypeState does."""
    groups = []
    for group in (dim_dtypes, zero_dim_dtypes, scalar_dtypes):
        acc = None
        for d in group:
            acc = d if acc is None else _PROMOTE[(acc, d)]
        groups.append(acc)
    out = _combine(groups[0], _combine(groups[1], groups[2]))
    if out is None:
        raise TypeError("result_type needs at least one tensor or scalar")
    return out


_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "float16": "Half", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble", "complex32": "ComplexHalf"}
_TORCH_NAMES["bfloat16"] = "BFloat16"
_FROM_TORCH_NAME = {v: k for k, v in _TORCH_NAMES.items()}


def torch_name(d: dtype) -> str:
    """The name PyTorch's messages and Tensor.type() use ('Float' for float32)."""
    return _TORCH_NAMES[d.name]


def from_torch_name(name: str) -> dtype | None:
    """The dtype of a name like 'Float' (as in 'torch.FloatTensor'), or None."""
    return _BY_NAME.get(_FROM_TORCH_NAME.get(name, ""))


def can_cast(from_, to) -> _py_bool:
    """torch.can_cast: casting is allowed unless it lowers the category (complex->float, float->int, int->bool)."""
    return as_dtype(from_).category <= as_dtype(to).category



def _g(v: float) -> str:
    """C++'s default float formatting (6 significant digits), as torch's finfo/iinfo reprs use."""
    return f"{v:g}"


class finfo:
    """torch.finfo: machine limits of a floating-point dtype (the default float dtype when none is given)."""

    def __init__(self, type=None):  # noqa: A002 - torch's name
        d = _default_float if type is None else as_dtype(type).to_real()  # a complex dtype: its parts'
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        fi = ml_dtypes.finfo(d.np) if d is bfloat16 else np.finfo(d.np)
        self.bits = d.itemsize * 8
        self.eps = float(fi.eps)
        self.max = float(fi.max)
        self.min = float(fi.min)
        self.tiny = self.smallest_normal = float(fi.smallest_normal)
        self.resolution = 10.0 ** -int(fi.precision)
        self.dtype = d.name

    def __eq__(self, other) -> _py_bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))

    def __repr__(self) -> str:
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, max={_g(self.max)}, "
                f"eps={_g(self.eps)}, smallest_normal={_g(self.smallest_normal)}, tiny={_g(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """torch.iinfo: the range of an integer dtype."""

    def __init__(self, type):  # noqa: A002 - torch's name
        d = as_dtype(type)
        if d is bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if d.category != INT:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        ii = np.iinfo(d.np)
        self.bits = d.itemsize * 8
        self.max = int(ii.max)
        self.min = int(ii.min)
        self.dtype = d.name

    def __eq__(self, other) -> _py_bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))

    def __repr__(self) -> str:
        return f"iinfo(min={_g(self.min)}, max={_g(self.max)}, dtype={self.dtype})"
