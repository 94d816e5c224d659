"""torch namespace leftovers: legacy tensor / storage types, anomaly and autocast state names, signal.windows,
to_dlpack, slice_inverse, hash_tensor, Tensor.as_subclass / storage_type. Oracles: NumPy (values, bit patterns)
and torch 2.13's behaviour written out in the expectations (messages, flags)."""

import math
import warnings

import numpy as np
import pytest

import ntorch
from ntorch import amp
from ntorch.signal import windows as W

LEGACY = [("FloatTensor", ntorch.float32), ("DoubleTensor", ntorch.float64), ("HalfTensor", ntorch.float16),
          ("LongTensor", ntorch.int64), ("IntTensor", ntorch.int32), ("ShortTensor", ntorch.int16),
          ("CharTensor", ntorch.int8), ("ByteTensor", ntorch.uint8), ("BoolTensor", ntorch.bool)]


# ---- legacy tensor types ----

@pytest.mark.parametrize("name,dt", LEGACY)
def test_legacy_type_constructors_and_isinstance(name, dt):
    cls = getattr(ntorch, name)
    assert cls.dtype is dt and not cls.is_cuda and repr(cls) == f"<class 'ntorch.{name}'>"
    x = cls(2, 3)
    assert x.shape == (2, 3) and x.dtype is dt and x.device.type == "cpu"
    assert cls(ntorch.Size([4])).shape == (4,)
    assert cls().shape == (0,) and cls(2, 0).shape == (2, 0)
    data = cls([1, 0, 2])
    np.testing.assert_array_equal(data.numpy(), np.array([1, 0, 2]).astype(dt.np))
    assert isinstance(x, cls) and isinstance(x, ntorch.Tensor)
    other = ntorch.float64 if dt is not ntorch.float64 else ntorch.float32
    assert not isinstance(ntorch.zeros(2, dtype=other), cls)
    assert not isinstance(np.zeros(2), cls)
    # the type string names the class: Tensor.type() and the class agree, and .type(cls) casts
    assert x.type() == f"{cls.__module__}.{cls.__name__}"
    assert ntorch.zeros(2, dtype=other).type(cls).dtype is dt


def test_legacy_type_tuple_is_data_and_size_is_shape():
    np.testing.assert_array_equal(ntorch.FloatTensor((2,)).numpy(), [2.0])  # a tuple is data, as torch
    assert ntorch.FloatTensor(ntorch.Size([2, 3])).shape == (2, 3)
    np.testing.assert_array_equal(ntorch.IntTensor([1.7, -1.7]).numpy(), [1, -1])
    np.testing.assert_array_equal(ntorch.FloatTensor(np.array([1, 2])).numpy(), [1.0, 2.0])


def test_legacy_type_from_tensor_aliases_and_keeps_grad():
    t = ntorch.ones(2, requires_grad=True)
    u = ntorch.FloatTensor(t)
    assert u is not t and u.data_ptr() == t.data_ptr() and u.requires_grad and u.grad_fn is not None
    (u * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0])


def test_legacy_type_errors():
    with pytest.raises(TypeError, match=r"^expected TensorOptions\(dtype=long int, device=cpu, .*\(got "
                                        r"TensorOptions\(dtype=float, device=cpu"):
        ntorch.LongTensor(ntorch.zeros(2))
    with pytest.raises(TypeError, match=r"^new\(\) received an invalid combination of arguments - got \(list, int\)"):
        ntorch.FloatTensor([1, 2], 3)
    with pytest.raises(TypeError, match=r"^new\(\): invalid data type 'str'$"):
        ntorch.FloatTensor("a")
    with pytest.raises(TypeError, match=r"^new\(\): data must be a sequence \(got float\)$"):
        ntorch.FloatTensor(2.5)
    with pytest.raises(TypeError, match="failed to unpack the object at pos 2 with error \"type must be tuple of "
                                        "ints,but got float\""):
        ntorch.FloatTensor(2, 3.0)
    with pytest.raises(RuntimeError, match="^legacy constructor expects device type: cpu but device type: cuda was "
                                           "passed$"):
        ntorch.FloatTensor(3, device="cuda")
    with pytest.raises(TypeError, match=r"^new\(\) received an invalid combination"):
        ntorch.FloatTensor(3, dtype=ntorch.float64)
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        ntorch.FloatTensor(-1)
    assert ntorch.FloatTensor(3, device="cpu").shape == (3,)


