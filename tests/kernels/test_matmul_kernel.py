"""Tests for ntorch.kernels.cpu.matmul against NumPy (float64 / exact integer references)."""

import subprocess
import sys

import numba
import numpy as np
import pytest
from ntorch.kernels.cpu import matmul as mm

DTYPES = [np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8]
FLOATS = [np.float32, np.float64]

SHAPES = [  # (M, N, K)
    (0, 5, 3),
    (5, 0, 3),
    (4, 5, 0),
    (1, 1, 1),
    (1, 9, 1),
    (3, 3, 3),
    (7, 13, 5),
    (65, 33, 129),
    (300, 257, 190),  # several row/column panels, N past the float32 column block
    (31, 1030, 530),  # K past every K block, N past every column block
    (2, 300, 70),  # few rows: direct loop
    (300, 3, 70),  # few columns: dot products
]


def make(rng, shape, dt):
    dt = np.dtype(dt)
    if dt.kind == "f":
        return rng.uniform(-2, 2, shape).astype(dt)
    info = np.iinfo(dt)  # full range, so integer sums wrap around
    return rng.integers(info.min, info.max, shape, endpoint=True).astype(dt)


def reference(a, b):
    if a.dtype.kind == "f":
        return a.astype(np.float64) @ b.astype(np.float64)
    # uint64 arithmetic wraps modulo 2**64 (well defined), which truncates to the dtype's wraparound.
    return (a.astype(np.int64).astype(np.uint64) @ b.astype(np.int64).astype(np.uint64)).astype(a.dtype)


def check(out, a, b):
    ref = reference(a, b)
    if out.dtype.kind == "f":
        k = a.shape[-1]
        eps = np.finfo(out.dtype).eps
        bound = 8 * eps * np.sqrt(max(k, 1)) * (np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64))
        assert np.all(np.abs(out - ref) <= bound + 1e-30)
    else:
        np.testing.assert_array_equal(out, ref)


def garbage(shape, dt):
    out = np.empty(shape, dt)
    out[...] = 7 if np.dtype(dt).kind != "f" else np.nan
    return out


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_shapes(dt, shape):
    m, n, k = shape
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a, b = make(rng, (m, k), dt), make(rng, (k, n), dt)
    out = garbage((m, n), dt)
    mm.matmul_into(a, b, out)
    check(out, a, b)


def _layouts(rng, shape, dt):
    """The same kind of operand in several memory layouts."""
    r, c = shape
    yield "contiguous", make(rng, shape, dt)
    yield "transposed", make(rng, (c, r), dt).T
    yield "stepped", make(rng, (2 * r, 3 * c), dt)[::2, ::3]
    yield "expanded", np.broadcast_to(make(rng, (1, c), dt), shape)
    yield "reversed", make(rng, shape, dt)[::-1, ::-1]


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("path", ["small", "skinny", "dot", "direct", "packed"])
def test_matmul_layouts(dt, path, monkeypatch):
    """Each path on operands of every layout (the small and skinny loops copy the ones that are not C-contiguous
    and writable; a skinny product with a transposed b takes the dot-product loop)."""
    m, n, k = {"small": (5, 6, 7), "skinny": (2, 150, 300), "dot": (40, 3, 50)}.get(path, (70, 45, 300))
    if path == "packed":
        monkeypatch.setattr(mm, "PACK_WORK", 0)
    rng = np.random.default_rng(1)
    a_layouts = list(_layouts(rng, (m, k), dt))
    b_layouts = list(_layouts(rng, (k, n), dt))
    # Every pair for float32; for float64 (same code, other dtype) each layout once on each side.
    pairs = [(x, y) for x in a_layouts for y in b_layouts] if dt == np.float32 else zip(a_layouts, b_layouts)
    for (la, a), (lb, b) in pairs:
        out = garbage((m, n), dt)
        mm.matmul_into(a, b, out)
        try:
            check(out, a, b)
        except AssertionError as e:
            raise AssertionError(f"a {la}, b {lb}") from e


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int8], ids=lambda d: np.dtype(d).name)
def test_matmul_packed_blocks(dt, monkeypatch):
    # The packed path across K blocks and column blocks of every item size (KC <= 512, NC <= 1024).
    monkeypatch.setattr(mm, "PACK_WORK", 0)
    rng = np.random.default_rng(7)
    a, b = make(rng, (31, 530), dt), make(rng, (530, 1030), dt)
    out = garbage((31, 1030), dt)
    mm.matmul_into(a, b, out)
    check(out, a, b)


