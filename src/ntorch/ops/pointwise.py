"""The public pointwise functions (torch.add, torch.exp, ...), built on the table in elementwise.py."""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record, renamed
from ..tensor import Tensor
from ._util import check_tensor, is_scalar, number_arg, takes_out, warn
from .elementwise import OP_BY_NAME, TENSOR_TYPES, _apply_fast_given, _compute_dtype, _where_fast, apply, apply_inplace

UNARY = [
    "neg", "abs", "sign", "square", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf",
    "erfc", "relu", "floor", "ceil", "trunc", "frac", "isnan", "isinf", "isfinite", "logical_not",
    "bitwise_not", "silu", "asinh", "acosh", "atanh", "deg2rad", "rad2deg", "sinc", "lgamma", "digamma", "i0",
    "erfinv", "signbit",
]
BINARY = [
    "mul", "atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "remainder",
    "fmod", "copysign", "xlogy", "ldexp", "logaddexp", "logaddexp2", "nextafter", "bitwise_left_shift",
    "bitwise_right_shift",
]
# ops whose unsupported dtypes raise torch's NotImplementedError, named by torch's kernel ("lshift_cpu")
TORCH_KERNEL = {
    "remainder": "remainder", "fmod": "fmod", "div_floor": "div_floor", "div_trunc": "div_trunc",
    "logaddexp": "logaddexp", "logaddexp2": "logaddexp2", "nextafter": "nextafter", "gcd": "gcd", "lcm": "lcm",
    "bitwise_left_shift": "lshift", "bitwise_right_shift": "rshift",
}


def check_kernel_dtype(name: str, operands: tuple) -> None:
    """torch's `"lshift_cpu" not implemented for 'Float'` before any kernel runs, for the ops in TORCH_KERNEL."""
    kernel = TORCH_KERNEL.get(name)
    if kernel is None:
        return
    op = OP_BY_NAME[name]
    dt = _compute_dtype(op, operands)
    if dt not in op.dtypes:
        device = "cuda" if any(isinstance(a, Tensor) and a.is_cuda for a in operands) else "cpu"
        raise NotImplementedError(f"\"{kernel}_{device}\" not implemented for '{dtypes.torch_name(dt)}'")


# torch's isnan/isinf/isfinite have no out= overload: passing one is a TypeError
NO_OUT = {"isnan", "isinf", "isfinite"}


def _make_unary(name: str):
    if name in NO_OUT:
        def fn(input: Tensor) -> Tensor:
            check_tensor(input, name)
            return apply(name, input)

        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"torch.{name}: elementwise, see the op table in ntorch/ops/elementwise.py (no out=, as torch)."
        return fn

    def fn(input: Tensor, *, out: Tensor | None = None) -> Tensor:
        check_tensor(input, name)
        if name == "neg" and input.dtype is dtypes.bool:
            raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                               "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
        if name == "signbit" and out is not None and out.dtype is not dtypes.bool:
            raise RuntimeError("signbit does not support non-boolean outputs.")
        return apply(name, input, out=out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}: elementwise, see the op table in ntorch/ops/elementwise.py."
    return fn


# binary functions whose torch signature takes two Tensors (no Python-number overload): a number raises TypeError
TENSOR_ONLY = {"atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "logical_and", "logical_or", "logical_xor",
               "ldexp", "logaddexp", "logaddexp2", "nextafter"}


def _make_binary(name: str):
    tensors_only = name in TENSOR_ONLY

    def fn(input, other, *, out: Tensor | None = None) -> Tensor:
        if tensors_only:
            check_tensor(input, name)
            check_tensor(other, name, "other")
        check_kernel_dtype(name, (input, other))
        if name in ("remainder", "fmod"):
            _check_int_zero(name, input, other)
        return apply(name, input, other, out=out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}: elementwise with broadcasting, see ntorch/ops/elementwise.py."
    return fn


FUNCTIONS: dict = {n: _make_unary(n) for n in UNARY} | {n: _make_binary(n) for n in BINARY}


def _check_int_zero(name: str, a, b) -> None:
    """Integer division by zero is an error in torch (NumPy would give 0); an empty result divides nothing."""
    if isinstance(a, Tensor) and a.numel() == 0:
        return
    if isinstance(b, Tensor):
        if not b.is_floating_point() and not (isinstance(a, Tensor) and a.is_floating_point()) \
                and not isinstance(a, float) and bool((b == 0).any()):
            raise RuntimeError("ZeroDivisionError")
    elif b == 0 and not isinstance(b, float) and isinstance(a, Tensor) and not a.is_floating_point():
        raise RuntimeError("ZeroDivisionError")


