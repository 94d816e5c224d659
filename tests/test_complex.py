"""Complex dtypes (complex64, complex128): dtypes and promotion, creation, printing, the real/imag views,
elementwise ops and casts. NumPy's complex arithmetic is the oracle; torch 2.13's behaviour (messages, dtypes,
printed forms) is the spec, quoted from its output in the venv."""

import warnings

import numpy as np
import pytest

import ntorch
from ntorch import dtypes

C64, C128 = ntorch.complex64, ntorch.complex128
RNG = np.random.default_rng(0)


def crand(*shape, dtype=np.complex64):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def close(t, expected, rtol=None, atol=None):
    got = t.numpy()
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    single = got.dtype in (np.complex64, np.float32)
    np.testing.assert_allclose(got, expected, rtol=rtol or (2e-5 if single else 1e-12), atol=atol or 0)


# -- dtypes and promotion ------------------------------------------------------------------------------------------

def test_dtype_objects():
    assert ntorch.cfloat is C64 and ntorch.cdouble is C128 and ntorch.chalf is ntorch.complex32
    for d, real, size, name in ((C64, ntorch.float32, 8, "ComplexFloat"), (C128, ntorch.float64, 16, "ComplexDouble")):
        assert d.is_complex and not d.is_floating_point and d.is_signed
        assert d.to_real() is real and real.to_complex() is d and d.to_complex() is d
        assert d.itemsize == size and dtypes.torch_name(d) == name and dtypes.from_torch_name(name) is d
        assert repr(d) == f"ntorch.{d.name}"
    assert ntorch.float16.to_complex() is ntorch.complex32 and ntorch.float32.to_real() is ntorch.float32
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Int"):
        ntorch.int32.to_complex()
    assert dtypes.as_dtype("cfloat") is C64 and dtypes.as_dtype(np.complex128) is C128
    assert dtypes.as_dtype(complex) is C128
    assert ntorch.finfo(C64) == ntorch.finfo(ntorch.float32) and ntorch.finfo(C128).bits == 64


def test_complex32_is_a_name_only():
    for make in (lambda: ntorch.zeros(2, dtype=ntorch.complex32), lambda: ntorch.ones(2).to(ntorch.chalf),
                 lambda: ntorch.ones(2, dtype=ntorch.float16) * 1j,
                 lambda: ntorch.view_as_complex(ntorch.ones(2, dtype=ntorch.float16))):
        with pytest.raises(TypeError, match="ntorch does not support complex32"):
            make()


@pytest.mark.parametrize("a, b, want", [
    ("float64", "complex64", "complex128"), ("int64", "complex64", "complex64"),
    ("float16", "complex64", "complex64"), ("float32", "complex128", "complex128"),
    ("bool", "complex64", "complex64"), ("complex64", "complex128", "complex128"),
])
def test_promote_types(a, b, want):
    assert ntorch.promote_types(getattr(ntorch, a), getattr(ntorch, b)) is getattr(ntorch, want)
    assert ntorch.promote_types(getattr(ntorch, b), getattr(ntorch, a)) is getattr(ntorch, want)


def test_complex_scalar_promotion():
    assert (ntorch.ones(2) * 1j).dtype is C64
    assert (ntorch.ones(2, dtype=ntorch.float64) * 1j).dtype is C128
    assert (ntorch.arange(2) * 1j).dtype is C64
    assert ntorch.result_type(ntorch.ones(2), 1j) is C64
    # a 0-d complex128 tensor under a float32 tensor with dims: complex, keeping the float32 precision (torch)
    assert (ntorch.ones(2) + ntorch.tensor(1j, dtype=C128)).dtype is C64
    assert (ntorch.ones(2, dtype=C64) + ntorch.ones(2, dtype=ntorch.float64)).dtype is C128
    old = ntorch.get_default_dtype()
    try:
        ntorch.set_default_dtype(ntorch.float64)
        assert (ntorch.arange(2) * 1j).dtype is C128
        assert ntorch.tensor([1j]).dtype is C128
    finally:
        ntorch.set_default_dtype(old)
    close(ntorch.tensor([1.0, 2.0]) * (2 - 1j), np.array([2 - 1j, 4 - 2j], np.complex64))


def test_can_cast_and_predicates():
    assert not ntorch.can_cast(C64, ntorch.float64)
    assert ntorch.can_cast(ntorch.float64, C64) and ntorch.can_cast(C128, C64) and ntorch.can_cast(ntorch.int8, C64)
    z = ntorch.zeros(2, dtype=C64)
    assert z.is_complex() and ntorch.is_complex(z) and not z.is_floating_point() and not ntorch.is_floating_point(z)
    assert not ntorch.ones(2).is_complex()


# -- creation and conversion ----------------------------------------------------------------------------------------

def test_tensor_from_python_and_numpy():
    t = ntorch.tensor([[1 + 2j, 3], [0.5, -1j]])
    assert t.dtype is C64 and t.shape == (2, 2)
    close(t, np.array([[1 + 2j, 3], [0.5, -1j]], np.complex64))
    assert ntorch.tensor([1, 2.5j], dtype=C128).dtype is C128
    with pytest.raises(TypeError, match="must be real number, not complex"):
        ntorch.tensor([1j], dtype=ntorch.float32)
    a = crand(3, 2)
    shared = ntorch.from_numpy(a)
    assert shared.dtype is C64
    a[0, 0] = 7 + 7j
    assert shared[0, 0].item() == 7 + 7j
    assert ntorch.as_tensor(a.astype(np.complex128)).dtype is C128


def test_factories():
    for dt in (C64, C128):
        close(ntorch.zeros(2, 3, dtype=dt), np.zeros((2, 3), dt.np))
        close(ntorch.ones(2, dtype=dt), np.ones(2, dt.np))
        close(ntorch.eye(3, dtype=dt), np.eye(3, dtype=dt.np))
        close(ntorch.full((2,), 1 - 2j, dtype=dt), np.full(2, 1 - 2j, dt.np))
        assert ntorch.empty(4, dtype=dt).dtype is dt
        close(ntorch.zeros_like(ntorch.ones(2), dtype=dt), np.zeros(2, dt.np))
    assert ntorch.full((2,), 1j).dtype is C64


@pytest.mark.parametrize("dt", [C64, C128])
def test_rand_randn(dt):
    ntorch.manual_seed(0)
    u = ntorch.rand(4000, dtype=dt)
    assert u.dtype is dt and u.is_contiguous()
    parts = ntorch.view_as_real(u).numpy()
    assert parts.min() >= 0 and parts.max() < 1
    n = ntorch.randn(20000, dtype=dt).numpy()
    # torch: each part N(0, 1/2), E|z|^2 = 1
    assert abs(n.real.var() - 0.5) < 0.03 and abs(n.imag.var() - 0.5) < 0.03
    assert abs(np.mean(np.abs(n) ** 2) - 1) < 0.05


