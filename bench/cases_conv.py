"""Benchmark cases: conv / pool / interpolate. Appended to bench/cases.py's CASES.

NumPy has no convolution or pooling: its columns are the usual NumPy idioms (sliding windows + tensordot for
conv2d, a reshape + max / mean for 2x2 pooling, a mean over the plane for the global average).
"""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch
import ntorch.nn.functional as F


def _np_conv2d(x, w, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    win = np.lib.stride_tricks.sliding_window_view(xp, w.shape[2:], axis=(2, 3))  # (n, c, oh, ow, kh, kw)
    return np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def _conv2d(n, cin, cout, hw, k, pad, with_bias):
    def setup():
        x, w = _f32(n, cin, hw, hw), _f32(cout, cin, k, k, seed=1) * 0.1
        b = _f32(cout, seed=2) if with_bias else None
        tx, tw = ntorch.from_numpy(x), ntorch.from_numpy(w)
        tb = None if b is None else ntorch.from_numpy(b)
        fns = {"ntorch": lambda: F.conv2d(tx, tw, tb, padding=pad), "numpy": lambda: _np_conv2d(x, w, pad)}
        if torch is not None:
            px, pw = torch.from_numpy(x), torch.from_numpy(w)
            pb = None if b is None else torch.from_numpy(b)
            fns["torch"] = lambda: torch.nn.functional.conv2d(px, pw, pb, padding=pad)
        return fns
    return setup


def _pool(kind: str, shape):
    n, c, h, w = shape
    np_fns = {
        "max": lambda a: a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5)),
        "avg": lambda a: a.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5)),
        "global": lambda a: a.mean(axis=(2, 3), keepdims=True),
    }
    nt_fns = {"max": lambda t: F.max_pool2d(t, 2), "avg": lambda t: F.avg_pool2d(t, 2),
              "global": lambda t: F.adaptive_avg_pool2d(t, 1)}

    def setup():
        x = _f32(*shape)
        tx = ntorch.from_numpy(x)
        fns = {"ntorch": lambda: nt_fns[kind](tx), "numpy": lambda: np_fns[kind](x)}
        if torch is not None:
            tf = torch.nn.functional
            px = torch.from_numpy(x)
            fns["torch"] = {"max": lambda: tf.max_pool2d(px, 2), "avg": lambda: tf.avg_pool2d(px, 2),
                            "global": lambda: tf.adaptive_avg_pool2d(px, 1)}[kind]
        return fns
    return setup


def _interpolate(shape, mode):
    def setup():
        x = _f32(*shape)
        tx = ntorch.from_numpy(x)
        kw = {"align_corners": False} if mode == "bilinear" else {}
        fns = {"ntorch": lambda: F.interpolate(tx, scale_factor=2, mode=mode, **kw)}
        if torch is not None:
            px = torch.from_numpy(x)
            fns["torch"] = lambda: torch.nn.functional.interpolate(px, scale_factor=2, mode=mode, **kw)
        return fns
    return setup


def _flops(n, cin, cout, hw, k):
    return 2.0 * n * cout * cin * k * k * hw * hw


CASES: list[Case] = [
    Case("conv", "conv2d 32x64x32x32 3x3 64->64", _conv2d(32, 64, 64, 32, 3, 1, True), _flops(32, 64, 64, 32, 3),
         "GFLOP/s"),
    Case("conv", "conv2d 64x3x32x32 3x3 3->16", _conv2d(64, 3, 16, 32, 3, 1, True), _flops(64, 3, 16, 32, 3),
         "GFLOP/s"),
    Case("conv", "max_pool2d 2x2 (32,64,32,32)", _pool("max", (32, 64, 32, 32)), 4 * 32 * 64 * 32 * 32 * 1.25),
    Case("conv", "avg_pool2d 2x2 (32,64,32,32)", _pool("avg", (32, 64, 32, 32)), 4 * 32 * 64 * 32 * 32 * 1.25),
    Case("conv", "adaptive_avg_pool2d (1,1)", _pool("global", (32, 64, 32, 32)), 4 * 32 * 64 * 32 * 32),
    Case("conv", "bilinear 2x (8,64,32,32)", _interpolate((8, 64, 32, 32), "bilinear"), 4 * 8 * 64 * 32 * 32 * 5),
    Case("conv", "nearest 2x (8,64,32,32)", _interpolate((8, 64, 32, 32), "nearest"), 4 * 8 * 64 * 32 * 32 * 5),
]
