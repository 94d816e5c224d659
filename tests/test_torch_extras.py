"""The small torch.* names of ops/torch_extras.py and the ATen-signature nn aliases added with them, against
NumPy or the documented rule."""

import math
import warnings

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F


def test_constants():
    assert ntorch.pi == math.pi and ntorch.e == math.e and ntorch.newaxis is None
    assert math.isinf(ntorch.inf) and math.isnan(ntorch.nan)


def test_complex_helpers_on_real_tensors():
    x = ntorch.tensor([[1.0, -2.0], [3.0, 4.0]])
    for fn in (ntorch.conj, ntorch.conj_physical, ntorch.resolve_conj, ntorch.resolve_neg, ntorch.real):
        assert fn(x) is x
    assert not ntorch.is_conj(x) and not ntorch.is_neg(x)
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
        ntorch.imag(x)
    a = ntorch.adjoint(x)
    np.testing.assert_array_equal(a.numpy(), x.numpy().T)
    assert a.data_ptr() == x.data_ptr()  # a view
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        ntorch.adjoint(ntorch.ones(3))
    d = ntorch.detach(x.requires_grad_())
    assert not d.requires_grad and d.data_ptr() == x.data_ptr()
    np.testing.assert_allclose(ntorch.angle(ntorch.tensor([-1.0, 2.0])).numpy(), [math.pi, 0.0])
    np.testing.assert_allclose(ntorch.arctan2(ntorch.tensor([1.0]), ntorch.tensor([-1.0])).numpy(),
                               np.arctan2([1.0], [-1.0]), rtol=1e-6)


def test_unsafe_split_aliases():
    x = ntorch.arange(5)
    assert [t.tolist() for t in ntorch.unsafe_split(x, 2)] == [[0, 1], [2, 3], [4]]
    assert [t.tolist() for t in ntorch.unsafe_split_with_sizes(x, (1, 4))] == [[0], [1, 2, 3, 4]]
    assert [t.tolist() for t in ntorch.unsafe_chunk(x, 2)] == [[0, 1, 2], [3, 4]]


def test_range_includes_the_end_and_warns():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        r = ntorch.range(0, 1, 0.3)
    assert r.dtype == ntorch.float32
    np.testing.assert_allclose(r.numpy(), [0.0, 0.3, 0.6, 0.9], rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ntorch.range(5, 1, -2).tolist() == [5.0, 3.0, 1.0]
        i = ntorch.range(1, 4, dtype=ntorch.int64)
        assert i.dtype == ntorch.int64 and i.tolist() == [1, 2, 3, 4]
        with pytest.raises(RuntimeError, match="step must be nonzero"):
            ntorch.range(0, 1, 0)
        with pytest.raises(RuntimeError, match="inconsistent with step sign"):
            ntorch.range(0, 1, -1)


def test_deprecated_norms():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = ntorch.tensor(a)
    np.testing.assert_allclose(ntorch.frobenius_norm(x, (0, 1)).item(), np.linalg.norm(a))
    np.testing.assert_allclose(ntorch.frobenius_norm(x, (1,)).numpy(), np.linalg.norm(a, axis=1))
    np.testing.assert_allclose(ntorch.nuclear_norm(x).item(), np.linalg.norm(a, "nuc"))


@pytest.mark.parametrize("shape", [(4, 4), (2, 3, 3), (5, 3), (3, 5)], ids=str)
def test_lu_unpack_rebuilds_the_matrix(shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape)
    LU, piv = ntorch.lu(ntorch.tensor(a))
    assert piv.dtype == ntorch.int32
    P, L, U = ntorch.lu_unpack(LU, piv)
    np.testing.assert_allclose((P @ L @ U).numpy(), a, atol=1e-12)
    m, n = shape[-2:]
    k = min(m, n)
    assert tuple(L.shape[-2:]) == (m, k) and tuple(U.shape[-2:]) == (k, n)
    np.testing.assert_array_equal(np.triu(L.numpy()[..., :k, :k], 1), 0)
    np.testing.assert_array_equal(np.tril(U.numpy()[..., :k, :k], -1), 0)
    _, L2, U2 = ntorch.lu_unpack(LU, piv, unpack_pivots=False)
    np.testing.assert_array_equal(L2.numpy(), L.numpy())


def test_lu_solve_and_infos():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 4)), rng.standard_normal((4, 2))
    LU, piv, info = ntorch.lu(ntorch.tensor(a), get_infos=True)
    assert info.item() == 0
    np.testing.assert_allclose(ntorch.lu_solve(ntorch.tensor(b), LU, piv).numpy(), np.linalg.solve(a, b), atol=1e-12)


