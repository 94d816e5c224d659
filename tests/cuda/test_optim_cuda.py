"""ntorch.optim and ntorch.save/load on CUDA tensors: the same steps as on the CPU (tested against NumPy
references in tests/test_optim.py), state on the parameter's device, and CUDA checkpoints loading back on CUDA or
on the CPU with map_location. Tiny shapes: the simulator runs every GPU thread as a Python thread."""

from __future__ import annotations

import io

import numpy as np
import pytest

import ntorch as nt
from ntorch import optim
from ntorch.ops import optim_kernels
from ntorch.serialization import load, save


def _run(cls, kwargs, device, init, grads):
    p = nt.tensor(init, device=device, requires_grad=True)
    ptr = p.data_ptr()
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = nt.tensor(g, device=device)
        opt.step()
    assert p.data_ptr() == ptr  # updated in place
    return p, opt


@pytest.mark.parametrize("cls, kwargs", [
    (optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.05, weight_decay=0.1)),
    (optim.AdamW, dict(lr=0.05, amsgrad=True)),
])
def test_steps_match_cpu(cls, kwargs):
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3)]
    p_cpu, _ = _run(cls, kwargs, "cpu", init, grads)
    p_gpu, opt = _run(cls, kwargs, "cuda", init, grads)
    assert p_gpu.is_cuda
    np.testing.assert_allclose(p_gpu.detach().cpu().numpy(), p_cpu.detach().numpy(), rtol=1e-5, atol=1e-6)
    for key, value in opt.state[p_gpu].items():
        if key != "step":
            assert value.is_cuda, key
    if "step" in opt.state[p_gpu]:
        assert not opt.state[p_gpu]["step"].is_cuda  # torch keeps step on the CPU (capturable=False)


def test_save_on_cuda_load_on_cuda_and_cpu():
    base = nt.tensor(np.arange(12, dtype=np.float32).reshape(3, 4)).cuda()
    col = base[:, 1]
    w = nt.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    buf = io.BytesIO()
    save({"base": base, "col": col, "w": w}, buf)
    buf.seek(0)
    out = load(buf)
    assert out["base"].is_cuda and out["col"].is_cuda and out["w"].requires_grad
    np.testing.assert_array_equal(out["col"].cpu().numpy(), [1.0, 5.0, 9.0])
    out["base"][0, 1] = -3.0  # still one storage on the device
    assert out["col"].cpu().tolist() == [-3.0, 5.0, 9.0]
    for loc in ["cpu", {"cuda:0": "cpu"}]:
        buf.seek(0)
        cpu = load(buf, map_location=loc)
        assert not cpu["base"].is_cuda and cpu["col"].tolist() == [1.0, 5.0, 9.0]
        cpu["base"][1, 1] = 7.0
        assert cpu["col"].tolist() == [1.0, 7.0, 9.0]


def test_optimizer_state_dict_cuda_to_cpu():
    p = nt.tensor([1.0, -1.0], device="cuda", requires_grad=True)
    p.grad = nt.tensor([0.5, 0.5], device="cuda")
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    buf = io.BytesIO()
    save(opt.state_dict(), buf)
    buf.seek(0)
    sd = load(buf, map_location="cpu")
    q = nt.tensor(p.detach().cpu().numpy(), requires_grad=True)
    opt_q = optim.Adam([q], lr=0.1)
    opt_q.load_state_dict(sd)
    assert not opt_q.state[q]["exp_avg"].is_cuda
    np.testing.assert_allclose(opt_q.state[q]["exp_avg"].numpy(), opt.state[p]["exp_avg"].cpu().numpy())


# -- the fused kernels (kernels/cuda/optim.py): one launch per parameter, the CPU fused step's results -----------
FUSED_CASES = [
    (optim.SGD, dict(lr=0.1, momentum=0.8, dampening=0.3, weight_decay=0.1, maximize=True)),
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.05, betas=(0.3, 0.6), weight_decay=0.1, amsgrad=True, maximize=True)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1, initial_accumulator_value=0.5)),
]


def _steps(cls, kwargs, device, dtype, init, grads):
    p = nt.tensor(init, dtype=dtype, device=device, requires_grad=True)
    opt = cls([p], **kwargs)
    for g in grads:
        p.grad = nt.tensor(g, dtype=dtype, device=device)
        opt.step()
    return p, opt


@pytest.mark.parametrize("dtype", [nt.float16, nt.float32, nt.float64], ids=["float16", "float32", "float64"])
@pytest.mark.parametrize("cls, kwargs", FUSED_CASES,
                         ids=[c.__name__ + "-" + "-".join(map(str, k.values())) for c, k in FUSED_CASES])
def test_fused_cuda_matches_cpu(cls, kwargs, dtype, monkeypatch):
    """Each CUDA step is one fused launch per parameter, and parameters and state follow the CPU fused step
    (float16: both compute in float32 and round each stored value once)."""
    calls = []
    step = optim_kernels._step
    monkeypatch.setattr(optim_kernels, "_step", lambda op, p, *a: (calls.append(p.device.type), step(op, p, *a)))
    rng = np.random.default_rng(1)
    init = rng.standard_normal((3, 5))
    grads = [rng.standard_normal((3, 5)) for _ in range(3)]
    p_cpu, opt_cpu = _steps(cls, kwargs, "cpu", dtype, init, grads)
    p_gpu, opt_gpu = _steps(cls, kwargs, "cuda", dtype, init, grads)
    assert calls == ["cpu"] * 3 + ["cuda"] * 3
    assert p_gpu.is_cuda and p_gpu.dtype is dtype
    tol = {nt.float16: dict(rtol=2e-3, atol=2e-3), nt.float32: dict(rtol=1e-5, atol=1e-6),
           nt.float64: dict(rtol=1e-12, atol=1e-14)}[dtype]
    np.testing.assert_allclose(p_gpu.detach().cpu().numpy().astype(np.float64),
                               p_cpu.detach().numpy().astype(np.float64), **tol)
    for key, value in opt_gpu.state[p_gpu].items():
        if key == "step":
            assert not value.is_cuda and value.item() == 3.0
            continue
        assert value.is_cuda and value.dtype is dtype, key
        np.testing.assert_allclose(value.cpu().numpy().astype(np.float64),
                                   opt_cpu.state[p_cpu][key].numpy().astype(np.float64), **tol, err_msg=key)


def test_fused_cuda_non_contiguous_falls_back(monkeypatch):
    """A non-contiguous CUDA parameter runs op by op, with the same result."""
    calls = []
    step = optim_kernels._step
    monkeypatch.setattr(optim_kernels, "_step", lambda *a: (calls.append(a[0]), step(*a)))
    rng = np.random.default_rng(2)
    init, g = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 4)).astype(np.float32)
    p = nt.tensor(init, device="cuda").t().detach().requires_grad_()
    assert not p.is_contiguous()
    opt = optim.Adam([p], lr=0.1)
    p.grad = nt.tensor(g, device="cuda")
    opt.step()
    q, _ = _run(optim.Adam, dict(lr=0.1), "cpu", init.T.copy(), [g])
    assert calls == ["optim.adam"]  # only the CPU run
    np.testing.assert_allclose(p.detach().cpu().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
