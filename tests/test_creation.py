"""Creation ops against NumPy and reference loops, with PyTorch's dtype inference, value rules and errors."""

import math
import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, random_array

import ntorch as nt


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


# ----------------------------------------------------------------------------------------------------------
# tensor(): dtype inference, shapes, copies, errors
# ----------------------------------------------------------------------------------------------------------
INFER = [
    ([True, False], nt.bool), ([True, 1], nt.int64), ([1, 2.0], nt.float32), ([True, 2.5], nt.float32),
    ([[1], [2]], nt.int64), ([], nt.float32), ([[]], nt.float32), ([[], []], nt.float32), (3, nt.int64),
    (3.0, nt.float32), (True, nt.bool), ((1, 2, 3), nt.int64), ([[1, 2], [3, 4.5]], nt.float32),
    ([[True], [0]], nt.int64), (np.float32(2.5), nt.float32), (np.float64(2.5), nt.float64),
    (np.int32(2), nt.int32), (np.int16(2), nt.int16), ([np.float64(1.5), 2], nt.float64),
    ([np.int32(1), 2], nt.int64), ([np.int8(1), np.int16(2)], nt.int16), ([np.uint8(1), np.int8(-1)], nt.int16),
    ([np.bool_(True)], nt.bool), ([np.float16(1), 2], nt.float16), ([np.float16(1), 2.0], nt.float32),
    (np.array([1, 2], dtype=np.int16), nt.int16), ([np.array([1, 2]), np.array([3, 4])], nt.int64),
    ([1.5, 2**63], nt.float32),
]


@pytest.mark.parametrize("data,dt", INFER, ids=[repr(d) for d, _ in INFER])
def test_tensor_infers_dtype(data, dt):
    t = nt.tensor(data)
    assert t.dtype is dt
    ref = np.array(data)
    assert tuple(t.shape) == ref.shape
    np.testing.assert_array_equal(t.numpy(), ref.astype(t.numpy().dtype))


