"""inference_mode and inference tensors, as torch 2.13 (its behaviour spelled out in each test: no torch import)."""

from __future__ import annotations

import re
import sys
import threading

import numpy as np
import pytest

import ntorch as nt
from ntorch.tensor import Tensor

tensor_module = sys.modules["ntorch.tensor"]  # (ntorch.tensor the attribute is the factory function)

SAVE = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
        "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it "
        "in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")
INPLACE = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
           "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.")
REQUIRES_GRAD = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
VERSION = "Inference tensors do not track version counter."


def leaf():
    return nt.tensor([0.5, -1.25, 2.0], dtype=nt.float64, requires_grad=True)


def _marking_off() -> bool:
    """Tensor's constructors are the plain ones (no inference check on the normal path)."""
    return (Tensor.__dict__["_wrap"].__func__ is tensor_module._WRAP_PLAIN
            and Tensor.__dict__["_wrap_result"].__func__ is tensor_module._WRAP_RESULT_PLAIN)


def test_block_marks_new_tensors_and_records_nothing():
    x = leaf()
    assert not nt.is_inference_mode_enabled()
    with nt.inference_mode():
        assert nt.is_inference_mode_enabled() and not nt.is_grad_enabled()
        assert not _marking_off()
        y = x * 2
        z = nt.ones(3, requires_grad=True)  # torch allows requires_grad inside the mode
    assert _marking_off() and nt.is_grad_enabled() and not nt.is_inference_mode_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_inference() and nt.is_inference(y)
    assert z.requires_grad and z.is_inference()
    assert not x.is_inference()
    np.testing.assert_array_equal(y.numpy(), [1.0, -2.5, 4.0])


def test_views_detach_data_follow_the_tensor_clone_is_normal():
    n = nt.ones(4)
    with nt.inference_mode():
        y = nt.arange(4.0)
        inside_view_of_normal, inside_detach_of_normal = n[1:], n.detach()
    assert not inside_view_of_normal.is_inference() and not inside_detach_of_normal.is_inference()
    assert y[1:].is_inference() and y.view(2, 2).is_inference() and y.detach().is_inference()
    assert y.data.is_inference()
    assert not y.clone().is_inference() and not (y + 1).is_inference()


def test_inference_mode_false_turns_grad_on():
    x = leaf()
    with nt.inference_mode():
        with nt.inference_mode(False):
            assert nt.is_grad_enabled() and not nt.is_inference_mode_enabled()
            y = x * 2
            fresh = nt.ones(2)
        assert nt.is_inference_mode_enabled()
    assert y.requires_grad and y.grad_fn.name() == "MulBackward0" and not y.is_inference()
    assert not fresh.is_inference()
    with nt.no_grad(), nt.inference_mode(False):  # as torch: mode False means grad mode on
        assert nt.is_grad_enabled()
    assert _marking_off()


def test_decorator_with_and_without_parentheses():
    @nt.inference_mode()
    def f(t):
        return t * 2

    @nt.inference_mode
    def g(t):
        assert nt.is_inference_mode_enabled()
        return t * 3

    x = leaf()
    for y in (f(x), g(x)):
        assert y.is_inference() and not y.requires_grad
    assert not nt.is_inference_mode_enabled() and _marking_off()


def test_exception_restores_mode():
    with pytest.raises(ValueError), nt.inference_mode():
        raise ValueError
    assert not nt.is_inference_mode_enabled() and nt.is_grad_enabled() and _marking_off()


def test_saving_an_inference_tensor_for_backward_raises():
    with nt.inference_mode():
        y = nt.ones(3, dtype=nt.float64)
    x = leaf()
    for f in (lambda: x * y, lambda: x / y, lambda: nt.dot(x, y), lambda: (x.exp() * y).sum()):
        with pytest.raises(RuntimeError, match=re.escape(SAVE)):
            f()
    z = x + y  # nothing saved: allowed, and differentiable
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_inplace_outside_the_mode_raises_inside_it_works():
    n = nt.zeros(3)
    with nt.inference_mode():
        y = nt.ones(3)
        y.add_(1)  # allowed inside the mode
        n.add_(1)  # a normal tensor keeps its version counter
    assert n._version == 1
    np.testing.assert_array_equal(y.numpy(), [2.0, 2.0, 2.0])
    for f in (lambda: y.add_(1), lambda: y.__setitem__(0, 5.0), lambda: y[1:].mul_(2), lambda: y.zero_(),
              lambda: nt.add(nt.ones(3), 1, out=y)):
        with pytest.raises(RuntimeError, match=re.escape(INPLACE)):
            f()


