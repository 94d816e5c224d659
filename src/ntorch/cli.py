"""The `ntorch` console script. It only reports versions so far; `ntorch bench` is planned (see bench/run.py)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import numba
    import numpy

    import ntorch

    args = sys.argv[1:] if argv is None else argv
    print(f"ntorch {ntorch.__version__} (numba {numba.__version__}, numpy {numpy.__version__})")
    if args:
        print(f"ntorch: unknown command {args[0]!r}; for benchmarks run `python bench/run.py`", file=sys.stderr)
        return 2
    return 0
