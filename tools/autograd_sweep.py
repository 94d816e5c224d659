"""Autograd API sweep: run small autograd scenarios with torch and with ntorch and report every difference.

Not a test (it imports torch). Each scenario is one function `fn(m)` run with m=torch and m=ntorch; it returns
a nested structure of tensors, numbers, strings, bools and None (or raises). Compared: the exception type (and,
separately, its message with "ntorch" read as "torch"), the warnings raised (category, then text), and the result:
tensors by dtype, shape and values (float64 to 1e-10 relative), everything else by equality. Scenarios cover
backward twice, retain_grad, hooks, gradient accumulation, double backward, allow_unused / materialize_grads, the
grad modes, version-counter errors, detach, requires_grad_, non-leaf .grad, custom Functions, checkpoint, anomaly
mode and grad_fn names / next_functions.

Usage:
    .venv/bin/python tools/autograd_sweep.py                    # everything
    .venv/bin/python tools/autograd_sweep.py --only hook,grad_fn --verbose   # scenarios whose name contains a word
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import warnings

import numpy as np
import torch
import torch.utils.checkpoint

import ntorch
import ntorch.utils.checkpoint

torch.set_num_threads(1)
SCENARIOS: list = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


def leaf(m, values=(0.5, -1.25, 2.0), grad=True):
    return m.tensor(list(values), dtype=m.float64, requires_grad=grad)


def F(m):
    return m.nn.functional


def node_name(node) -> str | None:
    return None if node is None else type(node).__name__


def graph(node, depth: int = 4):
    """grad_fn.next_functions as nested (type name, output index, children) tuples."""
    if node is None or depth == 0:
        return node_name(node)
    return (node_name(node), [(graph(n, depth - 1), i) for n, i in node.next_functions])


# ------------------------------------------------------------------------------------------- backward basics
@scenario
def backward_twice_saved(m):
    x = leaf(m)
    y = (x * x).sum()
    y.backward()
    y.backward()


@scenario
def backward_twice_exp(m):
    x = leaf(m)
    y = x.exp().sum()
    y.backward()
    y.backward()


@scenario
def backward_twice_nothing_saved(m):
    x = leaf(m)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    return x.grad


@scenario
def backward_twice_retain_graph(m):
    x = leaf(m)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


@scenario
def grad_accumulates(m):
    x = leaf(m)
    (x * x).sum().backward()
    first = x.grad.clone()
    (x * 3).sum().backward()
    second = x.grad.clone()
    x.grad = None
    x.exp().sum().backward()
    return first, second, x.grad


@scenario
def grad_accumulates_same_object(m):
    x = leaf(m)
    (x * 2).sum().backward()
    g = x.grad
    (x * 2).sum().backward()
    return g is x.grad, g


@scenario
def grad_zero_(m):
    x = leaf(m)
    (x * 2).sum().backward()
    x.grad.zero_()
    (x * x).sum().backward()
    return x.grad


@scenario
def backward_nonscalar_no_gradient(m):
    x = leaf(m)
    (x * 2).backward()


@scenario
def backward_gradient_arg(m):
    x = leaf(m)
    y = x * x
    y.backward(gradient=m.tensor([1.0, 2.0, 3.0], dtype=m.float64))
    return x.grad


@scenario
def backward_gradient_wrong_shape(m):
    x = leaf(m)
    (x * 2).backward(m.ones(2, dtype=m.float64))


@scenario
def backward_gradient_wrong_dtype(m):
    x = leaf(m)
    (x * 2).backward(m.ones(3, dtype=m.float32))
    return x.grad


@scenario
def backward_no_grad_tensor(m):
    x = m.tensor([1.0, 2.0])
    x.sum().backward()


@scenario
def backward_inputs_arg(m):
    x, z = leaf(m), leaf(m, (1.0, 2.0, 3.0))
    (x * z).sum().backward(inputs=[x])
    return x.grad, z.grad


@scenario
def autograd_backward_function(m):
    x = leaf(m)
    y1, y2 = x * 2, x * x
    m.autograd.backward([y1, y2], [m.ones(3, dtype=m.float64), m.full((3,), 0.5, dtype=m.float64)])
    return x.grad


@scenario
def backward_under_no_grad(m):
    x = leaf(m)
    y = (x * x).sum()
    with m.no_grad():
        y.backward()
    return x.grad


@scenario
def grad_set_wrong_shape(m):
    x = leaf(m)
    x.grad = m.zeros(2, dtype=m.float64)


@scenario
def grad_set_wrong_dtype(m):
    x = leaf(m)
    x.grad = m.zeros(3, dtype=m.float32)


# ------------------------------------------------------------------------------------------- retain_grad, hooks
@scenario
def retain_grad_nonleaf(m):
    x = leaf(m)
    y = x * 2
    y.retain_grad()
    (y * y).sum().backward()
    return y.grad, x.grad, y.retains_grad, x.retains_grad


@scenario
def retain_grad_leaf_noop(m):
    x = leaf(m)
    x.retain_grad()
    (x * 2).sum().backward()
    return x.grad, x.retains_grad


@scenario
def nonleaf_grad_warns(m):
    x = leaf(m)
    y = x * 2
    y.sum().backward()
    return y.grad


@scenario
def hook_leaf_modifies(m):
    x = leaf(m)
    h = x.register_hook(lambda g: g * 2)
    (x * x).sum().backward()
    first = x.grad.clone()
    h.remove()
    x.grad = None
    (x * x).sum().backward()
    return first, x.grad


@scenario
def hook_nonleaf_modifies(m):
    x = leaf(m)
    y = x * 3
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()
    return x.grad


@scenario
def hook_observes(m):
    x = leaf(m)
    seen = []
    y = x.exp()
    y.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: seen.append(g.clone()))
    (y * 2).sum().backward()
    return seen


@scenario
def hook_order_two_hooks(m):
    x = leaf(m)
    x.register_hook(lambda g: g * 2)
    x.register_hook(lambda g: g + 1)
    (x * 1).sum().backward()
    return x.grad


@scenario
def hook_on_no_grad_tensor(m):
    m.ones(2).register_hook(lambda g: g)


@scenario
def hook_returns_wrong_shape(m):
    x = leaf(m)
    x.register_hook(lambda g: g[:2])
    (x * 2).sum().backward()


@scenario
def hook_with_retain_grad(m):
    x = leaf(m)
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    return y.grad, x.grad


@scenario
def post_accumulate_grad_hook(m):
    x = leaf(m)
    seen = []
    x.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.clone()))
    (x * 3).sum().backward()
    return seen


# ------------------------------------------------------------------------------------------- double backward
def _double(m, f, x):
    y = f(m, x)
    w = m.linspace(0.5, 1.5, y.numel(), dtype=m.float64).reshape(y.shape)
    (g,) = m.autograd.grad((y * w).sum(), x, create_graph=True)
    (gg,) = m.autograd.grad((g * g).sum(), x)
    return g, gg, g.requires_grad


DOUBLE = {
    "tanh": lambda m, x: x.tanh(),
    "sigmoid": lambda m, x: x.sigmoid(),
    "softmax": lambda m, x: F(m).softmax(x.reshape(1, 3), dim=1),
    "log_softmax": lambda m, x: F(m).log_softmax(x.reshape(1, 3), dim=1),
    "mse_loss": lambda m, x: F(m).mse_loss(x, m.tensor([0.1, 0.2, 0.3], dtype=m.float64)),
    "matmul": lambda m, x: x.reshape(3, 1) @ x.reshape(1, 3),
    "pow": lambda m, x: x.abs().pow(2.5),
    "pow_tensor": lambda m, x: x.abs().pow(x),
    "exp": lambda m, x: x.exp(),
    "log": lambda m, x: x.abs().log(),
    "sin": lambda m, x: x.sin(),
    "div": lambda m, x: 1 / (x * x + 1),
    "sqrt": lambda m, x: (x * x + 1).sqrt(),
    "relu": lambda m, x: F(m).relu(x) * x,
    "gelu": lambda m, x: F(m).gelu(x),
    "silu": lambda m, x: F(m).silu(x),
    "softplus": lambda m, x: F(m).softplus(x),
    "logsumexp": lambda m, x: x.logsumexp(0),
    "norm": lambda m, x: x.norm(),
    "mean_var": lambda m, x: x.var() * x.mean(),
    "cross_entropy": lambda m, x: F(m).cross_entropy(x.reshape(1, 3), m.tensor([1])),
    "layer_norm": lambda m, x: F(m).layer_norm(x.reshape(1, 3), (3,)),
    "linear": lambda m, x: F(m).linear(x.reshape(1, 3), x.reshape(1, 3) * 2),
}
for _name, _f in DOUBLE.items():
    def _fn(m, f=_f):
        return _double(m, f, leaf(m))
    _fn.__name__ = f"double_backward_{_name}"
    SCENARIOS.append(_fn)


@scenario
def grad_without_create_graph_has_no_graph(m):
    x = leaf(m)
    (g,) = m.autograd.grad((x * x).sum(), x)
    return g.requires_grad, node_name(g.grad_fn)


@scenario
def double_backward_without_create_graph(m):
    x = leaf(m)
    (g,) = m.autograd.grad((x * x * x).sum(), x)
    m.autograd.grad(g.sum(), x)


@scenario
def grad_of_grad_via_backward(m):
    x = leaf(m)
    (g,) = m.autograd.grad((x ** 3).sum(), x, create_graph=True)
    g.sum().backward()
    return x.grad


@scenario
def grad_outputs_arg(m):
    x = leaf(m)
    return m.autograd.grad(x * x, x, grad_outputs=m.tensor([1.0, 0.5, 2.0], dtype=m.float64))


@scenario
def grad_is_grads_batched(m):
    x = leaf(m)
    return m.autograd.grad(x * x, x, grad_outputs=m.eye(3, dtype=m.float64), is_grads_batched=True)


# ------------------------------------------------------------------------------------------- allow_unused
@scenario
def grad_unused_raises(m):
    x, z = leaf(m), leaf(m)
    m.autograd.grad((x * 2).sum(), [x, z])


@scenario
def grad_unused_allowed(m):
    x, z = leaf(m), leaf(m)
    return m.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)


@scenario
def grad_unused_materialized(m):
    x, z = leaf(m), leaf(m)
    return m.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)


@scenario
def grad_materialize_without_allow_unused_false(m):
    x, z = leaf(m), leaf(m)
    return m.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)


@scenario
def grad_input_not_requiring_grad(m):
    x, z = leaf(m), m.ones(3, dtype=m.float64)
    m.autograd.grad((x * z).sum(), [x, z])


@scenario
def grad_output_not_requiring_grad(m):
    m.autograd.grad(m.ones(3).sum(), [leaf(m)])


@scenario
def grad_does_not_accumulate(m):
    x = leaf(m)
    m.autograd.grad((x * 2).sum(), x)
    return x.grad


# ------------------------------------------------------------------------------------------- grad modes
@scenario
def no_grad_block(m):
    x = leaf(m)
    with m.no_grad():
        y = x * 2
        inner = m.is_grad_enabled()
    return y.requires_grad, node_name(y.grad_fn), inner, m.is_grad_enabled()


@scenario
def no_grad_decorator(m):
    x = leaf(m)

    @m.no_grad()
    def f(t):
        return t * 2

    return f(x).requires_grad


@scenario
def enable_grad_inside_no_grad(m):
    x = leaf(m)
    with m.no_grad():
        with m.enable_grad():
            y = x * 2
    return y.requires_grad, node_name(y.grad_fn)


@scenario
def set_grad_enabled_function_and_context(m):
    x = leaf(m)
    with m.set_grad_enabled(False):
        a = x * 2
    m.set_grad_enabled(False)
    b = x * 2
    state = m.is_grad_enabled()
    m.set_grad_enabled(True)
    c = x * 2
    return a.requires_grad, b.requires_grad, state, c.requires_grad


@scenario
def no_grad_factory_requires_grad(m):
    with m.no_grad():
        x = m.ones(2, requires_grad=True)
        y = x * 2
    return x.requires_grad, x.is_leaf, y.requires_grad


@scenario
def inference_mode_block(m):
    x = leaf(m)
    with m.inference_mode():
        y = x * 2
        inner = (m.is_inference_mode_enabled(), m.is_grad_enabled())
    return y.requires_grad, y.is_inference(), x.is_inference(), inner, m.is_inference_mode_enabled()


@scenario
def inference_mode_false(m):
    x = leaf(m)
    with m.inference_mode(False):
        y = x * 2
    return y.requires_grad, y.is_inference()


@scenario
def inference_mode_decorator(m):
    @m.inference_mode()
    def f(t):
        return t * 2

    y = f(leaf(m))
    return y.requires_grad, y.is_inference()


@scenario
def inference_tensor_saved_for_backward(m):
    with m.inference_mode():
        y = m.ones(3, dtype=m.float64)
    x = leaf(m)
    (x * y).sum().backward()


@scenario
def inference_tensor_inplace_outside(m):
    with m.inference_mode():
        y = m.ones(3)
    y.add_(1)


@scenario
def inference_tensor_requires_grad(m):
    with m.inference_mode():
        y = m.ones(3)
    y.requires_grad_(True)
    return y.requires_grad


@scenario
def inference_tensor_clone_is_normal(m):
    with m.inference_mode():
        y = m.ones(3)
    return y.clone().is_inference(), y.is_inference(), y.detach().is_inference()


# ------------------------------------------------------------------------------------------- in-place and versions
@scenario
def inplace_on_saved_tensor(m):
    x = leaf(m)
    a = x * 1
    b = a * a
    a.mul_(2)
    b.sum().backward()


@scenario
def inplace_on_saved_output(m):
    x = leaf(m)
    b = x.exp()
    b.add_(1)
    b.sum().backward()


@scenario
def inplace_not_saved_is_fine(m):
    x = leaf(m)
    a = x * 1
    b = a + 2
    a.mul_(2)
    b.sum().backward()
    return x.grad


@scenario
def inplace_on_leaf(m):
    leaf(m).add_(1)


@scenario
def inplace_on_leaf_no_grad(m):
    x = leaf(m)
    with m.no_grad():
        x.add_(1)
    return x, x.requires_grad, x.is_leaf


@scenario
def inplace_on_leaf_view(m):
    leaf(m)[:2].add_(1)


@scenario
def inplace_grad_through(m):
    x = leaf(m)
    a = x * 2
    a.mul_(3)
    a.sum().backward()
    return x.grad, node_name(a.grad_fn)


@scenario
def inplace_on_view_of_nonleaf(m):
    x = leaf(m)
    a = x * 1
    a[1:].mul_(x[1:])
    a.sum().backward()
    return x.grad, node_name(a.grad_fn)


@scenario
def version_counter(m):
    x = m.ones(3)
    v0 = x._version
    x.add_(1)
    x[0] = 5
    y = x[1:]
    y.mul_(2)
    return v0, x._version, y._version


# ------------------------------------------------------------------------------------------- detach, requires_grad
@scenario
def detach_shares_memory(m):
    x = leaf(m)
    y = x.detach()
    y[0] = 7.0
    return y.requires_grad, y.is_leaf, node_name(y.grad_fn), x.detach()


@scenario
def detach_inplace_nonleaf(m):
    x = leaf(m)
    y = x * 2
    y.detach_()
    return y.requires_grad, node_name(y.grad_fn), y.is_leaf


@scenario
def detach_inplace_view(m):
    x = leaf(m)
    y = (x * 2)[:2]
    y.detach_()


@scenario
def requires_grad_false_nonleaf(m):
    x = leaf(m)
    (x * 2).requires_grad_(False)


@scenario
def requires_grad_true_nonleaf(m):
    x = leaf(m)
    y = (x * 2).requires_grad_(True)
    return y.requires_grad, y.is_leaf


@scenario
def requires_grad_attr_nonleaf(m):
    x = leaf(m)
    y = x * 2
    y.requires_grad = False


@scenario
def requires_grad_int(m):
    m.tensor([1, 2]).requires_grad_()


@scenario
def requires_grad_int_factory(m):
    m.ones(2, dtype=m.int64, requires_grad=True)


@scenario
def is_leaf_cases(m):
    x = leaf(m)
    c = m.ones(2)
    return x.is_leaf, (x * 2).is_leaf, c.is_leaf, (c * 2).is_leaf, x.detach().is_leaf, x[0].is_leaf


@scenario
def requires_grad_propagation(m):
    x = leaf(m)
    i = m.tensor([0, 2])
    return (x * 2).requires_grad, (x > 0).requires_grad, x.argmax().requires_grad, x[i].requires_grad, \
        x.long().requires_grad, x.float().requires_grad


# ------------------------------------------------------------------------------------------- custom Function
def _functions(m):
    class MyExp(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * y

    class Scale(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, k, w):
            ctx.k = k
            ctx.save_for_backward(w)
            ctx.flags = ctx.needs_input_grad
            return x * k * w

        @staticmethod
        def backward(ctx, g):
            (w,) = ctx.saved_tensors
            return g * ctx.k * w, None, None

    class AddOneInplace(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    class SortVals(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            v, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            (i,) = ctx.saved_tensors
            out = m.zeros_like(gv)
            out[i] = gv
            return out

    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @m.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class Cube2(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class BadCount(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class NoMaterialize(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)

    return MyExp, Scale, AddOneInplace, SortVals, Cube, Cube2, BadCount, NoMaterialize


@scenario
def function_save_for_backward(m):
    MyExp = _functions(m)[0]
    x = leaf(m)
    y = MyExp.apply(x)
    y.sum().backward()
    return y, x.grad, type(y.grad_fn).__name__, y.grad_fn.name(), y.requires_grad, graph(y.grad_fn)


@scenario
def function_needs_input_grad(m):
    Scale = _functions(m)[1]
    x = leaf(m)
    w = m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
    y = Scale.apply(x, 2.0, w)
    y.sum().backward()
    return y.grad_fn.needs_input_grad, y.grad_fn.flags, x.grad


@scenario
def function_mark_dirty(m):
    AddOneInplace = _functions(m)[2]
    x = leaf(m)
    a = x * 1
    y = AddOneInplace.apply(a)
    y.sum().backward()
    return y is a, y, x.grad, type(y.grad_fn).__name__


@scenario
def function_mark_dirty_on_leaf(m):
    AddOneInplace = _functions(m)[2]
    AddOneInplace.apply(leaf(m))


@scenario
def function_mark_non_differentiable(m):
    SortVals = _functions(m)[3]
    x = leaf(m)
    v, i = SortVals.apply(x)
    v.sum().backward()
    return v.requires_grad, i.requires_grad, x.grad


@scenario
def function_once_differentiable(m):
    Cube = _functions(m)[4]
    x = leaf(m)
    (g,) = m.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    return g, g.requires_grad


@scenario
def function_once_differentiable_double(m):
    Cube = _functions(m)[4]
    x = leaf(m)
    (g,) = m.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    g.sum().backward()


@scenario
def function_double_backward(m):
    Cube2 = _functions(m)[5]
    x = leaf(m)
    (g,) = m.autograd.grad(Cube2.apply(x).sum(), x, create_graph=True)
    (gg,) = m.autograd.grad(g.sum(), x)
    return g, gg


@scenario
def function_wrong_grad_count(m):
    BadCount = _functions(m)[6]
    x = leaf(m)
    BadCount.apply(x).sum().backward()


@scenario
def function_set_materialize_grads(m):
    NoMaterialize = _functions(m)[7]
    x = leaf(m)
    a, b = NoMaterialize.apply(x)
    a.sum().backward()
    return x.grad


@scenario
def function_no_grad_input(m):
    MyExp = _functions(m)[0]
    y = MyExp.apply(m.ones(2, dtype=m.float64))
    return y.requires_grad, node_name(y.grad_fn)


@scenario
def function_saved_tensors_twice(m):
    MyExp = _functions(m)[0]
    x = leaf(m)
    y = MyExp.apply(x)
    y.sum().backward()
    return y.grad_fn.saved_tensors


# ------------------------------------------------------------------------------------------- checkpoint, anomaly
@scenario
def checkpoint_non_reentrant(m):
    x = leaf(m)

    def f(t):
        return (t.sin() * t).exp()

    y = m.utils.checkpoint.checkpoint(f, x, use_reentrant=False)
    y.sum().backward()
    return y, x.grad


@scenario
def checkpoint_reentrant(m):
    x = leaf(m)

    def f(t):
        return (t.sin() * t).exp()

    y = m.utils.checkpoint.checkpoint(f, x, use_reentrant=True)
    y.sum().backward()
    return y, x.grad


@scenario
def checkpoint_sequential(m):
    x = leaf(m, [0.5, -1.0]).reshape(1, 2)
    m.manual_seed(0)
    net = m.nn.Sequential(m.nn.Linear(2, 2), m.nn.Tanh(), m.nn.Linear(2, 2)).double()
    with m.no_grad():
        for p in net.parameters():
            p.copy_(m.arange(p.numel(), dtype=m.float64).reshape(p.shape) * 0.1)
    y = m.utils.checkpoint.checkpoint_sequential(net, 2, x, use_reentrant=False)
    y.sum().backward()
    return y, x.grad


@scenario
def anomaly_nan_in_backward(m):
    x = m.tensor([0.0, 1.0], dtype=m.float64, requires_grad=True)
    with m.autograd.detect_anomaly():
        (x.sqrt() * 0).sum().backward()


@scenario
def anomaly_flags(m):
    a = m.is_anomaly_enabled()
    with m.autograd.detect_anomaly(check_nan=False):
        b = m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()
    m.autograd.set_detect_anomaly(True)
    c = m.is_anomaly_enabled()
    m.autograd.set_detect_anomaly(False)
    return a, b, c


@scenario
def nan_in_backward_without_anomaly(m):
    x = m.tensor([0.0, 1.0], dtype=m.float64, requires_grad=True)
    (x.sqrt() * 0).sum().backward()
    return x.grad


# ------------------------------------------------------------------------------------------- grad_fn names, graph
NAMES = {
    "add": lambda m, x: x + 1, "add_t": lambda m, x: x + x, "sub": lambda m, x: x - 1, "rsub": lambda m, x: 1 - x,
    "mul": lambda m, x: x * 2, "mul_t": lambda m, x: x * x, "div": lambda m, x: x / 2, "rdiv": lambda m, x: 2 / x,
    "neg": lambda m, x: -x, "pow": lambda m, x: x ** 2, "pow_t": lambda m, x: x ** x, "rpow": lambda m, x: 2 ** x,
    "exp": lambda m, x: x.exp(), "log": lambda m, x: x.log(), "tanh": lambda m, x: x.tanh(),
    "sigmoid": lambda m, x: x.sigmoid(), "relu": lambda m, x: x.relu(), "abs": lambda m, x: x.abs(),
    "sgn": lambda m, x: x.sgn(), "sign": lambda m, x: x.sign(), "sqrt": lambda m, x: x.sqrt(),
    "sum": lambda m, x: x.sum(), "sum_dim": lambda m, x: x.sum(0), "mean": lambda m, x: x.mean(),
    "max": lambda m, x: x.max(), "max_dim": lambda m, x: x.max(0)[0], "amax": lambda m, x: x.amax(),
    "prod": lambda m, x: x.prod(), "cumsum": lambda m, x: x.cumsum(0), "norm": lambda m, x: x.norm(),
    "var": lambda m, x: x.var(), "std": lambda m, x: x.std(), "logsumexp": lambda m, x: x.logsumexp(0),
    "view": lambda m, x: x.view(3, 1), "reshape": lambda m, x: x.reshape(3, 1), "t": lambda m, x: x.view(3, 1).t(),
    "permute": lambda m, x: x.view(3, 1).permute(1, 0), "transpose": lambda m, x: x.view(3, 1).transpose(0, 1),
    "unsqueeze": lambda m, x: x.unsqueeze(0), "squeeze": lambda m, x: x.view(3, 1).squeeze(1),
    "expand": lambda m, x: x.expand(2, 3), "index": lambda m, x: x[m.tensor([0, 2])],
    "slice": lambda m, x: x[1:], "select": lambda m, x: x[0], "clone": lambda m, x: x.clone(),
    "cat": lambda m, x: m.cat([x, x]), "stack": lambda m, x: m.stack([x, x]),
    "matmul": lambda m, x: x @ x, "mm": lambda m, x: x.view(3, 1) @ x.view(1, 3),
    "mv": lambda m, x: x.view(1, 3) @ x, "softmax": lambda m, x: x.softmax(0),
    "log_softmax": lambda m, x: x.log_softmax(0), "where": lambda m, x: m.where(x > 0, x, 0.0),
    "clamp": lambda m, x: x.clamp(0, 1), "clamp_min": lambda m, x: x.clamp(min=0), "to": lambda m, x: x.float(),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 0.0), "gather": lambda m, x: x.gather(0, m.tensor([1])),
    "mse_loss": lambda m, x: F(m).mse_loss(x, x.detach() * 0), "gelu": lambda m, x: F(m).gelu(x),
    "silu": lambda m, x: F(m).silu(x), "dropout_eval": lambda m, x: F(m).dropout(x, 0.5, training=False),
    "linear": lambda m, x: F(m).linear(x.view(1, 3), x.view(1, 3)), "flip": lambda m, x: x.flip(0),
    "sort": lambda m, x: x.sort()[0], "topk": lambda m, x: x.topk(2)[0], "split": lambda m, x: x.split(2)[0],
    "chunk": lambda m, x: x.chunk(3)[1], "unbind": lambda m, x: x.unbind()[0], "narrow": lambda m, x: x.narrow(0, 1, 2),
    "diag": lambda m, x: x.diag(), "outer": lambda m, x: m.outer(x, x), "dot": lambda m, x: m.dot(x, x),
    "addmm": lambda m, x: m.addmm(x.view(1, 3), x.view(1, 3).t(), x.view(1, 3)),
    "layer_norm": lambda m, x: F(m).layer_norm(x.view(1, 3), (3,)),
    "cross_entropy": lambda m, x: F(m).cross_entropy(x.view(1, 3), m.tensor([0])),
    "nll_loss": lambda m, x: F(m).nll_loss(x.view(1, 3), m.tensor([0])),
    "binary_cross_entropy": lambda m, x: F(m).binary_cross_entropy(x.sigmoid(), x.detach().sigmoid()),
    "contiguous_T": lambda m, x: x.view(3, 1).t().contiguous(), "flatten": lambda m, x: x.view(3, 1).flatten(),
    "repeat": lambda m, x: x.repeat(2), "roll": lambda m, x: x.roll(1), "cumprod": lambda m, x: x.cumprod(0),
    "minimum": lambda m, x: m.minimum(x, x.flip(0)), "lerp": lambda m, x: m.lerp(x, x.flip(0), 0.3),
    "addcmul": lambda m, x: m.addcmul(x, x, x), "atan2": lambda m, x: m.atan2(x, x.flip(0)),
    "floor": lambda m, x: x.floor(), "round": lambda m, x: x.round(), "erf": lambda m, x: x.erf(),
    "softplus": lambda m, x: F(m).softplus(x), "hardtanh": lambda m, x: F(m).hardtanh(x),
    "leaky_relu": lambda m, x: F(m).leaky_relu(x), "elu": lambda m, x: F(m).elu(x),
    "logsigmoid": lambda m, x: F(m).logsigmoid(x), "normalize": lambda m, x: F(m).normalize(x, dim=0),
    "pad": lambda m, x: F(m).pad(x, (1, 1)), "embedding": lambda m, x: F(m).embedding(m.tensor([0]), x.view(3, 1)),
    "conv1d": lambda m, x: F(m).conv1d(x.view(1, 1, 3), x.view(1, 1, 3)),
    "max_pool1d": lambda m, x: F(m).max_pool1d(x.view(1, 1, 3), 2),
    "avg_pool1d": lambda m, x: F(m).avg_pool1d(x.view(1, 1, 3), 2),
    "batch_norm": lambda m, x: F(m).batch_norm(x.view(3, 1), None, None, training=True),
    "slogdet": lambda m, x: m.linalg.slogdet(m.outer(x, x) + m.eye(3, dtype=m.float64))[1],
    "det": lambda m, x: m.linalg.det(m.outer(x, x) + m.eye(3, dtype=m.float64)),
    "einsum": lambda m, x: m.einsum("i,i->", x, x), "trace": lambda m, x: m.outer(x, x).trace(),
    "tril": lambda m, x: m.outer(x, x).tril(), "mean_dim": lambda m, x: x.view(3, 1).mean(1),
    "sum_to_size": lambda m, x: x.expand(2, 3).sum_to_size(3), "unfold": lambda m, x: x.unfold(0, 2, 1),
    "std_mean": lambda m, x: m.std_mean(x)[0], "square": lambda m, x: x.square(),
    "reciprocal": lambda m, x: x.reciprocal(), "rsqrt": lambda m, x: x.abs().rsqrt(),
}


@scenario
def grad_fn_names(m):
    """type(grad_fn).__name__ per op (the same text as grad_fn.name() in torch)."""
    out = {}
    for key, f in NAMES.items():
        x = leaf(m)
        try:
            y = f(m, x)
            out[key] = (type(y.grad_fn).__name__, y.grad_fn.name())
        except Exception as e:  # noqa: BLE001
            out[key] = type(e).__name__
    return out


@scenario
def grad_fn_next_functions(m):
    x, z = leaf(m), leaf(m, (1.0, 2.0, 3.0))
    y = (x * 2 + z).exp().sum()
    w = (x * z)[1:].mean()
    v = m.cat([x, z]).view(2, 3).t()
    return graph(y.grad_fn), graph(w.grad_fn), graph(v.grad_fn)


@scenario
def grad_fn_of_leaf_and_constant(m):
    x = leaf(m)
    return node_name(x.grad_fn), node_name(m.ones(2).grad_fn), node_name((m.ones(2) * 2).grad_fn)


@scenario
def accumulate_grad_variable(m):
    x = leaf(m)
    acc = (x * 2).grad_fn.next_functions[0][0]
    return type(acc).__name__, acc.variable is x, acc.name()


@scenario
def grad_fn_metadata_and_hooks(m):
    x = leaf(m)
    y = x * 2
    seen = []
    y.grad_fn.register_hook(lambda gi, go: seen.append((len(gi), len(go))))
    y.grad_fn.register_prehook(lambda go: seen.append(("pre", len(go))))
    y.sum().backward()
    return seen, x.grad


@scenario
def saved_tensor_attributes(m):
    x = leaf(m)
    y = x * x.detach().exp()
    e = x.exp()
    return e.grad_fn._saved_result, y.grad_fn._saved_other


@scenario
def saved_tensor_attributes_more(m):
    x = leaf(m)
    mat = m.outer(x, x.detach() + 1)
    out = {}
    ys = {"pow": x ** 3, "pow_t": x.abs() ** x, "rpow": 2 ** x, "div": x / x.detach().exp(),
          "sum_dim": mat.sum(1, keepdim=True), "mean": mat.mean(), "softmax": mat.softmax(1),
          "log_softmax": mat.log_softmax(0), "mm": mat @ mat.t(), "dot": x @ x, "mv": mat @ x,
          "addmm": m.addmm(x.detach(), mat, mat, beta=0.5, alpha=2.0), "sigmoid": x.sigmoid(),
          "linear": F(m).linear(mat, mat, x.detach()), "rsub": 2 - x, "sub_alpha": m.sub(x, x, alpha=3)}
    for key, y in ys.items():
        node = y.grad_fn
        out[key] = {a: getattr(node, a) for a in sorted(dir(node)) if a.startswith("_saved_")} if m is torch else \
            {a: getattr(node, a) for a in TORCH_SAVED.get(key, ())}
    return out


TORCH_SAVED = {  # the _saved_ attributes torch 2.13 lists on each node above (ntorch is asked for these)
    "pow": ("_saved_exponent", "_saved_self"), "pow_t": ("_saved_exponent", "_saved_result", "_saved_self"),
    "rpow": ("_saved_exponent", "_saved_result", "_saved_self"), "div": ("_saved_other", "_saved_self"),
    "sum_dim": ("_saved_dim", "_saved_keepdim", "_saved_self_sym_sizes"),
    "mean": ("_saved_self_sym_numel", "_saved_self_sym_sizes"), "softmax": ("_saved_dim", "_saved_result"),
    "log_softmax": ("_saved_dim", "_saved_result"),
    "mm": ("_saved_mat2", "_saved_mat2_sym_sizes", "_saved_mat2_sym_strides", "_saved_self", "_saved_self_sym_sizes",
           "_saved_self_sym_strides"),
    "dot": ("_saved_self", "_saved_tensor"), "mv": ("_saved_self", "_saved_vec"),
    "addmm": ("_saved_alpha", "_saved_beta", "_saved_mat1", "_saved_mat1_sym_sizes", "_saved_mat1_sym_strides",
              "_saved_mat2", "_saved_mat2_sym_sizes", "_saved_mat2_sym_strides"),
    "sigmoid": ("_saved_result",), "rsub": ("_saved_alpha",), "sub_alpha": ("_saved_alpha",),
    "linear": ("_saved_alpha", "_saved_beta", "_saved_mat1", "_saved_mat1_sym_sizes", "_saved_mat1_sym_strides",
               "_saved_mat2", "_saved_mat2_sym_sizes", "_saved_mat2_sym_strides"),
}


@scenario
def saved_tensor_after_backward(m):
    x = leaf(m)
    e = x.exp()
    e.sum().backward()
    return e.grad_fn._saved_result


@scenario
def inference_mode_nested_false(m):
    x = leaf(m)
    with m.inference_mode():
        with m.inference_mode(False):
            y = x * 2
            inner = (m.is_grad_enabled(), m.is_inference_mode_enabled(), m.ones(2).is_inference())
        z = m.ones(2)
    with m.no_grad(), m.inference_mode(False):
        g = m.is_grad_enabled()
    return y.requires_grad, y.is_inference(), inner, z.is_inference(), g


@scenario
def inference_tensor_views_and_version(m):
    n = m.ones(3)
    with m.inference_mode():
        y = m.ones(4)
        v = n[1:]
        n.add_(1)
    return y[1:].is_inference(), y.view(2, 2).is_inference(), y.data.is_inference(), v.is_inference(), n._version


@scenario
def inference_tensor_version_counter(m):
    with m.inference_mode():
        y = m.ones(3)
    return y._version


@scenario
def inference_tensor_in_unsaved_op(m):
    with m.inference_mode():
        y = m.ones(3, dtype=m.float64)
    x = leaf(m)
    (x + y).sum().backward()
    return x.grad


@scenario
def grad_dtype_accumulate(m):
    x = m.tensor([1.0, 2.0], requires_grad=True)
    x.grad_dtype = m.float64
    (x * 2).sum().backward()
    y = m.tensor([1.0, 2.0], requires_grad=True)
    y.grad_dtype = None
    y.grad = m.ones(2, dtype=m.float64)
    return x.grad, x.grad_dtype, y.grad, y.grad_dtype


@scenario
def grad_dtype_nonleaf(m):
    x = leaf(m)
    (x * 2).grad_dtype = m.float32


@scenario
def output_nr_of_multi_output(m):
    x = leaf(m)
    a, b, c = x.split(1)
    v, i = x.max(0)
    return a.output_nr, b.output_nr, c.output_nr, v.output_nr, i.requires_grad, node_name(i.grad_fn)


# ------------------------------------------------------------------------------------------- more API corners
@scenario
def create_graph_backward_grad_has_graph(m):
    x = leaf(m)
    (x ** 3).sum().backward(create_graph=True)
    return x.grad, x.grad.requires_grad, node_name(x.grad.grad_fn)


@scenario
def grad_twice_without_retain(m):
    x = leaf(m)
    y = (x * x).sum()
    m.autograd.grad(y, x)
    m.autograd.grad(y, x)


@scenario
def grad_scalar_outputs_list(m):
    x = leaf(m)
    return m.autograd.grad([(x * x).sum(), x.sum()], [x])


@scenario
def grad_outputs_length_mismatch(m):
    x = leaf(m)
    m.autograd.grad([(x * x).sum(), x.sum()], [x], grad_outputs=[m.tensor(1.0, dtype=m.float64)])


@scenario
def grad_of_int_output(m):
    x = leaf(m)
    m.autograd.grad(x.argmax(), x)


@scenario
def backward_of_integer_tensor_requiring_grad(m):
    x = leaf(m)
    (x > 0).sum().backward()


@scenario
def data_attribute(m):
    x = leaf(m)
    d = x.data
    d[0] = 9.0
    return x, d.requires_grad, d.is_leaf, x._version


@scenario
def data_assignment(m):
    x = leaf(m)
    x.data = m.zeros(3, dtype=m.float64)
    (x * 2).sum().backward()
    return x, x.grad


@scenario
def hook_on_tensor_used_twice(m):
    x = leaf(m)
    y = x * 2
    seen = []
    y.register_hook(lambda g: seen.append(g.clone()))
    (y * y + y).sum().backward()
    return seen, x.grad


@scenario
def hook_on_view(m):
    x = leaf(m)
    v = x[1:]
    v.register_hook(lambda g: g * 5)
    (v * 1).sum().backward()
    return x.grad


@scenario
def inplace_on_leaf_view_no_grad_then_backward(m):
    x = leaf(m)
    y = x * 2
    with m.no_grad():
        x[0] = 10.0
    y.sum().backward()
    return x.grad, x


@scenario
def backward_through_view_after_inplace_on_base(m):
    x = leaf(m)
    a = x * 1
    v = a[:2]
    a.mul_(3)
    v.sum().backward()
    return x.grad, node_name(v.grad_fn)


@scenario
def saved_tensors_hooks_counts(m):
    x = leaf(m)
    packed, unpacked = [], []

    def pack(t):
        packed.append(tuple(t.shape))
        return t

    def unpack(t):
        unpacked.append(tuple(t.shape))
        return t

    with m.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x * x).exp().sum()
    y.backward()
    return len(packed) > 0, len(unpacked) == len(packed), x.grad


@scenario
def functional_jacobian_hessian(m):
    x = m.tensor([0.5, -1.0], dtype=m.float64)
    j = m.autograd.functional.jacobian(lambda t: t.exp() * t.sum(), x)
    h = m.autograd.functional.hessian(lambda t: (t ** 3).sum() * t[0], x)
    return j, h


@scenario
def functional_vjp_jvp(m):
    x = m.tensor([0.5, -1.0], dtype=m.float64)
    v = m.tensor([1.0, 2.0], dtype=m.float64)
    return m.autograd.functional.vjp(lambda t: t.sin() * 2, x, v), m.autograd.functional.jvp(lambda t: t.sin(), x, v)


@scenario
def new_tensors_do_not_require_grad(m):
    x = leaf(m)
    return x.new_zeros(2).requires_grad, m.zeros_like(x).requires_grad, m.empty_like(x).requires_grad, \
        x.clone().requires_grad, x.clone().is_leaf, m.ones_like(x, requires_grad=True).is_leaf


@scenario
def requires_grad_on_output_of_no_grad_op(m):
    x = leaf(m)
    with m.no_grad():
        y = x * 2
    y.requires_grad_()
    (y * y).sum().backward()
    return y.grad, x.grad, y.is_leaf


@scenario
def retain_graph_then_free(m):
    x = leaf(m)
    y = x.exp().sum()
    y.backward(retain_graph=True)
    y.backward()
    y.backward()


@scenario
def grad_fn_after_inplace(m):
    x = leaf(m)
    y = x * 2
    names = [node_name(y.grad_fn)]
    y.add_(1)
    names.append(node_name(y.grad_fn))
    y.exp_()
    names.append(node_name(y.grad_fn))
    y[0] = 0
    names.append(node_name(y.grad_fn))
    return names


@scenario
def version_of_out_and_view_ops(m):
    x = m.zeros(3)
    m.add(x, 1, out=x)
    v1 = x._version
    x.view(3).fill_(2)
    return v1, x._version


@scenario
def zero_grad_module(m):
    lin = m.nn.Linear(2, 2)
    lin(m.ones(1, 2)).sum().backward()
    lin.zero_grad()
    a = lin.weight.grad
    lin(m.ones(1, 2)).sum().backward()
    lin.zero_grad(set_to_none=False)
    return a, lin.weight.grad


@scenario
def module_full_backward_hook(m):
    lin = m.nn.Linear(2, 2).double()
    with m.no_grad():
        lin.weight.copy_(m.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=m.float64))
        lin.bias.zero_()
    seen = []
    lin.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, go)))
    x = m.tensor([[1.0, -1.0]], dtype=m.float64, requires_grad=True)
    lin(x).sum().backward()
    return seen, x.grad


# ------------------------------------------------------------------------------------------- comparison
def _norm_text(s: str) -> str:
    return re.sub(r"\bntorch\b", "torch", str(s)).strip()


def normalize(r):
    """A library-neutral form of a result (tensors as (dtype, shape, float64 array))."""
    if isinstance(r, (torch.Tensor, ntorch.Tensor)):
        arr = r.detach().cpu().numpy() if isinstance(r, torch.Tensor) else r.detach().numpy()
        return ("tensor", str(r.dtype).split(".")[-1], tuple(r.shape), np.asarray(arr))
    if isinstance(r, (torch.Size, ntorch.Size)):
        return ("size", tuple(r))
    if isinstance(r, dict):
        return {k: normalize(v) for k, v in r.items()}
    if isinstance(r, (list, tuple)):
        return type(r)(normalize(v) for v in r) if type(r) in (list, tuple) else tuple(normalize(v) for v in r)
    if isinstance(r, (torch.dtype, ntorch.dtype)):
        return ("dtype", str(r).split(".")[-1])
    return r


def diff(a, b, path="") -> list[str]:
    if isinstance(a, tuple) and a[:1] == ("tensor",) and isinstance(b, tuple) and b[:1] == ("tensor",):
        if a[1:3] != b[1:3]:
            return [f"{path}: tensor {a[1]}{a[2]} vs {b[1]}{b[2]}"]
        x, y = a[3].astype(np.float64), b[3].astype(np.float64)
        if not np.allclose(x, y, rtol=1e-10, atol=1e-12, equal_nan=True):
            return [f"{path}: values {x.ravel()[:6]} vs {y.ravel()[:6]}"]
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in a:
            out += diff(a[k], b.get(k, "<missing>"), f"{path}.{k}")
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and type(a) is type(b):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b)}: {a!r:.120} vs {b!r:.120}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
        return out
    if a != b:
        return [f"{path}: {a!r:.100} vs {b!r:.100}"]
    return []


def run(fn, m):
    """(result or None, exception or None, [(category, text)] warnings) of fn(m)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res, err = normalize(fn(m)), None
        except Exception as e:  # noqa: BLE001
            res, err = None, e
    torch.set_grad_enabled(True)
    ntorch.set_grad_enabled(True)
    torch.autograd.set_detect_anomaly(False)
    ntorch.autograd.set_detect_anomaly(False)
    warns = [(w.category.__name__, _norm_text(w.message)) for w in caught
             if not issubclass(w.category, DeprecationWarning)]
    return res, err, warns


