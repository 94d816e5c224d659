"""Neural-network building blocks: torch.nn's Module system and layers over the functional API."""

from . import functional, init, utils
from .modules import *  # noqa: F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["functional", "init", "utils", "Parameter", "Buffer", *_modules_all]

# f_gaps2: 3-d conv/pool, sampling, ctc, embedding_bag, bilinear, alpha dropout modules
from .modules.conv import Conv3d, ConvTranspose1d, ConvTranspose3d  # noqa: E402
from .modules.dropout import AlphaDropout, FeatureAlphaDropout  # noqa: E402
from .modules.linear import Bilinear  # noqa: E402
from .modules.loss import CTCLoss  # noqa: E402
from .modules.pooling import AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, MaxPool3d  # noqa: E402
from .modules.sparse import EmbeddingBag  # noqa: E402

__all__ += ["Conv3d", "ConvTranspose1d", "ConvTranspose3d", "AlphaDropout", "FeatureAlphaDropout", "Bilinear",
            "CTCLoss", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "MaxPool3d", "EmbeddingBag"]
