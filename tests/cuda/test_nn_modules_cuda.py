"""nn modules on CUDA: a model moved with .cuda() computes what its CPU copy computes (forward, backward, BatchNorm
running statistics), keeps its Parameter objects, and state_dict / load_state_dict cross devices. Tiny shapes:
the simulator runs every GPU thread as a Python thread."""

from __future__ import annotations

import copy

import numpy as np

import ntorch as nt
import ntorch.nn as nn


def _close(got, want, tol=1e-4):
    assert got.is_cuda and not want.is_cuda
    np.testing.assert_allclose(got.detach().cpu().numpy(), want.detach().numpy(), rtol=tol, atol=tol)


def _compare(model, x, target_fn):
    """Forward and backward of model on the CPU and of its .cuda() copy, then the grads of every parameter."""
    dev = copy.deepcopy(model)
    params = list(dev.parameters())
    assert dev.cuda() is dev
    assert all(p is q for p, q in zip(params, dev.parameters()))  # the same Parameter objects, moved
    assert all(type(p) is nn.Parameter and p.is_cuda and p.requires_grad for p in dev.parameters())
    y_cpu, y_dev = model(x), dev(x.cuda())
    _close(y_dev, y_cpu)
    target_fn(y_cpu).backward()
    target_fn(y_dev).backward()
    for (name, p), q in zip(model.named_parameters(), dev.parameters()):
        assert q.grad is not None and q.grad.is_cuda, name
        _close(q.grad, p.grad)
    return dev


def test_sequential_mlp_on_cuda():
    nt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    x = nt.randn(4, 3)
    y = nt.tensor([0, 1, 1, 0])
    _compare(model, x, lambda out: nn.CrossEntropyLoss()(out, y.to(out.device)))


def test_conv_batchnorm_pool_model_and_state_dict():
    nt.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3 * 2 * 2, 2))
    x = nt.randn(2, 2, 4, 4)
    dev = _compare(model, x, lambda out: (out * out).sum())
    bn_cpu, bn_dev = model[1], dev[1]
    _close(bn_dev.running_mean, bn_cpu.running_mean)
    _close(bn_dev.running_var, bn_cpu.running_var)
    assert int(bn_dev.num_batches_tracked) == 1 and bn_dev.num_batches_tracked.is_cuda
    model.eval()
    dev.eval()
    _close(dev(x.cuda()), model(x))
    sd = dev.state_dict()
    assert all(v.is_cuda for v in sd.values()) and list(sd) == list(model.state_dict())
    # CUDA state into a CPU model and CPU state into a CUDA model: the values are copied onto the module's device
    nt.manual_seed(5)
    fresh = copy.deepcopy(model)
    for p in fresh.parameters():
        with nt.no_grad():
            p.zero_()
    fresh.load_state_dict(sd)
    assert all(not v.is_cuda for v in fresh.state_dict().values())
    for k, v in fresh.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k].cpu().numpy())
    other = copy.deepcopy(fresh).cuda()
    with nt.no_grad():
        other[0].weight.zero_()
    other.load_state_dict(model.state_dict())
    assert other[0].weight.is_cuda
    _close(other[0].weight, model[0].weight)
    back = other.cpu()
    assert not back[0].weight.is_cuda and back[0].weight.grad is None


def test_to_device_and_dtype_with_grads():
    lin = nn.Linear(2, 2)
    lin(nt.ones(1, 2)).sum().backward()
    w = lin.weight
    lin.to("cuda", nt.float64)
    assert lin.weight is w and w.is_cuda and w.dtype is nt.float64 and w.grad.is_cuda and w.grad.dtype is nt.float64
    lin.to(nt.device("cpu"))
    assert not w.is_cuda and not w.grad.is_cuda


def test_data_parallel_runs_on_the_first_device():
    model = nn.Linear(3, 2, dtype=nt.float64)
    x = nt.tensor(np.random.default_rng(0).standard_normal((4, 3)))
    dp = nn.DataParallel(copy.deepcopy(model).cuda())
    assert dp.device_ids == list(range(nt.cuda.device_count())) and dp.output_device == 0
    _close(dp(x), model(x))  # a CPU input is moved to cuda:0, as torch scatters it
    assert list(dp.state_dict()) == ["module.weight", "module.bias"]
    try:
        nn.DataParallel(model)(x)
    except RuntimeError as exc:
        assert str(exc) == ("module must have its parameters and buffers on device cuda:0 (device_ids[0]) but "
                            "found one of them on device: cpu")
    else:
        raise AssertionError("a CPU module under DataParallel on a GPU machine must raise")
