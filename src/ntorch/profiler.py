"""torch.profiler for ntorch: wall-clock time per `record_function` label.

torch's profiler hooks every aten op and (through Kineto/CUPTI) every GPU kernel. ntorch records only the
`record_function` ranges the program opens (and, under a schedule, one "ProfilerStep#N" range per step),
timed with time.perf_counter on the calling thread: `key_averages().table()` lists each label with its call
count, self and total CPU time, in torch's layout. Shapes, memory, stacks, FLOPs and device time are not
collected (the arguments asking for them are accepted). `export_chrome_trace` writes the ranges as a
chrome://tracing / Perfetto JSON; `tensorboard_trace_handler` refuses to write, since TensorBoard's profiler
plugin needs Kineto's trace format.
"""

from __future__ import annotations

import enum
import functools
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["profile", "schedule", "supported_activities", "tensorboard_trace_handler", "ProfilerAction",
           "ProfilerActivity", "kineto_available", "record_function", "EventList", "FunctionEvent",
           "FunctionEventAvg"]


class ProfilerActivity(enum.IntEnum):
    """Activity groups torch can trace (values as torch's); ntorch times CPU ranges only."""

    CPU = 0
    XPU = 1
    CUDA = 2
    HPU = 3
    MTIA = 4
    PrivateUse1 = 5

    __str__ = enum.Enum.__str__


class ProfilerAction(enum.Enum):
    """What the profiler does during a step, as a schedule returns it."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3
    DEVICE_STOPPED = 4


def supported_activities() -> set[ProfilerActivity]:
    return {ProfilerActivity.CPU}


def kineto_available() -> bool:
    """False: there is no Kineto (see the module docstring)."""
    return False


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """torch.profiler.schedule: skip `skip_first` steps, then cycles of `wait` idle, `warmup` and `active`
    recording steps (the last one RECORD_AND_SAVE, which hands the trace to on_trace_ready), `repeat` times
    (0: forever); skip_first_wait drops the first cycle's wait."""
    def schedule_fn(step: int) -> ProfilerAction:
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        num_steps = wait + warmup + active
        if repeat > 0 and step / num_steps >= repeat:
            return ProfilerAction.NONE
        mod_step = step % num_steps
        if mod_step < wait:
            return ProfilerAction.NONE
        if mod_step < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if mod_step < num_steps - 1 else ProfilerAction.RECORD_AND_SAVE

    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup} (need >= 0), "
            f"active={active} (need > 0), repeat={repeat} (need >= 0), skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", stacklevel=2)
    return schedule_fn


def _default_schedule(_: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip: bool = False,
                              use_python_export: bool = False) -> Callable[[Any], None]:
    """Returns torch's on_trace_ready callback; calling it raises, because TensorBoard's profiler plugin reads
    Kineto traces, which ntorch cannot produce."""
    def handler_fn(prof: Any) -> None:
        raise RuntimeError(
            f"tensorboard_trace_handler({dir_name!r}): ntorch's profiler cannot write TensorBoard traces (they are "
            "Kineto traces; ntorch records only record_function ranges). Use on_trace_ready=lambda p: "
            "print(p.key_averages().table()) or p.export_chrome_trace(path) for chrome://tracing / Perfetto.")
    return handler_fn


# -- recording -------------------------------------------------------------------------------------------------
_local = threading.local()  # per-thread stack of open ranges: [start_ns, time spent in child ranges]
_recording: list[_Trace] = []  # traces currently collecting


class _Trace:
    """The ranges closed while one profiling cycle was recording."""

    def __init__(self) -> None:
        self.start_ns = time.perf_counter_ns()
        self.events: list[FunctionEvent] = []


def _stack() -> list:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


