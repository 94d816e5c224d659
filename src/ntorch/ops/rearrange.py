"""Rearranging copies: flip, roll, rot90, repeat, tile, tril/triu, diag family, kron, meshgrid."""

from __future__ import annotations

# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {}
METHODS: dict = {}
