"""Autograd through CUDA tensors against the same graphs on CPU tensors (the CPU backward formulas are tested
against NumPy and finite differences elsewhere, so they are the oracle here): gradients land on the leaf's
device with its dtype and shape, and agree with the CPU's.

Each case differentiates a weighted sum of the op's output (weights of the output's shape, so every output
element gets its own gradient). Shapes stay tiny: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F
from ntorch.ops.elementwise import DERIVATIVES, apply

F16, F32, F64 = nt.float16, nt.float32, nt.float64
FWD_TOL = {F16: 4e-3, F32: 2e-5, F64: 1e-12}
GRAD_TOL = {F16: 2e-2, F32: 1e-4, F64: 1e-10}


def rand(shape, dt, low=-2.0, high=2.0, seed=0) -> np.ndarray:
    return np.asarray(np.random.default_rng(seed).uniform(low, high, shape)).astype(dt.np)


def on_cuda(arr: np.ndarray) -> nt.Tensor:
    """A CUDA copy of arr (0-d ones made by a view on the device, so 0-d transfers don't mask these tests)."""
    if arr.ndim == 0:
        return nt.from_numpy(np.array(arr).reshape(1)).cuda().reshape(())
    return nt.from_numpy(np.array(arr)).cuda()


def assert_close(got: nt.Tensor, want: nt.Tensor, tol: float, msg: str) -> None:
    assert got is not None, f"{msg}: no gradient"
    assert got.is_cuda and got.device.type == "cuda", f"{msg}: on {got.device}"
    assert got.dtype is want.dtype, f"{msg}: dtype {got.dtype} != {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), f"{msg}: shape {tuple(got.shape)} != {tuple(want.shape)}"
    np.testing.assert_allclose(got.cpu().numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=tol,
                               atol=tol, equal_nan=True, err_msg=msg)


def compare_grads(fn, arrays, dt, msg="", tol=None, grad_of=None) -> None:
    """Run fn on CPU leaves and on CUDA leaves with the same values, backward a weighted sum of every output,
    and compare outputs and leaf gradients (grad_of: indices of the leaves that require grad; default all)."""
    grad_of = range(len(arrays)) if grad_of is None else grad_of
    results = []
    for device in ("cpu", "cuda"):
        leaves = [nt.from_numpy(np.array(a)) if device == "cpu" else on_cuda(a) for a in arrays]
        for i in grad_of:
            leaves[i].requires_grad_(True)
        out = fn(*leaves)
        outs = list(out) if isinstance(out, tuple | list) else [out]
        loss = None
        for j, o in enumerate(outs):
            if not o.requires_grad:  # integer outputs (argmax indices) carry no gradient
                continue
            w = rand(tuple(o.shape), o.dtype, 0.5, 1.5, seed=100 + j)
            term = (o * (nt.from_numpy(w) if device == "cpu" else on_cuda(w))).sum()
            loss = term if loss is None else loss + term
        loss.backward()
        results.append((outs, [leaves[i].grad for i in grad_of]))
    (cpu_outs, cpu_grads), (dev_outs, dev_grads) = results
    for o_dev, o_cpu in zip(dev_outs, cpu_outs):
        assert_close(o_dev.detach(), o_cpu.detach(), FWD_TOL[o_cpu.dtype] if o_cpu.is_floating_point() else 0,
                     f"{msg} forward")
    for i, (g_dev, g_cpu) in enumerate(zip(dev_grads, cpu_grads)):
        assert g_cpu is not None, f"{msg}: the CPU gives no gradient for leaf {i}"
        assert_close(g_dev, g_cpu, GRAD_TOL[dt] if tol is None else tol, f"{msg} grad {i}")


# -- elementwise: every op that has a derivative ------------------------------------------------------------

POS = (0.2, 2.0)
UNIT = (-0.9, 0.9)
# name -> (function, number of operands, value range)
ELEMENTWISE = {
    "neg": (nt.neg, 1, None), "abs": (nt.abs, 1, None), "sign": (nt.sign, 1, None),
    "square": (nt.square, 1, None), "exp": (nt.exp, 1, None), "exp2": (nt.exp2, 1, None),
    "expm1": (nt.expm1, 1, None), "log": (nt.log, 1, POS), "log2": (nt.log2, 1, POS), "log10": (nt.log10, 1, POS),
    "log1p": (nt.log1p, 1, POS), "sqrt": (nt.sqrt, 1, POS), "rsqrt": (nt.rsqrt, 1, POS),
    "reciprocal": (nt.reciprocal, 1, POS), "sin": (nt.sin, 1, None), "cos": (nt.cos, 1, None),
    "tan": (nt.tan, 1, UNIT), "asin": (nt.asin, 1, UNIT), "acos": (nt.acos, 1, UNIT), "atan": (nt.atan, 1, None),
    "sinh": (nt.sinh, 1, None), "cosh": (nt.cosh, 1, None), "tanh": (nt.tanh, 1, None),
    "sigmoid": (nt.sigmoid, 1, None), "erf": (nt.erf, 1, None), "erfc": (nt.erfc, 1, None),
    "gelu": (F.gelu, 1, None), "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), 1, None),
    "silu": (F.silu, 1, None), "softplus": (lambda x: F.softplus(x, 2.0, 1.0), 1, None), "relu": (F.relu, 1, None),
    "threshold_backward": (lambda x: F.relu(x * 3), 1, None),  # relu's backward runs it
    "floor": (nt.floor, 1, None), "ceil": (nt.ceil, 1, None), "trunc": (nt.trunc, 1, None),
    "round": (nt.round, 1, None), "round_decimals": (lambda x: nt.round(x, decimals=1), 1, None),
    "frac": (nt.frac, 1, None), "nan_to_num": (lambda x: nt.nan_to_num(x / (x > 0.5)), 1, None),
    "add": (nt.add, 2, None), "add_alpha": (lambda x, y: nt.add(x, y, alpha=2.5), 2, None),
    "sub": (nt.sub, 2, None), "sub_alpha": (lambda x, y: nt.sub(x, y, alpha=-3), 2, None),
    "mul": (nt.mul, 2, None), "div": (nt.div, 2, POS),
    "div_floor": (lambda x, y: nt.div(x, y, rounding_mode="floor"), 2, POS),
    "div_trunc": (lambda x, y: nt.div(x, y, rounding_mode="trunc"), 2, POS),
    "remainder": (nt.remainder, 2, POS), "fmod": (nt.fmod, 2, POS), "pow": (nt.pow, 2, POS),
    "atan2": (nt.atan2, 2, None), "hypot": (nt.hypot, 2, None), "maximum": (nt.maximum, 2, None),
    "minimum": (nt.minimum, 2, None), "fmax": (nt.fmax, 2, None), "fmin": (nt.fmin, 2, None),
    "where": (lambda x, y: nt.where(x > y, x, y * 2), 2, None),
    "clamp": (lambda x, lo, hi: nt.clamp(x, lo, hi + 0.5), 3, None),
    "clamp_min": (lambda x, lo: nt.clamp(x, min=lo), 2, None),
    "clamp_max": (lambda x, hi: nt.clamp(x, max=hi), 2, None),
    "lerp": (nt.lerp, 3, None), "addcmul": (lambda x, y, z: nt.addcmul(x, y, z, value=-1.5), 3, None),
    "addcdiv": (lambda x, y, z: nt.addcdiv(x, y, z, value=0.5), 3, POS),
    "asinh": (nt.asinh, 1, None), "acosh": (nt.acosh, 1, (1.2, 3.0)), "atanh": (nt.atanh, 1, UNIT),
    "deg2rad": (nt.deg2rad, 1, None), "rad2deg": (nt.rad2deg, 1, None), "sinc": (nt.sinc, 1, None),
    "logit": (lambda x: nt.logit(x, eps=0.05), 1, (0.1, 0.9)), "lgamma": (nt.lgamma, 1, POS),
    "digamma": (nt.digamma, 1, POS), "erfinv": (nt.erfinv, 1, UNIT), "i0": (nt.i0, 1, None),
    "i1": (lambda x: apply("i1", x), 1, None),  # internal: i0's derivative
    "copysign": (nt.copysign, 2, None), "logaddexp": (nt.logaddexp, 2, None),
    "logaddexp2": (nt.logaddexp2, 2, None), "xlogy": (nt.xlogy, 2, POS), "nextafter": (nt.nextafter, 2, None),
    "ldexp": (nt.ldexp, 2, None),
    "i0e": (nt.special.i0e, 1, None), "i1e": (nt.special.i1e, 1, None),
    # differentiable in x only (the derivative in a raises, as torch): a is a constant here
    "gammainc": (lambda x: nt.special.gammainc(nt.ones_like(x) * 1.5, x), 1, POS),
    "gammaincc": (lambda x: nt.special.gammaincc(nt.ones_like(x) * 1.5, x), 1, POS),
}
# entries of DERIVATIVES whose backward raises, as PyTorch's (heaviside; trigamma is digamma's derivative and has
# none itself): tested by test_backward_raises_as_on_the_cpu
RAISING = {"heaviside": (nt.heaviside, 2), "trigamma": (lambda x: apply("trigamma", x), 1)}
BROADCAST_SHAPES = {1: [(3, 4)], 2: [(3, 4), (4,)], 3: [(3, 4), (3, 1), (4,)]}


def test_table_covers_derivatives():
    assert set(ELEMENTWISE) | set(RAISING) == set(DERIVATIVES)


@pytest.mark.parametrize("name", sorted(RAISING))
def test_backward_raises_as_on_the_cpu(name):
    fn, arity = RAISING[name]
    for device in ("cpu", "cuda"):
        leaves = [nt.tensor(rand((3,), F32, 0.2, 2.0, seed=i)).to(device).requires_grad_() for i in range(arity)]
        with pytest.raises((RuntimeError, NotImplementedError)):
            fn(*leaves).sum().backward()


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_grad(name):
    fn, arity, rng = ELEMENTWISE[name]
    low, high = rng or (-2.0, 2.0)
    same = [rand((3, 4), F32, low, high, seed=i) for i in range(arity)]
    compare_grads(fn, same, F32, f"{name} float32")
    # float64; broadcast operands of binary and ternary ops, whose gradients are summed back to each shape
    shaped = [rand(s, F64, low, high, seed=10 + i) for i, s in enumerate(BROADCAST_SHAPES[arity])]
    compare_grads(fn, shaped, F64, f"{name} float64 broadcast")
    if name in ("exp", "mul", "tanh", "add", "div", "sigmoid", "where", "sqrt"):
        compare_grads(fn, [rand((7,), F16, low, high, seed=i) for i in range(arity)], F16, f"{name} float16")


@pytest.mark.parametrize("name", ["exp", "mul", "div", "pow", "maximum", "sub", "atan2"])
def test_elementwise_grad_with_scalars_and_views(name):
    """Scalar operands, 0-d CUDA operands and non-contiguous operands (transposed, sliced) of a CUDA graph."""
    fn, arity, rng = ELEMENTWISE[name]
    low, high = rng or (-2.0, 2.0)
    x = rand((4, 3), F32, low, high, seed=1)
    if arity == 1:
        compare_grads(lambda a: fn(a.t()[:, ::2]), [x], F32, f"{name} view")
        return
    y = rand((3, 4), F32, low, high, seed=2)
    compare_grads(lambda a, b: fn(a.t(), b), [x, y], F32, f"{name} transposed")
    compare_grads(lambda a, b: fn(a, b), [x, rand((), F32, low, high, seed=3)], F32, f"{name} 0-d")
    if name in ("maximum", "atan2"):  # tensor-only functions: a Python number is torch's TypeError
        with pytest.raises(TypeError, match="must be Tensor"):
            fn(on_cuda(x), 1.5)
        return
    compare_grads(lambda a: fn(a, 1.5), [x], F32, f"{name} scalar right")
    if name != "pow":
        compare_grads(lambda a: fn(0.75, a), [x], F32, f"{name} scalar left")


def test_inplace_and_operator_graph():
    x = rand((3, 4), F32, seed=1)
    y = rand((4,), F32, 0.5, 2, seed=2)

    def graph(a, b):
        c = a * 2
        c.add_(b)
        c.mul_(b.exp())
        c = c / b - a ** 2
        c.sigmoid_()
        return c.relu() + (-c).sigmoid()

    compare_grads(graph, [x, y], F32, "in-place graph")


def test_inplace_on_view_graph():
    """An in-place op on a view of a tensor in the graph rebases the base's history (CopySlices)."""
    x = rand((3, 4), F32, seed=1)
    y = rand((4,), F32, 0.5, 2, seed=2)

    def graph(a, b):
        c = a * 2
        c[:, 1:3].mul_(b[:2])
        c[0].add_(b)
        return c * a

    compare_grads(graph, [x, y], F32, "in-place on views")


def test_grad_accumulates_on_device():
    w = on_cuda(rand((5,), F32, seed=1)).requires_grad_()
    (w * 2).sum().backward()
    (w * w).sum().backward()
    want = 2 + 2 * rand((5,), F32, seed=1)
    assert w.grad.is_cuda
    np.testing.assert_allclose(w.grad.cpu().numpy(), want, rtol=1e-6)


def test_grad_across_devices():
    """.to('cpu') in a graph: the gradient flows back to the CUDA leaf and lands on the device."""
    x = rand((3, 4), F32, seed=1)
    compare_grads(lambda a: a.exp().to("cpu").to(a.device) * 3, [x], F32, "round trip")
    a = on_cuda(x).requires_grad_()
    a.to("cpu").pow(2).sum().backward()
    assert a.grad.is_cuda
    np.testing.assert_allclose(a.grad.cpu().numpy(), 2 * x, rtol=1e-6)
    b = nt.from_numpy(x.copy()).requires_grad_()
    (b.cuda() * 3).sum().backward()
    assert not b.grad.is_cuda
    np.testing.assert_allclose(b.grad.numpy(), np.full((3, 4), 3, np.float32))


def test_autograd_grad_and_double_backward():
    for device in ("cpu", "cuda"):
        x = (nt.tensor([0.3, -1.2, 2.0], device=device)).requires_grad_()
        (g,) = nt.autograd.grad((x.sin() * x).sum(), x, create_graph=True)
        (gg,) = nt.autograd.grad(g.sum(), x)
        if device == "cpu":
            want_g, want_gg = g.detach(), gg
        else:
            assert_close(g.detach(), want_g, 1e-5, "grad")
            assert_close(gg, want_gg, 1e-5, "double backward")


# -- reductions ---------------------------------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda x: x.sum(), "sum dim": lambda x: x.sum(1), "sum dims keepdim": lambda x: x.sum((0, 2), keepdim=True),
    "mean": lambda x: x.mean(), "mean dim": lambda x: x.mean(-1, keepdim=True),
    "prod": lambda x: x.prod(), "prod dim": lambda x: x.prod(1),
    "amax": lambda x: x.amax((0, 2)), "amin": lambda x: x.amin(1, keepdim=True),
    "max": lambda x: x.max(), "max dim": lambda x: tuple(x.max(2)), "min": lambda x: x.min(),
    "min dim": lambda x: tuple(x.min(0, keepdim=True)),
    "var": lambda x: x.var(), "var dim": lambda x: x.var(1, correction=0), "std": lambda x: x.std((0, 2)),
    "var_mean": lambda x: tuple(nt.var_mean(x, 2)), "std_mean": lambda x: tuple(nt.std_mean(x, 0)),
    "logsumexp": lambda x: nt.logsumexp(x, 1), "norm": lambda x: x.norm(), "norm dim": lambda x: x.norm(dim=2),
    "norm1": lambda x: x.norm(1, dim=1), "norm inf": lambda x: x.norm(math.inf),
}


