"""softmax / log_softmax against float64 NumPy references: every float dtype, every dim of 1-3-D inputs,
non-contiguous layouts, stability for large magnitudes, inf/NaN rows, empty and 0-d inputs, dtype=, errors."""

import re
import warnings

import numpy as np
import pytest
from conftest import FLOAT_DTYPES, INT_DTYPES, layouts, random_array
from ntorch.kernels.cpu import softmax as K

import ntorch as nt
import ntorch.nn.functional as F

TOL = {nt.float16: 2e-3, nt.float32: 2e-6, nt.float64: 1e-13}
OPS = ["softmax", "log_softmax"]


def ref(a, dim, log):
    """float64 reference; 0-d arrays normalise over themselves."""
    a = np.asarray(a, np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        m = a.max(axis=dim, keepdims=True) if a.ndim else a
        e = np.exp(a - m)
        s = e.sum(axis=dim, keepdims=True) if a.ndim else e
        return (a - m) - np.log(s) if log else e / s


def check(got, expected, dt, log=False):
    assert got.dtype is dt
    expected = np.asarray(expected)
    assert tuple(got.shape) == expected.shape
    tol = TOL[dt]
    g = got.numpy().astype(np.float64)
    with np.errstate(over="ignore"):  # the reference rounded to the result dtype (float16 overflows to inf)
        expected = expected.astype(dt.np).astype(np.float64)
    # log_softmax values grow with the input's magnitude: compare them relatively
    np.testing.assert_allclose(g, expected, rtol=tol if log else 0, atol=tol * (4 if log else 1), equal_nan=True)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dt", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (7,), (3, 4), (2, 3, 5), (4, 1, 3)])
def test_every_dim(rng, op, dt, shape):
    a = random_array(rng, shape, dt)
    fn = getattr(nt, op)
    nd = max(len(shape), 1)
    for dim in range(-nd, nd):
        check(fn(nt.from_numpy(a), dim), ref(a, dim if a.ndim else None, op == "log_softmax"), dt, op == "log_softmax")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_layouts(rng, op, dt):
    a = random_array(rng, (1, 6, 5), dt)
    for name, t, arr in layouts(a):
        for dim in (0, 1, 2, -1):
            got = getattr(nt, op)(t, dim)
            check(got, ref(arr, dim, op == "log_softmax"), dt, op == "log_softmax")
            assert got.is_contiguous(), name


@pytest.mark.parametrize("op", OPS)
def test_methods_and_functional(rng, op):
    a = random_array(rng, (3, 4), nt.float32)
    t = nt.from_numpy(a)
    expected = ref(a, 1, op == "log_softmax")
    check(getattr(t, op)(1), expected, nt.float32, True)
    check(getattr(t, op)(dim=-1), expected, nt.float32, True)
    check(getattr(F, op)(t, 1), expected, nt.float32, True)
    check(getattr(F, op)(t, 1, 3, nt.float64), expected, nt.float64, True)  # F's _stacklevel slot
    check(getattr(nt, op)(t, 1, nt.float64), expected, nt.float64, True)  # torch.softmax(x, dim, dtype)
    check(getattr(t, op)(1, dtype=nt.float64), expected, nt.float64, True)


@pytest.mark.parametrize("shape,dim", [((), 0), ((5,), 0), ((2, 3), 1), ((2, 3, 4), 0), ((2, 3, 4, 5), 1)])
def test_functional_implicit_dim(rng, shape, dim):
    """F.softmax(x) without dim: torch's legacy rule (0 for 0-, 1- and 3-d inputs, else 1) and a warning."""
    a = random_array(rng, shape, nt.float64)
    for op in OPS:
        with pytest.warns(UserWarning, match="Implicit dimension choice for " + op):
            got = getattr(F, op)(nt.from_numpy(a))
        check(got, ref(a, dim if a.ndim else None, op == "log_softmax"), nt.float64, op == "log_softmax")


@pytest.mark.parametrize("op", OPS)
def test_dtype_argument(rng, op):
    a = random_array(rng, (3, 5), nt.float16)
    got = getattr(nt, op)(nt.from_numpy(a), 1, dtype=nt.float32)
    check(got, ref(a, 1, op == "log_softmax"), nt.float32, op == "log_softmax")
    b = random_array(rng, (3, 5), nt.float32)
    got = getattr(nt, op)(nt.from_numpy(b), 0, dtype=nt.float16)
    check(got, ref(b.astype(np.float16), 0, op == "log_softmax"), nt.float16, op == "log_softmax")
    ints = random_array(rng, (3, 5), nt.int64)
    got = getattr(nt, op)(nt.from_numpy(ints), -1, dtype=nt.float64)
    check(got, ref(ints, -1, op == "log_softmax"), nt.float64, op == "log_softmax")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dt", [nt.bool, *INT_DTYPES])
def test_integer_input_raises(op, dt):
    t = nt.zeros(2, 3, dtype=dt)
    name = {nt.bool: "Bool", nt.uint8: "Byte", nt.int8: "Char", nt.int16: "Short", nt.int32: "Int",
            nt.int64: "Long"}[dt]
    with pytest.raises(NotImplementedError, match=re.escape(f"\"{op}_lastdim_kernel_impl\" not implemented for "
                                                            f"'{name}'")):
        getattr(nt, op)(t, 1)
    with pytest.raises(NotImplementedError, match=re.escape(f"\"{op}_kernel_impl\" not implemented")):
        getattr(nt, op)(t, 0)
    with pytest.raises(NotImplementedError):
        getattr(nt, op)(t, 0, dtype=nt.int32)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dt", FLOAT_DTYPES)
def test_large_magnitudes_are_stable(rng, op, dt):
    big = {nt.float16: 6e4, nt.float32: 1e30, nt.float64: 1e300}[dt]
    a = np.array([[big, -big, big], [big, big * 0.5, 0.0]], dt.np)
    scaled = (random_array(rng, (4, 9), dt) * (1e3 if dt is nt.float16 else 1e4)).astype(dt.np)
    for arr in (a, scaled):
        for dim in (0, 1):
            got = getattr(nt, op)(nt.from_numpy(arr), dim)
            with np.errstate(over="ignore"):
                finite = np.isfinite(ref(arr, dim, op == "log_softmax").astype(dt.np))
            assert np.isfinite(got.numpy()[finite]).all()
            check(got, ref(arr, dim, op == "log_softmax"), dt, op == "log_softmax")


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dim", [0, 1])
def test_inf_and_nan(op, dim):
    inf, nan = np.inf, np.nan
    rows = np.array([[-inf, -inf, -inf], [-inf, 1.0, 2.0], [inf, 1.0, 2.0], [nan, 1.0, 2.0], [1.0, 2.0, 3.0]],
                    np.float32)
    a = rows if dim == 1 else np.ascontiguousarray(rows.T)
    got = getattr(nt, op)(nt.from_numpy(a), dim)
    expected = ref(a, dim, op == "log_softmax")
    check(got, expected, nt.float32, op == "log_softmax")
    r = got.numpy() if dim == 1 else got.numpy().T
    assert np.isnan(r[0]).all() and np.isnan(r[2]).all() and np.isnan(r[3]).all()  # as torch
    assert (r[1, 0] == (-inf if op == "log_softmax" else 0.0)) and np.isfinite(r[1, 1:]).all()


@pytest.mark.parametrize("op", OPS)
def test_long_rows_and_wide_inner(rng, op):
    """Rows longer than the kernels' accumulation block; inner dims wider than their column tile."""
    a = random_array(rng, (2, 5000), nt.float32)
    check(getattr(nt, op)(nt.from_numpy(a), 1), ref(a, 1, op == "log_softmax"), nt.float32, True)
    b = random_array(rng, (3, 2, K._TILE + 5), nt.float32)
    check(getattr(nt, op)(nt.from_numpy(b), 1), ref(b, 1, op == "log_softmax"), nt.float32, True)


@pytest.mark.parametrize("op", OPS)
def test_parallel_kernels(rng, op, monkeypatch):
    monkeypatch.setattr(K, "PAR_MIN", 0)
    for shape, dim in (((9, 33), 1), ((5, 7, 70), 1), ((1, 6, 200), 1)):
        a = random_array(rng, shape, nt.float32)
        check(getattr(nt, op)(nt.from_numpy(a), dim), ref(a, dim, op == "log_softmax"), nt.float32, True)


@pytest.mark.parametrize("op", OPS)
def test_empty_and_zero_d(op):
    for shape in ((0, 3), (3, 0), (2, 0, 4)):
        for dim in range(len(shape)):
            got = getattr(nt, op)(nt.zeros(*shape), dim)
            assert tuple(got.shape) == shape and got.dtype is nt.float32
    assert getattr(nt, op)(nt.tensor(2.5), 0).item() == (0.0 if op == "log_softmax" else 1.0)
    assert getattr(nt, op)(nt.tensor(2.5), -1).item() == (0.0 if op == "log_softmax" else 1.0)
    assert np.isnan(getattr(nt, op)(nt.tensor(float("inf")), 0).item())


@pytest.mark.parametrize("op", OPS)
def test_errors(op):
    t = nt.zeros(2, 3)
    with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in range of [-2, 1], "
                                                   "but got 2)")):
        getattr(nt, op)(t, 2)
    with pytest.raises(IndexError):
        getattr(nt, op)(nt.tensor(1.0), 1)
    with pytest.raises(TypeError, match="argument 'dim' must be int"):
        getattr(nt, op)(t, 1.5)
    with pytest.raises(TypeError, match="must be Tensor"):
        getattr(nt, op)(np.zeros(3), 0)
    with pytest.raises(TypeError, match="argument 'dtype'"):
        getattr(nt, op)(t, 1, dtype="float64")


def test_no_warning_with_dim():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.softmax(nt.zeros(2, 3), dim=1)