def deprecated_alpha(op: str, input, other, args: tuple, alpha):
    """A third positional argument of add/sub: torch's (input, Number other, Number alpha) overload, or its
    deprecated (input, Number alpha, Tensor other) one (with torch's warning); -> (other, alpha)."""
    if isinstance(other, Tensor) and other.ndim == 0:
        other = other.item()  # a 0-d tensor is a Number to torch's parser
    if len(args) != 1 or alpha != 1 or not is_scalar(other):
        raise TypeError(f"{op}() takes 2 positional arguments but {2 + len(args)} were given")
    if not isinstance(args[0], Tensor) and not op.startswith("add"):
        return other, args[0]
    warn(f"This overload of {op} is deprecated:\n\t{op}(Tensor input, Number alpha, Tensor other, *, Tensor out = "
         f"None)\nConsider using one of the following signatures instead:\n\t{op}(Tensor input, Tensor other, *, "
         "Number alpha = 1, Tensor out = None)")
    return args[0], other


def add(input, other, *args, alpha=1, out: Tensor | None = None) -> Tensor:
    if args:  # torch's deprecated add(input, alpha, other)
        other, alpha = deprecated_alpha("add", input, other, args, alpha)
    alpha = number_arg(alpha, "add", "alpha")
    _check_alpha(input, other, alpha)
    if _is_bool(input) and _is_bool(other):
        alpha = int(bool(alpha))  # a bool result adds `other and alpha` (the kernel's `y & p0` wants 0 or 1)
    if alpha == 1:
        return apply("add", input, other, out=out)
    return apply("add_alpha", input, other, params=(alpha,), out=out)


def sub(input, other, *args, alpha=1, out: Tensor | None = None) -> Tensor:
    if args:  # torch's deprecated sub(input, alpha, other)
        other, alpha = deprecated_alpha("sub", input, other, args, alpha)
    alpha = number_arg(alpha, "sub", "alpha")
    _no_bool_sub(input, other)
    _check_alpha(input, other, alpha)
    if alpha == 1:
        return apply("sub", input, other, out=out)
    return apply("sub_alpha", input, other, params=(alpha,), out=out)


def _is_bool(a) -> bool:
    return isinstance(a, bool) or isinstance(a, Tensor) and a.dtype is dtypes.bool


