"""Reductions against NumPy references (float64 accumulation), with PyTorch's dtypes, NaN rules and errors.

Every op is checked for every dtype it supports, over dim=None / int / negative int / tuple (unsorted) / (),
with and without keepdim, on contiguous, transposed, stepped and expanded (stride-0) inputs.
"""

import math
import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, FLOAT_DTYPES, INT_DTYPES, layouts, random_array

import ntorch as nt

SHAPES = [(), (1,), (7,), (3, 4), (3, 4, 5), (1, 6)]
DIMS = [None, 0, -1, (0, 2), (-1, 0), (1,), ()]
TOL = {nt.float16: 2e-3, nt.float32: 2e-5, nt.float64: 1e-12}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _dims_for(shape):
    """The DIMS entries valid for an array of this shape (dim 0 and -1 always exist: 0-d counts as 1-d)."""
    nd = max(len(shape), 1)
    out = []
    for d in DIMS:
        ds = () if d is None else (d,) if isinstance(d, int) else d
        if all(-nd <= x < nd for x in ds) and len({x % nd for x in ds}) == len(ds):
            out.append(d)
    return out


def _axis(dim, ndim):
    """NumPy's axis for a torch dim: None and () reduce everything; 0-d arrays take dim 0 / -1 as no-ops."""
    if dim is None or dim == ():
        return None
    if ndim == 0:
        return None
    return dim


def _check(got, expected, dt, err=""):
    expected = np.asarray(expected)
    assert tuple(got.shape) == expected.shape, err
    if got.dtype.is_floating_point:
        tol = TOL[got.dtype]
        with np.errstate(over="ignore"):  # the reference rounded to the result dtype (float16 overflows to inf)
            ref = expected.astype(got.numpy().dtype).astype(np.float64)
        np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=tol, atol=tol * 10, equal_nan=True,
                                   err_msg=err)
    else:
        np.testing.assert_array_equal(got.numpy(), expected.astype(got.numpy().dtype), err_msg=err)


def _acc(a):
    """a widened as torch accumulates: float64 for floats, int64 for ints and bool."""
    return a.astype(np.float64 if a.dtype.kind == "f" else np.int64)


def _cases(rng, dtypes, low=-5, high=5):
    for dt in dtypes:
        for shape in SHAPES:
            arr = random_array(rng, shape, dt, low, high)
            for layout, t, a in layouts(arr):
                for dim in _dims_for(shape):
                    for keepdim in (False, True):
                        yield dt, layout, t, a, dim, keepdim


def _kw(dim, keepdim):
    return {} if dim is None and not keepdim else {"dim": dim, "keepdim": keepdim}


# ----------------------------------------------------------------------------------------------------------
# sum / prod / mean
# ----------------------------------------------------------------------------------------------------------
def test_sum_every_dtype_dim_layout(rng):
    for dt, layout, t, a, dim, keepdim in _cases(rng, ALL_DTYPES):
        got = nt.sum(t, **_kw(dim, keepdim)) if dim is not None or keepdim else t.sum()
        assert got.dtype is (dt if dt.is_floating_point else nt.int64)
        ax = _axis(dim, a.ndim)
        _check(got, np.sum(_acc(a), axis=ax, keepdims=keepdim if a.ndim else False), dt,
               f"sum {dt} {layout} {a.shape} dim={dim} keepdim={keepdim}")


def test_prod_every_dtype_dim_layout(rng):
    for dt in ALL_DTYPES:
        for shape in SHAPES:
            arr = random_array(rng, shape, dt, -2, 3)
            for layout, t, a in layouts(arr):
                for dim in [None] + ([0, -1] if shape else [0]):
                    for keepdim in (False, True) if dim is not None else (False,):
                        got = t.prod() if dim is None else t.prod(dim, keepdim=keepdim)
                        assert got.dtype is (dt if dt.is_floating_point else nt.int64)
                        ax = _axis(dim, a.ndim)
                        _check(got, np.prod(_acc(a), axis=ax, keepdims=keepdim if a.ndim else False), dt,
                               f"prod {dt} {layout} {a.shape} dim={dim}")


def test_mean_float_dtypes(rng):
    for dt, layout, t, a, dim, keepdim in _cases(rng, FLOAT_DTYPES):
        got = t.mean(**_kw(dim, keepdim))
        assert got.dtype is dt
        _check(got, np.mean(_acc(a), axis=_axis(dim, a.ndim), keepdims=keepdim if a.ndim else False), dt,
               f"mean {dt} {layout} {a.shape} dim={dim}")