def test_cuda_legacy_types():
    cls = ntorch.cuda.FloatTensor
    assert repr(cls) == "<class 'ntorch.cuda.FloatTensor'>" and cls.is_cuda and cls.dtype is ntorch.float32
    assert not isinstance(ntorch.zeros(2), cls)
    assert ntorch.cuda.LongTensor.dtype is ntorch.int64
    if ntorch.cuda.is_available():
        x = cls(2)
        assert x.is_cuda and isinstance(x, cls) and x.type() == "ntorch.cuda.FloatTensor"
    else:
        with pytest.raises(TypeError, match=r"^type ntorch\.cuda\.FloatTensor not available\."):
            cls(2)


def test_set_default_tensor_type():
    try:
        with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated as of PyTorch 2\.1"):
            ntorch.set_default_tensor_type(ntorch.DoubleTensor)
        assert ntorch.get_default_dtype() is ntorch.float64 and ntorch.zeros(1).dtype is ntorch.float64
        with pytest.warns(UserWarning):
            ntorch.set_default_tensor_type("torch.FloatTensor")
        assert ntorch.get_default_dtype() is ntorch.float32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(TypeError, match="^only floating-point types are supported as the default type$"):
                ntorch.set_default_tensor_type(ntorch.LongTensor)
            with pytest.raises(TypeError, match="^invalid type object: only floating-point types"):
                ntorch.set_default_tensor_type(ntorch.float64)
            with pytest.raises(ModuleNotFoundError, match="No module named 'foo'"):
                ntorch.set_default_tensor_type("foo")
            if not ntorch.cuda.is_available():
                with pytest.raises(TypeError, match=r"^type ntorch\.cuda\.FloatTensor not available\."):
                    ntorch.set_default_tensor_type(ntorch.cuda.FloatTensor)
                assert ntorch.get_default_dtype() is ntorch.float32
    finally:
        ntorch.set_default_dtype(ntorch.float32)
        ntorch.set_default_device(None)


# ---- legacy storage types ----

def test_legacy_storages():
    s = ntorch.FloatStorage(3)
    assert type(s) is ntorch.TypedStorage and s.size() == 3 and s.dtype is ntorch.float32
    assert isinstance(s, ntorch.FloatStorage) and not isinstance(s, ntorch.DoubleStorage)
    assert isinstance(s, ntorch.TypedStorage)
    d = ntorch.DoubleStorage([1, 2.5])
    assert d.tolist() == [1.0, 2.5] and d.type() == "ntorch.DoubleStorage"
    assert ntorch.LongStorage().size() == 0
    assert ntorch.Storage is ntorch.FloatStorage
    assert ntorch.zeros(2).storage_type() is ntorch.FloatStorage
    assert ntorch.zeros(2, dtype=ntorch.int64).storage_type() is ntorch.LongStorage
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert isinstance(ntorch.zeros(2).storage(), ntorch.FloatStorage)
    np.testing.assert_array_equal(ntorch.FloatTensor(ntorch.FloatStorage([1, 2])).numpy(), [1.0, 2.0])
    with pytest.raises(TypeError, match=r"^new\(\): invalid data type 'str'$"):
        ntorch.FloatStorage("a")
    with pytest.raises(RuntimeError, match="Too many positional arguments"):
        ntorch.FloatStorage(2, 3)


# ---- anomaly mode ----

