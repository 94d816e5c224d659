"""Backward formulas of the recorded ops, checked with gradcheck (float64 central differences) on small,
broadcast and non-contiguous inputs, and with gradgradcheck where create_graph must work."""

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def inp(*shape, low=-2.0, high=2.0, transposed=False):
    """A float64 leaf requiring grad; transposed=True gives a non-contiguous leaf with the same shape."""
    if transposed:
        arr = RNG.uniform(low, high, shape)
        t = ntorch.from_numpy(np.ascontiguousarray(arr.T)).permute(*reversed(range(len(shape))))
    else:
        t = ntorch.from_numpy(RNG.uniform(low, high, shape))
    return t.requires_grad_()


def positive(*shape):
    return inp(*shape, low=0.5, high=2.0)


UNARY = {
    "neg": inp, "abs": inp, "sign": inp, "square": inp, "exp": inp, "exp2": inp, "expm1": inp, "log": positive,
    "log2": positive, "log10": positive, "log1p": positive, "sqrt": positive, "rsqrt": positive,
    "reciprocal": positive, "sin": inp, "cos": inp, "tan": lambda *s: inp(*s, low=-1, high=1),
    "asin": lambda *s: inp(*s, low=-0.9, high=0.9), "acos": lambda *s: inp(*s, low=-0.9, high=0.9), "atan": inp,
    "sinh": inp, "cosh": inp, "tanh": inp, "sigmoid": inp, "erf": inp, "erfc": inp, "relu": inp, "floor": inp,
    "ceil": inp, "trunc": inp, "frac": inp, "silu": inp,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    x = UNARY[name](3, 4)
    assert gradcheck(getattr(ntorch, name), (x,))


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "log", "sin", "sqrt"])
def test_unary_second_order(name):
    assert gradgradcheck(getattr(ntorch, name), (positive(5),))


BINARY = {
    "add": ntorch.add, "sub": ntorch.sub, "mul": ntorch.mul, "div": ntorch.div, "atan2": ntorch.atan2,
    "hypot": ntorch.hypot, "maximum": ntorch.maximum, "minimum": ntorch.minimum, "fmax": ntorch.fmax,
    "fmin": ntorch.fmin, "remainder": ntorch.remainder, "fmod": ntorch.fmod,
    "add_alpha": lambda a, b: ntorch.add(a, b, alpha=2.5), "sub_alpha": lambda a, b: ntorch.sub(a, b, alpha=-1.5),
    "pow": lambda a, b: ntorch.pow(a.abs() + 0.5, b),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_with_broadcasting(name):
    a, b = inp(3, 1, transposed=False), inp(4)
    if name in ("remainder", "fmod", "div"):
        b = positive(4)
    assert gradcheck(BINARY[name], (a, b))


def test_binary_with_scalars_and_non_contiguous():
    a = inp(3, 4, transposed=True)
    assert gradcheck(lambda t: t * 3.0 + 2.0 - t / 4.0, (a,))
    assert gradcheck(lambda t: 2.0 ** t + t ** 3 + 5.0 - t, (a,))
    assert gradcheck(lambda t: ntorch.clamp(t, -0.5, 0.7), (a,))
    lo, hi = inp(3, 4) - 1.0, inp(3, 4) + 1.0
    assert gradcheck(lambda t, l, h: ntorch.clamp(t, l, h), (a, lo.detach().requires_grad_(),
                                                             hi.detach().requires_grad_()))


def test_ternary_ops():
    x, y, z = inp(3, 4), inp(3, 4), positive(4)
    mask = ntorch.from_numpy(RNG.random((3, 4)) > 0.5)
    assert gradcheck(lambda a, b: ntorch.where(mask, a, b), (x, y))
    assert gradcheck(lambda a, b, w: ntorch.lerp(a, b, w), (x, y, z))
    assert gradcheck(lambda a, b, c: ntorch.addcmul(a, b, c, value=0.5), (x, y, z))
    assert gradcheck(lambda a, b, c: ntorch.addcdiv(a, b, c, value=-2.0), (x, y, z))
    assert gradcheck(lambda a: a.masked_fill(mask, 1.5), (x,))


def test_activation_functions():
    F = ntorch.nn.functional
    x = inp(5, 3)
    for fn in (F.gelu, lambda t: F.gelu(t, approximate="tanh"), F.silu, F.softplus,
               lambda t: F.softplus(t, beta=2.0, threshold=1.0), F.relu, F.leaky_relu, F.hardtanh, F.relu6):
        assert gradcheck(fn, (x,))


REDUCTIONS = {
    "sum": lambda t: t.sum(), "sum dim": lambda t: t.sum(1), "sum dims keepdim": lambda t: t.sum((0, 2), True),
    "mean": lambda t: t.mean(), "mean dim": lambda t: t.mean(-1, keepdim=True),
    "prod": lambda t: t.prod(), "prod dim": lambda t: t.prod(1),
    "amax": lambda t: t.amax(1), "max": lambda t: t.max(), "max dim": lambda t: t.max(1).values,
    "min dim keepdim": lambda t: t.min(0, keepdim=True).values, "amin dims": lambda t: t.amin((0, 1)),
    "var": lambda t: t.var(), "var dim": lambda t: t.var(1, correction=0), "std": lambda t: t.std(2),
    "var_mean": lambda t: ntorch.var_mean(t, 1)[0] + ntorch.var_mean(t, 1)[1] * 2,
    "std_mean": lambda t: sum(ntorch.std_mean(t, 0)),
    "logsumexp": lambda t: t.logsumexp(1), "norm": lambda t: t.norm(), "norm 1": lambda t: t.norm(1, dim=1),
    "norm 3": lambda t: t.norm(3, dim=0), "norm inf": lambda t: t.norm(float("inf"), dim=1),
    "nansum": lambda t: t.nansum(1),
}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions(name):
    assert gradcheck(REDUCTIONS[name], (inp(2, 3, 4, transposed=True),))


def test_casts_pass_gradients_through():
    x = inp(3, 4)
    y = x.float()
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y.sum(0, dtype=ntorch.float64) * 2).sum().backward()
    assert x.grad.dtype is ntorch.float64
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 4), 2.0))


