"""torch.func: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian, linearize, vmap, functional_call,
stack_module_state, built on ntorch's tape autograd.

Differences from torch's functorch (documented in the README): the transforms differentiate with the tape, so
jacfwd and jvp compute the same values by reverse mode (the double-vjp trick) and their cost is reverse mode's;
vmap runs the function once per batch element in a Python loop and stacks the results (same values; randomness
'error' behaves as 'different'). Transforms nest (grad(grad(f)), jacfwd(jacrev(f))): inputs that already
require grad are differentiated in place of fresh leaves, and the inner result keeps its graph.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from . import random as _random
from .autograd import enable_grad, grad_mode
from .autograd.engine import grad as _autograd_grad
from .tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize", "vmap",
           "functional_call", "stack_module_state"]


# -- pytrees: tuples, lists, dicts (and namedtuples) of leaves -------------------------------------------------
def _flatten(tree) -> tuple[list, Any]:
    if isinstance(tree, tuple | list):
        leaves, specs = [], []
        for item in tree:
            sub, spec = _flatten(item)
            leaves.extend(sub)
            specs.append((len(sub), spec))
        return leaves, (type(tree), specs)
    if isinstance(tree, dict):
        keys = list(tree)
        leaves, specs = _flatten([tree[k] for k in keys])
        return leaves, (dict, keys, specs)
    return [tree], None


def _unflatten(leaves: Sequence, spec) -> Any:
    if spec is None:
        return leaves[0]
    if spec[0] is dict:
        _, keys, inner = spec
        return dict(zip(keys, _unflatten(leaves, inner), strict=True))
    kind, specs = spec
    items, i = [], 0
    for n, sub in specs:
        items.append(_unflatten(leaves[i:i + n], sub))
        i += n
    if kind is tuple or kind is list:
        return kind(items)
    return kind(*items)  # a namedtuple


def _argnums(argnums, nargs: int, api: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not nums or not all(isinstance(n, int) for n in nums):
        raise RuntimeError(f"{api}: argnums must be int or Tuple[int, ...], got: {argnums}")
    out = []
    for n in nums:
        if not -nargs <= n < nargs:
            raise RuntimeError(f"Got argnum={n}, but only {nargs} positional inputs")
        out.append(n % nargs)
    return tuple(out)


def _prepare(value) -> tuple[Any, list[Tensor], bool]:
    """The differentiable copy of an argument's pytree: its tensors as leaves to differentiate. A tensor that
    already requires grad (an outer transform's, or the user's) is used as is, so the outer level sees through."""
    leaves, spec = _flatten(value)
    nested = False
    prepared = []
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise RuntimeError(f"Expected all differentiated inputs to be Tensors, got {type(leaf).__name__}")
        if leaf.requires_grad and grad_mode.STATE.enabled:
            nested = True
            prepared.append(leaf)
        else:
            if not leaf.is_floating_point():
                raise RuntimeError("only Tensors of floating point dtype can require gradients")
            prepared.append(leaf.detach().requires_grad_())
    return _unflatten(prepared, spec), prepared, nested


def _prepare_all(values) -> tuple[list, list[list[Tensor]], bool]:
    """_prepare on each value: the prepared values, each one's leaves, and whether any was nested."""
    prepared, leaves_per, nested = [], [], False
    for v in values:
        value, leaves, was_nested = _prepare(v)
        prepared.append(value)
        leaves_per.append(leaves)
        nested |= was_nested
    return prepared, leaves_per, nested


def _regroup(flat: list, values, leaves_per: list) -> list:
    """flat (one entry per leaf of every value, in order) cut back into one pytree per value."""
    grouped, i = [], 0
    for v, leaves in zip(values, leaves_per, strict=True):
        grouped.append(_unflatten(flat[i:i + len(leaves)], _flatten(v)[1]))
        i += len(leaves)
    return grouped


def _grads(outputs: list, inputs: list, cotangents: list | None, create_graph: bool) -> list:
    from .ops.creation import zeros_like

    pairs = [(o, c) for o, c in zip(outputs, cotangents or [None] * len(outputs), strict=True) if o.requires_grad]
    if not pairs:
        return [zeros_like(t) for t in inputs]
    gs = _autograd_grad([o for o, _ in pairs], inputs, [c for _, c in pairs] if cotangents else None,
                        retain_graph=True, create_graph=create_graph, allow_unused=True)
    return [zeros_like(t) if g is None else g for g, t in zip(gs, inputs, strict=True)]


