"""A few small torch names: view_as_real_copy / view_as_complex_copy (the view ops' copying forms),
embedding_renorm_ (embedding's max_norm step on its own), init_num_threads and get_device_module."""

from __future__ import annotations

import types

import numpy as np

from .. import dtypes
from ..autograd.graph import needs_graph
from ..tensor import Tensor
from .complex import view_as_complex, view_as_real


def view_as_real_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.view_as_real_copy: view_as_real's result as a new contiguous tensor (differentiable)."""
    res = view_as_real(input).clone()
    return res if out is None else out.resize_(res.shape).copy_(res)


def view_as_complex_copy(input: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.view_as_complex_copy: view_as_complex's result as a new contiguous tensor; as torch, it has no
    derivative (a complex output of this copy op)."""
    if needs_graph(input):
        raise RuntimeError("view_as_complex_copy does not support automatic differentiation for outputs with complex "
                           "dtype.")
    res = view_as_complex(input).clone()
    return res if out is None else out.resize_(res.shape).copy_(res)


def embedding_renorm_(input: Tensor, indices: Tensor, max_norm: float, norm_type: float) -> Tensor:
    """torch.embedding_renorm_: each row of input named in indices whose norm_type-norm exceeds max_norm is
    scaled in place to max_norm / (norm + 1e-7) of itself (once per distinct index); returns input."""
    from ..autograd.grad_mode import no_grad
    from .pointwise import where

    if input.ndim != 2:  # torch's checks, in its order
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {input.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for embedding_renorm_)")
    if not isinstance(indices, Tensor) or indices.dtype not in (dtypes.int64, dtypes.int32):
        got = indices.type().replace("ntorch.", "torch.") if isinstance(indices, Tensor) else type(indices).__name__
        raise RuntimeError("Expected tensor for argument #2 'indices' to have one of the following scalar types: Long, "
                           f"Int; but got {got} instead (while checking arguments for embedding_renorm_)")
    if input.is_leaf and input.requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    rows = input.shape[0]
    used = np.unique(indices.cpu().numpy().reshape(-1).astype(np.int64))
    bad = used[(used < -rows) | (used >= rows)]
    if bad.size:
        raise IndexError(f"select(): index {int(bad[0])} out of range for tensor of size {list(input.shape)} at "
                         "dimension 0")
    if not used.size:
        return input
    with no_grad():
        idx = Tensor._wrap(np.unique(used % rows)).to(input.device)
        picked = input.index_select(0, idx)
        norms = picked.norm(norm_type, 1, keepdim=True)
        scale = where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        input.index_copy_(0, idx, picked * scale)
    return input


def init_num_threads() -> None:
    """torch.init_num_threads: initialise the intra-op thread pool of the calling thread (Numba's pool needs
    nothing): a no-op returning None."""


def get_device_module(device=None) -> types.ModuleType:
    """torch.get_device_module: ntorch.cpu or ntorch.cuda for a device (or its string); None gives the
    current accelerator's module (ntorch.cuda when a GPU is available) or ntorch.cpu."""
    import ntorch

    from ..devices import device as Device

    if isinstance(device, Device):
        kind = device.type
    elif isinstance(device, str):
        kind = Device(device).type
    elif device is None:
        kind = "cuda" if ntorch.cuda.is_available() else "cpu"
    else:
        raise RuntimeError(f"Invalid value of device '{device}', expect torch.device, str, or None")
    return getattr(ntorch, kind)


FUNCTIONS = {"view_as_real_copy": view_as_real_copy, "view_as_complex_copy": view_as_complex_copy,
             "embedding_renorm_": embedding_renorm_, "init_num_threads": init_num_threads,
             "get_device_module": get_device_module}
