"""F.interpolate: nearest, nearest-exact (3-D and 4-D input), linear (3-D), bilinear (4-D).

Source indices and weights are computed here with PyTorch's arithmetic (float32 for float16 and
float32 data, the data's precision for float64; nearest always in float32), so results match torch's
CPU kernels: with scale_factor given (and recompute_scale_factor not set) the coordinate mapping uses
1/scale_factor itself, otherwise input_size / output_size. The kernels then only gather and blend.
1-d modes run as 2-d ones with height 1. On CUDA the host-computed tables are copied to the device and
kernels/cuda/sampling.py gathers and blends (the backward scatter-adds with atomics).

Autograd: interpolation is linear in the input; its backward is the adjoint kernel (scatter-add into
the source pixels with the same indices and weights), whose backward is the forward again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..kernels.cpu import conv as KC
from ..kernels.cpu import sampling as K
from ..ops._util import check_tensor
from ..tensor import Tensor
from .conv import linear_op, torch_scalar_name, zeros

NEAREST_DTYPES = dtypes.FLOAT_DTYPES + (dtypes.uint8,)
LINEAR_DTYPES = dtypes.FLOAT_DTYPES
dispatch.register("upsample_nearest", "cpu", NEAREST_DTYPES, lambda dt: K.nearest)
dispatch.register("upsample_bilinear", "cpu", LINEAR_DTYPES, lambda dt: K.bilinear)
GRAD_DTYPES = (dtypes.float32, dtypes.float64)  # backward kernels; float16 computes in float32
dispatch.register("upsample_nearest_backward", "cpu", GRAD_DTYPES, lambda dt: K.nearest_backward)
dispatch.register("upsample_bilinear_backward", "cpu", GRAD_DTYPES, lambda dt: K.bilinear_backward)
for _op, _dts, _fn in (("upsample_nearest", NEAREST_DTYPES, "nearest_into"),
                       ("upsample_bilinear", LINEAR_DTYPES, "bilinear_into"),
                       ("upsample_nearest_backward", GRAD_DTYPES, "nearest_backward_into"),
                       ("upsample_bilinear_backward", GRAD_DTYPES, "bilinear_backward_into")):
    dispatch.register(_op, "cuda", _dts, dispatch.cuda_kernel("sampling", _fn), lazy=True)

_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
_LINEAR = ("linear", "bilinear", "bicubic", "trilinear")


def _nearest_index(out_size: int, in_size: int, scale, exact: bool) -> np.ndarray:
    """torch's nearest_idx / nearest_exact_idx (float32 arithmetic, clamped to the last input index)."""
    dst = np.arange(out_size)
    if not exact and out_size == in_size:
        return dst
    if not exact and out_size == 2 * in_size:
        return dst >> 1
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else np.float32(in_size) / np.float32(out_size)
    if exact:
        src = np.floor(((dst + 0.5) * np.float64(s)).astype(np.float32))
    else:
        src = np.floor(dst.astype(np.float32) * s)
    return np.minimum(src.astype(np.int64), in_size - 1)


def _linear_weights(out_size: int, in_size: int, scale, align_corners: bool, opm):
    """torch's area_pixel_compute_source_index + guard_index_and_lambda: (i0, i1, w0, w1) per output index."""
    one, half = opm(1), opm(0.5)
    if align_corners:
        s = opm(in_size - 1) / opm(out_size - 1) if out_size > 1 else opm(0)
    else:
        s = opm(1.0 / scale) if scale is not None and scale > 0 else opm(in_size) / opm(out_size)
    dst = np.arange(out_size).astype(opm)
    if align_corners:
        src = s * dst
    else:
        src = np.maximum(s * (dst + half) - half, opm(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    lam = np.clip(src - i0.astype(opm), opm(0), one).astype(opm)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (one - lam).astype(opm), lam


def _sizes(input: Tensor, dim: int, size, scale_factor, recompute_scale_factor):
    """torch.nn.functional.interpolate's output size and the scales handed to the kernel."""
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, Sequence):
            if len(size) != dim:
                raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input "
                                 f"with spatial dimensions of {spatial} and output size of {size}. Please provide "
                                 "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                                 "format.")
            out = list(size)
        else:
            out = [size] * dim
        if not all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in out):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], "
                            f"but got size with types {[type(v) for v in out]}")
        scales = [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, Sequence):
            if len(scale_factor) != dim:
                raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got "
                                 f"input with spatial dimensions of {spatial} and scale_factor of shape "
                                 f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                                 "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(v) for v in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out = None
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if out is None:
        if recompute_scale_factor:
            out = [math.floor(float(spatial[i]) * scales[i]) for i in range(dim)]
            scales = [None] * dim
        else:
            out = [int(spatial[i] * scales[i]) for i in range(dim)]
    return [int(v) for v in out], scales


