"""Result checks run before timing: ntorch's output must match each competitor's (allclose)."""

from __future__ import annotations

from typing import Any

import numpy as np

# (rtol, atol as a fraction of the reference's largest magnitude): float32 accumulations over millions of
# values legitimately differ in the last digits between libraries (pairwise vs blocked sums).
TOLERANCE = {"f2": (1e-2, 1e-3), "f4": (2e-4, 1e-5), "f8": (1e-9, 1e-11)}


def to_arrays(out: Any) -> list[np.ndarray]:
    """ntorch / torch tensors, NumPy arrays, scalars and tuples of them as a flat list of host arrays (a device
    tensor is copied with `.cpu()` first: neither library's `.numpy()` copies implicitly)."""
    if isinstance(out, (tuple, list)):
        return [a for item in out for a in to_arrays(item)]
    if isinstance(out, np.ndarray):
        return [out]
    if hasattr(out, "detach"):  # a torch or ntorch tensor that may require grad
        out = out.detach()
    if hasattr(out, "cpu") and not isinstance(out, np.generic):
        out = out.cpu()
    if hasattr(out, "numpy"):
        return [np.asarray(out.numpy())]
    return [np.asarray(out)]


def allclose(ours: Any, theirs: Any, tol: float = 1.0) -> str | None:
    """None when every array matches in shape and value (NaNs equal), else what differs."""
    a_list, b_list = to_arrays(ours), to_arrays(theirs)
    if len(a_list) != len(b_list):
        return f"{len(a_list)} outputs vs {len(b_list)}"
    for i, (a, b) in enumerate(zip(a_list, b_list)):
        where = f"output {i}: " if len(a_list) > 1 else ""
        if a.shape != b.shape:
            return f"{where}shape {a.shape} vs {b.shape}"
        if a.dtype.kind in "biu" and b.dtype.kind in "biu":
            if not np.array_equal(a, b):
                return f"{where}{int((a != b).sum())} of {a.size} values differ"
            continue
        rtol, atol = TOLERANCE.get(_tolerance_kind(a.dtype, b.dtype), TOLERANCE["f4"])
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        finite = np.isfinite(b64)
        scale = float(np.abs(b64[finite]).max()) if finite.any() else 0.0
        ok = np.isclose(a64, b64, rtol=rtol * tol, atol=atol * tol * scale, equal_nan=True)
        if not ok.all():
            err = float(np.nanmax(np.abs(a64 - b64)))
            return f"{where}{int((~ok).sum())} of {a.size} values differ (max abs diff {err:.3g})"
    return None


def _tolerance_kind(*dtypes: np.dtype) -> str:
    """The tolerance key of the least precise float among the compared arrays (a float16 result compared with a
    float32 reference is held to float16's tolerance), "f4" when neither is a float."""
    floats = [np.dtype(d) for d in dtypes if np.dtype(d).kind == "f"]
    return min(floats, key=lambda d: d.itemsize).str[1:] if floats else "f4"
