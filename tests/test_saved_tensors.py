"""grad_fn._saved_<name> attributes and the node names of reversed / overloaded operators, as torch 2.13 (its values
spelled out in each test: no torch import); gradients against NumPy formulas."""

from __future__ import annotations

import re

import numpy as np
import pytest

import ntorch as nt

FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
         "already been freed)")
X = [0.5, -1.25, 2.0]


def leaf(values=X):
    return nt.tensor(values, dtype=nt.float64, requires_grad=True)


def values(t):
    return t.detach().numpy()


def test_mul_and_div_save_what_torch_saves():
    x = leaf()
    other = x.detach().exp()
    g = (x * other).grad_fn
    assert g._saved_self is None  # saved only when other requires grad
    np.testing.assert_array_equal(values(g._saved_other), np.exp(X))
    z = leaf([1.0, 2.0, 3.0])
    g = (x * z).grad_fn
    np.testing.assert_array_equal(values(g._saved_self), X)
    np.testing.assert_array_equal(values(g._saved_other), [1.0, 2.0, 3.0])
    s = (x * 2.0).grad_fn._saved_other  # a number: torch's wrapped 0-d tensor (double / long)
    assert s.dtype is nt.float64 and s.ndim == 0 and s.item() == 2.0
    assert (x * 3).grad_fn._saved_other.dtype is nt.int64
    g = (x / other).grad_fn
    assert g._saved_self is None
    np.testing.assert_array_equal(values(g._saved_other), np.exp(X))
    np.testing.assert_array_equal(values((x / z).grad_fn._saved_self), X)


def test_pow_overloads():
    x = leaf()
    g = (x ** 3).grad_fn
    assert g.name() == "PowBackward0" and g._saved_exponent == 3
    np.testing.assert_array_equal(values(g._saved_self), X)
    a = x.abs()
    g = (a ** x).grad_fn
    assert g.name() == "PowBackward1"
    np.testing.assert_array_equal(values(g._saved_exponent), X)
    np.testing.assert_allclose(values(g._saved_result), np.abs(X) ** np.array(X))
    g = (2 ** x).grad_fn
    assert g.name() == "PowBackward2" and g._saved_self == 2
    np.testing.assert_allclose(values(g._saved_result), 2.0 ** np.array(X))
    for y in (x ** 2, x.square(), nt.pow(x, 2)):
        assert y.grad_fn.name() == "PowBackward0" and y.grad_fn._saved_exponent == 2
        np.testing.assert_array_equal(values(y), np.square(X))
    y = x ** 2
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.array(X))


@pytest.mark.parametrize("op, ref", [("exp", np.exp), ("tanh", np.tanh), ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
                                     ("relu", lambda v: np.maximum(v, 0))])
def test_result_saving_unary(op, ref):
    x = leaf()
    y = getattr(x, op)()
    np.testing.assert_allclose(values(y.grad_fn._saved_result), ref(np.array(X)), rtol=1e-15)
    with pytest.raises(AttributeError, match="_saved_self"):
        _ = y.grad_fn._saved_self


def test_self_saving_unary_and_alpha():
    x = leaf()
    np.testing.assert_array_equal(values(x.sin().grad_fn._saved_self), X)
    assert nt.sub(x, x, alpha=2).grad_fn._saved_alpha == 2
    assert (x + x).grad_fn._saved_alpha == 1


def test_reductions():
    m = nt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    g = m.sum().grad_fn
    assert g.name() == "SumBackward0" and g._saved_self_sym_sizes == (2, 3)
    g = m.sum(1).grad_fn
    assert (g._saved_dim, g._saved_keepdim, g._saved_self_sym_sizes) == ((1,), False, (2, 3))
    g = m.mean().grad_fn
    assert (g._saved_self_sym_numel, g._saved_self_sym_sizes) == (6, (2, 3))
    g = m.mean(-1, keepdim=True).grad_fn
    assert (g._saved_dim, g._saved_keepdim, g._saved_self_sym_numel) == ((1,), True, 6)


def test_products():
    x = leaf()
    m = nt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    g = (x @ x).grad_fn
    assert g.name() == "DotBackward0"
    np.testing.assert_array_equal(values(g._saved_self), X)
    np.testing.assert_array_equal(values(g._saved_tensor), X)
    g = (m @ m.t()).grad_fn
    assert g.name() == "MmBackward0"
    assert g._saved_self_sym_sizes == (2, 3) and g._saved_self_sym_strides == (3, 1)
    assert g._saved_mat2_sym_sizes == (3, 2) and g._saved_mat2_sym_strides == (1, 3)
    np.testing.assert_array_equal(values(g._saved_mat2), np.arange(6.0).reshape(2, 3).T)
    g = (m @ x).grad_fn
    assert g.name() == "MvBackward0"
    np.testing.assert_array_equal(values(g._saved_vec), X)


