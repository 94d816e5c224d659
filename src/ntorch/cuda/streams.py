"""torch.cuda's Stream and Event API: events time device work; streams order it.

Why this shape: ntorch launches every kernel on the legacy default stream (handle 0), which CUDA orders with
every other blocking stream. So `default_stream()` / `current_stream()` name that stream, a new `Stream()` is a
real CUDA stream that ntorch's own kernels do not run on, and `with ntorch.cuda.stream(s):` only makes `s` the
current stream for events and waits. Programs written for torch stay correct (every wait, record and synchronize
keeps its meaning); what they lose is overlap of work across streams (a deliberate difference, in the README).

Under Numba's CUDA simulator every launch runs to completion before it returns, so an event records the host
clock and its elapsed_time is the host time between two records.
"""

from __future__ import annotations

import itertools
import threading
import time

from . import current_device, device_index, is_simulator, numba_cuda, set_device

_local = threading.local()  # {device index: Stream} made current by set_stream / StreamContext, per thread
_fake_handles = itertools.count(0x1000)  # the simulator's stand-in stream handles


class Stream:
    """A CUDA stream of one device. `Stream()` makes a new one; default_stream() is the one kernels run on."""

    def __init__(self, device=None, priority: int = 0, *, _handle: int | None = None) -> None:
        self.device_index = device_index(device)
        self.priority = int(priority)
        self._numba = None
        if _handle is not None:  # the default stream
            self.cuda_stream = _handle
        elif is_simulator():
            self.cuda_stream = next(_fake_handles)
        else:
            cuda = numba_cuda()
            with cuda.gpus[self.device_index]:
                self._numba = cuda.stream()
            self.cuda_stream = int(self._numba.handle)

    @property
    def device(self):
        from ..devices import device as _device

        return _device("cuda", self.device_index)

    def _numba_stream(self):
        """What numba-cuda's event calls take: its Stream object, or 0 for the default stream."""
        return 0 if self._numba is None else self._numba

    def wait_event(self, event: Event) -> None:
        """Make later work on this stream wait for `event`."""
        event.wait(self)

    def wait_stream(self, stream: Stream) -> None:
        """Make later work on this stream wait for what `stream` has queued so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event: Event | None = None) -> Event:
        """Record `event` (a new one when None) at this point of the stream."""
        event = Event() if event is None else event
        event.record(self)
        return event

    def query(self) -> bool:
        """Whether everything queued on this stream has finished."""
        if is_simulator():
            return True
        from numba.cuda.cudadrv.driver import CudaAPIError, binding, driver

        try:
            driver.cuStreamQuery(self.cuda_stream)
        except CudaAPIError as exc:
            if exc.code == binding.CUresult.CUDA_ERROR_NOT_READY:
                return False
            raise
        return True

    def synchronize(self) -> None:
        """Wait until everything queued on this stream has finished."""
        if is_simulator():
            return
        if self._numba is not None:
            self._numba.synchronize()
        else:
            from numba.cuda.cudadrv.driver import driver

            with numba_cuda().gpus[self.device_index]:
                driver.cuStreamSynchronize(self.cuda_stream)

    def __cuda_stream__(self) -> tuple[int, int]:
        """The CUDA stream protocol (cuda.core and other libraries read it)."""
        return (0, self.cuda_stream)

    def __eq__(self, other) -> bool:
        return (isinstance(other, Stream) and other.cuda_stream == self.cuda_stream
                and other.device_index == self.device_index)

    def __hash__(self) -> int:
        return hash((self.cuda_stream, self.device_index))

    def __repr__(self) -> str:
        return f"<ntorch.cuda.Stream device=cuda:{self.device_index} cuda_stream={self.cuda_stream:#x}>"


_defaults: dict[int, Stream] = {}


def default_stream(device=None) -> Stream:
    """The stream ntorch's kernels run on (the legacy default stream, handle 0)."""
    idx = device_index(device)
    stream = _defaults.get(idx)
    if stream is None:
        stream = _defaults[idx] = Stream(idx, _handle=0)
    return stream


