"""A repr like PyTorch's: tensor([...]) with 4 decimals for floats and a dtype suffix when not default."""

from __future__ import annotations

import numpy as np

from . import dtypes


def _format(arr: np.ndarray) -> str:
    if arr.dtype.kind == "f":
        a64 = arr.astype(np.float64)
        finite = a64[np.isfinite(a64)]
        integral = finite.size == 0 or bool(np.all(finite == np.round(finite)))
        big = finite.size and np.abs(finite).max()
        small = finite.size and np.abs(finite[finite != 0]).min() if np.any(finite != 0) else 0
        sci = bool(finite.size) and (big >= 1e8 or (small and (small < 1e-4 or big / small > 1000)))
        if sci:
            fmt = {"float_kind": lambda v: f"{v:.4e}"}
        elif integral:
            fmt = {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
        else:
            fmt = {"float_kind": lambda v: f"{v:.4f}" if np.isfinite(v) else str(v)}
        return np.array2string(a64, separator=", ", prefix="tensor(", formatter=fmt, threshold=1000,
                               edgeitems=3, max_line_width=80)
    return np.array2string(arr, separator=", ", prefix="tensor(", threshold=1000, edgeitems=3,
                           max_line_width=80)


def tensor_repr(t) -> str:
    arr = t._data
    dt = t.dtype
    body = _format(arr)
    extras = []
    if arr.size == 0 and arr.ndim != 1:
        extras.append(f"size={tuple(arr.shape)}")
        body = "[]"
    if dt not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool):
        extras.append(f"dtype=ntorch.{dt.name}")
    elif arr.size == 0 and dt is not dtypes.get_default_dtype():
        extras.append(f"dtype=ntorch.{dt.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