def test_anomaly_names_and_nan_check():
    assert not ntorch.is_anomaly_enabled() and ntorch.is_anomaly_check_nan_enabled()
    x = ntorch.tensor([-1.0], requires_grad=True)
    try:
        ntorch.set_anomaly_enabled(True)
        assert ntorch.is_anomaly_enabled() and ntorch.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match=r"^Function 'SqrtBackward0' returned nan values in its 0th output\."):
            x.sqrt().sum().backward()
        ntorch.set_anomaly_enabled(True, check_nan=False)
        assert not ntorch.is_anomaly_check_nan_enabled()
        x.sqrt().sum().backward()
        assert math.isnan(x.grad.item())
    finally:
        ntorch.set_anomaly_enabled(False)
    assert not ntorch.is_anomaly_enabled() and ntorch.is_anomaly_check_nan_enabled()
    with pytest.raises(TypeError, match=r"argument 'enabled' \(position 1\) must be bool, not int"):
        ntorch.set_anomaly_enabled(1)
    from ntorch.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly

    assert detect_anomaly is ntorch.autograd.detect_anomaly and set_detect_anomaly is ntorch.autograd.set_detect_anomaly


# ---- autocast state ----

def test_autocast_deprecated_names():
    with pytest.warns(DeprecationWarning, match=r"get_autocast_gpu_dtype\(\) is deprecated. Please use "
                                                r"torch.get_autocast_dtype\('cuda'\)"):
        assert ntorch.get_autocast_gpu_dtype() is ntorch.float16
    try:
        with pytest.warns(DeprecationWarning):
            ntorch.set_autocast_cpu_dtype(ntorch.float16)
        with pytest.warns(DeprecationWarning):
            assert ntorch.get_autocast_cpu_dtype() is ntorch.float16
        assert ntorch.get_autocast_dtype("cpu") is ntorch.float16
        with pytest.warns(DeprecationWarning):
            ntorch.set_autocast_gpu_dtype(ntorch.float32)
        assert ntorch.get_autocast_dtype("cuda") is ntorch.float32
        with pytest.warns(DeprecationWarning):
            assert not ntorch.is_autocast_cpu_enabled()
        with pytest.warns(DeprecationWarning):
            ntorch.set_autocast_cpu_enabled(True)
        assert ntorch.is_autocast_enabled("cpu")
        with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match=r"^enabled must be a bool \(got int\)$"):
            ntorch.set_autocast_cpu_enabled(1)
    finally:
        amp.set_autocast_enabled("cpu", False)
        amp.set_autocast_dtype("cuda", ntorch.float16)
        amp.STATE.dtype["cpu"] = None


def test_autocast_cache_flag_and_nesting():
    assert ntorch.is_autocast_cache_enabled()
    ntorch.set_autocast_cache_enabled(False)
    try:
        assert not ntorch.is_autocast_cache_enabled()
        with ntorch.autocast("cpu", dtype=ntorch.float16, cache_enabled=True):
            assert ntorch.is_autocast_cache_enabled()
        assert not ntorch.is_autocast_cache_enabled()
    finally:
        ntorch.set_autocast_cache_enabled(True)
    assert ntorch.clear_autocast_cache() is None
    assert [ntorch.autocast_increment_nesting(), ntorch.autocast_increment_nesting(),
            ntorch.autocast_decrement_nesting(), ntorch.autocast_decrement_nesting()] == [1, 2, 1, 0]
    with ntorch.autocast("cpu", dtype=ntorch.float16):
        assert ntorch.autocast_increment_nesting() == 2
        assert ntorch.autocast_decrement_nesting() == 1
    assert ntorch.autocast_decrement_nesting() == -1 and ntorch.autocast_increment_nesting() == 0


# ---- signal.windows ----

def _n(M):
    return np.arange(M, dtype=np.float64)


