"""Per-op host cost: common ops on an 8x16 tensor, where the Python path (argument parsing, dtype and shape
checks, dispatch, wrapping) costs more than the loop. One row per op, so a regression in one op's path shows."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

import ntorch
import ntorch.nn.functional as F

from ..case import Case, Ctx, same_size

DESCRIPTION = "per-op host cost of ~40 common ops on an 8x16 tensor (time per call)"

_SHAPE = (8, 16)

# name -> (call with (library module, its functional module, inputs), the NumPy equivalent or None).
# The inputs: a, b (float, 8x16), mask (a > 0.5), idx (int64 8x16 in [0, 8)), row (idx[0, :3]).
_OPS: dict[str, tuple[Callable[[Any, Any, Any], Any], Callable[[Any], Any] | None]] = {
    "a + b": (lambda m, f, v: v.a + v.b, lambda v: v.a + v.b),
    "a * 2": (lambda m, f, v: v.a * 2, lambda v: v.a * 2),
    "a.exp()": (lambda m, f, v: v.a.exp(), lambda v: np.exp(v.a)),
    "a > b": (lambda m, f, v: v.a > v.b, lambda v: v.a > v.b),
    "a.add_(b)": (lambda m, f, v: v.c.add_(v.b), None),
    "a.sum()": (lambda m, f, v: v.a.sum(), lambda v: v.a.sum()),
    "a.sum(1)": (lambda m, f, v: v.a.sum(1), lambda v: v.a.sum(1)),
    "a.mean()": (lambda m, f, v: v.a.mean(), lambda v: v.a.mean()),
    "a.max()": (lambda m, f, v: v.a.max(), lambda v: v.a.max()),
    "a.max(1)": (lambda m, f, v: v.a.max(1), None),
    "a.argmax()": (lambda m, f, v: v.a.argmax(), lambda v: v.a.argmax()),
    "a.argmax(1)": (lambda m, f, v: v.a.argmax(1), lambda v: v.a.argmax(1)),
    "a.std()": (lambda m, f, v: v.a.std(), lambda v: v.a.std(ddof=1)),
    "a.cumsum(1)": (lambda m, f, v: v.a.cumsum(1), lambda v: v.a.cumsum(1)),
    "a.softmax(-1)": (lambda m, f, v: v.a.softmax(-1), None),
    "F.layer_norm": (lambda m, f, v: f.layer_norm(v.a, (16,)), None),
    "F.cross_entropy": (lambda m, f, v: f.cross_entropy(v.a, v.idx[:, 0]), None),
    "a.sort(1)": (lambda m, f, v: m.sort(v.a, 1), None),
    "a.topk(3)": (lambda m, f, v: v.a.topk(3), None),
    "where(mask, a, b)": (lambda m, f, v: m.where(v.mask, v.a, v.b), lambda v: np.where(v.mask, v.a, v.b)),
    "a.clamp(0.2, 0.8)": (lambda m, f, v: v.a.clamp(0.2, 0.8), lambda v: np.clip(v.a, 0.2, 0.8)),
    "a.masked_fill(mask, 0)": (lambda m, f, v: v.a.masked_fill(v.mask, 0.0), None),
    "a.gather(1, idx)": (lambda m, f, v: v.a.gather(1, v.idx), lambda v: np.take_along_axis(v.a, v.idx, 1)),
    "a[idx[0, :3]]": (lambda m, f, v: v.a[v.row], lambda v: v.a[v.row]),
    "a[mask]": (lambda m, f, v: v.a[v.mask], lambda v: v.a[v.mask]),
    "a[0]": (lambda m, f, v: v.a[0], lambda v: v.a[0]),
    "a[:, 1]": (lambda m, f, v: v.a[:, 1], lambda v: v.a[:, 1]),
    "a.view(-1)": (lambda m, f, v: v.a.view(-1), lambda v: v.a.reshape(-1)),
    "a.t().contiguous()": (lambda m, f, v: v.a.t().contiguous(), lambda v: np.ascontiguousarray(v.a.T)),
    "a.expand(2, 8, 16)": (lambda m, f, v: v.a.expand(2, 8, 16), lambda v: np.broadcast_to(v.a, (2, 8, 16))),
    "a.permute(1, 0)": (lambda m, f, v: v.a.permute(1, 0), lambda v: v.a.transpose(1, 0)),
    "a.flip(0)": (lambda m, f, v: v.a.flip(0), lambda v: np.flip(v.a, 0)),
    "stack([a, b])": (lambda m, f, v: m.stack([v.a, v.b]), lambda v: np.stack([v.a, v.b])),
    "cat([a, b])": (lambda m, f, v: m.cat([v.a, v.b]), lambda v: np.concatenate([v.a, v.b])),
    "zeros(8, 16)": (lambda m, f, v: m.zeros(8, 16), lambda v: np.zeros((8, 16), np.float32)),
    "zeros_like(a)": (lambda m, f, v: m.zeros_like(v.a), lambda v: np.zeros_like(v.a)),
    "full((8, 16), 2.0)": (lambda m, f, v: m.full((8, 16), 2.0), lambda v: np.full((8, 16), 2.0, np.float32)),
    "arange(10)": (lambda m, f, v: m.arange(10), lambda v: np.arange(10)),
    "a.copy_(b)": (lambda m, f, v: v.c.copy_(v.b), None),
    "a @ b.t()": (lambda m, f, v: v.a @ v.b.t(), lambda v: v.a @ v.b.T),
    "F.linear(a, b)": (lambda m, f, v: f.linear(v.a, v.b), lambda v: v.a @ v.b.T),
    "einsum('ij,kj->ik')": (lambda m, f, v: m.einsum("ij,kj->ik", v.a, v.b), None),
    "equal(a, a)": (lambda m, f, v: m.equal(v.a, v.a), lambda v: np.array_equal(v.a, v.a)),
}


def _inputs(wrap: Callable[[np.ndarray], Any], a: np.ndarray, b: np.ndarray, idx: np.ndarray) -> SimpleNamespace:
    ta, tb, tidx = wrap(a), wrap(b), wrap(idx)
    return SimpleNamespace(a=ta, b=tb, c=wrap(a.copy()), mask=ta > 0.5, idx=tidx, row=tidx[0, :3])


def _op(name: str):
    call, np_call = _OPS[name]

    def build(ctx: Ctx) -> dict:
        rng = np.random.default_rng(0)
        a = rng.random(ctx.param).astype(ctx.dtype)
        b = (rng.random(ctx.param) * 2).astype(ctx.dtype)
        idx = rng.integers(0, ctx.param[0], ctx.param).astype(np.int64)
        nv = _inputs(ctx.nt, a, b, idx)
        fns = {"ntorch": lambda: call(ntorch, F, nv)}
        if np_call is not None:
            npv = SimpleNamespace(a=a, b=b, mask=a > 0.5, idx=idx, row=idx[0, :3])
            fns["numpy"] = lambda: np_call(npv)
        if ctx.torch is not None:
            tv = _inputs(ctx.tc, a, b, idx)
            tf = ctx.torch.nn.functional
            fns["torch"] = lambda: call(ctx.torch, tf, tv)
        return fns

    return build


CASES = [Case("overhead", name, _op(name), same_size(_SHAPE), None, "", notes="host cost, not the loop")
         for name in _OPS]