class record_function:  # noqa: N801  (torch's name)
    """A labelled range, as a context manager or (`@record_function("label")`) a decorator. While no profiler
    records, entering and leaving it do nothing."""

    def __init__(self, name: str, args: str | None = None) -> None:
        self.name, self.args = name, args
        self._frame: list | None = None

    def __enter__(self) -> record_function:
        if not isinstance(self.name, str):  # torch checks on entry too
            raise RuntimeError("profiler::_record_function_enter_new() Expected a value of type 'str' for argument "
                               f"'name' but instead found type '{type(self.name).__name__}'.")
        if not _recording:  # no profiler collects: a range opened now could never be recorded
            self._frame = None
            return self
        self._frame = [time.perf_counter_ns(), 0]
        _stack().append(self._frame)
        return self

    def __exit__(self, *exc: Any) -> None:
        frame, self._frame = self._frame, None
        if frame is None:
            return
        end = time.perf_counter_ns()
        stack = _stack()
        if not stack or stack[-1] is not frame:
            return  # exited out of order: nothing sensible to record
        stack.pop()
        duration = end - frame[0]
        if stack:
            stack[-1][1] += duration
        for trace in list(_recording):
            if frame[0] >= trace.start_ns:
                trace.events.append(FunctionEvent(self.name, frame[0], end, duration - frame[1], threading.get_ident(),
                                                  len(stack)))

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper


# -- results ---------------------------------------------------------------------------------------------------
def _format_time(time_us: float) -> str:
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_share(time_us: float, total_us: float) -> str:
    return "NaN" if total_us == 0 else f"{time_us * 100.0 / total_us:.2f}%"


def _in_unit(time_us: float, unit: str | None) -> str:
    scale = {"s": 1e6, "ms": 1e3, "us": 1.0}.get(unit)
    return _format_time(time_us) if scale is None else f"{time_us / scale:.3f}{unit}"


class _Stats:
    """The fields torch's events carry that ntorch never measures (device time, memory, flops): zero."""

    device_time_total = self_device_time_total = device_time = 0.0
    cpu_memory_usage = self_cpu_memory_usage = device_memory_usage = self_device_memory_usage = 0
    flops = 0
    input_shapes: list = []
    stack: list = []
    is_async = False
    overload_name = ""

    @property
    def cpu_time(self) -> float:
        """Average total CPU time per call, in microseconds."""
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def cuda_time_total(self) -> float:  # torch's deprecated spelling
        return self.device_time_total


class FunctionEvent(_Stats):
    """One closed range: times in microseconds from the profiler's clock."""

    count = 1

    def __init__(self, name: str, start_ns: int, end_ns: int, self_ns: int, thread: int, depth: int) -> None:
        self.name = self.key = name
        self.time_range_start_us, self.time_range_end_us = start_ns / 1e3, end_ns / 1e3
        self.cpu_time_total = (end_ns - start_ns) / 1e3
        self.self_cpu_time_total = self_ns / 1e3
        self.thread, self.depth = thread, depth

    def __repr__(self) -> str:
        return (f"<FunctionEvent name={self.name} thread={self.thread} cpu_time={_format_time(self.cpu_time_total)} "
                f"self_cpu_time={_format_time(self.self_cpu_time_total)}>")


