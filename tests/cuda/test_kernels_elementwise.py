"""CUDA elementwise kernels against an oracle that evaluates the op table's expression element by element in
Python (NumPy scalars of the compute dtype, NumPy for the `_f32` names, the CPU scalar helpers compiled for the
CPU: their Python code uses `math.*`, which raises where the kernels give inf/nan)."""

import math

import numpy as np
import pytest
from cuda_util import broadcast, dev, empty, host, layouts, stepped, transposed
from ntorch.kernels.cpu import scalar as cpu_scalar
from ntorch.kernels.cuda.elementwise import CudaElementwiseKernel, computes_natively, cuda_kernel_for, to_cuda_expr

from ntorch import dtypes
from ntorch.ops.elementwise import OPS, _expr_for


def _sigmoid(x):
    return np.float32(1) / (np.float32(1) + np.exp(-x))


def _softplus(x, beta, threshold):
    z = x * beta
    return x if z > threshold else np.log1p(np.exp(z)) / beta


_NAMESPACE = {
    "np": np, "math": math,
    "exp_f32": np.exp, "exp2_f32": np.exp2, "expm1_f32": np.expm1, "log_f32": np.log, "log2_f32": np.log2,
    "log10_f32": np.log10, "log1p_f32": np.log1p, "tanh_f32": np.tanh, "sigmoid_f32": _sigmoid,
    "silu_f32": lambda x: x * _sigmoid(x), "softplus_f32": _softplus,
    "erf_f32": lambda x: np.float32(math.erf(x)), "erfc_f32": lambda x: np.float32(math.erfc(x)),
    "gelu_tanh_f32": lambda x: np.float32(0.5) * x * (
        1 + np.tanh(np.float32(0.7978845608028654) * (x + np.float32(0.044715) * x ** 3))),
    "sign": np.sign, "fma": cpu_scalar.fma,  # (the stub's Python body: exact, one rounding)
}
for _name in dir(cpu_scalar):
    _fn = getattr(cpu_scalar, _name)
    if hasattr(_fn, "py_func") and _name not in _NAMESPACE:
        _NAMESPACE[_name] = _fn

_POSITIVE = {"log", "log2", "log10", "log1p", "sqrt", "rsqrt", "asin", "acos", "pow"}
_DIVISORS = {"div", "div_floor", "div_trunc", "remainder", "fmod", "addcdiv"}
_PARAMS = {"softplus": (1.0, 20.0), "round_decimals": (2,), "nan_to_num": (0.0, 100.0, -100.0),
           "isclose": (1e-5, 1e-8, False), "add_alpha": (2,), "sub_alpha": (2,), "addcmul": (2,), "addcdiv": (0.5,),
           "logit": (0.05,)}


def _operands(op, dt, shape, rng):
    """Host operand arrays in the op's domain (divisors nonzero, logs positive, small integer powers)."""
    out = []
    for k in range(op.arity):
        if op.name == "where" and k == 0:
            out.append(rng.random(shape) > 0.5)
        elif dt is dtypes.bool:
            out.append(rng.random(shape) > 0.5)
        elif dt.is_floating_point:
            lo, hi = (0.1, 0.9) if op.name in _POSITIVE else (-2.0, 2.0)
            v = rng.uniform(lo, hi, shape)
            if k == 1 and op.name in _DIVISORS:
                v = np.where(np.abs(v) < 0.25, 0.5, v)
            out.append(v.astype(dt.np))
        else:
            lo = 0 if dt is dtypes.uint8 else -5
            v = rng.integers(lo, 6, shape)
            if op.name == "pow":
                v = rng.integers(0, 4, shape) if k == 1 else rng.integers(0 if lo == 0 else -3, 4, shape)
            if k == 1 and op.name in _DIVISORS:
                v = np.where(v == 0, 3, v)
            out.append(v.astype(dt.np))
    return out


def _params(op, dt):
    p = _PARAMS.get(op.name, ())
    if op.name == "add_alpha" and dt is dtypes.bool:
        return (True,)
    if dt.is_floating_point and op.name in ("add_alpha", "sub_alpha", "addcmul"):
        return (1.5,)
    return p


def _result_np(op, dt):
    return np.dtype(np.bool_) if op.result == "bool" else dt.np


