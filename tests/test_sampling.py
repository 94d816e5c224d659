"""F.interpolate against float64 NumPy references of torch's coordinate mappings.

nearest: src = floor(dst * scale); nearest-exact: floor((dst + 0.5) * scale); linear: src = (dst + 0.5) * scale - 0.5
clamped at 0 (align_corners=False) or dst * (in - 1) / (out - 1) (align_corners=True); scale = 1 / scale_factor when
a scale factor is given (and recompute_scale_factor is not set), else in / out. The sizes below avoid coordinates
that land exactly on an integer, where float32 and float64 rounding could disagree.
"""

import re

import numpy as np
import pytest
from conftest import random_array

import ntorch as nt
import ntorch.nn.functional as F


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _scale(in_size, out_size, factor):
    return 1.0 / factor if factor is not None else in_size / out_size


def ref_nearest_index(in_size, out_size, factor, exact):
    dst = np.arange(out_size, dtype=np.float64)
    src = np.floor((dst + 0.5 if exact else dst) * _scale(in_size, out_size, factor)).astype(np.int64)
    return np.minimum(src, in_size - 1)


def ref_linear(in_size, out_size, factor, align_corners):
    dst = np.arange(out_size, dtype=np.float64)
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1) if out_size > 1 else 0.0)
    else:
        src = np.maximum((dst + 0.5) * _scale(in_size, out_size, factor) - 0.5, 0)
    i0 = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    lam = np.clip(src - i0, 0, 1)
    return i0, i1, lam


def ref_interpolate(x, out_size, factors, mode, align_corners):
    """x (N, C, *spatial) in float64."""
    x = x.astype(np.float64)
    for axis, (o, f) in enumerate(zip(out_size, factors)):
        ax = 2 + axis
        n_in = x.shape[ax]
        if mode.startswith("nearest"):
            x = np.take(x, ref_nearest_index(n_in, o, f, mode == "nearest-exact"), axis=ax)
        else:
            i0, i1, lam = ref_linear(n_in, o, f, align_corners)
            shape = [1] * x.ndim
            shape[ax] = o
            lam = lam.reshape(shape)
            x = np.take(x, i0, axis=ax) * (1 - lam) + np.take(x, i1, axis=ax) * lam
    return x


# (size, scale_factor, recompute_scale_factor) for a (5, 7) input
SIZES_2D = [((8, 9), None, None), (3, None, None), (None, 2, None), (None, 1.7, None), (None, (0.6, 2.5), None),
            (None, 1.7, True), (None, 0.5, None), ((5, 7), None, None), ((10, 14), None, None), ((1, 1), None, None)]


def _expected_size(in_sz, size, factor, recompute):
    if size is not None:
        return tuple(size) if isinstance(size, tuple) else (size,) * len(in_sz)
    fs = factor if isinstance(factor, tuple) else (factor,) * len(in_sz)
    return tuple(int(np.floor(i * f)) for i, f in zip(in_sz, fs))


