"""Matrix products: matmul in every shape case, mm, bmm, mv, dot, outer, addmm, baddbmm, einsum.

All of them reach one kernel family (ntorch.kernels.cpu.matmul): 2-d matmul_into and batched
bmm_into, through the dispatcher.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .. import _arrays, amp, dispatch, dtypes
from ..autograd import grad_mode
from ..autograd.graph import needs_graph, record
from ..cuda.array import CudaArray
from ..cuda.array import empty_checked as _cuda_empty
from ..kernels.cpu import matmul as K
from ..kernels.cpu.elementwise import to_half
from ..tensor import Tensor
from ._util import broadcast_shapes, check_tensor, takes_out
from .elementwise import TENSOR_TYPES

MATMUL_DTYPES = tuple(d for d in dtypes.REAL_DTYPES if d is not dtypes.bool)
dispatch.register("mm", "cpu", MATMUL_DTYPES, lambda dt: K.matmul_into)
dispatch.register("bmm", "cpu", MATMUL_DTYPES, lambda dt: K.bmm_into)


def _complex_product(op: str, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """A complex mm/bmm from four real products of the parts (strided float views, which the real kernels take):
    (ar + i ai)(br + i bi) = (ar br - ai bi) + i (ar bi + ai br)."""
    real = dispatch.lookup(op, "cpu", dtypes._FROM_NP[out.dtype].to_real())
    parts = []
    for x, y in ((a.real, b.real), (a.imag, b.imag), (a.real, b.imag), (a.imag, b.real)):
        p = np.empty(out.shape, out.real.dtype)
        real(x, y, p)
        parts.append(p)
    out.real = parts[0] - parts[1]
    out.imag = parts[2] + parts[3]


dispatch.register("mm", "cpu", dtypes.COMPLEX_DTYPES, lambda dt: functools.partial(_complex_product, "mm"))
dispatch.register("bmm", "cpu", dtypes.COMPLEX_DTYPES, lambda dt: functools.partial(_complex_product, "bmm"))
dispatch.register("mm", "cuda", MATMUL_DTYPES, dispatch.cuda_kernel("matmul", "matmul_into"), lazy=True)
dispatch.register("bmm", "cuda", MATMUL_DTYPES, dispatch.cuda_kernel("matmul", "bmm_into"), lazy=True)


def _cuda_complex_product(op: str, a: CudaArray, b: CudaArray, out: CudaArray, bias: CudaArray | None = None) -> None:
    """_complex_product on the GPU, on CudaArrays: four real products of the parts (strided real views, which the
    real kernels take), combined by two in-place real kernels and one complex one; a bias is added last."""
    rdt = dtypes._FROM_NP[out.dtype].to_real()
    real = dispatch.lookup(op, "cuda", rdt)
    parts = []
    for x, y in ((a.real, b.real), (a.imag, b.imag), (a.real, b.imag), (a.imag, b.real)):
        p = _cuda_empty(out.shape, rdt.np, out.device)
        real(x.device_array(), y.device_array(), p.device_array())
        parts.append(p)
    dispatch.lookup("sub", "cuda", rdt).inplace(parts[0].device_array(), parts[1].device_array())
    dispatch.lookup("add", "cuda", rdt).inplace(parts[2].device_array(), parts[3].device_array())
    dt = dtypes._FROM_NP[out.dtype]
    dispatch.lookup("make_complex", "cuda", dt)(out.device_array(), parts[0].device_array(), parts[2].device_array())
    if bias is not None:  # each element read, then written, by one thread
        add = dispatch.lookup("add", "cuda", dt)
        add(out.device_array(), out.device_array(), _arrays.broadcast_to(bias, out.shape).device_array())


dispatch.register("mm", "cuda", dtypes.COMPLEX_DTYPES, lambda dt: functools.partial(_cuda_complex_product, "mm"))
dispatch.register("bmm", "cuda", dtypes.COMPLEX_DTYPES, lambda dt: functools.partial(_cuda_complex_product, "bmm"))


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
           "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
           "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
_CPP = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
        "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
        "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _legacy(t: Tensor) -> str:
    return _LEGACY[t.dtype.name]


def _cpp(t: Tensor) -> str:
    return _CPP[t.dtype.name]


def _same_dtype(op: str, a: Tensor, b: Tensor) -> dtypes.dtype:
    """torch's dtype checks, with the message of the ATen op that matmul reaches."""
    if a.dtype is not b.dtype:
        if op == "bmm":
            raise RuntimeError(f"expected scalar type {_legacy(a)} but found {_legacy(b)}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp(a)} != {_cpp(b)}")
    return a.dtype


def _infer_batch(a: tuple, b: tuple) -> tuple:
    """torch's infer_size for two batch shapes, with its message."""
    ndim = max(len(a), len(b))
    pa = (1,) * (ndim - len(a)) + tuple(a)
    pb = (1,) * (ndim - len(b)) + tuple(b)
    out = []
    for d in range(ndim):
        x, y = pa[d], pb[d]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {d}")
        out.append(y if x == 1 else x)
    return tuple(out)


def _compute_arrays(dt: dtypes.dtype, *arrays):
    """float16 and bfloat16 compute in float32 (Numba has no CPU float16 arithmetic and no bfloat16 type)."""
    if dt in dtypes.HALF_DTYPES:
        return [a.astype(np.float32) for a in arrays], np.float32
    return list(arrays), dt.np


def _cuda_pair(op: str, a, b):
    """The CUDA array of a product with a CUDA operand (both must be on one device), or None for the CPU."""
    if type(a) is not CudaArray and type(b) is not CudaArray:
        return None
    if type(a) is not CudaArray or type(b) is not CudaArray or a.device != b.device:
        raise _arrays.mixed_devices(_arrays.device_name(a), _arrays.device_name(b))
    return a


def _cuda_product(op: str, a, b, out_shape: tuple, dt: dtypes.dtype, bias=None):
    """mm / bmm on the GPU: float16 is native there (accumulating in float32). mm takes an optional bias (a
    contiguous (N,) CudaArray of dt, K > 0) added by the kernel's epilogue: linear's forward."""
    out = _cuda_empty(out_shape, a.dtype, a.device)  # (a's dtype is dt's, a valid CUDA dtype)
    kernel = _CUDA_PRODUCTS.get((op, dt.np))
    if kernel is None:
        kernel = _CUDA_PRODUCTS[(op, dt.np)] = dispatch.lookup(op, "cuda", dt)
    if dt.is_complex:  # (works on the CudaArrays: the parts are views of them)
        kernel(a, b, out, bias)
    elif bias is None:
        kernel(a.device_array(), b.device_array(), out.device_array())
    else:
        kernel(a.device_array(), b.device_array(), out.device_array(), bias=bias.device_array())
    return out