def compare(fn) -> list[tuple[str, str]]:
    tres, terr, twarn = run(fn, torch)
    nres, nerr, nwarn = run(fn, ntorch)
    errs = []
    if terr is not None or nerr is not None:
        if terr is None:
            errs.append(("raises", f"ntorch raises {type(nerr).__name__}: {str(nerr)[:150]}"))
        elif nerr is None:
            errs.append(("no-raise", f"torch raises {type(terr).__name__}: {str(terr)[:150]}"))
        elif type(terr).__name__ != type(nerr).__name__ and not isinstance(nerr, type(terr)):
            errs.append(("exc-type", f"torch {type(terr).__name__}, ntorch {type(nerr).__name__}: {str(nerr)[:100]}"))
        elif _norm_text(terr)[:60] != _norm_text(nerr)[:60]:
            errs.append(("message", f"torch {_norm_text(terr)[:110]!r}\n{'':48}ntorch {_norm_text(nerr)[:110]!r}"))
    else:
        errs += [("value", d) for d in diff(tres, nres)]
    if [c for c, _ in twarn] != [c for c, _ in nwarn]:
        errs.append(("warning", f"torch {twarn!r:.150} vs ntorch {nwarn!r:.150}"))
    elif [t[:50] for _, t in twarn] != [t[:50] for _, t in nwarn]:
        errs.append(("warning-text", f"torch {twarn!r:.150} vs ntorch {nwarn!r:.150}"))
    return errs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=None, help="comma-separated words; run scenarios whose name contains one")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    words = args.only.split(",") if args.only else None
    fails, cats, n = {}, collections.Counter(), 0
    for fn in SCENARIOS:
        if words and not any(w in fn.__name__ for w in words):
            continue
        n += 1
        try:
            errs = compare(fn)
        except Exception as e:  # noqa: BLE001
            errs = [("sweep-crash", f"{type(e).__name__}: {str(e)[:150]}")]
        if errs:
            fails[fn.__name__] = errs
            cats.update(c for c, _ in errs)
            if args.verbose:
                for c, d in errs:
                    print(f"  {fn.__name__:44s} {c:12s} {d}", flush=True)
    print(f"\n{n} scenarios, {sum(cats.values())} mismatches in {len(fails)} scenarios")
    print("by category:", dict(cats.most_common()))
    if not args.verbose:
        for name, errs in fails.items():
            for c, d in errs[:3]:
                print(f"  {name:44s} {c:12s} {d}")
    return 0 if not fails else 1


if __name__ == "__main__":
    sys.exit(main())
