"""The autograd engine, exercised through custom Functions (op backward formulas come with issue 4)."""

import gc
import threading
import weakref

import numpy as np
import pytest

import ntorch
from ntorch.autograd import Function


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


class Sum(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.shape = tuple(a.shape)
        return a.sum()

    @staticmethod
    def backward(ctx, g):
        return g.expand(*ctx.shape)


class Identity(Function):
    @staticmethod
    def forward(ctx, a):
        return a * 1.0

    @staticmethod
    def backward(ctx, g):
        return g


def leaf(values):
    return ntorch.tensor(values, dtype=ntorch.float64, requires_grad=True)


def test_backward_accumulates_into_leaves():
    a, b = leaf([1.0, 2.0, 3.0]), leaf([4.0, -5.0, 6.0])
    y = Sum.apply(Mul.apply(a, b))
    assert y.grad_fn.name() == "SumBackward"
    assert y.grad_fn.next_functions[0][0].name() == "MulBackward"
    assert not y.is_leaf and a.is_leaf
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, -5.0, 6.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 2.0, 3.0])
    Sum.apply(Mul.apply(a, b)).backward()  # a second graph: gradients add up
    np.testing.assert_array_equal(a.grad.numpy(), [8.0, -10.0, 12.0])


def test_shared_input_gets_summed_gradient():
    a = leaf([1.0, 2.0])
    Sum.apply(Mul.apply(a, a)).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])


def test_second_backward_needs_retain_graph():
    a, b = leaf([1.0]), leaf([2.0])
    y = Sum.apply(Mul.apply(a, b))
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_non_scalar_backward_needs_gradient():
    a = leaf([1.0, 2.0])
    y = Mul.apply(a, a)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(ntorch.tensor([1.0, 10.0], dtype=ntorch.float64))
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 40.0])


def test_backward_of_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        ntorch.ones(2).sum().backward()


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
        ntorch.ones(2, dtype=ntorch.int64).requires_grad_()
    y = Mul.apply(leaf([1.0]), leaf([2.0]))
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        y.requires_grad = False
    d = y.detach()
    assert d.grad_fn is None and not d.requires_grad
    assert d.data_ptr() == y.data_ptr()


def test_autograd_grad_leaves_dot_grad_alone_and_reports_unused():
    a, b, c = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([0.0])
    y = Sum.apply(Mul.apply(a, b))
    (ga,) = ntorch.autograd.grad(y, a, retain_graph=True)
    np.testing.assert_array_equal(ga.numpy(), [3.0, 4.0])
    assert a.grad is None and b.grad is None
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        ntorch.autograd.grad(y, [a, c], retain_graph=True)
    ga, gc_ = ntorch.autograd.grad(y, [a, c], allow_unused=True)
    assert gc_ is None


def test_backward_inputs_accumulates_only_there():
    a, b = leaf([1.0]), leaf([2.0])
    Sum.apply(Mul.apply(a, b)).backward(inputs=[b])
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.numpy(), [1.0])


def test_hooks_and_retain_grad():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    m = Mul.apply(a, b)
    m.retain_grad()
    seen = []
    m.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = a.register_hook(lambda g: g * 10)
    Sum.apply(m).backward()
    np.testing.assert_array_equal(m.grad.numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(seen[0], [1.0, 1.0])
    np.testing.assert_array_equal(a.grad.numpy(), [30.0, 40.0])
    handle.remove()
    a.grad = None
    Sum.apply(Mul.apply(a, b)).backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])


def test_inplace_change_of_saved_tensor_is_caught():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    with ntorch.no_grad():
        b2 = b * 1.0
    y = Sum.apply(Mul.apply(a, b2))
    b2.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; expected version 0"):
        y.backward()


def test_long_chain_runs_without_recursion():
    x = leaf(1.0)
    z = x
    for _ in range(100_000):
        z = Identity.apply(z)
    z.backward()
    assert x.grad.item() == 1.0


def test_graph_is_freed_after_backward():
    a = leaf([1.0, 2.0])
    m = Mul.apply(a, a)
    y = Sum.apply(m)
    node, saved = weakref.ref(m.grad_fn), weakref.ref(m)
    del m
    y.backward()
    del y
    gc.collect()
    assert node() is None and saved() is None


def test_custom_function_ctx_features():
    class Split(Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.set_materialize_grads(False)
            idx = ntorch.arange(2)
            ctx.mark_non_differentiable(idx)
            return x * scale, idx

        @staticmethod
        def backward(ctx, g, g_idx):
            assert ctx.needs_input_grad == (True, False)  # torch: one flag per forward argument
            assert g_idx is None
            return g * 2.0, None

    x = leaf([1.0, 2.0])
    y, idx = Split.apply(x, 2.0)
    assert not idx.requires_grad and y.requires_grad
    Sum.apply(y).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="returned an incorrect number of gradients"):
        Sum.apply(Wrong.apply(x, x)).backward()