WHOLE = {"sum", "mean", "prod", "max", "min", "var", "norm", "norm inf"}


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_grad(name):
    fn = REDUCTIONS[name]
    low, high = (0.5, 1.5) if name.startswith("prod") else (-2, 2)
    compare_grads(fn, [rand((2, 3, 5), F32, low, high, seed=4)], F32, name)
    if name in WHOLE:  # whole-tensor reductions are the slow ones under the simulator: one run each
        return
    compare_grads(lambda x: fn(x.transpose(0, 2).transpose(1, 2)), [rand((5, 2, 3), F64, low, high, seed=5)], F64,
                  f"{name} non-contiguous")


def test_reduction_grad_float16():
    for name in ("sum dim", "mean", "amax", "var dim"):
        compare_grads(REDUCTIONS[name], [rand((2, 3, 5), F16, seed=6)], F16, name)


# -- matmul -------------------------------------------------------------------------------------------------

PRODUCTS = {
    "mm": (nt.mm, [(3, 4), (4, 5)]), "mm transposed": (lambda a, b: nt.mm(a.t(), b), [(4, 3), (4, 2)]),
    "bmm": (nt.bmm, [(2, 3, 4), (2, 4, 2)]), "matmul 1d": (nt.matmul, [(4,), (4, 3)]),
    "matmul dot": (nt.matmul, [(4,), (4,)]), "matmul mv": (nt.matmul, [(3, 4), (4,)]),
    "matmul batched broadcast": (nt.matmul, [(2, 3, 4), (4, 2)]),
    "linear": (F.linear, [(5, 4), (3, 4)]), "linear bias": (F.linear, [(2, 5, 4), (3, 4), (3,)]),
}


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_matmul_grad(name):
    fn, shapes = PRODUCTS[name]
    compare_grads(fn, [rand(s, F32, seed=i) for i, s in enumerate(shapes)], F32, name)


