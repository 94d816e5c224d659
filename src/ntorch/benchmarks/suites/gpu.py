"""Issue 5's GPU benchmark list, run with `--device cuda`: bandwidth (add, sum, softmax), float32 and float16
matmul, an MLP training step and the per-op overhead of a tiny op, against PyTorch on the same GPU.

A suite of its own rather than `devices=("cpu", "cuda")` on the CPU cases: the issue fixes one problem size per
case (1e8 elements, 4096 matmuls, batch 512), unlike the CPU suites' sweeps. Medium and large both use those
sizes; small uses shapes that Numba's CUDA simulator runs in seconds. The builders are the CPU suites' own; NumPy
computes a host reference that checks ntorch's result but is not timed.
"""

from __future__ import annotations

import numpy as np

from ..case import Case, Ctx, same_size, sizes
from . import elementwise, mlp, reduction, softmax

DESCRIPTION = ("issue 5's GPU list (--device cuda): add, sum, softmax, matmul float32/float16, MLP step, "
               "per-op overhead")

_DEVICES = ("cuda",)


def _matmul(ctx: Ctx) -> dict:
    """n x n @ n x n; NumPy's reference computes float16 in float32 (NumPy has no float16 BLAS: minutes at 4096)."""
    n = ctx.param
    a, b = ctx.randn(n, n), ctx.randn(n, n, seed=1)
    ta, tb = ctx.nt(a), ctx.nt(b)
    a32, b32 = a.astype(np.float32), b.astype(np.float32)
    fns = {"ntorch": lambda: ta @ tb, "numpy": lambda: (a32 @ b32).astype(a.dtype)}
    if ctx.torch is not None:
        pa, pb = ctx.tc(a), ctx.tc(b)
        fns["torch"] = lambda: pa @ pb
    return fns


def _mlp(ctx: Ctx) -> dict:
    batch, dims = ctx.param
    return mlp.build_step(ctx, batch, dims, reference=True)


def _mlp_label(param) -> str:
    batch, dims = param
    return f"{'-'.join(map(str, dims))} step, batch {batch}"


def _mlp_flops(param, _itemsize) -> float:
    batch, (n_in, hidden, n_out) = param
    return 2.0 * 3 * batch * (n_in * hidden + hidden * n_out)  # forward, and two products per layer backward


def _matmul_flops(n, _itemsize) -> float:
    return 2.0 * n**3


def _one_op(_param, _itemsize) -> float:
    return 1.0  # a call is one op: the us/op column is the time per call


_VEC = sizes(1000, 10**8, 10**8)
_SOFTMAX = sizes((4, 32), (8192, 4096), (8192, 4096))
_MATMUL = sizes(16, 4096, 4096)
_MLP = sizes((4, (16, 8, 4)), (512, (784, 256, 10)), (512, (784, 256, 10)))

CASES = [
    Case("cuda", "add {}", elementwise._binary("add"), _VEC, elementwise._three_arrays, devices=_DEVICES),
    Case("cuda", "sum {}", reduction._reduce("sum", None), _VEC, reduction._read_once, devices=_DEVICES),
    Case("cuda", "softmax {} dim -1", softmax._softmax("softmax", -1), _SOFTMAX, softmax._read_write,
         devices=_DEVICES, label=softmax._label),
    Case("cuda", "matmul {}", _matmul, _MATMUL, _matmul_flops, "GFLOP/s", devices=_DEVICES, label=str,
         notes="PyTorch runs with TF32 off, so both compute in float32"),
    Case("cuda", "matmul {}", _matmul, _MATMUL, _matmul_flops, "GFLOP/s", dtypes=("float16",), devices=_DEVICES,
         label=str),
    Case("cuda", "mlp {}", _mlp, _MLP, _mlp_flops, "GFLOP/s", devices=_DEVICES, label=_mlp_label,
         notes="forward, cross-entropy, backward and an SGD update, all on the device"),
    Case("cuda", "a + b {}", elementwise._tiny_add, same_size((3, 3)), _one_op, "us/op", devices=_DEVICES,
         notes="per-op overhead: host dispatch and launch, not the kernel"),
]
