"""Scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp, diff."""

from __future__ import annotations

# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {}
METHODS: dict = {}
