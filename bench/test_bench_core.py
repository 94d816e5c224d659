"""pytest-benchmark view of bench/cases.py: `pytest bench --benchmark-only`."""

import pytest
from cases import CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.suite}:{c.name}")
@pytest.mark.parametrize("impl", ["ntorch", "numpy", "torch"])
def test_case(benchmark, case, impl):
    fns = case.setup()
    if impl not in fns:
        pytest.skip(f"{impl} is not installed")
    fn = fns[impl]
    fn()
    benchmark.group = f"{case.suite}:{case.name}"
    benchmark(fn)
