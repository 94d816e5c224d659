"""nn.utils (parametrize, parametrizations, hook-based weight/spectral norm, clipping halves, fusion, skip_init,
stateless), nn.init's orthogonal_/sparse_/deprecated names, utils.data's StackDataset/DistributedSampler/
get_worker_info and the nn.modules re-exports, against NumPy oracles and float64 finite differences."""

import copy
import pickle
import warnings

import numpy as np
import pytest

import ntorch
import ntorch.nn as nn
import ntorch.nn.functional as F
from ntorch.nn import init
from ntorch.nn.utils import parametrizations as PZ
from ntorch.nn.utils import parametrize as P
from ntorch.utils.data import DataLoader, DistributedSampler, StackDataset, TensorDataset, get_worker_info

f64 = ntorch.float64


def _np(t):
    return t.detach().cpu().numpy()


def _t(a, requires_grad=False):
    return ntorch.tensor(np.asarray(a, dtype=np.float64), dtype=f64, requires_grad=requires_grad)


def _fd_grad(loss_of, param, eps=1e-6):
    """Central differences of loss_of() with respect to every entry of param (changed in place, restored)."""
    base = _np(param).copy()
    grad = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        vals = []
        for sign in (1, -1):
            x = base.copy()
            x[idx] += sign * eps
            with ntorch.no_grad():
                param.copy_(_t(x))
                vals.append(float(loss_of()))
        grad[idx] = (vals[0] - vals[1]) / (2 * eps)
    with ntorch.no_grad():
        param.copy_(_t(base))
    return grad


def _check_grad(loss_of, param, rtol=1e-5, atol=1e-7, mask=None):
    """Autograd's gradient of loss_of() against central differences (on the entries where mask is True)."""
    param.grad = None
    loss_of().backward()
    got, want = _np(param.grad), _fd_grad(loss_of, param)
    if mask is not None:
        got, want = got[mask], want[mask]
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A):
        return A.triu()


class Scale(nn.Module):
    def forward(self, X):
        return 2.0 * X

    def right_inverse(self, A):
        return A / 2.0


class RankOne(nn.Module):
    def forward(self, x, y):
        return x.unsqueeze(-1) @ y.unsqueeze(-2)

    def right_inverse(self, Z):
        u, s, vh = np.linalg.svd(_np(Z))
        r = np.sqrt(s[0])
        return _t(u[:, 0] * r), _t(vh[0] * r)


# -- parametrize ----------------------------------------------------------------------------------------------

def test_register_parametrization_symmetric_and_assignment():
    m = nn.Linear(4, 4).double()
    w0 = _np(m.weight).copy()
    P.register_parametrization(m, "weight", Symmetric())
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert P.type_before_parametrizations(m) is nn.Linear
    assert P.is_parametrized(m) and P.is_parametrized(m, "weight") and not P.is_parametrized(m, "bias")
    assert isinstance(m.parametrizations.weight, P.ParametrizationList)
    np.testing.assert_array_equal(_np(m.parametrizations.weight.original), np.triu(w0))
    w = _np(m.weight)
    np.testing.assert_array_equal(w, np.triu(w0) + np.triu(w0, 1).T)
    assert sorted(dict(m.named_parameters())) == ["bias", "parametrizations.weight.original"]
    assert sorted(m.state_dict()) == ["bias", "parametrizations.weight.original"]
    a = np.random.default_rng(0).standard_normal((4, 4))
    a = a + a.T
    original = m.parametrizations.weight.original
    m.weight = _t(a)
    assert m.parametrizations.weight.original is original  # set in place: an optimizer still holds it
    np.testing.assert_allclose(_np(m.weight), a)
    x = np.random.default_rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(_np(m(_t(x))), x @ a.T + _np(m.bias))
    other = nn.Linear(4, 4)
    assert type(other) is nn.Linear and not hasattr(type(other), "weight")


