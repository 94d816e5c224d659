"""torch.optim.Adam (with amsgrad, maximize and decoupled_weight_decay, which AdamW sets).

Each parameter takes one fused kernel (ops/optim_kernels.py) when optimizer.fused_group and optim_kernels.fusable
allow, else the op-by-op rule below.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import zeros_like
from ..ops.optim_kernels import adam_, fusable
from ..ops.pointwise import FUNCTIONS as _POINTWISE
from .optimizer import (
    Optimizer,
    Params,
    _closure_loss,
    _use_grad,
    check_betas,
    check_common,
    check_fused_flags,
    fused_group,
    next_step,
    params_with_grad,
    real_views,
    step_tensor,
    weight_decay_,
)


class Adam(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        check_common(lr, eps)
        check_betas(betas)
        check_common(0.0, None, weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                        fused=fused, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        check_fused_flags(fused, foreach, differentiable)

    def _state(self, p, amsgrad: bool) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_tensor()
            state["exp_avg"] = zeros_like(p)
            state["exp_avg_sq"] = zeros_like(p)
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_like(p)
        return state

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
            decoupled = group.get("decoupled_weight_decay", False)
            fused = fused_group(group)
            for p in params_with_grad(group):
                state = self._state(p, amsgrad)
                max_sq = state["max_exp_avg_sq"] if amsgrad else None  # KeyError as torch's, when missing
                param, grad, exp_avg, exp_avg_sq, max_sq = real_views(p, p.grad, state["exp_avg"],
                                                                      state["exp_avg_sq"], max_sq)
                if fused and fusable(param, grad, exp_avg, exp_avg_sq, max_sq):
                    adam_(param, grad, exp_avg, exp_avg_sq, max_sq, step=next_step(state["step"]), lr=lr,
                          beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                          maximize=maximize, decoupled=decoupled)
                    continue
                grad = grad if not maximize else -grad
                step = next_step(state["step"])
                grad = weight_decay_(param, grad, lr, weight_decay, decoupled)
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction1 = 1 - beta1**step
                bias_correction2 = 1 - beta2**step
                step_size = lr / bias_correction1
                bias_correction2_sqrt = bias_correction2**0.5
                if amsgrad:
                    _POINTWISE["maximum"](max_sq, exp_avg_sq, out=max_sq)
                    denom = max_sq.sqrt()
                else:
                    denom = exp_avg_sq.sqrt()
                denom.div_(bias_correction2_sqrt).add_(eps)
                param.addcdiv_(exp_avg, denom, value=-step_size)
        return loss