def _detach_tree(tree, keep: bool):
    if keep:
        return tree
    leaves, spec = _flatten(tree)
    return _unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)


def _split_aux(out, has_aux: bool, api: str):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{api}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux is "
                           "True")
    return out


# -- reverse mode ------------------------------------------------------------------------------------------
def grad_and_value(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """f -> (grad of f w.r.t. args[argnums], f(args)) for a function returning a one-element tensor."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args), "grad_and_value")
        args = list(args)
        with enable_grad():
            prepared, inputs, nested = _prepare_all(args[n] for n in nums)
            for n, value in zip(nums, prepared, strict=True):
                args[n] = value
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad_and_value")
            if not isinstance(out, Tensor):
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                                   f"{type(out)}")
            if out.numel() != 1:
                raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                                   f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs "
                                   "instead?")
            flat = [t for leaves in inputs for t in leaves]
            gs = _grads([out], flat, None, create_graph=nested)
        grads = _regroup(gs, prepared, inputs)
        result = grads[0] if isinstance(argnums, int) else tuple(grads)
        result = _detach_tree(result, nested)
        value = out if nested else out.detach()
        if has_aux:
            return result, (value, _detach_tree(aux, nested))
        return result, value

    return wrapper


def grad(func: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """f -> the gradient of f (a function returning a one-element tensor) w.r.t. args[argnums]."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func: Callable, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) gives one gradient pytree per primal."""
    with enable_grad():
        prepared, leaves_per, nested = _prepare_all(primals)
        out, aux = _split_aux(func(*prepared), has_aux, "vjp")
    out_leaves, out_spec = _flatten(out)
    flat_in = [t for leaves in leaves_per for t in leaves]

    def vjp_fn(cotangents, retain_graph: bool = True, create_graph: bool | None = None):
        ct_leaves, ct_spec = _flatten(cotangents)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of "
                               f"outputs to the function. cotangents: {ct_spec}, primal output: {out_spec}")
        with enable_grad():
            gs = _grads(out_leaves, flat_in, ct_leaves, create_graph=nested if create_graph is None else create_graph)
        return tuple(_detach_tree(g, nested) for g in _regroup(gs, primals, leaves_per))

    value = _detach_tree(out, nested)
    return (value, vjp_fn, _detach_tree(aux, nested)) if has_aux else (value, vjp_fn)


def jvp(func: Callable, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J @ tangents[, aux]) by the double-vjp trick: J t = d/du <J^T u, t>."""
    from .ops.creation import zeros_like

    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to be tuples. E.g. it is valid "
                           "to call f(x) as jvp(f, (x,), (t,))")
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the same python "
                           f"structure. For example, if primals is a tuple of 3 tensors, tangents also must be. "
                           f"Got primals with structure {_flatten(primals)[1]} and tangents with structure "
                           f"{_flatten(tangents)[1]}")
    with enable_grad():
        prepared, leaves_per, nested = _prepare_all(primals)
        out, aux = _split_aux(func(*prepared), has_aux, "jvp")
        out_leaves, out_spec = _flatten(out)
        flat_in = [t for leaves in leaves_per for t in leaves]
        us = [zeros_like(o).requires_grad_() for o in out_leaves]
        gs = _grads(out_leaves, flat_in, us, create_graph=True)
        t_leaves = _flatten(tangents)[0]
        pairs = [(g, t) for g, t in zip(gs, t_leaves, strict=True) if g.requires_grad]
        if pairs:
            res = _autograd_grad([g for g, _ in pairs], us, [t for _, t in pairs], retain_graph=True,
                                 create_graph=nested, allow_unused=True)
            res = [zeros_like(o) if r is None else r for r, o in zip(res, out_leaves, strict=True)]
        else:
            res = [zeros_like(o) for o in out_leaves]
    value = _detach_tree(out, nested)
    tangent_out = _detach_tree(_unflatten(res, out_spec), nested)
    return (value, tangent_out, _detach_tree(aux, nested)) if has_aux else (value, tangent_out)


def linearize(func: Callable, *primals):
    """(func(*primals), jvp_fn): jvp_fn(*tangents) is the Jacobian-vector product at primals."""
    out = jvp(func, primals, tuple(_zeros_like_tree(p) for p in primals))[0]

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


def _zeros_like_tree(tree):
    from .ops.creation import zeros_like

    leaves, spec = _flatten(tree)
    return _unflatten([zeros_like(x) for x in leaves], spec)


def jacrev(func: Callable, argnums=0, *, has_aux: bool = False, chunk_size: int | None = None,
           _preallocate_and_copy: bool = False) -> Callable:
    """f -> its Jacobian w.r.t. args[argnums]: for each output leaf, a pytree like the differentiated args whose
    leaves have shape output.shape + input.shape (one reverse pass per output element)."""
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")
    return _jacobian(func, argnums, has_aux, "jacrev")


def jacfwd(func: Callable, argnums=0, has_aux: bool = False, *, randomness: str = "error") -> Callable:
    """torch's forward-mode Jacobian; ntorch computes the same values in reverse mode (see the module doc)."""
    _check_randomness(randomness)
    return _jacobian(func, argnums, has_aux, "jacfwd")


