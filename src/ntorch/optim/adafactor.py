"""torch.optim.Adafactor: second moments factored into row and column means for matrices (torch 2.13's variant:
lr caps the relative step size and scales the decoupled weight decay; eps1 guards the variance estimate)."""

from __future__ import annotations

from collections.abc import Callable

from .. import dtypes
from ..ops.creation import zeros, zeros_like
from ..ops.reduction import norm
from ..tensor import Tensor
from .optimizer import Optimizer, Params, _closure_loss, _use_grad, next_step, refuse_complex, step_tensor


class Adafactor(Optimizer):
    def __init__(self, params: Params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _state(self, p: Tensor) -> dict:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = step_tensor()
            grad = p.grad
            if grad.dim() > 1:  # factored: a mean over the last dim (rows) and over the second-to-last (columns)
                shape = list(grad.shape)
                state["row_var"] = zeros(shape[:-1] + [1], dtype=grad.dtype, device=grad.device)
                state["col_var"] = zeros(shape[:-2] + [1, shape[-1]], dtype=grad.dtype, device=grad.device)
            else:
                state["variance"] = zeros_like(grad)
        return state

    @_use_grad
    def step(self, closure: Callable | None = None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            d, beta2_decay, weight_decay = group["d"], group["beta2_decay"], group["weight_decay"]
            lr = group["lr"].item() if isinstance(group["lr"], Tensor) else group["lr"]
            refuse_complex(group, "Adafactor")
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self._state(p)
                grad = p.grad if not group["maximize"] else -p.grad
                if eps1 is None:  # as torch: set from the first parameter's dtype, then kept for the group
                    eps1 = dtypes.finfo(p.dtype).eps
                step = next_step(state["step"])
                one_minus_beta2_t = step**beta2_decay
                rho_t = min(lr, 1 / (step**0.5))
                alpha = max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho_t
                if weight_decay != 0:
                    p.mul_(1 - lr * weight_decay)
                if grad.dim() > 1:
                    row_var, col_var = state["row_var"], state["col_var"]
                    row_mean = norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1))
                    row_var.lerp_(row_mean, one_minus_beta2_t)
                    col_mean = norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2))
                    col_var.lerp_(col_mean, one_minus_beta2_t)
                    var_estimate = row_var @ col_var
                    var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
                else:
                    variance = state["variance"]
                    variance.lerp_(grad * grad, one_minus_beta2_t)
                    var_estimate = variance.clone()
                update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_()  # eps1 squared: the sqrt brings it back
                update.mul_(grad)
                denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
                p.add_(update, alpha=-alpha / denom)
        return loss
