"""Autograd API behaviours tools/autograd_sweep.py found apart from torch 2.13, fixed. Expected values are torch's
observed behaviour (texts quoted from torch 2.13), gradients checked against closed forms."""

import re
import warnings

import numpy as np
import pytest

import ntorch as nt
from ntorch.autograd import Function
from ntorch.autograd.function import once_differentiable


def leaf(values=(0.5, -1.25, 2.0)):
    return nt.tensor(list(values), dtype=nt.float64, requires_grad=True)


def test_grad_fn_type_name_is_the_node_name():
    """torch has one class per backward function: type(y.grad_fn).__name__ == 'MulBackward0'."""
    x = leaf()
    y = (x * 2 + 1).exp().sum()
    assert type(y.grad_fn).__name__ == "SumBackward0"
    (exp_node, nr), = y.grad_fn.next_functions
    assert nr == 0 and type(exp_node).__name__ == "ExpBackward0"
    add_node = exp_node.next_functions[0][0]
    assert type(add_node).__name__ == "AddBackward0"
    assert type(add_node.next_functions[0][0]).__name__ == "MulBackward0"
    acc = add_node.next_functions[0][0].next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and acc.name() == "torch::autograd::AccumulateGrad"
    assert acc.variable is x
    assert type(x.view(3, 1).grad_fn).__name__ == "ViewBackward0"
    y.backward()  # a renamed node still runs
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * np.array([0.5, -1.25, 2.0]) + 1), rtol=1e-14)


def test_backward_twice_needs_saved_tensors_only():
    """torch raises only when a freed saved tensor is read: (x + 1).sum() saves nothing and can run twice."""
    x = leaf()
    y = (x + 1).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    z = (x * x).sum()
    z.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        z.backward()


def test_root_gradient_cast_to_output_dtype():
    x = leaf()
    (x * 2).backward(nt.ones(3, dtype=nt.float32))
    assert x.grad.dtype is nt.float64
    with pytest.raises(RuntimeError, match=re.escape("grad_output[0] has a shape of")):
        (x * 2).backward(nt.ones(2, dtype=nt.float64))


def test_grad_set_checks():
    x = leaf()
    with pytest.raises(RuntimeError, match=re.escape("attempting to assign a gradient of size '[2]' to a tensor of "
                                                     "size '[3]'")):
        x.grad = nt.zeros(2, dtype=nt.float64)
    # torch 2.13: another dtype needs grad_dtype set to it (or None)
    with pytest.raises(RuntimeError, match=re.escape("attempting to assign a gradient with dtype 'float' to a tensor "
                                                     "with grad_dtype 'Double'. The gradient must match")):
        x.grad = nt.zeros(3)
    assert x.grad_dtype is nt.float64
    x.grad_dtype = None
    x.grad = nt.zeros(3)
    assert x.grad.dtype is nt.float32 and x.grad_dtype is None
    x.grad_dtype = nt.float64
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None but got grad of type int"):
        x.grad = 3
    x.grad = nt.ones(3, dtype=nt.float64)
    x.grad = None
    assert x.grad is None


def test_grad_dtype():
    """torch 2.13: leaf-only attribute, a dtype or None; the assigned or accumulated gradient follows it."""
    x = nt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert x.grad_dtype is nt.float32 and nt.ones(2, dtype=nt.int64).grad_dtype is nt.int64
    names = {nt.float16: "c10::Half", nt.bfloat16: "c10::BFloat16", nt.int64: "long int", nt.float64: "double",
             nt.complex64: "c10::complex<float>", nt.bool: "bool", nt.uint8: "unsigned char"}
    for dt, name in names.items():
        with pytest.raises(RuntimeError, match=re.escape(f"attempting to assign a gradient with dtype '{name}' to a "
                                                         "tensor with grad_dtype 'Float'.")):
            x.grad = nt.zeros(3, dtype=dt)
    with pytest.raises(RuntimeError, match=re.escape("with grad_dtype 'Float'")):
        nt.ones(3).grad = nt.ones(3, dtype=nt.float64)  # (a tensor that needs no grad too)
    x.grad_dtype = nt.float64
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert x.grad.dtype is nt.float64
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 4.0, 4.0])
    x.grad_dtype = None
    assert x.grad_dtype is None
    y = x * 2
    with pytest.raises(RuntimeError, match="grad_dtype can only be accessed on leaf tensors."):
        _ = y.grad_dtype
    with pytest.raises(RuntimeError, match="grad_dtype can only be set on leaf tensors."), \
            pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor"):
        y.grad_dtype = nt.float64
    with pytest.raises(RuntimeError, match="grad_dtype must be a torch.dtype or None, but got int"):
        x.grad_dtype = 3


