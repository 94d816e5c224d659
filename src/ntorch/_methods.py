"""Binds ops to Tensor as methods and Python operators, from tables rather than by hand."""

from __future__ import annotations

import functools
import warnings

from . import dtypes
from .ops import (
    compat,
    conversion,
    creation,
    decomp_extra,
    indexing,
    joins,
    legacy_names,
    linalg,
    mathx,
    misc,
    native_ops,
    nn_aliases,
    pointwise,
    rearrange,
    reduction,
    scan,
    scatter_views,
    shape,
    signal,
    softmax,
    sorting,
    statistics,
    tensor_methods,
    torch_extras,
    windows,
)
from .ops import complex as complex_ops
from .ops._util import number_arg
from .ops.elementwise import _apply_fast2, _apply_inplace_fast2, apply, apply_inplace
from .tensor import Tensor

# modules whose METHODS table adds Tensor methods (ntorch/__init__.py binds their FUNCTIONS)
OP_MODULES = (indexing, joins, rearrange, sorting, scan, softmax)
# more modules whose FUNCTIONS ntorch/__init__.py binds (and whose METHODS, if any, become Tensor methods)
EXTRA_MODULES = (misc, nn_aliases, statistics, mathx, windows, scatter_views, tensor_methods, torch_extras, compat,
                 signal, native_ops, legacy_names, decomp_extra, complex_ops)


