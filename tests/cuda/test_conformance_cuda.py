"""The conformance-sweep fixes (tools/conformance_sweep.py) on CUDA tensors: signed zeros of relu / round, the
activations' NaN and gradient rules, reductions' out=, nonzero(as_tuple) layout, masked_fill's overflow check,
in-place bool scans. Tiny shapes; the expected values are written from torch's documented rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F


def cuda(values, dtype=nt.float32, requires_grad=False):
    return nt.tensor(values, dtype=dtype, device="cuda", requires_grad=requires_grad)


def test_relu_and_round_keep_negative_zero():
    x = cuda([-0.0, 0.0, -0.25, -1.5, 2.5, math.nan])
    r = nt.relu(x).cpu().numpy()
    np.testing.assert_array_equal(r, [0, 0, 0, 0, 2.5, math.nan])
    assert list(np.signbit(r[:4])) == [True, False, False, False]
    o = nt.round(x).cpu().numpy()
    np.testing.assert_array_equal(o, [0, 0, 0, -2, 2, math.nan])
    assert list(np.signbit(o[:5])) == [True, False, True, True, False]


def test_activation_values_and_gradients():
    x = cuda([-3.0, 3.0, -1.0, 1.0, 6.0, 0.0], nt.float64, requires_grad=True)
    (g,) = nt.autograd.grad(F.hardtanh(x).sum(), x)
    assert g.is_cuda and g.cpu().tolist() == [0, 0, 0, 0, 0, 1]
    (g,) = nt.autograd.grad(F.hardswish(x).sum(), x)
    np.testing.assert_allclose(g.cpu().numpy(), [0, 1, 1 / 6, 5 / 6, 1, 0.5], rtol=1e-15)
    y = cuda([math.nan, -0.2, 0.2, 3.0])
    np.testing.assert_array_equal(F.hardshrink(y).cpu().numpy(), [math.nan, 0, 0, 3])
    np.testing.assert_array_equal(F.threshold(y, 0.5, -2.0).cpu().numpy(), [math.nan, -2, -2, 3])
    r = F.hardtanh(cuda([-3, 0, 5], nt.int8), -0.5, 2.7)
    assert r.is_cuda and r.dtype is nt.int8 and r.cpu().tolist() == [0, 0, 2]


@pytest.mark.parametrize("name", ["amax", "prod", "var", "argmax", "any", "logsumexp"])
def test_reduction_out_on_cuda(name):
    a = np.array([[0.5, -1.5, 2.0], [3.0, 1.0, -2.5]])
    res = getattr(nt, name)(cuda(a, nt.float64), 1)
    out = nt.empty(0, dtype=res.dtype, device="cuda")
    assert getattr(nt, name)(cuda(a, nt.float64), 1, out=out) is out
    assert out.is_cuda and out.shape == (2,)
    np.testing.assert_array_equal(out.cpu().numpy(), res.cpu().numpy())


def test_nonzero_masked_fill_and_bool_scans():
    rows, cols = nt.nonzero(cuda([[1, 0], [2, 3]], nt.int64), as_tuple=True)
    assert rows.cpu().tolist() == [0, 1, 1] and cols.cpu().tolist() == [0, 0, 1]
    x = cuda([1, 2], nt.uint8)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8_t without overflow$"):
        x.masked_fill(cuda([True, False], nt.bool), -1.5)
    with pytest.raises(NotImplementedError, match="^\"cumsum_out_cuda\" not implemented for 'Bool'$"):
        cuda([True, False], nt.bool).cumsum_(0)


def test_view_dtype_of_another_element_size_and_integer_min_division():
    """view(dtype) across element sizes reads the same device bytes (NumPy's view of them is the oracle); the
    op table's int min // -1 wraps and min % -1 is 0 on the device too, as torch."""
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    x = cuda(a, nt.int32)
    v = x.view(nt.int64)
    assert v.shape == (2, 3, 2) and v.stride() == (6, 2, 1)
    np.testing.assert_array_equal(v.cpu().numpy(), a.view(np.int64))
    s = x[:, :, 1:].view(nt.int8)
    assert s.stride() == (48, 16, 1) and s.storage_offset() == 4
    np.testing.assert_array_equal(s.cpu().numpy(), np.ascontiguousarray(a[:, :, 1:]).view(np.int8))
    lo = -(2**63)
    n = cuda([lo, 7], nt.int64)
    assert (n // cuda([-1, -1], nt.int64)).tolist() == [lo, -7]
    assert (n % cuda([-1, 2], nt.int64)).tolist() == [0, 1]
