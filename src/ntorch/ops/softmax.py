"""softmax and log_softmax over any dim as fused, numerically stable kernels."""

from __future__ import annotations

# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {}
METHODS: dict = {}
