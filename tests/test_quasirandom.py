"""ntorch.quasirandom.SobolEngine: the unscrambled sequence against torch 2.13's values (written here as literals,
from torch.quasirandom.SobolEngine(...).draw(..., dtype=torch.float64)), the net (stratification) property of
Sobol points as the independent check of every dimension and of the scrambled sequences, and torch's API:
draw / draw_base2 / fast_forward / reset, dtypes, out=, errors and repr."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
from ntorch.quasirandom import SobolEngine

TORCH_3D_FIRST_8 = [[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
                    [0.375, 0.375, 0.625], [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375]]
TORCH_6D_AFTER_1000 = [
    [0.2197265625, 0.0966796875, 0.5185546875, 0.6767578125, 0.2802734375, 0.9072265625],
    [0.7197265625, 0.5966796875, 0.0185546875, 0.1767578125, 0.7802734375, 0.4072265625],
    [0.9697265625, 0.3466796875, 0.7685546875, 0.9267578125, 0.5302734375, 0.1572265625]]
# SobolEngine(1111), fast_forward(123456), draw(2): columns 0, 7, 500, 1109, 1110; then its quasi state
TORCH_1111D_COLUMNS = [0, 7, 500, 1109, 1110]
TORCH_1111D_AFTER_123456 = [
    [0.02649688720703125, 0.46405792236328125, 0.20032501220703125, 0.6991043090820312, 0.16886138916015625],
    [0.5264968872070312, 0.9640579223632812, 0.7003250122070312, 0.19910430908203125, 0.6688613891601562]]
TORCH_1111D_QUASI = [565321728, 1035149312, 751968256, 213786624, 718184448]


def test_unscrambled_sequence_matches_torch():
    e = SobolEngine(3)
    np.testing.assert_array_equal(e.draw(8, dtype=nt.float64).numpy(), TORCH_3D_FIRST_8)
    e = SobolEngine(6).fast_forward(1000)
    np.testing.assert_array_equal(e.draw(3, dtype=nt.float64).numpy(), TORCH_6D_AFTER_1000)
    e = SobolEngine(1111).fast_forward(123456)
    np.testing.assert_array_equal(e.draw(2, dtype=nt.float64).numpy()[:, TORCH_1111D_COLUMNS],
                                  TORCH_1111D_AFTER_123456)
    np.testing.assert_array_equal(e.quasi.numpy()[TORCH_1111D_COLUMNS], TORCH_1111D_QUASI)


def _is_net(points: np.ndarray, bits: tuple) -> bool:
    """Whether every box of sides 2 ** -bits[k] in the projection on the first len(bits) coordinates holds the
    same number of points (a (0, m, s)-net when 2 ** sum(bits) = len(points))."""
    cells = np.zeros(len(points), np.int64)
    for k, b in enumerate(bits):
        cells = (cells << b) | np.floor(points[:, k] * 2**b).astype(np.int64)
    counts = np.bincount(cells, minlength=2 ** sum(bits))
    return bool((counts == counts[0]).all())


@pytest.mark.parametrize("scramble", [False, True])
def test_every_dimension_is_stratified_and_the_first_two_form_a_net(scramble):
    m = 10
    x = SobolEngine(1111, scramble=scramble, seed=7).draw_base2(m, dtype=nt.float64).numpy()
    assert x.shape == (2**m, 1111) and x.min() >= 0 and x.max() < 1
    # each coordinate: exactly one point in each interval [k / 2^m, (k + 1) / 2^m)
    strata = np.floor(x * 2**m).astype(np.int64)
    assert all(len(np.unique(strata[:, d])) == 2**m for d in range(1111))
    # the first two coordinates are a (0, m, 2)-net: one point in every elementary box of area 2^-m
    assert all(_is_net(x, (b, m - b)) for b in range(m + 1))
    if scramble:
        assert len(np.unique(x[:, 5])) == 2**m and not np.allclose(x[0], 0)


def test_scrambled_is_reproducible_by_seed_and_uniform():
    a = SobolEngine(4, scramble=True, seed=123).draw(512, dtype=nt.float64).numpy()
    b = SobolEngine(4, scramble=True, seed=123).draw(512, dtype=nt.float64).numpy()
    c = SobolEngine(4, scramble=True, seed=124).draw(512, dtype=nt.float64).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # a randomised QMC mean of x and x^2: far closer to 1/2 and 1/3 than Monte Carlo's 1/sqrt(n)
    assert np.all(np.abs(a.mean(0) - 0.5) < 0.01) and np.all(np.abs((a**2).mean(0) - 1 / 3) < 0.01)
    e = SobolEngine(4, scramble=True, seed=123)
    np.testing.assert_array_equal(e.draw(1, dtype=nt.float64).numpy(), a[:1])
    np.testing.assert_array_equal(e.fast_forward(10).draw(3, dtype=nt.float64).numpy(), a[11:14])


def test_draw_fast_forward_reset_and_continuation():
    ref = SobolEngine(5).draw(40, dtype=nt.float64).numpy()
    e = SobolEngine(5)
    parts = [e.draw(1, dtype=nt.float64), e.draw(6, dtype=nt.float64), e.fast_forward(3).draw(10, dtype=nt.float64)]
    np.testing.assert_array_equal(np.concatenate([p.numpy() for p in parts]), np.concatenate([ref[:7], ref[10:20]]))
    assert e.num_generated == 20
    np.testing.assert_array_equal(e.reset().draw(4, dtype=nt.float64).numpy(), ref[:4])
    np.testing.assert_array_equal(SobolEngine(5).fast_forward(1).draw(2, dtype=nt.float64).numpy(), ref[1:3])


def test_dtypes_out_base2_errors_and_repr():
    e = SobolEngine(2)
    assert e.draw(3).dtype is nt.get_default_dtype()
    assert e.draw(3, dtype=nt.float64).dtype is nt.float64
    out = nt.empty(0, dtype=nt.float64)
    r = SobolEngine(2).draw(4, out=out, dtype=nt.float64)
    assert r is out and out.shape == (4, 2)
    np.testing.assert_array_equal(out.numpy(), [[0, 0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75]])
    assert e.sobolstate.dtype is nt.int64 and tuple(e.sobolstate.shape) == (2, SobolEngine.MAXBIT)
    e = SobolEngine(2)
    e.draw_base2(2)
    assert e.draw_base2(2).shape == (4, 2)  # 4 + 4 = 8 drawn: a power of 2
    with pytest.raises(ValueError, match=r"^The balance properties of Sobol' points require n to be a power of 2. "
                                         r"8 points have been previously generated, then: n=8\+2\*\*1=10. If you "
                                         r"still want to do this, please use 'SobolEngine.draw\(\)' instead.$"):
        e.draw_base2(1)
    for bad in (0, SobolEngine.MAXDIM + 1):
        with pytest.raises(ValueError, match=r"^Supported range of dimensionality for SobolEngine is \[1, 1111\]$"):
            SobolEngine(bad)
    with pytest.raises(RuntimeError, match=r"^Trying to create tensor with negative dimension -1: \[-1, 2\]$"):
        SobolEngine(2).draw(-1)
    e = SobolEngine(2)
    assert e.draw(0).shape == (0, 2) and e.num_generated == 0
    assert repr(SobolEngine(3)) == "SobolEngine(dimension=3)"
    assert repr(SobolEngine(3, scramble=True, seed=5)) == "SobolEngine(dimension=3, scramble=True, seed=5)"
    assert nt.quasirandom.SobolEngine is SobolEngine
