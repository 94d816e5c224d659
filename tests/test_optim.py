"""ntorch.optim against NumPy reference implementations of torch's documented update rules."""

import math
import warnings

import numpy as np
import pytest

import ntorch
from ntorch import optim

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
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
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
