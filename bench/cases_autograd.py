"""Benchmark cases: autograd overhead (tiny graph, op chain) and a 784-256-10 MLP training step."""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch
import ntorch.nn.functional as F


def _tiny_graph():
    a, b = _f32(3, 3), _f32(3, 3, seed=1)
    ta, tb = ntorch.from_numpy(a).requires_grad_(), ntorch.from_numpy(b).requires_grad_()
    fns = {"ntorch": lambda: (ta * tb).sum().backward()}
    if torch is not None:
        pa, pb = torch.from_numpy(a).requires_grad_(), torch.from_numpy(b).requires_grad_()
        fns["torch"] = lambda: (pa * pb).sum().backward()
    return fns


def _chain(n_ops: int):
    def setup():
        x = _f32(10)
        tx = ntorch.from_numpy(x).requires_grad_()

        def nt():
            z = tx
            for _ in range(n_ops):
                z = z * 1.0001
            z.sum().backward()

        fns = {"ntorch": nt}
        if torch is not None:
            px = torch.from_numpy(x).requires_grad_()

            def tc():
                z = px
                for _ in range(n_ops):
                    z = z * 1.0001
                z.sum().backward()

            fns["torch"] = tc
        return fns
    return setup


def _mlp_step(batch: int):
    """Forward + backward + SGD update of a 784-256-10 MLP with cross-entropy."""
    def setup():
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch, 784)).astype(np.float32)
        y = rng.integers(0, 10, batch)
        w1 = (rng.standard_normal((256, 784)) * 0.05).astype(np.float32)
        w2 = (rng.standard_normal((10, 256)) * 0.05).astype(np.float32)
        b1, b2 = np.zeros(256, np.float32), np.zeros(10, np.float32)
        nx, ny = ntorch.from_numpy(x), ntorch.from_numpy(y)
        nparams = [ntorch.from_numpy(p.copy()).requires_grad_() for p in (w1, b1, w2, b2)]

        def nt():
            W1, B1, W2, B2 = nparams
            loss = F.cross_entropy(F.linear(F.relu(F.linear(nx, W1, B1)), W2, B2), ny)
            loss.backward()
            with ntorch.no_grad():
                for p in nparams:
                    p.sub_(0.01 * p.grad)
                    p.grad = None

        fns = {"ntorch": nt}
        if torch is not None:
            TF = torch.nn.functional
            px, py = torch.from_numpy(x), torch.from_numpy(y)
            tparams = [torch.from_numpy(p.copy()).requires_grad_() for p in (w1, b1, w2, b2)]

            def tc():
                W1, B1, W2, B2 = tparams
                loss = TF.cross_entropy(TF.linear(TF.relu(TF.linear(px, W1, B1)), W2, B2), py)
                loss.backward()
                with torch.no_grad():
                    for p in tparams:
                        p.sub_(0.01 * p.grad)
                        p.grad = None

            fns["torch"] = tc
        return fns
    return setup


CASES: list[Case] = [
    Case("autograd", "(a*b).sum().backward() 3x3", _tiny_graph, 0.0, "-"),
    Case("autograd", "1000-op chain fwd+bwd", _chain(1000), 0.0, "-"),
    Case("mlp-step", "784-256-10 step, batch 64", _mlp_step(64), 2 * 3 * 64 * (784 * 256 + 256 * 10), "GFLOP/s"),
]
