"""Convolution, pooling and interpolation on NCHW batches.

NumPy has no convolution or pooling: its columns are the usual NumPy idioms (sliding windows + tensordot for
conv2d, a reshape + max / mean for 2x2 pooling, a mean over the plane for the global average).
"""

from __future__ import annotations

import numpy as np

import ntorch.nn.functional as F

from ..case import Case, Ctx, sizes

DESCRIPTION = "conv2d 3x3, max / avg / adaptive pooling, bilinear / nearest upsampling"


def _np_conv2d(x, w, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))  # (n, c, oh, ow, kh, kw)
    return np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def _conv2d(ctx: Ctx) -> dict:
    n, cin, cout, hw = ctx.param
    x, w, b = ctx.randn(n, cin, hw, hw), ctx.randn(cout, cin, 3, 3, seed=1, scale=0.1), ctx.randn(cout, seed=2)
    tx, tw, tb = ctx.nt(x), ctx.nt(w), ctx.nt(b)
    fns = {"ntorch": lambda: F.conv2d(tx, tw, tb, padding=1), "numpy": lambda: _np_conv2d(x, w, 1) + b[:, None, None]}
    if ctx.torch is not None:
        px, pw, pb = ctx.tc(x), ctx.tc(w), ctx.tc(b)
        fns["torch"] = lambda: ctx.torch.nn.functional.conv2d(px, pw, pb, padding=1)
    return fns


def _pool(kind: str):
    def build(ctx: Ctx) -> dict:
        n, c, h, w = ctx.param
        np_fn = {
            "max": lambda a: a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5)),
            "avg": lambda a: a.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5)),
            "global": lambda a: a.mean(axis=(2, 3), keepdims=True),
        }[kind]
        nt_fn = {"max": lambda t: F.max_pool2d(t, 2), "avg": lambda t: F.avg_pool2d(t, 2),
                 "global": lambda t: F.adaptive_avg_pool2d(t, 1)}[kind]
        x = ctx.randn(n, c, h, w)
        tx = ctx.nt(x)
        fns = {"ntorch": lambda: nt_fn(tx), "numpy": lambda: np_fn(x)}
        if ctx.torch is not None:
            tf, px = ctx.torch.nn.functional, ctx.tc(x)
            fns["torch"] = {"max": lambda: tf.max_pool2d(px, 2), "avg": lambda: tf.avg_pool2d(px, 2),
                            "global": lambda: tf.adaptive_avg_pool2d(px, 1)}[kind]
        return fns

    return build


def _interpolate(mode: str):
    kw = {"align_corners": False} if mode == "bilinear" else {}

    def build(ctx: Ctx) -> dict:
        x = ctx.randn(*ctx.param)
        tx = ctx.nt(x)
        fns = {"ntorch": lambda: F.interpolate(tx, scale_factor=2, mode=mode, **kw)}
        if ctx.torch is not None:
            px = ctx.tc(x)
            fns["torch"] = lambda: ctx.torch.nn.functional.interpolate(px, scale_factor=2, mode=mode, **kw)
        return fns

    return build


def _conv_label(p):
    n, cin, cout, hw = p
    return f"{n}x{cin}x{hw}x{hw} 3x3 {cin}->{cout}"


def _conv_flops(p, s):
    n, cin, cout, hw = p
    return 2.0 * n * cout * cin * 9 * hw * hw


def _nchw_label(p):
    return "(" + ",".join(map(str, p)) + ")"


def _elems(p):
    return float(np.prod(p))


_POOL = sizes((2, 4, 8, 8), (32, 64, 32, 32), (64, 128, 64, 64))
_UP = sizes((1, 4, 8, 8), (8, 64, 32, 32), (16, 64, 64, 64))
_DTYPES = ("float32", "float64")

CASES = [
    Case("conv", "conv2d {}", _conv2d, sizes((2, 8, 8, 8), (32, 64, 64, 32), (32, 128, 128, 56)), _conv_flops,
         "GFLOP/s", dtypes=_DTYPES, label=_conv_label),
    Case("conv", "conv2d {}", _conv2d, sizes((2, 3, 4, 8), (64, 3, 16, 32), (128, 3, 16, 64)), _conv_flops,
         "GFLOP/s", dtypes=_DTYPES, label=_conv_label, notes="a first layer: few input channels"),
    Case("conv", "max_pool2d 2x2 {}", _pool("max"), _POOL, lambda p, s: 1.25 * _elems(p) * s, dtypes=_DTYPES,
         label=_nchw_label),
    Case("conv", "avg_pool2d 2x2 {}", _pool("avg"), _POOL, lambda p, s: 1.25 * _elems(p) * s, dtypes=_DTYPES,
         label=_nchw_label),
    Case("conv", "adaptive_avg_pool2d (1,1) {}", _pool("global"), _POOL, lambda p, s: _elems(p) * s,
         dtypes=_DTYPES, label=_nchw_label),
    Case("conv", "bilinear 2x {}", _interpolate("bilinear"), _UP, lambda p, s: 5.0 * _elems(p) * s, dtypes=_DTYPES,
         label=_nchw_label),
    Case("conv", "nearest 2x {}", _interpolate("nearest"), _UP, lambda p, s: 5.0 * _elems(p) * s, dtypes=_DTYPES,
         label=_nchw_label),
]
