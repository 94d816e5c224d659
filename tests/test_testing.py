"""ntorch.testing against torch 2.13's documented behaviour (messages copied from torch's output for the same
inputs; numbers recomputed by hand in the comments)."""

import re
import warnings

import numpy as np
import pytest

import ntorch
from ntorch.testing import assert_allclose, assert_close, make_tensor


def _fails(exc, match, *args, **kwargs):
    with pytest.raises(exc, match=match):
        assert_close(*args, **kwargs)


def test_close_values_pass_within_default_tolerances():
    assert_close(ntorch.tensor([1.0, 2.0]), ntorch.tensor([1.0, 2.0]) + 1e-6)  # float32 atol 1e-5
    assert_close(ntorch.tensor([0.0, 1.0]), ntorch.tensor([1e-5, 1.0]))  # |d| = atol exactly
    assert_close(ntorch.tensor([1.0, float("inf")]), ntorch.tensor([1.0, float("inf")]))
    assert_close(ntorch.tensor([float("nan")]), ntorch.tensor([float("nan")]), equal_nan=True)
    assert_close(ntorch.tensor(1.0, requires_grad=True), ntorch.tensor(1.0))
    assert_close(ntorch.zeros(0), ntorch.zeros(0))
    assert_close(1, 1.0, check_dtype=False)  # Python numbers of different types: only without check_dtype
    assert_close(np.float32(1.0), 1.0)
    assert_close(None, None)
    assert_close(np.array([1.0]), np.array([1.0]))


def test_tensor_mismatch_message_is_torchs():
    msg = ("Tensor-likes are not close!\n\nMismatched elements: 1 / 4 (25.0%)\n"
           "Greatest absolute difference: 1.0 at index (1, 1) (up to 1e-05 allowed)\n"
           "Greatest relative difference: 0.20000000298023224 at index (1, 1) (up to 1.3e-06 allowed)")
    with pytest.raises(AssertionError) as info:
        assert_close(ntorch.tensor([[1.0, 2.0], [3.0, 4.0]]), ntorch.tensor([[1.0, 2.0], [3.0, 5.0]]))
    assert str(info.value) == msg  # 1/5 in float32 = 0.20000000298...


def test_integer_mismatch_is_an_equality_message():
    msg = ("Tensor-likes are not equal!\n\nMismatched elements: 1 / 3 (33.3%)\n"
           "Greatest absolute difference: 1 at index (2,)\nGreatest relative difference: 0.25 at index (2,)")
    with pytest.raises(AssertionError) as info:
        assert_close(ntorch.tensor([1, 2, 3]), ntorch.tensor([1, 2, 4]))
    assert str(info.value) == msg
    # int32 vs int64 promoted; the relative difference is a float32 division as in torch: 1/3 -> 0.3333333432674408
    with pytest.raises(AssertionError, match=re.escape("relative difference: 0.3333333432674408 at index (1,)")):
        assert_close(ntorch.tensor([1, 2], dtype=ntorch.int32), ntorch.tensor([1, 3]), check_dtype=False)


def test_nan_and_inf_mismatches():
    _fails(AssertionError, re.escape("Greatest absolute difference: nan at index (0,)"),
           ntorch.tensor([float("nan")]), ntorch.tensor([float("nan")]))
    _fails(AssertionError, re.escape("Greatest absolute difference: inf at index (1,)"),
           ntorch.tensor([1.0, float("inf")]), ntorch.tensor([1.0, -float("inf")]))


def test_attribute_mismatches():
    _fails(AssertionError,
           re.escape("The values for attribute 'dtype' do not match: ntorch.float32 != ntorch.float64."),
           ntorch.tensor([1.0, 2.0]), ntorch.tensor([1.0, 2.0], dtype=ntorch.float64))
    _fails(AssertionError, re.escape("The values for attribute 'shape' do not match: ntorch.Size([2]) != "
                                     "ntorch.Size([3])."), ntorch.tensor([1.0, 2.0]), ntorch.tensor([1.0, 2.0, 3.0]))
    _fails(AssertionError, re.escape("The values for attribute 'stride()' do not match: (1, 2) != (2, 1)."),
           ntorch.ones(2, 2).t(), ntorch.ones(2, 2), check_stride=True)
    assert_close(ntorch.ones(2, 2).t(), ntorch.ones(2, 2))
    assert_close(ntorch.tensor([1.0, 2.0]), ntorch.tensor([1.0, 2.0], dtype=ntorch.float64), check_dtype=False)