@pytest.mark.parametrize("dt", [np.int8, np.int16, np.int32, np.int64, np.uint8], ids=lambda d: np.dtype(d).name)
def test_matmul_int_strided(dt):
    rng = np.random.default_rng(2)
    for m, n, k in [(4, 5, 6), (40, 70, 33)]:
        a = make(rng, (k, m), dt).T
        b = make(rng, (2 * k, 2 * n), dt)[::2, ::2]
        out = garbage((m, n), dt)
        mm.matmul_into(a, b, out)
        check(out, a, b)


def test_matmul_nonfinite():
    rng = np.random.default_rng(3)
    a, b = make(rng, (20, 30), np.float32), make(rng, (30, 40), np.float32)
    a[3, 4] = np.nan
    a[5, 6] = np.inf
    b[7, 8] = -np.inf
    out = garbage((20, 40), np.float32)
    mm.matmul_into(a, b, out)
    with np.errstate(invalid="ignore"):  # inf * 0 in the reference
        ref = a @ b
    np.testing.assert_array_equal(np.isnan(out), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(out), np.isinf(ref))
    finite = np.isfinite(ref)
    np.testing.assert_allclose(out[finite], ref[finite], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int32], ids=lambda d: np.dtype(d).name)
def test_matmul_parallel(dt, monkeypatch):
    """The threaded path (row panels cut into PARALLEL_SPLIT items per thread, taken from a shared counter by
    batch.run_dynamic's threads) on operands used in place and packed ones: every item computed once."""
    rng = np.random.default_rng(4)
    m, n, k = 100, 70, 300
    a, b = make(rng, (m, k), dt), make(rng, (k, n), dt)
    monkeypatch.setattr(mm, "PARALLEL_WORK", 0)
    monkeypatch.setattr(mm, "PARALLEL_SPLIT", 5)
    items = []
    real = mm.run_dynamic
    monkeypatch.setattr(mm, "run_dynamic", lambda task, total, threads: (items.append(total),
                                                                          real(task, total, 3)))
    for pack_work in (mm.PACK_WORK, 0):  # operands read in place, then packed
        monkeypatch.setattr(mm, "PACK_WORK", pack_work)
        out = garbage((m, n), dt)
        mm.matmul_into(a, b, out)
        check(out, a, b)
    if numba.get_num_threads() > 1:
        assert items == [min(-(-m // mm.MR), 5 * numba.get_num_threads())] * 2


def _check_bmm(a, b, dt):
    out = garbage((a.shape[0], a.shape[1], b.shape[2]), dt)
    mm.bmm_into(a, b, out)
    for t in range(a.shape[0]):
        check(out[t], a[t], b[t])


@pytest.mark.parametrize(
    "dt, parallel",
    [(np.float32, False), (np.float64, False), (np.int16, False), (np.float32, True)],
    ids=["float32", "float64", "int16", "float32-parallel"],
)
@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (4, 65, 33, 70), (1, 7, 8, 9), (0, 3, 3, 3), (2, 3, 4, 0)])
def test_bmm(dt, shape, parallel, monkeypatch):
    if parallel:
        monkeypatch.setattr(mm, "PARALLEL_WORK", 0)
    nb, m, n, k = shape
    rng = np.random.default_rng(5)
    a, b = make(rng, (nb, m, k), dt), make(rng, (nb, k, n), dt)
    _check_bmm(a, b, dt)
    if nb:
        # Broadcast batch (stride 0) on either side, and a transposed operand.
        _check_bmm(np.broadcast_to(a[:1], a.shape), b, dt)
        _check_bmm(a, np.broadcast_to(b[:1], b.shape), dt)
        _check_bmm(make(rng, (nb, k, m), dt).transpose(0, 2, 1), b, dt)
        # Operands that must be packed (no flat view), one of them broadcast.
        stepped_a = make(rng, (nb, 2 * m, k), dt)[:, ::2]
        _check_bmm(stepped_a, make(rng, (nb, k, 2 * n), dt)[:, :, ::2], dt)
        _check_bmm(stepped_a, np.broadcast_to(make(rng, (1, k, 2 * n), dt)[:, :, ::2], (nb, k, n)), dt)


def test_bmm_few_entries_parallel(monkeypatch):
    # Fewer batch entries than work items: each entry's rows are split too.
    monkeypatch.setattr(mm, "PARALLEL_WORK", 0)
    rng = np.random.default_rng(6)
    a, b = make(rng, (3, 40, 50), np.float32), make(rng, (1, 50, 60), np.float32)
    _check_bmm(a, np.broadcast_to(b, (3, 50, 60)), np.float32)


def test_import_compiles_nothing():
    code = (
        "import numba\n"
        "from ntorch.kernels.cpu import matmul as mm\n"
        "ds = [v for v in vars(mm).values() if isinstance(v, numba.core.dispatcher.Dispatcher)]\n"
        "assert ds and not any(d.signatures for d in ds), [d for d in ds if d.signatures]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
