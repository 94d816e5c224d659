"""torch.optim.ASGD: averaged SGD (a decaying step size eta and a running average `ax` of the iterates)."""

from __future__ import annotations

from collections.abc import Callable

from .. import dtypes
from ..ops.creation import ones, tensor, zeros_like
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


class ASGD(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_common(lr, None, weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lambd, alpha, t0, weight_decay = group["lambd"], group["alpha"], group["t0"], group["weight_decay"]
            lr = group["lr"].item() if isinstance(group["lr"], Tensor) else group["lr"]
            for p in params_with_grad(group):
                state = self.state[p]
                if len(state) == 0:  # eta and mu: 0-d tensors of the default dtype on p's device, as torch's
                    state["step"] = step_tensor()
                    state["eta"] = tensor(lr, dtype=dtypes.get_default_dtype(), device=p.device)
                    state["mu"] = ones((), dtype=dtypes.get_default_dtype(), device=p.device)
                    state["ax"] = zeros_like(p)
                eta, mu = state["eta"], state["mu"]
                p, grad, ax = real_views(p, p.grad, state["ax"])
                grad = grad if not group["maximize"] else -grad
                step = next_step(state["step"])
                if weight_decay != 0:
                    grad = grad.add(p, alpha=weight_decay)
                eta_value = eta.item()
                p.mul_(1 - lambd * eta_value)  # decay term
                p.add_(grad, alpha=-eta_value)
                mu_value = mu.item()
                if mu_value != 1:
                    ax.add_(p.sub(ax).mul_(mu_value))
                else:
                    ax.copy_(p)
                # torch.as_tensor(value): rounded to the default dtype, then copied into eta / mu
                eta.copy_(tensor(lr / ((1 + lambd * lr * step) ** alpha)))
                mu.copy_(tensor(1 / max(1, step - t0)))
        return loss
