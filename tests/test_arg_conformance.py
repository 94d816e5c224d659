"""Argument conformance found by tools/arg_fuzz.py: torch 2.13's argument rules (dims given as tensors, the
deprecated add/sub overloads, random_(from, None), dtype refusals), values checked against NumPy."""

import warnings

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F

X = np.arange(24.0).reshape(2, 3, 4) - 7.5


def t(a=X):
    return ntorch.tensor(a)


D1 = ntorch.tensor(1)  # a 0-d integer tensor: torch reads it as the int 1 wherever a dim is taken


# (op on an ntorch tensor with dim D1, the NumPy result along axis 1)
DIM_OPS = {
    "sum": (lambda x: x.sum(D1), lambda a: a.sum(1)),
    "sum_keepdim": (lambda x: ntorch.sum(x, dim=D1, keepdim=True), lambda a: a.sum(1, keepdims=True)),
    "mean": (lambda x: ntorch.mean(x, D1), lambda a: a.mean(1)),
    "nansum": (lambda x: ntorch.nansum(x, D1), lambda a: np.nansum(a, 1)),
    "nanmean": (lambda x: ntorch.nanmean(x, D1), lambda a: np.nanmean(a, 1)),
    "var": (lambda x: ntorch.var(x, D1), lambda a: a.var(1, ddof=1)),
    "std": (lambda x: x.std(D1), lambda a: a.std(1, ddof=1)),
    "logsumexp": (lambda x: ntorch.logsumexp(x, D1), lambda a: np.log(np.exp(a).sum(1))),
    "amax": (lambda x: ntorch.amax(x, D1), lambda a: a.max(1)),
    "prod": (lambda x: ntorch.prod(x, D1), lambda a: a.prod(1)),
    "argmax": (lambda x: ntorch.argmax(x, D1), lambda a: a.argmax(1)),
    "cumsum": (lambda x: ntorch.cumsum(x, D1), lambda a: a.cumsum(1)),
    "softmax": (lambda x: ntorch.softmax(x, D1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    "F.log_softmax": (lambda x: F.log_softmax(x, dim=D1), lambda a: a - np.log(np.exp(a).sum(1, keepdims=True))),
    "sort": (lambda x: ntorch.sort(x, D1)[0], lambda a: np.sort(a, 1)),
    "median": (lambda x: ntorch.median(x, D1)[0], lambda a: np.sort(a, 1)[:, 1]),
    "norm": (lambda x: ntorch.norm(x, 2, D1), lambda a: np.sqrt((a * a).sum(1))),
    "linalg.norm": (lambda x: ntorch.linalg.norm(x, 2, D1), lambda a: np.sqrt((a * a).sum(1))),
    "all": (lambda x: ntorch.all(x, D1), lambda a: a.all(1)),
    "count_nonzero": (lambda x: ntorch.count_nonzero(x, D1), lambda a: (a != 0).sum(1)),
    "cat": (lambda x: ntorch.cat([x, x], D1), lambda a: np.concatenate([a, a], 1)),
    "movedim": (lambda x: ntorch.movedim(x, D1, 0), lambda a: np.moveaxis(a, 1, 0)),
    "flatten": (lambda x: x.flatten(D1), lambda a: a.reshape(2, 12)),
    "unsqueeze": (lambda x: x.unsqueeze(D1), lambda a: a[:, None]),
}


@pytest.mark.parametrize("name", list(DIM_OPS))
def test_dim_as_0d_int_tensor(name):
    fn, ref = DIM_OPS[name]
    got = fn(t()).numpy()
    np.testing.assert_allclose(got, ref(X), rtol=1e-6, atol=1e-9)


def test_dim_list_of_tensors():
    # torch's int-list arguments take integer / bool tensors of one element, alone or as items
    np.testing.assert_allclose(t().sum(ntorch.tensor([1])).numpy(), X.sum(1))
    np.testing.assert_allclose(t().sum(ntorch.tensor([[2]])).numpy(), X.sum(2))
    np.testing.assert_allclose(t().sum([ntorch.tensor([1]), 0]).numpy(), X.sum((0, 1)))
    np.testing.assert_allclose(ntorch.var(t(), (ntorch.tensor(0), 2)).numpy(), X.var((0, 2), ddof=1))


@pytest.mark.parametrize("call, message", [
    (lambda: t().softmax(ntorch.tensor(1.0)), "softmax(): argument 'dim' must be int, not Tensor"),
    (lambda: t().softmax(ntorch.tensor(True)), "softmax(): argument 'dim' must be int, not Tensor"),
    (lambda: t().softmax(ntorch.tensor([1])), "softmax(): argument 'dim' must be int, not Tensor"),
    (lambda: t().cumsum(ntorch.tensor([1, 2])), "cumsum(): argument 'dim' must be int, not Tensor"),
    (lambda: t().sum(ntorch.tensor([0, 1])), "sum(): argument 'dim' must be tuple of ints, not Tensor"),
    (lambda: ntorch.nansum(t(), ntorch.tensor(0.5)), "argument 'dim' must be tuple of ints, not Tensor"),
    (lambda: ntorch.logsumexp(t(), ntorch.tensor([0, 1])), "argument 'dim' must be tuple of ints, not Tensor"),
    (lambda: ntorch.var(t(), ntorch.tensor([0, 1])), "argument 'dim' must be tuple of ints, not Tensor"),
    (lambda: ntorch.nansum(t(), (0.5,)), "must be tuple of ints, but found element of type float at pos 0"),
])
def test_dim_tensor_refusals(call, message):
    # torch: TypeError for a float / bool / many-element tensor where an int is wanted (no internal error)
    with pytest.raises(TypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_eye_and_window_take_0d_int_tensors():
    np.testing.assert_array_equal(ntorch.eye(ntorch.tensor(3)).numpy(), np.eye(3, dtype=np.float32))
    n = 5
    k = np.arange(n)
    np.testing.assert_allclose(ntorch.hann_window(ntorch.tensor(n, dtype=ntorch.uint8)).numpy(),
                               0.5 - 0.5 * np.cos(2 * np.pi * k / n), atol=1e-6)
    with pytest.raises(TypeError, match="window_length"):
        ntorch.hann_window(ntorch.tensor(3.0))


def test_add_sub_deprecated_overloads():
    a, b = np.array([1.0, 2.0, -3.0]), np.array([0.5, 4.0, 2.0])
    x, y = ntorch.tensor(a), ntorch.tensor(b)
    with pytest.warns(UserWarning, match="This overload of add is deprecated"):
        np.testing.assert_allclose(ntorch.add(x, 2, y).numpy(), a + 2 * b)
    with pytest.warns(UserWarning, match="This overload of sub is deprecated"):
        np.testing.assert_allclose(ntorch.sub(x, 3, y).numpy(), a - 3 * b)
    with pytest.warns(UserWarning, match="deprecated"):
        np.testing.assert_allclose(x.add(2, y).numpy(), a + 2 * b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sub(input, Number other, Number alpha) is a current overload
        np.testing.assert_allclose(ntorch.sub(x, 2, 3).numpy(), a - 6)
        np.testing.assert_allclose(x.sub(2, 3).numpy(), a - 6)
    z = x.clone()
    with pytest.warns(UserWarning, match="deprecated"):
        z.add_(3, y)
    np.testing.assert_allclose(z.numpy(), a + 3 * b)
    with pytest.raises(TypeError):
        ntorch.add(x, y, y)  # alpha must be a Number
    with pytest.raises(TypeError):
        ntorch.add(x, 2, y, alpha=3)
    with pytest.raises(TypeError):
        x.mul_(2, y)


@pytest.mark.parametrize("dtype, start, hi", [
    ("uint8", 250, 255), ("int8", -5, 127), ("int16", 30000, 32767), ("bool", 1, 1), ("float16", 2040, 2048),
    ("float32", 5, 2**24),
])
def test_random_from_none_covers_from_to_dtype_max(dtype, start, hi):
    # torch: random_(from, None) draws from [from, max] (max: 2**mantissa for floats), not [0, from)
    ntorch.manual_seed(0)
    v = ntorch.empty(4000, dtype=getattr(ntorch, dtype)).random_(start, None).numpy().astype(np.float64)
    assert v.min() >= start and v.max() <= hi
    if hi - start < 100:  # every value of a small range is drawn
        assert set(np.unique(v)) == set(range(start, hi + 1))
    else:
        assert v.max() - v.min() > (hi - start) / 2


def test_random_bounds_errors():
    with pytest.raises(RuntimeError, match="from is out of bounds for unsigned char"):
        ntorch.empty(3, dtype=ntorch.uint8).random_(300, None)
    with pytest.raises(RuntimeError, match=r"but got from=5000 > to_inc=2048"):
        ntorch.empty(3, dtype=ntorch.float16).random_(5000, None)
    with pytest.raises(RuntimeError, match="from=0 >= to=0"):
        ntorch.empty(3).random_(0)  # random_(to=0), not random_()


def test_random_int64_full_range_is_random64():
    # random_(int64 min, None) is torch's full 64-bit range: random64() as an int64 (both signs drawn)
    ntorch.manual_seed(0)
    v = ntorch.empty(64, dtype=ntorch.int64).random_(-2**63, None).numpy()
    assert (v < 0).any() and (v > 0).any()
    ntorch.manual_seed(0)
    u = ntorch.empty(64, dtype=ntorch.int64).random_(0, 2**62).numpy()
    np.testing.assert_array_equal(u, v.view(np.uint64) % np.uint64(2**62))  # both draw random64()


@pytest.mark.parametrize("a, b, message", [
    ("int64", "int32", "kl_div: Integral inputs not supported."),
    ("float32", "int32", "kl_div: Integral inputs not supported."),
    ("bool", "float32", "kl_div: Integral inputs not supported."),
    ("complex64", "float32", "kl_div: Complex inputs not supported."),
    ("float32", "complex64", "kl_div: Complex inputs not supported."),
])
def test_kl_div_dtype_refusals(a, b, message):
    x, y = ntorch.ones(3, dtype=getattr(ntorch, a)), ntorch.ones(3, dtype=getattr(ntorch, b))
    with pytest.raises(RuntimeError, match=message):
        F.kl_div(x, y, reduction="sum")


def test_kl_div_float_still_works():
    inp, tgt = np.log(np.array([0.2, 0.3, 0.5])), np.array([0.1, 0.6, 0.3])
    got = F.kl_div(ntorch.tensor(inp), ntorch.tensor(tgt), reduction="sum").item()
    assert got == pytest.approx(float((tgt * (np.log(tgt) - inp)).sum()))


def test_searchsorted_histogram_dtype_refusals():
    with pytest.raises(NotImplementedError, match="\"searchsorted_out_cpu\" not implemented for 'ComplexFloat'"):
        ntorch.bucketize(ntorch.ones(3, dtype=ntorch.complex64), ntorch.tensor([0.0, 2.0]))
    with pytest.raises(NotImplementedError, match="'ComplexFloat'"):
        ntorch.searchsorted(ntorch.tensor([0.0, 2.0], dtype=ntorch.complex64), ntorch.ones(2))
    for dt, name in ((ntorch.float16, "Half"), (ntorch.bfloat16, "BFloat16")):
        with pytest.raises(NotImplementedError, match=f"\"histogramdd\" not implemented for '{name}'"):
            ntorch.histogram(ntorch.ones(3, dtype=dt))
    # float16 stays fine for searchsorted and histc, as torch
    np.testing.assert_array_equal(ntorch.searchsorted(ntorch.tensor([0.0, 2.0], dtype=ntorch.float16),
                                                      ntorch.ones(2, dtype=ntorch.float16)).numpy(), [1, 1])


def test_broadcast_shapes_argument_types():
    with pytest.raises(RuntimeError, match="Input shapes should be of type ints, a tuple of ints, or a list of ints"):
        ntorch.broadcast_shapes(ntorch.ones(3))
    with pytest.raises(RuntimeError, match="got 2.0"):
        ntorch.broadcast_shapes(2.0)
    with pytest.raises(TypeError, match=r"item 0 is 'float'"):
        ntorch.broadcast_shapes((2.0,))
    assert tuple(ntorch.broadcast_shapes(2, [3, 1], (1,))) == np.broadcast_shapes((2,), (3, 1), (1,))


def test_integer_division_by_zero_of_empty_tensor():
    # nothing is divided: torch returns the empty result
    e = ntorch.ones(2, 0, dtype=ntorch.uint8)
    assert ntorch.floor_divide(e, 0).shape == (2, 0)
    assert ntorch.remainder(ntorch.ones(0, dtype=ntorch.int64), 0).dtype is ntorch.int64
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        ntorch.floor_divide(ntorch.ones(2, dtype=ntorch.uint8), 0)


def test_ldexp_of_complex():
    # torch.ldexp is input * 2**other, complex operands included (its real kernel is not used for them)
    a = np.array([1 + 2j, -0.5j, 3], np.complex64)
    e = np.array([1, -2, 3], np.int8)
    got = ntorch.ldexp(ntorch.tensor(a), ntorch.tensor(e))
    assert got.dtype is ntorch.complex64
    np.testing.assert_allclose(got.numpy(), a * 2.0 ** e.astype(np.float64), rtol=1e-6)
    got = ntorch.ldexp(ntorch.tensor([1.0, 2.0]), ntorch.tensor(np.array([1j, 2], np.complex64)))
    np.testing.assert_allclose(got.numpy(), np.array([1.0, 2.0]) * 2.0 ** np.array([1j, 2]), rtol=1e-6)


def test_pdist_p_as_0d_tensor():
    x = np.array([[0.0, 1, 2], [3, 5, 1], [1, 1, 1]])
    got = F.pdist(ntorch.tensor(x), ntorch.tensor(2)).numpy()
    want = [np.linalg.norm(x[i] - x[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    np.testing.assert_allclose(got, want)


def test_inplace_scan_dtype_must_match():
    y = ntorch.tensor(np.array([1, 2, 3], np.int32))
    with pytest.raises(RuntimeError, match="Bad in-place call: input tensor dtype int and output tensor dtype long "
                                           "int should match"):
        y.cumsum_(0, dtype=ntorch.int64)
    with pytest.raises(RuntimeError, match="input tensor dtype float and output tensor dtype double"):
        ntorch.ones(3).cumprod_(0, dtype=ntorch.float64)
    np.testing.assert_array_equal(y.cumsum_(0, dtype=ntorch.int32).numpy(), [1, 3, 6])


def test_integer_pow_inplace_negative_exponent():
    y = ntorch.tensor(np.array([1, 2, 3], np.int32))
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        y.pow_(-2)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        y **= -2
    np.testing.assert_array_equal(y.pow_(2).numpy(), [1, 4, 9])


def test_flatten_0d_dims():
    x = ntorch.tensor(3.0)
    assert x.flatten(-1).shape == (1,) and x.flatten(0, 0).shape == (1,)
    with pytest.raises(IndexError, match=r"expected to be in range of \[-1, 0\], but got 1"):
        x.flatten(1)
    with pytest.raises(IndexError, match="but got -2"):
        x.flatten(0, -2)


def test_clamp_bool_by_one_bool_tensor_bound():
    # torch's clamp_min / clamp_max of bool tensors are its maximum / minimum kernels: or / and
    a = np.array([True, False, True, False])
    lo = np.array([False, False, True, True])
    x, b = ntorch.tensor(a), ntorch.tensor(lo)
    np.testing.assert_array_equal(ntorch.clip(x, b).numpy(), a | lo)
    np.testing.assert_array_equal(ntorch.clamp_max(x, b).numpy(), a & lo)
    assert ntorch.clamp(x, max=b).dtype is ntorch.bool
    with pytest.raises(NotImplementedError):
        ntorch.clamp(x, b, b)  # torch's clamp_cpu has no bool kernel


def test_norm_except_dim_of_1d_and_broadcast_shapes_none():
    a = np.array([1.5, -2.0, 3.0])
    np.testing.assert_allclose(ntorch.norm_except_dim(ntorch.tensor(a)).numpy(), np.abs(a))  # each element alone
    b = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ntorch.norm_except_dim(ntorch.tensor(b)).numpy(),
                               np.sqrt((b * b).sum(1, keepdims=True)))
    assert tuple(ntorch.broadcast_shapes(None)) == () and tuple(ntorch.broadcast_shapes(None, (2,))) == (2,)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "float16"])
def test_trapezoid_of_empty_keeps_dtype(dtype):
    # torch's zeros_like_except(y, dim): y's dtype, the dim removed; the cumulative form is (dx / 2) * (..): float
    y = ntorch.ones(2, 0, dtype=getattr(ntorch, dtype))
    r = ntorch.trapezoid(y)
    assert r.dtype is y.dtype and r.shape == (2,) and not r.numpy().any()
    c = ntorch.cumulative_trapezoid(y)
    assert c.shape == (2, 0) and c.dtype is (y.dtype if dtype == "float16" else ntorch.float32)


def test_einsum_sublist_form():
    # torch.einsum(op0, sublist0, op1, sublist1, ..., [output sublist]): ints 0-51 are a-z, A-Z
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(3, 4)
    A, B = ntorch.tensor(a), ntorch.tensor(b)
    np.testing.assert_allclose(ntorch.einsum(A, [0, 1], B, [1, 2], [0, 2]).numpy(), a @ b)
    np.testing.assert_allclose(ntorch.einsum(A, [1, 0]).numpy(), a.T)  # implicit output: sorted subscripts
    np.testing.assert_allclose(ntorch.einsum(A, [Ellipsis, 1], [Ellipsis]).numpy(), a.sum(1))
    with pytest.raises(ValueError, match=r"valid range \[0, 52\)"):
        ntorch.einsum(A, [0, 60])


def test_fill_complex_with_negative_int_and_where_uint8_condition():
    a = ntorch.tensor(np.array([1 + 2j, -1j], np.complex64))
    np.testing.assert_array_equal(ntorch.fill_(a, -5).numpy(), [-5 + 0j, -5 + 0j])
    np.testing.assert_array_equal(ntorch.ones(2, dtype=ntorch.uint8).fill_(-1).numpy(), [255, 255])
    c = np.array([1, 0, 2], np.uint8)
    with pytest.warns(UserWarning, match="where received a uint8 condition tensor"):
        got = ntorch.where(ntorch.tensor(c), ntorch.tensor([1, 2, 3]), 3)
    np.testing.assert_array_equal(got.numpy(), np.where(c != 0, [1, 2, 3], 3))
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        ntorch.where(ntorch.ones(2), ntorch.ones(2), ntorch.ones(2))


def test_trapezoid_x_with_fewer_dims_and_scalar_tensor_of_tensor():
    # torch views an x of fewer dims than y with leading 1s
    y = np.arange(6.0).reshape(2, 1, 3)
    x = np.array([[0, 1, 3]])
    want = ((y[..., 1:] + y[..., :-1]) / 2 * np.diff(x[0])).sum(-1)
    np.testing.assert_allclose(ntorch.trapz(ntorch.tensor(y), ntorch.tensor(x)).numpy(), want)
    assert ntorch.scalar_tensor(ntorch.tensor(3, dtype=ntorch.uint8)).item() == 3.0
    assert ntorch.scalar_tensor(ntorch.tensor(3)).dtype is ntorch.float32
    with pytest.raises(TypeError, match="must be Number, not Tensor"):
        ntorch.scalar_tensor(ntorch.tensor([3]))
    assert ntorch.histogram(ntorch.ones(2, 0, dtype=ntorch.float16))[0].shape == (100,)  # empty: no kernel runs


def test_adjoint_of_0d_tensor():
    with pytest.warns(UserWarning, match="adjoint\\(\\) is deprecated on 0-D tensors"):
        assert ntorch.tensor(1 + 2j).adjoint().item() == 1 - 2j
    with pytest.warns(UserWarning):
        assert ntorch.tensor(1.5).adjoint().item() == 1.5
    with pytest.raises(RuntimeError, match="Got 1-D tensor"):
        ntorch.ones(3).adjoint()
