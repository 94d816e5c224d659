"""Settable module attributes for ntorch.backends.*: `ntorch.backends.cudnn.benchmark = True` type-checks the
value as torch's C++ setters do and can be frozen by disable_global_flags(), as torch's ContextProp can."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

_state = {"frozen": False}


def frozen_error(module_name: str) -> RuntimeError:
    return RuntimeError(f"not allowed to set {module_name} flags after disable_global_flags; please use flags() "
                        "context manager instead")


class Prop:
    """A module attribute read and written through getter/setter functions (torch's ContextProp)."""

    def __init__(self, getter: Callable[[], Any], setter: Callable[[Any], None]) -> None:
        self.getter, self.setter = getter, setter

    def __get__(self, module, owner=None) -> Any:
        return self if module is None else self.getter()

    def __set__(self, module, value: Any) -> None:
        if _state["frozen"]:
            raise frozen_error(module.__name__)
        self.setter(value)


def bool_flag(values: dict, key: str, setter_name: str) -> Prop:
    """A bool kept in values[key]; anything but a bool is refused with torch's '<setter> expects a bool'."""
    def set_value(value: Any) -> None:
        check_bool(value, setter_name)
        values[key] = value
    return Prop(lambda: values[key], set_value)


def check_bool(value: Any, setter_name: str) -> None:
    if not isinstance(value, bool):
        raise RuntimeError(f"{setter_name} expects a bool, but got {type(value).__name__}")


def install(module_name: str, props: dict[str, Prop]) -> None:
    """Give the module a class carrying the props, so that plain attribute writes go through them."""
    module = sys.modules[module_name]
    module.__class__ = type(f"{module_name.rsplit('.', 1)[-1].capitalize()}Module", (types.ModuleType,), props)
