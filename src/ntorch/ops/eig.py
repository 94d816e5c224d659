"""torch.linalg.eig / eigvals: eigenvalues and eigenvectors of general square matrices (LAPACK geev's semantics).

The CPU kernels of ntorch.kernels.cpu.linalg (eig_real: balancing, Hessenberg reduction and Francis
double-shift QR; eig_complex: the complex single-shift version) run on float64 / complex128 copies; results
are always complex (float32 -> complex64, float64 -> complex128), rounded once. On CUDA the same per-matrix code
runs one thread per matrix (ntorch.kernels.cuda.linalg_extra), the input's scaling and non-finite handling in the
kernel; only the small `info` array comes back to the host. The backward is torch's linalg_eig_backward, written in
ntorch ops (a complex solve through its real 2n x 2n form), on either device."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..autograd.graph import needs_graph, record
from ..kernels.cpu import linalg as K
from ..tensor import Tensor
from .decomp import LinAlgError, _host, _int_zeros, _legacy, _phase_check, _return_type, _to_host, _work, _wrap

eig_result = _return_type("linalg_eig", ["eigenvalues", "eigenvectors"])

_COMPLEX_OF = {"float32": dtypes.complex64, "float64": dtypes.complex128, "complex64": dtypes.complex64,
               "complex128": dtypes.complex128}


def _checks(A: Tensor, op: str) -> None:
    """torch's checks, in its order: the dtype first (integers fail when torch looks up their complex type)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not {type(A).__name__}")
    if not A.dtype.is_floating_point and not A.dtype.is_complex:
        raise RuntimeError(f"Unknown Complex ScalarType for {_legacy(A)}")
    if A.ndim < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if A.dtype.name not in _COMPLEX_OF:
        raise NotImplementedError(f"\"linalg_eig_out_{A.device.type}\" not implemented for '{_legacy(A)}'")


_NON_FINITE = "torch.linalg.eig: input tensor should not contain infs or NaNs."


def _eig(A: Tensor, op: str, vectors: bool):
    """(eigenvalues (*, n), eigenvectors (*, n, n) or None) of A as tensors of its complex dtype; a matrix with a
    non-finite entry gets NaN (eigvals' behaviour: geev's output on such input; eig raises before)."""
    ct = _COMPLEX_OF[A.dtype.name]
    batch, n = tuple(A.shape[:-2]), A.shape[-1]
    w, v, info = (_eig_cuda if A.is_cuda else _eig_cpu)(A, vectors)
    if vectors and (info == -1).any():  # (the CUDA kernel's report; the CPU path checks before)
        raise RuntimeError(_NON_FINITE)
    bad = np.flatnonzero(info > 0)
    if bad.size:  # LAPACK's info > 0: the QR iteration failed
        b = int(bad[0])
        prefix = f"(Batch element {b}): " if A.ndim > 2 else ""
        raise LinAlgError(f"{op}: {prefix}The algorithm failed to converge because the input matrix is "
                          f"ill-conditioned or has too many repeated eigenvalues (error code: {int(info[b])}).")
    return _wrap(w, batch + (n,), ct), (_wrap(v, batch + (n, n), ct) if vectors else None)


def _eig_cuda(A: Tensor, vectors: bool):
    """(w (B, n), v (B, n, n) or (B, 0, 0), complex128 device arrays; info on the host (-1: a non-finite matrix))."""
    from .decomp_extra import _cuda_kernel

    a = _host(A, "linalg.eig")
    nb, n, _ = a.shape
    z = np.complex128
    w, v, info = _work((nb, n), a, z), _work((nb, n, n) if vectors else (nb, 0, 0), a, z), _int_zeros((nb,), a)
    if n:
        if A.is_complex():
            _cuda_kernel("eig_complex")(a, w, v, _work((nb, n, n), a, z), _work((nb, 2, n), a),
                                        _work((nb, 5, n), a, z), info, vectors)
        else:
            vv = (nb, n, n) if vectors else (nb, 0, 0)
            _cuda_kernel("eig_real")(a, w, v, _work(vv, a), _work(vv, a), _work((nb, n), a), _work((nb, n), a),
                                     _work((nb, 3, n, n), a), _work((nb, 5, max(n, 3)), a), info, vectors)
    return w, v, (_to_host(info) if nb and n else np.zeros(nb, np.int32))


def _eig_cpu(A: Tensor, vectors: bool):
    """(w (B, n), v (B, n, n) or None) as complex128 NumPy arrays, and info."""
    n = A.shape[-1]
    nb = int(np.prod(A.shape[:-2], dtype=np.int64))
    cplx = A.dtype.is_complex
    a = np.array(A._data.reshape((nb, n, n)), dtype=np.complex128 if cplx else np.float64, order="C", copy=True)
    finite = np.isfinite(a).all(axis=(1, 2)) if a.size else np.ones(nb, bool)
    a[~finite] = 0.0
    # as geev: a matrix with entries out of [1e-100, 1e100] is scaled first (by a power of two: exact), so that
    # no intermediate square overflows or underflows; the eigenvalues scale back, the eigenvectors need not
    big = np.abs(a).max(axis=(1, 2)) if a.size else np.zeros(nb)
    exps = np.where((big > 1e100) | ((big < 1e-100) & (big > 0)), np.frexp(big)[1], 0)
    if exps.any():
        a *= np.ldexp(1.0, -exps)[:, None, None]
    info = np.zeros(nb, np.int64)
    w = np.zeros((nb, n), np.complex128)
    v = np.zeros((nb, n, n), np.complex128) if vectors else None
    if nb and n:
        if cplx:
            K.eig_complex(a, v if vectors else np.zeros((nb, 0, 0), np.complex128), w, info, vectors)
        else:
            vr = np.zeros((nb, n, n)) if vectors else np.zeros((nb, 0, 0))
            vi = np.zeros_like(vr)
            wr, wi = np.zeros((nb, n)), np.zeros((nb, n))
            K.eig_real(a, vr, vi, wr, wi, info, vectors)
            w = wr + 1j * wi
            if vectors:
                v = vr + 1j * vi
    if exps.any():
        w = w * np.ldexp(1.0, exps)[:, None]
    w[~finite] = np.nan
    if vectors:
        v[~finite] = np.nan
    return w, v, info