def test_item_tolist_numpy():
    t = ntorch.tensor([[1 + 2j, 3 - 4j]])
    assert t[0, 1].item() == 3 - 4j and isinstance(t[0, 0].item(), complex)
    assert t.tolist() == [[1 + 2j, 3 - 4j]]
    assert t.numpy().dtype == np.complex64
    assert complex(ntorch.tensor(1.5)) == 1.5 + 0j


def test_casts_discard_imag_with_torchs_warning():
    z = ntorch.tensor([1.5 + 2j, -2.5 - 1j])
    with pytest.warns(UserWarning, match="Casting complex values to real discards the imaginary part"):
        close(z.float(), np.array([1.5, -2.5], np.float32))
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        close(z.to(ntorch.int64), np.array([1, -2]))
    with pytest.warns(UserWarning, match="discards the imaginary part"):
        dst = ntorch.zeros(2, dtype=ntorch.float64).copy_(z)
    close(dst, np.array([1.5, -2.5]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(ntorch.tensor([0j, 1j]).bool(), np.array([False, True]))  # no warning: nonzero-ness
        close(z.to(C128), z.numpy().astype(np.complex128))
        close(ntorch.tensor([1, 2], dtype=ntorch.int32).cfloat(), np.array([1, 2], np.complex64))
        close(ntorch.zeros(2, dtype=C64).copy_(ntorch.tensor([1.0, 2.0])), np.array([1, 2], np.complex64))
    assert z.type() == "ntorch.ComplexFloatTensor"


def test_inplace_cannot_make_real_complex():
    a = ntorch.zeros(2)
    with pytest.raises(RuntimeError, match="result type ComplexFloat can't be cast to the desired output type Float"):
        a += ntorch.ones(2, dtype=C64)
    with pytest.raises(RuntimeError, match="result type ComplexFloat can't be cast"):
        a.mul_(1j)
    z = ntorch.ones(2, dtype=C64)
    z.mul_(1j)
    z.add_(ntorch.tensor([1.0, 2.0]))
    close(z, np.array([1 + 1j, 2 + 1j], np.complex64))


# -- printing ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, kw, text", [  # torch 2.13's output, with its 'torch.' prefix made 'ntorch.'
    ([1 + 2j, 0 - 1j], {}, "tensor([1.+2.j, 0.-1.j])"),
    ([[1.5 + 2j, 3 - 4.25j], [1e10j, float("nan") + 1j]], {},
     "tensor([[1.5000+2.0000e+00j, 3.0000-4.2500e+00j],\n        [0.0000+1.0000e+10j,    nan+1.0000e+00j]])"),
    ([0j], {}, "tensor([0.+0.j])"),
    (1 + 2j, {}, "tensor(1.+2.j)"),
    ([1 + 2j], {"dtype": C128}, "tensor([1.+2.j], dtype=ntorch.complex128)"),
    ([], {"dtype": C64}, "tensor([], dtype=ntorch.complex64)"),
    ([float("inf") + 1j, complex(-0.0, -0.0)], {}, "tensor([inf+1.j, -0.-0.j])"),
    ([[1e-5 + 3j, 123456.5j]], {}, "tensor([[1.0000e-05+3.0000e+00j, 0.0000e+00+1.2346e+05j]])"),
])
def test_repr(data, kw, text):
    assert repr(ntorch.tensor(data, **kw)) == text


def test_repr_summarized():
    t = ntorch.tensor([complex(i, -i * 0.3) for i in range(2000)])
    assert repr(t) == ("tensor([0.0000e+00+0.0000e+00j, 1.0000e+00-3.0000e-01j, 2.0000e+00-6.0000e-01j,\n"
                       "         ..., 1.9970e+03-5.9910e+02j, 1.9980e+03-5.9940e+02j,\n"
                       "        1.9990e+03-5.9970e+02j])")


# -- views and complex-specific ops -------------------------------------------------------------------------------

def test_view_as_real_shares_storage():
    a = crand(2, 3)
    z = ntorch.from_numpy(a)
    r = ntorch.view_as_real(z)
    assert r.dtype is ntorch.float32 and r.shape == (2, 3, 2) and r.stride() == (6, 2, 1)
    np.testing.assert_array_equal(r.numpy()[..., 0], a.real)
    np.testing.assert_array_equal(r.numpy()[..., 1], a.imag)
    r[0, 0, 1] = 9.0
    assert a[0, 0].imag == 9.0
    t = ntorch.view_as_real(z.t())  # transposed: strides doubled
    assert t.shape == (3, 2, 2) and t.stride() == (2, 6, 1)
    np.testing.assert_array_equal(t.numpy()[..., 1], a.T.imag)
    s = ntorch.view_as_real(z[:, 1:])
    assert s.storage_offset() == 2 and s.stride() == (6, 2, 1)
    with pytest.raises(RuntimeError, match="view_as_real is only supported for complex tensors"):
        ntorch.view_as_real(ntorch.ones(2))


def test_view_as_complex():
    x = ntorch.arange(12.0).reshape(3, 2, 2)
    z = ntorch.view_as_complex(x)
    assert z.dtype is C64 and z.shape == (3, 2) and z.stride() == (2, 1)
    close(z, np.arange(12.0).reshape(3, 2, 2).astype(np.float32).view(np.complex64)[..., 0])
    z[0, 0] = 5 - 5j
    assert x[0, 0, 0].item() == 5 and x[0, 0, 1].item() == -5
    assert ntorch.view_as_complex(ntorch.ones(4, 2, dtype=ntorch.float64)[1:]).storage_offset() == 1
    cases = [
        (ntorch.ones(3, 3), "Tensor must have a last dimension of size 2"),
        (ntorch.ones(2, 3).t(), "Tensor must have a last dimension with stride 1"),
        (ntorch.ones(3, 4)[:, ::2], "Tensor must have a last dimension with stride 1"),
        (ntorch.ones(3, 3)[:, :2], "Tensor must have a stride divisible by 2 for all but last dimension"),
        (ntorch.ones(2, dtype=ntorch.int64), "view_as_complex is only supported for half, float and double tensors, "
                                             "but got a tensor of scalar type: Long"),
        (ntorch.ones(()), "Input tensor must have one or more dimensions"),
        (ntorch.ones(5)[1:3], "Tensor must have a storage_offset divisible by 2"),
    ]
    for t, message in cases:
        with pytest.raises(RuntimeError, match=message):
            ntorch.view_as_complex(t)


def test_real_imag_views_and_setters():
    a = crand(3, 4)
    z = ntorch.from_numpy(a)
    assert z.real.dtype is ntorch.float32 and z.real.stride() == (8, 2) and z.imag.storage_offset() == 1
    np.testing.assert_array_equal(z.real.numpy(), a.real)
    np.testing.assert_array_equal(z.t().imag.numpy(), a.T.imag)
    np.testing.assert_array_equal(ntorch.imag(z[::2, 1:]).numpy(), a[::2, 1:].imag)
    z.real.add_(1)
    np.testing.assert_allclose(a.real, ntorch.view_as_real(z)[..., 0].numpy())
    z.imag = ntorch.zeros(3, 4)
    assert not a.imag.any()
    x = ntorch.ones(2)
    assert ntorch.real(x) is x and x.real is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        _ = x.imag
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes."):
        ntorch.imag(x)


