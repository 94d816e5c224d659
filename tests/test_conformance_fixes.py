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


def test_rms_norm_float16_computes_in_float32():
    """torch upcasts float16 to float32 for rms_norm (eps defaults to float32's epsilon) and casts back."""
    x = np.array([[1.1, 2.3, 1e-3], [300.0, 0.7, 60000.0]], dtype=np.float16)
    x32 = x.astype(np.float32)
    want = (x32 / np.sqrt((x32 * x32).mean(-1, keepdims=True) + np.finfo(np.float32).eps)).astype(np.float16)
    got = nt.nn.functional.rms_norm(nt.from_numpy(x), (3,))
    assert got.dtype is nt.float16
    np.testing.assert_array_equal(got.numpy(), want)  # float16 squares of 60000 overflow: the old result was 0
    m = nt.nn.RMSNorm(3, dtype=nt.float16)
    np.testing.assert_array_equal(m(nt.from_numpy(x)).detach().numpy(), want)


def test_cdist_dtype_rules_of_torch_kernels():
    """torch's cdist kernel (no matmul path) has no float16 form and wants equal dtypes; empty inputs never reach
    it (the result takes x1's dtype); the matmul path (p=2, more than 25 rows) takes float16."""
    h = nt.ones(2, 3, dtype=nt.float16)
    with pytest.raises(NotImplementedError, match="\"cdist\" not implemented for 'Half'"):
        nt.cdist(h, h)
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        nt.cdist(nt.ones(2, 3, dtype=nt.float64), nt.ones(2, 3))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype, but got: float != double"):
        nt.cdist(nt.ones(30, 3), nt.ones(2, 3, dtype=nt.float64))
    assert nt.cdist(nt.ones(30, 3, dtype=nt.float16), h).dtype is nt.float16
    e = nt.cdist(nt.ones(0, 3, dtype=nt.float16), h)
    assert e.shape == (0, 2) and e.dtype is nt.float16
    z = nt.cdist(nt.ones(2, 0), nt.ones(2, 0, dtype=nt.float64))
    assert z.dtype is nt.float32 and z.tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_glu_integer_and_softmax_empty_integer():
    """torch: glu has no integer kernel (after its shape checks); softmax of an empty integer/bool tensor returns
    an empty tensor of that dtype (the kernel that refuses the dtype never runs)."""
    with pytest.raises(NotImplementedError, match="\"glu_cpu\" not implemented for 'Int'"):
        nt.nn.functional.glu(nt.ones(2, 4, dtype=nt.int32))
    with pytest.raises(RuntimeError, match="Halving dimension must be even"):
        nt.nn.functional.glu(nt.ones(2, 3, dtype=nt.int32))
    for fn in (nt.softmax, nt.log_softmax):
        for dt in (nt.bool, nt.int64):
            r = fn(nt.ones(0, 3, dtype=dt), 1)
            assert r.shape == (0, 3) and r.dtype is dt
        with pytest.raises(NotImplementedError, match="not implemented for 'Bool'"):
            fn(nt.ones(2, 3, dtype=nt.bool), 1)


def test_arange_linspace_logspace_refuse_bool():
    """torch has no bool kernel for them; linspace/logspace of 0 or 1 steps skip the kernel."""
    for call, op in ((lambda: nt.arange(3, dtype=nt.bool), "arange"), (lambda: nt.arange(0, dtype=nt.bool), "arange"),
                     (lambda: nt.linspace(0, 1, 5, dtype=nt.bool), "linspace"),
                     (lambda: nt.logspace(0, 1, 3, dtype=nt.bool), "logspace")):
        with pytest.raises(NotImplementedError, match=f"\"{op}_cpu\" not implemented for 'Bool'"):
            call()
    assert nt.linspace(0, 1, 1, dtype=nt.bool).tolist() == [False]
    assert nt.logspace(0, 1, 1, dtype=nt.bool).tolist() == [True]
    assert nt.linspace(0, 1, 0, dtype=nt.bool).tolist() == []