def test_leaf_keeps_its_accumulate_grad():
    """One AccumulateGrad per leaf, reused by later graphs; unseen by users: x.grad_fn stays None, the leaf is freed
    when dropped, a node given hooks or metadata is not reused once its graph is gone (torch makes a new one)."""
    import gc
    import weakref

    x = leaf()
    assert x.grad_fn is None
    acc = (x * 2).grad_fn.next_functions[0][0]
    assert acc.name() == "torch::autograd::AccumulateGrad" and acc.variable is x
    assert (x * 3).grad_fn.next_functions[0][0] is acc
    acc.metadata["k"] = 1
    y = x * 4
    assert y.grad_fn.next_functions[0][0] is acc  # still held by a live graph: shared
    del acc
    y.sum().backward()
    assert y.grad_fn.next_functions[0][0].metadata == {"k": 1}
    del y
    fresh = (x * 5).grad_fn.next_functions[0][0]
    assert fresh.metadata == {} and fresh.variable is x
    calls = []
    x.register_post_accumulate_grad_hook(lambda t: calls.append(t.grad.clone()))
    x.grad = None
    for _ in range(2):
        (x * x).sum().backward()
    assert len(calls) == 2
    np.testing.assert_array_equal(calls[1].numpy(), 4 * np.array([0.5, -1.25, 2.0]))
    seen = []  # hooks of the node itself, in torch's order: tensor hook, pre hook (may replace), post-accumulate, post
    x.register_hook(lambda g: seen.append(("tensor", g.tolist())))
    y = x * 3
    acc = y.grad_fn.next_functions[0][0]
    acc.register_prehook(lambda go: (seen.append(("pre", go[0].tolist())), (go[0] * 10,))[1])
    acc.register_hook(lambda gi, go: seen.append(("post", gi, go[0].tolist())))
    x.grad = None
    calls.clear()
    y.sum().backward()
    assert seen == [("tensor", [3.0] * 3), ("pre", [3.0] * 3), ("post", (), [30.0] * 3)]
    assert x.grad.tolist() == [30.0] * 3 and len(calls) == 1
    del y, acc
    ref = weakref.ref(x)
    z = x * 2
    del x, fresh
    gc.collect()
    z.sum().backward()  # (the leaf is gone: nothing can see its gradient)
    assert ref() is None


def test_nonleaf_grad_warns_unless_retained():
    x = leaf()
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf Tensor is being accessed"):
        assert y.grad is None
    z = x * 3
    z.retain_grad()
    z.sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(z.grad.numpy(), [1.0, 1.0, 1.0])
        assert x.grad is not None


def test_retain_grad_sees_the_hooks_result():
    """torch runs retain_grad's hook after the tensor's other hooks, registered before or after it."""
    x = leaf()
    y = x * 2
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [10.0, 10.0, 10.0])
    np.testing.assert_array_equal(x.grad.numpy(), [20.0, 20.0, 20.0])


def test_hook_changing_size_raises():
    x = leaf()
    x.register_hook(lambda g: g[:2])
    with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
        (x * 2).sum().backward()


def test_grad_unused_message_and_materialize_check():
    x, z = leaf(), leaf()
    with pytest.raises(RuntimeError, match=re.escape("The differentiated Tensor at index 1 appears to not have been "
                                                     "used in the graph. Set allow_unused=True")):
        nt.autograd.grad((x * 2).sum(), [x, z])
    with pytest.raises(ValueError, match=re.escape("Expected allow_unused to be True or not passed when "
                                                   "materialize_grads=True, but got: allow_unused=False.")):
        nt.autograd.grad((x * 2).sum(), [x, z], allow_unused=False, materialize_grads=True)
    gx, gz = nt.autograd.grad((x * 2).sum(), [x, z], materialize_grads=True)
    np.testing.assert_array_equal(gz.numpy(), [0.0, 0.0, 0.0])


def test_grad_is_grads_batched():
    """Each row of the batched grad_outputs is one vector-Jacobian product: here rows of diag(2x)."""
    x = leaf()
    (g,) = nt.autograd.grad(x * x, x, grad_outputs=nt.eye(3, dtype=nt.float64), is_grads_batched=True)
    np.testing.assert_allclose(g.numpy(), np.diag(2 * np.array([0.5, -1.25, 2.0])), rtol=1e-15)


def test_detach_inplace_of_a_view_raises():
    x = leaf()
    with pytest.raises(RuntimeError, match="Can't detach views in-place. Use detach\\(\\) instead."):
        (x * 2)[:2].detach_()
    y = x * 2
    y.detach_()
    assert not y.requires_grad and y.grad_fn is None


