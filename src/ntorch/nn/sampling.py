"""F.interpolate: nearest, nearest-exact (3-D to 5-D input), linear (3-D), bilinear, bicubic (4-D), trilinear (5-D),
area; F.grid_sample and F.affine_grid.

Source indices and weights are computed here with PyTorch's arithmetic (float32 for float16 and
float32 data, the data's precision for float64; nearest always in float32), so results match torch's
CPU kernels: with scale_factor given (and recompute_scale_factor not set) the coordinate mapping uses
1/scale_factor itself, otherwise input_size / output_size. The kernels then only gather and blend.
1-d modes run as 2-d ones with height 1. On CUDA the host-computed tables are copied to the device and
kernels/cuda/sampling.py gathers and blends (the backward scatter-adds with atomics).

Autograd: interpolation is linear in the input; its backward is the adjoint kernel (scatter-add into
the source pixels with the same indices and weights), whose backward is the forward again.
bicubic, trilinear and 5-D nearest run one pass per spatial axis made of recorded ops (`_separable`); affine_grid
is one recorded matmul. grid_sample runs kernels/cpu/grid_sample.py (kernels/cuda/grid_sample.py on CUDA): taps
(offsets and weights) per output point, a gather, and for the backward the gather's adjoint (input) and the weights'
derivatives (grid); its backward has no derivative of its own yet (create_graph through it raises on use).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import conv as KC
from ..kernels.cpu import grid_sample as KG
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

GRID_DTYPES = (dtypes.float32, dtypes.float64)  # grid_sample's kernels; float16 computes in float32
for _op, _fn in (("grid_sample_taps", "taps"), ("grid_sample_gather", "gather"), ("grid_sample_scatter", "scatter"),
                 ("grid_sample_grid_grad", "grid_grad")):
    dispatch.register(_op, "cpu", GRID_DTYPES, partial(lambda dt, fn: getattr(KG, fn), fn=_fn))
    dispatch.register(_op, "cuda", GRID_DTYPES, dispatch.cuda_kernel("grid_sample", _fn + "_into"), lazy=True)

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
    """F.interpolate: nearest / nearest-exact (3-D to 5-D input), linear (3-D), bilinear and bicubic (4-D),
    trilinear (5-D), area (adaptive average pooling, 3-D to 5-D)."""
    check_tensor(input, "interpolate")
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                         "bicubic | trilinear")
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a "
                             "4-D tensor as input")
        raise NotImplementedError("interpolate: antialias=True is not implemented in ntorch")
    needs = {"linear": 3, "bilinear": 4, "trilinear": 5}
    if mode in needs and input.ndim in (3, 4, 5) and input.ndim != needs[mode]:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {needs[mode]}D input")
    supported = input.ndim in (3, 4, 5) and (mode in ("nearest", "nearest-exact", "area") or mode in needs
                                              or (mode == "bicubic" and input.ndim == 4))
    if not supported:
        if mode == "lanczos" and input.ndim == 4:
            raise NotImplementedError("interpolate: mode 'lanczos' is not implemented in ntorch")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: {_MODES} (got {mode})")
    dim = input.ndim - 2
    if mode == "area" and size is None:
        recompute_scale_factor = True
    out_sz, scales = _sizes(input, dim, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        from . import pooling

        return getattr(pooling, f"adaptive_avg_pool{dim}d")(input, out_sz)
    in_sz = list(input.shape[2:])
    if any(v <= 0 for v in in_sz + out_sz):
        names = ("D", "H", "W")[3 - dim:]
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
        kind = {"linear": "compute_indices_weights_linear", "trilinear": "compute_indices_weights_linear",
                "bicubic": "compute_indices_weights_cubic"}.get(mode) or (
            f"upsample_{'nearest' if mode.startswith('nearest') else 'bilinear'}2d_channels_last")
        raise NotImplementedError(f"\"{kind}\" not implemented for '{torch_scalar_name(dt)}'")
    if dim == 3 or mode == "bicubic":
        return _separable(input, mode, in_sz, out_sz, scales, bool(align_corners))
    if dim == 1:
        in_sz, out_sz, scales = [1] + in_sz, [1] + out_sz, [None] + scales
    geom = (dim, tuple(in_sz), tuple(out_sz), tuple(scales), mode, bool(align_corners))
    name = {"nearest": "UpsampleNearest", "nearest-exact": "UpsampleNearestExact", "linear": "UpsampleLinear",
            "bilinear": "UpsampleBilinear"}[mode] + f"{dim}DBackward0"
    return linear_op(input, partial(_interpolate_fn, geom=geom), partial(_interpolate_adjoint_fn, geom=geom), name,
                     name.replace("Backward0", "BackwardBackward0"))


_CUBIC_A = -0.75  # torch's cubic convolution constant


def _cubic_taps(out_size: int, in_size: int, scale, align_corners: bool, opm) -> list:
    """torch's bicubic taps per output index: 4 source indices (clamped to the border) and their
    cubic-convolution coefficients (A = -0.75), in torch's arithmetic."""
    if align_corners:
        s = opm(in_size - 1) / opm(out_size - 1) if out_size > 1 else opm(0)
    else:
        s = opm(1.0 / scale) if scale is not None and scale > 0 else opm(in_size) / opm(out_size)
    dst = np.arange(out_size).astype(opm)
    src = (s * dst if align_corners else s * (dst + opm(0.5)) - opm(0.5)).astype(opm)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    t = np.clip(src - i0.astype(opm), opm(0), opm(1)).astype(opm)
    a = opm(_CUBIC_A)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    coeffs = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(np.clip(i0 - 1 + k, 0, in_size - 1), coeffs[k].astype(opm)) for k in range(4)]


