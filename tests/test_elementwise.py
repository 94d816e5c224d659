"""Elementwise ops against NumPy for every dtype the op supports, across shapes and layouts."""

import math
import re

import numpy as np
import pytest
from conftest import (
    ALL_DTYPES,
    CONTIGUOUS_BROADCAST,
    FLOAT_DTYPES,
    INT_DTYPES,
    LAYOUT_DTYPES,
    dtype_layouts,
    random_array,
    spy_generated_loops,
)

import ntorch as nt
from ntorch import dispatch

SHAPES = [(), (0,), (1,), (7,), (3, 5), (2, 3, 4), (1, 6)]
_erf = np.vectorize(math.erf, otypes=[np.float64])
_erfc = np.vectorize(math.erfc, otypes=[np.float64])

UNARY_REF = {
    "neg": np.negative, "abs": np.abs, "sign": lambda x: x if x.dtype == bool else np.sign(x),
    "square": np.square, "exp": np.exp, "exp2": np.exp2,
    "expm1": np.expm1, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x), "reciprocal": lambda x: 1 / x, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "erf": _erf, "erfc": _erfc,
    "relu": lambda x: np.maximum(x, 0).astype(x.dtype), "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc,
    "frac": lambda x: x - np.trunc(x), "isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite,
    "logical_not": np.logical_not, "bitwise_not": np.invert, "silu": lambda x: x / (1 + np.exp(-x)),
}
DOMAIN = {"log": (0.1, 5), "log2": (0.1, 5), "log10": (0.1, 5), "log1p": (-0.9, 5), "sqrt": (0, 5),
          "rsqrt": (0.1, 5), "asin": (-1, 1), "acos": (-1, 1), "reciprocal": (0.5, 5)}
TOL = {nt.float16: 2e-3, nt.bfloat16: 1.6e-2, nt.float32: 2e-6, nt.float64: 1e-12}


def _expected(ref, arr, out_dt):
    x = arr.astype(np.float64) if arr.dtype == np.float16 or (out_dt.is_floating_point and arr.dtype.kind != "f") \
        else arr
    if arr.dtype.kind == "f":
        x = arr.astype(np.float64)
    with np.errstate(all="ignore"):
        return np.asarray(ref(x))


def _check(got, expected, dt, name):
    got_np = got.float().numpy() if got.dtype is nt.bfloat16 else got.numpy()  # (bfloat16 has no .numpy())
    if got.dtype.is_floating_point:
        tol = TOL[got.dtype] * (4 if name in ("tan", "sinh", "cosh", "expm1", "exp2", "erfc") else 1)
        np.testing.assert_allclose(got_np.astype(np.float64), expected.astype(np.float64), rtol=tol,
                                   atol=tol, equal_nan=True, err_msg=f"{name} {dt}")
    else:
        np.testing.assert_array_equal(got_np, expected.astype(got_np.dtype), err_msg=f"{name} {dt}")


@pytest.mark.parametrize("name", sorted(UNARY_REF))
def test_unary(name, rng):
    fn = getattr(nt, name)
    ref = UNARY_REF[name]
    for dt in dispatch.supported_dtypes(name):
        if (name in ("abs", "neg") and dt is nt.bool) or dt.is_complex:  # (complex: tests/test_complex.py)
            continue
        for shape in SHAPES:
            low, high = DOMAIN.get(name, (-3, 3))
            arr = random_array(rng, shape, dt, low, high)
            for _layout, t, a in dtype_layouts(arr, dt):
                got = fn(t)
                assert got.shape == a.shape
                _check(got, _expected(ref, a, got.dtype), dt, name)


@pytest.mark.parametrize("name", ["exp", "sqrt", "sin", "sigmoid", "tanh"])
@pytest.mark.parametrize("dt", INT_DTYPES + [nt.bool])
def test_unary_float_ops_promote_ints(name, dt, rng):
    arr = random_array(rng, (5,), dt, 0, 5)
    got = getattr(nt, name)(nt.from_numpy(arr))
    assert got.dtype is nt.float32
    _check(got, _expected(UNARY_REF[name], arr.astype(np.float64), got.dtype), dt, name)


