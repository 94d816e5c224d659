"""torch.nn.modules.pixelshuffle's names; defined in upsampling.py."""

from .upsampling import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
