"""Pooling: max/avg pool 1d/2d, adaptive avg/max pool 2d."""

from __future__ import annotations

# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {}
