"""torch.compile and torch.compiler, without graph capture.

ntorch's kernels are already compiled by Numba, so there is no graph to capture: `compile` checks its
arguments the way torch does and returns an object that behaves exactly like the one it was given (a wrapper
function, or for a Module an OptimizedModule whose state_dict keys carry torch's `_orig_mod.` prefix, so
checkpoints saved from either side load in the other).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .nn.modules.module import Module

__all__ = ["compile", "OptimizedModule", "disable", "reset", "is_compiling", "is_dynamo_compiling", "is_exporting",
           "allow_in_graph", "assume_constant_result", "list_backends", "set_stance", "cudagraph_mark_step_begin",
           "set_default_backend", "get_default_backend", "nested_compile_region"]

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
# torch._dynamo.list_backends(None); the ones without a debug/experimental tag are listed by default
_BACKENDS = ("aot_eager", "aot_eager_decomp_partition", "aot_eager_decomp_partition_crossref",
             "aot_eager_decomp_partition_with_mode", "aot_eager_default_partitioner", "aot_ts", "cudagraphs",
             "dynamo_accuracy_minifier_backend", "dynamo_minifier_backend", "eager", "eager_debug", "eager_noexcept",
             "inductor", "invoke_subgraph", "openxla", "openxla_eval", "pre_dispatch_eager", "ts", "tvm")
_DEFAULT_BACKENDS = ("cudagraphs", "inductor", "openxla", "tvm")
_state: dict[str, Any] = {"default_backend": "inductor", "stance": "default"}


class InvalidBackend(RuntimeError):
    """torch._dynamo.exc.InvalidBackend (a RuntimeError)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for available backends.")


class OptimizedModule(Module):
    """torch._dynamo.eval_frame.OptimizedModule: registers the wrapped module as child `_orig_mod` (hence the
    state_dict prefix); forward calls it, and attribute reads, writes and deletes fall through to it."""

    _opt_mod_attributes = frozenset({"_orig_mod", "dynamo_ctx", "_torchdynamo_orig_callable", "forward", "_forward",
                                     "__dict__", "_super_module_initialized"})

    def __init__(self, mod: Module, dynamo_ctx: Any = None) -> None:
        object.__setattr__(self, "_orig_mod", mod)  # attribute access below needs it before Module.__init__
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        object.__setattr__(self, "_super_module_initialized", True)
        del self.__dict__["_orig_mod"]
        self._modules["_orig_mod"] = mod
        object.__setattr__(self, "dynamo_ctx", dynamo_ctx)
        object.__setattr__(self, "forward", mod.__call__)

    @property
    def training(self) -> bool:  # type: ignore[override]
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        if self._super_module_initialized:  # Module.__init__'s default is ignored, as in torch
            self._orig_mod.training = value

    def __len__(self) -> int:
        if hasattr(self._orig_mod, "__len__"):
            return len(self._orig_mod)
        raise TypeError(f"{type(self._orig_mod).__name__} does not support len()")

    def __getattr__(self, name: str) -> Any:
        modules = self.__dict__.get("_modules")
        if modules is None or "_orig_mod" not in modules:
            if name == "_orig_mod" and "_orig_mod" in self.__dict__:
                return self.__dict__["_orig_mod"]
            raise AttributeError(f"'OptimizedModule' object has no attribute '{name}'")
        if name == "_orig_mod":
            return modules["_orig_mod"]
        return getattr(modules["_orig_mod"], name)

    def __setattr__(self, name: str, value: Any) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            super().__setattr__(name, value)
        else:
            setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            super().__delattr__(name)
        else:
            delattr(self._orig_mod, name)

    def __reduce__(self):
        return (type(self), (self._orig_mod, self.dynamo_ctx))

    def __dir__(self) -> list[str]:
        own = dir(self._orig_mod)
        return own + [a for a in super().__dir__() if a not in own]


def _check_backend(backend: Any) -> None:
    if callable(backend):
        return
    if not isinstance(backend, str) or backend not in _BACKENDS:
        raise InvalidBackend(backend)


def compile(model: Callable | None = None, *, fullgraph: bool = False, dynamic: bool | None = None,  # noqa: A001
            backend: str | Callable | None = None, mode: str | None = None, options: dict | None = None,
            name: str | None = None, disable: bool = False, recompile_limit: int | None = None,
            isolate_recompiles: bool = False, shapes_spec: Any = None) -> Callable:
    """torch.compile: with model=None a decorator; a Module comes back as an OptimizedModule wrapping it, a
    function as a wrapper with `_torchdynamo_orig_callable`, disable=True gives the model back itself. No graph
    is captured (ntorch's kernels are already compiled by Numba): results are exactly the eager ones."""
    if backend is None:
        backend = _state["default_backend"]
    if model is None:
        def decorate(model: Callable) -> Callable:
            if model is None:
                raise RuntimeError("Model can't be None")
            return compile(model, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                           name=name, disable=disable, recompile_limit=recompile_limit,
                           isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
        return decorate
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode != "default" and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    _check_backend(backend)
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model, {"backend": backend, "mode": mode, "options": options, "dynamic": dynamic,
                                       "fullgraph": fullgraph})
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)

    compiled._torchdynamo_orig_callable = model
    return compiled


def disable(fn: Callable | None = None, recursive: bool = True, *, reason: str | None = None) -> Callable:
    """torch.compiler.disable: nothing is ever traced here, so the function comes back as it is (also as a
    decorator with arguments)."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    return fn


def reset() -> None:
    """torch.compiler.reset: there are no compile caches to clear."""


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def allow_in_graph(fn: Callable) -> Callable:
    return fn


def assume_constant_result(fn: Callable) -> Callable:
    return fn


def nested_compile_region(fn: Callable | None = None, *, options: Any = None, max_reuse_entries: int = 8,
                          reuse_hash_fn: Callable | None = None) -> Callable:
    """Marks a region torch compiles once and reuses; nothing is compiled here: the function itself (also as
    a decorator with arguments)."""
    if fn is None:
        return lambda f: f
    return fn


def cudagraph_mark_step_begin() -> None:
    """No CUDA graphs are recorded, so there is no step to mark."""


def list_backends(exclude_tags=("debug", "experimental")) -> list[str]:
    """torch's registered backend names: the stable ones by default, all of them with exclude_tags=None
    (`compile` accepts them all and runs eagerly whichever is named)."""
    return sorted(_BACKENDS) if not exclude_tags else list(_DEFAULT_BACKENDS)


def set_default_backend(backend: str | Callable | None) -> None:
    if backend is None:
        backend = "inductor"
    _check_backend(backend)
    _state["default_backend"] = backend


def get_default_backend() -> str | Callable:
    return _state["default_backend"]


def set_stance(stance: str = "default", *, skip_guard_eval_unsafe: bool = False,
               force_backend: str | Callable | None = None):
    """Recorded only (there is no compiled code to skip); usable as a context manager, like torch's."""
    if force_backend is not None and stance != "default":
        raise RuntimeError("non-default stance cannot have force_backend set")
    return _Stance(stance)


class _Stance:
    """Returned by set_stance: the new stance is already in force; leaving a `with` block restores the old one."""

    def __init__(self, stance: str) -> None:
        self.stance, self.prev = stance, _state["stance"]
        _state["stance"] = stance

    def __enter__(self) -> None:
        _state["stance"] = self.stance

    def __exit__(self, *exc) -> None:
        _state["stance"] = self.prev

    def __call__(self, fn: Callable) -> Callable:
        stance = _state["stance"]
        _state["stance"] = self.prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_stance(stance):
                return fn(*args, **kwargs)
        return wrapper
