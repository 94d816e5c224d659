"""torch.optim.Rprop: resilient backpropagation (per-element step sizes driven by the sign of the gradient)."""

from __future__ import annotations

from collections.abc import Callable

from ..ops.creation import full_like, tensor, zeros_like
from ..ops.pointwise import where
from ..tensor import Tensor
from .optimizer import (
    Optimizer,
    Params,
    _closure_loss,
    _use_grad,
    check_common,
    next_step,
    params_with_grad,
    real_views,
    step_tensor,
)


class Rprop(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        check_common(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            lr = group["lr"].item() if isinstance(group["lr"], Tensor) else group["lr"]
            for p in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = step_tensor()
                    state["prev"] = zeros_like(p)
                    # complex(lr, lr) for a complex p, as torch's
                    state["step_size"] = full_like(p.grad, complex(lr, lr) if p.is_complex() else lr)
                p, grad, prev, step_size = real_views(p, p.grad, state["prev"], state["step_size"])
                grad = grad if not group["maximize"] else -grad
                next_step(state["step"])
                sign = grad.mul(prev).sign()
                falling = sign < 0
                # torch's sign[sign > 0] = etaplus; sign[sign < 0] = etaminus; sign[sign == 0] = 1 (sign() is -1, 0
                # or 1: it maps NaN to 0, as torch's does)
                # (the constants as 0-d tensors of the gradient's dtype: two Python numbers would give a float32 where)
                plus, minus, one = (tensor(v, dtype=sign.dtype, device=sign.device) for v in (etaplus, etaminus, 1.0))
                factor = where(sign > 0, plus, where(falling, minus, one))
                step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                grad = where(falling, 0.0, grad)  # the sign flipped: no step, and no sign memory for the next one
                p.addcmul_(grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