class FunctionEventAvg(_Stats):
    """The events of one label added up: count, total and self CPU time (cpu_time is the per-call average)."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0
        self.depth = None

    def add(self, event: FunctionEvent) -> FunctionEventAvg:
        self.count += event.count
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.depth = event.depth if self.depth is None else min(self.depth, event.depth)
        return self

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_format_time(self.self_cpu_time_total)} "
                f"cpu_time={_format_time(self.cpu_time)} count={self.count}>")


class EventList(list):
    """A list of events (or of per-label averages) with torch's table()."""

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        averages: dict[str, FunctionEventAvg] = {}
        for event in self:
            averages.setdefault(event.key, FunctionEventAvg(event.key)).add(event)
        return EventList(averages.values())

    def total_average(self) -> FunctionEventAvg:
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """torch's summary table: one row per entry, sorted (descending) by the named attribute, at most
        row_limit rows (negative: all), then the total self CPU time."""
        events = list(self)
        if not events:
            return ""
        if sort_by is not None:
            attr = sort_by.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")
            events.sort(key=lambda e: getattr(e, attr), reverse=True)
        name_width = max(len(e.key) for e in events) + 4
        if max_name_column_width is not None:
            name_width = min(name_width, max_name_column_width)
        headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg", "# of Calls"]
        widths = [name_width] + [12] * (len(headers) - 1)
        row_format = "".join("{: >" + str(w) + "}  " for w in widths)
        sep = "".join("-" * w + "  " for w in widths)
        line_length = sum(w + 2 for w in widths) - 2
        total_self = sum(e.self_cpu_time_total for e in events)
        lines = []
        if header is not None:
            lines += ["=" * line_length, header]
        if top_level_events_only:
            lines += ["=" * line_length, "This report only display top-level ops statistics"]
        lines += [sep, row_format.format(*headers), sep]
        shown = 0
        for e in events:
            if shown == row_limit:
                break
            if top_level_events_only and e.depth:
                continue
            shown += 1
            name = e.key
            if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
                name = name[: max_name_column_width - 3] + "..."
            lines.append(row_format.format(
                name, _format_share(e.self_cpu_time_total, total_self), _in_unit(e.self_cpu_time_total, time_unit),
                _format_share(e.cpu_time_total, total_self), _in_unit(e.cpu_time_total, time_unit),
                _in_unit(e.cpu_time, time_unit), e.count))
        lines += [sep, f"Self CPU time total: {_in_unit(total_self, time_unit)}"]
        return "".join(line + "\n" for line in lines)

    def __str__(self) -> str:
        return self.table()

    def export_chrome_trace(self, path: str) -> None:
        """The events as Chrome trace-event JSON ("X" complete events, microseconds)."""
        import json

        pid = os.getpid()
        trace = {"traceEvents": [{"ph": "X", "cat": "user_annotation", "name": e.name, "pid": pid, "tid": e.thread,
                                  "ts": e.time_range_start_us, "dur": e.cpu_time_total, "args": {}}
                                 for e in self if isinstance(e, FunctionEvent)],
                 "displayTimeUnit": "ms"}
        with open(path, "w") as f:
            json.dump(trace, f)