def test_integer_linspace_steps_from_the_converted_ends():
    """torch converts start/end to the integer dtype first (checked; -1 wraps to 255 for uint8), then steps in
    double: linspace(-2, 5, 5, uint8) runs from 254 to 5 by (5 - 254) / 4, truncated."""
    want = np.trunc(254 + (5 - 254) / 4 * np.arange(5)).astype(np.uint8)
    want[-1] = 5
    assert nt.linspace(-2, 5, 5, dtype=nt.uint8).tolist() == want.tolist() == [254, 191, 129, 67, 5]
    assert nt.linspace(-2, 5, 5, dtype=nt.int8).tolist() == [-2, 0, 1, 3, 5]
    for args, ctype in (((-2.5, 5, 5, nt.uint8), "uint8_t"), ((3, -200, 3, nt.int8), "int8_t")):
        with pytest.raises(RuntimeError, match=f"value cannot be converted to type {ctype} without overflow"):
            nt.linspace(*args[:3], dtype=args[3])
    assert nt.logspace(-2, 2, 5, base=2, dtype=nt.uint8).tolist() == [0, 0, 0, 0, 4]  # 2 ** 254 ... wrap to 0


def test_full_wraps_negative_ints_into_unsigned():
    """torch: full((2,), -1, dtype=uint8) is 255 (ints -255..-1 wrap); -256 overflows."""
    assert nt.full((2,), -1, dtype=nt.uint8).tolist() == [255, 255]
    assert nt.full((2,), -255, dtype=nt.uint8).tolist() == [1, 1]
    assert nt.full_like(nt.ones(2, dtype=nt.uint8), -2).tolist() == [254, 254]
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        nt.full((2,), -256, dtype=nt.uint8)


def test_view_dtype_of_another_element_size():
    """torch's view(dtype) with a size ratio: the last dim (stride 1) scales, other strides and the storage offset
    scale with it; NumPy's view of the same bytes is the oracle."""
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    x = nt.from_numpy(a.copy())
    v = x.view(nt.int64)
    assert v.shape == (2, 3, 2) and v.stride() == (6, 2, 1)
    np.testing.assert_array_equal(v.numpy(), a.view(np.int64))
    b = x[:, 1:, 2:].view(nt.int64)
    assert b.storage_offset() == 3
    np.testing.assert_array_equal(b.numpy(), np.ascontiguousarray(a[:, 1:, 2:]).view(np.int64))
    s = x[:, :, 1:].view(nt.int8)
    assert s.shape == (2, 3, 12) and s.stride() == (48, 16, 1) and s.storage_offset() == 4
    np.testing.assert_array_equal(s.numpy(), np.ascontiguousarray(a[:, :, 1:]).view(np.int8))
    h = x.view(nt.int16)
    h[0, 0, 2] = 7  # a view: writes reach x (little-endian low half of element 1)
    assert x[0, 0, 1].item() == 7
    what = "to view Int as Long (different element sizes)"
    for t, msg in ((x[0, 0, 0], f"self.dim() cannot be 0 {what}"),
                   (x[:, :, 1:], f"self.size(-1) must be divisible by 2 {what}, but got 3"),
                   (x[:, :, 1:3], f"self.storage_offset() must be divisible by 2 {what}, but got 1"),
                   (x[:, :, ::2], f"self.stride(-1) must be 1 {what}, but got 2"),
                   (x.transpose(1, 2)[:, :, :2], f"self.stride(-1) must be 1 {what}, but got 4")):
        with pytest.raises(RuntimeError, match=re.escape(msg)):
            t.view(nt.int64)
    with pytest.raises(RuntimeError, match=re.escape("self.stride(-1) must be 1 to view Int as Short")):
        x.transpose(1, 2).view(nt.int16)


def test_bool_pow_of_bool_and_gcd_inplace_wants_tensor():
    """torch answers pow exponents False/True without a kernel (ones / a copy), so bool ** bool works;
    Tensor.gcd_/lcm_ take a Tensor only."""
    a = nt.tensor([True, False])
    assert (a ** True).tolist() == [True, False] and (a ** True).dtype is nt.bool
    assert nt.pow(a, False).tolist() == [True, True]
    for name in ("gcd_", "lcm_"):
        with pytest.raises(TypeError, match=f"{name}\\(\\): argument 'other' \\(position 1\\) must be Tensor, not int"):
            getattr(nt.tensor([4, 6]), name)(2)


