"""ntorch.optim and ntorch.save/load on CUDA tensors: the same steps as on the CPU (tested against NumPy
references in tests/test_optim.py), state on the parameter's device, and CUDA checkpoints loading back on CUDA or
on the CPU with map_location. Tiny shapes: the simulator runs every GPU thread as a Python thread."""

from __future__ import annotations

import io

import numpy as np
import pytest

import ntorch as nt
from ntorch import optim
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