def test_linear_is_torch_addmm():
    """F.linear(input, weight, bias) is torch's addmm(bias, input, weight.t()): mat2 is the transposed weight."""
    inp = nt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    w = nt.tensor(np.arange(6.0).reshape(2, 3) / 7, requires_grad=True)
    b = nt.tensor([0.5, 1.5], dtype=nt.float64, requires_grad=True)
    g = nt.nn.functional.linear(inp, w, b).grad_fn
    assert g.name() == "AddmmBackward0" and g._saved_alpha == 1 and g._saved_beta == 1
    np.testing.assert_array_equal(values(g._saved_mat1), np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(values(g._saved_mat2), (np.arange(6.0).reshape(2, 3) / 7).T)
    assert g._saved_mat2_sym_sizes == (3, 2) and g._saved_mat2_sym_strides == (1, 3)
    assert g._saved_mat1_sym_sizes == (2, 3) and g._saved_mat1_sym_strides == (3, 1)


@pytest.mark.parametrize("op, dim", [("softmax", 1), ("log_softmax", 0)])
def test_softmax(op, dim):
    m = nt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = getattr(m, op)(dim)
    assert y.grad_fn._saved_dim == dim
    np.testing.assert_array_equal(values(y.grad_fn._saved_result), values(y))


def test_freed_after_backward_sizes_stay():
    x = leaf()
    e = x.exp()
    g = e.grad_fn
    e.sum().backward(retain_graph=True)
    np.testing.assert_allclose(values(g._saved_result), np.exp(X))  # retained
    e.sum().backward()
    with pytest.raises(RuntimeError, match=re.escape(FREED)):
        _ = g._saved_result
    s = x.view(3, 1).sum(1)
    s.sum().backward()
    assert s.grad_fn._saved_dim == (1,) and s.grad_fn._saved_self_sym_sizes == (3, 1)
    m = x.view(1, 3) @ x.view(3, 1)
    m.sum().backward()
    with pytest.raises(RuntimeError, match=re.escape(FREED)):
        _ = m.grad_fn._saved_self


def test_unknown_attributes():
    g = leaf().exp().grad_fn
    with pytest.raises(AttributeError, match="'ExpBackward0' object has no attribute '_saved_other'"):
        _ = g._saved_other
    with pytest.raises(AttributeError, match="'ExpBackward0' object has no attribute 'foo'"):
        _ = g.foo
    assert not hasattr(g, "_saved_self")


def test_reversed_operator_nodes_and_gradients():
    x = leaf()
    y = 2 - x
    assert y.grad_fn.name() == "RsubBackward1" and type(y.grad_fn).__name__ == "RsubBackward1"
    assert y.grad_fn._saved_alpha == 1
    np.testing.assert_array_equal(values(y), 2 - np.array(X))
    assert nt.rsub(x, leaf()).grad_fn.name() == "RsubBackward0"
    assert nt.rsub(x, 2).grad_fn.name() == "RsubBackward1"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [-1.0, -1.0, -1.0])
    x.grad = None
    q = 2 / x  # torch: reciprocal(x) * 2
    assert q.grad_fn.name() == "MulBackward0"
    assert q.grad_fn.next_functions[0][0].name() == "ReciprocalBackward0"
    np.testing.assert_array_equal(values(q), (1 / np.array(X)) * 2)
    q.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), -2 / np.square(X), rtol=1e-15)
    assert (2 / nt.tensor([1, 2])).dtype is nt.float32  # an integer tensor: reciprocal gives the default float
    np.testing.assert_array_equal((2 / nt.tensor([1, 2])).numpy(), [2.0, 1.0])


def test_addmm_is_one_node():
    """torch's AddmmBackward0: edges to input, mat1, mat2; input's gradient beta * g summed to its shape, the factors'
    alpha * (g @ mat2^H, mat1^H @ g); complex scalars conjugated (checked against finite differences)."""
    rng = np.random.default_rng(0)
    inp, a, b, g = rng.standard_normal(3), rng.standard_normal((2, 4)), rng.standard_normal((4, 3)), \
        rng.standard_normal((2, 3))
    ti, ta, tb = (nt.tensor(v, requires_grad=True) for v in (inp, a, b))
    y = nt.addmm(ti, ta, tb, beta=0.5, alpha=2.0)
    node = y.grad_fn
    assert node.name() == "AddmmBackward0" and len(node.next_functions) == 3
    assert node._saved_alpha == 2.0 and node._saved_beta == 0.5 and node._saved_mat1_sym_sizes == (2, 4)
    np.testing.assert_allclose(values(y), 0.5 * inp + 2.0 * a @ b, rtol=1e-14)
    y.backward(nt.tensor(g))
    np.testing.assert_allclose(ti.grad.numpy(), 0.5 * g.sum(0), rtol=1e-14)
    np.testing.assert_allclose(ta.grad.numpy(), 2.0 * g @ b.T, rtol=1e-14)
    np.testing.assert_allclose(tb.grad.numpy(), 2.0 * a.T @ g, rtol=1e-14)
    z = tuple(nt.tensor(v.astype(np.complex128) * (1 + 0.5j), requires_grad=True) for v in (inp, a, b))
    assert nt.autograd.gradcheck(lambda i, m1, m2: nt.addmm(i, m1, m2, beta=0.3 + 1j, alpha=-1.5j), z)
    zi, za, zb = (v.detach().numpy() for v in z)  # (complex beta / alpha were truncated to int before)
    np.testing.assert_allclose(values(nt.addmm(*z, beta=0.3, alpha=2.5)), 0.3 * zi + 2.5 * za @ zb, rtol=1e-14)
