"""Complex autograd beyond the elementwise ops: in-place ops on `.real` / `.imag` / `view_as_real` views of a tensor
in a graph (torch records them: the base gets a CopySlices node whose region counts real parts), and complex
gradcheck. Gradients against float64 central differences of the same steps done on NumPy arrays (NumPy's `.real` /
`.imag` are writable views too), in torch's convention grad = dL/d(real part) + i dL/d(imaginary part)."""

import re

import numpy as np
import pytest

import ntorch
from ntorch.autograd.gradcheck import GradcheckError

RNG = np.random.default_rng(5)
Z0 = RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))
W = RNG.uniform(0.5, 1.5, (2, 3))


def fd_grad(loss, z, eps=1e-6):
    g = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        for unit in (1, 1j):
            plus, minus = z.copy(), z.copy()
            plus[idx] += eps * unit
            minus[idx] -= eps * unit
            g[idx] += (loss(plus) - loss(minus)) / (2 * eps) * unit
    return g


def _vr(x):
    """view_as_real in either library (NumPy: the (..., 2) float view of the same memory)."""
    if isinstance(x, np.ndarray):
        return x.view(np.float64).reshape(*x.shape, 2)
    return ntorch.view_as_real(x)


# each step takes x (a clone of z in the graph, or a NumPy copy) and changes it in place through a real view
STEPS = {
    "real_mul": lambda x: x.real.__imul__(2),
    "imag_mul": lambda x: x.imag.__imul__(3),
    "imag_add_real": lambda x: x.imag.__iadd__(x.real),  # reads the other part of the same base
    "real_row": lambda x: x.real[0].__imul__(2),
    "imag_col_square": lambda x: x[:, 1].imag.__imul__(x[:, 1].imag * 1),
    "view_as_real_scale": lambda x: _vr(x).__imul__(np.array([2.0, 3.0]) if isinstance(x, np.ndarray)
                                                     else ntorch.tensor([2.0, 3.0], dtype=ntorch.float64)),
    "view_as_real_imag": lambda x: _vr(x)[..., 1].__imul__(5),
    "real_then_imag": lambda x: (x.real.__imul__(2), x.imag.__isub__(1)),
    "real_setitem": lambda x: x.real.__setitem__(0, 7.0),
    "imag_then_whole": lambda x: (x.imag.__imul__(2), x.__imul__(1j)),
}


def _run_torch_like(step, z):
    x = z.clone()
    step(x)
    return x


@pytest.mark.parametrize("name", list(STEPS))
def test_inplace_on_real_views_in_a_graph(name):
    step = STEPS[name]

    def np_loss(z):
        x = z.copy()
        step(x)
        return float((np.abs(x) ** 2 * W).sum() + (x * (1 - 2j)).real.sum())

    x_np = Z0.copy()
    step(x_np)
    z = ntorch.tensor(Z0, requires_grad=True)
    x = _run_torch_like(step, z)
    assert x.grad_fn.name() == ("MulBackward0" if name == "imag_then_whole" else "CopySlices")  # as torch's
    np.testing.assert_allclose(x.detach().numpy(), x_np, rtol=1e-12)
    ((x.abs() ** 2 * ntorch.tensor(W)).sum() + (x * (1 - 2j)).real.sum()).backward()
    np.testing.assert_allclose(z.grad.numpy(), fd_grad(np_loss, Z0), rtol=1e-6, atol=1e-6)


def test_view_gradient_after_the_inplace_op():
    """The view itself, rebased on its base, passes its gradient into its region (real parts) of the base."""
    z = ntorch.tensor(Z0, requires_grad=True)
    x = z.clone()
    r = x.imag
    r.mul_(2)
    (r * ntorch.tensor(W)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2j * W, rtol=1e-12)


def test_inplace_on_real_view_second_derivative():
    """CopySlices' backward is made of recorded ops: a gradient of a gradient through x.real.mul_ (torch 2.13's
    values: tensor([-105.1894+418.7914j, 956.9613+129.2055j]))."""
    z = ntorch.tensor([1 + 2j, 3 - 1j], dtype=ntorch.complex128, requires_grad=True)
    x = z * z
    x.real.mul_(3)
    (g,) = ntorch.autograd.grad((x.abs() ** 2).sum(), z, create_graph=True)
    g.abs().sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [-105.1894 + 418.7914j, 956.9613 + 129.2055j], atol=2e-4)


