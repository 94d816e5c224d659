"""Joins and splits: cat/stack/hstack/vstack/dstack, split/tensor_split/chunk."""

from __future__ import annotations

# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {}
METHODS: dict = {}
