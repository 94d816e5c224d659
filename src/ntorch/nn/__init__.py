"""Neural-network building blocks: torch.nn's Module system and layers over the functional API."""

from . import attention, functional, init, utils  # noqa: F401  (attention: torch.nn.attention's sdpa_kernel)
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .modules.lazy import UninitializedBuffer, UninitializedParameter
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer",
           *_modules_all]

# recurrent, attention and transformer layers (rnn/attention/transformer helper)
from .modules.attention import MultiheadAttention, multi_head_attention_forward  # noqa: E402
from .modules.rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase  # noqa: E402
from .modules.transformer import (  # noqa: E402
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

functional.multi_head_attention_forward = multi_head_attention_forward  # F's name for it, as in torch
__all__ += ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase", "MultiheadAttention",
            "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
            "TransformerEncoderLayer"]