def test_unary_special_values():
    x = nt.tensor([float("nan"), float("inf"), -float("inf"), 0.0, -0.0])
    assert np.isnan(nt.exp(x).numpy()[0]) and nt.exp(x).numpy()[1] == np.inf and nt.exp(x).numpy()[2] == 0
    assert nt.isnan(x).tolist() == [True, False, False, False, False]
    assert nt.relu(x).numpy()[0] != nt.relu(x).numpy()[0]
    assert nt.sign(x)[1:].tolist() == [1.0, -1.0, 0.0, 0.0]
    assert nt.nan_to_num(x).tolist()[:3] == [0.0, float(np.finfo(np.float32).max), float(np.finfo(np.float32).min)]
    assert nt.round(nt.tensor([0.5, 1.5, 2.5, -0.5])).tolist() == [0.0, 2.0, 2.0, -0.0]


def test_nan_to_num_arguments_as_torch_parses_them():
    """Optional[float] arguments: None is the default, a 0-d tensor or a bool its value, anything else a TypeError
    naming the argument (positionally None for nan used to fail inside the kernel's typing)."""
    x = nt.tensor([float("nan"), float("inf"), -float("inf"), 1.0])
    big = float(np.finfo(np.float32).max)
    assert nt.nan_to_num(x, None, -1.5).tolist() == [0.0, -1.5, -big, 1.0]
    assert x.clone().nan_to_num_(None, -1.5).tolist() == [0.0, -1.5, -big, 1.0]
    assert nt.nan_to_num(x, nt.tensor(3), neginf=nt.tensor(-2.0)).tolist() == [3.0, big, -2.0, 1.0]
    assert nt.nan_to_num(x, True).tolist()[0] == 1.0
    assert nt.nan_to_num(nt.tensor([1, 2], dtype=nt.int8), nt.tensor(3), 5).tolist() == [1, 2]
    for bad, name in [(nt.tensor([1.0, 2.0]), "Tensor"), ("a", "str"), (nt.tensor([3.0]), "Tensor")]:
        with pytest.raises(TypeError, match=f"argument 'nan' \\(position 2\\) must be float, not {name}"):
            nt.nan_to_num(x, bad)
    with pytest.raises(TypeError, match="argument 'posinf' \\(position 3\\) must be float, not str"):
        x.clone().nan_to_num_(0.0, "a")


BINARY_REF = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.true_divide, "maximum": np.maximum,
    "minimum": np.minimum, "fmax": np.fmax, "fmin": np.fmin, "atan2": np.arctan2, "hypot": np.hypot,
    "eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal, "gt": np.greater,
    "ge": np.greater_equal, "logical_and": np.logical_and, "logical_or": np.logical_or,
    "logical_xor": np.logical_xor, "bitwise_and": np.bitwise_and, "bitwise_or": np.bitwise_or,
    "bitwise_xor": np.bitwise_xor, "remainder": np.remainder, "fmod": np.fmod,
    "floor_divide": np.floor_divide,
}
BROADCAST = [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 5), (3, 1)), ((), (3,)), ((0, 3), (3,)),
             ((5,), ())]


@pytest.mark.parametrize("name", sorted(BINARY_REF))
def test_binary(name, rng):
    fn = getattr(nt, name)
    ref = BINARY_REF[name]
    for dt in ALL_DTYPES:
        op_name = {"floor_divide": "div_floor"}.get(name, name)
        if dt not in dispatch.supported_dtypes(op_name) and not (name == "div" and dt is not None):
            continue
        if name == "sub" and dt is nt.bool:
            continue
        for sa, sb in BROADCAST if dt in LAYOUT_DTYPES else CONTIGUOUS_BROADCAST:
            a = random_array(rng, sa, dt)
            b = random_array(rng, sb, dt)
            if name in ("remainder", "fmod", "floor_divide", "div") and dt is not nt.bool:
                b = np.where(b == 0, np.array(3, dt.np), b).astype(dt.np)
            if dt is nt.bool and name in ("remainder", "fmod", "floor_divide"):
                continue
            got = fn(nt.from_numpy(a), nt.from_numpy(b))
            a64 = a.astype(np.float64) if dt.is_floating_point else a
            b64 = b.astype(np.float64) if dt.is_floating_point else b
            if name == "div" and not dt.is_floating_point:
                a64, b64 = a.astype(np.float64), b.astype(np.float64)
            with np.errstate(all="ignore"):
                exp = np.asarray(ref(a64, b64))
            _check(got, exp, dt, name)
            # non-contiguous left operand
            if a.ndim == 2 and dt in LAYOUT_DTYPES:
                at = nt.from_numpy(np.ascontiguousarray(a.T)).t()
                _check(fn(at, nt.from_numpy(b)), exp, dt, name + " transposed")


