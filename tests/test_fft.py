"""ntorch.fft against numpy.fft (values, dtypes, torch's errors) and float64 finite differences (gradients).

torch's conventions checked here: real and integer inputs promote (float32 -> complex64, int -> the default
dtype's complex); norm scales each primitive by its own dims; the gradient of a real loss w.r.t. a complex tensor
is dL/dRe + i dL/dIm, so for a cotangent g of output y the loss is L = sum(Re(conj(g) * y)).
"""

import numpy as np
import pytest

import ntorch
import ntorch.fft as nfft

RNG = np.random.default_rng(0)

ONE_DIM = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"]
N_DIM = ["fft2", "ifft2", "fftn", "ifftn", "rfft2", "irfft2", "rfftn", "irfftn", "hfft2", "ihfft2", "hfftn",
         "ihfftn"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}
REAL_OUT = {"irfft", "hfft", "irfft2", "irfftn", "hfft2", "hfftn"}


def _data(shape, cplx):
    a = RNG.standard_normal(shape)
    return a + 1j * RNG.standard_normal(shape) if cplx else a


def _np_ref(name, a, kw):
    """numpy's function of the same name; numpy has no hfft2/hfftn/ihfft2/ihfftn, built as torch defines them."""
    kw = dict(kw)
    if "n" in kw or "dim" in kw and name in ONE_DIM:
        kw = {"n": kw.get("n"), "axis": kw.get("dim", -1), "norm": kw.get("norm")}
    elif "dim" in kw:
        kw["axes"] = kw.pop("dim")
    elif "s" in kw:
        kw["axes"] = tuple(range(a.ndim - len(kw["s"]), a.ndim))
    if name in ("hfft2", "hfftn"):
        axes = kw.get("axes", (-2, -1) if name == "hfft2" else tuple(range(a.ndim)))
        s = kw.get("s")
        last_n = s[-1] if s else 2 * (a.shape[axes[-1]] - 1)
        # hfftn = c2r of conj(c2c forward over the other axes): irfftn of the conjugate with the forward norm
        inv = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[kw.get("norm")]
        return np.fft.irfftn(np.conj(a), s=(list(s[:-1]) if s else [a.shape[d] for d in axes[:-1]]) + [last_n],
                             axes=axes, norm=inv)
    if name in ("ihfft2", "ihfftn"):
        axes = kw.get("axes", (-2, -1) if name == "ihfft2" else tuple(range(a.ndim)))
        inv = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}[kw.get("norm")]
        return np.conj(np.fft.rfftn(a, s=kw.get("s"), axes=axes, norm=inv))
    return getattr(np.fft, name)(a, **kw)


CASES_1 = [{}, {"norm": "ortho"}, {"norm": "forward"}, {"n": 7}, {"n": 4}, {"n": 9, "dim": 0},
           {"dim": -2, "norm": "backward"}]
CASES_N = [{}, {"norm": "ortho"}, {"norm": "forward"}, {"s": (3, 7)}, {"s": (4, 4), "dim": (1, 0)}, {"dim": (0,)},
           {"s": (8, 5), "norm": "ortho"}]


def _cases():
    for name in ONE_DIM + N_DIM:
        for kw in CASES_1 if name in ONE_DIM else CASES_N:
            if name.startswith(("fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn")) and kw.get("dim") == (0,):
                kw = {**kw, "dim": [0]}
            yield name, kw


@pytest.mark.parametrize("name,kw", list(_cases()))
def test_values_match_numpy(name, kw):
    for cplx in (False, True):
        if cplx and name in REAL_ONLY:
            continue
        a = _data((5, 6), cplx)
        got = getattr(nfft, name)(ntorch.tensor(a), **kw)
        ref = _np_ref(name, a, kw)
        assert got.dtype is (ntorch.float64 if name in REAL_OUT else ntorch.complex128)
        assert tuple(got.shape) == ref.shape
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name", ONE_DIM)
def test_dtype_promotion_and_float32_accuracy(name):
    a = _data((3, 10), False)
    for dt, want in [(ntorch.float32, "complex64"), (ntorch.int64, "complex64"), (ntorch.bool, "complex64")]:
        x = ntorch.tensor(a).to(dt)
        got = getattr(nfft, name)(x)
        ref = _np_ref(name, x.to(ntorch.float64).numpy(), {})
        assert got.dtype.name == ("float32" if name in REAL_OUT else want)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())
    if name not in REAL_ONLY:
        c = ntorch.tensor(_data((3, 10), True)).to(ntorch.complex64)
        got = getattr(nfft, name)(c)
        assert got.dtype.name == ("float32" if name in REAL_OUT else "complex64")
        ref = _np_ref(name, c.numpy().astype(np.complex128), {})
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())


