"""The CUDA kernel tests run under Numba's CUDA simulator (NUMBA_ENABLE_CUDASIM=1, tiny shapes, in their own
pytest process) or on a real GPU (larger shapes too); anywhere else they are skipped.

There is no __init__.py in this folder on purpose: it would make the folder a package named `cuda`, which
shadows NVIDIA's `cuda` namespace package (cuda.bindings) that numba-cuda imports.
"""

import os
import warnings

import pytest
import sim_sequential
from cuda_util import GPU, RUN, SIMULATOR

if SIMULATOR and os.environ.get("NTORCH_SIM_THREADS") != "1":  # =1: numba-cuda's own threaded simulator
    sim_sequential.install()

REASON = ("CUDA kernel tests need the CUDA simulator (NUMBA_ENABLE_CUDASIM=1 set before numba.cuda is imported) "
          "or a GPU that numba.cuda.is_available() sees")


@pytest.fixture(autouse=True)
def _require_cuda():
    if not RUN:
        pytest.skip(REASON)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # simulated kernels compute with NumPy scalars
        yield


@pytest.fixture
def big() -> bool:
    """True on a real GPU, where tests add larger shapes (multi-block grids, chunked reductions)."""
    return GPU and not SIMULATOR