# symmetric windows by their textbook formulas (NumPy's own where it has them)
SYM = {
    "hann": lambda M: np.hanning(M),
    "hamming": lambda M: np.hamming(M),
    "blackman": lambda M: np.blackman(M),
    "bartlett": lambda M: np.bartlett(M),
    "kaiser": lambda M: np.kaiser(M, 12.0),
    "cosine": lambda M: np.sin(np.pi * (_n(M) + 0.5) / M),
    "gaussian": lambda M: np.exp(-0.5 * ((_n(M) - (M - 1) / 2) / 1.0) ** 2),
    "exponential": lambda M: np.exp(-np.abs(_n(M) - (M - 1) / 2) / 1.0),
    "nuttall": lambda M: sum((-1) ** i * a * np.cos(2 * np.pi * i * _n(M) / (M - 1))
                             for i, a in enumerate([0.3635819, 0.4891775, 0.1365995, 0.0106411])),
    "general_hamming": lambda M: 0.54 - 0.46 * np.cos(2 * np.pi * _n(M) / (M - 1)),
}


@pytest.mark.parametrize("name", sorted(SYM))
@pytest.mark.parametrize("M", [2, 5, 8])
def test_window_symmetric_matches_formula(name, M):
    got = getattr(W, name)(M, dtype=ntorch.float64)
    assert got.dtype is ntorch.float64 and got.shape == (M,)
    np.testing.assert_allclose(got.numpy(), SYM[name](M), rtol=1e-12, atol=1e-14)
    got32 = getattr(W, name)(M)
    assert got32.dtype is ntorch.float32
    np.testing.assert_allclose(got32.numpy(), SYM[name](M), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SYM))
def test_window_periodic_is_symmetric_of_one_more_truncated(name):
    for M in (2, 5, 8):
        per = getattr(W, name)(M, sym=False, dtype=ntorch.float64).numpy()
        np.testing.assert_allclose(per, SYM[name](M + 1)[:M], rtol=1e-12, atol=1e-14)


