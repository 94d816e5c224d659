"""CUDA CTC loss, with the contract of kernels/cpu/ctc.py (whose @njit helpers numba-cuda compiles for the device):
the alpha and beta recursions run one block per sample, threads over the extended label positions, a syncthreads
per time frame; the gradient is then one thread per (t, b, c) element (exp(log_probs) * grad_out for the labels no
path uses) and one per (t, b, distinct label of the target) for the others, which collects alpha * beta over the
label's positions in the same (descending) order as the CPU kernel.
"""

from __future__ import annotations

import math

from ..cpu import ctc as _cpu
from ..cpu.ctc import lse2, lse3
from .launch import block_size, configure, cuda, grid_1d, grid_tasks

__all__ = ["forward_into", "backward_into"]

# the CPU kernels' helpers that read arrays, as device functions (lse2 / lse3 are scalar @njit functions, which
# numba-cuda compiles for the device as they are)
prime = cuda.jit(device=True)(_cpu.prime.py_func)
final_nll = cuda.jit(device=True)(_cpu.final_nll.py_func)


@cuda.jit(cache=True)
def _forward(log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, log_alpha, nll):
    tid = cuda.threadIdx.x
    step = cuda.blockDim.x
    b = cuda.blockIdx.x
    while b < log_probs.shape[1]:  # the same trip counts for every thread of the block (syncthreads inside)
        il = input_lengths[b]
        tl = target_lengths[b]
        off = offsets[b]
        if il > 0:
            s = tid
            while s < log_alpha.shape[2]:
                v = neg_inf
                if s == 0:
                    v = log_probs[0, b, blank]
                elif s == 1 and tl > 0:
                    v = log_probs[0, b, prime(targets, off, 1, blank)]
                log_alpha[b, 0, s] = v
                s += step
            cuda.syncthreads()
            for t in range(1, il):
                s = tid
                while s < 2 * tl + 1:
                    cur = prime(targets, off, s, blank)
                    a2 = log_alpha[b, t - 1, s - 1] if s > 0 else neg_inf
                    a3 = log_alpha[b, t - 1, s - 2] if s > 1 and prime(targets, off, s - 2, blank) != cur else neg_inf
                    log_alpha[b, t, s] = lse3(log_alpha[b, t - 1, s], a2, a3, one, neg_inf) + log_probs[t, b, cur]
                    s += step
                cuda.syncthreads()
        if tid == 0:
            if il == 0:
                nll[b] = -0.0 if tl == 0 else math.inf
            else:
                nll[b] = final_nll(log_alpha, b, il, tl, one, neg_inf)
        b += cuda.gridDim.x


@cuda.jit(cache=True)
def _beta(log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, log_beta):
    tid = cuda.threadIdx.x
    step = cuda.blockDim.x
    b = cuda.blockIdx.x
    while b < log_probs.shape[1]:
        il = input_lengths[b]
        tl = target_lengths[b]
        off = offsets[b]
        top = 2 * tl
        if il > 0:
            s = tid
            while s < log_beta.shape[2]:
                v = neg_inf
                if s == top:
                    v = log_probs[il - 1, b, blank]
                elif s == top - 1:
                    v = log_probs[il - 1, b, prime(targets, off, s, blank)]
                log_beta[b, il - 1, s] = v
                s += step
            cuda.syncthreads()
            for t in range(il - 2, -1, -1):
                s = tid
                while s <= top:
                    cur = prime(targets, off, s, blank)
                    b2 = log_beta[b, t + 1, s + 1] if s < top else neg_inf
                    b3 = log_beta[b, t + 1, s + 2] if s < top - 1 and prime(targets, off, s + 2, blank) != cur \
                        else neg_inf
                    log_beta[b, t, s] = lse3(log_beta[b, t + 1, s], b2, b3, one, neg_inf) + log_probs[t, b, cur]
                    s += step
                cuda.syncthreads()
        b += cuda.gridDim.x


@cuda.jit(device=True)
def _skipped(b, nll, input_lengths, zero_infinity, t):
    """Whether grad[t, b, :] is zero: a frame past the input, or an infinite loss with zero_infinity."""
    return t >= input_lengths[b] or (zero_infinity and nll[b] == math.inf)


