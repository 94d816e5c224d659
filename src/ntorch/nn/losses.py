"""Loss functions: cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy(_with_logits)."""

from __future__ import annotations

# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {}
