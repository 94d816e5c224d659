"""CTC loss kernels: the forward (alpha) and backward (beta) recursions in log space, one sample per prange task,
with PyTorch's CPU arithmetic (aten/src/ATen/native/LossCTC.cpp) so values and gradients match it.

Arguments shared by both: log_probs (T, N, C) of any strides; targets a flat int64 array where sample b's labels are
targets[offsets[b] + i] (i < target_lengths[b]); the extended label sequence of a target l (length S) is
blank, l1, blank, ..., lS, blank (2S + 1 entries, `prime`). log_alpha (N, T, 2 * max S + 1) is written by the forward
(only the entries t < input_lengths[b], s <= 2 * target_lengths[b] mean anything) and read by the backward.
"""

from __future__ import annotations

import math

import numba
from numba import prange

_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


@numba.njit(cache=True)
def prime(targets, offset, s, blank):
    """Entry s of the extended label sequence: blank at even s, label s // 2 at odd s."""
    return blank if s % 2 == 0 else targets[offset + s // 2]


@numba.njit(cache=True)
def _term(v, m, one, neg_inf):
    """exp(v - m), without calling exp where the result is exactly 1 (v is the max) or 0 (v is -inf)."""
    if v == m:
        return one
    if v == neg_inf:
        return one - one
    return math.exp(v - m)


@numba.njit(cache=True)
def lse3(a, b, c, one, neg_inf):
    """log(exp(a) + exp(b) + exp(c)) as torch computes it (the max taken out; -inf when every term is)."""
    m = a
    if b > m:
        m = b
    if c > m:
        m = c
    if m == neg_inf:
        return m
    return math.log(_term(a, m, one, neg_inf) + _term(b, m, one, neg_inf) + _term(c, m, one, neg_inf)) + m


@numba.njit(cache=True)
def lse2(a, b, one, neg_inf):
    """log(exp(a) + exp(b)) with the max taken out (-inf when both are)."""
    m = a if a > b else b
    if m == neg_inf:
        return m
    return math.log(_term(a, m, one, neg_inf) + _term(b, m, one, neg_inf)) + m


@numba.njit(cache=True)
def final_nll(log_alpha, b, il, tl, one, neg_inf):
    """-log p(target | input) from the last frame's alpha (il > 0): the paths ending in the last label or the last
    blank."""
    if tl == 0:
        return -log_alpha[b, il - 1, 0]
    return -lse2(log_alpha[b, il - 1, 2 * tl], log_alpha[b, il - 1, 2 * tl - 1], one, neg_inf)


@numba.njit(parallel=True, **_OPTS)
def forward(log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, log_alpha, nll):
    """log_alpha (N, T, L) and nll (N,) (torch's _ctc_loss outputs). one, neg_inf: 1 and -inf in log_probs' dtype,
    so that the recursion computes in that dtype, as torch does."""
    for b in prange(log_probs.shape[1]):
        il = input_lengths[b]
        tl = target_lengths[b]
        off = offsets[b]
        if il == 0:  # no frames: probability 1 for the empty target, 0 otherwise
            nll[b] = -0.0 if tl == 0 else math.inf
            continue
        la = log_alpha[b]
        for s in range(la.shape[1]):
            la[0, s] = neg_inf
        la[0, 0] = log_probs[0, b, blank]
        if tl > 0:
            la[0, 1] = log_probs[0, b, prime(targets, off, 1, blank)]
        for t in range(1, il):
            for s in range(2 * tl + 1):
                cur = prime(targets, off, s, blank)
                a2 = la[t - 1, s - 1] if s > 0 else neg_inf
                a3 = la[t - 1, s - 2] if s > 1 and prime(targets, off, s - 2, blank) != cur else neg_inf
                la[t, s] = lse3(la[t - 1, s], a2, a3, one, neg_inf) + log_probs[t, b, cur]
        nll[b] = final_nll(log_alpha, b, il, tl, one, neg_inf)


@numba.njit(cache=True)
def finish_grad(grad, log_probs, b, il, nll, gr):
    """grad[t, b, c] holds log(sum of alpha*beta over the positions of label c) for t < il: make it torch's
    gradient (exp(log_probs) - exp(that + nll - log_probs)) * grad_out, and zero the frames from il on."""
    for t in range(grad.shape[0]):
        for c in range(grad.shape[2]):
            if t < il:
                lp = log_probs[t, b, c]
                grad[t, b, c] = (math.exp(lp) - math.exp(grad[t, b, c] + nll - lp)) * gr
            else:
                grad[t, b, c] = 0.0


@numba.njit(parallel=True, **_OPTS)
def backward(grad_out, log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, nll,
             log_alpha, zero_infinity, beta, grad):
    """grad (T, N, C) of the per-sample losses for grad_out (N,) (torch's _ctc_loss_backward). beta (N, 2, L)
    scratch: the beta rows of frames t + 1 and t alternate."""
    c_ = log_probs.shape[2]
    for b in prange(log_probs.shape[1]):
        il = input_lengths[b]
        tl = target_lengths[b]
        off = offsets[b]
        if zero_infinity and nll[b] == math.inf:
            for t in range(grad.shape[0]):
                for c in range(c_):
                    grad[t, b, c] = 0.0
            continue
        for t in range(il):
            for c in range(c_):
                grad[t, b, c] = neg_inf
        if il > 0:
            la = log_alpha[b]
            top = 2 * tl
            nxt = beta[b, (il - 1) % 2]
            for s in range(beta.shape[2]):
                nxt[s] = neg_inf
            nxt[top] = log_probs[il - 1, b, blank]
            grad[il - 1, b, blank] = la[il - 1, top] + nxt[top]
            if tl > 0:
                cur = prime(targets, off, top - 1, blank)
                nxt[top - 1] = log_probs[il - 1, b, cur]
                grad[il - 1, b, cur] = la[il - 1, top - 1] + nxt[top - 1]
            for t in range(il - 2, -1, -1):
                prev = beta[b, (t + 1) % 2]
                row = beta[b, t % 2]
                for s in range(top, -1, -1):
                    cur = prime(targets, off, s, blank)
                    b2 = prev[s + 1] if s < top else neg_inf
                    b3 = prev[s + 2] if s < top - 1 and prime(targets, off, s + 2, blank) != cur else neg_inf
                    row[s] = lse3(prev[s], b2, b3, one, neg_inf) + log_probs[t, b, cur]
                    ab = la[t, s] + row[s]
                    acc = grad[t, b, cur]
                    grad[t, b, cur] = ab if acc == neg_inf else lse2(acc, ab, one, neg_inf)
        finish_grad(grad, log_probs, b, il, nll[b], grad_out[b])
