"""torch.nn.modules.fold's names; defined in extra.py."""

from .extra import Fold, Unfold

__all__ = ["Fold", "Unfold"]
