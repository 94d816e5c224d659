"""functional_call: run a module with some parameters/buffers replaced by the given tensors, restoring them
afterwards (torch.func.functional_call's semantics; this name is deprecated in torch with a FutureWarning)."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

from ...tensor import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]

_MISSING = object()


def _all_named_tensors(module: Module) -> dict[str, Tensor]:
    named = dict(module.named_parameters(remove_duplicate=False))
    named.update(module.named_buffers(remove_duplicate=False))
    return named


def _untie_named_tensors_map(module: Module, parameters_and_buffers: dict[str, Tensor]) -> dict[str, Tensor]:
    """A value given for one name of a tied (shared) tensor is used for all its names."""
    tied_by_tensor: dict[int, set[str]] = {}
    for name, tensor in _all_named_tensors(module).items():
        tied_by_tensor.setdefault(id(tensor), set()).add(name)
    tied_names_map = {name: names for names in tied_by_tensor.values() if len(names) > 1 for name in names}
    given = [name for name in parameters_and_buffers if name in tied_names_map]
    for name in given:
        tied = tied_names_map[name]
        values = {id(parameters_and_buffers[n]) for n in tied if n in parameters_and_buffers}
        if len(tied.intersection(given)) > 1 and len(values) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied)}, which are tied. "
                             "Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given:
        for tied_name in tied_names_map[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


def _swap_tensor(root: Module, path: str, tensor) -> Any:
    """Put tensor at the dotted path (in the parameter/buffer registry when the name is registered there) and
    return what was there (_MISSING for nothing)."""
    prefix, _, name = path.rpartition(".")
    module = root.get_submodule(prefix)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    for registry in (module._parameters, module._buffers):
        if name in registry:
            orig = registry[name]
            if tensor is _MISSING:
                del registry[name]
            else:
                registry[name] = tensor
            return orig
    orig = getattr(module, name) if hasattr(module, name) else _MISSING
    if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of torch.Tensor")
    if tensor is _MISSING:
        if orig is not _MISSING:
            delattr(module, name)
    else:
        setattr(module, name, tensor)
    return orig


@contextlib.contextmanager
def _reparametrize_module(module: Module, parameters_and_buffers: dict[str, Tensor], tie_weights: bool = False,
                          strict: bool = False) -> Iterator[None]:
    values = _untie_named_tensors_map(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        valid = set(_all_named_tensors(module))
        missing, unexpected = sorted(valid - set(values)), sorted(set(values) - valid)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                                 "\n\t".join(msgs)))
    originals: dict[str, Any] = {}
    try:
        for name, tensor in values.items():
            originals[name] = _swap_tensor(module, name, tensor)
        yield
    finally:
        for name, orig in reversed(list(originals.items())):
            _swap_tensor(module, name, orig)


def functional_call(module: Module, parameters_and_buffers: dict[str, Tensor], args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True, strict: bool = False) -> Any:
    """module(*args, **kwargs) with the named parameters/buffers replaced for the duration of the call
    (FutureWarning: torch deprecates this name for torch.func.functional_call)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in "
                  "a future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    from ..modules.parallel import DataParallel

    if isinstance(module, DataParallel):
        raise RuntimeError("The stateless API can't be used with nn.DataParallel module")
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)
