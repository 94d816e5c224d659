"""torch.optim.NAdam: Adam with Nesterov momentum and the momentum_decay schedule."""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import zeros_like
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
    weight_decay_,
)


class NAdam(Optimizer):
    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        check_common(lr, eps)
        check_betas(betas)
        check_common(0.0, None, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, momentum_decay = group["weight_decay"], group["momentum_decay"]
            decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
            for p in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["mu_product"] = step_tensor(1.0)  # a float32 tensor, as in torch
                    state["exp_avg"] = zeros_like(p)
                    state["exp_avg_sq"] = zeros_like(p)
                mu_product = state["mu_product"]
                p, grad, exp_avg, exp_avg_sq = real_views(p, p.grad, state["exp_avg"], state["exp_avg_sq"])
                grad = grad if not maximize else -grad
                step = next_step(state["step"])
                bias_correction2 = 1 - beta2**step
                grad = weight_decay_(p, grad, lr, weight_decay, decoupled)
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
                mu_product.mul_(mu)
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = exp_avg_sq.div(bias_correction2).sqrt_()
                mu_prod = mu_product.item()
                mu_product_next = mu_prod * mu_next
                denom.add_(eps)
                p.addcdiv_(grad, denom, value=-lr * (1.0 - mu) / (1.0 - mu_prod))
                p.addcdiv_(exp_avg, denom, value=(-lr * mu_next) / (1.0 - mu_product_next))
        return loss
