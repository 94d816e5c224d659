"""torch.signal.windows (SciPy-style windows): each is torch's composition of ntorch ops on a linspace, so the
values round as torch's do and requires_grad=True gives a window attached to the graph (not a leaf), as torch."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .. import dtypes, layouts
from ..ops import creation
from ..tensor import Tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _checks(name: str, M: int, dtype, layout) -> dtypes.dtype:  # noqa: N803 - torch's argument name
    """torch's _window_function_checks; returns the dtype (the default one when None)."""
    dt = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and layout is not layouts.strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dt not in (dtypes.float32, dtypes.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dt}")
    return dt


def _trivial(M: int, dt, device, requires_grad: bool) -> Tensor | None:  # noqa: N803
    """The windows of length 0 (empty) and 1 (a one), which most windows return before any arithmetic."""
    if M == 0:
        return creation.empty(0, dtype=dt, device=device, requires_grad=requires_grad)
    if M == 1:
        return creation.ones(1, dtype=dt, device=device, requires_grad=requires_grad)
    return None


def _line(start, end, M: int, dt, device, requires_grad: bool) -> Tensor:  # noqa: N803
    return creation.linspace(start, end, M, dtype=dt, device=device, requires_grad=requires_grad)


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True, dtype=None,  # noqa: N803
                layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """exp(-|n - center| / tau)."""
    dt = _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if M == 0:
        return creation.empty(0, dtype=dt, device=device, requires_grad=requires_grad)
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / tau
    return _line(-center * c, (-center + (M - 1)) * c, M, dt, device, requires_grad).abs().neg().exp()


def cosine(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
           requires_grad: bool = False) -> Tensor:
    """sin(pi (n + 0.5) / M) (SciPy's cosine, or sine, window)."""
    dt = _checks("cosine", M, dtype, layout)
    if M == 0:
        return creation.empty(0, dtype=dt, device=device, requires_grad=requires_grad)
    c = math.pi / (M + 1 if not sym and M > 1 else M)
    return _line(0.5 * c, (0.5 + (M - 1)) * c, M, dt, device, requires_grad).sin()


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
             requires_grad: bool = False) -> Tensor:
    """exp(-(n / (2 std))^2), n centred."""
    dt = _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    if M == 0:
        return creation.empty(0, dtype=dt, device=device, requires_grad=requires_grad)
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / (std * math.sqrt(2))
    return (_line(start * c, (start + (M - 1)) * c, M, dt, device, requires_grad) ** 2).neg().exp()


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
           requires_grad: bool = False) -> Tensor:
    """I0(beta sqrt(1 - ((n - N/2) / (N/2))^2)) / I0(beta), N = M - 1 (sym) or M."""
    from .. import special

    dt = _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    small = _trivial(M, dt, device, requires_grad)
    if small is not None:
        return small
    b = creation.tensor(beta, dtype=dt, device=device)  # beta in the window's dtype, as torch (no NaN at the ends)
    c = 2.0 * b / (M if not sym else M - 1)
    end = b.minimum(-b + (M - 1) * c)
    k = _line(-b.item(), end.item(), M, dt, device, requires_grad)
    return special.i0((b * b - k.pow(2)).sqrt()) / special.i0(b)


def general_cosine(M: int, *, a: Iterable, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
                   requires_grad: bool = False) -> Tensor:
    """sum_i (-1)^i a_i cos(2 pi i n / N), N = M - 1 (sym) or M."""
    dt = _checks("general_cosine", M, dtype, layout)
    small = _trivial(M, dt, device, requires_grad)
    if small is not None:
        return small
    if not isinstance(a, Iterable):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    c = 2 * math.pi / (M if not sym else M - 1)
    k = _line(0, (M - 1) * c, M, dt, device, requires_grad)
    a_i = creation.tensor([(-1) ** i * w for i, w in enumerate(a)], dtype=dt, device=device,
                          requires_grad=requires_grad)
    i = creation.arange(a_i.shape[0], dtype=dt, device=device, requires_grad=requires_grad)
    return (a_i.unsqueeze(-1) * (i.unsqueeze(-1) * k).cos()).sum(0)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype=None, layout=None,  # noqa: N803
                    device=None, requires_grad: bool = False) -> Tensor:
    """alpha - (1 - alpha) cos(2 pi n / N)."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
            requires_grad: bool = False) -> Tensor:
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
         requires_grad: bool = False) -> Tensor:
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
             requires_grad: bool = False) -> Tensor:
    _checks("blackman", M, dtype, layout)
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def nuttall(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
            requires_grad: bool = False) -> Tensor:
    """Nuttall's minimum 4-term Blackman-Harris window."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M: int, *, sym: bool = True, dtype=None, layout=None, device=None,  # noqa: N803
             requires_grad: bool = False) -> Tensor:
    """1 - |2n / N - 1| (triangular, zero at the ends)."""
    dt = _checks("bartlett", M, dtype, layout)
    small = _trivial(M, dt, device, requires_grad)
    if small is not None:
        return small
    c = 2 / (M if not sym else M - 1)
    return 1 - _line(-1, -1 + (M - 1) * c, M, dt, device, requires_grad).abs()