def test_parametrization_chain_cache_and_remove():
    m = nn.Linear(3, 3).double()
    w0 = _np(m.weight).copy()
    P.register_parametrization(m, "weight", Symmetric())
    P.register_parametrization(m, "weight", Scale())
    sym = np.triu(w0) + np.triu(w0, 1).T
    np.testing.assert_allclose(_np(m.weight), 2 * sym)
    assert len(m.parametrizations.weight) == 2
    assert m.weight is not m.weight
    with P.cached():
        first = m.weight
        assert m.weight is first
        with P.cached():
            assert m.weight is first
        assert m.weight is first
    assert m.weight is not first
    P.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and not hasattr(m, "parametrizations")
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), 2 * sym)

    m = nn.Linear(3, 3).double()
    P.register_parametrization(m, "weight", Symmetric())
    original = _np(m.parametrizations.weight.original).copy()
    P.remove_parametrizations(m, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(_np(m.weight), original)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P.remove_parametrizations(m, "weight")


def test_parametrization_errors():
    m = nn.Linear(3, 2)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name "
                                         "'nope'"):
        P.register_parametrization(m, "nope", Scale())

    class ToDouble(nn.Module):
        def forward(self, X):
            return X.double()

    class Flat(nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    with pytest.raises(ValueError, match="may not change the dtype of the tensor, unless `unsafe` flag is enabled"):
        P.register_parametrization(m, "weight", ToDouble())
    with pytest.raises(ValueError, match=r"may not change the shape.*\nunparametrized shape: \w+.Size\(\[2, 3\]\)"):
        P.register_parametrization(m, "weight", Flat())
    assert not P.is_parametrized(m) and type(m) is nn.Linear
    P.register_parametrization(m, "weight", Flat(), unsafe=True)
    assert tuple(m.weight.shape) == (6,)
    m = nn.Linear(3, 2)
    P.register_parametrization(m, "weight", Scale())
    with pytest.raises(ValueError, match=r"may not change the shape of the tensor, unless the `unsafe` flag is "
                                         r"enabled.\nmodule.weight.shape"):
        P.register_parametrization(m, "weight", Flat())

    class NoInverse(nn.Module):
        def forward(self, X):
            return X + 1

    P.register_parametrization(m, "weight", NoInverse())
    with pytest.raises(RuntimeError, match="parametrization NoInverse does not implement right_inverse"):
        m.weight = ntorch.zeros(2, 3)
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through "
                                           "state_dict"):
        pickle.dumps(m)
    clone = copy.deepcopy(m)
    np.testing.assert_array_equal(_np(clone.weight), _np(m.weight))
    assert clone.parametrizations.weight.original is not m.parametrizations.weight.original


def test_multi_tensor_right_inverse():
    m = nn.Linear(4, 3).double()
    P.register_parametrization(m, "weight", RankOne())
    names = sorted(dict(m.named_parameters()))
    assert names == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert np.linalg.matrix_rank(_np(m.weight)) == 1
    u, v = np.arange(1.0, 4.0), np.arange(1.0, 5.0)
    m.weight = _t(np.outer(u, v))
    np.testing.assert_allclose(_np(m.weight), np.outer(u, v), atol=1e-12)
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P.remove_parametrizations(m, "weight", leave_parametrized=False)
    P.remove_parametrizations(m, "weight")
    np.testing.assert_allclose(_np(m.weight), np.outer(u, v), atol=1e-12)


def test_gradient_through_parametrization_and_optimizer_updates_original():
    m = nn.Linear(3, 3).double()
    P.register_parametrization(m, "weight", Symmetric())
    P.register_parametrization(m, "weight", Scale())
    x = _t(np.random.default_rng(2).standard_normal((5, 3)))
    original = m.parametrizations.weight.original
    _check_grad(lambda: (m(x) ** 2).sum(), original)
    opt = ntorch.optim.SGD(m.parameters(), lr=0.1)
    before = _np(original).copy()
    opt.zero_grad()
    (m(x) ** 2).sum().backward()
    opt.step()
    assert not np.allclose(_np(original), before)
    np.testing.assert_allclose(_np(m.weight), _np(m.weight).T)


def test_transfer_parametrizations_and_params():
    a = nn.Linear(3, 3).double()
    P.register_parametrization(a, "weight", Symmetric())
    b = nn.Linear(3, 3).double()
    P.transfer_parametrizations_and_params(a, b)
    assert b.parametrizations.weight.original is a.parametrizations.weight.original
    np.testing.assert_array_equal(_np(b.weight), _np(a.weight))


