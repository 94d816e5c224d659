"""ntorch.optim against NumPy reference implementations of torch's documented update rules."""

import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import ntorch
from ntorch import optim
from ntorch.ops import optim_kernels
from ntorch.optim import optimizer as optimizer_module

SHAPES = [(4, 3), (5,)]


# -- NumPy references: ref(p, g, state, hp) updates p in place (float64 arrays), state is a dict -------------------
def ref_sgd(p, g, s, hp):
    g = -g if hp.get("maximize") else g
    wd, mom, damp = hp.get("weight_decay", 0), hp.get("momentum", 0), hp.get("dampening", 0)
    if wd:
        g = g + wd * p
    if mom:
        if "buf" not in s:
            s["buf"] = g.copy()
        else:
            s["buf"] = mom * s["buf"] + (1 - damp) * g
        g = g + mom * s["buf"] if hp.get("nesterov") else s["buf"]
    p -= hp["lr"] * g


def ref_adam(p, g, s, hp, decoupled=False):
    lr, (b1, b2), eps, wd = hp.get("lr", 1e-3), hp.get("betas", (0.9, 0.999)), hp.get("eps", 1e-8), \
        hp.get("weight_decay", 0)
    g = -g if hp.get("maximize") else g
    s.setdefault("m", np.zeros_like(p))
    s.setdefault("v", np.zeros_like(p))
    s.setdefault("vmax", np.zeros_like(p))
    s["t"] = t = s.get("t", 0) + 1
    if wd:
        if decoupled:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    v = s["v"]
    if hp.get("amsgrad"):
        s["vmax"] = np.maximum(s["vmax"], s["v"])
        v = s["vmax"]
    mhat_scale = lr / (1 - b1**t)
    p -= mhat_scale * s["m"] / (np.sqrt(v) / math.sqrt(1 - b2**t) + eps)


def ref_adamw(p, g, s, hp):
    hp = {"weight_decay": 1e-2, **hp}
    ref_adam(p, g, s, hp, decoupled=True)


def ref_rmsprop(p, g, s, hp):
    lr, alpha, eps, wd, mom = hp.get("lr", 1e-2), hp.get("alpha", 0.99), hp.get("eps", 1e-8), \
        hp.get("weight_decay", 0), hp.get("momentum", 0)
    g = -g if hp.get("maximize") else g
    if wd:
        g = g + wd * p
    s["sq"] = alpha * s.get("sq", np.zeros_like(p)) + (1 - alpha) * g * g
    if hp.get("centered"):
        s["ga"] = alpha * s.get("ga", np.zeros_like(p)) + (1 - alpha) * g
        avg = np.sqrt(s["sq"] - s["ga"] ** 2) + eps
    else:
        avg = np.sqrt(s["sq"]) + eps
    if mom > 0:
        s["buf"] = mom * s.get("buf", np.zeros_like(p)) + g / avg
        p -= lr * s["buf"]
    else:
        p -= lr * g / avg


def ref_adagrad(p, g, s, hp):
    lr, lr_decay, wd, eps = hp.get("lr", 1e-2), hp.get("lr_decay", 0), hp.get("weight_decay", 0), hp.get("eps", 1e-10)
    g = -g if hp.get("maximize") else g
    s["t"] = t = s.get("t", 0) + 1
    if wd:
        g = g + wd * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", np.full_like(p, hp.get("initial_accumulator_value", 0))) + g * g
    p -= clr * g / (np.sqrt(s["sum"]) + eps)


def ref_adamax(p, g, s, hp):
    lr, (b1, b2), eps, wd = hp.get("lr", 2e-3), hp.get("betas", (0.9, 0.999)), hp.get("eps", 1e-8), \
        hp.get("weight_decay", 0)
    g = -g if hp.get("maximize") else g
    s["t"] = t = s.get("t", 0) + 1
    if wd:
        g = g + wd * p
    s["m"] = b1 * s.get("m", np.zeros_like(p)) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", np.zeros_like(p)), np.abs(g) + eps)
    p -= lr / (1 - b1**t) * s["m"] / s["u"]


