"""torch.utils.hooks: the handle every register_*_hook returns."""

from __future__ import annotations


class RemovableHandle:
    """What register_*_hook returns: remove() (or leaving a `with` block) unregisters the hook."""

    next_id = 0

    def __init__(self, hooks_dict: dict, *extra_dicts: dict) -> None:
        self.hooks_dict = hooks_dict
        self.id = RemovableHandle.next_id
        RemovableHandle.next_id += 1
        self.extra_dicts = extra_dicts

    def remove(self) -> None:
        for d in (self.hooks_dict, *self.extra_dicts):
            d.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *args) -> None:
        self.remove()
