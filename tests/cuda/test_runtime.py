"""The CUDA runtime layer on a device (Numba's simulator in CI: NUMBA_ENABLE_CUDASIM=1; a GPU when present).

Every view is checked against NumPy applying the same operation to a host array of the same values and
layout: shapes, byte strides, byte offsets, contiguity flags and values must agree.
"""

import gc

import numpy as np
import pytest

import ntorch.cuda as nc

if not nc.is_available():
    pytest.skip("needs a CUDA GPU or NUMBA_ENABLE_CUDASIM=1 set before numba.cuda is imported",
                allow_module_level=True)

from numba import cuda  # noqa: E402

from ntorch.cuda import array as ca  # noqa: E402
from ntorch.cuda.allocator import get_allocator, round_size  # noqa: E402

DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.float16, np.float32, np.float64]


@cuda.jit
def fill_2d(out, base):
    """out[i, j] = base + 10 * i + j: writes through whatever strides `out` has."""
    i, j = cuda.grid(2)
    if i < out.shape[0] and j < out.shape[1]:
        out[i, j] = base + 10 * i + j


def twins(shape=(4, 5, 6), dtype=np.float32):
    """A device array and a host array with the same values, both C-contiguous."""
    host = np.empty(shape, dtype)  # NumPy's canonical strides, also when empty
    host[...] = (np.arange(host.size) % 97).astype(dtype).reshape(shape)
    return ca.from_host(host), host


def host_offset(view, base):
    return view.__array_interface__["data"][0] - base.__array_interface__["data"][0]


def assert_same_view(dev, host, base, check_size1_strides=True):
    assert dev.shape == host.shape and dev.dtype == host.dtype
    assert (dev.ndim, dev.size, dev.itemsize, dev.nbytes) == (host.ndim, host.size, host.itemsize, host.nbytes)
    if host.size == 0:  # NumPy 2 gives empty arrays zero strides; ours stay C-contiguous, as PyTorch's
        assert dev.flags.c_contiguous
    elif check_size1_strides:
        assert dev.strides == host.strides
    else:
        assert [s for n, s in zip(dev.shape, dev.strides) if n > 1] == \
               [s for n, s in zip(host.shape, host.strides) if n > 1]
    assert dev.flags.c_contiguous == host.flags.c_contiguous
    assert dev.flags.f_contiguous == host.flags.f_contiguous
    if host.size:
        assert dev.offset == host_offset(host, base)
    got = dev.copy_to_host()
    assert got.flags.c_contiguous and got.dtype == host.dtype
    np.testing.assert_array_equal(got, host)


VIEW_CHAINS = {
    "alias": lambda x: x.view(),
    "T": lambda x: x.T,
    "transpose": lambda x: x.transpose(2, 0, 1),
    "transpose-tuple": lambda x: x.transpose((1, 2, 0)),
    "transpose-negative": lambda x: x.transpose(-1, 0, -2),
    "swapaxes": lambda x: x.swapaxes(0, -1),
    "int": lambda x: x[2],
    "negative int": lambda x: x[-1, -2],
    "element (0-d)": lambda x: x[1, 2, 3, ...],
    "slices": lambda x: x[1:3, ::2, 1:5:3],
    "ellipsis": lambda x: x[..., 2],
    "ellipsis middle": lambda x: x[1, ..., ::4],
    "None": lambda x: x[None, :, None, 1],
    "empty slice": lambda x: x[:, 3:3],
    "slice past end": lambda x: x[2:100, -100:2],
    "squeeze": lambda x: x[:, 1:2, None].squeeze(),
    "squeeze axis": lambda x: x[:, 1:2, None].squeeze((1, 2)),
    "chain": lambda x: x.T[::2, 1:].swapaxes(0, 1)[None][0, 1:, 1],
}


