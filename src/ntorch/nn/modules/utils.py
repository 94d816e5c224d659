"""Argument helpers of the layers: an int or a sequence as an n-tuple (torch's _single, _pair, ...)."""

from __future__ import annotations

from collections.abc import Iterable


def _ntuple(n: int, name: str):
    def parse(x):
        if isinstance(x, Iterable) and not isinstance(x, str):
            return tuple(x)
        return (x,) * n

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t: tuple) -> tuple:
    """(a, b) -> (b, b, a, a): a conv's per-dim padding as F.pad's last-dim-first pairs."""
    return tuple(x for x in reversed(t) for _ in range(2))
