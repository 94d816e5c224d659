"""torch.optim.Adamax: Adam with the infinity norm."""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import zeros_like
from ..ops.pointwise import FUNCTIONS as _POINTWISE
from .optimizer import (
    Optimizer,
    Params,
    _closure_loss,
    _use_grad,
    check_betas,
    check_common,
    next_step,
    params_with_grad,
    real_views,
    step_tensor,
)


class Adamax(Optimizer):
    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_common(lr, eps)
        check_betas(betas)
        check_common(0.0, None, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            for p in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["exp_avg"] = zeros_like(p)
                    state["exp_inf"] = zeros_like(p)
                p, grad, exp_avg, exp_inf = real_views(p, p.grad, state["exp_avg"], state["exp_inf"])
                grad = grad if not maximize else -grad
                step = next_step(state["step"])
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                exp_avg.lerp_(grad, 1 - beta1)
                _POINTWISE["maximum"](exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)
                clr = lr / (1 - beta1**step)
                p.addcdiv_(exp_avg, exp_inf, value=-clr)
        return loss
