"""ntorch's CPU generator gives torch's numbers: the oracle is NumPy's legacy MT19937 stream (RandomState(seed),
the same engine and seeding as torch's mt19937) with torch 2.13's CPU transforms written here in NumPy."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F

SEEDS = [0, 7, 2**32 + 5]
SIZES = [0, 1, 15, 16, 17, 100]


def words(seed: int, n: int) -> np.ndarray:
    """The first n 32-bit outputs of mt19937 seeded with seed's low 32 bits (uint64)."""
    return np.random.RandomState(seed & 0xFFFFFFFF).randint(0, 2**32, n, dtype=np.uint32).astype(np.uint64)


def words64(w: np.ndarray) -> np.ndarray:
    return (w[0::2] << np.uint64(32)) | w[1::2]


def u32(w: np.ndarray) -> np.ndarray:
    return (w & np.uint64(2**24 - 1)).astype(np.float32) * np.float32(2.0**-24)


def u64(w: np.ndarray) -> np.ndarray:
    return (words64(w) & np.uint64(2**53 - 1)).astype(np.float64) * 2.0**-53


def fma32(a, b, c):
    return (np.float64(a) * np.float64(b) + np.float64(c)).astype(np.float32)


def serial_normals(u: np.ndarray, n: int) -> list[float]:
    """normal_distribution<double>: cos value returned, sin value cached for the next draw."""
    out = []
    for k in range(0, len(u) - 1, 2):
        r = math.sqrt(-2.0 * math.log1p(-u[k + 1]))
        theta = 2.0 * math.pi * u[k]
        out += [r * math.cos(theta), r * math.sin(theta)]
    return out[:n]


def cephes_normal_fill16(d: np.ndarray) -> np.ndarray:
    """torch's NormalFill16<float> (AVX2): avx_mathfun's log256_ps / sincos256_ps (with the FMAs GCC
    contracts), on a float32 array of shape (k, 16)."""
    f = np.float32
    x = f(1) - d[:, :8]
    m, e = np.frexp(x)
    m, e = m.astype(f), e.astype(f)
    small = m < f(0.707106781186547524)
    e = np.where(small, e - f(1), e)
    m = np.where(small, (m - f(1)) + m, m - f(1))
    z = m * m
    y = np.full_like(m, 7.0376836292e-2)
    for c in (-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
              2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1):
        y = fma32(y, m, f(c))
    y = y * m
    y = fma32(y, z, e * f(-2.12194440e-4))
    y = fma32(-z, f(0.5), y)
    log = fma32(e, f(0.693359375), m + y)
    radius = np.sqrt(f(-2) * log)
    theta = f(2.0 * math.pi) * d[:, 8:]
    j = ((theta * f(1.27323954473516)).astype(np.int32) + 1) & ~1
    yj = j.astype(f)
    t = theta
    for c in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        t = fma32(yj, f(c), t)
    z = t * t
    yc = np.full_like(t, 2.443315711809948e-005)
    yc = fma32(fma32(yc, z, f(-1.388731625493765e-003)), z, f(4.166664568298827e-002)) * z
    yc = fma32(yc, z, -(z * f(0.5))) + f(1)
    ys = fma32(fma32(np.full_like(t, -1.9515295891e-4), z, f(8.3321608736e-3)), z, f(-1.6666654611e-1))
    ys = fma32(ys * z, t, t)
    poly = (j & 2) == 0
    s, c = np.where(poly, ys, yc), np.where(poly, yc, ys)
    s = np.where((j & 4) != 0, -s, s)
    c = np.where(((j - 2) & 4) == 0, -c, c)
    return np.concatenate([radius * c, radius * s], axis=1)


def test_mt19937_published_value():
    # std::mt19937 (default seed 5489): the 10000th output is 4123659995 (C++ standard, [rand.predef])
    assert int(words(5489, 10000)[-1]) == 4123659995
    g = ntorch.Generator().manual_seed(5489)
    draws = ntorch.empty(10000, dtype=ntorch.int32).random_(-2**26, 2**26, generator=g)  # random() % 2**27 - 2**26
    assert int(draws[-1]) + 2**26 == 4123659995 % 2**27  # (a range of 2**28 or more draws random64(), as torch)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
