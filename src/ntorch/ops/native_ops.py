"""ATen's lower-level torch.* entry points (torch.convolution, native_layer_norm, rnn_tanh, grid_sampler, ...), with
torch's positional signatures and tuple results, each built on the nn.functional op that already does the work
(so values, gradients and devices come from there). The extra statistics outputs (mean, rstd, the dropout mask)
are not differentiable, as in torch."""

from __future__ import annotations

from .. import dtypes
from ..autograd import no_grad
from ..tensor import Tensor
from . import creation


def _F():
    from ..nn import functional

    return functional


def _tuple(v, n: int) -> tuple:
    v = tuple(v) if isinstance(v, tuple | list) else (v,)
    return v * n if len(v) == 1 else v


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, transposed: bool,
                output_padding, groups: int) -> Tensor:
    """aten::convolution: conv{1,2,3}d or conv_transpose{1,2,3}d by the weight's rank."""
    n = weight.ndim - 2
    if n not in (1, 2, 3):
        raise RuntimeError(f"Expected 3D, 4D or 5D weight for convolution, but got weight of size "
                           f"{list(weight.shape)}")
    if input.ndim != weight.ndim:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                           f"{list(input.shape)} instead")
    stride, padding, dilation = _tuple(stride, n), _tuple(padding, n), _tuple(dilation, n)
    f = _F()
    if transposed:
        out_pad = _tuple(output_padding, n)
        fn = (f.conv_transpose1d, f.conv_transpose2d, f.conv_transpose3d)[n - 1]
        return fn(input, weight, bias, stride, padding, out_pad, groups, dilation)
    fn = (f.conv1d, f.conv2d, f.conv3d)[n - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


def _stats(x: Tensor, dims: tuple, eps: float, keepdim: bool) -> tuple[Tensor, Tensor]:
    """(mean, 1/sqrt(biased var + eps)) over dims, in float64 then cast back, outside the graph."""
    if x.is_complex():  # (torch's normalization kernels are real-only too; a cast would drop the imaginary parts)
        raise NotImplementedError(f"normalization of {dtypes.torch_name(x.dtype)} tensors is not implemented")
    with no_grad():
        xd = x.detach().double()
        mean = xd.mean(dims, keepdim=keepdim)
        rstd = (xd.var(dims, correction=0, keepdim=keepdim) + eps).rsqrt()
        return mean.to(x.dtype), rstd.to(x.dtype)


def native_layer_norm(input: Tensor, normalized_shape, weight: Tensor | None, bias: Tensor | None,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(layer_norm(input), mean, rstd); mean and rstd have input's leading dims then 1 per normalized dim."""
    out = _F().layer_norm(input, normalized_shape, weight, bias, eps)
    k = len(tuple(normalized_shape)) if isinstance(normalized_shape, tuple | list) else 1
    mean, rstd = _stats(input, tuple(range(input.ndim - k, input.ndim)), eps, True)
    return out, mean, rstd


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, running_mean: Tensor | None,
                      running_var: Tensor | None, training: bool, momentum: float,
                      eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(batch_norm(input), save_mean, save_invstd) per channel (dim 1); in evaluation mode the saved statistics
    are empty, as torch's. Training updates the running statistics in place."""
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("native_batch_norm: running_mean and running_var must be defined in evaluation mode")
    if training:
        mean, invstd = _stats(input, tuple(d for d in range(input.ndim) if d != 1), eps, False)
    else:
        mean = invstd = creation.empty(0, dtype=input.dtype, device=input.device)
    out = _F().batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    return out, mean, invstd


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int, C: int, HxW: int,
                      group: int, eps: float) -> tuple[Tensor, Tensor, Tensor]:
    """(group_norm(input), mean, rstd), the statistics of shape (N, group)."""
    if input.numel() != N * C * HxW:
        raise RuntimeError("Expected X.numel() == N * C * HxW to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    out = _F().group_norm(input, group, weight, bias, eps)
    mean, rstd = _stats(input.reshape(N, group, -1), (2,), eps, False)
    return out, mean, rstd


def native_dropout(input: Tensor, p: float, train: bool | None) -> tuple[Tensor, Tensor]:
    """(input * mask / (1 - p), mask): the bool mask of kept elements; not training, (a copy, all True)."""
    if train is not None and not train:
        return input.clone(), creation.ones(tuple(input.shape), dtype=dtypes.bool, device=input.device)
    if not 0 <= 1 - p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={1 - p}")
    from ..random import rand

    keep = rand(tuple(input.shape), device=input.device) >= p
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return input * keep.to(input.dtype) * scale, keep


def native_norm(input: Tensor, p=2, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """The vector p-norm over dim (all dims by default). torch implements native_norm for sparse tensors only
    and raises for dense ones; ntorch (no sparse layout) computes it on the dense tensor."""
    from . import reduction

    return reduction.norm(input, float(2 if p is None else p), dim, keepdim, dtype=dtype)


_GS_MODES = {0: "bilinear", 1: "nearest", 2: "bicubic"}
_GS_PADDING = {0: "zeros", 1: "border", 2: "reflection"}


def grid_sampler(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int,
                 align_corners: bool) -> Tensor:
    """F.grid_sample with ATen's integer codes: mode 0 bilinear, 1 nearest, 2 bicubic; padding 0 zeros, 1 border,
    2 reflection. (torch does not check the codes; ntorch raises for one outside these.)"""
    if interpolation_mode not in _GS_MODES:
        raise RuntimeError(f"grid_sampler(): expected interpolation_mode 0 (bilinear), 1 (nearest) or 2 (bicubic), "
                           f"but got {interpolation_mode}")
    if padding_mode not in _GS_PADDING:
        raise RuntimeError(f"grid_sampler(): expected padding_mode 0 (zeros), 1 (border) or 2 (reflection), but got "
                           f"{padding_mode}")
    return _F().grid_sample(input, grid, _GS_MODES[interpolation_mode], _GS_PADDING[padding_mode],
                            bool(align_corners))


def _grid_sampler_nd(nd: int):
    def fn(input: Tensor, grid: Tensor, interpolation_mode: int, padding_mode: int, align_corners: bool) -> Tensor:
        if input.ndim != nd + 2 or grid.ndim != nd + 2:
            raise RuntimeError(f"grid_sampler(): expected {nd + 2}D input and grid with same number of dimensions, but "
                               f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
        return grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners)

    fn.__name__ = f"grid_sampler_{nd}d"
    fn.__doc__ = f"grid_sampler for {nd + 2}-d input and grid only."
    return fn


grid_sampler_2d = _grid_sampler_nd(2)
grid_sampler_3d = _grid_sampler_nd(3)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    return _F().affine_grid(theta, list(size), bool(align_corners))


class _Stack:
    """The attributes RNNBase._run reads, over a flat params list in torch's order (per layer and direction:
    w_ih, w_hh, then b_ih, b_hh if has_biases, then w_hr for an LSTM with projections)."""

    def __init__(self, mode: str, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
                 bidirectional: bool, proj: bool):
        from ..nn.modules.rnn import RNNBase

        self._run_fn, self._whole_fn, self._loop_fn = RNNBase._run, RNNBase._whole_sequence, RNNBase._time_loop
        self.mode, self.num_layers, self.dropout, self.training = mode, num_layers, dropout, train
        self.bidirectional, self.proj_size = bidirectional, 1 if proj else 0
        names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if has_biases else []) + \
            (["weight_hr"] if proj else [])
        directions = 2 if bidirectional else 1
        params = list(params)
        if len(params) != len(names) * num_layers * directions:
            raise RuntimeError("got an incorrect number of RNN parameters")
        self._all_weights = []
        for k in range(num_layers * directions):
            suffix = f"_l{k // directions}" + ("_reverse" if k % directions else "")
            self._all_weights.append([n + suffix for n in names])
            for j, n in enumerate(names):
                setattr(self, n + suffix, params[k * len(names) + j])

    def _whole_sequence(self, *args):
        return self._whole_fn(self, *args)

    def _time_loop(self, *args):
        return self._loop_fn(self, *args)

    def run(self, x: Tensor, h0: Tensor, c0: Tensor | None):
        return self._run_fn(self, x, h0, c0)


def _rnn_packed(mode: str, data: Tensor, batch_sizes: Tensor, hx, params, has_biases: bool, num_layers: int,
                dropout: float, train: bool, bidirectional: bool):
    """ATen's packed overload: data (sum of lengths, input) and batch_sizes as in a PackedSequence (sorted by
    decreasing length, hx in that sorted order); returns the packed output's data, h_n[, c_n]."""
    import numpy as np

    from ..nn.utils import rnn as rnn_utils

    pair = mode == "LSTM"
    h0, c0 = (hx[0], hx[1]) if pair else (hx, None)
    stack = _Stack(mode, params, has_biases, num_layers, dropout, train, bidirectional,
                   pair and h0.shape[-1] != c0.shape[-1])
    padded, lengths = rnn_utils.pad_packed_sequence(rnn_utils.PackedSequence(data, batch_sizes))
    ends = lengths.numpy()
    running = [creation.tensor((ends > t).reshape(-1, 1), device=data.device) for t in range(padded.shape[0])]
    out, h_n, c_n = stack._run_fn(stack, padded, h0, c0, running)
    packed = rnn_utils._pack_time_major(out, batch_sizes.cpu().numpy().astype(np.int64), None, None)
    return (packed.data, h_n, c_n) if pair else (packed.data, h_n)


def _rnn(mode: str, input: Tensor, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
         bidirectional: bool, batch_first: bool):
    """The stacked recurrence of nn.RNN/LSTM/GRU on a padded (batched or unbatched) input; with a Tensor second
    argument, ATen's packed overload (data, batch_sizes, hx, params, ..., bidirectional)."""
    if isinstance(hx, Tensor) and hx.dtype is dtypes.int64:  # (data, batch_sizes, hx, params, ...): shift by one
        return _rnn_packed(mode, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                           batch_first)
    pair = mode == "LSTM"
    h0, c0 = (hx[0], hx[1]) if pair else (hx, None)
    proj = pair and h0.shape[-1] != c0.shape[-1]
    stack = _Stack(mode, params, has_biases, num_layers, dropout, train, bidirectional, proj)
    batched = input.ndim == 3
    if not batched:
        input, h0 = input.unsqueeze(1), h0.unsqueeze(1)
        c0 = c0.unsqueeze(1) if c0 is not None else None
    x = input.transpose(0, 1) if batched and batch_first else input
    out, h_n, c_n = stack.run(x, h0, c0)
    if batched and batch_first:
        out = out.transpose(0, 1)
    if not batched:
        out, h_n = out.squeeze(1), h_n.squeeze(1)
        c_n = c_n.squeeze(1) if c_n is not None else None
    return (out, h_n, c_n) if pair else (out, h_n)


def rnn_tanh(input: Tensor, hx: Tensor, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
             bidirectional: bool, batch_first: bool) -> tuple[Tensor, Tensor]:
    return _rnn("RNN_TANH", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def rnn_relu(input: Tensor, hx: Tensor, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
             bidirectional: bool, batch_first: bool) -> tuple[Tensor, Tensor]:
    return _rnn("RNN_RELU", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def lstm(input: Tensor, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
         bidirectional: bool, batch_first: bool) -> tuple[Tensor, Tensor, Tensor]:
    """hx is (h0, c0); an h0 narrower than c0 means projections (a weight_hr after each layer's weights)."""
    return _rnn("LSTM", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def gru(input: Tensor, hx: Tensor, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
        bidirectional: bool, batch_first: bool) -> tuple[Tensor, Tensor]:
    return _rnn("GRU", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def embedding_bag(weight: Tensor, indices: Tensor, offsets: Tensor, scale_grad_by_freq: bool = False, mode: int = 0,
                  sparse: bool = False, per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """ATen's embedding_bag: (output, offset2bag, bag_size, max_indices), mode 0 sum, 1 mean, 2 max; the three
    int64 extras as torch's CPU kernel fills them: sum leaves bag_size / max_indices zero and offset2bag empty on
    its float32/float16 fast path (no padding_idx); mean copies bag_size into max_indices; max gives the winning
    weight row per (bag, dim). padding_idx None is no padding; a negative one counts from the end."""
    import numpy as np

    from ..nn.embedding_bag import _indices_and_offsets

    if mode not in (0, 1, 2):
        raise RuntimeError("`mode` must be sum, mean, or max.")
    out = _F().embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, ("sum", "mean", "max")[mode],
                             sparse, per_sample_weights, include_last_offset, padding_idx)
    pad = None if padding_idx is None else padding_idx % weight.shape[0]  # checked in range, -1 is the last row
    flat, off = _indices_and_offsets(indices, offsets, include_last_offset)
    bags, dev = off.size - 1, weight.device
    host = flat.cpu().numpy().astype(np.int64)
    bag_of = np.repeat(np.arange(bags, dtype=np.int64), np.diff(off))
    bag_of = np.concatenate([bag_of, np.full(host.size - bag_of.size, max(bags - 1, 0), np.int64)])

    def t(a):
        return creation.tensor(np.ascontiguousarray(a, dtype=np.int64), device=dev)

    zeros = np.zeros(bags, np.int64)
    if mode == 0:
        fast = pad is None and weight.dtype in (dtypes.float32, dtypes.float16)  # torch's index_select path
        return out, t(np.zeros(0) if fast else bag_of), t(zeros), t(zeros)
    used = host[:int(off[-1])]
    keep = used != pad if pad is not None else np.ones(used.size, bool)
    sizes = np.bincount(bag_of[:used.size][keep], minlength=bags).astype(np.int64)
    if mode == 1:
        return out, t(bag_of), t(sizes), t(sizes)
    rows = weight.detach().cpu()._host()  # (not .numpy(), which refuses bfloat16)
    best = np.zeros((bags, weight.shape[1]), np.int64)
    for b in range(bags):
        members = used[off[b]:off[b + 1]]
        members = members[members != pad] if pad is not None else members
        if members.size:
            best[b] = members[np.argmax(rows[members], axis=0)]  # the first of tied maxima
    return out, t(bag_of), t(sizes), t(best)


_SEGMENT_REDUCE = {"sum": "sum", "prod": "prod", "mean": "sum", "max": "amax", "amax": "amax", "min": "amin",
                   "amin": "amin"}
_SEGMENT_EMPTY = {"sum": 0.0, "prod": 1.0, "mean": float("nan"), "amax": -float("inf"), "amin": float("inf")}


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None, indices: Tensor | None = None,
                   offsets: Tensor | None = None, axis: int = 0, unsafe: bool = False, initial=None) -> Tensor:
    """Reduce consecutive segments of data along axis (lengths, or offsets giving each segment's [start, end));
    lengths/offsets may carry data's leading dims before axis. An empty segment gives initial, else sum 0, prod
    1, mean nan, max -inf, min inf; initial also joins every segment's reduction (mean: (initial + sum) / count).
    A scatter_reduce of the segment members, so it is differentiable in data."""
    import numpy as np

    from . import indexing

    if reduce not in _SEGMENT_REDUCE:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if lengths is None and offsets is None:
        if indices is not None:
            raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined.")
    if not data.dtype.is_floating_point:
        raise NotImplementedError(f"\"_segment_reduce_cpu\" not implemented for '{dtypes.torch_name(data.dtype)}'")
    seg = lengths if lengths is not None else offsets
    if seg.dtype.is_floating_point or seg.dtype is dtypes.bool:
        raise NotImplementedError("\"_segment_reduce_lengths_cpu_kernel1\" not implemented for "
                                  f"'{dtypes.torch_name(seg.dtype)}'")
    axis = axis + data.ndim if axis < 0 else axis
    if axis != seg.ndim - 1:
        raise RuntimeError(f"segment_reduce(): Expected axis to be the last dimension of lengths but got {axis}.")
    if tuple(seg.shape[:-1]) != tuple(data.shape[:axis]):
        raise RuntimeError(f"segment_reduce(): Expected lengths/offsets of shape {list(data.shape[:axis])} + "
                           f"[segments], but got {list(seg.shape)}")
    host = seg.cpu().numpy().astype(np.int64).reshape(-1, seg.shape[-1])
    n = data.shape[axis]
    if lengths is not None:
        if (host < 0).any():
            raise RuntimeError("lengths contains negative value!")
        if not unsafe and (host.sum(1) != n).any():
            raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                               "data.size(lengths.dim()-1) when !unsafe.")
        host = np.concatenate([np.zeros((host.shape[0], 1), np.int64), np.cumsum(host, 1)], 1)
    elif (np.diff(host, axis=1) < 0).any():
        raise RuntimeError("Expected segment_length >= 0 to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    if host.size and (host.min() < 0 or host.max() > n):  # torch reads out of bounds here
        raise IndexError(f"segment_reduce(): offsets out of range for data of size {n} along axis {axis}")
    lead = host.shape[0]
    segments = host.shape[1] - 1
    inner = int(np.prod(data.shape[axis + 1:], dtype=np.int64))
    src, dst = [], []
    for p in range(lead):  # member positions and target segments, row p of the leading dims
        counts = np.diff(host[p])
        src.append(p * n + np.concatenate([np.arange(a, b) for a, b in zip(host[p, :-1], host[p, 1:], strict=True)]
                                          + [np.zeros(0, np.int64)]))
        dst.append(p * segments + np.repeat(np.arange(segments), counts))
    src, dst = np.concatenate(src).astype(np.int64), np.concatenate(dst).astype(np.int64)
    dev = data.device
    values = data.reshape(lead * n, inner).index_select(0, creation.tensor(src, device=dev))
    op = _SEGMENT_REDUCE[reduce]
    fill = _SEGMENT_EMPTY[reduce if reduce == "mean" else op] if initial is None else float(initial)
    base = creation.full((lead * segments, inner), fill if reduce != "mean" else (initial or 0.0), dtype=data.dtype,
                         device=dev)
    index = creation.tensor(dst.reshape(-1, 1), device=dev).expand(src.size, inner)
    out = indexing.scatter_reduce(base, 0, index, values, op, include_self=initial is not None)
    if reduce == "mean":
        counts = np.bincount(dst, minlength=lead * segments).reshape(-1, 1)
        out = out / creation.tensor(np.maximum(counts, 1), dtype=data.dtype, device=dev)
        empty = creation.tensor(counts == 0, device=dev)
        out = out.masked_fill(empty, fill)
    return out.reshape(*data.shape[:axis], segments, *data.shape[axis + 1:])


FUNCTIONS = {name: fn for name, fn in list(globals().items())
             if not name.startswith("_") and callable(fn) and getattr(fn, "__module__", None) == __name__
             and not isinstance(fn, type)}