def interpolate(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """F.interpolate for modes nearest / nearest-exact (3-D, 4-D input), linear (3-D) and bilinear (4-D)."""
    check_tensor(input, "interpolate")
    if mode not in ("nearest", "nearest-exact", "linear", "bilinear"):
        if mode in _MODES.split(" | "):
            raise NotImplementedError(f"interpolate: mode '{mode}' is not implemented in ntorch")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: {_MODES} (got {mode})")
    if mode in ("nearest", "nearest-exact") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in ntorch")
    if input.ndim not in (3, 4):
        if input.ndim == 5:
            raise NotImplementedError(f"interpolate: 5-D input (3 spatial dims) is not implemented in ntorch for "
                                      f"mode '{mode}'")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: {_MODES} (got {mode})")
    dim = input.ndim - 2
    if mode == "bilinear" and dim != 2:
        raise NotImplementedError(f"Got {input.ndim}D input, but bilinear mode needs 4D input")
    if mode == "linear" and dim != 1:
        raise NotImplementedError(f"Got {input.ndim}D input, but linear mode needs 3D input")
    out_sz, scales = _sizes(input, dim, size, scale_factor, recompute_scale_factor)
    in_sz = list(input.shape[2:])
    if any(v <= 0 for v in in_sz + out_sz):
        names = ("W",) if dim == 1 else ("H", "W")
        fmt_in = ", ".join(f"{n}: {v}" for n, v in zip(names, in_sz))
        fmt_out = ", ".join(f"{n}: {v}" for n, v in zip(names, out_sz))
        if input.shape[1] == 0 or any(v <= 0 for v in in_sz):
            raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                               f"{list(input.shape)}")
        joiner = " and" if dim == 1 else ""
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({fmt_in}){joiner} output "
                           f"({fmt_out})")
    if input.shape[1] == 0:
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    dt = input.dtype
    allowed = NEAREST_DTYPES if mode.startswith("nearest") else LINEAR_DTYPES
    if dt not in allowed:
        kind = "compute_indices_weights_linear" if mode == "linear" else (
            f"upsample_{'nearest' if mode.startswith('nearest') else 'bilinear'}2d_channels_last")
        raise NotImplementedError(f"\"{kind}\" not implemented for '{torch_scalar_name(dt)}'")
    if dim == 1:
        in_sz, out_sz, scales = [1] + in_sz, [1] + out_sz, [None] + scales
    geom = (dim, tuple(in_sz), tuple(out_sz), tuple(scales), mode, bool(align_corners))
    name = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "linear": "UpsampleLinear",
            "bilinear": "UpsampleBilinear"}[mode] + f"{dim}DBackward0"
    return linear_op(input, partial(_interpolate_fn, geom=geom), partial(_interpolate_adjoint_fn, geom=geom), name,
                     name.replace("Backward0", "BackwardBackward0"))


def _interpolate_fn(a: np.ndarray, geom) -> np.ndarray:
    dim, in_sz, out_sz, scales, mode, align_corners = geom
    res = _interpolate_arrays(a[:, :, None, :] if dim == 1 else a, in_sz, out_sz, scales, mode, align_corners,
                              dtypes.from_numpy_dtype(a.dtype))
    return res[:, :, 0, :] if dim == 1 else res


def _interpolate_adjoint_fn(a: np.ndarray, geom) -> np.ndarray:
    """interpolate's backward: each output gradient added into its source pixels, with the forward's indices
    and weights (float16 in float32)."""
    dim, in_sz, out_sz, scales, mode, align_corners = geom
    dt = dtypes.from_numpy_dtype(a.dtype)
    cdt = np.float32 if dt is dtypes.float16 else dt.np
    n, c = a.shape[:2]
    if _arrays.is_cuda(a):
        g = _arrays.reshape(_arrays.astype(a, cdt), (n * c, out_sz[0], out_sz[1]))
        out = zeros((n * c, in_sz[0], in_sz[1]), cdt, a)
    else:
        g = np.ascontiguousarray(a, dtype=cdt).reshape(n * c, out_sz[0], out_sz[1])
        out = np.zeros((n * c, in_sz[0], in_sz[1]), cdt)
    if g.size:
        cdtype = dtypes.from_numpy_dtype(np.dtype(cdt))
        if mode.startswith("nearest"):
            exact = mode == "nearest-exact"
            iy = _nearest_index(out_sz[0], in_sz[0], scales[0], exact)
            ix = _nearest_index(out_sz[1], in_sz[1], scales[1], exact)
            _kernel("upsample_nearest_backward", cdtype, a)(*_args(a, g, iy, ix, out))
        else:
            opm = np.float64 if dt is dtypes.float64 else np.float32
            y0, y1, hy0, hy1 = _linear_weights(out_sz[0], in_sz[0], scales[0], align_corners, opm)
            x0, x1, wx0, wx1 = _linear_weights(out_sz[1], in_sz[1], scales[1], align_corners, opm)
            _kernel("upsample_bilinear_backward", cdtype, a)(*_args(a, g, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out))
    out = _arrays.astype(out, dt.np)
    return out.reshape((n, c, in_sz[1]) if dim == 1 else (n, c) + tuple(in_sz))


