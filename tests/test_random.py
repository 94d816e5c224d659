"""Random creation: reproducible per seed, right shapes/dtypes/ranges, sane distributions."""

import numpy as np
import pytest

import ntorch as nt


def test_manual_seed_reproduces_streams():
    nt.manual_seed(123)
    a = (nt.rand(5), nt.randn(2, 3), nt.randint(0, 10, (4,)), nt.randperm(6))
    nt.manual_seed(123)
    b = (nt.rand(5), nt.randn(2, 3), nt.randint(0, 10, (4,)), nt.randperm(6))
    for x, y in zip(a, b):
        assert nt.equal(x, y)
    nt.manual_seed(124)
    assert not nt.equal(nt.rand(5), a[0])


def test_generators_are_independent_and_stateful():
    g1 = nt.Generator().manual_seed(7)
    g2 = nt.Generator().manual_seed(7)
    x = nt.rand(4, generator=g1)
    nt.rand(100)  # the default generator does not disturb g2
    assert nt.equal(x, nt.rand(4, generator=g2))
    assert g1.initial_seed() == 7
    state = nt.get_rng_state()
    first = nt.randn(3)
    nt.set_rng_state(state)
    assert nt.equal(first, nt.randn(3))


@pytest.mark.parametrize("dt", [nt.float16, nt.float32, nt.float64])
def test_rand_randn_dtypes_ranges_and_moments(dt):
    nt.manual_seed(0)
    u = nt.rand(200_000, dtype=dt)
    assert u.dtype is dt and u.shape == (200_000,)
    un = u.numpy().astype(np.float64)
    assert un.min() >= 0 and un.max() < 1
    assert abs(un.mean() - 0.5) < 0.01 and abs(un.var() - 1 / 12) < 0.01
    z = nt.randn(200_000, dtype=dt).numpy().astype(np.float64)
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1) < 0.02


def test_default_dtypes_and_shapes():
    assert nt.rand(2, 3).dtype is nt.float32 and nt.rand((2, 3)).shape == (2, 3)
    assert nt.randint(5, (3,)).dtype is nt.int64
    assert nt.randperm(4).dtype is nt.int64
    assert nt.rand(0).shape == (0,)
    with pytest.raises(RuntimeError):
        nt.rand(3, dtype=nt.int32)


def test_randint_bounds_and_randperm_is_a_permutation():
    r = nt.randint(-3, 4, (10_000,)).numpy()
    assert r.min() == -3 and r.max() == 3
    p = nt.randperm(100).numpy()
    assert sorted(p.tolist()) == list(range(100))
    with pytest.raises(RuntimeError, match="from"):
        nt.randint(5, 5, (2,))


def test_normal_with_tensor_mean_and_std():
    mean = nt.tensor([0.0, 100.0, -50.0])
    samples = np.stack([nt.normal(mean, 0.5).numpy() for _ in range(2000)])
    np.testing.assert_allclose(samples.mean(0), [0, 100, -50], atol=0.1)
    np.testing.assert_allclose(samples.std(0), [0.5] * 3, atol=0.05)
    assert nt.normal(2.0, 3.0, size=(4, 5)).shape == (4, 5)
    with pytest.raises(RuntimeError, match="std"):
        nt.normal(nt.zeros(2), -1.0)


def test_like_variants():
    x = nt.zeros(2, 3, dtype=nt.float64)
    assert nt.rand_like(x).dtype is nt.float64 and nt.randn_like(x).shape == (2, 3)
    assert nt.randint_like(nt.zeros(4, dtype=nt.int32), 10).dtype is nt.int32
