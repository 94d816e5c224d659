"""Square matrix products, from the small sizes where call overhead matters to BLAS-bound large ones."""

from __future__ import annotations

from ..case import Case, Ctx, sizes

DESCRIPTION = "square matmul, n x n @ n x n"


def _matmul(ctx: Ctx) -> dict:
    n = ctx.param
    a, b = ctx.randn(n, n), ctx.randn(n, n, seed=1)
    ta, tb = ctx.nt(a), ctx.nt(b)
    fns = {"ntorch": lambda: ta @ tb, "numpy": lambda: a @ b}
    if ctx.torch is not None:
        pa, pb = ctx.tc(a), ctx.tc(b)
        fns["torch"] = lambda: pa @ pb
    return fns


CASES = [
    Case("matmul", "matmul {}", _matmul, sizes([16, 64], [64, 256, 512, 1024, 2048], [2048, 4096]),
         lambda n, s: 2.0 * n**3, "GFLOP/s", dtypes=("float32", "float64"), label=str),
]
