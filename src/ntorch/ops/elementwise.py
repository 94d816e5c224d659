"""Elementwise ops: one table entry per op (scalar expression per dtype kind, result rule, dtypes).

An expression is written over operands `x, y, z` and parameters `p0, p1, ...`; `T` is the compute
dtype's NumPy type inside the kernel. Expression keys, most specific first: a dtype name
("float32"), "f32" (float32, float16 and bfloat16, which compute in float32), "float", "int", "bool", "any".
The kernels for each (op, dtype) are registered with the dispatcher below the table.
"""

from __future__ import annotations

import cmath
import math
import traceback
from dataclasses import dataclass, field, replace

import numba
import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode, inplace
from ..autograd.graph import Node, edge_of, needs_graph, saved_tensor
from ..cuda.array import CudaArray
from ..cuda.array import empty_checked as _cuda_empty
from ..dtypes import BOOL, COMPLEX, FLOAT, INT
from ..kernels.cpu import codegen
from ..kernels.cpu.elementwise import PARALLEL_MIN_ELEMENTS, ElementwiseKernel
from ..tensor import Tensor
from ._util import is_scalar, result_dtype, write_out

F = dtypes.FLOAT_DTYPES
I = dtypes.INTEGER_DTYPES
NUM = dtypes.NUMERIC_DTYPES
ALL = dtypes.REAL_DTYPES


@dataclass(frozen=True)
class Op:
    name: str
    exprs: dict
    arity: int = 1
    # "same": the promoted dtype, "float": ints become float, "bool", "real": "same" with a complex compute dtype
    # giving its real dtype (abs)
    result: str = "same"
    dtypes: tuple = NUM
    nparams: int = 0
    aliases: tuple = field(default=())


def _unary_float(name: str, f32: str, f64: str, **kw) -> Op:
    return Op(name, {"f32": f32, "float": f64}, result="float", dtypes=F, **kw)


OPS: list[Op] = [
    Op("neg", {"any": "-x"}),
    Op("abs", {"any": "abs(x)"}),
    Op("sign", {"float": "fsign(x)", "int": "sign(x)", "bool": "x"}, dtypes=ALL),
    Op("square", {"any": "x * x"}),
    _unary_float("exp", "exp_f32(x)", "math.exp(x)"),
    _unary_float("exp2", "exp2_f32(x)", "2.0 ** x"),
    _unary_float("expm1", "expm1_f32(x)", "math.expm1(x)"),
    _unary_float("log", "log_f32(x)", "np.log(x)"),
    _unary_float("log2", "log2_f32(x)", "np.log2(x)"),
    _unary_float("log10", "log10_f32(x)", "np.log10(x)"),
    _unary_float("log1p", "log1p_f32(x)", "np.log1p(x)"),
    _unary_float("sqrt", "np.sqrt(x)", "np.sqrt(x)"),
    _unary_float("rsqrt", "T(1) / np.sqrt(x)", "T(1) / np.sqrt(x)"),
    _unary_float("reciprocal", "T(1) / x", "T(1) / x"),
    _unary_float("sin", "np.sin(x)", "np.sin(x)"),
    _unary_float("cos", "np.cos(x)", "np.cos(x)"),
    _unary_float("tan", "np.tan(x)", "np.tan(x)"),
    _unary_float("asin", "np.arcsin(x)", "np.arcsin(x)"),
    _unary_float("acos", "np.arccos(x)", "np.arccos(x)"),
    _unary_float("atan", "np.arctan(x)", "np.arctan(x)"),
    _unary_float("sinh", "np.sinh(x)", "np.sinh(x)"),
    _unary_float("cosh", "np.cosh(x)", "np.cosh(x)"),
    _unary_float("tanh", "tanh_f32(x)", "np.tanh(x)"),
    _unary_float("sigmoid", "sigmoid_f32(x)", "T(1) / (T(1) + math.exp(-x))"),
    _unary_float("erf", "erf_f32(x)", "math.erf(x)"),
    _unary_float("erfc", "erfc_f32(x)", "math.erfc(x)"),
    # PyTorch's formula (and its rounding for large negative x), with a one-pass rational erf (6 ulp) for float32:
    # 1.5x faster than with the 1-ulp erf_f32; gelu_erf_f32 keeps relative accuracy for negative x but is slower still
    _unary_float(
        "gelu", "gelu_f32(x)",
        "T(0.5) * x * (T(1) + math.erf(x * T(0.7071067811865476)))",
    ),
    _unary_float(
        "gelu_tanh", "gelu_tanh_f32(x) if x != -math.inf else x - x",  # torch: -inf * 0 = NaN
        "T(0.5) * x * (T(1) + np.tanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x)))",
    ),
    # silu(-inf) is -inf / inf = NaN in torch (silu_f32 gives the limit -0.0 there)
    _unary_float("silu", "silu_f32(x) if x != -math.inf else x - x", "x / (T(1) + math.exp(-x))"),
    _unary_float(
        "softplus", "softplus_f32(x, T(p0), T(p1))",
        "x if x * p0 > p1 else np.log1p(math.exp(x * p0)) / p0", nparams=2,
    ),
    Op("relu", {"any": "x if not (x < 0) else T(0)"}),  # (-0.0 and NaN pass through, as torch's)
    # relu's gradient in one pass (ATen's threshold_backward): x is the incoming gradient, y relu's output
    Op("threshold_backward", {"any": "x if not (y <= 0) else T(0)"}, arity=2, dtypes=F),
    Op("floor", {"float": "np.floor(x)", "int": "x"}),
    Op("ceil", {"float": "np.ceil(x)", "int": "x"}),
    Op("trunc", {"float": "np.trunc(x)", "int": "x"}),
    Op("round", {"float": "np.copysign(round_half_even(x), x)", "int": "x"}),  # round(-0.25) is -0.0
    Op("round_decimals", {"float": "round_decimals(x, p0)"}, dtypes=F, nparams=1),
    Op("frac", {"float": "frac(x)"}, dtypes=F),
    Op("isnan", {"float": "x != x", "any": "False"}, result="bool", dtypes=ALL),
    Op("isinf", {"float": "np.isinf(x)", "any": "False"}, result="bool", dtypes=ALL),
    Op("isfinite", {"float": "np.isfinite(x)", "any": "True"}, result="bool", dtypes=ALL),
    Op("nan_to_num", {"float": "nan_to_num(x, T(p0), T(p1), T(p2))", "any": "x"}, dtypes=ALL, nparams=3),
    Op("logical_not", {"any": "not x"}, result="bool", dtypes=ALL),
    Op("bitwise_not", {"int": "~x", "bool": "not x"}, dtypes=I + (dtypes.bool,)),
    # binary
    Op("add", {"bool": "x | y", "any": "x + y"}, 2, dtypes=ALL),
    # add/sub with alpha, addcmul and lerp (in scalar.lerp) round once for floats, as torch's CPU kernels (fmadd)
    Op("add_alpha", {"bool": "x | (y & p0)", "float": "fma(T(p0), y, x)", "any": "x + T(p0) * y"}, 2, dtypes=ALL,
       nparams=1),
    Op("sub", {"any": "x - y"}, 2),
    Op("sub_alpha", {"float": "fma(-T(p0), y, x)", "any": "x - T(p0) * y"}, 2, nparams=1),
    Op("mul", {"bool": "x & y", "any": "x * y"}, 2, dtypes=ALL),
    Op("div", {"any": "x / y"}, 2, result="float", dtypes=F),
    # y == -1 by itself: Numba's int64 min // -1 is 0, torch's wraps to min (and min % -1 is 0)
    Op("div_floor", {"float": "floor_divide_float(x, y)", "int": "x // y if y != -1 else -x"}, 2),
    Op("div_trunc", {"float": "np.trunc(x / y)", "int": "trunc_divide_int(x, y)"}, 2),
    Op("remainder", {"float": "remainder_float(x, y)", "int": "remainder_int(x, y) if y != -1 else x - x"}, 2),
    Op("fmod", {"float": "np.fmod(x, y)", "int": "x - trunc_divide_int(x, y) * y if y != -1 else x - x"}, 2),
    Op("pow", {"float": "x ** y", "int": "pow_int(x, y)"}, 2),
    Op("atan2", {"any": "np.arctan2(x, y)"}, 2, result="float", dtypes=F),
    Op("hypot", {"any": "np.hypot(x, y)"}, 2, dtypes=F),
    Op("maximum", {"float": "maximum_nan(x, y)", "bool": "x | y", "any": "max(x, y)"}, 2, dtypes=ALL),
    Op("minimum", {"float": "minimum_nan(x, y)", "bool": "x & y", "any": "min(x, y)"}, 2, dtypes=ALL),
    Op("fmax", {"float": "fmax(x, y)", "bool": "x | y", "any": "max(x, y)"}, 2, dtypes=ALL),
    Op("fmin", {"float": "fmin(x, y)", "bool": "x & y", "any": "min(x, y)"}, 2, dtypes=ALL),
    Op("eq", {"any": "x == y"}, 2, result="bool", dtypes=ALL),
    Op("ne", {"any": "x != y"}, 2, result="bool", dtypes=ALL),
    Op("lt", {"any": "x < y"}, 2, result="bool", dtypes=ALL),
    Op("le", {"any": "x <= y"}, 2, result="bool", dtypes=ALL),
    Op("gt", {"any": "x > y"}, 2, result="bool", dtypes=ALL),
    Op("ge", {"any": "x >= y"}, 2, result="bool", dtypes=ALL),
    Op("logical_and", {"any": "(x != 0) and (y != 0)"}, 2, result="bool", dtypes=ALL),
    Op("logical_or", {"any": "(x != 0) or (y != 0)"}, 2, result="bool", dtypes=ALL),
    Op("logical_xor", {"any": "(x != 0) != (y != 0)"}, 2, result="bool", dtypes=ALL),
    Op("bitwise_and", {"any": "x & y"}, 2, dtypes=I + (dtypes.bool,)),
    Op("bitwise_or", {"any": "x | y"}, 2, dtypes=I + (dtypes.bool,)),
    Op("bitwise_xor", {"any": "x ^ y"}, 2, dtypes=I + (dtypes.bool,)),
    Op("isclose", {"float": "isclose(x, y, p0, p1, p2)", "any": "x == y"}, 2, result="bool", dtypes=ALL,
       nparams=3),
    # conformance additions: unary float ops (ints and bool compute in the default float dtype)
    _unary_float("asinh", "np.arcsinh(x)", "np.arcsinh(x)"),
    _unary_float("acosh", "np.arccosh(x)", "np.arccosh(x)"),
    _unary_float("atanh", "np.arctanh(x)", "np.arctanh(x)"),
    _unary_float("deg2rad", "x * T(0.017453292519943295)", "x * T(0.017453292519943295)"),
    _unary_float("rad2deg", "x * T(57.29577951308232)", "x * T(57.29577951308232)"),
    _unary_float("sinc", "T(1) if x == 0 else np.sin(T(3.141592653589793) * x) / (T(3.141592653589793) * x)",
                 "T(1) if x == 0 else np.sin(T(3.141592653589793) * x) / (T(3.141592653589793) * x)"),
    _unary_float("logit", "logit(x, T(p0), T(1), p0 >= 0)", "logit(x, T(p0), T(1), p0 >= 0)", nparams=1),
    # special functions: float64 inside the helpers (kernels/cpu/scalar.py), trigamma and i1 for the backwards
    _unary_float("lgamma", "math.lgamma(x)", "math.lgamma(x)"),
    _unary_float("digamma", "digamma(x)", "digamma(x)"),
    _unary_float("trigamma", "trigamma(x)", "trigamma(x)"),
    _unary_float("i0", "i0(x)", "i0(x)"),
    _unary_float("i1", "i1(x)", "i1(x)"),
    _unary_float("erfinv", "erfinv(x)", "erfinv(x)"),
    # torch.special's Bessel and Airy functions (kernels/cpu/scalar.py), the incomplete gamma functions and the
    # orthogonal polynomials of integer degree y (truncated toward zero, as torch casts it)
    *(_unary_float(name, expr, expr) for name, expr in (
        ("i0e", "i0e(x)"), ("i1e", "i1e(x)"), ("bessel_j0", "bessel_j0(x)"), ("bessel_j1", "bessel_j1(x)"),
        ("bessel_y0", "bessel_y0(x)"), ("bessel_y1", "bessel_y1(x)"),
        ("modified_bessel_k0", "bessel_k(x, 0, False)"), ("modified_bessel_k1", "bessel_k(x, 1, False)"),
        ("scaled_modified_bessel_k0", "bessel_k(x, 0, True)"), ("scaled_modified_bessel_k1", "bessel_k(x, 1, True)"),
        ("spherical_bessel_j0", "spherical_bessel_j0(x)"), ("airy_ai", "airy_ai(x)"))),
    Op("gammainc", {"any": "igamma(x, y, False)"}, 2, result="float", dtypes=F),
    Op("gammaincc", {"any": "igamma(x, y, True)"}, 2, result="float", dtypes=F),
    *(Op(name, {"any": expr}, 2, result="float", dtypes=F) for name, expr in (
        ("chebyshev_polynomial_t", "chebyshev_t(x, y)"), ("chebyshev_polynomial_u", "chebyshev_u(x, y)"),
        ("chebyshev_polynomial_v", "chebyshev_v(x, y)"), ("chebyshev_polynomial_w", "chebyshev_w(x, y)"),
        ("shifted_chebyshev_polynomial_t", "chebyshev_t(x + x - T(1), y)"),
        ("shifted_chebyshev_polynomial_u", "chebyshev_u(x + x - T(1), y)"),
        ("shifted_chebyshev_polynomial_v", "chebyshev_v(x + x - T(1), y)"),
        ("shifted_chebyshev_polynomial_w", "chebyshev_w(x + x - T(1), y)"),
        ("hermite_polynomial_h", "hermite_h(x, y)"), ("hermite_polynomial_he", "hermite_he(x, y)"),
        ("laguerre_polynomial_l", "laguerre_l(x, y)"), ("legendre_polynomial_p", "legendre_p(x, y)"))),
    Op("signbit", {"float": "np.copysign(T(1), x) < T(0)", "bool": "False", "any": "x < 0"}, result="bool",
       dtypes=ALL),
    Op("copysign", {"any": "np.copysign(x, y)"}, 2, result="float", dtypes=F),
    Op("heaviside", {"any": "y if x == 0 else T(x > 0)"}, 2, dtypes=ALL),
    Op("logaddexp", {"any": "logaddexp(x, y)"}, 2, dtypes=F),
    Op("logaddexp2", {"any": "logaddexp2(x, y)"}, 2, dtypes=F),
    Op("xlogy", {"any": "xlogy(x, y)"}, 2, result="float", dtypes=F),
    Op("nextafter", {"float16": "nextafter_f16(x, y)", "bfloat16": "nextafter_bf16(x, y)",
                     "any": "np.nextafter(x, y)"}, 2, dtypes=F),
    Op("ldexp", {"any": "x * T(2) ** y"}, 2, result="float", dtypes=F),
    Op("gcd", {"int": "gcd(x, y)"}, 2, dtypes=I),
    Op("lcm", {"int": "lcm(x, y)"}, 2, dtypes=I),
    Op("bitwise_left_shift", {"uint8": "lshift(x, y, 8)", "int8": "lshift(x, y, 8)", "int16": "lshift(x, y, 16)",
                              "int32": "lshift(x, y, 32)", "int64": "lshift(x, y, 64)"}, 2, dtypes=I),
    Op("bitwise_right_shift", {"uint8": "rshift(x, y, 8)", "int8": "rshift(x, y, 7)", "int16": "rshift(x, y, 15)",
                               "int32": "rshift(x, y, 31)", "int64": "rshift(x, y, 63)"}, 2, dtypes=I),
    # ternary
    Op("where", {"any": "y if x != 0 else z"}, 3, dtypes=ALL),  # numba-cuda: `if x` of a float16 is invalid IR
    Op("clamp", {"float": "clamp_nan(x, y, z)", "any": "min(max(x, y), z)"}, 3),
    Op("clamp_min", {"float": "maximum_nan(x, y)", "any": "max(x, y)"}, 2),
    Op("clamp_max", {"float": "minimum_nan(x, y)", "any": "min(x, y)"}, 2),
    Op("lerp", {"any": "lerp(x, y, z)"}, 3, dtypes=F),
    Op("addcmul", {"float": "fma(T(p0) * y, z, x)", "any": "x + T(p0) * y * z"}, 3, nparams=1),
    Op("addcdiv", {"any": "x + T(p0) * y / z"}, 3, dtypes=F, nparams=1),
]

