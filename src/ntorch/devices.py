"""Device objects ("cpu", "cuda", "cuda:0")."""

from __future__ import annotations

from . import cuda  # (cheap: stdlib only at import; here, not in the functions, whose import costs two calls each)


class device:
    """torch.device: a type ('cpu' or 'cuda') and an optional index."""

    __slots__ = ("type", "index")

    def __init__(self, spec: str | device, index: int | None = None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device(): expected a string, got {type(spec).__name__}")
        kind, _, idx = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(
                f"Expected one of cpu, cuda device type at start of device string: {spec}"
            )
        if idx:
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{spec}'")
            index = int(idx)
        self.type = kind
        self.index = index

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


def as_device(spec) -> device:
    """Validate a device argument: "cpu", "cuda", "cuda:N", an int N (cuda:N, as torch) or a device; a CUDA
    device must exist (PyTorch's errors otherwise)."""
    if isinstance(spec, device):
        d = spec
    elif spec is None:
        return _DEFAULT_DEVICE[0]
    elif isinstance(spec, int) and not isinstance(spec, bool):
        d = device("cuda", spec)
    else:
        d = device(spec)
    if d.type == "cuda":
        cuda.require_device()
        if d.index is not None and not 0 <= d.index < cuda.device_count():
            raise RuntimeError("CUDA error: invalid device ordinal")
    return d


def cuda_index(d: device) -> int:
    """The device index of a CUDA device (the current device when it has none)."""
    if d.index is not None:
        return d.index
    return cuda.current_device()


CPU = device("cpu")
_DEFAULT_DEVICE = [CPU]  # what creation functions use when given no device (torch.set_default_device)


def set_default_device(spec) -> None:
    """torch.set_default_device: creation functions called without `device=` allocate there (None: the CPU)."""
    d = CPU if spec is None else as_device(spec)
    if d.type == "cuda" and d.index is None:
        d = device("cuda", cuda_index(d))
    _DEFAULT_DEVICE[0] = d


def get_default_device() -> device:
    return _DEFAULT_DEVICE[0]
_CUDA: dict[int, device] = {}


def cuda_device(index: int) -> device:
    """The (cached) device object of cuda:index, as tensors report it."""
    d = _CUDA.get(index)
    if d is None:
        d = _CUDA[index] = device("cuda", index)
    return d