# -- parametrizations -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("orthogonal_map", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal(orthogonal_map, shape):
    m = nn.Linear(shape[1], shape[0]).double()
    PZ.orthogonal(m, orthogonal_map=orthogonal_map)
    w = _np(m.weight)
    k = min(shape)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(k), atol=1e-10)
    q = np.linalg.qr(np.random.default_rng(3).standard_normal((max(shape), k)))[0]
    target = q if shape[0] >= shape[1] else q.T
    m.weight = _t(target)
    np.testing.assert_allclose(_np(m.weight), target, atol=1e-10)
    x = _t(np.random.default_rng(4).standard_normal((2, shape[1])))
    householder = orthogonal_map == "householder" or (orthogonal_map is None and shape[0] != shape[1])
    # householder reads the diagonal of the original only through .int() (its sign): a step function whose
    # finite differences at the stored -1 are meaningless, and whose gradient is 0 as in torch
    mask = ~np.eye(*shape, dtype=bool) if householder else None
    _check_grad(lambda: (m(x) ** 3).sum(), m.parametrizations.weight.original, rtol=1e-4, atol=1e-6, mask=mask)
    w = _np(m.weight)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, np.eye(k), atol=1e-10)


def test_orthogonal_without_trivialization_and_errors():
    m = nn.Linear(3, 5).double()
    PZ.orthogonal(m, orthogonal_map="householder", use_trivialization=False)
    assert "base" not in m.parametrizations.weight[0]._buffers
    q = np.linalg.qr(np.random.default_rng(5).standard_normal((5, 3)))[0]
    m.weight = _t(q)
    np.testing.assert_allclose(_np(m.weight), q, atol=1e-10)
    m = nn.Linear(3, 3).double()
    PZ.orthogonal(m, use_trivialization=False)
    w = _np(m.weight)
    np.testing.assert_allclose(w.T @ w, np.eye(3), atol=1e-10)
    with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential"):
        m.weight = ntorch.eye(3, dtype=f64)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions"):
        PZ.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         "Got: qr"):
        PZ.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        PZ.orthogonal(nn.Linear(3, 3), "w")
    with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape \w+.Size\(\[3, 3\]\)"):
        m2 = PZ.orthogonal(nn.Linear(3, 3).double())
        m2.weight = ntorch.eye(2, dtype=f64)


@pytest.mark.parametrize("dim", [0, 1, None, -1, -2])
def test_weight_norm_parametrization(dim):
    """dim=-1 is the whole-tensor norm like None (torch.norm_except_dim's convention); -2 counts from the end."""
    m = nn.Conv1d(3, 4, 2).double() if dim != 1 else nn.Linear(3, 4).double()
    w0 = _np(m.weight).copy()
    PZ.weight_norm(m, dim=dim)
    g = _np(m.parametrizations.weight.original0)
    v = _np(m.parametrizations.weight.original1)
    np.testing.assert_array_equal(v, w0)
    whole = dim in (None, -1)
    axes = tuple(range(w0.ndim)) if whole else tuple(a for a in range(w0.ndim) if a != dim % w0.ndim)
    norm = np.sqrt((w0**2).sum(axis=axes, keepdims=not whole))
    assert g.shape == norm.shape
    np.testing.assert_allclose(g, norm)
    np.testing.assert_allclose(_np(m.weight), w0, rtol=1e-12)
    assert sorted(m.state_dict()) == ["bias", "parametrizations.weight.original0",
                                      "parametrizations.weight.original1"]
    with ntorch.no_grad():
        m.parametrizations.weight.original0.mul_(3.0)
    np.testing.assert_allclose(_np(m.weight), 3 * w0, rtol=1e-12)
    x = _t(np.random.default_rng(6).standard_normal((2, 3, 5) if dim != 1 else (2, 3)))
    _check_grad(lambda: (m(x) ** 2).sum(), m.parametrizations.weight.original1)
    _check_grad(lambda: (m(x) ** 2).sum(), m.parametrizations.weight.original0)