_CUDA_PRODUCTS: dict = {}  # (op, NumPy dtype) -> the dispatcher's CUDA kernel (memo: an ntorch dtype hashes in Python)


def _mm_arrays(op: str, a: np.ndarray, b: np.ndarray, dt: dtypes.dtype, cuda_bias=None,
               round_out: bool = True) -> np.ndarray:
    """a @ b in dt (CPU float16/bfloat16: in float32, rounded once unless round_out is False)."""
    if _cuda_pair(op, a, b) is not None:
        return _cuda_product("mm", a, b, (a.shape[0], b.shape[1]), dt, cuda_bias)
    kernel = dispatch.lookup("mm", "cpu", dt)
    (a, b), np_dt = _compute_arrays(dt, a, b)
    m, n = a.shape[0], b.shape[1]
    if _transposed_is_cheaper(a, b):
        # a @ b = (b.T @ a.T).T: the kernel packs its B operand, and packing a.T (k x m) costs less than
        # transposing a column-major b (k x n), e.g. x @ W.t() in a linear layer with few rows
        out_t = np.empty((n, m), np_dt)
        kernel(b.T, a.T, out_t)
        out = np.ascontiguousarray(out_t.T)
    else:
        out = np.empty((m, n), np_dt)
        kernel(a, b, out)
    return to_half(out, dt.np) if np_dt != dt.np and round_out else out


def _transposed_is_cheaper(a: np.ndarray, b: np.ndarray) -> bool:
    """b column-major (its rows strided), a row-major, and a has clearly fewer rows than b has columns."""
    return (b.ndim == 2 and b.shape[0] > 1 and b.shape[1] > 1 and b.strides[0] < b.strides[1]
            and a.strides[-1] == a.itemsize and 2 * a.shape[0] <= b.shape[1] and a.shape[0] >= 8)


