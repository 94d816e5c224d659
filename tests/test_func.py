"""ntorch.func (torch.func's transforms) against closed-form derivatives computed with NumPy in float64."""

import numpy as np
import pytest

import ntorch
from ntorch import func

RNG = np.random.default_rng(0)
X0 = RNG.standard_normal(4)
W0 = RNG.standard_normal((4, 3))
B0 = RNG.standard_normal((5, 4))


def t(a):
    return ntorch.tensor(a, dtype=ntorch.float64)


def close(got, want):
    np.testing.assert_allclose(got.detach().numpy(), want, rtol=1e-10, atol=1e-12)


def f_scalar(x):
    return (x.sin() * x).sum()  # d/dx = cos(x) x + sin(x); d2/dx2 = 2 cos(x) - x sin(x) (diagonal)


def test_grad_and_nested_grad():
    close(func.grad(f_scalar)(t(X0)), np.cos(X0) * X0 + np.sin(X0))
    second = func.grad(lambda x: func.grad(f_scalar)(x).sum())(t(X0))
    close(second, 2 * np.cos(X0) - X0 * np.sin(X0))
    assert not func.grad(f_scalar)(t(X0)).requires_grad


def test_grad_argnums_has_aux_and_pytrees():
    def f(x, w):
        y = x.sin() @ w
        return (y * y).sum(), y

    (gx, gw), aux = func.grad(f, argnums=(0, 1), has_aux=True)(t(X0), t(W0))
    y = np.sin(X0) @ W0
    close(gx, np.cos(X0) * (W0 @ (2 * y)))
    close(gw, np.outer(np.sin(X0), 2 * y))
    close(aux, y)
    g = func.grad(lambda p: (p["a"] * p["b"]).sum())({"a": t(X0), "b": t(2 * X0)})
    close(g["a"], 2 * X0)
    close(g["b"], X0)
    value = func.grad_and_value(f_scalar)(t(X0))[1]
    close(value, np.sum(np.sin(X0) * X0))


def test_jacobians_and_hessian():
    def h(x, w):
        return x.sin() @ w

    jx, jw = func.jacrev(h, argnums=(0, 1))(t(X0), t(W0))
    close(jx, (np.cos(X0)[:, None] * W0).T)  # d y_j / d x_i = cos(x_i) w_ij
    want_w = np.zeros((3, 4, 3))
    for j in range(3):
        want_w[j, :, j] = np.sin(X0)
    close(jw, want_w)
    close(func.jacfwd(h)(t(X0), t(W0)), (np.cos(X0)[:, None] * W0).T)
    close(func.hessian(f_scalar)(t(X0)), np.diag(2 * np.cos(X0) - X0 * np.sin(X0)))


def test_vjp_jvp_linearize():
    out, vjp_fn = func.vjp(lambda x: x.sin() @ t(W0), t(X0))
    close(out, np.sin(X0) @ W0)
    v = RNG.standard_normal(3)
    (g,) = vjp_fn(t(v))
    close(g, np.cos(X0) * (W0 @ v))
    tangent = RNG.standard_normal(4)
    out, jv = func.jvp(lambda x: x.sin() @ t(W0), (t(X0),), (t(tangent),))
    close(jv, (np.cos(X0) * tangent) @ W0)
    out, jvp_fn = func.linearize(lambda x: x.exp(), t(X0))
    close(jvp_fn(t(tangent)), np.exp(X0) * tangent)
    with pytest.raises(RuntimeError, match="Expected primals and tangents to be tuples"):
        func.jvp(lambda x: x, t(X0), t(X0))


def test_vmap_matches_a_loop():
    close(func.vmap(lambda v: (v * v).sum())(t(B0)), (B0 * B0).sum(1))
    close(func.vmap(lambda v, w: v @ w, in_dims=(1, None))(t(B0.T.copy()), t(W0)), B0 @ W0)
    close(func.vmap(lambda v: v * 2, out_dims=1)(t(B0)), (2 * B0).T)
    per_row = func.vmap(func.grad(f_scalar))(t(B0))
    close(per_row, np.cos(B0) * B0 + np.sin(B0))
    jac = func.vmap(func.jacrev(lambda v: v.sin()))(t(B0))
    close(jac, np.stack([np.diag(np.cos(r)) for r in B0]))
    s, d = func.vmap(lambda v: (v.sum(), v * 3))(t(B0))
    close(s, B0.sum(1))
    close(d, 3 * B0)
    assert ntorch.vmap is func.vmap


def test_vmap_randomness_same_repeats_the_draw():
    ntorch.manual_seed(0)
    same = func.vmap(lambda v: v + ntorch.rand(()), randomness="same")(ntorch.zeros(3))
    assert float(same[0]) == float(same[1]) == float(same[2])


def test_errors_follow_torch():
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 dims"):
        func.grad(lambda x: x * 2)(t(X0))
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        func.grad(f_scalar, argnums=2)(t(X0))
    with pytest.raises(ValueError, match="Expected all tensors to have the same size in the mapped dimension, got "
                                         "sizes \\[3, 4\\]"):
        func.vmap(lambda a, b: a + b)(ntorch.ones(3), ntorch.ones(4))
    with pytest.raises(ValueError, match="must only return Tensors"):
        func.vmap(lambda a: 1.0)(ntorch.ones(3))


def test_stack_module_state():
    models = [ntorch.nn.Linear(3, 2) for _ in range(4)]
    params, buffers = func.stack_module_state(models)
    assert params["weight"].shape == (4, 2, 3) and params["bias"].shape == (4, 2) and buffers == {}
    close(params["weight"][2], models[2].weight.detach().numpy())


def test_functional_call_uses_the_given_tensors():
    lin = ntorch.nn.Linear(4, 3).double()
    w, b = t(RNG.standard_normal((3, 4))), t(RNG.standard_normal(3))
    out = func.functional_call(lin, {"weight": w, "bias": b}, (t(X0),))
    close(out, W0.T @ X0 * 0 + w.numpy() @ X0 + b.numpy())
    out2 = func.functional_call(lin, ({"weight": w}, {"bias": b}), t(X0))
    close(out2, w.numpy() @ X0 + b.numpy())
    assert not np.allclose(lin.weight.detach().numpy(), w.numpy())  # the module keeps its own parameters
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        func.functional_call(lin, ({"weight": w}, {"weight": w}), (t(X0),))
    g = func.grad(lambda params: func.functional_call(lin, params, (t(X0),)).sum())({"weight": w, "bias": b})
    close(g["weight"], np.tile(X0, (3, 1)))
    close(g["bias"], np.ones(3))
