"""layer_norm, normalize, one_hot."""

from __future__ import annotations

# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {}
