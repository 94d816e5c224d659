"""Matrix products: matmul in every shape case, mm, bmm, mv, dot, outer, addmm, baddbmm, einsum.

All of them reach one kernel family (ntorch.kernels.cpu.matmul): 2-d matmul_into and batched
bmm_into, through the dispatcher.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dispatch, dtypes
from ..kernels.cpu import matmul as K
from ..tensor import Tensor
from ._util import check_tensor, result_dtype

MATMUL_DTYPES = tuple(d for d in dtypes.ALL_DTYPES if d is not dtypes.bool)
dispatch.register("mm", "cpu", MATMUL_DTYPES, lambda dt: K.matmul_into)
dispatch.register("bmm", "cpu", MATMUL_DTYPES, lambda dt: K.bmm_into)


def _same_dtype(op: str, a: Tensor, b: Tensor) -> dtypes.dtype:
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{op}: expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != "
                           f"{b.dtype.name}")
    return a.dtype


def _compute_arrays(dt: dtypes.dtype, *arrays):
    """float16 computes in float32 (Numba has no CPU float16 arithmetic)."""
    if dt is dtypes.float16:
        return [a.astype(np.float32) for a in arrays], np.float32
    return list(arrays), dt.np


def _mm_arrays(op: str, a: np.ndarray, b: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    kernel = dispatch.lookup("mm", "cpu", dt)
    (a, b), np_dt = _compute_arrays(dt, a, b)
    out = np.empty((a.shape[0], b.shape[1]), np_dt)
    kernel(a, b, out)
    return out.astype(dt.np) if np_dt != dt.np else out


def _bmm_arrays(a: np.ndarray, b: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    kernel = dispatch.lookup("bmm", "cpu", dt)
    (a, b), np_dt = _compute_arrays(dt, a, b)
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), np_dt)
    kernel(a, b, out)
    return out.astype(dt.np) if np_dt != dt.np else out


def mm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "mm")
    check_tensor(mat2, "mm", "mat2")
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix, got {input.ndim}-D tensor")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    dt = _same_dtype("mm", input, mat2)
    res = Tensor._wrap(_mm_arrays("mm", input._data, mat2._data, dt))
    return _finish(res, out, "mm")


def _finish(res: Tensor, out: Tensor | None, op: str) -> Tensor:
    if out is None:
        return res
    from ._util import write_out

    return write_out(out, res._data, op)


def bmm(input: Tensor, mat2: Tensor, *, out: Tensor | None = None) -> Tensor:
    check_tensor(input, "bmm")
    if input.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor, got {input.ndim}-D")
    if mat2.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor, got {mat2.ndim}-D")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
                           f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    dt = _same_dtype("bmm", input, mat2)
    return _finish(Tensor._wrap(_bmm_arrays(input._data, mat2._data, dt)), out, "bmm")


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.matmul: dot, mv, vm, mm and broadcast batched matmul, by operand dims."""
    check_tensor(input, "matmul")
    check_tensor(other, "matmul", "other")
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and "
                           f"{b.ndim}D")
    dt = _same_dtype("matmul", input, other) if input.dtype is not other.dtype else input.dtype
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        if a.ndim == 1 and b.ndim == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] "
                               "to have the same number of elements, but got "
                               f"{a.shape[0]} and {b.shape[0]} elements respectively")
        sa = f"{math.prod(a.shape[:-1]) if a.ndim > 1 else 1}x{k_a}"
        sb = f"{k_b}x{b.shape[-1] if b.ndim > 1 else 1}"
        if a.ndim <= 2 and b.ndim <= 2:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{math.prod(b.shape[:-2]) if b.ndim > 2 else 1}, {k_a}] but got: "
                           f"[{math.prod(b.shape[:-2]) if b.ndim > 2 else 1}, {k_b}].")
    if a.ndim <= 2 and b.ndim <= 2:
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        res = _mm_arrays("matmul", a2, b2, dt)
        shape = a.shape[:-1] + b.shape[1:]
        return _finish(Tensor._wrap(res.reshape(shape)), out, "matmul")
    # batched: broadcast the batch dims, fold them into one
    a3 = a.reshape(1, -1) if a.ndim == 1 else a
    b3 = b.reshape(-1, 1) if b.ndim == 1 else b
    batch = np.broadcast_shapes(a3.shape[:-2], b3.shape[:-2])
    a_b = np.broadcast_to(a3, batch + a3.shape[-2:])
    b_b = np.broadcast_to(b3, batch + b3.shape[-2:])
    nb = math.prod(batch)
    res = _bmm_arrays(_fold(a_b, nb), _fold(b_b, nb), dt)
    shape = batch + ((a.shape[-2],) if a.ndim > 1 else ()) + ((b.shape[-1],) if b.ndim > 1 else ())
    return _finish(Tensor._wrap(res.reshape(shape)), out, "matmul")


