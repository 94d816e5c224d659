"""Complex add/sub and pow edge values against torch 2.13's (written in as literals; torch is not imported).

torch's add/sub kernel computes `a + alpha * b` with alpha a complex number even when it is 1 (sub is add with
-alpha), so a real infinity in `other` makes a nan imaginary part (inf * 0). Its complex pow is std::pow, i.e.
cexp(y * clog(x)): a zero base has clog(0) = -inf, so 0 ** 0j is nan; a Python scalar exponent 0 or 1 is answered
without the kernel (ones, a copy)."""

import math

import numpy as np
import pytest

import ntorch

INF, NAN = math.inf, math.nan


def _same(got: ntorch.Tensor, want: list, signed_zeros: bool = True) -> None:
    """Values equal, nan where torch has nan, and (optionally) the same signs of zero, both parts."""
    g = got.numpy()
    w = np.array(want, dtype=g.dtype)
    for part in (np.real, np.imag):
        a, b = part(g), part(w)
        np.testing.assert_array_equal(a, b)  # (nan == nan here; -0.0 == 0.0)
        if signed_zeros:
            np.testing.assert_array_equal(np.signbit(a[a == 0]), np.signbit(b[b == 0]))


@pytest.mark.parametrize("dtype", [ntorch.complex64, ntorch.complex128])
def test_add_sub_multiply_other_by_alpha(dtype):
    a = ntorch.tensor([1 + 2j, complex(-0.0, -0.0), 3 - 1j, complex(INF, 1)], dtype=dtype)
    b = ntorch.tensor([INF, 0.0, complex(0, INF), 2.0], dtype=dtype)
    # torch: a + b, a - b, torch.add(a, b, alpha=2), torch.sub(a, b, alpha=2), b - a
    _same(a + b, [complex(INF, NAN), 0j, complex(NAN, INF), complex(INF, 1)])
    _same(a - b, [complex(-INF, NAN), complex(-0.0, 0.0), complex(NAN, -INF), complex(INF, 1)])
    _same(ntorch.add(a, b, alpha=2), [complex(INF, NAN), 0j, complex(NAN, INF), complex(INF, 1)])
    _same(ntorch.sub(a, b, alpha=2), [complex(-INF, NAN), complex(-0.0, 0.0), complex(NAN, -INF), complex(INF, 1)])
    _same(b - a, [complex(INF, -2), 0j, complex(-3, INF), complex(-INF, NAN)])
    # tensor-scalar: a.sub(inf) and a.add(complex(0, inf))
    _same(a.sub(INF), [complex(-INF, NAN)] * 3 + [complex(NAN, NAN)])
    _same(a.add(complex(0, INF)), [complex(NAN, INF)] * 4)


def test_add_sub_real_infinity_and_signed_zeros():
    a = ntorch.tensor([1 + 2j])
    # torch: (1+2j) - inf is -inf+nanj (tensor-tensor and tensor-scalar, in place too); inf - (1+2j) is inf-2j
    _same(a - ntorch.tensor([INF]), [complex(-INF, NAN)])
    _same(a - INF, [complex(-INF, NAN)])
    _same(a + INF, [complex(INF, NAN)])
    _same(a.clone().sub_(ntorch.tensor([INF])), [complex(-INF, NAN)])
    _same(a.clone().add_(INF), [complex(INF, NAN)])
    _same(ntorch.rsub(a, INF), [complex(INF, -2)])
    _same(ntorch.tensor([INF]) - a, [complex(INF, -2)])
    _same(a - NAN, [complex(NAN, NAN)])
    # torch: (-0-0j) - 0j is -0+0j, (-0-0j) + (-0-0j) is 0-0j
    z = ntorch.tensor([complex(-0.0, -0.0)])
    _same(z - ntorch.tensor([0j]), [complex(-0.0, 0.0)])
    _same(z + z, [complex(0.0, -0.0)])


# torch.tensor([0j]).pow(torch.tensor([z])) for each z (complex128)
_ZERO_POW = [
    (0j, complex(NAN, NAN)), (1 + 0j, 0j), (1 + 1j, 0j), (-1 + 0j, complex(INF, NAN)), (2j, complex(NAN, NAN)),
    (complex(NAN, 0), complex(NAN, NAN)), (0.5 + 0j, 0j), (-0.5 + 1j, complex(INF, NAN)), (1j, complex(NAN, NAN)),
    (complex(0, NAN), complex(NAN, NAN)), (complex(INF, 0), 0j),
]