def ref_adadelta(p, g, s, hp):
    lr, rho, eps, wd = hp.get("lr", 1.0), hp.get("rho", 0.9), hp.get("eps", 1e-6), hp.get("weight_decay", 0)
    g = -g if hp.get("maximize") else g
    if wd:
        g = g + wd * p
    s["v"] = rho * s.get("v", np.zeros_like(p)) + (1 - rho) * g * g
    delta = np.sqrt(s.get("u", np.zeros_like(p)) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", np.zeros_like(p)) + (1 - rho) * delta * delta
    p -= lr * delta


def ref_nadam(p, g, s, hp):
    lr, (b1, b2), eps, wd, psi = hp.get("lr", 2e-3), hp.get("betas", (0.9, 0.999)), hp.get("eps", 1e-8), \
        hp.get("weight_decay", 0), hp.get("momentum_decay", 4e-3)
    g = -g if hp.get("maximize") else g
    s["t"] = t = s.get("t", 0) + 1
    if wd:
        if hp.get("decoupled_weight_decay"):
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    mu = b1 * (1 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi))
    s["prod"] = float(np.float32(s.get("prod", 1.0) * mu))  # torch keeps mu_product in a float32 tensor
    s["m"] = b1 * s.get("m", np.zeros_like(p)) + (1 - b1) * g
    s["v"] = b2 * s.get("v", np.zeros_like(p)) + (1 - b2) * g * g
    denom = np.sqrt(s["v"] / (1 - b2**t)) + eps
    p -= lr * (1 - mu) / (1 - s["prod"]) * g / denom
    p -= lr * mu_next / (1 - s["prod"] * mu_next) * s["m"] / denom


def ref_radam(p, g, s, hp):
    lr, (b1, b2), eps, wd = hp.get("lr", 1e-3), hp.get("betas", (0.9, 0.999)), hp.get("eps", 1e-8), \
        hp.get("weight_decay", 0)
    g = -g if hp.get("maximize") else g
    s["t"] = t = s.get("t", 0) + 1
    if wd:
        if hp.get("decoupled_weight_decay"):
            p *= 1 - lr * wd
        else:
            g = g + wd * p
    s["m"] = b1 * s.get("m", np.zeros_like(p)) + (1 - b1) * g
    s["v"] = b2 * s.get("v", np.zeros_like(p)) + (1 - b2) * g * g
    mhat = s["m"] / (1 - b1**t)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
    if rho_t > 5:
        rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        p -= lr * mhat * rect * math.sqrt(1 - b2**t) / (np.sqrt(s["v"]) + eps)
    else:
        p -= lr * mhat


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True)),
    (optim.Adam, ref_adam, dict(lr=0.01)),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    (optim.Adam, ref_adam, dict(lr=0.01, eps=1e-3, maximize=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.01)),
    (optim.AdamW, ref_adamw, dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.3, maximize=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.7, dampening=0.5, maximize=True)),
    (optim.SGD, ref_sgd, dict(lr=0.05, weight_decay=0.2, maximize=True)),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.3, 0.7), weight_decay=0.2, amsgrad=True, maximize=True)),
    (optim.AdamW, ref_adamw, dict(lr=0.02, betas=(0.6, 0.9), weight_decay=0.3, maximize=True)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.6, centered=True, eps=1e-3)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, momentum=0.9, weight_decay=0.2)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.5, eps=1e-3, maximize=True)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
    (optim.Adamax, ref_adamax, dict(lr=0.01)),
    (optim.Adamax, ref_adamax, dict(lr=0.01, betas=(0.5, 0.8), weight_decay=0.2, maximize=True)),
    (optim.Adadelta, ref_adadelta, dict()),
    (optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.5, weight_decay=0.1)),
    (optim.NAdam, ref_nadam, dict(lr=0.01)),
    (optim.NAdam, ref_nadam, dict(lr=0.01, weight_decay=0.1, momentum_decay=0.01)),
    (optim.NAdam, ref_nadam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    (optim.RAdam, ref_radam, dict(lr=0.01)),
    (optim.RAdam, ref_radam, dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1)),
    (optim.RAdam, ref_radam, dict(lr=0.01, betas=(0.5, 0.6), weight_decay=0.1, decoupled_weight_decay=True)),
]


