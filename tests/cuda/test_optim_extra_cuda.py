"""Rprop, ASGD, Adafactor, Muon, LBFGS and swa_utils.AveragedModel on CUDA tensors: the CPU's steps (tested against
NumPy in tests/test_optim_extra.py), with the state on the parameter's device. Tiny shapes for the simulator."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt
from ntorch import nn, optim
from ntorch.optim import swa_utils

CASES = [
    (optim.Rprop, dict(lr=0.05, maximize=True), [(3, 4), (4,)]),
    (optim.ASGD, dict(lr=0.05, t0=1, weight_decay=0.1), [(3, 4), (4,)]),
    (optim.Adafactor, dict(lr=0.05, weight_decay=0.1), [(3, 4), (4,)]),
    (optim.Muon, dict(lr=0.05), [(3, 4)]),
]


def _run(cls, kwargs, device, init, grads):
    params = [nt.tensor(a, device=device, requires_grad=True) for a in init]
    ptrs = [p.data_ptr() for p in params]
    opt = cls(params, **kwargs)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = nt.tensor(g, device=device)
        opt.step()
    assert [p.data_ptr() for p in params] == ptrs  # updated in place
    return params, opt


@pytest.mark.parametrize("cls, kwargs, shapes", CASES, ids=[c[0].__name__ for c in CASES])
def test_steps_match_cpu(cls, kwargs, shapes):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes] for _ in range(3)]
    cpu, _ = _run(cls, kwargs, "cpu", init, grads)
    gpu, opt = _run(cls, kwargs, "cuda", init, grads)
    for p, q in zip(gpu, cpu):
        assert p.is_cuda
        np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
        for key, value in opt.state[p].items():
            if key != "step":
                assert value.is_cuda, key


def test_lbfgs_cuda_matches_cpu():
    def run(device):
        x = nt.tensor([-1.2, 1.0], dtype=nt.float64, device=device, requires_grad=True)
        opt = optim.LBFGS([x], max_iter=4, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
            loss.backward()
            return loss

        opt.step(closure)
        return x, opt

    x_gpu, opt = run("cuda")
    x_cpu, _ = run("cpu")
    assert x_gpu.is_cuda and opt.state[x_gpu]["d"].is_cuda
    np.testing.assert_allclose(x_gpu.detach().cpu().numpy(), x_cpu.detach().numpy(), rtol=1e-10)


def test_averaged_model_cuda():
    """A CPU model averaged on CUDA (device="cuda": the copy and the counter live there, the model's weights are
    copied over); the default SWA there takes torch's multi-tensor path (lerp by a float32 1/(n+1))."""
    nt.manual_seed(0)
    model = nn.Linear(3, 2)
    averaged = swa_utils.AveragedModel(model, device="cuda")
    assert averaged.n_averaged.is_cuda and averaged.module.weight.is_cuda and not model.weight.is_cuda
    rng = np.random.default_rng(0)
    ws = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    for w in ws:
        with nt.no_grad():
            model.weight.copy_(nt.tensor(w))
        averaged.update_parameters(model)
    np.testing.assert_allclose(averaged.module.weight.detach().cpu().numpy(), np.mean(ws, 0), rtol=1e-5, atol=1e-6)