def _axis_matrix(taps: list, in_size: int, opm) -> np.ndarray:
    """The (out, in) matrix of one axis' interpolation: the tap weights added at their source indices."""
    out_size = len(taps[0][0])
    m = np.zeros((out_size, in_size), opm)
    rows = np.arange(out_size)
    for idx, w in taps:
        np.add.at(m, (rows, idx), w)
    return m


def _along(x: Tensor, axis: int, m: Tensor) -> Tensor:
    """x with axis mapped through the (out, in) matrix m: one (broadcast) matmul."""
    shape = list(x.shape)
    n_in, lead = shape[axis], int(np.prod(shape[:axis]))
    trail = int(np.prod(shape[axis + 1:]))
    if trail == 1:
        y = x.reshape(lead, n_in).matmul(m.transpose(0, 1))
    else:
        y = m.matmul(x.reshape(lead, n_in, trail))
    shape[axis] = m.shape[0]
    return y.reshape(*shape)


def _separable(input: Tensor, mode: str, in_sz, out_sz, scales, align_corners: bool) -> Tensor:
    """bicubic, trilinear and 5-D nearest(-exact) as one pass per spatial axis, built from recorded ops
    (index_select for nearest, a matmul with the axis' interpolation matrix otherwise): autograd and CUDA
    come from those ops."""
    from ..ops.creation import tensor

    x = input
    dt = input.dtype
    opm = np.float64 if dt is dtypes.float64 else np.float32
    if mode.startswith("nearest"):
        for i in range(len(in_sz)):
            if in_sz[i] != out_sz[i] or mode == "nearest-exact":
                idx = _nearest_index(out_sz[i], in_sz[i], scales[i], mode == "nearest-exact")
                x = x.index_select(2 + i, tensor(idx, device=input.device))
        return x if x is not input else input.clone()
    cdt = dtypes.float32 if dt in dtypes.HALF_DTYPES else dt
    x = x.to(cdt)
    for i in range(len(in_sz)):
        if mode == "bicubic":
            taps = _cubic_taps(out_sz[i], in_sz[i], scales[i], align_corners, opm)
        else:
            i0, i1, w0, w1 = _linear_weights(out_sz[i], in_sz[i], scales[i], align_corners, opm)
            taps = [(i0, w0), (i1, w1)]
        m = tensor(_axis_matrix(taps, in_sz[i], opm), dtype=cdt, device=input.device)
        x = _along(x, 2 + i, m)
    return x.to(dt)


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
    cdt = dtypes.compute_np(dt.np)
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
    if dt in dtypes.HALF_DTYPES:
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
    cdt = dtypes.compute_np(dt.np)
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