@pytest.mark.parametrize("scalar", [2, 2.5, True, -3])
def test_binary_with_python_scalars(scalar, rng):
    for dt in [nt.int32, nt.float32, nt.uint8, nt.float64]:
        a = random_array(rng, (4, 3), dt, 1, 5)
        t = nt.from_numpy(a)
        cases = [(t + scalar, a.astype(np.float64) + scalar), (scalar * t, a.astype(np.float64) * scalar),
                 (t / scalar, a.astype(np.float64) / scalar), (scalar / t, scalar / a.astype(np.float64))]
        if isinstance(scalar, bool):  # torch refuses `-` with any bool operand
            for sub in (lambda t: t - scalar, lambda t: scalar - t, lambda t: t.sub(scalar),
                        lambda t: nt.rsub(t, scalar)):
                with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
                    sub(t)
        else:
            cases += [(t - scalar, a.astype(np.float64) - scalar), (scalar - t, scalar - a.astype(np.float64))]
        for res, exp in cases:
            expected_dt = nt.result_type(t, scalar)
            if res.dtype is not nt.float32 and res.dtype.is_floating_point and expected_dt.is_floating_point:
                assert res.dtype is expected_dt
            if not res.dtype.is_floating_point:
                exp = exp.astype(res.dtype.np)
            np.testing.assert_allclose(res.numpy().astype(np.float64), exp.astype(np.float64), rtol=1e-5, atol=1e-5)


def test_broadcast_error_names_shapes_and_dim():
    with pytest.raises(RuntimeError, match=r"size of tensor a \(3\) must match the size of tensor b \(4\) at "
                                           r"non-singleton dimension 1"):
        nt.zeros(2, 3) + nt.zeros(2, 4)


def test_int_division_by_zero_is_an_error():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nt.arange(3) // 0
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        nt.remainder(nt.arange(3), nt.zeros(3, dtype=nt.int64))
    assert math.isinf(float((nt.ones(1) / 0).item()))


def test_where_clamp_lerp_addcmul(rng):
    a = rng.standard_normal((4, 5)).astype(np.float32)
    b = rng.standard_normal((5,)).astype(np.float32)
    c = a > 0
    np.testing.assert_array_equal(nt.where(nt.from_numpy(c), nt.from_numpy(a), nt.from_numpy(b)).numpy(),
                                  np.where(c, a, b))
    np.testing.assert_array_equal(nt.where(nt.from_numpy(c), nt.from_numpy(a), 0.0).numpy(), np.where(c, a, 0))
    np.testing.assert_array_equal(nt.clamp(nt.from_numpy(a), -0.5, 0.5).numpy(), np.clip(a, -0.5, 0.5))
    np.testing.assert_array_equal(nt.clamp(nt.from_numpy(a), min=0.1).numpy(), np.maximum(a, np.float32(0.1)))
    lo, hi = nt.from_numpy(b), nt.from_numpy(b + 1)
    np.testing.assert_array_equal(nt.clamp(nt.from_numpy(a), lo, hi).numpy(), np.minimum(np.maximum(a, b), b + 1))
    np.testing.assert_allclose(nt.lerp(nt.from_numpy(a), nt.from_numpy(b), 0.3).numpy(), a + 0.3 * (b - a),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nt.addcmul(nt.from_numpy(a), nt.from_numpy(a), nt.from_numpy(b), value=2).numpy(),
                               a + 2 * a * b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nt.addcdiv(nt.from_numpy(a), nt.from_numpy(a), nt.from_numpy(b + 3), value=2).numpy(),
                               a + 2 * a / (b + 3), rtol=1e-5, atol=1e-6)
    assert nt.clamp(nt.arange(5), 1, 3).tolist() == [1, 1, 2, 3, 3]


def test_pow_and_int_rules():
    assert (nt.arange(4) ** 2).tolist() == [0, 1, 4, 9]
    assert (2 ** nt.arange(4)).tolist() == [1, 2, 4, 8]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        nt.arange(3) ** -1
    # a tensor of negative exponents computes torch's integer result: 1 for base 1, +-1 for base -1, else 0
    got = nt.tensor([2, 1, -1, -1, 0, 3]) ** nt.tensor([-1, -5, -2, -3, -1, -2])
    assert got.tolist() == [0, 1, 1, -1, 0, 0]
    assert (2 ** nt.tensor([-1, 3])).tolist() == [0, 8]
    assert nt.pow(nt.tensor([2, 3], dtype=nt.uint8), nt.tensor([-1, 2], dtype=nt.int8)).tolist() == [0, 9]
    np.testing.assert_allclose((nt.tensor([4.0, 9.0]) ** 0.5).numpy(), [2, 3])
    assert (nt.arange(4) ** 0.5).dtype is nt.float32


