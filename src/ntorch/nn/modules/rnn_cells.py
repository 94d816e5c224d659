"""The gate arithmetic of one LSTM / GRU time step: a fused CPU kernel and one graph node per step, or the same
formulas composed from ntorch ops (CUDA, float16, and backward under create_graph so grads differentiate again).

Inputs are a step's input projection xp = x W_ih^T + b (all time steps were projected by one matmul) and its hidden
projection hh = h W_hh^T; the kernel adds them itself, so the step costs one matmul plus one pass over the gates.
Gate order is torch's: LSTM (i, f, g, o); GRU (r, z, n) with n = tanh(xp_n + r * (hh_n + b_hn)).

The kernels are in kernels/cpu/rnn.py.
"""

from __future__ import annotations

import numpy as np

from ... import dtypes
from ...autograd import grad_mode
from ...autograd.graph import needs_graph, record
from ...kernels.cpu.rnn import _gru_bwd, _gru_fwd_f32, _gru_fwd_f64, _lstm_bwd, _lstm_fwd_f32, _lstm_fwd_f64
from ...ops import joins
from ...tensor import Tensor


def _fusable(*tensors: Tensor | None) -> bool:
    ts = [t for t in tensors if t is not None]
    return all(not t.is_cuda and t.dtype is ts[0].dtype for t in ts) and ts[0].dtype in (dtypes.float32,
                                                                                         dtypes.float64)


def _arr(t: Tensor, dt) -> np.ndarray:
    return np.ascontiguousarray(t._data, dtype=dt)


def _check_step(op: str, x: np.ndarray, y: np.ndarray, state: np.ndarray, gates: int) -> None:
    """The fused step kernels index by these shapes without bounds checks: refuse any mismatch before they run."""
    b, n = state.shape[0], state.shape[-1]
    if x.ndim != 2 or state.ndim != 2 or x.shape != (b, gates * n) or y.shape != x.shape:
        raise RuntimeError(f"{op}: expected projections of shape {(b, gates * n)} for a state of shape "
                           f"{tuple(state.shape)}, got {tuple(x.shape)} and {tuple(y.shape)}")


# ---- LSTM ----

def _lstm_composed(gates: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    n = c.shape[-1]
    act = gates.sigmoid()
    i, f, o = act[:, :n], act[:, n:2 * n], act[:, 3 * n:]
    g = gates[:, 2 * n:3 * n].tanh()
    c = f * c + i * g
    return o * c.tanh(), c


def lstm_cell(xp: Tensor, hh: Tensor, c_prev: Tensor) -> tuple[Tensor, Tensor]:
    """(h, c) of one LSTM step from the input and hidden projections (B, 4H) and the cell state (B, H)."""
    if not _fusable(xp, hh, c_prev):
        return _lstm_composed(xp + hh, c_prev)
    dt = xp.dtype.np
    x, y, cp = _arr(xp, dt), _arr(hh, dt), _arr(c_prev, dt)
    _check_step("lstm_cell", x, y, cp, 4)
    act, c, tanh_c, h = np.empty_like(x), np.empty_like(cp), np.empty_like(cp), np.empty_like(cp)
    (_lstm_fwd_f32 if dt == np.float32 else _lstm_fwd_f64)(x, y, cp, act, c, tanh_c, h)
    h_t, c_t = Tensor._wrap(h), Tensor._wrap(c)
    if needs_graph(xp, hh, c_prev):
        node = record("LstmCellBackward", _lstm_backward, (xp, hh, c_prev), (h_t, c_t), (xp, hh, c_prev))
        node.arrays = (act, tanh_c)
    return h_t, c_t


def _lstm_backward(node, dh: Tensor, dc: Tensor):
    xp, hh, c_prev = node.saved_tensors
    if grad_mode.STATE.enabled:  # create_graph: the same formulas in recorded ops
        dgates, dcp = _lstm_grads_composed(xp + hh, c_prev, dh, dc)
        return dgates, dgates, dcp
    act, tanh_c = node.arrays
    dt = act.dtype
    dgates, dcp = np.empty_like(act), np.empty_like(tanh_c)
    _lstm_bwd(_arr(dh, dt), _arr(dc, dt), act, _arr(c_prev, dt), tanh_c, dgates, dcp)
    g = Tensor._wrap(dgates)
    return g, g, Tensor._wrap(dcp)


def _lstm_grads_composed(gates: Tensor, c_prev: Tensor, dh: Tensor, dc: Tensor) -> tuple[Tensor, Tensor]:
    n = c_prev.shape[-1]
    act = gates.sigmoid()
    i, f, o = act[:, :n], act[:, n:2 * n], act[:, 3 * n:]
    g = gates[:, 2 * n:3 * n].tanh()
    t = (f * c_prev + i * g).tanh()
    dct = dc + dh * o * (1 - t * t)
    dgates = joins.cat([dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g * g),
                        dh * t * o * (1 - o)], 1)
    return dgates, dct * f