def test_default_dtype_and_large_sizes():
    ntorch.set_default_dtype(ntorch.float64)
    try:
        assert nfft.fft(ntorch.arange(4)).dtype is ntorch.complex128
    finally:
        ntorch.set_default_dtype(ntorch.float32)
    for n in (97, 997, 4096, 4099, 6000):
        a = _data((2, n), True)
        np.testing.assert_allclose(nfft.fft(ntorch.tensor(a)).numpy(), np.fft.fft(a), rtol=1e-9, atol=1e-9)
        r = _data((2, n), False)
        np.testing.assert_allclose(nfft.rfft(ntorch.tensor(r)).numpy(), np.fft.rfft(r), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("n", [2, 8, 24, 40, 90, 168, 384, 640, 1000, 1024, 3 * 64 * 7, 5 * 8 * 8 * 8 * 2])
def test_stage_blocks_and_radix_mixes(n):
    """Lengths whose stages hit the kernels' block edges: stride s below and above SMALL_S, a block's last partial
    run of p, radices 8, 4, 2, 3, 5 and the generic odd one (7) in several orders of stride."""
    from ntorch.kernels.cpu import fft as K

    for dt, tol in ((np.complex128, 1e-10), (np.complex64, 2e-5)):
        a = _data((3, n), True).astype(dt)
        ref = np.fft.fft(a.astype(np.complex128))
        scale = np.abs(ref).max()
        np.testing.assert_allclose(K.c2c(a), ref, rtol=tol, atol=tol * scale)
        np.testing.assert_allclose(K.c2c(a, inverse=True), np.fft.ifft(a.astype(np.complex128)) * n, rtol=tol,
                                   atol=tol * scale)


@pytest.mark.parametrize("shape", [(1, 512, 512), (2, 24, 16), (1, 1, 20), (3, 7, 17), (2, 40, 100), (1, 168, 70),
                                   (2, 11, 33)])
def test_column_blocks(shape, monkeypatch):
    """c2c along axis 1 of (batch, n, c) by blocks of columns (_row with s0 = cb): block widths 16-64, a last
    narrower block (padded), n = 1, radices 8, 4, 2, 3, 5, 7, 11; serial and over threads; C-contiguous result."""
    from ntorch.kernels.cpu import fft as K

    for dt, tol in ((np.complex128, 1e-10), (np.complex64, 2e-5)):
        a = _data(shape, True).astype(dt)
        ref = np.fft.fft(a.astype(np.complex128), axis=1)
        scale = np.abs(ref).max()
        got = K.c2c_cols(a)
        assert got.flags.c_contiguous and got.dtype == dt
        np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * scale)
        inv = np.fft.ifft(a.astype(np.complex128), axis=1) * shape[1]
        np.testing.assert_allclose(K.c2c_cols(a, inverse=True), inv, rtol=tol, atol=tol * scale)
        monkeypatch.setattr(K, "PAR_MIN", 1)
        monkeypatch.setattr("numba.get_num_threads", lambda: 2)
        np.testing.assert_allclose(K.c2c_cols(a), ref, rtol=tol, atol=tol * scale)
        monkeypatch.undo()


def test_column_pass_through_the_front_end():
    """fft2 / fftn / rfft2 / irfft2 over outer dims go through the column blocks (C-contiguous results), a length
    that needs Bluestein (67) through rows of a transposed copy."""
    from ntorch.kernels.cpu import fft as K

    assert K.c2c_cols(np.zeros((1, 67, 16), np.complex128)) is None
    for shape in [(64, 48), (67, 32), (3, 20, 24)]:
        a = _data(shape, True)
        got = nfft.fftn(ntorch.tensor(a))
        np.testing.assert_allclose(got.numpy(), np.fft.fftn(a), atol=1e-9 * np.abs(a).sum())
        np.testing.assert_allclose(nfft.ifft2(ntorch.tensor(a)).numpy(), np.fft.ifft2(a), atol=1e-12 * a.size)
        r = a.real.copy()
        np.testing.assert_allclose(nfft.rfft2(ntorch.tensor(r)).numpy(), np.fft.rfft2(r), atol=1e-9 * np.abs(r).sum())
        h = np.fft.rfft2(r)
        np.testing.assert_allclose(nfft.irfft2(ntorch.tensor(h), s=r.shape[-2:]).numpy(),
                                   np.fft.irfft2(h, s=r.shape[-2:]), atol=1e-12)
    assert nfft.fft2(ntorch.tensor(_data((64, 48), True))).is_contiguous()


