"""gradcheck / gradgradcheck of functions of CUDA tensors: the finite differences perturb the inputs on the device
and read the outputs back, the analytical Jacobian comes from the CUDA backward. A correct backward passes
(real and complex inputs, non-contiguous ones, complex outputs) and a wrong one is caught, as on the CPU. Tiny
shapes: the simulator runs every GPU thread in Python."""

import numpy as np
import pytest

import ntorch as nt
from ntorch.autograd import Function
from ntorch.autograd.gradcheck import GradcheckError

_RNG = np.random.default_rng(31)


def cuda(a: np.ndarray) -> nt.Tensor:
    return nt.from_numpy(a).cuda().requires_grad_()


class _WrongSquare(Function):
    """x ** 2 with the backward of x ** 3: gradcheck must reject it."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


def test_real_inputs_pass_and_stay_on_the_device():
    x = cuda(_RNG.standard_normal((2, 3)))
    y = cuda(_RNG.standard_normal(3))
    seen = []

    def f(a, b):
        seen.append((a.device.type, b.device.type))
        return (a * b).sin() + a.exp().sum(0)

    assert nt.autograd.gradcheck(f, (x, y))
    assert set(seen) == {("cuda", "cuda")}
    assert x.device.type == "cuda" and x.grad is None


def test_values_are_restored_after_the_differences():
    a = _RNG.standard_normal((3, 2))
    x = cuda(a)
    nt.autograd.gradcheck(lambda t: t.tanh(), (x,))
    np.testing.assert_array_equal(x.detach().cpu().numpy(), a)


def test_non_contiguous_and_complex_inputs_and_outputs():
    base = cuda(_RNG.standard_normal((3, 4)))
    xt = base.detach().t().requires_grad_()  # a transposed leaf, perturbed in logical order
    assert not xt.is_contiguous()
    assert nt.autograd.gradcheck(lambda t: (t * t).cumsum(0), (xt,))
    z = cuda(_RNG.standard_normal(3) + 1j * _RNG.standard_normal(3))
    assert nt.autograd.gradcheck(lambda t: (t * t.conj() + t.exp()).sum(), (z,))
    assert nt.autograd.gradcheck(lambda t: t * (2 + 1j), (cuda(_RNG.standard_normal(3)),))


def test_a_wrong_backward_is_caught():
    x = cuda(_RNG.standard_normal(4))
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        nt.autograd.gradcheck(_WrongSquare.apply, (x,))
    assert not nt.autograd.gradcheck(_WrongSquare.apply, (x,), raise_exception=False)


def test_gradgradcheck():
    x = cuda(_RNG.standard_normal(3))
    assert nt.autograd.gradgradcheck(lambda t: (t * t * t).sum(), (x,))
