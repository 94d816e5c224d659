"""Small torch.* names that complete the namespace: constants, deprecated aliases torch still ships (range,
frobenius_norm, lu, ...), the unsafe_* split aliases, igamma, and the process-wide settings torch exposes as
functions (deterministic algorithms, float32 matmul precision, warn-always, interop threads). The function forms
of Tensor methods (conj, real, adjoint, angle, ...) are bound in tensor_methods.py.
"""

from __future__ import annotations

import builtins
import math
import warnings

from .. import dtypes
from ..devices import get_default_device, set_default_device  # noqa: F401  (bound as torch.* names)
from ..tensor import Tensor
from ._util import takes_out

e = math.e
pi = math.pi
inf = math.inf
nan = math.nan
newaxis = None


def _check(x, name: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not {type(x).__name__}")
    return x


def detach(input: Tensor) -> Tensor:
    return _check(input, "detach").detach()


# --- aliases torch keeps ---
def igamma(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    from .. import special

    return special.gammainc(input, other, out=out) if out is not None else special.gammainc(input, other)


def igammac(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    from .. import special

    return special.gammaincc(input, other, out=out) if out is not None else special.gammaincc(input, other)


@takes_out("nonzero_static", "nonzero_static: Expected out tensor to have scalar type {Want} but got scalar type{Got}")
def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    return _check(input, "nonzero_static").nonzero_static(size=size, fill_value=fill_value)


def unsafe_chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    return input.chunk(chunks, dim)


def unsafe_split(tensor: Tensor, split_size, dim: int = 0) -> tuple[Tensor, ...]:
    return tensor.split(split_size, dim)


def unsafe_split_with_sizes(input: Tensor, split_sizes, dim: int = 0) -> tuple[Tensor, ...]:
    return input.split(list(split_sizes), dim)


def range(start=0, end=None, step=1, *, out: Tensor | None = None, dtype=None, layout=None, device=None,  # noqa: A001
          pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """torch.range (deprecated): [start, end] with the end included, floor((end - start) / step) + 1 values, in the
    default float dtype unless told otherwise."""
    from .. import layouts
    from . import creation

    layouts.check_factory_args("range", layout, pin_memory)
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    n = int(math.floor((end - start) / step)) + 1
    dt = dtypes.get_default_dtype() if dtype is None else dtype
    if out is not None:
        return creation.into_out("range", out, dtype, lambda dt, d: _range_values(start, step, n, dt, d), requires_grad)
    return _range_values(start, step, n, dt, device).requires_grad_(requires_grad)


def _range_values(start, step, n: int, dt, device) -> Tensor:
    from . import creation

    idx = creation.arange(n, dtype=dtypes.float64, device=device)
    return (idx * step + start).to(dt)


@takes_out("frobenius_norm")
def frobenius_norm(input: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """Deprecated in torch: linalg.vector_norm(input, 2, dim, keepdim)."""
    from .. import linalg

    return linalg.vector_norm(input, 2, dim, keepdim)


@takes_out("nuclear_norm", "linalg.matrix_norm expected out tensor dtype {Want} but got: {Got}")
def nuclear_norm(input: Tensor, dim=(-2, -1), keepdim: bool = False) -> Tensor:
    """Deprecated in torch: linalg.matrix_norm(input, 'nuc', dim, keepdim)."""
    from .. import linalg

    return linalg.matrix_norm(input, "nuc", dim, keepdim)


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False):
    """torch.lu (deprecated): linalg.lu_factor, or lu_factor_ex with get_infos."""
    from .. import linalg

    if get_infos:
        return linalg.lu_factor_ex(A, pivot=pivot)
    return linalg.lu_factor(A, pivot=pivot)


@takes_out("lu_solve")
def lu_solve(b: Tensor, LU_data: Tensor, LU_pivots: Tensor) -> Tensor:
    """torch.lu_solve(b, LU, pivots) = linalg.lu_solve(LU, pivots, b)."""
    from .. import linalg

    return linalg.lu_solve(LU_data, LU_pivots, b)


@takes_out("lu_unpack")
def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True):
    """(P, L, U) from lu_factor's packed result: L unit lower (m, k), U upper (k, n), P the permutation that
    the 1-based row swaps of LU_pivots make, so that A = P @ L @ U. Skipped parts are empty tensors."""
    from .. import empty, eye, tril, triu

    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    like = dict(dtype=LU_data.dtype, device=LU_data.device)
    if unpack_data:
        L = tril(LU_data[..., :, :k], -1) + eye(m, k, **like)
        U = triu(LU_data[..., :k, :])
    else:
        L = U = empty(0, **like)
    if not unpack_pivots:
        return empty(0, **like), L, U
    if LU_pivots.dtype not in (dtypes.int32, dtypes.int64):
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype")
    piv = LU_pivots.cpu().numpy().reshape(-1, LU_pivots.shape[-1]) - 1
    batch = tuple(LU_data.shape[:-2])
    import numpy as np

    perms = np.empty((piv.shape[0], m, m), LU_data.dtype.np)
    for b, swaps in enumerate(piv):
        order = np.arange(m)
        for i, j in enumerate(swaps):
            order[i], order[j] = order[j], order[i]
        perms[b] = np.eye(m, dtype=perms.dtype)[:, order]
    from .creation import tensor

    return tensor(perms.reshape(*batch, m, m), device=LU_data.device), L, U


def _removed(name: str, instead: str):
    def fn(*args, **kwargs):
        raise RuntimeError(f"This function was deprecated since version 1.9 and is now removed. Please use the "
                           f"`{instead}` function instead.")

    fn.__name__ = name
    fn.__qualname__ = name
    return fn


matrix_rank = _removed("matrix_rank", "torch.linalg.matrix_rank")
symeig = _removed("symeig", "torch.linalg.eigh")
eig = _removed("eig", "torch.linalg.eig")


# --- type names ---
def typename(obj) -> str:
    """Tensor.type() for a tensor, else the object's module.qualname (the builtins' bare name)."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    name = type(obj).__qualname__
    return name if module in ("builtins", None) else f"{module}.{name}"


def is_storage(obj) -> bool:
    return False  # ntorch exposes no storage objects


def get_device(input: Tensor) -> int:
    """-1 for a CPU tensor, else its CUDA index."""
    d = _check(input, "get_device").device
    return -1 if d.type == "cpu" else d.index


def compiled_with_cxx11_abi() -> bool:
    return True


# --- process-wide settings torch exposes as functions ---
_SETTINGS = {"deterministic": False, "deterministic_warn_only": False, "matmul_precision": "highest",
             "warn_always": False, "interop_threads": 1}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Recorded for the getters; every ntorch kernel is already deterministic (reductions have a fixed order,
    scatter-add on CUDA is the exception torch also flags)."""
    _SETTINGS["deterministic"], _SETTINGS["deterministic_warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _SETTINGS["deterministic"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _SETTINGS["deterministic_warn_only"]


def set_deterministic_debug_mode(debug_mode) -> None:
    modes = {"default": 0, "warn": 1, "error": 2}
    if isinstance(debug_mode, str):
        if debug_mode not in modes:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = modes[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    if not _SETTINGS["deterministic"]:
        return 0
    return 1 if _SETTINGS["deterministic_warn_only"] else 2


def set_float32_matmul_precision(precision: str) -> None:
    """Recorded only: ntorch's float32 matmul always computes in float32 ("highest")."""
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision value: {precision}")
    _SETTINGS["matmul_precision"] = precision


def get_float32_matmul_precision() -> str:
    return _SETTINGS["matmul_precision"]


def set_warn_always(b: bool) -> None:
    _SETTINGS["warn_always"] = bool(b)


def is_warn_always_enabled() -> bool:
    return _SETTINGS["warn_always"]


def set_num_interop_threads(num: int) -> None:
    if not isinstance(num, int) or num <= 0:
        raise RuntimeError("Number of threads must be positive")
    _SETTINGS["interop_threads"] = num


def get_num_interop_threads() -> int:
    return _SETTINGS["interop_threads"]


def set_flush_denormal(mode: bool) -> bool:
    """False: ntorch does not change the FPU's denormal mode (torch returns False where unsupported too)."""
    return False


# -- randomized low-rank SVD and PCA (Halko, Martinsson & Tropp 2009, algorithms 4.4 and 5.1) -----------------

def _range_basis(A: Tensor, q: int, niter: int) -> Tensor:
    """Q with q orthonormal columns whose span approximates A's range: a Gaussian sketch, then niter rounds of
    subspace iteration with a QR after every product (keeps the basis well conditioned)."""
    from .. import linalg
    from .. import random as rnd

    dtype = A.dtype if A.dtype.is_floating_point else dtypes.get_default_dtype()
    Q = linalg.qr(A.matmul(rnd.randn(A.shape[-1], q, dtype=dtype, device=A.device))).Q
    for _ in builtins.range(niter):  # (this module's `range` is torch.range)
        Q = linalg.qr(A.mT.matmul(Q)).Q
        Q = linalg.qr(A.matmul(Q)).Q
    return Q


def _svd_of_range(A: Tensor, q: int, niter: int) -> tuple[Tensor, Tensor, Tensor]:
    from .. import linalg

    wide = A.shape[-2] < A.shape[-1]
    if wide:  # work with the tall one: the sketch then has the smaller side's columns
        A = A.mT
    Q = _range_basis(A, q, niter)
    U, S, Vh = linalg.svd(Q.mT.matmul(A), full_matrices=False)
    U, V = Q.matmul(U), Vh.mT
    return (V, S, U) if wide else (U, S, V)


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2,
                M: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """(U, S, V) with A - M ~ U diag(S) V^T from a rank-q randomized sketch (a different random stream from
    torch's, so the same seed gives other, equally valid, factors)."""
    if M is not None:
        A = A - M.broadcast_to(A.shape)
    return _svd_of_range(A, 6 if q is None else q, 2 if niter is None else niter)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True,
                niter: int = 2) -> tuple[Tensor, Tensor, Tensor]:
    """svd_lowrank of A with its column means removed (center=True): V holds the principal directions."""
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if center:
        A = A - A.mean(dim=(-2,), keepdim=True)
    return _svd_of_range(A, q, niter)


FUNCTIONS = {name: fn for name, fn in list(globals().items())
             if callable(fn) and not name.startswith("_") and getattr(fn, "__module__", None) == __name__}
FUNCTIONS.update(e=e, pi=pi, inf=inf, nan=nan, newaxis=newaxis, set_default_device=set_default_device,
                 get_default_device=get_default_device)
