"""CUDA tiled matmul against NumPy: odd sizes around the tile edges, every layout, batches, dtypes."""

import numpy as np
import pytest
from cuda_util import broadcast, dev, empty, host, stepped, transposed
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda.matmul import TILES, bmm_into, matmul_into

BM, BN, BK = TILES[:3]


def _ref(a, b):
    """Reference product: float64 for floats, int64 (wrapping) for integers."""
    acc = np.float64 if a.dtype.kind == "f" else np.int64
    return a.astype(acc) @ b.astype(acc)


def _check(got, a, b):
    want = _ref(a, b)
    if a.dtype.kind == "f":
        tol = 2e-3 if a.dtype == np.float16 else 1e-5 if a.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol, atol=tol * a.shape[-1])
    else:
        np.testing.assert_array_equal(got, want.astype(got.dtype))


def _rand(shape, dt, rng):
    if np.dtype(dt).kind in "iu":
        return rng.integers(0 if np.dtype(dt).kind == "u" else -4, 5, shape).astype(dt)
    return rng.standard_normal(shape).astype(dt)


SIZES = [(1, 1, 1), (BM, BK, BN), (BM + 1, BK - 1, BN + 3), (2 * BM + 3, 2 * BK + 1, 5), (3, 0, 4)]


@pytest.mark.parametrize("m,k,n", SIZES)
def test_sizes_around_tile_edges(m, k, n):
    rng = np.random.default_rng(0)
    a, b = _rand((m, k), np.float32, rng), _rand((k, n), np.float32, rng)
    out = empty((m, n), np.float32)
    matmul_into(dev(a), dev(b), out)
    _check(host(out), a, b)


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8],
                         ids=lambda d: np.dtype(d).name)
def test_dtypes(dt):
    rng = np.random.default_rng(1)
    a, b = _rand((BM + 2, 2 * BK + 3), dt, rng), _rand((2 * BK + 3, BN - 1), dt, rng)
    out = empty((a.shape[0], b.shape[1]), dt)
    matmul_into(dev(a), dev(b), out)
    _check(host(out), a, b)


def test_layouts():
    rng = np.random.default_rng(2)
    a, b = _rand((7, 6), np.float32, rng), _rand((6, 5), np.float32, rng)
    for da in (transposed(a), stepped(a)):
        for db in (transposed(b), stepped(b), dev(b)):
            out = empty((7, 5), np.float32)
            matmul_into(da, db, out)
            _check(host(out), a, b)
    # a transposed output (out.T of a contiguous buffer)
    buf = dev(np.zeros((5, 7), np.float32))
    matmul_into(dev(a), dev(b), arrays.view(buf, (7, 5), (1, 7)))
    _check(host(buf).T, a, b)


def test_batches_with_broadcast_batch():
    rng = np.random.default_rng(3)
    a = _rand((3, 5, 4), np.float64, rng)
    b = _rand((1, 4, 6), np.float64, rng)
    out = empty((3, 5, 6), np.float64)
    bmm_into(dev(a), broadcast(b, (3, 4, 6)), out)  # b's batch stride is 0
    _check(host(out), a, np.broadcast_to(b, (3, 4, 6)))


def test_large(big):
    if not big:
        pytest.skip("large shapes run on a real GPU only (the simulator covers the kernel on small ones)")
    rng = np.random.default_rng(4)
    for dt in (np.float32, np.float16):
        a, b = _rand((515, 300), dt, rng), _rand((300, 257), dt, rng)
        out = empty((515, 257), dt)
        matmul_into(dev(a), dev(b), out)
        _check(host(out), a, b)


def test_errors_before_launch():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        matmul_into(dev(np.ones((2, 3), np.float32)), dev(np.ones((4, 2), np.float32)), empty((2, 2), np.float32))
    with pytest.raises(RuntimeError, match="same dtype"):
        matmul_into(dev(np.ones((2, 3), np.float32)), dev(np.ones((3, 2), np.float64)), empty((2, 2), np.float32))
    with pytest.raises(RuntimeError, match="Bool"):
        matmul_into(dev(np.ones((2, 3), bool)), dev(np.ones((3, 2), bool)), empty((2, 2), bool))
    with pytest.raises(RuntimeError, match="do not match"):
        bmm_into(dev(np.ones((2, 2, 3))), dev(np.ones((3, 3, 2))), empty((2, 2, 2), np.float64))
