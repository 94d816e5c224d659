"""Pooling: max/avg pool 1d/2d, adaptive avg/max pool 1d/2d, max_unpool2d.

Each op validates in Python with torch's messages, views the input as (N*C, H, W) planes (1-d ops
as H = 1) and calls one plane kernel of ntorch.kernels.cpu.pool (kernels.cuda.pool on CUDA: any strides,
the max-pool gradient scattered with atomics). float16 computes in float32.
max_pool and adaptive_max_pool always can return indices (flat positions in each input plane, as
torch), which is what their backward needs. max_pool2d of a channels-last CPU input runs an (N, H, W, C) kernel
and returns channels-last values and indices (its gradient too), as torch; adaptive pools whose windows tile the
plane run the max_pool kernel (kernel = stride), the (1, 1) adaptive max a plane argmax.

Autograd: max pooling records the argmax indices (computed by the forward whenever a graph is recorded)
and its backward scatters the gradient into them; the scatter's own backward is the gather through the
same indices. Average pooling (plain and adaptive) is linear: its backward is the adjoint kernel, whose
backward is the forward again (`linear_op`), so derivatives of every order exist.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .. import _arrays, dispatch, dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import pool as K
from ..ops._util import check_tensor
from ..tensor import Tensor
from .conv import _is_int, check_devices, int_tuple, linear_op, torch_scalar_name, zeros

MAX_DTYPES = dtypes.NUMERIC_DTYPES
AVG_DTYPES = dtypes.FLOAT_DTYPES + (dtypes.int64,)
dispatch.register("max_pool2d", "cpu", MAX_DTYPES, lambda dt: K.max_pool)
dispatch.register("max_pool2d_parallel", "cpu", MAX_DTYPES, lambda dt: K.max_pool_parallel)
dispatch.register("max_pool2d_nhwc", "cpu", MAX_DTYPES, lambda dt: K.max_pool_nhwc)
dispatch.register("avg_pool2d", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.avg_pool)
dispatch.register("avg_pool2d", "cpu", (dtypes.int64,), lambda dt: K.avg_pool_int)
dispatch.register("avg_pool2d_2x2", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.avg_pool_2x2)
dispatch.register("adaptive_avg_pool2d", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.adaptive_avg_pool)
dispatch.register("adaptive_avg_pool2d_global", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.plane_sum)
dispatch.register("adaptive_avg_pool2d_tiled", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.adaptive_avg_pool_tiled)
dispatch.register("adaptive_max_pool2d", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.adaptive_max_pool)
dispatch.register("adaptive_max_pool2d_global", "cpu", dtypes.FLOAT_DTYPES, lambda dt: K.global_max_pool)
dispatch.register("max_unpool2d", "cpu", dtypes.NUMERIC_DTYPES, lambda dt: K.max_unpool)
GRAD_DTYPES = (dtypes.float32, dtypes.float64)  # backward kernels; float16 computes in float32
dispatch.register("pool_scatter_add", "cpu", GRAD_DTYPES, lambda dt: K.scatter_add_planes)
dispatch.register("pool_gather", "cpu", GRAD_DTYPES, lambda dt: K.gather_planes)
dispatch.register("pool_scatter_add_nhwc", "cpu", GRAD_DTYPES, lambda dt: K.scatter_add_nhwc)
dispatch.register("pool_gather_nhwc", "cpu", GRAD_DTYPES, lambda dt: K.gather_nhwc)
dispatch.register("avg_pool2d_backward", "cpu", GRAD_DTYPES, lambda dt: K.avg_pool_backward)
dispatch.register("adaptive_avg_pool2d_backward", "cpu", GRAD_DTYPES, lambda dt: K.adaptive_avg_pool_backward)
dispatch.register("adaptive_avg_pool2d_backward_disjoint", "cpu", GRAD_DTYPES, lambda dt: K.avg_pool_backward_disjoint)
for _op, _dts, _fn in (("max_pool2d", MAX_DTYPES, "max_pool_into"),
                       ("avg_pool2d", dtypes.FLOAT_DTYPES, "avg_pool_into"),
                       ("avg_pool2d", (dtypes.int64,), "avg_pool_int_into"),
                       ("adaptive_avg_pool2d", dtypes.FLOAT_DTYPES, "adaptive_avg_into"),
                       ("adaptive_max_pool2d", dtypes.FLOAT_DTYPES, "adaptive_max_into"),
                       ("max_unpool2d", dtypes.NUMERIC_DTYPES, "max_unpool_into"),
                       ("pool_scatter_add", GRAD_DTYPES, "scatter_add_planes"),
                       ("pool_gather", GRAD_DTYPES, "gather_planes"),
                       ("avg_pool2d_backward", GRAD_DTYPES, "avg_pool_backward_into"),
                       ("adaptive_avg_pool2d_backward", GRAD_DTYPES, "adaptive_avg_backward_into")):
    dispatch.register(_op, "cuda", _dts, dispatch.cuda_kernel("pool", _fn), lazy=True)

PARALLEL_WORK = 1 << 20  # window reads from which max_pool2d shares planes among threads


def _compute(dt: dtypes.dtype):
    return dtypes.compute_np(dt.np).type


def _planes(x: np.ndarray, cdt) -> np.ndarray:
    """(..., H, W) -> C-contiguous (P, H, W) in the compute dtype (on CUDA: any strides, a view when possible)."""
    if _arrays.is_cuda(x):
        return _arrays.reshape(_arrays.astype(x, cdt), (int(np.prod(x.shape[:-2])),) + x.shape[-2:])
    return np.ascontiguousarray(x, dtype=cdt).reshape((-1,) + x.shape[-2:])


def _cuda(op: str, dt, *args) -> None:
    """Run op's CUDA kernel for dtype dt (an ntorch or NumPy dtype) on device arrays (other arguments as given)."""
    dt = dt if isinstance(dt, dtypes.dtype) else dtypes.from_numpy_dtype(np.dtype(dt))
    dispatch.lookup(op, "cuda", dt)(*[_arrays.kernel_arg(a) for a in args])