def test_one_long_row_split_over_threads(monkeypatch):
    """A single row of at least STAGE_PAR_MIN elements cuts each stage into blocks of p or of q (_row_par)."""
    from ntorch.kernels.cpu import fft as K

    monkeypatch.setattr("numba.get_num_threads", lambda: 2)
    monkeypatch.setattr(K, "STAGE_PAR_MIN", 1 << 10)
    for n in (1 << 12, 3 << 11, 5 * 8 * 8 * 8):
        a = _data((1, n), True)
        ref = np.fft.fft(a)
        np.testing.assert_allclose(K.c2c(a), ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


def test_non_contiguous_and_empty_batches():
    a = _data((6, 5, 4), True)
    x = ntorch.tensor(a).permute(2, 0, 1)[:, ::2]  # (4, 3, 5), strided
    np.testing.assert_allclose(nfft.fftn(x, dim=(0, 2)).numpy(), np.fft.fftn(x.numpy(), axes=(0, 2)), atol=1e-10)
    empty = nfft.rfft(ntorch.zeros(0, 8))
    assert tuple(empty.shape) == (0, 5) and empty.dtype is ntorch.complex64
    assert tuple(nfft.fftn(ntorch.zeros(2, 3), dim=()).shape) == (2, 3)  # no dims: the input as complex
    assert nfft.fftn(ntorch.zeros(2, 3), dim=()).dtype is ntorch.complex64


def test_errors_as_torch():
    x = ntorch.arange(6.0)
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        nfft.fft(x, n=0)
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(-2\) specified"):
        nfft.fft(x, n=-2)
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        nfft.fft(ntorch.zeros(0))
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        nfft.irfft(ntorch.zeros(1, dtype=ntorch.complex64))
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-1, 0\], but got 2\)"):
        nfft.fft(x, dim=2)
    with pytest.raises(IndexError, match="Dimension specified as -1 but tensor has no dimensions"):
        nfft.fft(ntorch.tensor(1.0))
    with pytest.raises(RuntimeError, match='Invalid normalization mode: "bad"'):
        nfft.fft(x, norm="bad")
    with pytest.raises(TypeError, match="argument 'norm' must be str, not int"):
        nfft.fft(x, norm=1)
    with pytest.raises(TypeError, match="argument 'n' must be int, not float"):
        nfft.fft(x, n=2.0)
    with pytest.raises(RuntimeError, match="Unsupported dtype Half"):
        nfft.fft(x.half())
    with pytest.raises(RuntimeError, match="rfft expects a real input tensor, but got ComplexFloat"):
        nfft.rfft(ntorch.zeros(3, dtype=ntorch.complex64))
    with pytest.raises(RuntimeError, match="ihfft expects a real input tensor, but got ComplexFloat"):
        nfft.ihfft(ntorch.zeros(3, dtype=ntorch.complex64))
    m = x.reshape(2, 3)
    with pytest.raises(RuntimeError, match="Got shape with 2 values but input tensor only has 1 dimensions."):
        nfft.fftn(x, s=(2, 3))
    with pytest.raises(RuntimeError, match="When given, dim and shape arguments must have the same length"):
        nfft.fftn(m, s=(2, 3), dim=(0,))
    with pytest.raises(RuntimeError, match="FFT dims must be unique"):
        nfft.fftn(m, dim=(0, 0))
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(0\) specified"):
        nfft.fftn(m, s=(0, 4))
    with pytest.raises(RuntimeError, match="rfftn must transform at least one axis"):
        nfft.rfftn(m, dim=())
    with pytest.raises(IndexError, match=r"expected to be in range of \[-2, 1\], but got 2"):
        nfft.fftn(m, dim=(2,))


