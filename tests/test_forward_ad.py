"""torch.autograd.forward_ad emulated on the tape (dual_level, make_dual, unpack_dual) and autograd.Variable;
tangents are checked against closed-form Jacobian-vector products in float64."""

import numpy as np
import pytest

import ntorch
import ntorch.autograd.forward_ad as fwAD
from ntorch.autograd import Variable


def test_jvp_of_a_composite_function():
    rng = np.random.default_rng(0)
    xv, tv, wv = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal((4, 3))
    with fwAD.dual_level():
        x = fwAD.make_dual(ntorch.tensor(xv), ntorch.tensor(tv))
        y = x.sin() @ ntorch.tensor(wv)
        primal, tangent = fwAD.unpack_dual(y)
        np.testing.assert_allclose(primal.numpy(), np.sin(xv) @ wv, rtol=1e-12)
        np.testing.assert_allclose(tangent.numpy(), (np.cos(xv) * tv) @ wv, rtol=1e-12)
        p, t = fwAD.unpack_dual(x)
        np.testing.assert_array_equal(t.numpy(), tv)
        assert fwAD.unpack_dual(ntorch.ones(2) * 2).tangent is None  # independent of every dual tensor


def test_two_duals_add_their_tangents():
    with fwAD.dual_level():
        a = fwAD.make_dual(ntorch.tensor([1.0, 2.0], dtype=ntorch.float64), ntorch.tensor([1.0, 0.0],
                                                                                         dtype=ntorch.float64))
        b = fwAD.make_dual(ntorch.tensor([3.0, 4.0], dtype=ntorch.float64), ntorch.tensor([0.0, 1.0],
                                                                                         dtype=ntorch.float64))
        tangent = fwAD.unpack_dual(a * b).tangent  # d(ab) = b da + a db
        np.testing.assert_allclose(tangent.numpy(), [3.0, 2.0])


def test_errors():
    with pytest.raises(RuntimeError, match="no level exists, make sure to enter_dual_level\\(\\) first"):
        fwAD.make_dual(ntorch.ones(2), ntorch.ones(2))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match="Tensor is of size \\[2\\] while the given forward gradient is of "
                                               "size \\[3\\]"):
            fwAD.make_dual(ntorch.ones(2), ntorch.ones(3))


def test_variable_is_a_detached_alias():
    x = ntorch.ones(2)
    v = Variable(x, requires_grad=True)
    assert v is not x and v.requires_grad and not x.requires_grad and isinstance(x, Variable)
    v.data.add_(1)
    assert x.tolist() == [2.0, 2.0]  # the same memory
    y = ntorch.ones(2, requires_grad=True) * 3
    assert Variable(y).grad_fn is None


def test_data_is_an_untracked_alias_and_assignable():
    p = ntorch.ones(2, requires_grad=True)
    p.data.add_(1)  # torch allows in-place changes through .data on a leaf that requires grad
    assert p.tolist() == [2.0, 2.0] and p._version == 0  # .data has its own version counter
    (p * 3).sum().backward()
    p.data -= 0.5 * p.grad  # the manual SGD step of pre-optimizer code
    np.testing.assert_allclose(p.detach().numpy(), [0.5, 0.5])
    p.data = ntorch.zeros(3)
    assert p.shape == (3,) and p.requires_grad