def oracle(op, dt, operands, params):
    """out[i] = expr(x[i], y[i], ...) in Python, computing in float32 for float16 as the CPU does."""
    expr = _expr_for(op, dt)
    compute = np.float32 if dt is dtypes.float16 else dt.np.type
    shape = np.broadcast_shapes(*[np.shape(a) for a in operands])
    arrs = [np.broadcast_to(a, shape) for a in operands]
    want = np.empty(shape, _result_np(op, dt))
    ns = dict(_NAMESPACE, T=compute, **{f"p{j}": v for j, v in enumerate(params)})
    code = compile(expr, "<expr>", "eval")
    with np.errstate(all="ignore"):
        for idx in np.ndindex(*shape):
            for name, a in zip("xyz", arrs):
                ns[name] = compute(a[idx])
            want[idx] = np.asarray(eval(code, ns)).astype(want.dtype)  # wrapped, as a kernel stores it
    return want


def _tolerance(dt, native):
    if dt is dtypes.float16:
        return dict(rtol=4e-3, atol=4e-3)
    if dt is dtypes.float32:
        return dict(rtol=2e-5, atol=2e-6)
    return dict(rtol=1e-12, atol=1e-13)


def check(got, want, dt, native=True):
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), equal_nan=True,
                                   **_tolerance(dt, native))
    else:
        np.testing.assert_array_equal(got, want)


def _kernel(op, dt):
    return cuda_kernel_for(op.name, _expr_for(op, dt), dt.np.name, op.arity, op.nparams)


# (bfloat16 has no kernel of its own: dispatch runs the float32 one, see test_bfloat16_cuda.py)
_CASES = [(op, dt) for op in OPS for dt in op.dtypes if not dt.is_complex and dt is not dtypes.bfloat16]


@pytest.mark.parametrize("op,dt", _CASES, ids=[f"{op.name}-{dt.name}" for op, dt in _CASES])
def test_every_op_and_dtype_matches_the_oracle(op, dt):
    rng = np.random.default_rng(abs(hash(op.name)) % 1000)
    operands = _operands(op, dt, (11,), rng)
    params = _params(op, dt)
    want = oracle(op, dt, operands, params)
    out = empty(want.shape, want.dtype)
    _kernel(op, dt)(out, *[dev(a) for a in operands], params=params)
    check(host(out), want, dt)


_LAYOUT_CASES = [(name, dt) for name in ["add_alpha", "mul", "where", "clamp", "maximum", "lt", "exp", "remainder"]
                 for dt in (dtypes.float32, dtypes.int32, dtypes.float16)
                 if dt in next(o for o in OPS if o.name == name).dtypes]


@pytest.mark.parametrize("name,dt", _LAYOUT_CASES, ids=[f"{n}-{d.name}" for n, d in _LAYOUT_CASES])
def test_non_contiguous_operands(name, dt):
    op = next(o for o in OPS if o.name == name)
    rng = np.random.default_rng(1)
    operands = _operands(op, dt, (3, 5), rng)
    params = _params(op, dt)
    want = oracle(op, dt, operands, params)
    kernel = _kernel(op, dt)
    for k in range(op.arity):
        for _layout, d in layouts(operands[k]):
            args = [d if j == k else (transposed(a) if j % 2 else stepped(a)) for j, a in enumerate(operands)]
            out = empty(want.shape, want.dtype)
            kernel(out, *args, params=params)
            check(host(out), want, dt)


def test_broadcast_and_scalar_operands():
    op = next(o for o in OPS if o.name == "addcmul")
    k = _kernel(op, dtypes.float32)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 1, 3)).astype(np.float32)
    y = rng.standard_normal((5, 1)).astype(np.float32)
    want = x + np.float32(2.0) * y * np.float32(3.0)
    out = empty((4, 5, 3), np.float32)
    k(out, broadcast(x, (4, 5, 3)), broadcast(y, (4, 5, 3)), 3.0, params=(2.0,))
    np.testing.assert_allclose(host(out), want, rtol=1e-6)
    # every operand a scalar but one that is a 0-d array
    out0 = empty((), np.float32)
    k(out0, dev(np.array(1.5, np.float32)), 2.0, np.float32(3.0), params=(0.5,))
    assert host(out0) == np.float32(1.5 + 0.5 * 2.0 * 3.0)


