"""Padding modules over F.pad: constant (and zero), reflection, replication, circular; 1-d and 2-d."""

from __future__ import annotations

from .. import functional as F
from .module import Module
from .utils import _pair, _quadruple


class _PadNd(Module):
    """padding: an int (every side) or a tuple (left, right[, top, bottom]), as F.pad takes it."""

    _mode = ""
    _expand = staticmethod(_pair)
    _dims: tuple = ()

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = self._expand(padding)

    def forward(self, input):
        if self._dims and input.dim() not in self._dims:
            raise ValueError(f"expected {self._dims[0]}D or {self._dims[1]}D input (got {input.dim()}D input)")
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    _mode = "reflect"


class ReflectionPad2d(_PadNd):
    _mode = "reflect"
    _expand = staticmethod(_quadruple)


class ReplicationPad1d(_PadNd):
    _mode = "replicate"


class ReplicationPad2d(_PadNd):
    _mode = "replicate"
    _expand = staticmethod(_quadruple)


class CircularPad1d(_PadNd):
    _mode = "circular"
    _dims = (2, 3)


class CircularPad2d(_PadNd):
    _mode = "circular"
    _expand = staticmethod(_quadruple)
    _dims = (3, 4)


class _ConstantPadNd(Module):
    _expand = staticmethod(_pair)

    def __init__(self, padding, value: float) -> None:
        super().__init__()
        self.padding = self._expand(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    pass


class ConstantPad2d(_ConstantPadNd):
    _expand = staticmethod(_quadruple)


class ZeroPad1d(ConstantPad1d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"
