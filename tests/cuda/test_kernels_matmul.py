"""CUDA matmul kernels against NumPy: the tiled kernel in its four load layouts and both tile shapes, sizes around
the tile edges, float16/32/64, batches (broadcast ones too), odd strides; the generic kernel for integers and on
request; which kernel runs where (`_plan`), so that a silent fallback fails a test."""

import numpy as np
import pytest
from cuda_util import broadcast, dev, empty, host, stepped, transposed
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda import matmul as M
from ntorch.kernels.cuda.matmul import FAST_TILES, TILES, bmm_into, matmul_into

BM, BN, BK = FAST_TILES["float32"][:3]  # the tiled kernel's float32 tile
FLOATS = [np.float16, np.float32, np.float64]
LAYOUTS = ["nn", "nt", "tn", "tt"]  # first letter A, second B: n = as stored, t = stored transposed


def _ref(a, b):
    """Reference product: float64 for floats, int64 (wrapping) for integers."""
    acc = np.float64 if a.dtype.kind == "f" else np.int64
    return a.astype(acc) @ b.astype(acc)


def _check(got, a, b):
    """float16 rounds the float32 sum once at the end; errors of float sums grow with K."""
    want = _ref(a, b)
    if a.dtype.kind == "f":
        tol = 2e-3 if a.dtype == np.float16 else 1e-5 if a.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol * max(a.shape[-1], 1))
    else:
        np.testing.assert_array_equal(got, want.astype(got.dtype))


def _rand(shape, dt, rng):
    if np.dtype(dt).kind in "iu":
        return rng.integers(0 if np.dtype(dt).kind == "u" else -4, 5, shape).astype(dt)
    return rng.standard_normal(shape).astype(dt)


def _operands(a, b, layout):
    """Device copies of a and b, each C-contiguous ("n") or stored transposed ("t")."""
    da = dev(a) if layout[0] == "n" else transposed(a)
    db = dev(b) if layout[1] == "n" else transposed(b)
    return da, db


def _as3(x):
    return arrays.view(x, (1, *x.shape), (0, *arrays.elem_strides(x)))


def _plan_of(a3, b3, kernel=None):
    """The kernel bmm_into picks for 3-d operands."""
    return M._plan(a3.dtype, a3.shape[2], arrays.elem_strides(a3), arrays.elem_strides(b3), kernel)


def _run(m, k, n, dt, layout, seed=0, kernel=None):
    rng = np.random.default_rng(seed)
    a, b = _rand((m, k), dt, rng), _rand((k, n), dt, rng)
    da, db = _operands(a, b, layout)
    out = empty((m, n), dt)
    matmul_into(da, db, out, kernel)
    _check(host(out), a, b)
    return da, db, out


# --- which kernel runs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_plan_picks_the_tiled_kernel_by_layout(layout):
    a, b = np.ones((5, 3), np.float32), np.ones((3, 4), np.float32)
    da, db = _operands(a, b, layout)
    assert _plan_of(_as3(da), _as3(db)) == f"tiled_{layout}"


def test_plan_falls_back_to_the_generic_kernel():
    f, i = np.ones((4, 3), np.float32), np.ones((4, 3), np.int32)
    assert _plan_of(_as3(dev(i)), _as3(transposed(i.T))) == "generic"  # integers
    assert _plan_of(_as3(dev(f)), _as3(transposed(f.T)), "generic") == "generic"  # on request
    empty_k = np.ones((4, 0), np.float32)
    assert _plan_of(_as3(dev(empty_k)), _as3(dev(empty_k.T))) == "generic"  # K = 0
    # odd strides still take the tiled kernel, loading along the smaller stride
    assert _plan_of(_as3(stepped(f)), _as3(stepped(f.T.copy()))) == "tiled_nn"
    with pytest.raises(ValueError, match="unknown kernel"):
        _plan_of(_as3(dev(f)), _as3(dev(f.T.copy())), "fast")


def test_tile_shape_by_grid_size(monkeypatch):
    monkeypatch.setattr(M, "SMS_SMALL", 4)
    assert M._tiles("float32", 1, BM, 3 * BN) == FAST_TILES["float32_small"]  # 3 big blocks < 4 SMs
    assert M._tiles("float32", 2, BM, 2 * BN) == FAST_TILES["float32"]  # 4 blocks fill them
    assert M._tiles("float64", 1, 1, 1) == FAST_TILES["float64"]


