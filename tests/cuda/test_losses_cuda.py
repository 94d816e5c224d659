"""cross_entropy and nll_loss with class-index targets on CUDA tensors: value and input gradient equal the CPU's
(tested against NumPy in tests/test_losses.py) for every reduction, label smoothing, class weights, ignore_index,
(N, C) and (N, C, d1) inputs and float dtypes. Tiny shapes: the simulator runs every GPU thread in Python."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F

TOL = {nt.float16: 2e-2, nt.float32: 1e-5, nt.float64: 1e-12}


def _inputs(shape, dt, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    c = shape[1]
    t = rng.integers(0, c, (shape[0], *shape[2:]))
    t.reshape(-1)[1] = -100  # one ignored target
    return nt.tensor(x, dtype=dt), nt.tensor(t)


def _both(fn, x, t, weight=None):
    """fn's loss and input gradient on the CPU and on CUDA."""
    out = []
    for device in ("cpu", "cuda"):
        xd = x.detach().to(device).requires_grad_(True)
        w = None if weight is None else weight.to(device)
        loss = fn(xd, t.to(device), w)
        loss.sum().backward() if loss.ndim else loss.backward()
        out.append((loss, xd.grad))
    return out


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2)], ids=["rows", "3d"])
def test_cross_entropy_matches_cpu(reduction, smoothing, weighted, shape):
    x, t = _inputs(shape, nt.float32)
    w = nt.tensor([0.5, 2.0, 1.0, 1.5], dtype=nt.float32) if weighted else None
    (cl, cg), (dl, dg) = _both(lambda a, b, w: F.cross_entropy(a, b, weight=w, reduction=reduction,
                                                               label_smoothing=smoothing), x, t, w)
    assert dl.is_cuda and dl.shape == cl.shape and dl.dtype == cl.dtype
    np.testing.assert_allclose(dl.detach().cpu().numpy(), cl.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dg.cpu().numpy(), cg.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("dt", [nt.float16, nt.float32, nt.float64], ids=str)
def test_nll_loss_matches_cpu(reduction, dt):
    x, t = _inputs((6, 3), dt, seed=1)
    w = nt.tensor([1.0, 0.25, 3.0], dtype=dt)
    (cl, cg), (dl, dg) = _both(lambda a, b, w: F.nll_loss(F.log_softmax(a, 1), b, weight=w, reduction=reduction),
                               x, t, w)
    assert dl.dtype == dt
    tol = TOL[dt]
    np.testing.assert_allclose(dl.detach().cpu().numpy(), cl.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(dg.cpu().numpy(), cg.numpy(), rtol=tol, atol=tol)


def test_mean_over_only_ignored_targets_is_nan():
    x = nt.zeros(2, 3, device="cuda")
    t = nt.tensor([-100, -100], device="cuda")
    assert np.isnan(F.cross_entropy(x, t).item())
    assert F.cross_entropy(x, t, reduction="sum").item() == 0.0


def test_mean_and_sum_launch_one_reduction_kernel(monkeypatch):
    """'mean' is sum(loss) / sum(weights) in one kernel (loss_total), not three ops."""
    from ntorch.kernels.cuda import loss as L

    calls = []
    real = L.loss_total
    monkeypatch.setattr(L, "loss_total", lambda *a: (calls.append(a[6]), real(*a))[1])
    from ntorch import dispatch

    monkeypatch.setattr(dispatch, "lookup", _lookup_through(dispatch.lookup, L))
    x, t = _inputs((4, 3), nt.float32)
    want = F.cross_entropy(x, t).item()
    got = F.cross_entropy(x.cuda(), t.cuda())
    assert calls == [True]
    assert abs(got.item() - want) < 1e-6


def _lookup_through(lookup, module):
    """dispatch.lookup, except that "loss_total" resolves to the module's (patched) attribute at call time."""
    def patched(op, device, dt):
        if op == "loss_total":
            return lambda *a: module.loss_total(*a)
        return lookup(op, device, dt)
    return patched


# --- bad targets: raised by the op (eager checks, the simulator's default) or at the next synchronisation ---


def test_bad_target_raises_from_the_op_with_eager_checks():
    from ntorch.cuda import checks

    old = checks.set_mode("eager")
    try:
        x, t = nt.zeros(3, 4, device="cuda"), nt.tensor([0, 4, 1], device="cuda")
        with pytest.raises(IndexError, match="^Target 4 is out of bounds.$"):
            F.cross_entropy(x, t)
    finally:
        checks.set_mode(old)


@pytest.mark.parametrize("sync", ["item", "synchronize", "cpu"])
def test_bad_target_is_reported_at_the_next_synchronisation_with_deferred_checks(sync):
    from ntorch.cuda import checks

    old = checks.set_mode("deferred")
    try:
        x = nt.zeros(3, 4, device="cuda")
        loss = F.cross_entropy(x, nt.tensor([0, -3, 7], device="cuda"))  # no error yet: nothing waited
        ok = F.cross_entropy(x, nt.tensor([0, 1, 2], device="cuda"))
        with pytest.raises(IndexError, match="Target -3 is out of bounds. .found on the device by cross_entropy"):
            {"item": loss.item, "synchronize": nt.cuda.synchronize, "cpu": ok.cpu}[sync]()
        assert abs(ok.item() - np.log(4.0)) < 1e-6  # reported once; later reads are clean
        nt.cuda.synchronize()
    finally:
        checks.set_mode(old)


def test_deferred_checks_reuse_their_flag_buffer(monkeypatch):
    """More checks than the pool's slots: it is read and refilled in between, and a bad target still surfaces."""
    from ntorch.cuda import checks

    monkeypatch.setattr(checks, "SLOTS", 3)
    monkeypatch.setattr(checks, "_pools", {})
    old = checks.set_mode("deferred")
    try:
        x, good = nt.zeros(2, 3, device="cuda"), nt.tensor([0, 2], device="cuda")
        for _ in range(7):
            F.nll_loss(x, good)
        F.nll_loss(x, nt.tensor([5, 0], device="cuda"))
        F.nll_loss(x, good)
        with pytest.raises(IndexError, match="Target 5"):
            nt.cuda.synchronize()
        for _ in range(4):
            F.nll_loss(x, good)
        nt.cuda.synchronize()  # the refilled slots hold no stale position
    finally:
        checks.set_mode(old)


# --- linear: the bias is the CUDA matmul's epilogue ---


@pytest.mark.parametrize("dt", [nt.float16, nt.float32, nt.float64], ids=str)
def test_linear_with_fused_bias_matches_cpu(dt):
    rng = np.random.default_rng(3)
    x = nt.tensor(rng.standard_normal((5, 7)), dtype=dt)
    w = nt.tensor(rng.standard_normal((3, 7)), dtype=dt)
    b = nt.tensor(rng.standard_normal(3), dtype=dt)
    outs = []
    for device in ("cpu", "cuda"):
        xs, ws, bs = (v.detach().to(device).requires_grad_(True) for v in (x, w, b))
        y = F.linear(xs, ws, bs)
        (y * y).sum().backward()
        outs.append([y.detach().cpu().numpy()] + [v.grad.cpu().numpy() for v in (xs, ws, bs)])
    tol = TOL[dt] * (5 if dt is nt.float16 else 10)
    for got, want in zip(outs[1], outs[0]):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_linear_launches_one_kernel_with_its_bias(monkeypatch):
    from ntorch.kernels.cuda import launch

    x, w, b = (nt.ones(*s, device="cuda") for s in ((4, 3), (2, 3), (2,)))
    F.linear(x, w, b)  # compile first
    calls = []
    real = launch.configure
    monkeypatch.setattr(launch, "configure", lambda *a: (calls.append(a[0]), real(*a))[1])
    from ntorch.kernels.cuda import matmul

    monkeypatch.setattr(matmul, "configure", launch.configure)
    y = F.linear(x, w, b)
    assert len(calls) == 1
    np.testing.assert_array_equal(y.cpu().numpy(), np.full((4, 2), 4.0, np.float32))
    y = F.linear(x, w, b.expand(4, 2)[1:2, :].reshape(2))  # a bias view that is still contiguous: fused too
    assert len(calls) == 2
