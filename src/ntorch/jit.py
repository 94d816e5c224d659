"""torch.jit's decorators and entry points, so that scripts written for TorchScript run unchanged.

There is no TorchScript here: ntorch's kernels are compiled by Numba, and a Python model is already the fastest
form ntorch can run. `script` gives its argument back, `trace` runs the example inputs once (so a model that
cannot run on them fails here, as in torch) and gives the module or function back; the decorators only set the
markers torch sets. TorchScript archives cannot be written or read: `save`/`load` say to use ntorch.save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final  # noqa: F401  (torch.jit.Final is typing.Final)

from .tensor import Tensor

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "interface", "is_scripting",
           "is_tracing", "annotate", "Final", "script_if_tracing", "freeze", "optimize_for_inference", "save",
           "load", "fork", "wait", "Future", "ScriptModule", "ScriptFunction"]


class FunctionModifiers:
    """torch._jit_internal.FunctionModifiers: the marker `ignore`/`unused`/`export` leave on a function."""

    UNUSED = "unused (ignored and replaced with raising of an exception)"
    IGNORE = "ignore (leave as a call to Python, cannot be torch.jit.save'd)"
    EXPORT = "export (compile this function even if nothing calls it)"
    DEFAULT = "default (compile if called from a exported function / forward)"
    COPY_TO_SCRIPT_WRAPPER = "if this method is not scripted, copy the python method onto the scripted model"
    _DROP = "_drop (function is fully ignored, declaration can be unscriptable)"


def script(obj: Any, optimize: None = None, _frames_up: int = 0, _rcb: Callable | None = None,
           example_inputs: list | dict | None = None) -> Any:
    """torch.jit.script: the module, function or class itself (there is no TorchScript to compile to)."""
    return obj


def _as_tuple(example_inputs: Any) -> tuple:
    """trace's example_inputs: a Tensor stands for a 1-tuple; anything else must be iterable."""
    if isinstance(example_inputs, Tensor):
        return (example_inputs,)
    return tuple(example_inputs)


def trace(func: Callable, example_inputs: Any = None, optimize: None = None, check_trace: bool = True,
          check_inputs: list | None = None, check_tolerance: float = 1e-5, strict: bool = True,
          _force_outplace: bool = False, _module_class: Any = None, _compilation_unit: Any = None,
          example_kwarg_inputs: dict | None = None, _store_inputs: bool = True) -> Callable:
    """torch.jit.trace: calls func once on the example inputs (raising what the call raises) and returns func;
    no graph is recorded, so data-dependent control flow keeps working (torch would freeze one path)."""
    if example_kwarg_inputs is not None:
        if not isinstance(example_kwarg_inputs, dict):
            raise RuntimeError("example_kwarg_inputs should be a dict")
        func(**example_kwarg_inputs)
    else:
        func(*_as_tuple(example_inputs))
    return func


def trace_module(mod: Any, inputs: dict, optimize: None = None, check_trace: bool = True,
                 check_inputs: list | None = None, check_tolerance: float = 1e-5, strict: bool = True,
                 _force_outplace: bool = False, _module_class: Any = None, _compilation_unit: Any = None,
                 example_inputs_is_kwarg: bool = False, _store_inputs: bool = True) -> Any:
    """torch.jit.trace_module: runs each named method once on its example inputs and returns the module."""
    if not isinstance(inputs, dict):
        raise AttributeError("expected a dictionary of (method_name, input) pairs")
    for method_name, example in inputs.items():
        method = getattr(mod, method_name)
        if example_inputs_is_kwarg:
            method(**example)
        else:
            method(*_as_tuple(example))
    return mod


def _mark(fn: Any, modifier: str) -> Any:
    try:
        fn._torchscript_modifier = modifier
    except AttributeError:  # builtins and bound methods take no attributes: nothing to mark
        pass
    return fn


def ignore(drop: Any = False, **kwargs) -> Any:
    """torch.jit.ignore, as `@ignore` or `@ignore(drop=...)`: marks the function and returns it."""
    if callable(drop):
        return _mark(drop, FunctionModifiers.IGNORE)
    if not isinstance(drop, bool):
        raise RuntimeError(f"Argument to @torch.jit.ignore must be a bool or a function but got {drop}")
    drop_on_export = kwargs.pop("drop_on_export", None)
    if drop_on_export is not None:
        drop = drop or drop_on_export
    modifier = FunctionModifiers.UNUSED if drop else FunctionModifiers.IGNORE
    return lambda fn: _mark(fn, modifier)


def unused(fn: Any) -> Any:
    """torch.jit.unused: marks the function (or a property's getter and setter) and returns it."""
    if isinstance(fn, property):
        _mark(fn.fget, FunctionModifiers.UNUSED)
        if fn.fset is not None:
            _mark(fn.fset, FunctionModifiers.UNUSED)
        return fn
    return _mark(fn, FunctionModifiers.UNUSED)


def export(fn: Callable) -> Callable:
    return _mark(fn, FunctionModifiers.EXPORT)


def interface(obj: Any) -> Any:
    return obj


def script_if_tracing(fn: Callable) -> Callable:
    return fn


def is_scripting() -> bool:
    """False: ntorch code never runs under TorchScript."""
    return False


def is_tracing() -> bool:
    """False: `trace` runs the model eagerly, so code never sees a tracer."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """torch.jit.annotate: the value itself (the type is for TorchScript's compiler)."""
    return the_value


def freeze(mod: Any, preserved_attrs: list[str] | None = None, optimize_numerics: bool = True) -> Any:
    """torch.jit.freeze requires eval mode, as torch's does, and returns the module."""
    if getattr(mod, "training", False):
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() "
                           "on your module before freezing.")
    return mod


def optimize_for_inference(mod: Any, other_methods: list[str] | None = None) -> Any:
    """torch.jit.optimize_for_inference: puts the module in eval mode (torch freezes it) and returns it."""
    if getattr(mod, "training", False):
        mod.eval()
    return mod


class Future:
    """torch.jit.Future as fork returns it here: the call has already run, wait() gives its value."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def wait(self) -> Any:
        return self._value

    def value(self) -> Any:
        return self._value

    def done(self) -> bool:
        return True


def fork(func: Callable, *args, **kwargs) -> Future:
    """torch.jit.fork outside TorchScript runs the call synchronously, as torch's does in eager mode."""
    return Future(func(*args, **kwargs))


def wait(future: Future) -> Any:
    return future.wait()


def _no_torchscript(name: str) -> RuntimeError:
    return RuntimeError(f"torch.jit.{name}: ntorch has no TorchScript, so it cannot {name} a TorchScript archive; "
                        "save a model's state_dict with ntorch.save and load it with ntorch.load "
                        "(model.load_state_dict(ntorch.load(path)))")


def save(m: Any, f: Any, _extra_files: dict | None = None) -> None:
    raise _no_torchscript("save")


def load(f: Any, map_location: Any = None, _extra_files: dict | None = None, _restore_shapes: bool = False) -> Any:
    raise _no_torchscript("load")


class ScriptModule:
    """Never instantiated: `script` returns the module itself (kept for isinstance checks, which are False)."""


class ScriptFunction:
    """Never instantiated: `script` returns the function itself (kept for isinstance checks)."""