# --- the tiled kernel -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (BM, BK, BN), (BM - 1, BK - 1, BN + 1), (BM + 1, 2 * BK + 1, 5),
                                   (2 * BM + 1, BK + 1, 2 * BN - 1), (3, 3 * BK, 1)])
@pytest.mark.parametrize("layout", ["nn", "tt"])
def test_tiled_sizes_around_tile_edges(m, k, n, layout):
    _run(m, k, n, np.float32, layout, seed=m * 100 + k)


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_tiled_layouts_and_dtypes(layout, dt):
    da, db, out = _run(BM + 3, 2 * BK + 1, BN - 2, dt, layout, seed=7)
    assert _plan_of(_as3(da), _as3(db)) == f"tiled_{layout}"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_tiled_small_tiles(layout, monkeypatch):
    monkeypatch.setattr(M, "SMS_SMALL", 10**9)  # every grid counts as small
    bm = FAST_TILES["float32_small"][0]
    _run(2 * bm + 1, 3 * BK - 1, bm + 2, np.float32, layout, seed=8)


def test_tiled_odd_strides_and_transposed_output():
    rng = np.random.default_rng(2)
    a, b = _rand((BM + 2, BK + 3), np.float32, rng), _rand((BK + 3, 6), np.float32, rng)
    for da in (stepped(a), transposed(a)):
        for db in (stepped(b), transposed(b), dev(b)):
            buf = dev(np.zeros((6, BM + 2), np.float32))
            out = arrays.view(buf, (BM + 2, 6), (1, BM + 2))  # out.T of a contiguous buffer
            assert _plan_of(_as3(da), _as3(db)).startswith("tiled")
            matmul_into(da, db, out)
            _check(host(buf).T, a, b)


def test_tiled_batches_with_broadcast_batch():
    rng = np.random.default_rng(3)
    a = _rand((3, BM + 1, BK + 2), np.float32, rng)
    b = _rand((1, BK + 2, 6), np.float32, rng)
    out = empty((3, BM + 1, 6), np.float32)
    db = broadcast(b, (3, BK + 2, 6))  # b's batch stride is 0
    assert _plan_of(dev(a), db) == "tiled_nn"
    bmm_into(dev(a), db, out)
    _check(host(out), a, np.broadcast_to(b, (3, BK + 2, 6)))


def test_tiled_batches_transposed_float64():
    rng = np.random.default_rng(5)
    a, b = _rand((2, 9, 5), np.float64, rng), _rand((2, 5, 11), np.float64, rng)
    da, db = transposed(a), transposed(b)
    out = empty((2, 9, 11), np.float64)
    assert _plan_of(da, db) == "tiled_tt"
    bmm_into(da, db, out)
    _check(host(out), a, b)


def test_tiled_nan_and_inf_stay_in_their_rows():
    """Clamped loads past the edge and the zero-filled last k slice must not leak into valid results."""
    a = np.ones((BM + 1, BK + 1), np.float32)
    b = np.ones((BK + 1, BN + 1), np.float32)
    a[-1, 0] = np.nan  # last row: its outputs are NaN, all others finite
    b[0, -1] = np.inf  # last column: +inf
    out = empty(a.shape[:1] + b.shape[1:], np.float32)
    matmul_into(dev(a), dev(b), out)
    got = host(out)
    with np.errstate(invalid="ignore"):
        want = a.astype(np.float64) @ b.astype(np.float64)
    np.testing.assert_array_equal(got, want.astype(np.float32))


# --- the generic kernel ---------------------------------------------------------------------------------------


GM, GN, GK = TILES[:3]


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (GM, GK, GN), (GM + 1, GK - 1, GN + 3), (2 * GM + 3, 2 * GK + 1, 5),
                                   (3, 0, 4)])
def test_generic_sizes_around_tile_edges(m, k, n):
    _run(m, k, n, np.int32, "nn", seed=m + k)


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8],
                         ids=lambda d: np.dtype(d).name)
def test_generic_dtypes(dt):
    da, db, out = _run(GM + 2, 2 * GK + 3, GN - 1, dt, "tn", seed=1, kernel="generic")
    assert _plan_of(_as3(da), _as3(db), "generic") == "generic"


def test_generic_layouts():
    rng = np.random.default_rng(2)
    a, b = _rand((7, 6), np.int64, rng), _rand((6, 5), np.int64, rng)
    for da in (transposed(a), stepped(a)):
        for db in (transposed(b), stepped(b), dev(b)):
            out = empty((7, 5), np.int64)
            matmul_into(da, db, out)
            _check(host(out), a, b)