def _bmm_arrays(a: np.ndarray, b: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    if _cuda_pair("bmm", a, b) is not None:
        return _cuda_product("bmm", a, b, (a.shape[0], a.shape[1], b.shape[2]), dt)
    kernel = dispatch.lookup("bmm", "cpu", dt)
    (a, b), np_dt = _compute_arrays(dt, a, b)
    out = np.empty((a.shape[0], a.shape[1], b.shape[2]), np_dt)
    kernel(a, b, out)
    return to_half(out, dt.np) if np_dt != dt.np else out


_FAST_MM: dict = {}  # NumPy dtype -> the dispatcher's CPU mm kernel, for float32 and float64


def host_mm(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """a @ b for two host float32 or float64 matrices of one dtype whose shapes agree, exactly as _mm_arrays computes
    it; None when _mm_arrays would take another route (its transposed product, another dtype)."""
    kernel = _FAST_MM.get(a.dtype)
    if kernel is None:
        if a.dtype.kind != "f" or a.dtype.itemsize < 4:
            return None
        kernel = _FAST_MM[a.dtype] = dispatch.lookup("mm", "cpu", dtypes.from_numpy_dtype(a.dtype))
    if not (a.flags.c_contiguous and b.flags.c_contiguous) and _transposed_is_cheaper(a, b):
        return None
    out = np.empty((a.shape[0], b.shape[1]), a.dtype)
    kernel(a, b, out)
    return out


def _mm_fast(input, mat2):
    """The hot path of a small CPU product (a layer's forward at a small batch): two float32 or float64
    matrices of one dtype whose shapes agree. It skips the checks' branches and the product's layout choices,
    which cost as much as the multiply at 64x64. None when it does not apply."""
    if type(input) not in TENSOR_TYPES or type(mat2) not in TENSOR_TYPES:
        return None
    a, b = input._data, mat2._data
    if type(a) is CudaArray and type(b) is CudaArray:
        return _mm_fast_cuda(input, mat2, a, b)
    if type(a) is not np.ndarray or type(b) is not np.ndarray or a.ndim != 2 or b.ndim != 2 \
            or a.dtype != b.dtype or a.shape[1] != b.shape[0]:
        return None
    out = host_mm(a, b)
    if out is None:
        return None
    res = Tensor._wrap_result(out, None)  # (a fresh C-order array: _wrap's checks pass)
    if (input._requires_grad or mat2._requires_grad) and grad_mode.STATE.enabled:  # (needs_graph, inlined)
        record("MmBackward0", _mm_backward, (input, mat2), (res,), (input, mat2))
    return res


def _mm_fast_cuda(input, mat2, a: CudaArray, b: CudaArray):
    """_mm_fast's twin on one CUDA device: mm's checks all pass, so mm's own route (_cuda_product) without them."""
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.shape[1] != b.shape[0] or a.device != b.device:
        return None
    res = Tensor._wrap(_cuda_product("mm", a, b, (a.shape[0], b.shape[1]), dtypes._FROM_NP[a.dtype]))
    if needs_graph(input, mat2):
        record("MmBackward0", _mm_backward, (input, mat2), (res,), (input, mat2))
    return res


def _out_dtype_call(op: str, out_dtype, fn, *args, out=None, **kwargs) -> Tensor:
    """torch's out_dtype on mm/bmm/addmm/baddbmm: a CUDA-only overload (torch's CPU build has no kernel for it)
    taking the inputs' dtype, or float32 for float16/bfloat16 inputs (computed in float32)."""
    dt = dtypes.as_dtype(out_dtype)
    if not _arrays.is_cuda(args[0]._data):
        overload = "dtype_out" if out is not None else "dtype"
        raise NotImplementedError(f"Could not run 'aten::{op}.{overload}' with arguments from the 'CPU' backend. "
                                  "This could be because the operator doesn't exist for this backend, or was omitted "
                                  "during the selective/custom build process (if using custom build).")
    if dt is not args[0].dtype:
        if dt is not dtypes.float32 or args[0].dtype not in dtypes.HALF_DTYPES:
            raise RuntimeError("out_dtype must be the same as input dtype or fp32 for fp16/bf16 inputs")
        args = tuple(a.float() for a in args)
    return fn(*args, out=out, **kwargs)


def mm(input: Tensor, mat2: Tensor, *, out_dtype=None, out: Tensor | None = None) -> Tensor:
    if out_dtype is not None:
        return _out_dtype_call("mm", out_dtype, mm, input, mat2, out=out)
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, mat2 = amp.lower_precision(input, mat2)
    if out is None:
        res = _mm_fast(input, mat2)
        if res is not None:
            return res
    check_tensor(input, "mm")
    check_tensor(mat2, "mm", "mat2")
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    dt = _same_dtype("mm", input, mat2)
    res = Tensor._wrap(_mm_arrays("mm", input._data, mat2._data, dt))
    if out is None and needs_graph(input, mat2):
        record("MmBackward0", _mm_backward, (input, mat2), (res,), (input, mat2))
    return _finish(res, out, "mm")


def _cj(t: Tensor) -> Tensor:
    """The conjugate of a complex tensor (a product's gradient takes the other factor's adjoint), else t."""
    if not t.is_complex():
        return t
    from .complex import conj

    return conj(t)


def _mm_backward(c, g):
    a, b = c.saved_tensors
    return (mm(g, _cj(b).t()) if c.needs_input_grad[0] else None,
            mm(_cj(a).t(), g) if c.needs_input_grad[1] else None)


def _finish(res: Tensor, out: Tensor | None, op: str) -> Tensor:
    if out is None:
        return res
    from ._util import write_out

    return write_out(out, res._data, op)


def _check_bmm(input: Tensor, mat2: Tensor) -> None:
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
                           f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")


def bmm(input: Tensor, mat2: Tensor, *, out_dtype=None, out: Tensor | None = None) -> Tensor:
    if out_dtype is not None:
        return _out_dtype_call("bmm", out_dtype, bmm, input, mat2, out=out)
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, mat2 = amp.lower_precision(input, mat2)
    check_tensor(input, "bmm")
    check_tensor(mat2, "bmm", "mat2")
    _check_bmm(input, mat2)
    dt = _same_dtype("bmm", input, mat2)
    res = Tensor._wrap(_bmm_arrays(input._data, mat2._data, dt))
    if out is None and needs_graph(input, mat2):
        record("BmmBackward0", _bmm_backward, (input, mat2), (res,), (input, mat2))
    return _finish(res, out, "bmm")


def _bmm_backward(c, g):
    a, b = c.saved_tensors
    return (bmm(g, _cj(b).transpose(1, 2)) if c.needs_input_grad[0] else None,
            bmm(_cj(a).transpose(1, 2), g) if c.needs_input_grad[1] else None)


def _mv_arrays(a: np.ndarray, v: np.ndarray, dt: dtypes.dtype) -> np.ndarray:
    return _mm_arrays("mv", a, v.reshape(-1, 1), dt).reshape(a.shape[0])


def matmul(input: Tensor, other: Tensor, *, out: Tensor | None = None) -> Tensor:
    """torch.matmul: dot, mv, vm, mm, folded (batch @ matrix or vector) and broadcast batched matmul, with the
    error messages of the op torch reaches in each case."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, other = amp.lower_precision(input, other)
    if out is None:
        res = _mm_fast(input, other)
        if res is not None:
            return res
    check_tensor(input, "matmul")
    check_tensor(other, "matmul", "other")
    da, db = input.ndim, other.ndim
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {da}D and {db}D")
    if da == 1 and db == 1:
        return _finish(dot(input, other), out, "matmul")
    if da == 2 and db == 1:
        return _finish(mv(input, other), out, "matmul")
    if da == 1 and db == 2:
        return _finish(mm(input.reshape(1, input.shape[0]), other).reshape(other.shape[1]), out, "matmul")
    if da == 2 and db == 2:
        return mm(input, other, out=out)
    a, b = input._data, other._data
    if da >= 3 and db <= 2:
        # torch folds the batch dims of input into its rows and calls mm / mv
        rows = math.prod(a.shape[:-1])
        folded = input.reshape(rows, a.shape[-1])
        if db == 1:
            res = mv(folded, other).reshape(a.shape[:-1])
        else:
            res = mm(folded, other).reshape(a.shape[:-1] + (b.shape[1],))
        return _finish(res, out, "matmul")
    # batched: broadcast the batch dims, fold them into one, bmm
    a3 = a.reshape(1, -1) if da == 1 else a
    b3 = b.reshape(-1, 1) if db == 1 else b
    batch = _infer_batch(a3.shape[:-2], b3.shape[:-2])
    nb = math.prod(batch)
    if a3.shape[-1] != b3.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{nb}, {a3.shape[-1]}] "
                           f"but got: [{nb}, {b3.shape[-2]}].")
    dt = _same_dtype("bmm", input, other)
    a_b = _arrays.broadcast_to(a3, batch + a3.shape[-2:])
    b_b = _arrays.broadcast_to(b3, batch + b3.shape[-2:])
    res = _bmm_arrays(_fold(a_b, nb), _fold(b_b, nb), dt)
    shape = batch + ((a.shape[-2],) if da > 1 else ()) + ((b.shape[-1],) if db > 1 else ())
    res = Tensor._wrap(res.reshape(shape))
    if out is None and needs_graph(input, other):
        record("UnsafeViewBackward0", _matmul_backward, (input, other), (res,), (input, other))
    return _finish(res, out, "matmul")


def _matmul_backward(c, g):
    """Batched matmul with broadcasting: 1-d operands become (1, k) / (k, 1) matrices, and each gradient is
    summed over the batch dims its operand was broadcast along."""
    from .elementwise import sum_to

    a, b = c.saved_tensors
    a2 = a.unsqueeze(0) if a.ndim == 1 else a
    b2 = b.unsqueeze(-1) if b.ndim == 1 else b
    g2 = g.unsqueeze(-2) if a.ndim == 1 else g
    g2 = g2.unsqueeze(-1) if b.ndim == 1 else g2
    ga = gb = None
    if c.needs_input_grad[0]:
        ga = sum_to(matmul(g2, _cj(b2).mT), tuple(a2.shape), a.dtype).reshape(tuple(a.shape))
    if c.needs_input_grad[1]:
        gb = sum_to(matmul(_cj(a2).mT, g2), tuple(b2.shape), b.dtype).reshape(tuple(b.shape))
    return ga, gb


def _fold(x: np.ndarray, nb: int) -> np.ndarray:
    """(batch..., m, n) -> (nb, m, n), as a view when the batch strides allow (stride 0 included)."""
    if x.ndim == 3:
        return x
    bs = x.strides[:-2]
    shp = x.shape[:-2]
    ok = all(bs[i] == bs[i + 1] * shp[i + 1] for i in range(len(shp) - 1)) or all(s == 0 for s in bs)
    if ok:
        return _arrays.as_strided(x, (nb,) + x.shape[-2:], (bs[-1] if bs else 0,) + x.strides[-2:])
    return _arrays.ascontiguous(x).reshape((nb,) + x.shape[-2:])


@takes_out("mv")
def mv(input: Tensor, vec: Tensor) -> Tensor:
    check_tensor(input, "mv")
    check_tensor(vec, "mv", "vec")
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x{input.shape[1]}), "
                           f"vec ({vec.shape[0]})")
    if input.dtype is not vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_legacy(vec)}, {_legacy(input)}, "
                           f"and {_legacy(vec)}")
    res = Tensor._wrap(_mv_arrays(input._data, vec._data, input.dtype))
    if needs_graph(input, vec):
        record("MvBackward0", _mv_backward, (input, vec), (res,), (input, vec))
    return res


def _mv_backward(c, g):
    a, v = c.saved_tensors
    return (g.unsqueeze(1) * _cj(v).unsqueeze(0) if c.needs_input_grad[0] else None,
            mv(_cj(a).t(), g) if c.needs_input_grad[1] else None)


@takes_out("dot", "result dtype {Got} does not match input dtype {Want}")
def dot(input: Tensor, tensor: Tensor) -> Tensor:
    other = tensor  # torch's keyword name
    check_tensor(input, "dot")
    check_tensor(other, "dot", "tensor")
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_legacy(input)} and "
                           f"{_legacy(other)}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{other.shape[0]}] "
                           "to have the same number of elements, but got "
                           f"{input.shape[0]} and {other.shape[0]} elements respectively")
    res = Tensor._wrap(_mm_arrays("dot", input._data.reshape(1, -1), other._data.reshape(-1, 1),
                                  input.dtype).reshape(()))
    if needs_graph(input, other):
        record("DotBackward0", lambda c, g: (g * _cj(c.saved_tensors[1]), g * _cj(c.saved_tensors[0])), (input, other),
               (res,), (input, other))
    return res


@takes_out("outer", None)
def outer(input: Tensor, vec2: Tensor) -> Tensor:
    check_tensor(input, "outer")
    check_tensor(vec2, "outer", "vec2")
    if input.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument self, but got {input.ndim}-D")
    if vec2.ndim != 1:
        raise RuntimeError(f"outer: Expected 1-D argument vec2, but got {vec2.ndim}-D")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


ger = outer


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1, out_dtype=None,
          out: Tensor | None = None) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2); input broadcasts to the product's shape."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, mat1, mat2 = amp.lower_precision(input, mat1, mat2)
    if out_dtype is not None:
        return _out_dtype_call("addmm", out_dtype, addmm, input, mat1, mat2, out=out, beta=beta, alpha=alpha)
    return _addmm(input, mat1, mat2, beta=beta, alpha=alpha, out=out)


@takes_out("addmm")
def _addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    for t, name in ((input, "input"), (mat1, "mat1"), (mat2, "mat2")):
        check_tensor(t, "addmm", name)
    if mat1.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {mat1.ndim}-D tensor")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {mat2.ndim}-D tensor")
    if mat1.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({mat1.shape[0]}x{mat1.shape[1]} and "
                           f"{mat2.shape[0]}x{mat2.shape[1]})")
    if input.dtype is not mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(input)} and {_legacy(mat2)}")
    if mat1.dtype is not mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_legacy(mat1)} and {_legacy(mat2)}")
    shape = (mat1.shape[0], mat2.shape[1])
    if not needs_graph(input, mat1, mat2):
        return _scale_add(input, shape, lambda wide: mm(mat1.float(), mat2.float()) if wide else mm(mat1, mat2),
                          beta, alpha)
    from ..autograd import grad_mode

    with grad_mode.no_grad():  # one node, torch's AddmmBackward0, rather than the pieces' nodes
        res = _scale_add(input, shape, lambda wide: mm(mat1.float(), mat2.float()) if wide else mm(mat1, mat2),
                         beta, alpha)
    node = record("AddmmBackward0", _addmm_backward, (input, mat1, mat2), (res,), (mat1, mat2))
    node.alpha, node.beta, node.input_meta = alpha, beta, (tuple(input.shape), input.dtype)
    return res


def _addmm_backward(c, g):
    """beta * input + alpha * mat1 @ mat2: input gets beta * g summed to its shape, the factors mm's gradients times
    alpha (conjugated scalars for complex tensors, as torch)."""
    from .elementwise import sum_to

    mat1, mat2 = c.saved_tensors
    alpha, beta = c.alpha, c.beta
    alpha, beta = (v.conjugate() if isinstance(v, complex) else v for v in (alpha, beta))
    gi = None
    if c.needs_input_grad[0]:
        gi = sum_to(g if beta == 1 else g * beta, *c.input_meta)
    ga = mm(g, _cj(mat2).t()) if c.needs_input_grad[1] else None
    gb = mm(_cj(mat1).t(), g) if c.needs_input_grad[2] else None
    if alpha != 1:
        ga = None if ga is None else ga * alpha
        gb = None if gb is None else gb * alpha
    return gi, ga, gb


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1, out_dtype=None,
            out: Tensor | None = None) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2); input broadcasts to the product's shape."""
    if amp.STATE.active:  # autocast: torch's lower-precision op list
        input, batch1, batch2 = amp.lower_precision(input, batch1, batch2)
    if out_dtype is not None:
        return _out_dtype_call("baddbmm", out_dtype, baddbmm, input, batch1, batch2, out=out, beta=beta, alpha=alpha)
    return _baddbmm(input, batch1, batch2, beta=beta, alpha=alpha, out=out)


@takes_out("baddbmm")
def _baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    for t, name in ((input, "input"), (batch1, "batch1"), (batch2, "batch2")):
        check_tensor(t, "baddbmm", name)
    _check_bmm(batch1, batch2)
    if input.dtype is not batch1.dtype or input.dtype is not batch2.dtype:
        if input.dtype is batch1.dtype:
            raise RuntimeError(f"expected scalar type {_legacy(batch1)} but found {_legacy(batch2)}")
        raise RuntimeError(f"Input dtypes must be the same, got: input {_cpp(input)}, batch1: {_cpp(batch1)}, "
                           f"batch2: {_cpp(batch2)}")
    shape = (batch1.shape[0], batch1.shape[1], batch2.shape[2])
    return _scale_add(input, shape, lambda wide: bmm(batch1.float(), batch2.float()) if wide else bmm(batch1, batch2),
                      beta, alpha)


@takes_out("addmv")
def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat @ vec); input broadcasts to the product's shape."""
    for t, name in ((input, "input"), (mat, "mat"), (vec, "vec")):
        check_tensor(t, "addmv", name)
    if mat.ndim != 2 or vec.ndim != 1 or input.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {mat.ndim}, {vec.ndim}")
    if mat.shape[1] != vec.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input.shape[0] if input.ndim else 1}), mat "
                           f"({mat.shape[0]}x{mat.shape[1]}), vec ({vec.shape[0]})")
    if input.dtype is not mat.dtype or mat.dtype is not vec.dtype:
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_legacy(input)}, {_legacy(mat)}, "
                           f"and {_legacy(vec)}")
    return _scale_add(input, (mat.shape[0],), lambda wide: mv(mat.float(), vec.float()) if wide else mv(mat, vec),
                      beta, alpha)