@pytest.mark.parametrize("dt", [ntorch.float32, ntorch.float64])
def test_complex_and_polar(dt):
    re, im = RNG.standard_normal((2, 3)).astype(dt.np), RNG.standard_normal(3).astype(dt.np)
    got = ntorch.complex(ntorch.from_numpy(re), ntorch.from_numpy(im))
    assert got.dtype is dt.to_complex()
    close(got, (re + 1j * im).astype(dt.to_complex().np))
    inf = ntorch.complex(ntorch.zeros(1, dtype=dt), ntorch.tensor([np.inf], dtype=dt)).numpy()[0]
    assert inf.real == 0 and inf.imag == np.inf  # not NaN, as a multiply by 1j would give
    r = np.abs(re)
    close(ntorch.polar(ntorch.from_numpy(r), ntorch.from_numpy(im)), (r * np.exp(1j * im)).astype(dt.to_complex().np),
          atol=1e-6)


def test_complex_polar_errors():
    with pytest.raises(RuntimeError, match="Expected object of scalar type Double but got scalar type Float for"):
        ntorch.complex(ntorch.ones(2, dtype=ntorch.float64), ntorch.zeros(2))
    with pytest.raises(RuntimeError, match="Expected both inputs to be Half, Float or Double tensors but got Long and "
                                           "Long"):
        ntorch.polar(ntorch.ones(2, dtype=ntorch.int64), ntorch.ones(2, dtype=ntorch.int64))


def test_conj_angle_abs_sgn_isreal():
    a = np.array([[1 + 2j, 3 - 4j], [5 + 0j, -1j]], np.complex64)
    z = ntorch.from_numpy(a)
    c = z.conj()
    close(c, np.conj(a))
    assert not c.is_conj() and c.resolve_conj() is c and not ntorch.is_conj(c)
    assert c.data_ptr() != z.data_ptr()  # a copy (torch: a lazy view): documented difference
    close(ntorch.conj_physical(z), np.conj(a))
    w = z.clone()
    w.conj_physical_()
    close(w, np.conj(a))
    close(z.angle(), np.angle(a))
    close(z.abs(), np.abs(a))
    assert z.abs().dtype is ntorch.float32 and ntorch.abs(z.to(C128)).dtype is ntorch.float64
    close(z.sgn(), a / np.abs(a))
    close(ntorch.sgn(ntorch.tensor([0j])), np.array([0j], np.complex64))
    close(ntorch.sgn(ntorch.tensor([-2.0, 3.0])), np.array([-1.0, 1.0], np.float32))
    close(ntorch.isreal(ntorch.tensor([1 + 0j, 1j, 2])), np.array([True, False, True]))
    x = ntorch.tensor([1.0, -2.0])
    assert ntorch.conj(x) is x
    close(ntorch.angle(x), np.array([0, np.pi], np.float32))


# -- elementwise ops --------------------------------------------------------------------------------------------------

UNARY = {
    "neg": np.negative, "square": np.square, "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10,
    "sqrt": np.sqrt, "rsqrt": lambda v: 1 / np.sqrt(v), "reciprocal": np.reciprocal, "sin": np.sin, "cos": np.cos,
    "tan": np.tan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "asinh": np.arcsinh, "acosh": np.arccosh, "atanh": np.arctanh, "expm1": np.expm1,
    "log1p": np.log1p, "exp2": np.exp2, "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "abs": np.abs,
}


def _layouts(a):
    """(tensor, its values) for a contiguous, a transposed, a stepped and an expanded input."""
    return [(ntorch.from_numpy(a), a), (ntorch.from_numpy(a.T.copy()).t(), a),
            (ntorch.from_numpy(np.repeat(a, 2, axis=1))[:, ::2], a),
            (ntorch.from_numpy(a[:1].copy()).expand(*a.shape), np.broadcast_to(a[:1], a.shape))]


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_complex64(name):
    for t, values in _layouts(crand(4, 5)):
        close(getattr(ntorch, name)(t), UNARY[name](values), rtol=5e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "tanh", "asin", "sigmoid", "abs", "reciprocal"])
def test_unary_complex128(name):
    a = crand(3, 4, dtype=np.complex128)
    close(getattr(ntorch.from_numpy(a), name)(), UNARY[name](a), atol=1e-15)


BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name):
    a, b = crand(3, 4), crand(4)
    close(getattr(ntorch, name)(ntorch.from_numpy(a), ntorch.from_numpy(b)), BINARY[name](a, b), rtol=5e-5)
    close(getattr(ntorch, name)(ntorch.from_numpy(a.T.copy()).t(), 2 - 1j), BINARY[name](a, np.complex64(2 - 1j)),
          rtol=5e-5)
    # mixed with real tensors: promoted to complex
    r = RNG.standard_normal((3, 4))
    close(getattr(ntorch, name)(ntorch.from_numpy(r), ntorch.from_numpy(a)), BINARY[name](r, a), rtol=1e-6)
    d = crand(3, 4, dtype=np.complex128)
    close(getattr(ntorch, name)(ntorch.from_numpy(d), ntorch.from_numpy(b).expand(3, 4)), BINARY[name](d, b),
          rtol=1e-6)


def test_operators_alpha_and_ternary():
    a, b, c = crand(5), crand(5), crand(5)
    A, B, Cc = (ntorch.from_numpy(v) for v in (a, b, c))
    close(A + B * 2 - 1j, a + b * 2 - 1j)
    close(-A / B, -a / b, rtol=5e-5)
    close(ntorch.add(A, B, alpha=2 + 1j), a + (2 + 1j) * b)
    close(ntorch.sub(A, B, alpha=0.5), a - 0.5 * b)
    close(ntorch.addcmul(A, B, Cc, value=2), a + 2 * b * c, rtol=5e-5)
    close(ntorch.addcdiv(A, B, Cc, value=-1), a - b / c, rtol=5e-5)
    close(A ** 2, a * a)
    close(2 ** A, 2 ** a, rtol=5e-5)
    close(ntorch.lerp(A, B, 0.25), a + 0.25 * (b - a), rtol=5e-5)
    close(ntorch.where(ntorch.tensor([True, False, True, False, True]), A, B),
          np.where([True, False, True, False, True], a, b))
    close(ntorch.where(ntorch.tensor([True, False, True, False, True]), A, 0.5), np.where([1, 0, 1, 0, 1], a, 0.5))