def test_sizes_zero_one_and_odd(big):
    op = next(o for o in OPS if o.name == "sub")
    k = _kernel(op, dtypes.float64)
    sizes = [0, 1, 33, 97] + ([1 << 20, (1 << 20) + 3] if big else [])
    for n in sizes:
        a = np.arange(n, dtype=np.float64)
        out = empty((n,), np.float64)
        k(out, dev(a), dev(a * 3))
        np.testing.assert_array_equal(host(out), a - a * 3)
    out = empty((2, 0, 3), np.float64)
    k(out, dev(np.zeros((2, 0, 3))), 1.0)  # nothing to do, nothing launched


def test_inplace():
    op = next(o for o in OPS if o.name == "add_alpha")
    k = _kernel(op, dtypes.float32)
    a = np.arange(10, dtype=np.float32)
    b = np.linspace(-1, 1, 10).astype(np.float32)
    t = dev(a)
    k.inplace(t, dev(b), params=(2.0,))
    np.testing.assert_allclose(host(t), a + 2 * b, rtol=1e-6)
    k.inplace(t, 1.0, params=(-1.0,))
    np.testing.assert_allclose(host(t), a + 2 * b - 1, rtol=1e-6)


def test_special_values_follow_torch():
    vals = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 3.0], np.float32)
    other = np.array([1.0, np.nan, 2.0, -0.0, np.inf, np.nan, -3.0, 3.0], np.float32)
    for name in ["maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "remainder", "div_floor", "atan2"]:
        op = next(o for o in OPS if o.name == name)
        want = oracle(op, dtypes.float32, [vals, other], ())
        out = empty(vals.shape, want.dtype)
        _kernel(op, dtypes.float32)(out, dev(vals), dev(other))
        check(host(out), want, dtypes.float32)
    for name in ["isnan", "isinf", "isfinite", "sign", "relu", "exp", "tanh", "sigmoid", "round", "floor", "frac",
                 "nan_to_num", "erf"]:
        op = next(o for o in OPS if o.name == name)
        params = _params(op, dtypes.float32)
        want = oracle(op, dtypes.float32, [vals], params)
        out = empty(vals.shape, want.dtype)
        _kernel(op, dtypes.float32)(out, dev(vals), params=params)
        check(host(out), want, dtypes.float32)


def test_float16_native_where_the_expression_allows():
    assert computes_natively("x + T(p0) * y")
    assert computes_natively("y if x else z")
    assert computes_natively("x if not (x <= 0) else T(0)")
    assert not computes_natively("exp_f32(x)")
    assert not computes_natively("maximum_nan(x, y)")
    assert not computes_natively("x ** y")
    assert CudaElementwiseKernel("mul", "x * y", "float16", 2).kernel_compute == "float16"
    assert CudaElementwiseKernel("exp", "exp_f32(x)", "float16", 1).kernel_compute == "float32"
    # native float16 rounds each operation: x * y + z in halves differs from the float32 result rounded once
    x = np.array([1.0009765625], np.float16)
    k = CudaElementwiseKernel("addcmul", "x + T(p0) * y * z", "float16", 3, 1)
    out = empty((1,), np.float16)
    k(out, dev(x), dev(x), dev(x), params=(1.0,))
    h = np.float16
    assert host(out)[0] == h(x[0] + h(h(h(1.0) * x[0]) * x[0]))


def test_expression_rewrite():
    assert to_cuda_expr("T(1) / np.sqrt(x)") == "T(1) / M.sqrt(x)"
    assert to_cuda_expr("np.arctan2(x, y) + math.erf(x)") == "M.atan2(x, y) + M.erf(x)"
    with pytest.raises(ValueError, match="no CUDA mapping"):
        to_cuda_expr("np.frexp(x)")


def test_bad_calls_raise_before_launch():
    k = CudaElementwiseKernel("add", "x + y", "float32", 2)
    out = empty((3,), np.float32)
    with pytest.raises(TypeError, match="expected 2 operands"):
        k(out, dev(np.ones(3, np.float32)))
    with pytest.raises(TypeError, match="expected 0 parameters"):
        k(out, 1.0, dev(np.ones(3, np.float32)), params=(1.0,))
    with pytest.raises(ValueError, match="not broadcast"):
        k(out, dev(np.ones(4, np.float32)), 1.0)