def _ids(case):
    return case[0].__name__ + "-" + "-".join(f"{k}={v}" for k, v in case[2].items())


def _grads(rng, steps):
    return [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_matches_reference(case, rng):
    cls, ref, hp = case
    init = [rng.standard_normal(s) for s in SHAPES]
    params = [ntorch.tensor(a, requires_grad=True) for a in init]
    objects = [p for p in params]
    storages = [p.data_ptr() for p in params]
    opt = cls(params, **hp)
    ref_p = [a.copy() for a in init]
    ref_s = [{} for _ in init]
    for grads in _grads(rng, 6):
        for p, g in zip(params, grads):
            p.grad = ntorch.tensor(g)
        opt.step()
        for rp, rs, g in zip(ref_p, ref_s, grads):
            ref(rp, g, rs, hp)
        for p, rp in zip(params, ref_p):
            np.testing.assert_allclose(p.detach().numpy(), rp, rtol=1e-6 if cls is optim.NAdam else 1e-9, atol=1e-12)
    # in place: the same tensor objects over the same memory, still leaves that require grad
    assert all(a is b for a, b in zip(params, objects))
    assert [p.data_ptr() for p in params] == storages
    assert all(p.requires_grad and p.is_leaf for p in params)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.RMSprop, optim.Adagrad])
def test_float32_params(cls, rng):
    """float32 parameters stay float32 and follow the float64 reference to float32 accuracy."""
    ref = {optim.SGD: ref_sgd, optim.Adam: ref_adam, optim.RMSprop: ref_rmsprop, optim.Adagrad: ref_adagrad}[cls]
    hp = dict(lr=0.01, momentum=0.9) if cls is optim.SGD else dict(lr=0.01)
    a = rng.standard_normal((6, 5)).astype(np.float32)
    p = ntorch.tensor(a, requires_grad=True)
    opt = cls([p], **hp)
    rp, rs = a.astype(np.float64), {}
    for _ in range(4):
        g = rng.standard_normal((6, 5)).astype(np.float32)
        p.grad = ntorch.tensor(g)
        opt.step()
        ref(rp, g.astype(np.float64), rs, hp)
    assert p.dtype is ntorch.float32
    np.testing.assert_allclose(p.detach().numpy(), rp, rtol=1e-4, atol=1e-5)