def _jacobian(func: Callable, argnums, has_aux: bool, api: str) -> Callable:
    from .ops.creation import zeros
    from .ops.joins import stack

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, len(args), api)
        args = list(args)
        with enable_grad():
            prepared, inputs, nested = _prepare_all(args[n] for n in nums)
            for n, value in zip(nums, prepared, strict=True):
                args[n] = value
            out, aux = _split_aux(func(*args, **kwargs), has_aux, api)
            out_leaves, out_spec = _flatten(out)
            flat_in = [t for leaves in inputs for t in leaves]
            per_output = []
            for o in out_leaves:
                if not isinstance(o, Tensor):
                    raise RuntimeError(f"{api}(f, ...)(*args): expected f(*args) to return only tensors, got "
                                       f"unsupported type {type(o)}")
                rows = [[] for _ in flat_in]
                flat_o = o.reshape(-1)
                for k in range(flat_o.numel()):
                    for j, g in enumerate(_grads([flat_o[k]], flat_in, None, create_graph=nested)):
                        rows[j].append(g)
                blocks = []
                for j, t in enumerate(flat_in):
                    shape = tuple(o.shape) + tuple(t.shape)
                    blocks.append(stack(rows[j]).reshape(shape) if rows[j] else zeros(shape, dtype=t.dtype,
                                                                                        device=t.device))
                grouped = _regroup(blocks, prepared, inputs)
                per_output.append(grouped[0] if isinstance(argnums, int) else tuple(grouped))
        result = _detach_tree(_unflatten(per_output, out_spec), nested)
        return (result, _detach_tree(aux, nested)) if has_aux else result

    return wrapper


def hessian(func: Callable, argnums=0) -> Callable:
    """jacfwd(jacrev(func, argnums), argnums)."""
    return jacfwd(jacrev(func, argnums), argnums)


# -- vmap ------------------------------------------------------------------------------------------------
def _name(func) -> str:
    return getattr(func, "__name__", repr(func))


def _check_randomness(randomness: str) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got "
                           f"{randomness}")


def _leaf_dims(in_dims, args: tuple) -> list:
    """One mapped dim (or None) per tensor leaf of args: in_dims is an int/None for everything, or a tuple with one
    entry per argument, each an int/None or a pytree matching that argument."""
    if in_dims is None or isinstance(in_dims, int):
        return [in_dims] * len(_flatten(list(args))[0])
    if not isinstance(in_dims, tuple | list) or len(in_dims) != len(args):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the structure "
                         f"of `inputs`. in_dims has structure {_flatten(in_dims)[1]} but inputs has structure "
                         f"{_flatten(list(args))[1]}.")
    out = []
    for d, a in zip(in_dims, args, strict=True):
        leaves, spec = _flatten(a)
        if d is None or isinstance(d, int):
            out.extend([d] * len(leaves))
            continue
        dims, dspec = _flatten(d)
        if dspec != spec:
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                             "structure of `inputs`.")
        out.extend(dims)
    return out


