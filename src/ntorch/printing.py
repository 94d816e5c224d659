"""A repr like PyTorch's (a port of torch/_tensor_str.py for dense tensors).

Every element is padded to a common width; floats print with 4 decimals, as integers with a trailing dot
when they all are whole numbers, or in scientific notation when their magnitudes differ by more than 1000x
(or exceed 1e8, or go below 1e-4). Tensors of more than 1000 elements are summarized with "...". A dtype
suffix is added unless the dtype is the default float dtype, int64 or bool (or, for complex, the default
complex dtype). A complex tensor formats its real and imaginary parts each with a formatter of its own.
"""

from __future__ import annotations

import math

import numpy as np

from . import dtypes

PRECISION = 4
THRESHOLD = 1000
EDGEITEMS = 3
LINEWIDTH = 80
SCI_MODE = None  # None: chosen per tensor; True/False: forced by set_printoptions

_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80), "full": (4, math.inf, 3, 80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """torch.set_printoptions: a profile ("default", "short", "full") first, then each option given.
    sci_mode is always set (None restores the automatic choice), as in torch."""
    global PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH, SCI_MODE
    if profile in _PROFILES:
        PRECISION, THRESHOLD, EDGEITEMS, LINEWIDTH = _PROFILES[profile]
    if precision is not None:
        PRECISION = precision
    if threshold is not None:
        THRESHOLD = threshold
    if edgeitems is not None:
        EDGEITEMS = edgeitems
    if linewidth is not None:
        LINEWIDTH = linewidth
    SCI_MODE = sci_mode


class _Formatter:
    """torch's _Formatter: decides int/sci mode and the common width from the values to be printed."""

    def __init__(self, arr: np.ndarray):
        self.floating = arr.dtype.kind == "f" or arr.dtype in dtypes.HALF_NP
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = arr.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        vals = flat.astype(np.float64)
        nz = vals[np.isfinite(vals) & (vals != 0)]
        if nz.size == 0:
            return
        absv = np.abs(nz)
        lo, hi = float(absv.min()), float(absv.max())
        # torch compares the values in the tensor's own dtype: float16/float32 values are exact in float64
        self.int_mode = bool(np.all(nz == np.ceil(nz)))
        self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4 if SCI_MODE is None else SCI_MODE
        for v in nz.tolist():
            if self.sci_mode:
                width = len(f"{v:.{PRECISION}e}")
            elif self.int_mode:
                width = len(f"{v:.0f}") + 1
            else:
                width = len(f"{v:.{PRECISION}f}")
            self.max_width = max(self.max_width, width)

    def format(self, value) -> str:
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRECISION}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRECISION}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _summarized(arr: np.ndarray) -> np.ndarray:
    """The elements that a summarized print shows (edge items of every dim), for the formatter."""
    if arr.ndim == 0:
        return arr
    if arr.ndim == 1:
        if arr.shape[0] > 2 * EDGEITEMS:
            return np.concatenate((arr[:EDGEITEMS], arr[-EDGEITEMS:]))
        return arr
    if arr.shape[0] > 2 * EDGEITEMS:
        rows = [arr[i] for i in range(EDGEITEMS)] + [arr[i] for i in range(len(arr) - EDGEITEMS, len(arr))]
    else:
        rows = list(arr)
    return np.stack([_summarized(r) for r in rows])


def _val_str(v, fmt: _Formatter, fmt2: _Formatter | None) -> str:
    """One element; a complex one as real part, sign, imaginary part and "j" (torch's _val_formatter)."""
    if fmt2 is None:
        return fmt.format(v)
    imag = (fmt2.format(v.imag) + "j").lstrip()
    return fmt.format(v.real) + ("" if imag[0] in "+-" else "+") + imag


def _vector_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter, fmt2: _Formatter | None) -> str:
    element_length = fmt.max_width + 2 + (0 if fmt2 is None else fmt2.max_width + 1)
    per_line = max(1, math.floor((LINEWIDTH - indent) / element_length))
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        data = ([_val_str(v, fmt, fmt2) for v in arr[:EDGEITEMS].tolist()] + [" ..."]
                + [_val_str(v, fmt, fmt2) for v in arr[-EDGEITEMS:].tolist()])
    else:
        data = [_val_str(v, fmt, fmt2) for v in arr.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(arr: np.ndarray, indent: int, summarize: bool, fmt: _Formatter,
                fmt2: _Formatter | None = None) -> str:
    if arr.ndim == 0:
        return _val_str(arr.item(), fmt, fmt2)
    if arr.ndim == 1:
        return _vector_str(arr, indent, summarize, fmt, fmt2)
    if summarize and arr.shape[0] > 2 * EDGEITEMS:
        slices = ([_tensor_str(arr[i], indent + 1, summarize, fmt, fmt2) for i in range(EDGEITEMS)] + ["..."]
                  + [_tensor_str(arr[i], indent + 1, summarize, fmt, fmt2)
                     for i in range(len(arr) - EDGEITEMS, len(arr))])
    else:
        slices = [_tensor_str(arr[i], indent + 1, summarize, fmt, fmt2) for i in range(arr.shape[0])]
    return "[" + ("," + "\n" * (arr.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(t) -> str:
    arr = t._host()  # a CUDA tensor's values are copied to the host for printing, explicitly
    dt = t.dtype
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.is_cuda:  # torch names the device of any non-CPU tensor
        suffixes.append(f"device='{t.device}'")
    if arr.size == 0:
        if arr.ndim != 1:
            suffixes.append(f"size={tuple(arr.shape)}")
        if dt is not dtypes.get_default_dtype():
            suffixes.append(f"dtype=ntorch.{dt.name}")
        body = "[]"
    else:
        if dt not in (dtypes.get_default_dtype(), dtypes.get_default_dtype().to_complex(), dtypes.int64, dtypes.bool):
            suffixes.append(f"dtype=ntorch.{dt.name}")
        summarize = arr.size > THRESHOLD
        shown = _summarized(arr) if summarize else arr
        if dt.is_complex:
            body = _tensor_str(arr, indent, summarize, _Formatter(shown.real), _Formatter(shown.imag))
        else:
            body = _tensor_str(arr, indent, summarize, _Formatter(shown))
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
