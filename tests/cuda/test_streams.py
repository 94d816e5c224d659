"""torch.cuda's Stream / Event API and device context managers (ntorch.cuda.streams), on the simulator or a GPU.

ntorch's kernels all run on the default stream; these tests check the API's contract: which stream is current,
that events order and time work, that waits and synchronizes return with the work done, and torch's errors.
"""

import time

import numpy as np
import pytest

import ntorch
import ntorch.cuda as nc


def test_default_and_current_stream():
    d = nc.default_stream()
    assert d.cuda_stream == 0 and d.device == ntorch.device("cuda", 0)
    assert nc.current_stream() == d and nc.default_stream(0) is d
    assert d.__cuda_stream__() == (0, 0)
    assert repr(d) == "<ntorch.cuda.Stream device=cuda:0 cuda_stream=0x0>"


def test_stream_context_sets_and_restores_the_current_stream():
    s = nc.Stream()
    assert s != nc.default_stream() and s.cuda_stream != 0 and hash(s) != hash(nc.default_stream())
    with nc.stream(s) as entered:
        assert entered is s and nc.current_stream() == s
        inner = nc.Stream()
        with nc.StreamContext(inner):
            assert nc.current_stream() == inner
        assert nc.current_stream() == s
    assert nc.current_stream() == nc.default_stream()
    with nc.stream(None) as entered:  # torch: a None stream is a no-op
        assert entered is None and nc.current_stream() == nc.default_stream()
    nc.set_stream(s)
    try:
        assert nc.current_stream() == s
    finally:
        nc.set_stream(nc.default_stream())


def test_work_is_done_after_stream_and_event_synchronize():
    x = ntorch.arange(1000, device="cuda", dtype=ntorch.float32)
    s = nc.Stream()
    with nc.stream(s):
        y = (x * 2).sum()
        done = s.record_event()
    s.wait_stream(nc.default_stream())
    done.synchronize()
    s.synchronize()
    assert done.query() and s.query()
    assert y.item() == float(np.arange(1000, dtype=np.float32).sum() * 2)


def test_event_timing():
    start, end = nc.Event(enable_timing=True), nc.Event(enable_timing=True)
    assert repr(start) == "<ntorch.cuda.Event uninitialized>" and start.query()  # never recorded: done
    start.synchronize()  # never recorded: returns at once
    start.record()
    time.sleep(0.02)
    end.record()
    end.synchronize()
    ms = start.elapsed_time(end)
    if nc.is_simulator():  # the simulator's events read the host clock
        assert 20.0 <= ms < 5000.0
    else:  # a GPU event does not see host sleeps, only the ordering
        assert ms >= 0.0
    assert start.device == ntorch.device("cuda", 0)


def test_event_errors_as_torch():
    with pytest.raises(ValueError, match="Both events must be created with argument 'enable_timing=True'."):
        nc.Event().elapsed_time(nc.Event(enable_timing=True))
    with pytest.raises(ValueError, match="Both events must be recorded before calculating elapsed time."):
        nc.Event(enable_timing=True).elapsed_time(nc.Event(enable_timing=True))
    e = nc.Event()
    e.wait()  # never recorded: nothing to wait for
    nc.current_stream().wait_event(e)


def test_device_context_managers_and_queries():
    x = ntorch.ones(3, device="cuda")
    with nc.device(0):
        assert nc.current_device() == 0
    with nc.device(None), nc.device(-1), nc.device_of(ntorch.ones(2)):  # no-ops
        assert nc.current_device() == 0
    with nc.device_of(x):
        assert nc.current_device() == 0
    with pytest.raises(ValueError, match="Expected a cuda device"):
        nc.device("cpu")
    major, minor = nc.get_device_capability()
    props = nc.get_device_properties()
    assert (major, minor) == (props.major, props.minor)
    assert nc.is_bf16_supported() is True  # bfloat16 runs through float32 kernels on any device
    nc.init()
    assert nc.is_initialized()
    free, total = nc.mem_get_info()
    assert 0 <= free <= total and total > 0
    stats = nc.memory_stats()
    assert stats["allocated_bytes.all.current"] == nc.memory_allocated()
    assert stats["reserved_bytes.all.current"] == nc.memory_reserved()
    assert stats["allocated_bytes.all.peak"] == nc.max_memory_allocated()
    assert stats["reserved_bytes.all.peak"] == nc.max_memory_reserved()
    assert stats["num_device_alloc"] >= 1


def test_accelerator_forwards_to_cuda():
    acc = ntorch.accelerator
    assert acc.is_available() and acc.current_accelerator() == ntorch.device("cuda")
    assert acc.device_count() == nc.device_count() and acc.current_device_index() == acc.current_device_idx() == 0
    with acc.device_index(0):
        acc.set_device_index(0)
    x = ntorch.ones(256, device=acc.current_accelerator())
    acc.synchronize()
    assert acc.memory_allocated() == nc.memory_allocated() > 0
    assert acc.memory.max_memory_reserved() == nc.max_memory_reserved()
    assert acc.get_memory_info() == nc.mem_get_info() or acc.get_memory_info()[1] == nc.mem_get_info()[1]
    assert acc.current_stream() == nc.default_stream()
    del x
