"""Window functions (torch.hann_window, ...): computed in float64 on the host, then cast (like any creation op)."""

from __future__ import annotations

import numpy as np

from .. import layouts
from ..tensor import _index_arg
from . import creation


def _window(name: str, window_length: int, periodic: bool, values, dtype, device, requires_grad: bool,
            layout=None, pin_memory: bool = False):
    layouts.check_factory_args(name, layout, pin_memory)
    window_length = _index_arg(window_length, name, "window_length")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dt = creation._dt(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dt.name}")
    if window_length <= 1:
        return creation._finish(np.ones(window_length, dt.np), requires_grad, device)
    n = window_length + 1 if periodic else window_length
    w = values(np.arange(n, dtype=np.float64), n)[:window_length]
    return creation._finish(w.astype(dt.np), requires_grad, device)


def _cos_sum(coeffs):
    def values(k, n):
        return sum(c * np.cos(2 * np.pi * i * k / (n - 1)) for i, c in enumerate(coeffs))

    return values


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                pin_memory: bool = False, requires_grad: bool = False):
    return _window("hann_window", window_length, periodic, _cos_sum((0.5, -0.5)), dtype, device, requires_grad,
                   layout, pin_memory)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, pin_memory: bool = False, requires_grad: bool = False):
    return _window("hamming_window", window_length, periodic, _cos_sum((alpha, -beta)), dtype, device,
                   requires_grad, layout, pin_memory)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False):
    return _window("blackman_window", window_length, periodic, _cos_sum((0.42, -0.5, 0.08)), dtype, device,
                   requires_grad, layout, pin_memory)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    pin_memory: bool = False, requires_grad: bool = False):
    return _window("bartlett_window", window_length, periodic, lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1), dtype,
                   device, requires_grad, layout, pin_memory)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, pin_memory: bool = False, requires_grad: bool = False):
    def values(k, n):
        alpha = (n - 1) / 2
        return np.i0(beta * np.sqrt(np.clip(1 - ((k - alpha) / alpha) ** 2, 0, None))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, values, dtype, device, requires_grad, layout,
                   pin_memory)


FUNCTIONS = {"hann_window": hann_window, "hamming_window": hamming_window, "blackman_window": blackman_window,
             "bartlett_window": bartlett_window, "kaiser_window": kaiser_window}
