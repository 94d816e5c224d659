"""torch.nn.utils.convert_conv2d/3d_weight_memory_format: lay out convolution weights in a memory format."""

from __future__ import annotations


def _convert(module, memory_format, kinds: tuple):
    if isinstance(module, kinds):
        module.weight.data = module.weight.detach().clone(memory_format=memory_format)
    for child in module.children():
        _convert(child, memory_format, kinds)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Conv2d / ConvTranspose2d weights (recursively) copied into memory_format (e.g. ntorch.channels_last)."""
    from ..modules.conv import Conv2d, ConvTranspose2d

    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """Conv3d / ConvTranspose3d weights (recursively) copied into memory_format (e.g. ntorch.channels_last_3d)."""
    from ..modules.conv import Conv3d, ConvTranspose3d

    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