# Complex forms of the ops torch supports for complex64/complex128 ("any": the op's own generic expression). NumPy's
# ufuncs take complex scalars in Numba; the result of a complex op stays complex except abs's (its real dtype).
_COMPLEX_EXPRS = {
    # add/sub multiply `other` by alpha as a complex product even when alpha is 1, as torch's kernel (a + alpha * b):
    # (1+2j) - inf is -inf+nanj (0 * inf in the imaginary part), and sub is add with -alpha
    "add": "x + T(1) * y", "add_alpha": "x + T(p0) * y", "sub": "x + T(-1) * y", "sub_alpha": "x + T(-p0) * y",
    "neg": "any", "square": "any", "mul": "any",
    # divisions by cdiv (torch's formula: x / 0j is complex inf or nan, where Numba's complex division raises)
    "div": "T(cdiv(x, y))", "eq": "any", "ne": "any", "where": "any", "addcmul": "any",
    "addcdiv": "x + T(cdiv(T(p0) * y, z))",
    "logical_not": "x == T(0)", "logical_and": "any", "logical_or": "any", "logical_xor": "any",
    # complex64's modulus in float64 (no overflow, 2x faster than Numba's hypot-based abs)
    "abs": {"complex64": "np.sqrt(np.float64(x.real) * np.float64(x.real) + np.float64(x.imag) * np.float64(x.imag))",
            "complex": "abs(x)"},
    "pow": "T(cpow(x, y))", "reciprocal": "T(cdiv(T(1), x))", "rsqrt": "T(cdiv(T(1), np.sqrt(x)))",
    "sigmoid": "T(cdiv(T(1), T(1) + np.exp(-x)))", "silu": "T(cdiv(x, T(1) + np.exp(-x)))",
    "isnan": "np.isnan(x)", "isinf": "np.isinf(x)", "isfinite": "np.isfinite(x)",
    "isclose": "x == y or (p2 and np.isnan(x) and np.isnan(y)) or "
               "(np.isfinite(abs(x - y)) and abs(x - y) <= p1 + p0 * abs(y))",
    "lerp": "x + z * (y - x) if abs(z) < 0.5 else y - (y - x) * (T(1) - z)",
    "sinc": "T(1) if x == T(0) else np.sin(T(3.141592653589793) * x) / (T(3.141592653589793) * x)",
    "nan_to_num": "T(complex(nan_to_num(x.real, p0, p1, p2), nan_to_num(x.imag, p0, p1, p2)))",
    **{name: f"np.{name}(x)" for name in ("exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sin",
                                          "cos", "tan", "sinh", "cosh", "tanh")},
    **{name: f"np.arc{name[1:]}(x)" for name in ("asin", "acos", "atan", "asinh", "acosh", "atanh")},
}

def _with_complex(op: Op, expr) -> Op:
    """op with complex dtypes added: expr is "any" (op's generic expression), one expression, or one per key."""
    exprs = op.exprs if expr == "any" else op.exprs | (expr if isinstance(expr, dict) else {"complex": expr})
    return replace(op, dtypes=op.dtypes + dtypes.COMPLEX_DTYPES, exprs=exprs,
                   result="real" if op.name == "abs" else op.result)


