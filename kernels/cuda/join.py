"""CUDA joins and index remaps on device arrays of any (non-negative) strides: cat, flip, roll.

``cat_into(out, inputs, dim)`` copies each input into its slab of out along dim with copy.copy_cast (one launch
per non-empty input; the cast follows the dtype promotion the front end chose for out). The front end validates
the shapes and drops torch's legacy 1-d empty inputs first; this module only checks that the slabs tile out.

``flip_into`` and ``roll_into`` write ``out[c] = x[c']`` with ``c'[d] = (a[d] * c[d] + b[d]) mod n[d]`` per dim
(flip: a = -1, b = n - 1; roll by s: a = 1, b = -s; other dims: a = 1, b = 0), one kernel for both: device
strides are never negative here, so a flip cannot be a view.
"""

from __future__ import annotations

from . import arrays, copy
from .launch import configure, cuda, grid_1d

__all__ = ["cat_into", "flip_into", "roll_into"]


def cat_into(out, inputs, dim: int):
    """out = the inputs concatenated along dim (inputs of out's rank, equal to out off dim, any dtypes that cast
    to out's). Returns out."""
    nd = len(out.shape)
    if not -nd <= dim < nd:
        raise IndexError(f"cat: dim {dim} out of range for {nd} dims")
    d = dim % nd
    total = 0
    for i, a in enumerate(inputs):
        if len(a.shape) != nd or any(a.shape[k] != out.shape[k] for k in range(nd) if k != d):
            raise ValueError(f"cat: input {i} of shape {tuple(a.shape)} does not fit out of shape "
                             f"{tuple(out.shape)} along dim {d}")
        total += a.shape[d]
    if total != out.shape[d]:
        raise ValueError(f"cat: inputs add up to {total} along dim {d}, out has {out.shape[d]}")
    st = arrays.elem_strides(out)
    start = 0
    for a in inputs:
        if a.size:
            copy.copy_cast(arrays.view(out, tuple(a.shape), st, offset=start * st[d]), a)
        start += a.shape[d]
    return out


@cuda.jit(cache=True)
def _remap(out, x, shape, ost, xst, a, b, total):
    i = cuda.grid(1)
    while i < total:
        rest = i
        po = 0
        px = 0
        for d in range(shape.shape[0] - 1, -1, -1):
            n = shape[d]
            c = rest % n
            rest //= n
            po += c * ost[d]
            px += ((a[d] * c + b[d]) % n) * xst[d]  # a * c + b >= 0: flip has b = n - 1, roll 0 <= b < n
        out[po] = x[px]
        i += cuda.gridsize(1)


def _remap_into(name: str, out, x, a: list, b: list) -> None:
    if tuple(out.shape) != tuple(x.shape):
        raise ValueError(f"{name}: out of shape {tuple(out.shape)}, expected {tuple(x.shape)}")
    if out.dtype != x.dtype:
        raise TypeError(f"{name}: out ({out.dtype}) and input ({x.dtype}) must have the same dtype")
    total = x.size
    if total == 0:
        return
    shape = tuple(x.shape) or (1,)
    ost = arrays.elem_strides(out) or (0,)
    xst = arrays.elem_strides(x) or (0,)
    a, b = (a or [1]), (b or [0])
    grid, block = grid_1d(total)
    configure(_remap, grid, block)(arrays.span(out), arrays.span(x), arrays.i64(shape), arrays.i64(ost),
                                   arrays.i64(xst), arrays.i64(a), arrays.i64(b), total)


def _dims(name: str, dims, nd: int) -> list[int]:
    out = []
    for d in dims:
        if not -max(nd, 1) <= d < max(nd, 1):
            raise IndexError(f"{name}: dim {d} out of range for {nd} dims")
        d %= max(nd, 1)
        if d in out:
            raise RuntimeError(f"{name}: dim {d} appears multiple times in the list of dims")
        out.append(d)
    return out


def flip_into(out, x, dims):
    """out = x reversed along each of dims. Returns out."""
    nd = len(x.shape)
    flip = _dims("flip", dims, nd)
    a = [-1 if k in flip else 1 for k in range(nd)]
    b = [x.shape[k] - 1 if k in flip else 0 for k in range(nd)]
    _remap_into("flip", out, x, a, b)
    return out


def roll_into(out, x, shifts, dims):
    """out = x rolled by shifts[i] along dims[i] (elements leaving one end come back at the other), as torch.roll
    with dims given; for a roll of the flattened array the caller passes a 1-d view. Returns out."""
    nd = len(x.shape)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dimensions must align. shifts: {len(shifts)}, dims: {len(dims)}")
    ds = _dims("roll", dims, nd)
    b = [0] * nd
    for s, d in zip(shifts, ds):
        b[d] = -int(s) % x.shape[d] if x.shape[d] else 0
    _remap_into("roll", out, x, [1] * nd, b)
    return out
