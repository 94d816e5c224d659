"""ntorch.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp built on the engine's grad()."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..tensor import Tensor
from . import grad_mode
from .engine import grad


def _tuple(x) -> tuple[tuple, bool]:
    if isinstance(x, Tensor):
        return (x,), True
    return tuple(x), False


def _prepare(inputs, create_graph: bool) -> tuple:
    """Fresh leaves that require grad (the caller's tensors are left alone, as in PyTorch)."""
    return tuple(t if create_graph and t.requires_grad else t.detach().requires_grad_() for t in inputs)


def _grads(outputs, inputs, grad_outputs, create_graph: bool, strict: bool, what: str) -> tuple:
    from ..ops.creation import zeros_like

    if not any(o.requires_grad for o in outputs):
        if strict:
            raise RuntimeError(f"The output of the user-provided function is independent of input 0. This is not "
                               f"allowed in strict mode when computing {what}.")
        return tuple(zeros_like(t) for t in inputs)
    diff = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    gs = grad([o for o, _ in diff], inputs, [g for _, g in diff], retain_graph=True, create_graph=create_graph,
              allow_unused=True)
    result = []
    for i, (g, t) in enumerate(zip(gs, inputs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent of input {i}. This is "
                                   "not allowed in strict mode.")
            g = zeros_like(t)
        result.append(g)
    return tuple(result)


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T J)."""
    ins, single_in = _tuple(inputs)
    with grad_mode.enable_grad():
        ins = _prepare(ins, create_graph)
        out = func(*ins)
        outs, single_out = _tuple(out)
        if v is None:
            if len(outs) != 1 or outs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided function returns a single "
                                   "Tensor with a single element.")
            from ..ops.creation import ones_like

            vs = (ones_like(outs[0]),)
        else:
            vs, _ = _tuple(v)
        res = _grads(outs, ins, vs, create_graph, strict, "vjp")
    out = outs[0] if single_out else outs
    if not create_graph:
        out = out.detach() if single_out else tuple(o.detach() for o in outs)
    return out, (res[0] if single_in else res)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), J v), by the double-vjp trick: J v = d/du (u^T J v)... computed as grad of (J^T u) . v."""
    from ..ops.creation import ones_like, zeros_like

    ins, single_in = _tuple(inputs)
    with grad_mode.enable_grad():
        ins = _prepare(ins, create_graph)
        outs, single_out = _tuple(func(*ins))
        if v is None:
            if len(ins) != 1 or ins[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the input to the user-provided function is a "
                                   "single Tensor with a single element.")
            vs = (ones_like(ins[0]),)
        else:
            vs, _ = _tuple(v)
        us = tuple(zeros_like(o).requires_grad_() for o in outs)
        gs = _grads(outs, ins, us, True, strict, "jvp")
        pairs = [(g, w) for g, w in zip(gs, vs) if g.requires_grad]
        if not pairs:
            res = tuple(zeros_like(o) for o in outs)
        else:
            res = grad([g for g, _ in pairs], us, [w for _, w in pairs], create_graph=create_graph,
                       allow_unused=True, retain_graph=True)
            res = tuple(r if r is not None else zeros_like(o) for r, o in zip(res, outs))
    out = outs[0] if single_out else outs
    if not create_graph:
        out = out.detach() if single_out else tuple(o.detach() for o in outs)
        res = tuple(r.detach() for r in res)
    return out, (res[0] if single_out else res)


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """J[i][j] of shape out_i.shape + in_j.shape, one vjp per output element."""
    from ..ops.creation import zeros, zeros_like
    from ..ops.joins import stack

    ins, single_in = _tuple(inputs)
    with grad_mode.enable_grad():
        ins = _prepare(ins, create_graph)
        outs, single_out = _tuple(func(*ins))
        jac = []
        for out in outs:
            rows = [[] for _ in ins]
            for k in range(out.numel()):
                v = zeros_like(out)
                v._data[np.unravel_index(k, v._data.shape)] = 1
                gs = _grads((out,), ins, (v,), create_graph, strict, "jacobian")
                for j, g in enumerate(gs):
                    rows[j].append(g)
            blocks = []
            for j, t in enumerate(ins):
                shape = tuple(out.shape) + tuple(t.shape)
                if rows[j]:
                    blocks.append(stack(rows[j]).reshape(shape))
                else:
                    blocks.append(zeros(shape, dtype=t.dtype))
            jac.append(blocks)
    if not create_graph:
        jac = [[b.detach() for b in row] for row in jac]
    if single_out and single_in:
        return jac[0][0]
    if single_out:
        return tuple(jac[0])
    if single_in:
        return tuple(row[0] for row in jac)
    return tuple(tuple(row) for row in jac)


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Jacobian of the gradient of a scalar function."""
    ins, single_in = _tuple(inputs)

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor with a single element")
        gs = _grads((out,), xs, (_ones(out),), True, strict, "hessian")
        return gs[0] if single_in else gs

    return jacobian(gradient, ins[0] if single_in else ins, create_graph=create_graph, strict=strict)


def _ones(t: Tensor) -> Tensor:
    from ..ops.creation import ones_like

    return ones_like(t)


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), v^T H)."""
    ins, single_in = _tuple(inputs)
    with grad_mode.enable_grad():
        ins = _prepare(ins, True)
        out = func(*ins)
        gs = _grads((out,), ins, (_ones(out),), True, strict, "vhp")
        vs, _ = _tuple(v) if v is not None else ((_ones(ins[0]),), True)
        pairs = [(g, w) for g, w in zip(gs, vs)]
        res = _grads(tuple(g for g, _ in pairs), ins, tuple(w for _, w in pairs), create_graph, strict, "vhp")
    out = out if create_graph else out.detach()
    return out, (res[0] if single_in else res)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """(func(inputs), H v); equal to vhp since the Hessian is symmetric for twice-differentiable functions."""
    return vhp(func, inputs, v, create_graph, strict)
