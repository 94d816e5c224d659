"""Recurrent layers: RNN, LSTM, GRU and their one-step cells, with torch's parameters, gate order and init.

Each layer/direction projects the whole input sequence with one matmul (x W_ih^T + b for every time step at
once); the time loop then does only the hidden matmul and the gate arithmetic, which rnn_cells.py fuses into one
kernel and one graph node per step on the CPU. Gate order is torch's: LSTM (i, f, g, o), GRU (r, z, n) with
n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)).
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import ops
from ...ops import joins, linalg, pointwise
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils import rnn as rnn_utils
from ..utils.rnn import PackedSequence
from . import rnn_cells
from .module import Module

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_int(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _rnn_step(mode: str, xp: Tensor, h: Tensor, w_hh_t: Tensor) -> Tensor:
    """One tanh/relu step (b_hh folded into the input projection xp; w_hh_t is W_hh^T)."""
    pre = linalg.addmm(xp, h, w_hh_t)
    return pre.tanh() if mode == "RNN_TANH" else F.relu(pre)


def _lstm_step(xp: Tensor, h: Tensor, c: Tensor, w_hh_t: Tensor, w_hr: Tensor | None) -> tuple[Tensor, Tensor]:
    """One LSTM step (b_hh folded into xp): gates (i, f, g, o) = xp + h W_hh^T."""
    h, c = rnn_cells.lstm_cell(xp, linalg.matmul(h, w_hh_t), c)
    if w_hr is not None:
        h = linalg.matmul(h, w_hr.t())
    return h, c


def _gru_step(xp: Tensor, h: Tensor, w_hh_t: Tensor, b_hh: Tensor | None) -> Tensor:
    """One GRU step: xp holds x W_ih^T + b_ih; b_hn stays inside r * (...), so b_hh is not folded."""
    return rnn_cells.gru_cell(xp, linalg.matmul(h, w_hh_t), b_hh, h)


class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU: parameters weight_ih_l{k}[_reverse], weight_hh_l{k}...,
    bias_ih_l{k}..., bias_hh_l{k}..., weight_hr_l{k}... (LSTM with proj_size), all U(-1/sqrt(hidden),
    1/sqrt(hidden))."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an element "
                             "being zeroed")
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        _check_int("input_size", input_size)
        _check_int("hidden_size", hidden_size)
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        empty = ops.creation.empty
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(directions):
                layer_input = input_size if layer == 0 else real_hidden * directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, device=device, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, name, None) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """A no-op: ntorch keeps each weight as its own tensor (torch packs them for cuDNN)."""

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input: Tensor, batch_sizes=None) -> None:
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype ({w.dtype}). Convert "
                             f"input: input.to({w.dtype}), or convert model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got "
                               f"{input.size(-1)}")

    def get_expected_hidden_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        batch = input.size(0) if self.batch_first else input.size(1)
        directions = 2 if self.bidirectional else 1
        return (self.num_layers * directions, batch, self.proj_size if self.proj_size > 0 else self.hidden_size)

    def check_hidden_size(self, hx: Tensor, expected: tuple, msg: str = "Expected hidden size {}, got {}") -> None:
        if tuple(hx.size()) != tuple(expected):
            raise RuntimeError(msg.format(tuple(expected), list(hx.size())))

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    def _prepare(self, input: Tensor, hx, name: str) -> tuple[Tensor, object, bool]:
        """Checks the input's rank and adds the batch dim to unbatched input (and to hx, LSTM's pair too)."""
        if input.dim() not in (2, 3):
            kind = "tensor instead" if name == "RNN" else "instead"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D {kind}")
        batched = input.dim() == 3
        pair = name == "LSTM"
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        if hx is not None:
            want = 3 if batched else 2
            dims = (hx[0].dim(), hx[1].dim()) if pair else (hx.dim(),)
            if any(d != want for d in dims):
                what = "batched 3-D" if batched else "unbatched 2-D"
                if pair:
                    raise RuntimeError(f"For {what} input, hx and cx should also be {want}-D but got "
                                       f"({dims[0]}-D, {dims[1]}-D) tensors")
                raise RuntimeError(f"For {what} input, hx should also be {want}-D but got {dims[0]}-D tensor")
            if not batched:
                hx = (hx[0].unsqueeze(1), hx[1].unsqueeze(1)) if pair else hx.unsqueeze(1)
        return input, hx, batched

    def _zeros(self, input: Tensor, size: int) -> Tensor:
        directions = 2 if self.bidirectional else 1
        batch = input.size(0) if self.batch_first else input.size(1)
        return ops.creation.zeros((self.num_layers * directions, batch, size), dtype=input.dtype,
                                  device=input.device)

    def _run(self, x: Tensor, h0: Tensor, c0: Tensor | None,
             running: list | None = None) -> tuple[Tensor, Tensor, Tensor | None]:
        """The stacked recurrence over time-major x (T, B, I): returns (output, h_n, c_n). For packed input,
        running[t] is a (B, 1) bool mask of the sequences still running at t: the others keep their state."""
        directions = 2 if self.bidirectional else 1
        h_n, c_n = [], []
        layer_input = x
        for layer in range(self.num_layers):
            outs = []
            for direction in range(directions):
                k = layer * directions + direction
                params = {name.split("_l")[0]: getattr(self, name) for name in self._all_weights[k]}
                w_ih, w_hh, b_ih, b_hh = (params.get(n) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
                if self.mode != "GRU" and b_ih is not None:
                    b_ih = b_ih + b_hh  # both biases sum into every step's pre-activation
                xp = F.linear(layer_input, w_ih, b_ih)
                h, c = h0[k], (c0[k] if c0 is not None else None)
                if running is None and self._whole_sequence(xp, h, c, w_hh, b_hh):
                    if self.mode == "LSTM":
                        out, h, c = rnn_cells.lstm_layer(xp, h, c, w_hh, direction == 1)
                    else:
                        out, h = rnn_cells.gru_layer(xp, h, w_hh, b_hh, direction == 1)
                else:
                    out, h, c = self._time_loop(xp, h, c, w_hh, b_hh, params.get("weight_hr"), direction == 1,
                                                running)
                outs.append(out)
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            layer_input = outs[0] if directions == 1 else joins.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, self.dropout, True)
        return layer_input, joins.stack(h_n, 0), joins.stack(c_n, 0) if c_n else None

    def _whole_sequence(self, xp: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor, b_hh: Tensor | None) -> bool:
        """LSTM (without projection) and GRU run a layer as one fused node on the CPU in float32/float64."""
        if self.mode == "LSTM":
            return self.proj_size == 0 and rnn_cells.layer_fusable(xp, h, c, w_hh)
        return self.mode == "GRU" and rnn_cells.layer_fusable(xp, h, w_hh, b_hh)

    def _time_loop(self, xp: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor, b_hh: Tensor | None,
                   w_hr: Tensor | None, reverse: bool, running: list | None) -> tuple[Tensor, Tensor, Tensor | None]:
        """Step by step with recorded ops (CUDA, float16, LSTM projections, packed input): (outputs, h, c)."""
        steps = xp.shape[0]
        xs = xp.unbind(0)
        w_hh_t = w_hh.t().contiguous()  # once per layer: every step's matmul reads it row-major
        ys: list = [None] * steps
        for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
            h_prev, c_prev = h, c
            if self.mode == "LSTM":
                h, c = _lstm_step(xs[t], h, c, w_hh_t, w_hr)
            elif self.mode == "GRU":
                h = _gru_step(xs[t], h, w_hh_t, b_hh)
            else:
                h = _rnn_step(self.mode, xs[t], h, w_hh_t)
            if running is not None:
                h = pointwise.where(running[t], h, h_prev)
                c = pointwise.where(running[t], c, c_prev) if c is not None else None
            ys[t] = h
        return joins.stack(ys, 0), h, c

    def _forward_packed(self, input: PackedSequence, hx, name: str):
        """Packed input: run the padded batch in its original order, each sequence's state frozen after its end,
        then pack the output like the input (h_n is in the original order, as torch returns it)."""
        # padded in the module's layout (batch_first or not) for the hidden-state checks, then time-major
        padded, lengths = rnn_utils.pad_packed_sequence(input, batch_first=self.batch_first)
        steps = padded.shape[1] if self.batch_first else padded.shape[0]
        ends = lengths.numpy()
        running = [ops.creation.tensor((ends > t).reshape(-1, 1), device=padded.device) for t in range(steps)]
        pair = name == "LSTM"
        if hx is None:
            hx = (self._zeros(padded, self.proj_size or self.hidden_size), self._zeros(padded, self.hidden_size)) \
                if pair else self._zeros(padded, self.hidden_size)
        self.check_input(padded)
        expected = self.get_expected_hidden_size(padded)
        if pair:
            self.check_hidden_size(hx[0], expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hx[1], (*expected[:2], self.hidden_size), "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hx, expected)
        x = padded.transpose(0, 1) if self.batch_first else padded
        out, h_n, c_n = self._run(x, hx[0] if pair else hx, hx[1] if pair else None, running)
        packed = rnn_utils._pack_time_major(out, input.batch_sizes.numpy(), input.sorted_indices,
                                            input.unsorted_indices)
        return packed, ((h_n, c_n) if pair else h_n)

    def _forward(self, input: Tensor, hx, name: str):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx, name)
        input, hx, batched = self._prepare(input, hx, name)
        pair = name == "LSTM"
        real_hidden = self.proj_size if self.proj_size > 0 else self.hidden_size
        if hx is None:
            hx = (self._zeros(input, real_hidden), self._zeros(input, self.hidden_size)) if pair else \
                self._zeros(input, self.hidden_size)
        self.check_input(input)
        expected = self.get_expected_hidden_size(input)
        if pair:
            self.check_hidden_size(hx[0], expected, "Expected hidden[0] size {}, got {}")
            self.check_hidden_size(hx[1], (*expected[:2], self.hidden_size), "Expected hidden[1] size {}, got {}")
        else:
            self.check_hidden_size(hx, expected)
        x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        out, h_n, c_n = self._run(x, hx[0] if pair else hx, hx[1] if pair else None)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        return out, ((h_n, c_n) if pair else h_n)


class RNN(RNNBase):
    """Elman RNN: h_t = tanh or relu(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward(input, hx, "RNN")


class LSTM(RNNBase):
    """Long short-term memory; returns (output, (h_n, c_n)); proj_size > 0 projects h by weight_hr."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input: Tensor, batch_sizes=None) -> tuple[int, int, int]:
        return (*self.get_expected_hidden_size(input)[:2], self.hidden_size)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        return self._forward(input, hx, "LSTM")


class GRU(RNNBase):
    """Gated recurrent unit: gates (r, z, n), h' = (1 - z) * n + z * h."""

    def __init__(self, *args, **kwargs) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._forward(input, hx, "GRU")


class RNNCellBase(Module):
    """weight_ih (chunks*hidden, input), weight_hh (chunks*hidden, hidden), bias_ih, bias_hh."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        empty = ops.creation.empty
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _check(self, input: Tensor, hiddens: tuple) -> None:
        check_cell(input, hiddens, self.input_size, self.hidden_size)

    def _projection(self, input: Tensor, fold_bias: bool) -> Tensor:
        b = self.bias_ih
        if b is not None and fold_bias:
            b = b + self.bias_hh
        return F.linear(input, self.weight_ih, b)


def check_cell(input: Tensor, hiddens, input_size: int, hidden_size: int) -> None:
    """torch's cell checks: input_size, then each hidden's batch and hidden_size."""
    if input.size(1) != input_size:
        raise RuntimeError(f"input has inconsistent input_size: got {input.size(1)} expected {input_size}")
    for i, h in enumerate(hiddens):
        if input.size(0) != h.size(0):
            raise RuntimeError(f"Input batch size {input.size(0)} doesn't match hidden{i} batch size {h.size(0)}")
        if h.size(1) != hidden_size:
            raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {h.size(1)}, expected {hidden_size}")


def cell_step(mode: str, input: Tensor, hx, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
              b_hh: Tensor | None):
    """One step of an RNN_TANH/RNN_RELU/LSTM/GRU cell from explicit weights (ATen's torch.*_cell functions)."""
    hiddens = tuple(hx) if mode == "LSTM" else (hx,)
    check_cell(input, hiddens, w_ih.size(1), w_hh.size(1))
    if mode == "GRU":
        return _gru_step(F.linear(input, w_ih, b_ih), hx, w_hh.t(), b_hh)
    bias = b_hh if b_ih is None else (b_ih if b_hh is None else b_ih + b_hh)
    xp = F.linear(input, w_ih, bias)
    if mode == "LSTM":
        return _lstm_step(xp, hiddens[0], hiddens[1], w_hh.t(), None)
    return _rnn_step(mode, xp, hx, w_hh.t())


def _cell_input(name: str, input: Tensor, hx) -> tuple[Tensor, bool]:
    if input.dim() not in (1, 2):
        raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
    for label, value in hx:
        if value is not None and value.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {value.dim()}D instead")
    batched = input.dim() == 2
    return (input if batched else input.unsqueeze(0)), batched


class RNNCell(RNNCellBase):
    """h' = tanh or relu(x W_ih^T + b_ih + h W_hh^T + b_hh)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, batched = _cell_input("RNNCell", input, [("hidden", hx)])
        if hx is None:
            hx = ops.creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype, device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        self._check(input, (hx,))
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        out = _rnn_step(mode, self._projection(input, True), hx, self.weight_hh.t())
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        if isinstance(hx, Tensor):  # a lone Tensor would unpack into its rows
            raise TypeError("lstm_cell(): argument 'hx' (position 2) must be tuple of Tensors, not Tensor")
        pairs = [] if hx is None else [(f"hx[{i}]", v) for i, v in enumerate(hx)]
        input, batched = _cell_input("LSTMCell", input, pairs)
        if hx is None:
            zeros = ops.creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype, device=input.device)
            hx = (zeros, zeros)
        elif not batched:
            hx = (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        self._check(input, hx)
        h, c = _lstm_step(self._projection(input, True), hx[0], hx[1], self.weight_hh.t(), None)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step: returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        input, batched = _cell_input("GRUCell", input, [("hidden", hx)])
        if hx is None:
            hx = ops.creation.zeros((input.size(0), self.hidden_size), dtype=input.dtype, device=input.device)
        elif not batched:
            hx = hx.unsqueeze(0)
        self._check(input, (hx,))
        out = _gru_step(self._projection(input, False), hx, self.weight_hh.t(), self.bias_hh)
        return out if batched else out.squeeze(0)