def test_prod_with_zeros_and_max_with_ties():
    x = ntorch.tensor([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]], dtype=ntorch.float64, requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    x.grad = None
    x.prod(1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    y = ntorch.tensor([2.0, 5.0, 5.0, 1.0], dtype=ntorch.float64, requires_grad=True)
    y.max().backward()  # ties share the gradient
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.5, 0.5, 0.0])
    y.grad = None
    y.max(0).values.backward()  # max(dim) sends it to the returned index
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 1.0, 0.0, 0.0])


VIEWS = {
    "view": lambda t: t.reshape(6, 4).view(4, 6), "reshape": lambda t: t.reshape(-1), "t": lambda t: t.select(0, 1).t(),
    "transpose": lambda t: t.transpose(0, 2), "permute": lambda t: t.permute(2, 0, 1),
    "expand": lambda t: t.narrow(1, 0, 1).expand(2, 5, 4), "squeeze": lambda t: t.narrow(1, 2, 1).squeeze(1),
    "unsqueeze": lambda t: t.unsqueeze(1), "narrow": lambda t: t.narrow(2, 1, 2), "select": lambda t: t.select(1, 2),
    "unbind": lambda t: t.unbind(1)[1] * 2 + t.unbind(1)[2], "movedim": lambda t: t.movedim(0, -1),
    "flatten": lambda t: t.flatten(1), "contiguous": lambda t: t.transpose(0, 1).contiguous(),
    "clone": lambda t: t.clone(),
}


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_views_and_shape_ops(name):
    assert gradcheck(VIEWS[name], (inp(2, 3, 4, transposed=True),))


