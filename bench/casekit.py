"""What every benchmark case file shares: the Case record, input helpers, the optional torch import."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

try:
    import torch
except ImportError:  # the comparison is optional
    torch = None


@dataclass
class Case:
    suite: str
    name: str
    setup: Callable[[], dict]  # returns {"ntorch": fn, "numpy": fn?, "torch": fn?}
    work: float = 0.0  # bytes moved or flops, for throughput
    unit: str = "GB/s"


def _f32(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