def test_silu_of_minus_inf_is_nan():
    """torch computes silu as x / (1 + exp(-x)): -inf / inf is NaN in every float dtype (not the limit -0.0)."""
    for dt in (nt.float16, nt.float32, nt.float64):
        x = nt.tensor([-float("inf"), -3.0, 0.0, float("inf")], dtype=dt)
        got = nt.nn.functional.silu(x).tolist()
        assert np.isnan(got[0]) and got[2:] == [0.0, float("inf")], dt
        nt.nn.functional.silu(x, inplace=True)
        assert np.isnan(x[0].item())


def test_hardsigmoid_gradient_is_float32_sixth():
    """torch's hardsigmoid_backward multiplies by the float literal 1.0f / 6.0f, also for float64 inputs;
    0 outside (-3, 3) and at NaN."""
    x = nt.tensor([-4.0, -3.0, -1.0, 0.0, 2.5, 3.0, float("nan")], dtype=nt.float64, requires_grad=True)
    y = nt.nn.functional.hardsigmoid(x)
    np.testing.assert_array_equal(y.detach().numpy()[:6], np.clip(np.array([-4.0, -3, -1, 0, 2.5, 3]) + 3, 0, 6) / 6)
    (g,) = nt.autograd.grad(y.sum(), x)
    sixth = float(np.float32(1) / np.float32(6))
    assert g.tolist() == [0.0, 0.0, sixth, sixth, sixth, 0.0, 0.0]