MATMUL = {
    "mm": ((3, 4), (4, 5), ntorch.mm), "bmm": ((2, 3, 4), (2, 4, 5), ntorch.bmm), "mv": ((3, 4), (4,), ntorch.mv),
    "dot": ((4,), (4,), ntorch.dot), "outer": ((3,), (4,), ntorch.outer),
    "matmul 1d@3d": ((4,), (2, 4, 5), ntorch.matmul), "matmul 3d@1d": ((2, 3, 4), (4,), ntorch.matmul),
    "matmul broadcast": ((2, 1, 3, 4), (3, 4, 2), ntorch.matmul), "matmul 1d@2d": ((4,), (4, 3), ntorch.matmul),
    "matmul 3d@2d": ((2, 3, 4), (4, 2), ntorch.matmul),
    "einsum": ((2, 3, 4), (4, 3), lambda a, b: ntorch.einsum("bij,jk->bik", a, b)),
    "einsum trace": ((3, 3), (3,), lambda a, b: ntorch.einsum("ii,i->", a, b)),
}


@pytest.mark.parametrize("name", sorted(MATMUL))
def test_matmul_family(name):
    sa, sb, fn = MATMUL[name]
    assert gradcheck(fn, (inp(*sa), inp(*sb)))


def test_addmm_family_and_second_order():
    assert gradcheck(lambda i, a, b: ntorch.addmm(i, a, b, beta=0.5, alpha=2.0), (inp(5), inp(3, 4), inp(4, 5)))
    assert gradcheck(lambda i, a, b: ntorch.baddbmm(i, a, b, alpha=-1.0), (inp(3, 5), inp(2, 3, 4), inp(2, 4, 5)))
    assert gradcheck(lambda i, a, b: ntorch.addmv(i, a, b, beta=2.0), (inp(3), inp(3, 4), inp(4)))
    assert gradgradcheck(lambda a, b: (a @ b).tanh(), (inp(2, 3), inp(3, 2)))


def test_gradients_accumulate_and_unbroadcast():
    a = ntorch.ones(3, 1, dtype=ntorch.float64, requires_grad=True)
    b = ntorch.ones(4, dtype=ntorch.float32, requires_grad=True)
    (a * b).sum().backward()
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((3, 1), 8.0))
    assert b.grad.dtype is ntorch.float32 and b.grad.shape == (4,)
    np.testing.assert_array_equal(b.grad.numpy(), np.full(4, 6.0))


def test_integer_and_bool_outputs_are_not_differentiable():
    x = inp(4)
    assert not (x > 0).requires_grad
    assert not x.argmax().requires_grad
    assert x.max(0).values.requires_grad and not x.max(0).indices.requires_grad
    assert (x * 2).grad_fn.name() == "MulBackward0"
    with ntorch.no_grad():
        assert not (x * 2).requires_grad


def test_out_argument_refuses_grad():
    x = inp(3)
    with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
        ntorch.add(x, x, out=ntorch.empty(3, dtype=ntorch.float64))


def test_inplace_ops_take_over_history():
    x = inp(3)
    y = x * 2
    y.exp_()
    assert y.grad_fn.name() == "ExpBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(2 * x.detach().numpy()))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        x.narrow(0, 0, 2).mul_(2)
    with ntorch.no_grad():
        x.add_(1)  # allowed without grad mode
    assert x.is_leaf and x.grad_fn is None


def test_inplace_on_a_view_rebases_the_base():
    x = inp(4)
    y = x * 1
    y.narrow(0, 1, 2).mul_(3)
    assert y.grad_fn.name() == "CopySlices"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 3.0, 3.0, 1.0])

    z = ntorch.zeros(4, dtype=ntorch.float64)  # a buffer that does not require grad, filled from x
    x.grad = None
    z.narrow(0, 0, 2).copy_(x.narrow(0, 2, 2) * 5)
    assert z.requires_grad and z.grad_fn.name() == "CopySlices"
    (z * ntorch.arange(4.0, dtype=ntorch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 5.0])


def test_fill_zero_and_masked_fill_inplace():
    x = inp(4)
    y = x * 3
    y.masked_fill_(ntorch.tensor([True, False, True, False]), 0.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 3.0, 0.0, 3.0])
    x.grad = None
    y = x * 3
    y.zero_()
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def test_saved_tensor_modified_in_place_raises_with_versions():
    x = inp(3)
    y = x * 2
    z = y * y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"modified by an inplace operation: \[torch.DoubleTensor \[3\]\], which "
                                           r"is output 0 of AddBackward0, is at version 1; expected version 0"):
        z.sum().backward()


