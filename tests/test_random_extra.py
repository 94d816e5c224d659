"""bernoulli, multinomial, poisson, binomial and Tensor's in-place samplers: moments within bounds at fixed
seeds, support, seed reproducibility, and torch's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt

N = 200_000


def _moments(t):
    a = t.numpy().astype(np.float64).ravel()
    return a.mean(), a.var()


def _close(got, want, tol):
    assert abs(got - want) <= tol, (got, want)


def test_bernoulli_probabilities_and_p():
    nt.manual_seed(0)
    p = nt.tensor(np.linspace(0, 1, 5).repeat(N // 5).astype(np.float32))
    draws = nt.bernoulli(p)
    assert draws.dtype is nt.float32 and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    per = draws.numpy().reshape(5, -1).mean(1)
    np.testing.assert_allclose(per, np.linspace(0, 1, 5), atol=0.01)
    assert per[0] == 0.0 and per[-1] == 1.0  # p=0 never fires, p=1 always
    m, _ = _moments(nt.bernoulli(nt.zeros(N, dtype=nt.float64), 0.3))
    _close(m, 0.3, 0.01)
    m, _ = _moments(nt.zeros(N).bernoulli(0.7))
    _close(m, 0.7, 0.01)


def test_bernoulli_inplace():
    nt.manual_seed(1)
    t = nt.zeros(N, dtype=nt.int64)
    assert t.bernoulli_(0.25) is t and t.dtype is nt.int64
    _close(_moments(t)[0], 0.25, 0.01)
    p = nt.tensor([0.0, 1.0, 0.5]).repeat(N // 3)
    t = nt.zeros(p.shape).bernoulli_(p)
    a = t.numpy().reshape(-1, 3)
    assert a[:, 0].max() == 0 and a[:, 1].min() == 1
    _close(a[:, 2].mean(), 0.5, 0.01)
    with pytest.raises(RuntimeError, match=r"bernoulli_ expects p to be in \[0, 1\], but got p=1.5"):
        nt.zeros(3).bernoulli_(1.5)
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1 to be true"):
        nt.bernoulli(nt.tensor([0.5, 1.5]))
    with pytest.raises(NotImplementedError, match="\"bernoulli_tensor_cpu_p_\" not implemented for 'Long'"):
        nt.bernoulli(nt.tensor([1, 0]))


def test_seed_reproducible_and_generator():
    nt.manual_seed(5)
    a = nt.multinomial(nt.ones(10), 5)
    b = nt.zeros(6).normal_()
    nt.manual_seed(5)
    np.testing.assert_array_equal(a.numpy(), nt.multinomial(nt.ones(10), 5).numpy())
    np.testing.assert_array_equal(b.numpy(), nt.zeros(6).normal_().numpy())
    g1, g2 = nt.Generator().manual_seed(3), nt.Generator().manual_seed(3)
    np.testing.assert_array_equal(nt.zeros(8).uniform_(generator=g1).numpy(),
                                  nt.zeros(8).uniform_(generator=g2).numpy())
    np.testing.assert_array_equal(nt.poisson(nt.full((8,), 4.0), g1).numpy(),
                                  nt.poisson(nt.full((8,), 4.0), g2).numpy())


def test_multinomial_with_replacement_frequencies():
    nt.manual_seed(0)
    w = np.array([1.0, 0.0, 3.0, 6.0])
    draws = nt.multinomial(nt.tensor(w), N, replacement=True)
    assert draws.dtype is nt.int64 and tuple(draws.shape) == (N,)
    freq = np.bincount(draws.numpy(), minlength=4) / N
    np.testing.assert_allclose(freq, w / w.sum(), atol=0.01)
    assert freq[1] == 0.0  # zero weight: never drawn
    rows = nt.multinomial(nt.tensor([[1.0, 0.0], [0.0, 2.0]]), 7, True)
    np.testing.assert_array_equal(rows.numpy(), [[0] * 7, [1] * 7])


def test_multinomial_without_replacement():
    nt.manual_seed(0)
    rows = nt.multinomial(nt.ones(2000, 6), 6)
    a = rows.numpy()
    assert all(sorted(r) == list(range(6)) for r in a)  # a permutation: no repeats
    first = np.bincount(a[:, 0], minlength=6) / len(a)
    np.testing.assert_allclose(first, 1 / 6, atol=0.04)
    w = np.array([1.0, 8.0, 1.0])
    first = np.bincount(nt.multinomial(nt.tensor(w).expand(20000, 3), 1).numpy().ravel(), minlength=3) / 20000
    np.testing.assert_allclose(first, w / w.sum(), atol=0.015)
    # zero-weight categories come last, only when the others are used up
    np.testing.assert_array_equal(nt.multinomial(nt.tensor([1.0, 0.0, 0.0]), 2).numpy(), [0, 1])


@pytest.mark.parametrize("args,msg", [
    ((nt.tensor([1.0, 2.0]), 3), "cannot sample n_sample > prob_dist.size\\(-1\\) samples without replacement"),
    ((nt.tensor([1.0, -2.0]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((nt.tensor([1.0, math.nan]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((nt.tensor([1.0, math.inf]), 1), "probability tensor contains either `inf`, `nan` or element < 0"),
    ((nt.tensor([0.0, 0.0]), 1), "invalid multinomial distribution \\(sum of probabilities <= 0\\)"),
    ((nt.tensor([1, 2]), 1), "multinomial only supports floating-point dtypes for input, got: Long"),
    ((nt.tensor([1.0, 2.0]), 0), "cannot sample n_sample <= 0 samples"),
    ((nt.ones(2, 2, 2), 1), "prob_dist must be 1 or 2 dim"),
])
def test_multinomial_errors(args, msg):
    with pytest.raises(RuntimeError, match=msg):
        nt.multinomial(*args)


def test_poisson_and_binomial():
    nt.manual_seed(0)
    rates = nt.full((N,), 3.5, dtype=nt.float64)
    d = nt.poisson(rates)
    m, v = _moments(d)
    _close(m, 3.5, 0.03)
    _close(v, 3.5, 0.06)
    assert d.dtype is nt.float64 and np.all(d.numpy() == np.round(d.numpy())) and d.numpy().min() >= 0
    assert nt.poisson(nt.zeros(4)).numpy().max() == 0.0
    with pytest.raises(RuntimeError, match="invalid Poisson rate, expected rate to be non-negative"):
        nt.poisson(nt.tensor([-1.0, 2.0]))
    with pytest.raises(NotImplementedError, match="\"poisson_cpu\" not implemented for 'Long'"):
        nt.poisson(nt.tensor([1, 2]))
    b = nt.binomial(nt.full((N,), 10.0), nt.full((N,), 0.3))
    m, v = _moments(b)
    _close(m, 3.0, 0.03)
    _close(v, 2.1, 0.05)
    assert b.numpy().min() >= 0 and b.numpy().max() <= 10
    np.testing.assert_array_equal(nt.binomial(nt.tensor([5.0, 2.0]), nt.tensor([0.0, 1.0])).numpy(), [0.0, 2.0])
    with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for count, got: Long"):
        nt.binomial(nt.tensor([5, 2]), nt.tensor([0.5, 0.5]))


@pytest.mark.parametrize("method,args,mean,var,support", [
    ("uniform_", (2.0, 5.0), 3.5, 9 / 12, lambda a: (a >= 2).all() and (a < 5).all()),
    ("normal_", (1.0, 2.0), 1.0, 4.0, None),
    ("exponential_", (2.0,), 0.5, 0.25, lambda a: (a >= 0).all()),
    ("geometric_", (0.25,), 4.0, 0.75 / 0.25 ** 2, lambda a: (a >= 1).all() and (a == np.round(a)).all()),
    ("log_normal_", (0.0, 0.5), math.exp(0.125), (math.exp(0.25) - 1) * math.exp(0.25), lambda a: (a > 0).all()),
])
def test_inplace_samplers_moments(method, args, mean, var, support):
    nt.manual_seed(0)
    t = nt.empty(N, dtype=nt.float64)
    assert getattr(t, method)(*args) is t
    m, v = _moments(t)
    _close(m, mean, 0.02 * max(1.0, abs(mean)) + 4 * math.sqrt(var / N))
    _close(v, var, 0.05 * var)
    if support is not None:
        assert support(t.numpy())


def test_cauchy_quantiles():
    nt.manual_seed(0)
    a = nt.empty(N).cauchy_(1.0, 2.0).numpy()
    q25, q50, q75 = np.quantile(a, [0.25, 0.5, 0.75])  # median 1, quartiles at median -+ sigma
    _close(q50, 1.0, 0.05)
    _close(q25, -1.0, 0.07)
    _close(q75, 3.0, 0.07)


def test_random_():
    nt.manual_seed(0)
    a = nt.empty(N).random_(5).numpy()
    assert set(np.unique(a)) == {0, 1, 2, 3, 4}
    b = nt.empty(N, dtype=nt.int64).random_(-3, 2).numpy()
    assert b.min() == -3 and b.max() == 1
    _close(b.mean(), -1.0, 0.02)
    c = nt.empty(N, dtype=nt.uint8).random_().numpy()
    assert c.min() == 0 and c.max() == 255
    f = nt.empty(1000).random_().numpy()
    assert f.min() >= 0 and f.max() <= 2 ** 24 and f.max() > 2 ** 22 and (f == np.round(f)).all()
    bools = nt.empty(1000, dtype=nt.bool).random_().numpy()
    assert bools.any() and not bools.all()
    with pytest.raises(RuntimeError, match="random_ expects 'from' to be less than 'to', but got from=5 >= to=3"):
        nt.zeros(3).random_(5, 3)
    with pytest.raises(RuntimeError, match="from is out of bounds for unsigned char"):
        nt.zeros(3, dtype=nt.uint8).random_(-1, 3)
    with pytest.raises(RuntimeError, match="to - 1 is out of bounds for unsigned char"):
        nt.zeros(3, dtype=nt.uint8).random_(0, 300)


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: nt.zeros(3).uniform_(2, 1), RuntimeError, "uniform_ expects to return a \\[from, to\\) range"),
    (lambda: nt.zeros(3).normal_(0, -1), RuntimeError, "normal expects std >= 0.0, but found std -1"),
    (lambda: nt.zeros(3).exponential_(0), RuntimeError, "exponential_ expects lambda > 0.0, but found lambda=0"),
    (lambda: nt.zeros(3).geometric_(1.5), RuntimeError, "geometric_ expects p to be in \\(0, 1\\), but got p=1.5"),
    (lambda: nt.zeros(3).log_normal_(1, 0), RuntimeError, "log_normal_ expects std > 0.0, but found std=0"),
    (lambda: nt.zeros(3).cauchy_(0, -1), RuntimeError, "cauchy_ expects sigma > 0.0, but found sigma=-1"),
    (lambda: nt.zeros(3, dtype=nt.int64).uniform_(), NotImplementedError, "check_uniform_bounds"),
    (lambda: nt.zeros(3, dtype=nt.int64).exponential_(), RuntimeError,
     "Exponential distribution is a continuous probability distribution"),
    (lambda: nt.zeros(3, requires_grad=True).uniform_(), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
])
def test_sampler_errors(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_integer_geometric_and_views():
    nt.manual_seed(0)
    g = nt.zeros(1000, dtype=nt.int64).geometric_(0.5)
    assert g.dtype is nt.int64 and g.numpy().min() >= 1
    base = nt.zeros(4, 6)
    base[:, 1::2].uniform_(1.0, 2.0)  # a strided view fills in place
    a = base.numpy()
    assert (a[:, ::2] == 0).all() and (a[:, 1::2] >= 1).all()