def test_tensor_shapes_and_values():
    assert nt.tensor(5.0).shape == () and nt.tensor(5.0).item() == 5.0
    assert nt.tensor(np.array(5.0)).shape == () and nt.tensor(np.array(5)).dtype is nt.int64
    assert nt.tensor([[[]]]).shape == (1, 1, 0)
    assert nt.tensor([[], []]).shape == (2, 0)
    assert nt.tensor((1, 2, 3)).tolist() == [1, 2, 3]
    assert nt.tensor([nt.tensor(1.0), nt.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert nt.tensor([[1, 2], [3, 4]], dtype=nt.float64).dtype is nt.float64
    assert nt.tensor([2**63 - 1]).item() == 2**63 - 1 and nt.tensor([-(2**63)]).item() == -(2**63)
    assert nt.tensor(2**63, dtype=nt.float32).item() == float(2**63)
    # explicit dtypes: floats truncate toward zero into ints, bool is != 0, float32 overflows to inf
    assert nt.tensor([1.7, -1.7], dtype=nt.int64).tolist() == [1, -1]
    assert nt.tensor(-3.7, dtype=nt.int32).item() == -3
    assert nt.tensor([1.5, 0, -2], dtype=nt.bool).tolist() == [True, False, True]
    assert nt.tensor([1e40], dtype=nt.float32).item() == math.inf
    assert nt.tensor([100000], dtype=nt.float16).item() == math.inf
    assert nt.tensor([True, 2], dtype=nt.uint8).tolist() == [1, 2]
    assert nt.tensor([-1, -255], dtype=nt.uint8).tolist() == [255, 1]  # torch wraps -255..-1 into uint8
    assert nt.tensor([255, -128], dtype=nt.int16).tolist() == [255, -128]
    assert nt.tensor([2.5e9], dtype=nt.int64).item() == 2500000000
    assert nt.tensor(np.array([300]), dtype=nt.uint8).tolist() == [44]  # arrays are cast, not checked


def test_tensor_copies():
    a = np.arange(6.0).reshape(2, 3)
    t = nt.tensor(a)
    a[0, 0] = 100.0
    assert t[0, 0].item() == 0.0 and t.dtype is nt.float64
    src = nt.tensor([1, 2])
    c = nt.tensor(src)
    c[0] = 9
    assert src.tolist() == [1, 2]
    lst = [[1.0, 2.0]]
    t2 = nt.tensor(lst)
    lst[0][0] = 5.0
    assert t2.tolist() == [[1.0, 2.0]]


def test_tensor_errors():
    _raises(ValueError, "expected sequence of length 2 at dim 1 (got 1)", nt.tensor, [[1, 2], [3]])
    _raises(ValueError, "expected sequence of length 1 at dim 1 (got 0)", nt.tensor, [[1], []])
    _raises(ValueError, "expected sequence of length 1 at dim 1 (got 2)", nt.tensor, [[[1, 2]], [[3, 4], [5, 6]]])
    _raises(ValueError, "expected sequence of length 2 at dim 2 (got 3)", nt.tensor,
            [[[1, 2], [3, 4]], [[5, 6], [7, 8, 9]]])
    _raises(TypeError, "not a sequence", nt.tensor, [[1, 2], 3])
    _raises(TypeError, "not a sequence", nt.tensor, [[1.0, 2], 3.0])
    with pytest.raises(TypeError):
        nt.tensor([1, [2, 3]])
    _raises(TypeError, "must be real number, not list", nt.tensor, [[1.0, 2], [3, [4]]])
    _raises(RuntimeError, "Could not infer dtype of NoneType", nt.tensor, None)
    _raises(RuntimeError, "Could not infer dtype of NoneType", nt.tensor, [1, None])
    _raises(TypeError, "new(): invalid data type 'str'", nt.tensor, "abc")
    _raises(TypeError, "new(): invalid data type 'str'", nt.tensor, [[1, 2], [3, "a"]])
    _raises(ValueError, "Overflow when unpacking long long", nt.tensor, 2**63)
    _raises(ValueError, "Overflow when unpacking long long", nt.tensor, -(2**63) - 1)
    _raises(ValueError, "Overflow when unpacking long long", nt.tensor, [1, 2**63])
    _raises(ValueError, "Overflow when unpacking long long", nt.tensor, 2**63, dtype=nt.int64)
    for data, dt in (([256], nt.uint8), ([-256], nt.uint8), ([300.7], nt.uint8), ([-3.5], nt.uint8),
                     ([128], nt.int8), ([-129], nt.int8), ([1e10], nt.int32), ([2**31], nt.int32),
                     ([float("inf")], nt.int64), ([float("nan")], nt.int64), ([1e20], nt.int64),
                     ([np.float64(1e10)], nt.int32), ([np.int64(300)], nt.uint8), ([40000], nt.int16)):
        name = str(dt).split(".")[-1]
        _raises(RuntimeError, f"value cannot be converted to type {name} without overflow", nt.tensor, data,
                dtype=dt)


def test_tensor_requires_grad():
    t = nt.tensor([1.0, 2.0], requires_grad=True)
    assert t.requires_grad and t.is_leaf
    _raises(RuntimeError, "Only Tensors of floating point and complex dtype can require gradients", nt.tensor, [1, 2],
            requires_grad=True)


# ----------------------------------------------------------------------------------------------------------
# as_tensor / from_numpy
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_from_numpy_and_as_tensor_share_memory(dt, rng):
    a = random_array(rng, (3, 4), dt)
    t = nt.from_numpy(a)
    assert t.dtype is dt and t.shape == (3, 4) and t.stride() == (4, 1)
    assert np.shares_memory(t.numpy(), a)
    u = nt.as_tensor(a)
    assert u.dtype is dt and np.shares_memory(u.numpy(), a)
    assert nt.as_tensor(a, dtype=dt).data_ptr() == t.data_ptr()
    a[0, 0] = a[1, 1]
    assert t[0, 0].item() == a[1, 1].item() and u[0, 0].item() == a[1, 1].item()
    t[2, 3] = t[0, 1]  # writes through the tensor reach the array
    assert a[2, 3] == a[0, 1]


def test_from_numpy_layouts_and_errors():
    a = np.arange(6.0).reshape(2, 3)
    t = nt.from_numpy(a.T)
    assert t.stride() == (1, 3) and not t.is_contiguous()
    t[1, 0] = -1.0
    assert a[0, 1] == -1.0
    s = nt.from_numpy(a[:, ::2])
    assert s.stride() == (3, 2) and np.shares_memory(s.numpy(), a)
    with pytest.raises(ValueError, match="At least one stride in the given numpy array is negative"):
        nt.from_numpy(np.arange(6.0)[::-1])
    with pytest.raises(TypeError, match="expected np.ndarray"):
        nt.from_numpy([1, 2])
    with pytest.raises(TypeError):
        nt.from_numpy(np.array([1, None]))
    b = np.arange(4.0)
    c = nt.as_tensor(b, dtype=nt.float32)  # a different dtype copies
    b[0] = 10.0
    assert c[0].item() == 0.0 and c.dtype is nt.float32
    x = nt.tensor([1, 2])
    assert nt.as_tensor(x) is x and nt.as_tensor(x, dtype=nt.int64) is x
    assert nt.as_tensor(x, dtype=nt.float32).dtype is nt.float32
    assert nt.as_tensor([1, 2]).dtype is nt.int64 and nt.as_tensor(3.0).dtype is nt.float32


# ----------------------------------------------------------------------------------------------------------
# zeros / ones / full / empty / *_like
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", ALL_DTYPES, ids=str)
def test_zeros_ones_full_empty(dt):
    for size in ((2, 3), [2, 3], nt.Size([2, 3])):
        z = nt.zeros(size, dtype=dt)
        assert z.shape == (2, 3) and z.dtype is dt and z.is_contiguous()
        np.testing.assert_array_equal(z.numpy(), np.zeros((2, 3), dt.np))
    np.testing.assert_array_equal(nt.ones(2, 3, dtype=dt).numpy(), np.ones((2, 3), dt.np))
    assert nt.empty(2, 3, dtype=dt).shape == (2, 3) and nt.empty((4,), dtype=dt).dtype is dt
    f = nt.full((2, 2), 1, dtype=dt)
    np.testing.assert_array_equal(f.numpy(), np.ones((2, 2), dt.np))
    for make in (nt.zeros_like, nt.ones_like, nt.empty_like):
        like = make(f)
        assert like.dtype is dt and like.shape == (2, 2)
    assert nt.full_like(f, 0).tolist() == [[0, 0], [0, 0]] or dt is nt.bool


def test_creation_defaults_and_sizes():
    assert nt.zeros(2, 3).dtype is nt.float32 and nt.ones(()).shape == () and nt.zeros([]).shape == ()
    assert nt.zeros(0).shape == (0,) and nt.empty(0).numel() == 0
    assert nt.ones(np.int64(2), 3).shape == (2, 3)
    assert nt.full((2,), 3).dtype is nt.int64 and nt.full((2,), 3.0).dtype is nt.float32
    assert nt.full((2,), True).dtype is nt.bool and nt.full((2,), 3, dtype=nt.float64).dtype is nt.float64
    assert nt.full([], 7.5).shape == () and nt.full([], 7.5).item() == 7.5
    assert nt.full((2,), 2.7, dtype=nt.int64).tolist() == [2, 2]
    assert nt.full((2,), nt.tensor(4)).tolist() == [4, 4]
    assert nt.ones(2, 3, requires_grad=True).requires_grad
    assert nt.zeros(2, dtype=nt.float64).dtype is nt.float64


def test_creation_errors():
    _raises(RuntimeError, "zeros: Dimension size must be non-negative.", nt.zeros, 2, -1)
    _raises(RuntimeError, "zeros: Dimension size must be non-negative.", nt.zeros, [2, -1])
    _raises(RuntimeError, "Trying to create tensor with negative dimension -3: [2, -3]", nt.ones, 2, -3)
    _raises(RuntimeError, "Trying to create tensor with negative dimension -2: [-2, 3]", nt.empty, -2, 3)
    _raises(RuntimeError, "Trying to create tensor with negative dimension -1: [2, -1]", nt.full, (2, -1), 3)
    _raises(TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, not float", nt.zeros, 2.5)
    _raises(TypeError, "ones(): argument 'size' (position 1) must be tuple of ints, not bool", nt.ones, True)
    _raises(TypeError, 'zeros(): argument \'size\' failed to unpack the object at pos 2 with error "type must be '
            'tuple of ints,but got float"', nt.zeros, 2, 3.0)
    _raises(TypeError, 'zeros(): argument \'size\' failed to unpack the object at pos 3 with error "type must be '
            'tuple of ints,but got float"', nt.zeros, (2, 3, 4.0))
    _raises(TypeError, "full(): argument 'size' (position 1) must be tuple of ints, not int", nt.full, 2, 7)
    _raises(TypeError, "full(): argument 'fill_value' (position 2) must be Number, not NoneType", nt.full, [2], None)
    _raises(TypeError, "full(): argument 'fill_value' (position 2) must be Number, not str", nt.full, [2], "a")
    _raises(RuntimeError, "value cannot be converted to type uint8_t without overflow", nt.full, (2,), 300,
            dtype=nt.uint8)
    _raises(RuntimeError, "value cannot be converted to type int without overflow", nt.full, (2,), 1e30,
            dtype=nt.int32)
    _raises(RuntimeError, "value cannot be converted to type int8_t without overflow", nt.full_like,
            nt.zeros(2, dtype=nt.int8), 128)
    _raises(RuntimeError, "Only Tensors of floating point and complex dtype can require gradients", nt.ones, 2,
            dtype=nt.int64, requires_grad=True)


def test_like_functions_keep_shape_dtype_and_layout():
    x = nt.tensor([[1, 2]], dtype=nt.int16)
    assert nt.zeros_like(x).dtype is nt.int16 and nt.zeros_like(x).tolist() == [[0, 0]]
    assert nt.ones_like(x).tolist() == [[1, 1]]
    assert nt.full_like(x, 3.7).tolist() == [[3, 3]] and nt.full_like(x, 3.7).dtype is nt.int16
    assert nt.full_like(x, 2.5, dtype=nt.float32).tolist() == [[2.5, 2.5]]
    assert nt.zeros_like(nt.tensor([1.0]), dtype=nt.int8).dtype is nt.int8
    assert nt.empty_like(x).shape == (1, 2)
    # torch.preserve_format: a dense input's strides are kept, others get dense strides in the same order
    t = nt.zeros(3, 4).t()
    for make in (nt.zeros_like, nt.ones_like, nt.empty_like, lambda v: nt.full_like(v, 2)):
        assert make(t).stride() == (1, 4)
    p = nt.zeros(2, 3, 4).permute(2, 0, 1)
    assert nt.zeros_like(p).stride() == (1, 12, 4) and nt.ones_like(p).tolist() == np.ones((4, 2, 3)).tolist()
    assert nt.zeros_like(nt.zeros(3, 4)[:, ::2]).stride() == (2, 1)
    assert nt.empty_like(nt.zeros(3, 4).t()[::2]).stride() == (1, 2)
    assert nt.ones_like(nt.zeros(3, 1).expand(3, 4)).stride() == (4, 1)
    o = nt.ones_like(t)
    assert not np.shares_memory(o.numpy(), t.numpy())


# ----------------------------------------------------------------------------------------------------------
# arange / linspace / logspace / eye
# ----------------------------------------------------------------------------------------------------------
ARANGE = [
    ((5,), nt.int64), ((5.0,), nt.float32), ((1, 4), nt.int64), ((0, 1, 0.25), nt.float32), ((5, 0, -1), nt.int64),
    ((5.0, 0, -1.5), nt.float32), ((0, 10, 3), nt.int64), ((0, -10, -3), nt.int64), ((1.5, 4), nt.float32),
    ((0, 1, 0.1), nt.float32), ((-1, 1, 0.3), nt.float32), ((0, 10, 3.0), nt.float32), ((1, 2.5, 0.5), nt.float32),
    ((0,), nt.int64), ((3, 3), nt.int64), ((-2.5, 7.7, 0.3), nt.float32), ((10, 1, -0.7), nt.float32),
]


@pytest.mark.parametrize("args,dt", ARANGE, ids=[repr(a) for a, _ in ARANGE])
def test_arange(args, dt):
    t = nt.arange(*args)
    assert t.dtype is dt
    start, end, step = (0, args[0], 1) if len(args) == 1 else (args + (1,))[:3]
    n = max(0, math.ceil((end - start) / step))  # torch's length: ceil((end - start) / step) in double
    expected = np.array([start + i * step for i in range(n)], dtype=np.float64)
    assert t.shape == (n,)
    if dt is nt.int64:
        assert t.tolist() == [int(v) for v in expected]
    else:
        np.testing.assert_allclose(t.numpy(), expected.astype(np.float32), rtol=1e-6, atol=1e-6)
    t64 = nt.arange(*args, dtype=nt.float64)
    np.testing.assert_allclose(t64.numpy(), expected, rtol=1e-14, atol=1e-14)


def test_arange_dtypes_and_integer_truncation():
    assert nt.arange(10, dtype=nt.float32).dtype is nt.float32
    assert nt.arange(0, 3, 1, dtype=nt.int32).tolist() == [0, 1, 2]
    assert nt.arange(0, 3, 1, dtype=nt.int32).dtype is nt.int32
    # integer results: start/end/step are truncated to integers; int64 takes its length from them too
    assert nt.arange(0.5, 3, dtype=nt.int64).tolist() == [0, 1, 2]
    assert nt.arange(0.5, 3.7, 1, dtype=nt.int64).tolist() == [0, 1, 2]
    assert nt.arange(0.5, 3.7, 1, dtype=nt.int32).tolist() == [0, 1, 2, 3]
    assert nt.arange(-1.5, 1.5, 1.7, dtype=nt.int64).tolist() == [-1, 0]
    h = nt.arange(0, 1, 0.1, dtype=nt.float16)
    np.testing.assert_allclose(h.numpy().astype(np.float64), np.arange(10) * 0.1, rtol=1e-3, atol=1e-3)
    assert nt.arange(nt.tensor(3)).tolist() == [0, 1, 2]
    assert nt.arange(2, 9, nt.tensor(3)).tolist() == [2, 5, 8]


def test_arange_errors():
    _raises(RuntimeError, "upper bound and lower bound inconsistent with step sign", nt.arange, 0, 5, -1)
    _raises(RuntimeError, "upper bound and lower bound inconsistent with step sign", nt.arange, 5, 0)
    _raises(RuntimeError, "step must be nonzero", nt.arange, 0, 5, 0)
    _raises(RuntimeError, "step must be nonzero", nt.arange, 0, 3, 0.0)
    _raises(ValueError, "step must be nonzero", nt.arange, 0, 3, 0.3, dtype=nt.int64)
    _raises(RuntimeError, "unsupported range: 0 -> inf", nt.arange, 0, float("inf"))
    _raises(RuntimeError, "unsupported range: nan -> 1", nt.arange, float("nan"), 1)


def _linspace_ref(start, end, steps, np_dt):
    """torch's kernel: forward from start for the first half, backward from end for the second."""
    if steps == 1:
        return np.array([start], dtype=np.float64)
    step = (end - start) / (steps - 1)
    return np.array([start + step * i if i < steps // 2 else end - step * (steps - 1 - i) for i in range(steps)])


@pytest.mark.parametrize("start,end,steps", [(0, 1, 5), (0, 1, 1), (0, 1, 0), (1, 0, 4), (-5.3, 9.1, 13),
                                             (0.1, 17.3, 101), (2, 2, 3), (-1, 1, 2), (0, 1, 1000)])
@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.float16], ids=str)
def test_linspace_float(start, end, steps, dt):
    t = nt.linspace(start, end, steps, dtype=dt)
    assert t.dtype is dt and t.shape == (steps,)
    ref = _linspace_ref(start, end, steps, np.float64)
    tol = {nt.float16: 2e-3, nt.float32: 2e-7, nt.float64: 1e-15}[dt]
    np.testing.assert_allclose(t.numpy().astype(np.float64), ref, rtol=tol, atol=tol * max(1, abs(end - start)))
    if steps >= 2:
        assert t[0].item() == float(np.array(start, dt.np)) and t[-1].item() == float(np.array(end, dt.np))
    assert nt.linspace(start, end, steps).dtype is nt.float32


def test_linspace_exact_values():
    # torch computes in the result dtype with a fused multiply-add; these are its outputs
    assert nt.linspace(-5.3, 9.1, 13, dtype=nt.float64).tolist() == [
        -5.3, -4.1, -2.9, -1.7, -0.5, 0.7, 1.9, 3.0999999999999996, 4.3, 5.5, 6.699999999999999, 7.8999999999999995,
        9.1]
    assert nt.linspace(0, 1, 7).tolist() == [0.0, 0.1666666716337204, 0.3333333432674408, 0.5, 0.6666666269302368,
                                             0.8333333134651184, 1.0]
    assert nt.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_linspace_integer_and_errors():
    assert nt.linspace(0, 10, 4, dtype=nt.int64).tolist() == [0, 3, 6, 10]
    assert nt.linspace(-1, 1, 3, dtype=nt.int64).tolist() == [-1, 0, 1]
    assert nt.linspace(-3.7, 17.3, 11, dtype=nt.int64).tolist() == [-3, -1, 1, 3, 5, 7, 9, 11, 13, 15, 17]
    assert nt.linspace(-3.7, 17.3, 11, dtype=nt.int32).dtype is nt.int32
    assert nt.linspace(0, 1, 0).shape == (0,)
    _raises(RuntimeError, "number of steps must be non-negative", nt.linspace, 0, 1, -1)
    with pytest.raises(TypeError):
        nt.linspace(0, 1, 2.5)


def test_logspace():
    np.testing.assert_allclose(nt.logspace(0, 2, 3).numpy(), [1.0, 10.0, 100.0], rtol=1e-6)
    assert nt.logspace(0, 3, 4, base=2).tolist() == [1.0, 2.0, 4.0, 8.0]
    assert nt.logspace(0, 1, 3).dtype is nt.float32
    t = nt.logspace(-2, 3.3, 7, base=10, dtype=nt.float64)
    np.testing.assert_allclose(t.numpy(), 10.0 ** _linspace_ref(-2, 3.3, 7, np.float64), rtol=1e-13)
    t32 = nt.logspace(-2, 3.3, 7)
    np.testing.assert_allclose(t32.numpy(), 10.0 ** _linspace_ref(-2, 3.3, 7, np.float64), rtol=2e-6)
    assert nt.logspace(0, 3, 4, dtype=nt.int64).tolist() == [1, 10, 100, 1000]
    assert nt.logspace(0, 1, 5, dtype=nt.float16).dtype is nt.float16
    assert nt.logspace(0, 1, 0).shape == (0,)


def test_eye():
    np.testing.assert_array_equal(nt.eye(3).numpy(), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(nt.eye(2, 3).numpy(), np.eye(2, 3, dtype=np.float32))
    np.testing.assert_array_equal(nt.eye(3, 2, dtype=nt.bool).numpy(), np.eye(3, 2, dtype=bool))
    assert nt.eye(2, dtype=nt.int64).dtype is nt.int64 and nt.eye(0).shape == (0, 0) and nt.eye(2, 0).shape == (2, 0)
    _raises(RuntimeError, "n must be greater or equal to 0, got -1", nt.eye, -1)
    _raises(RuntimeError, "m must be greater or equal to 0, got -1", nt.eye, 2, -1)
    _raises(TypeError, "eye(): argument 'n' (position 1) must be int, not float", nt.eye, 2.5)


def test_default_dtype_is_used_for_float_creation():
    old = nt.get_default_dtype()
    try:
        nt.set_default_dtype(nt.float64)
        for t in (nt.tensor([1.5]), nt.zeros(2), nt.ones(2), nt.full((2,), 1.5), nt.arange(2.0), nt.linspace(0, 1, 3),
                  nt.eye(2), nt.empty(2), nt.tensor([1, 2.0])):
            assert t.dtype is nt.float64
        assert nt.tensor([1, 2]).dtype is nt.int64 and nt.arange(3).dtype is nt.int64
    finally:
        nt.set_default_dtype(old)


# torch converts a fill value with its checked Scalar conversion (c10::checked_convert): out of the dtype's range
# raises, for floats too (1e6 into float16), while a negative int wraps into an unsigned type. Indexed assignment
# of a Python number checks the same way, except into a 16-bit float (torch 2.13 stores inf there). Expected values
# and messages: torch 2.13.
_OVERFLOW = [
    (lambda: nt.full((2,), 1e6, dtype=nt.float16), "c10::Half"),
    (lambda: nt.full((2,), 70000, dtype=nt.float16), "c10::Half"),
    (lambda: nt.full((2,), 1e300, dtype=nt.float32), "float"),
    (lambda: nt.full((2,), 1e39, dtype=nt.bfloat16), "c10::BFloat16"),
    (lambda: nt.full_like(nt.zeros(2, dtype=nt.float16), 1e6), "c10::Half"),
    (lambda: nt.zeros(2, dtype=nt.float16).new_full((2,), 1e6), "c10::Half"),
    (lambda: nt.zeros(2, dtype=nt.float16).fill_(1e6), "c10::Half"),
    (lambda: nt.zeros(2).fill_(1e300), "float"),
    (lambda: nt.zeros(2, dtype=nt.int8).fill_(300), "int8_t"),
    (lambda: nt.zeros(2, dtype=nt.uint8).fill_(256), "uint8_t"),
    (lambda: nt.zeros(2, dtype=nt.int32).fill_(2.5e9), "int"),
    (lambda: nt.zeros(2, dtype=nt.int32).fill_(float("nan")), "int"),
    (lambda: nt.zeros(2, dtype=nt.int8).__setitem__(0, 300), "int8_t"),
    (lambda: nt.zeros(2, dtype=nt.int8).__setitem__(0, 300.5), "int8_t"),
    (lambda: nt.zeros(2, dtype=nt.uint8).__setitem__(0, -1.0), "uint8_t"),
    (lambda: nt.zeros(2).__setitem__(0, 1e300), "float"),
]


@pytest.mark.parametrize("case", range(len(_OVERFLOW)))
def test_fill_values_use_torchs_checked_conversion(case):
    fn, ctype = _OVERFLOW[case]
    with pytest.raises(RuntimeError, match=f"^value cannot be converted to type {re.escape(ctype)} without overflow$"):
        fn()


def test_fill_values_that_torch_accepts():
    assert nt.zeros(2, dtype=nt.uint8).fill_(-1).tolist() == [255, 255]
    assert nt.full((2,), float("inf"), dtype=nt.float16).tolist() == [float("inf")] * 2
    assert nt.zeros(2, dtype=nt.float16).fill_(nt.tensor(1e6)).tolist() == [float("inf")] * 2  # a tensor: unchecked
    x = nt.zeros(2, dtype=nt.float16)
    x[0] = 70000
    assert x.tolist() == [float("inf"), 0.0]
    y = nt.zeros(2, dtype=nt.uint8)
    y[0] = -1
    assert y.tolist() == [255, 0]
    with pytest.raises(ValueError, match="^Overflow when unpacking long long$"):
        nt.zeros(2)[0] = 2**70


def test_tensors_inside_a_list_are_scalars_as_torch():
    """torch.tensor reads a tensor inside a list as one number (.item(): one element, any shape) where the sizes come
    from it, and as a row where the sizes come from a sibling list."""
    cases = [([nt.ones(1), nt.ones(1, 1) * 2], (2,), [1.0, 2.0]), ([[nt.tensor(1.5)], [3]], (2, 1), [[1.5], [3.0]]),
             ([[1.0, 2.0], nt.tensor([3.0, 4.0])], (2, 2), [[1, 2], [3, 4]]),
             ([nt.tensor(True), 2], (2,), [1, 2]), ([nt.tensor([1.5], dtype=nt.float64)], (1,), [1.5])]
    for data, shape, want in cases:
        t = nt.tensor(data)
        assert tuple(t.shape) == shape
        np.testing.assert_array_equal(t.numpy(), np.array(want))
    assert nt.tensor([nt.tensor(True), 2]).dtype is nt.int64
    assert nt.tensor([nt.tensor([1.5], dtype=nt.float64)]).dtype is nt.float64
    for bad in ([nt.ones(2)], [nt.ones(0)], [[nt.ones(2)]]):
        with pytest.raises(ValueError, match="^only one element tensors can be converted to Python scalars$"):
            nt.tensor(bad)
    with pytest.raises(ValueError, match=re.escape("expected sequence of length 2 at dim 1 (got 3)")):
        nt.tensor([[1.0, 2.0], nt.ones(3)])


def test_out_of_range_casts_are_silent(recwarn):
    """NaN / inf / out-of-range floats cast to integers or narrower floats without NumPy's RuntimeWarning (torch's
    casts are silent); the values are what the C cast gives on this machine (NumPy's, tested against it)."""
    x = np.array([np.nan, 1e20, -1e20, 2.7, -2.7, 7e4])
    t = nt.tensor(x)
    with np.errstate(all="ignore"):
        for dt in (nt.int32, nt.int64, nt.int16, nt.float16):
            np.testing.assert_array_equal(t.to(dt).numpy(), x.astype(dt.np))
        assert t.to(nt.uint8).numpy()[3] == 2  # (out-of-range uint8 values are platform casts: only no warning)
        np.testing.assert_array_equal(t.t().to(nt.int32).numpy(), x.astype(np.int32))
        np.testing.assert_array_equal(nt.tensor(x[None]).t().to(nt.int64).numpy(), x[:, None].astype(np.int64))
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