def _interpolate_arrays(x: np.ndarray, in_sz, out_sz, scales, mode: str, align_corners: bool,
                        dt: dtypes.dtype) -> np.ndarray:
    """(N, C, H, W) -> (N, C, OH, OW) for validated arguments."""
    n, c = x.shape[:2]
    oh, ow = out_sz
    if _arrays.is_cuda(x):
        return _interpolate_cuda(x, in_sz, out_sz, scales, mode, align_corners, dt)
    out = np.empty((n, c, oh, ow), dt.np)
    if out.size == 0:
        return out
    planes = np.ascontiguousarray(x).reshape(n * c, in_sz[0], in_sz[1])
    out3 = out.reshape(n * c, oh, ow)
    if mode.startswith("nearest"):
        exact = mode == "nearest-exact"
        iy = _nearest_index(oh, in_sz[0], scales[0], exact)
        ix = _nearest_index(ow, in_sz[1], scales[1], exact)
        dispatch.lookup("upsample_nearest", "cpu", dt)(KC.unsigned_view(planes), iy, ix, KC.unsigned_view(out3))
        return out
    opm = np.float64 if dt is dtypes.float64 else np.float32
    y0, y1, hy0, hy1 = _linear_weights(oh, in_sz[0], scales[0], align_corners, opm)
    x0, x1, wx0, wx1 = _linear_weights(ow, in_sz[1], scales[1], align_corners, opm)
    if dt is dtypes.float16:
        res = np.empty((n * c, oh, ow), np.float32)
        dispatch.lookup("upsample_bilinear", "cpu", dt)(planes.astype(np.float32), y0, y1, hy0, hy1, x0, x1, wx0, wx1,
                                                        res)
        out3[...] = res
    else:
        dispatch.lookup("upsample_bilinear", "cpu", dt)(planes, y0, y1, hy0, hy1, x0, x1, wx0, wx1, out3)
    return out


def _kernel(op: str, dt: dtypes.dtype, like):
    return dispatch.lookup(op, _arrays.device_type(like), dt)


def _args(like, *arrays) -> list:
    """Kernel arguments on like's device: device arrays, the host index/weight tables copied to the device."""
    if not _arrays.is_cuda(like):
        return list(arrays)
    return [(_arrays.to_device(a, like.device) if isinstance(a, np.ndarray) else a).device_array() for a in arrays]


def _interpolate_cuda(x, in_sz, out_sz, scales, mode: str, align_corners: bool, dt: dtypes.dtype):
    """_interpolate_arrays on CUDA: (N, C, H, W) of any strides -> a new (N, C, OH, OW) (float16 in float32)."""
    n, c = x.shape[:2]
    oh, ow = out_sz
    cdt = np.float32 if dt is dtypes.float16 else dt.np
    out = _arrays.empty((n * c, oh, ow), cdt if not mode.startswith("nearest") else dt.np, x)
    if out.size:
        planes = _arrays.reshape(x, (n * c, in_sz[0], in_sz[1]))
        if mode.startswith("nearest"):
            exact = mode == "nearest-exact"
            iy = _nearest_index(oh, in_sz[0], scales[0], exact)
            ix = _nearest_index(ow, in_sz[1], scales[1], exact)
            _kernel("upsample_nearest", dt, x)(*_args(x, planes, iy, ix, out))
        else:
            opm = np.float64 if dt is dtypes.float64 else np.float32
            y0, y1, hy0, hy1 = _linear_weights(oh, in_sz[0], scales[0], align_corners, opm)
            x0, x1, wx0, wx1 = _linear_weights(ow, in_sz[1], scales[1], align_corners, opm)
            _kernel("upsample_bilinear", dt, x)(*_args(x, _arrays.astype(planes, cdt), y0, y1, hy0, hy1, x0, x1, wx0,
                                                       wx1, out))
    return _arrays.astype(out, dt.np).reshape(n, c, oh, ow)


def upsample(input: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """F.upsample (deprecated in torch): interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


FUNCTIONAL: dict = {"interpolate": interpolate, "upsample": upsample}