def _no_bool_sub(a, b) -> None:
    """torch refuses `-` whenever an operand is bool (a tensor or a Python bool)."""
    if not (_is_bool(a) or _is_bool(b)):
        return
    if _is_bool(a) and _is_bool(b):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                       "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def _check_alpha(a, b, alpha) -> None:
    """torch's alpha rules: a bool alpha only for a bool result, a float alpha never for an integer one."""
    if alpha == 1 and not isinstance(alpha, bool):
        return
    result_is_bool = _is_bool(a) and _is_bool(b)
    if isinstance(alpha, bool) and not result_is_bool:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, complex) and not any(
            isinstance(o, complex) or isinstance(o, Tensor) and o.dtype.is_complex for o in (a, b)):
        raise RuntimeError("For non-complex input tensors, argument alpha must not be a complex number.")
    if isinstance(alpha, float) and not any(
            isinstance(o, float | complex) or isinstance(o, Tensor) and o.dtype.category >= dtypes.FLOAT
            for o in (a, b)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def rsub(input, other, *, alpha=1) -> Tensor:
    """other - alpha * input; torch's node RsubBackward0 (tensor other) or RsubBackward1 (number: `2 - t`)."""
    return renamed(sub(other, input, alpha=alpha), "RsubBackward0" if isinstance(other, Tensor) else "RsubBackward1")


def rtruediv(input: Tensor, other) -> Tensor:
    """`number / t`, computed as torch does: reciprocal(t) * number (its node is MulBackward0)."""
    return apply("mul", apply("reciprocal", input), other)


def div(input, other, *, rounding_mode: str | None = None, out: Tensor | None = None) -> Tensor:
    if rounding_mode is None:
        return apply("div", input, other, out=out)
    if rounding_mode not in ("floor", "trunc"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")
    op = "div_floor" if rounding_mode == "floor" else "div_trunc"
    check_kernel_dtype(op, (input, other))
    _check_int_zero("div", input, other)
    return apply(op, input, other, out=out)


true_divide = divide = div


def _not_implemented_backward(c, g: Tensor):
    raise RuntimeError(f"derivative for aten::{c.op} is not implemented")


def _without_derivative(op: str, fn, input, other, out: Tensor | None) -> Tensor:
    """fn(input, other) as torch's ops that have no derivative: the result still requires grad (grad_fn
    NotImplemented) and backward raises."""
    if out is not None or not needs_graph(input, other):
        return fn(input, other, out=out)
    with grad_mode.no_grad():
        res = fn(input, other)
    node = record("NotImplemented", _not_implemented_backward,
                  tuple(t if isinstance(t, Tensor) else None for t in (input, other)), (res,))
    node.op = op
    return res


def floor_divide(input, other, *, out: Tensor | None = None) -> Tensor:
    return _without_derivative("floor_divide", lambda a, b, out=None: div(a, b, rounding_mode="floor", out=out),
                               input, other, out)


def check_int_pow(input: Tensor, exponent) -> None:
    """torch refuses a negative Python int exponent of an integer tensor; a tensor of negative exponents computes
    (pow_int)."""
    if (input.dtype.category < dtypes.FLOAT and isinstance(exponent, int) and not isinstance(exponent, bool)
            and exponent < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")


def pow(input, exponent, *, out: Tensor | None = None) -> Tensor:
    if is_scalar(input) and isinstance(exponent, Tensor):
        return renamed(apply("pow", input, exponent, out=out), "PowBackward2")  # (torch's node names by overload)
    check_tensor(input, "pow")
    if isinstance(exponent, Tensor):
        return renamed(apply("pow", input, exponent, out=out), "PowBackward1")
    if input.is_complex() and is_scalar(exponent) and exponent in _COMPLEX_POW_SPECIAL:
        # torch's complex pow by these scalars runs sqrt / rsqrt / reciprocal / products (0j ** -1 is inf+nanj)
        return renamed(_COMPLEX_POW_SPECIAL[exponent](input, out), "PowBackward0")
    check_int_pow(input, exponent)
    if exponent == 2 if is_scalar(exponent) else False:
        return square(input, out=out)
    if input.dtype is dtypes.bool and isinstance(exponent, bool):
        # torch answers exponents 0 and 1 without its pow kernel (which has no bool form): ones, or a copy
        return apply("logical_or", input, not exponent, out=out)
    if input.dtype in dtypes.HALF_DTYPES and isinstance(exponent, float):
        exponent = float(input.dtype.np.type(exponent))  # torch casts a float exponent to the 16-bit type
    return apply("pow", input, exponent, out=out)


_COMPLEX_POW_SPECIAL = {
    # torch answers exponents 0 and 1 without its kernel: ones (its kernel gives 0j ** 0 = nan) and a copy
    0: lambda x, out: apply("pow", apply("where", x == 0, 1, x), 0, out=out),
    1: lambda x, out: x.clone() if out is None else apply("pow", x, 1, out=out),
    0.5: lambda x, out: apply("sqrt", x, out=out),
    -0.5: lambda x, out: apply("rsqrt", x, out=out),
    -1: lambda x, out: apply("reciprocal", x, out=out),
    3: lambda x, out: apply("mul", apply("mul", x, x), x, out=out),
    -2: lambda x, out: apply("reciprocal", apply("mul", x, x), out=out),
}


def float_power(input, exponent, *, out: Tensor | None = None) -> Tensor:
    """pow computed in float64 (the result is float64; an out= of another dtype raises, as torch)."""
    cplx = any(isinstance(v, complex) or isinstance(v, Tensor) and v.is_complex() for v in (input, exponent))
    want = dtypes.complex128 if cplx else dtypes.float64  # (complex operands compute in complex128, as torch)
    if out is not None and out.dtype is not want:
        raise RuntimeError(f"the output given to float_power has dtype {dtypes.torch_name(out.dtype)} but the "
                           f"operation's result requires dtype {dtypes.torch_name(want)}")
    a = input.to(want) if isinstance(input, Tensor) else (complex if cplx else float)(input)
    b = exponent.to(want) if isinstance(exponent, Tensor) else (complex if cplx else float)(exponent)
    return apply("pow", a, b, out=out)


def square(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """input * input; recorded as torch's pow(input, 2) node (PowBackward0, one edge) when input requires grad."""
    if input.dtype is dtypes.bool or (out is None and needs_graph(input)):
        return apply("pow", input, 2)
    return apply("mul", input, input, out=out)


def round(input: Tensor, *, decimals: int = 0, out: Tensor | None = None) -> Tensor:
    if decimals == 0:
        return apply("round", input, out=out)
    return apply("round_decimals", input, params=(decimals,), out=out)


def clamp(input: Tensor, min=None, max=None, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if input.dtype is dtypes.bool and all(isinstance(b, bool) for b in (min, max) if b is not None):
        kind = "clamp_scalar" if min is not None and max is not None else "clamp_min_scalar" if max is None \
            else "clamp_max_scalar"  # a bool result: torch has no bool clamp kernel
        raise NotImplementedError(f"\"{kind}_{'cuda' if input.is_cuda else 'cpu'}\" not implemented for 'Bool'")
    if input.dtype is dtypes.bool and (min is None or max is None):
        bound = max if min is None else min
        if isinstance(bound, Tensor) and bound.dtype is dtypes.bool:
            # one bool tensor bound of a bool tensor: torch's clamp_min / clamp_max run its maximum / minimum
            # kernels (or / and), which have bool; both bounds: clamp_cpu has no bool kernel
            return apply("maximum" if max is None else "minimum", input, bound, out=out)
    if max is None:
        res = apply("clamp_min", input, min, out=out)
    elif min is None:
        res = apply("clamp_max", input, max, out=out)
    else:
        res = apply("clamp", input, min, max, out=out)
    # torch's node names by overload: clamp with tensor bounds ClampBackward0, with numbers ClampBackward1
    return renamed(res, "ClampBackward0" if isinstance(min, Tensor) or isinstance(max, Tensor) else "ClampBackward1")


clip = clamp


@takes_out("clamp_min", "Found dtype {Got} but expected {Want}")
def clamp_min(input: Tensor, min) -> Tensor:
    return renamed(clamp(input, min=min), "ClampMinBackward1" if isinstance(min, Tensor) else "ClampMinBackward0")


@takes_out("clamp_max", "Found dtype {Got} but expected {Want}")
def clamp_max(input: Tensor, max) -> Tensor:
    return renamed(clamp(input, max=max), "ClampMaxBackward1" if isinstance(max, Tensor) else "ClampMaxBackward0")


def where(condition: Tensor, input=None, other=None, *, out: Tensor | None = None) -> Tensor:
    if out is None and type(condition) in TENSOR_TYPES and type(input) is type(other) and type(input) in TENSOR_TYPES:
        arr = input._data
        if condition._data.dtype == _NP_BOOL and arr.dtype == other._data.dtype and type(arr) is np.ndarray:
            # the common call (a bool mask, two tensors of one dtype): the checks below pass; apply's fast path
            res = _where_fast(condition, input, other)
            if res is None:
                res = _apply_fast_given("where", (condition, input, other), dtypes._FROM_NP[arr.dtype])
            if res is not None:
                return res
    check_tensor(condition, "where", "condition")
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if condition.dtype is dtypes.uint8:  # torch still takes a uint8 condition, with its deprecation warning
        warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed in a future "
             "version of PyTorch. Use a boolean condition instead.")
        condition = condition != 0
    if condition.dtype is not dtypes.bool:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{condition.dtype.name.capitalize()}")
    if type(input) is type(other) and type(input) in TENSOR_TYPES and input._data.dtype == other._data.dtype:
        compute = input.dtype  # (what result_dtype gives for two tensors of one dtype)
    else:
        from ._util import result_dtype

        compute = result_dtype(input, other)
    return apply("where", condition, input, other, out=out, compute=compute)


_NP_BOOL = np.dtype(np.bool_)


def lerp(input: Tensor, end: Tensor, weight, *, out: Tensor | None = None) -> Tensor:
    if not (isinstance(input, Tensor) and input.is_complex()):
        float_only(input, "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar")
    return apply("lerp", input, end, weight, out=out)


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out: Tensor | None = None) -> Tensor:
    return apply("addcmul", input, tensor1, tensor2, params=(number_arg(value, "addcmul", "value"),), out=out)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value=1, out: Tensor | None = None) -> Tensor:
    if tensor1.dtype.category < dtypes.FLOAT and tensor2.dtype.category < dtypes.FLOAT:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2.")
    return apply("addcdiv", input, tensor1, tensor2, params=(number_arg(value, "addcdiv", "value"),), out=out)


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None,
               *, out: Tensor | None = None) -> Tensor:
    return apply("nan_to_num", input, params=nan_to_num_params(input.dtype, nan, posinf, neginf), out=out)


def nan_to_num_params(dt: dtypes.dtype, nan, posinf, neginf) -> tuple[float, float, float]:
    """torch's Optional[float] arguments of nan_to_num(_): None is the default (0, the dtype's max, its min);
    a number or a 0-d tensor gives its value."""
    def value(v, name: str, pos: int, default: float) -> float:
        if v is None:
            return default
        if isinstance(v, Tensor) and v.ndim == 0 or isinstance(v, int | float) and not isinstance(v, complex):
            return float(v)
        raise TypeError(f"nan_to_num(): argument '{name}' (position {pos}) must be float, not {type(v).__name__}")

    lo, hi = _float_info(dt)
    return value(nan, "nan", 2, 0.0), value(posinf, "posinf", 3, hi), value(neginf, "neginf", 4, lo)


def _float_info(dt: dtypes.dtype) -> tuple[float, float]:
    dt = dt.to_real()  # (complex: its parts')
    if not dt.is_floating_point:
        return (0.0, 0.0)
    fi = dtypes.np_finfo(dt.np)
    return (float(fi.min), float(fi.max))


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    check_tensor(input, "isclose")
    check_tensor(other, "isclose", "other")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    return apply("isclose", input, other, params=(rtol, atol, equal_nan))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input: Tensor, other: Tensor) -> bool:
    if type(input) is not Tensor or type(other) is not Tensor:  # (the checks pass for plain tensors: no calls)
        check_tensor(input, "equal")
        check_tensor(other, "equal", "other")
    x, y = input._data, other._data
    if x.shape != y.shape:
        return False
    if type(x) is np.ndarray and type(y) is np.ndarray and x.dtype == y.dtype and x.dtype.kind in "biuf" \
            and 0 < x.size <= 1024:
        # a small host pair of one real NumPy dtype: the buffers' elementwise == (values, so NaN differs from
        # itself and -0.0 equals 0.0, as torch), which is cheaper here than a kernel and a reduction
        return x.data == y.data
    return bool(apply("eq", input, other).all())