def test_removed_functions_raise():
    for fn in (ntorch.matrix_rank, ntorch.symeig, ntorch.eig):
        with pytest.raises(RuntimeError, match="deprecated since version 1.9 and is now removed"):
            fn(ntorch.eye(2))


def test_type_names_and_devices():
    assert ntorch.typename(ntorch.ones(2)) == ntorch.ones(2).type()
    assert ntorch.typename(3) == "int"
    assert ntorch.typename(ntorch.nn.Linear(1, 1)).endswith("Linear")
    assert ntorch.get_device(ntorch.ones(1)) == -1
    assert not ntorch.is_storage(ntorch.ones(1))


def test_settings_round_trip():
    assert not ntorch.are_deterministic_algorithms_enabled()
    ntorch.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert ntorch.are_deterministic_algorithms_enabled() and ntorch.is_deterministic_algorithms_warn_only_enabled()
        assert ntorch.get_deterministic_debug_mode() == 1
        ntorch.set_deterministic_debug_mode("error")
        assert ntorch.get_deterministic_debug_mode() == 2
        with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
            ntorch.set_deterministic_debug_mode("loud")
    finally:
        ntorch.use_deterministic_algorithms(False)
    assert ntorch.get_deterministic_debug_mode() == 0
    assert ntorch.get_float32_matmul_precision() == "highest"
    ntorch.set_float32_matmul_precision("high")
    assert ntorch.get_float32_matmul_precision() == "high"
    ntorch.set_float32_matmul_precision("highest")
    with pytest.raises(RuntimeError, match="Invalid precision"):
        ntorch.set_float32_matmul_precision("low")
    assert ntorch.set_flush_denormal(False) is False
    ntorch.set_warn_always(True)
    assert ntorch.is_warn_always_enabled()
    ntorch.set_warn_always(False)
    assert ntorch.get_num_interop_threads() >= 1


def test_default_device_on_the_cpu():
    assert ntorch.get_default_device() == ntorch.device("cpu")
    ntorch.set_default_device("cpu")
    try:
        assert ntorch.zeros(2).device.type == "cpu"
    finally:
        ntorch.set_default_device(None)
    assert ntorch.get_default_device().type == "cpu"


def test_channel_shuffle():
    x = np.arange(2 * 6 * 2, dtype=np.float32).reshape(2, 6, 2)
    want = x.reshape(2, 3, 2, 2).transpose(0, 2, 1, 3).reshape(2, 6, 2)  # channel i*k + j -> j*g + i, g = 3
    for fn in (lambda t: F.channel_shuffle(t, 3), lambda t: ntorch.channel_shuffle(t, 3),
               lambda t: ntorch.nn.ChannelShuffle(3)(t)):
        np.testing.assert_array_equal(fn(ntorch.tensor(x)).numpy(), want)
    assert repr(ntorch.nn.ChannelShuffle(3)) == "ChannelShuffle(groups=3)"
    with pytest.raises(RuntimeError, match="Got 6 channels and 4 groups"):
        F.channel_shuffle(ntorch.tensor(x), 4)
    with pytest.raises(RuntimeError, match="must be positive. Value of groups:0"):
        F.channel_shuffle(ntorch.tensor(x), 0)
    with pytest.raises(RuntimeError, match="expects input with > 2 dims"):
        F.channel_shuffle(ntorch.ones(2, 6), 2)
    g = ntorch.tensor(x, dtype=ntorch.float64, requires_grad=True)
    assert ntorch.autograd.gradcheck(lambda t: F.channel_shuffle(t, 2), (g,))


def test_aten_nn_aliases():
    rng = np.random.default_rng(2)
    x = ntorch.tensor(rng.standard_normal((1, 2, 4, 4, 4)).astype(np.float32))
    w = ntorch.tensor(rng.standard_normal((3, 2, 2, 2, 2)).astype(np.float32))
    np.testing.assert_allclose(ntorch.conv3d(x, w, None, 1, 1).numpy(), F.conv3d(x, w, None, 1, 1).numpy())
    wt = ntorch.tensor(rng.standard_normal((2, 3, 2, 2, 2)).astype(np.float32))
    np.testing.assert_allclose(ntorch.conv_transpose3d(x, wt, None, 2).numpy(),
                               F.conv_transpose3d(x, wt, None, 2).numpy())
    np.testing.assert_array_equal(ntorch.max_pool3d(x, 2).numpy(), F.max_pool3d(x, 2).numpy())
    v, i = ntorch.max_pool1d_with_indices(ntorch.tensor([[[1.0, 3.0, 2.0, 5.0, 4.0]]]), 2)
    assert v.tolist() == [[[3.0, 5.0]]] and i.tolist() == [[[1, 3]]]
    np.testing.assert_array_equal(ntorch.constant_pad_nd(ntorch.ones(2, 2), [1, 1], 3.0).numpy(),
                                  np.pad(np.ones((2, 2)), ((0, 0), (1, 1)), constant_values=3.0))
    a, b = ntorch.ones(2, 3), ntorch.ones(2, 4)
    bw = ntorch.ones(5, 3, 4)
    np.testing.assert_allclose(ntorch.bilinear(a, b, bw).numpy(), np.full((2, 5), 12.0))
    y = ntorch.ones(3)
    assert ntorch.alpha_dropout(y, 0.5, False).tolist() == [1.0] * 3