# ---- GRU ----

def _gru_composed(xp: Tensor, gh: Tensor, h: Tensor) -> Tensor:
    n = h.shape[-1]
    rz = (xp[:, :2 * n] + gh[:, :2 * n]).sigmoid()
    r, z = rz[:, :n], rz[:, n:]
    cand = (xp[:, 2 * n:] + r * gh[:, 2 * n:]).tanh()
    return cand + z * (h - cand)


def gru_cell(xp: Tensor, hh: Tensor, b_hh: Tensor | None, h_prev: Tensor) -> Tensor:
    """h of one GRU step from x W_ih^T + b_ih (xp), h W_hh^T (hh), b_hh (or None) and h_prev."""
    if not _fusable(xp, hh, b_hh, h_prev):
        return _gru_composed(xp, hh + b_hh if b_hh is not None else hh, h_prev)
    dt = xp.dtype.np
    x, y, hp = _arr(xp, dt), _arr(hh, dt), _arr(h_prev, dt)
    _check_step("gru_cell", x, y, hp, 3)
    bias = _arr(b_hh, dt) if b_hh is not None else np.zeros(x.shape[1], dt)
    if bias.shape != (x.shape[1],):
        raise RuntimeError(f"gru_cell: expected a bias of shape {(x.shape[1],)}, got {tuple(bias.shape)}")
    act, ghn, h = np.empty_like(x), np.empty_like(hp), np.empty_like(hp)
    (_gru_fwd_f32 if dt == np.float32 else _gru_fwd_f64)(x, y, bias, hp, act, ghn, h)
    h_t = Tensor._wrap(h)
    if needs_graph(xp, hh, b_hh, h_prev):
        node = record("GruCellBackward", _gru_backward, (xp, hh, b_hh, h_prev), (h_t,), (xp, hh, b_hh, h_prev))
        node.arrays = (act, ghn)
    return h_t


def _gru_backward(node, dh: Tensor):
    xp, hh, b_hh, h_prev = node.saved_tensors
    if grad_mode.STATE.enabled:
        gh = hh + b_hh if b_hh is not None else hh
        dxp, dgh, dhp = _gru_grads_composed(xp, gh, h_prev, dh)
        return dxp, dgh, (dgh.sum(0) if b_hh is not None else None), dhp
    act, ghn = node.arrays
    dt = act.dtype
    dxp, dgh, dhp = np.empty_like(act), np.empty_like(act), np.empty_like(ghn)
    _gru_bwd(_arr(dh, dt), act, ghn, _arr(h_prev, dt), dxp, dgh, dhp)
    db = Tensor._wrap(dgh.sum(0)) if b_hh is not None else None
    return Tensor._wrap(dxp), Tensor._wrap(dgh), db, Tensor._wrap(dhp)