def test_inplace_ops_and_versions():
    x = nt.ones(3)
    v = x._version
    x += 2
    x.mul_(2)
    x.sub_(nt.ones(3), alpha=3)
    assert x.tolist() == [3.0, 3.0, 3.0]
    assert x._version == v + 3
    i = nt.arange(3)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 1.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        nt.ones(3).add_(nt.ones(2, 3))
    y = nt.zeros(2, 3)
    y.clamp_(min=1)
    assert y.tolist() == [[1, 1, 1], [1, 1, 1]]


def test_out_argument():
    out = nt.empty(3)
    r = nt.add(nt.ones(3), nt.ones(3), out=out)
    assert r is out and out.tolist() == [2, 2, 2]
    with pytest.raises(RuntimeError, match="can't be cast"):
        nt.add(nt.ones(3), nt.ones(3), out=nt.empty(3, dtype=nt.int64))


def test_comparisons_and_logic_operators():
    a = nt.tensor([1, 2, 3])
    assert (a == 2).tolist() == [False, True, False]
    assert (a != 2).dtype is nt.bool
    assert (~(a > 1)).tolist() == [True, False, False]
    assert ((a > 1) & (a < 3)).tolist() == [False, True, False]
    assert (a ^ 1).tolist() == [0, 3, 2]
    with pytest.raises(RuntimeError, match="Negation"):
        _ = -(a > 1)
    with pytest.raises(TypeError):
        ~nt.ones(2)
    close = nt.isclose(nt.tensor([1.0, float("nan")]), nt.tensor([1.0 + 1e-9, float("nan")]), equal_nan=True)
    assert close.numpy().all()


@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_large_parallel_path(dt, rng):
    a = rng.standard_normal(600_000).astype(dt.np)
    got = nt.from_numpy(a) * 2 + 1
    np.testing.assert_allclose(got.numpy(), (a * 2 + 1).astype(dt.np), rtol=TOL[dt])
    s = nt.from_numpy(a)[::3]
    np.testing.assert_allclose((s + s).numpy(), (a[::3] * 2).astype(dt.np), rtol=TOL[dt])
    m = nt.from_numpy(a.reshape(600, 1000))
    row = nt.from_numpy(a[:1000])
    np.testing.assert_allclose((m.t() + row[:600]).numpy(), a.reshape(600, 1000).T + a[:600], rtol=TOL[dt])
    np.testing.assert_allclose((m + row).numpy(), a.reshape(600, 1000) + a[:1000], rtol=TOL[dt])


@pytest.mark.parametrize("n", [5, 1 << 18])
def test_inplace_ops_update_memory_directly_or_through_a_temporary(n, rng):
    # contiguous same-shape operands take the kernels' in-place loops; aliasing and broadcasting do not
    a = random_array(rng, (n,), nt.float32)
    b = random_array(rng, (n,), nt.float32)
    t, u = nt.from_numpy(a.copy()), nt.from_numpy(b.copy())
    t.sub_(u)
    np.testing.assert_array_equal(t.numpy(), a - b)
    t.mul_(t)
    np.testing.assert_array_equal(t.numpy(), (a - b) * (a - b))
    t.add_(2.5, alpha=2)
    np.testing.assert_allclose(t.numpy(), (a - b) * (a - b) + np.float32(5.0), rtol=1e-6)
    m = nt.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3))
    m.mul_(m[0])  # the operand is part of the target: computed through a temporary
    np.testing.assert_array_equal(m.numpy(), np.arange(6).reshape(2, 3) * np.arange(3))
    i = nt.from_numpy(np.arange(n, dtype=np.int64))
    i.add_(nt.from_numpy(np.ones(n, np.int64)), alpha=3)
    np.testing.assert_array_equal(i.numpy(), np.arange(n) + 3)


