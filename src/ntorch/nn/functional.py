"""torch.nn.functional: activations built on the elementwise op table."""

from __future__ import annotations

import math

import numpy as np

from ..autograd.grad_mode import no_grad as _no_grad
from ..autograd.graph import needs_graph as _needs_graph
from ..autograd.graph import record as _record
from ..kernels.cpu.indexing import minmax as _minmax
from ..ops import pointwise, softmax
from ..ops.elementwise import apply as _apply
from ..ops.elementwise import apply_inplace as _apply_inplace
from ..tensor import Tensor as _Tensor

gelu = pointwise.gelu
softplus = pointwise.softplus
relu = pointwise.relu


def silu(input: _Tensor, inplace: bool = False) -> _Tensor:
    pointwise.float_only(input, "silu_cpu", complex_ok=True)
    return _apply_inplace("silu", input) if inplace else _apply("silu", input)


def sigmoid(input: _Tensor) -> _Tensor:
    return _apply("sigmoid", input)


def tanh(input: _Tensor) -> _Tensor:
    return _apply("tanh", input)


def relu6(input: _Tensor, inplace: bool = False) -> _Tensor:
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: _Tensor, negative_slope: float = 0.01, inplace: bool = False) -> _Tensor:
    pointwise.float_only(input, "leaky_relu_cpu")
    if inplace or not _needs_graph(input):
        res = pointwise.where(input > 0, input, input * negative_slope)
        return input.copy_(res) if inplace else res
    with _no_grad():
        res = pointwise.where(input > 0, input, input * negative_slope)
    _record("LeakyReluBackward0", _leaky_relu_backward, (input,), (res,), (input,)).slope = negative_slope
    return res


def _leaky_relu_backward(c, g):
    """torch's leaky_relu_backward: g where x > 0, g * slope elsewhere (nan too)."""
    (x,) = c.saved_tensors
    return (pointwise.where(x > 0, g, g * c.slope),)


def _hardtanh_backward(c, g):
    """torch's hardtanh_backward: g strictly inside (min_val, max_val), 0 elsewhere (nan too)."""
    (x,) = c.saved_tensors
    return (pointwise.where((x > c.limits[0]) & (x < c.limits[1]), g, 0.0),)


