"""torch names that code written for torch calls but that have little to do with tensors' math: eager forms of
torch's control-flow operators (cond, while_loop), the sym_* helpers of symbolic shapes (plain Python numbers
here), from_file, conv_tbc, norm_except_dim, unfold_copy, and the functions torch removed in 1.9 (solve, lstsq,
eig, symeig), which raise torch's message pointing at their replacements."""

from __future__ import annotations

import builtins
import math
import os

import numpy as np

from .. import layouts
from ..tensor import Tensor
from ._util import takes_out


# -- control flow, eagerly ----------------------------------------------------------------------------------------
def cond(pred, true_fn, false_fn, operands: tuple | list = ()):
    """true_fn(*operands) if pred else false_fn(*operands); pred is a bool/number or a one-element tensor."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
        pred = bool(pred.item())
    elif not isinstance(pred, bool | int | float):
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    if not isinstance(operands, tuple | list):
        raise RuntimeError(f"Expect operands to be a tuple of possibly nested dict/list/tuple that only consists of "
                           f"tensor leaves, but got {operands}.")
    return true_fn(*operands) if pred else false_fn(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run body_fn on the carried values while cond_fn of them is true; returns the final values (a tuple)."""
    if not isinstance(carried_inputs, tuple | list):
        raise RuntimeError(f"carried_inputs must be a tuple or list, got {type(carried_inputs)}")
    values = tuple(carried_inputs)
    while True:
        keep = cond_fn(*values)
        if isinstance(keep, Tensor):
            if keep.numel() != 1:
                raise RuntimeError(f"cond_fn must return a boolean scalar tensor or a boolean but got {keep}")
            keep = bool(keep.item())
        if not keep:
            return values
        out = body_fn(*values)
        out = tuple(out) if isinstance(out, tuple | list) else (out,)
        if len(out) != len(values):
            raise RuntimeError(f"body_fn should return the same number of elements as carried_inputs, got "
                               f"{len(out)} and {len(values)}")
        values = out


# -- symbolic-shape helpers: Python numbers are their own concrete values ---------------------------------------
def sym_int(a) -> int:
    return int(math.trunc(a)) if isinstance(a, float) else int(a)


def sym_float(a) -> float:
    return float(a)


def sym_max(a, b):
    return builtins.max(a, b)


def sym_min(a, b):
    return builtins.min(a, b)


def sym_not(a) -> bool:
    return not a


def sym_ite(b, t, f):
    return t if b else f


def sym_sum(args):
    return builtins.sum(args)


def sym_sqrt(a) -> float:
    return math.sqrt(a)


def sym_fresh_size(expr):
    return expr


def sym_constrain_range(size, min=None, max=None) -> None:  # noqa: A002  (torch's keyword names)
    """Checks nothing eagerly beyond the bounds themselves, as torch outside tracing."""
    if min is not None and size < min or max is not None and size > max:
        raise RuntimeError(f"Invalid value range for {size} between [{min}, {max}].")


def sym_constrain_range_for_size(size, min=None, max=None) -> None:  # noqa: A002
    sym_constrain_range(size, min, max)


def is_vulkan_available() -> bool:
    return False


def is_distributed(input: Tensor) -> bool:
    return False


# -- small tensor functions ---------------------------------------------------------------------------------------
def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002
    """The pow-norm over every dim but `dim`, shaped to broadcast against v (dim=-1: the norm of all of v)."""
    from .. import linalg

    if dim == -1:
        return linalg.vector_norm(v, pow)
    dim = dim % v.dim()
    others = tuple(d for d in builtins.range(v.dim()) if d != dim)
    if not others:  # 1-D: every element is its own slice (an empty dim list would reduce everything)
        return linalg.vector_norm(v.unsqueeze(-1), pow, dim=-1)
    return linalg.vector_norm(v, pow, dim=others, keepdim=True)


@takes_out("unfold_copy")
def unfold_copy(input: Tensor, dimension: int, size: int, step: int) -> Tensor:
    return input.unfold(dimension, size, step).clone()


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """A 1-d convolution on (time, batch, channels) input with a (kernel, in, out) weight."""
    from ..nn.conv import conv1d

    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


def from_file(filename: str, shared: bool | None = None, size: int = 0, *, dtype=None, layout=None, device=None,
              pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """A CPU tensor of `size` elements over a memory-mapped file: shared=True writes changes to the file (which
    is created if needed), otherwise changes stay in memory (copy on write)."""
    from .creation import _dt, _finish

    layouts.check_factory_args("from_file", layout, pin_memory)
    dt = _dt(dtype)
    nbytes = size * dt.np.itemsize
    if shared:
        if not os.path.exists(filename) or os.path.getsize(filename) < nbytes:
            with open(filename, "ab") as f:
                f.truncate(nbytes)
        arr = np.memmap(filename, dtype=dt.np, mode="r+", shape=(size,)) if size else np.empty(0, dt.np)
    else:
        if os.path.getsize(filename) < nbytes:
            raise RuntimeError(f"unable to mmap {nbytes} bytes from file <{filename}>: Cannot allocate memory (12)")
        arr = np.memmap(filename, dtype=dt.np, mode="c", shape=(size,)) if size else np.empty(0, dt.np)
    return _finish(arr, requires_grad, device)


# -- removed in torch 1.9 -----------------------------------------------------------------------------------------
_REMOVED = "This function was deprecated since version 1.9 and is now removed. "
_SOLVE = (_REMOVED + "`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its "
          "arguments reversed and does not return the LU factorization.\n\nTo get the LU factorization see "
          "`torch.lu`, which can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, "
          "A).solution should be replaced with:\nX = torch.linalg.solve(A, B)")
_LSTSQ = (_REMOVED + "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
          "reversed arguments and does not return the QR decomposition in the returned tuple (although it returns "
          "other information about the problem).\n\nTo get the QR decomposition consider using `torch.linalg.qr`."
          "\n\nThe returned solution in `torch.lstsq` stored the residuals of the solution in the last m - n "
          "columns of the returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field "
          "'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as in\nX, _ = "
          "torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\nX = torch.linalg.lstsq(A, B).solution")
_EIG = (_REMOVED + "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
        "tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\nL_complex = "
        "torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
        "L_complex, V_complex = torch.linalg.eig(A)")
_SYMEIG = (_REMOVED + "The default behavior has changed from using the upper triangular portion of the matrix by "
           "default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be "
           "replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = "
           "torch.symeig(A, eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' if "
           "upper else 'L')")


def solve(input: Tensor, A: Tensor, *, out=None):
    raise RuntimeError(_SOLVE)


def lstsq(input: Tensor, A: Tensor, *, out=None):
    raise RuntimeError(_LSTSQ)


def _eig(self: Tensor, eigenvectors: bool = False):
    raise RuntimeError(_EIG)


def _symeig(self: Tensor, eigenvectors: bool = False, upper: bool = True):
    raise RuntimeError(_SYMEIG)


FUNCTIONS = {name: fn for name, fn in list(globals().items())
             if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", None) == __name__}
METHODS = {"solve": solve, "lstsq": lstsq, "eig": _eig, "symeig": _symeig}
