"""Convolutions: conv1d, conv2d, conv_transpose2d, unfold, fold."""

from __future__ import annotations

# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {}
