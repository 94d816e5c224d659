"""Autograd overhead: a tiny graph's forward + backward, and a long chain of elementwise ops on a 10-element
tensor, whose time per op is what recording a node and running its backward costs."""

from __future__ import annotations

import time

from ..case import Case, Ctx, same_size, sizes

DESCRIPTION = "(a*b).sum().backward() on 3x3; an n-op chain: forward, backward, both (time per op)"


def _tiny_graph(ctx: Ctx) -> dict:
    a, b = ctx.randn(3, 3), ctx.randn(3, 3, seed=1)
    ta, tb = ctx.nt(a).requires_grad_(), ctx.nt(b).requires_grad_()

    def step(x, y):
        def fn():
            x.grad = None
            (x * y).sum().backward()
            return x.grad

        return fn

    fns = {"ntorch": step(ta, tb)}
    if ctx.torch is not None:
        fns["torch"] = step(ctx.tc(a).requires_grad_(), ctx.tc(b).requires_grad_())
    return fns


def _chain(x, n_ops: int):
    z = x
    for _ in range(n_ops):
        z = z * 1.0001
    return z


def _leaves(ctx: Ctx) -> dict:
    x = ctx.randn(10)
    leaves = {"ntorch": ctx.nt(x).requires_grad_()}
    if ctx.torch is not None:
        leaves["torch"] = ctx.tc(x).requires_grad_()
    return leaves


def _forward(ctx: Ctx) -> dict:
    return {lib: (lambda x=x: _chain(x, ctx.param)) for lib, x in _leaves(ctx).items()}


def _backward(ctx: Ctx) -> dict:
    """Self-timed: builds the chain untimed, returns the seconds backward() took."""

    def timed(x):
        def fn():
            x.grad = None
            s = _chain(x, ctx.param).sum()
            t0 = time.perf_counter()
            s.backward()
            return time.perf_counter() - t0

        return fn

    return {lib: timed(x) for lib, x in _leaves(ctx).items()}


def _both(ctx: Ctx) -> dict:
    def fn(x):
        def run():
            x.grad = None
            _chain(x, ctx.param).sum().backward()
            return x.grad

        return run

    return {lib: fn(x) for lib, x in _leaves(ctx).items()}


_N = sizes(100, 10_000, 100_000)
_DTYPES = ("float32", "float64")


def _per_op(n, _s):
    return float(n)


CASES = [
    Case("autograd", "(a*b).sum().backward() 3x3", _tiny_graph, same_size(None), None, "", dtypes=_DTYPES),
    Case("autograd", "{}-op chain forward", _forward, _N, _per_op, "us/op", dtypes=_DTYPES, label=str),
    Case("autograd", "{}-op chain backward", _backward, _N, _per_op, "us/op", dtypes=_DTYPES, label=str,
         self_timed=True),
    Case("autograd", "{}-op chain fwd+bwd", _both, _N, _per_op, "us/op", dtypes=_DTYPES, label=str),
]
