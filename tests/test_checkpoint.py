"""Activation checkpointing (ntorch.utils.checkpoint), saved-tensor hooks (ntorch.autograd.graph) and fork_rng.

Gradients are checked against float64 finite differences (gradcheck) and against the same block run without
checkpointing; RNG-dependent blocks (dropout) must see the forward's random numbers again when recomputed."""

import warnings

import numpy as np
import pytest

import ntorch
from ntorch import nn
from ntorch.autograd.graph import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks
from ntorch.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential


def _block(w):
    def f(x):
        return (x @ w).tanh().exp() * x.sin()
    return f


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_gradients_match_finite_differences(use_reentrant):
    ntorch.manual_seed(0)
    w = ntorch.randn(4, 4, dtype=ntorch.float64, requires_grad=True)
    x = ntorch.randn(3, 4, dtype=ntorch.float64, requires_grad=True)
    assert ntorch.autograd.gradcheck(
        lambda a, b: checkpoint(lambda u, v: _block(v)(u), a, b, use_reentrant=use_reentrant), (x, w))


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpoint_with_dropout_replays_the_random_numbers(use_reentrant):
    model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Dropout(0.5), nn.Linear(16, 3)).double()
    x = ntorch.randn(6, 5, dtype=ntorch.float64, requires_grad=True)

    def grads(run):
        model.zero_grad()
        x.grad = None
        ntorch.manual_seed(7)
        out = run(x)
        (out * out).sum().backward()
        return [out.detach().numpy(), x.grad.numpy()] + [p.grad.numpy() for p in model.parameters()]

    plain = grads(model)
    ckpt = grads(lambda t: checkpoint(model, t, use_reentrant=use_reentrant))
    seq = grads(lambda t: checkpoint_sequential(model, 2, t, use_reentrant=use_reentrant))
    for a, b, c in zip(plain, ckpt, seq, strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_non_reentrant_recomputes_once_and_reaches_parameters_without_input_grad():
    calls = []
    lin = nn.Linear(3, 2).double()

    def f(x):
        calls.append(1)
        return lin(x).sigmoid()

    x = ntorch.randn(4, 3, dtype=ntorch.float64)  # no grad: the parameters still get theirs
    out = checkpoint(f, x, use_reentrant=False)
    assert len(calls) == 1
    out.sum().backward()
    assert len(calls) == 2  # one recomputation for all saved tensors
    s = 1 / (1 + np.exp(-(x.numpy() @ lin.weight.detach().numpy().T + lin.bias.detach().numpy())))
    np.testing.assert_allclose(lin.bias.grad.numpy(), (s * (1 - s)).sum(0), rtol=1e-12)


def test_non_reentrant_works_with_autograd_grad_and_kwargs():
    x = ntorch.randn(5, dtype=ntorch.float64, requires_grad=True)
    out = checkpoint(lambda t, scale: (t * scale).exp(), x, use_reentrant=False, scale=2.0)
    (g,) = ntorch.autograd.grad(out.sum(), [x])
    np.testing.assert_allclose(g.numpy(), 2 * np.exp(2 * x.detach().numpy()), rtol=1e-12)


def test_reentrant_rejects_kwargs_and_warns_without_grad_inputs():
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        checkpoint(lambda t, scale: t * scale, ntorch.ones(2), use_reentrant=True, scale=2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        checkpoint(lambda t: t * 2, ntorch.ones(2), use_reentrant=True)
        checkpoint(lambda t: t * 2, ntorch.ones(2, requires_grad=True))  # use_reentrant not given
    messages = [str(w.message) for w in caught]
    assert "None of the inputs have requires_grad=True. Gradients will be None" in messages
    assert any("use_reentrant parameter should be passed explicitly" in m for m in messages)
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda t: t, ntorch.ones(2), use_reentrant=True, debug=True)


def test_non_deterministic_block_is_caught():
    flip = []

    def f(x):
        flip.append(1)
        return x.exp() if len(flip) == 1 else x.exp().sin()  # the recomputation saves more tensors

    x = ntorch.randn(3, requires_grad=True)
    out = checkpoint(f, x, use_reentrant=False)
    with pytest.raises(CheckpointError):
        out.sum().backward()


def test_saved_tensors_hooks_transform_what_backward_reads():
    seen = []

    def pack(t):
        seen.append(tuple(t.shape))
        return t * 2  # no graph is recorded inside a pack hook

    def unpack(t):
        return t / 2

    x = ntorch.randn(3, dtype=ntorch.float64, requires_grad=True)
    w = ntorch.randn(3, 3, dtype=ntorch.float64, requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = ((x @ w).exp() * x).sin().sum()
    assert seen  # the saving ops went through the hook
    y.backward()
    xv, wv = x.detach().numpy(), w.detach().numpy()
    e = np.exp(xv @ wv)
    c = np.cos(e * xv)
    np.testing.assert_allclose(x.grad.numpy(), c * e + wv @ (c * e * xv), rtol=1e-12)


def test_unpack_hook_must_return_a_tensor_and_disable_blocks_registration():
    x = ntorch.randn(3, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = x.exp().sum()
    with pytest.raises(TypeError, match="unpack_hook expected to be a Tensor"):
        y.backward()
    with disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with saved_tensors_hooks(lambda t: t, lambda t: t):  # allowed again after the block
        pass


def test_save_on_cpu_gives_the_same_gradients():
    x = ntorch.randn(4, dtype=ntorch.float64, requires_grad=True)
    with save_on_cpu():
        y = (x.exp() * x).sum()
    y.backward()
    xv = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(xv) * (1 + xv), rtol=1e-12)


def test_fork_rng_restores_the_cpu_stream():
    ntorch.manual_seed(3)
    with ntorch.random.fork_rng():
        a = ntorch.rand(5)
    b = ntorch.rand(5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with ntorch.random.fork_rng(enabled=False):
        c = ntorch.rand(5)
    assert not np.array_equal(b.numpy(), c.numpy())
