"""F.ctc_loss and F.grid_sample on their kernels (kernels/cpu/ctc.py, kernels/cpu/grid_sample.py): values against
reference loops written here (probability-space CTC, per-point grid sampling with torch's coordinate rules),
gradients against finite differences of those loops and gradcheck in float64, torch's edge cases and errors."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck

rng = np.random.default_rng(7)


def T(a, grad: bool = False, dtype=None):
    return nt.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


# ------------------------------------------------------------------ references


def ref_nll(lp: np.ndarray, target, blank: int = 0) -> float:
    """-log p(target | lp) (lp (T, C) of one sample's frames) by the alpha recursion in probability space."""
    ext = [blank]
    for label in target:
        ext += [label, blank]
    n_ext = len(ext)
    if lp.shape[0] == 0:
        return 0.0 if not len(target) else math.inf
    p = np.exp(lp.astype(np.float64))
    alpha = np.zeros(n_ext)
    alpha[0] = p[0, blank]
    if n_ext > 1:
        alpha[1] = p[0, ext[1]]
    for t in range(1, lp.shape[0]):
        new = np.zeros(n_ext)
        for s in range(n_ext):
            v = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)
            if s >= 2 and ext[s] != ext[s - 2]:
                v += alpha[s - 2]
            new[s] = v * p[t, ext[s]]
        alpha = new
    total = alpha[-1] + (alpha[-2] if n_ext > 1 else 0.0)
    return -math.log(total) if total > 0 else math.inf


def ref_losses(lp, labels, il, tl, blank=0):
    """Per-sample reference losses, lp (T, N, C), labels (N, S) padded."""
    return np.array([ref_nll(lp[:il[b], b], labels[b, :tl[b]], blank) for b in range(lp.shape[1])])


def ref_ctc_grad(lp, labels, il, tl, blank=0, h=1e-6):
    """torch's gradient for log_probs of the summed losses: exp(lp) + d nll / d lp (central differences of the
    reference), zero past each input length."""
    want = np.zeros_like(lp)
    for b in range(lp.shape[1]):
        for t, c in itertools.product(range(il[b]), range(lp.shape[2])):
            up, down = lp.copy(), lp.copy()
            up[t, b, c] += h
            down[t, b, c] -= h
            d = (ref_nll(up[:il[b], b], labels[b, :tl[b]], blank) - ref_nll(down[:il[b], b], labels[b, :tl[b]],
                                                                               blank)) / (2 * h)
            want[t, b, c] = math.exp(lp[t, b, c]) + d
    return want


def _reflect(v, lo2, hi2):
    if lo2 == hi2:
        return 0.0
    lo, span = lo2 / 2, (hi2 - lo2) / 2
    v = abs(v - lo)
    extra, flips = math.fmod(v, span), math.floor(v / span)
    return extra + lo if flips % 2 == 0 else span - extra + lo


def _pad_coord(v, size, padding, align):
    if padding == "border":
        v = min(max(v, 0.0), size - 1.0)
    elif padding == "reflection":
        v = _reflect(v, 0, 2 * (size - 1)) if align else _reflect(v, -1, 2 * size - 1)
        v = min(max(v, 0.0), size - 1.0)
    return v


def _unnorm(v, size, align):
    return (v + 1) / 2 * (size - 1) if align else ((v + 1) * size - 1) / 2


def _cubic(t):
    a = -0.75
    w = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a, ((a + 2) * t - (a + 3)) * t * t + 1,
         ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1]
    return w + [1 - sum(w)]


def ref_grid_sample(x, grid, mode, padding, align):
    """Per output point: the source coordinates (torch's rules), then the mode's taps; x (N, C, *spatial)."""
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    dims = len(spatial)
    out = np.zeros((n, c) + grid.shape[1:-1])

    def value(b, idx):  # idx in (z,) y, x order
        inside = all(0 <= i < s for i, s in zip(idx, spatial))
        return x[(b, slice(None)) + tuple(idx)] if inside else np.zeros(c)

    for b in range(n):
        for pt in itertools.product(*[range(s) for s in grid.shape[1:-1]]):
            g = grid[(b,) + pt]  # (x, y[, z])
            sizes = spatial[::-1]  # (W, H[, D])
            if mode == "bicubic":
                src = [_unnorm(g[a], sizes[a], align) for a in range(2)]
                f = [math.floor(v) for v in src]
                wx, wy = _cubic(src[0] - f[0]), _cubic(src[1] - f[1])
                acc = np.zeros(c)
                for j, i in itertools.product(range(4), range(4)):
                    xi = int(_pad_coord(float(f[0] - 1 + i), sizes[0], padding, align))
                    yi = int(_pad_coord(float(f[1] - 1 + j), sizes[1], padding, align))
                    acc += wx[i] * wy[j] * value(b, (yi, xi))
            else:
                src = [_pad_coord(_unnorm(g[a], sizes[a], align), sizes[a], padding, align) for a in range(dims)]
                if mode == "nearest":
                    acc = value(b, [int(np.rint(v)) for v in src[::-1]])
                else:
                    f = [math.floor(v) for v in src]
                    acc = np.zeros(c)
                    for corner in itertools.product((0, 1), repeat=dims):  # (x, y[, z]) offsets
                        wgt = np.prod([1 - abs(src[a] - (f[a] + corner[a])) for a in range(dims)])
                        acc += wgt * value(b, [f[a] + corner[a] for a in range(dims)][::-1])
            out[(b, slice(None)) + pt] = acc
    return out


