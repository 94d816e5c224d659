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


def _mlp_step(ctx: Ctx) -> dict:
    import ntorch

    batch = ctx.param
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 784)).astype(ctx.dtype)
    y = rng.integers(0, 10, batch)
    init = [(rng.standard_normal((256, 784)) * 0.05).astype(ctx.dtype), np.zeros(256, ctx.dtype),
            (rng.standard_normal((10, 256)) * 0.05).astype(ctx.dtype), np.zeros(10, ctx.dtype)]
    fns = {"ntorch": _step(ntorch, ctx.nt(x), ctx.nt(y), [ctx.nt(p.copy()).requires_grad_() for p in init])}
    if ctx.torch is not None:
        fns["torch"] = _step(ctx.torch, ctx.tc(x), ctx.tc(y), [ctx.tc(p.copy()).requires_grad_() for p in init])
    return fns


CASES = [
    Case("mlp-step", "784-256-10 step, batch {}", _mlp_step, sizes(8, 64, 256),
         lambda b, s: 2.0 * 3 * b * (784 * 256 + 256 * 10), "GFLOP/s", dtypes=("float32", "float64"), label=str),
]