def test_matmul_grad_other_dtypes():
    compare_grads(nt.mm, [rand((3, 4), F64, seed=1), rand((4, 2), F64, seed=2)], F64, "mm float64")
    compare_grads(F.linear, [rand((3, 4), F16, seed=1), rand((2, 4), F16, seed=2), rand((2,), F16, seed=3)], F16,
                  "linear float16")
    compare_grads(nt.mm, [rand((3, 4), F32, seed=1), rand((4, 2), F32, seed=2)], F32, "mm one leaf", grad_of=[1])


# -- views --------------------------------------------------------------------------------------------------

VIEWS = {
    "view": lambda t: t.view(6, 5), "reshape copy": lambda t: t.transpose(1, 2).reshape(-1, 3),
    "transpose": lambda t: t.transpose(0, 2), "t": lambda t: t[1].t(), "permute": lambda t: t.permute(2, 0, 1),
    "movedim": lambda t: t.movedim(0, -1), "unsqueeze": lambda t: t.unsqueeze(1),
    "squeeze": lambda t: t[:, :1].squeeze(1),
    "expand": lambda t: t[:, :1].expand(4, 2, 3, 5), "narrow": lambda t: t.narrow(2, 1, 3),
    "select": lambda t: t.select(1, 2), "slices": lambda t: t[:, ::2, 1:4], "index none": lambda t: t[None, 1, ..., 0],
    "contiguous": lambda t: t.transpose(1, 2).contiguous(), "clone": lambda t: t.clone(),
    "flatten": lambda t: t.flatten(), "overlapping slices": lambda t: t[:, :2] * t[:, 1:],
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_grad(name):
    compare_grads(VIEWS[name], [rand((2, 3, 5), F32, seed=7)], F32, name)


def test_prod_grad_with_zeros():
    """prod's backward with zeros in the input takes the product of the other elements (a host round trip)."""
    x = rand((3, 4), F64, seed=41)
    x[0, 1] = 0.0
    x[2, 0] = x[2, 3] = 0.0
    compare_grads(lambda a: a.prod(1), [x], F64, "prod dim with zeros")
    compare_grads(lambda a: a.prod(), [x[:1]], F64, "prod all, one zero")


class _Double(nt.autograd.Function):
    kept: list = []
    fresh: list = []

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        out = g * 2
        _Double.fresh.append(out.data_ptr())  # an address, not a reference
        return out


class _DoubleKept(_Double):
    @staticmethod
    def backward(ctx, g):
        out = g * 2
        _Double.kept.append(out)  # something else holds the gradient: .grad must be a copy
        return out


def test_a_fresh_leaf_gradient_becomes_grad_without_a_copy():
    """As PyTorch (and the CPU path): a gradient nothing else references is stolen as .grad, one referenced
    elsewhere is copied, and a second backward adds into .grad in place."""
    _Double.fresh.clear()
    _Double.kept.clear()
    a = nt.ones(3, device="cuda", requires_grad=True)
    _Double.apply(a).sum().backward()
    assert a.grad.data_ptr() == _Double.fresh[0]
    _Double.apply(a).sum().backward()
    np.testing.assert_array_equal(a.grad.cpu().numpy(), [4.0, 4.0, 4.0])
    b = nt.ones(3, device="cuda", requires_grad=True)
    _DoubleKept.apply(b).sum().backward()
    assert b.grad.data_ptr() != _Double.kept[0].data_ptr()
    b.grad.add_(1.0)
    np.testing.assert_array_equal(_Double.kept[0].cpu().numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(b.grad.cpu().numpy(), [3.0, 3.0, 3.0])
