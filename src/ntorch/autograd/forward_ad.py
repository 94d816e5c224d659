"""torch.autograd.forward_ad on the tape: make_dual / unpack_dual inside a dual_level.

ntorch records a reverse-mode tape only, so a dual tensor is its primal made to require grad (the tape records
what is computed from it) plus its tangent, kept in the current level. unpack_dual(y) computes y's tangent,
J @ tangents, by the double-vjp trick (two backward passes through the recorded graph) the first time it is asked
for. Values equal torch's forward-mode ones; differences: the results of ops on dual tensors report
requires_grad=True (they are on the tape), and each unpack_dual costs two backward passes.
"""

from __future__ import annotations

from typing import NamedTuple

from ..tensor import Tensor
from . import grad_mode
from .engine import grad as _grad

__all__ = ["UnpackedDualTensor", "dual_level", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual"]

_LEVELS: list[list[tuple[Tensor, Tensor]]] = []  # per open level: (dual tensor, tangent) pairs


class UnpackedDualTensor(NamedTuple):
    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    if _LEVELS:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _LEVELS.append([])
    return len(_LEVELS) - 1


def exit_dual_level(*, level: int | None = None) -> None:
    if level is None:
        level = len(_LEVELS) - 1
    if level != len(_LEVELS) - 1:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _LEVELS.pop()


class dual_level:
    """Context manager: dual tensors made inside are only valid inside."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc) -> None:
        exit_dual_level()


def _level(level: int | None) -> list:
    if not _LEVELS:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    return _LEVELS[-1 if level is None else level]


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A tensor with tensor's values whose forward gradient is tangent."""
    pairs = _level(level)
    if tensor.is_complex() or tangent.is_complex():
        raise NotImplementedError("make_dual: complex tensors are not supported by ntorch's forward-mode AD yet")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    with grad_mode.enable_grad():
        dual = tensor.view_as(tensor) if tensor.requires_grad else tensor.detach().requires_grad_()
    pairs.append((dual, tangent))
    return dual


def unpack_dual(tensor: Tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of tensor: tangent is None when tensor does not depend on any dual tensor."""
    if not _LEVELS:
        return UnpackedDualTensor(tensor, None)
    pairs = _LEVELS[-1 if level is None else level]
    for dual, tangent in pairs:
        if dual is tensor:
            return UnpackedDualTensor(tensor.detach(), tangent)
    if not tensor.requires_grad or not pairs:
        return UnpackedDualTensor(tensor, None)
    from ..ops.creation import zeros_like

    duals = [d for d, _ in pairs]
    with grad_mode.enable_grad():
        u = zeros_like(tensor).requires_grad_()
        vjps = _grad([tensor], duals, [u], retain_graph=True, create_graph=True, allow_unused=True)
        used = [(g, t) for g, (_, t) in zip(vjps, pairs, strict=True) if g is not None and g.requires_grad]
        if not used:
            return UnpackedDualTensor(tensor.detach(), None)
        (jvp,) = _grad([g for g, _ in used], [u], [t for _, t in used], retain_graph=True, allow_unused=True)
    return UnpackedDualTensor(tensor.detach(), zeros_like(tensor) if jvp is None else jvp.detach())