# -- the profiler ----------------------------------------------------------------------------------------------
class profile:  # noqa: N801  (torch's name)
    """torch.profiler.profile: a context manager (or start()/stop()) that records record_function ranges;
    with a schedule, step() advances it through wait/warmup/active steps and on_trace_ready(prof) is called at
    the end of each active cycle (and at stop() while recording). Unsupported collection options are accepted
    and ignored (see the module docstring)."""

    def __init__(self, *, activities: Iterable | None = None, schedule: Callable[[int], ProfilerAction] | None = None,
                 on_trace_ready: Callable[..., Any] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None, execution_trace_observer: Any = None,
                 acc_events: bool = False, use_cuda: bool | None = None,
                 custom_trace_id_callback: Callable[[], str] | None = None,
                 post_processing_timeout_s: float | None = None) -> None:
        self.activities = self._parse_activities(activities)
        if use_cuda is not None:
            warnings.warn("The use_cuda parameter is deprecated. Please use ProfilerActivity.CUDA instead.",
                          FutureWarning, stacklevel=2)
        self.record_steps = schedule is not None
        self.schedule = schedule if schedule is not None else _default_schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes, self.profile_memory, self.with_stack = record_shapes, profile_memory, with_stack
        self.with_flops, self.with_modules, self.acc_events = with_flops, with_modules, acc_events
        self.step_num = 0
        self.current_action = self.schedule(0)
        self.metadata: dict[str, str] = {}
        self._trace: _Trace | None = None  # collecting now
        self._events: EventList | None = None  # the last finished cycle (or all of them with acc_events)
        self._step_rec: record_function | None = None

    @staticmethod
    def _parse_activities(activities: Iterable | None) -> set:
        if activities is None:
            return {ProfilerActivity.CPU}
        parsed: set = set()
        for item in activities:
            groups = list(item) if isinstance(item, dict) else [item]
            for group in groups:
                if not isinstance(group, ProfilerActivity):
                    raise TypeError(f"Expected a ProfilerActivity or dict of ProfilerActivity, got {type(item)}")
                if group in parsed:
                    raise ValueError(f"Activity {group} specified more than once")
                parsed.add(group)
        return parsed

    # the cycle's actions, as torch names them
    def prepare_trace(self) -> None:
        pass

    def start_trace(self) -> None:
        self._trace = _Trace()
        _recording.append(self._trace)

    def stop_trace(self) -> None:
        trace, self._trace = self._trace, None
        if trace is None:
            return
        _recording.remove(trace)
        if self.acc_events and self._events is not None:
            self._events.extend(trace.events)
        else:
            self._events = EventList(trace.events)

    def _trace_ready(self) -> None:
        if self.on_trace_ready:
            self.on_trace_ready(self)

    def _transit(self, prev: ProfilerAction, cur: ProfilerAction | None) -> None:
        A = ProfilerAction
        recording = (A.RECORD, A.RECORD_AND_SAVE)
        if prev == A.NONE:
            if cur in recording:
                self.start_trace()
        elif prev == A.WARMUP:
            if cur == A.NONE:
                warnings.warn("Incorrect schedule: WARMUP followed by NONE", stacklevel=3)
            if cur in recording:
                self.start_trace()
        elif prev == A.RECORD:
            if cur in (A.NONE, A.WARMUP):
                warnings.warn(f"Incorrect schedule: RECORD followed by {cur.name}", stacklevel=3)
                self.stop_trace()
            elif cur is None:
                self.stop_trace()
                self._trace_ready()
        elif prev == A.RECORD_AND_SAVE:
            self.stop_trace()
            self._trace_ready()
            if cur in recording:
                self.start_trace()

    def start(self) -> None:
        self._transit(ProfilerAction.NONE, self.current_action)
        if self.record_steps:
            self._step_rec = record_function(f"ProfilerStep#{self.step_num}")
            self._step_rec.__enter__()

    def stop(self) -> None:
        if self._step_rec is not None:
            self._step_rec.__exit__(None, None, None)
            self._step_rec = None
        self._transit(self.current_action, None)

    def step(self) -> None:
        """Ends the current step: the schedule decides whether the next one records."""
        if self._step_rec is not None:
            self._step_rec.__exit__(None, None, None)
            self._step_rec = None
        prev = self.current_action
        action = self.schedule(self.step_num + 1)
        if action == ProfilerAction.DEVICE_STOPPED:
            raise ValueError("ProfilerAction.DEVICE_STOPPED is set internally by the profiler and must not be "
                             "returned by a user-provided schedule")
        self.step_num += 1
        self.current_action = action
        self._transit(prev, action)
        if self.record_steps:
            self._step_rec = record_function(f"ProfilerStep#{self.step_num}")
            self._step_rec.__enter__()

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _finished(self, what: str) -> EventList:
        """The last finished cycle's events; while the first cycle records, the ranges closed so far."""
        if self._events is not None:
            return self._events
        if self._trace is not None:
            return EventList(self._trace.events)
        raise AssertionError(f"Profiler must be initialized before getting {what}")  # torch's wording

    def events(self) -> EventList:
        """The ranges of the last finished recording cycle (all cycles with acc_events=True)."""
        return self._finished("events")

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One entry per label: call count, total and self CPU time."""
        events = self._finished("key averages")
        return events.key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def export_chrome_trace(self, path: str, use_python_export: bool = False) -> None:
        self._finished("events").export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        raise RuntimeError("export_stacks: ntorch's profiler records no stacks (with_stack is accepted and ignored)")

    def add_metadata(self, key: str, value: str) -> None:
        self.metadata[key] = value

    def add_metadata_json(self, key: str, value: str) -> None:
        self.metadata[key] = value
