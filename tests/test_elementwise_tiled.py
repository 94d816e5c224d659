"""The tiled loop for operands that disagree on which dim is contiguous (x.t() + x): exact against NumPy on
shapes with partial tiles, leading dims, scalar operands, three operands and the threaded variant, and the
layouts that must (not) take it."""

import numba
import numpy as np
import pytest
from conftest import random_array, spy_generated_loops
from ntorch.kernels.cpu import elementwise as ew

import ntorch as nt


@pytest.fixture
def tiled_calls(monkeypatch):
    """Names of the tiled loops that ran."""
    monkeypatch.setattr(ew, "COPY_BELOW_ELEMENTS", 0)  # small shapes take the loops too (they copy by default)
    return spy_generated_loops(monkeypatch, ("tiled_",))


@pytest.mark.parametrize("shape", [(8, 8), (37, 29), (300, 13), (9, 700)])
@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int32])
def test_transposed_operand_2d(shape, dt, rng, tiled_calls):
    a = random_array(rng, shape, dt)
    b = random_array(rng, shape[::-1], dt)
    ta, tb = nt.from_numpy(a), nt.from_numpy(b)
    np.testing.assert_array_equal((ta + tb.t()).numpy(), a + b.T)
    np.testing.assert_array_equal((tb.t() - ta).numpy(), b.T - a)
    np.testing.assert_array_equal((tb.t() * 3).numpy(), b.T * np.asarray(3, a.dtype))  # scalar operand
    np.testing.assert_array_equal(nt.maximum(ta.t(), tb).numpy(), np.maximum(a.T, b))
    # both operands transposed (no unit-stride version of the full-tile loop applies), and one a column slice
    np.testing.assert_array_equal((ta.t() * ta.t()).numpy(), a.T * a.T)
    c = random_array(rng, (shape[0], 2 * shape[1]), dt)
    np.testing.assert_array_equal((tb.t() + nt.from_numpy(c)[:, ::2]).numpy(), b.T + c[:, ::2])
    assert tiled_calls and all(c.startswith("tiled_") for c in tiled_calls)


def test_leading_dims_and_three_operands(rng, tiled_calls):
    a = random_array(rng, (3, 20, 17), nt.float32)
    b = random_array(rng, (3, 17, 20), nt.float32)
    c = random_array(rng, (3, 20, 17), nt.float32)
    ta, tb, tc = nt.from_numpy(a), nt.from_numpy(b), nt.from_numpy(c)
    np.testing.assert_array_equal((ta + tb.transpose(1, 2)).numpy(), a + b.transpose(0, 2, 1))
    # leading dim swapped with the last: (17, 20, 3) viewed as (3, 20, 17)
    d = random_array(rng, (17, 20, 3), nt.float32)
    np.testing.assert_array_equal((ta * nt.from_numpy(d).permute(2, 1, 0)).numpy(), a * d.transpose(2, 1, 0))
    got = nt.where(tc > 0, ta, tb.transpose(1, 2))
    np.testing.assert_array_equal(got.numpy(), np.where(c > 0, a, b.transpose(0, 2, 1)))
    assert len(tiled_calls) == 3


def test_broadcast_row_and_column_keep_their_loops(rng, tiled_calls):
    a = random_array(rng, (40, 30), nt.float32)
    col = random_array(rng, (40, 1), nt.float32)
    ta = nt.from_numpy(a)
    np.testing.assert_array_equal((ta + nt.from_numpy(col)).numpy(), a + col)
    np.testing.assert_array_equal((ta[:, ::2] + 1).numpy(), a[:, ::2] + np.float32(1))
    assert tiled_calls == []


def test_threaded_tiles(rng, tiled_calls):
    a = random_array(rng, (700, 520), nt.float32)
    ta = nt.from_numpy(a)
    with_t = nt.from_numpy(np.ascontiguousarray(a.T)).t()
    np.testing.assert_array_equal((with_t + ta).numpy(), a + a)
    np.testing.assert_array_equal((ta.t() + nt.from_numpy(np.ascontiguousarray(a.T))).numpy(), a.T + a.T)
    assert tiled_calls == ["tiled_par_aa" if numba.get_num_threads() > 1 else "tiled_aa"] * 2


def test_tiled_rule():
    assert ew.ElementwiseKernel._tiled([100, 100], [[1, 100], [100, 1]])
    assert not ew.ElementwiseKernel._tiled([100, 100], [[100, 1], [200, 2]])  # a column slice: unit rows
    assert not ew.ElementwiseKernel._tiled([100, 100], [[1, 0], [100, 1]])  # a broadcast column
    assert not ew.ElementwiseKernel._tiled([4, 100], [[1, 4], [100, 1]])  # too few rows for a tile
    assert not ew.ElementwiseKernel._tiled([10000], [[3]])