def test_out():
    x = ntorch.arange(6.0)
    out = ntorch.empty(6, dtype=ntorch.complex128)
    assert nfft.fft(x, out=out) is out
    np.testing.assert_allclose(out.numpy(), np.fft.fft(np.arange(6.0)), atol=1e-5)
    with pytest.raises(RuntimeError, match="fft expects a complex output tensor, but got Float"):
        nfft.fft(x, out=ntorch.empty(6))
    with pytest.raises(RuntimeError, match="irfft expects a floating point output tensor, but got ComplexFloat"):
        nfft.irfft(ntorch.zeros(4, dtype=ntorch.complex64), out=ntorch.empty(6, dtype=ntorch.complex64))
    r = ntorch.empty(0, dtype=ntorch.float64)
    nfft.irfft(ntorch.zeros(4, dtype=ntorch.complex64), out=r)
    assert tuple(r.shape) == (6,)
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        nfft.fft(ntorch.arange(6.0, requires_grad=True), out=ntorch.empty(6, dtype=ntorch.complex64))


def test_freqs_and_shifts():
    np.testing.assert_allclose(nfft.fftfreq(5).numpy(), np.fft.fftfreq(5).astype(np.float32))
    f = nfft.fftfreq(6, 0.5, dtype=ntorch.float64)
    assert f.dtype is ntorch.float64
    np.testing.assert_allclose(f.numpy(), np.fft.fftfreq(6, 0.5))
    np.testing.assert_allclose(nfft.rfftfreq(7, 0.1).numpy(), np.fft.rfftfreq(7, 0.1).astype(np.float32), rtol=1e-6)
    assert nfft.fftfreq(0).shape == (0,)
    with pytest.raises(RuntimeError, match="fftfreq requires a floating point or complex dtype"):
        nfft.fftfreq(4, dtype=ntorch.int64)
    a = np.arange(30).reshape(5, 6)
    for fn in ("fftshift", "ifftshift"):
        for dim in (None, 0, 1, (0, 1), [-1]):
            got = getattr(nfft, fn)(ntorch.tensor(a), dim=dim)
            ref = getattr(np.fft, fn)(a, axes=dim)
            np.testing.assert_array_equal(got.numpy(), ref)
    np.testing.assert_array_equal(nfft.fftshift(ntorch.arange(5), dim=(0, 0)).numpy(), [1, 2, 3, 4, 0])


# ---------------------------------------------------------------------------------------------
# Gradients: finite differences of L(x) = sum(Re(conj(g) * f(x))) on the real and imaginary parts of x

def _loss(name, kw, a, g):
    with ntorch.no_grad():
        y = getattr(nfft, name)(ntorch.tensor(a), **kw).numpy()
    return float(np.sum(np.real(np.conj(g) * y)))


def _fd_grad(name, kw, a, g, eps=1e-6):
    grad = np.zeros(a.shape, dtype=a.dtype)
    for i in np.ndindex(a.shape):
        for unit in ((1.0, 1j) if np.iscomplexobj(a) else (1.0,)):
            p, m = a.copy(), a.copy()
            p[i] += eps * unit
            m[i] -= eps * unit
            grad[i] += unit * (_loss(name, kw, p, g) - _loss(name, kw, m, g)) / (2 * eps)
    return grad


GRAD_CASES_1 = [{}, {"norm": "ortho"}, {"n": 7}, {"n": 4, "norm": "forward"}, {"n": 5, "dim": 0}]
GRAD_CASES_N = [{}, {"s": (3, 7), "norm": "ortho"}, {"s": (4, 4), "dim": (1, 0)}, {"s": (5,), "dim": [0]}]


@pytest.mark.parametrize("name", ONE_DIM + N_DIM)
def test_gradients_finite_differences(name):
    for kw in GRAD_CASES_1 if name in ONE_DIM else GRAD_CASES_N:
        for cplx in (False, True):
            if cplx and name in REAL_ONLY:
                continue
            a = _data((3, 5), cplx)
            x = ntorch.tensor(a).requires_grad_()
            y = getattr(nfft, name)(x, **kw)
            assert y.grad_fn is not None
            g = _data(tuple(y.shape), y.dtype.is_complex)
            y.backward(ntorch.tensor(g))
            assert x.grad.dtype is x.dtype
            np.testing.assert_allclose(x.grad.numpy(), _fd_grad(name, kw, a, g), rtol=1e-6, atol=1e-6,
                                       err_msg=f"{name} {kw} complex={cplx}")


