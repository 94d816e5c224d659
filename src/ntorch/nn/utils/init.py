"""skip_init: build a module without running its parameter initialization.

torch builds it on the meta device and calls to_empty; ntorch has no meta device, so the module is built on
its final device while nn.init's fillers are no-ops: the parameters hold whatever empty() gave them, and the
random generator is not advanced.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import init
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Module:
    """module_cls(*args, **kwargs) with its parameters and buffers left uninitialized."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    with init._skipping():
        return module_cls(*args, **kwargs)
