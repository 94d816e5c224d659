"""Benchmark cases: cat / stack / flip / roll / pad and other rearranging copies. Appended to bench/cases.py's CASES."""

from __future__ import annotations

from casekit import Case, _f32, torch  # noqa: F401

import ntorch  # noqa: F401

CASES: list[Case] = []
