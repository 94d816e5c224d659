"""Convolutions: conv1d, conv2d, conv3d, conv_transpose1d/2d/3d, unfold, fold.

conv_transpose1d (and, on CUDA or for integers, conv3d and conv_transpose3d) are compositions of the 2-d ops.

On CPU, float16/32/64 convolutions (conv1d/2d/3d, the transposed ones, both gradients) run the fused kernels of
kernels/cpu/conv.py: images x chunks of output rows shared among threads, each chunk unfolded into a per-thread
buffer that stays in L2 and multiplied there by matmul's micro-kernel; conv3d and conv_transpose3d are then single
recorded ops with 3-d geometry. Two special cases skip the unfolding: stride-1 convolutions with 16+ input and 8+
output channels per group (and so their input gradients, stride-1 transposed convolutions) run the shifted GEMM
(one GEMM per kernel tap straight on a zero-padded copy of the input), and convolutions with few channels per group
(depthwise) run the direct kernel (each output row a sum of weight x contiguous input runs; strides by splitting
the input into its stride phases). Integer dtypes and CUDA take the paths below.

Every convolution here is unfold (im2col) + the packed GEMM of ntorch.kernels.cpu.matmul:
conv2d multiplies the weight (Cout, Cin/groups*kh*kw) by the unfolded columns of each image (one
batched product per block of images; large images a chunk of output rows at a time), which lands
directly in PyTorch's (N, Cout, OH*OW) layout; with groups=1 the bias is one more weight column
against a row of ones. conv_transpose2d is the transposed GEMM followed by fold (col2im). conv1d
is conv2d with H = 1.
On CUDA the same algorithms run on device arrays (the `_cuda_*` functions): im2col per block of images into
`matmul.bmm_into` (per group, the weight broadcast over the images), col2im as one thread per input element
(no atomics), the weight gradient as one batched GEMM over the groups per block of images.
float16 computes in float32. Forward helpers (`_conv2d_arrays`, `_unfold_arrays`, `_fold_arrays`)
take and return NumPy arrays so that backward formulas can reuse them.

Autograd: every backward is itself made of recorded ops, so derivatives of any order exist.
conv2d's input gradient is conv_transpose2d of the output gradient; its weight gradient is a recorded
op of its own (`_conv_weight_grad`: unfolded columns times the gradient, one batched GEMM per block of
images) whose derivatives are again conv2d and conv_transpose2d; conv_transpose2d's input gradient is
conv2d. unfold and fold are adjoint linear maps: each one's backward is the other (`linear_op`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np

from .. import _arrays, amp, dispatch, dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import conv as K
from ..ops._util import check_tensor
from ..tensor import Tensor

dispatch.register("im2col", "cpu", dtypes.ALL_DTYPES, lambda dt: K.im2col)
dispatch.register("im2col_parallel", "cpu", dtypes.ALL_DTYPES, lambda dt: K.im2col_parallel)
dispatch.register("col2im", "cpu", dtypes.NUMERIC_DTYPES, lambda dt: K.col2im)
dispatch.register("conv_bias", "cpu", dtypes.NUMERIC_DTYPES, lambda dt: K.add_bias)
_MOVE = {1: dtypes.uint8, 2: dtypes.int16, 4: dtypes.int32, 8: dtypes.int64}  # CUDA im2col moves these widths
dispatch.register("im2col", "cuda", tuple(_MOVE.values()), dispatch.cuda_kernel("conv", "im2col_into"), lazy=True)
dispatch.register("col2im", "cuda", dtypes.NUMERIC_DTYPES, dispatch.cuda_kernel("conv", "col2im_into"), lazy=True)
dispatch.register("conv_bias", "cuda", dtypes.NUMERIC_DTYPES, dispatch.cuda_kernel("conv", "add_bias_into"),
                  lazy=True)
dispatch.register("conv_add", "cuda", dtypes.NUMERIC_DTYPES, dispatch.cuda_kernel("conv", "add_into"), lazy=True)

PARALLEL_ELEMENTS = 1 << 18  # unfolded elements from which im2col shares images among threads
BLOCK_BYTES = 1 << 21  # conv2d unfolds blocks of images of about this many bytes at a time...
CHUNK_BYTES = 1 << 23  # ...and images whose columns take more than this, a chunk of output rows at a time
CUDA_COLS_BYTES = 1 << 28  # on CUDA: the images of one im2col + GEMM step take about this many column bytes

_LEGACY = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
           "bfloat16": "torch.BFloat16Tensor",
           "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
           "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
           "complex64": "CPUComplexFloatType", "complex128": "CPUComplexDoubleType"}  # (torch's names for these)
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
        "int64": "long int", "int32": "int",
        "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool",
        "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


# ---------------------------------------------------------------------------------------------
# Argument helpers (shared with pooling.py)
# ---------------------------------------------------------------------------------------------


def _is_int(v) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def int_tuple(value, n: int, name: str, op: str) -> tuple[int, ...]:
    """An int (repeated n times) or a sequence of ints -> a tuple of ints; torch's TypeError otherwise."""
    if _is_int(value):
        return (int(value),) * n
    if isinstance(value, Sequence) and not isinstance(value, str) and all(_is_int(v) for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, not {type(value).__name__}")


def _conv_arg(value, n: int, kdim: int, name: str, op: str) -> tuple[int, ...]:
    """A stride / padding / dilation argument of a convolution with kdim spatial dims (torch's message)."""
    t = int_tuple(value, n, name, op)
    if len(t) == 1 and kdim > 1:
        t = t * kdim
    if len(t) != kdim:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {kdim} values to match the "
                           f"convolution dimensions, but got {name}={list(t)}")
    return t