def test_grad_modes_are_thread_local_context_managers_and_decorators():
    a = leaf([1.0])
    with ntorch.no_grad():
        assert not ntorch.is_grad_enabled()
        assert not Mul.apply(a, a).requires_grad
        with ntorch.enable_grad():
            assert Mul.apply(a, a).requires_grad
    assert ntorch.is_grad_enabled()

    @ntorch.no_grad()
    def f():
        return ntorch.is_grad_enabled()

    assert f() is False and ntorch.is_grad_enabled()
    ntorch.set_grad_enabled(False)
    assert not ntorch.is_grad_enabled()
    ntorch.set_grad_enabled(True)
    with ntorch.set_grad_enabled(False):
        assert not ntorch.is_grad_enabled()
    with ntorch.inference_mode():
        assert not ntorch.is_grad_enabled()
    seen = []
    with ntorch.no_grad():
        t = threading.Thread(target=lambda: seen.append(ntorch.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_detect_anomaly_names_the_node():
    class NanBack(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = leaf([1.0])
    with ntorch.autograd.detect_anomaly():
        y = Sum.apply(NanBack.apply(x))
        with pytest.raises(RuntimeError, match="Function 'NanBackBackward' returned nan values in its 0th output"):
            y.backward()


def test_graph_of_real_ops_is_freed_and_training_memory_is_steady():
    import tracemalloc

    w = ntorch.randn(64, 8, dtype=ntorch.float64, requires_grad=True)
    x = ntorch.randn(32, 64, dtype=ntorch.float64)

    def step():
        loss = (x @ w).tanh().pow(2).mean()
        loss.backward()
        with ntorch.no_grad():
            w.sub_(0.01 * w.grad)
        w.grad = None
        return loss

    loss = step()
    node = weakref.ref(loss.grad_fn)
    hidden = weakref.ref(loss.grad_fn.next_functions[0][0])
    del loss
    gc.collect()
    assert node() is None and hidden() is None
    h = (x @ w).tanh()
    saved = weakref.ref(h)
    loss = h.pow(2).mean()  # pow saves h for its backward
    del h
    gc.collect()
    assert saved() is not None
    loss.backward()
    gc.collect()
    assert saved() is None  # freed by backward while the graph's output is still alive
    w.grad = None
    for _ in range(50):  # warm up caches
        step()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(1000):
        step()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    growth = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert growth < 200_000, f"memory grew by {growth} bytes over 1000 training steps"


def test_leaf_grads_never_alias_each_other_or_the_callers_tensors():
    # add's backward hands the same gradient object to both inputs: each .grad must own its memory
    a, b = ntorch.ones(3, requires_grad=True), ntorch.ones(3, requires_grad=True)
    for _ in range(2):
        (a + b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2, 2, 2])
    np.testing.assert_array_equal(b.grad.numpy(), [2, 2, 2])
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [2, 2, 2])
    # a gradient the caller passed in, or a hook's result the caller keeps, is copied, not taken
    v = ntorch.ones(3)
    c = ntorch.ones(3, requires_grad=True)
    c.backward(v)
    c.grad.add_(1)
    np.testing.assert_array_equal(v.numpy(), [1, 1, 1])
    kept = []
    d = ntorch.ones(3, requires_grad=True)
    d.register_hook(lambda g: kept.append(g * 1) or kept[-1])
    (d * 2).sum().backward()
    d.grad.zero_()
    np.testing.assert_array_equal(kept[0].numpy(), [2, 2, 2])
    # a retained intermediate gradient and a leaf's gradient are separate tensors
    x = ntorch.ones(3, requires_grad=True)
    y = x * 1.0
    y.retain_grad()
    (y * 1.0).sum().backward()
    x.grad.zero_()
    np.testing.assert_array_equal(y.grad.numpy(), [1, 1, 1])


def test_inplace_on_multi_output_views_is_rejected_like_pytorch():
    x = ntorch.ones(4, requires_grad=True).clone()
    pieces = x.split(2)
    with pytest.raises(RuntimeError, match=r"Output 1 of SplitBackward0 is a view and is being modified inplace"):
        pieces[1].mul_(2)
    rows = ntorch.ones(3, 2, requires_grad=True).clone().unbind(0)
    with pytest.raises(RuntimeError, match=r"Output 2 of UnbindBackward0 is a view"):
        rows[2].add_(1)
    free = ntorch.ones(4).split(2)  # no history: in-place is fine
    free[0].mul_(2)
    np.testing.assert_array_equal(free[0].numpy(), [2, 2])


def test_mark_dirty_on_a_leaf_that_requires_grad_is_an_error():
    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in an in-place"):
        Double.apply(ntorch.ones(3, requires_grad=True))
    a = ntorch.ones(3, requires_grad=True)
    b = a * 1
    c = Double.apply(b)
    assert c is b and c.grad_fn is not None
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2, 2, 2])