def _gru_grads_composed(xp: Tensor, gh: Tensor, h_prev: Tensor, dh: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    n = h_prev.shape[-1]
    rz = (xp[:, :2 * n] + gh[:, :2 * n]).sigmoid()
    r, z = rz[:, :n], rz[:, n:]
    cand = (xp[:, 2 * n:] + r * gh[:, 2 * n:]).tanh()
    dn = dh * (1 - z) * (1 - cand * cand)
    dr = dn * gh[:, 2 * n:] * r * (1 - r)
    dz = dh * (h_prev - cand) * z * (1 - z)
    return joins.cat([dr, dz, dn], 1), joins.cat([dr, dz, dn * r], 1), dh * z


# ---- whole-sequence layers: one graph node per layer and direction (CPU, float32/float64) ----
# The time loop runs over NumPy buffers with the matmul kernel writing into preallocated outputs; the backward runs
# the cell kernels in reverse, one (B, 4H) x (4H, H) matmul per step for dh, and the weight gradient as ONE
# (4H, T*B) x (T*B, H) matmul at the end instead of T small ones and T accumulations.

def _mm_kernel(dt):
    from ... import dispatch

    return dispatch.lookup("mm", "cpu", dtypes.float32 if dt == np.float32 else dtypes.float64)


def _weight_grad(dg: np.ndarray, h_prev: np.ndarray, dt) -> np.ndarray:
    """sum over steps and batch of dg^T h_prev: (G, T*B) x (T*B, H)."""
    from ...ops.linalg import _mm_arrays

    g = dg.reshape(-1, dg.shape[-1])
    return _mm_arrays("mm", np.ascontiguousarray(g.T), h_prev.reshape(-1, h_prev.shape[-1]),
                      dtypes.float32 if dt == np.float32 else dtypes.float64)


def _steps(T: int, reverse: bool) -> range:
    return range(T - 1, -1, -1) if reverse else range(T)


def _previous(ys: np.ndarray, first: np.ndarray, reverse: bool) -> np.ndarray:
    """The state each step started from: first, then the outputs shifted by one step in time order."""
    return np.concatenate([ys[1:], first[None]]) if reverse else np.concatenate([first[None], ys[:-1]])


def layer_fusable(*tensors: Tensor | None) -> bool:
    return _fusable(*tensors)


def lstm_layer(xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor, reverse: bool) -> tuple[Tensor, Tensor, Tensor]:
    """The LSTM recurrence over xp (T, B, 4H) = x W_ih^T + b_ih + b_hh: returns (outputs (T, B, H), h_T, c_T)."""
    dt = xp.dtype.np
    T, B, G = xp.shape
    H = G // 4
    x, wt = _arr(xp, dt), np.ascontiguousarray(w_hh._data.T, dtype=dt)
    mm, fwd = _mm_kernel(dt), (_lstm_fwd_f32 if dt == np.float32 else _lstm_fwd_f64)
    ys, cs, tcs, acts = np.empty((T, B, H), dt), np.empty((T, B, H), dt), np.empty((T, B, H), dt), np.empty_like(x)
    hh = np.empty((B, G), dt)
    h, c = _arr(h0, dt), _arr(c0, dt)
    h_first, c_first = h, c
    for t in _steps(T, reverse):
        mm(h, wt, hh)
        fwd(x[t], hh, c, acts[t], cs[t], tcs[t], ys[t])
        h, c = ys[t], cs[t]
    out, h_t, c_t = Tensor._wrap(ys), Tensor._wrap(h.copy()), Tensor._wrap(c.copy())
    if needs_graph(xp, h0, c0, w_hh):
        node = record("LstmLayerBackward", _lstm_layer_backward, (xp, h0, c0, w_hh), (out, h_t, c_t),
                      (xp, h0, c0, w_hh))
        node.arrays, node.reverse = (acts, cs, tcs, ys, h_first, c_first), reverse
    return out, h_t, c_t


def _lstm_layer_backward(node, dys: Tensor, dh_t: Tensor, dc_t: Tensor):
    xp, h0, c0, w_hh = node.saved_tensors
    if grad_mode.STATE.enabled:
        return _lstm_layer_backward_composed(xp, h0, c0, w_hh, node.reverse, dys, dh_t, dc_t)
    acts, cs, tcs, ys, h_first, c_first = node.arrays
    dt = acts.dtype
    T, B, H = ys.shape
    w = _arr(w_hh, dt)
    mm = _mm_kernel(dt)
    dy = _arr(dys, dt)
    dg = np.empty_like(acts)
    dh, dc, dc_prev, dh_step = _arr(dh_t, dt).copy(), _arr(dc_t, dt).copy(), np.empty((B, H), dt), np.empty((B, H), dt)
    c_prev = _previous(cs, c_first, node.reverse)
    for t in _steps(T, not node.reverse):  # time runs backwards
        np.add(dy[t], dh, out=dh_step)
        _lstm_bwd(dh_step, dc, acts[t], c_prev[t], tcs[t], dg[t], dc_prev)
        dc, dc_prev = dc_prev, dc
        mm(dg[t], w, dh)
    dw = _weight_grad(dg, _previous(ys, h_first, node.reverse), dt)
    return Tensor._wrap(dg), Tensor._wrap(dh), Tensor._wrap(dc), Tensor._wrap(dw.astype(dt, copy=False))


def _lstm_layer_backward_composed(xp, h0, c0, w_hh, reverse, dys, dh, dc):
    """create_graph: recompute the states with recorded ops, then backpropagate through time in recorded ops."""
    from ...ops import linalg

    T = xp.shape[0]
    h, c, saved = h0, c0, {}
    for t in _steps(T, reverse):
        gates = xp[t] + linalg.matmul(h, w_hh.t())
        saved[t] = (gates, h, c)
        h, c = _lstm_composed(gates, c)
    dgs: list = [None] * T
    dw = None
    for t in _steps(T, not reverse):
        gates, h_prev, c_prev = saved[t]
        dgates, dc = _lstm_grads_composed(gates, c_prev, dys[t] + dh, dc)
        dgs[t] = dgates
        dh = linalg.matmul(dgates, w_hh)
        term = linalg.matmul(dgates.t(), h_prev)
        dw = term if dw is None else dw + term
    return joins.stack(dgs, 0), dh, dc, dw


def gru_layer(xp: Tensor, h0: Tensor, w_hh: Tensor, b_hh: Tensor | None, reverse: bool) -> tuple[Tensor, Tensor]:
    """The GRU recurrence over xp (T, B, 3H) = x W_ih^T + b_ih: returns (outputs (T, B, H), h_T)."""
    dt = xp.dtype.np
    T, B, G = xp.shape
    H = G // 3
    x, wt = _arr(xp, dt), np.ascontiguousarray(w_hh._data.T, dtype=dt)
    bias = _arr(b_hh, dt) if b_hh is not None else np.zeros(G, dt)
    mm, fwd = _mm_kernel(dt), (_gru_fwd_f32 if dt == np.float32 else _gru_fwd_f64)
    ys, ghns, acts = np.empty((T, B, H), dt), np.empty((T, B, H), dt), np.empty_like(x)
    hh = np.empty((B, G), dt)
    h = h_first = _arr(h0, dt)
    for t in _steps(T, reverse):
        mm(h, wt, hh)
        fwd(x[t], hh, bias, h, acts[t], ghns[t], ys[t])
        h = ys[t]
    out, h_t = Tensor._wrap(ys), Tensor._wrap(h.copy())
    if needs_graph(xp, h0, w_hh, b_hh):
        node = record("GruLayerBackward", _gru_layer_backward, (xp, h0, w_hh, b_hh), (out, h_t), (xp, h0, w_hh, b_hh))
        node.arrays, node.reverse = (acts, ghns, ys, h_first), reverse
    return out, h_t


def _gru_layer_backward(node, dys: Tensor, dh_t: Tensor):
    xp, h0, w_hh, b_hh = node.saved_tensors
    if grad_mode.STATE.enabled:
        return _gru_layer_backward_composed(xp, h0, w_hh, b_hh, node.reverse, dys, dh_t)
    acts, ghns, ys, h_first = node.arrays
    dt = acts.dtype
    T, B, H = ys.shape
    w = _arr(w_hh, dt)
    mm = _mm_kernel(dt)
    dy = _arr(dys, dt)
    dxp, dgh = np.empty_like(acts), np.empty_like(acts)
    dh, dh_step, dh_prev, through_w = _arr(dh_t, dt).copy(), np.empty((B, H), dt), np.empty((B, H), dt), \
        np.empty((B, H), dt)
    h_prev = _previous(ys, h_first, node.reverse)
    for t in _steps(T, not node.reverse):
        np.add(dy[t], dh, out=dh_step)
        _gru_bwd(dh_step, acts[t], ghns[t], h_prev[t], dxp[t], dgh[t], dh_prev)
        mm(dgh[t], w, through_w)
        np.add(dh_prev, through_w, out=dh)
    dw = _weight_grad(dgh, h_prev, dt).astype(dt, copy=False)
    db = Tensor._wrap(dgh.sum((0, 1))) if b_hh is not None else None
    return Tensor._wrap(dxp), Tensor._wrap(dh), Tensor._wrap(dw), db


def _gru_layer_backward_composed(xp, h0, w_hh, b_hh, reverse, dys, dh):
    from ...ops import linalg

    T = xp.shape[0]
    h, saved = h0, {}
    for t in _steps(T, reverse):
        gh = linalg.matmul(h, w_hh.t())
        gh = gh + b_hh if b_hh is not None else gh
        saved[t] = (gh, h)
        h = _gru_composed(xp[t], gh, h)
    dxps: list = [None] * T
    dw = db = None
    for t in _steps(T, not reverse):
        gh, h_prev = saved[t]
        dxp, dgh, dhp = _gru_grads_composed(xp[t], gh, h_prev, dys[t] + dh)
        dxps[t] = dxp
        dh = dhp + linalg.matmul(dgh, w_hh)
        term = linalg.matmul(dgh.t(), h_prev)
        dw = term if dw is None else dw + term
        db = dgh.sum(0) if db is None else db + dgh.sum(0)
    return joins.stack(dxps, 0), dh, dw, (db if b_hh is not None else None)
