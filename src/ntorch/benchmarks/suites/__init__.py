"""The benchmark suites, one module each; the order here is the order they run and print in."""

from __future__ import annotations

from importlib import import_module

from ..case import Case

# suite name -> module (in this package) defining DESCRIPTION and CASES
_MODULES = {
    "elementwise": "elementwise",
    "transcendental": "transcendental",
    "broadcast": "broadcast",
    "reduction": "reduction",
    "softmax": "softmax",
    "matmul": "matmul",
    "conv": "conv",
    "indexing": "indexing",
    "shape": "shape",
    "sort": "sort",
    "autograd": "autograd",
    "mlp-step": "mlp",
    "optim": "optim",
    "overhead": "overhead",
    "warm-start": "warmstart",
    "cuda": "gpu",  # --device cuda only
}
SUITE_NAMES = tuple(_MODULES)


def _module(suite: str):
    return import_module(f"{__name__}.{_MODULES[suite]}")


def description(suite: str) -> str:
    return _module(suite).DESCRIPTION


def cases(suites: list[str] | tuple[str, ...] = SUITE_NAMES) -> list[Case]:
    """The cases of the named suites, in suite order."""
    out: list[Case] = []
    for suite in SUITE_NAMES:
        if suite in suites:
            found = _module(suite).CASES
            assert all(c.suite == suite for c in found), f"suite module {suite!r} defines a case of another suite"
            out.extend(found)
    return out
