"""F gaps (3-d conv/pool, bicubic/trilinear/area interpolate, grid_sample, affine_grid, bilinear, alpha dropout,
embedding_bag, ctc_loss) against NumPy reference loops written here, gradcheck in float64, and argument errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck

rng = np.random.default_rng(0)


def T(a, grad: bool = False):
    return nt.tensor(np.asarray(a), requires_grad=grad)


# ------------------------------------------------------------------ references


def ref_conv3d(x, w, b, s, p, d, groups):
    n, c, D, H, W = x.shape
    co, cg, kd, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1]), (p[2], p[2])))
    od = (D + 2 * p[0] - d[0] * (kd - 1) - 1) // s[0] + 1
    oh = (H + 2 * p[1] - d[1] * (kh - 1) - 1) // s[1] + 1
    ow = (W + 2 * p[2] - d[2] * (kw - 1) - 1) // s[2] + 1
    out = np.zeros((n, co, od, oh, ow))
    per = co // groups
    for o in range(co):
        g = o // per
        for i, j, k in itertools.product(range(od), range(oh), range(ow)):
            patch = xp[:, g * cg:(g + 1) * cg, i * s[0]:i * s[0] + d[0] * (kd - 1) + 1:d[0],
                       j * s[1]:j * s[1] + d[1] * (kh - 1) + 1:d[1], k * s[2]:k * s[2] + d[2] * (kw - 1) + 1:d[2]]
            out[:, o, i, j, k] = (patch * w[o]).sum((1, 2, 3, 4)) + (b[o] if b is not None else 0)
    return out


def ref_conv_transpose3d(x, w, b, s, p, op, d, groups):
    n, cin, D, H, W = x.shape
    _, cog, kd, kh, kw = w.shape
    full = [(sz - 1) * s[i] + d[i] * (k - 1) + 1 + op[i] for i, (sz, k) in enumerate(zip((D, H, W), (kd, kh, kw)))]
    out = np.zeros((n, cog * groups, *[f + p[i] for i, f in enumerate(full)]))
    cig = cin // groups
    for ci in range(cin):
        g = ci // cig
        for i, j, k in itertools.product(range(D), range(H), range(W)):
            for a, bb, cc in itertools.product(range(kd), range(kh), range(kw)):
                out[:, g * cog:(g + 1) * cog, i * s[0] + a * d[0], j * s[1] + bb * d[1], k * s[2] + cc * d[2]] += \
                    x[:, ci, i, j, k][:, None] * w[ci, :, a, bb, cc][None]
    res = out[:, :, p[0]:p[0] + full[0] - 2 * p[0], p[1]:p[1] + full[1] - 2 * p[1], p[2]:p[2] + full[2] - 2 * p[2]]
    return res + (b.reshape(1, -1, 1, 1, 1) if b is not None else 0)


def ref_pool3d(x, k, s, p, op, ceil=False, dil=(1, 1, 1)):
    """max or (count_include_pad) average pooling with the flat argmax, by loops."""
    n, c, D, H, W = x.shape
    sizes = (D, H, W)

    def olen(i):
        o = (sizes[i] + 2 * p[i] - dil[i] * (k[i] - 1) - 1 + (s[i] - 1 if ceil else 0)) // s[i] + 1
        if ceil and (o - 1) * s[i] >= sizes[i] + p[i]:
            o -= 1
        return o

    outs = [olen(i) for i in range(3)]
    out = np.zeros((n, c, *outs))
    ind = np.zeros((n, c, *outs), np.int64)
    for a, b, e in itertools.product(*[range(o) for o in outs]):
        pos = [[st * s[i] - p[i] + t * dil[i] for t in range(k[i])] for i, st in enumerate((a, b, e))]
        if op == "max":
            best = np.full((n, c), -np.inf)
            arg = np.zeros((n, c), np.int64)
            for dd, hh, ww in itertools.product(*pos):
                if 0 <= dd < D and 0 <= hh < H and 0 <= ww < W:
                    v = x[:, :, dd, hh, ww]
                    upd = v > best
                    best = np.where(upd, v, best)
                    arg = np.where(upd, (dd * H + hh) * W + ww, arg)
            out[:, :, a, b, e], ind[:, :, a, b, e] = best, arg
        else:
            ends = [min(pos[i][0] + k[i], sizes[i] + p[i]) for i in range(3)]
            size = np.prod([ends[i] - pos[i][0] for i in range(3)])
            tot = 0
            for dd, hh, ww in itertools.product(*pos):
                if 0 <= dd < D and 0 <= hh < H and 0 <= ww < W:
                    tot = tot + x[:, :, dd, hh, ww]
            out[:, :, a, b, e] = tot / size
    return out, ind


def ref_adaptive(x, osz, op):
    n, c = x.shape[:2]
    sizes = x.shape[2:]
    out = np.zeros((n, c, *osz))
    for idx in itertools.product(*[range(o) for o in osz]):
        sl = tuple(slice(math.floor(i * s / o), math.ceil((i + 1) * s / o)) for i, s, o in zip(idx, sizes, osz))
        win = x[(slice(None), slice(None)) + sl].reshape(n, c, -1)
        out[(slice(None), slice(None)) + idx] = win.max(-1) if op == "max" else win.mean(-1)
    return out


def cubic_w(t, a=-0.75):
    t = abs(t)
    if t <= 1:
        return ((a + 2) * t - (a + 3)) * t * t + 1
    if t < 2:
        return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return 0.0


def ref_bicubic(x, oh, ow, align):
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow))

    def src(o, i, on):
        if align:
            return o * (i - 1) / (on - 1) if on > 1 else 0.0
        return (o + 0.5) * i / on - 0.5

    for i, j in itertools.product(range(oh), range(ow)):
        sy, sx = src(i, h, oh), src(j, w, ow)
        fy, fx = math.floor(sy), math.floor(sx)
        for a in range(-1, 3):
            for b in range(-1, 3):
                wy, wx = cubic_w(sy - (fy + a)), cubic_w(sx - (fx + b))
                out[:, :, i, j] += wy * wx * x[:, :, min(max(fy + a, 0), h - 1), min(max(fx + b, 0), w - 1)]
    return out


def ref_trilinear(x, osz, align):
    sizes = x.shape[2:]
    out = np.zeros(x.shape[:2] + tuple(osz))

    def taps(o, i, on):
        s = (o * (i - 1) / (on - 1) if on > 1 else 0.0) if align else max((o + 0.5) * i / on - 0.5, 0.0)
        f = min(math.floor(s), i - 1)
        lam = s - f
        return [(f, 1 - lam), (min(f + 1, i - 1), lam)]

    for idx in itertools.product(*[range(o) for o in osz]):
        for (a, wa), (b, wb), (e, we) in itertools.product(*[taps(o, i, on) for o, i, on in zip(idx, sizes, osz)]):
            out[(slice(None), slice(None)) + idx] += wa * wb * we * x[:, :, a, b, e]
    return out


def ref_grid_sample(x, grid, mode, padding, align):
    n, c, h, w = x.shape
    ho, wo = grid.shape[1:3]
    out = np.zeros((n, c, ho, wo))

    def unnorm(v, size):
        return (v + 1) / 2 * (size - 1) if align else ((v + 1) * size - 1) / 2

    def reflect(v, lo2, hi2):
        if lo2 == hi2:
            return 0.0
        lo, span = lo2 / 2, (hi2 - lo2) / 2
        v = abs(v - lo)
        extra, flips = math.fmod(v, span), math.floor(v / span)
        return extra + lo if flips % 2 == 0 else span - extra + lo

    def source(v, size):
        v = unnorm(v, size)
        if padding == "border":
            v = min(max(v, 0), size - 1)
        elif padding == "reflection":
            v = reflect(v, 0, 2 * (size - 1)) if align else reflect(v, -1, 2 * size - 1)
            v = min(max(v, 0), size - 1)
        return v

    def get(b, yy, xx):
        return x[b, :, yy, xx] if 0 <= yy < h and 0 <= xx < w else np.zeros(c)

    for b, i, j in itertools.product(range(n), range(ho), range(wo)):
        sx, sy = source(grid[b, i, j, 0], w), source(grid[b, i, j, 1], h)
        if mode == "nearest":
            out[b, :, i, j] = get(b, int(np.rint(sy)), int(np.rint(sx)))
        else:
            x0, y0 = math.floor(sx), math.floor(sy)
            for dy, dx in itertools.product((0, 1), (0, 1)):
                wgt = (1 - abs(sx - (x0 + dx))) * (1 - abs(sy - (y0 + dy)))
                out[b, :, i, j] += wgt * get(b, y0 + dy, x0 + dx)
    return out


def ref_ctc(lp, target, T_, blank=0):
    """-log p(target | lp[:T_]) by the alpha recursion over all paths (probability space, float64)."""
    ext = [blank]
    for t in target:
        ext += [t, blank]
    L = len(ext)
    p = np.exp(lp)
    alpha = np.zeros(L)
    alpha[0] = p[0, blank]
    if L > 1:
        alpha[1] = p[0, ext[1]]
    for t in range(1, T_):
        new = np.zeros(L)
        for s in range(L):
            v = alpha[s] + (alpha[s - 1] if s >= 1 else 0)
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                v += alpha[s - 2]
            new[s] = v * p[t, ext[s]]
        alpha = new
    total = alpha[L - 1] + (alpha[L - 2] if L > 1 else 0)
    return -np.log(total)


# ------------------------------------------------------------------ interpolate


@pytest.mark.parametrize("align", [False, True])
@pytest.mark.parametrize("size", [(6, 9), (3, 4), (1, 1)])
def test_bicubic(align, size):
    x = rng.standard_normal((2, 2, 4, 5))
    out = F.interpolate(T(x), size=size, mode="bicubic", align_corners=align)
    np.testing.assert_allclose(out.numpy(), ref_bicubic(x, *size, align), rtol=1e-10, atol=1e-12)


def test_bicubic_scale_factor_uses_input_over_output():
    x = rng.standard_normal((1, 1, 4, 4))
    out = F.interpolate(T(x), scale_factor=2, mode="bicubic", align_corners=False)
    np.testing.assert_allclose(out.numpy(), ref_bicubic(x, 8, 8, False), atol=1e-12)


@pytest.mark.parametrize("align", [False, True])
def test_trilinear(align):
    x = rng.standard_normal((2, 2, 3, 4, 2))
    out = F.interpolate(T(x), size=(5, 3, 4), mode="trilinear", align_corners=align)
    np.testing.assert_allclose(out.numpy(), ref_trilinear(x, (5, 3, 4), align), atol=1e-12)


@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_nearest_3d(mode):
    x = rng.standard_normal((1, 2, 3, 4, 5))
    out = F.interpolate(T(x), size=(6, 3, 7), mode=mode).numpy()
    for i, n_in, n_out in ((2, 3, 6), (3, 4, 3), (4, 5, 7)):
        o = np.arange(n_out)
        src = np.minimum(np.floor((o + 0.5) * n_in / n_out) if mode == "nearest-exact" else
                         np.floor(o * n_in / n_out), n_in - 1).astype(int)
        x = np.take(x, src, axis=i)
    np.testing.assert_array_equal(out, x)


def test_area_is_adaptive_average():
    x = rng.standard_normal((1, 2, 5, 7, 4))
    out = F.interpolate(T(x), size=(2, 3, 3), mode="area")
    np.testing.assert_allclose(out.numpy(), ref_adaptive(x, (2, 3, 3), "avg"), atol=1e-12)
    x4 = rng.standard_normal((1, 2, 5, 7))
    np.testing.assert_allclose(F.interpolate(T(x4), scale_factor=0.5, mode="area").numpy(),
                               ref_adaptive(x4[:, :, :, :, None], (2, 3, 1), "avg")[..., 0], atol=1e-12)


def test_interpolate_gradcheck():
    x = T(rng.standard_normal((1, 2, 3, 4)), True)
    assert gradcheck(lambda t: F.interpolate(t, size=(5, 3), mode="bicubic", align_corners=False), (x,))
    x5 = T(rng.standard_normal((1, 1, 2, 3, 2)), True)
    assert gradcheck(lambda t: F.interpolate(t, scale_factor=(1.5, 0.7, 2.0), mode="trilinear"), (x5,))
    assert gradcheck(lambda t: F.interpolate(t, size=(3, 4, 3), mode="nearest"), (x5,))


def test_interpolate_errors():
    x4, x5 = T(np.zeros((1, 1, 2, 2))), T(np.zeros((1, 1, 2, 2, 2)))
    with pytest.raises(NotImplementedError, match="Got 4D input, but trilinear mode needs 5D input"):
        F.interpolate(x4, scale_factor=2, mode="trilinear")
    with pytest.raises(NotImplementedError, match=r"Only 3D, 4D and 5D input Tensors supported \(got 5D\)"):
        F.interpolate(x5, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="align_corners option can only be set"):
        F.interpolate(x4, scale_factor=2, mode="area", align_corners=True)
    with pytest.raises(NotImplementedError, match="compute_indices_weights_cubic"):
        F.interpolate(nt.zeros(1, 1, 2, 2, dtype=nt.int64), scale_factor=2, mode="bicubic")


def test_upsample_aliases():
    x = rng.standard_normal((1, 1, 3, 3))
    np.testing.assert_allclose(F.upsample_bilinear(T(x), scale_factor=2).numpy(),
                               F.interpolate(T(x), scale_factor=2, mode="bilinear", align_corners=True).numpy())
    np.testing.assert_array_equal(F.upsample_nearest(T(x), size=(6, 6)).numpy(), x.repeat(2, 2).repeat(2, 3))


# ------------------------------------------------------------------ grid_sample / affine_grid


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample(mode, padding, align):
    x = rng.standard_normal((2, 2, 3, 4))
    grid = rng.random((2, 3, 5, 2)) * 3.2 - 1.6
    out = F.grid_sample(T(x), T(grid), mode=mode, padding_mode=padding, align_corners=align)
    np.testing.assert_allclose(out.numpy(), ref_grid_sample(x, grid, mode, padding, align), atol=1e-12)


@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_gradcheck(padding):
    x = T(rng.standard_normal((1, 2, 3, 4)), True)
    grid = T(rng.random((1, 2, 3, 2)) * 2.6 - 1.3, True)
    assert gradcheck(lambda a, g: F.grid_sample(a, g, padding_mode=padding, align_corners=False), (x, grid))


def test_grid_sample_errors():
    x = T(np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match="expected mode to be 'bilinear', 'nearest' or 'bicubic'"):
        F.grid_sample(x, T(np.zeros((2, 1, 1, 2))), mode="foo")
    with pytest.raises(ValueError, match="expected padding_mode"):
        F.grid_sample(x, T(np.zeros((2, 1, 1, 2))), padding_mode="foo")
    with pytest.raises(RuntimeError, match="same batch size"):
        F.grid_sample(x, T(np.zeros((1, 1, 1, 2))))
    with pytest.raises(RuntimeError, match="size 2 in last dimension"):
        F.grid_sample(x, T(np.zeros((2, 1, 1, 3))))


@pytest.mark.parametrize("align", [False, True])
def test_affine_grid(align):
    theta = rng.standard_normal((2, 2, 3))
    out = F.affine_grid(T(theta), (2, 1, 3, 4), align_corners=align).numpy()

    def lin(n):
        r = np.linspace(-1, 1, n)
        return r if align else r * (n - 1) / n

    for b, i, j in itertools.product(range(2), range(3), range(4)):
        np.testing.assert_allclose(out[b, i, j], theta[b] @ np.array([lin(4)[j], lin(3)[i], 1.0]), atol=1e-12)
    th3 = T(rng.standard_normal((1, 3, 4)), True)
    assert F.affine_grid(th3, (1, 1, 2, 3, 4), align_corners=align).shape == (1, 2, 3, 4, 3)
    assert gradcheck(lambda t: F.affine_grid(t, (1, 1, 2, 3, 4), align_corners=align), (th3,))
    with pytest.raises(ValueError, match="Nx2x3"):
        F.affine_grid(T(theta[:, :, :2]), (2, 1, 3, 4))
    with pytest.raises(NotImplementedError, match="4D and 5D sizes"):
        F.affine_grid(T(theta), (2, 1, 3))


# ------------------------------------------------------------------ conv3d / conv_transpose


@pytest.mark.parametrize("s,p,d,groups", [((1, 1, 1), (0, 0, 0), (1, 1, 1), 1), ((2, 1, 2), (1, 0, 1), (1, 2, 1), 2)])
def test_conv3d(s, p, d, groups):
    x = rng.standard_normal((2, 4, 4, 5, 5))
    w = rng.standard_normal((4, 4 // groups, 2, 3, 2))
    b = rng.standard_normal(4)
    out = F.conv3d(T(x), T(w), T(b), s, p, d, groups)
    np.testing.assert_allclose(out.numpy(), ref_conv3d(x, w, b, s, p, d, groups), atol=1e-10)


def test_conv3d_same_unbatched_and_gradcheck():
    x = rng.standard_normal((2, 3, 4, 3))
    w = rng.standard_normal((2, 2, 2, 3, 2))
    out = F.conv3d(T(x), T(w), padding="same")
    full = ref_conv3d(np.pad(x[None], ((0, 0), (0, 0), (0, 1), (1, 1), (0, 1))), w, None, (1,) * 3, (0,) * 3,
                      (1,) * 3, 1)
    np.testing.assert_allclose(out.numpy(), full[0], atol=1e-10)
    xt, wt, bt = T(rng.standard_normal((1, 2, 3, 3, 3)), True), T(w, True), T(rng.standard_normal(2), True)
    assert gradcheck(lambda a, b, c: F.conv3d(a, b, c, stride=(2, 1, 1), padding=1), (xt, wt, bt))


@pytest.mark.parametrize("s,p,op,d,groups", [((1, 1, 1), (0, 0, 0), (0, 0, 0), (1, 1, 1), 1),
                                             ((2, 1, 2), (1, 0, 1), (1, 0, 0), (1, 2, 1), 2)])
def test_conv_transpose3d(s, p, op, d, groups):
    x = rng.standard_normal((2, 4, 3, 2, 3))
    w = rng.standard_normal((4, 2, 2, 2, 3))
    b = rng.standard_normal(2 * groups)
    out = F.conv_transpose3d(T(x), T(w), T(b), s, p, op, groups, d)
    np.testing.assert_allclose(out.numpy(), ref_conv_transpose3d(x, w, b, s, p, op, d, groups), atol=1e-10)


def test_conv_transpose_gradcheck_and_1d():
    x, w = T(rng.standard_normal((1, 2, 2, 2, 2)), True), T(rng.standard_normal((2, 1, 2, 2, 2)), True)
    assert gradcheck(lambda a, b: F.conv_transpose3d(a, b, stride=2, padding=1, output_padding=1), (x, w))
    x1 = rng.standard_normal((2, 2, 5))
    w1 = rng.standard_normal((2, 3, 3))
    out = F.conv_transpose1d(T(x1), T(w1), stride=2, padding=1, output_padding=1)
    ref = ref_conv_transpose3d(x1[:, :, None, None], w1[:, :, None, None], None, (1, 1, 2), (0, 0, 1), (0, 0, 1),
                               (1, 1, 1), 1)[:, :, 0, 0]
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-10)
    assert gradcheck(lambda a, b: F.conv_transpose1d(a, b, dilation=2), (T(x1, True), T(w1, True)))


def test_conv3d_errors():
    with pytest.raises(RuntimeError, match="Expected 4D \\(unbatched\\) or 5D \\(batched\\) input to conv3d"):
        F.conv3d(T(np.zeros((2, 3, 3))), T(np.zeros((1, 2, 1, 1, 1))))
    with pytest.raises(RuntimeError, match="expected input\\[1, 3, 2, 2, 2\\] to have 2 channels"):
        F.conv3d(T(np.zeros((1, 3, 2, 2, 2))), T(np.zeros((1, 2, 1, 1, 1))))
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.conv_transpose3d(T(np.zeros((1, 1, 1, 1, 1))), T(np.zeros((1, 1, 1, 1, 1))), padding=1)


def test_conv_modules():
    m = nt.nn.Conv3d(2, 3, (1, 2, 2), padding=1)
    x = rng.standard_normal((1, 2, 2, 3, 3))
    ref = ref_conv3d(x, m.weight.detach().numpy(), m.bias.detach().numpy(), (1,) * 3, (1,) * 3, (1,) * 3, 1)
    np.testing.assert_allclose(m(T(x).float()).detach().numpy(), ref, atol=1e-5)
    t = nt.nn.ConvTranspose3d(2, 3, 2, stride=2)
    assert t(nt.randn(1, 2, 2, 2, 2), output_size=(5, 5, 5)).shape == (1, 3, 5, 5, 5)
    assert nt.nn.ConvTranspose1d(2, 3, 3)(nt.randn(1, 2, 4)).shape == (1, 3, 6)
    assert repr(t) == "ConvTranspose3d(2, 3, kernel_size=(2, 2, 2), stride=(2, 2, 2))"


# ------------------------------------------------------------------ 3-d pooling


@pytest.mark.parametrize("k,s,p,ceil", [((2, 2, 2), (2, 2, 2), (0, 0, 0), False),
                                        ((3, 2, 3), (2, 1, 2), (1, 1, 1), True),
                                        ((2, 3, 2), (3, 2, 1), (1, 0, 1), False)])
def test_max_avg_pool3d(k, s, p, ceil):
    x = rng.standard_normal((2, 2, 5, 4, 6))
    ref, ind = ref_pool3d(x, k, s, p, "max", ceil)
    out, got = F.max_pool3d(T(x), k, s, p, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(got.numpy(), ind)
    ref, _ = ref_pool3d(x, k, s, p, "avg", ceil)
    np.testing.assert_allclose(F.avg_pool3d(T(x), k, s, p, ceil_mode=ceil).numpy(), ref, atol=1e-12)


def test_max_pool3d_dilation_ties_and_divisor():
    x = np.zeros((1, 1, 4, 4, 4))
    x[0, 0, 2, 0, 0] = x[0, 0, 0, 2, 2] = 1.0  # equal maxima: the first in raster order wins
    out, ind = F.max_pool3d(T(x), 3, 1, 0, dilation=(1, 1, 1), return_indices=True)
    assert ind.numpy()[0, 0, 0, 0, 0] == 2 * 4 + 2
    y = rng.standard_normal((1, 1, 5, 5, 5))
    ref, rind = ref_pool3d(y, (2, 2, 2), (1, 1, 1), (0, 0, 0), "max", dil=(2, 1, 2))
    out, ind = F.max_pool3d(T(y), 2, 1, 0, dilation=(2, 1, 2), return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ref)
    np.testing.assert_array_equal(ind.numpy(), rind)
    sums = ref_pool3d(y, (2, 2, 2), (2, 2, 2), (0, 0, 0), "avg")[0] * 8
    np.testing.assert_allclose(F.avg_pool3d(T(y), 2, divisor_override=3).numpy(), sums / 3, atol=1e-12)


def test_avg_pool3d_no_pad_count_and_int():
    x = rng.standard_normal((1, 1, 3, 3, 3))
    out = F.avg_pool3d(T(x), 2, 2, 1, count_include_pad=False).numpy()
    assert out[0, 0, 0, 0, 0] == x[0, 0, 0, 0, 0]
    np.testing.assert_allclose(out[0, 0, 1, 1, 1], x[0, 0, 1:, 1:, 1:].mean())
    xi = rng.integers(-5, 5, (1, 1, 2, 2, 3))
    got = F.avg_pool3d(nt.tensor(xi), 2).numpy()
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, np.trunc(xi[..., :2].sum((2, 3, 4)) / 8).reshape(1, 1, 1, 1, 1))


@pytest.mark.parametrize("osz", [(2, 3, 2), (1, 1, 1), (5, 4, 3)])
def test_adaptive_pool3d(osz):
    x = rng.standard_normal((2, 3, 5, 4, 3))
    np.testing.assert_allclose(F.adaptive_avg_pool3d(T(x), osz).numpy(), ref_adaptive(x, osz, "avg"), atol=1e-12)
    out, ind = F.adaptive_max_pool3d(T(x), osz, return_indices=True)
    np.testing.assert_array_equal(out.numpy(), ref_adaptive(x, osz, "max"))
    flat = x.reshape(2, 3, -1)
    np.testing.assert_array_equal(np.take_along_axis(flat, ind.numpy().reshape(2, 3, -1), 2).reshape(out.shape),
                                  out.numpy())


def test_pool3d_gradcheck():
    x = T(rng.standard_normal((1, 2, 3, 4, 3)), True)
    assert gradcheck(lambda t: F.max_pool3d(t, 2, 1, 1), (x,))
    assert gradcheck(lambda t: F.avg_pool3d(t, 2, 1, 1, ceil_mode=True, count_include_pad=False), (x,))
    assert gradcheck(lambda t: F.adaptive_avg_pool3d(t, (2, 3, 2)), (x,))
    assert gradcheck(lambda t: F.adaptive_max_pool3d(t, (2, 3, 2)), (x,))


def test_pool3d_errors_and_modules():
    with pytest.raises(RuntimeError, match="non-empty 4D or 5D"):
        F.max_pool3d(T(np.zeros((2, 2, 2))), 2)
    with pytest.raises(RuntimeError, match="tuple of three ints"):
        F.max_pool3d(T(np.zeros((1, 2, 2, 2))), (2, 2))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool3d(T(np.zeros((1, 2, 2, 2))), 2, padding=2)
    with pytest.raises(RuntimeError, match="output_size must be 3"):
        F.adaptive_avg_pool3d(T(np.zeros((1, 2, 2, 2))), (1, 1))
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool3d(T(np.zeros((1, 2, 2, 2))), 2, divisor_override=0)
    x = nt.randn(1, 2, 4, 4, 4)
    assert nt.nn.MaxPool3d(2, return_indices=True)(x)[1].shape == (1, 2, 2, 2, 2)
    np.testing.assert_allclose(nt.nn.AvgPool3d(2)(x).numpy(), F.avg_pool3d(x, 2).numpy())
    assert nt.nn.AdaptiveAvgPool3d(1)(x).shape == (1, 2, 1, 1, 1)
    assert nt.nn.AdaptiveMaxPool3d((1, 2, 3))(x).shape == (1, 2, 1, 2, 3)


# ------------------------------------------------------------------ bilinear / alpha dropout


def test_bilinear():
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    w, bias = rng.standard_normal((6, 4, 5)), rng.standard_normal(6)
    out = F.bilinear(T(a), T(b), T(w), T(bias))
    np.testing.assert_allclose(out.numpy(), np.einsum("...i,oij,...j->...o", a, w, b) + bias, atol=1e-12)
    args = (T(a[0], True), T(b[0], True), T(w, True), T(bias, True))
    assert gradcheck(F.bilinear, args)
    with pytest.raises(RuntimeError, match="input1 size does not match weight size: got 4 but expected 3"):
        F.bilinear(T(a), T(b), T(w[:, :3]))
    m = nt.nn.Bilinear(4, 5, 6)
    assert m(T(a).float(), T(b).float()).shape == (2, 3, 6)
    assert repr(m) == "Bilinear(in1_features=4, in2_features=5, out_features=6, bias=True)"


def test_alpha_dropout():
    x = nt.tensor(rng.standard_normal((200, 50)))
    assert F.alpha_dropout(x, 0.3) is x  # training defaults to False
    y = F.alpha_dropout(x, 0.3, True).numpy()
    alpha = 1.7580993408473766
    a = 1 / math.sqrt((alpha * alpha * 0.3 + 1) * 0.7)
    dropped = np.isclose(y, -alpha * a + alpha * a * 0.3)
    kept = np.isclose(y, x.numpy() * a + alpha * a * 0.3)
    assert np.all(dropped | kept) and 0.25 < dropped.mean() < 0.35
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05  # SELU's fixed point kept
    z = F.feature_alpha_dropout(nt.ones(20, 10, 3, dtype=nt.float64), 0.5, True).numpy()
    assert np.all(z == z[:, :, :1])
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
        F.alpha_dropout(x, 1.5)
    m = nt.nn.AlphaDropout(0.2)
    m.eval()
    assert m(x) is x
    assert nt.nn.FeatureAlphaDropout(0.2)(nt.ones(2, 3, 4)).shape == (2, 3, 4)


# ------------------------------------------------------------------ embedding_bag


def ref_bag(idx, w, offsets, mode, psw=None, pad=None):
    ends = list(offsets[1:]) + [len(idx)]
    out = np.zeros((len(offsets), w.shape[1]))
    for b, (s, e) in enumerate(zip(offsets, ends)):
        rows = [w[i] * (psw[j] if psw is not None else 1) for j, i in enumerate(idx) if s <= j < e and i != pad]
        if rows:
            out[b] = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode](rows, 0)
    return out


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("pad", [None, 2])
def test_embedding_bag(mode, pad):
    w = rng.standard_normal((6, 3))
    idx = np.array([1, 2, 4, 2, 2, 5, 0, 3])
    offsets = np.array([0, 3, 3, 5])
    psw = rng.random(8) if mode == "sum" else None
    out = F.embedding_bag(T(idx), T(w), T(offsets), mode=mode, per_sample_weights=None if psw is None else T(psw),
                          padding_idx=pad)
    np.testing.assert_allclose(out.numpy(), ref_bag(idx, w, offsets, mode, psw, pad), atol=1e-12)
    last = F.embedding_bag(T(idx), T(w), T(np.append(offsets, 8)), mode=mode, include_last_offset=True,
                           per_sample_weights=None if psw is None else T(psw), padding_idx=pad)
    np.testing.assert_allclose(last.numpy(), out.numpy())
    wt = T(w, True)
    args = (wt,) if psw is None else (wt, T(psw, True))
    assert gradcheck(lambda a, *p: F.embedding_bag(T(idx), a, T(offsets), mode=mode, padding_idx=pad,
                                                   per_sample_weights=p[0] if p else None), args)


def test_embedding_bag_2d_errors_module():
    w = rng.standard_normal((5, 2))
    idx = np.array([[0, 1, 2], [4, 4, 3]])
    np.testing.assert_allclose(F.embedding_bag(T(idx), T(w)).numpy(), w[idx].mean(1))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(T(idx[0]), T(w))
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(T(idx[0]), T(w), T(np.array([1])))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(T(idx), T(w), per_sample_weights=T(np.ones((2, 3))))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(T(idx), T(w), mode="min")
    m = nt.nn.EmbeddingBag(5, 2, mode="max")
    assert m(T(idx)).shape == (2, 2) and repr(m) == "EmbeddingBag(5, 2, mode='max')"


# ------------------------------------------------------------------ ctc_loss


def _ctc_case():
    t_, n, c = 6, 3, 4
    logits = rng.standard_normal((t_, n, c))
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    targets = np.array([[1, 1, 2], [3, 2, 0], [2, 0, 0]])
    return logits, lp, targets, np.array([6, 5, 4]), np.array([3, 2, 1])


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_ctc_loss(reduction):
    _, lp, targets, il, tl = _ctc_case()
    ref = np.array([ref_ctc(lp[:il[i], i], targets[i, :tl[i]], il[i]) for i in range(3)])
    want = {"none": ref, "sum": ref.sum(), "mean": (ref / tl).mean()}[reduction]
    got = F.ctc_loss(T(lp), T(targets), T(il), T(tl), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10)
    concat = np.concatenate([targets[i, :tl[i]] for i in range(3)])
    np.testing.assert_allclose(F.ctc_loss(T(lp), T(concat), tuple(il), tuple(tl), reduction=reduction).numpy(), want,
                               rtol=1e-10)


def test_ctc_gradient_and_zero_infinity():
    logits, _, targets, il, tl = _ctc_case()
    x = T(logits, True)
    assert gradcheck(lambda a: F.ctc_loss(F.log_softmax(a, 2), T(targets), T(il), T(tl)), (x,))
    # an impossible alignment (3 labels with a repeat need 4 frames): inf, or 0 with zero_infinity
    il2 = np.array([3, 5, 4])
    assert np.isinf(F.ctc_loss(T(logits), T(targets), T(il2), T(tl), reduction="none").numpy()[0])
    lp = F.log_softmax(x, 2)
    loss = F.ctc_loss(lp, T(targets), T(il2), T(tl), reduction="sum", zero_infinity=True)
    loss.backward()
    g = x.grad.numpy()
    assert np.all(np.isfinite(g)) and np.all(g[:, 0] == 0) and np.all(g[5:, 2] == 0)
    m = nt.nn.CTCLoss(reduction="none", zero_infinity=True)
    assert m(lp, T(targets), T(il2), T(tl)).numpy()[0] == 0


def test_ctc_errors():
    _, lp, targets, il, tl = _ctc_case()
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(T(lp), T(targets), T(il), T(tl), blank=4)
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 6"):
        F.ctc_loss(T(lp), T(targets), T(np.array([7, 1, 1])), T(tl))
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 3 at dimension 1"):
        F.ctc_loss(T(lp), T(targets[:, :2]), T(il), T(tl))