def test_rand(seed, n):
    ntorch.manual_seed(seed)
    np.testing.assert_array_equal(ntorch.rand(n).numpy(), u32(words(seed, n)))
    ntorch.manual_seed(seed)
    np.testing.assert_array_equal(ntorch.rand(n, dtype=ntorch.float64).numpy(), u64(words(seed, 2 * n)))
    ntorch.manual_seed(seed)
    assert ntorch.rand(()).shape == () and ntorch.rand(()).item() == u32(words(seed, 2))[1]


def test_uniform_range_and_half():
    ntorch.manual_seed(3)
    got = ntorch.empty(500).uniform_(-0.37, 1.91).numpy()
    lo, hi = np.float32(-0.37), np.float32(1.91)
    np.testing.assert_array_equal(got, fma32(u32(words(3, 500)), hi - lo, lo))  # x * (to - from) + from, fused
    ntorch.manual_seed(3)
    got = ntorch.rand(4000, dtype=ntorch.float16).numpy()
    want = u32(words(3, 4000)).astype(np.float16)
    want[want == 1] = 0  # a value the cast rounds up to `to` becomes `from`
    np.testing.assert_array_equal(got, want)
    assert got.max() < 1


@pytest.mark.parametrize("seed", SEEDS)
def test_randn_serial_and_cache(seed):
    """Fewer than 16 elements: Box-Muller on two doubles, the second value cached for the next call."""
    ntorch.manual_seed(seed)
    a = ntorch.randn(3, dtype=ntorch.float64).numpy()
    b = ntorch.randn(5, dtype=ntorch.float64).numpy()
    c = ntorch.randn(1).numpy()
    want = serial_normals(u64(words(seed, 20)), 9)
    np.testing.assert_array_equal(np.concatenate([a, b]), want[:8])
    np.testing.assert_array_equal(c, np.float32(want[8]))
    state = ntorch.get_rng_state().numpy().tobytes()
    assert struct.unpack_from("<i", state, 5040)[0] == 1  # the sin value of the last pair is cached
    assert struct.unpack_from("<d", state, 5024)[0] == serial_normals(u64(words(seed, 20)), 10)[9]


@pytest.mark.parametrize("n", [16, 17, 40, 1000, 2 * 4096 + 3 * 16 + 5])  # the last: two whole passes of the
def test_randn_normal_fill(n):  # float32 fill's 256 blocks, a part pass and a redrawn tail
    seed = 11
    w = words(seed, 2 * (n + 16))
    ntorch.manual_seed(seed)
    got64 = ntorch.randn(n, dtype=ntorch.float64).numpy()
    u = u64(w)
    data = u[:n].copy()

    def fill16(d):  # NormalFill16<double>
        for j in range(8):
            r = math.sqrt(-2.0 * math.log(1.0 - d[j]))
            t = 2.0 * math.pi * d[j + 8]
            d[j], d[j + 8] = r * math.cos(t), r * math.sin(t)

    for i in range(0, n - 15, 16):
        fill16(data[i:i + 16])
    if n % 16:
        data[n - 16:] = u[n:n + 16]
        fill16(data[n - 16:])
    np.testing.assert_array_equal(got64, data)

    ntorch.manual_seed(seed)
    got32 = ntorch.randn(n).numpy()
    u = u32(w)
    data = u[:n].copy()
    whole = n - n % 16
    data[:whole] = cephes_normal_fill16(data[:whole].reshape(-1, 16)).reshape(-1)
    if n % 16:
        data[n - 16:] = cephes_normal_fill16(u[n:n + 16].reshape(1, 16)).reshape(-1)
    np.testing.assert_array_equal(got32, data)


def test_normal_mean_std_and_complex():
    ntorch.manual_seed(5)
    got = ntorch.empty(32).normal_(0.3, 2.7).numpy()
    z = cephes_normal_fill16(u32(words(5, 32)).reshape(2, 16))
    np.testing.assert_array_equal(got, fma32(z, np.float32(2.7), np.float32(0.3)).reshape(-1))
    ntorch.manual_seed(5)
    c = ntorch.randn(16, dtype=ntorch.complex64).numpy()  # normal_ of the real view, std 1 / sqrt(2)
    z = cephes_normal_fill16(u32(words(5, 32)).reshape(2, 16)).reshape(-1)
    np.testing.assert_array_equal(c.view(np.float32), fma32(z, np.float32(1 / math.sqrt(2)), np.float32(0)))