def test_param_groups_and_param_without_grad(rng):
    a, b, c = (rng.standard_normal((3, 2)) for _ in range(3))
    pa, pb, pc = (ntorch.tensor(x, requires_grad=True) for x in (a, b, c))
    opt = optim.SGD([{"params": [pa]}, {"params": [pb, pc], "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["nesterov"] is False
    ga, gb = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    ra, rb, sa, sb = a.copy(), b.copy(), {}, {}
    for _ in range(3):
        pa.grad, pb.grad = ntorch.tensor(ga), ntorch.tensor(gb)
        opt.step()
        ref_sgd(ra, ga, sa, dict(lr=0.1))
        ref_sgd(rb, gb, sb, dict(lr=0.5, momentum=0.9))
    np.testing.assert_allclose(pa.detach().numpy(), ra, rtol=1e-12)
    np.testing.assert_allclose(pb.detach().numpy(), rb, rtol=1e-12)
    np.testing.assert_array_equal(pc.detach().numpy(), c)  # no grad: skipped, no state
    assert pc not in opt.state and pa not in opt.state and "momentum_buffer" in opt.state[pb]


def test_add_param_group_errors():
    p = ntorch.zeros(2, requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        opt.add_param_group({"params": [p]})
    q = ntorch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        opt.add_param_group({"params": [q * 2]})
    with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
        opt.add_param_group({"params": [1.0]})
    with pytest.raises(TypeError, match="ordered collections"):
        opt.add_param_group({"params": {q}})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([q, q], lr=0.1)
    opt.add_param_group({"params": q, "lr": 0.5})
    assert opt.param_groups[1]["params"] == [q] or opt.param_groups[1]["params"][0] is q
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        optim.SGD(p, lr=0.1)


@pytest.mark.parametrize("cls, kwargs, message", [
    (optim.SGD, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.SGD, dict(lr=0.1, momentum=-0.5), "Invalid momentum value: -0.5"),
    (optim.SGD, dict(lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.SGD, dict(lr=0.1, nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (optim.Adam, dict(lr=-1), "Invalid learning rate: -1"),
    (optim.Adam, dict(eps=-1), "Invalid epsilon value: -1"),
    (optim.Adam, dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (optim.AdamW, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.RMSprop, dict(alpha=-1), "Invalid alpha value: -1"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value: -1"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value value: -1"),
    (optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
    (optim.NAdam, dict(momentum_decay=-1), "Invalid momentum_decay value: -1"),
    (optim.RAdam, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
])
def test_argument_checks(cls, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        cls([ntorch.zeros(2, requires_grad=True)], **kwargs)


def test_zero_grad():
    p = ntorch.ones(3, requires_grad=True)
    (p * 2).sum().backward()
    opt = optim.SGD([p], lr=0.1)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and p.grad.tolist() == [0.0, 0.0, 0.0]
    opt.zero_grad()
    assert p.grad is None


def test_step_closure_returns_loss():
    p = ntorch.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.item() == 5.0
    np.testing.assert_allclose(p.detach().numpy(), [1.0 - 0.1 * 2.0, 2.0 - 0.1 * 4.0], rtol=1e-6)


def test_state_dict_layout_and_repr():
    p, q = ntorch.zeros(2, requires_grad=True), ntorch.zeros(3, requires_grad=True)
    opt = optim.Adam([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
    p.grad = ntorch.ones(2)
    opt.step()
    sd = opt.state_dict()
    assert list(sd) == ["state", "param_groups"]
    assert list(sd["state"]) == [0] and list(sd["state"][0]) == ["step", "exp_avg", "exp_avg_sq"]
    assert sd["state"][0]["step"].item() == 1.0 and sd["state"][0]["step"].dtype is ntorch.float32
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.5 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    text = repr(optim.SGD([p], lr=0.1))
    assert text == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                    "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
                    "    weight_decay: 0\n)")


def _clone_state(sd):
    """A deep copy of an optimizer state_dict's tensors (what saving it to a file gives)."""
    return {"state": {k: {n: v.clone() if isinstance(v, ntorch.Tensor) else v for n, v in s.items()}
                      for k, s in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.parametrize("cls, hp", [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.1, amsgrad=True)),
                                     (optim.RMSprop, dict(centered=True, momentum=0.2)), (optim.Adagrad, {}),
                                     (optim.NAdam, {}), (optim.Adadelta, {}), (optim.Adamax, {}), (optim.RAdam, {})])
def test_state_dict_round_trip_continues_identically(cls, hp, rng):
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = _grads(rng, 6)
    a = [ntorch.tensor(x, requires_grad=True) for x in init]
    opt_a = cls(a, **hp)
    for step in range(3):
        for p, g in zip(a, grads[step]):
            p.grad = ntorch.tensor(g)
        opt_a.step()
    saved = _clone_state(opt_a.state_dict())
    b = [ntorch.tensor(p.detach().numpy(), requires_grad=True) for p in a]
    opt_b = cls(b, lr=123.0) if "lr" in hp else cls(b, lr=0.5)
    opt_b.load_state_dict(saved)
    assert opt_b.param_groups[0]["lr"] == opt_a.param_groups[0]["lr"]
    assert opt_b.param_groups[0]["params"][0] is b[0]
    for step in range(3, 6):
        for pa, pb, g in zip(a, b, grads[step]):
            pa.grad, pb.grad = ntorch.tensor(g), ntorch.tensor(g)
        opt_a.step()
        opt_b.step()
    for pa, pb in zip(a, b):
        if cls is optim.NAdam:  # torch's load casts the float32 mu_product to the params' float64, as here
            np.testing.assert_allclose(pa.detach().numpy(), pb.detach().numpy(), rtol=1e-9)
        else:
            np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


def test_load_state_dict_errors():
    p = ntorch.zeros(2, requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        opt.load_state_dict({"state": {}, "param_groups": []})
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        opt.load_state_dict({"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]})


def test_load_state_dict_casts_state_to_param_dtype():
    p32 = ntorch.zeros(2, dtype=ntorch.float32, requires_grad=True)
    p64 = ntorch.zeros(2, dtype=ntorch.float64, requires_grad=True)
    p64.grad = ntorch.ones(2, dtype=ntorch.float64)
    src = optim.Adam([p64])
    src.step()
    dst = optim.Adam([p32])
    dst.load_state_dict(src.state_dict())
    assert dst.state[p32]["exp_avg"].dtype is ntorch.float32
    assert dst.state[p32]["step"].dtype is ntorch.float32 and dst.state[p32]["step"].item() == 1.0


def test_no_graph_recorded_by_step():
    p = ntorch.ones(3, requires_grad=True)
    p.grad = ntorch.ones(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optim.Adam([p], lr=0.1).step()
    assert p.grad_fn is None and p.is_leaf


# -- the fused steps (ops/optim_kernels.py): same results as the op-by-op path, taken only when allowed ------------
FUSED_CASES = [
    (optim.SGD, dict(lr=0.1)),
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.1, maximize=True)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.01)),
    (optim.Adam, dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    (optim.Adam, dict(lr=0.01, betas=(0.3, 0.6), eps=1e-3, maximize=True)),  # 1 - beta1 >= 0.5: lerp's other side
    (optim.AdamW, dict(lr=0.01)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.5, amsgrad=True, maximize=True)),
    (optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.3, maximize=True)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5, maximize=True)),
]
FUSED_REFS = {optim.SGD: ref_sgd, optim.Adam: ref_adam, optim.AdamW: ref_adamw, optim.RMSprop: ref_rmsprop,
              optim.Adagrad: ref_adagrad}


@pytest.fixture
def fused_calls(monkeypatch):
    """The kernel ops the fused path ran (a spy on optim_kernels._step)."""
    calls = []
    step = optim_kernels._step

    def spy(op, *args):
        calls.append(op)
        return step(op, *args)

    monkeypatch.setattr(optim_kernels, "_step", spy)
    return calls


def _run_steps(cls, hp, init, grads, dtype):
    params = [ntorch.tensor(a, dtype=dtype, requires_grad=True) for a in init]
    opt = cls(params, **hp)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = ntorch.tensor(g, dtype=dtype)
        opt.step()
    return params, opt


def _case_id(case):
    return case[0].__name__ + "-" + "-".join(f"{k}={v}" for k, v in case[1].items())


@pytest.mark.parametrize("dtype", [ntorch.float32, ntorch.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", FUSED_CASES, ids=[_case_id(c) for c in FUSED_CASES])
def test_fused_matches_op_by_op(case, dtype, rng, fused_calls, monkeypatch):
    """Over several steps the fused kernels give the op-by-op path's parameters and state (to the last bits:
    the same formulas in the same order, up to the rounding of a fused multiply-add)."""
    cls, hp = case
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = _grads(rng, 5)
    fused, fused_opt = _run_steps(cls, hp, init, grads, dtype)
    assert fused_calls == ["optim." + ("adam" if cls is optim.AdamW else cls.__name__.lower())] * (2 * 5)
    monkeypatch.setattr(optimizer_module, "FUSED", False)
    plain, plain_opt = _run_steps(cls, hp, init, grads, dtype)
    assert len(fused_calls) == 10  # the switch turned the fused path off
    tol = dict(rtol=1e-5, atol=1e-6) if dtype is ntorch.float32 else dict(rtol=1e-12, atol=1e-14)
    for p, q in zip(fused, plain):
        assert p.dtype is dtype
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), **tol)
        s, t = fused_opt.state[p], plain_opt.state[q]
        assert sorted(s) == sorted(t)
        for key in s:
            assert s[key].dtype is t[key].dtype, key
            np.testing.assert_allclose(s[key].numpy(), t[key].numpy(), **tol, err_msg=key)


def _round16(state):
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            state[key] = value.astype(np.float16).astype(np.float32)


@pytest.mark.parametrize("case", FUSED_CASES, ids=[_case_id(c) for c in FUSED_CASES])
def test_fused_float16(case, rng, fused_calls):
    """float16 parameters and state stay float16; the step computes in float32 and rounds each stored value once
    (the reference: NumPy float32 arithmetic with the parameter and state rounded to float16 after each step)."""
    cls, hp = case
    init = [rng.standard_normal(s).astype(np.float16) for s in SHAPES]
    grads = [[g.astype(np.float16) for g in gs] for gs in _grads(rng, 4)]
    params, opt = _run_steps(cls, hp, init, grads, ntorch.float16)
    assert len(fused_calls) == 8
    ref = FUSED_REFS[cls]
    hp_ref = dict(hp)
    if cls is optim.Adagrad:  # the reference starts the accumulator itself
        init_acc = hp_ref.pop("initial_accumulator_value", 0)
    for a, gs_i, p in zip(init, zip(*grads), params):
        rp, rs = a.astype(np.float32), {}
        if cls is optim.Adagrad:
            rs["sum"] = np.full_like(rp, init_acc)
        for g in gs_i:
            ref(rp, g.astype(np.float32), rs, hp_ref)
            rp[...] = rp.astype(np.float16)
            _round16(rs)
        assert p.dtype is ntorch.float16
        for value in opt.state[p].values():
            assert value.dtype is (ntorch.float32 if value.ndim == 0 else ntorch.float16)
        np.testing.assert_allclose(p.detach().numpy().astype(np.float32), rp, rtol=4e-3, atol=2e-3)


@pytest.mark.parametrize("cls, hp", [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.Adam, dict(lr=0.1)),
                                     (optim.RMSprop, dict(lr=0.1, centered=True)), (optim.Adagrad, dict(lr=0.1))])
def test_fused_falls_back(cls, hp, rng, fused_calls):
    """A non-contiguous parameter, a non-contiguous or other-dtype gradient, differentiable=True: op by op (and
    still right); the other parameters of the group stay fused."""
    ref = FUSED_REFS[cls]
    a, b, c = rng.standard_normal((4, 3)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    strided = ntorch.tensor(a).t().detach().requires_grad_()  # a (3, 4) leaf over transposed memory
    plain = ntorch.tensor(b, requires_grad=True)
    gview = ntorch.tensor(c, requires_grad=True)
    assert not strided.is_contiguous() and strided.is_leaf
    opt = cls([strided, plain, gview], **hp)
    refs = [(a.T.copy(), {}), (b.copy(), {}), (c.copy(), {})]
    for _ in range(3):
        gs = [rng.standard_normal((3, 4)) for _ in range(3)]
        strided.grad, plain.grad = ntorch.tensor(gs[0]), ntorch.tensor(gs[1])
        gview.grad = ntorch.tensor(gs[2].T.copy()).t()  # non-contiguous gradient
        opt.step()
        for (rp, rs), g in zip(refs, gs):
            ref(rp, g, rs, hp)
    assert len(fused_calls) == 3  # only `plain`
    for p, (rp, _) in zip((strided, plain, gview), refs):
        np.testing.assert_allclose(p.detach().numpy(), rp, rtol=1e-9, atol=1e-12)
    del fused_calls[:]
    q = ntorch.tensor(b, requires_grad=True)
    q.grad = ntorch.tensor(c)
    cls([q], differentiable=True, **hp).step()
    q.grad_dtype = None  # (torch 2.13 refuses a gradient of another dtype unless grad_dtype allows it)
    q.grad = ntorch.tensor(c, dtype=ntorch.float32)  # a gradient of another dtype
    cls([q], **hp).step()
    assert fused_calls == []


def test_fused_group_rules(monkeypatch):
    """The group-level conditions: tensors as lr / betas, differentiable and capturable run op by op."""
    base = dict(lr=0.1, betas=(0.9, 0.99), weight_decay=0.0, differentiable=False)
    assert optimizer_module.fused_group(base)
    assert not optimizer_module.fused_group({**base, "lr": ntorch.tensor(0.1)})
    assert not optimizer_module.fused_group({**base, "betas": (ntorch.tensor(0.9), 0.99)})
    assert not optimizer_module.fused_group({**base, "differentiable": True})
    assert not optimizer_module.fused_group({**base, "capturable": True})
    monkeypatch.setattr(optimizer_module, "FUSED", False)
    assert not optimizer_module.fused_group(base)


@pytest.mark.parametrize("cls, hp", [(optim.SGD, dict(lr=0.1, momentum=0.9)), (optim.AdamW, dict(amsgrad=True)),
                                     (optim.RMSprop, dict(momentum=0.5, centered=True)), (optim.Adagrad, dict())])
def test_fused_in_place_bumps_versions(cls, hp, fused_calls):
    """The fused step writes in place: same storage, and the versions of the parameter and every state tensor it
    wrote move on, as after in-place ops (so autograd still notices a modified saved tensor)."""
    p = ntorch.ones(2, 3, requires_grad=True)
    ptr = p.data_ptr()
    opt = cls([p], **hp)
    p.grad = ntorch.full((2, 3), 0.5)
    opt.step()
    before = {k: v._version for k, v in opt.state[p].items()}
    pv = p._version
    p.grad = ntorch.full((2, 3), 0.25)
    opt.step()
    assert fused_calls and p.data_ptr() == ptr and p._version > pv
    for key, value in opt.state[p].items():
        assert value._version > before[key], key


def test_fused_empty_and_scalar_params(fused_calls):
    """0-d and empty parameters take the fused path too."""
    s, e = ntorch.tensor(2.0, requires_grad=True), ntorch.zeros(0, 3, requires_grad=True)
    opt = optim.Adam([s, e], lr=0.5)
    s.grad, e.grad = ntorch.tensor(1.0), ntorch.zeros(0, 3)
    opt.step()
    assert fused_calls == ["optim.adam", "optim.adam"]
    assert s.item() == pytest.approx(1.5) and tuple(e.shape) == (0, 3)


def test_fused_missing_state_raises_like_torch(fused_calls):
    """amsgrad switched on after the state was made: KeyError 'max_exp_avg_sq' (torch's _init_group reads it), and
    the parameter is left alone (the kernel never runs with a missing state tensor)."""
    p = ntorch.ones(3, requires_grad=True)
    p.grad = ntorch.ones(3)
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    before = p.detach().numpy().copy()
    opt.param_groups[0]["amsgrad"] = True
    with pytest.raises(KeyError, match="max_exp_avg_sq"):
        opt.step()
    np.testing.assert_array_equal(p.detach().numpy(), before)
    with pytest.raises(ValueError, match="amsgrad needs max_exp_avg_sq"):
        optim_kernels.adam_(p, p.grad, p, p, None, step=1.0, lr=0.1, beta1=0.9, beta2=0.99, eps=1e-8,
                            weight_decay=0.0, amsgrad=True, maximize=False, decoupled=False)


def _fma32(a, b, c):
    """float32 a * b + c rounded once (the product is exact in float64; the double rounding that could differ
    from a true fma needs a float64 sum on a float32 midpoint, which these inputs never hit)."""
    wide = [np.asarray(x, np.float64) for x in (a, b, c)]
    return (wide[0] * wide[1] + wide[2]).astype(np.float32)


def test_fused_float32_order_of_operations(rng):
    """float32 SGD and Adam steps bit for bit against NumPy float32 arithmetic in torch's CPU order: add(alpha) and
    addcmul as fused multiply-adds, lerp's small-weight side, addcdiv as (value * t1) / t2."""
    f = np.float32
    n = 1000
    p0, g = rng.standard_normal(n).astype(f), rng.standard_normal(n).astype(f)
    lr, mom, damp, wd = 0.05, 0.9, 0.2, 0.01
    p = ntorch.tensor(p0, requires_grad=True)
    opt = optim.SGD([p], lr=lr, momentum=mom, dampening=damp, weight_decay=wd, nesterov=False, maximize=True)
    rp, buf = p0.copy(), None
    for _ in range(3):
        p.grad = ntorch.tensor(g)
        opt.step()
        d = _fma32(f(wd), rp, -g)
        buf = d if buf is None else _fma32(f(1 - damp), d, buf * f(mom))
        rp = _fma32(f(-lr), buf, rp)
        np.testing.assert_array_equal(p.detach().numpy(), rp)
    q = ntorch.tensor(p0, requires_grad=True)
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    opt = optim.Adam([q], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    rq, m, v = p0.copy(), np.zeros(n, f), np.zeros(n, f)
    for t in range(1, 4):
        q.grad = ntorch.tensor(g)
        opt.step()
        d = _fma32(f(wd), rq, g)
        m = _fma32(f(1 - b1), d - m, m)
        v = _fma32(f(1 - b2) * d, d, v * f(b2))
        denom = np.sqrt(v) / f((1 - b2**t) ** 0.5) + f(eps)
        rq = rq + (f(-(lr / (1 - b1**t))) * m) / denom
        np.testing.assert_array_equal(q.detach().numpy(), rq)


@pytest.mark.parametrize("cls", [optim.SGD, optim.Adam, optim.AdamW, optim.Adagrad])
def test_fused_flag_checks(cls):
    """torch's constructor errors for fused=True: with differentiable, with foreach (differentiable checked first);
    fused=True alone is accepted (and, like foreach, picks nothing here: the fused path is automatic)."""
    p = ntorch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="^`fused` does not support `differentiable`$"):
        cls([p], lr=0.1, fused=True, differentiable=True, foreach=True)
    with pytest.raises(RuntimeError, match="^`fused` and `foreach` cannot be `True` together.$"):
        cls([p], lr=0.1, fused=True, foreach=True)
    for flags in (dict(fused=True), dict(foreach=True), dict(fused=False, foreach=False)):
        opt = cls([p], lr=0.1, **flags)
        p.grad = ntorch.ones(2)
        opt.step()


CUDA_LOWERING_SCRIPT = textwrap.dedent("""
    from numba import types
    from numba.cuda.compiler import compile_cuda
    from ntorch.kernels.cuda import optim as O
    counts = {"sgd": (3, 4, 5), "adam": (5, 9, 5), "rmsprop": (5, 8, 5), "adagrad": (3, 3, 2)}
    for storage, compute in ((types.float16, "float32"), (types.float32, "float32"), (types.float64, "float64")):
        module = O._module(compute)
        for name, (narrays, nscalars, nflags) in counts.items():
            sig = (storage[::1],) * narrays + (types.float64,) * nscalars + (types.boolean,) * nflags
            ir = str(compile_cuda(getattr(module, name).py_func, types.void, sig, cc=(9, 0)).library.get_llvm_str())
            assert "llvm.fma" in ir, (name, storage)
    print("lowered")
""")


def test_cuda_optim_kernels_type_and_lower_without_a_device():
    """The CUDA kernels (kernels/cuda/optim.py, as a GPU compiles them, not the simulator's Python) type and lower
    to LLVM IR with cuda.fma for float16/32/64 storage, without a driver (PTX generation needs the GPU machine)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    out = subprocess.run([sys.executable, "-c", CUDA_LOWERING_SCRIPT], capture_output=True, text=True, env=env,
                         timeout=600)
    assert out.returncode == 0 and "lowered" in out.stdout, out.stderr[-3000:]