def test_alpha_rules_follow_torch():
    f, i, b = nt.ones(2), nt.ones(2, dtype=nt.int64), nt.tensor([True, False])
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        f.add(f, alpha=True)
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        i.add(i, alpha=1.5)
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        nt.sub(i, i, alpha=2.0)
    np.testing.assert_array_equal(b.add(b, alpha=True).numpy(), [True, False])
    np.testing.assert_array_equal(i.add(f, alpha=1.5).numpy(), [2.5, 2.5])


def test_square_and_relu_of_bool_follow_torch():
    b = nt.tensor([True, False])
    sq = nt.square(b)  # torch computes pow(b, 2): int64
    assert sq.dtype is nt.int64
    np.testing.assert_array_equal(sq.numpy(), [1, 0])
    assert b.square().dtype is nt.int64
    with pytest.raises(RuntimeError, match="Boolean inputs not supported for relu"):
        nt.relu(b)


def test_addcmul_addcdiv_lerp_in_place_methods(rng):
    a, b, c = (rng.uniform(0.5, 2, (3, 4)) for _ in range(3))
    t = nt.from_numpy(a.copy())
    same = t.addcmul_(nt.from_numpy(b), nt.from_numpy(c), value=0.5)
    assert same is t
    np.testing.assert_allclose(t.numpy(), a + 0.5 * b * c)
    t.addcdiv_(nt.from_numpy(b), nt.from_numpy(c), value=-2)
    np.testing.assert_allclose(t.numpy(), a + 0.5 * b * c - 2 * b / c)
    before = t.numpy().copy()
    t.lerp_(nt.from_numpy(a), 0.25)
    np.testing.assert_allclose(t.numpy(), before + 0.25 * (a - before))
    i = nt.ones(3, dtype=nt.int64)
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        i.addcdiv_(i, i)


def test_in_place_add_sub_alpha_follow_torch():
    x = nt.from_numpy(np.array([1.0, 2.0, 4.0], np.float32))
    x.add_(nt.ones(3), alpha=-0.5)  # the optimizer's update: the in-place fast path with a parameter
    np.testing.assert_array_equal(x.numpy(), [0.5, 1.5, 3.5])
    x.sub_(x.clone(), alpha=2.0)
    np.testing.assert_array_equal(x.numpy(), [-0.5, -1.5, -3.5])
    i = nt.ones(2, dtype=nt.int64)
    i.add_(i.clone(), alpha=3)
    np.testing.assert_array_equal(i.numpy(), [4, 4])
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        x.add_(x, alpha=True)
    with pytest.raises(RuntimeError, match="argument alpha must not be a floating point number"):
        i.add_(i, alpha=0.5)
    with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool tensor"):
        x.sub_(True)


@pytest.mark.parametrize("dt", [nt.float32, nt.int64, nt.float16])
def test_row_broadcast_operands_on_either_side(dt, rng, strided_loops):
    """(n, 1) against (n, m) on either side, and in a non-contiguous (n, m): the loops that load the broadcast
    value once per row."""
    a = random_array(rng, (5, 7), dt, 1, 5)
    col = random_array(rng, (5, 1), dt, 1, 5)
    t, c = nt.from_numpy(a), nt.from_numpy(col)
    for got, want in ((t + c, a.astype(np.float64) + col), (c - t, col.astype(np.float64) - a),
                      (t * c, a.astype(np.float64) * col), (nt.maximum(c, t), np.maximum(col, a)),
                      (t.t().contiguous().t() / c, a.astype(np.float64) / col)):
        _check(got, np.asarray(want), got.dtype, "row broadcast")
    big = nt.from_numpy(np.ascontiguousarray(np.broadcast_to(a[:, :1], (5, 7))))  # same values, stride-1 operand
    np.testing.assert_array_equal((big - c).numpy(), (big.numpy().astype(np.float64) - col).astype(dt.np))


VECTOR_CASES = [((6, 7), (7,)), ((6, 1), (6, 7)), ((2, 3, 4, 5), (1, 3, 1, 1)), ((2, 3, 4, 5), (3, 4, 5)),
                ((2, 3, 4, 5), (3, 4, 1)), ((1, 7), (3, 1, 7)), ((5, 1, 1), (5, 4, 3)), ((70, 4000), (4000,)),
                ((300, 1), (300, 900)), ((4, 64, 33, 33), (1, 64, 1, 1))]