def test_nll_loss_gradient_has_positive_zeros_off_target():
    """torch's nll_loss backward writes -w * g at the targets into zeros: +0.0 elsewhere whatever g's sign."""
    x = nt.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    loss = nt.nn.functional.nll_loss(x, nt.tensor([0, 2]), reduction="none")
    (g,) = nt.autograd.grad(loss, x, nt.tensor([1.0, -2.0]))
    assert g.tolist() == [[-1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    assert np.signbit(g.numpy()).tolist() == [[True, False, False], [False, False, False]]


def test_integer_division_by_minus_one_wraps_as_torch():
    """torch (two's complement): min // -1 wraps to min, min % -1 and fmod(min, -1) are 0, for every signed type."""
    for dt in (nt.int8, nt.int16, nt.int32, nt.int64):
        lo = int(np.iinfo(dt.np).min)
        a = nt.tensor([lo, 7, -7, 5], dtype=dt)
        b = nt.tensor([-1, -1, 2, -3], dtype=dt)
        assert (a // b).tolist() == [lo, -7, -4, -2], dt
        assert (a % b).tolist() == [0, 0, 1, -1], dt
        assert nt.fmod(a, b).tolist() == [0, 0, -1, 2], dt
        assert (a // -1).tolist() == [lo, -7, 7, -5] and nt.remainder(a, -1).tolist() == [0, 0, 0, 0], dt


def test_floor_divide_and_heaviside_have_no_derivative():
    """torch: the results require grad (grad_fn NotImplemented) and backward raises; div(rounding_mode='floor')
    keeps its zero gradient."""
    x = nt.tensor([1.5, 2.5], dtype=nt.float64, requires_grad=True)
    for op, y in (("floor_divide", nt.floor_divide(x, 2.0)), ("floor_divide", x // 2),
                  ("heaviside", nt.heaviside(x, nt.tensor([1.0, 2.0], dtype=nt.float64)))):
        assert y.requires_grad and y.grad_fn.name() == "NotImplemented"
        with pytest.raises(RuntimeError, match=f"derivative for aten::{op} is not implemented"):
            y.sum().backward()
    (g,) = nt.autograd.grad(nt.div(x, 2.0, rounding_mode="floor").sum(), x)
    assert g.tolist() == [0.0, 0.0]


def test_reduction_dtype_and_out_must_agree():
    """torch: with dtype= an out= of another dtype raises (sum/mean/prod/cumsum/cumprod name the C++ types;
    nansum/nanmean their own message); without dtype= the result is cast into out."""
    x = nt.ones(2, 3)
    for fn in (nt.sum, nt.mean, nt.prod, nt.cumsum, nt.cumprod):
        with pytest.raises(RuntimeError, match="Expected out tensor to have dtype float, but got double instead"):
            fn(x, 1, dtype=nt.float32, out=nt.empty(0, dtype=nt.float64))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, but got int instead"):
        nt.sum(x, 1, dtype=nt.int64, out=nt.empty(0, dtype=nt.int32))
    for fn in (nt.nansum, nt.nanmean):
        with pytest.raises(RuntimeError, match=re.escape("nansum: provided dtype must match dtype of result. Got "
                                                         "Double and Float.")):
            fn(x, 1, dtype=nt.float32, out=nt.empty(0, dtype=nt.float64))
    o = nt.empty(0, dtype=nt.float64)
    nt.mean(x, 1, out=o)
    assert o.tolist() == [1.0, 1.0] and o.dtype is nt.float64


def test_cumsum_cumprod_have_no_bool_kernel():
    """torch: a bool result (dtype= or out=) raises, except for 0-d and empty inputs (no kernel runs)."""
    for op in ("cumsum", "cumprod"):
        fn = getattr(nt, op)
        with pytest.raises(NotImplementedError, match=f"\"{op}_out_cpu\" not implemented for 'Bool'"):
            fn(nt.ones(2, dtype=nt.int64), 0, dtype=nt.bool)
        with pytest.raises(NotImplementedError, match=f"\"{op}_out_cpu\" not implemented for 'Bool'"):
            fn(nt.ones(2, dtype=nt.bool), 0, out=nt.empty(0, dtype=nt.bool))
        assert fn(nt.tensor(True), 0, dtype=nt.bool).tolist() is True
        assert fn(nt.ones(0, dtype=nt.bool), 0, dtype=nt.bool).dtype is nt.bool
    assert nt.cumsum(nt.ones(3, dtype=nt.bool), 0).tolist() == [1, 2, 3]


def test_softshrink_gradient_is_positive_zero_in_the_dead_zone():
    """torch's softshrink_backward: 0 (+0.0) for -lambd <= x <= lambd, else the incoming gradient (NaN passes it)."""
    x = nt.tensor([-2.0, -0.5, -0.0, 0.0, 0.5, 2.0, float("nan")], dtype=nt.float64, requires_grad=True)
    y = nt.nn.functional.softshrink(x, 1.0)
    (g,) = nt.autograd.grad(y, x, nt.tensor([-1.0, -1, -1, -1, 1, 1, -1], dtype=nt.float64))
    assert g.tolist() == [-1.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0]
    assert np.signbit(g.numpy()).tolist() == [True, False, False, False, False, False, True]


def test_mean_to_float16_sums_in_float32():
    """torch's CPU mean(dtype=float16) casts the input to float32, sums, divides, and rounds once to float16:
    int32 extremes stay finite (float32(2**31 - 1) + float32(-2**31) = 0)."""
    x = nt.tensor([2**31 - 1, -(2**31), 3, 4], dtype=nt.int32)
    want = np.float16(np.array([2**31 - 1, -(2**31), 3, 4]).astype(np.float32).sum() / np.float32(4))
    r = x.mean(dtype=nt.float16)
    assert r.dtype is nt.float16 and r.item() == float(want) == 1.75
    v = np.array([[0.1, 0.2, 0.3], [1e-4, 3.3, 7.7]])
    got = nt.tensor(v).mean(1, dtype=nt.float16).numpy()
    want = (v.astype(np.float32).sum(1, dtype=np.float32) / np.float32(3)).astype(np.float16)
    np.testing.assert_array_equal(got, want)


def test_mean_dtype_gradient_has_the_input_dtype():
    """torch casts mean(dtype=)'s gradient back to the input's dtype (as sum(dtype=) already did here)."""
    x = nt.tensor([1.0, 2.0], dtype=nt.float64, requires_grad=True)
    x.mean(dtype=nt.float16).backward()
    assert x.grad.dtype is nt.float64 and x.grad.tolist() == [0.5, 0.5]


def test_renorm_leaves_a_nan_norm_slice_alone():
    """torch scales a slice only where its norm > maxnorm: a NaN norm compares false, the slice is unchanged."""
    x = nt.tensor([[3.0, 4.0], [float("nan"), 1.0], [0.3, 0.4]], dtype=nt.float64)
    got = nt.renorm(x, 2, 0, 1.0).numpy()
    np.testing.assert_allclose(got[0], np.array([3.0, 4.0]) * (1.0 / (5.0 + 1e-7)), rtol=1e-15)
    np.testing.assert_array_equal(got[1:], x.numpy()[1:])


def test_unique_keeps_the_zero_torch_std_sort_puts_first():
    """torch's CPU unique sorts with std::sort (not stable past 16 elements): here -0.0 comes first in the input,
    but torch 2.13 returns +0.0 (observed, every float dtype); a short input keeps the first zero."""
    inf, nan = float("inf"), float("nan")
    v = [-0.0, 0.0, inf, 0.001, 7.0, 2.25, -inf, inf, 3.75, -0.0, nan, 3.75, 0.5, -1.5, -0.75, 0.0, 1.0, -inf, nan,
         2.25, 0.25, -2.5, -1.5, 0.5]
    for dt in (nt.float16, nt.float32, nt.float64):
        u = nt.unique(nt.tensor(v, dtype=dt)).numpy()
        z = u[u == 0]
        assert z.size == 1 and not np.signbit(z[0]), dt
        w = nt.unique(nt.tensor([-0.0, 0.0, 1.0], dtype=dt)).numpy()
        assert np.signbit(w[0])


@pytest.mark.parametrize("dt", [nt.float16, nt.float32, nt.float64])
def test_gelu_tanh_of_minus_inf_is_nan(dt):
    """torch: 0.5 * x * (1 + tanh(...)) is -inf * 0 = nan at -inf in every dtype; large finite negatives give -0.0."""
    got = nt.nn.functional.gelu(nt.tensor([-np.inf, -30.0, np.inf], dtype=dt), approximate="tanh").numpy()
    assert np.isnan(got[0]) and got[1] == 0 and np.signbit(got[1]) and got[2] == np.inf


@pytest.mark.parametrize("name,kw", [("logsigmoid", {}), ("rrelu", {"training": False}),
                                     ("rrelu", {"training": True})])
def test_logsigmoid_and_rrelu_return_contiguous(name, kw):
    """torch allocates these outputs contiguous (log_sigmoid_forward, rrelu_with_noise) whatever the input layout."""
    base = np.arange(15, dtype=np.float32).reshape(5, 3) - 7
    x = nt.tensor(base).t()
    y = getattr(nt.nn.functional, name)(x, **kw)
    assert y.is_contiguous() and y.stride() == (5, 1)
    if name == "logsigmoid":
        np.testing.assert_allclose(y.numpy(), -np.log1p(np.exp(-base.T.astype(np.float64))), rtol=1e-6)
    elif not kw["training"]:
        np.testing.assert_array_equal(y.numpy(), np.where(base.T >= 0, base.T, base.T * np.float32(11 / 48)))


_EDGE = np.array([0.0, -0.0, 1.0, -1.0, 2.5, -3.0, np.nan, np.inf, -np.inf, 0.5])


@pytest.mark.parametrize("name,kw,alpha,scale,ins,node", [
    ("elu", {"alpha": 0.7}, 0.7, 1.0, 1.0, "EluBackward0"),
    ("celu", {"alpha": 0.5}, 0.5, 1.0, 2.0, "CeluBackward0"),
    ("selu", {}, 1.6732632423543772, 1.0507009873554805, 1.0, "EluBackward0")])
def test_elu_family_gradients_are_torchs(name, kw, alpha, scale, ins, node):
    """torch's elu_backward: g * scale for x > 0 and nan, g * alpha * scale * ins * exp(x * ins) for x <= 0;
    elu_double_backward multiplies by (x < 0): the second derivative is 0 at 0 and nan."""
    x = nt.tensor(_EDGE, requires_grad=True)
    y = getattr(nt.nn.functional, name)(x, **kw)
    assert y.grad_fn.name() == node and type(y.grad_fn).__name__ == node
    g = np.linspace(0.5, 1.5, _EDGE.size)
    (gx,) = nt.autograd.grad(y, x, nt.tensor(g), create_graph=True)
    with np.errstate(all="ignore"):
        d1 = np.where(_EDGE <= 0, alpha * scale * ins * np.exp(np.minimum(_EDGE, 0) * ins), scale)
        d2 = np.where(_EDGE < 0, alpha * scale * ins * ins * np.exp(np.minimum(_EDGE, 0) * ins), 0.0)
    np.testing.assert_allclose(gx.detach().numpy(), g * d1, rtol=1e-14)
    (gg,) = nt.autograd.grad((gx * gx).sum(), x)
    np.testing.assert_allclose(gg.numpy(), 2 * g * d1 * g * d2, rtol=1e-14, atol=0)


def test_logsigmoid_gradient_is_torchs():
    """torch's log_sigmoid_backward is g * sigmoid(-x): 0.5 g at 0 (the composite's clamp gave g there)."""
    x = nt.tensor(_EDGE, requires_grad=True)
    y = nt.nn.functional.logsigmoid(x)
    assert y.grad_fn.name() == "LogSigmoidBackward0"
    (gx,) = nt.autograd.grad(y.sum(), x, create_graph=True)
    with np.errstate(all="ignore"):
        s = 1 / (1 + np.exp(_EDGE))
    np.testing.assert_allclose(gx.detach().numpy(), s, rtol=1e-14)
    (gg,) = nt.autograd.grad(gx.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -s * (1 - s), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name,kw,node,d1", [
    ("leaky_relu", {"negative_slope": 0.2}, "LeakyReluBackward0",
     lambda x: np.where(x > 0, 1.0, 0.2)),
    ("hardtanh", {"min_val": -1.0, "max_val": 1.0}, "HardtanhBackward0",
     lambda x: np.where((x > -1) & (x < 1), 1.0, 0.0))])
def test_leaky_relu_and_hardtanh_are_one_torch_node(name, kw, node, d1):
    """torch: one LeakyReluBackward0 / HardtanhBackward0 node (gradient g * slope for x <= 0 and nan; g strictly
    inside the limits), also through the in-place form."""
    x = nt.tensor(_EDGE, requires_grad=True)
    y = getattr(nt.nn.functional, name)(x, **kw)
    assert type(y.grad_fn).__name__ == node
    g = np.linspace(0.5, 1.5, _EDGE.size)
    y.backward(nt.tensor(g))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(x.grad.numpy(), g * d1(_EDGE))
    x2 = nt.tensor(_EDGE, requires_grad=True)
    z = x2 * 1.0
    getattr(nt.nn.functional, name)(z, inplace=True, **kw)
    z.backward(nt.tensor(g))
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(x2.grad.numpy(), g * d1(_EDGE))


def test_embedding_is_one_torch_node():
    """torch: EmbeddingBackward0; the weight gradient adds each index's row gradient (scaled by 1 / count with
    scale_grad_by_freq), nothing into padding_idx's row."""
    w = nt.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    idx = nt.tensor([[0, 2, 2], [3, 0, 1]])
    y = nt.nn.functional.embedding(idx, w, padding_idx=1, scale_grad_by_freq=True)
    assert type(y.grad_fn).__name__ == "EmbeddingBackward0" and y.shape == (2, 3, 3)
    np.testing.assert_array_equal(y.detach().numpy(), np.arange(12.0).reshape(4, 3)[[[0, 2, 2], [3, 0, 1]]])
    g = np.arange(18.0).reshape(2, 3, 3) + 1
    y.backward(nt.tensor(g))
    want = np.zeros((4, 3))
    for i, row in zip([0, 2, 2, 3, 0, 1], g.reshape(6, 3)):
        if i != 1:
            want[i] += row / {0: 2, 2: 2, 3: 1}[i]
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-15)