def current_stream(device=None) -> Stream:
    """The stream made current by `ntorch.cuda.stream(...)` / `set_stream`, else the default stream."""
    idx = device_index(device)
    current = getattr(_local, "streams", {}).get(idx)
    return current if current is not None else default_stream(idx)


def set_stream(stream: Stream | None) -> None:
    """Make `stream` the current stream of its device (None: no-op, as in torch)."""
    if stream is None:
        return
    if not hasattr(_local, "streams"):
        _local.streams = {}
    _local.streams[stream.device_index] = stream


class StreamContext:
    """`with StreamContext(s):` makes `s` (and its device) current inside the block; None does nothing."""

    def __init__(self, stream: Stream | None) -> None:
        self.stream = stream
        self._saved: tuple | None = None

    def __enter__(self) -> Stream | None:
        stream = self.stream
        if stream is None:
            return None
        prev_device = current_device()
        self._saved = (prev_device, current_stream(stream.device_index))
        if stream.device_index != prev_device:
            set_device(stream.device_index)
        set_stream(stream)
        return stream

    def __exit__(self, *exc) -> None:
        if self._saved is None:
            return
        prev_device, prev_stream = self._saved
        self._saved = None
        set_stream(prev_stream)
        if current_device() != prev_device:
            set_device(prev_device)


def stream(stream: Stream | None) -> StreamContext:
    """`with ntorch.cuda.stream(s):` (see StreamContext)."""
    return StreamContext(stream)


class Event:
    """A CUDA event: a marker in a stream, to wait for or to time device work between two of them.

    As in torch, the driver event is created on the first record(); before that, query() is True and
    synchronize() returns at once.
    """

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False,
                 external: bool = False) -> None:
        self.enable_timing = bool(enable_timing)
        self.blocking = bool(blocking)
        self.interprocess = bool(interprocess)
        self._event = None  # the numba event once recorded (GPU)
        self._recorded_at: float | None = None  # the host clock at record() (simulator)
        self._device: int | None = None

    @property
    def device(self):
        from ..devices import device as _device

        return None if self._device is None else _device("cuda", self._device)

    @property
    def cuda_event(self) -> int:
        return 0 if self._event is None else int(self._event.handle)

    def _is_created(self) -> bool:
        return self._event is not None or self._recorded_at is not None

    def record(self, stream: Stream | None = None) -> None:
        """Mark the point of `stream` (the current stream when None) reached by what is queued on it now."""
        stream = current_stream() if stream is None else stream
        if self._device is not None and self._device != stream.device_index:
            raise RuntimeError(f"Event device cuda:{self._device} does not match recording stream's device "
                               f"cuda:{stream.device_index}.")
        self._device = stream.device_index
        if is_simulator():
            self._recorded_at = time.perf_counter()
            return
        cuda = numba_cuda()
        with cuda.gpus[self._device]:
            if self._event is None:
                self._event = cuda.event(timing=self.enable_timing)
            self._event.record(stream._numba_stream())

    def wait(self, stream: Stream | None = None) -> None:
        """Make later work on `stream` (the current stream when None) wait for this event."""
        if self._event is None:
            return
        stream = current_stream() if stream is None else stream
        with numba_cuda().gpus[stream.device_index]:
            self._event.wait(stream._numba_stream())

    def query(self) -> bool:
        """Whether the work before the last record() has finished (True when never recorded)."""
        return True if self._event is None else bool(self._event.query())

    def synchronize(self) -> None:
        """Wait for the work before the last record() to finish."""
        if self._event is not None:
            self._event.synchronize()

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds from this event's record to `end_event`'s (both created with enable_timing=True)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise ValueError("Both events must be created with argument 'enable_timing=True'.")
        if not (self._is_created() and end_event._is_created()):
            raise ValueError("Both events must be recorded before calculating elapsed time.")
        if is_simulator():
            return (end_event._recorded_at - self._recorded_at) * 1e3
        if not (self.query() and end_event.query()):
            raise RuntimeError("Both events must be completed before calculating elapsed time.")
        return float(self._event.elapsed_time(end_event._event))

    def __repr__(self) -> str:
        handle = self.cuda_event
        return f"<ntorch.cuda.Event {handle:#x}>" if handle else "<ntorch.cuda.Event uninitialized>"