def hardtanh(input: _Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> _Tensor:
    """clamp(x, min_val, max_val) in x's dtype (integer limits truncate); as torch's hardtanh_backward, the
    gradient passes strictly inside (min_val, max_val), where clamp's also passes at the limits."""
    from .. import dtypes
    from .activations import _out, _src

    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.dtype is dtypes.bool:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if not input.dtype.is_floating_point:
        min_val, max_val = int(min_val), int(max_val)  # (truncated first: -0.5 is a valid limit for uint8)
        if input.dtype is dtypes.uint8 and (min_val < 0 or max_val < 0):
            raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    x = _src(input, inplace)
    if not _needs_graph(x):
        return _out(input, pointwise.clamp(x, min_val, max_val), inplace)
    with _no_grad():
        res = pointwise.clamp(x, min_val, max_val)
    _record("HardtanhBackward0", _hardtanh_backward, (x,), (res,), (x,)).limits = (min_val, max_val)
    return _out(input, res, inplace)


def _check_factor(op: str, name: str, factor: int) -> int:
    factor = int(factor)
    if factor <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {factor}")
    return factor


def pixel_shuffle(input: _Tensor, upscale_factor: int) -> _Tensor:
    """(*, C r**2, H, W) -> (*, C, H r, W r): each channel block of r**2 becomes an r x r tile."""
    r = _check_factor("pixel_shuffle", "upscale_factor", upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    b = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(b), b, b + 3, b + 1, b + 4, b + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def channel_shuffle(input: _Tensor, groups: int) -> _Tensor:
    """(N, C, *) with C = g * k: channel i * k + j moves to j * g + i (ShuffleNet's mixing of grouped channels)."""
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    n, c, *rest = input.shape
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)


def pixel_unshuffle(input: _Tensor, downscale_factor: int) -> _Tensor:
    """(*, C, H r, W r) -> (*, C r**2, H, W): the inverse of pixel_shuffle."""
    r = _check_factor("pixel_unshuffle", "downscale_factor", downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    *lead, c, h, w = input.shape
    for name, size, dim in (("height", h, -2), ("width", w, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({dim})={size} is not divisible by {r}")
    b = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(b), b, b + 2, b + 4, b + 1, b + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def embedding(input: _Tensor, weight: _Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> _Tensor:
    """weight rows at the indices; padding_idx rows get no gradient, max_norm renormalises the looked-up rows
    of weight in place (as torch does), scale_grad_by_freq divides each row's gradient by its count."""
    from .. import dtypes
    from ..ops.creation import tensor

    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by ntorch")
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{'cuda.' if input.is_cuda else ''}"
                           f"{dtypes.torch_name(input.dtype)}Tensor instead (while checking arguments "
                           "for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = padding_idx % rows
    if max_norm is not None:
        _embedding_renorm(input, weight, float(max_norm), norm_type)
    if type(weight._data) is np.ndarray and type(input._data) is np.ndarray:
        return _embedding_cpu(input, weight, padding_idx, scale_grad_by_freq)
    flat = input.reshape(-1).to(dtypes.int64)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= rows):
        raise IndexError("index out of range in self")
    if not _needs_graph(weight):
        return weight.index_select(0, flat).reshape(*input.shape, weight.shape[1])
    with _no_grad():
        out = weight.index_select(0, flat).reshape(*input.shape, weight.shape[1])
    row_scale = None
    if scale_grad_by_freq and flat.numel():
        host = flat.cpu().numpy()
        counts = np.bincount(host, minlength=rows)[host]
        row_scale = tensor((1.0 / counts).reshape(-1, 1), dtype=weight.dtype, device=weight.device)
    node = _record("EmbeddingBackward0", _embedding_backward, (weight,), (out,))
    node.flat, node.rows, node.padding_idx, node.row_scale = flat, rows, padding_idx, row_scale
    return out


def _embedding_backward(c, g):
    """torch's embedding_backward (dense): each index's gradient row added into its weight row, divided by the
    index's count with scale_grad_by_freq, nothing into padding_idx's row."""
    from ..ops.creation import zeros

    g = g.reshape(-1, g.shape[-1])
    if c.row_scale is not None:
        g = g * c.row_scale
    if c.padding_idx is not None:
        g = pointwise.where((c.flat == c.padding_idx).reshape(-1, 1), 0.0, g)
    return (zeros((c.rows, g.shape[1]), dtype=g.dtype, device=g.device).index_add(0, c.flat, g),)


def _embedding_renorm(input: _Tensor, weight: _Tensor, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: the looked-up rows whose norm exceeds max_norm are scaled down in place
    (unrecorded); out-of-range indices raise before any row changes."""
    from .. import dtypes, no_grad
    from ..ops.creation import tensor

    flat = input.reshape(-1).to(dtypes.int64)
    rows = weight.shape[0]
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= rows):
        raise IndexError("index out of range in self")
    with no_grad():
        used = tensor(np.unique(flat.cpu().numpy()), device=weight.device)
        picked = weight.index_select(0, used)
        norms = picked.norm(norm_type, 1, keepdim=True)
        scale = pointwise.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.index_copy_(0, used, picked * scale)


def _embedding_cpu(input: _Tensor, weight: _Tensor, padding_idx: int | None, scale_grad_by_freq: bool) -> _Tensor:
    """The CPU lookup as one range check (a single min/max pass) and one np.take, recorded as a single
    EmbeddingBackward0 node (torch's) instead of reshape / index_select / where nodes."""
    rows, dim = weight.shape
    flat = input._data.astype(np.int64).reshape(-1)  # a copy: the backward's indices can't change under it
    if flat.size:
        lo, hi = _minmax(flat)
        if lo < 0 or hi >= rows:
            raise IndexError("index out of range in self")
    res = _Tensor._wrap(weight._data.take(flat, axis=0).reshape(*input.shape, dim))
    if _needs_graph(weight):
        node = _record("EmbeddingBackward0", _embedding_cpu_backward, (weight,), (res,))
        node.index, node.rows, node.dim = flat, rows, dim
        node.padding_idx, node.scale_grad_by_freq = padding_idx, scale_grad_by_freq
    return res


def _embedding_cpu_backward(c, g: _Tensor) -> _Tensor:
    """_embedding_cpu's node: each output row's gradient added into its weight row (composed of recorded ops,
    so it differentiates again); padding_idx rows get none, scale_grad_by_freq divides by the index's count."""
    from ..ops.creation import tensor
    from ..ops.indexing import index_add

    flat = c.index
    g2 = g.reshape(flat.size, c.dim)
    if c.scale_grad_by_freq and flat.size:
        counts = np.bincount(flat, minlength=c.rows)[flat]
        g2 = g2 * tensor((1.0 / counts).reshape(-1, 1), dtype=g.dtype)
    if c.padding_idx is not None:
        keep = flat != c.padding_idx
        if not keep.all():  # those rows are skipped (not multiplied by 0: an inf gradient would give nan)
            flat = flat[keep]
            g2 = g2.index_select(0, tensor(np.flatnonzero(keep)))
    return index_add(g.new_zeros((c.rows, c.dim)), 0, tensor(flat), g2)


def _cpp_name(dt) -> str:
    """The C++ type name torch's attention errors print for a dtype ('float', 'long int')."""
    names = {"float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float", "float64": "double",
             "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
    return names.get(str(dt).rsplit(".", 1)[-1], str(dt))


def scaled_dot_product_attention(query: _Tensor, key: _Tensor, value: _Tensor, attn_mask: _Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> _Tensor:
    """softmax(q k^T * scale + mask) v, the math reference torch documents: a bool mask keeps True entries, a
    float mask is added, is_causal keeps the lower triangle; dropout_p > 0 drops attention weights."""
    from .. import dtypes
    from ..ops.creation import tensor
    from ..ops.softmax import softmax as _softmax
    from . import dropout as _dropout

    if not query.dtype is key.dtype is value.dtype:
        n = _cpp_name
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{n(query.dtype)} key.dtype: {n(key.dtype)} and value.dtype: {n(value.dtype)} instead.")
    if attn_mask is not None and attn_mask.dtype is not dtypes.bool and attn_mask.dtype is not query.dtype:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                           f"attn_mask.dtype: {_cpp_name(attn_mask.dtype)} and  query.dtype: "
                           f"{_cpp_name(query.dtype)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        key = key.repeat_interleave(query.shape[-3] // key.shape[-3], -3)
        value = value.repeat_interleave(query.shape[-3] // value.shape[-3], -3)
    length, source = query.shape[-2], key.shape[-2]
    factor = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    scores = query.matmul(key.transpose(-2, -1)) * factor
    if is_causal:
        attn_mask = tensor(np.tril(np.ones((length, source), bool)), device=query.device)
    if attn_mask is not None:
        if attn_mask.dtype is dtypes.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), -math.inf)
        else:
            scores = scores + attn_mask
    weights = _softmax(scores, -1)
    if dropout_p > 0.0:
        weights = _dropout.dropout(weights, dropout_p, True)
    return weights.matmul(value)


def _bind_tables() -> None:
    """Each nn op module lists its functions in a FUNCTIONAL table; torch.softmax & co. are F names too."""
    from .._methods import guard_tables
    from . import (
        activations,
        conv,
        ctc,
        distance,
        dropout,
        embedding_bag,
        functional_extra,
        losses,
        normalization,
        padding,
        pooling,
        sampling,
    )

    for module in (activations, conv, ctc, distance, dropout, embedding_bag, losses, normalization, padding, pooling,
                   sampling, functional_extra):
        guard_tables(module.FUNCTIONAL)
        globals().update(module.FUNCTIONAL)
    globals().update({k: v for k, v in softmax.FUNCTIONS.items() if k in ("softmax", "log_softmax")})
    extra = {"pixel_shuffle": pixel_shuffle, "pixel_unshuffle": pixel_unshuffle, "channel_shuffle": channel_shuffle,
             "embedding": embedding,
             "scaled_dot_product_attention": scaled_dot_product_attention}
    from ..ops.compat import conv_tbc

    extra["conv_tbc"] = conv_tbc
    guard_tables(extra)
    globals().update(extra)


_bind_tables()