def test_spectral_norm_parametrization():
    ntorch.manual_seed(0)
    m = nn.Linear(7, 5).double()
    PZ.spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "parametrizations.weight.0._u", "parametrizations.weight.0._v",
                                      "parametrizations.weight.original"]
    for _ in range(30):
        w = _np(m.weight)
    w_orig = _np(m.parametrizations.weight.original)
    sigma = np.linalg.svd(w_orig, compute_uv=False)[0]
    np.testing.assert_allclose(w, w_orig / sigma, rtol=1e-8)
    np.testing.assert_allclose(np.linalg.svd(w, compute_uv=False)[0], 1.0, rtol=1e-8)
    sn = m.parametrizations.weight[0]
    m.eval()
    u = _np(sn._u).copy()
    _ = m.weight  # eval mode: no power iteration
    np.testing.assert_array_equal(_np(sn._u), u)
    m.train()
    x = _t(np.random.default_rng(7).standard_normal((3, 7)))
    _ = m.weight  # advance the power iteration once, then differentiate at fixed u, v
    m.eval()
    _check_grad(lambda: (m(x) ** 2).sum(), m.parametrizations.weight.original)


def test_spectral_norm_parametrization_dims_and_errors():
    ntorch.manual_seed(1)
    m = PZ.spectral_norm(nn.ConvTranspose2d(3, 4, 2).double())
    sn = m.parametrizations.weight[0]
    assert sn.dim == 1 and tuple(sn._u.shape) == (4,) and tuple(sn._v.shape) == (12,)
    for _ in range(200):  # power iterations: converged whatever the seed's singular-value gap
        w = _np(m.weight)
    mat = np.moveaxis(_np(m.parametrizations.weight.original), 1, 0).reshape(4, -1)
    np.testing.assert_allclose(np.linalg.svd(np.moveaxis(w, 1, 0).reshape(4, -1), compute_uv=False)[0], 1.0,
                               rtol=1e-8)
    assert mat.shape == (4, 12)
    m = PZ.spectral_norm(nn.Linear(3, 2).double(), "bias")
    b = _np(m.parametrizations.bias.original)
    np.testing.assert_allclose(_np(m.bias), b / np.linalg.norm(b))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] but got 2\)"):
        PZ.spectral_norm(nn.Linear(3, 2), dim=2)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got n_power_iterations=0"):
        PZ.spectral_norm(nn.Linear(3, 2), n_power_iterations=0)


# -- the hook-based weight_norm / spectral_norm ---------------------------------------------------------------

def test_hook_weight_norm():
    m = nn.Linear(3, 4).double()
    w0 = _np(m.weight).copy()
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in favor of "
                                           "`torch.nn.utils.parametrizations.weight_norm`"):
        nn.utils.weight_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(m.weight_g), np.linalg.norm(w0, axis=1, keepdims=True))
    np.testing.assert_array_equal(_np(m.weight_v), w0)
    with ntorch.no_grad():
        m.weight_g.mul_(0.5)
    x = _t(np.random.default_rng(8).standard_normal((2, 3)))
    np.testing.assert_allclose(_np(m(x)), _np(x) @ (0.5 * w0).T + _np(m.bias), rtol=1e-12)
    _check_grad(lambda: (m(x) ** 2).sum(), m.weight_v)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nn.utils.weight_norm(m)
    nn.utils.remove_weight_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(_np(m.weight), 0.5 * w0, rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        nn.utils.remove_weight_norm(m)
    with pytest.warns(FutureWarning):
        m2 = nn.utils.weight_norm(nn.Linear(3, 4).double(), dim=None)
    np.testing.assert_allclose(float(_np(m2.weight_g)), np.linalg.norm(_np(m2.weight_v)))


def test_hook_spectral_norm_power_iteration_matches_numpy():
    ntorch.manual_seed(2)
    m = nn.utils.spectral_norm(nn.Linear(6, 4).double(), n_power_iterations=2)
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    w = _np(m.weight_orig)
    u, v = _np(m.weight_u).copy(), _np(m.weight_v).copy()
    x = _t(np.random.default_rng(9).standard_normal((3, 6)))
    for _ in range(3):
        out = _np(m(x))
        for _ in range(2):
            v = w.T @ u
            v /= max(np.linalg.norm(v), 1e-12)
            u = w @ v
            u /= max(np.linalg.norm(u), 1e-12)
        sigma = u @ w @ v
        np.testing.assert_allclose(out, _np(x) @ (w / sigma).T + _np(m.bias), rtol=1e-10)
        np.testing.assert_allclose(_np(m.weight_u), u, rtol=1e-10)
    m.eval()
    m(x)
    np.testing.assert_allclose(_np(m.weight_u), u, rtol=1e-10)
    _check_grad(lambda: (m(x) ** 2).sum(), m.weight_orig)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(m.weight), w / sigma, rtol=1e-10)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        nn.utils.remove_spectral_norm(m)
    m2 = nn.utils.spectral_norm(nn.Conv2d(2, 3, 2).double())
    for _ in range(40):
        m2(ntorch.zeros(1, 2, 3, 3, dtype=f64))
    mat = _np(m2.weight_orig).reshape(3, -1)
    np.testing.assert_allclose(np.linalg.svd(_np(m2.weight).reshape(3, -1), compute_uv=False)[0], 1.0, rtol=1e-8)
    assert mat.shape == (3, 8)