INPLACE_CALLS = {
    "add_": lambda t: t.add_(1), "mul_ tensor": lambda t: t.mul_(nt.full((3, 4), 2.0)), "exp_": lambda t: t.exp_(),
    "clamp_": lambda t: t.clamp_(0.2, 0.8), "copy_": lambda t: t.copy_(nt.zeros(3, 4)), "fill_": lambda t: t.fill_(3),
    "zero_": lambda t: t.zero_(), "masked_fill_": lambda t: t.masked_fill_(t > 0.5, 0.0),
    "setitem": lambda t: t.__setitem__(0, 9.0), "setitem mask": lambda t: t.__setitem__(t > 0.5, 9.0),
    "index_add_": lambda t: t.index_add_(0, nt.tensor([0, 2]), nt.ones(2, 4)),
    "index_fill_": lambda t: t.index_fill_(1, nt.tensor([1]), 7.0), "scatter_": lambda t: t.scatter_(
        1, nt.tensor([[0, 1]]), 5.0), "tril_": lambda t: t.tril_(), "uniform_": lambda t: t.uniform_(),
    "out=": lambda t: nt.add(nt.ones(3, 4), 1, out=t), "cat out=": lambda t: nt.cat([nt.ones(1, 4)] * 3, out=t),
    "t_": lambda t: t.t_(), "unsqueeze_": lambda t: t.unsqueeze_(0), "as_strided_": lambda t: t.as_strided_((2,), (1,)),
    "conj_physical_": lambda t: t.conj_physical_(),
}


@pytest.mark.parametrize("name", list(INPLACE_CALLS))
def test_refused_inplace_update_leaves_the_tensor_untouched(name):
    """torch raises before writing: the values, shape and strides are those from before the call. On a normal
    tensor the same call bumps the version counter once."""
    with nt.inference_mode():
        t = nt.arange(12.0).reshape(3, 4) / 7
    before = t.numpy().copy()
    with pytest.raises(RuntimeError, match=re.escape(INPLACE)):
        INPLACE_CALLS[name](t)
    assert tuple(t.shape) == (3, 4) and t.stride() == (4, 1)
    np.testing.assert_array_equal(t.numpy(), before)
    n = nt.arange(12.0).reshape(3, 4) / 7
    INPLACE_CALLS[name](n)
    assert n._version == 1  # (metadata changes such as t_ count as writes in torch too)


def test_version_counter_and_requires_grad():
    with nt.inference_mode():
        y = nt.ones(3)
        with pytest.raises(RuntimeError, match=re.escape(VERSION)):
            _ = y._version
    with pytest.raises(RuntimeError, match=re.escape(VERSION)):
        _ = y._version
    with pytest.raises(RuntimeError, match=re.escape(REQUIRES_GRAD)):
        y.requires_grad_(True)
    with pytest.raises(RuntimeError, match=re.escape(REQUIRES_GRAD)):
        y.requires_grad = True
    y.requires_grad_(False)  # allowed
    c = y.clone().requires_grad_(True)  # torch's way out: a clone is a normal tensor
    (c * c).sum().backward()
    np.testing.assert_array_equal(c.grad.numpy(), [2.0, 2.0, 2.0])


def test_other_threads_are_not_marked():
    made = {}
    inside, done = threading.Event(), threading.Event()

    def worker():
        inside.wait()
        made["t"] = nt.ones(2)
        done.set()

    th = threading.Thread(target=worker)
    th.start()
    with nt.inference_mode():
        inside.set()
        done.wait()
        mine = nt.ones(2)
    th.join()
    assert mine.is_inference() and not made["t"].is_inference()
    assert _marking_off()
