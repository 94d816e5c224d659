"""The pointwise ops added for conformance (tests/test_pointwise_extra.py) on CUDA tensors against the same ops on
CPU tensors: values, dtype, shape, device; tiny shapes, a non-contiguous layout, special values."""

from __future__ import annotations

import numpy as np
import pytest

import ntorch as nt

F16, F32, F64 = nt.float16, nt.float32, nt.float64
TOL = {F16: 4e-3, F32: 2e-5, F64: 1e-12}
SHAPES = [(), (0,), (5,), (2, 3)]


def rand(shape, dt, low=-3.0, high=3.0, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dt is nt.bool:
        return np.asarray(rng.random(shape) > 0.5)
    if dt.is_floating_point:
        return np.asarray(rng.uniform(low, high, shape)).astype(dt.np)
    return np.asarray(rng.integers(int(np.floor(low)), int(np.ceil(high)), shape)).astype(dt.np)


def check(got, want, msg, tol=None) -> None:
    assert got.is_cuda, msg
    assert got.dtype is want.dtype and tuple(got.shape) == tuple(want.shape), msg
    g, w = got.cpu().numpy(), want.numpy()
    if want.dtype.is_floating_point:
        t = TOL[want.dtype] if tol is None else tol
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=t, atol=t, equal_nan=True,
                                   err_msg=msg)
    else:
        np.testing.assert_array_equal(g, w, err_msg=msg)


def transposed(arr: np.ndarray):
    return nt.from_numpy(np.ascontiguousarray(arr.T)).cuda().t()


UNARY = {"asinh": (-3, 3), "acosh": (1, 4), "atanh": (-0.9, 0.9), "deg2rad": (-200, 200), "rad2deg": (-3, 3),
         "sinc": (-2, 2), "logit": (0.05, 0.95), "lgamma": (-3.5, 5), "digamma": (-3.5, 5), "i0": (-10, 10),
         "erfinv": (-0.99, 0.99), "signbit": (-2, 2), "sgn": (-2, 2)}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary(name):
    fn = getattr(nt, name)
    low, high = UNARY[name]
    for dt in (F32, F64, F16):
        for shape in SHAPES if dt is F32 else [(5,)]:
            arr = rand(shape, dt, low, high, seed=len(name))
            check(fn(nt.from_numpy(arr).cuda()), fn(nt.from_numpy(arr)), f"{name} {dt} {shape}", None)
        arr = rand((2, 3), dt, low, high, seed=1)
        check(fn(transposed(arr)), fn(nt.from_numpy(arr)), f"{name} {dt} transposed")
    ints = rand((4,), nt.int32, 1, 4)
    check(fn(nt.from_numpy(ints).cuda()), fn(nt.from_numpy(ints)), f"{name} int32")


def test_unary_special_values_and_params():
    arr = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, -2.0, 0.5, 1e-3], np.float64)
    for dt in (F32, F64):
        a = arr.astype(dt.np)
        for name in ("asinh", "acosh", "atanh", "sinc", "logit", "lgamma", "digamma", "i0", "erfinv", "signbit",
                     "sign"):
            with np.errstate(all="ignore"):
                check(getattr(nt, name)(nt.from_numpy(a).cuda()), getattr(nt, name)(nt.from_numpy(a)),
                      f"{name} {dt} special")
        check(nt.logit(nt.from_numpy(a).cuda(), eps=0.2), nt.logit(nt.from_numpy(a), eps=0.2), f"logit eps {dt}")


BINARY = {"copysign": (-3, 3), "heaviside": (-1, 1), "logaddexp": (-5, 5), "logaddexp2": (-5, 5),
          "xlogy": (0, 3), "nextafter": (-2, 2), "ldexp": (-3, 3), "fmax": (-2, 2), "fmin": (-2, 2)}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary(name):
    fn = getattr(nt, name)
    low, high = BINARY[name]
    for dt in (F32, F64, F16):
        a = rand((2, 3), dt, low, high, seed=2)
        a[0, 0] = 0  # heaviside's values, xlogy's zero
        b = rand((3,), dt, low, high, seed=3)
        check(fn(nt.from_numpy(a).cuda(), nt.from_numpy(b).cuda()), fn(nt.from_numpy(a), nt.from_numpy(b)),
              f"{name} {dt}")
        check(fn(transposed(a), nt.from_numpy(b).cuda()), fn(nt.from_numpy(a), nt.from_numpy(b)),
              f"{name} {dt} transposed")
    if name in ("copysign", "xlogy", "ldexp", "heaviside", "fmax", "fmin"):
        for dt in (nt.int32, nt.bool):
            a, b = rand((4,), dt, 0, 4, seed=4), rand((4,), dt, 0, 4, seed=5)
            check(fn(nt.from_numpy(a).cuda(), nt.from_numpy(b).cuda()), fn(nt.from_numpy(a), nt.from_numpy(b)),
                  f"{name} {dt}")


@pytest.mark.parametrize("name", ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"])
def test_integer_ops(name):
    fn = getattr(nt, name)
    for dt in (nt.int32, nt.int64, nt.uint8, nt.int8):
        lo = 0 if dt is nt.uint8 else -12
        a = rand((2, 4), dt, lo, 12, seed=6)
        b = rand((4,), dt, lo if "shift" not in name else -1, 12 if "shift" not in name else 70 if dt is nt.int64
                 else 10, seed=7)
        check(fn(nt.from_numpy(a).cuda(), nt.from_numpy(b).cuda()), fn(nt.from_numpy(a), nt.from_numpy(b)),
              f"{name} {dt}")
    a = rand((3,), nt.int64, -8, 8, seed=8)
    check(nt.from_numpy(a).cuda() << 2, nt.from_numpy(a) << 2, "<< scalar")
    check(nt.from_numpy(a).cuda() >> 1, nt.from_numpy(a) >> 1, ">> scalar")


def test_inplace_and_errors():
    x = nt.tensor([0.5, 1.5, 2.5]).cuda()
    x.lgamma_()
    check(x, nt.lgamma(nt.tensor([0.5, 1.5, 2.5])), "lgamma_")
    b = nt.tensor([True, False]).cuda()
    with pytest.raises(NotImplementedError, match="\"remainder_cuda\" not implemented for 'Bool'"):
        b % b
    with pytest.raises(NotImplementedError, match="\"lshift_cuda\" not implemented for 'Float'"):
        nt.ones(2).cuda() << 1