def test_sum_dtype_argument():
    x = nt.tensor([100, 100], dtype=nt.int8)
    assert x.sum().item() == 200 and x.sum().dtype is nt.int64
    s8 = x.sum(dtype=nt.int8)
    assert s8.dtype is nt.int8 and s8.item() == -56  # wraps, as torch
    assert nt.arange(12, dtype=nt.int8).sum(dtype=nt.float32).item() == 66.0
    assert nt.tensor([1, 2]).sum(dtype=nt.bool).item() is True
    assert nt.tensor([1, 2]).sum(dtype=nt.bool).dtype is nt.bool
    assert nt.ones(3, dtype=nt.float16).sum(dtype=nt.float32).dtype is nt.float32
    assert nt.tensor([1, 2, 3], dtype=nt.uint8).prod(dtype=nt.uint8).dtype is nt.uint8
    assert nt.tensor([1, 2, 3], dtype=nt.int32).sum().dtype is nt.int64
    assert nt.tensor([True, True]).sum().item() == 2 and nt.tensor([True, True]).prod().item() == 1
    assert nt.tensor([255, 255], dtype=nt.uint8).sum().item() == 510
    assert nt.tensor([1, 2, 3]).mean(dtype=nt.float32).item() == 2.0
    assert nt.tensor([1.0, 2.0]).mean(dtype=nt.float64).dtype is nt.float64
    assert nt.tensor([2**40, 2**40, 2**40]).prod().item() == 0  # int64 wraps: 2**120 = 0 mod 2**64
    assert nt.tensor([2**62, 3]).prod().item() == -(2**62)