@pytest.mark.parametrize("chain", list(VIEW_CHAINS))
@pytest.mark.parametrize("start", ["contiguous", "transposed", "sliced"])
def test_views_match_numpy(chain, start):
    dev, host = twins((5, 6, 7))
    prep = {"contiguous": lambda x: x, "transposed": lambda x: x.transpose(1, 2, 0),
            "sliced": lambda x: x[1:, ::2, 1:]}[start]
    f = VIEW_CHAINS[chain]
    assert_same_view(f(prep(dev)), f(prep(host)), host)


def test_broadcast_and_as_strided_match_numpy():
    dev, host = twins((3, 1, 4))
    assert_same_view(ca.broadcast_to(dev, (2, 3, 5, 4)), np.broadcast_to(host, (2, 3, 5, 4)), host)
    assert_same_view(ca.broadcast_to(dev[:, :, 1:2], (3, 2, 3)), np.broadcast_to(host[:, :, 1:2], (3, 2, 3)), host)
    sliding = ((5, 4), (8, 4))  # overlapping windows, in bytes
    assert_same_view(ca.as_strided(dev, *sliding), np.lib.stride_tricks.as_strided(host, *sliding), host)
    got = ca.as_strided(dev, (2, 2), (16, 4), offset=8)  # offset counted from the block's start
    np.testing.assert_array_equal(got.copy_to_host(), host.reshape(-1)[2:][np.array([[0, 1], [4, 5]])])
    with pytest.raises(ValueError, match="must match the existing size"):
        ca.broadcast_to(dev, (3, 2, 5))
    with pytest.raises(ValueError, match="smaller shape"):
        ca.broadcast_to(dev, (4,))
    with pytest.raises(ValueError, match="out of bounds for storage of"):
        ca.as_strided(dev, (2, 2), (dev.block.size, 4))
    with pytest.raises(ValueError, match="out of bounds"):
        ca.as_strided(dev, (2,), (4,), offset=dev.block.size - 4)
    with pytest.raises(ValueError, match="negative strides"):
        ca.as_strided(dev, (2,), (-4,))


RESHAPES = [(24,), (2, 12), (4, 3, 2), (-1, 6), (1, 24, 1), (2, 1, 3, 4), (3, -1, 2)]


STARTS = {  # 24 elements in various layouts: (base shape, view of it)
    "contiguous": ((2, 3, 4), lambda x: x),
    "row-sliced": ((4, 3, 4), lambda x: x[1:3]),
    "transposed": ((2, 4, 3), lambda x: x.transpose(0, 2, 1)),
    "stepped": ((2, 3, 8), lambda x: x[:, :, ::2]),
    "size-1 dims": ((2, 3, 4), lambda x: x[:, None, :, None, :]),
    "broadcast": ((2, 1, 4), lambda x: x[:, :, None].squeeze(2)),
}


@pytest.mark.parametrize("start", list(STARTS))
def test_reshape_is_a_view_exactly_where_numpy_can(start):
    shape0, prep = STARTS[start]
    dev, host = twins(shape0)
    d, h = prep(dev), prep(host)
    if start == "broadcast":
        d, h = ca.broadcast_to(d, (2, 3, 4)), np.broadcast_to(h, (2, 3, 4))
    for shape in RESHAPES:
        try:
            want = np.reshape(h, shape, copy=False)
        except ValueError:
            with pytest.raises(ValueError, match="view size is not compatible"):
                d.reshape(shape)
            continue
        got = d.reshape(*shape) if len(shape) > 1 else d.reshape(shape)
        assert_same_view(got, want, host, check_size1_strides=False)


def test_reshape_of_strided_views():
    dev, host = twins((4, 6))
    for d, h in [(dev[:, ::2], host[:, ::2]), (dev.T, host.T), (dev[1:3], host[1:3]), (dev[:, 1:], host[:, 1:])]:
        for shape in [(-1,), (3, -1), (h.shape[1], h.shape[0]), (1, *h.shape), (*h.shape, 1)]:
            try:
                want = np.reshape(h, shape, copy=False)
            except ValueError:
                with pytest.raises(ValueError):
                    d.reshape(shape)
                continue
            assert_same_view(d.reshape(shape), want, host, check_size1_strides=False)