# -- clipping, fusion, skip_init, stateless, invert_permutation -----------------------------------------------

def test_get_total_norm_and_clip_grads_with_norm():
    rng = np.random.default_rng(10)
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ps = [_t(np.zeros_like(g), requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = _t(g)
    for norm_type in (2.0, 1.0, float("inf")):
        expect = np.linalg.norm([np.linalg.norm(g.ravel(), norm_type) for g in grads], norm_type)
        assert float(nn.utils.get_total_norm([p.grad for p in ps], norm_type)) == pytest.approx(expect, rel=1e-12)
    total = nn.utils.get_total_norm([p.grad for p in ps])
    nn.utils.clip_grads_with_norm_(ps, 1.0, total)
    scale = 1.0 / (np.sqrt(sum((g**2).sum() for g in grads)) + 1e-6)
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(_np(p.grad), g * scale, rtol=1e-12)
    assert float(nn.utils.get_total_norm([])) == 0.0
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite"):
        nn.utils.get_total_norm([_t([np.inf, 1.0])], error_if_nonfinite=True)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                                           "`torch.nn.utils.clip_grad_norm_`"):
        out = nn.utils.clip_grad_norm(ps, 100.0)
    assert float(out) == pytest.approx(1.0, rel=1e-5)
    with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
        nn.utils.clip_grad_norm_((p for p in []), 1.0)


@pytest.mark.parametrize("conv, bn, transpose", [
    (lambda: nn.Conv2d(3, 4, 3, padding=1), lambda: nn.BatchNorm2d(4), False),
    (lambda: nn.Conv1d(3, 4, 2, bias=False), lambda: nn.BatchNorm1d(4, affine=False), False),
    (lambda: nn.ConvTranspose2d(3, 4, 2), lambda: nn.BatchNorm2d(4), True),
])
def test_fuse_conv_bn_eval(conv, bn, transpose):
    c, b = conv().double().eval(), bn().double().eval()
    rng = np.random.default_rng(11)
    with ntorch.no_grad():
        b.running_mean.copy_(_t(rng.standard_normal(4)))
        b.running_var.copy_(_t(rng.uniform(0.5, 2.0, 4)))
        if b.weight is not None:
            b.weight.copy_(_t(rng.standard_normal(4)))
            b.bias.copy_(_t(rng.standard_normal(4)))
    fused = nn.utils.fuse_conv_bn_eval(c, b, transpose=transpose)
    assert fused is not c and isinstance(fused.weight, nn.Parameter) and fused.bias is not None
    shape = (2, 3, 5, 5) if isinstance(c, (nn.Conv2d, nn.ConvTranspose2d)) else (2, 3, 6)
    x = _t(rng.standard_normal(shape))
    np.testing.assert_allclose(_np(fused(x)), _np(b(c(x))), rtol=1e-10, atol=1e-12)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        nn.utils.fuse_conv_bn_eval(c.train(), b)


def test_fuse_linear_bn_eval():
    rng = np.random.default_rng(12)
    lin, bn = nn.Linear(3, 4).double().eval(), nn.BatchNorm1d(4).double().eval()
    with ntorch.no_grad():
        bn.running_mean.copy_(_t(rng.standard_normal(4)))
        bn.running_var.copy_(_t(rng.uniform(0.5, 2.0, 4)))
        bn.weight.copy_(_t(rng.standard_normal(4)))
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = _t(rng.standard_normal((5, 3)))
    np.testing.assert_allclose(_np(fused(x)), _np(bn(lin(x))), rtol=1e-10, atol=1e-12)
    w, b = nn.utils.fuse_linear_bn_weights(lin.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight,
                                           bn.bias)
    scale = _np(bn.weight) / np.sqrt(_np(bn.running_var) + bn.eps)
    np.testing.assert_allclose(_np(b), -_np(bn.running_mean) * scale + _np(bn.bias), rtol=1e-12)
    np.testing.assert_allclose(_np(w), _np(lin.weight) * scale[:, None], rtol=1e-12)
    with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features or bn.num_features "
                                             "== 1, got linear.out_features=4 and bn.num_features=3"):
        nn.utils.fuse_linear_bn_eval(lin, nn.BatchNorm1d(3).eval())