def test_scalars_and_nesting():
    msg = ("Scalars are not close!\n\nExpected 2.0 but got 1.0.\nAbsolute difference: 1.0 (up to 1e-05 allowed)\n"
           "Relative difference: 0.5 (up to 1.3e-06 allowed)\n\nThe failure occurred for item ['a']")
    with pytest.raises(AssertionError) as info:
        assert_close({"a": ntorch.tensor(1.0)}, {"a": ntorch.tensor(2.0)})
    assert str(info.value) == msg
    _fails(AssertionError, re.escape("The failure occurred for item [1]"), (ntorch.tensor(1.0), 2),
           (ntorch.tensor(1.0), 3))
    _fails(AssertionError, "The length of the sequences mismatch: 2 != 1", [1, 2], [1])
    _fails(AssertionError, re.escape("Missing keys in the actual mapping: ['b']"), {"a": 1}, {"b": 1})
    _fails(AssertionError, "Expected 1.1 but got 1.0", 1.0, 1.1)  # float: float64 tolerances
    _fails(AssertionError, re.escape("The (d)types do not match: <class 'int'> != <class 'float'>."), 1, 1.0)
    _fails(AssertionError, "None mismatch: None is not 1", None, 1)
    _fails(AssertionError, "Booleans mismatch: True is not False", True, False)


def test_unsupported_pairs_and_bad_tolerances():
    _fails(TypeError, "No comparison pair was able to handle inputs", ntorch.tensor(1.0), 1.0)
    _fails(TypeError, "No comparison pair was able to handle inputs", np.array([1.0]), ntorch.tensor([1.0]))
    _fails(TypeError, "No comparison pair was able to handle inputs", "a", "a")
    _fails(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.",
           ntorch.tensor([1.0]), ntorch.tensor([2.0]), rtol=1e-3)


def test_msg_overrides_and_callables():
    _fails(AssertionError, "^custom$", ntorch.tensor([1.0]), ntorch.tensor([2.0]), msg="custom")
    _fails(AssertionError, "^XTensor-likes are not close", ntorch.tensor([1.0]), ntorch.tensor([2.0]),
           msg=lambda m: "X" + m)


def test_float16_tolerances_and_explicit_zero_tolerance():
    assert_close(ntorch.tensor([1.0, 2.0], dtype=ntorch.float16), ntorch.tensor([1.001, 2.0], dtype=ntorch.float16))
    _fails(AssertionError, "Tensor-likes are not equal!", ntorch.tensor([[1.0]]), ntorch.tensor([[2.0]]), atol=0,
           rtol=0)


def test_assert_allclose_is_deprecated_and_looser():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert_allclose(ntorch.tensor([1.0]), [1.00005])  # float32 rtol 1e-4 here, 1.3e-6 in assert_close
    assert any(issubclass(w.category, FutureWarning) for w in caught)


@pytest.mark.parametrize("dtype,lo,hi", [
    (ntorch.float32, -9, 9), (ntorch.float64, -9, 9), (ntorch.float16, -9, 9), (ntorch.int8, -9, 9),
    (ntorch.int64, -9, 9), (ntorch.uint8, 0, 9), (ntorch.bool, 0, 1),
])
def test_make_tensor_ranges_and_layout(dtype, lo, hi):
    x = make_tensor(8, 33, dtype=dtype, device="cpu")
    assert x.shape == (8, 33) and x.dtype == dtype and x.is_contiguous()
    v = x.to(ntorch.float64).numpy()
    assert v.min() >= lo and v.max() <= hi
    y = make_tensor((4, 5), dtype=dtype, device="cpu", noncontiguous=True, exclude_zero=True)
    assert y.shape == (4, 5) and not y.is_contiguous() and y.storage_offset() == 1
    assert not bool((y == 0).any())


def test_make_tensor_bounds_and_errors():
    x = make_tensor(1000, dtype=ntorch.float64, device="cpu", low=2.0, high=3.0, requires_grad=True)
    assert x.requires_grad and 2.0 <= float(x.min()) and float(x.max()) < 3.0
    with pytest.raises(ValueError, match="`low` must be less than `high`, but got 2 >= 1"):
        make_tensor(3, dtype=ntorch.float32, device="cpu", low=2, high=1)
    with pytest.raises(ValueError, match="`requires_grad=True` is not supported for boolean and integral dtypes"):
        make_tensor(3, dtype=ntorch.int64, device="cpu", requires_grad=True)
    with pytest.raises(ValueError, match=re.escape("is [-5, -1), but ntorch.uint8 only supports [0, 256)")):
        make_tensor(3, dtype=ntorch.uint8, device="cpu", low=-5, high=-1)
    wide = make_tensor(100, dtype=ntorch.float16, device="cpu", low=-1e6, high=1e6)  # clamped to float16's range
    assert np.isfinite(wide.to(ntorch.float32).numpy()).all()
