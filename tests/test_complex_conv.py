"""Complex convolutions (F.conv1d/2d/3d, F.conv_transpose1d/2d/3d, nn.Conv*/ConvTranspose* with a complex dtype).

Values against a NumPy complex reference written from the definitions (a direct correlation over kernel taps, and
the transposed convolution as the scatter of every input element); gradients against float64 central differences
in torch's convention (grad = dL/d(real part) + i dL/d(imaginary part)); messages quoted from torch 2.13."""

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F

RNG = np.random.default_rng(11)


def crand(*shape, dtype=np.complex128):
    return (RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)).astype(dtype)


def _tup(v, nd):
    return (v,) * nd if isinstance(v, int) else tuple(v)


def ref_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct correlation: y[n, o, pos] = b[o] + sum_{c, k} xpad[n, g*cg + c, pos*s + k*d] w[o, c, k]."""
    nd = w.ndim - 2
    s, d = _tup(stride, nd), _tup(dilation, nd)
    if padding == "same":
        total = [d[i] * (w.shape[2 + i] - 1) for i in range(nd)]
        pads = [(t // 2, t - t // 2) for t in total]
    else:
        pads = [(p, p) for p in _tup(padding, nd)]
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    k = w.shape[2:]
    out = [(xp.shape[2 + i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(nd)]
    cout, cg = w.shape[:2]
    og = cout // groups
    y = np.zeros((x.shape[0], cout, *out), np.result_type(x, w))
    for kpos in np.ndindex(*k):
        sl = tuple(slice(kpos[i] * d[i], kpos[i] * d[i] + (out[i] - 1) * s[i] + 1, s[i]) for i in range(nd))
        patch = xp[(slice(None), slice(None)) + sl]
        for g in range(groups):
            y[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", patch[:, g * cg:(g + 1) * cg],
                                                   w[(slice(g * og, (g + 1) * og), slice(None)) + kpos])
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y


def ref_conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Scatter: input element x[n, g*cg + c, pos] adds x * w[g*cg + c, o, k] at output g*og + o, pos*s + k*d - p."""
    nd = w.ndim - 2
    s, p, op, d = (_tup(v, nd) for v in (stride, padding, output_padding, dilation))
    size = x.shape[2:]
    k = w.shape[2:]
    cg, og = w.shape[0] // groups, w.shape[1]
    full = np.zeros((x.shape[0], og * groups, *[(size[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 + op[i]
                                                  for i in range(nd)]), np.result_type(x, w))
    for kpos in np.ndindex(*k):
        sl = tuple(slice(kpos[i] * d[i], kpos[i] * d[i] + (size[i] - 1) * s[i] + 1, s[i]) for i in range(nd))
        for g in range(groups):
            full[(slice(None), slice(g * og, (g + 1) * og)) + sl] += np.einsum(
                "nc...,co->no...", x[:, g * cg:(g + 1) * cg], w[(slice(g * cg, (g + 1) * cg), slice(None)) + kpos])
    out = [(size[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 for i in range(nd)]
    y = full[(slice(None), slice(None)) + tuple(slice(p[i], p[i] + out[i]) for i in range(nd))]
    if b is not None:
        y = y + b.reshape((1, -1) + (1,) * nd)
    return y


# (F name, reference, input shape, weight shape, bias size, options)
CASES = [
    ("conv1d", ref_conv, (2, 4, 7), (6, 2, 3), 6, dict(stride=2, padding=1, groups=2)),
    ("conv1d", ref_conv, (3, 6), (2, 3, 2), None, dict(padding="same", dilation=2)),  # unbatched
    ("conv2d", ref_conv, (2, 3, 6, 5), (4, 3, 3, 2), 4, dict(padding=(1, 0), dilation=(1, 2))),
    ("conv2d", ref_conv, (4, 5, 5), (6, 2, 3, 3), 6, dict(stride=2, padding=1, groups=2)),  # unbatched
    ("conv3d", ref_conv, (1, 2, 4, 5, 4), (3, 2, 2, 3, 2), 3, dict(stride=(1, 2, 1), padding=(1, 0, 1))),
    ("conv_transpose1d", ref_conv_transpose, (2, 4, 5), (4, 3, 3), 6, dict(stride=2, output_padding=1, groups=2)),
    ("conv_transpose2d", ref_conv_transpose, (2, 2, 4, 3), (2, 3, 3, 2), 3,
     dict(stride=2, padding=1, dilation=(1, 2))),
    ("conv_transpose2d", ref_conv_transpose, (2, 3, 3), (2, 2, 2, 2), None, dict(stride=(1, 2))),  # unbatched
    ("conv_transpose3d", ref_conv_transpose, (1, 2, 3, 3, 2), (2, 2, 2, 2, 2), 2, dict(stride=2, padding=(0, 1, 0))),
]


def _case_id(case) -> str:
    return f"{case[0]}-{'x'.join(map(str, case[2]))}"


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_complex_conv_values(case, dtype):
    name, ref, xs, ws, nb, kw = case
    x, w = crand(*xs, dtype=dtype), crand(*ws, dtype=dtype)
    b = None if nb is None else crand(nb, dtype=dtype)
    unbatched = len(xs) == len(ws) - 1
    want = ref(x[None] if unbatched else x, w, b, **kw)
    want = want[0] if unbatched else want
    got = getattr(F, name)(ntorch.tensor(x), ntorch.tensor(w), None if b is None else ntorch.tensor(b), **kw)
    assert got.dtype is ntorch.tensor(x).dtype and tuple(got.shape) == want.shape
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.complex64 else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.numpy(), want.astype(dtype), **tol)


def fd_grad(loss, values, eps=1e-6):
    """Central differences of a real loss of complex128 arrays, real and imaginary parts perturbed separately:
    dL/dRe + i dL/dIm per input."""
    grads = []
    for k, v in enumerate(values):
        g = np.zeros_like(v)
        for idx in np.ndindex(v.shape):
            for unit in (1, 1j):
                plus, minus = [a.copy() for a in values], [a.copy() for a in values]
                plus[k][idx] += eps * unit
                minus[k][idx] -= eps * unit
                g[idx] += (loss(*plus) - loss(*minus)) / (2 * eps) * unit
        grads.append(g)
    return grads


GRAD_CASES = [c for c in CASES if c[0] in ("conv1d", "conv_transpose1d")] + [
    ("conv2d", ref_conv, (1, 2, 4, 3), (4, 1, 2, 2), 4, dict(stride=(1, 2), padding=1, groups=2)),
    ("conv3d", ref_conv, (1, 1, 3, 3, 2), (2, 1, 2, 2, 1), 2, dict()),
    ("conv_transpose2d", ref_conv_transpose, (1, 2, 2, 3), (2, 2, 2, 2), 2, dict(stride=2, output_padding=(1, 0))),
    ("conv_transpose3d", ref_conv_transpose, (1, 2, 2, 2, 1), (2, 1, 2, 1, 2), 1, dict(padding=(1, 0, 0))),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[_case_id(c) for c in GRAD_CASES])
def test_complex_conv_wirtinger_grads(case):
    """A real, non-holomorphic loss of the output (|y|^2 weighted, plus the real part of y times a complex constant):
    the gradient of every input, weight and bias against central differences."""
    name, ref, xs, ws, nb, kw = case
    x, w = crand(*xs), crand(*ws)
    b = crand(nb if nb is not None else ws[0])
    unbatched = len(xs) == len(ws) - 1
    y0 = ref(x[None] if unbatched else x, w, b, **kw)
    y0 = y0[0] if unbatched else y0
    scale, phase = RNG.uniform(0.5, 1.5, y0.shape), crand(*y0.shape)

    def np_loss(x, w, b):
        y = ref(x[None] if unbatched else x, w, b, **kw)
        y = y[0] if unbatched else y
        return float((scale * np.abs(y) ** 2).sum() + (y * phase).real.sum())

    leaves = [ntorch.tensor(v, requires_grad=True) for v in (x, w, b)]
    y = getattr(F, name)(*leaves, **kw)
    loss = (ntorch.tensor(scale) * y.abs() ** 2).sum() + (y * ntorch.tensor(phase)).real.sum()
    loss.backward()
    for leaf, want, what in zip(leaves, fd_grad(np_loss, [x, w, b]), ("input", "weight", "bias")):
        assert leaf.grad.dtype is ntorch.complex128
        np.testing.assert_allclose(leaf.grad.numpy(), want, rtol=1e-6, atol=1e-6, err_msg=what)


def test_complex_conv_second_derivative():
    """The backward is made of recorded ops: d/dw of <grad_x, v> against differences of the first derivative."""
    x, w, v = crand(1, 2, 4), crand(3, 2, 2), crand(1, 2, 4)

    def grad_x_dot_v(w_value):
        xt, wt = ntorch.tensor(x, requires_grad=True), ntorch.tensor(w_value)
        y = F.conv1d(xt, wt)
        (gx,) = ntorch.autograd.grad((y.abs() ** 2).sum(), xt)
        return float((gx.numpy() * v).real.sum())

    xt, wt = ntorch.tensor(x, requires_grad=True), ntorch.tensor(w, requires_grad=True)
    (gx,) = ntorch.autograd.grad((F.conv1d(xt, wt).abs() ** 2).sum(), xt, create_graph=True)
    (gx * ntorch.tensor(v)).real.sum().backward()
    np.testing.assert_allclose(wt.grad.numpy(), fd_grad(grad_x_dot_v, [w])[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("padding_mode, np_mode", [("zeros", "constant"), ("reflect", "reflect"),
                                                   ("replicate", "edge"), ("circular", "wrap")])
def test_complex_conv_modules(padding_mode, np_mode):
    """nn.Conv2d(dtype=complex64) (every padding mode) and nn.ConvTranspose1d(dtype=complex128): complex
    parameters, each part initialised from U(-bound, bound) as torch's, values as the reference."""
    ntorch.manual_seed(0)
    m = ntorch.nn.Conv2d(3, 4, 3, padding=1, padding_mode=padding_mode, dtype=ntorch.complex64)
    assert m.weight.dtype is ntorch.complex64 and m.bias.dtype is ntorch.complex64
    bound = 1 / np.sqrt(3 * 9)
    for part in (m.weight.detach().numpy().real, m.weight.detach().numpy().imag):
        assert -bound <= part.min() < -bound / 2 and bound / 2 < part.max() <= bound
    x = crand(2, 3, 5, 4, dtype=np.complex64)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], mode=np_mode)
    want = ref_conv(xp, m.weight.detach().numpy(), m.bias.detach().numpy())
    y = m(ntorch.tensor(x))
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-5, atol=1e-5)
    y.abs().sum().backward()
    assert m.weight.grad.dtype is ntorch.complex64 and m.bias.grad.dtype is ntorch.complex64
    t = ntorch.nn.ConvTranspose1d(2, 3, 3, stride=2, dtype=ntorch.complex128)
    x1 = crand(1, 2, 4)
    np.testing.assert_allclose(t(ntorch.tensor(x1)).detach().numpy(),
                               ref_conv_transpose(x1, t.weight.detach().numpy(), t.bias.detach().numpy(), stride=2),
                               rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda x, w: F.conv2d(x, w.real), r"^Input type \(CPUComplexFloatType\) and weight type \(torch.FloatTensor\) "
     "should be the same$"),
    (lambda x, w: F.conv2d(x, w.to(ntorch.complex128)), r"^Input type \(CPUComplexFloatType\) and weight type "
     r"\(CPUComplexDoubleType\) should be the same$"),
    (lambda x, w: F.conv2d(x.real, w), "^expected scalar type Float but found ComplexFloat$"),
    (lambda x, w: F.conv2d(x, w, ntorch.zeros(3)), r"^Input type \(c10::complex<float>\) and bias type \(float\) "
     "should be the same$"),
    (lambda x, w: F.conv_transpose2d(x, w.transpose(0, 1), ntorch.zeros(3)),
     r"^Input type \(CPUComplexFloatType\) and bias type \(torch.FloatTensor\) should be the same$"),
    (lambda x, w: F.conv2d(x, w[:, :1]), r"expected input\[1, 2, 5, 5\] to have 1 channels, but got 2 channels"),
])
def test_complex_conv_errors(call, message):
    """torch 2.13's messages (the shape checks see the complex shapes, not the real convolution's)."""
    x = ntorch.tensor(crand(1, 2, 5, 5, dtype=np.complex64))
    w = ntorch.tensor(crand(3, 2, 3, 3, dtype=np.complex64))
    with pytest.raises(RuntimeError, match=message):
        call(x, w)