def test_anomaly_mode_warnings():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = nt.autograd.detect_anomaly()
    x = nt.tensor([0.0, 1.0], dtype=nt.float64, requires_grad=True)
    with mode:
        y = (x.sqrt() * 0).sum()
        with pytest.warns(UserWarning, match="Error detected in SqrtBackward0. Traceback of forward call"):
            with pytest.raises(RuntimeError, match=r"^Function 'SqrtBackward0' returned nan values in its 0th "
                                                   r"output\.$"):
                y.backward()


class _Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class _Scale(Function):
    @staticmethod
    def forward(ctx, x, k, w):
        ctx.k = k
        ctx.flags = ctx.needs_input_grad
        ctx.save_for_backward(w)
        return x * k * w

    @staticmethod
    def backward(ctx, g):
        (w,) = ctx.saved_tensors
        return g * ctx.k * w, None, None


def test_once_differentiable():
    x = leaf()
    (g,) = nt.autograd.grad(_Cube.apply(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), 3 * np.array([0.5, -1.25, 2.0]) ** 2, rtol=1e-15)
    y = _Cube.apply(x)
    (g,) = nt.autograd.grad(y, x, grad_outputs=nt.ones(3, dtype=nt.float64, requires_grad=True), create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == "DelayedError"
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was marked with "
                                           "@once_differentiable"):
        g.sum().backward()


def test_function_needs_input_grad_has_one_flag_per_argument():
    x = leaf()
    w = nt.tensor([1.0, 2.0, 3.0], dtype=nt.float64)
    y = _Scale.apply(x, 2.0, w)
    assert y.grad_fn.needs_input_grad == (True, False, False) and y.grad_fn.flags == (True, False, False)
    assert type(y.grad_fn).__name__ == "_ScaleBackward"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_create_graph_backward_warns_and_grad_node_is_copy():
    x = leaf()
    with pytest.warns(UserWarning, match="Using backward\\(\\) with create_graph=True will create a reference cycle"):
        (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and type(x.grad.grad_fn).__name__ == "CopyBackwards"
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * np.array([0.5, -1.25, 2.0]) ** 2, rtol=1e-15)
    (gg,) = nt.autograd.grad(x.grad.sum(), x)
    np.testing.assert_allclose(gg.numpy(), 6 * np.array([0.5, -1.25, 2.0]), rtol=1e-15)


def test_gradient_count_mismatch_message():
    x = leaf()
    with pytest.raises(RuntimeError, match="^got 2 tensors and 1 gradients$"):
        nt.autograd.grad([(x * x).sum(), x.sum()], [x], grad_outputs=[nt.tensor(1.0, dtype=nt.float64)])
    with pytest.raises(RuntimeError, match="^got 2 tensors and 1 gradients$"):
        nt.autograd.backward([(x * x).sum(), x.sum()], [nt.tensor(1.0, dtype=nt.float64)])


def test_linear_node_edges_in_torchs_order():
    """torch's F.linear is addmm(bias, input, weight.t()) / mm(input, weight.t()): the node's edges lead to the bias,
    the input and the weight in that order (the tutorial's loss.grad_fn.next_functions[0][0] is the bias's
    AccumulateGrad); 1-d input goes view -> addmm -> view. Gradients against the closed forms."""
    x = nt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = nt.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)
    b = nt.tensor(np.array([0.5, -0.5, 1.0, 2.0]), requires_grad=True)
    y = nt.nn.functional.linear(x.relu(), w, b)
    node = y.grad_fn
    assert node.name() == "AddmmBackward0"
    acc_b, (relu, _), acc_w = node.next_functions[0][0], node.next_functions[1], node.next_functions[2][0]
    assert acc_b.variable is b and acc_w.variable is w and relu.name() == "ReluBackward0"
    g = np.arange(8.0).reshape(2, 4)
    y.backward(nt.tensor(g))
    np.testing.assert_allclose(b.grad.numpy(), g.sum(0))
    np.testing.assert_allclose(w.grad.numpy(), g.T @ np.maximum(np.arange(6.0).reshape(2, 3), 0))
    np.testing.assert_allclose(x.grad.numpy(), (g @ w.detach().numpy()) * (np.arange(6.0).reshape(2, 3) > 0))
    mm = nt.nn.functional.linear(x, w).grad_fn
    assert mm.name() == "MmBackward0" and [f.variable for f, _ in mm.next_functions] == [x, w]
    v = nt.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y1 = nt.nn.functional.linear(v, w, b)
    assert y1.grad_fn.name() == "ViewBackward0" and y1.grad_fn.next_functions[0][0].name() == "AddmmBackward0"
    y1.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), w.detach().numpy().sum(0))
