"""ntorch.cond / while_loop (eager), sym_* helpers, from_file, conv_tbc, norm_except_dim, unfold_copy, and the
functions torch removed in 1.9 (their error). Oracles: NumPy and hand-computed values."""

import numpy as np
import pytest

import ntorch
from ntorch.nn import functional as F


def test_cond_and_while_loop_run_eagerly():
    x = ntorch.ones(2)
    np.testing.assert_array_equal(ntorch.cond(ntorch.tensor(True), lambda a: a + 1, lambda a: a - 1, (x,)).numpy(),
                                  [2.0, 2.0])
    np.testing.assert_array_equal(ntorch.cond(0, lambda a: a + 1, lambda a: a - 1, [x]).numpy(), [0.0, 0.0])
    with pytest.raises(RuntimeError, match="Expected pred to be bool or single-element tensor"):
        ntorch.cond(ntorch.tensor([True, False]), lambda: 1, lambda: 2)
    i, v = ntorch.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 2), (ntorch.tensor(0), ntorch.ones(2)))
    assert i.item() == 3 and v.tolist() == [8.0, 8.0]


def test_sym_helpers_are_plain_python():
    assert ntorch.sym_int(2.7) == 2 and ntorch.sym_int(-2.7) == -2 and ntorch.sym_float(2) == 2.0
    assert ntorch.sym_max(2, 3) == 3 and ntorch.sym_min(2, 3) == 2 and ntorch.sym_not(True) is False
    assert ntorch.sym_ite(False, 1, 2) == 2 and ntorch.sym_sum([1, 2, 3]) == 6 and ntorch.sym_sqrt(9) == 3.0
    assert not ntorch.is_vulkan_available() and not ntorch.is_distributed(ntorch.ones(1))


def test_conv_tbc_matches_a_direct_sum():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((6, 2, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    for pad in (0, 1):
        xp = np.pad(x, ((pad, pad), (0, 0), (0, 0)))
        want = np.stack([np.einsum("kbi,kio->bo", xp[t:t + 3], w) + b for t in range(xp.shape[0] - 2)])
        got = ntorch.conv_tbc(ntorch.tensor(x), ntorch.tensor(w), ntorch.tensor(b), pad)
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
        np.testing.assert_allclose(F.conv_tbc(ntorch.tensor(x), ntorch.tensor(w), ntorch.tensor(b), pad).numpy(),
                                   want, rtol=1e-12)
    with pytest.raises(RuntimeError, match="Input must have 3 dims"):
        ntorch.conv_tbc(ntorch.ones(2, 3), ntorch.tensor(w), ntorch.tensor(b))


def test_norm_except_dim_and_unfold_copy():
    v = np.random.default_rng(1).standard_normal((3, 4, 5))
    for d in (0, 1, 2):
        axes = tuple(a for a in range(3) if a != d)
        want = np.sqrt((v ** 2).sum(axis=axes, keepdims=True))
        np.testing.assert_allclose(ntorch.norm_except_dim(ntorch.tensor(v), 2, d).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(ntorch.norm_except_dim(ntorch.tensor(v), 2, -1).numpy(), np.linalg.norm(v))
    u = ntorch.unfold_copy(ntorch.arange(6.0), 0, 2, 1)
    np.testing.assert_array_equal(u.numpy(), [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]])
    assert u.is_contiguous()


def test_from_file_shared_and_private(tmp_path):
    path = str(tmp_path / "data.bin")
    t = ntorch.from_file(path, shared=True, size=4, dtype=ntorch.float32)
    t.fill_(3.0)
    del t
    np.testing.assert_array_equal(np.fromfile(path, dtype=np.float32), [3.0] * 4)
    private = ntorch.from_file(path, shared=False, size=4)
    private.add_(1.0)
    np.testing.assert_array_equal(np.fromfile(path, dtype=np.float32), [3.0] * 4)  # copy on write
    with pytest.raises(RuntimeError, match="unable to mmap"):
        ntorch.from_file(path, shared=False, size=100)


def test_removed_functions_raise_torchs_error():
    a = ntorch.eye(2)
    for call in (lambda: ntorch.solve(a, a), lambda: ntorch.lstsq(a, a), lambda: a.solve(a), lambda: a.eig(),
                 lambda: a.symeig()):
        with pytest.raises(RuntimeError, match="This function was deprecated since version 1.9 and is now removed"):
            call()
