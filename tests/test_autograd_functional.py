"""gradcheck, gradgradcheck and autograd.functional, through custom Functions whose backward formulas are
themselves custom Functions (so create_graph works before the op library records graphs)."""

import numpy as np
import pytest

import ntorch
from ntorch.autograd import Function
from ntorch.autograd import functional as AF
from ntorch.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck


class MulF(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return MulF.apply(g, b), MulF.apply(g, a)


class ScaleF(Function):
    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c
        return x * c

    @staticmethod
    def backward(ctx, g):
        return ScaleF.apply(g, ctx.c), None


class PowF(Function):
    @staticmethod
    def forward(ctx, x, n):
        ctx.save_for_backward(x)
        ctx.n = n
        return x ** n

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        if ctx.n == 0:
            return ScaleF.apply(g, 0.0), None
        return MulF.apply(g, ScaleF.apply(PowF.apply(x, ctx.n - 1), float(ctx.n))), None


class SumF(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.shape = tuple(x.shape)
        return x.sum()

    @staticmethod
    def backward(ctx, g):
        return ExpandF.apply(g, ctx.shape)


class ExpandF(Function):
    @staticmethod
    def forward(ctx, g, shape):
        return g.expand(*shape) * 1.0

    @staticmethod
    def backward(ctx, gg):
        return SumF.apply(gg), None


def x64(values, requires_grad=True):
    return ntorch.tensor(values, dtype=ntorch.float64, requires_grad=requires_grad)


def test_gradcheck_passes_and_catches_a_wrong_formula():
    a, b = x64([0.5, -1.5, 2.0]), x64([1.0, 3.0, -2.0])
    assert gradcheck(MulF.apply, (a, b))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

        @staticmethod
        def backward(ctx, g):
            return g  # should be 2 x g

    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(Wrong.apply, (a,))
    assert gradcheck(Wrong.apply, (a,), raise_exception=False) is False


def test_gradgradcheck_through_create_graph():
    a, b = x64([0.5, -1.5]), x64([1.0, 3.0])
    assert gradgradcheck(MulF.apply, (a, b))
    x = x64([0.3, -0.7])
    assert gradgradcheck(lambda t: PowF.apply(t, 3), (x,))


def test_create_graph_gives_second_derivatives():
    x = x64([0.5, -2.0, 3.0])
    y = SumF.apply(PowF.apply(x, 3))
    (g,) = ntorch.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    assert g.requires_grad
    (gg,) = ntorch.autograd.grad(SumF.apply(g), x)
    np.testing.assert_allclose(gg.numpy(), 6 * x.detach().numpy())


def test_jacobian_hessian_vjp_jvp_hvp():
    xv = np.array([0.5, -2.0, 3.0])
    x = x64(xv, requires_grad=False)
    np.testing.assert_allclose(AF.jacobian(lambda t: PowF.apply(t, 2), x).numpy(), np.diag(2 * xv))
    a, b = x64([1.0, 2.0], False), x64([3.0, 4.0], False)
    ja, jb = AF.jacobian(MulF.apply, (a, b))
    np.testing.assert_allclose(ja.numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_allclose(jb.numpy(), np.diag([1.0, 2.0]))
    cube_sum = lambda t: SumF.apply(PowF.apply(t, 3))  # noqa: E731
    np.testing.assert_allclose(AF.hessian(cube_sum, x).numpy(), np.diag(6 * xv))
    v = x64([1.0, 10.0, 100.0], False)
    out, vj = AF.vjp(lambda t: PowF.apply(t, 2), x, v)
    np.testing.assert_allclose(out.numpy(), xv**2)
    np.testing.assert_allclose(vj.numpy(), 2 * xv * v.numpy())
    _, jv = AF.jvp(lambda t: PowF.apply(t, 2), x, v)
    np.testing.assert_allclose(jv.numpy(), 2 * xv * v.numpy())
    _, hv = AF.hvp(cube_sum, x, v)
    np.testing.assert_allclose(hv.numpy(), 6 * xv * v.numpy())
    assert not x.requires_grad and x.grad is None  # the caller's tensors are untouched
