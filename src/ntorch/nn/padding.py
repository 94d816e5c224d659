"""F.pad: constant, reflect, replicate and circular padding (pads listed from the last dim backwards).

Constant padding copies the input into the middle of the output and fills the borders (negative pads
crop). The other modes are one gather (the `pad_gather` kernel): each padded dim gets an index map from
output to input positions, and the input is seen as (batch, D, H, W) with unpadded dims of size 1. On CUDA:
constant padding is a fill and a strided copy, the other modes the gather of kernels/cuda/pad.py (the backward
with atomic adds).

Autograd: constant padding's backward is constant padding by the negated pads (a crop, or zeros around a
cropped input). The other modes' backward sums each output's grad back into the input position it read
(the `pad_accumulate` kernel, the transpose of the gather); that sum records a node whose backward is the
padding again, so create_graph works.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import copy as K
from ..ops._util import check_tensor
from ..ops.joins import _UINT, copy_tensor_into, parallel_copy
from ..tensor import Tensor

dispatch.register("pad", "cpu", dtypes.ALL_DTYPES, lambda dt: K.pad_gather)
dispatch.register("pad_backward", "cpu", (dtypes.float32, dtypes.float64), lambda dt: K.pad_accumulate)
dispatch.register("pad", "cuda", dtypes.ALL_DTYPES, dispatch.cuda_kernel("pad", "pad_gather_into"), lazy=True)
dispatch.register("pad_backward", "cuda", (dtypes.float32, dtypes.float64),
                  dispatch.cuda_kernel("pad", "pad_accumulate_into"), lazy=True)

_MODES = ("constant", "reflect", "replicate", "circular")
_C_TYPES = {"bool": "bool", "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
            "float64": "double"}


def _pad_list(pad) -> list[int]:
    if not isinstance(pad, tuple | list):
        raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, not {type(pad).__name__}")
    out = []
    for i, p in enumerate(pad):
        if isinstance(p, bool | np.bool_):
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
                            f"bool at pos {i}")
        if isinstance(p, Tensor) and p.numel() == 1 and not p.is_floating_point():
            p = p.item()
        if not isinstance(p, int | np.integer):
            raise TypeError(f"pad(): argument 'pad' failed to unpack the object at pos {i + 1} with error \"type must "
                            f"be tuple of ints,but got {type(p).__name__}\"")
        out.append(int(p))
    return out


def _fill_value(value, dt: dtypes.dtype):
    """value converted to dt as torch does (truncating floats), with torch's overflow error."""
    if value is None:
        return 0
    if isinstance(value, Tensor):
        value = value.item()
    if dt is dtypes.bool:
        return bool(value)
    if dt.is_floating_point:
        v = float(value)
        if math.isfinite(v) and abs(v) > float(dtypes.np_finfo(dt.np).max):
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without overflow")
        return v
    info = np.iinfo(dt.np)
    if isinstance(value, float | np.floating):
        if not math.isfinite(value) or not info.min <= math.trunc(value) <= info.max:
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without overflow")
        return math.trunc(value)
    v = int(value)
    if not info.min <= v <= info.max:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without overflow")
    return v


def pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    """torch.nn.functional.pad: pad = (left, right) for the last dim, then the dim before it, ..."""
    res = _pad(input, pad, mode, value)
    if needs_graph(input):
        pads = _pad_list(pad)
        if mode == "constant":
            node = record("ConstantPadNdBackward0", _constant_backward, (input,), (res,))
        else:
            node = record(_node_name(mode, len(pads) // 2), _pad_backward, (input,), (res,))
            node.mode, node.shape = mode, tuple(input._data.shape)
        node.pads = pads
    return res


def _constant_backward(c, g: Tensor) -> Tensor:
    return _recorded_pad(g, [-p for p in c.pads])


def _node_name(mode: str, p: int) -> str:
    if mode == "circular":  # torch pads circularly with slice copies: its node is the last copy's
        return "CopySlices"
    return f"{'Reflection' if mode == 'reflect' else 'Replication'}Pad{p}DBackward0"


def _pad_backward(c, g: Tensor) -> Tensor:
    return pad_accumulate(g, c.shape, c.pads, c.mode)


def pad_accumulate(g: Tensor, shape: tuple, pads: list[int], mode: str) -> Tensor:
    """The transpose of a non-constant pad: each element of g added into the input position it was read from.

    g is read in place through its strides (as the forward reads its input); float16 accumulates in float32.
    Recorded (when g requires grad) with the padding itself as its backward."""
    ndim, p = len(shape), len(pads) // 2
    per_dim = {ndim - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(p)}
    compute = np.float64 if g.dtype is dtypes.float64 else np.float32
    if _arrays.is_cuda(g._data):
        out = _cuda_accumulate(g._data, shape, per_dim, p, mode, compute)
    else:
        out = np.zeros(shape, compute)
    if not _arrays.is_cuda(out) and out.size and g._data.size:
        arr, flat = g._data, None
        if arr.dtype == compute:
            flat = g._storage().flat
            if flat.dtype != arr.dtype:  # a real/imag view of a complex storage: use a contiguous copy
                flat = None
        if flat is not None:
            strides = [s // arr.itemsize for s in arr.strides]
            lead = [(n, s) for n, s in zip(arr.shape[:ndim - p], strides) if n != 1]
            if len(lead) == 2 and lead[0][1] != lead[1][1] * lead[1][0]:  # batch dims that do not merge
                flat = None
        if flat is None:
            arr = np.ascontiguousarray(arr, dtype=compute)
            flat = arr.reshape(-1)
            strides = [s // arr.itemsize for s in arr.strides]
            lead = [(n, s) for n, s in zip(arr.shape[:ndim - p], strides) if n != 1]
        nb = math.prod(shape[:ndim - p])
        sstr = [lead[-1][1] if lead else 0] + [0] * (3 - p) + strides[ndim - p:]
        sbase = (arr.__array_interface__["data"][0] - flat.__array_interface__["data"][0]) // arr.itemsize
        src_shape = [nb] + [1] * (3 - p) + list(arr.shape[ndim - p:])
        dst4 = out.reshape([nb] + [1] * (3 - p) + list(shape[ndim - p:]))
        maps = [np.zeros(1, np.int64)] * (3 - p) + [_index_map(shape[d], *per_dim[d], mode)
                                                     for d in range(ndim - p, ndim)]
        wl, w_out = per_dim[ndim - 1][0], arr.shape[-1]
        lo, hi = max(wl, 0), min(wl + shape[-1], w_out)  # the straight middle of each row, as in the forward
        if hi < lo:
            lo = hi = max(min(lo, w_out), 0)
        kernel = dispatch.lookup("pad_backward", "cpu", dtypes.from_numpy_dtype(np.dtype(compute)))
        kernel(flat, sbase, np.array(src_shape, np.int64), np.array(sstr, np.int64), dst4, maps[0], maps[1],
               maps[2], lo, hi, wl)
    res = Tensor._wrap(_arrays.astype(out, g._data.dtype))
    if needs_graph(g):
        kind = "CircularPad" if mode == "circular" else _node_name(mode, p)[:-len("Backward0")]
        node = record(f"{kind}BackwardBackward0", lambda c, gg: _recorded_pad(gg, c.pads, c.mode), (g,), (res,))
        node.pads, node.mode = pads, mode
    return res


def _pad(input: Tensor, pad, mode: str = "constant", value=None) -> Tensor:
    check_tensor(input, "pad")
    pads = _pad_list(pad)
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim = input._data.ndim
    if len(pads) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pads)} and input of dimension {ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    # (left, right) per padded dim, keyed by the dim of input they apply to
    per_dim = {ndim - 1 - i: (pads[2 * i], pads[2 * i + 1]) for i in range(len(pads) // 2)}
    if mode == "constant":
        if not per_dim:
            return Tensor._wrap(_arrays.copy(input._data))
        return _constant(input, per_dim, _fill_value(value, input.dtype))
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    return _gather_pad(input, pads, per_dim, mode)


def _constant(x: Tensor, per_dim: dict, value) -> Tensor:
    arr = x._data
    out_shape = list(arr.shape)
    for d, (lo, hi) in per_dim.items():
        out_shape[d] = arr.shape[d] + lo + hi
        if out_shape[d] < 0:
            raise RuntimeError(f"The input size {arr.shape[d]}, plus negative padding {lo} and {hi} resulted in a "
                               f"negative output size, which is invalid. Check dimension {d} of your input.")
    dst, src = [slice(None)] * arr.ndim, [slice(None)] * arr.ndim
    for d, (lo, hi) in per_dim.items():
        n = arr.shape[d]
        start, stop = max(-lo, 0), n - max(-hi, 0)
        kept = max(stop - start, 0)
        dst[d] = slice(max(lo, 0), max(lo, 0) + kept)
        src[d] = slice(start, start + kept)
    if _arrays.is_cuda(arr):  # the fill value everywhere, then the input's kept part into the center
        out = _arrays.empty(out_shape, arr.dtype, arr)
        if out.size:
            _arrays.copy_into(out, value)
            _arrays.copy_into(out[tuple(dst)], arr[tuple(src)])
        return Tensor._wrap(out)
    out = np.empty(out_shape, arr.dtype)
    center = out[tuple(dst)]
    if center.size:
        copy_tensor_into(center, out.reshape(-1), x, arr[tuple(src)])
    for d in per_dim:  # the borders: everything outside the center along each padded dim
        before = [slice(None)] * arr.ndim
        after = [slice(None)] * arr.ndim
        before[d] = slice(0, dst[d].start)
        after[d] = slice(dst[d].stop, None)
        out[tuple(before)] = value
        out[tuple(after)] = value
    return Tensor._wrap(out)


def _index_map(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along a padded dim, the input position it reads."""
    i = np.arange(-lo, n + hi, dtype=np.int64)
    if mode == "reflect":
        i = np.abs(i)
        i = np.where(i >= n, 2 * (n - 1) - i, i)
    elif mode == "replicate":
        i = np.clip(i, 0, n - 1)
    else:  # circular wraps around the input as cropped by negative pads, as torch does
        start, kept = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        i = start + (np.arange(i.size, dtype=np.int64) - max(lo, 0)) % max(kept, 1)
    return i


def _gather_pad(x: Tensor, pads: list[int], per_dim: dict, mode: str) -> Tensor:
    arr = x._data
    ndim, p = arr.ndim, len(pads) // 2
    if p not in (1, 2, 3) or ndim not in (p + 1, p + 2):
        raise NotImplementedError(f"Padding size {len(pads)} is not supported for {ndim}D input tensor.")
    shape = arr.shape
    if mode != "circular":
        kind = "reflection" if mode == "reflect" else "replication"
        if x.dtype is dtypes.bool:
            raise NotImplementedError(f"\"{kind}_pad{p}d\" not implemented for 'Bool'")
        if 0 in (shape[1:] if ndim == p + 2 else shape):  # only a batch dim may be empty
            raise RuntimeError(f"Expected {p + 1}D or {p + 2}D (batch mode) tensor with possibly 0 batch size and "
                               f"other non-zero dimensions for input, but got: {list(shape)}")
    out_shape = list(shape)
    for d in range(ndim - 1, ndim - 1 - p, -1):  # torch checks the last dim first
        lo, hi = per_dim[d]
        n = shape[d]
        out_shape[d] = n + lo + hi
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #{2 * (ndim - d) + 2}: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({lo}, {hi}) at dimension {d} of input "
                               f"{list(shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
    for d in range(ndim - 1, ndim - 1 - p, -1):
        size = out_shape[d]
        lo, hi = per_dim[d]
        if mode == "circular" and (size < 0 or (size and shape[d] - max(-lo, 0) - max(-hi, 0) <= 0)):
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
        if p == 1 and mode != "circular" and size <= 0:
            raise RuntimeError(f"input (W: {shape[d]}) is too small. Calculated output W: {size}")
        if size < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {size}: {out_shape}")
    maps = [np.zeros(1, np.int64)] * (3 - p) + [_index_map(shape[d], *per_dim[d], mode)
                                                 for d in range(ndim - p, ndim)]
    if _arrays.is_cuda(arr):
        out = _arrays.empty(out_shape, arr.dtype, arr)
        if out.size:
            nb = math.prod(shape[:ndim - p])
            src4 = _arrays.reshape(arr, [nb] + [1] * (3 - p) + list(shape[ndim - p:]))
            dst4 = out.reshape([nb] + [1] * (3 - p) + out_shape[ndim - p:])
            dispatch.lookup("pad", "cuda", x.dtype)(src4.device_array(), dst4.device_array(),
                                                    *[_arrays.to_device(m, arr.device).device_array() for m in maps])
        return Tensor._wrap(out)
    out = np.empty(out_shape, arr.dtype)
    if out.size == 0:
        return Tensor._wrap(out)
    item = arr.itemsize
    strides = [s // item for s in arr.strides]
    # the leading (batch, channel) dims as one dim of stride sb, and unit-stride rows: else a copy to C order
    lead = [(n, s) for n, s in zip(shape[:ndim - p], strides) if n != 1]
    if strides[-1] != 1 or (len(lead) == 2 and lead[0][1] != lead[1][1] * lead[1][0]):
        arr = np.ascontiguousarray(arr)
        x = Tensor._wrap(arr)
        strides = [s // item for s in arr.strides]
        lead = [(n, s) for n, s in zip(shape[:ndim - p], strides) if n != 1]
    nb = math.prod(shape[:ndim - p])
    sb = lead[-1][1] if lead else 0
    sstr = [sb] + [0] * (3 - p) + strides[ndim - p:]
    flat = x._storage().flat
    sbase = (arr.__array_interface__["data"][0] - flat.__array_interface__["data"][0]) // item
    wl, wh = per_dim[ndim - 1]
    w_out = out_shape[-1]
    lo, hi = max(wl, 0), min(wl + shape[-1], w_out)
    if hi < lo:
        lo = hi = max(min(lo, w_out), 0)
    kernel = K.pad_gather_par if parallel_copy(out.nbytes) else dispatch.lookup("pad", "cpu", x.dtype)
    u = _UINT[item]
    dshape = np.array([nb] + [1] * (3 - p) + out_shape[ndim - p:], np.int64)
    kernel(flat.view(u), sbase, np.array(sstr, np.int64), out.reshape(-1).view(u), dshape, maps[0], maps[1],
           maps[2], lo, hi, wl)
    return Tensor._wrap(out)


def _cuda_accumulate(g, shape: tuple, per_dim: dict, p: int, mode: str, compute):
    """pad_accumulate's sum on CUDA: zeros of shape (compute dtype) with each element of g (any strides) added
    into the input position it was read from (atomic adds)."""
    ndim = len(shape)
    out = _arrays.empty(shape, compute, g)
    if out.size:
        _arrays.copy_into(out, 0)
    if out.size and g.size:
        nb = math.prod(shape[:ndim - p])
        g4 = _arrays.reshape(_arrays.astype(g, compute), [nb] + [1] * (3 - p) + list(g.shape[ndim - p:]))
        out4 = out.reshape([nb] + [1] * (3 - p) + list(shape[ndim - p:]))
        maps = [np.zeros(1, np.int64)] * (3 - p) + [_index_map(shape[d], *per_dim[d], mode)
                                                     for d in range(ndim - p, ndim)]
        dispatch.lookup("pad_backward", "cuda", dtypes.from_numpy_dtype(np.dtype(compute)))(
            g4.device_array(), out4.device_array(), *[_arrays.to_device(m, g.device).device_array() for m in maps])
    return out


_recorded_pad = pad  # pad() as seen from functions whose argument `pad` shadows it


# ntorch.nn.functional.<name>: bound in ntorch/nn/functional.py
FUNCTIONAL: dict = {"pad": pad}
