"""F.pad: constant, reflect, replicate and circular padding."""

from __future__ import annotations

# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {}
