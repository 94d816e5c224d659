"""Optimizers on complex parameters: torch 2.13 steps view_as_real of a complex parameter, its gradient and its state,
so a complex parameter's trajectory must equal the same optimizer's on the float (n, 2) parameter holding its
(real, imag) pairs (the oracle; test_optim.py checks the real rules against NumPy). The gradients are set by hand
from a NumPy function of the pairs, so autograd plays no part."""

import io

import numpy as np
import pytest

import ntorch
from ntorch import optim
from ntorch.optim import optimizer as optimizer_module

RNG = np.random.default_rng(7)
N = 5
C3, C1, C0 = (RNG.uniform(0.5, 1.5, (N, 2)), RNG.uniform(-1, 1, (N, 2)), RNG.uniform(-1, 1, (N, 2)))
X0 = RNG.standard_normal((N, 2))


def pair_grad(x: np.ndarray) -> np.ndarray:
    """Gradient of sum(C3 x^4 / 4 + C1 x^2 / 2 + C0 x): each component its own coefficients."""
    return C3 * x**3 + C1 * x + C0


def pair_loss(x: np.ndarray) -> float:
    return float(np.sum(C3 * x**4 / 4 + C1 * x**2 / 2 + C0 * x))


def as_pairs(t) -> np.ndarray:
    """A parameter's values as float64 (n, 2) pairs: a complex one viewed as real, a float (n, 2) one as it is."""
    a = t.detach().numpy().astype(np.complex128 if t.is_complex() else np.float64)
    return np.stack([a.real, a.imag], -1) if t.is_complex() else a


def set_grad(p) -> None:
    """torch's convention for a complex parameter: grad = dL/d(real) + i dL/d(imag)."""
    g = pair_grad(as_pairs(p))
    if p.is_complex():
        g = g[..., 0] + 1j * g[..., 1]
    p.grad = ntorch.tensor(g, dtype=p.dtype)


def make_pair(real_dtype):
    """The complex parameter and its oracle, a float (n, 2) parameter of the same values."""
    z = ntorch.tensor(X0[:, 0] + 1j * X0[:, 1], dtype=real_dtype.to_complex(), requires_grad=True)
    r = ntorch.tensor(X0, dtype=real_dtype, requires_grad=True)
    return z, r


def run(opt, p, steps: int) -> None:
    for _ in range(steps):
        if isinstance(opt, optim.LBFGS):
            def closure():
                opt.zero_grad()
                set_grad(p)
                return ntorch.tensor(pair_loss(as_pairs(p)))

            opt.step(closure)
        else:
            opt.zero_grad()
            set_grad(p)
            opt.step()


CASES = [
    (optim.SGD, dict(lr=0.05)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (optim.SGD, dict(lr=0.05, momentum=0.5, dampening=0.3, maximize=True)),
    (optim.Adam, dict(lr=0.1)),
    (optim.Adam, dict(lr=0.1, amsgrad=True, weight_decay=0.1)),
    (optim.Adam, dict(lr=0.1, maximize=True, foreach=True)),
    (optim.Adam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.AdamW, dict(lr=0.1)),
    (optim.AdamW, dict(lr=0.1, amsgrad=True, maximize=True)),
    (optim.Adamax, dict(lr=0.1)),
    (optim.Adamax, dict(lr=0.1, weight_decay=0.1, maximize=True)),
    (optim.NAdam, dict(lr=0.1)),
    (optim.NAdam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.NAdam, dict(lr=0.1, weight_decay=0.1, maximize=True)),
    (optim.RAdam, dict(lr=0.1)),  # 8 steps: past step 5, rho_t > 5 takes the rectified branch
    (optim.RAdam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, centered=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1, maximize=True)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.5, weight_decay=0.1)),
    (optim.Adagrad, dict(lr=0.1, maximize=True)),
    (optim.Adadelta, dict(lr=1.0)),
    (optim.Adadelta, dict(lr=1.0, rho=0.8, weight_decay=0.1, maximize=True)),
    (optim.ASGD, dict(lr=0.05, t0=2)),
    (optim.ASGD, dict(lr=0.05, t0=2, weight_decay=0.1, maximize=True)),
    (optim.Rprop, dict(lr=0.05)),
    (optim.Rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    (optim.LBFGS, dict(lr=0.5, max_iter=4)),
    (optim.LBFGS, dict(lr=1, max_iter=5, line_search_fn="strong_wolfe", history_size=3)),
]