def test_generic_batches_with_broadcast_batch():
    rng = np.random.default_rng(3)
    a = _rand((3, 5, 4), np.int32, rng)
    b = _rand((1, 4, 6), np.int32, rng)
    out = empty((3, 5, 6), np.int32)
    db = broadcast(b, (3, 4, 6))  # b's batch stride is 0
    assert _plan_of(dev(a), db) == "generic"
    bmm_into(dev(a), db, out)
    _check(host(out), a, np.broadcast_to(b, (3, 4, 6)))


def test_zero_k_gives_zeros():
    out = dev(np.full((3, 4), 7.0, np.float32))
    matmul_into(dev(np.ones((3, 0), np.float32)), dev(np.ones((0, 4), np.float32)), out)
    np.testing.assert_array_equal(host(out), np.zeros((3, 4), np.float32))


# --- real GPU only: big tiles, many blocks ----------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_large(big, layout):
    if not big:
        pytest.skip("large shapes run on a real GPU only (the simulator covers the kernels on small ones)")
    for dt in (np.float32, np.float16, np.float64):
        for m, k, n in ((515, 300, 257), (128, 128, 128), (1, 1031, 129), (2048, 64, 2048)):
            _run(m, k, n, dt, layout, seed=m + n)
    rng = np.random.default_rng(4)
    a, b = _rand((4, 130, 70), np.float32, rng), _rand((1, 70, 300), np.float32, rng)
    out = empty((4, 130, 300), np.float32)
    bmm_into(dev(a), broadcast(b, (4, 70, 300)), out)
    _check(host(out), a, np.broadcast_to(b, (4, 70, 300)))


def test_errors_before_launch():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        matmul_into(dev(np.ones((2, 3), np.float32)), dev(np.ones((4, 2), np.float32)), empty((2, 2), np.float32))
    with pytest.raises(RuntimeError, match="same dtype"):
        matmul_into(dev(np.ones((2, 3), np.float32)), dev(np.ones((3, 2), np.float64)), empty((2, 2), np.float32))
    with pytest.raises(RuntimeError, match="Bool"):
        matmul_into(dev(np.ones((2, 3), bool)), dev(np.ones((3, 2), bool)), empty((2, 2), bool))
    with pytest.raises(RuntimeError, match="do not match"):
        bmm_into(dev(np.ones((2, 2, 3))), dev(np.ones((3, 3, 2))), empty((2, 2, 2), np.float64))
    with pytest.raises(ValueError, match="unknown kernel"):
        matmul_into(dev(np.ones((2, 3), np.float32)), dev(np.ones((3, 2), np.float32)), empty((2, 2), np.float32),
                    "fastest")


# --- the bias epilogue (linear's forward) ---------------------------------------------------------------------


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", ["nn", "nt"])
def test_bias_epilogue(dt, layout):
    rng = np.random.default_rng(11)
    m, k, n = BM + 3, 2 * BK + 1, BN - 2
    a, b = _rand((m, k), dt, rng), _rand((k, n), dt, rng)
    bias = _rand((n,), dt, rng)
    da, db = _operands(a, b, layout)
    out = empty((m, n), dt)
    matmul_into(da, db, out, bias=dev(bias))
    want = a.astype(np.float64) @ b.astype(np.float64) + bias.astype(np.float64)
    tol = 2e-2 if dt == np.float16 else 1e-4 if dt == np.float32 else 1e-12
    np.testing.assert_allclose(host(out).astype(np.float64), want, rtol=tol, atol=tol)


def test_bias_epilogue_rejects_what_it_cannot_add():
    a, b = dev(np.ones((2, 3), np.float32)), dev(np.ones((3, 4), np.float32))
    out = empty((2, 4), np.float32)
    with pytest.raises(ValueError, match="bias must be a contiguous"):
        matmul_into(a, b, out, bias=dev(np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="bias must be a contiguous"):
        matmul_into(a, b, out, bias=dev(np.ones(4, np.float64)))
    ai, bi = dev(np.ones((2, 3), np.int32)), dev(np.ones((3, 4), np.int32))
    with pytest.raises(ValueError, match="needs the tiled kernel"):
        matmul_into(ai, bi, empty((2, 4), np.int32), bias=dev(np.ones(4, np.int32)))
