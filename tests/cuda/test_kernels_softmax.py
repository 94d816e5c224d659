"""CUDA softmax / log_softmax forward and backward over (outer, n, inner) views against NumPy formulas written
here (float64), in both kernels (a thread group per row; a thread per column), several layouts and dtypes."""

import numpy as np
import pytest
from cuda_util import dev, empty, host, layouts
from ntorch.kernels.cuda import softmax as S

FLOATS = [np.float16, np.float32, np.float64]


def _ref(x, log):
    x = x.astype(np.float64)
    with np.errstate(all="ignore"):
        m = x.max(1, keepdims=True)
        e = np.exp(x - m)
        s = e.sum(1, keepdims=True)
        return (x - m - np.log(s)) if log else e / s


def _ref_bwd(y, g, log):
    y, g = y.astype(np.float64), g.astype(np.float64)
    if log:
        return g - np.exp(y) * g.sum(1, keepdims=True)
    return y * (g - (g * y).sum(1, keepdims=True))


def _tol(dt):
    return {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}[dt]


def _close(got, want, dt, msg=""):
    tol = _tol(dt)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=tol * 10, atol=tol, equal_nan=True, err_msg=msg)


def _forward(x, log, out_dt=None, xd=None):
    out = empty(x.shape, out_dt or x.dtype)
    S.softmax_into(dev(x) if xd is None else xd, out, log)
    return host(out)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(3, 5, 1), (2, 1, 1), (1, 37, 1), (2, 4, 3), (1, 1, 5)],
                         ids=["rows", "n1", "odd-row", "middle", "middle-n1"])
def test_forward(shape, dt, log):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 3).astype(dt)
    _close(_forward(x, log), _ref(x, log), dt)


@pytest.mark.parametrize("config", ["warp-rows", "block-rows"])
def test_row_configurations(config, monkeypatch):
    """Short rows share a block (several rows per block, a partial last group); long rows use the whole block,
    each thread striding over several elements."""
    monkeypatch.setattr(S, "SHORT_N", 1 << 20 if config == "warp-rows" else 0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((7, 70, 1)).astype(np.float32)
    for log in (False, True):
        _close(_forward(x, log), _ref(x, log), np.float32, config)


@pytest.mark.parametrize("shape", [(3, 6, 1), (2, 5, 3)], ids=["rows", "middle"])
def test_layouts(shape):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape).astype(np.float32)
    for name, xd in layouts(x):
        for log in (False, True):
            _close(_forward(x, log, xd=xd), _ref(x, log), np.float32, name)


def test_strided_output():
    from ntorch.kernels.cuda import arrays

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 1)).astype(np.float64)
    big = dev(np.zeros((2, 11), np.float64))
    S.softmax_into(dev(x), arrays.view(big, (2, 5, 1), (11, 2, 1), offset=1), False)
    got = host(big)
    _close(got[:, 1::2][..., None], _ref(x, False), np.float64)
    assert (got[:, 0::2] == 0).all()


def test_float16_input_float32_output():
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((3, 9, 1)) * 4).astype(np.float16)
    got = _forward(x, True, np.float32)
    assert got.dtype == np.float32
    _close(got, _ref(x, True), np.float32)  # computed in float32 from the float16 values


def test_large_values_are_stable():
    x = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1002.0]], np.float32)[..., None]
    for log in (False, True):
        _close(_forward(x, log), _ref(x, log), np.float32)


def test_special_values():
    """NaN or +inf anywhere in a row: all NaN; all -inf: NaN; some -inf: exactly 0 (softmax) / -inf."""
    inf, nan = np.inf, np.nan
    x = np.array([[1.0, nan, 2.0], [1.0, inf, 2.0], [-inf, -inf, -inf], [-inf, 0.0, -inf], [-inf, 1.0, 1.0]],
                 np.float32)
    for shape in ((5, 3, 1), "middle"):
        xx = x[..., None] if shape != "middle" else np.ascontiguousarray(x.T[None])  # (1, 3, 5): rows in columns
        for log in (False, True):
            got = _forward(xx, log)
            want = _ref(xx, log)
            _close(got, want, np.float32, f"{shape} log={log}")
    got = _forward(x[..., None], False)[..., 0]
    assert np.isnan(got[:3]).all()
    np.testing.assert_array_equal(got[3], [0.0, 1.0, 0.0])