def test_double_backward_of_a_linear_transform():
    """grad(x) of <g, rfft(x)> is linear in g, so d/dg <grad, v> is rfft(v) conjugate-paired with g."""
    a = _data((2, 6), False)
    x = ntorch.tensor(a).requires_grad_()
    g = ntorch.tensor(_data((2, 4), True)).requires_grad_()
    (gx,) = ntorch.autograd.grad(nfft.rfft(x), x, g, create_graph=True)
    assert gx.grad_fn is not None
    v = _data((2, 6), False)
    gx.backward(ntorch.tensor(v))
    # <gx, v> = Re sum conj(g) rfft(v): its gradient w.r.t. g is rfft(v)
    np.testing.assert_allclose(g.grad.numpy(), np.fft.rfft(v), atol=1e-10)


def test_public_names_classified():
    """Every public ntorch.fft function: differentiable ones record a node; the rest are creation/index ops."""
    not_differentiable = {"fftfreq", "rfftfreq"}
    shifts = {"fftshift", "ifftshift"}  # roll: recorded by ntorch.roll
    public = {n for n in dir(nfft) if not n.startswith("_") and callable(getattr(nfft, n))
              and getattr(getattr(nfft, n), "__module__", "") == "ntorch.fft"}
    assert public == set(ONE_DIM + N_DIM) | not_differentiable | shifts
    assert set(nfft.__all__) == public
    for n in shifts:
        y = getattr(nfft, n)(ntorch.randn(4, dtype=ntorch.float64, requires_grad=True))
        assert y.grad_fn is not None
    assert not nfft.fftfreq(4).requires_grad


def test_real_losses_through_complex_ops():
    """Losses built with ntorch's complex ops: Parseval gives sum |fft(x)|^2 = n sum |x|^2, so the gradient is
    2 n x (real x) or 2 n x / n^2 for ifft (complex x); rfft through view_as_real against finite differences."""
    a = _data((4, 6), False)
    x = ntorch.tensor(a).requires_grad_()
    (nfft.fft(x).abs() ** 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 12 * a, atol=1e-10)
    c = _data((3, 5), True)
    z = ntorch.tensor(c).requires_grad_()
    (nfft.ifft(z).abs() ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), 2 / 5 * c, atol=1e-12)

    def loss(v):
        return float(np.sum(np.fft.rfft(v, axis=0).real ** 3 + np.fft.rfft(v, axis=0).imag ** 2))

    x = ntorch.tensor(a).requires_grad_()
    parts = ntorch.view_as_real(nfft.rfft(x, dim=0))
    (parts[..., 0] ** 3 + parts[..., 1] ** 2).sum().backward()
    fd = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        p, m = a.copy(), a.copy()
        p[i] += 1e-6
        m[i] -= 1e-6
        fd[i] = (loss(p) - loss(m)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("n", [1, 2, 4, 5, 6, 9, 12, 16, 30])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_real_input_bins_are_exact_as_torch(n, dt):
    """torch (pocketfft) returns bins 0 and n/2 of a real signal with an imaginary part of exactly 0, and fft of real
    input with exact Hermitian symmetry (the one-sided transform, mirrored): so do we, values against NumPy."""
    x = np.random.default_rng(n).standard_normal((3, n)).astype(dt)
    t = ntorch.from_numpy(x)
    tol = 1e-4 if dt == np.float32 else 1e-12
    one = ntorch.fft.rfft(t).numpy()
    np.testing.assert_allclose(one, np.fft.rfft(x.astype(np.float64)), rtol=tol, atol=tol * n)
    assert (one[:, 0].imag == 0).all()
    if n % 2 == 0:
        assert (one[:, n // 2].imag == 0).all()
    for dim, arr in ((-1, t), (0, ntorch.from_numpy(x.T.copy()))):
        full = ntorch.fft.fft(arr, dim=dim).numpy()
        full = full if dim == -1 else full.T
        np.testing.assert_allclose(full, np.fft.fft(x.astype(np.float64)), rtol=tol, atol=tol * n)
        np.testing.assert_array_equal(full[:, 1:], np.conj(full[:, 1:][:, ::-1]))
        np.testing.assert_array_equal(full[:, :n // 2 + 1], one)
    two = ntorch.fft.fft2(ntorch.from_numpy(np.stack([x, x]))).numpy()
    np.testing.assert_allclose(two, np.fft.fft2(np.stack([x, x]).astype(np.float64)), rtol=tol, atol=tol * n * 4)
    if n % 2 == 0:
        assert (two[:, 0, n // 2].imag == 0).all()  # the Nyquist column's own DC bin: real, as torch's