@pytest.mark.parametrize("sizes", SIZES_2D)
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "bilinear", "bilinear-align"])
def test_interpolate_2d(rng, sizes, mode):
    size, factor, recompute = sizes
    align = mode == "bilinear-align"
    mode = "bilinear" if align else mode
    x = random_array(rng, (2, 3, 5, 7), nt.float64)
    out = _expected_size((5, 7), size, factor, recompute)
    fs = (None, None) if size is not None or recompute else (factor if isinstance(factor, tuple) else (factor,) * 2)
    ref = ref_interpolate(x, out, fs, mode, align)
    kw = dict(size=size, scale_factor=factor, mode=mode, recompute_scale_factor=recompute)
    if mode == "bilinear":
        kw["align_corners"] = align
    for dt in (nt.float32, nt.float64, nt.float16):
        got = F.interpolate(nt.tensor(x, dtype=dt), **kw)
        assert got.dtype is dt and tuple(got.shape) == ref.shape
        tol = {nt.float16: 3e-3, nt.float32: 1e-5, nt.float64: 1e-12}[dt]
        ref_dt = ref_interpolate(x.astype(dt.np), out, fs, mode, align)
        np.testing.assert_allclose(got.numpy().astype(np.float64), ref_dt, rtol=tol, atol=tol, err_msg=str(dt))


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact", "linear", "linear-align"])
def test_interpolate_1d_uint8_layouts(rng, mode):
    align = mode == "linear-align"
    mode = "linear" if align else mode
    x = random_array(rng, (2, 3, 7), nt.float32)
    for size, factor in ((11, None), (3, None), (None, 2.5), (None, 0.6)):
        out = _expected_size((7,), size, factor, None)
        ref = ref_interpolate(x, out, (factor,), mode, align)
        kw = {"align_corners": align} if mode == "linear" else {}
        got = F.interpolate(nt.from_numpy(x), size=size, scale_factor=factor, mode=mode, **kw)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-5)
    if mode.startswith("nearest"):
        u = random_array(rng, (1, 2, 4, 5), nt.uint8, 0, 255)
        got = F.interpolate(nt.from_numpy(u), size=(7, 9), mode=mode)
        assert got.dtype is nt.uint8
        np.testing.assert_array_equal(got.numpy(), ref_interpolate(u, (7, 9), (None, None), mode, False))
    x4 = random_array(rng, (2, 3, 5, 7), nt.float32)
    m2 = "bilinear" if mode == "linear" else mode
    kw = {"align_corners": align} if m2 == "bilinear" else {}
    ref = ref_interpolate(x4, (8, 9), (None, None), m2, align)
    channels_last = nt.from_numpy(np.ascontiguousarray(x4.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
    stepped = nt.from_numpy(np.repeat(x4, 2, axis=-1))[..., ::2]
    for t in (channels_last, stepped):
        np.testing.assert_allclose(F.interpolate(t, size=(8, 9), mode=m2, **kw).numpy(), ref, rtol=1e-5, atol=1e-5)
    assert tuple(F.interpolate(nt.zeros(0, 3, 5, 7), scale_factor=2, mode=m2, **kw).shape) == (0, 3, 10, 14)


def test_interpolate_scale_factor_is_used_in_the_mapping(rng):
    """With scale_factor=1.7 on 5 pixels the output has 8 pixels; torch maps with 1/1.7, not 5/8."""
    x = nt.from_numpy(np.arange(5, dtype=np.float32).reshape(1, 1, 5))
    kept = F.interpolate(x, scale_factor=1.7, mode="linear", align_corners=False).numpy()[0, 0]
    recomputed = F.interpolate(x, scale_factor=1.7, mode="linear", recompute_scale_factor=True).numpy()[0, 0]
    i0, i1, lam = ref_linear(5, 8, 1.7, False)
    np.testing.assert_allclose(kept, i0 * (1 - lam) + i1 * lam, rtol=1e-6)
    i0, i1, lam = ref_linear(5, 8, None, False)
    np.testing.assert_allclose(recomputed, i0 * (1 - lam) + i1 * lam, rtol=1e-6)
    assert not np.allclose(kept, recomputed)


def test_interpolate_errors():
    x = nt.zeros(2, 3, 5, 5)
    _raises(ValueError, "only one of size or scale_factor should be defined", F.interpolate, x, 3, 2)
    _raises(ValueError, "either size or scale_factor should be defined", F.interpolate, x)
    _raises(ValueError, "align_corners option can only be set with the interpolating modes: linear | bilinear | "
            "bicubic | trilinear", F.interpolate, x, 3, align_corners=True)
    _raises(ValueError, "recompute_scale_factor is not meaningful with an explicit size.", F.interpolate, x, 3,
            recompute_scale_factor=True)
    _raises(ValueError, "Input and output must have the same number of spatial dimensions, but got input with spatial "
            "dimensions of [5, 5] and output size of (3,). Please provide input tensor in (N, C, d1, d2, ...,dK) "
            "format and output size in (o1, o2, ...,oK) format.", F.interpolate, x, (3,))
    _raises(RuntimeError, "Input and output sizes should be greater than 0, but got input (H: 5, W: 5) output (H: 0, "
            "W: 5)", F.interpolate, x, (0, 5))
    _raises(RuntimeError, "Input and output sizes should be greater than 0, but got input (H: 5, W: 5) output (H: 0, "
            "W: 0)", F.interpolate, x, scale_factor=0.1)
    _raises(RuntimeError, "Input and output sizes should be greater than 0, but got input (W: 5) and output (W: -2)",
            F.interpolate, x[0], -2)
    _raises(TypeError, "expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], but "
            "got size with types [<class 'float'>, <class 'int'>]", F.interpolate, x, (3.0, 2))
    _raises(NotImplementedError, "Got 3D input, but bilinear mode needs 4D input", F.interpolate, x[0], 3,
            mode="bilinear")
    _raises(NotImplementedError, "Got 4D input, but linear mode needs 3D input", F.interpolate, x, 3, mode="linear")
    _raises(NotImplementedError, "Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got foo)",
            F.interpolate, x, 3, mode="foo")
    _raises(NotImplementedError, "Input Error: Only 3D, 4D and 5D input Tensors supported (got 2D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got nearest)",
            F.interpolate, x[0, 0], 3)
    _raises(NotImplementedError, "\"upsample_nearest2d_channels_last\" not implemented for 'Long'", F.interpolate,
            x.long(), 3)
    _raises(RuntimeError, "Non-empty 4D data tensor expected but got a tensor with sizes [2, 0, 5, 5]", F.interpolate,
            nt.zeros(2, 0, 5, 5), scale_factor=2)
