"""Behaviours the conformance sweep (tools/conformance_sweep.py) found apart from torch 2.13, fixed; each
expectation is torch's documented or observed behaviour, hard-coded."""

import re

import numpy as np
import pytest

import ntorch as nt


def test_narrow_of_a_0d_tensor_is_torch_runtime_error():
    """torch checks for a 0-d input before the dim (so a bad dim still gives this RuntimeError)."""
    for dim, start in [(0, 0), (1, 1), (-1, -3)]:
        with pytest.raises(RuntimeError, match=re.escape("narrow() cannot be applied to a 0-dim tensor.")):
            nt.tensor(2.0).narrow(dim, start, 1)


def test_mT_of_a_0d_tensor_is_the_identity():
    """torch: Tensor.mT of a 0-d tensor returns it (with a deprecation warning); of a vector, an error."""
    x = nt.tensor(2.0)
    with pytest.warns(UserWarning, match="Tensor.mT is deprecated on 0-D tensors"):
        y = x.mT
    assert y.shape == () and y.item() == 2.0 and np.shares_memory(y.numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="Got 1-D tensor"):
        _ = nt.ones(3).mT


def test_signbit_and_nonzero_out_dtypes():
    """torch: signbit writes only bool outs; nonzero only int64 outs (its message lacks a space)."""
    a = nt.tensor([1.0, -0.0, -2.0])
    with pytest.raises(RuntimeError, match="signbit does not support non-boolean outputs."):
        nt.signbit(a, out=nt.zeros(3, dtype=nt.int64))
    o = nt.zeros(3, dtype=nt.bool)
    assert nt.signbit(a, out=o).tolist() == [False, True, True] and o.tolist() == [False, True, True]
    with pytest.raises(RuntimeError, match="Expected out tensor to have scalar type Long but got scalar typeFloat$"):
        nt.nonzero(a, out=nt.zeros(0))
    o = nt.zeros(0, dtype=nt.int64)
    nt.nonzero(a, out=o)
    assert o.tolist() == [[0], [2]]


def test_scatter_reduce_integer_mean_sums_in_the_dtype():
    """torch's integer scatter_reduce('mean') sums in the input dtype (wrapping) and floors the division;
    expected values are NumPy's wrapped sums floor-divided by the counts."""
    for dt in ("uint8", "int8", "int16", "int32", "int64"):
        info = np.iinfo(dt)
        x = np.array([[info.max, 3, info.min, 5]], dtype=dt)
        src = np.array([[info.max, info.max - 1, 7, info.min]], dtype=dt)
        idx = np.array([[0, 0, 2, 2]])
        for include_self in (True, False):
            with np.errstate(over="ignore"):
                s0 = (x[0, 0] if include_self else np.array(0, dt)) + src[0, 0] + src[0, 1]
                s2 = (x[0, 2] if include_self else np.array(0, dt)) + src[0, 2] + src[0, 3]
            n = 2 + include_self
            want = [int(s0) // n, 3, int(s2) // n, 5]
            got = nt.from_numpy(x.copy()).scatter_reduce(1, nt.from_numpy(idx), nt.from_numpy(src), "mean",
                                                         include_self=include_self)
            assert got.tolist() == [want], (dt, include_self)


@pytest.mark.parametrize("call, message", [
    (lambda b: nt.trapezoid(b), "trapezoid: received a bool input for `y`, but bool is not supported"),
    (lambda b: nt.trapezoid(b, dx=2), "trapezoid: received a bool input for `y`, but bool is not supported"),
    (lambda b: nt.trapezoid(nt.ones(5), b[0]), "trapezoid: received a bool input for `x` or `y`, but bool is not "
                                               "supported"),
    (lambda b: nt.cumulative_trapezoid(b), "cumulative_trapezoid: received a bool input for `y`, but bool is not "
                                           "supported"),
    (lambda b: nt.cumulative_trapezoid(b, nt.ones(5)), "cumulative_trapezoid: received a bool input for `x` or "
                                                       "`y`, but bool is not supported"),
    (lambda b: nt.cov(b), "cov(): bool dtype is not supported for input"),
    (lambda b: nt.corrcoef(b), "cov(): bool dtype is not supported for input"),
    (lambda b: nt.cov(nt.ones(3, 5), fweights=b[0]), "cov(): expected fweights to have integral dtype but got "
                                                      "fweights with Bool dtype"),
])
def test_statistics_refuse_bool_as_torch(call, message):
    with pytest.raises(RuntimeError, match="^" + re.escape(message) + "$"):
        call(nt.ones(3, 5, dtype=nt.bool))


@pytest.mark.parametrize("dt, name", [(nt.bool, "Bool"), (nt.uint8, "Byte"), (nt.int64, "Long")])
def test_renorm_refuses_integers_as_torch(dt, name):
    """torch's renorm takes its norms with linalg.vector_norm, which refuses non-float inputs."""
    with pytest.raises(RuntimeError, match="^linalg.vector_norm: Expected a floating point or complex tensor as "
                                           f"input. Got {name}$"):
        nt.renorm(nt.ones(3, 5, dtype=dt), 2, 0, 1.0)


@pytest.mark.parametrize("name", ["atan2", "logical_and", "logical_xor", "ldexp", "nextafter"])
def test_tensor_only_inplace_methods_refuse_numbers(name):
    """torch 2.13: these in-place methods take a Tensor only (TypeError for a Python number)."""
    with pytest.raises(TypeError, match=re.escape(f"{name}_(): argument 'other' (position 1) must be Tensor, not "
                                                  "float")):
        getattr(nt.ones(2), name + "_")(2.5)


def test_clamp_of_bool_by_bools_is_not_implemented():
    """torch 2.13 has no bool clamp kernel: bool bounds on a bool tensor raise; number bounds promote."""
    b = nt.tensor([True, False])
    for lo, hi, kind in [(True, None, "clamp_min_scalar"), (None, True, "clamp_max_scalar"),
                         (True, True, "clamp_scalar")]:
        with pytest.raises(NotImplementedError, match=f"^\"{kind}_cpu\" not implemented for 'Bool'$"):
            nt.clamp(b, lo, hi)
    assert nt.clamp(b, True, 2).tolist() == [1, 1] and nt.clamp(b, -1, 2).dtype is nt.int64


def test_isposinf_isneginf_out_and_isnan_family_without_out():
    """torch: isposinf/isneginf take a bool out= only; isnan/isinf/isfinite have no out= at all (TypeError)."""
    a = nt.tensor([1.0, float("inf"), -float("inf"), float("nan")])
    for name, want in (("isposinf", [False, True, False, False]), ("isneginf", [False, False, True, False])):
        o = nt.zeros(4, dtype=nt.bool)
        assert getattr(nt, name)(a, out=o) is o and o.tolist() == want
        with pytest.raises(RuntimeError, match=f"{name} does not support non-boolean outputs."):
            getattr(nt, name)(a, out=nt.zeros(4, dtype=nt.int64))
        o = nt.ones(0, dtype=nt.bool)
        getattr(nt, name)(nt.tensor([1, 2]), out=o)
        assert o.tolist() == [False, False]
    for name in ("isnan", "isinf", "isfinite"):
        with pytest.raises(TypeError, match=f"{name}\\(\\) got an unexpected keyword argument 'out'"):
            getattr(nt, name)(a, out=nt.zeros(4, dtype=nt.bool))