# ------------------------------------------------------------------ grid_sample


def _grid_case(dims, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((2, 3, 4, 5) if dims == 2 else (2, 2, 3, 4, 5))
    grid = r.random((2, 3, 4, 2) if dims == 2 else (2, 2, 3, 2, 3)) * 3.0 - 1.5
    return x, grid


CASES = [(2, "bilinear"), (2, "nearest"), (2, "bicubic"), (3, "bilinear"), (3, "nearest")]


@pytest.mark.parametrize("dims,mode", CASES)
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_values(dims, mode, padding, align):
    x, grid = _grid_case(dims)
    want = ref_grid_sample(x, grid, mode, padding, align)
    out = F.grid_sample(T(x), T(grid), mode=mode, padding_mode=padding, align_corners=align)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)
    out32 = F.grid_sample(T(x, dtype=np.float32), T(grid, dtype=np.float32), mode=mode, padding_mode=padding,
                          align_corners=align)
    assert out32.dtype == nt.float32
    np.testing.assert_allclose(out32.numpy(), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dims,mode", [(2, "bilinear"), (2, "bicubic"), (3, "bilinear")])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample_gradcheck(dims, mode, padding):
    x, grid = _grid_case(dims, seed=3)
    grid = grid * 0.8  # keep the points off the reflection / clip kinks
    for align in (False, True):
        assert gradcheck(lambda a, g, al=align: F.grid_sample(a, g, mode=mode, padding_mode=padding,
                                                               align_corners=al), (T(x, True), T(grid, True)))


def test_grid_sample_nearest_gradients():
    x, grid = _grid_case(2)
    a, g = T(x, True), T(grid, True)
    out = F.grid_sample(a, g, mode="nearest", padding_mode="border", align_corners=False)
    go = rng.standard_normal(out.shape)
    out.backward(T(go))
    assert np.all(g.grad.numpy() == 0)
    assert gradcheck(lambda t: F.grid_sample(t, T(grid), mode="nearest", padding_mode="border", align_corners=False),
                     (T(x, True),))
    # the input gradient is the adjoint of the sampling: <go, S x> == <S^T go, x>
    np.testing.assert_allclose((a.grad.numpy() * x).sum(), (go * out.detach().numpy()).sum(), rtol=1e-12)


def test_grid_sample_half_and_layouts():
    x, grid = _grid_case(2)
    want = ref_grid_sample(x, grid, "bilinear", "zeros", False)
    out = F.grid_sample(T(x, dtype=np.float16), T(grid, dtype=np.float16), align_corners=False)
    assert out.dtype == nt.float16
    np.testing.assert_allclose(out.numpy().astype(np.float64), want, atol=2e-2)
    # non-contiguous input and grid
    xt = T(np.ascontiguousarray(x.transpose(0, 1, 3, 2))).transpose(2, 3)
    gt = T(np.ascontiguousarray(grid.transpose(0, 2, 1, 3))).transpose(1, 2)
    np.testing.assert_allclose(F.grid_sample(xt, gt, align_corners=False).numpy(), want, rtol=1e-12, atol=1e-12)


def test_grid_sample_empty_and_non_finite():
    for xs, gs in (((0, 2, 3, 3), (0, 2, 2, 2)), ((1, 0, 3, 3), (1, 2, 2, 2)), ((1, 2, 3, 3), (1, 0, 2, 2))):
        a, g = T(rng.standard_normal(xs), True), T(rng.random(gs), True)
        out = F.grid_sample(a, g, align_corners=False)
        assert tuple(out.shape) == xs[:2] + gs[1:3]
        out.sum().backward()
        assert a.grad.shape == a.shape and g.grad.shape == g.shape
    x = rng.standard_normal((1, 1, 3, 3))
    grid = np.array([[[[np.nan, 0.0], [np.inf, 0.0], [1e30, 0.0]]]])
    out = F.grid_sample(T(x), T(grid), align_corners=False).numpy()
    np.testing.assert_array_equal(out, 0.0)  # not finite or beyond int range: outside, for zeros padding


def test_grid_sample_errors_and_double_backward():
    x = T(np.zeros((2, 1, 3, 3)))
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(T(np.zeros((1, 1, 2, 2, 2))), T(np.zeros((1, 1, 1, 1, 3))), mode="bicubic")
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        F.grid_sample(x, T(np.zeros((2, 1, 1, 2), np.float32)))
    with pytest.raises(RuntimeError, match="expected grid to have size 3 in last dimension"):
        F.grid_sample(T(np.zeros((1, 1, 2, 2, 2))), T(np.zeros((1, 1, 1, 1, 2))))
    with pytest.raises(RuntimeError, match="non-empty spatial dimensions"):
        F.grid_sample(T(np.zeros((2, 1, 0, 3))), T(np.zeros((2, 1, 1, 2))))
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        F.grid_sample(T(np.zeros((2, 1, 3, 3), np.int64)), T(np.zeros((2, 1, 1, 2), np.int64)))
    a, g = T(rng.standard_normal((1, 1, 3, 3)), True), T(rng.random((1, 2, 2, 2)), True)
    out = F.grid_sample(a, g, align_corners=False)
    assert out.grad_fn.name() == "GridSampler2DBackward0"
    gx, gg = nt.autograd.grad(out.sum(), (a, g), create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::grid_sampler_2d_backward is not implemented"):
        (gx.sum() + gg.sum()).backward()


# ------------------------------------------------------------------ ctc_loss


def _ctc_case(seed=0, t_=7, n=4, c=5, s=4):
    r = np.random.default_rng(seed)
    logits = r.standard_normal((t_, n, c))
    lp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    labels = r.integers(1, c, (n, s))
    labels[0, 1] = labels[0, 0]  # a repeated label (needs a blank between)
    il = np.array([t_, t_ - 1, 4, 0][:n])
    tl = np.array([s, 3, 1, 0][:n])
    return logits, lp, labels, il, tl


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_ctc_values_both_layouts(dtype, reduction):
    _, lp, labels, il, tl = _ctc_case()
    ref = ref_losses(lp, labels, il, tl)
    want = {"none": ref, "sum": ref.sum(), "mean": (ref / np.maximum(tl, 1)).mean()}[reduction]
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    got = F.ctc_loss(T(lp, dtype=dtype), T(labels), T(il), T(tl), reduction=reduction)
    assert got.dtype == (nt.float64 if dtype == np.float64 else nt.float32)
    np.testing.assert_allclose(got.numpy(), want, rtol=rtol)
    concat = np.concatenate([labels[b, :tl[b]] for b in range(len(tl))])
    got = F.ctc_loss(T(lp, dtype=dtype), T(concat.astype(np.int32)), tuple(il), list(tl), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), want, rtol=rtol)


def test_ctc_gradient_matches_reference():
    _, lp, labels, il, tl = _ctc_case(seed=1)
    x = T(lp, True)
    F.ctc_loss(x, T(labels), T(il), T(tl), reduction="sum").backward()
    np.testing.assert_allclose(x.grad.numpy(), ref_ctc_grad(lp, labels, il, tl), atol=1e-7)
    # 'mean' scales each sample's gradient by 1 / (N * max(target length, 1))
    x = T(lp, True)
    F.ctc_loss(x, T(labels), T(il), T(tl), reduction="mean").backward()
    scale = 1.0 / (len(tl) * np.maximum(tl, 1))
    np.testing.assert_allclose(x.grad.numpy(), ref_ctc_grad(lp, labels, il, tl) * scale[None, :, None], atol=1e-7)


def test_ctc_gradcheck_through_log_softmax():
    logits, _, labels, il, tl = _ctc_case(seed=2)
    for reduction in ("none", "mean"):
        assert gradcheck(lambda a, r=reduction: F.ctc_loss(F.log_softmax(a, 2), T(labels), T(il), T(tl), reduction=r),
                         (T(logits, True),))


def test_ctc_blank_unbatched_and_empty_targets():
    _, lp, labels, il, tl = _ctc_case(seed=3)
    relabel = np.where(labels == 2, 0, labels)  # labels in 0..4 except 2, blank 2
    got = F.ctc_loss(T(lp), T(relabel), T(il), T(tl), blank=2, reduction="none").numpy()
    np.testing.assert_allclose(got, ref_losses(lp, relabel, il, tl, blank=2), rtol=1e-12)
    one = F.ctc_loss(T(lp[:, 0]), T(labels[0, :tl[0]]), (il[0],), (tl[0],), reduction="none")
    assert one.shape == () and abs(float(one) - ref_nll(lp[:il[0], 0], labels[0, :tl[0]])) < 1e-10
    # no frames and no labels: loss -0.0 (torch's -log 1), zero gradient
    x = T(lp, True)
    loss = F.ctc_loss(x, T(labels), T(il), T(tl), reduction="none")
    assert loss.numpy()[3] == 0 and math.copysign(1, loss.numpy()[3]) == -1
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[:, 3], 0.0)
    np.testing.assert_array_equal(x.grad.numpy()[4:, 2], 0.0)  # frames past input_lengths[2] = 4


