"""The benchmark case record and the context a case builds its inputs with.

A case is declarative: its suite, a name template, the problem size for each of small / medium / large,
the dtypes and devices it supports, what it counts (bytes or flops) and how its result is checked against
the competitors. `build(ctx)` makes the inputs once and returns one zero-argument callable per library, so
every library is timed on the same data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SIZES = ("small", "medium", "large")
LIBRARIES = ("ntorch", "numpy", "torch")
COMPETITORS = ("numpy", "torch")

# How a case's work turns into the throughput column: name -> (value from (work, seconds), higher is better).
UNITS: dict[str, Callable[[float, float], float]] = {
    "GB/s": lambda work, s: work / s / 1e9,
    "GFLOP/s": lambda work, s: work / s / 1e9,
    "us/op": lambda work, s: s / work * 1e6,
}


def default_label(param: Any) -> str:
    """1000000 -> '1e6', (4096, 4096) -> '4096x4096', 64 -> '64'."""
    if isinstance(param, tuple):
        return "x".join(default_label(p) for p in param)
    if isinstance(param, int) and param >= 10_000:
        exp = len(str(param)) - 1
        lead, rest = divmod(param, 10**exp)
        if rest == 0:
            return f"{lead}e{exp}" if lead > 1 else f"1e{exp}"
    return str(param)


def sizes(small: Any, medium: Any, large: Any) -> dict[str, tuple]:
    """One problem per size; pass a list to sweep several problems at one size."""
    return {k: tuple(v) if isinstance(v, list) else (v,) for k, v in zip(SIZES, (small, medium, large))}


def same_size(param: Any) -> dict[str, tuple]:
    """A case whose problem does not scale (a tiny op, a process start)."""
    return sizes(param, param, param)


@dataclass
class Impls:
    """What `Case.build` returns: a callable per library and, optionally, a custom result check.

    `check(ntorch_out, other_out)` returns None when the results agree, else a short message.
    """

    fns: dict[str, Callable[[], Any]]
    check: Callable[[Any, Any], str | None] | None = None
    cleanup: Callable[[], None] | None = None  # called once timing is over (temporary files, ...)


@dataclass
class Ctx:
    """Inputs to a case's build: the problem parameter, dtype, device and the competitor modules."""

    param: Any
    dtype: np.dtype
    device: str = "cpu"
    torch: Any = None  # the torch module when it is a selected, importable competitor

    def randn(self, *shape: int, seed: int = 0, scale: float = 1.0) -> np.ndarray:
        """Standard normal values of the case's dtype (integers for integer dtypes)."""
        rng = np.random.default_rng(seed)
        if self.dtype.kind in "iu":
            return rng.integers(-100, 100, shape).astype(self.dtype)
        return (rng.standard_normal(shape) * scale).astype(self.dtype)

    def nt(self, a: np.ndarray):
        """The ntorch tensor of a NumPy array, on the case's device."""
        import ntorch

        t = ntorch.from_numpy(a)
        return t if self.device == "cpu" else t.to(self.device)

    def tc(self, a: np.ndarray):
        """The torch tensor of a NumPy array, on the case's device."""
        t = self.torch.from_numpy(a)
        return t if self.device == "cpu" else t.to(self.device)


@dataclass
class Case:
    """One benchmark: `name` may hold '{}' for the size label, e.g. 'add {}' -> 'add 1e6'."""

    suite: str
    name: str
    build: Callable[[Ctx], Impls | dict]
    sizes: dict[str, tuple]
    work: Callable[[Any, int], float] | None = None  # (param, itemsize) -> bytes or flops
    unit: str = "GB/s"
    dtypes: tuple[str, ...] = ("float32",)  # the first is the default
    devices: tuple[str, ...] = ("cpu",)
    label: Callable[[Any], str] = default_label
    self_timed: bool = False  # each call returns the seconds it measured itself (e.g. in a subprocess)
    warmup: bool = True
    tol: float = 1.0  # multiplies the dtype's default tolerance
    notes: str = field(default="")

    def __post_init__(self):
        if self.unit not in UNITS and self.unit != "":
            raise ValueError(f"case {self.name!r}: unknown unit {self.unit!r}")

    def title(self, param: Any) -> str:
        return self.name.format(self.label(param)) if "{}" in self.name else self.name

    def work_for(self, param: Any, dtype: str) -> float | None:
        if self.work is None:
            return None
        return float(self.work(param, np.dtype(dtype).itemsize))