def test_comparisons_and_predicates():
    a = np.array([1 + 1j, np.nan + 0j, complex(0, np.inf), 2 - 1j], np.complex64)
    b = np.array([1 + 1j, 1, 0, 2 + 1j], np.complex64)
    A, B = ntorch.from_numpy(a), ntorch.from_numpy(b)
    close(A == B, a == b)
    close(A != B, a != b)
    close(A.isnan(), np.isnan(a))
    close(A.isinf(), np.isinf(a))
    close(A.isfinite(), np.isfinite(a))
    close(ntorch.logical_not(A), np.logical_not(a))
    close(ntorch.logical_and(A, B), np.logical_and(a, b))
    near = B * (1 + 1e-7)
    close(ntorch.isclose(B, near), np.isclose(b, near.numpy()))
    assert ntorch.allclose(B, near) and not ntorch.allclose(B, B + 1e-3j)
    close(ntorch.isclose(A, A, equal_nan=True), np.array([True, True, True, True]))
    close(ntorch.isclose(A, A), np.array([True, False, True, True]))
    assert ntorch.equal(A.clone(), A.clone()) is False  # NaN != NaN
    assert ntorch.equal(B, B.clone())


@pytest.mark.parametrize("call, error, message", [
    (lambda z: z < z, NotImplementedError, "\"lt_cpu\" not implemented for 'ComplexFloat'"),
    (lambda z: z >= 1, NotImplementedError, "\"ge_cpu\" not implemented for 'ComplexFloat'"),
    (lambda z: ntorch.maximum(z, z), RuntimeError, "maximum not implemented for complex tensors."),
    (lambda z: z.clamp(0, 1), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: ntorch.relu(z), NotImplementedError, "clamp is not supported for complex types"),
    (lambda z: z.floor(), NotImplementedError, "floor is not supported for complex inputs"),
    (lambda z: z.sign(), NotImplementedError, "Unlike NumPy, torch.sign is not intended to support complex numbers"),
    (lambda z: z.round(), NotImplementedError, "\"round_vml_cpu\" not implemented for 'ComplexFloat'"),
    (lambda z: z.to(C128).erf(), NotImplementedError, "\"erf_vml_cpu\" not implemented for 'ComplexDouble'"),
    (lambda z: ntorch.remainder(z, 2), NotImplementedError, "\"remainder_cpu\" not implemented for 'ComplexFloat'"),
    (lambda z: ntorch.atan2(z, z), NotImplementedError, "\"atan2_cpu\" not implemented for 'ComplexFloat'"),
    (lambda z: ntorch.deg2rad(z), RuntimeError, "deg2rad is not supported for complex tensors."),
    (lambda z: ntorch.nn.functional.gelu(z), NotImplementedError, "\"GeluKernelImpl\" not implemented for "
                                                                  "'ComplexFloat'"),
])
def test_refused_ops(call, error, message):
    z = ntorch.tensor([1 + 2j, 3 - 1j])
    with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")):
        call(z)
    assert issubclass(error, RuntimeError)  # torch's NotImplementedError is a RuntimeError too


def test_clone_contiguous_and_copies():
    a = crand(3, 4)
    z = ntorch.from_numpy(a).t()
    close(z.clone(), a.T)
    close(z.contiguous(), a.T)
    assert z.contiguous().is_contiguous()
    close(ntorch.cat([z, z]), np.concatenate([a.T, a.T]))
    close(ntorch.stack([z, z]), np.stack([a.T, a.T]))
    close(z[1:, ::2], a.T[1:, ::2])
    close(z.reshape(-1), a.T.reshape(-1))


def test_arange_linspace_and_inplace_abs():
    with pytest.raises(NotImplementedError, match="\"arange_cpu\" not implemented for 'ComplexFloat'"):
        ntorch.arange(3, dtype=C64)
    close(ntorch.linspace(0, 1, 3, dtype=C64), np.array([0, 0.5, 1], np.complex64))
    got = ntorch.linspace(1j, 2 + 3j, 4)
    assert got.dtype is C64
    close(got, np.linspace(1j, 2 + 3j, 4).astype(np.complex64))
    with pytest.raises(RuntimeError, match="In-place abs is not supported for complex tensors."):
        ntorch.tensor([1j]).abs_()
    z = ntorch.tensor([4j, -1 + 0j])
    z.sqrt_()
    close(z, np.sqrt(np.array([4j, -1 + 0j], np.complex64)))


# -- stage 2: reductions, products, norms, indexing, serialization ----------------------------------------------------

@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2)])
def test_sum_mean_prod(dt, dim):
    a = crand(3, 4, 5, dtype=dt)
    for t, values in ((ntorch.from_numpy(a), a), (ntorch.from_numpy(a.transpose(2, 1, 0).copy()).permute(2, 1, 0), a)):
        wide = values.astype(np.complex128)
        close(t.sum(dim), wide.sum(axis=dim).astype(dt), rtol=1e-5 if dt == np.complex64 else 1e-12, atol=1e-5)
        close(t.mean(dim), wide.mean(axis=dim).astype(dt), rtol=1e-5 if dt == np.complex64 else 1e-12, atol=1e-6)
        if dim in (None, 1):
            close(t.prod(dim), wide.prod(axis=dim).astype(dt), rtol=1e-5 if dt == np.complex64 else 1e-12)
    assert ntorch.tensor([1j, 2]).sum(dtype=C128).dtype is C128


def test_scans_and_logical_reductions():
    a = crand(3, 6)
    z = ntorch.from_numpy(a)
    close(z.cumsum(1), a.astype(np.complex128).cumsum(1).astype(np.complex64))
    close(z.t().cumprod(0), a.T.astype(np.complex128).cumprod(0).astype(np.complex64), rtol=5e-5)
    assert z.cumsum(0).dtype is C64
    w = ntorch.tensor([0j, 1j, 1, 0])
    assert ntorch.count_nonzero(w).item() == 2 and bool(w.any()) and not bool(w.all())
    close(w.reshape(2, 2).any(1), np.array([True, True]))


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_products(dt):
    a, b = crand(5, 7, dtype=dt), crand(7, 3, dtype=dt)
    A, B = ntorch.from_numpy(a), ntorch.from_numpy(b)
    rtol = 1e-5 if dt == np.complex64 else 1e-12
    close(A @ B, a @ b, rtol=rtol, atol=1e-5)
    close(ntorch.mm(ntorch.from_numpy(a.T.copy()).t(), B[:, ::1]), a @ b, rtol=rtol, atol=1e-5)
    x, y = crand(4, 5, 6, dtype=dt), crand(4, 6, 2, dtype=dt)
    close(ntorch.bmm(ntorch.from_numpy(x), ntorch.from_numpy(y)), x @ y, rtol=rtol, atol=1e-5)
    close(ntorch.matmul(ntorch.from_numpy(x), B[:6]), x @ b[:6], rtol=rtol, atol=1e-5)
    v, w = crand(7, dtype=dt), crand(7, dtype=dt)
    V, W = ntorch.from_numpy(v), ntorch.from_numpy(w)
    close(ntorch.mv(A, V), a @ v, rtol=rtol, atol=1e-5)
    close(ntorch.dot(V, W), np.asarray(np.dot(v, w)), rtol=rtol, atol=1e-5)
    close(ntorch.vdot(V, W), np.asarray(np.vdot(v, w)), rtol=rtol, atol=1e-5)  # conjugates the first
    close(V @ W, np.asarray(v @ w), rtol=rtol, atol=1e-5)