def _scale_add(input: Tensor, shape: tuple, product, beta, alpha) -> Tensor:
    """beta * input + alpha * product() as torch's BLAS-style kernels compute it: input is expanded to the
    product's shape (torch's expand errors), beta == 0 ignores input (nan and inf included), alpha == 0
    ignores the product, and for integer tensors beta and alpha are truncated to integers first. product(wide)
    gives the product in float32 when wide: CPU float16/bfloat16 round alpha * product + beta * input once, as
    torch's kernels (float32 accumulation) do."""
    from .elementwise import apply
    from .shape import expand

    wide = input.dtype in dtypes.HALF_DTYPES and not _arrays.is_cuda(input._data)
    inp = expand(input, shape)
    if wide:
        inp = inp.float()
    if not input.dtype.is_floating_point and not input.dtype.is_complex:  # (complex kept its scalars: was truncated)
        beta, alpha = int(beta), int(alpha)
    if alpha == 0:
        res = Tensor._wrap(np.zeros(shape, input.dtype.np))
    else:
        res = product(wide)
        if alpha != 1:
            res = apply("mul", res, alpha)
    if beta == 0:
        return res.to(input.dtype)
    scaled = inp if beta == 1 else apply("mul", inp, beta)
    return apply("add", scaled, res).to(input.dtype)


