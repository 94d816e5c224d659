"""Sorting and selection: sort, argsort, topk, kthvalue, median, mode, unique, searchsorted, histc."""

from __future__ import annotations

# ntorch.<name> and Tensor.<name>: bound in ntorch/__init__.py and ntorch/_methods.py
FUNCTIONS: dict = {}
METHODS: dict = {}