def test_norms_are_real():
    a = crand(3, 4)
    z = ntorch.from_numpy(a)
    n = z.norm()
    assert n.dtype is ntorch.float32
    close(n, np.asarray(np.linalg.norm(a), np.float32))
    close(ntorch.linalg.vector_norm(z, 1, dim=0), np.abs(a).sum(0), rtol=1e-5)
    close(ntorch.linalg.vector_norm(z.to(C128), float("inf")), np.asarray(np.abs(a.astype(np.complex128)).max()))
    close(z.abs().pow(2), (np.abs(a) ** 2).astype(np.float32), rtol=1e-5)
    for order in ("fro", 1, -1, float("inf")):
        close(ntorch.linalg.matrix_norm(z, order), np.asarray(np.linalg.norm(a, order), np.float32), rtol=1e-5)


def test_indexing_joins_fills():
    a = crand(4, 3)
    z = ntorch.from_numpy(a)
    idx = ntorch.tensor([2, 0])
    close(z.index_select(0, idx), a[[2, 0]])
    close(z[idx], a[[2, 0]])
    close(z.gather(1, ntorch.tensor([[0], [2], [1], [1]])), np.take_along_axis(a, np.array([[0], [2], [1], [1]]), 1))
    mask = ntorch.tensor([[True, False, True]] * 4)
    close(z.masked_fill(mask, 1j), np.where(mask.numpy(), np.complex64(1j), a))
    close(ntorch.cat([z, z.t().t()], 1), np.concatenate([a, a], 1))
    close(ntorch.stack([z[0], z[1]]), a[:2])
    close(z.flip(0), a[::-1])
    w = z.clone()
    w[1] = 5 - 5j
    w[ntorch.tensor([0, 2]), 0] = ntorch.tensor([7j, 8j])
    expected = a.copy()
    expected[1] = 5 - 5j
    expected[[0, 2], 0] = [7j, 8j]
    close(w, expected)
    with pytest.raises(RuntimeError, match="value cannot be converted to type float without overflow"):
        ntorch.zeros(2)[0] = 1j


def test_save_load_round_trip(tmp_path):
    z = ntorch.from_numpy(crand(3, 2))
    ntorch.save({"z": z, "w": z.to(C128).t()}, tmp_path / "c.pt")
    back = ntorch.load(tmp_path / "c.pt")
    assert back["z"].dtype is C64 and back["w"].dtype is C128
    close(back["z"], z.numpy())
    close(back["w"], z.numpy().T.astype(np.complex128))


# -- autograd: torch's convention, z.grad = dL/d(real part) + i dL/d(imaginary part) ---------------------------------

def fd_grad(loss, *values, eps=1e-6):
    """Central differences of a real loss of complex128 (or float64) arrays, perturbing real and imaginary parts
    separately: one array per input, dL/dRe + i dL/dIm."""
    grads = []
    for k, v in enumerate(values):
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            for unit in ((1, 1j) if np.iscomplexobj(v) else (1,)):
                plus = [w.copy() for w in values]
                minus = [w.copy() for w in values]
                plus[k][idx] += eps * unit
                minus[k][idx] -= eps * unit
                g[idx] += (loss(*plus) - loss(*minus)) / (2 * eps) * unit
        grads.append(g)
    return grads


def check_grads(nt_loss, np_loss, *values):
    leaves = [ntorch.tensor(v, dtype=C128 if np.iscomplexobj(v) else ntorch.float64, requires_grad=True)
              for v in values]
    out = nt_loss(*leaves)
    assert out.dtype is ntorch.float64 and out.ndim == 0
    out.backward()
    for leaf, want in zip(leaves, fd_grad(np_loss, *values)):
        got = np.zeros_like(want) if leaf.grad is None else leaf.grad.numpy()
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


Z0, W0 = crand(2, 3, dtype=np.complex128), crand(2, 3, dtype=np.complex128)


def test_abs_squared_grad_is_2z():
    z = ntorch.tensor(Z0, requires_grad=True)
    (z.abs() ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 * Z0, rtol=1e-12)


@pytest.mark.parametrize("name, nt_loss, np_loss", [
    ("add_sub_neg", lambda z, w: ((z + w) * (z - w) * (-w)).real.sum(),
     lambda z, w: ((z + w) * (z - w) * (-w)).real.sum()),
    ("mul", lambda z, w: (z * w).imag.sum() + (z * w).real.sum() * 2,
     lambda z, w: (z * w).imag.sum() + (z * w).real.sum() * 2),
    ("div", lambda z, w: (z / w).abs().sum(), lambda z, w: np.abs(z / w).sum()),
    ("exp", lambda z, w: (z.exp() * w).real.sum(), lambda z, w: (np.exp(z) * w).real.sum()),
    ("conj", lambda z, w: (z.conj() * w).imag.sum(), lambda z, w: (np.conj(z) * w).imag.sum()),
    ("real_imag", lambda z, w: (z.real * w.imag).sum() + ntorch.imag(z).pow(2).sum(),
     lambda z, w: (z.real * w.imag).sum() + (z.imag ** 2).sum()),
    ("abs_angle", lambda z, w: (z.abs() * w.angle()).sum(), lambda z, w: (np.abs(z) * np.angle(w)).sum()),
    ("sgn", lambda z, w: (z.sgn() * w).imag.sum(), lambda z, w: (z / np.abs(z) * w).imag.sum()),
    ("view_as_real", lambda z, w: ntorch.view_as_real(z * w).pow(3).sum(),
     lambda z, w: ((z * w).real ** 3 + (z * w).imag ** 3).sum()),
    ("sum_mean", lambda z, w: (z.sum(0) * w.mean(1, keepdim=True)).abs().sum(),
     lambda z, w: np.abs(z.sum(0) * w.mean(1, keepdims=True)).sum()),
    ("mm", lambda z, w: (z @ w.t()).abs().sum(), lambda z, w: np.abs(z @ w.T).sum()),
    ("matmul_batched", lambda z, w: ntorch.matmul(z.reshape(2, 3, 1), w.reshape(2, 1, 3)).real.sum(),
     lambda z, w: np.matmul(z.reshape(2, 3, 1), w.reshape(2, 1, 3)).real.sum()),
    ("mv_dot_vdot", lambda z, w: ntorch.mv(z, w[0]).abs().sum() + ntorch.dot(z[0], w[1]).real
     + ntorch.vdot(z[1], w[0]).imag, lambda z, w: np.abs(z @ w[0]).sum() + np.dot(z[0], w[1]).real
     + np.vdot(z[1], w[0]).imag),
    ("holomorphic", lambda z, w: (z.sqrt().sin() - w.tanh() + z.log() * w.sigmoid()).abs().sum(),
     lambda z, w: np.abs(np.sin(np.sqrt(z)) - np.tanh(w) + np.log(z) / (1 + np.exp(-w))).sum()),
    ("pow", lambda z, w: ((z ** w) + z ** 3 + 2 ** w + z ** (0.5 - 1j)).abs().sum(),
     lambda z, w: np.abs(z ** w + z ** 3 + 2 ** w + z ** (0.5 - 1j)).sum()),
    ("scalars", lambda z, w: ((z * (2 - 1j) + 1j) / (1 + 1j) - w * 0.5).abs().sum(),
     lambda z, w: np.abs((z * (2 - 1j) + 1j) / (1 + 1j) - w * 0.5).sum()),
])
def test_complex_grads(name, nt_loss, np_loss):
    check_grads(nt_loss, np_loss, Z0, W0)