def eig(A: Tensor, *, out=None):
    """torch.linalg.eig: (eigenvalues, eigenvectors), complex; the eigenvectors are columns of unit 2-norm with
    their largest-magnitude component real (geev's normalisation; a real input's complex-conjugate eigenvalues
    come in adjacent pairs, positive imaginary part first, with conjugate eigenvectors)."""
    op = "linalg.eig"
    _checks(A, op)
    if not A.is_cuda and A.numel() and not bool(np.isfinite(A._data).all()):  # (CUDA: the kernel reports it)
        raise RuntimeError(_NON_FINITE)
    L, V = _eig(A, op, True)
    if needs_graph(A):
        backward = _eig_backward_complex if A.dtype.is_complex else _eig_backward_real
        record("LinalgEigBackward0", backward, (A,), (L, V), (L, V))
    if out is not None:
        return eig_result(_write_out(out[0], L, "eigenvalues", op), _write_out(out[1], V, "eigenvectors", op))
    return eig_result(L, V)


def _write_out(o: Tensor, res: Tensor, name: str, op: str) -> Tensor:
    """out= as torch: res copied into o (resized) when res's dtype casts safely to o's."""
    if not dtypes.can_cast(res.dtype, o.dtype):
        raise RuntimeError(f"torch.{op}: Expected {name} to be safely castable from {_legacy(res)} dtype, but got "
                           f"{name} with dtype {_legacy(o)}")
    return o.resize_(res.shape).copy_(res)


def eigvals(A: Tensor, *, out=None) -> Tensor:
    """torch.linalg.eigvals: eig's eigenvalues (through eig, and its backward, when A requires grad; without
    it a matrix with a non-finite entry gives NaN eigenvalues, as torch's)."""
    op = "linalg.eigvals"
    _checks(A, op)
    L = eig(A).eigenvalues if needs_graph(A) else _eig(A, op, False)[0]
    return L if out is None else _write_out(out, L, "eigenvalues", op)


def _csolve(M: Tensor, B: Tensor) -> Tensor:
    """M^-1 B for complex M (*, n, n) and B (*, n, k) through the real system [[Mr, -Mi], [Mi, Mr]]."""
    from ..linalg import solve
    from .complex import complex as make_complex
    from .joins import cat

    n = M.shape[-1]
    Mr, Mi = M.real, M.imag
    big = cat([cat([Mr, -Mi], -1), cat([Mi, Mr], -1)], -2)
    x = solve(big, cat([B.real, B.imag], -2))
    return make_complex(x[..., :n, :], x[..., n:, :])


def _eig_backward(c, gL, gV) -> Tensor:
    """torch's linalg_eig_backward: with VhgV = V^H gV (its diagonal's imaginary part must vanish: else the
    loss depends on the eigenvectors' arbitrary phases and torch raises), gA = V^-H (diag(gL) +
    (VhgV - V^H V Re(diag VhgV)) / conj(L_j - L_i) off the diagonal) V^H; the real part for a real input."""
    from .creation import eye as make_eye
    from .rearrange import diag_embed

    L, V = c.saved_tensors
    n = L.shape[-1]
    Vh = V.mH
    VhgV = Vh.matmul(gV)
    d = VhgV.diagonal(0, -2, -1)
    _phase_check(d.imag, "linalg_eig_backward: The eigenvectors in the complex case are specified up to "  # torch:
                 "multiplication by e^{i phi}. The specified loss function depends on this quantity, so it is "
                 "ill-defined.")  # allclose(imag, 0, 1e-2, 1e-2)
    VhgV = VhgV - Vh.matmul(V * d.real.unsqueeze(-2))
    Lc = L.conj()
    eye = make_eye(n, dtype=dtypes.bool, device=L.device)
    E = Lc.unsqueeze(-2) - Lc.unsqueeze(-1)  # E[i, j] = conj(L_j - L_i)
    E = E.masked_fill(eye, 1.0)
    off = (VhgV / E).masked_fill(eye, 0.0)
    return _csolve(Vh, (off + diag_embed(gL)).matmul(Vh))


def _eig_backward_complex(c, gL, gV):
    return (_eig_backward(c, gL, gV),)


def _eig_backward_real(c, gL, gV):
    """A real input's gradient is the real part (torch's handle_r_to_c)."""
    return (_eig_backward(c, gL, gV).real,)


FUNCTIONS: dict = {}
LINALG = {"eig": eig, "eigvals": eigvals}
