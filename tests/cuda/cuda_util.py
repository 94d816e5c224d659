"""Helpers of the CUDA kernel tests: device copies of host arrays in several memory layouts."""

from __future__ import annotations

import os

import numpy as np

import ntorch as nt

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def _gpu() -> bool:
    if SIMULATOR:
        return False
    try:
        from ntorch.kernels.cuda.launch import cuda

        return bool(cuda.is_available())
    except Exception:
        return False


GPU = _gpu()
RUN = SIMULATOR or GPU


def dev(a: np.ndarray):
    """A C-contiguous device copy (0-d as a view: the simulator's to_device makes 0-d arrays 1-d)."""
    from ntorch.kernels.cuda import arrays
    from ntorch.kernels.cuda.launch import cuda

    a = np.asarray(a)
    if a.ndim == 0:
        return arrays.view(cuda.to_device(a.reshape(1)), (), ())
    return cuda.to_device(np.ascontiguousarray(a))


def host(d) -> np.ndarray:
    return d.copy_to_host()


def empty(shape, dtype):
    from ntorch.kernels.cuda import arrays

    return arrays.empty(shape, dtype)


def transposed(a: np.ndarray):
    """A device view with a's values whose last two axes are stored transposed (not C-contiguous)."""
    from ntorch.kernels.cuda import arrays

    d = dev(np.swapaxes(a, -1, -2))
    st = list(arrays.elem_strides(d))
    st[-1], st[-2] = st[-2], st[-1]
    return arrays.view(d, a.shape, tuple(st))


def stepped(a: np.ndarray, offset: int = 1):
    """A device view with a's values at every other element of the last axis, starting `offset` elements in."""
    from ntorch.kernels.cuda import arrays

    big = np.zeros((*a.shape[:-1], 2 * a.shape[-1] + offset), a.dtype)
    big[..., offset::2] = a
    d = dev(big)
    st = list(arrays.elem_strides(d))
    st[-1] *= 2
    return arrays.view(d, a.shape, tuple(st), offset=offset)


def broadcast(row: np.ndarray, shape: tuple):
    """A device view of `row` broadcast to `shape` (stride 0 on the added and size-1 axes)."""
    from ntorch.kernels.cuda import arrays

    d = dev(row)
    lead = len(shape) - row.ndim
    st = [0] * lead + [0 if n == 1 else s for n, s in zip(row.shape, arrays.elem_strides(d))]
    return arrays.view(d, shape, tuple(st))


def layouts(a: np.ndarray):
    """(name, device array with a's values and shape) in every layout that applies to a."""
    yield "contiguous", dev(a)
    if a.ndim >= 1 and a.size:
        yield "stepped", stepped(a)
    if a.ndim >= 2 and a.size:
        yield "transposed", transposed(a)


# -- front-end tests: a CPU tensor and its CUDA twin in a chosen layout --------------------------------------

def to_cuda(t: nt.Tensor) -> nt.Tensor:
    """t on the device (a 0-d tensor goes as 1-d and comes back to 0-d as a view: .cuda() is not what is tested
    here, and currently returns 0-d tensors as 1-d)."""
    return t.reshape(-1).cuda().reshape(tuple(t.shape))


def pair(arr: np.ndarray, layout: str = "contiguous"):
    """(CPU tensor, CUDA tensor) with arr's values; the CUDA one in the given memory layout, made with device views."""
    arr = np.ascontiguousarray(arr)
    if layout == "expanded":  # stride 0 along dim 0: every row equals the first
        arr = np.ascontiguousarray(np.broadcast_to(arr[:1], arr.shape))
    cpu = nt.from_numpy(arr.copy())
    if layout == "contiguous":
        dev = to_cuda(cpu)
    elif layout == "transposed":
        dev = nt.from_numpy(np.ascontiguousarray(np.swapaxes(arr, -1, -2))).cuda().transpose(-1, -2)
    elif layout == "stepped":
        big = np.zeros((*arr.shape[:-1], 2 * arr.shape[-1] + 1), arr.dtype)
        big[..., 1::2] = arr
        dev = nt.from_numpy(big).cuda()[..., 1::2]
    else:
        dev = nt.from_numpy(np.ascontiguousarray(arr[:1])).cuda().expand(*arr.shape)
    assert dev.is_cuda and tuple(dev.shape) == arr.shape
    assert layout == "contiguous" or min(arr.shape) < 2 or not dev.is_contiguous()
    return cpu, dev


def random_matrix(shape, dt, seed=0) -> np.ndarray:
    """Standard normal float64 entries (complex128 with a random imaginary part too when dt is complex)."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if dt.is_complex:
        a = a + 1j * rng.standard_normal(shape)
    return a


def cast_pair(a: np.ndarray, dt):
    """(CPU tensor of a's values in dt, its contiguous CUDA copy)."""
    c = nt.from_numpy(a).to(dt)
    return c, c.cuda()


def check(got, want, tol=None, msg="", equal_nan: bool = True) -> None:
    """A CUDA result against the CPU oracle: device, dtype, shape, values (exact unless a tolerance is given:
    atomics add in another order than the CPU loop)."""
    assert isinstance(got, nt.Tensor) and got.is_cuda, f"{msg}: result not on CUDA"
    assert got.dtype is want.dtype, f"{msg}: dtype {got.dtype} != {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), f"{msg}: shape {tuple(got.shape)} != {tuple(want.shape)}"
    g, w = got.cpu().numpy(), want.numpy()
    if tol is not None and want.dtype.is_floating_point:
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=tol, atol=tol, equal_nan=equal_nan,
                                   err_msg=msg)
    else:
        np.testing.assert_array_equal(g, w, err_msg=msg)