def vmap(func: Callable, in_dims=0, out_dims=0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable:
    """func mapped over a dim of its inputs: called once per index (a Python loop), outputs stacked at out_dims."""
    _check_randomness(randomness)
    if not (in_dims is None or isinstance(in_dims, int | tuple | list)):
        raise ValueError(f"vmap(f, in_dims={in_dims}, ...): expected `in_dims` to be int or a (potentially nested) "
                         f"tuple matching the structure of inputs, got: {type(in_dims)}.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .ops.joins import stack

        if not args:
            raise ValueError("vmap(f)(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                             "to vmap over a function with no inputs. The latter is unsupported.")
        leaves, spec = _flatten(list(args))
        dims = _leaf_dims(in_dims, args)
        sizes = set()
        for leaf, d in zip(leaves, dims, strict=True):
            if d is None:
                continue
            if not isinstance(leaf, Tensor):
                raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for an "
                                 f"input but the input is of type {type(leaf)}. We cannot vmap over non-Tensor "
                                 "arguments, please use None as the respective in_dim")
            if not -leaf.dim() <= d < max(leaf.dim(), 1) or leaf.dim() == 0:
                raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                                 f"some input, but that input is a Tensor of dimensionality {leaf.dim()} so expected "
                                 f"in_dim to satisfy -{leaf.dim()} <= in_dim < {leaf.dim()}.")
            sizes.add(leaf.shape[d])
        if not sizes:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): at least one input must "
                             "be a Tensor mapped over a dimension (in_dims all None).")
        if len(sizes) > 1:
            raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                             f"{sorted(sizes)} for the mapped dimension")
        (batch,) = sizes
        state = _random.get_rng_state() if randomness == "same" else None
        results = []
        for i in range(batch):
            if state is not None:
                _random.set_rng_state(state)
            sliced = [leaf.select(d, i) if d is not None else leaf for leaf, d in zip(leaves, dims, strict=True)]
            results.append(func(*_unflatten(sliced, spec), **kwargs))
        out_leaves_per = [_flatten(r) for r in results]
        first_leaves, out_spec = out_leaves_per[0]
        odims = [out_dims] * len(first_leaves) if isinstance(out_dims, int | type(None)) else \
            _flatten(out_dims)[0]
        stacked = []
        for j, first in enumerate(first_leaves):
            column = [leaves_j[0][j] for leaves_j in out_leaves_per]
            if not isinstance(first, Tensor):
                raise ValueError(f"vmap({_name(func)}, ...): `{_name(func)}`"
                                 f" must only return Tensors, got type {type(first)}. Did you mean to set out_dims="
                                 " to None for output?")
            d = odims[j]
            if d is None:
                stacked.append(first)
                continue
            stacked.append(stack(column, dim=d if d >= 0 else d + first.dim() + 1))
        return _unflatten(stacked, out_spec)

    return wrapper


# -- modules ---------------------------------------------------------------------------------------------
def functional_call(module, parameter_and_buffer_dicts, args: Any = None, kwargs: dict | None = None, *,
                    tie_weights: bool = True, strict: bool = False):
    """module(*args, **kwargs) with some parameters and buffers replaced by the given tensors for this call."""
    from .nn.utils.stateless import functional_call as stateless_call

    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    else:
        merged = {}
        for d in parameter_and_buffer_dicts:
            overlap = set(merged) & set(d)
            if overlap:
                raise ValueError(f"{sorted(overlap)} appeared in multiple dictionaries; behavior of "
                                 "functional call is ambiguous")
            merged.update(d)
    return stateless_call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)


def stack_module_state(models) -> tuple[dict, dict]:
    """The parameters and buffers of identically shaped models, each stacked along a new leading dim."""
    from .ops.joins import stack

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    params = {k: stack([dict(m.named_parameters())[k].detach() for m in models]).requires_grad_()
              for k, _ in models[0].named_parameters()}
    buffers = {k: stack([dict(m.named_buffers())[k] for m in models]) for k, _ in models[0].named_buffers()}
    return params, buffers