@pytest.mark.parametrize("dtype", [ntorch.complex64, ntorch.complex128])
def test_pow_zero_base_tensor_exponent(dtype):
    z = ntorch.tensor([e for e, _ in _ZERO_POW], dtype=dtype)
    want = [w for _, w in _ZERO_POW]
    _same(ntorch.zeros(len(want), dtype=dtype).pow(z), want, signed_zeros=False)
    _same(ntorch.pow(0j, z), want, signed_zeros=False)  # (a scalar base is a tensor to torch's kernel)


@pytest.mark.parametrize("exponent, want", [
    # torch.tensor([0j]) ** exponent: 0 and 1 skip the kernel (ones, a copy); -1 is a reciprocal; others cpow
    (0, 1 + 0j), (0j, 1 + 0j), (1, 0j), (1 + 1j, 0j), (-1, complex(INF, NAN)), (2j, complex(NAN, NAN)),
    (NAN, complex(NAN, NAN)), (0.5, 0j), (-0.5 + 1j, complex(INF, NAN)), (complex(INF, 0), 0j),
])
def test_pow_zero_base_scalar_exponent(exponent, want):
    for dtype in (ntorch.complex64, ntorch.complex128):
        _same(ntorch.tensor([0j], dtype=dtype) ** exponent, [want], signed_zeros=False)


def test_pow_scalar_zero_and_one_gradients():
    x = ntorch.tensor([0j, 1 + 1j, complex(INF, 0)], requires_grad=True)
    y = x ** 0
    assert y.grad_fn.name() == "PowBackward0"
    _same(y.detach(), [1 + 0j] * 3)
    y.real.sum().backward()
    _same(x.grad, [0j] * 3)  # torch: zeros
    x.grad = None
    y = x ** 1
    assert y.grad_fn.name() == "PowBackward0"
    _same(y.detach(), [0j, 1 + 1j, complex(INF, 0)])
    y.real.sum().backward()
    _same(x.grad, [1 + 0j] * 3)  # torch: ones


def test_pow_nonzero_base_unchanged():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    y = rng.standard_normal(8) + 1j * rng.standard_normal(8)
    got = ntorch.tensor(x).pow(ntorch.tensor(y)).numpy()
    np.testing.assert_allclose(got, np.exp(y * np.log(x)), rtol=1e-12)


# torch 2.13's refusals of complex input to the ops that order values (exception type and text from torch on the
# CPU, as literals)
_CF = "'ComplexFloat'"


@pytest.mark.parametrize("call, exc, text", [
    (lambda x: ntorch.sort(x), RuntimeError, " Sort does not support complex dtypes on CPU"),
    (lambda x: x.sort(stable=True), RuntimeError, " Sort does not support complex dtypes on CPU"),
    (lambda x: ntorch.argsort(x), RuntimeError, " Sort does not support complex dtypes on CPU"),
    (lambda x: ntorch.msort(x), RuntimeError, " Sort does not support complex dtypes on CPU"),
    (lambda x: x.topk(1), RuntimeError, " topk does not support complex dtypes on CPU"),
    (lambda x: ntorch.max(x), NotImplementedError, f'"max_all" not implemented for {_CF}'),
    (lambda x: ntorch.min(x), NotImplementedError, f'"min_all" not implemented for {_CF}'),
    (lambda x: ntorch.max(x, 0), RuntimeError, "max(): does not support complex input"),
    (lambda x: ntorch.min(x, 0), RuntimeError, "min(): does not support complex input"),
    (lambda x: ntorch.argmax(x), RuntimeError, "argmax(): does not support complex input"),
    (lambda x: ntorch.argmin(x, 0), RuntimeError, "argmin(): does not support complex input"),
    (lambda x: ntorch.amax(x), NotImplementedError, f'"max_values_cpu" not implemented for {_CF}'),
    (lambda x: ntorch.amin(x, 0), NotImplementedError, f'"min_values_cpu" not implemented for {_CF}'),
    (lambda x: ntorch.aminmax(x), NotImplementedError, f'"aminmax_cpu" not implemented for {_CF}'),
    (lambda x: x.kthvalue(1), NotImplementedError, f'"kthvalue_cpu" not implemented for {_CF}'),
    (lambda x: ntorch.median(x), NotImplementedError, f'"median_cpu" not implemented for {_CF}'),
    (lambda x: ntorch.nanmedian(x), NotImplementedError, f'"median_cpu" not implemented for {_CF}'),
    (lambda x: ntorch.median(x, 0), NotImplementedError, f'"median_out" not implemented for {_CF}'),
    (lambda x: ntorch.mode(x, 0), NotImplementedError, f'"mode_cpu" not implemented for {_CF}'),
])
def test_ordering_ops_refuse_complex_as_torch(call, exc, text):
    x = ntorch.tensor([1 + 2j, 3j])
    with pytest.raises(exc) as info:
        call(x)
    assert str(info.value) == text
