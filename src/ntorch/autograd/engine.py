"""The backward engine: iterative, with dependency counting (no recursion, so a 100,000-op chain works).

1. Walk the graph from the roots once (an explicit stack) and count, for every node, how many edges
   point at it.
2. Run nodes in an order where each runs once all its incoming gradients have arrived (a ready queue fed
   by the counts), summing gradients that reach the same output of a node.
3. Free each node's saved tensors right after it ran, unless retain_graph.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from . import grad_mode
from .graph import AccumulateGrad, Node, accumulate_into_grad, edge_of, sole_owner


def _zeros(meta) -> Tensor:
    from ..ops.creation import zeros

    shape, dt = meta[:2]
    return zeros(shape, dtype=dt, device=f"cuda:{meta[2]}" if len(meta) > 2 else None)


def _add(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _check_nan(node: Node, grads: tuple) -> None:
    for i, g in enumerate(grads):
        if isinstance(g, Tensor) and g.dtype.is_floating_point and bool((g != g).any()):
            # (the forward's traceback comes as torch's "Error detected in ..." warning, from run_backward)
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


def run_backward(roots: Sequence[tuple], grads: Sequence[Tensor], *, retain_graph: bool, create_graph: bool,
                 capture: Sequence[tuple] | None = None, accumulate: bool = True) -> list:
    """Propagate `grads` from root edges `(node, output_nr)` through the graph.

    accumulate=True adds into leaves' .grad (Tensor.backward); capture lists edges whose total incoming
    gradient is returned instead (autograd.grad, or backward(inputs=...) which accumulates only there)."""
    # 1. dependency counts over the part of the graph reachable from the roots
    deps: dict[Node, int] = {}
    stack = [node for node, _ in roots]
    seen = set(stack)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is not None:
                count = deps.get(nxt)
                if count is None:
                    deps[nxt] = 1
                    if nxt not in seen:
                        seen.add(nxt)
                        stack.append(nxt)
                else:
                    deps[nxt] = count + 1

    captured: dict[tuple, Tensor | None] = {}
    capture_keys = [(id(n), nr) for n, nr in capture] if capture is not None else []
    wanted = set(capture_keys)
    needed = _needed_nodes(roots, {n for n, _ in capture}) if capture is not None else None

    buffers: dict[Node, list] = {}
    for (node, nr), g in zip(roots, grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * max(1, len(node._output_meta))
        buf[nr] = _add(buf[nr], g)
    ready = [node for node in dict.fromkeys(n for n, _ in roots) if node not in deps]
    queued = set(ready)

    state = grad_mode.STATE
    previous, state.enabled = state.enabled, create_graph  # formulas record only under create_graph
    check_nan = state.anomaly and state.anomaly_check_nan
    node = None
    try:
        while ready:
            node = ready.pop()
            buf = buffers.pop(node, None) or [None]
            if type(node) is AccumulateGrad:  # a leaf: hooks, capture, then accumulate into .grad
                var = node.variable
                if var is None:  # a leaf nobody holds any more: nothing can see its gradient
                    continue
                hooks = var._hooks
                if hooks:
                    _run_tensor_hooks({0: hooks}, buf)
                if wanted and (id(node), 0) in wanted:
                    captured[(id(node), 0)] = buf[0]
                if accumulate and buf[0] is not None and (needed is None or id(node) in needed):
                    for hook in node._pre_hooks:  # the node's own hooks, as torch: pre, accumulate, post
                        res = hook(tuple(buf))
                        if res is not None:
                            buf = list(res)
                    g = buf.pop()  # now this local may be the only reference: then .grad can take it as is
                    owned = sole_owner(g)  # (not inside the call below, whose pending arguments hold g too)
                    accumulate_into_grad(var, g, owned)
                    run_post_accumulate_hooks(var)
                    for hook in node._hooks:
                        hook((), (g,))
                continue
            if node._tensor_pre_hooks:
                _run_tensor_hooks(node._tensor_pre_hooks, buf)
            for hook in node._pre_hooks:
                res = hook(tuple(buf))
                if res is not None:
                    buf = list(res)
            if wanted:
                for nr in range(len(buf)):
                    if (id(node), nr) in wanted:
                        captured[(id(node), nr)] = buf[nr]
                if needed is not None and id(node) not in needed:
                    continue
            if len(buf) == 1 and buf[0] is not None:
                out_grads = node.apply(buf[0])
            else:
                out_grads = _apply_node(node, buf)
            for hook in node._hooks:
                res = hook(out_grads, tuple(buf))
                if res is not None:
                    out_grads = tuple(res)
            if check_nan:
                _check_nan(node, out_grads)
            if not retain_graph:
                node.release()
            for (nxt, nr), g in zip(node.next_functions, out_grads):
                if nxt is None:
                    continue
                if g is not None:
                    nbuf = buffers.get(nxt)
                    if nbuf is None:
                        meta = nxt._output_meta
                        if len(meta) <= 1:
                            buffers[nxt] = [g]
                        else:
                            nbuf = buffers[nxt] = [None] * len(meta)
                            nbuf[nr] = g
                    else:
                        nbuf[nr] = g if nbuf[nr] is None else nbuf[nr] + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0 and nxt not in queued:
                    queued.add(nxt)
                    ready.append(nxt)
            out_grads = g = nbuf = None  # drop references, so a leaf's sole_owner check sees only its own
    except Exception:
        if state.anomaly and node is not None and node._forward_stack:
            import warnings

            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                          + "".join(node._forward_stack), UserWarning, stacklevel=2)
        raise
    finally:
        state.enabled = previous
    return [captured.get(k) for k in capture_keys]


def _apply_node(node: Node, buf: list) -> tuple:
    """Run a node on its summed incoming gradients; missing ones become zeros unless the node opts out."""
    if len(buf) == 1:
        if buf[0] is not None:
            return node.apply(buf[0])
        return (None,) * len(node.next_functions)
    if all(g is None for g in buf):
        return (None,) * len(node.next_functions)
    if node._materialize_grads:
        buf = [g if g is not None else _zeros(m) for g, m in zip(buf, node._output_meta)]
    return node.apply(*buf)


def run_post_accumulate_hooks(t: Tensor) -> None:
    """Tensor.register_post_accumulate_grad_hook: hook(t) once t.grad holds the new gradient (leaves only)."""
    hooks = t.__dict__.get("_post_accumulate_grad_hooks")
    for hook in list(hooks or ()):
        res = hook(t)
        if res is not None:
            raise TypeError(f"expected Variable, but hook returned '{type(res).__name__}'")


def _run_tensor_hooks(hooks: dict, buf: list) -> None:
    for nr, fns in hooks.items():
        for hook in fns:
            if nr < len(buf) and buf[nr] is not None:
                res = hook(buf[nr])
                if res is not None:
                    if isinstance(res, Tensor) and res.shape != buf[nr].shape:
                        raise RuntimeError(f"hook '{getattr(hook, '__name__', type(hook).__name__)}' has changed "
                                           "the size of value")
                    buf[nr] = res


def _needed_nodes(roots: Sequence[tuple], targets: set) -> set:
    """ids of the nodes that lie on a path from a root to a target (only those need to run)."""
    target_ids = {id(t) for t in targets}
    order, seen, stack = [], set(), [(node, False) for node, _ in roots]
    while stack:  # iterative post-order
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((n, False) for n, _ in node.next_functions if n is not None and id(n) not in seen)
    needed = set()
    for node in order:  # children come before parents in post-order
        if id(node) in target_ids or any(n is not None and id(n) in needed for n, _ in node.next_functions):
            needed.add(id(node))
    return needed


def _root_grads(outputs: Sequence[Tensor], grad_outputs, create_graph: bool) -> list:
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not out.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out.dtype}")
            if type(out._data) is np.ndarray:
                ones = np.empty(out._data.shape, out._data.dtype)
                ones.fill(1)
                g = Tensor._wrap(ones)
            else:
                from ..ops.creation import ones_like

                g = ones_like(out)
        elif not isinstance(g, Tensor):
            from ..ops.creation import full_like

            g = full_like(out, g)
        elif tuple(g.shape) != tuple(out.shape):
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has "
                               f"a shape of {out.shape}.")
        elif g.dtype is not out.dtype and g.dtype.is_floating_point and out.dtype.is_floating_point:
            g = g.to(out.dtype)  # torch's validate_outputs casts a gradient to its output's dtype
        grads.append(g)
    return grads


def _as_tuple(x) -> tuple:
    if x is None:
        return ()
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _roots(outputs: tuple, grad_list: list, create_graph: bool) -> tuple[list, list]:
    """The root edges and their starting gradients, shared by backward() and grad()."""
    for out in outputs:
        if not out.requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a grad_fn")
    return [edge_of(out) for out in outputs], _root_grads(outputs, grad_list, create_graph)


def _input_edges(inputs: tuple) -> list:
    edges = [edge_of(t) for t in inputs]
    if any(e[0] is None for e in edges):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    return edges


_CREATE_GRAPH_CYCLE = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its gradient "
    "which can cause a memory leak. We recommend using autograd.grad when creating the graph to avoid this. If you "
    "have to use this function, make sure to reset the .grad fields of your parameters to None after use to break "
    "the cycle and avoid the leak.")


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """ntorch.autograd.backward / Tensor.backward: accumulate gradients into leaves' .grad."""
    outputs = _as_tuple(tensors)
    grad_list = list(_as_tuple(grad_tensors)) if grad_tensors is not None else [None] * len(outputs)
    if len(grad_list) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_list)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    roots, grads = _roots(outputs, grad_list, create_graph)
    if inputs is None:
        if create_graph:
            import warnings

            warnings.warn(_CREATE_GRAPH_CYCLE, UserWarning, stacklevel=3)
        run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph)
        return
    inputs = _as_tuple(inputs)
    if not inputs:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    got = run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                       capture=_input_edges(inputs), accumulate=False)
    with grad_mode.set_grad_enabled(create_graph):
        for t, g in zip(inputs, got):
            accumulate_into_grad(t, g)
            if g is not None:
                run_post_accumulate_hooks(t)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None, create_graph: bool = False,
         only_inputs: bool = True, allow_unused: bool | None = None, is_grads_batched: bool = False,
         materialize_grads: bool = False) -> tuple:
    """ntorch.autograd.grad: the gradients of outputs with respect to inputs, without touching .grad."""
    outputs = _as_tuple(outputs)
    inputs_t = _as_tuple(inputs)
    grad_list = list(_as_tuple(grad_outputs)) if grad_outputs is not None else [None] * len(outputs)
    if len(grad_list) != len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_list)} gradients")
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if is_grads_batched:
        return _grad_batched(outputs, inputs_t, grad_list, retain_graph, create_graph, allow_unused,
                             materialize_grads)
    if retain_graph is None:
        retain_graph = create_graph
    if allow_unused is None:
        allow_unused = materialize_grads
    roots, grads = _roots(outputs, grad_list, create_graph)
    got = run_backward(roots, grads, retain_graph=retain_graph, create_graph=create_graph,
                       capture=_input_edges(inputs_t), accumulate=False)
    result = []
    for i, (t, g) in enumerate(zip(inputs_t, got)):
        if g is None:
            if materialize_grads:
                from ..ops.creation import zeros_like

                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _grad_batched(outputs: tuple, inputs: tuple, grad_list: list, retain_graph, create_graph: bool, allow_unused,
                  materialize_grads: bool) -> tuple:
    """grad(..., is_grads_batched=True): each grad_output's first dim is a batch of vectors; one backward per
    vector (torch vmaps the backward), results stacked along a new first dim (None stays None)."""
    from ..ops.joins import stack

    sizes = {g.shape[0] for g in grad_list if isinstance(g, Tensor)}
    if len(sizes) != 1 or any(not isinstance(g, Tensor) for g in grad_list):
        raise RuntimeError("grad: is_grads_batched=True needs a batched Tensor for every grad_output")
    (n,) = sizes
    per = []
    for b in range(n):
        per.append(grad(outputs, inputs, [g[b] for g in grad_list], retain_graph=True if b < n - 1 else
                        retain_graph, create_graph=create_graph, allow_unused=allow_unused,
                        materialize_grads=materialize_grads))
    return tuple(None if per[0][i] is None else stack([p[i] for p in per]) for i in range(len(inputs)))