OPS = [_with_complex(op, _COMPLEX_EXPRS[op.name]) if op.name in _COMPLEX_EXPRS else op for op in OPS]
_C = dtypes.COMPLEX_DTYPES
OPS += [  # complex-only ops (ops/complex.py): complex() and polar() take float operands computed as complex
    Op("conj", {"complex": "np.conj(x)"}, dtypes=_C),
    Op("sgn", {"complex": "x / abs(x) if x != T(0) else T(0)"}, dtypes=_C),
    Op("angle", {"complex": "np.arctan2(x.imag, x.real)"}, result="real", dtypes=_C),
    Op("isreal", {"complex": "x.imag == 0"}, result="bool", dtypes=_C),
    Op("make_complex", {"complex": "T(complex(x.real, y.real))"}, 2, dtypes=_C),
    Op("polar", {"complex": "T(complex(x.real * np.cos(y.real), x.real * np.sin(y.real)))"}, 2, dtypes=_C),
]
OP_BY_NAME = {op.name: op for op in OPS}

# torch's errors for complex inputs to the ops it has no complex kernel for (type, message; {device}); any other
# op says '"<op>_<device>" not implemented for 'ComplexFloat'' (NotImplementedError, a RuntimeError)
_COMPLEX_REFUSED = {
    **{name: (RuntimeError, f"{name} not implemented for complex tensors.")
       for name in ("maximum", "minimum", "fmax", "fmin")},
    **{name: (NotImplementedError, "clamp is not supported for complex types")
       for name in ("clamp", "clamp_min", "clamp_max", "relu")},
    **{name: (NotImplementedError, f"{name} is not supported for complex inputs")
       for name in ("floor", "ceil", "trunc")},
    "sign": (NotImplementedError, "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                                  "torch.sgn instead."),
    "signbit": (NotImplementedError, "signbit is not implemented for complex tensors."),
    "heaviside": (RuntimeError, "heaviside is not yet implemented for complex tensors."),
    "deg2rad": (RuntimeError, "deg2rad is not supported for complex tensors."),
    "rad2deg": (RuntimeError, "rad2deg is not supported for complex tensors."),
    **{name: (NotImplementedError, f"\"{name}_vml_{{device}}\" not implemented for '{{dtype}}'")
       for name in ("round", "erf", "erfc", "lgamma", "erfinv", "i0")},
    "gelu": (NotImplementedError, "\"GeluKernelImpl\" not implemented for '{dtype}'"),
}


def complex_refused(name: str, dt: dtypes.dtype, device: str = "cpu") -> Exception:
    """torch's error for elementwise op `name` on complex dtype dt, which it has no kernel for."""
    error, message = _COMPLEX_REFUSED.get(name, (NotImplementedError, f"\"{name}_{{device}}\" not implemented for "
                                                                      "'{dtype}'"))
    return error(message.format(device=device, dtype=dtypes.torch_name(dt)))


# Backward formulas, beside the table: name -> (what the formula reads, formula(c, g) -> one grad per operand).
# In a formula, c.x / c.y / c.z are the operands (tensors or Python scalars), c.o the output, c.p0.. the
# parameters; g is the output's gradient. Written with ntorch ops, so create_graph=True differentiates
# them again. Grads are summed back to each operand's shape and dtype by ElementwiseBackward.
_LN2, _LN10 = 0.6931471805599453, 2.302585092994046
_TWO_OVER_SQRT_PI, _INV_SQRT_2PI, _SQRT_2_OVER_PI = 1.1283791670955126, 0.3989422804014327, 0.7978845608028654


def _gelu_grad(c, g):
    cdf = ((c.x * 0.7071067811865476).erf() + 1) * 0.5
    pdf = (c.x * c.x * -0.5).exp() * _INV_SQRT_2PI
    return (g * (cdf + c.x * pdf),)


def _gelu_tanh_grad(c, g):
    x = c.x
    t = ((x + x * x * x * 0.044715) * _SQRT_2_OVER_PI).tanh()
    left = (t + 1) * 0.5
    right = x * 0.5 * (1 - t * t) * _SQRT_2_OVER_PI * (x * x * 0.134145 + 1)
    return (g * (left + right),)


def _silu_grad(c, g):
    s = c.x.sigmoid()
    return (g * s * (c.x * (1 - s) + 1),)


def _pow_grad(c, g):
    x, y = c.x, c.y
    gx = gy = None
    if c.needs(0):
        gx = (g * y * x ** (y - 1)).masked_fill(y == 0, 0.0) if isinstance(y, Tensor) else \
            (g * 0.0 if y == 0 else g * y * x ** (y - 1))
    if c.needs(1):
        gy = (g * c.o * x.log()).masked_fill((x == 0) & (y >= 0), 0.0) if isinstance(x, Tensor) else \
            g * c.o * math.log(x) if x > 0 else g * 0.0
    return gx, gy


def _max_min_grad(c, g, smaller_wins: bool):
    x, y = c.x, c.y
    lose_x = (x > y) if smaller_wins else (x < y)
    lose_y = (x < y) if smaller_wins else (x > y)
    half = (g / 2).where(x == y, g)
    return half.masked_fill(lose_x, 0.0), half.masked_fill(lose_y, 0.0)


def _fmax_fmin_grad(c, g, smaller_wins: bool):
    x, y = c.x, c.y
    x_wins = ((x <= y) if smaller_wins else (x >= y)) | y.isnan()
    return g.masked_fill(~x_wins, 0.0), g.masked_fill(x_wins, 0.0)


_PI_OVER_180, _SQRT_PI_OVER_2 = 0.017453292519943295, 0.8862269254527580


def _not_implemented(what: str, error: type = NotImplementedError):
    """A backward PyTorch has and ntorch does not (or, for heaviside, neither has)."""
    raise error(f"the derivative for '{what}' is not implemented.")


def _sinc_grad(c, g):
    px = c.x * math.pi
    return (g * ((px * px.cos() - px.sin()) / (px * c.x)).masked_fill(c.x == 0, 0.0),)


def _logit_grad(c, g):
    x, eps = c.x, c.p0
    grad = g / (x * (1 - x))
    if eps < 0:
        return (grad.masked_fill((x < 0) | (x > 1), math.nan),)
    return (grad.masked_fill((x < eps) | (x > 1 - eps), 0.0),)


def _xlogy_grad(c, g):
    x, y = c.x, c.y
    gx = gy = None
    if c.needs(0):
        gx = g * apply("xlogy", (x != 0).to(g.dtype), y)
    if c.needs(1):
        gy = g * x / y
    return gx, gy


def _ldexp_grad(c, g):
    scale = 2.0 ** c.y
    return g * scale, g * c.x * scale * _LN2 if c.needs(1) else None


def _gammainc_grad(c, g, sign: float):
    """d/dx P(a, x) = x^(a-1) e^-x / Gamma(a) (Q's is its negative); torch has no derivative in a."""
    if c.needs(0):
        _not_implemented("igamma: input")
    a, x = c.x, c.y
    return None, g * ((a - 1) * x.log() - x - apply("lgamma", a)).exp() * sign


def _zero(c, g):
    return tuple(g * 0.0 for _ in range(c.arity))


DERIVATIVES: dict[str, tuple[str, object]] = {
    "neg": ("", lambda c, g: (-g,)),
    "abs": ("x", lambda c, g: (g * c.x.sign(),)),
    "sign": ("", _zero),
    "square": ("x", lambda c, g: (g * c.x * 2,)),
    "exp": ("o", lambda c, g: (g * c.o,)),
    "exp2": ("o", lambda c, g: (g * c.o * _LN2,)),
    "expm1": ("o", lambda c, g: (g * (c.o + 1),)),
    "log": ("x", lambda c, g: (g / c.x,)),
    "log2": ("x", lambda c, g: (g / (c.x * _LN2),)),
    "log10": ("x", lambda c, g: (g / (c.x * _LN10),)),
    "log1p": ("x", lambda c, g: (g / (c.x + 1),)),
    "sqrt": ("o", lambda c, g: (g / (c.o * 2),)),
    "rsqrt": ("o", lambda c, g: (g * c.o * c.o * c.o * -0.5,)),
    "reciprocal": ("o", lambda c, g: (-g * c.o * c.o,)),
    "sin": ("x", lambda c, g: (g * c.x.cos(),)),
    "cos": ("x", lambda c, g: (-g * c.x.sin(),)),
    "tan": ("o", lambda c, g: (g * (c.o * c.o + 1),)),
    "asin": ("x", lambda c, g: (g * (1 - c.x * c.x).rsqrt(),)),
    "acos": ("x", lambda c, g: (-g * (1 - c.x * c.x).rsqrt(),)),
    "atan": ("x", lambda c, g: (g / (c.x * c.x + 1),)),
    "sinh": ("x", lambda c, g: (g * c.x.cosh(),)),
    "cosh": ("x", lambda c, g: (g * c.x.sinh(),)),
    "tanh": ("o", lambda c, g: (g * (1 - c.o * c.o),)),
    "sigmoid": ("o", lambda c, g: (g * c.o * (1 - c.o),)),
    "erf": ("x", lambda c, g: (g * (-c.x * c.x).exp() * _TWO_OVER_SQRT_PI,)),
    "erfc": ("x", lambda c, g: (g * (-c.x * c.x).exp() * -_TWO_OVER_SQRT_PI,)),
    "gelu": ("x", _gelu_grad),
    "gelu_tanh": ("x", _gelu_tanh_grad),
    "silu": ("x", _silu_grad),
    "softplus": ("x", lambda c, g: (g.where(c.x * c.p0 > c.p1, g * (c.x * c.p0).sigmoid()),)),
    "relu": ("o", lambda c, g: (apply("threshold_backward", g, c.o),)),
    "threshold_backward": ("y", lambda c, g: (apply("threshold_backward", g, c.y), None)),
    "floor": ("", _zero), "ceil": ("", _zero), "trunc": ("", _zero), "round": ("", _zero),
    "round_decimals": ("", _zero),
    "frac": ("", lambda c, g: (g,)),
    "nan_to_num": ("x", lambda c, g: (g.masked_fill(~c.x.isfinite(), 0.0),)),
    "add": ("", lambda c, g: (g, g)),
    "add_alpha": ("", lambda c, g: (g, g * c.p0)),
    "sub": ("", lambda c, g: (g, -g)),
    "sub_alpha": ("", lambda c, g: (g, g * -c.p0)),
    "mul": ("xy", lambda c, g: (g * c.y if c.needs(0) else None, g * c.x if c.needs(1) else None)),
    "div": ("xy", lambda c, g: (g / c.y, -g * c.x / (c.y * c.y) if c.needs(1) else None)),
    "div_floor": ("", _zero), "div_trunc": ("", _zero),
    "remainder": ("xy", lambda c, g: (g, -g * (c.x / c.y).floor() if c.needs(1) else None)),
    "fmod": ("xy", lambda c, g: (g, -g * (c.x / c.y).trunc() if c.needs(1) else None)),
    "pow": ("xyo", _pow_grad),
    "atan2": ("xy", lambda c, g: (g * c.y / (c.x * c.x + c.y * c.y), g * -c.x / (c.x * c.x + c.y * c.y))),
    "hypot": ("xyo", lambda c, g: (g * c.x / c.o, g * c.y / c.o)),
    "maximum": ("xy", lambda c, g: _max_min_grad(c, g, False)),
    "minimum": ("xy", lambda c, g: _max_min_grad(c, g, True)),
    "fmax": ("xy", lambda c, g: _fmax_fmin_grad(c, g, False)),
    "fmin": ("xy", lambda c, g: _fmax_fmin_grad(c, g, True)),
    "where": ("x", lambda c, g: (None, g.masked_fill(~c.x, 0.0), g.masked_fill(c.x, 0.0))),
    # PyTorch's clamp_backward_min_max: where min > max the output is max, so max takes the gradient
    "clamp": ("xyz", lambda c, g: (g.masked_fill(~((c.x >= c.y) & (c.x <= c.z)), 0.0),
                                   g.masked_fill(~((c.x < c.y) & (c.y < c.z)), 0.0) if c.needs(1) else None,
                                   g.masked_fill(~((c.x > c.z) | (c.z < c.y)), 0.0) if c.needs(2) else None)),
    # clamp with one bound: the input keeps the gradient at the bound (maximum/minimum would split it)
    "clamp_min": ("xy", lambda c, g: (g.masked_fill(~(c.x >= c.y), 0.0),
                                      g.masked_fill(~(c.x < c.y), 0.0) if c.needs(1) else None)),
    "clamp_max": ("xy", lambda c, g: (g.masked_fill(~(c.x <= c.y), 0.0),
                                      g.masked_fill(~(c.x > c.y), 0.0) if c.needs(1) else None)),
    "lerp": ("xyz", lambda c, g: (g * (1 - c.z), g * c.z, g * (c.y - c.x) if c.needs(2) else None)),
    "addcmul": ("yz", lambda c, g: (g, g * c.z * c.p0 if c.needs(1) else None,
                                    g * c.y * c.p0 if c.needs(2) else None)),
    "addcdiv": ("yz", lambda c, g: (g, g * c.p0 / c.z if c.needs(1) else None,
                                    -g * c.p0 * c.y / (c.z * c.z) if c.needs(2) else None)),
    "asinh": ("x", lambda c, g: (g * (c.x * c.x + 1).rsqrt(),)),
    "acosh": ("x", lambda c, g: (g * (c.x * c.x - 1).rsqrt(),)),
    "atanh": ("x", lambda c, g: (g / (1 - c.x * c.x),)),
    "deg2rad": ("", lambda c, g: (g * _PI_OVER_180,)),
    "rad2deg": ("", lambda c, g: (g * (1 / _PI_OVER_180),)),
    "sinc": ("x", _sinc_grad),
    "logit": ("x", _logit_grad),
    "lgamma": ("x", lambda c, g: (g * apply("digamma", c.x),)),
    "digamma": ("x", lambda c, g: (g * apply("trigamma", c.x),)),
    "trigamma": ("", lambda c, g: _not_implemented("polygamma of order 2 (the derivative of trigamma)")),
    "i0": ("x", lambda c, g: (g * apply("i1", c.x),)),
    "i1": ("xo", lambda c, g: (g * (apply("i0", c.x) - c.o / c.x).masked_fill(c.x == 0, 0.5),)),
    "erfinv": ("o", lambda c, g: (g * (c.o * c.o).exp() * _SQRT_PI_OVER_2,)),
    "i0e": ("xo", lambda c, g: (g * (apply("i1e", c.x) - c.x.sign() * c.o),)),
    "i1e": ("xo", lambda c, g: (g * (apply("i0e", c.x) - c.o * (c.x.sign() + 1 / c.x)).masked_fill(c.x == 0, 0.5),)),
    "gammainc": ("xy", lambda c, g: _gammainc_grad(c, g, 1.0)),
    "gammaincc": ("xy", lambda c, g: _gammainc_grad(c, g, -1.0)),
    "copysign": ("xo", lambda c, g: (g * (c.o / c.x).masked_fill(c.x == 0, 0.0) if c.needs(0) else None,
                                     g * 0.0 if c.needs(1) else None)),
    "heaviside": ("", lambda c, g: _not_implemented("heaviside", RuntimeError)),
    "logaddexp": ("xy", lambda c, g: (g / ((c.y - c.x).exp() + 1), g / ((c.x - c.y).exp() + 1))),
    "logaddexp2": ("xy", lambda c, g: (g / ((c.y - c.x).exp2() + 1), g / ((c.x - c.y).exp2() + 1))),
    "xlogy": ("xy", _xlogy_grad),
    "nextafter": ("", lambda c, g: (g, g * 0.0)),
    "ldexp": ("xy", _ldexp_grad),
}


class ElementwiseBackward(Node):
    """The graph node of an elementwise op: runs its DERIVATIVES formula, then sums each gradient back to
    its operand's shape (un-broadcasting) and dtype. Built on every recorded elementwise op, so it fills its
    fields directly rather than through Node.__init__, keeps them in slots and uses few containers (each
    tracked allocation costs again in Python's cyclic GC while the graph lives)."""

    __slots__ = ("formula", "params", "arity", "meta", "scalars", "slots")

    def __init__(self, op: str, operands: tuple, params: tuple, out: Tensor, spec: tuple | None = None) -> None:
        spec = spec or _SPECS.get(op) or _spec(op)
        self._name, reads, reads_out, self.formula = spec
        self._backward = _elementwise_backward
        self.params = params
        self.arity = len(operands)
        edges, saved, slots = [], [], []
        meta = scalars = None
        out_arr = out._data
        out_shape, out_np = out_arr.shape, out_arr.dtype
        cross = op in _CROSS_READS
        i = 0
        for a in operands:
            if type(a) is Tensor or isinstance(a, Tensor):
                edges.append(edge_of(a))
                arr = a._data
                if arr.shape != out_shape or arr.dtype != out_np:  # the gradient needs a reduction or a cast
                    if meta is None:
                        meta = [None] * len(operands)
                    meta[i] = (arr.shape, dtypes._FROM_NP[arr.dtype])
                if reads[i] and not (cross and not getattr(operands[1 - i], "_requires_grad", False)):
                    slots.append(_OPERANDS[i])
                    saved.append(saved_tensor(a, self))
            else:
                edges.append(_NO_EDGE)
                if scalars is None:
                    scalars = {}
                scalars[_OPERANDS[i]] = a
            i += 1
        out._requires_grad = True
        out._grad_fn = self
        if reads_out:
            slots.append("o")
            saved.append(saved_tensor(out, self))
        self.next_functions = tuple(edges)
        self.meta = None if meta is None else tuple(meta)
        self.scalars, self.slots = scalars, tuple(slots)
        self._output_meta = _ONE_OUTPUT
        self._saved = saved if saved else ()  # (an empty tuple is one shared object the GC does not track)
        if grad_mode.STATE.anomaly:
            self._forward_stack = traceback.format_stack()[:-3]

    def needs(self, i: int) -> bool:
        return self.next_functions[i][0] is not None

    def __getattr__(self, name: str):
        if name in ("x", "y", "z", "o"):
            if self.scalars and name in self.scalars:
                return self.scalars[name]
            if self._saved is None:
                return self.saved_tensors  # raises PyTorch's "backward through the graph a second time"
            return self._saved[self.slots.index(name)].unpack(self)  # only the tensor asked for
        if name.startswith("p") and name[1:].isdigit():
            return self.params[int(name[1:])]
        return Node.__getattr__(self, name)  # (torch's _saved_<name> attributes)


_SPECS: dict = {}  # op -> (node name, which operands the formula reads, whether it reads the output, formula)
# binary ops whose formula reads each operand only for the other's gradient (guarded by c.needs): an operand is
# saved only when the other one requires grad (t * 2.0 keeps nothing alive for its backward)
_CROSS_READS = frozenset({"mul"})
_OPERANDS = "xyz"


def _spec(op: str) -> tuple:
    reads, formula = DERIVATIVES[op]
    name = _NODE_NAMES.get(op) or f"{op.split('_')[0].capitalize()}Backward0"
    spec = _SPECS[op] = (name, tuple(key in reads for key in _OPERANDS), "o" in reads, formula)
    return spec
_ONE_OUTPUT = ((None, None),)  # an elementwise node's single output: only its count sizes gradient buffers
_NO_EDGE = (None, 0)
_NODE_NAMES = {"clamp_min": "ClampMinBackward0", "clamp_max": "ClampMaxBackward0",
               "add_alpha": "AddBackward0", "sub_alpha": "SubBackward0", "div_floor": "DivBackward1",
               "div_trunc": "DivBackward1", "gelu_tanh": "GeluBackward0", "round_decimals": "RoundBackward1",
               "nan_to_num": "NanToNumBackward0", "where": "WhereBackward0", "addcmul": "AddcmulBackward0",
               "addcdiv": "AddcdivBackward0"}


def _elementwise_backward(node: ElementwiseBackward, g: Tensor) -> tuple:
    grads = node.formula(node, g)
    if node.meta is None:  # every tensor operand has the output's shape and dtype
        return tuple(None if edge[0] is None else gr for gr, edge in zip(grads, node.next_functions))
    return tuple(None if gr is None or edge[0] is None else gr if meta is None else sum_to(gr, *meta)
                 for gr, meta, edge in zip(grads, node.meta, node.next_functions))


def sum_to(g: Tensor, shape: tuple, dt: dtypes.dtype) -> Tensor:
    """Sum a gradient over the dims that broadcasting added or expanded, back to `shape`; cast to `dt`."""
    if tuple(g.shape) != tuple(shape):
        lead = g.ndim - len(shape)
        dims = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
        if dims:
            g = g.sum(dims, keepdim=True)
        g = g.reshape(tuple(shape))
    if g.dtype is dt:
        return g
    if g._data.dtype.kind == "c" and not dt.is_complex:  # a real input of a complex op: the real part
        from .complex import real

        g = real(g)
    return g if g.dtype is dt else g.to(dt)


def _record(name: str, operands: tuple, params: tuple, out: Tensor) -> None:
    kind = out._data.dtype.kind
    if kind == "V" and out.dtype is dtypes.bfloat16:  # (ml_dtypes' bfloat16 has kind 'V')
        kind = "f"
    if kind == "f" and (name in DERIVATIVES or name in COMPLEX_DERIVATIVES) and needs_graph(*operands):
        if (name == "abs" or name == "angle") and operands[0]._data.dtype.kind == "c":  # a real result of complex
            ComplexElementwiseBackward(name, operands, params, out)
        else:
            ElementwiseBackward(name, operands, params, out)
    elif kind == "c" and needs_graph(*operands):
        ComplexElementwiseBackward(name, operands, params, out)


# Complex autograd, torch's convention: a tensor's gradient is dL/d(real part) + i dL/d(imaginary part) (the
# conjugate Wirtinger derivative, doubled), so L = |z|^2 gives z.grad = 2z. For a holomorphic f, grad_z = grad_out *
# conj(f'(z)): the real formula of DERIVATIVES, reading conjugated operands, output and parameters (its constants are
# real), gives exactly that. The ops below are holomorphic (or linear) and so take their real formula; the others
# have a formula of their own in COMPLEX_DERIVATIVES. Any other op refuses a complex graph at forward time.
HOLOMORPHIC = frozenset({
    "neg", "add", "add_alpha", "sub", "sub_alpha", "mul", "div", "square", "exp", "exp2", "expm1", "log", "log2",
    "log10", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin", "acos",
    "atan", "asinh", "acosh", "atanh", "sigmoid", "silu", "where", "lerp", "addcmul", "addcdiv", "sinc",
})


def _sgn_grad(c, g):
    """d sgn(z) = (g - sgn(z) Re(conj(g) sgn(z))) / |z| (0 at z = 0), from the real and imaginary partials."""
    from .complex import real

    z, s = c.x, c.o
    return (((g - s * real(apply("conj", g) * s)) / z.abs()).masked_fill(z == 0, 0.0),)


def _angle_grad(c, g):
    """d angle(z) = g i z / |z|^2 (0 at z = 0)."""
    z = c.x
    return ((g * z / (z.abs() * z.abs()) * 1j).masked_fill(z == 0, 0.0),)


def _polar_grad(c, g):
    """z = r e^(i theta): grad_r = Re(conj(g) e^(i theta)), grad_theta = Re(conj(g) i z)."""
    from .complex import real

    gc = apply("conj", g)
    unit = apply("make_complex", c.y.cos(), c.y.sin(), compute=c.o.dtype)
    return (real(gc * unit) if c.needs(0) else None, real(gc * c.o * 1j) if c.needs(1) else None)


def _make_complex_grad(c, g):
    from .complex import imag, real

    return real(g) if c.needs(0) else None, imag(g) if c.needs(1) else None


def _pow_complex_grad(c, g):
    """d x**y: grad_x = g conj(y x**(y-1)) (0 for y = 0), grad_y = g conj(x**y log x) (principal branch)."""
    x, y, out = c.x, c.y, c.o
    gx = gy = None
    if c.needs(0):
        gx = g * 0.0 if not isinstance(y, Tensor) and y == 0 else g * _conj_of(y * x ** (y - 1))
    if c.needs(1):
        if isinstance(x, Tensor):
            log_x = (x if x.is_complex() else x.to(out.dtype)).log()
        else:
            log_x = cmath.log(x)
        gy = g * _conj_of(out * log_x)
    return gx, gy


COMPLEX_DERIVATIVES: dict[str, tuple[str, object]] = {
    "pow": ("xyo", _pow_complex_grad),
    "abs": ("x", lambda c, g: (g * apply("sgn", c.x),)),
    "sgn": ("xo", _sgn_grad),
    "angle": ("x", _angle_grad),
    "conj": ("", lambda c, g: (apply("conj", g),)),
    "make_complex": ("", _make_complex_grad),
    "polar": ("yo", _polar_grad),
}
_COMPLEX_NODE_NAMES = {"make_complex": "ComplexBackward0", "conj": "ConjPhysicalBackward0",
                       "sgn": "SgnBackward0", "angle": "AngleBackward0", "polar": "PolarBackward0"}
_COMPLEX_SPECS: dict = {}


def _conj_of(v):
    """The conjugate of an operand, output or parameter (a real one is its own)."""
    if isinstance(v, Tensor):
        return apply("conj", v) if v._data.dtype.kind == "c" else v
    return v.conjugate() if isinstance(v, complex) else v


class ComplexElementwiseBackward(ElementwiseBackward):
    """The node of an elementwise op with a complex operand or result: a holomorphic op's real formula over
    conjugated values, or the op's COMPLEX_DERIVATIVES formula. Gradients of real operands keep the real part
    (sum_to)."""

    __slots__ = ("holomorphic",)

    def __init__(self, op: str, operands: tuple, params: tuple, out: Tensor) -> None:
        spec = _COMPLEX_SPECS.get(op)
        if spec is None:
            if op in COMPLEX_DERIVATIVES:
                reads, formula = COMPLEX_DERIVATIVES[op]
                name = _COMPLEX_NODE_NAMES.get(op) or _spec(op)[0]
            elif op in HOLOMORPHIC:
                name, reads, formula = _spec(op)[0], DERIVATIVES[op][0], DERIVATIVES[op][1]
            else:
                raise NotImplementedError(f"{op}: the derivative for complex tensors is not implemented in ntorch")
            spec = _COMPLEX_SPECS[op] = (name, tuple(k in reads for k in _OPERANDS), "o" in reads, formula)
        self.holomorphic = op not in COMPLEX_DERIVATIVES
        super().__init__(op, operands, params, out, spec)

    def __getattr__(self, name: str):
        value = ElementwiseBackward.__getattr__(self, name)
        return _conj_of(value) if self.holomorphic else value

def _expr_for(op: Op, dt: dtypes.dtype) -> str:
    kind = {COMPLEX: "complex", FLOAT: "float", INT: "int", BOOL: "bool"}[dt.category]
    keys = [dt.name] + (["f32"] if dt in dtypes.HALF_DTYPES or dt is dtypes.float32 else []) + [kind, "any"]
    for key in keys:
        if key in op.exprs:
            return op.exprs[key]
    raise KeyError(f"{op.name}: no expression for {dt.name}")


def _compute_np(dt: dtypes.dtype) -> str:
    return "float32" if dt in dtypes.HALF_DTYPES else dt.np.name


def _cuda_kernel(op: Op, dt: dtypes.dtype):
    from ..kernels.cuda.elementwise import COMPLEX_EXPRS, cuda_kernel_for

    expr = _expr_for(op, dt)
    if dt.is_complex and op.name in COMPLEX_EXPRS:  # np.* calls on real parts: the CUDA form of the expression
        expr = COMPLEX_EXPRS[op.name]
        expr = expr[dt.name] if isinstance(expr, dict) else expr
    return cuda_kernel_for(op.name, expr, dt.np.name, op.arity, op.nparams)


def _cuda_bf16_kernel(op: Op):
    """The float32 CUDA kernel of op's bfloat16 expression, behind the bfloat16 adapter."""
    from ..kernels.cuda.bf16 import float32_adapter
    from ..kernels.cuda.elementwise import cuda_kernel_for

    return float32_adapter(cuda_kernel_for(op.name, _expr_for(op, dtypes.bfloat16), "float32", op.arity,
                                           op.nparams))


for _op in OPS:
    dispatch.register(
        _op.name, "cpu", _op.dtypes,
        lambda dt, op=_op: ElementwiseKernel(op.name, _expr_for(op, dt), _compute_np(dt), op.arity, op.nparams),
    )
    dispatch.register(_op.name, "cuda", _op.dtypes, lambda dt, op=_op: _cuda_kernel(op, dt), lazy=True)
    if dtypes.bfloat16 in _op.dtypes and _expr_for(_op, dtypes.bfloat16) != _expr_for(_op, dtypes.float32):
        # (nextafter) bfloat16's own expression in a float32 kernel, instead of dispatch's float32 kernel
        dispatch.register(_op.name, "cuda", (dtypes.bfloat16,), lambda dt, op=_op: _cuda_bf16_kernel(op), lazy=True)


def _broadcast_error(op: str, shapes: list) -> RuntimeError:
    a = shapes[0]
    for s in shapes[1:]:
        ndim = max(len(a), len(s))
        pa = (1,) * (ndim - len(a)) + a
        ps = (1,) * (ndim - len(s)) + s
        for d in range(ndim):
            if pa[d] != ps[d] and pa[d] != 1 and ps[d] != 1:
                return RuntimeError(
                    f"{op}: The size of tensor a ({pa[d]}) must match the size of tensor b ({ps[d]}) "
                    f"at non-singleton dimension {d}"
                )
        a = tuple(max(x, y) for x, y in zip(pa, ps))
    return RuntimeError(f"{op}: shapes {shapes} cannot be broadcast")


def _broadcast(op: str, shapes: list) -> tuple:
    first = shapes[0]
    if all(s == first for s in shapes):
        return first
    ndim = max(len(s) for s in shapes)
    result = [1] * ndim
    for s in shapes:
        off = ndim - len(s)
        for i, n in enumerate(s):
            r = result[off + i]
            if n != r:
                if r == 1:
                    result[off + i] = n
                elif n != 1:
                    raise _broadcast_error(op, shapes)
    return tuple(result)


def _compute_dtype(op: Op, operands) -> dtypes.dtype:
    """The dtype the kernel computes in: the promoted operands, made float for float-valued ops."""
    compute = result_dtype(*operands)
    if compute.category < FLOAT and op.result == "float":
        compute = dtypes.get_default_dtype()
    elif compute.category == COMPLEX and compute not in op.dtypes:
        raise complex_refused(op.name, compute, "cuda" if placement(op.name, [
            a for a in operands if isinstance(a, Tensor)]) is not None else "cpu")
    return compute


_FAST: dict = {}
# exact types the fast paths take (a set lookup is as cheap as `type(x) is Tensor`); nn.Parameter adds itself
TENSOR_TYPES: set = {Tensor}
_PY_SCALAR = {float: 1.0, int: 1}


def _fast_entry(key: tuple):
    """(serial, parallel, result dtype) when the fast path applies to this key, else None."""
    name, np_dtype, kinds, scalar_type = key
    op = OP_BY_NAME[name]
    dt = dtypes._FROM_NP.get(np_dtype)
    if dt is None or dt in dtypes.HALF_DTYPES or dt not in op.dtypes or op.nparams or dt.is_complex:
        return None
    scalars = [dtypes.scalar_dtype(_PY_SCALAR[scalar_type])] if scalar_type else []
    compute = dtypes.result_type_of([dt], [], scalars)
    if compute is not dt or (op.result == "float" and not dt.is_floating_point):
        return None
    kernel = dispatch.lookup(name, "cpu", dt)
    res_dtype = np.dtype(np.bool_) if op.result == "bool" else dt.np
    if kinds == "vec":
        return (kernel.vector_functions(), res_dtype) if kernel.nargs == 2 else None
    serial, parallel = kernel.contig_functions(kinds)
    return serial, parallel, res_dtype


def _flat_of(t: Tensor):
    """t's data as a cached 1-d view, or None when t is not C-contiguous."""
    flat = t._flat
    if flat is None:
        arr = t._data
        if type(arr) is not np.ndarray or not arr.flags.c_contiguous:  # CUDA tensors take the general path
            return None
        flat = t._flat = arr.ravel()  # (a view: arr is C-contiguous; ravel costs half of reshape(-1))
    return flat


def _apply_fast(name: str, operands: tuple):
    """The hot path for small tensors: same-shape contiguous operands of one dtype, or a Python scalar."""
    a = operands[0]
    if type(a) not in TENSOR_TYPES or codegen.DEBUG:
        return None
    flat_a = a._flat
    if flat_a is None:
        flat_a = _flat_of(a)
        if flat_a is None:
            return _apply_fast_cuda(name, operands) if type(a._data) is CudaArray else None
    scalar_type = None
    if len(operands) == 1:
        kinds, other = "a", None
    elif len(operands) == 2:
        b = operands[1]
        tb = type(b)
        if tb in TENSOR_TYPES:
            other = b._flat
            if other is None:
                other = _flat_of(b)
            if other is None or (other.dtype is not flat_a.dtype and other.dtype != flat_a.dtype):
                return None
            if b._data.shape != a._data.shape:
                return _apply_fast_vector(name, a, b, flat_a, other)
            kinds = "aa"
        elif tb is float or tb is int:
            kinds, other, scalar_type = "as", b, tb
        else:
            return None
    elif len(operands) == 3:  # clamp(x, lo, hi): two Python numbers of one type
        b = operands[1]
        tb = type(b)
        if (tb is not float and tb is not int) or type(operands[2]) is not tb:
            return None
        kinds, other, scalar_type = "ass", b, tb
    else:
        return None
    key = (name, flat_a.dtype, kinds, scalar_type)
    entry = _FAST.get(key, False)
    if entry is False:
        entry = _FAST[key] = _fast_entry(key)
    if entry is None:
        return None
    serial, parallel, res_dtype = entry
    n = flat_a.shape[0]
    arr = np.empty(a._data.shape, res_dtype)
    flat = arr.ravel()  # (a view of the fresh C-order result)
    fn = parallel if n >= PARALLEL_MIN_ELEMENTS and numba.get_num_threads() > 1 else serial
    if other is None:
        fn(flat, flat_a)
    elif kinds == "ass":
        fn(flat, flat_a, other, operands[2])
    else:
        fn(flat, flat_a, other)
    t = Tensor._wrap_result(arr, flat)
    if a._requires_grad or (scalar_type is None and other is not None and operands[1]._requires_grad):
        _record(name, operands, (), t)
    return t


def _apply_fast2(name: str, a, b):
    """_apply_fast for a binary operator (`a + b`, `a > 2`): the same rules and kernels, without packing and
    measuring an operand tuple (None when _apply_fast's other cases or the general path must run)."""
    if type(a) not in TENSOR_TYPES or codegen.DEBUG:
        return None
    flat_a = a._flat
    if flat_a is None:
        return _apply_fast(name, (a, b))
    tb = type(b)
    if tb in TENSOR_TYPES:
        other = b._flat
        if other is None or other.dtype is not flat_a.dtype or b._data.shape != a._data.shape:
            return _apply_fast(name, (a, b))
        scalar_type = None
    elif tb is float or tb is int:
        other, scalar_type = b, tb
    else:
        return None
    entry = _FAST.get((name, flat_a.dtype, "aa" if scalar_type is None else "as", scalar_type), False)
    if entry is False:
        return _apply_fast(name, (a, b))
    if entry is None:
        return None
    serial, parallel, res_dtype = entry
    arr = np.empty(a._data.shape, res_dtype)
    flat = arr.ravel()
    (serial if flat_a.shape[0] < PARALLEL_MIN_ELEMENTS or numba.get_num_threads() == 1 else parallel)(
        flat, flat_a, other)
    t = Tensor._wrap_result(arr, flat)
    if a._requires_grad or (scalar_type is None and b._requires_grad):
        _record(name, (a, b), (), t)
    return t


_FAST_GIVEN: dict = {}
_SCALAR_TYPES = (float, int, bool)


def _apply_fast_given(name: str, operands: tuple, compute: dtypes.dtype):
    """The hot path of an op whose caller chose the compute dtype (where, masked_fill): C-contiguous CPU tensors
    of one shape, each of the compute dtype or bool, and Python numbers. The kernel gets what the general path
    would pass it (flat views instead of the arrays); None when the general path must run."""
    if codegen.DEBUG or compute.category != FLOAT and compute.category != INT and compute.category != BOOL \
            or compute in dtypes.HALF_DTYPES:
        return None
    cnp = compute.np
    shape = None
    args, kinds, grad, n = [], "", False, 0
    for a in operands:
        ta = type(a)
        if ta in TENSOR_TYPES:
            flat = a._flat
            if flat is None:
                flat = _flat_of(a)
                if flat is None:
                    return None
            if shape is None:
                shape, n = a._data.shape, flat.shape[0]
            elif a._data.shape != shape:
                return None
            fd = flat.dtype
            if fd is not cnp and fd != cnp and fd.kind != "b":
                return None
            args.append(flat)
            kinds += "a"
            if a._requires_grad:
                grad = True
        elif ta in _SCALAR_TYPES:
            args.append(a)
            kinds += "s"
        else:
            return None
    if shape is None:
        return None
    entry = _FAST_GIVEN.get((name, compute.name, kinds))
    if entry is None:
        op = OP_BY_NAME[name]
        if compute not in op.dtypes:
            return None
        res_np = np.dtype(np.bool_) if op.result == "bool" else compute.to_real().np if op.result == "real" \
            else compute.np
        entry = _FAST_GIVEN[(name, compute.name, kinds)] = (
            *dispatch.lookup(name, "cpu", compute).contig_functions(kinds), res_np)
    serial, parallel, res_np = entry
    flat = np.empty(n, res_np)
    if n:
        (parallel if n >= PARALLEL_MIN_ELEMENTS and numba.get_num_threads() > 1 else serial)(flat, *args)
    t = Tensor._wrap_result(flat.reshape(shape), flat)
    if grad:
        _record(name, operands, (), t)
    return t


def _where_fast(condition: Tensor, a: Tensor, b: Tensor):
    """_apply_fast_given("where", ...) for a bool mask and two tensors of one dtype (pointwise.where checked that),
    all C-contiguous of one shape with their flat views cached: the kernel _apply_fast_given chose for them, without
    its general operand loop. None sends the call on to _apply_fast_given."""
    fc, fa, fb = condition._flat, a._flat, b._flat
    if fc is None or fa is None or fb is None or codegen.DEBUG:
        return None
    shape = a._data.shape
    if condition._data.shape != shape or b._data.shape != shape:
        return None
    entry = _FAST_GIVEN.get(("where", _NP_NAMES.get(fa.dtype), "aaa"))
    if entry is None:
        return None
    serial, parallel, res_np = entry
    arr = np.empty(shape, res_np)
    flat = arr.ravel()
    n = fa.shape[0]
    if n:
        (serial if n < PARALLEL_MIN_ELEMENTS or numba.get_num_threads() == 1 else parallel)(flat, fc, fa, fb)
    t = Tensor._wrap_result(arr, flat)
    if a._requires_grad or b._requires_grad or condition._requires_grad:
        _record("where", (condition, a, b), (), t)
    return t


_NP_NAMES = {d.np: d.name for d in dtypes.ALL_DTYPES}  # NumPy dtype -> ntorch dtype name (_FAST_GIVEN's keys)


_VECTOR_PLANS: dict = {}  # (shape a, shape b) -> (out shape, z, outer, mid, inner) or None


def _vector_plan(sa: tuple, sb: tuple):
    """How `a op b` broadcasts when one operand has the output's shape and the other is a vector along a run of
    adjacent dims (size 1 or absent elsewhere): (out shape, z = which operand is the vector, outer, mid,
    inner), the output seen as (outer, mid, inner) with the vector along mid. None for any other broadcast."""
    nd = max(len(sa), len(sb))
    pa, pb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    if pa == pb or 0 in pa or 0 in pb:
        return None
    for z, full, vec in ((1, pa, pb), (0, pb, pa)):
        dims = [d for d in range(nd) if vec[d] != 1]
        if not dims or any(v != 1 and v != f for v, f in zip(vec, full)):
            continue
        lo, hi = dims[0], dims[-1] + 1
        if all(vec[d] == full[d] for d in range(lo, hi)):
            outer, inner = math.prod(full[:lo]), math.prod(full[hi:])
            if outer * inner > 1:
                return full, z, outer, math.prod(full[lo:hi]), inner
    return None


def _apply_fast_vector(name: str, a: Tensor, b: Tensor, flat_a: np.ndarray, flat_b: np.ndarray):
    """The fast path of a binary op between a contiguous array and a contiguous vector broadcast along it (the bias
    add of a linear layer, per-channel scales): one vector loop, none of the general path's broadcast views."""
    key = (a._data.shape, b._data.shape)
    plan = _VECTOR_PLANS.get(key, False)
    if plan is False:
        if len(_VECTOR_PLANS) > 4096:
            _VECTOR_PLANS.clear()
        plan = _VECTOR_PLANS[key] = _vector_plan(*key)
    if plan is None:
        return None
    ekey = (name, flat_a.dtype, "vec", None)
    entry = _FAST.get(ekey, False)
    if entry is False:
        entry = _FAST[ekey] = _fast_entry(ekey)
    if entry is None:
        return None
    functions, res_dtype = entry
    shape, z, outer, mid, inner = plan
    n = outer * mid * inner
    flat = np.empty(n, res_dtype)
    fn = functions[z][n >= PARALLEL_MIN_ELEMENTS and numba.get_num_threads() > 1]
    fn(flat, _readonly(flat_a), _readonly(flat_b), outer, mid, inner)
    t = Tensor._wrap_result(flat.reshape(shape), flat)
    if a._requires_grad or b._requires_grad:
        _record(name, (a, b), (), t)
    return t


def _readonly(flat: np.ndarray) -> np.ndarray:
    """A read-only view: the general path passes broadcast (read-only) operands to the same loops, and Numba
    compiles read-only and writable arrays apart."""
    v = flat.view()
    v.flags.writeable = False
    return v


_FAST_CUDA: dict = {}


def _fast_cuda_entry(key: tuple):
    """(kernel, result dtype) when the CUDA fast path applies to this key, else None (the rules of _fast_entry;
    float16 included, which the GPU computes natively)."""
    name, np_dtype, kinds, scalar_type = key
    op = OP_BY_NAME[name]
    dt = dtypes._FROM_NP.get(np_dtype)
    if dt is None or dt not in op.dtypes or op.nparams:
        return None
    scalars = [dtypes.scalar_dtype(_PY_SCALAR[scalar_type])] if scalar_type else []
    if dtypes.result_type_of([dt], [], scalars) is not dt or (op.result == "float" and dt.category < dtypes.FLOAT):
        return None
    if dt is dtypes.bfloat16 and scalars and op.result == "bool":  # the number is rounded first: _cuda_apply
        return None
    kernel = dispatch.lookup(name, "cuda", dt)
    if not hasattr(kernel, "contig"):
        return None
    # complex too: the general path launches the same contig kernel with the same operands (a real result for
    # abs/angle of complex)
    res = {"bool": np.dtype(np.bool_), "real": dt.to_real().np}.get(op.result, dt.np)
    return kernel, res


def _apply_fast_cuda(name: str, operands: tuple):
    """_apply_fast on the GPU: C-contiguous operands of one shape, dtype and device, or a Python scalar. It skips
    promotion, broadcasting and the kernel's layout analysis, which cost more than the launch on tiny tensors."""
    a = operands[0]
    arr = a._data
    if not arr.flags.c_contiguous:
        return None
    scalar_type = None
    if len(operands) == 1:
        kinds, args = "a", ()
    elif len(operands) == 2:
        b = operands[1]
        tb = type(b)
        if tb in TENSOR_TYPES:
            other = b._data
            if (type(other) is not CudaArray or other.dtype != arr.dtype or other.shape != arr.shape
                    or other.device != arr.device or not other.flags.c_contiguous):
                return None
            kinds, args = "aa", (other.flat_device_array(),)
        elif tb is float or tb is int:
            kinds, args, scalar_type = "as", (b,), tb
        else:
            return None
    else:
        return None
    key = (name, arr.dtype, kinds, scalar_type)
    entry = _FAST_CUDA.get(key, False)
    if entry is False:
        entry = _FAST_CUDA[key] = _fast_cuda_entry(key)
    if entry is None:
        return None
    kernel, res_dtype = entry
    result = _cuda_empty(arr.shape, res_dtype, arr.device)
    kernel.contig(kinds, result.size, result.flat_device_array(), arr.flat_device_array(), *args)
    t = Tensor._wrap(result)
    if a._requires_grad or (scalar_type is None and len(operands) == 2 and operands[1]._requires_grad):
        _record(name, operands, (), t)
    return t


def _rounded(cast, value) -> float:
    """value rounded to a 16-bit float type (cast: its NumPy scalar type); beyond its range, infinity."""
    with np.errstate(over="ignore"):
        return float(cast(value))


def apply(name: str, *operands, params: tuple = (), out: Tensor | None = None,
          compute: dtypes.dtype | None = None) -> Tensor:
    """Run elementwise op `name` over tensors and scalars, broadcasting, promoting, dispatching."""
    if out is None and not params:
        res = _apply_fast(name, operands) if compute is None else _apply_fast_given(name, operands, compute)
        if res is not None:
            return res
    op = OP_BY_NAME[name]
    if any(isinstance(a, np.generic) for a in operands):  # NumPy scalars act as Python numbers, as in torch
        operands = tuple(a.item() if isinstance(a, np.generic) else a for a in operands)
    tensors = [a for a in operands if isinstance(a, Tensor)]
    for a in operands:
        if not isinstance(a, Tensor) and not is_scalar(a):
            raise TypeError(f"{name}(): expected Tensor or number, got {type(a).__name__}")
    if compute is None:
        compute = _compute_dtype(op, operands)
    shape = _broadcast(name, [a._data.shape for a in tensors]) if tensors else ()
    result_np = np.bool_ if op.result == "bool" else compute.to_real().np if op.result == "real" else compute.np
    like = placement(name, tensors)
    order = output_order(shape, tensors) if out is None and len(shape) > 1 else None
    if like is not None:
        result = _cuda_apply(name, compute, shape, result_np, like, operands, params, order=order)
    else:
        kernel = dispatch.lookup(name, "cpu", compute)
        run_shape = shape if order is None else tuple(shape[d] for d in order)
        result = np.empty(run_shape, result_np)
        # torch compares a 16-bit float tensor with a number cast to its dtype (arithmetic keeps the number whole)
        cast = compute.np.type if op.result == "bool" and compute in dtypes.HALF_DTYPES else None
        args = []
        for a in operands:
            if isinstance(a, Tensor):
                arr = a._data
                if arr.ndim == 0 and shape != ():
                    args.append(arr.item() if cast is None else _rounded(cast, arr.item()))
                    continue
                if arr.shape != shape:
                    arr = np.broadcast_to(arr, shape)
                args.append(arr if order is None else arr.transpose(order))
            else:
                args.append(a if cast is None or isinstance(a, bool) else _rounded(cast, a))
        if not any(isinstance(a, np.ndarray) for a in args):
            args[0] = np.asarray(args[0], dtype=compute.np)
        kernel(result, *args, params=params)
        if order is not None:
            result = result.transpose(np.argsort(order))
    if out is not None:
        if needs_graph(*operands):
            raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        return write_out(out, result, name)
    res = Tensor._wrap(result)
    _record(name, operands, params, res)
    return res


def placement(op: str, tensors) -> CudaArray | None:
    """The CUDA array whose device an op on `tensors` runs on, or None for the CPU. Mixing devices is PyTorch's
    error, except that a 0-d CPU tensor joins a CUDA op as a scalar."""
    like = None
    for t in tensors:
        arr = t._data
        if type(arr) is CudaArray:
            if like is None:
                like = arr
            elif arr.device != like.device:
                raise _arrays.mixed_devices(f"cuda:{like.device}", f"cuda:{arr.device}")
    if like is not None:
        for t in tensors:
            if type(t._data) is not CudaArray and t._data.ndim != 0:
                raise _arrays.mixed_devices(f"cuda:{like.device}", "cpu")
    return like


_BF16_NP = dtypes.bfloat16.np


def _cuda_apply(name: str, compute: dtypes.dtype, shape: tuple, result_np, like: CudaArray, operands: tuple,
                params: tuple, result: CudaArray | None = None, order: tuple | None = None) -> CudaArray:
    """The CUDA form of apply's kernel call: operands broadcast as stride-0 device views, 0-d CPU tensors as
    scalars; into `result` (C-contiguous, of `shape`) when given, else a new one laid out in `order`
    (output_order's dims, outermost first; None: C order)."""
    if result is None:
        run_shape = shape if order is None else tuple(shape[d] for d in order)
        result = _arrays.empty(run_shape, result_np, like)
    else:
        order = None
    # bfloat16 runs a float32 kernel: a number it is compared with is rounded to bfloat16 first, as on the CPU
    cast = compute.np.type if compute is dtypes.bfloat16 and np.dtype(result_np) == np.bool_ else None
    args = []
    for a in operands:
        if isinstance(a, Tensor):
            arr = a._data
            if type(arr) is not CudaArray:
                args.append(arr.item() if cast is None else _rounded(cast, arr.item()))
            else:
                if arr.dtype == _BF16_NP and compute is not dtypes.bfloat16:  # (no kernel reads bfloat16: widen)
                    arr = _arrays.astype(arr, np.float32)
                arr = arr if arr.shape == shape else _arrays.broadcast_to(arr, shape)
                args.append((arr if order is None else arr.transpose(order)).device_array())
        else:
            args.append(a if cast is None or isinstance(a, bool) else _rounded(cast, a))
    dispatch.lookup(name, "cuda", compute)(result.device_array(), *args, params=params)
    return result if order is None else result.transpose(tuple(int(d) for d in np.argsort(order)))


_ORDERS: dict = {}  # (shape, operands' shapes and strides) -> output_order's answer


def output_order(shape: tuple, tensors) -> tuple | None:
    """The dims of an elementwise result from outermost to innermost, as torch's TensorIterator lays it out
    (None when that is C order): dims are sorted by the strides of the first input that orders them (broadcast
    and size-0 strides skipped; equal strides: the larger dim outside), so a transposed or channels-last input
    gives a result in its own layout and the kernel walks every such operand contiguously."""
    key = (shape, *((t._data.shape, t._data.strides) for t in tensors))
    found = _ORDERS.get(key, False)
    if found is not False:
        return found
    nd = len(shape)
    ops = []
    for t in tensors:
        arr = t._data
        if arr.ndim == 0:
            continue
        lead = nd - arr.ndim
        ops.append([0 if d < lead or (arr.shape[d - lead] == 1 and shape[d] != 1) else arr.strides[d - lead]
                    for d in range(nd)])

    def should_swap(d0: int, d1: int) -> int:
        for strides in ops:
            s0, s1 = strides[d0], strides[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0

    perm = list(range(nd - 1, -1, -1))  # innermost first, as TensorIterator's perm_
    for i in range(1, nd):
        d1 = i
        for d0 in range(i - 1, -1, -1):
            c = should_swap(perm[d0], perm[d1])
            if c > 0:
                perm[d0], perm[d1] = perm[d1], perm[d0]
                d1 = d0
            elif c < 0:
                break
    order = tuple(reversed(perm))
    result = None if order == tuple(range(nd)) else order
    if len(_ORDERS) > 4096:
        _ORDERS.clear()
    _ORDERS[key] = result
    return result


_FAST_INPLACE: dict = {}


def _fast_inplace_entry(key: tuple):
    """(serial, parallel) in-place loops when the fast path applies to this key, else None: the op keeps self's
    dtype (no promotion by the operand, no float result of an int op) and has no parameters."""
    name, np_dtype, kinds, scalar_type, nparams = key
    op = OP_BY_NAME[name]
    dt = dtypes._FROM_NP.get(np_dtype)
    if dt is None or dt in dtypes.HALF_DTYPES or dt not in op.dtypes or op.nparams != nparams or op.result == "bool" \
            or dt.is_complex:
        return None
    if nparams and name not in ("add_alpha", "sub_alpha"):  # (other parameters may need checks or conversion)
        return None
    scalars = [dtypes.scalar_dtype(_PY_SCALAR[scalar_type])] if scalar_type else []
    if dtypes.result_type_of([dt], [], scalars) is not dt or (op.result == "float" and not dt.is_floating_point):
        return None
    module = dispatch.lookup(name, "cpu", dt).module
    return getattr(module, "inplace_" + kinds), getattr(module, "inplace_par_" + kinds)


def _apply_inplace_fast(name: str, self: Tensor, others: tuple, params: tuple = ()) -> bool:
    """The hot path of an in-place op (an optimizer's p.add_(g, alpha=-lr)): self C-contiguous on the CPU, one
    operand of its shape and dtype (C-contiguous, not overlapping) or a Python number, nothing to record; params
    only for add/sub's alpha (a Python float for a float self). True when done."""
    if len(others) > 1 or codegen.DEBUG or (grad_mode.STATE.enabled and (
            self._requires_grad or (self._base is not None and self._base._requires_grad))):
        return False
    flat = _flat_of(self)
    if flat is None:
        return False
    o = others[0] if others else None
    to = type(o)
    if o is None:  # a unary op: relu_, exp_, ...
        key = (name, flat.dtype, "a", None, len(params))
    elif to in TENSOR_TYPES:
        other = _flat_of(o)
        if other is None or other.dtype != flat.dtype or o._data.shape != self._data.shape \
                or (grad_mode.STATE.enabled and o._requires_grad) or np.may_share_memory(flat, other):
            return False
        key = (name, flat.dtype, "aa", None, len(params))
    elif to is float or to is int:
        other = o
        key = (name, flat.dtype, "as", to, len(params))
    else:
        return False
    if params and (type(params[0]) is not float or flat.dtype.kind != "f"):
        return False
    entry = _FAST_INPLACE.get(key, False)
    if entry is False:
        entry = _FAST_INPLACE[key] = _fast_inplace_entry(key)
    if entry is None:
        return False
    serial, parallel = entry
    fn = parallel if flat.shape[0] >= PARALLEL_MIN_ELEMENTS and numba.get_num_threads() > 1 else serial
    self._bump_version()  # (before writing: see Tensor._bump_version)
    if o is None:
        fn(flat, *params)
    else:
        fn(flat, other, *params)
    return True


def _apply_inplace_fast2(name: str, self: Tensor, o) -> bool:
    """_apply_inplace_fast for `self.op_(tensor)` whose operands already have their flat views (the common
    `a.add_(b)`): the same rules and kernels, with fewer calls; False sends the call on to apply_inplace."""
    flat = self._flat
    if flat is None or type(o) not in TENSOR_TYPES or codegen.DEBUG:
        return False
    other = o._flat
    if other is None or other.dtype is not flat.dtype or o._data.shape != self._data.shape or (
            grad_mode.STATE.enabled and (self._requires_grad or o._requires_grad or (
                self._base is not None and self._base._requires_grad))) or np.may_share_memory(flat, other):
        return False
    entry = _FAST_INPLACE.get((name, flat.dtype, "aa", None, 0), False)
    if entry is False or entry is None:
        return False
    store = self._store  # the version first (an inference tensor raises there, before the write)
    (store if store is not None else self._storage()).version += 1  # (_bump_version, inlined)
    (entry[0] if flat.shape[0] < PARALLEL_MIN_ELEMENTS or numba.get_num_threads() == 1 else entry[1])(flat, other)
    return True


def apply_inplace(name: str, self: Tensor, *others, params: tuple = ()) -> Tensor:
    """In-place form: compute, check the result can be cast to self's dtype and shape, write back."""
    if _apply_inplace_fast(name, self, others, params):
        return self
    op = OP_BY_NAME[name]
    compute = _compute_dtype(op, (self, *others))
    result_dt = dtypes.bool if op.result == "bool" else compute.to_real() if op.result == "real" else compute
    if op.result == "real" and compute.is_complex:
        raise RuntimeError(f"In-place {name} is not supported for complex tensors.")
    if not dtypes.can_cast(result_dt, self.dtype):
        raise RuntimeError(f"result type {dtypes.torch_name(result_dt)} can't be cast to the desired output "
                           f"type {dtypes.torch_name(self.dtype)}")
    shape = _broadcast(name, [self._data.shape] + [o._data.shape for o in others if isinstance(o, Tensor)])
    if shape != self._data.shape:
        raise RuntimeError(
            f"output with shape {list(self._data.shape)} doesn't match the broadcast shape {list(shape)}"
        )
    if inplace.involved(self, *others):
        inplace.check_inplace(self)
        res = apply(name, inplace.snapshot(self), *others, params=params, compute=compute)
        return inplace.commit(self, res if res.dtype is self.dtype else res.to(self.dtype))
    target = self._data
    like = placement(name, (self, *(o for o in others if isinstance(o, Tensor))))
    if like is not None and type(target) is not CudaArray:
        raise _arrays.mixed_devices(f"cuda:{like.device}", "cpu")
    self._bump_version()
    if _writes_self(self, others, compute, result_dt):
        dispatch.lookup(name, "cpu" if like is None else "cuda", compute).inplace(
            _arrays.kernel_arg(target),
            *(_arrays.kernel_arg(o._data) if isinstance(o, Tensor) else o for o in others), params=params)
    elif like is not None and _writes_self(self, others, compute, result_dt, broadcast=True):
        # self is also the output: each element is read, then written, by the same thread (linear's bias add)
        _cuda_apply(name, compute, target.shape, None, like, (self, *others), params, result=target)
    else:
        _arrays.copy_into(target, apply(name, self, *others, params=params, compute=compute)._data)
    return self


def _writes_self(self: Tensor, others: tuple, compute: dtypes.dtype, result_dt: dtypes.dtype,
                 broadcast: bool = False) -> bool:
    """Whether a kernel can write self's memory directly: self C-contiguous in the compute and result dtype, no
    array operand sharing self's memory, scalars of a kind that does not promote. The in-place kernels also want
    every array operand C-contiguous of self's shape and dtype, and no float16; the out-of-place CUDA kernel
    writing into self (broadcast=True) takes operands broadcast with any strides. Otherwise the result goes
    through a temporary, so no input element is read after it was overwritten."""
    target = self._data
    if result_dt is not self.dtype or compute is not self.dtype or not target.flags.c_contiguous \
            or (not broadcast and self.dtype in dtypes.HALF_DTYPES):
        return False
    for o in others:
        if isinstance(o, Tensor):
            a = o._data
            if type(a) is not type(target):
                if broadcast:
                    continue  # a 0-d CPU tensor joins a CUDA op as a scalar
                return False
            if _arrays.may_share_memory(a, target) or (not broadcast and (
                    a.shape != target.shape or a.dtype != target.dtype or not a.flags.c_contiguous)):
                return False
        elif not isinstance(o, bool | int | float):
            return False
    return True

