"""The launcher's kernel-argument views (kernels/cuda/launch.py): a DeviceView must be typed exactly as numba-cuda
types a DeviceNDArray of the same layout, or the fast launch path would run code compiled for another layout."""

import importlib.util
import itertools
from pathlib import Path

import numba.cuda
import numpy as np
import pytest
from cuda_util import SIMULATOR
from ntorch.kernels.cuda import launch


def _load_dummyarray():
    """numba-cuda's pure-Python array-layout module, loaded from its file (the simulator replaces numba.cuda's
    cudadrv package, so it cannot be imported by name there)."""
    path = Path(numba.cuda.__file__).parent / "cudadrv" / "dummyarray.py"
    spec = importlib.util.spec_from_file_location("_numba_cuda_dummyarray", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dummyarray = _load_dummyarray()


def _numba_layout(shape, strides, itemsize):
    """numba-cuda's own rule (DeviceNDArray._numba_type_ over dummyarray's flags)."""
    flags = dummyarray.Array.from_desc(0, shape, strides, itemsize).flags
    size = int(np.prod(shape)) if shape else 1
    broadcast = 0 in strides and size != 0
    if flags["C_CONTIGUOUS"] and not broadcast:
        return "C"
    if flags["F_CONTIGUOUS"] and not broadcast:
        return "F"
    return "A"


def _layouts():
    for ndim in range(4):
        for shape in itertools.product((0, 1, 2, 3), repeat=ndim):
            c = [1] * ndim
            for d in range(ndim - 2, -1, -1):
                c[d] = c[d + 1] * max(shape[d + 1], 1)
            f = [1] * ndim
            for d in range(1, ndim):
                f[d] = f[d - 1] * max(shape[d - 1], 1)
            for st in (c, f, [s * 2 for s in c], [0] * ndim, c[:1] + [0] * (ndim - 1), list(reversed(c))):
                yield shape, tuple(st)


@pytest.mark.parametrize("itemsize", [2, 4, 8])
def test_view_layout_matches_numba(itemsize):
    n = 0
    for shape, st in _layouts():
        strides = tuple(s * itemsize for s in st)
        assert launch._layout(shape, strides, itemsize) == _numba_layout(shape, strides, itemsize), (shape, strides)
        n += 1
    assert n > 500


@pytest.mark.skipif(SIMULATOR, reason="the fast launch path exists only on a real GPU (the simulator runs kernels "
                                      "through numba's dispatcher)")
def test_fast_path_is_taken_on_a_gpu(monkeypatch):
    import ntorch

    a = ntorch.arange(12.0, device="cuda").reshape(3, 4)

    def ops():
        """The per-op probe's tiny ops (bench/cuda_overhead_probe.py): softmax measured 36 us on an H200 where
        a + b took 14.5, so check that none of them leaves the fast path."""
        return (a.t() + 1.5).sum(0), ntorch.softmax(a, 1), a @ a.t(), a.sum(1), ntorch.relu(a)

    ops()  # the first call of each signature goes through numba-cuda (compile or disk cache)
    calls = {"dispatcher": 0, "fast": 0}
    quiet, fast = launch._quiet, launch._dispatcher_module.launch

    def counted(name, fn):
        def call(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return call

    monkeypatch.setattr(launch, "_quiet", counted("dispatcher", quiet))
    monkeypatch.setattr(launch._dispatcher_module, "launch", counted("fast", fast))
    c = ops()[0]
    np.testing.assert_allclose(c.cpu().numpy(), (np.arange(12.0).reshape(3, 4).T + 1.5).sum(0))
    assert calls["dispatcher"] == 0 and calls["fast"] >= 6, calls


def test_device_view_key_and_the_one_d_layout_hint():
    """arrays.view passes layout "C" for 1-d views of unit stride; it must be what the analysis would give."""
    for n in (0, 1, 2, 7):
        for dt in (np.float16, np.float32, np.int64):
            isz = np.dtype(dt).itemsize
            hinted = launch.DeviceView(0, (n,), (isz,), np.dtype(dt), None, "C")
            computed = launch.DeviceView(0, (n,), (isz,), np.dtype(dt), None)
            assert hinted.key == computed.key == (np.dtype(dt), 1, "C")
    v = launch.DeviceView(64, (3, 4), (4, 12), np.dtype(np.float32), None)  # a transposed 4x3
    assert v.key == (np.dtype(np.float32), 2, "F") and v.size == 12 and v.extent() == 48
    assert v.__cuda_array_interface__["data"] == (64, False)


@pytest.mark.parametrize("itemsize", [2, 8])
def test_cuda_array_layout_hint_matches_numba(itemsize):
    """CudaArray.device_array names the layout from its contiguity flags when it has them (skipping the
    analysis); with and without flags the key must be numba-cuda's own."""
    from ntorch.cuda.allocator import Block
    from ntorch.cuda.array import CudaArray

    dt = np.dtype({2: np.float16, 8: np.float64}[itemsize])
    block = Block(1 << 20, 0, None, ptr=1 << 30)  # GPU-style metadata: device_array builds a DeviceView
    n = 0
    for shape, st in _layouts():
        strides = tuple(s * itemsize for s in st)
        for with_flags in (False, True):
            a = CudaArray(block, 0, shape, strides, dt)
            if with_flags:
                assert a.flags is not None
            view = a.device_array()
            assert type(view) is launch.DeviceView
            assert view.key == (dt, len(shape), _numba_layout(shape, strides, itemsize)), (shape, strides)
            assert view.ptr == 1 << 30 and view.size == a.size
            n += 1
    assert n > 1000