def test_feature_dropout_drops_whole_channels():
    ntorch.manual_seed(0)
    x = ntorch.ones(8, 16, 5)
    assert ntorch.feature_dropout(x, 0.5, False) is x
    y = ntorch.feature_dropout(x, 0.5, True).numpy()
    per_channel = y.reshape(8, 16, 5)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # a channel is kept or dropped whole
    assert 0 < (per_channel[:, :, 0] == 0).sum() < 8 * 16
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        ntorch.feature_dropout(x, 1.5, True)


def test_igamma_and_nonzero_static_top_level():
    a, x = ntorch.tensor([0.5, 1.0, 3.0], dtype=ntorch.float64), ntorch.tensor([0.2, 1.0, 2.5], dtype=ntorch.float64)
    p = ntorch.igamma(a, x).numpy()
    np.testing.assert_allclose(p[1], 1 - math.exp(-1.0), rtol=1e-12)  # P(1, x) = 1 - e^-x
    np.testing.assert_allclose(p[0], math.erf(math.sqrt(0.2)), rtol=1e-12)  # P(1/2, x) = erf(sqrt(x))
    np.testing.assert_allclose(ntorch.igammac(a, x).numpy(), 1 - p, rtol=1e-12)
    got = ntorch.nonzero_static(ntorch.tensor([0, 3, 0, 5]), size=3)
    assert got.tolist() == [[1], [3], [-1]]


@pytest.mark.parametrize("shape,rank", [((20, 12), 3), ((12, 20), 3), ((2, 9, 7), 7)])
def test_svd_lowrank_recovers_a_low_rank_matrix(shape, rank):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape[:-1] + (rank,)) @ rng.standard_normal(shape[:-2] + (rank, shape[-1]))
    U, S, V = ntorch.svd_lowrank(ntorch.tensor(a), q=rank, niter=1)
    q = rank
    assert tuple(U.shape) == shape[:-1] + (q,) and tuple(V.shape) == shape[:-2] + (shape[-1], q)
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(a, compute_uv=False)[..., :q], rtol=1e-10)
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ V.mT).numpy(), a, atol=1e-10)
    np.testing.assert_allclose((U.mT @ U).numpy(), np.broadcast_to(np.eye(q), shape[:-2] + (q, q)), atol=1e-12)
    m = rng.standard_normal(shape[-1])
    U, S, V = ntorch.svd_lowrank(ntorch.tensor(a + m), q=rank + 1, M=ntorch.tensor(m))
    np.testing.assert_allclose(((U * S.unsqueeze(-2)) @ V.mT).numpy(), a, atol=1e-9)


def test_pca_lowrank_centres_columns():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 8)) + rng.standard_normal(8) * 5
    U, S, V = ntorch.pca_lowrank(ntorch.tensor(a))
    centred = a - a.mean(0)
    assert tuple(S.shape) == (6,)
    np.testing.assert_allclose(S.numpy()[:2], np.linalg.svd(centred, compute_uv=False)[:2], rtol=1e-10)
    np.testing.assert_allclose(((U * S) @ V.mT).numpy(), centred, atol=1e-9)
    U, S, V = ntorch.pca_lowrank(ntorch.tensor(a), q=3, center=False)
    np.testing.assert_allclose(S.numpy()[:2], np.linalg.svd(a, compute_uv=False)[:2], rtol=1e-6)
    with pytest.raises(ValueError, match=r"q\(=9\) must be non-negative integer and not greater than min\(m, n\)=8"):
        ntorch.pca_lowrank(ntorch.tensor(a), q=9)
    with pytest.raises(ValueError, match=r"niter\(=-1\) must be non-negative integer"):
        ntorch.pca_lowrank(ntorch.tensor(a), niter=-1)
