"""torch.autograd.profiler: record_function (the same class as ntorch.profiler's) and the legacy `profile`
context manager, which records the same ranges (see ntorch.profiler for what is and is not collected)."""

from __future__ import annotations

from typing import Any

from ..profiler import EventList, FunctionEvent, FunctionEventAvg, record_function
from ..profiler import profile as _profile

__all__ = ["record_function", "profile", "emit_nvtx", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile(_profile):  # noqa: N801  (torch's name)
    """torch.autograd.profiler.profile(enabled=True, ...): with enabled=False the block is not recorded and
    asking for results raises, as in torch."""

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: str | None = None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False,
                 use_cpu: bool = True, experimental_config: Any = None, acc_events: bool = False,
                 custom_trace_id_callback: Any = None) -> None:
        super().__init__(record_shapes=record_shapes, profile_memory=profile_memory, with_stack=with_stack,
                         with_flops=with_flops, with_modules=with_modules, acc_events=acc_events)
        self.enabled = enabled

    def start(self) -> None:
        if self.enabled:
            super().start()

    def stop(self) -> None:
        if self.enabled:
            super().stop()

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def __str__(self) -> str:
        return self.key_averages().table()


class emit_nvtx:  # noqa: N801  (torch's name)
    """torch's NVTX range emitter for nvprof/Nsight; ntorch emits no NVTX ranges, so the block just runs."""

    def __init__(self, enabled: bool = True, record_shapes: bool = False) -> None:
        self.enabled, self.record_shapes = enabled, record_shapes

    def __enter__(self) -> emit_nvtx:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None