def test_skip_init():
    ntorch.manual_seed(3)
    state = ntorch.get_rng_state()
    m = nn.utils.skip_init(nn.Linear, 5, 3, dtype=f64)
    assert isinstance(m, nn.Linear) and tuple(m.weight.shape) == (3, 5) and m.weight.dtype == f64
    assert np.array_equal(_np(ntorch.get_rng_state()), _np(state))  # no init drew from the generator
    nn.Linear(5, 3)
    assert not np.array_equal(_np(ntorch.get_rng_state()), _np(state))
    with pytest.raises(RuntimeError, match="Expected a Module; got"):
        nn.utils.skip_init(int)
    with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
        nn.utils.skip_init(nn.ReLU)


def test_stateless_functional_call():
    lin = nn.Linear(3, 2).double()
    w = np.arange(6.0).reshape(2, 3)
    x = np.random.default_rng(13).standard_normal((4, 3))
    orig_w = lin.weight
    with pytest.warns(FutureWarning, match="functional_call` is deprecated as of PyTorch 2.0"):
        out = nn.utils.stateless.functional_call(lin, {"weight": _t(w)}, (_t(x),))
    np.testing.assert_allclose(_np(out), x @ w.T + _np(lin.bias))
    assert lin.weight is orig_w
    seq = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3)).double()
    seq[1].weight = seq[0].weight  # tied
    new = _t(np.eye(3) * 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        out = nn.utils.stateless.functional_call(seq, {"0.weight": new}, _t(x))
        np.testing.assert_allclose(_np(out), ((x * 2 + _np(seq[0].bias)) * 2 + _np(seq[1].bias)))
        with pytest.raises(ValueError, match=r"functional_call got multiple values for keys \['0.weight', "
                                             r"'1.weight'\], which are tied"):
            nn.utils.stateless.functional_call(seq, {"0.weight": new, "1.weight": new * 2}, _t(x))
        with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Linear:\n\tUnexpected key\(s\): "
                                               r"'w'.\n\tMissing key\(s\): 'bias', 'weight'."):
            nn.utils.stateless.functional_call(lin, {"w": new}, _t(x), strict=True)
    assert seq[1].weight is seq[0].weight and not hasattr(lin, "w")
    p = _t(w, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        nn.utils.stateless.functional_call(lin, {"weight": p}, _t(x)).sum().backward()
    np.testing.assert_allclose(_np(p.grad), np.tile(x.sum(0), (2, 1)))


def test_invert_permutation():
    perm = ntorch.tensor([3, 0, 4, 1, 2])
    inv = nn.utils.rnn.invert_permutation(perm)
    np.testing.assert_array_equal(_np(inv), np.argsort([3, 0, 4, 1, 2]))
    assert inv.dtype == ntorch.int64
    assert nn.utils.rnn.invert_permutation(None) is None


# -- nn.init ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 1)])
def test_init_orthogonal(shape):
    t = ntorch.empty(*shape, dtype=f64)
    assert init.orthogonal_(t, gain=2.0) is t
    m = _np(t).reshape(shape[0], -1)
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(m.shape)), atol=1e-12)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        init.orthogonal_(ntorch.empty(3))