def test_reshape_errors():
    dev, _ = twins((2, 3))
    with pytest.raises(ValueError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        dev.reshape(4, 2)
    with pytest.raises(ValueError, match="only one dimension can be inferred"):
        dev.reshape(-1, -1)
    with pytest.raises(ValueError, match="invalid"):
        dev.reshape(-1, 4)


def test_zero_d_and_empty_views():
    dev, host = twins((0, 3))
    assert_same_view(dev.T, host.T, host)
    assert_same_view(dev.reshape(3, 0), host.reshape(3, 0), host)
    d0, h0 = twins(())
    assert_same_view(d0, h0, h0)
    assert_same_view(d0[None, ...], h0[None, ...], h0)
    assert_same_view(d0.reshape(1, 1), h0.reshape(1, 1), h0)
    with pytest.raises(TypeError, match="unsized"):
        len(d0)


def test_index_errors():
    dev, _ = twins((2, 3))
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        dev[2]
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 1 with size 3"):
        dev[:, -4]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        dev[0, 0, 0]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        dev[::-1]
    with pytest.raises(IndexError, match="basic indexing only"):
        dev[[0, 1]]
    with pytest.raises(IndexError, match="boolean"):
        dev[True]
    with pytest.raises(IndexError, match="single ellipsis"):
        dev[..., ...]
    with pytest.raises(np.exceptions.AxisError):
        dev.transpose(0, 2)
    with pytest.raises(ValueError, match="axes don't match"):
        dev.transpose(0)
    with pytest.raises(ValueError, match="size not equal to one"):
        dev.squeeze(0)


def test_view_reinterprets_bytes_like_numpy():
    dev, host = twins((3, 4))
    assert_same_view(dev.view(np.int32), host.view(np.int32), host)
    assert_same_view(dev.T.view(np.int32), host.T.view(np.int32), host)
    hb = np.array([0, 1, 1, 0, 1], np.uint8)
    assert_same_view(ca.from_host(hb).view(np.bool_)[1:], hb.view(np.bool_)[1:], hb)
    with pytest.raises(ValueError, match="same itemsize"):
        dev.view(np.float64)
    with pytest.raises(TypeError, match="unsupported dtype"):
        dev.view(np.uint32)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (7,), (2, 3, 5)])
def test_host_round_trip(dtype, shape):
    host = ((np.arange(int(np.prod(shape))) * 37) % 11 - 5).astype(dtype).reshape(shape)
    dev = ca.from_host(host)
    assert dev.shape == shape and dev.dtype == host.dtype and dev.flags.c_contiguous
    if host.size:
        assert dev.strides == host.strides
    got = dev.copy_to_host()
    np.testing.assert_array_equal(got, host)
    assert got.dtype == host.dtype and not np.shares_memory(got, host)


def test_from_host_takes_any_layout():
    host = np.arange(24, dtype=np.int16).reshape(4, 6)
    np.testing.assert_array_equal(ca.from_host(host.T[::2]).copy_to_host(), host.T[::2])
    with pytest.raises(TypeError, match="unsupported dtype"):
        ca.from_host(np.zeros(2, np.uint32))
    with pytest.raises(TypeError, match="unsupported dtype"):
        ca.from_host(np.zeros(2, np.complex256))
    z = np.array([[1 + 2j, -3j], [4.5, 0]], np.complex64)
    np.testing.assert_array_equal(ca.from_host(z.T).copy_to_host(), z.T)  # complex arrays are supported
    with pytest.raises(ValueError, match="negative dimensions"):
        ca.empty((2, -1), np.float32)