def upsample_nearest(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """F.upsample_nearest (deprecated in torch): interpolate(mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size=None, scale_factor=None) -> Tensor:
    """F.upsample_bilinear (deprecated in torch): interpolate(mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---------------------------------------------------------------------------------------------
# grid_sample (kernels/cpu/grid_sample.py, kernels/cuda/grid_sample.py) / affine_grid (a recorded matmul)
# ---------------------------------------------------------------------------------------------

_GS_MODES = {"bilinear": KG.BILINEAR, "nearest": KG.NEAREST, "bicubic": KG.BICUBIC}
_GS_PADDING = {"zeros": KG.ZEROS, "border": KG.BORDER, "reflection": KG.REFLECTION}


def _check_grid_sample(input: Tensor, grid: Tensor, mode: str, padding_mode: str) -> None:
    """torch's grid_sampler argument checks and messages."""
    from .conv import check_devices

    if mode not in _GS_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _GS_PADDING:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    check_tensor(input, "grid_sample")
    check_tensor(grid, "grid_sample", "grid")
    check_devices("grid_sampler", input, grid)
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"expected scalar type {torch_scalar_name(input.dtype)} but found "
                           f"{torch_scalar_name(grid.dtype)}")
    if input.ndim != grid.ndim or input.ndim not in (4, 5):
        raise RuntimeError("grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with sizes "
                           f"{list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != input.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.ndim - 2} in last dimension, but got "
                           f"grid with sizes {list(grid.shape)}")
    for i in range(2, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {i} being empty")
    if mode == "bicubic" and input.ndim == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if input.dtype not in LINEAR_DTYPES:
        raise NotImplementedError(f"\"grid_sampler_{input.ndim - 2}d_cpu\" not implemented for "
                                  f"'{torch_scalar_name(input.dtype)}'")


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """F.grid_sample: input (N, C, H, W) with grid (N, Ho, Wo, 2), or (N, C, D, H, W) with grid (N, Do, Ho, Wo, 3);
    bilinear / nearest (4-d and 5-d) and bicubic (4-d), every padding mode. Differentiable in input and grid."""
    _check_grid_sample(input, grid, mode, padding_mode)
    geom = (_GS_MODES[mode], _GS_PADDING[padding_mode], bool(align_corners))
    res = Tensor._wrap(_grid_sample_forward(input._data, grid._data, geom))
    if needs_graph(input, grid):
        name = f"GridSampler{input.ndim - 2}DBackward0"
        node = record(name, _grid_sample_backward, (input, grid), (res,), (input, grid))
        node.geom = geom
    return res


def _gs_compute(dt) -> np.dtype:
    """The dtype grid_sample's kernels compute in (float16 in float32)."""
    return dtypes.compute_np(dt)


def _gs_layout(x, grid, cdt):
    """x as C-contiguous (N, C, S) and grid as (N, P, dims) in the compute dtype, with the spatial sizes."""
    n, c = x.shape[:2]
    dims = grid.shape[-1]
    spatial = tuple(x.shape[2:])
    out_spatial = tuple(grid.shape[1:-1])
    s, p = int(np.prod(spatial)), int(np.prod(out_spatial))
    if _arrays.is_cuda(x):
        x3 = _arrays.reshape(_arrays.ascontiguous(_arrays.astype(x, cdt)), (n, c, s))
        g3 = _arrays.reshape(_arrays.ascontiguous(_arrays.astype(grid, cdt)), (n, p, dims))
    else:
        x3 = np.ascontiguousarray(x, dtype=cdt).reshape(n, c, s)
        g3 = np.ascontiguousarray(grid, dtype=cdt).reshape(n, p, dims)
    sizes = tuple(reversed(spatial)) + (1,) * (3 - len(spatial))  # (W, H, D)
    return x3, g3, sizes, out_spatial


def _gs_taps(g3, sizes, geom, want_grad: bool, cdt):
    """Each output point's taps: flat offsets idx, weights w (N, K, P) and, with want_grad, d w / d grid dw
    (N, K, P, dims)."""
    mode, padding, align = geom
    n, p, dims = g3.shape
    k = KG.tap_count(mode, dims)
    idx = _arrays.empty((n, k, p), np.int64, g3)
    w = _arrays.empty((n, k, p), cdt, g3)
    dw = _arrays.empty((n, k, p, dims) if want_grad else (1, 1, 1, dims), cdt, g3)
    if n * p:
        _gs_kernel("grid_sample_taps", cdt, g3)(*_gs_args(g3, *sizes, mode, padding, align, idx, w, dw, want_grad))
    return idx, w, dw


def _gs_kernel(op: str, cdt, like):
    return dispatch.lookup(op, _arrays.device_type(like), dtypes.from_numpy_dtype(np.dtype(cdt)))


def _gs_args(*args) -> list:
    return [_arrays.kernel_arg(a) for a in args]


def _grid_sample_forward(x, grid, geom):
    cdt = _gs_compute(x.dtype)
    x3, g3, sizes, out_spatial = _gs_layout(x, grid, cdt)
    idx, w, _ = _gs_taps(g3, sizes, geom, False, cdt)
    n, c = x3.shape[:2]
    out = _arrays.empty((n, c, g3.shape[1]), cdt, x)
    if out.size:
        _gs_kernel("grid_sample_gather", cdt, x)(*_gs_args(x3, idx, w, out))
    return _arrays.astype(out, x.dtype).reshape((n, c) + out_spatial)


def _grid_sample_backward(c, g: Tensor):
    """The input gradient (the gather's adjoint: a scatter-add) and the grid gradient, each when needed."""
    input, grid = c.saved_tensors
    need_input, need_grid = c.needs_input_grad
    x, dt = input._data, input._data.dtype
    cdt = _gs_compute(dt)
    x3, g3, sizes, _ = _gs_layout(x, grid._data, cdt)
    nearest = c.geom[0] == KG.NEAREST  # piecewise constant in the grid: its gradient is zero
    idx, w, dw = _gs_taps(g3, sizes, c.geom, need_grid and not nearest, cdt)
    n, ch = x3.shape[:2]
    go = g._data
    go3 = (_arrays.reshape(_arrays.ascontiguous(_arrays.astype(go, cdt)), (n, ch, g3.shape[1])) if _arrays.is_cuda(go)
           else np.ascontiguousarray(go, dtype=cdt).reshape(n, ch, g3.shape[1]))
    gx = gg = None
    if need_input:
        out = zeros(x3.shape, cdt, x)
        if go3.size:
            _gs_kernel("grid_sample_scatter", cdt, x)(*_gs_args(go3, idx, w, out))
        gx = Tensor._wrap(_arrays.astype(out, dt).reshape(x.shape))
    if need_grid:
        out = zeros(g3.shape, np.float64, x)
        if go3.size and not nearest:
            _gs_kernel("grid_sample_grid_grad", cdt, x)(*_gs_args(x3, go3, idx, dw, out))
        gg = Tensor._wrap(_arrays.astype(out, dt).reshape(grid.shape))
    if grad_mode.STATE.enabled and needs_graph(g, input, grid):  # create_graph: no second derivative (yet)
        node = record("NotImplemented", _no_second_derivative, (g, input, grid),
                      [t for t in (gx, gg) if t is not None])
        node.op = f"grid_sampler_{input.ndim - 2}d_backward"
    return gx, gg


def _no_second_derivative(c, *_):
    raise RuntimeError(f"derivative for aten::{c.op} is not implemented in ntorch (torch has it): grid_sample's "
                       "backward cannot be differentiated again")


def _base_axis(steps: int, align_corners: bool) -> np.ndarray:
    """torch's linspace_from_neg_one: steps points over [-1, 1], shrunk by (steps-1)/steps without
    align_corners."""
    if steps <= 1:
        return np.zeros(1)
    r = np.linspace(-1.0, 1.0, steps)
    return r if align_corners else r * (steps - 1) / steps


def affine_grid(theta: Tensor, size, align_corners: bool | None = None) -> Tensor:
    """F.affine_grid: the base grid (x, y[, z], 1) of every output pixel times theta^T, (N, H, W, 2) or
    (N, D, H, W, 3); one batched matmul, differentiable in theta."""
    from ..ops.creation import tensor

    align_corners = bool(align_corners)
    check_tensor(theta, "affine_grid", "theta")
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got ntorch.{theta.dtype.name}")
    size = list(size)
    shape = tuple(theta.shape)
    if len(size) == 4:
        if theta.ndim != 3 or shape[-2:] != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.ndim != 3 or shape[-2:] != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {tuple(size)}.")
    if not (align_corners and min(spatial) == 1) and min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {tuple(size)}")
    axes = [_base_axis(v, align_corners) for v in reversed(spatial)]  # x (W), y (H)[, z (D)]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # each of shape spatial
    base = np.stack(list(mesh) + [np.ones(tuple(spatial))], -1).reshape(-1, len(spatial) + 1)
    b = tensor(base, dtype=theta.dtype, device=theta.device)
    grid = b.matmul(theta.transpose(1, 2))  # (N, prod(spatial), k)
    return grid.reshape(size[0], *spatial, len(spatial))


FUNCTIONAL: dict = {"interpolate": interpolate, "upsample": upsample, "upsample_nearest": upsample_nearest,
                    "upsample_bilinear": upsample_bilinear, "grid_sample": grid_sample, "affine_grid": affine_grid}