@pytest.mark.parametrize("seed", SEEDS)
def test_randint_and_random(seed):
    ntorch.manual_seed(seed)
    np.testing.assert_array_equal(ntorch.randint(-5, 7, (50,)).numpy(), (words(seed, 50) % 12).astype(np.int64) - 5)
    ntorch.manual_seed(seed)
    got = ntorch.randint(0, 2**40, (20,)).numpy()
    np.testing.assert_array_equal(got, (words64(words(seed, 40)) % np.uint64(2**40)).astype(np.int64))
    ntorch.manual_seed(seed)
    got = ntorch.empty(20, dtype=ntorch.int64).random_().numpy()  # random64() % 2**63
    np.testing.assert_array_equal(got, (words64(words(seed, 40)) % np.uint64(2**63)).astype(np.int64))
    ntorch.manual_seed(seed)
    got = ntorch.empty(20).random_().numpy()  # random() % (2**24 + 1)
    np.testing.assert_array_equal(got, (words(seed, 20) % np.uint64(2**24 + 1)).astype(np.float32))


@pytest.mark.parametrize("skip", [0, 1, 622, 623, 624, 625])
def test_draws_across_twists(skip):
    """The kernels read runs of words straight from the state between twists: after skip words, a random64()
    pair may straddle a twist (skip odd), and the runs span several twists, wide and narrow."""
    seed = 17
    w = words(seed, skip + 4500)[skip:]
    ntorch.manual_seed(seed)
    ntorch.rand(skip)
    np.testing.assert_array_equal(ntorch.rand(1500, dtype=ntorch.float64).numpy(), u64(w[:3000]))
    got = ntorch.randint(0, 2**40, (300,)).numpy()
    np.testing.assert_array_equal(got, (words64(w[3000:3600]) % np.uint64(2**40)).astype(np.int64))
    np.testing.assert_array_equal(ntorch.rand(900).numpy(), u32(w[3600:4500]))


def test_in_place_draws_follow_memory_order():
    """A serial sampler fills a strided tensor in TensorIterator order: a transposed tensor in memory order."""
    ntorch.manual_seed(2)
    t = ntorch.empty(5, 4).t().uniform_()
    np.testing.assert_array_equal(t.t().contiguous().numpy().reshape(-1), u32(words(2, 20)))
    ntorch.manual_seed(2)
    r = ntorch.rand_like(ntorch.empty(5, 4).t())
    np.testing.assert_array_equal(r.t().contiguous().numpy().reshape(-1), u32(words(2, 20)))


def _randperm(w: np.ndarray, n: int) -> np.ndarray:
    r = np.arange(n)
    for i in range(n - 1):
        z = int(w[i]) % (n - i)
        r[i], r[i + z] = r[i + z], r[i]
    return r


@pytest.mark.parametrize("n", [0, 1, 2, 10, 1000])
def test_randperm(n):
    ntorch.manual_seed(4)
    np.testing.assert_array_equal(ntorch.randperm(n).numpy(), _randperm(words(4, max(n - 1, 0)), n))


def test_bernoulli_dropout_exponential_multinomial():
    seed = 9
    ntorch.manual_seed(seed)
    np.testing.assert_array_equal(ntorch.empty(200).bernoulli_(0.3).numpy(), u64(words(seed, 400)) < 0.3)
    ntorch.manual_seed(seed)
    p = np.linspace(0, 1, 200, dtype=np.float32)
    np.testing.assert_array_equal(ntorch.bernoulli(ntorch.tensor(p)).numpy(), u32(words(seed, 200)) < p)
    ntorch.manual_seed(seed)
    out = F.dropout(ntorch.ones(300), 0.25).numpy()
    keep = u64(words(seed, 600)) < 0.75
    np.testing.assert_array_equal(out != 0, keep)
    np.testing.assert_array_equal(out[keep], np.float32(1) / np.float32(0.75))
    ntorch.manual_seed(seed)
    got = ntorch.empty(100, dtype=ntorch.float64).exponential_(2.0).numpy()
    np.testing.assert_array_equal(got, [-1.0 / 2.0 * math.log1p(-x) for x in u64(words(seed, 200))])
    ntorch.manual_seed(seed)
    w = np.array([0.1, 0.2, 0.3, 0.4], np.float32)
    got = ntorch.multinomial(ntorch.tensor(w), 30, True).numpy()
    cum = np.cumsum(w) / np.cumsum(w)[-1]
    cum[-1] = 1
    np.testing.assert_array_equal(got, np.searchsorted(cum.astype(np.float64), u64(words(seed, 60)), "left"))
    ntorch.manual_seed(seed)
    w = np.arange(1.0, 11.0, dtype=np.float32)
    got = ntorch.multinomial(ntorch.tensor(w), 4).numpy()  # argsort of w / Exp(1), descending
    q = np.array([-math.log1p(-x) for x in u64(words(seed, 20))]).astype(np.float32)
    np.testing.assert_array_equal(got, np.argsort(-(w / q), kind="stable")[:4])


