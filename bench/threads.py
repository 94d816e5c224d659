"""--threads N for the standalone bench scripts: the thread counts of OpenBLAS, OpenMP/MKL (torch) and Numba are
read when those libraries load, so a script calls pin_threads_from_argv() before importing them. (Not from
ntorch.benchmarks: importing it loads ntorch, and with it Numba.)"""

from __future__ import annotations

import os
import sys

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads_from_argv() -> None:
    if "--threads" in sys.argv:
        n = sys.argv[sys.argv.index("--threads") + 1]
        for var in THREAD_VARS:
            os.environ[var] = n