def _pool_args(op: str, kernel_size, stride, padding, dilation, n: int):
    """kernel / stride (default: the kernel) / padding / dilation as n-tuples, torch's tuple-length error."""
    vals = []
    for name, v in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding), ("dilation", dilation)):
        if name == "stride" and (v is None or (not isinstance(v, int) and len(v) == 0)):
            v = vals[0]
        t = int_tuple(v, n, name, op)
        if len(t) == 1:
            t = t * n
        if len(t) != n:
            what = "kernel_size" if name == "kernel_size" else name
            extra = ", or a tuple of two ints" if n == 2 else ""
            raise RuntimeError(f"{op}: {what} must either be a single int{extra}")
        vals.append(t)
    return vals


def _out_len(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """torch's pooling_output_shape (floor division rounds toward -inf)."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _check_pool_args(k, s, p, d) -> None:
    """The checks of torch's pooling_output_shape, per dim, then those of pool2d_shape_check."""
    for i in range(len(k)):
        if s[i] == 0:
            raise RuntimeError("stride should not be zero")
        if p[i] < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p[i]}")
        if p[i] > ((k[i] - 1) * d[i] + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={p[i]}, "
                               f"kernel_size={k[i]} and dilation={d[i]}")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[-1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[-1]}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} dilationW: {d[-1]}")


def _check_planes(input: Tensor, nd: int) -> None:
    """3D/4D (2-d pooling) or 2D/3D (1-d pooling) input whose non-batch dims are non-empty."""
    shape = tuple(input.shape)
    if input.ndim not in (nd + 1, nd + 2) or any(v == 0 for v in shape[-(nd + 1):]):
        if nd == 2:
            raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
                               f"got:{list(shape)}")
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
                           f"got:{list(shape)}")


def _too_small(c: int, h: int, w: int, oh: int, ow: int):
    return RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{oh}x{ow}). Output size is "
                        "too small")


def _pool_geometry(op: str, input: Tensor, nd: int, kernel_size, stride, padding, dilation, ceil_mode):
    """Validated (k, s, p, d) as pairs (1-d: height 1) and the output (OH, OW)."""
    k, s, p, d = _pool_args(op, kernel_size, stride, padding, dilation, nd)
    if nd == 1:
        k, s, p, d = (1,) + k, (1,) + s, (0,) + p, (1,) + d
    _check_pool_args(k, s, p, d)
    h, w = (1, input.shape[-1]) if nd == 1 else tuple(input.shape[-2:])
    oh, ow = _out_len(h, k[0], s[0], p[0], d[0], ceil_mode), _out_len(w, k[1], s[1], p[1], d[1], ceil_mode)
    return k, s, p, d, oh, ow


def _max_pool(op: str, nd: int, input: Tensor, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    check_tensor(input, op)
    if nd == 2 and input.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if nd == 1 and input.ndim not in (2, 3):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(input.shape)}")
    k, s, p, d, oh, ow = _pool_geometry(op, input, nd, kernel_size, stride, padding, dilation, ceil_mode)
    _check_planes(input, nd)
    c = input.shape[-nd - 1]
    h, w = (1, input.shape[-1]) if nd == 1 else tuple(input.shape[-2:])
    if oh < 1 or ow < 1:
        if nd == 1:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {ow}")
        raise _too_small(c, h, w, oh, ow)
    dt = input.dtype
    if dt is dtypes.bool:
        raise NotImplementedError(f"\"{op}\" not implemented for 'Bool'")
    graph = needs_graph(input)
    out, ind = _max_pool_arrays(input._data, nd, k, s, p, d, (oh, ow), dt, return_indices or graph)
    return _with_indices(input, Tensor._wrap(out), ind, return_indices, graph,
                         "MaxPool2DWithIndicesBackward0" if nd == 2 else "MaxPool1DWithIndicesBackward0", nd)


def _with_indices(input: Tensor, res: Tensor, ind, return_indices: bool, graph: bool, name: str, nd: int):
    """A max pool's result (and indices), recorded: the backward scatters into the argmax positions."""
    ind_t = Tensor._wrap(ind) if return_indices else None
    if graph:
        node = record(name, _max_backward, (input,), (res, ind_t) if return_indices else (res,))
        if _is_channels_last(ind):  # (N, L, C) indices: the backward scatters channels-last
            n, c = ind.shape[0], ind.shape[1]
            nhwc = ind.transpose(0, 2, 3, 1)
            own = np.array(nhwc, order="C") if return_indices else nhwc  # keep our own (see below)
            node.index = (own.reshape(n, -1, c), tuple(ind.shape), tuple(input.shape), name, True)
            return (res, ind_t) if return_indices else res
        planes = int(np.prod(input.shape[:input.ndim - nd]))
        own = _arrays.copy(ind) if return_indices else ind  # the user may write into returned indices: keep our own
        ind2 = _arrays.reshape(own, (planes, int(np.prod(ind.shape[ind.ndim - nd:]))))
        node.index = (ind2, tuple(ind.shape), tuple(input.shape), name, False)
    return (res, ind_t) if return_indices else res


def _max_backward(c, g, *_):
    ind2, out_shape, in_shape, name, nhwc = c.index
    adjoint_name = name.replace("Backward0", "BackwardBackward0")
    if nhwc:
        return linear_op(g, partial(_scatter_nhwc_fn, ind3=ind2, shape=in_shape),
                         partial(_gather_nhwc_fn, ind3=ind2, shape=out_shape), name, adjoint_name)
    return plane_scatter(g, ind2, out_shape, in_shape, name, adjoint_name)