def test_mean_errors():
    _raises(RuntimeError, "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            "complex dtype. Got: Long", nt.tensor([1, 2, 3]).mean)
    _raises(RuntimeError, "mean(): could not infer output dtype. Input dtype must be either a floating point or "
            "complex dtype. Got: Bool", nt.tensor([True]).mean)
    _raises(RuntimeError, "mean(): could not infer output dtype. Optional dtype must be either a floating point or "
            "complex dtype. Got: Long", nt.tensor([1.0, 2.0]).mean, dtype=nt.int64)


# ----------------------------------------------------------------------------------------------------------
# max / min / amax / amin / argmax / argmin
# ----------------------------------------------------------------------------------------------------------
def test_amax_amin_every_dtype(rng):
    for dt, layout, t, a, dim, keepdim in _cases(rng, ALL_DTYPES):
        ax = _axis(dim, a.ndim)
        kd = keepdim if a.ndim else False
        kw = {} if dim is None else {"dim": dim}
        got_max, got_min = t.amax(**kw, keepdim=keepdim), nt.amin(t, **kw, keepdim=keepdim)
        assert got_max.dtype is dt and got_min.dtype is dt
        _check(got_max, np.max(a, axis=ax, keepdims=kd), dt, f"amax {dt} {layout} {a.shape} {dim}")
        _check(got_min, np.min(a, axis=ax, keepdims=kd), dt, f"amin {dt} {layout} {a.shape} {dim}")


def test_max_min_full_and_with_dim(rng):
    for dt in ALL_DTYPES:
        for shape in SHAPES:
            arr = random_array(rng, shape, dt, -3, 3)  # small range: many ties
            for layout, t, a in layouts(arr):
                assert t.max().item() == a.max() and t.min().item() == a.min() and t.max().dtype is dt
                for dim in [0, -1] + ([1] if a.ndim >= 2 else []):
                    for keepdim in (False, True):
                        for op, npf, argf in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
                            res = getattr(t, op)(dim, keepdim=keepdim)
                            values, indices = res
                            assert res.values is values and res.indices is indices
                            assert values.dtype is dt and indices.dtype is nt.int64
                            kd = keepdim if a.ndim else False
                            ax = dim if a.ndim else None
                            err = f"{op} {dt} {layout} {a.shape} dim={dim}"
                            _check(values, npf(a, axis=ax, keepdims=kd), dt, err)
                            idx = argf(a, axis=ax, keepdims=kd) if a.ndim else np.array(0)
                            _check(indices, idx, nt.int64, err)


def test_argmax_argmin_every_dtype(rng):
    for dt in [d for d in ALL_DTYPES if d is not nt.bool]:
        for shape in SHAPES:
            arr = random_array(rng, shape, dt, -3, 3)
            for layout, t, a in layouts(arr):
                for dim in [None, 0, -1]:
                    for keepdim in (False, True):
                        for op, ref in (("argmax", np.argmax), ("argmin", np.argmin)):
                            got = getattr(nt, op)(t, dim, keepdim)
                            assert got.dtype is nt.int64
                            if dim is None:
                                expected = np.array(ref(a.reshape(-1)))
                                if keepdim:
                                    expected = expected.reshape((1,) * a.ndim)
                            else:
                                expected = ref(a, axis=dim if a.ndim else None, keepdims=keepdim and a.ndim > 0)
                            _check(got, expected, nt.int64, f"{op} {dt} {layout} {a.shape} dim={dim} {keepdim}")


def test_ties_take_the_first_index():
    x = nt.tensor([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]])
    assert x.argmax(1).tolist() == [0, 0] and x.argmin(1).tolist() == [1, 2]
    assert x.max(1).indices.tolist() == [0, 0] and x.min(1).indices.tolist() == [1, 2]
    assert x.argmax().item() == 0 and x.argmax(keepdim=True).shape == (1, 1) and x.argmax(0).tolist() == [0, 1, 0]
    assert x.min(0).indices.tolist() == [1, 0, 1]
    # long rows (blocked search), long columns, and rows long enough for the parallel kernels
    for n in (5000, 700_000):
        for dt in (nt.float32, nt.int32, nt.float64):
            a = np.zeros(n, dtype=dt.np)
            a[[n // 7, n // 3, n - 2]] = 5
            a[[n // 5, n // 2, n - 1]] = -5
            t = nt.from_numpy(a)
            assert t.argmax().item() == n // 7 and t.argmin().item() == n // 5, (n, dt)
            assert t.max(0).indices.item() == n // 7 and t.min(0).indices.item() == n // 5
    col = np.zeros((3000, 4), np.float32)
    col[[100, 2000], 1] = 1.0
    col[[5, 2999], 2] = -1.0
    tc = nt.from_numpy(col)
    assert tc.argmax(0).tolist() == [0, 100, 0, 0] and tc.argmin(0).tolist() == [0, 0, 5, 0]


def test_nan_propagates():
    nan = float("nan")
    x = nt.tensor([[1.0, nan, 3.0], [4.0, 5.0, 6.0]])
    assert math.isnan(x.max().item()) and math.isnan(x.min().item())
    assert math.isnan(x.amax().item()) and math.isnan(x.amin().item())
    assert x.amax(1).tolist()[1] == 6.0 and math.isnan(x.amax(1).tolist()[0])
    assert x.argmax(1).tolist() == [1, 2] and x.argmin(1).tolist() == [1, 0] and x.argmax().item() == 1
    v, i = x.max(1)
    assert math.isnan(v[0].item()) and v[1].item() == 6.0 and i.tolist() == [1, 2]
    v, i = x.min(0)
    assert math.isnan(v[1].item()) and i.tolist() == [0, 0, 0]
    assert math.isnan(x.sum(1)[0].item()) and x.sum(1)[1].item() == 15.0
    assert math.isnan(x.mean(1)[0].item()) and math.isnan(x.prod().item())
    y = nt.tensor([1.0, nan, nan])
    assert y.argmin().item() == 1 and y.max(0).indices.item() == 1  # the first NaN
    assert nt.tensor([nan, 1.0, nan]).argmin().item() == 0
    assert nt.tensor([float("inf"), -float("inf")]).argmax().item() == 0
    for dt in FLOAT_DTYPES:
        a = np.arange(3000, dtype=dt.np)
        a[1777] = np.nan
        a[2500] = np.nan
        t = nt.from_numpy(a)
        assert t.argmax().item() == 1777 and t.argmin().item() == 1777 and math.isnan(t.amax().item())
        assert t.max(0).indices.item() == 1777 and math.isnan(t.min(0).values.item())
        assert math.isnan(t.var().item()) and math.isnan(t.logsumexp(0).item()) and math.isnan(t.norm().item())


def test_max_min_arguments():
    x = nt.tensor([1, 2, 3], dtype=nt.int32)
    r = x.max(0)
    assert repr(r) == ("ntorch.return_types.max(\nvalues=tensor(3, dtype=ntorch.int32),\nindices=tensor(2))")
    assert nt.max(nt.tensor([1.0, 5.0]), nt.tensor([3.0, 2.0])).tolist() == [3.0, 5.0]  # max(a, b) = maximum
    assert nt.min(nt.tensor([1.0, 5.0]), nt.tensor([3.0, 2.0])).tolist() == [1.0, 2.0]
    assert nt.max(x, dim=0, keepdim=True).values.shape == (1,)
    with pytest.raises(TypeError):
        x.max((0,))
    with pytest.raises(TypeError):
        x.max(dim=0.0)
    b = nt.tensor([[True, False], [True, True]])
    assert b.max().item() is True and b.amin(1).tolist() == [False, True] and b.max(1).indices.tolist() == [0, 0]
    assert b.min(0).values.tolist() == [True, False] and b.min(0).indices.tolist() == [0, 0]
    _raises(RuntimeError, "argmax(): does not support bool input", b.argmax, 1)
    _raises(RuntimeError, "argmin(): does not support bool input", b.argmin)


# ----------------------------------------------------------------------------------------------------------
# var / std / var_mean / std_mean
# ----------------------------------------------------------------------------------------------------------
def test_var_std_every_float_dtype(rng):
    for dt, layout, t, a, dim, keepdim in _cases(rng, FLOAT_DTYPES):
        ax = _axis(dim, a.ndim)
        kd = keepdim if a.ndim else False
        n = a.size if ax is None else int(np.prod([a.shape[d] for d in (ax if isinstance(ax, tuple) else (ax,))]))
        for correction in (0, 1, 2.5):
            if n - correction <= 0:
                continue
            ref = np.var(_acc(a), axis=ax, keepdims=kd, ddof=correction)
            err = f"{dt} {layout} {a.shape} dim={dim} correction={correction}"
            v = t.var(dim, keepdim=keepdim, correction=correction)
            assert v.dtype is dt
            _check(v, ref, dt, "var " + err)
            _check(nt.std(t, dim, keepdim=keepdim, correction=correction), np.sqrt(ref), dt, "std " + err)
            vm = nt.var_mean(t, dim, keepdim=keepdim, correction=correction)
            assert isinstance(vm, tuple) and len(vm) == 2
            _check(vm[0], ref, dt, "var_mean " + err)
            _check(vm[1], np.mean(_acc(a), axis=ax, keepdims=kd), dt, "var_mean " + err)
            sm = nt.std_mean(t, dim, keepdim=keepdim, correction=correction)
            _check(sm[0], np.sqrt(ref), dt, "std_mean " + err)
            _check(sm[1], np.mean(_acc(a), axis=ax, keepdims=kd), dt, "std_mean " + err)


def test_var_unbiased_and_correction_forms():
    x = nt.tensor([1.0, 2.0, 3.0])
    assert x.var().item() == 1.0 and x.var(True).item() == 1.0 and x.std(unbiased=False).item() == pytest.approx(
        math.sqrt(2 / 3))
    assert x.var(False).item() == pytest.approx(2 / 3) and x.var(0, True).item() == 1.0
    assert x.var(dim=0, correction=0.5).item() == pytest.approx(0.8)
    assert nt.var(x, dim=None, unbiased=False).item() == pytest.approx(2 / 3)
    m = nt.tensor([[1.0, 2.0, 3.0]])
    assert nt.var(m, [1], False, True).shape == (1, 1) and nt.var(m, [1], False, True).item() == pytest.approx(2 / 3)
    assert nt.std(m, (0, 1), correction=0, keepdim=True).item() == pytest.approx(math.sqrt(2 / 3))
    v, mu = nt.var_mean(nt.tensor([[1.0, 2.0], [3.0, 5.0]]), 1)
    assert v.tolist() == [0.5, 2.0] and mu.tolist() == [1.5, 4.0]
    s, mu = nt.std_mean(nt.tensor([[1.0, 2.0], [3.0, 5.0]]), dim=0, keepdim=True)
    assert s.shape == (1, 2) and mu.tolist() == [[2.0, 3.5]]
    # degrees of freedom <= 0: 0/0 is nan, x/0 is inf
    assert math.isnan(nt.tensor([1.0]).var().item()) and nt.tensor([1.0]).var(correction=0).item() == 0.0
    assert nt.tensor([1.0, 2.0]).var(correction=2).item() == math.inf
    assert nt.tensor([1.0, 2.0]).var(correction=3).item() == math.inf
    assert all(math.isnan(v) for v in nt.tensor([[1.0, 2.0]]).std(0).tolist())


def test_var_errors():
    _raises(RuntimeError, "std and var only support floating point and complex dtypes", nt.tensor([1, 2, 3]).var)
    _raises(RuntimeError, "std and var only support floating point and complex dtypes", nt.tensor([1, 2, 3]).std)
    _raises(RuntimeError, "std and var only support floating point and complex dtypes", nt.tensor([True]).var)
    with pytest.raises(TypeError):
        nt.tensor([1.0, 2.0]).var(unbiased=True, correction=1)
    with pytest.raises(TypeError):
        nt.var_mean(nt.tensor([1.0, 2.0]), unbiased=True, correction=1)


# ----------------------------------------------------------------------------------------------------------
# logsumexp / norm
# ----------------------------------------------------------------------------------------------------------
def _logsumexp_ref(a, axis, keepdims):
    a = _acc(a).astype(np.float64)
    m = np.max(a, axis=axis, keepdims=True)
    shift = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(all="ignore"):
        out = np.log(np.sum(np.exp(a - shift), axis=axis, keepdims=True)) + shift
    out = np.where(np.isfinite(m), out, m)
    return out if keepdims else np.squeeze(out, axis=axis)


def test_logsumexp_every_dtype(rng):
    for dt, layout, t, a, dim, keepdim in _cases(rng, ALL_DTYPES):
        if dim is None or dim == () or a.ndim == 0:  # (torch itself fails on these: not compared)
            continue
        got = nt.logsumexp(t, dim, keepdim)
        assert got.dtype is (dt if dt.is_floating_point else nt.float32)
        ax = _axis(dim, a.ndim)
        ref = _logsumexp_ref(a, ax, keepdim)
        _check(got, ref, dt if dt.is_floating_point else nt.float32, f"logsumexp {dt} {layout} {a.shape} {dim}")


def test_logsumexp_special_values():
    inf = float("inf")
    assert nt.logsumexp(nt.tensor([-inf, -inf]), 0).item() == -inf
    assert nt.logsumexp(nt.tensor([inf, 1.0]), 0).item() == inf
    assert math.isnan(nt.logsumexp(nt.tensor([float("nan"), 1.0]), 0).item())
    big = nt.tensor([1000.0, 1000.0])  # no overflow: max-shifted
    assert nt.logsumexp(big, 0).item() == pytest.approx(1000 + math.log(2))
    assert nt.zeros(0).logsumexp(0).item() == -inf
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert nt.logsumexp(x, (0, 1)).item() == pytest.approx(math.log(sum(math.exp(v) for v in (1, 2, 3, 4))), 1e-6)
    assert nt.tensor([1, 2, 3], dtype=nt.int8).logsumexp(0).item() == pytest.approx(3.4076, abs=1e-4)
    with pytest.raises(TypeError):
        nt.logsumexp(x)


def _norm_ref(a, p, axis, keepdims):
    x = np.abs(a.astype(np.float64))
    if p == math.inf:
        return np.max(x, axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return np.min(x, axis=axis, keepdims=keepdims)
    if p == 0:
        return np.sum(x != 0, axis=axis, keepdims=keepdims).astype(np.float64)
    with np.errstate(divide="ignore"):
        return np.sum(x**p, axis=axis, keepdims=keepdims) ** (1.0 / p)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 0, math.inf, -math.inf, -1, "fro"])
def test_norm_every_float_dtype(p, rng):
    for dt in FLOAT_DTYPES:
        for shape in [(7,), (3, 4), (3, 4, 5)]:
            arr = random_array(rng, shape, dt, -3, 3)
            for layout, t, a in layouts(arr):
                for dim in (None, 0, -1) + (((0, 1), (-1, 0)) if a.ndim >= 2 else ()):
                    for keepdim in (False, True):
                        if dim is None and keepdim:
                            got = t.norm(p, keepdim=True)
                        else:
                            got = nt.norm(t, p=p, dim=dim, keepdim=keepdim)
                        assert got.dtype is dt
                        _check(got, _norm_ref(a, 2 if p == "fro" else p, dim, keepdim), dt,
                               f"norm p={p} {dt} {layout} {a.shape} {dim}")


def test_norm_cases_and_errors():
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.norm().item() == pytest.approx(math.sqrt(30)) and x.norm(1).item() == 10.0
    assert x.norm(float("inf")).item() == 4.0 and x.norm(-float("inf")).item() == 1.0 and x.norm(0).item() == 4.0
    assert x.norm(dtype=nt.float64).dtype is nt.float64
    assert nt.tensor([3.0, 0.0]).norm(p=-1).item() == 0.0 and nt.tensor([3.0, 4.0]).norm(p=-1).item() == pytest.approx(
        12 / 7)
    assert nt.zeros(0).norm().item() == 0.0 and nt.zeros(0).norm(1).item() == 0.0
    assert nt.tensor([float("inf"), 1.0]).norm().item() == math.inf
    assert math.isnan(nt.tensor([float("nan"), 1.0]).norm(float("inf")).item())
    _raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long",
            nt.tensor([[1, 2]]).norm)
    _raises(RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Bool",
            nt.tensor([True]).norm)
    _raises(RuntimeError, "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
            "does not have an identity", nt.zeros(0).norm, float("inf"))
    _raises(RuntimeError, "linalg.vector_norm cannot compute the -1 norm on an empty tensor because the operation "
            "does not have an identity", nt.zeros(0).norm, -1)
    _raises(RuntimeError, "linalg.vector_norm cannot compute the inf norm on the dimension 1because this dimension "
            "is empty and the operation does not have an identity", nt.zeros(2, 0).norm, float("inf"), 1)


# ----------------------------------------------------------------------------------------------------------
# all / any / count_nonzero
# ----------------------------------------------------------------------------------------------------------
def test_all_any_count_nonzero_every_dtype(rng):
    for dt, layout, t, a, dim, keepdim in _cases(rng, ALL_DTYPES, -1, 2):
        ax = _axis(dim, a.ndim)
        kd = keepdim if a.ndim else False
        kw = {} if dim is None and not keepdim else {"dim": dim, "keepdim": keepdim}
        err = f"{dt} {layout} {a.shape} dim={dim} keepdim={keepdim}"
        out_dt = nt.uint8 if dt is nt.uint8 else nt.bool  # torch keeps uint8 for uint8 input
        got_all, got_any = t.all(**kw), nt.any(t, **kw)
        assert got_all.dtype is out_dt and got_any.dtype is out_dt
        if dim == ():  # unlike sum, torch's all/any over no dims reduce nothing
            _check(got_all, a != 0, out_dt, "all " + err)
            _check(got_any, a != 0, out_dt, "any " + err)
        else:
            _check(got_all, np.all(a != 0, axis=ax, keepdims=kd), out_dt, "all " + err)
            _check(got_any, np.any(a != 0, axis=ax, keepdims=kd), out_dt, "any " + err)
        if not keepdim:
            c = t.count_nonzero(dim) if dim is not None else nt.count_nonzero(t)
            assert c.dtype is nt.int64
            _check(c, np.count_nonzero(a, axis=ax), nt.int64, "count_nonzero " + err)


def test_all_any_special_values():
    x = nt.tensor([[1.5, 0.0], [3.0, 2.0]])
    assert x.all().item() is False and x.any(1).tolist() == [True, True] and x.all(dim=(0, 1)).item() is False
    assert nt.tensor([float("nan"), 1.0]).all().item() is True  # NaN is non-zero
    assert nt.tensor([float("nan"), 0.0]).count_nonzero().item() == 1
    assert nt.zeros(0).all().item() is True and nt.zeros(0).any().item() is False
    assert nt.zeros(0).count_nonzero().item() == 0
    assert nt.tensor([[0, 2], [3, 0]]).count_nonzero((0, 1)).item() == 2
    assert nt.tensor([[1, 0], [3, 2]], dtype=nt.uint8).all().dtype is nt.uint8


# ----------------------------------------------------------------------------------------------------------
# dims, empty inputs, float16, accuracy
# ----------------------------------------------------------------------------------------------------------
def test_dim_arguments_and_errors():
    x = nt.arange(12).reshape(3, 4)
    assert x.sum().item() == 66 and x.sum(0).tolist() == [12, 15, 18, 21]
    assert x.sum(-1, keepdim=True).tolist() == [[6], [22], [38]]
    assert x.sum((0, 1)).item() == 66 and x.sum(()).item() == 66 and x.sum([]).item() == 66
    assert x.sum(dim=(-1, 0), keepdim=True).tolist() == [[66]]
    assert x.amax(()).item() == 11 and x.float().mean(None, True).shape == (1, 1)
    assert nt.tensor(5.0).sum(0).item() == 5.0 and nt.tensor(5.0).sum(-1, keepdim=True).shape == ()
    assert nt.tensor(5.0).max(0).indices.item() == 0
    _raises(RuntimeError, "dim 0 appears multiple times in the list of dims", x.sum, (0, 0))
    _raises(RuntimeError, "dim 1 appears multiple times in the list of dims", x.float().mean, (1, -1))
    _raises(IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)", x.sum, 2)
    _raises(IndexError, "Dimension out of range (expected to be in range of [-1, 0], but got 1)",
            nt.tensor(5.0).sum, 1)
    with pytest.raises(TypeError):
        x.sum(0.5)
    with pytest.raises(TypeError):
        x.prod((0, 1))


def test_empty_reductions():
    assert nt.zeros(0).sum().item() == 0.0 and nt.zeros(0, dtype=nt.int32).sum().item() == 0
    assert nt.zeros(0, 3).sum(0).tolist() == [0.0, 0.0, 0.0] and nt.zeros(0, 3).sum(1).shape == (0,)
    assert nt.zeros(0).prod().item() == 1.0 and nt.zeros(0, dtype=nt.int64).prod().dtype is nt.int64
    assert math.isnan(nt.zeros(0).mean().item()) and all(math.isnan(v) for v in nt.zeros(2, 0).mean(1).tolist())
    assert math.isnan(nt.zeros(0).var().item()) and nt.zeros(0, 3).var(0).shape == (3,)
    assert nt.zeros(2, 0).sum(1).tolist() == [0.0, 0.0]
    assert nt.zeros(0, 3).max(1).values.shape == (0,) and nt.zeros(0, 3).amax(1).shape == (0,)
    assert nt.zeros(2, 0).max(0).indices.shape == (0,) and nt.zeros(0, 3).argmax(1).shape == (0,)
    for op in ("max", "min", "amax", "amin"):
        _raises(RuntimeError, f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
                "reduction dim with the 'dim' argument.", getattr(nt.zeros(0, 3), op))
        _raises(IndexError, f"{op}(): Expected reduction dim 0 to have non-zero size.", getattr(nt.zeros(0, 3), op), 0)
    for op in ("argmax", "argmin"):
        _raises(IndexError, f"{op}(): Expected reduction dim to be specified for input.numel() == 0.",
                getattr(nt.zeros(0, 3), op))
        _raises(IndexError, f"{op}(): Expected reduction dim 0 to have non-zero size.", getattr(nt.zeros(0, 3), op), 0)
    _raises(IndexError, "amax(): Expected reduction dim 1 to have non-zero size.", nt.zeros(2, 0).amax, 1)


def test_float16_inputs():
    x = nt.tensor([[1.0, 2, 3], [4, 5, 6]], dtype=nt.float16)
    assert x.sum().item() == 21.0 and x.sum().dtype is nt.float16
    assert x.prod(1).tolist() == [6.0, 120.0] and x.mean(0).tolist() == [2.5, 3.5, 4.5]
    assert x.amax(0).tolist() == [4.0, 5.0, 6.0] and x.amin(1).tolist() == [1.0, 4.0]
    assert x.max(0).indices.tolist() == [1, 1, 1] and x.argmin().item() == 0
    assert x.var(0).tolist() == [4.5, 4.5, 4.5] and x.std().item() == pytest.approx(1.8708, abs=1e-3)
    assert x.logsumexp(0).dtype is nt.float16 and x.norm().item() == pytest.approx(9.539, abs=1e-2)
    assert x.all().item() is True and x.count_nonzero().item() == 6
    for op in ("sum", "prod", "mean", "amax", "amin", "var", "std", "norm"):
        assert getattr(x, op)(0).dtype is nt.float16, op
    # many float16 values: accumulated in float32, rounded once
    big = np.full(10_000, 0.1, dtype=np.float16)
    s = nt.from_numpy(big).sum()
    assert s.dtype is nt.float16 and abs(s.item() - float(big.astype(np.float64).sum())) <= 1.0


def test_float32_sum_of_ten_million_values(rng):
    a = rng.uniform(0.0, 1.0, 10_000_000).astype(np.float32)
    exact = a.astype(np.float64).sum()
    got = nt.from_numpy(a).sum().item()
    assert abs(got - exact) / exact <= 1e-6
    m = a.reshape(1000, 10_000)
    rows = nt.from_numpy(m).sum(1).numpy().astype(np.float64)
    np.testing.assert_allclose(rows, m.astype(np.float64).sum(1), rtol=1e-6)
    cols = nt.from_numpy(m).sum(0).numpy().astype(np.float64)
    np.testing.assert_allclose(cols, m.astype(np.float64).sum(0), rtol=1e-6)
    mean = nt.from_numpy(a).mean().item()
    assert abs(mean - exact / a.size) / (exact / a.size) <= 1e-6
    var = nt.from_numpy(a[:1_000_000]).var().item()
    assert var == pytest.approx(a[:1_000_000].astype(np.float64).var(ddof=1), rel=1e-6)


@pytest.mark.parametrize("dt", INT_DTYPES, ids=str)
def test_integer_sums_do_not_overflow_small_types(dt):
    info = np.iinfo(dt.np)
    a = np.full(1000, info.max, dtype=dt.np)

    def wrap(v):  # int64 arithmetic
        return (v + 2**63) % 2**64 - 2**63

    assert nt.from_numpy(a).sum().item() == wrap(1000 * int(info.max))
    assert nt.from_numpy(a.reshape(10, 100)).sum(1).tolist() == [wrap(100 * int(info.max))] * 10
    b = np.full(1000, info.min, dtype=dt.np)
    assert nt.from_numpy(b).sum().item() == wrap(1000 * int(info.min))


def test_large_non_contiguous_inputs(rng):
    """Layouts that reach the parallel and tiled kernels: stride 0 along the reduced dim, permuted, stepped."""
    a = rng.standard_normal((1, 7)).astype(np.float32)
    e = nt.from_numpy(a).expand(200_000, 7)
    np.testing.assert_allclose(e.sum(0).numpy(), a[0].astype(np.float64) * 200_000, rtol=1e-6)
    # (torch's Welford gives exactly 0 for a constant column; the two-pass kernel's rounded mean leaves ~1e-13)
    assert e.argmax(0).tolist() == [0] * 7 and e.var(0).numpy().max() <= 1e-10
    b = rng.standard_normal((40, 30, 50)).astype(np.float32)
    p = nt.from_numpy(b).permute(2, 0, 1)
    ref = b.transpose(2, 0, 1).astype(np.float64)
    for dims in ((0, 2), (1,), (0, 1, 2), (2, 0)):
        np.testing.assert_allclose(p.sum(dims).numpy(), ref.sum(dims), rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(p.amax(dims).numpy(), ref.max(dims))
    c = rng.standard_normal(1_800_000).astype(np.float32)
    s = nt.from_numpy(c)[::3]
    assert s.sum().item() == pytest.approx(c[::3].astype(np.float64).sum(), abs=1e-3)
    assert s.argmax().item() == np.argmax(c[::3]) and s.argmin().item() == np.argmin(c[::3])
    d = rng.integers(-100, 100, (3000, 700)).astype(np.int16)
    td = nt.from_numpy(d).t()
    assert (td.sum(1).numpy() == d.astype(np.int64).sum(0)).all() and (td.amax(0).numpy() == d.max(1)).all()
    assert (td.argmin(1).numpy() == d.argmin(0)).all() and (td.max(1).indices.numpy() == d.argmax(0)).all()
    f = nt.from_numpy(rng.standard_normal((5, 1))).expand(5, 300_000)
    np.testing.assert_allclose(f.logsumexp(1).numpy(), f.numpy()[:, 0] + np.log(300_000), rtol=1e-10)
    np.testing.assert_allclose(f.norm(3, dim=1).numpy(), np.abs(f.numpy()[:, 0]) * 300_000 ** (1 / 3), rtol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 7, 4096, 4097])
@pytest.mark.parametrize("dt", [nt.float32, nt.float64])
def test_whole_sum_of_small_tensors_on_either_side_of_the_small_path(n, dt, rng):
    # up to SMALL_SUM elements a contiguous float sum takes sum_small_into (float64 accumulation)
    a = random_array(rng, (n,), dt)
    expected = np.sum(a.astype(np.float64))
    for t in (nt.from_numpy(a.copy()), nt.from_numpy(np.repeat(a, 2))[::2]):
        res = t.sum()
        assert res.dtype is dt and res.shape == ()
        np.testing.assert_allclose(res.item(), expected, rtol=1e-6 if dt is nt.float32 else 1e-12, atol=1e-5)


# conformance sweep (tools/conformance_sweep.py): torch's reductions take out=, written with the result's values
@pytest.mark.parametrize("name, kwargs, ref", [
    ("amax", {"dim": 1}, lambda a: a.max(1)),
    ("amin", {"dim": 1}, lambda a: a.min(1)),
    ("prod", {"dim": 1}, lambda a: a.prod(1)),
    ("nansum", {"dim": 1}, lambda a: np.nansum(a, 1)),
    ("nanmean", {"dim": 1}, lambda a: np.nanmean(a, 1)),
    ("var", {"dim": 1}, lambda a: a.var(1, ddof=1)),
    ("std", {"dim": 1}, lambda a: a.std(1, ddof=1)),
    ("logsumexp", {"dim": 1}, lambda a: np.log(np.exp(a).sum(1))),
    ("norm", {"dim": 1}, lambda a: np.sqrt((a * a).sum(1))),
    ("argmax", {"dim": 1}, lambda a: a.argmax(1)),
    ("argmin", {"dim": 1}, lambda a: a.argmin(1)),
    ("all", {"dim": 1}, lambda a: (a != 0).all(1)),
    ("any", {"dim": 1}, lambda a: (a != 0).any(1)),
])
def test_reduction_out_argument(name, kwargs, ref):
    a = np.array([[0.5, -1.5, 2.0, 0.0], [3.0, 1.0, -2.5, 0.25], [1.5, 1.5, -0.5, 4.0]])
    expected = ref(a)
    out = nt.empty(0, dtype=nt.from_numpy(expected).dtype)  # resized to the result's shape, as torch does
    res = getattr(nt, name)(nt.tensor(a), **kwargs, out=out)
    assert res is out
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_dim_must_be_an_int(name):
    _raises(TypeError, f"{name}(): argument 'dim' must be int, not tuple", getattr(nt, name), nt.ones(2, 3), (0, 1))


@pytest.mark.parametrize("fn, message", [
    (lambda x: nt.amax(x, 1, out=nt.empty(0, dtype=nt.float64)),
     "Expected the dtype for input and out to match, but got Float for input's dtype and Double for out's dtype."),
    (lambda x: nt.argmax(x, 1, out=nt.empty(0, dtype=nt.int32)),
     "Expected out tensor to have dtype long int, but got int instead"),
    (lambda x: nt.all(x, 1, out=nt.empty(0)), "all only supports bool tensor for result, got: Float"),
    (lambda x: nt.nanmean(x, dtype=nt.int64), "nanmean(): could not infer output dtype. Optional dtype must be "
                                              "either a floating point or complex dtype. Got: Long"),
])
def test_reduction_out_dtype_rules(fn, message):
    """amax/amin, argmax/argmin and all/any want an out of the result's own dtype (sum, mean, var cast instead)."""
    _raises(RuntimeError, message, fn, nt.tensor([[1.0, 2.0], [3.0, 4.0]]))


def test_any_of_uint8_into_a_bool_out():
    out = nt.empty(0, dtype=nt.bool)
    nt.any(nt.tensor([[0, 2], [0, 0]], dtype=nt.uint8), 1, out=out)
    assert out.tolist() == [True, False]
    s = nt.sum(nt.tensor([[1.0, 2.5]]), 1, out=nt.empty(0, dtype=nt.float64))  # sum casts
    assert s.dtype is nt.float64 and s.tolist() == [3.5]


def test_amin_amax_along_dims_keep_the_first_zero():
    """Along dims torch's CPU amin/amax keep the first of equal zeros (its sign); hard-coded from torch 2.13."""
    inf, nan = math.inf, math.nan
    x = nt.tensor([[[-0.0, 0.0, inf, 1e-3], [7, 2.25, -inf, inf], [3.75, -0.0, nan, 3.75]]])

    def signs(t):
        return [math.copysign(1, v) for v in t.reshape(-1).tolist()]

    assert signs(nt.amin(x, -1))[:1] == [-1]
    assert signs(nt.amin(x, 1))[:2] == [-1, 1]
    assert signs(nt.amax(-x, 1))[:2] == [1, -1]
    assert signs(nt.aminmax(x, dim=-1).min)[:1] == [-1]
    y = nt.tensor([[0.0, -0.0, 1], [-0.0, 0.0, 1]])
    assert signs(nt.amin(y, 1)) == [1, -1]
    assert signs(nt.amax(-y.abs(), 0)) == [-1, -1, -1]
    assert signs(nt.amin(y.t(), 0)) == [1, -1]


nan_ = math.nan


def test_var_mean_infinite_means_follow_welford():
    """torch's var_mean/std_mean mean comes from Welford's update: an infinity survives only as the slice's
    one infinite element when it comes last; otherwise NaN (values from torch 2.13; plain mean gives inf)."""
    inf = math.inf
    for v, want in [([1.0, inf, 2.0], nan_), ([1.0, 2.0, inf], inf), ([inf], inf), ([inf, 1.0], nan_),
                    ([1.0, inf, inf], nan_), ([-inf, 2.0], nan_)]:
        t = nt.tensor(v)
        for got in (nt.var_mean(t)[1], nt.var_mean(t, 0)[1], nt.std_mean(t.half(), 0)[1],
                    nt.var_mean(t.reshape(1, -1).expand(2, -1).t(), 0)[1][0]):
            assert math.isnan(got.item()) if math.isnan(want) else got.item() == want


def test_logsumexp_empty_dim_tuple():
    """torch 2.13: dim=() reduces everything; without keepdim it cannot copy the [1, ...] result into its
    0-d output (a RuntimeError) unless the input is 0-d or empty."""
    with pytest.raises(RuntimeError, match=re.escape("output with shape [] doesn't match the broadcast shape [1, 1]")):
        nt.logsumexp(nt.ones(3, 5), ())
    np.testing.assert_allclose(nt.logsumexp(nt.ones(3, 5), (), keepdim=True).numpy(), [[1 + math.log(15)]],
                               rtol=1e-6)
    assert nt.logsumexp(nt.ones(()), ()).item() == 1.0
    assert nt.logsumexp(nt.ones(0, 3), ()).item() == -math.inf
