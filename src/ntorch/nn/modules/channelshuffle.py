"""torch.nn.modules.channelshuffle's name; defined in upsampling.py."""

from .upsampling import ChannelShuffle

__all__ = ["ChannelShuffle"]
