"""torch.optim.SGD: momentum, dampening, Nesterov, weight decay, maximize (torch's single-tensor rule).

Each parameter takes one fused kernel (ops/optim_kernels.py) when optimizer.fused_group and optim_kernels.fusable
allow, else the op-by-op rule below.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import empty_like
from ..ops.optim_kernels import fusable, sgd_
from .optimizer import (
    Optimizer,
    Params,
    _closure_loss,
    _use_grad,
    check_fused_flags,
    fused_group,
    params_with_grad,
)


class SGD(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach, differentiable=differentiable,
                        fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused_flags(fused, foreach, differentiable)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            fused = fused_group(group)
            for p in params_with_grad(group):
                if fused and self._fused_step(p, lr, momentum, dampening, weight_decay, nesterov, maximize):
                    continue
                grad = p.grad if not maximize else -p.grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = grad.detach().clone()
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    grad = grad.add(buf, alpha=momentum) if nesterov else buf
                p.add_(grad, alpha=-lr)
        return loss

    def _fused_step(self, p, lr, momentum, dampening, weight_decay, nesterov, maximize) -> bool:
        """One fused kernel for p and its momentum buffer (made here on the first step); False when p does not
        qualify (it then runs op by op)."""
        buf = self.state[p].get("momentum_buffer") if momentum != 0 else None
        if not fusable(p, p.grad, buf):
            return False
        first = momentum != 0 and buf is None
        if first:
            buf = self.state[p]["momentum_buffer"] = empty_like(p)
        sgd_(p, p.grad, buf, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
             nesterov=nesterov, maximize=maximize, first=first)
        return True
