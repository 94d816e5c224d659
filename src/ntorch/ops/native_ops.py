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


def _rnn(mode: str, input: Tensor, hx, params, has_biases: bool, num_layers: int, dropout: float, train: bool,
         bidirectional: bool, batch_first: bool):
    """The stacked recurrence of nn.RNN/LSTM/GRU on a padded (batched or unbatched) input."""
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


FUNCTIONS = {name: fn for name, fn in list(globals().items())
             if not name.startswith("_") and callable(fn) and getattr(fn, "__module__", None) == __name__
             and not isinstance(fn, type)}