def test_ctc_zero_infinity():
    _, lp, labels, _, tl = _ctc_case(seed=4)
    il = np.array([3, 6, 4, 0])  # sample 0: 4 labels with a repeat need 5 frames; sample 3: empty target
    ref = ref_losses(lp, labels, il, tl)
    assert np.isinf(ref[0])
    x = T(lp, True)
    loss = F.ctc_loss(x, T(labels), T(il), T(tl), reduction="none")
    assert np.isinf(loss.numpy()[0]) and np.allclose(loss.numpy()[1:], ref[1:], rtol=1e-12)
    loss.sum().backward()
    assert np.all(np.isnan(x.grad.numpy()[:3, 0])) and np.all(x.grad.numpy()[3:, 0] == 0)  # torch's NaNs
    x = T(lp, True)
    loss = F.ctc_loss(x, T(labels), T(il), T(tl), reduction="sum", zero_infinity=True)
    np.testing.assert_allclose(loss.numpy(), ref[1:].sum(), rtol=1e-12)
    loss.backward()
    g = x.grad.numpy()
    assert np.all(g[:, 0] == 0)
    np.testing.assert_allclose(g[:, 1:], ref_ctc_grad(lp, labels, il, tl)[:, 1:], atol=1e-7)


def test_ctc_errors():
    _, lp, labels, il, tl = _ctc_case()
    where = r"\(while checking arguments for ctc_loss_allocate_outputs\)"
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F.ctc_loss(T(lp), T(labels), T(il), T(tl), blank=5)
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 7, but got value 8 " + where):
        F.ctc_loss(T(lp), T(labels), T(np.array([8, 1, 1, 1])), T(tl))
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at least 0, but got value -1"):
        F.ctc_loss(T(lp), T(labels), T(np.array([-1, 1, 1, 1])), T(tl))
    with pytest.raises(RuntimeError, match="Expected target_lengths to have value at least 0, but got value -2"):
        F.ctc_loss(T(lp), T(labels), T(il), T(np.array([1, -2, 1, 1])))
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 4 at dimension 1, but got size 3"):
        F.ctc_loss(T(lp), T(labels[:, :3]), T(il), T(tl))
    with pytest.raises(RuntimeError, match="Expected tensor to have size 4 at dimension 0, but got size 3"):
        F.ctc_loss(T(lp), T(labels[:3]), T(il), T(tl))
    with pytest.raises(RuntimeError, match="Expected tensor to have size 8 at dimension 0, but got size 9"):
        F.ctc_loss(T(lp), T(np.ones(9, np.int64)), T(il), T(tl))
    with pytest.raises(RuntimeError, match="Expected 1 to 2 dimensions, but got 3-dimensional tensor"):
        F.ctc_loss(T(lp), T(labels[None]), T(il), T(tl))
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F.ctc_loss(T(lp), T(labels), (7, 7), T(tl))
    with pytest.raises(RuntimeError, match="log_probs tensor must not be empty"):
        F.ctc_loss(T(lp[:0]), T(labels), (0, 0, 0, 0), T(tl))
    with pytest.raises(NotImplementedError, match="\"ctc_loss_cpu\" not implemented for 'Half'"):
        F.ctc_loss(T(lp, dtype=np.float16), T(labels), T(il), T(tl))
    with pytest.raises(IndexError, match="target label 5 is out of range"):
        F.ctc_loss(T(lp), T(np.where(labels == 1, 5, labels)), T(il), T(tl))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.ctc_loss(T(lp), T(labels), T(il), T(tl), reduction="foo")


def test_ctc_double_backward_is_an_error():
    logits, _, labels, il, tl = _ctc_case()
    x = T(logits, True)
    loss = F.ctc_loss(F.log_softmax(x, 2), T(labels), T(il), T(tl))
    (g,) = nt.autograd.grad(loss, x, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        g.sum().backward()