def test_state_layout_matches_torch_and_round_trips():
    ntorch.manual_seed(21)
    ntorch.rand(7)
    st = ntorch.get_rng_state()
    assert st.dtype is ntorch.uint8 and tuple(st.shape) == (5056,)
    raw = st.numpy().tobytes()
    rs = np.random.RandomState(21)
    rs.randint(0, 2**32, 7, dtype=np.uint32)
    _, key, pos = rs.get_state()[:3]
    seed, left, seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
    assert (seed, left, seeded, nxt) == (21, 625 - pos, 1, pos)
    np.testing.assert_array_equal(np.frombuffer(raw, np.uint64, 624, 24), key.astype(np.uint64))
    after = ntorch.rand(5).numpy()
    ntorch.set_rng_state(st)
    np.testing.assert_array_equal(ntorch.rand(5).numpy(), after)
    fresh = ntorch.Generator().manual_seed(21).get_state().numpy().tobytes()
    assert struct.unpack_from("<QiiQ", fresh, 0) == (21, 1, 1, 0)  # torch's freshly seeded (left, next)
    with ntorch.random.fork_rng():
        ntorch.rand(3)
    np.testing.assert_array_equal(ntorch.rand(5).numpy(), u32(words(21, 17))[12:])
    with pytest.raises(TypeError, match="RNG state must be a torch.ByteTensor"):
        ntorch.set_rng_state(ntorch.zeros(5056))
    with pytest.raises(RuntimeError, match="found the input RNG state size to be 10"):
        ntorch.set_rng_state(ntorch.zeros(10, dtype=ntorch.uint8))
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        ntorch.set_rng_state(ntorch.zeros(5056, dtype=ntorch.uint8))


def test_samplers_and_split():
    from ntorch.utils.data import DataLoader, RandomSampler, random_split

    ntorch.manual_seed(13)
    order = list(RandomSampler(range(10)))
    sub_seed = int(words64(words(13, 2))[0] % np.uint64(2**63))  # empty((), int64).random_()
    assert order == _randperm(words(sub_seed, 9), 10).tolist()
    ntorch.manual_seed(13)
    parts = random_split(range(10), [4, 6])
    perm = _randperm(words(13, 9), 10).tolist()
    assert [p.indices for p in parts] == [perm[:4], perm[4:]]
    ntorch.manual_seed(13)
    batches = [b.tolist() for b in DataLoader(list(range(10)), batch_size=10, shuffle=True)]
    w = words64(words(13, 4))  # the iterator's base seed, then the sampler's seed
    assert batches == [_randperm(words(int(w[1] % np.uint64(2**63)), 9), 10).tolist()]


def test_rrelu_training_draws_per_non_positive_element():
    x = np.linspace(-1, 1, 21, dtype=np.float32)
    ntorch.manual_seed(6)
    got = F.rrelu(ntorch.tensor(x), 0.1, 0.3, training=True).numpy()
    neg = x <= 0
    lo, hi = float(np.float32(0.1)), float(np.float32(0.3))  # torch's bounds, in the opmath type
    r = (u64(words(6, 2 * int(neg.sum()))) * (hi - lo) + lo).astype(np.float32)
    want = x.copy()
    want[neg] = x[neg] * r
    np.testing.assert_array_equal(got, want)
