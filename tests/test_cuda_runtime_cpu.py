"""The CUDA runtime layer without a device: availability, clear errors, the allocator's logic on a fake driver,
__cuda_array_interface__ validation, and DLPack on the CPU with NumPy as the independent side."""

import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref

import numpy as np
import pytest

from ntorch.cuda import OutOfMemoryError
from ntorch.cuda import dlpack as dl
from ntorch.cuda.allocator import CachingAllocator, format_size, round_size
from ntorch.cuda.array import parse_cuda_array_interface

DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64]

NO_DEVICE_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import ntorch.cuda as nc
    assert not any(m.startswith("numba.cuda") for m in sys.modules), "import ntorch.cuda imported numba.cuda"
    assert issubclass(nc.OutOfMemoryError, RuntimeError)
    assert nc.is_available() is False and nc.device_count() == 0
    # as in PyTorch, statistics read 0 and cache control is a no-op before anything was allocated
    assert nc.memory_allocated() == nc.max_memory_allocated() == nc.memory_reserved() == 0
    assert nc.max_memory_reserved() == 0
    nc.empty_cache(); nc.reset_peak_memory_stats()
    assert nc.memory_stats() == {} and nc.is_initialized() is False and nc.is_bf16_supported() is False
    with nc.device(None), nc.stream(None):  # torch's no-op forms need no device
        pass
    from ntorch.cuda import array as ca, dlpack as dl
    class CudaProducer:
        def __dlpack_device__(self):
            return (dl.kDLCUDA, 0)
        def __dlpack__(self, **kw):
            raise AssertionError("must not be asked for a capsule")
    calls = [nc.current_device, lambda: nc.set_device(0), nc.synchronize, nc.get_device_name,
             nc.get_device_properties, lambda: ca.empty((2,), np.float32), lambda: ca.from_host(np.ones(2)),
             lambda: dl.from_dlpack(CudaProducer()), nc.Stream, nc.current_stream, nc.default_stream,
             lambda: nc.Event().record(), nc.init, nc.get_device_capability, nc.mem_get_info,
             lambda: nc.device(0)]
    for call in calls:
        try:
            call()
        except RuntimeError as e:
            assert "Found no NVIDIA driver" in str(e) and "ntorch" in str(e), str(e)
        else:
            raise AssertionError(f"{call} did not raise")
    print("ok")