def _einsum_parse(equation: str, operands) -> tuple[list[str], str]:
    """Terms (one label per dim, ellipses expanded to private labels) and the output labels, with torch's
    errors for bad subscripts, operand counts and dimension counts."""
    arrow = equation.find("->")
    lhs_end = arrow if arrow >= 0 else len(equation)
    for i, c in enumerate(equation):
        if c.isspace() or (c.isascii() and c.isalpha()):
            continue
        if c == "," and i < lhs_end:
            continue
        if c == "." or (arrow >= 0 and i in (arrow, arrow + 1)):
            continue
        raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the equation string, subscripts must "
                           "be in [a-zA-Z]")
    eq = "".join(equation.split())
    lhs, rhs = (eq.split("->", 1) + [None])[:2] if "->" in eq else (eq, None)
    terms = lhs.split(",")
    if len(terms) > len(operands):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    for t in (*terms, rhs or ""):
        if t.replace("...", "").count(".") or t.count("...") > 1:
            raise RuntimeError("einsum(): found '.' for operand that is not part of any ellipsis")
    ell = [0] * len(terms)
    for k, (term, op) in enumerate(zip(terms, operands)):
        check_tensor(op, "einsum", f"operand {k}")
        n = len(term.replace("...", ""))
        if "..." in term:
            if n > op.ndim:
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) is more than the number "
                                   f"of dimensions ({op.ndim}) for operand {k}")
            ell[k] = op.ndim - n
        elif n != op.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not match the number "
                               f"of dimensions ({op.ndim}) for operand {k} and no ellipsis was given")
    n_ell = max(ell, default=0)
    ell_labels = "".join(chr(0x3B1 + i) for i in range(n_ell))  # private labels (not in [a-zA-Z])
    terms = [t.replace("...", ell_labels[n_ell - e:]) for t, e in zip(terms, ell)]
    if rhs is None:
        counts: dict = {}
        for c in "".join(terms):
            counts[c] = counts.get(c, 0) + 1
        rhs = ell_labels + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell_labels))
    else:
        rhs = rhs.replace("...", ell_labels)
        seen = set()
        for c in rhs:
            if c in seen:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if not any(c in t for t in terms):
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
            seen.add(c)
    return terms, rhs


def _diagonal(t: Tensor, term: str, k: int):
    """Take the diagonal of every label repeated within one operand (a view, as torch)."""
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        pos = [i for i, x in enumerate(term) if x == c]
        sizes = {t.shape[i] for i in pos}
        if len(sizes) > 1:
            raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                               f"{t.shape[pos[0]]} != {t.shape[pos[1]]}")
        keep = [i for i in range(len(term)) if i not in pos[1:]]
        t = _diagonal_view(t, pos, keep)
        term = "".join(term[i] for i in keep)
    return t, term


def _diagonal_view(t: Tensor, pos: list, keep: list) -> Tensor:
    """The view of t where the dims in `pos` move together (one diagonal), keeping the dims in `keep`."""
    from .shape import as_strided_view

    stride = t.stride()
    shape = [t.shape[i] for i in keep]
    strides = [sum(stride[j] for j in pos) if i == pos[0] else stride[i] for i in keep]
    res = as_strided_view(t, shape, strides)
    if needs_graph(t):
        node = record("DiagonalBackward0", _diagonal_backward, (t,), (res,))
        node.shape, node.pos, node.keep = tuple(t.shape), pos, keep
    return res


def _diagonal_backward(c, g):
    """g added into the same diagonal of zeros (not itself recorded: no double backward through einsum
    diagonals yet)."""
    grad = g.new_zeros(c.shape)
    view = _diagonal_view(grad, c.pos, c.keep)
    view._data[...] += g._data
    return grad


# (equation, operands' ndims) -> _einsum_parse's answer: it depends on nothing else, and a key is stored only after
# every check passed (operands that are not tensors have no ndim: None, never stored)
_PARSED: dict = {}


def _sublist_letters(sub) -> str:
    out = ""
    for v in sub:
        if v is Ellipsis:
            out += "..."
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 52:
            out += chr(ord("a") + v) if v < 26 else chr(ord("A") + v - 26)
        else:
            raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")
    return out


def _sublist_equation(args: tuple) -> tuple[str, tuple]:
    """torch's einsum(op0, [0, 1], op1, [1, 2], [0, 2]) as the equation 'ab,bc->ac' and the operands."""
    n = len(args) // 2
    eq = ",".join(_sublist_letters(args[2 * i + 1]) for i in range(n))
    if len(args) % 2:
        eq += "->" + _sublist_letters(args[-1])
    return eq, tuple(args[2 * i] for i in range(n))


