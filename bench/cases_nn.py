"""Benchmark cases: softmax, log_softmax, cross_entropy, layer_norm, losses. Appended to bench/cases.py."""

from __future__ import annotations

from casekit import Case, _f32, torch  # noqa: F401

import ntorch  # noqa: F401

CASES: list[Case] = []
