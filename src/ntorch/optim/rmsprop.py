"""torch.optim.RMSprop: alpha, centered, momentum, weight decay, maximize.

Each parameter takes one fused kernel (ops/optim_kernels.py) when optimizer.fused_group and optim_kernels.fusable
allow, else the op-by-op rule below.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import zeros_like
from ..ops.optim_kernels import fusable, rmsprop_
from .optimizer import (
    Optimizer,
    Params,
    _closure_loss,
    _use_grad,
    check_common,
    fused_group,
    next_step,
    params_with_grad,
    real_views,
    step_tensor,
)


class RMSprop(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        check_common(lr, eps)
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        check_common(0.0, None, weight_decay)
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach, maximize=maximize,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
            weight_decay, centered, maximize = group["weight_decay"], group["centered"], group["maximize"]
            fused = fused_group(group)
            for p in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["square_avg"] = zeros_like(p)
                    if momentum > 0:
                        state["momentum_buffer"] = zeros_like(p)
                    if centered:
                        state["grad_avg"] = zeros_like(p)
                grad_avg = state["grad_avg"] if centered else None
                buf = state["momentum_buffer"] if momentum > 0 else None
                p, grad, square_avg, grad_avg, buf = real_views(p, p.grad, state["square_avg"], grad_avg, buf)
                if fused and fusable(p, grad, square_avg, grad_avg, buf):
                    next_step(state["step"])
                    rmsprop_(p, grad, square_avg, grad_avg, buf, lr=lr, alpha=alpha, eps=eps,
                             weight_decay=weight_decay, momentum=momentum, centered=centered, maximize=maximize)
                    continue
                grad = grad if not maximize else -grad
                next_step(state["step"])
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
                if centered:
                    grad_avg.lerp_(grad, 1 - alpha)
                    avg = square_avg.clone().addcmul_(grad_avg, grad_avg, value=-1).sqrt_()
                else:
                    avg = square_avg.sqrt()
                avg.add_(eps)
                if momentum > 0:
                    buf.mul_(momentum).addcdiv_(grad, avg)
                    p.add_(buf, alpha=-lr)
                else:
                    p.addcdiv_(grad, avg, value=-lr)
        return loss
