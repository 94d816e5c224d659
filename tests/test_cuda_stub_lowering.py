"""The scalar stubs that kernels/cpu/scalar.py's helpers call (ffloor, ftrunc, ffmod, fexp2, fma) have one
lowering per target. Both targets type a call to a stub through the same Numba function type, so a CPU overload
marked inline="always" leaked into CUDA kernels compiled after it (numba-cuda's inliner takes the first template
with an inline entry for the argument types, whatever its target): on an H200 every CUDA kernel calling floor,
trunc, fmod or exp2 (floor, round, frac, remainder, floor division, digamma...) then failed to compile with
"KeyError: <ufunc 'floor'>" once the CPU had run the same helper. The simulator never compiles, so this
compiles for the device here (typing and lowering to LLVM IR need no GPU and no CUDA toolkit).
"""

from __future__ import annotations

import os
import types as pytypes

import numpy as np
import pytest
from ntorch.kernels.cpu import scalar as S

pytestmark = pytest.mark.skipif(os.environ.get("NUMBA_ENABLE_CUDASIM") == "1",
                                reason="needs numba-cuda's real compiler (the simulator compiles nothing)")

STUBS = {"ffloor": 1, "ftrunc": 1, "ffmod": 2, "fexp2": 1, "fma": 3, "frac": 1}


def _caller(name: str, nargs: int):
    ns = {"h": getattr(S, name)}
    args = ", ".join(f"x{i}" for i in range(nargs))
    exec(f"def call({args}):\n    return h({args})\n", ns)
    return ns["call"]


@pytest.mark.parametrize("cpu_first", [True, False], ids=["cpu-first", "cuda-first"])
def test_each_target_lowers_its_own_stub(monkeypatch, cpu_first):
    import ntorch.kernels.cuda.scalar  # noqa: F401  (registers the CUDA lowerings)
    import numba
    from numba import types
    from numba.cuda import dispatcher
    from numba.cuda.compiler import compile_cuda

    # typing a device call asks the current device for its compute capability: answer without a GPU
    monkeypatch.setattr(dispatcher, "get_current_device", lambda: pytypes.SimpleNamespace(compute_capability=(9, 0)))
    for name, nargs in STUBS.items():
        for t, np_t in ((types.float64, np.float64), (types.float32, np.float32)):
            fn = _caller(name, nargs)
            values = tuple(np_t(v) for v in (-2.5, 1.5, 0.25)[:nargs])
            steps = ["cpu", "cuda"] if cpu_first else ["cuda", "cpu"]
            for step in steps:
                if step == "cuda":
                    res = compile_cuda(fn, None, (t,) * nargs, cc=(9, 0))
                    assert res.signature.return_type == t, (name, t, res.signature)
                else:
                    jitted = numba.njit(fn)
                    got = jitted(*values)
                    want = getattr(S, name)(*values) if name != "frac" else values[0] - np.trunc(values[0])
                    assert jitted.nopython_signatures[0].return_type == t and got == want, (name, t, got, want)
