"""Benchmark cases and the runner behind `ntorch bench` (and the pytest-benchmark suites in bench/).

    from ntorch.benchmarks import cases, build
    for case in cases(["matmul"]):
        ...
"""

from __future__ import annotations

from .case import COMPETITORS, SIZES, UNITS, Case, Ctx, Impls
from .suites import SUITE_NAMES, cases, description

__all__ = ["COMPETITORS", "SIZES", "SUITE_NAMES", "UNITS", "Case", "Ctx", "Impls", "cases", "description"]