def test_inplace_on_real_view_of_a_leaf_is_refused():
    z = ntorch.tensor(Z0, requires_grad=True)
    for view in (lambda: z.real, lambda: z.imag, lambda: ntorch.view_as_real(z)):
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                               "in-place operation."):
            view().mul_(2)
    with ntorch.no_grad():  # outside autograd it writes through
        z.imag.mul_(0)
    assert not z.detach().numpy().imag.any()


def test_saved_part_modified_in_place_is_detected():
    """A view saved for backward and then changed through another view of the same storage: torch's version error."""
    z = ntorch.tensor([1 + 2j, 3 - 1j], dtype=ntorch.complex128, requires_grad=True)
    x = z * 1
    y = x.imag * x.imag  # saves x.imag
    x.imag.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# -- gradcheck with complex inputs and outputs (torch's slow mode) --------------------------------------------------

ZC = ntorch.tensor([1 + 2j, 3 - 1j, -0.5 + 0.25j], dtype=ntorch.complex128)
XR = ntorch.tensor([0.5, -1.5, 2.0], dtype=ntorch.float64)


@pytest.mark.parametrize("name, func, args", [
    ("holomorphic", lambda t: t * t.exp(), (ZC,)),
    ("real_loss", lambda t: (t.abs() ** 2).sum(), (ZC,)),
    ("mixed_inputs", lambda t, u: t * u + t.conj(), (ZC, XR)),
    ("real_to_complex", lambda u: ntorch.polar(u.abs() + 1, u), (XR,)),
    ("tuple_outputs", lambda t: (t.sin(), t.real * 2, t.angle()), (ZC,)),
    ("conv1d", lambda t, w: ntorch.nn.functional.conv1d(t.reshape(1, 1, 3), w.reshape(1, 1, 2)),
     (ZC, ZC[:2] * 0.5j)),
])
def test_gradcheck_complex_passes(name, func, args):
    inputs = tuple(a.clone().requires_grad_() for a in args)
    assert ntorch.autograd.gradcheck(func, inputs)
    assert ntorch.autograd.gradgradcheck(func, inputs) if name != "real_loss" else True


class _NoConj(ntorch.autograd.Function):
    """z * z with the holomorphic derivative not conjugated: wrong in torch's convention."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return t * t

    @staticmethod
    def backward(ctx, g):
        (t,) = ctx.saved_tensors
        return g * 2 * t


class _ZeroGrad(ntorch.autograd.Function):
    @staticmethod
    def forward(ctx, t):
        return t.abs() ** 2

    @staticmethod
    def backward(ctx, g):
        return g * 0


def test_gradcheck_complex_catches_wrong_derivatives():
    """torch 2.13's messages: a complex output is checked imaginary part first."""
    z = ZC.clone().requires_grad_()
    with pytest.raises(GradcheckError,
                       match="^While considering the imaginary part of complex outputs only, Jacobian mismatch for "
                             "output 0 with respect to input 0,\nnumerical:"):
        ntorch.autograd.gradcheck(_NoConj.apply, (z,))
    assert ntorch.autograd.gradcheck(_NoConj.apply, (z,), raise_exception=False) is False
    with pytest.raises(GradcheckError,
                       match="^Jacobian mismatch for output 0 with respect to input 0,\n"):
        ntorch.autograd.gradcheck(_ZeroGrad.apply, (z,))


