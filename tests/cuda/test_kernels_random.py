"""Philox4x32-10 on the GPU: Random123's known-answer vectors against a pure-Python reference, launch
independence, and the moments of uniform_ / normal_ / randint_."""

import numpy as np
import pytest
from cuda_util import dev, empty, host
from ntorch.kernels.cuda import arrays
from ntorch.kernels.cuda import random as RN

MASK = 0xFFFFFFFF


def philox_reference(ctr, key):
    """Philox4x32-10 in plain Python integers (Salmon et al. 2011)."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & MASK, (p0 >> 32) ^ c3 ^ k1, p0 & MASK
        k0 = (k0 + 0x9E3779B9) & MASK
        k1 = (k1 + 0xBB67AE85) & MASK
    return c0, c1, c2, c3


KAT = [((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
       ((MASK,) * 4, (MASK, MASK), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD))]


def test_reference_matches_random123():
    for ctr, key, want in KAT:
        assert philox_reference(ctr, key) == want


def test_device_philox_matches_reference():
    rng = np.random.default_rng(0)
    ctrs = [c for c, _, _ in KAT] + [tuple(int(v) for v in rng.integers(0, 1 << 32, 4)) for _ in range(5)]
    keys = [k for _, k, _ in KAT] + [tuple(int(v) for v in rng.integers(0, 1 << 32, 2)) for _ in range(5)]
    out = empty((len(ctrs), 4), np.uint32)
    RN.philox4x32_10_into(out, dev(np.array(ctrs, np.uint32)), dev(np.array(keys, np.uint32)))
    got = [tuple(int(v) for v in row) for row in host(out)]
    assert got == [philox_reference(c, k) for c, k in zip(ctrs, keys)]
    assert got[:2] == [w for _, _, w in KAT]


def test_uniform_values_are_philox_words():
    seed, offset = (7 << 32) | 3, (5 << 32) | 11
    out = empty((10,), np.float32)
    RN.uniform_(out, seed, offset)
    words = [w for g in range(3) for w in philox_reference((g, 0, 11, 5), (3, 7))]
    want = np.array([(w >> 8) * 2.0 ** -24 for w in words[:10]], np.float32)
    np.testing.assert_array_equal(host(out), want)


def test_values_do_not_depend_on_launch_config(monkeypatch):
    a = empty((101,), np.float32)
    RN.normal_(a, 123, 4)
    monkeypatch.setattr(RN, "grid_1d", lambda n: (1, 4))  # one tiny block: each thread loops over many groups
    b = empty((101,), np.float32)
    RN.normal_(b, 123, 4)
    np.testing.assert_array_equal(host(a), host(b))


def test_offsets_and_seeds_give_new_streams():
    outs = []
    for seed, offset in [(1, 0), (1, 1), (2, 0)]:
        o = empty((64,), np.float64)
        RN.uniform_(o, seed, offset)
        outs.append(host(o))
    assert not np.array_equal(outs[0], outs[1]) and not np.array_equal(outs[0], outs[2])
    again = empty((64,), np.float64)
    RN.uniform_(again, 1, 0)
    np.testing.assert_array_equal(again.copy_to_host(), outs[0])


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_uniform_moments(dt, big):
    n = 1 << 22 if big else 4000
    out = empty((n,), dt)
    RN.uniform_(out, 42, 0, -2.0, 3.0)
    h = host(out).astype(np.float64)
    assert h.min() >= -2.0 and h.max() < 3.0
    tol = 5 / np.sqrt(n)
    assert abs(h.mean() - 0.5) < 5 * tol and abs(h.var() - 25 / 12) < 25 * tol


@pytest.mark.parametrize("dt", [np.float16, np.float32, np.float64], ids=lambda d: np.dtype(d).name)
def test_normal_moments(dt, big):
    n = 1 << 22 if big else 4000
    out = empty((n,), dt)
    RN.normal_(out, 9, 3, 1.5, 2.0)
    h = host(out).astype(np.float64)
    assert np.isfinite(h).all()
    tol = 5 / np.sqrt(n)
    assert abs(h.mean() - 1.5) < 4 * tol and abs(h.std() - 2.0) < 4 * tol
    z = (h - 1.5) / 2.0
    assert abs((z ** 3).mean()) < 3 * tol and abs((z ** 4).mean() - 3) < 10 * tol


def test_randint_covers_the_range_evenly():
    out = empty((4000,), np.int64)
    RN.randint_(out, 5, 0, -3, 5)
    h = host(out)
    assert h.min() == -3 and h.max() == 4
    counts = np.bincount(h + 3, minlength=8)
    assert (np.abs(counts - 500) < 5 * np.sqrt(500)).all()


def test_strided_output_and_empty():
    buf = dev(np.full((3, 8), -1.0, np.float32))
    view = arrays.view(buf, (3, 4), (8, 2))
    RN.uniform_(view, 1, 0)
    h = host(buf)
    assert (h[:, 1::2] == -1).all() and ((h[:, ::2] >= 0) & (h[:, ::2] < 1)).all()
    flat = empty((12,), np.float32)
    RN.uniform_(flat, 1, 0)
    np.testing.assert_array_equal(h[:, ::2].ravel(), host(flat))  # the same stream, in C order
    RN.normal_(empty((0,), np.float32), 1, 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="seed"):
        RN.uniform_(empty((3,), np.float32), -1, 0)
    with pytest.raises(TypeError, match="floating point"):
        RN.normal_(empty((3,), np.int32), 1, 0)
    with pytest.raises(RuntimeError, match="std >= 0.0"):
        RN.normal_(empty((3,), np.float32), 1, 0, 0.0, -1.0)
    with pytest.raises(RuntimeError, match="less than"):
        RN.randint_(empty((3,), np.int64), 1, 0, 5, 5)