def einsum(equation: str, *operands) -> Tensor:
    """torch.einsum: subscripts in [a-zA-Z], '...' (broadcast), repeated subscripts (diagonals), implicit and
    explicit output. Operands are contracted left to right, each pair as one batched matmul (both must then
    have the same dtype, as torch's bmm requires), or as a broadcast product when nothing is summed."""
    if type(equation) is not str:  # torch's sublist form: einsum(op0, sublist0, op1, sublist1, ..., [out])
        equation, operands = _sublist_equation((equation, *operands))
    if len(operands) == 1 and isinstance(operands[0], list | tuple):
        operands = tuple(operands[0])
    if len(operands) == 2 and isinstance(operands[0], Tensor) and isinstance(operands[1], Tensor):
        pair_key = (equation, operands[0]._data.shape, operands[1]._data.shape)
        plan = _PAIR_PLANS.get(pair_key) if type(equation) is str else None
        if plan is not None:
            return _run_pair(*operands, *plan)
    key = (equation, *(op._data.ndim if isinstance(op, Tensor) else None for op in operands))
    parsed = _PARSED.get(key) if type(equation) is str else None
    if parsed is None:
        parsed = _einsum_parse(equation, operands)
        if len(_PARSED) > 1024:
            _PARSED.clear()
        _PARSED[key] = parsed
    terms, rhs = parsed
    if len(operands) == 2:
        plan = _pair_plan(terms, rhs, operands[0]._data.shape, operands[1]._data.shape)
        if plan is not None:
            if len(_PAIR_PLANS) > 1024:
                _PAIR_PLANS.clear()
            _PAIR_PLANS[pair_key] = plan
    ops = []
    for k, (term, op) in enumerate(zip(terms, operands)):
        ops.append(_diagonal(op, term, k))
    sizes: dict = {}
    for k, (op, term) in enumerate(ops):
        for c, n in zip(term, op.shape):
            prev = sizes.setdefault(c, n)
            if prev != n and n != 1 and prev != 1:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {prev}")
            if prev == 1:
                sizes[c] = n
    terms = [term for _, term in ops]
    cur, cur_t = _reduce_unused(ops[0][0], terms[0], rhs + "".join(terms[1:]))
    for i in range(1, len(ops)):
        later = "".join(terms[i + 1:])
        op, term = _reduce_unused(ops[i][0], terms[i], rhs + cur_t + later)
        cur, cur_t = _contract(cur, cur_t, op, term, rhs + later, sizes)
    cur, cur_t = _reduce_unused(cur, cur_t, rhs)
    # a label of size 1 in every operand but broadcast nowhere keeps its size; expand the rest to the output
    cur = cur.permute(*[cur_t.index(c) for c in rhs]) if cur_t else cur  # (a new view even when in order)
    out_shape = tuple(sizes[c] for c in rhs)
    return cur if tuple(cur.shape) == out_shape else cur.expand(*out_shape)


def _reduce_unused(t: Tensor, term: str, keep: str):
    """Sum the labels of t that no later operand and not the output use."""
    from .reduction import sum as rsum

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
    if not contract:
        # nothing summed: a broadcast elementwise product (promotes dtypes, as torch's mul)
        from .elementwise import apply

        out_t = "".join(batch + only_a + only_b)
        pa = a.permute(*[ta.index(c) for c in batch + only_a]).reshape(
            *[a.shape[ta.index(c)] for c in batch + only_a], *([1] * len(only_b)))
        pb = b.permute(*[tb.index(c) for c in batch + only_b])
        pb = pb.reshape(*[b.shape[tb.index(c)] for c in batch], *([1] * len(only_a)),
                        *[b.shape[tb.index(c)] for c in only_b])
        return apply("mul", pa, pb), out_t
    _same_dtype("bmm", a, b)
    pa = _permuted(a, [ta.index(c) for c in batch + only_a + contract])
    pb = _permuted(b, [tb.index(c) for c in batch + contract + only_b])
    nb = math.prod(sizes[c] for c in batch)
    m = math.prod(sizes[c] for c in only_a)
    k = math.prod(sizes[c] for c in contract)
    n = math.prod(sizes[c] for c in only_b)
    a3 = _expanded(pa, [sizes[c] for c in batch + only_a + contract]).reshape(nb, m, k)
    b3 = _expanded(pb, [sizes[c] for c in batch + contract + only_b]).reshape(nb, k, n)
    res = bmm(a3, b3)
    out_t = "".join(batch + only_a + only_b)
    return res.reshape(*[sizes[c] for c in out_t]), out_t


# (equation, both shapes) -> _pair_plan's answer for a parsed pair (so a stored key passed the equation's checks)
_PAIR_PLANS: dict = {}


def _pair_plan(terms: list, rhs: str, sa: tuple, sb: tuple):
    """The steps einsum takes for two operands with no repeated label in a term, sizes that agree (no size-1
    broadcast), nothing summed alone and something contracted: the permutations, expanded sizes and reshapes of
    _contract and the output permutation, so that a repeated call takes the same ops without the bookkeeping.
    None for any other pair."""
    ta, tb = terms
    if len(set(ta)) != len(ta) or len(set(tb)) != len(tb):
        return None
    sizes: dict = {}
    for term, shape in ((ta, sa), (tb, sb)):
        for c, n in zip(term, shape):
            if sizes.setdefault(c, n) != n:
                return None
    if any(c not in rhs + tb for c in ta) or any(c not in rhs + ta for c in tb):
        return None  # (_reduce_unused would sum)
    batch = [c for c in ta if c in tb and c in rhs]
    contract = [c for c in ta if c in tb and c not in rhs]
    only_a = [c for c in ta if c not in tb]
    only_b = [c for c in tb if c not in ta]
    out_t = batch + only_a + only_b
    if not contract or any(c not in rhs for c in out_t):
        return None
    nb = math.prod(sizes[c] for c in batch)
    m = math.prod(sizes[c] for c in only_a)
    k = math.prod(sizes[c] for c in contract)
    n = math.prod(sizes[c] for c in only_b)
    return ([ta.index(c) for c in batch + only_a + contract], [tb.index(c) for c in batch + contract + only_b],
            [sizes[c] for c in batch + only_a + contract], [sizes[c] for c in batch + contract + only_b],
            (nb, m, k), (nb, k, n), [sizes[c] for c in out_t], [out_t.index(c) for c in rhs])