def test_init_sparse():
    t = ntorch.empty(10, 6, dtype=f64)
    init.sparse_(t, sparsity=0.25, std=0.5)
    a = _np(t)
    assert ((a == 0).sum(axis=0) == 3).all()  # ceil(0.25 * 10) per column
    assert 0.2 < a[a != 0].std() < 1.0
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(ntorch.empty(2, 2, 2), 0.5)


@pytest.mark.parametrize("name, args", [("uniform", ()), ("normal", ()), ("constant", (0.5,)), ("eye", ()),
                                        ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()),
                                        ("kaiming_normal", ()), ("orthogonal", ()), ("sparse", (0.5,))])
def test_init_deprecated_aliases(name, args):
    t = ntorch.empty(4, 4, dtype=f64)
    with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`"):
        assert getattr(init, name)(t, *args) is t
    assert getattr(init, name).__name__ == name
    with pytest.warns(FutureWarning, match="`nn.init.dirac` is now deprecated"):
        d = init.dirac(ntorch.empty(2, 2, 3))
    np.testing.assert_array_equal(_np(d)[:, :, 1], np.eye(2))


# -- utils.data ------------------------------------------------------------------------------------------------

def test_stack_dataset_tuple_and_dict():
    a, b = TensorDataset(ntorch.arange(5.0)), [10 * i for i in range(5)]
    ds = StackDataset(a, b)
    assert len(ds) == 5
    assert float(ds[2][0][0]) == 2.0 and ds[2][1] == 20
    batches = list(DataLoader(ds, batch_size=2))
    assert len(batches) == 3
    np.testing.assert_array_equal(_np(batches[0][1]), [0, 10])
    kw = StackDataset(x=a, y=b)
    assert set(kw[1]) == {"x", "y"} and kw[1]["y"] == 10
    got = kw.__getitems__([4, 0])
    assert [g["y"] for g in got] == [40, 0]
    batch = next(iter(DataLoader(kw, batch_size=3)))
    np.testing.assert_array_equal(_np(batch["y"]), [0, 10, 20])
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a, [1, 2])
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset(a, y=b)


@pytest.mark.parametrize("n, replicas, drop_last", [(10, 3, False), (10, 3, True), (2, 4, False), (9, 3, True)])
def test_distributed_sampler_partitions(n, replicas, drop_last):
    shares = [list(DistributedSampler(range(n), replicas, r, shuffle=False, drop_last=drop_last))
              for r in range(replicas)]
    per = (n // replicas) if drop_last else -(-n // replicas)
    assert all(len(s) == per for s in shares)
    assert len(DistributedSampler(range(n), replicas, 0, drop_last=drop_last)) == per
    flat = [shares[i % replicas][i // replicas] for i in range(per * replicas)]
    expect = list(range(n)) * (-(-per * replicas // n))
    assert flat == expect[: per * replicas]


def test_distributed_sampler_shuffle_and_errors():
    def share(rank, epoch, seed=0):
        s = DistributedSampler(range(11), 2, rank, seed=seed)
        s.set_epoch(epoch)
        return list(s)

    both = share(0, 0) + share(1, 0)
    assert len(both) == 12 and set(both) == set(range(11))
    assert share(0, 0) == share(0, 0) and share(0, 0) != share(0, 1) and share(0, 0) != share(0, 0, seed=5)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)


def test_get_worker_info_is_none_in_loader():
    seen = []

    class Stream(ntorch.utils.data.IterableDataset):
        def __iter__(self):
            seen.append(get_worker_info())
            return iter(range(4))

    assert get_worker_info() is None
    assert [int(b) for b in DataLoader(Stream(), batch_size=None, num_workers=2)] == [0, 1, 2, 3]
    assert seen == [None]


# -- nn.modules re-exports -------------------------------------------------------------------------------------

def test_nn_modules_reexports_and_container():
    import ntorch.nn.modules as M

    for name in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase", "Transformer",
                 "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer",
                 "MultiheadAttention", "Container"):
        assert getattr(M, name) is getattr(nn, name) and name in M.__all__
    assert len(nn.__all__) == len(set(nn.__all__))
    with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
        c = nn.Container(a=nn.ReLU(), b=nn.Linear(2, 2))
    assert list(dict(c.named_children())) == ["a", "b"]
    assert F.relu is not None