def ref_unfold(x, k, s, p, d):
    """im2col: column (c, i, j) of block (bi, bj) is xpad[n, c, bi*s + i*d, bj*s + j*d]."""
    n, c = x.shape[:2]
    xp = np.pad(x, [(0, 0), (0, 0), (p, p), (p, p)])
    oh, ow = ((xp.shape[2 + a] - d * (k - 1) - 1) // s + 1 for a in (0, 1))
    cols = np.zeros((n, c * k * k, oh * ow), x.dtype)
    for ch in range(c):
        for i in range(k):
            for j in range(k):
                patch = xp[:, ch, i * d:i * d + (oh - 1) * s + 1:s, j * d:j * d + (ow - 1) * s + 1:s]
                cols[:, (ch * k + i) * k + j] = patch.reshape(n, -1)
    return cols


def test_complex_unfold_fold():
    """unfold against the im2col reference; fold as its adjoint (sum(fold(y) x) == sum(y unfold(x)), bilinear);
    both gradients against central differences."""
    x, geom = crand(2, 2, 5, 4), dict(kernel_size=2, stride=2, padding=1, dilation=1)
    cols = F.unfold(ntorch.tensor(x), **geom)
    want = ref_unfold(x, 2, 2, 1, 1)
    assert cols.dtype is ntorch.complex128
    np.testing.assert_allclose(cols.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(F.unfold(ntorch.tensor(x[0].astype(np.complex64)), **geom).numpy(), want[0],
                               rtol=1e-6)
    y = crand(*want.shape)
    folded = F.fold(ntorch.tensor(y), (5, 4), **geom)
    assert folded.dtype is ntorch.complex128 and tuple(folded.shape) == x.shape
    np.testing.assert_allclose((folded.numpy() * x).sum(), (y * want).sum(), rtol=1e-12)
    phase = crand(*want.shape)
    xt = ntorch.tensor(x, requires_grad=True)
    (F.unfold(xt, **geom).abs() ** 2 * 0.5 + (F.unfold(xt, **geom) * ntorch.tensor(phase)).real).sum().backward()
    [want_grad] = fd_grad(lambda v: float((np.abs(ref_unfold(v, 2, 2, 1, 1)) ** 2 * 0.5).sum()
                                         + (ref_unfold(v, 2, 2, 1, 1) * phase).real.sum()), [x])
    np.testing.assert_allclose(xt.grad.numpy(), want_grad, rtol=1e-6, atol=1e-6)
    yt = ntorch.tensor(y, requires_grad=True)
    (F.fold(yt, (5, 4), **geom) * ntorch.tensor(x)).imag.sum().backward()
    # d/dy of Im(sum(y u)) for u = unfold(x): dL/dRe + i dL/dIm = Im(u) + i Re(u) = i conj(u)
    np.testing.assert_allclose(yt.grad.numpy(), 1j * np.conj(want), rtol=1e-12)