def test_real_inputs_of_complex_ops_get_real_grads():
    x0, y0 = RNG.standard_normal(3), RNG.standard_normal(3)
    check_grads(lambda x, y: (ntorch.complex(x, y) * (1 + 2j)).abs().sum(),
                lambda x, y: np.abs((x + 1j * y) * (1 + 2j)).sum(), x0, y0)
    check_grads(lambda r, t: (ntorch.polar(r, t) * (2 - 1j)).real.sum(),
                lambda r, t: (r * np.exp(1j * t) * (2 - 1j)).real.sum(), np.abs(x0) + 0.1, y0)
    check_grads(lambda x, y: ((x * 1j).exp() * y.to(C128)).real.sum(),
                lambda x, y: (np.exp(1j * x) * y).real.sum(), x0, y0)
    check_grads(lambda v: ntorch.view_as_complex(v).abs().sum(), lambda v: np.abs(v[..., 0] + 1j * v[..., 1]).sum(),
                RNG.standard_normal((3, 2)))


def test_backward_needs_a_real_scalar_and_unsupported_ops_refuse():
    z = ntorch.tensor(Z0, requires_grad=True)
    assert z.requires_grad and ntorch.zeros(2, dtype=C64, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs"):
        z.sum().backward()
    check_grads(lambda t: ntorch.nn.functional.silu(t).abs().sum(), lambda t: np.abs(t / (1 + np.exp(-t))).sum(), Z0)
    for call in (lambda: z.prod(), lambda: ntorch.nan_to_num(z)):
        with pytest.raises(NotImplementedError, match="derivative for complex tensors is not implemented"):
            call()
    with ntorch.no_grad():
        close(z.prod(0), Z0.prod(0), rtol=1e-12)


def test_cumprod_grad_against_finite_differences():
    """torch's complex cumprod_backward (conj(x), conj(out)); a zero takes the composite path."""
    w = (Z0.real * np.cos(Z0.imag) + 1j * Z0.imag).T  # (3, 2): loss weights, not a leaf
    for x0 in (Z0, np.array([[1 + 1j, 0, 2 - 1j, 0.5j], [0, 1 - 2j, 3, 1j]])):
        ww = np.resize(w, x0.shape)
        check_grads(lambda t, ww=ww: (t.cumprod(1) * ntorch.tensor(ww)).abs().sum(),
                    lambda t, ww=ww: np.abs(np.cumprod(t, 1) * ww).sum(), x0)
        check_grads(lambda t: t.cumprod(0).real.sum(), lambda t: np.cumprod(t, 0).real.sum(), x0)


def test_composite_grads():
    x0 = crand(2, 3, dtype=np.complex128)
    check_grads(lambda x: ntorch.outer(x[0], x[1]).abs().sum(), lambda x: np.abs(np.outer(x[0], x[1])).sum(), x0)
    check_grads(lambda x: ntorch.einsum("ij,kj->ik", x, x).abs().sum(),
                lambda x: np.abs(np.einsum("ij,kj->ik", x, x)).sum(), x0)
    check_grads(lambda x: ntorch.nn.functional.pad(x, (1, 1)).abs().sum() + (ntorch.trace(x[:, :2]) * 1j).real,
                lambda x: np.abs(x).sum() + (np.trace(x[:, :2]) * 1j).real, x0)
    w = ntorch.from_numpy(crand(4, 3))
    check_grads(lambda x: ntorch.nn.functional.linear(x, w.to(C128), w[0, :1].to(C128)).abs().sum(),
                lambda x: np.abs(x @ w.numpy().T + w.numpy()[0, :1]).sum(), x0)
    # (complex convolutions, unfold and fold: tests/test_complex_conv.py)


IDX = np.array([2, 0, 2])


def _setitem_loss(z):
    w = z * 1
    w[0] = w[1] * 2j
    return w.abs().sum()


def _setitem_np(z):
    w = z.copy()
    w[0] = w[1] * 2j
    return np.abs(w).sum()


@pytest.mark.parametrize("name, nt_loss, np_loss", [
    ("advanced_index", lambda z: z[ntorch.tensor(IDX)].abs().sum(), lambda z: np.abs(z[IDX]).sum()),
    ("mask", lambda z: z[ntorch.tensor([[True, False], [False, True], [True, True]])].abs().sum(),
     lambda z: np.abs(z[np.array([[True, False], [False, True], [True, True]])]).sum()),
    ("index_select", lambda z: z.index_select(0, ntorch.tensor(IDX)).abs().sum(), lambda z: np.abs(z[IDX]).sum()),
    ("embedding", lambda z: ntorch.nn.functional.embedding(ntorch.tensor(IDX), z).abs().sum(),
     lambda z: np.abs(z[IDX]).sum()),
    ("masked_fill_where", lambda z: (z.masked_fill(ntorch.tensor([[True, False]]), 1j)
                                     + ntorch.where(ntorch.tensor([True, False]), z, 2.0)).abs().sum(),
     lambda z: np.abs(np.where([[True, False]], 1j, z) + np.where([True, False], z, 2.0)).sum()),
    ("joins_views", lambda z: (ntorch.cat([z, z.flip(0)], 1).roll(1, 0).t().reshape(-1)[1:7] * ntorch.stack(
        [z[0], z[1], z[2]]).reshape(-1)).abs().sum(),
     lambda z: np.abs(np.roll(np.concatenate([z, z[::-1]], 1), 1, 0).T.reshape(-1)[1:7] * z.reshape(-1)).sum()),
    ("cumsum_trace_diag", lambda z: z.cumsum(0).abs().sum() + (z.trace() * 1j).real + ntorch.diag(z[0]).abs().sum(),
     lambda z: np.abs(z.cumsum(0)).sum() + (np.trace(z) * 1j).real + np.abs(z[0]).sum()),
    ("setitem", _setitem_loss, _setitem_np),
    ("gather_take", lambda z: z.gather(0, ntorch.tensor([[2, 0], [2, 1]])).abs().sum() + z.take(ntorch.tensor(
        [0, 5, 5])).abs().sum(), lambda z: np.abs(np.take_along_axis(z, np.array([[2, 0], [2, 1]]), 0)).sum()
     + np.abs(z.reshape(-1)[[0, 5, 5]]).sum()),
    ("index_add_scatter_add_put", lambda z: (ntorch.zeros(3, 2, dtype=C128).index_add(0, ntorch.tensor([1, 1, 0]), z,
                                                                                        alpha=1 - 2j)
                                             + ntorch.zeros(3, 2, dtype=C128).scatter_add(0, ntorch.tensor(
                                                 [[2, 2]]), z[1:2] * 1j)).abs().sum()
     + ntorch.zeros(4, dtype=C128).put(ntorch.tensor([3, 3]), z[0], accumulate=True).abs().sum(),
     lambda z: np.abs(np.stack([z[2], z[0] + z[1], np.zeros(2)]) * (1 - 2j)
                      + np.stack([np.zeros(2), np.zeros(2), z[1] * 1j])).sum() + np.abs(z[0].sum())),
    ("masked_select", lambda z: z.masked_select(ntorch.tensor([True, False])).abs().sum(),
     lambda z: np.abs(z[:, 0]).sum()),
])
def test_view_index_join_grads(name, nt_loss, np_loss):
    check_grads(nt_loss, np_loss, crand(3, 2, dtype=np.complex128))


def test_index_accumulation_of_complex():
    z = ntorch.tensor([[1 + 1j, 2], [3j, 4 - 1j]])
    close(ntorch.zeros(3, 2, dtype=C64).index_add(0, ntorch.tensor([0, 0]), z, alpha=1j),
          np.array([[-4 + 1j, 1 + 6j], [0, 0], [0, 0]], np.complex64))
    w = ntorch.zeros(2, 2, dtype=C128)
    w.index_put_((ntorch.tensor([0, 0]),), z.to(C128), accumulate=True)
    close(w, np.array([[1 + 4j, 6 - 1j], [0, 0]]))
    i = ntorch.tensor([[1, 0], [1, 0]])
    close(ntorch.zeros(2, 2, dtype=C64).scatter_add(0, i, z), np.array([[0, 6 - 1j], [1 + 4j, 0]], np.complex64))
    close(ntorch.ones(2, 2, dtype=C64).scatter_reduce(0, i, z, "mean", include_self=False),
          np.array([[1, 3 - 0.5j], [0.5 + 2j, 1]], np.complex64))
    close(ntorch.zeros(4, dtype=C64).put_(ntorch.tensor([0, 0, 3]), ntorch.tensor([1j, 2, 3 + 3j]), accumulate=True),
          np.array([2 + 1j, 0, 0, 3 + 3j], np.complex64))
    with pytest.raises(NotImplementedError, match="scatter reductions other than sum/mean of complex tensors"):
        ntorch.ones(2, 2, dtype=C64).scatter_reduce(0, i, z, "prod")


def test_var_std_and_python_conversions():
    a = crand(3, 4)
    z = ntorch.from_numpy(a)
    wide = a.astype(np.complex128)
    close(z.var(), np.asarray(np.var(wide, ddof=1), np.float32), rtol=1e-5)
    close(z.std(1), np.std(wide, axis=1, ddof=1).astype(np.float32), rtol=1e-5)
    v, m = ntorch.var_mean(z, 0, correction=0)
    close(v, np.var(wide, axis=0).astype(np.float32), rtol=1e-5)
    close(m, wide.mean(0).astype(np.complex64), rtol=1e-5)
    check_grads(lambda t: t.var(0).sum(), lambda t: np.var(t, axis=0, ddof=1).sum(), Z0)
    assert float(ntorch.tensor(1 + 0j)) == 1.0 and int(ntorch.tensor(2 + 0j)) == 2
    assert complex(ntorch.tensor(1 - 1j)) == 1 - 1j and complex(ntorch.tensor(2.5)) == 2.5
    with pytest.raises(RuntimeError, match="value cannot be converted to type double without overflow"):
        float(ntorch.tensor(1 + 1j))
    with pytest.raises(RuntimeError, match="value cannot be converted to type int64_t without overflow"):
        int(ntorch.tensor(1 + 1j))
    assert bool(ntorch.tensor(1j))


def test_make_tensor_zero_d_and_empty():
    t = ntorch.testing.make_tensor((2, 3), dtype=C64, device="cpu", low=-1, high=1, noncontiguous=True,
                                   requires_grad=True)
    assert t.dtype is C64 and t.requires_grad and not t.is_contiguous()
    parts = ntorch.view_as_real(t.detach()).numpy()
    assert parts.min() >= -1 and parts.max() < 1
    z = ntorch.tensor(1 + 2j)
    close(z.exp(), np.exp(np.complex64(1 + 2j)))
    assert z.abs().ndim == 0 and (ntorch.ones(3) + ntorch.tensor(2j, dtype=C128)).dtype is C64
    e = ntorch.zeros(0, 3, dtype=C64)
    assert e.exp().shape == (0, 3) and e.sum().item() == 0
    close(e.prod(0), np.ones(3, np.complex64))
    close(ntorch.zeros(2, 0, dtype=C64) @ ntorch.zeros(0, 3, dtype=C64), np.zeros((2, 3), np.complex64))


def test_nan_to_num_sinc_and_nansum():
    z = ntorch.tensor([complex(np.nan, 1), complex(np.inf, -np.inf), 1j])
    big = np.finfo(np.float32).max
    close(ntorch.nan_to_num(z), np.array([1j, complex(big, -big), 1j], np.complex64))
    close(ntorch.nan_to_num(z, nan=2.0, posinf=5.0), np.array([2 + 1j, complex(5, -big), 1j], np.complex64))
    close(ntorch.sinc(ntorch.tensor([0j, 0.5 + 0.5j])), np.sinc(np.array([0j, 0.5 + 0.5j])).astype(np.complex64))
    check_grads(lambda t: ntorch.sinc(t).abs().sum(), lambda t: np.abs(np.sinc(t)).sum(), Z0)
    for fn in (ntorch.nansum, ntorch.nanmean):
        with pytest.raises(RuntimeError, match="nansum on CPU does not support complex inputs"):
            fn(z)


def test_logsumexp_and_ordering_ops_refuse():
    a = crand(3, 4) * 30
    wide = a.astype(np.complex128)
    m = wide.real.max(1, keepdims=True)
    want = (np.log(np.exp(wide - m).sum(1, keepdims=True)) + m)
    close(ntorch.from_numpy(a).logsumexp(1), want[:, 0].astype(np.complex64), rtol=1e-5)
    close(ntorch.from_numpy(a).logsumexp((0, 1), keepdim=True).reshape(-1),
          (np.log(np.exp(wide - wide.real.max()).sum()) + wide.real.max()).reshape(1).astype(np.complex64), rtol=1e-5)
    check_grads(lambda t: t.logsumexp(0).abs().sum(), lambda t: np.abs(np.log(np.exp(t).sum(0))).sum(), Z0)
    z = ntorch.tensor([1 + 2j, 3 - 1j])
    with pytest.raises(RuntimeError, match="not implemented for 'ComplexFloat'"):
        z.cummax(0)  # (the other ordering ops' texts: test_complex_conformance.py)


def test_forward_ad_refuses_complex():
    """(complex gradcheck: tests/test_complex_more.py)"""
    z = ntorch.tensor(Z0, requires_grad=True)
    import ntorch.autograd.forward_ad as fwAD

    with fwAD.dual_level(), pytest.raises(NotImplementedError, match="complex tensors are not supported"):
        fwAD.make_dual(z.detach(), z.detach())
    assert np.allclose(ntorch.autograd.grad((z.abs() ** 2).sum(), z)[0].numpy(), 2 * Z0)


def test_optimizers_with_complex_parameters():
    """torch's values for SGD and Adam on a complex parameter (every optimizer: tests/test_optim_complex.py)."""
    z = ntorch.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    opt = ntorch.optim.SGD([z], lr=0.1, momentum=0.5, weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad()
        (z.abs() ** 2).sum().backward()
        opt.step()
    # torch 2.13: tensor([0.5191+1.0382j, 1.5573-0.5191j])
    close(z.detach(), np.array([0.5191 + 1.0382j, 1.5573 - 0.5191j], np.complex64), rtol=1e-4)
    z = ntorch.tensor([1 + 2j, 3 - 1j], requires_grad=True)
    opt = ntorch.optim.Adam([z], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (z.abs() ** 2).sum().backward()
        opt.step()
    # torch 2.13: tensor([0.7016+1.7006j, 2.7004-0.7016j])
    close(z.detach(), np.array([0.7016 + 1.7006j, 2.7004 - 0.7016j], np.complex64), rtol=1e-4)


def test_gradient_random_and_special_functions():
    z = ntorch.tensor([1 + 2j, 3 - 1j, 2j, 5])
    close(ntorch.gradient(z)[0], np.gradient(z.numpy()))
    assert ntorch.rand_like(z).dtype is C64 and ntorch.randn_like(z.to(C128)).dtype is C128
    for call in (lambda: ntorch.randint_like(z, 3), lambda: z.clone().random_(3)):
        with pytest.raises(RuntimeError, match="check_random_bounds handles only integral, floating-point and boolean"):
            call()
    for call, message in ((lambda: ntorch.polygamma(1, z), "\"polygamma\" not implemented for 'ComplexFloat'"),
                          (lambda: ntorch.special.erfcx(z), "special functions of ComplexFloat tensors")):
        with pytest.raises(NotImplementedError, match=message):
            call()


def test_float_power_complex():
    close(ntorch.float_power(ntorch.tensor([1 + 1j, 2]), 2), np.array([2j, 4 + 0j]))
    close(ntorch.float_power(ntorch.tensor([1.0, 2.0]), 1j), np.array([1.0, 2.0]) ** 1j)
    with pytest.raises(RuntimeError, match="has dtype Double but the operation's result requires dtype ComplexDouble"):
        ntorch.float_power(ntorch.tensor([1j]), 2, out=ntorch.zeros(1, dtype=ntorch.float64))


@pytest.mark.parametrize("call, message", [
    (lambda z: ntorch.nn.functional.batch_norm(z, None, None, training=True), "\"batch_norm\" not implemented"),
    (lambda z: ntorch.nn.functional.instance_norm(z.unsqueeze(0)), "\"batch_norm\" not implemented"),
    (lambda z: ntorch.nn.functional.group_norm(z.unsqueeze(0), 1), "\"GroupNormKernelImpl\" not implemented"),
    (lambda z: ntorch.nn.functional.layer_norm(z, (2,)), "\"LayerNormKernelImpl\" not implemented"),
    (lambda z: ntorch.special.zeta(z, 2.0), "\"zeta\" not implemented for 'ComplexFloat'"),
])
def test_real_only_functions_refuse_complex(call, message):
    with pytest.raises(NotImplementedError, match=message):
        call(ntorch.tensor([[1 + 2j, 3 - 1j], [1j, 2]]))


def test_strided_views_of_a_complex_part():
    """as_strided / unfold on .real or .imag count the storage in the part's elements (two per complex one)."""
    a = (np.arange(6) + 1j * np.arange(6, 12)).astype(np.complex64)
    z = ntorch.tensor(a)
    np.testing.assert_array_equal(z.real.unfold(0, 2, 2).numpy(), a.real.reshape(3, 2))
    np.testing.assert_array_equal(z.imag.unfold(0, 3, 3).numpy(), a.imag.reshape(2, 3))
    # the real part's storage view: real and imaginary parts interleaved
    np.testing.assert_array_equal(z.real.as_strided((4,), (1,)).numpy(), [0, 6, 1, 7])
    with pytest.raises(RuntimeError, match="out of bounds for storage"):
        z.real.as_strided((13,), (1,))


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_division_by_zero_gives_complex_inf_or_nan_as_torch(dt):
    """torch (and NumPy) divide complex numbers by the scaled formula: x / 0j is inf or nan, never an error
    (Numba's own complex division raises ZeroDivisionError)."""
    x = np.array([0j, 1 + 1j, 2 - 3j, complex(np.nan, 1), -4 + 0j], dt)
    z = np.array([0j, 0j, 1e-30 + 0j, 1j, -0.0 + 0j], dt)
    tx, tz = ntorch.tensor(x), ntorch.tensor(z)
    with np.errstate(all="ignore"):
        want_div, want_rec = x / z, np.ones_like(x) / x
        want_addc = x + dt(2 - 1j) * x / z
        want_rsqrt = np.ones_like(x) / np.sqrt(x)
    for got, want in [(tx / tz, want_div), (ntorch.div(tx, tz), want_div), (tx.reciprocal(), want_rec),
                      (tx ** -1, want_rec), (ntorch.addcdiv(tx, tx, tz, value=2 - 1j), want_addc),
                      (tx.rsqrt(), want_rsqrt), (tx ** -0.5, want_rsqrt)]:
        assert got.dtype == ntorch.tensor(x).dtype
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, equal_nan=True)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose((tx ** -2).numpy(), np.ones_like(x) / (x * x), rtol=1e-6, equal_nan=True)
        np.testing.assert_allclose((tx ** 3).numpy(), x * x * x, rtol=1e-6, equal_nan=True)


def test_cov_corrcoef_dist_of_complex_input():
    """torch: cov is x x^H / (n - 1) of the centred rows, corrcoef clips both parts to [-1, 1], dist is real."""
    rng = np.random.default_rng(5)
    a = (rng.standard_normal((3, 6)) + 1j * rng.standard_normal((3, 6))).astype(np.complex128)
    z = ntorch.tensor(a)
    np.testing.assert_allclose(ntorch.cov(z).numpy(), np.cov(a), rtol=1e-12)
    want = np.corrcoef(a)
    want = np.clip(want.real, -1, 1) + 1j * np.clip(want.imag, -1, 1)
    np.testing.assert_allclose(ntorch.corrcoef(z).numpy(), want, rtol=1e-12, atol=1e-15)
    b = a[::-1].copy()
    d = ntorch.dist(z, ntorch.tensor(b))
    assert d.dtype is ntorch.float64
    np.testing.assert_allclose(d.item(), np.sqrt((np.abs(a - b) ** 2).sum()), rtol=1e-12)
    with pytest.raises(RuntimeError, match="isposinf does not support complex inputs."):
        ntorch.isposinf(z)
    with pytest.raises(RuntimeError, match="isneginf does not support complex inputs."):
        ntorch.isneginf(z)
