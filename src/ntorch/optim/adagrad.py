"""torch.optim.Adagrad: lr_decay, initial_accumulator_value, weight decay, maximize.

Each parameter takes one fused kernel (ops/optim_kernels.py) when optimizer.fused_group and optim_kernels.fusable
allow, else the op-by-op rule below.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import full_like
from ..ops.optim_kernels import adagrad_, fusable
from .optimizer import (
    Optimizer,
    Params,
    _closure_loss,
    _use_grad,
    check_common,
    check_fused_flags,
    fused_group,
    next_step,
    params_with_grad,
    real_views,
    step_tensor,
)


class Adagrad(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        check_common(lr)
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        check_common(0.0, None, weight_decay)
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        check_common(0.0, eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        check_fused_flags(fused, foreach, differentiable)
        for group in self.param_groups:  # torch makes Adagrad's state eagerly
            for p in group["params"]:
                state = self.state[p]
                state["step"] = step_tensor()
                init = group["initial_accumulator_value"]  # complex(v, v) for a complex p, as torch's
                state["sum"] = full_like(p, complex(init, init) if p.is_complex() else init)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
            weight_decay, maximize = group["weight_decay"], group["maximize"]
            fused = fused_group(group)
            for p in params_with_grad(group):
                state = self.state[p]
                p, grad, state_sum = real_views(p, p.grad, state["sum"])
                if fused and fusable(p, grad, state_sum):
                    adagrad_(p, grad, state_sum, step=next_step(state["step"]), lr=lr, lr_decay=lr_decay,
                             eps=eps, weight_decay=weight_decay, maximize=maximize)
                    continue
                step = next_step(state["step"])
                grad = grad if not maximize else -grad
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                clr = lr / (1 + (step - 1) * lr_decay)
                state_sum.addcmul_(grad, grad, value=1)
                std = state_sum.sqrt().add_(eps)
                p.addcdiv_(grad, std, value=-clr)
        return loss
