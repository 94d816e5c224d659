"""One training step of a 784-256-10 MLP: forward, cross-entropy, backward and an SGD update."""

from __future__ import annotations

import numpy as np

from ..case import Case, Ctx, sizes

DESCRIPTION = "forward + backward + SGD step of a 784-256-10 MLP (batch 8 / 64 / 256)"


def _step(lib, x, y, params):
    """The same step written once for ntorch and torch (their APIs agree); returns the loss."""
    F = lib.nn.functional

    def fn():
        w1, b1, w2, b2 = params
        loss = F.cross_entropy(F.linear(F.relu(F.linear(x, w1, b1)), w2, b2), y)
        loss.backward()
        with lib.no_grad():
            for p in params:
                p.sub_(0.01 * p.grad)
                p.grad = None
        return loss

    return fn


def _numpy_loss(x, y, init):
    """The first step's loss computed on the host in float64 (NumPy has no autograd: a check, not a competitor)."""
    w1, b1, w2, b2 = (p.astype(np.float64) for p in init)
    logits = np.maximum(x.astype(np.float64) @ w1.T + b1, 0.0) @ w2.T + b2
    m = logits.max(axis=1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(axis=1)) + m[:, 0]
    return np.float64((lse - logits[np.arange(len(y)), y]).mean()).astype(x.dtype)


def build_step(ctx: Ctx, batch: int, dims: tuple[int, int, int] = (784, 256, 10), reference: bool = False) -> dict:
    """The step's callables for an in-hidden-out MLP on ctx's device; with `reference`, also NumPy's loss of the
    first step under "numpy" (for the cuda suite, where NumPy only checks results)."""
    import ntorch

    n_in, hidden, n_out = dims
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, n_in)).astype(ctx.dtype)
    y = rng.integers(0, n_out, batch)
    init = [(rng.standard_normal((hidden, n_in)) * 0.05).astype(ctx.dtype), np.zeros(hidden, ctx.dtype),
            (rng.standard_normal((n_out, hidden)) * 0.05).astype(ctx.dtype), np.zeros(n_out, ctx.dtype)]
    fns = {"ntorch": _step(ntorch, ctx.nt(x), ctx.nt(y), [ctx.nt(p.copy()).requires_grad_() for p in init])}
    if ctx.torch is not None:
        fns["torch"] = _step(ctx.torch, ctx.tc(x), ctx.tc(y), [ctx.tc(p.copy()).requires_grad_() for p in init])
    if reference:
        fns["numpy"] = lambda: _numpy_loss(x, y, init)
    return fns


def _mlp_step(ctx: Ctx) -> dict:
    return build_step(ctx, ctx.param)


CASES = [
    Case("mlp-step", "784-256-10 step, batch {}", _mlp_step, sizes(8, 64, 256),
         lambda b, s: 2.0 * 3 * b * (784 * 256 + 256 * 10), "GFLOP/s", dtypes=("float32", "float64"), label=str),
]