def test_gradcheck_complex64_warns_as_torch():
    z = ZC.to(ntorch.complex64).requires_grad_()
    with pytest.warns(UserWarning, match=r"^Input #0 requires gradient and is not a double precision floating point "
                                         r"or complex\. This check will likely fail"):
        ntorch.autograd.gradcheck(lambda t: t * 2, (z,), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_init_fills_both_parts_of_a_complex_tensor():
    """nn.init.uniform_/normal_ (and so kaiming/xavier, the conv and linear modules' init) draw each part as torch's:
    uniform_(a, b) each part U(a, b); normal_(mean, std) each part N(mean, std**2 / 2)."""
    ntorch.manual_seed(0)
    z = ntorch.nn.init.uniform_(ntorch.empty(100_000, dtype=ntorch.complex64), -2.0, 1.0).numpy()
    for part in (z.real, z.imag):
        assert -2.0 <= part.min() < -1.99 and 0.99 < part.max() <= 1.0 and abs(part.mean() + 0.5) < 0.02
    z = ntorch.nn.init.normal_(ntorch.empty(100_000, dtype=ntorch.complex128), 1.0, 2.0).numpy()
    for part in (z.real, z.imag):
        assert abs(part.mean() - 1.0) < 0.02 and abs(part.std() - 2 ** 0.5) < 0.02


def test_inplace_through_view_as_complex_of_a_real_tensor():
    """The other way round: a complex view of a real non-leaf changed in place (whole, a slice, its real part)."""
    x0 = RNG.standard_normal((3, 2))

    def steps(r, c, lib):
        c *= 1 + 2j
        c[1:] *= lib.asarray([2 - 1j, 0.5j]) if lib is np else ntorch.tensor([2 - 1j, 0.5j])
        c.real *= 3

    def np_loss(x):
        r = x.copy()
        steps(r, r.view(np.complex128).reshape(3), np)
        return float((r ** 3).sum())

    x = ntorch.tensor(x0, requires_grad=True)
    r = x.clone()
    steps(r, ntorch.view_as_complex(r), ntorch)
    assert r.grad_fn.name() == "CopySlices"
    (r ** 3).sum().backward()
    want = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        plus, minus = x0.copy(), x0.copy()
        plus[idx] += 1e-6
        minus[idx] -= 1e-6
        want[idx] = (np_loss(plus) - np_loss(minus)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6, atol=1e-6)


def test_assigning_a_part_records_the_value_too():
    """x.imag = f(w) on a clone in the graph: the gradient reaches both z (outside the written part) and w
    (torch 2.13: z.grad [2+0j, 0j], w.grad [9, -72])."""
    z = ntorch.tensor([1 + 2j, 3 - 1j], dtype=ntorch.complex128, requires_grad=True)
    w = ntorch.tensor([0.5, -2.0], dtype=ntorch.float64, requires_grad=True)
    x = z.clone()
    x.imag = w * 3
    x.real[1] = 7.0
    np.testing.assert_array_equal(x.detach().numpy(), [1 + 1.5j, 7 - 6j])
    (x.abs() ** 2 * ntorch.tensor([1.0, 2.0], dtype=ntorch.float64)).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [2, 0], atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), [9, -72], rtol=1e-12)


def test_conjugate_transposes_conjugate_complex_tensors_as_torch():
    z = np.array([[1 + 2j, 3j], [1, 2 - 1j]])
    t = ntorch.tensor(z)
    for got in (t.mH, t.H, t.adjoint(), ntorch.adjoint(t)):
        np.testing.assert_array_equal(got.numpy(), z.conj().T)
    b = ntorch.tensor(np.stack([z, 2 * z]))
    np.testing.assert_array_equal(b.mH.numpy(), np.stack([z, 2 * z]).conj().transpose(0, 2, 1))
    r = ntorch.ones(2, 3)
    assert tuple(r.mH.shape) == (3, 2) and tuple(r.H.shape) == (3, 2) and r.mH._base is r  # real: a view


@pytest.mark.parametrize("attr, shape, message", [
    ("H", (3,), "tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor."),
    ("H", (2, 2, 2), "tensor.H is only supported on matrices (2-D tensors). Got 3-D tensor. For batches of "
                     "matrices, consider using tensor.mH"),
    ("mH", (3,), "tensor.mH is only supported on matrices or batches of matrices. Got 1-D tensor."),
])
def test_conjugate_transpose_errors_are_torchs(attr, shape, message):
    with pytest.raises(RuntimeError, match="^" + re.escape(message) + "$"):
        getattr(ntorch.ones(*shape), attr)


@pytest.mark.parametrize("attr", ["H", "mH"])
def test_conjugate_transpose_of_a_0d_tensor_warns_and_conjugates(attr):
    with pytest.warns(UserWarning, match=f"Tensor.{attr} is deprecated on 0-D tensors"):
        assert getattr(ntorch.tensor(1 + 2j), attr).item() == 1 - 2j
