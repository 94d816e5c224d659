"""parameters_to_vector and vector_to_parameters: all parameters as one flat vector, and back."""

from __future__ import annotations

from collections.abc import Iterable

from ...tensor import Tensor


def _check_same_device(param: Tensor, old: int | None) -> int:
    """The device index of param, checking that every parameter is on the same device (-1: the CPU)."""
    device = param.get_device()
    if old is not None and old != device:
        kind = "different GPUs" if device != -1 and old != -1 else "CPU and GPU"
        raise TypeError(f"Found two parameters on {kind}")
    return device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-d tensor of every parameter's values in order (differentiable, as torch's cat of views)."""
    from ...ops.joins import cat

    device = None
    vec = []
    for param in parameters:
        device = _check_same_device(param, device)
        vec.append(param.view(-1))
    return cat(vec)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Each parameter's data becomes the next slice of vec (a view: they share memory, as torch's
    `param.data = vec[...]`)."""
    from ..parameter import _share

    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_same_device(param, device)
        n = param.numel()
        _share(param, vec[pointer:pointer + n].view_as(param).detach())
        pointer += n
