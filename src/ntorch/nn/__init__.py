"""Neural-network building blocks: torch.nn's Module system and layers over the functional API."""

from . import attention, functional, grad, init, utils  # noqa: F401  (attention: torch.nn.attention's sdpa_kernel)
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .modules.lazy import UninitializedBuffer, UninitializedParameter
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           *_modules_all]

# F's name for the attention kernel, as in torch (the layers themselves come from .modules)
from .modules.attention import multi_head_attention_forward  # noqa: E402

functional.multi_head_attention_forward = multi_head_attention_forward
