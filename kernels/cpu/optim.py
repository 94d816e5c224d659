"""Fused optimizer steps: one kernel updates one parameter and its state in place, element by element, with torch
2.13's single-tensor formulas (torch/optim/*.py `_single_tensor_*`) in their order of float operations.

Conventions: every array is 1-d, C-contiguous and of one dtype T (float32 or float64; the front end computes
float16 through float32 copies, since Numba has no float16 arithmetic on the CPU). Every scalar arrives already
converted to T by the front end, which also computes the step-dependent ones (bias corrections, decayed lr) in
Python float64 as torch does; the kernels use no literals, so float32 never widens to float64. Where torch calls
addcmul / addcdiv the kernels compute as torch's CPU kernels do, ``x + (value * t1) * t2`` and
``x + (value * t1) / t2``; lerp is torch's two-sided formula (``lo`` says ``|weight| < 0.5``, ``wc = 1 - weight``
in T). The arrays come first, then the scalars, then the flags. An array an option does not use may be any
array of T (it is not touched).
"""

import numpy as np
from numba import njit

__all__ = ["sgd", "adam", "rmsprop", "adagrad"]

# error_model="numpy": a division is a plain divide (Python's model adds a zero check that stops vectorization)
_OPTS = dict(cache=True, nogil=True, error_model="numpy", boundscheck=False)


@njit(inline="always", **_OPTS)
def _lerp(a, b, w, wc, lo):
    d = b - a
    return a + w * d if lo else b - d * wc


@njit(**_OPTS)
def sgd(p, g, buf, wd, momentum, damp1, neg_lr, maximize, use_wd, use_momentum, nesterov, first):
    """SGD: g (+ wd * p); buf = g on the first step, else buf * momentum + (1 - dampening) * g; p -= lr * (g +
    momentum * buf if nesterov else buf)."""
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        if use_wd:
            gi = gi + wd * p[i]
        if use_momentum:
            if first:
                b = gi
            else:
                b = buf[i] * momentum
                b = b + damp1 * gi
            buf[i] = b
            gi = gi + momentum * b if nesterov else b
        p[i] = p[i] + neg_lr * gi


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
                gi = gi + wd * pi
        mi = _lerp(m[i], gi, w1, w1c, lo1)
        m[i] = mi
        vi = v[i] * beta2
        vi = vi + (omb2 * gi) * gi
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
            gi = gi + wd * p[i]
        s = sq[i] * alpha
        s = s + (oma * gi) * gi
        sq[i] = s
        if centered:
            ga = _lerp(gavg[i], gi, w, wc, lo)
            gavg[i] = ga
            avg = np.sqrt(s + (-ga) * ga)
        else:
            avg = np.sqrt(s)
        avg = avg + eps
        if use_momentum:
            b = buf[i] * momentum
            b = b + gi / avg
            buf[i] = b
            p[i] = p[i] + neg_lr * b
        else:
            p[i] = p[i] + (neg_lr * gi) / avg


@njit(**_OPTS)
def adagrad(p, g, state_sum, wd, eps, neg_clr, maximize, use_wd):
    """Adagrad: g (+ wd * p); sum += g * g; p -= clr * g / (sqrt(sum) + eps)."""
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        if use_wd:
            gi = gi + wd * p[i]
        s = state_sum[i] + gi * gi
        state_sum[i] = s
        p[i] = p[i] + (neg_clr * gi) / (np.sqrt(s) + eps)