def _run_pair(a: Tensor, b: Tensor, perm_a, perm_b, sizes_a, sizes_b, shape_a, shape_b, out_sizes, perm_out):
    """einsum's ops for a planned pair (see _pair_plan), as _contract and einsum take them. With no graph to
    record, the same steps on the host arrays (the views, copies and bmm kernel the ops would make), without the
    intermediate tensors' cost; the result is still a view of the product, as the ops leave it."""
    dt = _same_dtype("bmm", a, b)
    da, db = a._data, b._data
    if type(da) is np.ndarray and type(db) is np.ndarray and not (a._requires_grad or b._requires_grad) \
            and not amp.STATE.active:
        # (the plan's sizes are the operands' own: the expands are no-ops; reshape copies only where no view fits)
        res = Tensor._wrap(_bmm_arrays(da.transpose(perm_a).reshape(shape_a), db.transpose(perm_b).reshape(shape_b),
                                       dt))
        arr = res._data.reshape(out_sizes)
        return res._view_of(arr.transpose(perm_out) if perm_out else arr)
    a3 = _expanded(_permuted(a, perm_a), sizes_a).reshape(*shape_a)
    b3 = _expanded(_permuted(b, perm_b), sizes_b).reshape(*shape_b)
    res = bmm(a3, b3).reshape(*out_sizes)
    return res.permute(*perm_out) if perm_out else res


def _permuted(t: Tensor, dims: list) -> Tensor:
    """t.permute(*dims), or t itself when dims keep the order (the same values, one view fewer)."""
    return t if dims == list(range(len(dims))) else t.permute(*dims)


def _expanded(t: Tensor, sizes: list) -> Tensor:
    """t.expand(*sizes), or t itself when it has that shape already."""
    return t if t._data.shape == tuple(sizes) else t.expand(*sizes)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode=None) -> Tensor:
    """p-norm distances between the rows of x1 (..., P, M) and of x2 (..., R, M) -> (..., P, R), batch dims
    broadcast. Computed as the norm of every difference (torch may use a matmul for p=2 on large inputs; this is
    exact, and its gradient at zero distance is 0 as torch's)."""
    from .reduction import norm

    for name, x in (("X1", x1), ("X2", x2)):
        if x.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {x.ndim}D")
        if not x.dtype.is_floating_point:
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{dtypes.torch_name(x.dtype)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: "
                           f"{x2.shape[-1]}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    rows1, rows2, cols = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    use_mm = p == 2 and (compute_mode == "use_mm_for_euclid_dist" or (
        compute_mode in (None, "use_mm_for_euclid_dist_if_necessary") and (rows1 > 25 or rows2 > 25)))
    if rows1 and rows2 and cols:  # torch's checks live in its kernels, which empty inputs never reach
        if use_mm and x1.dtype is not x2.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_cpp(x1)} != {_cpp(x2)}")
        if not use_mm and x1.dtype is dtypes.float16:
            raise NotImplementedError("\"cdist\" not implemented for 'Half'")
        if not use_mm and x1.dtype is not x2.dtype:
            raise RuntimeError(f"expected scalar type {_legacy(x1)} but found {_legacy(x2)}")
    res = norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, dim=-1)
    return res if res.dtype is x1.dtype else res.to(x1.dtype)  # empty inputs: torch's result has x1's dtype


# ---- products built from the ops above (autograd and CUDA come with them) ----

def _legacy_dtype_check(a: Tensor, b: Tensor) -> None:
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(a)} but found {_legacy(b)}")


def _cross(op: str, input: Tensor, other: Tensor, dim: int) -> Tensor:
    """c_i = a_(i+1) b_(i+2) - a_(i+2) b_(i+1) along dim (indices mod 3), with a and b broadcast."""
    from .elementwise import apply
    from .rearrange import roll

    nd = input.ndim
    d = dim % nd if -nd <= dim < nd else dim
    if not 0 <= d < nd:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"{op}: inputs dimension {dim} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")
    _legacy_dtype_check(input, other)
    shape = broadcast_shapes(tuple(input.shape), tuple(other.shape))
    a, b = input.expand(*shape), other.expand(*shape)
    a1, a2, b1, b2 = roll(a, -1, d), roll(a, -2, d), roll(b, -1, d), roll(b, -2, d)
    return apply("sub", apply("mul", a1, b2), apply("mul", a2, b1))


def _cross_ndim(input: Tensor, other: Tensor) -> None:
    check_tensor(input, "cross")
    check_tensor(other, "cross", "other")
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")


@takes_out("cross")
def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """torch.cross: dim None means the first dim of size 3 (torch's deprecated default; linalg.cross uses -1)."""
    _cross_ndim(input, other)
    if dim is None:
        shape = broadcast_shapes(tuple(input.shape), tuple(other.shape))
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross("linalg.cross", input, other, dim)


def linalg_cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:
    """torch.linalg.cross: the cross product of 3-vectors along dim (default the last)."""
    _cross_ndim(input, other)
    return _cross("linalg.cross", input, other, dim)


@takes_out("vdot", "result dtype {Got} does not match input dtype {Want}")
def vdot(input: Tensor, other: Tensor) -> Tensor:
    """torch.vdot: the dot product of two 1-D tensors, the first conjugated (complex dtypes)."""
    check_tensor(input, "vdot")
    check_tensor(other, "vdot", "other")
    if input.is_complex() and input.dtype is other.dtype:
        from .complex import conj

        input = conj(input)
    return dot(input, other)  # (dot's shape and dtype checks raise the messages torch's vdot raises)


@takes_out("inner", "tensordot: Expected the output tensor to have dtype {Want}, but got an output tensor with "
                    "dtype {Got}")
def inner(input: Tensor, other: Tensor) -> Tensor:
    """torch.inner: contracts the last dims (a 0-d operand multiplies)."""
    from .elementwise import apply

    check_tensor(input, "inner")
    check_tensor(other, "inner", "other")
    if input.ndim == 0 or other.ndim == 0:
        return apply("mul", input, other)
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([input.ndim - 1], [other.ndim - 1]))


def tensordot(a: Tensor, b: Tensor, dims=2, out: Tensor | None = None) -> Tensor:
    """torch.tensordot: contract the last `dims` dims of a with the first of b, or the paired dim lists
    ([dims of a], [dims of b]); one matmul of the permuted, reshaped operands."""
    check_tensor(a, "tensordot")
    check_tensor(b, "tensordot", "other")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    da = [d % a.ndim if a.ndim else d for d in da]
    db = [d % b.ndim if b.ndim else d for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[x]} in dim {x} and "
                               f"second has size {b.shape[y]} in dim {y}")
    free_a = [d for d in range(a.ndim) if d not in da]
    free_b = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    sa = [a.shape[d] for d in free_a]
    sb = [b.shape[d] for d in free_b]
    a2 = a.permute(*free_a, *da).reshape(math.prod(sa), k)
    b2 = b.permute(*db, *free_b).reshape(k, math.prod(sb))
    return _finish(mm(a2, b2).reshape(*sa, *sb), out, "tensordot")


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """torch.linalg.vecdot: sum(x.conj() * y, dim) with x and y broadcast (the FIRST argument conjugated for
    complex dtypes, as torch)."""
    from .elementwise import apply
    from .reduction import sum as rsum

    check_tensor(x, "linalg.vecdot", "x")
    check_tensor(y, "linalg.vecdot", "y")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{_legacy(x)} and y of type {_legacy(y)} instead")
    if x.ndim == 1 and y.ndim == 1 and x.shape[0] != y.shape[0]:
        n, m = x.shape[0], y.shape[0]
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{n}] and src [{m}] to have the same number "
                           f"of elements, but got {n} and {m} elements respectively")
    if x.dtype.is_complex:
        x = x.conj()
    return rsum(apply("mul", x, y), dim)