def test_masked_fill_with_a_tensor_value_passes_its_gradient():
    x, v = inp(2, 3), ntorch.tensor(2.0, dtype=ntorch.float64, requires_grad=True)
    mask = ntorch.tensor([[True, False, True], [False, False, True]])
    assert gradcheck(lambda a, b: a.masked_fill(mask, b), (x, v))
    x.masked_fill(mask, v).sum().backward()
    assert v.grad.item() == 3.0


def test_inplace_on_a_leaf_that_is_a_view_of_plain_data_raises():
    leaf = ntorch.from_numpy(np.ones((3, 2))).t().requires_grad_()
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        leaf.mul_(2)


def test_clamp_with_crossed_tensor_bounds_sends_the_gradient_to_max():
    # where min > max PyTorch's clamp returns max, so max gets the gradient (clamp_backward_min_max)
    x = ntorch.tensor([0.0, 5.0, -5.0], dtype=ntorch.float64, requires_grad=True)
    lo = ntorch.tensor([1.0, 1.0, 1.0], dtype=ntorch.float64, requires_grad=True)
    hi = ntorch.tensor([-1.0, 2.0, 2.0], dtype=ntorch.float64, requires_grad=True)
    ntorch.clamp(x, lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(lo.grad.numpy(), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(hi.grad.numpy(), [1.0, 1.0, 0.0])


def test_a_view_made_before_an_inplace_change_of_its_base_follows_the_new_history():
    # PyTorch regenerates such a view's grad_fn (AsStridedBackward0) from the base's current history
    x = ntorch.ones(2, 3, dtype=ntorch.float64, requires_grad=True)
    y = x * 1
    v = y.select(0, 0)
    assert v.grad_fn.name() == "SelectBackward0"
    y.mul_(2)  # the base changes after v was taken
    assert v.grad_fn.name() == "AsStridedBackward0"  # read directly, too
    assert v.grad_fn.next_functions[0][0] is y.grad_fn
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    x.grad = None
    y = x * 1
    w = y.narrow(0, 1, 1)
    y.select(0, 0).fill_(5.0)  # an in-place change through another view of the same base
    assert w.grad_fn.name() == "AsStridedBackward0"
    assert w.grad_fn.next_functions[0][0].name() == "CopySlices"
    (w * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0, 0.0], [3.0, 3.0, 3.0]])


def test_clamp_gradients_at_the_bounds_and_nan_follow_torch():
    # torch: the input keeps the whole gradient at a bound (clamp_min/clamp_max/clamp backward), NaN gets none
    x = ntorch.tensor([0.0, 1.0, -1.0, 2.0, float("nan")], requires_grad=True)
    cases = [(lambda: x.clamp(min=0, max=1), [1, 1, 0, 0, 0]), (lambda: x.clamp(min=0), [1, 1, 0, 1, 0]),
             (lambda: x.clamp(max=1), [1, 1, 1, 0, 0]), (lambda: x.clamp_min(0), [1, 1, 0, 1, 0])]
    for f, want in cases:
        x.grad = None
        f().sum().backward()
        assert x.grad.tolist() == want
    # torch: clamp with number bounds is ClampBackward1, clamp_min / clamp_max by name their own nodes
    assert x.clamp(min=0).grad_fn.name() == "ClampBackward1" and x.clamp(0, 1).grad_fn.name() == "ClampBackward1"
    assert x.clamp_min(0).grad_fn.name() == "ClampMinBackward0"
    assert x.clamp_max(0).grad_fn.name() == "ClampMaxBackward0"
    m = ntorch.zeros(5, requires_grad=True)
    x.grad = None
    x.clamp(min=m).sum().backward()
    assert x.grad.tolist() == [1, 1, 0, 1, 0] and m.grad.tolist() == [0, 0, 1, 0, 0]