def _case_id(case) -> str:
    cls, hp = case
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in hp.items())


def _tol(real_dtype) -> dict:
    return dict(rtol=2e-6, atol=1e-6) if real_dtype is ntorch.float32 else dict(rtol=1e-12, atol=1e-12)


def _state_pairs(opt, p) -> dict:
    """The optimizer's tensor state of p as float64 (n, 2) pairs (0-d and scalar entries left out)."""
    return {k: as_pairs(v) for k, v in opt.state[p].items() if isinstance(v, ntorch.Tensor) and v.ndim > 0}


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "op-by-op"])
@pytest.mark.parametrize("real_dtype", [ntorch.float32, ntorch.float64], ids=["complex64", "complex128"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_complex_trajectory_equals_view_as_real(case, real_dtype, fused, monkeypatch):
    monkeypatch.setattr(optimizer_module, "FUSED", fused)
    cls, hp = case
    z, r = make_pair(real_dtype)
    opt_z, opt_r = cls([z], **hp), cls([r], **hp)
    run(opt_z, z, 8)
    run(opt_r, r, 8)
    assert z.dtype is real_dtype.to_complex() and z.is_leaf
    assert not np.allclose(as_pairs(z), X0), "the parameter did not move"
    np.testing.assert_allclose(as_pairs(z), as_pairs(r), **_tol(real_dtype))
    # the per-element state is kept complex (as torch's) and holds the oracle's (real, imag) pairs; LBFGS's flat
    # vectors are real in both
    got, want = _state_pairs(opt_z, z), _state_pairs(opt_r, r)
    assert got.keys() == want.keys()
    for key in want:
        if opt_r.state[r][key].shape == r.shape:
            assert opt_z.state[z][key].is_complex() and opt_z.state[z][key].shape == z.shape, key
        np.testing.assert_allclose(got[key], want[key], **_tol(real_dtype), err_msg=key)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_complex_state_dict_round_trip(case):
    """Stop after 3 steps, save the state_dict and load it into a fresh optimizer over a copy of the parameter, and
    both go on alike; the loaded state stays complex."""
    cls, hp = case
    z, _ = make_pair(ntorch.float64)
    opt = cls([z], **hp)
    run(opt, z, 3)
    z2 = z.detach().clone().requires_grad_(True)
    opt2 = cls([z2], **hp)
    buffer = io.BytesIO()  # through save/load: the state_dict holds the optimizer's own tensors (as torch's)
    ntorch.save(opt.state_dict(), buffer)
    buffer.seek(0)
    opt2.load_state_dict(ntorch.load(buffer))
    for key, value in opt2.state[z2].items():
        if isinstance(value, ntorch.Tensor) and value.ndim > 0 and key not in ("d", "t", "prev_flat_grad"):
            assert value.is_complex(), key
    run(opt, z, 3)
    run(opt2, z2, 3)
    np.testing.assert_allclose(as_pairs(z2), as_pairs(z), rtol=1e-12, atol=1e-12)


def test_complex_parameter_beside_a_real_one():
    """One group with a real and a complex parameter: each steps as the oracle of its own kind."""
    z, r = make_pair(ntorch.float64)
    w = ntorch.tensor([0.3, -1.2], dtype=ntorch.float64, requires_grad=True)
    w_ref = w.detach().clone().requires_grad_(True)
    opt, opt_ref = optim.Adam([w, z], lr=0.1), optim.Adam([w_ref, r], lr=0.1)
    for _ in range(4):
        for o, p, q in ((opt, z, w), (opt_ref, r, w_ref)):
            o.zero_grad()
            set_grad(p)
            q.grad = q.detach() * 2 - 1
            o.step()
    np.testing.assert_allclose(as_pairs(z), as_pairs(r), rtol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), w_ref.detach().numpy(), rtol=1e-12)


def test_lbfgs_complex_parameter_beside_a_real_one():
    """LBFGS flattens all parameters into one vector: a complex one contributes its (real, imag) pairs in place."""
    z, r = make_pair(ntorch.float64)
    w = ntorch.tensor([0.3, -1.2], dtype=ntorch.float64, requires_grad=True)
    w_ref = w.detach().clone().requires_grad_(True)
    for params, p, q in (([w, z], z, w), ([w_ref, r], r, w_ref)):
        opt = optim.LBFGS(params, lr=1, max_iter=6, line_search_fn="strong_wolfe")

        def closure(opt=opt, p=p, q=q):
            opt.zero_grad()
            set_grad(p)
            q.grad = q.detach() ** 3 - 1
            x = as_pairs(p)
            return ntorch.tensor(pair_loss(x) + float(((q.detach().numpy() ** 4) / 4 - q.detach().numpy()).sum()))

        opt.step(closure)
        opt.step(closure)
    assert not np.allclose(as_pairs(z), X0)
    np.testing.assert_allclose(as_pairs(z), as_pairs(r), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), w_ref.detach().numpy(), rtol=1e-12)


