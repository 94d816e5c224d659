"""Fused optimizer steps: one kernel updates one parameter and its state in place, element by element, with torch
2.13's single-tensor formulas (torch/optim/*.py `_single_tensor_*`) in their order of float operations.

Conventions: every array is 1-d, C-contiguous and of one dtype T (float32 or float64; the front end computes
float16 through float32 copies, since Numba has no float16 arithmetic on the CPU). Every scalar arrives already
converted to T by the front end, which also computes the step-dependent ones (bias corrections, decayed lr) in
Python float64 as torch does; the kernels use no literals, so float32 never widens to float64.

Each torch op is computed as torch's CPU kernel computes it, a fused multiply-add where that kernel uses one
(`_fma`, one rounding): ``add(x, y, alpha=a)`` is ``fma(a, y, x)``, ``addcmul(x, t1, t2, value=v)`` is
``fma(v * t1, t2, x)``, ``addcdiv(x, t1, t2, value=v)`` is ``x + (v * t1) / t2`` (no fma), lerp is torch's
two-sided formula ``fma(w, end - x, x)`` if ``lo`` (``|w| < 0.5``) else ``fma(-(end - x), wc, end)`` with
``wc = 1 - w`` in T; ``mul`` / ``div`` by a scalar are single roundings. So float32 / float64 SGD agrees with torch
bit for bit; the others differ in the last bits where torch's vectorized sqrt is not correctly rounded.

The arrays come first, then the scalars, then the flags. An array an option does not use may be any array of T
(it is not touched).
"""

import numpy as np
from numba import njit

from .scalar import _fma

__all__ = ["sgd", "adam", "rmsprop", "adagrad"]

# error_model="numpy": a division is a plain divide (Python's model adds a zero check that stops vectorization)
_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


@njit(inline="always", **_OPTS)
def _lerp(a, b, w, wc, lo):
    d = b - a
    return _fma(w, d, a) if lo else _fma(-d, wc, b)


@njit(**_OPTS)
def sgd(p, g, buf, wd, momentum, damp1, neg_lr, maximize, use_wd, use_momentum, nesterov, first):
    """SGD: g (+ wd * p); buf = g on the first step, else buf * momentum + (1 - dampening) * g; p -= lr * (g +
    momentum * buf if nesterov else buf)."""
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        if use_wd:
            gi = _fma(wd, p[i], gi)
        if use_momentum:
            b = gi if first else _fma(damp1, gi, buf[i] * momentum)
            buf[i] = b
            gi = _fma(momentum, b, gi) if nesterov else b
        p[i] = _fma(neg_lr, gi, p[i])


@njit(**_OPTS)
def adam(p, g, m, v, vmax, wd, wd_scale, w1, w1c, beta2, omb2, bc2_sqrt, eps, neg_step_size, lo1, maximize,
         use_wd, decoupled, amsgrad):
    """Adam / AdamW: weight decay (p *= 1 - lr * wd when decoupled, else g += wd * p); m.lerp_(g, 1 - beta1);
    v = v * beta2 + (1 - beta2) * g * g; vmax = maximum(vmax, v) with amsgrad; p += -step_size * m / (sqrt(v or
    vmax) / bc2_sqrt + eps)."""
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        pi = p[i]
        if use_wd:
            if decoupled:
                pi = pi * wd_scale
            else:
                gi = _fma(wd, pi, gi)
        mi = _lerp(m[i], gi, w1, w1c, lo1)
        m[i] = mi
        vi = _fma(omb2 * gi, gi, v[i] * beta2)
        v[i] = vi
        if amsgrad:
            vm = vmax[i]
            if vi > vm or vi != vi:  # torch.maximum propagates NaN
                vm = vi
            vmax[i] = vm
            vi = vm
        denom = np.sqrt(vi) / bc2_sqrt + eps
        p[i] = pi + (neg_step_size * mi) / denom


@njit(**_OPTS)
def rmsprop(p, g, sq, gavg, buf, wd, alpha, oma, w, wc, eps, neg_lr, momentum, lo, maximize, use_wd, centered,
            use_momentum):
    """RMSprop: g (+ wd * p); sq = sq * alpha + (1 - alpha) * g * g; centered: gavg.lerp_(g, 1 - alpha) and avg =
    sqrt(sq - gavg * gavg), else sqrt(sq); avg += eps; momentum: buf = buf * momentum + g / avg, p -= lr * buf;
    else p -= lr * g / avg."""
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        if use_wd:
            gi = _fma(wd, p[i], gi)
        s = _fma(oma * gi, gi, sq[i] * alpha)
        sq[i] = s
        if centered:
            ga = _lerp(gavg[i], gi, w, wc, lo)
            gavg[i] = ga
            avg = np.sqrt(_fma(-ga, ga, s))
        else:
            avg = np.sqrt(s)
        avg = avg + eps
        if use_momentum:
            b = buf[i] * momentum + gi / avg
            buf[i] = b
            p[i] = _fma(neg_lr, b, p[i])
        else:
            p[i] = p[i] + (neg_lr * gi) / avg


@njit(**_OPTS)
def adagrad(p, g, state_sum, wd, eps, neg_clr, maximize, use_wd):
    """Adagrad: g (+ wd * p); sum += g * g; p -= clr * g / (sqrt(sum) + eps)."""
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        if use_wd:
            gi = _fma(wd, p[i], gi)
        s = _fma(gi, gi, state_sum[i])
        state_sum[i] = s
        p[i] = p[i] + (neg_clr * gi) / (np.sqrt(s) + eps)
