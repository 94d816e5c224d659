"""torch.autograd.anomaly_mode: the import path of detect_anomaly / set_detect_anomaly (defined in grad_mode)."""

from .grad_mode import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
