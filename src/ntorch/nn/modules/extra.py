"""torch.nn modules beyond the core layers, each a thin holder of options over an F function: Dropout3d, Softmax2d,
Fold/Unfold, the 3-d paddings, LP and fractional max pooling, MaxUnpool1d/3d, the fixed-mode upsamplers, and
MultiLabelMarginLoss, TripletMarginWithDistanceLoss, NLLLoss2d, CrossMapLRN2d."""

from __future__ import annotations

import warnings
from collections.abc import Callable

from ... import ops
from ...autograd.function import Function
from .. import functional as F
from .distance import PairwiseDistance
from .dropout import _DropoutNd
from .loss import NLLLoss, _Loss
from .module import Module
from .padding import _ConstantPadNd, _PadNd
from .upsampling import Upsample
from .utils import _ntuple, _pair, _single

_triple = _ntuple(3, "_triple")
_sextuple = _ntuple(6, "_sextuple")


class Dropout3d(_DropoutNd):
    _fn = "dropout3d"


class Softmax2d(Module):
    """Softmax over the channel dim of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3)


# -- fold / unfold -------------------------------------------------------------------------------------------
class Fold(Module):
    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, stride={self.stride}"


# -- 3-d padding ---------------------------------------------------------------------------------------------
class ReflectionPad3d(_PadNd):
    _mode = "reflect"
    _expand = staticmethod(_sextuple)


class ReplicationPad3d(_PadNd):
    _mode = "replicate"
    _expand = staticmethod(_sextuple)


class CircularPad3d(_PadNd):
    _mode = "circular"
    _expand = staticmethod(_sextuple)
    _dims = (4, 5)


class ConstantPad3d(_ConstantPadNd):
    _expand = staticmethod(_sextuple)


class ZeroPad3d(ConstantPad3d):
    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


# -- pooling -------------------------------------------------------------------------------------------------
class _LPPoolNd(Module):
    _fn = ""

    def __init__(self, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input):
        return getattr(F, self._fn)(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    _fn = "lp_pool1d"


class LPPool2d(_LPPoolNd):
    _fn = "lp_pool2d"


class LPPool3d(_LPPoolNd):
    _fn = "lp_pool3d"


class _MaxUnpoolNd(Module):
    _fn = ""
    _expand = staticmethod(_single)

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        self.kernel_size = self._expand(kernel_size)
        self.stride = self._expand(stride if stride is not None else kernel_size)
        self.padding = self._expand(padding)

    def forward(self, input, indices, output_size=None):
        return getattr(F, self._fn)(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    _fn = "max_unpool1d"


class MaxUnpool3d(_MaxUnpoolNd):
    _fn = "max_unpool3d"
    _expand = staticmethod(_triple)


class _FractionalMaxPoolNd(Module):
    """Options of F.fractional_max_pool{2,3}d; a fixed `_random_samples` buffer makes the windows deterministic."""

    _nd = 2

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices: bool = False,
                 _random_samples=None) -> None:
        super().__init__()
        expand = _pair if self._nd == 2 else _triple
        if self._nd == 3 and ((isinstance(kernel_size, int) and kernel_size <= 0) or (
                isinstance(kernel_size, (tuple, list)) and not all(k > 0 for k in kernel_size))):
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.kernel_size = expand(kernel_size)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = expand(output_size) if output_size is not None else None
        self.output_ratio = expand(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"FractionalMaxPool{self._nd}d requires specifying either an output size, or a pooling "
                             "ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return getattr(F, f"fractional_max_pool{self._nd}d")(input, self.kernel_size, self.output_size,
                                                             self.output_ratio, self.return_indices,
                                                             _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    _nd = 3


# -- upsampling with a fixed mode ----------------------------------------------------------------------------
class UpsamplingNearest2d(Upsample):
    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    def __init__(self, size=None, scale_factor=None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


# -- losses --------------------------------------------------------------------------------------------------
class MultiLabelMarginLoss(_Loss):
    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    def __init__(self, *, distance_function: Callable | None = None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             "instead")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function, margin=self.margin,
                                                   swap=self.swap, reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """The deprecated name of NLLLoss (which takes (N, C, H, W) inputs itself)."""

    def __init__(self, weight=None, size_average=None, ignore_index: int = -100, reduce=None,
                 reduction: str = "mean") -> None:
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class _CrossMapLRN2dFunction(Function):
    """torch.nn.modules._functions.CrossMapLRN2d: the forward's scale, and torch's hand-written backward (its own
    channel window, not the derivative of the forward's), so gradients are torch's."""

    @staticmethod
    def forward(ctx, input, size: int, alpha: float, beta: float, k: float):
        c = input.shape[1]
        pre_pad = int((size - 1) / 2 + 1)
        csum = (input * input).cumsum(1)
        hi = [min(ch + pre_pad - 1, c - 1) for ch in range(c)]
        window = csum.index_select(1, ops.creation.tensor(hi, device=input.device))
        drop = [ch - pre_pad if ch > pre_pad else 0 for ch in range(c)]  # channels 1 .. ch - pre_pad leave the sum
        dropped = csum.index_select(1, ops.creation.tensor(drop, device=input.device)) - csum[:, :1]
        scale = (window - dropped) * (alpha / size) + k
        output = input * scale.pow(-beta)
        ctx.save_for_backward(input, output, scale)
        ctx.size, ctx.alpha, ctx.beta = size, alpha, beta
        return output

    @staticmethod
    def backward(ctx, grad_output):
        """grad * scale^-beta - 2 alpha beta / size * x * (window sum of grad * out / scale), the window of
        channel c being [c - p, c + size - 1 - p] with torch's p = int(size - (size - 1) / 2)."""
        input, output, scale = ctx.saved_tensors
        size, c = ctx.size, input.shape[1]
        p = int(size - (size - 1) / 2)
        if p > size - 1:  # torch's narrow of its padded buffer fails (size 1)
            raise RuntimeError(f"start ({p}) + length ({c}) exceeds dimension size ({c + size - 1}).")
        ratio = grad_output * output / scale
        csum = ops.joins.cat([ratio[:, :1] * 0, ratio.cumsum(1)], 1)  # csum[:, j] = sum of ratio[:, :j]
        hi = ops.creation.tensor([min(ch + size - p, c) for ch in range(c)], device=input.device)
        lo = ops.creation.tensor([max(ch - p, 0) for ch in range(c)], device=input.device)
        window = csum.index_select(1, hi) - csum.index_select(1, lo)
        coef = 2 * ctx.alpha * ctx.beta / size
        return scale.pow(-ctx.beta) * grad_output - coef * input * window, None, None, None, None


_CrossMapLRN2dFunction.__name__ = "CrossMapLRN2d"  # torch's grad_fn name: CrossMapLRN2dBackward


class CrossMapLRN2d(Module):
    """Legacy (Lua torch) local response normalisation across channels of a 4-d input:
    x * (k + alpha / size * window sum of x^2) ** -beta, with torch's window (its first channel is never dropped
    from the running sum, as in torch's implementation) and torch's backward."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        if input.dim() != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.dim()}D instead.")
        return _CrossMapLRN2dFunction.apply(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