def test_non_contiguous_complex_parameter():
    """A transposed complex leaf: its view_as_real is not contiguous (the op-by-op rule runs) and matches the
    contiguous oracle."""
    base = RNG.standard_normal((3, 4)) + 1j * RNG.standard_normal((3, 4))
    z = ntorch.tensor(base.T.copy()).t().detach().requires_grad_(True)  # (3, 4), strides (1, 3)
    assert not z.is_contiguous()
    r = ntorch.tensor(np.stack([base.real, base.imag], -1), requires_grad=True)
    opt_z, opt_r = optim.RMSprop([z], lr=0.01, momentum=0.5), optim.RMSprop([r], lr=0.01, momentum=0.5)
    for _ in range(3):
        z.grad = (z.detach() * (1 + 2j)).conj()
        gz = z.grad.numpy()
        r.grad = ntorch.tensor(np.stack([gz.real, gz.imag], -1))
        opt_z.step()
        opt_r.step()
    got = z.detach().numpy()
    np.testing.assert_allclose(np.stack([got.real, got.imag], -1), r.detach().numpy(), rtol=1e-12)


def test_adam_complex_second_moment_is_per_component():
    """One Adam step from zero state moves each component by lr * sign(its gradient) (|g|^2 would not)."""
    z = ntorch.zeros(1, dtype=ntorch.complex128, requires_grad=True)
    opt = optim.Adam([z], lr=0.1)
    z.grad = ntorch.tensor([3.0 - 0.001j], dtype=ntorch.complex128)  # (torch 2.13 refuses a complex64 grad here)
    opt.step()
    np.testing.assert_allclose(z.detach().numpy(), [-0.1 + 0.1j], rtol=1e-4)  # |g|^2: imag moves 3e-5
    np.testing.assert_allclose(opt.state[z]["exp_avg_sq"].numpy(), [0.001 * (9 + 1e-6j)], rtol=1e-9)


@pytest.mark.parametrize("cls, kwargs", [(optim.Muon, dict(lr=0.1)), (optim.Adafactor, dict(lr=0.1))])
def test_optimizers_without_a_complex_rule_refuse_at_step(cls, kwargs):
    """torch's Muon and Adafactor accept complex parameters at construction and refuse them in step() (before any
    parameter of the group moves)."""
    w = ntorch.ones(2, 2, requires_grad=True)
    z = ntorch.ones(2, 2, dtype=ntorch.complex64, requires_grad=True)
    opt = cls([w, z], **kwargs)
    w.grad, z.grad = ntorch.ones(2, 2), ntorch.ones(2, 2, dtype=ntorch.complex64)
    with pytest.raises(RuntimeError, match=f"^{cls.__name__} does not support complex parameters$"):
        opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), np.ones((2, 2)))


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad])
def test_fused_true_refuses_complex_at_step(cls):
    """torch's fused kernels are real only: fused=True with a complex parameter raises in step(), before any update;
    torch prints its dtype as torch.complex64 (ntorch's name here)."""
    w = ntorch.ones(2, requires_grad=True)
    z = ntorch.ones(2, dtype=ntorch.complex64, requires_grad=True)
    opt = cls([w, z], lr=0.1, fused=True)
    w.grad, z.grad = ntorch.ones(2), ntorch.ones(2, dtype=ntorch.complex64)
    with pytest.raises(RuntimeError, match=r"^`fused=True` requires all the params to be floating point Tensors of "
                                           r"supported devices: \['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', "
                                           r"'privateuseone'\] but ntorch.complex64 and cpu$"):
        opt.step()
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 1.0])