def test_general_cosine_and_params():
    a = [0.5, 0.3, 0.2]
    M = 7
    want = sum((-1) ** i * c * np.cos(2 * np.pi * i * _n(M) / (M - 1)) for i, c in enumerate(a))
    np.testing.assert_allclose(W.general_cosine(M, a=a, dtype=ntorch.float64).numpy(), want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(W.kaiser(6, beta=3.0, dtype=ntorch.float64).numpy(), np.kaiser(6, 3.0), rtol=1e-12)
    np.testing.assert_allclose(W.gaussian(6, std=2.5, dtype=ntorch.float64).numpy(),
                               np.exp(-0.5 * ((_n(6) - 2.5) / 2.5) ** 2), rtol=1e-12)
    np.testing.assert_allclose(W.exponential(5, center=1.0, tau=2.0, sym=False, dtype=ntorch.float64).numpy(),
                               np.exp(-np.abs(_n(5) - 1.0) / 2.0), rtol=1e-12)
    for name in W.__all__:
        kw = {"a": a} if name == "general_cosine" else {}
        assert getattr(W, name)(0, **kw).shape == (0,)
        np.testing.assert_allclose(getattr(W, name)(1, dtype=ntorch.float64, **kw).numpy(), [1.0], rtol=1e-12)
    w = W.hann(5, requires_grad=True)
    assert w.requires_grad and w.grad_fn is not None  # as torch: the window is computed from a leaf linspace


def test_window_errors():
    with pytest.raises(ValueError, match="^general_cosine requires non-negative window length, got M=-1$"):
        W.hann(-1)  # torch's hann reports through general_cosine
    with pytest.raises(ValueError, match="^kaiser expects float32 or float64 dtypes, got: ntorch.int64$"):
        W.kaiser(4, dtype=ntorch.int64)
    with pytest.raises(ValueError, match="^bartlett is implemented for strided tensors only"):
        W.bartlett(4, layout=ntorch.sparse_coo)
    with pytest.raises(ValueError, match="^Tau must be positive, got: 0 instead.$"):
        W.exponential(4, tau=0)
    with pytest.raises(ValueError, match="^Center must be None for symmetric windows$"):
        W.exponential(4, center=1.0)
    with pytest.raises(ValueError, match="^Standard deviation must be positive, got: -1 instead.$"):
        W.gaussian(4, std=-1)
    with pytest.raises(ValueError, match="^beta must be non-negative, got: -1 instead.$"):
        W.kaiser(4, beta=-1)
    with pytest.raises(ValueError, match="^Coefficients cannot be empty$"):
        W.general_cosine(4, a=[])
    with pytest.raises(TypeError, match="^Coefficients must be a list/tuple$"):
        W.general_cosine(4, a=3)


# ---- interop, views, hashing, subclasses ----

def test_to_dlpack_round_trip_shares_memory():
    x = ntorch.arange(4.0)
    cap = ntorch.to_dlpack(x)
    assert type(cap).__name__ == "PyCapsule"
    y = ntorch.from_dlpack(cap)
    x[0] = 7.0
    np.testing.assert_array_equal(y.numpy(), [7.0, 1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"argument 'data' \(position 1\) must be Tensor, not list"):
        ntorch.to_dlpack([1])


def test_slice_inverse():
    x = ntorch.arange(10.0)
    r = ntorch.slice_inverse(x[2:8:2], x, 0, 2, 8, 2)
    assert r.shape == (10,) and r.data_ptr() == x.data_ptr()
    np.testing.assert_array_equal(r.numpy(), np.arange(10.0))
    y = ntorch.arange(12.0).reshape(3, 4)
    r = y[:, 1:3].slice_inverse(y, 1, 1, 3)
    np.testing.assert_array_equal(r.numpy(), np.arange(12.0).reshape(3, 4))
    with pytest.raises(RuntimeError, match="out of bounds for storage"):
        ntorch.slice_inverse(ntorch.zeros(3, 2), y, 1, 1, 3)


def _xor_bits(a, axis=None, keepdims=False):
    wide = a.astype(np.float64 if a.dtype.kind == "f" else np.int64).view(np.int64)
    return np.bitwise_xor.reduce(wide, axis=axis, keepdims=keepdims)


def test_hash_tensor_is_xor_of_64_bit_patterns():
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    x = ntorch.tensor(a)
    h = ntorch.hash_tensor(x)
    assert h.dtype is ntorch.int64 and h.shape == ()
    assert h.item() == _xor_bits(a)
    assert int(np.int64(h.item()).view(np.uint64)) == 9216616637413720064  # torch's uint64 value
    np.testing.assert_array_equal(ntorch.hash_tensor(x, 1).numpy(), _xor_bits(a, 1))
    np.testing.assert_array_equal(x.hash_tensor(0, keepdim=True).numpy(), _xor_bits(a, 0, True))
    i = np.array([1, 2, -1], np.int8)
    assert ntorch.hash_tensor(ntorch.tensor(i)).item() == _xor_bits(i)
    assert ntorch.hash_tensor(ntorch.tensor([True, True, False])).item() == 0
    assert ntorch.hash_tensor(ntorch.zeros(0, 3), 0).shape == (3,)
    with pytest.raises(RuntimeError, match=r"Expected reduction dim to be specified for input.numel\(\) == 0"):
        ntorch.hash_tensor(ntorch.zeros(0))


def test_as_subclass():
    class Mine(ntorch.Tensor):
        pass

    x = ntorch.ones(2, requires_grad=True)
    m = x.as_subclass(Mine)
    assert type(m) is Mine and m.data_ptr() == x.data_ptr() and m.requires_grad and m.grad_fn is not None
    (m * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(TypeError, match="^Creating a Tensor subclass from a class that does not inherit from Tensor"):
        x.as_subclass(int)
