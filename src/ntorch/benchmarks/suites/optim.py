"""Optimizer steps on the 784-256-10 MLP's parameters (fixed gradients), and a whole training step written with
nn.Sequential, nn.CrossEntropyLoss and an optimizer (the module path a user writes)."""

from __future__ import annotations

import numpy as np

from ..case import Case, Ctx, same_size, sizes

DESCRIPTION = "SGD / SGD momentum / Adam step on the 784-256-10 MLP's parameters; nn.Sequential + Adam training step"

_SHAPES = ((256, 784), (256,), (10, 256), (10,))
_OPTIMIZERS = {"SGD": {}, "SGD momentum": {"momentum": 0.9}, "Adam": {}}


def _params(lib, ctx: Ctx, to) -> list:
    rng = np.random.default_rng(0)
    params = []
    for shape in _SHAPES:
        p = to(rng.standard_normal(shape).astype(ctx.dtype)).requires_grad_()
        p.grad = to(rng.standard_normal(shape).astype(ctx.dtype))
        params.append(p)
    return params


def _step(ctx: Ctx) -> dict:
    """One optimizer step; the result is the first weight after it (every library starts from the same values and
    gradients, so the runs agree)."""
    import ntorch

    name = ctx.param
    kw = _OPTIMIZERS[name]
    libs = {"ntorch": (ntorch, ctx.nt, {})}
    if ctx.torch is not None:
        libs["torch"] = (ctx.torch, ctx.tc, {"foreach": False})  # torch's per-parameter loop, as ntorch's
    fns = {}
    for lib_name, (lib, to, extra) in libs.items():
        params = _params(lib, ctx, to)
        opt = getattr(lib.optim, name.split()[0])(params, lr=1e-3, **kw, **extra)

        def fn(opt=opt, p=params[0]):
            opt.step()
            return p.detach()

        fns[lib_name] = fn
    fns["numpy"] = _numpy_step(name, ctx)
    return fns


def _numpy_step(name: str, ctx: Ctx, lr: float = 1e-3):
    """The same update in NumPy, in place (torch's formulas: Adam with bias corrections, eps outside the root)."""
    rng = np.random.default_rng(0)
    params, grads = [], []
    for shape in _SHAPES:
        params.append(rng.standard_normal(shape).astype(ctx.dtype))
        grads.append(rng.standard_normal(shape).astype(ctx.dtype))
    state = {"t": 0, "bufs": None, "m": [np.zeros_like(p) for p in params], "v": [np.zeros_like(p) for p in params]}

    def fn():
        state["t"] += 1
        t = state["t"]
        for i, (p, g) in enumerate(zip(params, grads)):
            if name == "SGD":
                p -= lr * g
            elif name == "SGD momentum":
                if state["bufs"] is None:
                    state["bufs"] = [np.zeros_like(q) for q in params]
                buf = state["bufs"][i]
                if t == 1:
                    buf[...] = g
                else:
                    buf *= 0.9
                    buf += g
                p -= lr * buf
            else:
                m, v = state["m"][i], state["v"][i]
                m += (1 - 0.9) * (g - m)
                v *= 0.999
                v += (1 - 0.999) * g * g
                denom = np.sqrt(v) / np.sqrt(1 - 0.999 ** t) + 1e-8
                p -= (lr / (1 - 0.9 ** t)) * m / denom
        return params[0]

    return fn


def _module_step(ctx: Ctx) -> dict:
    """A training step through the module API: Sequential(Linear, ReLU, Linear), CrossEntropyLoss, Adam."""
    import ntorch

    rng = np.random.default_rng(1)
    batch = ctx.param
    x = rng.standard_normal((batch, 784)).astype(ctx.dtype)
    y = rng.integers(0, 10, batch)
    weights = [(rng.standard_normal((256, 784)) * 0.05).astype(ctx.dtype), np.zeros(256, ctx.dtype),
               (rng.standard_normal((10, 256)) * 0.05).astype(ctx.dtype), np.zeros(10, ctx.dtype)]
    libs = {"ntorch": (ntorch, ctx.nt, {})}
    if ctx.torch is not None:
        libs["torch"] = (ctx.torch, ctx.tc, {"foreach": False})
    fns = {}
    for lib_name, (lib, to, extra) in libs.items():
        nn = lib.nn
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
        with lib.no_grad():
            for p, w in zip(model.parameters(), weights):
                p.copy_(to(w))
        if ctx.dtype == np.float64:
            model = model.double()
        opt = lib.optim.Adam(model.parameters(), lr=1e-3, **extra)
        loss_fn = nn.CrossEntropyLoss()
        xb, yb = to(x), to(y)

        def fn(model=model, opt=opt, loss_fn=loss_fn, xb=xb, yb=yb):
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
            return loss.detach()

        fns[lib_name] = fn
    return fns


_NUMEL = sum(int(np.prod(s)) for s in _SHAPES)

CASES = [
    Case("optim", "{} step", _step, same_size(["SGD", "SGD momentum", "Adam"]),
         lambda name, s: 3.0 * 4 * _NUMEL * s, "GB/s", label=str),
    Case("optim", "nn.Sequential + Adam step, batch {}", _module_step, sizes(8, 64, 256),
         lambda b, s: 2.0 * 3 * b * (784 * 256 + 256 * 10), "GFLOP/s", label=str),
]