@pytest.mark.parametrize("pos", [0, 9, 30, 40], ids=lambda p: f"at{p}")
def test_special_values_in_long_rows(pos, monkeypatch):
    """The row kernel folds four loaded values at a time, then single ones: a special value at any position
    (the first group, a middle group, the tail) gives the same row as the formula."""
    monkeypatch.setattr(S, "SHORT_N", 1 << 20)  # warp rows: a few threads stride over each row of 41
    inf, nan = np.inf, np.nan
    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 41)).astype(np.float32)
    x[0, pos] = nan
    x[1, pos] = inf
    x[2, :] = -inf
    x[3, :] = -inf
    x[3, pos] = 0.5
    x[4, pos] = -inf
    x[5, :] = -inf
    x[5, pos] = nan
    x[6, :] = -inf
    x[6, pos] = inf
    x[7, pos] = 80.0  # a new maximum late in the row rescales the running sum
    for log in (False, True):
        got = _forward(x[..., None], log)
        _close(got, _ref(x[..., None], log), np.float32, f"log={log}")
    got = _forward(x[..., None], False)[..., 0]
    assert np.isnan(got[[0, 1, 2, 5, 6]]).all()
    assert got[4, pos] == 0.0 and got[3, pos] == 1.0


def test_empty_is_a_no_op():
    for shape in ((0, 4, 1), (2, 0, 1), (2, 3, 0)):
        x = np.zeros(shape, np.float32)
        out = empty(shape, np.float32)
        S.softmax_into(dev(x), out, False)
        S.softmax_backward_into(dev(x), dev(x), out, True)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape", [(3, 5, 1), (1, 1, 1), (2, 4, 3)], ids=["rows", "n1", "middle"])
def test_backward(shape, dt, log):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    y = _ref(x, log).astype(dt)
    g = rng.standard_normal(shape).astype(dt)
    out = empty(shape, dt)
    S.softmax_backward_into(dev(y), dev(g), out, log)
    _close(host(out), _ref_bwd(y, g, log), dt)


@pytest.mark.parametrize("config", ["warp-rows", "block-rows"])
def test_backward_row_configurations_and_layouts(config, monkeypatch):
    from cuda_util import transposed

    monkeypatch.setattr(S, "SHORT_N", 1 << 20 if config == "warp-rows" else 0)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((5, 41, 1))
    for log in (False, True):
        y = _ref(x, log).astype(np.float32)
        g = rng.standard_normal(x.shape).astype(np.float32)
        out = empty(x.shape, np.float32)
        S.softmax_backward_into(transposed(y), dev(g), out, log)
        _close(host(out), _ref_bwd(y, g, log), np.float32, config)


def test_bad_arguments():
    x = dev(np.zeros((2, 3, 1), np.float32))
    with pytest.raises(ValueError, match="3-d"):
        S.softmax_into(dev(np.zeros((2, 3), np.float32)), empty((2, 3), np.float32), False)
    with pytest.raises(ValueError, match="shape"):
        S.softmax_into(x, empty((2, 4, 1), np.float32), False)
    with pytest.raises(TypeError, match="float"):
        S.softmax_into(dev(np.zeros((2, 3, 1), np.int32)), empty((2, 3, 1), np.float32), False)


def test_long_rows(big):
    n = 100_003 if big else 700
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, n, 1)).astype(np.float32)
    _close(_forward(x, False), _ref(x, False), np.float32)
    if big:
        x = rng.standard_normal((4096, 1000, 1)).astype(np.float32)
        _close(_forward(x, True), _ref(x, True), np.float32)