""")


def test_without_a_device_everything_says_so():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    env["CUDA_VISIBLE_DEVICES"] = ""  # hide any GPU: the driver then reports no device
    res = subprocess.run([sys.executable, "-c", NO_DEVICE_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr


# --- the caching allocator, on a fake driver ---

class FakeDriver:
    """Counts allocations; fails with MemoryError (as an out-of-memory driver) past `capacity` live bytes."""

    def __init__(self, capacity=1 << 40):
        self.capacity = capacity
        self.live = {}  # id -> size: the driver's view of what it handed out and was not given back
        self.calls = 0
        self.flushes = 0
        self.lock = threading.Lock()

    def alloc(self, nbytes, device):
        with self.lock:
            self.calls += 1
            if sum(self.live.values()) + nbytes > self.capacity:
                raise MemoryError("fake device full")
            return _Mem(self, nbytes), 1000 + self.calls, None, None

    def flush(self):
        self.flushes += 1

    def mem_info(self):
        return self.capacity - sum(self.live.values()), self.capacity


class _Mem:
    """Driver memory: returns its bytes to the fake driver when dropped (as Numba's pointers do)."""

    def __init__(self, driver, nbytes):
        self.key = object()
        driver.live[id(self.key)] = nbytes
        weakref.finalize(self, driver.live.pop, id(self.key), None)


def _ref_round(n):
    """Reference size classes written from the documented rule."""
    if n <= 1 << 20:
        return ((n + 511) // 512) * 512
    return ((n + (2 << 20) - 1) // (2 << 20)) * (2 << 20)


@pytest.mark.parametrize("n", [0, 1, 511, 512, 513, 4000, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 << 20,
                               (5 << 20) + 7])
def test_size_classes(n):
    r = round_size(n)
    assert r == _ref_round(n) and r >= n
    assert r - n < (512 if n <= 1 << 20 else 2 << 20)


def test_format_size_reads_like_pytorch():
    assert format_size(100) == "100 bytes"
    assert format_size(3 * 1024) == "3.00 KiB"
    assert format_size(int(1.5 * (1 << 20))) == "1.50 MiB"
    assert format_size(2 << 30) == "2.00 GiB"


def test_reuse_and_statistics():
    drv = FakeDriver()
    pool = CachingAllocator(0, drv)
    a = pool.alloc(1000)  # class 1024
    b = pool.alloc(3 << 20)  # class 4 MiB
    s = pool.stats()
    assert (s.allocated, s.reserved, s.driver_allocs) == (1024 + (4 << 20), 1024 + (4 << 20), 2)
    ptr_a = a.ptr
    del a
    gc.collect()
    s = pool.stats()
    assert s.allocated == 4 << 20 and s.reserved == 1024 + (4 << 20)
    c = pool.alloc(700)  # same class as the freed block: reused, no driver call
    assert c.ptr == ptr_a and pool.stats().driver_allocs == 2 and pool.stats().cache_hits == 1
    d = pool.alloc(2000)  # another class: a miss
    assert d.ptr != ptr_a and pool.stats().driver_allocs == 3
    assert pool.stats().peak_allocated == 1024 + (4 << 20) + 2048
    del b, c, d
    gc.collect()
    s = pool.stats()
    assert s.allocated == 0 and s.reserved == 1024 + 2048 + (4 << 20)
    assert s.peak_allocated == 1024 + (4 << 20) + 2048  # peaks stay until reset
    pool.reset_peak()
    assert pool.stats().peak_allocated == 0 and pool.stats().peak_reserved == s.reserved
    pool.empty_cache()
    gc.collect()
    assert pool.stats().reserved == 0 and drv.flushes == 1 and not drv.live


def test_zero_bytes_need_no_driver():
    drv = FakeDriver()
    pool = CachingAllocator(0, drv)
    blk = pool.alloc(0)
    assert blk.size == 0 and drv.calls == 0 and pool.stats().allocated == 0
    with pytest.raises(ValueError, match="negative"):
        pool.alloc(-1)


def test_out_of_memory_empties_the_cache_once_then_raises():
    drv = FakeDriver(capacity=8 << 20)
    pool = CachingAllocator(0, drv)
    a = pool.alloc(3 << 20)  # 4 MiB class
    b = pool.alloc(1 << 20)  # 1 MiB class
    del b
    gc.collect()  # 1 MiB now cached: the driver still counts it as used
    c = pool.alloc(4 << 20)  # needs the cached MiB back: succeeds after emptying the cache
    assert drv.flushes == 1 and pool.stats().reserved == 8 << 20
    with pytest.raises(OutOfMemoryError) as err:
        pool.alloc(2 << 30)
    msg = str(err.value)
    assert msg.startswith("CUDA out of memory. Tried to allocate 2.00 GiB.")
    assert "GPU 0 has a total capacity of 8.00 MiB of which 0 bytes is free" in msg
    assert "8.00 MiB is allocated by ntorch" in msg
    assert isinstance(err.value, RuntimeError) and drv.flushes == 2
    assert pool.stats().allocated == 8 << 20  # a failed allocation leaves the counters alone
    del a, c


def test_other_driver_errors_pass_through():
    class Broken(FakeDriver):
        def alloc(self, nbytes, device):
            raise OSError("driver fell over")

    with pytest.raises(OSError, match="fell over"):
        CachingAllocator(0, Broken()).alloc(10)


def test_threads_share_one_pool_consistently():
    drv = FakeDriver()
    pool = CachingAllocator(0, drv)
    sizes = [512 * (1 + i % 5) for i in range(200)]

    def work():
        held = []
        for n in sizes:
            held.append(pool.alloc(n))
            if len(held) > 3:
                held.pop(0)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    gc.collect()
    s = pool.stats()
    assert s.allocated == 0
    assert s.reserved == sum(drv.live.values())  # every byte the driver gave is accounted for as cached
    assert s.cache_hits + s.driver_allocs == 4 * len(sizes)
    assert s.driver_allocs < len(sizes)  # reuse happened


# --- __cuda_array_interface__ validation (runs before any device is needed) ---

def _cai(**over):
    desc = {"shape": (2, 3), "typestr": "<f4", "data": (4096, False), "version": 3, "strides": None}
    desc.update(over)
    return desc


def test_cuda_array_interface_is_read_faithfully():
    ptr, shape, strides, dtype, stream = parse_cuda_array_interface(_cai())
    assert (ptr, shape, strides, dtype, stream) == (4096, (2, 3), np.zeros((2, 3), np.float32).strides,
                                                    np.dtype(np.float32), None)
    _, _, strides, dtype, stream = parse_cuda_array_interface(_cai(strides=(4, 8), typestr="|b1", stream=7))
    assert strides == (4, 8) and dtype == np.bool_ and stream == 7
    _, _, strides, dtype, _ = parse_cuda_array_interface(_cai(strides=(16, 48), typestr="<c16"))
    assert strides == (16, 48) and dtype == np.complex128  # complex is wrapped as any other dtype


@pytest.mark.parametrize("over, err, text", [
    ({"data": (4096, True)}, ValueError, "read-only"),
    ({"typestr": "<c32"}, TypeError, "unsupported dtype"),
    ({"typestr": "<u4"}, TypeError, "unsupported dtype"),
    ({"mask": object()}, ValueError, "masked"),
    ({"strides": (-12, 4)}, ValueError, "negative strides"),
    ({"strides": (6, 3)}, ValueError, "multiples"),
    ({"data": (0, False)}, ValueError, "null data pointer"),
])
def test_cuda_array_interface_rejects_what_it_cannot_wrap(over, err, text):
    with pytest.raises(err, match=text):
        parse_cuda_array_interface(_cai(**over))
    with pytest.raises(ValueError, match="missing 'typestr'"):
        parse_cuda_array_interface({"shape": (1,), "data": (1, False), "version": 3})


# --- DLPack on the CPU, NumPy as the other side ---

class Provider:
    """An object exporting a NumPy array through our producer, as Tensor.__dlpack__ will."""

    def __init__(self, arr, legacy=False):
        self.arr, self.legacy = arr, legacy

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        if self.legacy:
            max_version = None
        return dl.dlpack(self.arr, stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self):
        return dl.dlpack_device(self.arr)


def _layouts(dtype):
    base = (np.arange(24) % 7 - 3).astype(dtype).reshape(4, 6)
    return {
        "contiguous": base,
        "transposed": base.T,
        "stepped": base[1:, ::2],
        "reversed": base[::-1],
        "zero-d": np.array(base[1, 2]),
        "empty": np.zeros((0, 3), dtype),
        "broadcast": np.broadcast_to(base[0], (3, 6)),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("legacy", [False, True])
def test_numpy_reads_our_capsules(dtype, legacy):
    for name, arr in _layouts(dtype).items():
        if legacy and not arr.flags.writeable:
            with pytest.raises(BufferError, match="readonly"):
                np.from_dlpack(Provider(arr, legacy))
            continue
        out = np.from_dlpack(Provider(arr, legacy))
        assert out.dtype == arr.dtype and out.shape == arr.shape and out.strides == arr.strides, name
        np.testing.assert_array_equal(out, arr)
        if arr.size:
            assert np.shares_memory(out, arr), name
        # a versioned capsule carries the read-only flag; NumPy marks legacy imports read-only, not knowing
        assert out.flags.writeable == (arr.flags.writeable and not legacy), name


@pytest.mark.parametrize("dtype", DTYPES)
def test_we_read_numpy_capsules(dtype):
    for name, arr in _layouts(dtype).items():
        out = dl.from_dlpack(arr)
        assert isinstance(out, np.ndarray) and out.dtype == arr.dtype and out.shape == arr.shape, name
        np.testing.assert_array_equal(out, arr)
        if arr.size:
            assert np.shares_memory(out, arr), name
            assert out.strides == arr.strides, name
        assert out.flags.writeable == arr.flags.writeable, name


def test_views_write_through_both_ways():
    src = np.zeros((3, 4), np.float32)
    ours = dl.from_dlpack(src[:, 1:])
    ours[1, 0] = 5
    assert src[1, 1] == 5
    theirs = np.from_dlpack(Provider(src.T))
    theirs[3, 2] = 7
    assert src[2, 3] == 7


def test_producer_lives_as_long_as_the_consumer():
    src = np.arange(10.0)
    alive = weakref.ref(src)
    view = dl.from_dlpack(src[2:])
    del src
    gc.collect()
    assert alive() is not None and view[0] == 2.0
    del view
    gc.collect()
    assert alive() is None

    src = np.arange(4)
    alive = weakref.ref(src)
    theirs = np.from_dlpack(Provider(src))
    del src
    gc.collect()
    assert alive() is not None and theirs[3] == 3
    del theirs
    gc.collect()
    assert alive() is None


def test_unconsumed_capsule_releases_its_array():
    src = np.ones(3)
    alive = weakref.ref(src)
    capsule = dl.to_dlpack_capsule(src)
    del src
    gc.collect()
    assert alive() is not None
    del capsule
    gc.collect()
    assert alive() is None


def test_a_capsule_is_consumed_once():
    capsule = dl.to_dlpack_capsule(np.arange(3.0))
    np.testing.assert_array_equal(dl.from_dlpack(capsule), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="not consumed yet"):
        dl.from_dlpack(capsule)


def test_dlpack_errors_are_clear():
    with pytest.raises(BufferError, match="unsupported dtype"):
        dl.to_dlpack_capsule(np.zeros(2, np.uint32))
    with pytest.raises(TypeError, match="unsupported DLPack dtype"):
        dl.from_dlpack(np.zeros(2, np.uint32))
    with pytest.raises(TypeError, match="does not support the DLPack protocol"):
        dl.from_dlpack([1, 2])
    with pytest.raises(TypeError, match="NumPy array or a CudaArray"):
        dl.to_dlpack_capsule([1, 2])
    with pytest.raises(BufferError, match="cannot export to device"):
        dl.dlpack(np.ones(2), dl_device=(dl.kDLCUDA, 0))


def test_copy_request_gives_an_independent_array():
    src = np.arange(3.0)
    out = dl.from_dlpack(_Capsule(dl.dlpack(src, copy=True)))
    out[0] = 9
    assert src[0] == 0 and out[0] == 9


class _Capsule:
    """Hands out a prepared capsule through the protocol."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kw):
        return self.capsule

    def __dlpack_device__(self):
        return (dl.kDLCPU, 0)


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_dlpack_carries_complex_to_numpy_and_back(dt):
    import ntorch

    x = ntorch.tensor(np.array([1.5 - 2j, 0.25 + 1j], dt))
    arr = np.from_dlpack(x)  # NumPy reads kDLComplex capsules: an independent consumer
    assert arr.dtype == dt and arr.tolist() == [1.5 - 2j, 0.25 + 1j]
    arr[0] = 7  # the memory is shared
    assert x[0].item() == 7
    back = ntorch.from_dlpack(arr)
    assert back.dtype == x.dtype and back.tolist() == x.tolist()


def test_dlpack_round_trips_bfloat16():
    import ntorch

    x = ntorch.tensor([1.5, -2.0, 3.0], dtype=ntorch.bfloat16)
    y = ntorch.from_dlpack(x)
    assert y.dtype is ntorch.bfloat16 and y.tolist() == [1.5, -2.0, 3.0]
    y[1] = 4.0
    assert x[1].item() == 4.0