def float_only(input: Tensor, kernel: str, complex_ok: bool = False) -> None:
    """torch's activation kernels exist for floating dtypes only (some for complex too): integer and bool inputs
    raise, not promote."""
    check_tensor(input, kernel)
    if not input.dtype.is_floating_point and not (complex_ok and input.dtype.is_complex):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.torch_name(input.dtype)}'")


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    float_only(input, "GeluKernelImpl")
    return apply("gelu" if approximate == "none" else "gelu_tanh", input)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    float_only(input, "softplus_cpu")
    return apply("softplus", input, params=(beta, threshold))


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "relu")
    if input.dtype is dtypes.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    if inplace:
        return apply_inplace("relu", input)
    return apply("relu", input)


def positive(input: Tensor) -> Tensor:
    """torch.positive: input itself (not a copy); bool tensors are refused as torch does."""
    check_tensor(input, "positive")
    if input.dtype is dtypes.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def logit(input: Tensor, eps: float | None = None, *, out: Tensor | None = None) -> Tensor:
    """log(p / (1 - p)); with eps, p is first clamped to [eps, 1 - eps]. eps < 0 means no clamp, as in torch."""
    check_tensor(input, "logit")
    return apply("logit", input, params=(-1.0 if eps is None else float(eps),), out=out)