def torch_scalar_name(dt: dtypes.dtype) -> str:
    """torch's scalar type name, as in its "... not implemented for 'Long'" errors."""
    return {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
            "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}[dt.name]


def _compute_dtype(dt: dtypes.dtype):
    """The NumPy dtype kernels compute in: float16/bfloat16 (and bool for fold) in float32."""
    return np.float32 if dt in dtypes.HALF_DTYPES or dt is dtypes.bool else dt.np


def linear_op(x: Tensor, fn, adjoint, name: str, adjoint_name: str) -> Tensor:
    """fn(x) for a linear map `fn` (array -> array) whose adjoint (transpose) is `adjoint`.

    The recorded backward is linear_op(g, adjoint, fn, ...): the backward of a linear map is its adjoint,
    and the adjoint's adjoint is the map again, so derivatives of every order exist (pooling, unfold/fold,
    interpolate, the scatter of max-pool gradients all use this)."""
    res = Tensor._wrap(fn(x._data))
    if needs_graph(x):
        node = record(name, _linear_backward, (x,), (res,))
        node.maps = (adjoint, fn, adjoint_name, name)
    return res


def _linear_backward(c, g, *_):
    adjoint, fn, adjoint_name, name = c.maps
    return linear_op(g, adjoint, fn, adjoint_name, name)


# ---------------------------------------------------------------------------------------------
# unfold / fold (array level)
# ---------------------------------------------------------------------------------------------


def _out_size(size: int, k: int, s: int, p_total: int, d: int) -> int:
    return (size + p_total - d * (k - 1) - 1) // s + 1


def _unfold_arrays(x: np.ndarray, kernel, stride, padding, dilation, out_hw, dt: dtypes.dtype,
                   ones_row: bool = False) -> np.ndarray:
    """im2col of x (N, C, H, W) -> (N, C*kh*kw, OH*OW) in x's dtype (validated by the caller); with ones_row, one
    more row of ones (conv2d's bias row)."""
    if _arrays.is_cuda(x):
        return _cuda_unfold(x, kernel, stride, padding, dilation, out_hw, ones_row)
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    oh, ow = out_hw
    n, c = x.shape[:2]
    rows = c * kh * kw
    cols = np.empty((n, rows + ones_row, oh * ow), x.dtype)
    if ones_row:
        cols[:, rows] = 1
    if rows == 0 or cols.size == 0:
        return cols
    xc = np.ascontiguousarray(x)
    parallel = cols.size >= PARALLEL_ELEMENTS and n > 1 and K.num_threads() > 1
    kern = dispatch.lookup("im2col_parallel" if parallel else "im2col", "cpu", dt)
    kern(K.unsigned_view(xc), K.unsigned_view(cols), kh, kw, sh, sw, ph, pw, dh, dw, oh, ow)
    return cols


def _fold_arrays(cols: np.ndarray, out_hw, kernel, stride, padding, dilation, blocks_hw,
                 dt: dtypes.dtype) -> np.ndarray:
    """col2im of cols (N, C*kh*kw, L) into a zeroed (N, C, H, W) array of the compute dtype."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    if _arrays.is_cuda(cols):
        out = _arrays.empty((n, c) + tuple(out_hw), cols.dtype, cols)
        _cuda_col2im(cols, out, kernel, stride, padding, dilation, blocks_hw)
        return out
    out = np.zeros((n, c) + tuple(out_hw), cols.dtype)
    if out.size and cols.size:
        kern = dispatch.lookup("col2im", "cpu", dtypes.from_numpy_dtype(cols.dtype))
        kern(np.ascontiguousarray(cols), out, kh, kw, sh, sw, ph, pw, dh, dw, blocks_hw[0], blocks_hw[1])
    return out


def _col2im_into(cols: np.ndarray, out: np.ndarray, kernel, stride, padding, dilation, blocks_hw,
                 dt: dtypes.dtype) -> None:
    """out (N, C, H, W), C-contiguous, += col2im of cols (N, C*kh*kw, L)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if out.size and cols.size:
        dispatch.lookup("col2im", "cpu", dt)(np.ascontiguousarray(cols), out, kh, kw, sh, sw, ph, pw, dh, dw,
                                             blocks_hw[0], blocks_hw[1])


def _fold_args(op: str, kernel_size, dilation, padding, stride):
    k = int_tuple(kernel_size, 2, "kernel_size", op)
    d = int_tuple(dilation, 2, "dilation", op)
    p = int_tuple(padding, 2, "padding", op)
    s = int_tuple(stride, 2, "stride", op)
    for name, t in (("kernel_size", k), ("dilation", d), ("padding", p), ("stride", s)):
        if len(t) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {k[0]} "
                           f"kernel_width: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got stride_height: {s[0]} stride_width: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilation_height: {d[0]} "
                           f"dilation_width: {d[1]}")
    if p[0] < 0 or p[1] < 0:
        raise RuntimeError(f"padding should be non-negative, but got pad_height: {p[0]} pad_width: {p[1]}")
    return k, d, p, s


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """F.unfold (im2col): (N, C, H, W) -> (N, C*kh*kw, L); unbatched (C, H, W) -> (C*kh*kw, L)."""
    check_tensor(input, "unfold")
    if input.is_complex():
        return _by_parts(partial(unfold, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride),
                         input)
    k, d, p, s = _fold_args("unfold", kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.ndim not in (3, 4) or any(v == 0 for v in shape[-3:]):
        if input.ndim < 3:
            from ..tensor import _wrap_dim

            _wrap_dim(input.ndim, input.ndim, "unfold")  # torch's IndexError for 2-d input
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    if input.dtype.is_floating_point is False and input.dtype is not dtypes.bool:
        raise NotImplementedError(f"\"im2col_out_cpu\" not implemented for '{torch_scalar_name(input.dtype)}'")
    h, w = shape[-2:]
    oh, ow = _out_size(h, k[0], s[0], 2 * p[0], d[0]), _out_size(w, k[1], s[1], 2 * p[1], d[1])
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), calculated shape of the array of "
                           f"sliding blocks as ({oh}, {ow}), but its components must be at least one.")
    geom = (k, s, p, d)
    return linear_op(input, partial(_unfold_fn, geom=geom, out_hw=(oh, ow)),
                     partial(_fold_fn, geom=geom, out_hw=(h, w), blocks_hw=(oh, ow)), "Im2ColBackward0",
                     "Col2ImBackward0")


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """F.fold (col2im, overlapping values summed): (N, C*kh*kw, L) -> (N, C, H, W)."""
    check_tensor(input, "fold")
    if input.is_complex():
        return _by_parts(partial(fold, output_size=output_size, kernel_size=kernel_size, dilation=dilation,
                                 padding=padding, stride=stride), input)
    osz = int_tuple(output_size, 2, "output_size", "fold")
    if len(osz) != 2:
        raise RuntimeError(f"It is expected output_size equals to 2, but got size {len(osz)}")
    k, d, p, s = _fold_args("fold", kernel_size, dilation, padding, stride)
    shape = tuple(input.shape)
    if input.ndim not in (2, 3) or any(v == 0 for v in shape[-2:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    if input.dtype.is_floating_point is False and input.dtype is not dtypes.bool:
        raise NotImplementedError(f"\"col2im_out_cpu\" not implemented for '{torch_scalar_name(input.dtype)}'")
    ck, nblocks = shape[-2], shape[-1]
    if ck % (k[0] * k[1]) != 0:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={ck} and kernel_size=({k[0]}, {k[1]}).")
    bh = _out_size(osz[0], k[0], s[0], 2 * p[0], d[0])
    bw = _out_size(osz[1], k[1], s[1], 2 * p[1], d[1])
    if bh < 1 or bw < 1 or bh * bw != nblocks:
        raise RuntimeError(f"Given output_size=({osz[0]}, {osz[1]}), kernel_size=({k[0]}, {k[1]}), "
                           f"dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), stride=({s[0]}, {s[1]}), expected "
                           "size of input's dimension 2 to match the calculated number of sliding blocks "
                           f"{max(bh, 0)} * {max(bw, 0)} = {max(bh, 0) * max(bw, 0)}, but got input.size(2)={nblocks}.")
    geom = (k, s, p, d)
    return linear_op(input, partial(_fold_fn, geom=geom, out_hw=osz, blocks_hw=(bh, bw)),
                     partial(_unfold_fn, geom=geom, out_hw=(bh, bw)), "Col2ImBackward0", "Im2ColBackward0")


def _unfold_fn(a: np.ndarray, geom, out_hw) -> np.ndarray:
    """unfold of (N, C, H, W) or (C, H, W) arrays."""
    k, s, p, d = geom
    x = a if a.ndim == 4 else _arrays.expand_dims(a, 0)
    cols = _unfold_arrays(x, k, s, p, d, out_hw, dtypes.from_numpy_dtype(a.dtype))
    return cols if a.ndim == 4 else cols[0]


def _fold_fn(a: np.ndarray, geom, out_hw, blocks_hw) -> np.ndarray:
    """fold of (N, C*kh*kw, L) or (C*kh*kw, L) arrays (bool: the logical or of the overlapping values)."""
    k, s, p, d = geom
    dt = dtypes.from_numpy_dtype(a.dtype)
    x = a if a.ndim == 3 else _arrays.expand_dims(a, 0)
    res = _fold_arrays(_arrays.astype(x, _compute_dtype(dt)), out_hw, k, s, p, d, blocks_hw, dt)
    if dt is dtypes.bool:
        res = (Tensor._wrap(res) != 0)._data
    else:
        res = _arrays.astype(res, dt.np)
    return res if a.ndim == 3 else res[0]


# ---------------------------------------------------------------------------------------------
# conv1d / conv2d
# ---------------------------------------------------------------------------------------------


def _check_weight_groups(weight_shape, groups: int) -> None:
    if weight_shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight_shape)} instead")
    if weight_shape[0] % groups != 0:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight_shape)}] instead")


def _check_dtypes(input: Tensor, weight: Tensor, bias: Tensor | None, op: str) -> None:
    if input.dtype is not weight.dtype and weight.is_complex() and not input.is_complex():
        raise RuntimeError(f"expected scalar type {dtypes.torch_name(input.dtype)} but found "
                           f"{dtypes.torch_name(weight.dtype)}")
    if input.is_complex() and bias is not None and bias.dtype is not input.dtype and op.startswith("conv_transpose"):
        raise RuntimeError(f"Input type ({_LEGACY[input.dtype.name]}) and bias type ({_LEGACY[bias.dtype.name]}) "
                           "should be the same")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"Input type ({_LEGACY[input.dtype.name]}) and weight type ({_LEGACY[weight.dtype.name]}) "
                           "should be the same")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_CPP[input.dtype.name]}) and bias type ({_CPP[bias.dtype.name]}) should be "
                           "the same")
    if input.dtype is dtypes.bool:
        raise NotImplementedError("\"slow_conv2d_cpu\" not implemented for 'Bool'")


def _fmt(t) -> str:
    return " x ".join(str(v) for v in t)


def _by_parts(fn, input: Tensor) -> Tensor:
    """A real-linear map with real coefficients (unfold, fold) of a complex tensor: fn of each part, recorded
    (real, imag, complex), so autograd follows torch's convention."""
    from ..ops.complex import complex as make_complex

    return make_complex(fn(input.real), fn(input.imag))


