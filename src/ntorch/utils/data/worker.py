"""get_worker_info: what a dataset asks to shard itself across DataLoader workers.

ntorch's DataLoader runs every 'worker' in the main process (see dataloader.py), so there is never a worker
process: get_worker_info() is None, as torch's is in the main process, and an IterableDataset that shards on it
yields all of its data once, as torch's workers together do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["WorkerInfo", "get_worker_info"]


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """torch's record of a worker: its id, the worker count, its seed and its copy of the dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the calling worker process; None in the main process (always, in ntorch)."""
    return _worker_info
