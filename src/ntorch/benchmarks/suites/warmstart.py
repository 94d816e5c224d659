"""Start-up cost in a fresh process: `import` and the first `a + b`, with an empty kernel cache (cold: every
kernel compiles) and again with the cache the cold run left (warm: kernels load from disk).

Each call starts a Python subprocess that times itself; NTORCH_CACHE_DIR and NUMBA_CACHE_DIR point at a
temporary folder, so the user's own cache is neither used nor touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

from ..case import Case, Ctx, Impls, same_size

DESCRIPTION = "import time and first a + b in a fresh process, cold and warm kernel cache"

_IMPORT = "import time; t0 = time.perf_counter(); import {lib}; print(time.perf_counter() - t0)"
_FIRST_ADD = ("import {lib}; a = {lib}.ones((3, 3)); b = {lib}.ones((3, 3)); import time; "
              "t0 = time.perf_counter(); c = a + b; print(time.perf_counter() - t0)")


def measure(code: str, cache: str) -> float:
    """Seconds the child reports, run with its kernel caches in `cache`."""
    env = dict(os.environ, NTORCH_CACHE_DIR=cache, NUMBA_CACHE_DIR=cache)
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
    return float(out.stdout.split()[-1])


def _warm_start(template: str, warm: bool):
    def build(ctx: Ctx) -> Impls:
        libs = ["ntorch", "numpy"] + (["torch"] if ctx.torch is not None else [])
        folders: list[str] = []

        def fresh() -> str:
            folders.append(tempfile.mkdtemp(prefix="ntorch-bench-"))
            return folders[-1]

        def run(lib: str):
            code = template.format(lib=lib)
            if not warm:
                return lambda: measure(code, fresh())
            cache = fresh()
            measure(code, cache)  # fills the cache
            return lambda: measure(code, cache)

        def cleanup():
            for f in folders:
                shutil.rmtree(f, ignore_errors=True)

        return Impls({lib: run(lib) for lib in libs}, cleanup=cleanup)

    return build


CASES = [
    Case("warm-start", f"{what} ({state} cache)", _warm_start(template, state == "warm"), same_size(None), None,
         "", self_timed=True, warmup=False)
    for what, template in (("import", _IMPORT), ("first a + b", _FIRST_ADD)) for state in ("cold", "warm")
]
