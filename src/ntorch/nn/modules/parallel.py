"""DataParallel: torch's single-process wrapper, kept for the scripts that use it. ntorch runs the wrapped module on
device_ids[0] only (no replicas, no split of the batch): the same results, without the speed-up of several GPUs."""

from __future__ import annotations

from ...tensor import Tensor
from .module import Module


def _to_device(obj, device):
    """Tensors inside (nested tuples, lists and dicts of) obj, moved to device."""
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, tuple | list):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


def _device_ids(ids) -> list[int]:
    from ... import cuda

    if ids is None:
        return list(range(cuda.device_count())) if cuda.is_available() else []
    return [i if isinstance(i, int) else i.index for i in ids]


class DataParallel(Module):
    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        self.device_ids = _device_ids(device_ids)
        if not self.device_ids:
            self.output_device = None
            return
        self.output_device = self.device_ids[0] if output_device is None else _device_ids([output_device])[0]

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        device = f"cuda:{self.device_ids[0]}"
        for t in (*self.module.parameters(), *self.module.buffers()):
            if str(t.device) != device:
                raise RuntimeError(f"module must have its parameters and buffers on device {device} (device_ids[0]) "
                                   f"but found one of them on device: {t.device}")
        out = self.module(*_to_device(inputs, device), **_to_device(kwargs, device))
        return _to_device(out, f"cuda:{self.output_device}")