@pytest.mark.parametrize("sa,sb", VECTOR_CASES)
@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int32, nt.bool])
def test_vector_broadcast_loops(sa, sb, dt, rng, strided_loops):
    """A full contiguous operand against a vector along a run of its dims (bias rows, (n, 1) columns, (C, 1, 1)
    channels), on either side, serial and (large shapes) parallel, against NumPy; the same through the general
    path (a non-contiguous full operand, out=)."""
    a, b = random_array(rng, sa, dt, 1, 5), random_array(rng, sb, dt, 1, 5)
    ta, tb = nt.from_numpy(a), nt.from_numpy(b)
    ops = [("add", np.add), ("mul", np.multiply), ("eq", np.equal)]
    if dt is not nt.bool:
        ops += [("sub", np.subtract), ("maximum", np.maximum), ("lt", np.less)]
    if max(a.size, b.size) >= 100_000:  # threaded loops: two ops (each compiles its own; CI time is compile time)
        ops = [op for op in ops if op[0] in ("add", "maximum")]
    for name, ref in ops:
        for x, y, tx, ty in ((a, b, ta, tb), (b, a, tb, ta)):
            got = getattr(nt, name)(tx, ty)
            assert got.shape == np.broadcast_shapes(x.shape, y.shape)
            _check(got, ref(x, y), got.dtype, name)
    # the general path: a transposed copy of the full operand keeps the broadcast but is not contiguous
    full, vec = (a, b) if a.size >= b.size else (b, a)
    tfull = nt.from_numpy(np.ascontiguousarray(np.swapaxes(full, 0, -1))).transpose(0, -1)
    _check(tfull * nt.from_numpy(vec), full * vec, dt, "mul strided")
    out = nt.empty(np.broadcast_shapes(full.shape, vec.shape), dtype=dt)
    nt.add(nt.from_numpy(vec), nt.from_numpy(full), out=out)
    _check(out, vec + full, dt, "add out=")


STRIDED_KIND_CASES = [  # (op, operand kinds: a = tensor, s = Python number, NumPy reference)
    ("neg", "a", np.negative), ("add", "aa", np.add), ("mul", "as", lambda x, y: x * np.asarray(y, x.dtype)),
    ("sub", "sa", lambda x, y: np.asarray(x, y.dtype) - y), ("maximum", "aa", np.maximum),
    ("lt", "aa", np.less), ("where", "aaa", np.where)]


@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int32, nt.int64, nt.uint8, nt.float16, nt.complex64])
@pytest.mark.parametrize("copy", [False, True], ids=["loops", "copied"])
def test_strided_operands_of_each_kind(dt, copy, rng, monkeypatch):
    """Transposed, stepped and expanded operands of one-, two- and three-operand ops with Python numbers on either
    side: through the strided loops, and through the copy to C order that small tensors take by default (the
    loops must then not run)."""
    from ntorch.kernels.cpu import elementwise as ew

    monkeypatch.setattr(ew, "COPY_BELOW_ELEMENTS", 1 << 16 if copy else 0)
    loops = spy_generated_loops(monkeypatch, ("strided_", "tiled_", "vec"))  # the non-contiguous loops that ran
    a = random_array(rng, (6, 5), dt, 1, 5)
    b = random_array(rng, (6, 5), dt, 1, 5)
    mask = random_array(rng, (6, 5), nt.bool)
    views = {"transposed": lambda x: nt.from_numpy(np.ascontiguousarray(x.T)).t(),
             "stepped": lambda x: nt.from_numpy(np.repeat(x, 2, axis=1))[:, ::2],
             "expanded": lambda x: nt.from_numpy(x[:1].copy()).expand(6, 5)}
    for name, kinds, ref in STRIDED_KIND_CASES:
        if dt.is_complex and name in ("maximum", "lt"):
            continue
        for layout, view in views.items():
            xa = a[:1].repeat(6, 0) if layout == "expanded" else a
            args, refs = [], []
            for k, kind in enumerate(kinds):
                if name == "where" and k == 0:
                    args.append(view(mask))
                    refs.append(mask[:1].repeat(6, 0) if layout == "expanded" else mask)
                elif kind == "s":
                    args.append(2)
                    refs.append(2)
                else:
                    args.append(view(a) if k == 0 or name == "where" and k == 1 else nt.from_numpy(b))
                    refs.append(xa if k == 0 or name == "where" and k == 1 else b)
            got = getattr(nt, name)(*args)
            _check(got, np.asarray(ref(*refs)), dt, f"{name} {layout}")
    if copy:
        assert loops == []
    else:
        # (float16 operands reach the loops as float32 copies: an expanded one is then full)
        expected = {"strided_a", "strided_aa", "strided_aaa", "strided_as", "vec0_aa"} - (
            {"vec0_aa"} if dt is nt.float16 else set())
        assert expected <= set(loops)