def test_copy_from_host_writes_only_the_view():
    dev, host = twins((4, 6), np.int32)
    patch = -np.arange(6, dtype=np.int64).reshape(2, 3)  # cast on the way, as Tensor.copy_ does
    dev.T[1::2, 1:3].copy_from_host(patch.T)
    host.T[1::2, 1:3] = patch.T
    np.testing.assert_array_equal(dev.copy_to_host(), host)
    dev[:, 0].copy_from_host(np.int32(9))  # broadcasting a scalar
    host[:, 0] = 9
    np.testing.assert_array_equal(dev.copy_to_host(), host)
    with pytest.raises(ValueError, match="more than one element"):
        ca.broadcast_to(dev[0, :1], (3, 2)).copy_from_host(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        dev[0].copy_from_host(np.zeros(5))
    with pytest.raises(TypeError, match="device to device"):
        dev.copy_from_host(dev)


def test_writes_through_one_view_reach_every_other():
    dev, host = twins((6, 8), np.float32)
    view = dev[1:, ::2].T  # (4, 5), strides (8, 32) bytes
    hview = host[1:, ::2].T
    fill_2d[(1, 1), (8, 8)](view.device_array(), 100.0)
    for i in range(4):
        for j in range(5):
            hview[i, j] = 100.0 + 10 * i + j
    np.testing.assert_array_equal(dev.copy_to_host(), host)  # the base sees the kernel's writes
    other = dev.reshape(48)[8:16]  # another view of row 1
    np.testing.assert_array_equal(other.copy_to_host(), host[1])
    # a kernel writing through the other view shows in the first one
    fill_2d[(1, 1), (8, 8)](other.reshape(2, 4).device_array(), -50.0)
    host[1] = -50.0 + np.array([0, 1, 2, 3, 10, 11, 12, 13], np.float32)
    np.testing.assert_array_equal(view.copy_to_host(), hview)
    dev[1:2, :].copy_from_host(np.full((1, 8), -5.0, np.float32))
    host[1, :] = -5.0
    np.testing.assert_array_equal(view.copy_to_host(), hview)
    assert view.device_array() is view.device_array()  # made once


def test_numpy_conversion_is_refused():
    dev, _ = twins((2,))
    text = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host "
            "memory first.")
    for convert in (np.asarray, np.array, lambda x: np.add(x, 1)):
        with pytest.raises(TypeError) as err:
            convert(dev)
        assert text in str(err.value)
    with pytest.raises(TypeError, match="truth value"):
        bool(dev)


def test_cuda_array_interface():
    dev, host = twins((3, 4))
    if nc.is_simulator():
        assert not hasattr(dev, "__cuda_array_interface__")
        with pytest.raises(AttributeError, match="simulator"):
            _ = dev.__cuda_array_interface__
        class Foreign:
            __cuda_array_interface__ = {"shape": (2,), "typestr": "<f4", "data": (4096, False), "version": 3}

        with pytest.raises(RuntimeError, match="simulator"):
            ca.CudaArray.from_cuda_array_interface(Foreign())
        return
    desc = dev.T.__cuda_array_interface__
    assert desc["version"] == 3 and desc["shape"] == (4, 3) and desc["strides"] == (4, 16)
    assert desc["typestr"] == host.dtype.str and desc["data"] == (dev.data_ptr, False)
    assert dev.__cuda_array_interface__["strides"] is None
    theirs = cuda.as_cuda_array(dev.T)  # Numba as the consumer
    np.testing.assert_array_equal(theirs.copy_to_host(), host.T)
    back = ca.CudaArray.from_cuda_array_interface(theirs)
    assert back.data_ptr == dev.data_ptr and back.strides == dev.T.strides


def test_from_device_array_shares_memory():
    host = np.arange(12, dtype=np.float64).reshape(3, 4)
    theirs = cuda.to_device(host)
    ours = ca.CudaArray.from_device_array(theirs)
    assert ours.shape == (3, 4) and ours.strides == host.strides
    np.testing.assert_array_equal(ours.copy_to_host(), host)
    ours[1].copy_from_host(np.full(4, -1.0))
    host[1] = -1.0
    np.testing.assert_array_equal(theirs.copy_to_host(), host)
    col = ca.CudaArray.from_device_array(theirs[:, 1])
    np.testing.assert_array_equal(col.copy_to_host(), host[:, 1])