def _conv(op: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, dilation, groups) -> Tensor:
    """conv1d (nd = 1) and conv2d (nd = 2): torch's checks in torch's order, then _conv2d_arrays."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, weight, bias = amp.lower_precision(input, weight, bias)
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got input of "
                           f"size: {list(input.shape)}")
    if not _is_int(groups):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    kdim = weight.ndim - 2
    s = _conv_arg(stride, nd, kdim, "stride", op)
    d = _conv_arg(dilation, nd, kdim, "dilation", op)
    same = False
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        if padding == "same" and any(v != 1 for v in s):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        same = padding == "same"
        p = (0,) * kdim
    else:
        p = _conv_arg(padding, nd, kdim, "padding", op)
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    if any(v <= 0 for v in s):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in d):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    batched = input.ndim == nd + 2
    in_shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    w_shape = tuple(weight.shape)
    _check_weight_groups(w_shape, groups)
    if in_shape[1] != w_shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(w_shape)}, expected input{list(in_shape)} to "
                           f"have {w_shape[1] * groups} channels, but got {in_shape[1]} channels instead")
    ksz = w_shape[2:]
    if any(v <= 0 for v in ksz):
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got weight of size {list(w_shape)}")
    dil_k = tuple(d[i] * (ksz[i] - 1) + 1 for i in range(nd))
    if same:
        total = tuple(d[i] * (ksz[i] - 1) for i in range(nd))
        p = tuple(t // 2 for t in total)
    else:
        total = tuple(2 * v for v in p)
    padded = tuple(in_shape[2 + i] + total[i] for i in range(nd))
    if any(padded[i] < dil_k[i] for i in range(nd)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_fmt(padded)}). Kernel size: ({_fmt(dil_k)})."
                           " Kernel size can't be greater than actual input size")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != w_shape[0]):
        raise RuntimeError(f"Given weight of size {list(w_shape)}, expected bias to be 1-dimensional with {w_shape[0]} "
                           f"elements, but got bias of size {list(bias.shape)} instead")
    _check_dtypes(input, weight, bias, op)
    check_devices(op, input, weight, bias)
    if nd == 3 and not _native3d(input):
        return _conv3d_composite(input, weight, bias, batched, s, d, groups, total)
    if nd == 1:  # conv1d is conv2d over (N, C, 1, L)
        s, p, d, total = (1,) + s, (0,) + p, (1,) + d, (0,) + total
    return _conv_tensor(input, weight, bias, nd, batched, s, p, d, groups, total)


def _native3d(input: Tensor) -> bool:
    """conv3d / conv_transpose3d run the fused 3-d kernels on CPU float16/32/64; elsewhere they are compositions
    of the 2-d ops (complex tensors, CPU-only, run them as real convolutions: _complex_conv)."""
    return not _arrays.is_cuda(input._data) and (input.dtype.is_floating_point or input.dtype.is_complex)


def _conv3d_composite(input: Tensor, weight: Tensor, bias, batched: bool, s, d, groups: int, total) -> Tensor:
    """conv3d as one conv2d: the kd depth taps of every output depth stacked as channels ((N*OD, C*KD, H, W)
    against the weight viewed as (Cout, Cg*KD, KH, KW)); all recorded ops, so autograd and CUDA come along."""
    from .padding import pad

    x = input if batched else input.unsqueeze(0)
    n, c, depth = x.shape[:3]
    cout, cg, kd = weight.shape[:3]
    left = total[0] // 2
    if total[0]:
        x = pad(x, (0, 0, 0, 0, left, total[0] - left))
    od = (depth + total[0] - d[0] * (kd - 1) - 1) // s[0] + 1
    taps = [x[:, :, k * d[0]:k * d[0] + (od - 1) * s[0] + 1:s[0]] for k in range(kd)]
    cols = (taps[0].unsqueeze(3) if kd == 1 else _stack(taps, 3)).permute(0, 2, 1, 3, 4, 5)
    cols = cols.reshape(n * od, c * kd, x.shape[3], x.shape[4])
    w2 = weight.reshape(cout, cg * kd, weight.shape[3], weight.shape[4])
    hw_total = total[1:]
    out = _conv_tensor(cols, w2, bias, 2, True, s[1:], tuple(t // 2 for t in hw_total), d[1:], groups, hw_total)
    out = out.reshape(n, od, cout, out.shape[2], out.shape[3]).permute(0, 2, 1, 3, 4).contiguous()
    return out if batched else out[0]


def _stack(tensors, dim: int) -> Tensor:
    from ..ops.joins import stack

    return stack(tensors, dim)


def _conv_tensor(input: Tensor, weight: Tensor, bias, nd: int, batched: bool, s, p, d, groups: int,
                 total) -> Tensor:
    """conv of validated tensors with 2-d geometry (conv1d: height 1; conv3d on CPU floats: 3-d), recorded for
    autograd."""
    if input.is_complex():
        return _complex_conv(partial(_conv_tensor, nd=nd, batched=batched, s=s, p=p, d=d, total=total), input,
                             weight, bias, batched, groups)
    x = input._data if batched else input._data[None]
    w = weight._data
    if nd == 1:
        x, w = x[:, :, None, :], w[:, :, None, :]
    out = _conv2d_arrays(x, w, None if bias is None else bias._data, s, p, d, groups, total, input.dtype)
    if nd == 1:
        out = out[:, :, 0, :]
    res = Tensor._wrap(out if batched else out[0])
    if needs_graph(input, weight, bias):
        node = record("ConvolutionBackward0", _conv_backward, (input, weight, bias), (res,), (input, weight))
        node.geom = (nd, batched, s, p, d, groups, total)
    return res


# Gauss's three real products of a complex convolution, as torch computes them: k1 = conv(xr + xi, wr),
# k2 = conv(xr, wi - wr), k3 = conv(xi, wr + wi); real part k1 - k3, imaginary part k1 + k2. Each row is the
# (real, imag) coefficients of one real block.
_X_ROWS = ((1, 1), (1, 0), (0, 1))
_W_ROWS = ((1, 0), (-1, 1), (1, 1))
_B_ROWS = ((0, 0), (0, 1), (-1, 0))  # the bias lands in k1 - k3 as br and in k1 + k2 as bi
_Y_ROWS = ((1, 1), (0, 1), (-1, 0))  # output: real = sum of r * k, imag = sum of i * k over the rows (r, i)
_TO_BLOCKS, _FROM_BLOCKS = "ComplexToRealBlocksBackward0", "RealBlocksToComplexBackward0"


def _lincomb(coeffs, arrays) -> np.ndarray:
    """sum of c * a for coefficients c in {-1, 0, 1}, by additions only (zeros when every c is 0)."""
    acc = None
    for c, a in zip(coeffs, arrays):
        if c:
            acc = (a if c == 1 else -a) if acc is None else (acc + a if c == 1 else acc - a)
    return np.zeros_like(arrays[0]) if acc is None else acc


def _to_blocks(a: np.ndarray, dim: int, rows) -> np.ndarray:
    """complex (.., C, ..) -> real (.., 3C, ..): block j is r_j re(a) + i_j im(a) for rows (r_j, i_j)."""
    return np.concatenate([_lincomb(row, (a.real, a.imag)) for row in rows], axis=dim)


def _from_blocks(k: np.ndarray, dim: int, rows) -> np.ndarray:
    """The transpose of _to_blocks on (real, imag) pairs: real (.., 3C, ..) -> complex sum_j (r_j + i i_j) k_j."""
    parts = np.split(k, 3, axis=dim)
    out = np.empty(parts[0].shape, np.result_type(k.dtype, np.complex64))
    out.real = _lincomb([r for r, _ in rows], parts)
    out.imag = _lincomb([i for _, i in rows], parts)
    return out


def _blocks(t: Tensor, dim: int, rows) -> Tensor:
    """_to_blocks as a recorded linear map (backward: _from_blocks), so any order of derivatives exists."""
    return linear_op(t, partial(_to_blocks, dim=dim, rows=rows), partial(_from_blocks, dim=dim, rows=rows),
                     _TO_BLOCKS, _FROM_BLOCKS)


def _complex_conv(real_conv, input: Tensor, weight: Tensor, bias, batched: bool, groups: int) -> Tensor:
    """A complex convolution (validated arguments) by Gauss's three real products (rows above), run as one real
    convolution with 3x the groups over the input blocks [xr + xi, xr, xi] (part-major, so each block's groups stay
    contiguous; the weight's first dim is split into the groups for plain and transposed convolutions alike). The
    complex <-> real-block maps are recorded linear ops whose backward is their transpose on (real, imag) pairs, which
    is torch's convention (grad = dL/d(real) + i dL/d(imag))."""
    dim = 1 if batched else 0
    x = _blocks(input, dim, _X_ROWS)
    w = _blocks(weight, 0, _W_ROWS)
    b = None if bias is None else _blocks(bias, 0, _B_ROWS)
    k = real_conv(x, w, b, groups=3 * groups)
    return linear_op(k, partial(_from_blocks, dim=dim, rows=_Y_ROWS), partial(_to_blocks, dim=dim, rows=_Y_ROWS),
                     _FROM_BLOCKS, _TO_BLOCKS)


def _as_4d(t: Tensor, nd: int, batched: bool) -> Tensor:
    """An input or output gradient of a conv as (N, C, H, W) (recorded views, for higher derivatives)."""
    if not batched:
        t = t.unsqueeze(0)
    return t.unsqueeze(2) if nd == 1 else t  # conv3d: (N, C, D, H, W)


def _conv_backward(c, g):
    x, w = c.saved_tensors
    nd, batched, s, p, d, groups, total = c.geom
    x4, g4 = _as_4d(x, nd, batched), _as_4d(g, nd, batched)
    w4 = w.unsqueeze(2) if nd == 1 else w
    gx = gw = gb = None
    if c.needs_input_grad[0]:
        gx = _conv_input_grad(g4, w4, tuple(x4.shape[2:]), s, p, d, groups).reshape(tuple(x.shape))
    if c.needs_input_grad[1]:
        gw = _conv_weight_grad(x4, g4, tuple(w4.shape[2:]), s, p, d, groups, total).reshape(tuple(w.shape))
    if c.needs_input_grad[2]:
        gb = g4.sum((0,) + tuple(range(2, g4.ndim)))
    return gx, gw, gb


def _conv_input_grad(g4: Tensor, w4: Tensor, in_hw, s, p, d, groups: int) -> Tensor:
    """The gradient of conv2d(x, w) with respect to x (spatial size in_hw): conv_transpose2d of g, whose
    output_padding gives back the rows and columns the forward's stride left over; for 'same' with an even
    kernel (one more padding row at the bottom) the transposed conv is one row longer and is cut."""
    k = tuple(w4.shape[2:])
    nd = len(s)
    full = [(g4.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1 for i in range(nd)]
    out_pad = [max(0, in_hw[i] - full[i]) for i in range(nd)]
    osz = tuple(full[i] + out_pad[i] for i in range(nd))
    return _crop(_conv_transpose_tensor(g4, w4, None, True, s, p, d, groups, osz), in_hw)


def _crop(t: Tensor, hw) -> Tensor:
    """t[..., :h, :w] (3-d: t[..., :d, :h, :w]) as a linear op (adjoint: zero padding), so that it differentiates
    to any order."""
    full = tuple(t.shape[-len(hw):])
    if full == tuple(hw):
        return t
    return linear_op(t, partial(_crop_fn, hw=tuple(hw)), partial(_uncrop_fn, hw=full), "SliceBackward0",
                     "SliceBackwardBackward0")


def _crop_fn(a: np.ndarray, hw) -> np.ndarray:
    return _arrays.ascontiguous(a[(Ellipsis,) + tuple(slice(0, v) for v in hw)])


def _uncrop_fn(a: np.ndarray, hw) -> np.ndarray:
    out = zeros(a.shape[:-len(hw)] + tuple(hw), a.dtype, a)
    _arrays.copy_into(out[(Ellipsis,) + tuple(slice(0, v) for v in a.shape[-len(hw):])], a)
    return out


def _conv_weight_grad(x4: Tensor, g4: Tensor, kernel, s, p, d, groups: int, total) -> Tensor:
    """dL/dw of conv2d(x, w) given g = dL/dout: sum over images and positions of g times x's unfolded
    columns. Recorded: it is bilinear in (x, g), with derivatives conv_transpose2d(g, gg) and conv2d(x, gg)."""
    dt = x4.dtype
    res = Tensor._wrap(_conv2d_weight_arrays(x4._data, g4._data, kernel, s, p, d, groups, dt))
    if needs_graph(x4, g4):
        node = record("ConvolutionBackwardBackward0", _weight_grad_backward, (x4, g4), (res,), (x4, g4))
        node.geom = (s, p, d, groups, total)
    return res


def _weight_grad_backward(c, gg):
    x4, g4 = c.saved_tensors
    s, p, d, groups, total = c.geom
    gx = gg_out = None
    if c.needs_input_grad[0]:
        gx = _conv_input_grad(g4, gg, tuple(x4.shape[2:]), s, p, d, groups)
    if c.needs_input_grad[1]:
        gg_out = _crop(_conv_tensor(x4, gg, None, len(s), True, s, p, d, groups, total), tuple(g4.shape[2:]))
    return gx, gg_out


def _conv2d_weight_arrays(x: np.ndarray, g: np.ndarray, kernel, stride, padding, dilation, groups: int,
                          dt: dtypes.dtype) -> np.ndarray:
    """(Cout, C/groups, kh, kw) weight gradient of conv2d for x (N, C, H, W) and g (N, Cout, OH, OW): per block
    of images (large images: per chunk of output rows), the unfolded columns (B*groups, C/groups*kh*kw, M)
    times g transposed (B*groups, M, Cout/groups) in one batched GEMM, summed over the block."""
    if _arrays.is_cuda(x):
        return _cuda_conv2d_weight(x, g, kernel, stride, padding, dilation, groups, dt)
    cdt = _compute_dtype(dt)
    if x.ndim == 5:  # conv3d (CPU float only)
        cout, cg = g.shape[1], x.shape[1] // groups
        if x.shape[0] == 0 or g.size == 0:
            return np.zeros((cout, cg) + tuple(kernel), dt.np)
        acc = _fused_weight_grad(np.ascontiguousarray(x, dtype=cdt), np.ascontiguousarray(g, dtype=cdt), kernel,
                                 stride, padding, dilation, groups)
        return np.ascontiguousarray(acc.transpose(0, 2, 1)).reshape((cout, cg) + tuple(kernel)).astype(dt.np,
                                                                                                        copy=False)
    n, c, h, wd = x.shape
    cout, oh, ow = g.shape[1:]
    kh, kw = kernel
    cg, coutg = c // groups, cout // groups
    kk = cg * kh * kw
    acc = np.zeros((groups, kk, coutg), cdt)
    if n == 0 or oh * ow == 0 or kk == 0 or coutg == 0:
        return _weight_from(acc, cout, cg, kh, kw, dt)
    x = np.ascontiguousarray(x, dtype=cdt)
    g = np.ascontiguousarray(g, dtype=cdt)
    if _fused(x):
        return _weight_from(_fused_weight_grad(x, g, kernel, stride, padding, dilation, groups), cout, cg, kh, kw, dt)
    cdtype = dtypes.from_numpy_dtype(np.dtype(cdt))
    bmm = dispatch.lookup("bmm", "cpu", cdtype)
    one_to_one = kh == kw == 1 and tuple(stride) == (1, 1) and tuple(padding) == (0, 0) and (oh, ow) == (h, wd)

    def add(cols, gblk):
        """acc += sum over the block of cols (B, groups*kk, M) times gblk (B, Cout, M) transposed."""
        b, m = cols.shape[0], cols.shape[2]
        gt = gblk.reshape(b * groups, coutg, m).transpose(0, 2, 1)  # the GEMM packs it (cheaper than a copy)
        tmp = np.empty((b * groups, kk, coutg), cdt)
        bmm(cols.reshape(b * groups, kk, m), gt, tmp)
        acc[...] += tmp.reshape(b, groups, kk, coutg).sum(0) if b > 1 else tmp.reshape(groups, kk, coutg)

    row_bytes = c * kh * kw * ow * acc.itemsize
    rows = max(1, CHUNK_BYTES // row_bytes)
    if one_to_one or rows >= oh:
        block = max(1, min(n, BLOCK_BYTES // (row_bytes * oh), CHUNK_BYTES // (acc.nbytes or 1)))
        for n0 in range(0, n, block):
            n1 = min(n, n0 + block)
            if one_to_one:
                cols = x[n0:n1].reshape(n1 - n0, c, oh * ow)
            else:
                cols = _unfold_arrays(x[n0:n1], (kh, kw), stride, padding, dilation, (oh, ow), cdtype)
            add(cols, g[n0:n1].reshape(n1 - n0, cout, oh * ow))
    else:
        (sh, _), (ph, pw), (dh, _) = stride, padding, dilation
        for i in range(n):
            for oy0 in range(0, oh, rows):
                oy1 = min(oh, oy0 + rows)
                lo = max(0, oy0 * sh - ph)
                hi = max(lo, min(h, (oy1 - 1) * sh - ph + (kh - 1) * dh + 1))
                cols = _unfold_arrays(x[i:i + 1, :, lo:hi], (kh, kw), stride, (ph - oy0 * sh + lo, pw), dilation,
                                      (oy1 - oy0, ow), cdtype)
                add(cols, g[i:i + 1, :, oy0:oy1].reshape(1, cout, -1))
    return _weight_from(acc, cout, cg, kh, kw, dt)


def _weight_from(acc: np.ndarray, cout: int, cg: int, kh: int, kw: int, dt: dtypes.dtype) -> np.ndarray:
    """(groups, kk, Cout/groups) accumulator -> (Cout, C/groups, kh, kw) in dt."""
    return np.ascontiguousarray(acc.transpose(0, 2, 1)).reshape(cout, cg, kh, kw).astype(dt.np, copy=False)


def _conv2d_arrays(x: np.ndarray, w: np.ndarray, b, stride, padding, dilation, groups: int, pad_total,
                   dt: dtypes.dtype) -> np.ndarray:
    """conv2d of validated arrays: x (N, C, H, W), w (Cout, C/groups, kh, kw), b (Cout,) or None; `padding` is
    the top/left padding, `pad_total` the padding summed over both sides (they differ for 'same' with an even
    dilated kernel: the extra row/column goes at the bottom/right, as torch does). Returns (N, Cout, OH, OW)."""
    if _arrays.is_cuda(x):
        return _cuda_conv2d(x, w, b, stride, padding, dilation, groups, pad_total, dt)
    cdt = _compute_dtype(dt)
    if x.ndim == 5:  # conv3d (CPU float only)
        grid = tuple(_out_size(x.shape[2 + i], w.shape[2 + i], stride[i], pad_total[i], dilation[i]) for i in range(3))
        if x.shape[0] == 0 or w.shape[0] == 0:
            return np.zeros((x.shape[0], w.shape[0]) + grid, dt.np)
        b = None if b is None else b.astype(cdt)
        return _fused_conv(np.ascontiguousarray(x, dtype=cdt), w.astype(cdt), b, stride, padding, dilation, groups,
                           grid).astype(dt.np, copy=False)
    n, c, h, wd = x.shape
    cout, cg, kh, kw = w.shape
    oh = _out_size(h, kh, stride[0], pad_total[0], dilation[0])
    ow = _out_size(wd, kw, stride[1], pad_total[1], dilation[1])
    out = np.empty((n, cout, oh, ow), cdt)
    if out.size == 0:
        return out.astype(dt.np, copy=False)
    if x.dtype != cdt:
        x, w = x.astype(cdt), w.astype(cdt)
        b = None if b is None else b.astype(cdt)
    cdtype = dtypes.from_numpy_dtype(np.dtype(cdt))
    kk = cg * kh * kw
    L = oh * ow
    out3 = out.reshape(n, cout, L)
    if kk == 0:
        out3[...] = 0
        return _add_bias(out3, b, cdtype).reshape(out.shape).astype(dt.np, copy=False)
    if _fused(x):
        return _fused_conv(np.ascontiguousarray(x), w, b, stride, padding, dilation, groups, (oh, ow)).astype(
            dt.np, copy=False)
    bmm = dispatch.lookup("bmm", "cpu", cdtype)
    one_to_one = kh == kw == 1 and stride == (1, 1) and padding == (0, 0) and pad_total == (0, 0)
    # groups == 1: the bias rides along in the GEMM as one more weight column times a row of ones in the columns
    fuse = groups == 1 and b is not None and not one_to_one
    w3 = np.ascontiguousarray(w).reshape(groups, cout // groups, kk)
    if fuse:
        w3 = np.concatenate([w3[0], b.reshape(cout, 1)], axis=1)[None]
        b = None

    def gemm(cols, dst):
        """dst[t] = W @ cols[t] per image t, group by group; cols (B, groups*kk [+1], M), dst (B, Cout, M)."""
        if groups == 1:
            bmm(np.broadcast_to(w3[0], (cols.shape[0],) + w3.shape[1:]), cols, dst)
            return
        for t in range(cols.shape[0]):
            bmm(w3, cols[t].reshape(groups, kk, -1), dst[t].reshape(groups, cout // groups, -1))

    if one_to_one:
        gemm(x.reshape(n, c, L), out3)
        return _add_bias(out3, b, cdtype).reshape(out.shape).astype(dt.np, copy=False)
    row_bytes = c * kh * kw * ow * out.itemsize  # unfolded bytes per output row of one image
    rows = max(1, CHUNK_BYTES // row_bytes)
    if rows >= oh:  # whole images, in blocks of about BLOCK_BYTES of columns
        block = max(1, min(n, BLOCK_BYTES // (row_bytes * oh)))
        for n0 in range(0, n, block):
            n1 = min(n, n0 + block)
            gemm(_unfold_arrays(x[n0:n1], (kh, kw), stride, padding, dilation, (oh, ow), cdtype, fuse), out3[n0:n1])
    else:  # large images: chunks of output rows, so the columns stay bounded
        (sh, _), (ph, pw), (dh, _) = stride, padding, dilation
        buf = np.empty(cout * rows * ow, cdt)
        for i in range(n):
            for oy0 in range(0, oh, rows):
                oy1 = min(oh, oy0 + rows)
                lo = max(0, oy0 * sh - ph)  # the input rows these output rows read
                hi = max(lo, min(h, (oy1 - 1) * sh - ph + (kh - 1) * dh + 1))
                cols = _unfold_arrays(x[i:i + 1, :, lo:hi], (kh, kw), stride, (ph - oy0 * sh + lo, pw), dilation,
                                      (oy1 - oy0, ow), cdtype, fuse)
                dst = buf[:cout * (oy1 - oy0) * ow].reshape(1, cout, -1)
                gemm(cols, dst)
                out[i, :, oy0:oy1, :] = dst.reshape(cout, oy1 - oy0, ow)
    return _add_bias(out3, b, cdtype).reshape(out.shape).astype(dt.np, copy=False)


# ---------------------------------------------------------------------------------------------
# Fused CPU kernels (float32 / float64): im2col of one chunk of output rows at a time into a per-thread buffer
# that stays in L2, then the GEMM on it; images x chunks shared among threads (kernels/cpu/conv.py). Geometry is
# 3-d throughout (conv1d / conv2d: depth 1).
# ---------------------------------------------------------------------------------------------

FUSED_CHUNK_BYTES = 1 << 19  # a thread's column chunk holds about this many bytes...
FUSED_MIN_COLS = 256  # ...but at least this many columns (or all of them), for the GEMM's sake


def _fused(x: np.ndarray) -> bool:
    """Whether the fused kernels take arrays of x's (compute) dtype: CPU float32 / float64."""
    return not _arrays.is_cuda(x) and x.dtype in (np.float32, np.float64)


def _geo(kernel, stride, padding, dilation, grid) -> np.ndarray:
    """The kernels' geometry vector; 2-d arguments get depth 1 (no padding)."""
    parts = ((kernel, 1), (stride, 1), (padding, 0), (dilation, 1), (grid, 1))
    return np.array([v for t, pad in parts for v in ((pad,) if len(t) == 2 else ()) + tuple(t)], np.int64)


def _chunking(items: int, grid, rows_per_col: int, itemsize: int) -> tuple[int, int]:
    """(grid rows per chunk, threads) for `items` images over a (d, h, w) grid whose columns hold rows_per_col
    elements: chunks of about FUSED_CHUNK_BYTES, and no more threads than work items."""
    rows, ow = grid[0] * grid[1], grid[2]
    chunk = max(FUSED_CHUNK_BYTES // max(1, rows_per_col * ow * itemsize), -(-FUSED_MIN_COLS // ow), 1)
    chunk = min(chunk, rows)
    threads = max(1, min(K.num_threads(), items * -(-rows // chunk)))
    return chunk, threads


def _fused_conv(x: np.ndarray, w: np.ndarray, b, stride, padding, dilation, groups: int, out_grid) -> np.ndarray:
    """conv of C-contiguous x (N, C, [D,] H, W) and w (Cout, C/groups, [kd,] kh, kw) of one float dtype, front
    padding `padding`, output grid out_grid: (N, Cout, *out_grid)."""
    n, c = x.shape[:2]
    cout = w.shape[0]
    kvol = int(np.prod(w.shape[2:]))
    if _use_direct(c // groups, cout // groups):
        return _direct_conv(x, w, b, stride, padding, dilation, groups, out_grid)
    if all(v == 1 for v in stride) and _use_shifted(c // groups, cout // groups):
        xp = _window(x, tuple(padding), tuple(out_grid[i] + dilation[i] * (w.shape[2 + i] - 1)
                                               for i in range(len(out_grid))))
        return _shifted_conv(xp, np.ascontiguousarray(w).reshape(cout, -1), b, w.shape[2:], dilation, groups,
                             out_grid)
    grid = (1,) * (3 - len(out_grid)) + tuple(out_grid)
    out = np.empty((n, cout) + tuple(out_grid), x.dtype)
    chunk, threads = _chunking(n, grid, c * kvol, x.itemsize)
    buf = np.empty((threads, c * kvol * chunk * grid[2]), x.dtype)
    bias = np.zeros(0, x.dtype) if b is None else np.ascontiguousarray(b, x.dtype)
    x5 = x.reshape((n, c) + (1,) * (5 - x.ndim) + x.shape[2:])
    K.conv_forward(x5, np.ascontiguousarray(w).reshape(cout, -1), bias, out.reshape(n, cout, -1),
                   _geo(w.shape[2:], stride, padding, dilation, out_grid), groups, chunk, buf)
    return out


def _fused_conv_transpose(x: np.ndarray, w: np.ndarray, stride, padding, dilation, groups: int,
                          out_size) -> np.ndarray:
    """The transposed conv (no bias) of C-contiguous x (N, Cin, [D,] H, W) with w (Cin, Cout/groups, [kd,] kh, kw),
    into a new (N, Cout, *out_size) array (positions past the last block stay zero)."""
    n, cin = x.shape[:2]
    coutg = w.shape[1]
    kvol = int(np.prod(w.shape[2:]))
    cout = coutg * groups
    if _use_direct(coutg, cin // groups):
        return _direct_transpose(x, w, stride, padding, dilation, groups, out_size)
    if all(v == 1 for v in stride) and _use_shifted(cin // groups, coutg):
        return _shifted_transpose(x, w, padding, dilation, groups, out_size)
    geo = _geo(w.shape[2:], stride, padding, dilation, x.shape[2:])
    out = np.zeros((n, cout) + tuple(out_size), x.dtype)
    grid = tuple(int(v) for v in geo[12:])
    chunk, threads = _chunking(n, grid, cout * kvol, x.itemsize)
    kd, sd, dd = (int(geo[0]), int(geo[3]), int(geo[9]))
    kh, sh, dh = (int(geo[1]), int(geo[4]), int(geo[10]))
    rows = grid[0] * grid[1]
    # Fewer images than threads: chunks of one parity at a time. A chunk of c rows writes (c - 1)*s + (k - 1)*d + 1
    # output rows, so c > (k - 1)*d / s keeps chunks two apart from sharing one (depth > 1: whole planes)
    parities = (-1,)
    if n < threads:
        if grid[0] == 1:
            chunk = max(chunk, dh * (kh - 1) // sh, 1)
        else:
            chunk = max(-(-chunk // grid[1]), dd * (kd - 1) // sd, 1) * grid[1]
        if rows > chunk:
            parities = (0, 1)
    if parities == (-1,):
        chunk = min(chunk, rows)
        threads = max(1, min(threads, n))
    buf = np.empty((threads, cout * kvol * chunk * grid[2]), x.dtype)
    x3 = x.reshape(n, cin, -1)
    w2 = np.ascontiguousarray(w).reshape(cin, -1)
    o5 = out.reshape((n, cout) + (1,) * (5 - out.ndim) + out.shape[2:])
    for parity in parities:
        K.conv_transpose(x3, w2, o5, geo, groups, chunk, parity, buf)
    return out


def _fused_weight_grad(x: np.ndarray, g: np.ndarray, kernel, stride, padding, dilation, groups: int) -> np.ndarray:
    """The (groups, C/groups*kvol, Cout/groups) weight gradient (transposed) of conv(x, w) for C-contiguous x
    (N, C, [D,] H, W) and g (N, Cout, *grid), one float dtype."""
    n, c = x.shape[:2]
    cout = g.shape[1]
    kvol = int(np.prod(kernel))
    if _use_direct(c // groups, cout // groups):
        return _direct_weight_grad(x, g, kernel, stride, padding, dilation, groups)
    if all(v == 1 for v in stride) and _use_shifted(c // groups, cout // groups):
        xp = _window(x, tuple(padding), tuple(g.shape[2 + i] + dilation[i] * (kernel[i] - 1)
                                               for i in range(len(kernel))))
        return _shifted_weight_grad(xp, g, kernel, dilation, groups)
    grid = (1,) * (5 - g.ndim) + tuple(g.shape[2:])
    chunk, threads = _chunking(n, grid, c * kvol, x.itemsize)
    buf = np.empty((threads, c * kvol * chunk * grid[2]), x.dtype)
    gbuf = np.empty((threads, chunk * grid[2] * cout), x.dtype)
    acc = np.zeros((threads, groups, c // groups * kvol, cout // groups), x.dtype)
    x5 = x.reshape((n, c) + (1,) * (5 - x.ndim) + x.shape[2:])
    K.conv_weight_grad(x5, g.reshape(n, cout, -1), acc, _geo(kernel, stride, padding, dilation, g.shape[2:]),
                       groups, chunk, buf, gbuf)
    return acc.sum(0) if threads > 1 else acc[0]


# Stride 1: the shifted GEMM (no im2col) on a zero-padded window of the input (kernels/cpu/conv.py).
SHIFT_COLS = 1024  # wide output positions per work item (about; at least one row)
# It beats unfolding from 16 input channels per group (each tap's GEMM has K = that many) and 8 output channels per
# group (the micro-kernel's rows); the transposed conv swaps the two.
SHIFT_MIN_CHANNELS = 16
SHIFT_MIN_OUT_CHANNELS = 8
# Few channels per group (depthwise: 1 in, 1 out): direct kernels, no GEMM.
DIRECT_MAX_PRODUCT = 4  # (input channels per group) x (output channels per group) up to this


def _use_shifted(cg: int, coutg: int) -> bool:
    return cg >= SHIFT_MIN_CHANNELS and coutg >= SHIFT_MIN_OUT_CHANNELS


def _use_direct(cg: int, coutg: int) -> bool:
    return cg * coutg <= DIRECT_MAX_PRODUCT


def _as5(a: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) with 1 to 3 spatial dims as (N, C, D, H, W) (leading spatial dims of size 1)."""
    return a.reshape(a.shape[:2] + (1,) * (5 - a.ndim) + a.shape[2:])


def _threads(items: int) -> int:
    return max(1, min(K.num_threads(), items))


def _window(x: np.ndarray, front, size) -> np.ndarray:
    """xp (N, C, *size): xp[..., p] = x[..., p - front] inside x, else 0 (front < 0 crops); x itself (made
    contiguous) when that is all of it (no padding: 1x1 kernels, 'valid')."""
    n, c = x.shape[:2]
    if not any(front) and tuple(size) == x.shape[2:]:
        return np.ascontiguousarray(x)
    xp = np.empty((n, c) + tuple(size), x.dtype)
    if xp.size:
        f = (0,) * (3 - len(front)) + tuple(front)
        K.window_copy(_as5(np.ascontiguousarray(x)), _as5(xp), *f)
    return xp


def _shift_chunk(items: int, oh: int, wp: int) -> tuple[int, int]:
    """(output rows per item, threads) of the shifted kernels for `items` (image, depth) planes of oh rows."""
    chunk = max(1, min(oh, SHIFT_COLS // wp))
    want = 4 * K.num_threads()
    if items * -(-oh // chunk) < want:
        chunk = max(1, -(-oh // -(-want // items)))
    return chunk, _threads(items * -(-oh // chunk))


def _shifted_conv(xp: np.ndarray, w2: np.ndarray, b, kernel, dilation, groups: int, out_grid) -> np.ndarray:
    """The stride-1 conv of the padded window xp (N, C, *(out_grid + dilated kernel - 1)) with w2 (Cout, C/groups
    * kvol) (+ b): (N, Cout, *out_grid)."""
    n = xp.shape[0]
    cout = w2.shape[0]
    kvol = int(np.prod(kernel))
    w3 = np.ascontiguousarray(w2.reshape(cout, -1, kvol).transpose(2, 0, 1))  # (taps, Cout, C/groups)
    x5 = _as5(xp)
    grid = (1,) * (3 - len(out_grid)) + tuple(out_grid)
    chunk, threads = _shift_chunk(n * grid[0], grid[1], x5.shape[4])
    out = np.empty((n, cout) + tuple(out_grid), xp.dtype)
    cbuf = np.empty((threads, cout, chunk * x5.shape[4]), xp.dtype)
    bias = np.zeros(0, xp.dtype) if b is None else np.ascontiguousarray(b, xp.dtype)
    K.conv_shifted(x5, w3, bias, out.reshape(n, cout, -1), _geo(kernel, (1,) * len(kernel), (0,) * len(kernel),
                                                                dilation, out_grid), groups, chunk, cbuf)
    return out


def _shifted_transpose(x: np.ndarray, w: np.ndarray, padding, dilation, groups: int, out_size) -> np.ndarray:
    """The stride-1 transposed conv (no bias): the stride-1 conv of x padded by d*(k - 1) - p in front with the
    kernel flipped and its channel axes swapped per group."""
    nd = len(out_size)
    cin, coutg = w.shape[:2]
    kernel = w.shape[2:]
    cing = cin // groups
    front = tuple(dilation[i] * (kernel[i] - 1) - padding[i] for i in range(nd))
    xp = _window(x, front, tuple(out_size[i] + dilation[i] * (kernel[i] - 1) for i in range(nd)))
    flip = (slice(None),) * 3 + (slice(None, None, -1),) * nd
    wf = w.reshape((groups, cing, coutg) + kernel).swapaxes(1, 2)[flip]
    wf = np.ascontiguousarray(wf).reshape(groups * coutg, -1)
    return _shifted_conv(xp, wf, None, kernel, dilation, groups, out_size)


def _shifted_weight_grad(xp: np.ndarray, g: np.ndarray, kernel, dilation, groups: int) -> np.ndarray:
    """The (groups, C/groups*kvol, Cout/groups) weight gradient (transposed) of the stride-1 conv of the padded
    window xp whose output gradient is g."""
    n, c = xp.shape[:2]
    cout = g.shape[1]
    cg, coutg = c // groups, cout // groups
    kvol = int(np.prod(kernel))
    x5 = _as5(xp)
    grid = (1,) * (5 - g.ndim) + tuple(g.shape[2:])
    chunk, threads = _shift_chunk(n * grid[0], grid[1], x5.shape[4])
    gbuf = np.empty((threads, chunk * x5.shape[4] * cout), xp.dtype)
    acc = np.zeros((threads, groups * kvol * cg, coutg), xp.dtype)
    nd = len(kernel)
    K.conv_shifted_weight_grad(x5, np.ascontiguousarray(g).reshape(n, cout, -1), acc,
                               _geo(kernel, (1,) * nd, (0,) * nd, dilation, g.shape[2:]), groups, chunk, gbuf)
    acc = acc.sum(0) if threads > 1 else acc[0]
    return np.ascontiguousarray(acc.reshape(groups, kvol, cg, coutg).transpose(0, 2, 1, 3)).reshape(
        groups, cg * kvol, coutg)


def _phase_size(kernel, stride, dilation, grid) -> tuple[int, int]:
    """(elements of one channel's phase buffer, wide run length) of the direct kernels (kernels/cpu/conv.py)."""
    q = [1] * (3 - len(grid)) + [o + (d * (k - 1)) // s for k, s, d, o in zip(kernel, stride, dilation, grid)]
    g3 = (1,) * (3 - len(grid)) + tuple(grid)
    return int(np.prod(stride)) * q[0] * q[1] * q[2], ((g3[0] - 1) * q[1] + g3[1] - 1) * q[2] + g3[2]


def _run_direct(mode: int, x: np.ndarray, y: np.ndarray, w2: np.ndarray, bias: np.ndarray, acc, kernel, stride,
                padding, dilation, groups: int, grid) -> None:
    """kernels/cpu/conv.py's direct_conv (mode 0: forward into y, 1: input gradient into x, 2: weight gradient into
    acc, None: not needed) with its per-thread buffers; x (N, C, *spatial), y (N, Cout, *grid), C-contiguous."""
    n, c = x.shape[:2]
    threads = _threads(n * groups)
    size, nq = _phase_size(kernel, stride, dilation, grid)
    buf, wbuf = np.empty((threads, c // groups * size), x.dtype), np.empty((threads, nq), x.dtype)
    acc = np.empty((threads, 0, 0), x.dtype) if acc is None else acc
    K.direct_conv(mode, _as5(x), y.reshape(n, y.shape[1], -1), w2, bias, acc,
                  _geo(kernel, stride, padding, dilation, grid), groups, buf, wbuf)


def _direct_conv(x, w, b, stride, padding, dilation, groups: int, out_grid) -> np.ndarray:
    n, cout = x.shape[0], w.shape[0]
    out = np.empty((n, cout) + tuple(out_grid), x.dtype)
    bias = np.zeros(0, x.dtype) if b is None else np.ascontiguousarray(b, x.dtype)
    _run_direct(0, x, out, np.ascontiguousarray(w).reshape(cout, -1), bias, None, w.shape[2:], stride, padding,
                dilation, groups, out_grid)
    return out


def _direct_transpose(x, w, stride, padding, dilation, groups: int, out_size) -> np.ndarray:
    """The transposed conv (no bias) of x (N, Cin, *grid) = the input gradient of the conv whose weight is w
    (Cin, Cout/groups, *kernel), output grid x's."""
    n, cin = x.shape[:2]
    out = np.zeros((n, w.shape[1] * groups) + tuple(out_size), x.dtype)
    _run_direct(1, out, np.ascontiguousarray(x), np.ascontiguousarray(w).reshape(cin, -1), np.zeros(0, x.dtype), None,
                w.shape[2:], stride, padding, dilation, groups, x.shape[2:])
    return out


def _direct_weight_grad(x, g, kernel, stride, padding, dilation, groups: int) -> np.ndarray:
    n, c = x.shape[:2]
    cout = g.shape[1]
    cg, coutg = c // groups, cout // groups
    kvol = int(np.prod(kernel))
    acc = np.zeros((_threads(n * groups), cout, cg * kvol), x.dtype)
    _run_direct(2, x, np.ascontiguousarray(g), np.zeros((1, 1), x.dtype), np.zeros(0, x.dtype), acc, kernel, stride,
                padding, dilation, groups, g.shape[2:])
    acc = acc.sum(0) if acc.shape[0] > 1 else acc[0]
    return np.ascontiguousarray(acc.reshape(groups, coutg, cg * kvol).transpose(0, 2, 1))


def _add_bias(out3: np.ndarray, b, cdtype: dtypes.dtype) -> np.ndarray:
    if b is not None:
        dispatch.lookup("conv_bias", "cpu", cdtype)(out3, np.ascontiguousarray(b))
    return out3


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """F.conv2d: (N, C, H, W) or unbatched (C, H, W) input; padding may be an int, a pair, 'same' or 'valid'."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """F.conv3d: (N, C, D, H, W) or unbatched (C, D, H, W) input (one conv2d over stacked depth taps)."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1,
           groups: int = 1) -> Tensor:
    """F.conv1d: (N, C, L) or unbatched (C, L) input."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


# ---------------------------------------------------------------------------------------------
# conv_transpose2d
# ---------------------------------------------------------------------------------------------


def _check_transposed(op: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, output_padding,
                      groups, dilation) -> tuple:
    """torch's argument and shape checks of conv_transpose{1,2,3}d; returns (batched, in_shape, stride, padding,
    output_padding, dilation, output size)."""
    check_tensor(input, op)
    check_tensor(weight, op, "weight")
    if bias is not None:
        check_tensor(bias, op, "bias")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {op}, but got input of "
                           f"size: {list(input.shape)}")
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    if not _is_int(groups):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    kdim = weight.ndim - 2
    s = _conv_arg(stride, nd, kdim, "stride", op)
    p = _conv_arg(padding, nd, kdim, "padding", op)
    op_ = _conv_arg(output_padding, nd, kdim, "output_padding", op)
    d = _conv_arg(dilation, nd, kdim, "dilation", op)
    if any(v < 0 for v in p):
        raise RuntimeError("negative padding is not supported")
    if any(v < 0 for v in op_):
        raise RuntimeError("negative output_padding is not supported")
    if any(v <= 0 for v in s):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in d):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(op_[i] >= s[i] and op_[i] >= d[i] for i in range(nd)):
        if nd == 2:
            raise RuntimeError(f"output padding must be smaller than either stride or dilation, but got "
                               f"output_padding_height: {op_[0]} output_padding_width: {op_[1]} stride_height: "
                               f"{s[0]} stride_width: {s[1]} dilation_height: {d[0]} dilation_width: {d[1]}")
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           f"output_padding={list(op_)} stride={list(s)} dilation={list(d)}")
    batched = input.ndim == nd + 2
    in_shape = tuple(input.shape) if batched else (1,) + tuple(input.shape)
    w_shape = tuple(weight.shape)
    _check_weight_groups(w_shape, groups)
    if in_shape[1] != w_shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(w_shape)}, expected input{list(in_shape)} to "
                           f"have {w_shape[0]} channels, but got {in_shape[1]} channels instead")
    cout = w_shape[1] * groups
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != cout):
        raise RuntimeError(f"Given transposed=1, weight of size {list(w_shape)}, expected bias to be 1-dimensional "
                           f"with {cout} elements, but got bias of size {list(bias.shape)} instead")
    ksz = w_shape[2:]
    if any(v <= 0 for v in ksz):
        raise RuntimeError(f"{op}: kernel size should be greater than zero, but got weight of size {list(w_shape)}")
    osz = tuple((in_shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (ksz[i] - 1) + op_[i] + 1 for i in range(nd))
    if any(v < 1 for v in osz):
        raise RuntimeError(f"Given input size per channel: ({_fmt(in_shape[2:])}). Calculated output size per "
                           f"channel: ({_fmt(osz)}). Output size is too small")
    _check_dtypes(input, weight, bias, op)
    check_devices(op, input, weight, bias)
    return batched, in_shape, s, p, op_, d, osz


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """F.conv_transpose2d: the adjoint of conv2d (GEMM with the transposed weight, then col2im)."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, weight, bias = amp.lower_precision(input, weight, bias)
    op = "conv_transpose2d"
    batched, in_shape, s, p, op_, d, osz = _check_transposed(op, 2, input, weight, bias, stride, padding,
                                                             output_padding, groups, dilation)
    return _conv_transpose_tensor(input, weight, bias, batched, s, p, d, groups, osz)


def _conv_transpose_tensor(input: Tensor, weight: Tensor, bias, batched: bool, s, p, d, groups: int,
                           osz) -> Tensor:
    """conv_transpose of validated tensors with 2-d geometry (or 3-d on CPU floats), recorded for autograd."""
    if input.is_complex():
        return _complex_conv(partial(_conv_transpose_tensor, batched=batched, s=s, p=p, d=d, osz=osz), input,
                             weight, bias, batched, groups)
    x = input._data if batched else input._data[None]
    out = _conv_transpose2d_arrays(x, weight._data, None if bias is None else bias._data, s, p, d, groups, osz,
                                   input.dtype)
    res = Tensor._wrap(out if batched else out[0])
    if needs_graph(input, weight, bias):
        node = record("ConvolutionBackward0", _conv_transpose_backward, (input, weight, bias), (res,),
                      (input, weight))
        node.geom = (batched, s, p, d, groups)
    return res


def _conv_transpose_nd(op: str, nd: int, input: Tensor, weight: Tensor, bias, stride, padding, output_padding,
                       groups, dilation) -> Tensor:
    """conv_transpose1d / conv_transpose3d: torch's checks, then conv_transpose2d (1-d: height 1; 3-d: the depth
    taps as extra output channels, summed into place by fold along depth). Recorded ops throughout."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, weight, bias = amp.lower_precision(input, weight, bias)
    batched, in_shape, s, p, op_, d, osz = _check_transposed(op, nd, input, weight, bias, stride, padding,
                                                             output_padding, groups, dilation)
    if nd == 3 and _native3d(input):
        return _conv_transpose_tensor(input, weight, bias, batched, s, p, d, groups, osz)
    x = input if batched else input.unsqueeze(0)
    if nd == 1:
        out = conv_transpose2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1,) + s, (0,) + p, (0,) + op_, groups,
                               (1,) + d)[:, :, 0]
    else:
        out = _conv_transpose3d_composite(x, weight, bias, s, p, op_, groups, d, osz[0])
    return out if batched else out[0]


def _conv_transpose3d_composite(x: Tensor, weight: Tensor, bias, s, p, op_, groups: int, d, od: int) -> Tensor:
    """Every input depth slice through conv_transpose2d with the depth taps as output channels, then fold
    adds tap kd of slice i into output depth i*sd + kd*dd (- padding)."""
    from .padding import pad

    n, cin, depth, h, w = x.shape
    kd = weight.shape[2]
    cout = weight.shape[1] * groups
    x2 = x.permute(0, 2, 1, 3, 4).reshape(n * depth, cin, h, w)
    w2 = weight.reshape(cin, weight.shape[1] * kd, weight.shape[3], weight.shape[4])
    y = conv_transpose2d(x2, w2, None, s[1:], p[1:], op_[1:], groups, d[1:])
    oh, ow = y.shape[2:]
    y = y.reshape(n, depth, cout, kd, oh, ow).permute(0, 2, 3, 1, 4, 5).reshape(n, cout * kd, depth * oh * ow)
    full = (depth - 1) * s[0] + d[0] * (kd - 1) + 1
    z = fold(y, (full, oh * ow), (kd, 1), (d[0], 1), 0, (s[0], 1))
    if p[0] + od > full:
        z = pad(z, (0, 0, 0, p[0] + od - full))
    out = z[:, :, p[0]:p[0] + od].reshape(n, cout, od, oh, ow)
    if bias is not None:
        out = out + bias.reshape(1, cout, 1, 1, 1)
    return out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """F.conv_transpose1d: conv_transpose2d over (N, C, 1, L)."""
    return _conv_transpose_nd("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0,
                     output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """F.conv_transpose3d: (N, Cin, D, H, W) or unbatched input, weight (Cin, Cout/groups, kD, kH, kW)."""
    return _conv_transpose_nd("conv_transpose3d", 3, input, weight, bias, stride, padding, output_padding, groups,
                              dilation)


def _conv_transpose_backward(c, g):
    """conv_transpose2d(x, w) is the x-gradient of conv2d(., w): its x-gradient is conv2d(g, w), its
    w-gradient conv2d's weight gradient with the roles of input and output gradient swapped."""
    x, w = c.saved_tensors
    batched, s, p, d, groups = c.geom
    nd = len(s)
    x4, g4 = _as_4d(x, nd, batched), _as_4d(g, nd, batched)
    total = tuple(2 * v for v in p)
    gx = gw = gb = None
    if c.needs_input_grad[0]:
        # output_padding >= stride: conv2d of g has positions past x's, which x never reached
        gx = _crop(_conv_tensor(g4, w, None, nd, True, s, p, d, groups, total), tuple(x4.shape[2:]))
        gx = gx.reshape(tuple(x.shape))
    if c.needs_input_grad[1]:
        gw = _conv_weight_grad(g4, x4, tuple(w.shape[2:]), s, p, d, groups, total)
    if c.needs_input_grad[2]:
        gb = g4.sum((0,) + tuple(range(2, g4.ndim)))
    return gx, gw, gb


def _conv_transpose2d_arrays(x, w, b, stride, padding, dilation, groups, out_hw, dt) -> np.ndarray:
    """cols = W^T x per group (one batched GEMM per image), then col2im into (N, Cout, OH, OW)."""
    if _arrays.is_cuda(x):
        return _cuda_conv_transpose2d(x, w, b, stride, padding, dilation, groups, out_hw, dt)
    cdt = _compute_dtype(dt)
    if x.ndim == 5:  # conv_transpose3d (CPU float only)
        cout = w.shape[1] * groups
        if x.shape[0] == 0 or cout == 0:
            return np.zeros((x.shape[0], cout) + tuple(out_hw), dt.np)
        out = _fused_conv_transpose(np.ascontiguousarray(x, dtype=cdt), w.astype(cdt), stride, padding, dilation,
                                    groups, out_hw)
        if b is not None:
            dispatch.lookup("conv_bias", "cpu", dtypes.from_numpy_dtype(np.dtype(cdt)))(
                out.reshape(out.shape[0], cout, -1), np.ascontiguousarray(b, dtype=cdt))
        return out.astype(dt.np, copy=False)
    n, cin, h, wd = x.shape
    coutg, kh, kw = w.shape[1:]
    cout = coutg * groups
    out_shape = (n, cout) + tuple(out_hw)
    if n == 0 or cout == 0:
        return np.zeros(out_shape, dt.np)
    if x.dtype != cdt:
        x, w = x.astype(cdt), w.astype(cdt)
        b = None if b is None else b.astype(cdt)
    cdtype = dtypes.from_numpy_dtype(np.dtype(cdt))
    if _fused(x):
        out = _fused_conv_transpose(np.ascontiguousarray(x), w, stride, padding, dilation, groups, out_hw)
        if b is not None:
            dispatch.lookup("conv_bias", "cpu", cdtype)(out.reshape(n, cout, -1), np.ascontiguousarray(b))
        return out.astype(dt.np, copy=False)
    cing = cin // groups
    kk = coutg * kh * kw
    L = h * wd
    wt = np.ascontiguousarray(w).reshape(groups, cing, kk).transpose(0, 2, 1)  # (G, Coutg*kh*kw, Cing)
    x = np.ascontiguousarray(x)
    bmm = dispatch.lookup("bmm", "cpu", cdtype)
    out = np.zeros(out_shape, cdt)
    block = max(1, min(n, BLOCK_BYTES // max(1, groups * kk * L * out.itemsize)))  # images per GEMM + col2im
    for n0 in range(0, n, block):
        n1 = min(n, n0 + block)
        cols = np.empty((n1 - n0, groups * kk, L), cdt)
        if groups == 1:
            bmm(np.broadcast_to(wt[0], (n1 - n0, kk, cing)), x[n0:n1].reshape(n1 - n0, cin, L), cols)
        else:
            for i in range(n0, n1):
                bmm(wt, x[i].reshape(groups, cing, L), cols[i - n0].reshape(groups, kk, L))
        _col2im_into(cols, out[n0:n1], (kh, kw), stride, padding, dilation, (h, wd), cdtype)
    if b is not None:
        dispatch.lookup("conv_bias", "cpu", cdtype)(out.reshape(n, cout, -1), np.ascontiguousarray(b))
    return out.astype(dt.np, copy=False)


# ---------------------------------------------------------------------------------------------
# CUDA: the same algorithms on device arrays (kernels/cuda/conv.py, the GEMMs by matmul.bmm_into)
# ---------------------------------------------------------------------------------------------


def check_devices(op: str, *tensors) -> None:
    """PyTorch's mixed-device error when the tensors (None skipped) do not all sit on one device."""
    names = [_arrays.device_name(t._data) for t in tensors if t is not None]
    for name in names[1:]:
        if name != names[0]:
            raise _arrays.mixed_devices(names[0], name)


def zeros(shape, np_dtype, like):
    """A zero-filled array on like's device."""
    out = _arrays.empty(tuple(shape), np_dtype, like)
    if out.size:
        _arrays.copy_into(out, 0)
    return out


def cuda_kernel(op: str, np_dtype):
    return dispatch.lookup(op, "cuda", dtypes.from_numpy_dtype(np.dtype(np_dtype)))


def _cuda_im2col_into(x, cols, kernel, stride, padding, dilation, ow: int) -> None:
    """cols (N, C*kh*kw, L) = im2col of x (N, C, H, W); any strides, one dtype (moved as unsigned integers)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if cols.size == 0:
        return
    u = _MOVE[x.dtype.itemsize]
    dispatch.lookup("im2col", "cuda", u)(x.view(u.np).device_array(), cols.view(u.np).device_array(), kh, kw, sh, sw,
                                         ph, pw, dh, dw, ow)


def _cuda_unfold(x, kernel, stride, padding, dilation, out_hw, ones_row: bool = False):
    """_unfold_arrays on CUDA: a new (N, C*kh*kw [+1], OH*OW) array."""
    n, c = x.shape[:2]
    rows = c * kernel[0] * kernel[1]
    cols = _arrays.empty((n, rows + ones_row, out_hw[0] * out_hw[1]), x.dtype, x)
    if ones_row and cols.size:
        _arrays.copy_into(cols[:, rows], 1)
    if rows:
        _cuda_im2col_into(x, cols[:, :rows], kernel, stride, padding, dilation, out_hw[1])
    return cols


def _cuda_col2im(cols, out, kernel, stride, padding, dilation, blocks_hw) -> None:
    """out (N, C, H, W) = col2im of cols (N, C*kh*kw, L) (overwritten; one thread per element of out)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    if out.size == 0:
        return
    if cols.size == 0:
        _arrays.copy_into(out, 0)
        return
    cuda_kernel("col2im", out.dtype)(cols.device_array(), out.device_array(), kh, kw, sh, sw, ph, pw, dh, dw,
                                     blocks_hw[0], blocks_hw[1])


def _cuda_grouped_bmm(w3, cols, dst) -> None:
    """dst[b, g*M:(g+1)*M] = w3[g] @ cols[b, g*K:(g+1)*K] for w3 (G, M, K), cols (B, G*K, L), dst (B, G*M, L): one
    batched GEMM per group (the weight broadcast over the images), or per image when the images are fewer."""
    groups, m, k = w3.shape
    nb = cols.shape[0]
    if dst.size == 0:
        return
    if k == 0:
        _arrays.copy_into(dst, 0)
        return
    bmm = cuda_kernel("bmm", dst.dtype)
    if groups <= nb:
        for g in range(groups):
            a = _arrays.broadcast_to(w3[g], (nb, m, k))
            bmm(a.device_array(), cols[:, g * k:(g + 1) * k].device_array(), dst[:, g * m:(g + 1) * m].device_array())
    else:
        for t in range(nb):
            bmm(w3.device_array(), cols[t].reshape(groups, k, -1).device_array(),
                dst[t].reshape(groups, m, -1).device_array())


def _image_block(n: int, per_image_bytes: int) -> int:
    return max(1, min(n, CUDA_COLS_BYTES // max(1, per_image_bytes)))


def _cuda_conv2d(x, w, b, stride, padding, dilation, groups: int, pad_total, dt: dtypes.dtype):
    """_conv2d_arrays on CUDA: per block of images, im2col then the grouped GEMM straight into the output."""
    cdt = np.dtype(_compute_dtype(dt))
    n, c, h, wd = x.shape
    cout, cg, kh, kw = w.shape
    oh = _out_size(h, kh, stride[0], pad_total[0], dilation[0])
    ow = _out_size(wd, kw, stride[1], pad_total[1], dilation[1])
    out = _arrays.empty((n, cout, oh, ow), cdt, x)
    if out.size == 0:
        return _arrays.astype(out, dt.np)
    x, w = _arrays.astype(x, cdt), _arrays.astype(w, cdt)
    kk, L = cg * kh * kw, oh * ow
    out3 = out.reshape(n, cout, L)
    w3 = _arrays.reshape(w, (groups, cout // groups, kk))
    block = _image_block(n, groups * kk * L * cdt.itemsize)
    for n0 in range(0, n, block):
        n1 = min(n, n0 + block)
        cols = _cuda_unfold(x[n0:n1], (kh, kw), stride, padding, dilation, (oh, ow))
        _cuda_grouped_bmm(w3, cols, out3[n0:n1])
    if b is not None:
        cuda_kernel("conv_bias", cdt)(out3.device_array(), _arrays.astype(b, cdt).device_array())
    return _arrays.astype(out, dt.np)


def _cuda_conv_transpose2d(x, w, b, stride, padding, dilation, groups: int, out_hw, dt: dtypes.dtype):
    """_conv_transpose2d_arrays on CUDA: per block of images, the transposed GEMM into columns, then col2im."""
    cdt = np.dtype(_compute_dtype(dt))
    n, cin, h, wd = x.shape
    coutg, kh, kw = w.shape[1:]
    cout = coutg * groups
    out_shape = (n, cout) + tuple(out_hw)
    if n == 0 or cout == 0:
        return zeros(out_shape, dt.np, x)
    x, w = _arrays.astype(x, cdt), _arrays.astype(w, cdt)
    cing, kk, L = cin // groups, coutg * kh * kw, h * wd
    wt = _arrays.reshape(w, (groups, cing, kk)).transpose(0, 2, 1)  # (G, Coutg*kh*kw, Cing)
    x3 = _arrays.reshape(x, (n, cin, L))
    out = _arrays.empty(out_shape, cdt, x)
    block = _image_block(n, groups * kk * L * cdt.itemsize)
    for n0 in range(0, n, block):
        n1 = min(n, n0 + block)
        cols = _arrays.empty((n1 - n0, groups * kk, L), cdt, x)
        _cuda_grouped_bmm(wt, x3[n0:n1], cols)
        _cuda_col2im(cols, out[n0:n1], (kh, kw), stride, padding, dilation, (h, wd))
    if b is not None:
        cuda_kernel("conv_bias", cdt)(out.reshape(n, cout, -1).device_array(), _arrays.astype(b, cdt).device_array())
    return _arrays.astype(out, dt.np)


def _cuda_conv2d_weight(x, g, kernel, stride, padding, dilation, groups: int, dt: dtypes.dtype):
    """_conv2d_weight_arrays on CUDA: per block of B images, the columns laid out (groups*kk, B, L) and g as
    (Cout, B, L), so that the whole block is one batched GEMM over the groups: (coutg, B*L) @ (B*L, kk)."""
    cdt = np.dtype(_compute_dtype(dt))
    n, c = x.shape[:2]
    cout, oh, ow = g.shape[1:]
    kh, kw = kernel
    cg, coutg = c // groups, cout // groups
    kk, L = cg * kh * kw, oh * ow
    res = _arrays.empty((groups, coutg, kk), cdt, x)
    if n == 0 or L == 0 or res.size == 0:
        return _arrays.astype(zeros((cout, cg, kh, kw), cdt, x), dt.np)
    x = _arrays.astype(x, cdt)
    g3 = _arrays.reshape(g, (n, cout, L))
    bmm = cuda_kernel("bmm", cdt)
    block = _image_block(n, (c * kh * kw + cout) * L * cdt.itemsize)
    tmp = None
    for n0 in range(0, n, block):
        n1 = min(n, n0 + block)
        nb = n1 - n0
        colbuf = _arrays.empty((groups * kk, nb, L), cdt, x)
        _cuda_im2col_into(x[n0:n1], colbuf.transpose(1, 0, 2), kernel, stride, padding, dilation, ow)
        gbuf = _arrays.empty((cout, nb, L), cdt, x)
        _arrays.copy_into(gbuf.transpose(1, 0, 2), g3[n0:n1])
        dst = res if n0 == 0 else tmp if tmp is not None else _arrays.empty(res.shape, cdt, x)
        bmm(gbuf.reshape(groups, coutg, nb * L).device_array(),
            colbuf.reshape(groups, kk, nb * L).transpose(0, 2, 1).device_array(), dst.device_array())
        if n0:
            tmp = dst
            cuda_kernel("conv_add", cdt)(res.reshape(-1).device_array(), dst.reshape(-1).device_array())
    return _arrays.astype(res.reshape(cout, cg, kh, kw), dt.np)


FUNCTIONAL: dict = {
    "conv1d": conv1d,
    "conv2d": conv2d,
    "conv3d": conv3d,
    "conv_transpose1d": conv_transpose1d,
    "conv_transpose2d": conv_transpose2d,
    "conv_transpose3d": conv_transpose3d,
    "unfold": unfold,
    "fold": fold,
}