def cuda_pending(name: str, fn):
    """fn, turning the failure of an op that has no CUDA path yet (its code reached a CudaArray through NumPy or
    a CPU kernel) into NotImplementedError naming the op. Free unless it raises."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            text = str(e)
            if "CudaArray" in text or "can't convert cuda" in text:
                raise NotImplementedError(
                    f"{name}: not implemented for CUDA tensors yet; move the tensors to the CPU with .cpu()") from e
            raise

    return op


def guard_tables(*tables: dict) -> None:
    """Wrap every function of these op tables in cuda_pending (in place, so every binding sees the wrapper), but
    those marked `cuda_complete` (their CUDA path is whole; the wrapper's call is a tenth of a small op's time)."""
    for table in tables:
        for name, fn in table.items():
            if fn is not None and not getattr(fn, "__wrapped__", None) and not getattr(fn, "cuda_complete", False):
                table[name] = cuda_pending(name, fn)


guard_tables(*(m.FUNCTIONS for m in OP_MODULES), *(m.METHODS for m in OP_MODULES))


def _rev(fn):
    return lambda self, other: fn(other, self)


def _fast(name: str, slow):
    """An operator method that tries the small-tensor fast path before the general op."""

    def method(self, other):
        res = _apply_fast2(name, self, other)
        return res if res is not None else slow(self, other)

    method.__name__ = slow.__name__
    return method


def _fast_reflected(name: str, slow):
    """For commutative ops, `2 * t` can use the same fast path as `t * 2`."""

    def method(self, other):
        res = _apply_fast2(name, self, other)
        return res if res is not None else slow(other, self)

    return method


def _inplace(name: str, params_from=None):
    tensor_only = name in pointwise.TENSOR_ONLY or name in ("gcd", "lcm")  # (name's rules, decided once)
    is_sub, takes_alpha, kernel_dtypes = name == "sub", name in ("add", "sub"), name in pointwise.TORCH_KERNEL

    plain = not is_sub and not kernel_dtypes  # (no check before the kernel for a same-dtype tensor operand)

    def method(self, other, *args, **kw):
        if plain and not kw and not args and _apply_inplace_fast2(name, self, other):
            return self
        if args:  # torch's deprecated add_/sub_(alpha, other)
            if not takes_alpha:
                raise TypeError(f"{name}_() takes 1 positional argument but {1 + len(args)} were given")
            other, kw["alpha"] = pointwise.deprecated_alpha(name + "_", self, other, args, kw.get("alpha", 1))
        if tensor_only and not isinstance(other, Tensor):
            # as torch's Tensor-only signature
            raise TypeError(f"{name}_(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
        if is_sub:
            pointwise._no_bool_sub(self, other)
        if takes_alpha and kw and "alpha" in kw:
            alpha = number_arg(kw["alpha"], name + "_", "alpha")
            pointwise._check_alpha(self, other, alpha)
            if name == "add" and pointwise._is_bool(self) and pointwise._is_bool(other):
                alpha = int(bool(alpha))  # as pointwise.add: the bool kernel's `y & p0` wants 0 or 1
            if alpha != 1 or isinstance(alpha, bool):
                return apply_inplace(name + "_alpha", self, other, params=(alpha,))
        if kernel_dtypes:
            pointwise.check_kernel_dtype(name, (self, other))
        return apply_inplace(name, self, other)

    method.__name__ = name + "_"
    return method


def _unary_inplace(name: str):
    def method(self):
        return apply_inplace(name, self)

    method.__name__ = name + "_"
    return method


def _pow_inplace(self: Tensor, exponent) -> Tensor:
    pointwise.check_int_pow(self, exponent)
    return apply_inplace("pow", self, exponent)


def _addcdiv_inplace(self: Tensor, tensor1: Tensor, tensor2: Tensor, value) -> Tensor:
    if tensor1.dtype.category < dtypes.FLOAT and tensor2.dtype.category < dtypes.FLOAT:
        pointwise.addcdiv(self, tensor1, tensor2)  # raises torch's integer-division error
    return apply_inplace("addcdiv", self, tensor1, tensor2, params=(number_arg(value, "addcdiv_", "value"),))


def _bind() -> None:
    T = Tensor
    F = pointwise.FUNCTIONS
    for name, fn in F.items():
        setattr(T, name, fn)
    for name in pointwise.UNARY:
        if name not in ("isnan", "isinf", "isfinite", "signbit"):
            setattr(T, name + "_", _unary_inplace(name))
    for alias, name in (("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh"), ("sgn", "sign")):
        setattr(T, alias + "_", _unary_inplace(name))
    for name in ("add", "sub", "mul", "div", "remainder", "fmod", "atan2",  # (torch has no maximum_/minimum_)
                 "bitwise_and", "bitwise_or", "bitwise_xor", "logical_and", "logical_or", "logical_xor",
                 "copysign", "xlogy", "ldexp", "nextafter", "gcd", "lcm", "bitwise_left_shift",
                 "bitwise_right_shift"):
        setattr(T, name + "_", _inplace(name))
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        setattr(T, name + "_", _inplace(name))
    methods = {
        "add": pointwise.add, "sub": pointwise.sub, "subtract": pointwise.sub, "div": pointwise.div,
        "divide": pointwise.div, "true_divide": pointwise.div, "floor_divide": pointwise.floor_divide,
        "pow": pointwise.pow, "float_power": pointwise.float_power, "square": pointwise.square,
        "round": pointwise.round, "clamp": pointwise.clamp, "clip": pointwise.clamp,
        "clamp_min": pointwise.clamp_min, "clamp_max": pointwise.clamp_max, "lerp": pointwise.lerp,
        "addcmul": pointwise.addcmul, "addcdiv": pointwise.addcdiv, "nan_to_num": pointwise.nan_to_num,
        "isclose": pointwise.isclose, "allclose": pointwise.allclose, "equal": pointwise.equal,
        "relu": pointwise.relu, "multiply": F["mul"], "negative": F["neg"], "absolute": F["abs"],
        "arcsin": F["asin"], "arccos": F["acos"], "arctan": F["atan"], "greater": F["gt"], "less": F["lt"],
        "greater_equal": F["ge"], "less_equal": F["le"], "not_equal": F["ne"], "fix": F["trunc"],
        "where": lambda self, condition, other: pointwise.where(condition, self, other),
        "view": shape.view, "reshape": shape.reshape, "transpose": shape.transpose, "swapaxes": shape.swapaxes,
        "swapdims": shape.transpose, "t": shape.t, "permute": shape.permute, "movedim": shape.movedim,
        "moveaxis": shape.movedim, "unsqueeze": shape.unsqueeze, "squeeze": shape.squeeze,
        "expand": shape.expand, "expand_as": shape.expand_as, "broadcast_to": shape.broadcast_to,
        "flatten": shape.flatten, "ravel": shape.ravel, "unflatten": shape.unflatten, "narrow": shape.narrow,
        "unbind": shape.unbind,
        "select": shape.select, "contiguous": shape.contiguous, "clone": shape.clone,
        "view_as": lambda self, other: shape.view(self, tuple(other.shape)),
        "reshape_as": lambda self, other: shape.reshape(self, tuple(other.shape)),
        "to": conversion.to, "type_as": conversion.type_as, "copy_": conversion.copy_,
        "fill_": conversion.fill_, "zero_": conversion.zero_,
        "__add__": pointwise.add, "__radd__": _rev(pointwise.add), "__sub__": pointwise.sub,
        "__rsub__": pointwise.rsub, "__mul__": F["mul"], "__rmul__": _rev(F["mul"]),
        "__truediv__": pointwise.div, "__rtruediv__": pointwise.rtruediv,
        "__floordiv__": pointwise.floor_divide, "__rfloordiv__": _rev(pointwise.floor_divide),
        "__mod__": F["remainder"], "__rmod__": _rev(F["remainder"]), "__pow__": pointwise.pow,
        "__rpow__": _rev(pointwise.pow), "__neg__": F["neg"], "__pos__": pointwise.positive,
        "__lshift__": F["bitwise_left_shift"], "__rlshift__": _rev(F["bitwise_left_shift"]),
        "__rshift__": F["bitwise_right_shift"], "__rrshift__": _rev(F["bitwise_right_shift"]),
        "__ilshift__": _inplace("bitwise_left_shift"), "__irshift__": _inplace("bitwise_right_shift"),
        "heaviside_": _heaviside_inplace,
        "logit_": lambda self, eps=None: apply_inplace("logit", self, params=(-1.0 if eps is None else float(eps),)),
        "__abs__": F["abs"], "__invert__": _invert, "__and__": F["bitwise_and"], "__rand__": _rev(F["bitwise_and"]),
        "__or__": F["bitwise_or"], "__ror__": _rev(F["bitwise_or"]), "__xor__": F["bitwise_xor"],
        "__rxor__": _rev(F["bitwise_xor"]), "__eq__": F["eq"], "__ne__": F["ne"], "__lt__": F["lt"],
        "__le__": F["le"], "__gt__": F["gt"], "__ge__": F["ge"],
        "__iadd__": _inplace("add"), "__isub__": _inplace("sub"), "__imul__": _inplace("mul"),
        "__itruediv__": _inplace("div"), "__imod__": _inplace("remainder"), "__iand__": _inplace("bitwise_and"),
        "__ior__": _inplace("bitwise_or"), "__ixor__": _inplace("bitwise_xor"),
        "__ifloordiv__": lambda self, o: _floordiv_inplace(self, o),
        "__ipow__": _pow_inplace,
        "addcmul_": lambda self, tensor1, tensor2, *, value=1: apply_inplace(
            "addcmul", self, tensor1, tensor2, params=(number_arg(value, "addcmul_", "value"),)),
        "addcdiv_": lambda self, tensor1, tensor2, *, value=1: _addcdiv_inplace(self, tensor1, tensor2, value),
        "lerp_": lambda self, end, weight: apply_inplace("lerp", self, end, weight),
        "clamp_": lambda self, min=None, max=None: _clamp_inplace(self, min, max),
        "clip_": lambda self, min=None, max=None: _clamp_inplace(self, min, max),
        "pow_": _pow_inplace,
        "neg_": _unary_inplace("neg"),
        "masked_fill": conversion.masked_fill, "masked_fill_": conversion.masked_fill_,
        "new_zeros": conversion._new(creation.zeros), "new_ones": conversion._new(creation.ones),
        "new_empty": conversion._new(creation.empty), "new_full": conversion.new_full,
        "new_tensor": conversion.new_tensor, "type": conversion.type_,
    }
    for name, fn in methods.items():
        if fn is not None:
            setattr(T, name, fn)
    for name, fn in reduction.FUNCTIONS.items():
        if name not in ("var_mean", "std_mean"):
            setattr(T, name, fn)
    for name in ("matmul", "mm", "bmm", "mv", "dot", "outer", "ger", "addmm", "baddbmm", "addmv",
                 "cross", "inner", "vdot", "addr", "addbmm", "matrix_power", "det", "logdet", "slogdet",
                 "inverse", "cholesky", "cholesky_solve", "cholesky_inverse", "triangular_solve", "svd", "qr",
                 "pinverse", "matrix_exp"):
        setattr(T, name, linalg.FUNCTIONS[name])
    T.__matmul__ = linalg.matmul
    T.__rmatmul__ = _rev(linalg.matmul)
    for name, fn in conversion.CAST_METHODS.items():
        setattr(T, name, fn)
    for op, name, slow in [("__add__", "add", pointwise.add), ("__sub__", "sub", pointwise.sub),
                           ("__mul__", "mul", F["mul"]), ("__truediv__", "div", pointwise.div),
                           ("__eq__", "eq", F["eq"]), ("__ne__", "ne", F["ne"]), ("__lt__", "lt", F["lt"]),
                           ("__le__", "le", F["le"]), ("__gt__", "gt", F["gt"]), ("__ge__", "ge", F["ge"])]:
        setattr(T, op, _fast(name, slow))
    for module in OP_MODULES + EXTRA_MODULES:  # each op module lists its own Tensor methods
        for name, fn in getattr(module, "METHODS", {}).items():
            setattr(T, name, fn)
    for name, getter in tensor_methods.PROPERTIES.items():
        setattr(T, name, property(getter))
    for name, (getter, setter) in complex_ops.PROPERTIES.items():
        setattr(T, name, property(getter, setter))
    T.__radd__ = _fast_reflected("add", pointwise.add)
    T.__rmul__ = _fast_reflected("mul", F["mul"])
    T.T = property(_T)
    T.mT = property(lambda self: shape.transpose(self, -2, -1) if self.ndim >= 2 else _mT_error(self))
    T.mH = property(_mH)
    T.H = property(_H)


def _invert(self: Tensor) -> Tensor:
    if self.dtype.is_floating_point:
        raise TypeError("bitwise_not_cpu: ~ is only supported for integer and bool tensors")
    return pointwise.FUNCTIONS["bitwise_not"](self)


def _heaviside_inplace(self: Tensor, values: Tensor) -> Tensor:
    pointwise.check_heaviside(self, values)
    return apply_inplace("heaviside", self, values)


def _floordiv_inplace(self: Tensor, other) -> Tensor:
    pointwise.check_kernel_dtype("div_floor", (self, other))
    pointwise._check_int_zero("floor_divide", self, other)
    return apply_inplace("div_floor", self, other)


def _clamp_inplace(self: Tensor, min, max) -> Tensor:
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if max is None:
        return apply_inplace("maximum", self, min)
    if min is None:
        return apply_inplace("minimum", self, max)
    return apply_inplace("clamp", self, min, max)


def _T(self: Tensor) -> Tensor:
    return shape.permute(self, *reversed(range(self.ndim)))


def _conj_if_complex(t: Tensor) -> Tensor:
    return t.conj() if t.dtype.is_complex else t


def _mH(self: Tensor) -> Tensor:
    """The conjugate transpose of the last two dims (a copy for complex: ntorch's conj() copies)."""
    if self.ndim >= 2:
        return _conj_if_complex(shape.transpose(self, -2, -1))
    if self.ndim == 0:
        warnings.warn("Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return _conj_if_complex(shape.permute(self))
    raise RuntimeError("tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor.")


def _H(self: Tensor) -> Tensor:
    """torch's .H: the conjugate transpose of a matrix only."""
    if self.ndim == 2:
        return _conj_if_complex(shape.transpose(self, 0, 1))
    if self.ndim == 0:
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning, stacklevel=2)
        return _conj_if_complex(shape.permute(self))
    hint = " For batches of matrices, consider using tensor.mH" if self.ndim > 2 else ""
    raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self.ndim}-D tensor.{hint}")


def _mT_error(self):
    """torch: mT of a 0-d tensor is the tensor itself (deprecated, with a warning); of a vector, an error."""
    if self.ndim == 0:
        warnings.warn("Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.",
                      UserWarning, stacklevel=3)
        return shape.permute(self)
    raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")


_bind()
_ = (apply, dtypes)

# the random samplers of Tensor (bernoulli_, random_, uniform_, ...), from random.py's METHODS table
from . import random as _random  # noqa: E402

for _name, _fn in _random.METHODS.items():
    setattr(Tensor, _name, _fn)

# index_reduce / index_reduce_ (ops/index_reduce.py)
from .ops import index_reduce as _index_reduce  # noqa: E402

for _name, _fn in _index_reduce.METHODS.items():
    setattr(Tensor, _name, _fn)