def _fold(x: np.ndarray, nb: int) -> np.ndarray:
    """(batch..., m, n) -> (nb, m, n), as a view when the batch strides allow (stride 0 included)."""
    if x.ndim == 3:
        return x
    bs = x.strides[:-2]
    shp = x.shape[:-2]
    ok = all(bs[i] == bs[i + 1] * shp[i + 1] for i in range(len(shp) - 1)) or all(s == 0 for s in bs)
    if ok:
        return np.lib.stride_tricks.as_strided(x, (nb,) + x.shape[-2:], (bs[-1] if bs else 0,) + x.strides[-2:])
    return np.ascontiguousarray(x).reshape((nb,) + x.shape[-2:])


def mv(input: Tensor, vec: Tensor) -> Tensor:
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    return matmul(input, vec)


def dot(input: Tensor, other: Tensor) -> Tensor:
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype.name} and "
                           f"{other.dtype.name}")
    return matmul(input, other)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError("outer: expected 1D tensors")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    prod = mm(mat1, mat2)
    return _scale_add(input, prod, beta, alpha)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    prod = bmm(batch1, batch2)
    return _scale_add(input, prod, beta, alpha)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    return _scale_add(input, mv(mat, vec), beta, alpha)


def _scale_add(input: Tensor, prod: Tensor, beta, alpha) -> Tensor:
    """beta * input + alpha * prod, with torch's rule that beta == 0 ignores input (nan included)."""
    from .elementwise import apply

    if alpha != 1:
        prod = apply("mul", prod, alpha)
    if beta == 0:
        np.broadcast_shapes(input._data.shape, prod._data.shape)
        return prod
    scaled = input if beta == 1 else apply("mul", input, beta)
    return apply("add", scaled, prod)


def einsum(equation: str, *operands) -> Tensor:
    """torch.einsum for contractions: each pair is permuted and reshaped into one batched matmul."""
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise NotImplementedError("einsum: ellipsis ('...') is not supported by ntorch yet")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs = eq
        counts = {}
        for c in lhs.replace(",", ""):
            counts[c] = counts.get(c, 0) + 1
        rhs = "".join(sorted(c for c, n in counts.items() if n == 1))
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum(): {len(terms)} operand subscripts but {len(operands)} operands")
    sizes: dict = {}
    for term, op in zip(terms, operands):
        if len(term) != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(term)}) does not match "
                               f"the number of dimensions ({op.ndim}) for operand "
                               f"{terms.index(term)}")
        for c, n in zip(term, op.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes for subscript {c}: "
                                   f"{sizes[c]} vs {n}")
            sizes[c] = max(sizes[c], n)
    cur, cur_t = operands[0], terms[0]
    cur, cur_t = _reduce_unused(cur, cur_t, rhs + "".join(terms[1:]))
    for i in range(1, len(terms)):
        later = "".join(terms[i + 1:])
        op, term = _reduce_unused(operands[i], terms[i], rhs + cur_t + later)
        cur, cur_t = _contract(cur, cur_t, op, term, rhs + later, sizes)
    # final permutation / diagonal-free sum to rhs
    cur, cur_t = _reduce_unused(cur, cur_t, rhs)
    if sorted(cur_t) != sorted(rhs):
        raise RuntimeError(f"einsum(): output subscript {rhs} does not match")
    return cur.permute(*[cur_t.index(c) for c in rhs]) if cur_t else cur


def _reduce_unused(t: Tensor, term: str, keep: str):
    from .reduction import sum as rsum

    if len(set(term)) != len(term):
        raise NotImplementedError("einsum: repeated subscripts in one operand (diagonals) are not supported yet")
    drop = [i for i, c in enumerate(term) if c not in keep]
    if drop:
        t = rsum(t, tuple(drop))
        term = "".join(c for c in term if c in keep)
    return t, term


def _contract(a: Tensor, ta: str, b: Tensor, tb: str, rhs: str, sizes: dict):
    batch = [c for c in ta if c in tb and c in rhs]
    contract = [c for c in ta if c in tb and c not in rhs]
    only_a = [c for c in ta if c not in tb]
    only_b = [c for c in tb if c not in ta]
    pa = a.permute(*[ta.index(c) for c in batch + only_a + contract])
    pb = b.permute(*[tb.index(c) for c in batch + contract + only_b])
    nb = math.prod(sizes[c] for c in batch)
    m = math.prod(sizes[c] for c in only_a)
    k = math.prod(sizes[c] for c in contract)
    n = math.prod(sizes[c] for c in only_b)
    shape_a = [sizes[c] for c in batch + only_a + contract]
    shape_b = [sizes[c] for c in batch + contract + only_b]
    a3 = pa.expand(*shape_a).reshape(nb, m, k)
    b3 = pb.expand(*shape_b).reshape(nb, k, n)
    dt = result_dtype(a, b)
    res = bmm(a3.to(dt), b3.to(dt))
    out_t = "".join(batch + only_a + only_b)
    return res.reshape(*[sizes[c] for c in out_t]), out_t


FUNCTIONS = {
    "matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "outer": outer, "ger": ger,
    "addmm": addmm, "baddbmm": baddbmm, "addmv": addmv, "einsum": einsum,
}