def _fresh():
    gc.collect()
    return get_allocator().stats()


def test_allocator_reuses_freed_blocks_and_counts():
    nc.empty_cache()  # an earlier test in this process may have left a block of c's class cached: c must miss
    s0 = _fresh()
    a = ca.empty((1000,), np.float32)  # 4000 bytes -> class 4096
    s1 = get_allocator().stats()
    assert nc.memory_allocated() - s0.allocated == round_size(4000) == 4096
    assert nc.memory_reserved() >= nc.memory_allocated()
    ptr = a.data_ptr
    del a
    gc.collect()
    assert nc.memory_allocated() == s0.allocated
    assert nc.memory_reserved() == s1.reserved  # cached, not given back
    b = ca.empty((4, 250), np.int32)  # same class: reuses the block without the driver
    s2 = get_allocator().stats()
    assert b.data_ptr == ptr and s2.driver_allocs == s1.driver_allocs and s2.cache_hits == s1.cache_hits + 1
    c = ca.empty((3000,), np.uint8)  # another class: a miss
    assert get_allocator().stats().driver_allocs == s1.driver_allocs + 1
    del b, c


def test_peaks_and_empty_cache():
    _fresh()
    nc.empty_cache()
    nc.reset_peak_memory_stats()
    base = nc.memory_allocated()
    assert nc.max_memory_allocated() == base and nc.memory_reserved() == base
    a = ca.empty((512,), np.float64)  # 4096 bytes
    b = ca.empty((100,), np.float32)  # 512 bytes
    assert nc.max_memory_allocated() == base + 4608
    del a
    gc.collect()
    assert nc.memory_allocated() == base + 512
    assert nc.max_memory_allocated() == base + 4608 and nc.max_memory_reserved() == base + 4608
    nc.empty_cache()
    assert nc.memory_reserved() == nc.memory_allocated() == base + 512
    nc.reset_peak_memory_stats()
    assert nc.max_memory_allocated() == base + 512
    del b


def test_block_returns_only_when_the_last_view_is_gone():
    s0 = _fresh()
    a = ca.empty((64,), np.float32)
    view = a[8:].reshape(7, 8)[1:]
    kernel_arg = a[::2].device_array()
    del a
    gc.collect()
    assert nc.memory_allocated() == s0.allocated + 512
    del view
    gc.collect()
    assert nc.memory_allocated() == s0.allocated + 512  # the kernel argument still uses the block
    del kernel_arg
    gc.collect()
    assert nc.memory_allocated() == s0.allocated


def test_out_of_memory_is_clear_and_leaves_stats_alone():
    s0 = _fresh()
    with pytest.raises(nc.OutOfMemoryError) as err:
        ca.empty((1 << 50,), np.uint8)
    assert str(err.value).startswith("CUDA out of memory. Tried to allocate 1048576.00 GiB.")
    assert isinstance(err.value, RuntimeError)
    assert nc.memory_allocated() == s0.allocated


def test_device_api():
    assert nc.is_available() and nc.device_count() >= 1
    assert nc.current_device() == 0
    nc.set_device(0)
    nc.set_device("cuda:0")
    nc.synchronize()
    nc.synchronize("cuda")
    props = nc.get_device_properties(0)
    assert props is nc.get_device_properties("cuda:0")
    assert props.name == nc.get_device_name() and props.name
    assert props.major >= 3 and props.multi_processor_count >= 1 and props.total_memory > 0
    assert props.warp_size == 32 and props.max_threads_per_block >= 512
    assert "multi_processor_count" in repr(props)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        nc.set_device(nc.device_count())
    with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
        nc.get_device_properties("cpu")
    with pytest.raises(TypeError):
        nc.synchronize(1.5)