@cuda.jit(cache=True)
def _grad_init(grad_out, log_probs, input_lengths, nll, zero_infinity, neg_inf, grad):
    """Every element as if no path went through it: (exp(lp) - exp(-inf + nll - lp)) * grad_out, or zero."""
    t_, n_, c_ = grad.shape
    i = cuda.grid(1)
    while i < t_ * n_ * c_:
        c = i % c_
        b = (i // c_) % n_
        t = i // (c_ * n_)
        if _skipped(b, nll, input_lengths, zero_infinity, t):
            grad[t, b, c] = 0.0
        else:
            lp = log_probs[t, b, c]
            grad[t, b, c] = (math.exp(lp) - math.exp(neg_inf + nll[b] - lp)) * grad_out[b]
        i += cuda.gridsize(1)


@cuda.jit(cache=True)
def _grad_collect(grad_out, log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, nll,
                  log_alpha, log_beta, zero_infinity, grad):
    """Thread (t, b, j): j = 0 is the blank, j >= 1 the target's label j - 1 when it is the label's first
    occurrence (and not the blank); it sums alpha * beta over the label's positions s (descending)."""
    t_, n_ = grad.shape[0], grad.shape[1]
    j_ = log_alpha.shape[2] // 2 + 1
    i = cuda.grid(1)
    while i < t_ * n_ * j_:
        j = i % j_
        b = (i // j_) % n_
        t = i // (j_ * n_)
        i += cuda.gridsize(1)
        tl = target_lengths[b]
        if j > tl or _skipped(b, nll, input_lengths, zero_infinity, t):
            continue
        off = offsets[b]
        c = blank
        if j > 0:
            c = targets[off + j - 1]
            first = c != blank
            for q in range(j - 1):
                if targets[off + q] == c:
                    first = False
            if not first:
                continue
        acc = neg_inf
        for s in range(2 * tl, -1, -1):
            if prime(targets, off, s, blank) == c:
                ab = log_alpha[b, t, s] + log_beta[b, t, s]
                acc = ab if acc == neg_inf else lse2(acc, ab, one, neg_inf)
        lp = log_probs[t, b, c]
        grad[t, b, c] = (math.exp(lp) - math.exp(acc + nll[b] - lp)) * grad_out[b]


def _threads(length: int) -> int:
    """Threads per recursion block: the extended labels rounded up to a power of two (a warp at least)."""
    return block_size(min(256, 1 << max(5, (length - 1).bit_length())))


def forward_into(log_probs, targets, offsets, input_lengths, target_lengths, blank: int, one, neg_inf, log_alpha,
                 nll) -> None:
    """log_alpha (N, T, L) and nll (N,) of log_probs (T, N, C); one, neg_inf: 1 and -inf in its dtype."""
    n = log_probs.shape[1]
    if n:
        configure(_forward, grid_tasks(n), _threads(log_alpha.shape[2]))(
            log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, log_alpha, nll)


def backward_into(grad_out, log_probs, targets, offsets, input_lengths, target_lengths, blank: int, one, neg_inf, nll,
                  log_alpha, zero_infinity: bool, log_beta, grad) -> None:
    """grad (T, N, C) of the per-sample losses for grad_out (N,); log_beta (N, T, L) scratch."""
    n = log_probs.shape[1]
    if grad.size == 0:
        return
    configure(_beta, grid_tasks(n), _threads(log_beta.shape[2]))(
        log_probs, targets, offsets, input_lengths, target_lengths, blank, one, neg_inf, log_beta)
    configure(_grad_init, *grid_1d(grad.size))(grad_out, log_probs, input_lengths, nll, zero_infinity, neg_inf, grad)
    total = grad.shape[0] * n * (log_alpha.shape[2] // 2 + 1)
    configure(_grad_collect, *grid_1d(total))(grad_out, log_probs, targets, offsets, input_lengths, target_lengths,
                                              blank, one, neg_inf, nll, log_alpha, log_beta, zero_infinity, grad)
