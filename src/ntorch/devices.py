"""Device objects ("cpu", "cuda", "cuda:0")."""

from __future__ import annotations


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
    """Validate a device argument; only the CPU has kernels so far."""
    d = spec if isinstance(spec, device) else device(spec if spec is not None else "cpu")
    if d.type != "cpu":
        raise RuntimeError(
            f"device '{d}' is not available: ntorch has CPU kernels only so far (CUDA is planned)"
        )
    return d
