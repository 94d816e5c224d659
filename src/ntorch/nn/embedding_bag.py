"""F.embedding_bag: sums, means or maxima of bags of embedding rows, without materialising the per-bag
embedding tensor of F.embedding + a reduction.

Bag boundaries are host data (the offsets), so the bag of every index is computed with NumPy; the rows are
gathered with index_select and reduced with index_add (sum, mean) or a padded (bags, longest bag, dim) max:
recorded ops, so autograd to the weight and per_sample_weights and CUDA come from them.
"""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..ops._util import check_tensor
from ..tensor import Tensor

_TORCH_TYPE = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
               "bfloat16": "torch.BFloat16Tensor"}


def _indices_and_offsets(input: Tensor, offsets: Tensor | None, include_last_offset: bool):
    """(flat indices as a tensor, bag start offsets as a host array with the end appended)."""
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {dtypes.torch_name(input.dtype)} instead (while checking arguments "
                           "for embedding_bag)")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type "
                             f"{type(offsets).__module__}.{type(offsets).__name__}")
        b, length = input.shape
        return input.reshape(-1), np.arange(b + 1, dtype=np.int64) * length
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    if offsets.dtype not in (dtypes.int64, dtypes.int32):
        raise RuntimeError("Expected tensor for argument #2 'offsets' to have one of the following scalar types: "
                           f"Long, Int; but got {dtypes.torch_name(offsets.dtype)} instead (while checking arguments "
                           "for embedding_bag)")
    off = offsets.cpu().numpy().astype(np.int64)
    n = input.shape[0]
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {off[0]}")
    if off.size and off[-1] > n:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {off[-1]}")
    if np.any(np.diff(off) < 0):
        raise RuntimeError("embedding_bag: offsets have to be non-decreasing")
    if not include_last_offset:
        off = np.append(off, n)
    elif off.size == 0:
        off = np.zeros(1, np.int64)
    return input, off


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """F.embedding_bag: (bags, embedding_dim); empty bags (and bags of padding_idx only) give zeros."""
    from ..ops.creation import tensor, zeros
    from ..ops.pointwise import where
    from .functional import embedding

    check_tensor(input, "embedding_bag")
    check_tensor(weight, "embedding_bag", "weight")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported by ntorch")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                      "on GitHub.")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                             f"must have the same shape as the input ({input.shape})")
        if per_sample_weights.dtype is not weight.dtype:
            raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument "
                               "#1 'per_sample_weights'; but type "
                               f"{_TORCH_TYPE.get(weight.dtype.name, weight.dtype.name)} does not equal "
                               f"{_TORCH_TYPE.get(per_sample_weights.dtype.name, per_sample_weights.dtype.name)} "
                               "(while checking arguments for embedding_bag)")
    rows = weight.shape[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{rows} through {rows - 1}, but "
                               f"got {padding_idx}")
        padding_idx %= rows
    flat, off = _indices_and_offsets(input, offsets, include_last_offset)
    bags = off.size - 1
    idx = flat.to(dtypes.int64)
    host = idx.cpu().numpy()
    if host.size and (host.min() < 0 or host.max() >= rows):
        raise IndexError("index out of range in self")
    vecs = embedding(idx, weight, None, max_norm, norm_type, scale_grad_by_freq)  # (M, D)
    dim, dev = weight.shape[1], weight.device
    bag_of = np.repeat(np.arange(bags, dtype=np.int64), np.diff(off))  # the bag of each used index
    used = host[:bag_of.size]
    keep = used != padding_idx if padding_idx is not None else np.ones(used.size, bool)
    if mode in ("sum", "mean"):
        vecs = vecs[:used.size]
        if per_sample_weights is not None:
            vecs = vecs * per_sample_weights.reshape(-1)[:used.size].reshape(-1, 1)
        if not keep.all():
            vecs = vecs.index_select(0, tensor(np.flatnonzero(keep), device=dev))
        out = zeros((bags, dim), dtype=weight.dtype, device=dev).index_add(0, tensor(bag_of[keep], device=dev), vecs)
        if mode == "mean":
            counts = np.bincount(bag_of[keep], minlength=bags).astype(np.float64)
            out = out / tensor(np.maximum(counts, 1).reshape(-1, 1), dtype=weight.dtype, device=dev)
        return out
    # max: the bags padded to the longest one, missing and padding entries at -inf, empty bags zero
    sizes = np.bincount(bag_of[keep], minlength=bags)
    if not keep.any():
        return zeros((bags, dim), dtype=weight.dtype, device=dev) + vecs.sum() * 0
    longest = int(sizes.max())
    table = np.zeros((bags, longest), np.int64)
    present = np.zeros((bags, longest), bool)
    pos = np.flatnonzero(keep)
    slot = np.arange(pos.size) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    table[bag_of[pos], slot] = pos
    present[bag_of[pos], slot] = True
    gathered = vecs.index_select(0, tensor(table.reshape(-1), device=dev)).reshape(bags, longest, dim)
    mask = tensor(present[:, :, None], device=dev)
    best = where(mask, gathered, -float("inf")).max(1)[0]
    return where(tensor((sizes > 0)[:, None], device=dev), best, 0.0)


FUNCTIONAL: dict = {"embedding_bag": embedding_bag}
