"""ntorch.amp: autocast's op policies (torch's lower-precision and float32 lists) and GradScaler's scaling rule,
checked against NumPy float64 oracles and torch's documented update rule."""

import warnings

import numpy as np
import pytest

import ntorch
from ntorch import amp, nn
from ntorch.nn import functional as F

F16 = ntorch.float16


def test_lower_precision_and_float32_policies():
    x = ntorch.randn(4, 8)
    lin = nn.Linear(8, 3)
    with ntorch.autocast("cpu", dtype=F16):
        assert ntorch.is_autocast_enabled("cpu") and ntorch.get_autocast_dtype("cpu") is F16
        y = lin(x)
        assert y.dtype is F16  # linear: lower precision
        assert (x @ x.T).dtype is F16 and ntorch.mm(x, x.T).dtype is F16
        assert F.conv2d(ntorch.randn(1, 2, 5, 5), ntorch.randn(3, 2, 3, 3)).dtype is F16
        # torch's CPU float32 list holds the losses but not softmax/layer_norm (CUDA's does): they keep float16
        assert y.softmax(-1).dtype is F16 and F.layer_norm(y, (3,)).dtype is F16
        assert F.cross_entropy(y, ntorch.tensor([0, 1, 2, 0])).dtype is ntorch.float32
        assert F.mse_loss(y, y.detach()).dtype is ntorch.float32
        d = ntorch.randn(3, 3, dtype=ntorch.float64)
        assert (d @ d).dtype is ntorch.float64  # float64 is never cast
        with ntorch.autocast("cpu", enabled=False):
            assert lin(x).dtype is ntorch.float32 and not ntorch.is_autocast_enabled("cpu")
        assert lin(x).dtype is F16
    assert not ntorch.is_autocast_enabled("cpu") and lin(x).dtype is ntorch.float32


def test_autocast_gradients_flow_to_float32_leaves():
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal((5, 4)), rng.standard_normal((3, 4))
    x = ntorch.tensor(xv, dtype=ntorch.float32, requires_grad=True)
    w = ntorch.tensor(wv, dtype=ntorch.float32, requires_grad=True)
    with ntorch.autocast("cpu", dtype=F16):
        out = F.linear(x, w)
        loss = (out.float() ** 2).sum()
    loss.backward()
    assert x.grad.dtype is ntorch.float32 and w.grad.dtype is ntorch.float32
    y = xv @ wv.T
    np.testing.assert_allclose(x.grad.numpy(), 2 * y @ wv, rtol=2e-2, atol=2e-2)  # float16 products
    np.testing.assert_allclose(w.grad.numpy(), 2 * y.T @ xv, rtol=2e-2, atol=2e-2)


def test_autocast_as_decorator_and_unsupported_dtype():
    @ntorch.autocast("cpu", dtype=F16)
    def f(a):
        return a @ a

    assert f(ntorch.ones(2, 2)).dtype is F16
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ntorch.autocast("cpu", dtype=ntorch.float64):  # not a CPU autocast dtype: disabled, as torch does
            assert (ntorch.ones(2, 2) @ ntorch.ones(2, 2)).dtype is ntorch.float32
    assert any("Disabling autocast" in str(w.message) for w in caught)
    assert any("CPU Autocast only supports dtypes of ntorch.bfloat16, ntorch.float16 currently" in str(w.message)
               for w in caught)
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        ntorch.autocast("tpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        ntorch.autocast(0)


def test_custom_fwd_casts_inputs_and_runs_without_autocast():
    class Square(ntorch.autograd.Function):
        @staticmethod
        @amp.custom_fwd(device_type="cpu", cast_inputs=ntorch.float32)
        def forward(ctx, a):
            ctx.save_for_backward(a)
            assert not ntorch.is_autocast_enabled("cpu")
            return a * a

        @staticmethod
        @amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = ntorch.randn(3, dtype=F16, requires_grad=True)
    with ntorch.autocast("cpu", dtype=F16):
        y = Square.apply(x)
    assert y.dtype is ntorch.float32


def _model_and_opt():
    ntorch.manual_seed(0)
    model = nn.Linear(3, 1)
    return model, ntorch.optim.SGD(model.parameters(), lr=0.1)


def test_grad_scaler_scales_unscales_and_steps():
    model, opt = _model_and_opt()
    w0 = model.weight.detach().clone()
    scaler = amp.GradScaler("cpu", init_scale=1024.0, growth_interval=2)
    x = ntorch.ones(2, 3)
    loss = model(x).sum()
    scaled = scaler.scale(loss)
    np.testing.assert_allclose(scaled.item(), 1024 * loss.item(), rtol=1e-6)
    scaled.backward()
    np.testing.assert_allclose(model.weight.grad.numpy(), 1024 * np.full((1, 3), 2.0))
    scaler.step(opt)  # unscales first
    np.testing.assert_allclose(model.weight.detach().numpy(), w0.numpy() - 0.1 * 2.0, rtol=1e-6)
    scaler.update()
    assert scaler.get_scale() == 1024.0 and scaler.state_dict()["_growth_tracker"] == 1
    opt.zero_grad()
    scaler.scale(model(x).sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert scaler.get_scale() == 2048.0  # growth_interval clean steps: x growth_factor, tracker reset
    assert scaler.state_dict() == {"scale": 2048.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                   "growth_interval": 2, "_growth_tracker": 0}


def test_grad_scaler_skips_steps_with_infinite_gradients():
    model, opt = _model_and_opt()
    scaler = amp.GradScaler("cpu", init_scale=8.0)
    scaler.scale(model(ntorch.ones(1, 3)).sum()).backward()
    model.weight.grad[0, 0] = float("inf")
    w0 = model.weight.detach().clone()
    assert scaler.step(opt) is None
    np.testing.assert_array_equal(model.weight.detach().numpy(), w0.numpy())
    scaler.update()
    assert scaler.get_scale() == 4.0  # backoff


def test_grad_scaler_errors_and_disabled_forms():
    model, opt = _model_and_opt()
    scaler = amp.GradScaler("cpu")
    scaler.scale(model(ntorch.ones(1, 3)).sum()).backward()
    scaler.unscale_(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called since the last update\\(\\)"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        scaler.step(opt, closure=lambda: 0)
    off = amp.GradScaler("cpu", enabled=False)
    loss = model(ntorch.ones(1, 3)).sum()
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        amp.GradScaler("cpu").load_state_dict({})
    with pytest.raises(AssertionError, match="The growth factor must be > 1.0."):
        amp.GradScaler("cpu", growth_factor=1.0)
    half = nn.Linear(2, 1).half()
    s = amp.GradScaler("cpu", init_scale=4.0)
    s.scale(half(ntorch.ones(1, 2, dtype=F16)).sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients."):
        s.unscale_(ntorch.optim.SGD(half.parameters(), lr=0.1))