def multi_dot(tensors, *, out: Tensor | None = None) -> Tensor:
    """torch.linalg.multi_dot: the first operand may be 1-D (a row), the last 1-D (a column), the rest 2-D;
    multiplied in the order that costs fewest multiplications (the classic chain DP)."""
    ts = list(tensors)
    n = len(ts)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(ts):
        check_tensor(t, "multi_dot", f"tensor {i}")
    if ts[0].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {ts[0].ndim}D")
    if ts[-1].ndim not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {ts[-1].ndim}D")
    for i in range(1, n - 1):
        if ts[i].ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {ts[i].ndim}D")
    for i in range(1, n):
        if ts[i].dtype is not ts[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_cpp(ts[0])} and tensor {i} {_cpp(ts[i])}")
    first_1d, last_1d = ts[0].ndim == 1, ts[-1].ndim == 1
    mats = list(ts)
    if first_1d:
        mats[0] = ts[0].unsqueeze(0)
    if last_1d:
        mats[-1] = ts[-1].unsqueeze(1)
    for i in range(n - 1):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(ts[i].shape)} and "
                               f"{list(ts[i + 1].shape)} cannot be multiplied")
    res = _chain(mats)
    if first_1d and last_1d:
        res = res.reshape(())
    elif first_1d:
        res = res.squeeze(0)
    elif last_1d:
        res = res.squeeze(1)
    return _finish(res, out, "multi_dot")


def _chain(mats: list) -> Tensor:
    """The product of 2-D matrices in the cheapest parenthesisation."""
    n = len(mats)
    if n <= 2:
        return mats[0] if n == 1 else mm(mats[0], mats[1])
    p = [m.shape[0] for m in mats] + [mats[-1].shape[1]]
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = math.inf
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1]
                if c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def build(i, j):
        if i == j:
            return mats[i]
        k = split[i][j]
        return mm(build(i, k), build(k + 1, j))

    return build(0, n - 1)


def chain_matmul(*matrices, out: Tensor | None = None) -> Tensor:
    """torch.chain_matmul (deprecated in torch): multi_dot of 2-D matrices."""
    if len(matrices) == 1 and isinstance(matrices[0], list | tuple):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for m in matrices:
        check_tensor(m, "chain_matmul")
        if m.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {m.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        return _finish(matrices[0].clone(), out, "chain_matmul")
    return multi_dot(matrices, out=out)


def addr(input: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1, out: Tensor | None = None) -> Tensor:
    """beta * input + alpha * outer(vec1, vec2); input broadcasts to the product's shape."""
    for t, name in ((input, "input"), (vec1, "vec1"), (vec2, "vec2")):
        check_tensor(t, "addr", name)
    for t, name in ((vec1, "vec1"), (vec2, "vec2")):
        if t.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {t.ndim}-D")
    if input.dtype is not vec1.dtype or vec1.dtype is not vec2.dtype:
        raise RuntimeError(f"expected scalar type {_legacy(input)} but found "
                           f"{_legacy(vec1 if vec1.dtype is not input.dtype else vec2)}")
    shape = (vec1.shape[0], vec2.shape[0])
    return _finish(_scale_add(input, shape, lambda wide: outer(vec1.float(), vec2.float()) if wide
                              else outer(vec1, vec2), beta, alpha), out, "addr")


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1, out: Tensor | None = None) -> Tensor:
    """beta * input + alpha * sum_b batch1[b] @ batch2[b] (one mm of the batch folded into the inner dim)."""
    for t, name in ((input, "input"), (batch1, "batch1"), (batch2, "batch2")):
        check_tensor(t, "addbmm", name)
    if batch1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if batch2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {batch1.shape[0]} and "
                           f"{batch2.shape[0]}")
    if batch1.shape[2] != batch2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({batch1.shape[1]}x{batch1.shape[2]} and "
                           f"{batch2.shape[1]}x{batch2.shape[2]})")
    if input.dtype is not batch1.dtype or batch1.dtype is not batch2.dtype:
        other = batch1 if batch1.dtype is not input.dtype else batch2
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_legacy(input)} and {_legacy(other)}")
    nb, m, k = batch1.shape
    n = batch2.shape[2]

    def product(wide: bool):
        a = batch1.permute(1, 0, 2).reshape(m, nb * k)
        b = batch2.reshape(nb * k, n)
        return mm(a.float(), b.float()) if wide else mm(a, b)

    return _finish(_scale_add(input, (m, n), product, beta, alpha), out, "addbmm")


def matrix_power(A: Tensor, n: int, *, out: Tensor | None = None) -> Tensor:
    """torch.linalg.matrix_power: repeated squaring (n < 0: of the inverse; n = 0: the identity)."""
    from .creation import eye

    check_tensor(A, "linalg.matrix_power", "A")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not isinstance(n, int) or isinstance(n, bool):
        raise TypeError(f"matrix_power(): argument 'n' must be int, not {type(n).__name__}")
    if n == 0:
        res = eye(A.shape[-1], dtype=A.dtype, device=A.device).expand(*A.shape).clone()
        return _finish(res, out, "matrix_power")
    if n < 0:
        from .decomp import inv

        A, n = inv(A), -n
    result = None
    base = A
    while True:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if not n:
            break
        base = matmul(base, base)
    return _finish(result if result is not A else A.clone(), out, "matrix_power")


FUNCTIONS = {
    "cdist": cdist,
    "matmul": matmul, "mm": mm, "bmm": bmm, "mv": mv, "dot": dot, "outer": outer, "ger": ger,
    "addmm": addmm, "baddbmm": baddbmm, "addmv": addmv, "einsum": einsum,
    "cross": cross, "vdot": vdot, "inner": inner, "tensordot": tensordot, "chain_matmul": chain_matmul,
    "addr": addr, "addbmm": addbmm, "matrix_power": matrix_power,
}

from .decomp import FUNCTIONS as _DECOMP  # noqa: E402  (decomp imports this module's products)

FUNCTIONS.update(_DECOMP)