def _tensor_pair(name: str, input, other, other_name: str = "other") -> None:
    check_tensor(input, name)
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument '{other_name}' (position 2) must be Tensor, not {type(other).__name__}")


def check_heaviside(input: Tensor, values: Tensor) -> None:
    _tensor_pair("heaviside", input, values, "values")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")


def heaviside(input: Tensor, values: Tensor, *, out: Tensor | None = None) -> Tensor:
    """0 where input < 0, 1 where input > 0 (NaN counts as neither: 0), `values` where input == 0."""
    check_heaviside(input, values)
    return _without_derivative("heaviside", lambda a, b, out=None: apply("heaviside", a, b, out=out), input, values,
                               out)


def _make_int_binary(name: str):
    def fn(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
        _tensor_pair(name, input, other)
        check_kernel_dtype(name, (input, other))
        return apply(name, input, other, out=out)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}: integer tensors only; the result is never negative (torch's sign rules)."
    return fn


FUNCTIONS |= {  # (square and relu replace their table forms: torch's bool rules)
    "square": square, "relu": relu, "positive": positive, "logit": logit, "heaviside": heaviside,
    "gcd": _make_int_binary("gcd"),
    "lcm": _make_int_binary("lcm"), "sgn": FUNCTIONS["sign"], "arcsinh": FUNCTIONS["asinh"],
    "arccosh": FUNCTIONS["acosh"], "arctanh": FUNCTIONS["atanh"],
}


_LDEXP = FUNCTIONS["ldexp"]


def ldexp(input, other, *, out: Tensor | None = None) -> Tensor:
    """torch.ldexp: input * 2**other; a complex operand takes torch's composite (mul by pow), the kernel is real."""
    if any(isinstance(a, Tensor) and a.is_complex() for a in (input, other)):
        return FUNCTIONS["mul"](input, pow(2.0, other), out=out)
    return _LDEXP(input, other, out=out)


FUNCTIONS["ldexp"] = ldexp

INF = math.inf