def test_vector_broadcast_grad_and_dtypes(rng):
    """The bias-add fast path records the node that sums the gradient back to the vector; mixed dtypes promote."""
    x = nt.from_numpy(random_array(rng, (4, 3), nt.float64, -1, 1)).requires_grad_()
    b = nt.from_numpy(random_array(rng, (3,), nt.float64, -1, 1)).requires_grad_()
    ((x - b) * 2).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(3, -8.0))
    np.testing.assert_allclose(x.grad.numpy(), np.full((4, 3), 2.0))
    i = nt.from_numpy(np.arange(12, dtype=np.int64).reshape(4, 3))
    f = nt.from_numpy(np.array([0.5, 1.5, 2.5], np.float32))
    got = i + f
    assert got.dtype is nt.float32
    np.testing.assert_allclose(got.numpy(), np.arange(12).reshape(4, 3) + np.array([0.5, 1.5, 2.5]))
    with pytest.raises(RuntimeError, match="must match the size"):
        nt.ones(4, 3) + nt.ones(4)


def test_zero_dim_tensor_as_scalar_argument():
    """torch's parser takes a 0-d tensor that needs no grad for a Scalar argument (alpha, value), by its value."""
    x, g = nt.ones(3), nt.full((3,), 2.0)
    np.testing.assert_allclose(x.add(g, alpha=nt.tensor(2.0)).numpy(), 5.0)
    np.testing.assert_allclose(nt.sub(x, g, alpha=nt.tensor(3)).numpy(), -5.0)
    np.testing.assert_allclose(x.addcmul(g, g, value=nt.tensor(0.5)).numpy(), 3.0)
    np.testing.assert_allclose(nt.addcdiv(x, g, g, value=nt.tensor(2)).numpy(), 3.0)
    y = nt.ones(3)
    y.add_(g, alpha=nt.tensor(-0.5)).addcmul_(g, g, value=nt.tensor(0.25)).addcdiv_(g, g, value=nt.tensor(1.0))
    np.testing.assert_allclose(y.numpy(), 2.0)
    with pytest.raises(RuntimeError, match="For integral input tensors, argument alpha must not be a floating"):
        nt.ones(3, dtype=nt.int64).add(nt.ones(3, dtype=nt.int64), alpha=nt.tensor(2.5))
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results."):
        x.add(g, alpha=nt.tensor(True))
    for call, message in [(lambda: nt.add(x, g, alpha=nt.tensor([2.0])), "add(): argument 'alpha' must be Number"),
                          (lambda: x.add_(g, alpha=nt.ones(1)), "add_(): argument 'alpha' must be Number"),
                          (lambda: x.addcdiv(g, g, value=nt.tensor(0.5, requires_grad=True)),
                           "addcdiv(): argument 'value' must be Number")]:
        with pytest.raises(TypeError, match=re.escape(message + ", not Tensor")):
            call()


def test_optimizers_take_a_tensor_lr():
    """A 0-d tensor lr runs the op-by-op step (alpha=-lr); the values are the float lr's."""
    for cls, kw in [(nt.optim.SGD, {"momentum": 0.9}), (nt.optim.Adam, {}), (nt.optim.RMSprop, {})]:
        steps = []
        for lr in (nt.tensor(0.1), 0.1):
            p = nt.nn.Parameter(nt.ones(3))
            opt = cls([p], lr=lr, **kw)
            for _ in range(2):
                p.grad = nt.full((3,), 0.5)
                opt.step()
            steps.append(p.detach().numpy())
        np.testing.assert_allclose(steps[0], steps[1], rtol=1e-6)
        assert not np.allclose(steps[0], 1.0)


def test_addcdiv_rounds_as_torch():
    """torch computes input + (value * tensor1) / tensor2, each step rounded in the dtype (bit for bit here)."""
    rng = np.random.default_rng(5)
    a, b, c = (rng.standard_normal(4099).astype(np.float32) for _ in range(3))
    v = np.float32(0.37)
    got = nt.addcdiv(nt.tensor(a), nt.tensor(b), nt.tensor(c), value=0.37).numpy()
    np.testing.assert_array_equal(got, a + (v * b) / c)