def _is_channels_last(a) -> bool:
    """A 4-d CPU array laid out (N, H, W, C) and not also C-contiguous (C = 1 or a 1x1 plane: plain planes)."""
    return (not _arrays.is_cuda(a) and a.ndim == 4 and not a.flags.c_contiguous
            and a.transpose(0, 2, 3, 1).flags.c_contiguous)


def _scatter_nhwc_fn(a: np.ndarray, ind3: np.ndarray, shape) -> np.ndarray:
    """The max-pool gradient of channels-last input: a (N, C, OH, OW) scattered through ind3 (N, OH*OW, C) into
    a channels-last (N, C, H, W) array, as torch's gradient."""
    cdt = _grad_compute(a)
    n, c, h, w = shape
    out = (np.empty if ind3.size else np.zeros)((n, h * w, c), cdt)
    if ind3.size:  # the kernel zeroes each image before its scatter
        g = np.ascontiguousarray(a.transpose(0, 2, 3, 1), dtype=cdt).reshape(ind3.shape)
        dispatch.lookup("pool_scatter_add_nhwc", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(g, ind3, out)
    return out.astype(a.dtype, copy=False).reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _gather_nhwc_fn(a: np.ndarray, ind3: np.ndarray, shape) -> np.ndarray:
    """The adjoint of _scatter_nhwc_fn: a (N, C, H, W) read at ind3 -> channels-last (N, C, OH, OW)."""
    cdt = _grad_compute(a)
    n, c, oh, ow = shape
    out = np.empty(ind3.shape, cdt)
    if ind3.size:
        x = np.ascontiguousarray(a.transpose(0, 2, 3, 1), dtype=cdt).reshape(n, -1, c)
        dispatch.lookup("pool_gather_nhwc", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(x, ind3, out)
    return out.astype(a.dtype, copy=False).reshape(n, oh, ow, c).transpose(0, 3, 1, 2)


def plane_scatter(g: Tensor, ind2: np.ndarray, out_shape, in_shape, name: str, adjoint_name: str) -> Tensor:
    """Zeros of in_shape with g (of out_shape) added at the flat in-plane positions ind2 (P, L). Linear, with
    the gather through ind2 as adjoint."""
    return linear_op(g, partial(_scatter_fn, ind2=ind2, shape=in_shape),
                     partial(_gather_fn, ind2=ind2, shape=out_shape), name, adjoint_name)


def plane_gather(x: Tensor, ind2: np.ndarray, out_shape, name: str, adjoint_name: str) -> Tensor:
    """x's values at the flat in-plane positions ind2 (P, L), shaped out_shape; adjoint plane_scatter."""
    return linear_op(x, partial(_gather_fn, ind2=ind2, shape=out_shape),
                     partial(_scatter_fn, ind2=ind2, shape=tuple(x.shape)), name, adjoint_name)


def _grad_planes(a: np.ndarray, nd: int, in_shape, cdt) -> np.ndarray:
    """An output gradient as C-contiguous (P, OH, OW) planes (OH = 1 for 1-d pooling), P from the input."""
    planes = int(np.prod(in_shape[:len(in_shape) - nd]))
    oh, ow = (1, a.shape[-1]) if nd == 1 else a.shape[-2:]
    if _arrays.is_cuda(a):
        return _arrays.reshape(_arrays.astype(a, cdt), (planes, oh, ow))
    return np.ascontiguousarray(a, dtype=cdt).reshape(planes, oh, ow)


def _grad_compute(a: np.ndarray):
    """The compute dtype of a backward kernel for a float array (float16 in float32)."""
    return dtypes.compute_np(a.dtype).type


def _scatter_fn(a: np.ndarray, ind2: np.ndarray, shape) -> np.ndarray:
    cdt = _grad_compute(a)
    if _arrays.is_cuda(a):
        out = zeros((ind2.shape[0], int(np.prod(shape)) // max(ind2.shape[0], 1)), cdt, a)
        if ind2.size:
            _cuda("pool_scatter_add", cdt, _arrays.reshape(_arrays.astype(a, cdt), ind2.shape), ind2, out)
        return _arrays.astype(out, a.dtype).reshape(shape)
    out = (np.empty if ind2.size else np.zeros)((ind2.shape[0], int(np.prod(shape)) // max(ind2.shape[0], 1)), cdt)
    if ind2.size:  # the kernel zeroes each plane before its scatter
        dispatch.lookup("pool_scatter_add", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(
            np.ascontiguousarray(a, dtype=cdt).reshape(ind2.shape), ind2, out)
    return out.astype(a.dtype, copy=False).reshape(shape)


def _gather_fn(a: np.ndarray, ind2: np.ndarray, shape) -> np.ndarray:
    cdt = _grad_compute(a)
    if _arrays.is_cuda(a):
        out = _arrays.empty(ind2.shape, cdt, a)
        if ind2.size:
            _cuda("pool_gather", cdt, _arrays.reshape(_arrays.astype(a, cdt), (ind2.shape[0], -1)), ind2, out)
        return _arrays.astype(out, a.dtype).reshape(shape)
    out = np.empty(ind2.shape, cdt)
    if ind2.size:
        dispatch.lookup("pool_gather", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(
            np.ascontiguousarray(a, dtype=cdt).reshape(ind2.shape[0], -1), ind2, out)
    return out.astype(a.dtype, copy=False).reshape(shape)


def _max_pool_arrays(x: np.ndarray, nd: int, k, s, p, d, out_hw, dt: dtypes.dtype, with_indices: bool):
    """max pooling of validated arrays; x is (..., W) for nd = 1, (..., H, W) for nd = 2."""
    if nd == 2 and _is_channels_last(x) and x.shape[2] * x.shape[3] < 2 ** 31:
        return _max_pool_nhwc(x, k, s, p, d, out_hw, dt, with_indices)
    cdt = _compute(dt)
    batch = x.shape[:-nd]
    planes = _planes(x[..., None, :] if nd == 1 else x, cdt)
    oh, ow = out_hw
    shape = batch + ((ow,) if nd == 1 else (oh, ow))
    if _arrays.is_cuda(x):
        out = _arrays.empty((planes.shape[0], oh, ow), cdt, x)
        ind = _arrays.empty((planes.shape[0], oh, ow), np.int64, x) if with_indices else out
        if out.size:
            _cuda("max_pool2d", dt, planes, out, ind, np.dtype(cdt).type(K.lowest(cdt)), k[0], k[1], s[0], s[1],
                  p[0], p[1], d[0], d[1], with_indices)
        return _arrays.astype(out, dt.np).reshape(shape), (ind.reshape(shape) if with_indices else None)
    out = np.empty((planes.shape[0], oh, ow), cdt)
    ind = np.empty((planes.shape[0], oh, ow) if with_indices else (0, 0, 0), np.int64)
    if out.size:
        work = out.size * k[0] * k[1]
        parallel = work >= PARALLEL_WORK and planes.shape[0] > 1 and K.num_threads() > 1
        args = (planes, out, ind, K.lowest(cdt), k[0], k[1], s[0], s[1], p[0], p[1], d[0], d[1], with_indices)
        if parallel:
            dispatch.lookup("max_pool2d_parallel", "cpu", dt)(*args, K.num_threads())
        else:
            dispatch.lookup("max_pool2d", "cpu", dt)(*args)
    shape = batch + ((ow,) if nd == 1 else (oh, ow))
    return out.astype(dt.np, copy=False).reshape(shape), (ind.reshape(shape) if with_indices else None)


def _max_pool_nhwc(x: np.ndarray, k, s, p, d, out_hw, dt: dtypes.dtype, with_indices: bool):
    """max_pool2d of channels-last (N, C, H, W) input: a channels-last result (and indices), as torch's."""
    cdt = _compute(dt)
    xt = np.ascontiguousarray(x.transpose(0, 2, 3, 1), dtype=cdt)
    n, c = x.shape[:2]
    out = np.empty((n,) + tuple(out_hw) + (c,), cdt)
    ind = np.empty(out.shape if with_indices else (0, 0, 0, 0), np.int64)
    if out.size:
        dispatch.lookup("max_pool2d_nhwc", "cpu", dt)(xt, out, ind, K.lowest(cdt), k[0], k[1], s[0], s[1], p[0], p[1],
                                                      d[0], d[1], with_indices)
    res = out.astype(dt.np, copy=False).transpose(0, 3, 1, 2)
    return res, (ind.transpose(0, 3, 1, 2) if with_indices else None)


def max_pool2d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """F.max_pool2d; with return_indices, also the flat index of each maximum in its input plane."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """F.max_pool1d: (N, C, L) or (C, L)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def _avg_pool(op: str, nd: int, input: Tensor, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    check_tensor(input, op)
    if nd == 2 and input.ndim < 3:
        raise IndexError(f"Dimension out of range (expected to be in range of [-{max(input.ndim, 1)}, "
                         f"{max(input.ndim, 1) - 1}], but got -3)")
    if nd == 1 and input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    k, s, p, d, oh, ow = _pool_geometry(op, input, nd, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _check_planes(input, nd)
    c = input.shape[-nd - 1]
    h, w = (1, input.shape[-1]) if nd == 1 else tuple(input.shape[-2:])
    if oh < 1 or ow < 1:
        raise _too_small(c, h, w, oh, ow)
    dt = input.dtype
    if dt not in AVG_DTYPES:
        raise NotImplementedError(f"\"avg_pool2d\" not implemented for '{torch_scalar_name(dt)}'")
    geom = (nd, k, s, p, bool(count_include_pad), divisor_override)
    name = f"AvgPool{nd}DBackward0"
    return linear_op(input, partial(_avg_fn, geom=geom, out_hw=(oh, ow)),
                     partial(_avg_adjoint_fn, geom=geom, in_shape=tuple(input.shape)), name,
                     name.replace("Backward0", "BackwardBackward0"))


def _avg_fn(a: np.ndarray, geom, out_hw) -> np.ndarray:
    nd, k, s, p, count_include_pad, divisor_override = geom
    return _avg_pool_arrays(a, nd, k, s, p, out_hw, dtypes.from_numpy_dtype(a.dtype), count_include_pad,
                            divisor_override)


def _avg_adjoint_fn(a: np.ndarray, geom, in_shape) -> np.ndarray:
    """avg_pool's backward: each output gradient divided over its window (the forward's divisors)."""
    nd, k, s, p, count_include_pad, divisor_override = geom
    cdt = _grad_compute(a)
    g = _grad_planes(a, nd, in_shape, cdt)
    h, w = (1, in_shape[-1]) if nd == 1 else in_shape[-2:]
    if _arrays.is_cuda(a):
        out = zeros((g.shape[0], h, w), cdt, a)
        has_div = divisor_override is not None
        if g.size:
            _cuda("avg_pool2d_backward", cdt, g, out, k[0], k[1], s[0], s[1], p[0], p[1], count_include_pad, has_div,
                  int(divisor_override) if has_div else 1)
        return _arrays.astype(out, a.dtype).reshape(in_shape)
    out = np.zeros((g.shape[0], h, w), cdt)
    if g.size:
        has_div = divisor_override is not None
        dispatch.lookup("avg_pool2d_backward", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(
            g, out, k[0], k[1], s[0], s[1], p[0], p[1], count_include_pad, has_div,
            int(divisor_override) if has_div else 1)
    return out.astype(a.dtype, copy=False).reshape(in_shape)


def _avg_pool_arrays(x, nd, k, s, p, out_hw, dt, count_include_pad, divisor_override):
    cdt = _compute(dt)
    has_div = divisor_override is not None
    divisor = int(divisor_override) if has_div else 1
    batch = x.shape[:-nd]
    planes = _planes(x[..., None, :] if nd == 1 else x, cdt)
    oh, ow = out_hw
    shape = batch + ((ow,) if nd == 1 else (oh, ow))
    if _arrays.is_cuda(x):
        out = _arrays.empty((planes.shape[0], oh, ow), cdt, x)
        if out.size:
            geom = (k[0], k[1], s[0], s[1], p[0], p[1], count_include_pad, has_div, divisor)
            if dt is dtypes.int64:
                _cuda("avg_pool2d", dt, planes, out, *geom)
            else:
                _cuda("avg_pool2d", dt, planes, out, np.float64(0), *geom)
        return _arrays.astype(out, dt.np).reshape(shape)
    out = np.empty((planes.shape[0], oh, ow), cdt)
    if out.size:
        if dt is dtypes.int64:
            dispatch.lookup("avg_pool2d", "cpu", dt)(planes, out, k[0], k[1], s[0], s[1], p[0], p[1],
                                                     count_include_pad, has_div, divisor)
        elif (k == (2, 2) and s == (2, 2) and p == (0, 0) and divisor_override in (None, 4)
              and 2 * oh <= planes.shape[1] and 2 * ow <= planes.shape[2]):
            dispatch.lookup("avg_pool2d_2x2", "cpu", dt)(planes, out, cdt(0.25))
        else:
            dispatch.lookup("avg_pool2d", "cpu", dt)(planes, out, np.float64(0), k[0], k[1], s[0], s[1], p[0], p[1],
                                                     count_include_pad, has_div, divisor)
    shape = batch + ((ow,) if nd == 1 else (oh, ow))
    return out.astype(dt.np, copy=False).reshape(shape)


def avg_pool2d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """F.avg_pool2d (float dtypes and int64, whose averages truncate toward zero as torch's)."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool1d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    """F.avg_pool1d: (N, C, L) or (C, L)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


# ---------------------------------------------------------------------------------------------
# Adaptive pooling
# ---------------------------------------------------------------------------------------------


def _check_size_list(input: Tensor, output_size, nd: int) -> None:
    """torch's _list_with_default: a 2-d/3-d output_size list needs more input dims than it has entries."""
    if nd > 1 and isinstance(output_size, (tuple, list)) and input.ndim <= len(output_size):
        raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")


def _adaptive_setup(op: str, input: Tensor, output_size, nd: int):
    check_tensor(input, op)
    _check_size_list(input, output_size, nd)
    if input.ndim not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor for argument #1 "
                               f"'self' (while checking arguments for {op})")
        raise RuntimeError(f"{op}(): Expected 3D or 4D tensor, but got {list(input.shape)}")
    spatial = tuple(input.shape[-nd:])
    if output_size is None or isinstance(output_size, int | np.integer):
        osz = (output_size,) * nd
    else:
        osz = tuple(output_size)
    if len(osz) != nd:
        raise ValueError(f"{op}: output_size must have {nd} elements, but got {len(osz)}")
    osz = tuple(spatial[i] if v is None else int_tuple(v, 1, "output_size", op)[0] for i, v in enumerate(osz))
    if any(v < 0 for v in osz):
        vals = ", ".join(str(v) for v in osz)
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received {{{vals}}}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {i} being empty")
    if input.dtype not in dtypes.FLOAT_DTYPES:
        raise NotImplementedError(f"\"{op.replace('1d', '2d')}\" not implemented for "
                                  f"'{torch_scalar_name(input.dtype)}'")
    return osz


def _adaptive_avg(op: str, nd: int, input: Tensor, output_size) -> Tensor:
    osz = _adaptive_setup(op, input, output_size, nd)
    name = f"AdaptiveAvgPool{nd}DBackward0"
    return linear_op(input, partial(_adaptive_avg_fn, nd=nd, osz=osz),
                     partial(_adaptive_avg_adjoint_fn, nd=nd, in_shape=tuple(input.shape)), name,
                     name.replace("Backward0", "BackwardBackward0"))


def _adaptive_avg_adjoint_fn(a: np.ndarray, nd: int, in_shape) -> np.ndarray:
    cdt = _grad_compute(a)
    g = _grad_planes(a, nd, in_shape, cdt)
    h, w = (1, in_shape[-1]) if nd == 1 else in_shape[-2:]
    if _arrays.is_cuda(a):
        out = zeros((g.shape[0], h, w), cdt, a)
        if g.size:
            _cuda("adaptive_avg_pool2d_backward", cdt, g, out)
        return _arrays.astype(out, a.dtype).reshape(in_shape)
    if g.size and g.shape[1:] == (1, 1):  # the global average: g / (H*W) everywhere
        out = np.empty((g.shape[0], h * w), cdt)
        out[...] = g.reshape(-1, 1) / cdt(h * w)
    elif g.size and h % g.shape[1] == 0 and w % g.shape[2] == 0:  # windows tiling the plane
        out = np.empty((g.shape[0], h, w), cdt)
        dispatch.lookup("adaptive_avg_pool2d_backward_disjoint", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(g, out)
    else:
        out = np.zeros((g.shape[0], h, w), cdt)
        if g.size:
            dispatch.lookup("adaptive_avg_pool2d_backward", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(g, out)
    return out.astype(a.dtype, copy=False).reshape(in_shape)


def _adaptive_avg_fn(x: np.ndarray, nd: int, osz) -> np.ndarray:
    dt = dtypes.from_numpy_dtype(x.dtype)
    cdt = _compute(dt)
    batch = x.shape[:-nd]
    planes = _planes(x[..., None, :] if nd == 1 else x, cdt)
    oh, ow = (1,) + osz if nd == 1 else osz
    if _arrays.is_cuda(x):
        out = _arrays.empty((planes.shape[0], oh, ow), cdt, x)
        if out.size:
            _cuda("adaptive_avg_pool2d", dt, planes, out, np.float64(0))
        return _arrays.astype(out, dt.np).reshape(batch + osz)
    out = np.empty((planes.shape[0], oh, ow), cdt)
    if out.size:
        if oh == 1 and ow == 1:
            flat = planes.reshape(planes.shape[0], -1)
            parallel = flat.size >= PARALLEL_WORK and flat.shape[0] > 1 and K.num_threads() > 1
            kernel = K.plane_sum_par if parallel else dispatch.lookup("adaptive_avg_pool2d_global", "cpu", dt)
            kernel(flat, out.reshape(-1), cdt(0), cdt(flat.shape[1]))
        elif planes.shape[1] % oh == 0 and planes.shape[2] % ow == 0:
            dispatch.lookup("adaptive_avg_pool2d_tiled", "cpu", dt)(planes, out, np.float64(0))
        else:
            dispatch.lookup("adaptive_avg_pool2d", "cpu", dt)(planes, out, np.float64(0))
    return out.astype(dt.np, copy=False).reshape(batch + osz)


def _adaptive_max(op: str, nd: int, input: Tensor, output_size, return_indices: bool):
    osz = _adaptive_setup(op, input, output_size, nd)
    dt = input.dtype
    cdt = _compute(dt)
    x = input._data
    batch = x.shape[:-nd]
    planes = _planes(x[..., None, :] if nd == 1 else x, cdt)
    oh, ow = (1,) + osz if nd == 1 else osz
    graph = needs_graph(input)
    with_ind = return_indices or graph
    if _arrays.is_cuda(x):
        out = _arrays.empty((planes.shape[0], oh, ow), cdt, x)
        ind = _arrays.empty((planes.shape[0], oh, ow), np.int64, x) if with_ind else out
        if out.size:
            _cuda("adaptive_max_pool2d", dt, planes, out, ind, np.dtype(cdt).type(K.lowest(cdt)), with_ind)
    else:
        out = np.empty((planes.shape[0], oh, ow), cdt)
        ind = np.empty((planes.shape[0], oh, ow) if with_ind else (0, 0, 0), np.int64)
        h, w = planes.shape[1:]
        if not out.size:
            pass
        elif oh == 1 and ow == 1:
            dispatch.lookup("adaptive_max_pool2d_global", "cpu", dt)(planes.reshape(planes.shape[0], -1),
                                                                     out.reshape(-1), ind.reshape(-1), with_ind)
        elif h % oh == 0 and w % ow == 0:  # windows tiling the plane: a max pool with kernel = stride
            dispatch.lookup("max_pool2d", "cpu", dt)(planes, out, ind, K.lowest(cdt), h // oh, w // ow, h // oh,
                                                     w // ow, 0, 0, 1, 1, with_ind)
        else:
            dispatch.lookup("adaptive_max_pool2d", "cpu", dt)(planes, out, ind, K.lowest(cdt), with_ind)
    res = Tensor._wrap(_arrays.astype(out, dt.np).reshape(batch + osz))
    return _with_indices(input, res, ind.reshape(batch + osz) if with_ind else None, return_indices, graph,
                         f"AdaptiveMaxPool{nd}DBackward0", nd)


def adaptive_avg_pool2d(input: Tensor, output_size) -> Tensor:
    """F.adaptive_avg_pool2d: window o spans [floor(o*H/OH), ceil((o+1)*H/OH)); None keeps the input size."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool1d(input: Tensor, output_size) -> Tensor:
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_max_pool2d(input: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d(input: Tensor, output_size, return_indices: bool = False):
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


# ---------------------------------------------------------------------------------------------
# 3-d pooling: two 2-d passes (the H, W window over planes whose channels are the depths, then the depth
# window as a (kD, 1) window over (D, OH*OW) planes). Max, average (window sizes are products of per-axis
# factors) and adaptive windows are all separable that way; recorded 2-d ops give autograd and CUDA.
# ---------------------------------------------------------------------------------------------


def _pool3d_args(op: str, kernel_size, stride, padding, dilation):
    """(k, s, p, d) as triples with torch's tuple-length errors and pooling_output_shape checks."""
    vals = []
    words = {"kernel_size": "must either be a single int, or a tuple of three ints",
             "stride": "must either be omitted, a single int, or a tuple of three ints",
             "padding": "must either be a single int, or a tuple of three ints",
             "dilation": "must be either a single int, or a tuple of three ints"}
    for name, v in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding), ("dilation", dilation)):
        if name == "stride" and (v is None or (not _is_int(v) and len(v) == 0)):
            v = vals[0]
        t = int_tuple(v, 3, name, op)
        if len(t) == 1:
            t = t * 3
        if len(t) != 3:
            raise RuntimeError(f"{op}: {name} {words[name]}")
        vals.append(t)
    k, s, p, d = vals
    _check_pool_args(k, s, p, d)
    return k, s, p, d


def _volumes(op: str, input: Tensor, message: str) -> tuple:
    """(planes (P, D, H, W), batch shape) of 4-D or 5-D input with non-empty non-batch dims."""
    check_tensor(input, op)
    if input.ndim not in (4, 5):
        raise RuntimeError(message)
    shape = tuple(input.shape)
    for i in range(input.ndim - 4, input.ndim):
        if shape[i] == 0:
            raise RuntimeError(f"{op}(): Expected input's non-batch dimensions to have positive length, but input has "
                               f"a shape of {list(shape)} and non-batch dimension {i} has length zero!")
    return input.reshape(-1, *shape[-3:]), shape[:-3]


def _pool3d_out(op: str, input: Tensor, k, s, p, d, ceil_mode: bool) -> tuple:
    size = tuple(input.shape[-3:])
    out = tuple(_out_len(size[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(3))
    if any(v < 1 for v in out):
        c = input.shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{size[0]}x{size[1]}x{size[2]}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")
    return out


def _depth_max(planes: Tensor, r1: Tensor, i1: Tensor, second, hw: int):
    """The depth pass of a max pool: second(values (P, 1, D, OH*OW)) -> (values, indices into (D, OH*OW)), and the
    volume's flat indices d*H*W + (the first pass's in-plane index)."""
    p_, depth, oh, ow = r1.shape
    r2, i2 = second(r1.reshape(p_, 1, depth, oh * ow))
    od = r2.shape[2]
    flat = i2.reshape(p_, 1, od * oh * ow)
    inplane = i1.reshape(p_, 1, depth * oh * ow).gather(2, flat)
    ind = (flat // (oh * ow)) * hw + inplane
    return r2.reshape(p_, od, oh, ow), ind.reshape(p_, od, oh, ow)


def max_pool3d(input: Tensor, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False):
    """F.max_pool3d; with return_indices, also the flat index of each maximum in its (D, H, W) volume (the first
    maximum in raster order, as torch's)."""
    op = "max_pool3d"
    check_tensor(input, op)
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    k, s, p, d = _pool3d_args(op, kernel_size, stride, padding, dilation)
    planes, batch = _volumes("max_pool3d_with_indices_out_cpu_template", input, "")
    _pool3d_out(op, input, k, s, p, d, ceil_mode)
    h, w = input.shape[-2:]
    r1, i1 = max_pool2d(planes, k[1:], s[1:], p[1:], d[1:], ceil_mode, True)
    res, ind = _depth_max(planes, r1, i1, lambda v: max_pool2d(v, (k[0], 1), (s[0], 1), (p[0], 0), (d[0], 1),
                                                              ceil_mode, True), h * w)
    res = res.reshape(*batch, *res.shape[1:])
    return (res, ind.reshape(res.shape)) if return_indices else res


def avg_pool3d(input: Tensor, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """F.avg_pool3d (float dtypes; integer dtypes sum exactly and divide truncating, as torch)."""
    op = "avg_pool3d"
    check_tensor(input, op)
    if input.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    try:
        k, s, p, _ = _pool3d_args(op, kernel_size, stride, padding, 1)
    except RuntimeError as e:
        raise RuntimeError(str(e).replace("must either be", "must be")) from None
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if input.dtype in dtypes.HALF_DTYPES and not input.is_cuda:  # torch's CPU kernel has no Half/BFloat16 version
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    planes, batch = _volumes(op, input, "")
    size = tuple(input.shape[-3:])
    if any(size[i] + 2 * p[i] < k[i] for i in range(3)):
        raise RuntimeError(f"input image (T: {size[0]} H: {size[1]} W: {size[2]}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    _pool3d_out(op, input, k, s, p, (1, 1, 1), ceil_mode)
    dt = input.dtype
    if dt not in AVG_DTYPES:
        raise NotImplementedError(f"\"avg_pool3d_out_frame\" not implemented for '{torch_scalar_name(dt)}'")

    def passes(x: Tensor, include: bool, first_div, second_div) -> Tensor:
        r1 = avg_pool2d(x, k[1:], s[1:], p[1:], ceil_mode, include, first_div)
        p_, depth, oh, ow = r1.shape
        r2 = avg_pool2d(r1.reshape(p_, 1, depth, oh * ow), (k[0], 1), (s[0], 1), (p[0], 0), ceil_mode, include,
                        second_div)
        return r2.reshape(p_, r2.shape[2], oh, ow)

    if dt.is_floating_point:
        res = passes(planes, count_include_pad, 1 if divisor_override else None, divisor_override)
    else:
        from ..ops.creation import ones
        from ..ops.pointwise import div

        total = passes(planes, True, 1, 1)
        if divisor_override:
            divisor = divisor_override
        else:  # the float windows' divisors: clamped counts over their averages of ones
            one = ones((1,) + size, dtype=dtypes.float64, device=input.device)
            counts = passes(one, False, 1, 1)
            divisor = (counts / passes(one, count_include_pad, None, None)).round().to(dt)
        res = div(total, divisor, rounding_mode="trunc").to(dt)
    return res.reshape(*batch, *res.shape[1:])


def _adaptive3d_setup(op: str, input: Tensor, output_size, sep: str) -> tuple:
    check_tensor(input, op)
    _check_size_list(input, output_size, 3)
    if input.ndim not in (4, 5):
        raise RuntimeError(f"{op}(): Expected 4D or 5D tensor, but got{sep}{list(input.shape)}")
    size = tuple(input.shape[-3:])
    osz = (output_size,) * 3 if output_size is None or _is_int(output_size) else tuple(output_size)
    if len(osz) != 3:
        raise RuntimeError(f"{op}: output_size must be 3")
    osz = tuple(size[i] if v is None else int(v) for i, v in enumerate(osz))
    if any(v < 0 for v in osz):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{', '.join(str(v) for v in osz)}}}")
    for i in range(1, input.ndim):
        if input.shape[i] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, but input has "
                               f"sizes {list(input.shape)} with dimension {i} being empty")
    if input.dtype not in dtypes.FLOAT_DTYPES:
        raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{torch_scalar_name(input.dtype)}'")
    return input.reshape(-1, *size), tuple(input.shape[:-3]), osz


def adaptive_avg_pool3d(input: Tensor, output_size) -> Tensor:
    """F.adaptive_avg_pool3d: window o spans [floor(o*D/OD), ceil((o+1)*D/OD)) per axis."""
    planes, batch, osz = _adaptive3d_setup("adaptive_avg_pool3d", input, output_size, " ")
    r1 = adaptive_avg_pool2d(planes, osz[1:])
    p_, depth, oh, ow = r1.shape
    r2 = adaptive_avg_pool2d(r1.reshape(p_, 1, depth, oh * ow), (osz[0], oh * ow))
    return r2.reshape(*batch, *osz)


def adaptive_max_pool3d(input: Tensor, output_size, return_indices: bool = False):
    """F.adaptive_max_pool3d; indices are flat positions in the (D, H, W) volume."""
    planes, batch, osz = _adaptive3d_setup("adaptive_max_pool3d", input, output_size, ": ")
    h, w = input.shape[-2:]
    r1, i1 = adaptive_max_pool2d(planes, osz[1:], True)
    res, ind = _depth_max(planes, r1, i1, lambda v: adaptive_max_pool2d(v, (osz[0], v.shape[-1]), True), h * w)
    res, ind = res.reshape(*batch, *osz), ind.reshape(*batch, *osz)
    return (res, ind) if return_indices else res


# ---------------------------------------------------------------------------------------------
# max_unpool2d
# ---------------------------------------------------------------------------------------------


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """F.max_unpool2d: scatters each value to its flat index in a zeroed output plane."""
    op = "max_unpool2d"
    check_tensor(input, op)
    check_tensor(indices, op, "indices")
    k, s, p, _ = _pool_args(op, kernel_size, stride, padding, 1, 2)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with "
                           f"{input.ndim} dimensions.")
    if indices.dtype is not dtypes.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {torch_scalar_name(indices.dtype)}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(input.shape)}) "
                           f"but got indices tensor with shape: {list(indices.shape)}")
    h, w = input.shape[-2:]
    default = ((h - 1) * s[0] - 2 * p[0] + k[0], (w - 1) * s[1] - 2 * p[1] + k[1])
    if output_size is None:
        osz = default
    else:
        osz = tuple(int(v) for v in output_size)[-2:]
        if len(osz) != 2:
            raise ValueError(f"output_size should be a sequence containing 2 or 4 elements, but it has a length of "
                             f"'{len(tuple(output_size))}'")
        for i in range(2):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < osz[i] < hi:
                raise ValueError(f"invalid output_size \"{list(osz)}\" (dim {i} must be between {lo} and {hi})")
    dt = input.dtype
    if dt is dtypes.bool:
        raise NotImplementedError("\"max_unpooling2d_forward_out_cpu_frame\" not implemented for 'Bool'")
    cdt = _compute(dt)
    check_devices(op, input, indices)
    if _arrays.is_cuda(input._data):
        return _max_unpool_cuda(input, indices, osz, dt)
    x = np.ascontiguousarray(input._data, dtype=cdt)
    batch = x.shape[:-2]
    planes = x.reshape(-1, h * w)
    idx = np.ascontiguousarray(indices._data).reshape(planes.shape[0], h * w)
    size = osz[0] * osz[1]
    if idx.size:
        bad = idx[(idx < 0) | (idx >= size)]
        if bad.size:
            raise RuntimeError(f"Found an invalid max index: {int(bad.flat[0])} (output volumes are of size "
                               f"{osz[0]}x{osz[1]})")
    out = np.zeros((planes.shape[0], size), cdt)
    if planes.size:
        dispatch.lookup(op, "cpu", dt)(planes, idx, out)
    res = Tensor._wrap(out.astype(dt.np, copy=False).reshape(batch + osz))
    if needs_graph(input):
        node = record("MaxUnpool2DBackward0", _unpool_backward, (input, indices), (res,))
        node.index = (idx.copy(), tuple(input.shape))
    return res


def _max_unpool_cuda(input: Tensor, indices: Tensor, osz, dt: dtypes.dtype) -> Tensor:
    """max_unpool2d on CUDA: the bounds check reads back one flag (and, on failure, the indices)."""
    cdt = _compute(dt)
    h, w = input.shape[-2:]
    size = osz[0] * osz[1]
    planes = int(np.prod(input.shape[:-2]))
    if indices.numel() and bool(((indices < 0) | (indices >= size)).any().item()):
        host = _arrays.to_host(indices._data).reshape(-1)
        bad = host[(host < 0) | (host >= size)]
        raise RuntimeError(f"Found an invalid max index: {int(bad[0])} (output volumes are of size "
                           f"{osz[0]}x{osz[1]})")
    x = _arrays.reshape(_arrays.astype(input._data, cdt), (planes, h * w))
    idx = _arrays.copy(indices._data).reshape(planes, h * w)  # our own copy: the backward gathers through it
    out = zeros((planes, size), cdt, input._data)
    if x.size:
        _cuda("max_unpool2d", dt, x, idx, out)
    res = Tensor._wrap(_arrays.astype(out, dt.np).reshape(tuple(input.shape[:-2]) + tuple(osz)))
    if needs_graph(input):
        node = record("MaxUnpool2DBackward0", _unpool_backward, (input, indices), (res,))
        node.index = (idx, tuple(input.shape))
    return res


def _unpool_backward(c, g):
    """max_unpool2d's backward reads the gradient back at the indices (torch's gather)."""
    ind2, in_shape = c.index
    return plane_gather(g, ind2, in_shape, "MaxUnpool2DBackwardBackward0", "MaxUnpool2DBackwardBackwardBackward0"), None


FUNCTIONAL: dict = {
    "max_pool1d": max_pool1d,
    "max_pool2d": max_pool2d,
    "avg_pool1d": avg_pool1d,
    "avg_pool2d": avg_pool2d,
    "adaptive_avg_pool1d": adaptive_avg_pool1d,
    "adaptive_avg_pool2d": adaptive_avg_pool2d,
    "adaptive_max_pool1d": adaptive_max_pool1d,
    "adaptive_max_pool2d": adaptive_max_pool2d,
    "max_unpool2d": max_unpool2d,
    "max_pool3d": max_pool3d,
    "avg_pool3d": avg_pool3d,
    "adaptive_avg_pool3d": adaptive_avg_pool3d,
    "adaptive_max_pool3d": adaptive_max_pool3d,
}
