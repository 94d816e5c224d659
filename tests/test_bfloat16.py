"""bfloat16 (ntorch.bfloat16, stored as ml_dtypes.bfloat16 arrays, computed in float32 by CPU kernels).

Oracle: the same op computed on the bfloat16 values in float32 (or float64 for reductions and products) with NumPy,
rounded to bfloat16 with ml_dtypes (round to nearest even). torch 2.13's semantics, checked in scratch scripts, are
the spec: elementwise ops round once from float32 (bit for bit), reductions accumulate in float32.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import ntorch
from ntorch import dispatch, nn
from ntorch.nn import functional as F

BF = ntorch.bfloat16
DATA = Path(__file__).parent / "data"


def rnd(a) -> np.ndarray:
    """float32 values rounded to bfloat16 (ml_dtypes' round to nearest even), as float32."""
    return np.asarray(a, np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)


def vals(t: ntorch.Tensor) -> np.ndarray:
    """A bfloat16 tensor's values as float32 (exact)."""
    assert t.dtype is BF
    return t.float().numpy()


def bf(a) -> ntorch.Tensor:
    return ntorch.tensor(np.asarray(a, np.float32)).to(BF)


def sample(shape, seed=0, scale=1.0) -> np.ndarray:
    """Random float32 values that are exact in bfloat16."""
    return rnd(np.random.default_rng(seed).standard_normal(shape) * scale)


def close(got: ntorch.Tensor, want, ulps: float = 1.0, atol: float = 0.0) -> None:
    """got (bfloat16) within `ulps` bfloat16 ulps (2**-7 relative per ulp, 8 significant bits) of the float64 want."""
    want = np.asarray(want, np.float64)
    g = vals(got).astype(np.float64)
    assert g.shape == want.shape
    np.testing.assert_allclose(g, want, rtol=ulps * 2.0 ** -7, atol=atol)


# -- the dtype --------------------------------------------------------------------------------------------------
def test_dtype_object_and_finfo():
    assert ntorch.bfloat16 is BF and repr(BF) == "ntorch.bfloat16" and BF.is_floating_point and BF.itemsize == 2
    assert ntorch.ones(2, dtype=BF).is_floating_point() and ntorch.ones(2, dtype=BF).element_size() == 2
    fi = ntorch.finfo(BF)
    assert (fi.bits, fi.eps, fi.resolution) == (16, 0.0078125, 0.01)
    assert fi.max == -fi.min == float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)
    assert f"{fi.max:g}" == "3.38953e+38" and fi.tiny == fi.smallest_normal == 2.0 ** -126
    assert repr(fi) == ("finfo(resolution=0.01, min=-3.38953e+38, max=3.38953e+38, eps=0.0078125, "
                        "smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=bfloat16)")
    assert ntorch.ones(1, dtype=BF).type() == "ntorch.BFloat16Tensor"  # ntorch.FloatTensor-style, as float32
    assert ntorch.tensor([1.0]).bfloat16().dtype is BF


@pytest.mark.parametrize("a, b, want", [
    (BF, ntorch.float16, ntorch.float32), (BF, ntorch.float32, ntorch.float32), (BF, ntorch.float64, ntorch.float64),
    (BF, ntorch.int64, BF), (BF, ntorch.int8, BF), (BF, ntorch.uint8, BF), (ntorch.bool, BF, BF), (BF, BF, BF),
])
def test_promote_types(a, b, want):
    assert ntorch.promote_types(a, b) is want and ntorch.promote_types(b, a) is want


def test_promotion_in_ops():
    x = ntorch.ones(2, dtype=BF)
    assert (x + ntorch.ones(2, dtype=ntorch.float16)).dtype is ntorch.float32
    assert (x + ntorch.ones(2)).dtype is ntorch.float32
    assert (x + ntorch.ones(2, dtype=ntorch.int32)).dtype is BF
    assert (x * 2.5).dtype is BF and (x + 1).dtype is BF and (x + True).dtype is BF
    assert (x + ntorch.tensor(1.0)).dtype is BF  # a 0-d float32 tensor does not win over a dimensioned bfloat16
    assert (x + ntorch.tensor(1.0, dtype=ntorch.float64)).dtype is BF
    assert (ntorch.ones(2, dtype=ntorch.int32) * ntorch.tensor(1.5, dtype=BF)).dtype is BF
    assert (ntorch.ones(2, dtype=ntorch.float16) + ntorch.tensor(1.0, dtype=BF)).dtype is ntorch.float16
    assert ntorch.can_cast(BF, ntorch.float16) and ntorch.can_cast(ntorch.float32, BF)
    assert not ntorch.can_cast(BF, ntorch.int32)


def test_set_default_dtype_bfloat16():
    ntorch.set_default_dtype(BF)
    try:
        t = ntorch.tensor([1.5, 2.0])
        assert t.dtype is BF and ntorch.arange(3.0).dtype is BF and ntorch.tensor(1.5).dtype is BF
        assert repr(t) == "tensor([1.5000, 2.0000])"  # the default dtype gets no suffix
    finally:
        ntorch.set_default_dtype(ntorch.float32)


# -- creation, conversion, printing -----------------------------------------------------------------------------
def test_creation_rounds_to_nearest_even():
    data = [3.14159, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 65504.0, -1e-20, 3.4e38, float("nan")]
    t = ntorch.tensor(data, dtype=BF)
    np.testing.assert_array_equal(vals(t), rnd(np.array(data, np.float64).astype(np.float32)))
    assert t.tolist()[:4] == [3.140625, 1.0, 1.015625, 1.0078125] and math.isinf(t.tolist()[6])
    assert ntorch.tensor(np.array(data)).to(BF).tolist()[:4] == t.tolist()[:4]


@pytest.mark.parametrize("make, want", [
    (lambda: ntorch.zeros(2, 3, dtype=BF), np.zeros((2, 3))),
    (lambda: ntorch.ones(0, dtype=BF), np.ones(0)),
    (lambda: ntorch.full((2,), 3.3, dtype=BF), rnd([3.3, 3.3])),
    (lambda: ntorch.full((), -0.1, dtype=BF), rnd(-0.1)),
    (lambda: ntorch.arange(0, 3, 0.7, dtype=BF), rnd(np.arange(5) * 0.7)),
    (lambda: ntorch.linspace(0, 1, 5, dtype=BF), np.linspace(0, 1, 5)),
    (lambda: ntorch.eye(2, dtype=BF), np.eye(2)),
    (lambda: ntorch.zeros_like(ntorch.ones(2, dtype=BF)), np.zeros(2)),
    (lambda: ntorch.ones(2).new_full((2,), 0.3, dtype=BF), rnd([0.3, 0.3])),
])
def test_factories(make, want):
    t = make()
    assert t.dtype is BF
    np.testing.assert_array_equal(vals(t), np.asarray(want, np.float32))


def test_linspace_rounds_each_step_in_bfloat16_as_torch():
    # torch.linspace(-3, 7.7, 33, dtype=torch.bfloat16)[:12] (its kernel computes in bfloat16)
    want = [-3.0, -2.671875, -2.328125, -2.0, -1.6640625, -1.328125, -1.0, -0.65625, -0.328125, 0.0, 0.34375, 0.671875]
    got = ntorch.linspace(-3, 7.7, 33, dtype=BF)
    assert got.tolist()[:12] == want and got.tolist()[-1] == float(rnd(7.7))


def test_random_factories_on_the_bfloat16_grid():
    ntorch.manual_seed(0)
    r = vals(ntorch.rand(4000, dtype=BF))
    # torch's 16-bit uniform: a float32 draw rounded to bfloat16, where a value rounded up to 1.0 becomes 0.0
    assert r.min() >= 0 and r.max() < 1 and len(np.unique(r)) > 200
    n = ntorch.randn(1000, dtype=BF)
    assert n.dtype is BF and abs(float(n.float().mean())) < 0.2
    assert ntorch.empty(3, dtype=BF).shape == (3,) and ntorch.empty(3, dtype=BF).dtype is BF
    u = vals(ntorch.empty(500, dtype=BF).random_())
    assert np.all(u == np.round(u)) and u.min() >= 0 and u.max() <= 256  # to = 2**digits (8 for bfloat16)
    assert ntorch.randint(0, 5, (3,), dtype=BF).dtype is BF


def test_casts_round_once_and_round_trip():
    x = np.array([0.1, -2.7, 1e-30, 3e38, 3.4e38, -np.inf, np.nan, 0.0, -0.0], np.float32)
    t = ntorch.tensor(x).bfloat16()
    np.testing.assert_array_equal(vals(t), rnd(x))
    assert t.to(ntorch.float32).dtype is ntorch.float32 and t.double().dtype is ntorch.float64
    np.testing.assert_array_equal(t.double().numpy(), rnd(x).astype(np.float64))
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(t.half().numpy(), rnd(x).astype(np.float16))
    assert ntorch.tensor([2.9, -2.9]).to(BF).int().tolist() == [2, -2]
    assert ntorch.tensor([True, False]).to(BF).tolist() == [1.0, 0.0]
    assert ntorch.tensor([3, -7]).to(dtype=BF).tolist() == [3.0, -7.0]
    assert ntorch.tensor(0.5, dtype=BF).item() == 0.5 and type(ntorch.tensor(0.5, dtype=BF).item()) is float
    z = ntorch.zeros(2, dtype=BF)
    z.copy_(ntorch.tensor([0.1, 3.14159]))
    assert z.tolist() == [0.10009765625, 3.140625]


def test_numpy_interop_refused_as_torch():
    t = ntorch.ones(2, dtype=BF)
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        t.numpy()
    with pytest.raises(TypeError, match="Got unsupported ScalarType BFloat16"):
        np.asarray(t)
    arr = np.zeros(3, ml_dtypes.bfloat16)
    with pytest.raises(TypeError, match="can't convert np.ndarray of type ml_dtypes.bfloat16"):
        ntorch.from_numpy(arr)
    with pytest.raises(TypeError, match="can't convert np.ndarray of type ml_dtypes.bfloat16"):
        ntorch.tensor(arr)


@pytest.mark.parametrize("make, text", [
    (lambda: ntorch.tensor([1.0, 2.5, 3.14159], dtype=BF), "tensor([1.0000, 2.5000, 3.1406], dtype=ntorch.bfloat16)"),
    (lambda: ntorch.tensor(2.0, dtype=BF), "tensor(2., dtype=ntorch.bfloat16)"),
    (lambda: ntorch.tensor([], dtype=BF), "tensor([], dtype=ntorch.bfloat16)"),
    (lambda: ntorch.tensor([1e-5, 1.0, 1e5], dtype=BF),
     "tensor([1.0014e-05, 1.0000e+00, 9.9840e+04], dtype=ntorch.bfloat16)"),
    (lambda: ntorch.tensor(1e30, dtype=BF), "tensor(1.0003e+30, dtype=ntorch.bfloat16)"),
])
def test_repr(make, text):
    assert repr(make()) == text


def test_save_load_round_trip():
    t = ntorch.tensor([[1.5, -2.7], [3.1, 1e30]], dtype=BF)
    buf = io.BytesIO()
    ntorch.save({"t": t, "view": t.t(), "dtype": BF}, buf)
    buf.seek(0)
    back = ntorch.load(buf)
    assert back["dtype"] is BF and back["t"].dtype is BF and back["view"].dtype is BF
    np.testing.assert_array_equal(vals(back["t"]), vals(t))
    np.testing.assert_array_equal(vals(back["view"]), vals(t).T)


def test_load_torch_checkpoint_with_bfloat16_storage():
    obj = ntorch.load(DATA / "torch_2_13_bfloat16.pt")
    sd = obj["state_dict"]
    w = (np.arange(6, dtype=np.float32).reshape(2, 3) / 7 - 0.3)
    assert sd["weight"].dtype is BF and obj["dtype"] is BF
    # the bits torch wrote (int16 views printed by the fixture script)
    want_bits = np.array([[-16742, -16863, -17302], [15876, 16011, 16084]], np.int16)
    np.testing.assert_array_equal(rnd(w).view(np.int32) >> 16, want_bits)
    np.testing.assert_array_equal(vals(sd["weight"]), rnd(w))
    np.testing.assert_array_equal(vals(sd["bias"]), rnd([1e30, -3.14159]))
    np.testing.assert_array_equal(vals(obj["t"]), rnd(w).T)
    np.testing.assert_array_equal(vals(obj["row"]), rnd(w)[1])
    p = obj["param"]
    assert isinstance(p, nn.Parameter) and p.requires_grad
    np.testing.assert_array_equal(vals(p.detach()), rnd([0.1, 65504.0, -1e-20]))
    lin = nn.Linear(3, 2).to(BF)
    lin.load_state_dict(sd)
    np.testing.assert_array_equal(vals(lin.weight.detach()), rnd(w))


# -- elementwise: bit for bit with float32 computation rounded once ---------------------------------------------
def _layouts(x: np.ndarray):
    """(name, ntorch bfloat16 tensor, the same values as a NumPy float32 array) for several layouts."""
    t = bf(x)
    yield "contiguous", t, x
    yield "transposed", t.t(), x.T
    yield "strided", t[:, ::2], x[:, ::2]
    yield "0-d", bf(x[1, 2]), x[1, 2]
    yield "size-0", t[:0], x[:0]


BINARY = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "maximum": np.maximum,
          "minimum": np.minimum}


@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary_bitwise(op):
    x, y = sample((3, 6), 1), sample((3, 6), 2)
    t, u = bf(x), bf(y)
    np.testing.assert_array_equal(vals(getattr(ntorch, op)(t, u)), rnd(BINARY[op](x, y)))
    # broadcast, non-contiguous and a Python scalar (computed in float32, as torch's opmath)
    np.testing.assert_array_equal(vals(getattr(ntorch, op)(t.t(), u[:1].t())), rnd(BINARY[op](x.T, y[:1].T)))
    if op not in ("maximum", "minimum"):  # (torch's maximum/minimum take no scalar)
        np.testing.assert_array_equal(vals(getattr(ntorch, op)(t, 0.3)), rnd(BINARY[op](x, np.float32(0.3))))
    for _, tl, xl in _layouts(x):
        np.testing.assert_array_equal(vals(getattr(ntorch, op)(tl, tl)), rnd(BINARY[op](xl, xl)))


def test_inplace_ops_round_once():
    x, y = sample((3, 6), 3), sample((3, 6), 4)
    t = bf(x)
    t.add_(bf(y), alpha=2.0)
    np.testing.assert_array_equal(vals(t), rnd(x + np.float32(2.0) * y))
    t.mul_(0.7)
    np.testing.assert_array_equal(vals(t), rnd(rnd(x + np.float32(2.0) * y) * np.float32(0.7)))
    v = bf(x)
    v[:, 1:3] += 1.5
    want = x.copy()
    want[:, 1:3] = rnd(want[:, 1:3] + np.float32(1.5))
    np.testing.assert_array_equal(vals(v), want)


UNARY = {"exp": np.exp, "log": np.log, "sin": np.sin, "tanh": np.tanh, "sqrt": np.sqrt, "neg": np.negative,
         "abs": np.abs, "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "relu": lambda a: np.maximum(a, 0),
         "square": np.square, "floor": np.floor, "reciprocal": lambda a: 1 / a}


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op):
    x = rnd(np.abs(sample((3, 6), 5)) + 0.25) if op in ("log", "sqrt") else sample((3, 6), 5)
    fn = getattr(ntorch, op) if hasattr(ntorch, op) else getattr(F, op)
    for name, tl, xl in _layouts(x):
        got = fn(tl)
        assert got.dtype is BF and got.shape == np.shape(xl), name
        # bit for bit with ntorch's own float32 kernel rounded once, and within one bfloat16 ulp of float64
        np.testing.assert_array_equal(vals(got), rnd(fn(tl.float()).numpy()), err_msg=name)
        close(got, UNARY[op](np.asarray(xl, np.float64)), ulps=1.0)


def test_int_tensor_to_float_op_gives_default_dtype_and_bfloat16_stays():
    assert ntorch.exp(ntorch.tensor([1, 2])).dtype is ntorch.float32
    assert ntorch.exp(ntorch.tensor([1.0], dtype=BF)).dtype is BF
    assert (ntorch.tensor([1, 2]) / ntorch.tensor([2.0], dtype=BF)).dtype is BF


def test_pow_gelu_where_clamp_comparisons():
    x = sample((4, 5), 6)
    t = bf(x)
    np.testing.assert_array_equal(vals(t.pow(2)), rnd(x * x))
    # torch casts a float exponent to the tensor's type first: 1.7 -> 1.703125
    a = np.abs(x)
    want = rnd(np.power(a, np.float32(rnd(1.7))))
    np.testing.assert_allclose(vals(bf(a).pow(1.7)), want, rtol=2.0 ** -8)  # (float32 pow within an ulp of NumPy's)
    np.testing.assert_array_equal(vals(bf(a) ** 1.7), vals(bf(a).pow(1.703125)))
    np.testing.assert_array_equal(vals(F.gelu(t)), rnd(F.gelu(t.float()).numpy()))
    np.testing.assert_array_equal(vals(ntorch.where(t > 0, t, 0.5)), np.where(x > 0, x, rnd(0.5)))
    np.testing.assert_array_equal(vals(ntorch.where(t > 0, t, ntorch.zeros_like(t))), np.where(x > 0, x, 0))
    np.testing.assert_array_equal(vals(t.clamp(-0.3, 0.3)), np.clip(x, rnd(-0.3), rnd(0.3)))
    np.testing.assert_array_equal(vals(t.clamp(min=bf(x[0]))), np.maximum(x, x[0]))
    # torch compares with the number rounded to bfloat16 (0.1 -> 0.10009765625); arithmetic keeps it whole
    np.testing.assert_array_equal((t > 0.1).numpy(), x > rnd(0.1))
    assert (bf([0.1, 0.1001, 0.0999]) == 0.1).tolist() == [True, True, True]
    assert (bf([0.1]) <= ntorch.tensor(0.1)).item() and not (bf([0.1]) < 0.1).item()
    assert (bf([1.0]) == 1e30 * 1e30).item() is False and (bf([float("inf")]) == 1e39).item()
    np.testing.assert_array_equal((t == t.t().t()).numpy(), np.ones(x.shape, bool))
    np.testing.assert_array_equal(t.isnan().numpy(), np.isnan(x))
    np.testing.assert_array_equal(vals(t.masked_fill(t > 0, -1.0)), np.where(x > 0, -1, x))
    np.testing.assert_array_equal(vals(ntorch.lerp(t, t * 2, 0.25)), rnd(ntorch.lerp(t.float(), (t * 2).float(),
                                                                                      0.25).numpy()))


def test_nextafter():
    a = ntorch.tensor([1.0, 0.0, -2.0, 1.0, float("inf")], dtype=BF)
    b = ntorch.tensor([2.0, 1.0, 0.0, 0.0, 0.0], dtype=BF)
    assert ntorch.nextafter(a, b).tolist() == [1 + 2 ** -7, 2.0 ** -133, -2 + 2 ** -7, 1 - 2 ** -8,
                                               float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)]


# -- reductions (float32 accumulation) --------------------------------------------------------------------------
@pytest.mark.parametrize("shape, dim", [((6, 40), 1), ((6, 40), 0), ((6, 40), None), ((), None), ((0, 3), 1),
                                        ((4, 5, 3), (0, 2))])
def test_sum_mean_var(shape, dim):
    x = sample(shape, 7)
    t = bf(x)
    x64 = x.astype(np.float64)
    axis = dim if dim is not None else None
    kw = {} if dim is None else {"dim": dim}
    close(t.sum(**kw), np.sum(x64, axis=axis), ulps=1.0, atol=1e-6)
    assert t.sum(**kw).dtype is BF and t.mean(**kw).dtype is BF
    if x.size:
        close(t.mean(**kw), np.mean(x64, axis=axis), ulps=1.0, atol=1e-6)
    if x.size > 1 and all(s > 1 for s in np.atleast_1d(x).shape):
        close(t.var(**kw), np.var(x64, axis=axis, ddof=1), ulps=1.0, atol=1e-6)
        close(t.std(**kw), np.std(x64, axis=axis, ddof=1), ulps=1.0, atol=1e-6)


def test_sum_accumulates_in_float32():
    # 1 + 300 * 2**-9: a bfloat16 running sum would stay at 1 (each 2**-9 rounds away); float32 accumulation does not
    t = ntorch.tensor([1.0] + [2.0 ** -9] * 300, dtype=BF)
    close(t.sum(), 1 + 300 * 2.0 ** -9)
    assert t.sum(dtype=ntorch.float32).item() == 1 + 300 * 2.0 ** -9
    assert ntorch.tensor([1, 2, 4]).mean(dtype=BF).item() == float(rnd(7 / 3))


def test_max_argmax_sort_topk_exact():
    x = sample((5, 7), 8)
    x[1, 3] = x[1, 5]  # a tie: the first index wins, as torch's
    t = bf(x).t().t()
    np.testing.assert_array_equal(vals(t.max(1).values), x.max(1))
    np.testing.assert_array_equal(t.max(1).indices.numpy(), x.argmax(1))
    np.testing.assert_array_equal(t.argmax(1).numpy(), x.argmax(1))
    np.testing.assert_array_equal(t.argmin(0).numpy(), x.argmin(0))
    np.testing.assert_array_equal(vals(t.amax(0)), x.max(0))
    assert t.max().item() == x.max() and t.min().item() == x.min()
    s = t.sort(1)
    np.testing.assert_array_equal(vals(s.values), np.sort(x, 1))
    np.testing.assert_array_equal(s.indices.numpy(), np.argsort(x, 1, kind="stable"))
    k = t.topk(3, 1)
    np.testing.assert_array_equal(vals(k.values), -np.sort(-x, 1)[:, :3])
    np.testing.assert_array_equal(vals(t.argsort(0, descending=True).to(BF)),
                                  np.argsort(-x, 0, kind="stable").astype(np.float32))
    np.testing.assert_array_equal(vals(ntorch.unique(bf([2.0, -1.0, 2.0]))), [-1.0, 2.0])
    assert t.median().item() == float(np.sort(x.ravel())[(x.size - 1) // 2])


def test_logsumexp_prod_norm_cumsum():
    x = sample((4, 9), 9)
    t = bf(x)
    x64 = x.astype(np.float64)
    close(t.logsumexp(1), np.log(np.exp(x64).sum(1)), ulps=2.0)
    # torch's composition, each step rounded to bfloat16: max, exp(x - max) summed in float32, log, + max
    m = x.max(1, keepdims=True)
    want = rnd(rnd(np.log(rnd(rnd(np.exp(rnd(x - m))).sum(1, dtype=np.float32)))) + m[:, 0])
    np.testing.assert_array_equal(vals(t.logsumexp(1)), want)
    inf = bf([[1.0, float("inf")], [-float("inf"), -float("inf")]])
    np.testing.assert_array_equal(vals(inf.logsumexp(1)), [np.inf, -np.inf])
    close(t.prod(1), x64.prod(1), ulps=1.0)
    close(t.norm(dim=1), np.sqrt((x64 ** 2).sum(1)), ulps=1.0)
    close(t.cumsum(1), np.cumsum(x64, 1), ulps=1.0, atol=1e-6)


# -- products, nn ops --------------------------------------------------------------------------------------------
def _matmul_close(got: ntorch.Tensor, want64: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """float32 accumulation then one rounding: within one bfloat16 ulp of the exact product, relative to the
    size of the terms (a cancelling sum is no more accurate than its largest term)."""
    scale = np.abs(a).astype(np.float64) @ np.abs(b).astype(np.float64)
    assert got.dtype is BF
    assert np.all(np.abs(vals(got) - want64) <= 2.0 ** -8 * np.abs(want64) + 1e-6 * scale + 1e-30)


@pytest.mark.parametrize("m, k, n", [(4, 6, 3), (1, 33, 17), (0, 5, 2), (3, 0, 2)])
def test_mm_matmul_linear(m, k, n):
    a, b, bias = sample((m, k), 10), sample((k, n), 11), sample((n,), 12)
    ta, tb = bf(a), bf(b)
    want = a.astype(np.float64) @ b
    _matmul_close(ta @ tb, want, a, b)
    _matmul_close(ntorch.mm(ta, tb.t().contiguous().t()), want, a, b)
    _matmul_close(F.linear(ta, tb.t(), bf(bias)), want + bias, a, b)
    if m:
        _matmul_close(ta[0] @ tb, want[0], a[:1], b)


def test_bmm_and_float32_accumulation():
    a, b = sample((2, 3, 40), 13), sample((2, 40, 4), 14)
    got = ntorch.bmm(bf(a), bf(b))
    want = np.einsum("bik,bkj->bij", a.astype(np.float64), b)
    assert got.dtype is BF
    close(got, want, ulps=1.0, atol=1e-5)
    ones = ntorch.ones(1, 300, dtype=BF)
    col = ntorch.full((300, 1), 2.0 ** -9, dtype=BF)
    assert (ntorch.ones(1, 1, dtype=BF) + ones @ col).item() == float(rnd(1 + 300 * 2.0 ** -9))


def test_softmax_log_softmax_layer_norm():
    x = sample((3, 8), 15, scale=3.0)
    t = bf(x)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(1, keepdims=True))
    close(t.softmax(1), e / e.sum(1, keepdims=True), ulps=1.0)
    close(t.log_softmax(1), np.log(e / e.sum(1, keepdims=True)), ulps=1.0, atol=1e-6)
    close(t.t().softmax(0), (e / e.sum(1, keepdims=True)).T, ulps=1.0)
    w, b = sample((8,), 16), sample((8,), 17)
    mu, var = x64.mean(1, keepdims=True), x64.var(1, keepdims=True)
    ln = (x64 - mu) / np.sqrt(var + 1e-5) * w + b
    close(F.layer_norm(t, (8,), bf(w), bf(b)), ln, ulps=1.0, atol=1e-2)
    # torch's CPU norms take float32 parameters with a bfloat16 input
    close(F.layer_norm(t, (8,), ntorch.tensor(w), ntorch.tensor(b)), ln, ulps=1.0, atol=1e-2)
    assert F.softmax(ntorch.zeros(0, 3, dtype=BF), 1).shape == (0, 3)


def test_cross_entropy_and_losses():
    x = sample((5, 4), 18, scale=2.0)
    target = np.array([0, 3, 1, 1, 2])
    x64 = x.astype(np.float64)
    logp = x64 - np.log(np.exp(x64).sum(1, keepdims=True))
    loss = F.cross_entropy(bf(x), ntorch.tensor(target))
    assert loss.dtype is BF
    close(loss, -logp[np.arange(5), target].mean(), ulps=1.0)
    y = sample((5, 4), 19)
    close(F.mse_loss(bf(x), bf(y)), ((x64 - y) ** 2).mean(), ulps=1.0)
    close(F.nll_loss(bf(logp.astype(np.float32)), ntorch.tensor(target)), -rnd(logp)[np.arange(5), target].mean(),
          ulps=1.0)


def test_conv2d_and_pooling():
    x, w, b = sample((2, 3, 6, 5), 20), sample((4, 3, 3, 3), 21), sample((4,), 22)
    got = F.conv2d(bf(x), bf(w), bf(b), padding=1)
    assert got.dtype is BF and got.shape == (2, 4, 6, 5)
    x64 = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    want = np.zeros((2, 4, 6, 5)) + b[None, :, None, None]
    for i in range(3):
        for j in range(3):
            want += np.einsum("nchw,oc->nohw", x64[:, :, i:i + 6, j:j + 5], w[:, :, i, j])
    close(got, want, ulps=1.0, atol=1e-4)
    mp = F.max_pool2d(bf(x), 2)
    np.testing.assert_array_equal(vals(mp), x[:, :, :6, :4].reshape(2, 3, 3, 2, 2, 2).max((3, 5)))
    close(F.avg_pool2d(bf(x), 2), x[:, :, :6, :4].astype(np.float64).reshape(2, 3, 3, 2, 2, 2).mean((3, 5)))


# -- data movement: exact ------------------------------------------------------------------------------------------
def test_indexing_cat_stack_views_exact():
    x = sample((4, 6), 23)
    t = bf(x)
    idx = ntorch.tensor([3, 0, 3])
    np.testing.assert_array_equal(vals(t[idx]), x[[3, 0, 3]])
    np.testing.assert_array_equal(vals(t[t > 0]), x[x > 0])
    np.testing.assert_array_equal(vals(t[1:, ::2].t()), x[1:, ::2].T)
    np.testing.assert_array_equal(vals(t.index_select(1, idx)), x[:, [3, 0, 3]])
    g = ntorch.tensor([[0], [5], [2], [2]])
    np.testing.assert_array_equal(vals(t.gather(1, g)), np.take_along_axis(x, g.numpy(), 1))
    np.testing.assert_array_equal(vals(ntorch.cat([t, t[:1]])), np.concatenate([x, x[:1]]))
    np.testing.assert_array_equal(vals(ntorch.cat([t, t], 1)), np.concatenate([x, x], 1))
    np.testing.assert_array_equal(vals(ntorch.stack([t, t.flip(0)])), np.stack([x, x[::-1]]))
    np.testing.assert_array_equal(vals(t.reshape(3, 8).permute(1, 0).contiguous()), x.reshape(3, 8).T)
    np.testing.assert_array_equal(vals(F.pad(t, (1, 2))), np.pad(x, ((0, 0), (1, 2))))
    s = ntorch.zeros(4, 6, dtype=BF)
    s[:, 2] = bf(x[:, 0])
    s.scatter_add_(1, g, t[:, :1])
    want = np.zeros((4, 6), np.float32)
    want[:, 2] = x[:, 0]
    np.add.at(want, (np.arange(4)[:, None], g.numpy()), x[:, :1])
    np.testing.assert_array_equal(vals(s), rnd(want))
    np.testing.assert_array_equal(vals(F.embedding(ntorch.tensor([2, 0]), t)), x[[2, 0]])


# -- autograd: gradients in bfloat16 -----------------------------------------------------------------------------
def test_gradients_are_bfloat16_and_match_float64():
    x, w, b = sample((5, 6), 24), sample((3, 6), 25), sample((3,), 26)
    target = np.array([0, 2, 1, 1, 0])
    tx, tw, tb = (bf(a).requires_grad_() for a in (x, w, b))
    loss = F.cross_entropy(F.linear(tx, tw, tb), ntorch.tensor(target))
    loss.backward()
    assert loss.dtype is BF and tx.grad.dtype is BF and tw.grad.dtype is BF and tb.grad.dtype is BF
    z = x.astype(np.float64) @ w.T + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(5), target] -= 1
    dz = p / 5
    # bfloat16 logits and intermediate rounding: a few ulps of the largest gradient entry
    for got, want in ((tx.grad, dz @ w), (tw.grad, dz.T @ x), (tb.grad, dz.sum(0))):
        np.testing.assert_allclose(vals(got), want, atol=0.05 * np.abs(want).max())


def test_elementwise_and_movement_gradients_exact():
    x, y = sample((3, 4), 27), sample((3, 4), 28)
    tx, ty = bf(x).requires_grad_(), bf(y).requires_grad_()
    ((tx * ty).sum() + tx[:, 1:3].sum() + ntorch.cat([tx, ty]).max(0).values.sum()).backward()
    assert tx.grad.dtype is BF and ty.grad.dtype is BF
    want_x = y.copy()
    want_x[:, 1:3] += 1
    cat = np.concatenate([x, y])
    arg = cat.argmax(0)
    for j, i in enumerate(arg):
        if i < 3:
            want_x[i, j] += 1
    np.testing.assert_array_equal(vals(tx.grad), rnd(want_x))


def test_conv_layer_norm_softmax_backward_dtypes():
    x = bf(sample((1, 2, 5, 5), 29)).requires_grad_()
    k = bf(sample((3, 2, 3, 3), 30)).requires_grad_()
    out = F.layer_norm(F.conv2d(x, k), (3,)).softmax(-1).log_softmax(1)
    out.sum().backward()
    assert x.grad.dtype is BF and k.grad.dtype is BF and x.grad.shape == x.shape


def test_module_and_optimizer_in_bfloat16():
    ntorch.manual_seed(0)
    lin = nn.Linear(4, 2).to(BF)
    assert lin.weight.dtype is BF and lin.bias.dtype is BF
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    w = m[0].weight
    m.bfloat16()
    assert m[0].weight is w and w.dtype is BF and m[1].running_mean.dtype is BF
    assert m[1].num_batches_tracked.dtype is ntorch.int64  # integer buffers stay
    w0 = vals(lin.weight.detach()).copy()
    x = ntorch.ones(3, 4, dtype=BF)
    lin(x).sum().backward()
    np.testing.assert_array_equal(vals(lin.weight.grad), np.full((2, 4), 3.0, np.float32))
    ntorch.optim.SGD(lin.parameters(), lr=0.1).step()
    np.testing.assert_array_equal(vals(lin.weight.detach()), rnd(w0 - np.float32(0.1) * 3))
    lin.zero_grad()
    lin(x).sum().backward()
    ntorch.optim.AdamW(lin.parameters(), lr=0.01).step()
    assert lin.weight.dtype is BF and np.all(np.isfinite(vals(lin.weight.detach())))


# -- autocast ------------------------------------------------------------------------------------------------------
def test_cpu_autocast_defaults_to_bfloat16():
    assert ntorch.get_autocast_dtype("cpu") is BF
    x = ntorch.tensor(sample((4, 8), 31), requires_grad=True)
    lin = nn.Linear(8, 3)
    with ntorch.autocast("cpu"):
        assert ntorch.is_autocast_enabled("cpu") and ntorch.get_autocast_dtype("cpu") is BF
        y = lin(x)
        assert y.dtype is BF and (x @ x.T).dtype is BF and ntorch.mm(x, x.T).dtype is BF
        assert (x.half() @ x.half().T).dtype is BF  # every floating type but float64 is cast
        assert ntorch.bmm(x[None], x.T[None]).dtype is BF
        assert F.conv2d(ntorch.randn(1, 2, 5, 5), ntorch.randn(3, 2, 3, 3)).dtype is BF
        assert y.softmax(-1).dtype is BF and F.layer_norm(y, (3,)).dtype is BF  # not on torch's CPU float32 list
        assert F.cross_entropy(y, ntorch.tensor([0, 1, 2, 0])).dtype is ntorch.float32  # on it
        assert F.mse_loss(y, y.detach()).dtype is ntorch.float32
        assert (x + x).dtype is ntorch.float32
        d = ntorch.ones(2, 2, dtype=ntorch.float64)
        assert (d @ d).dtype is ntorch.float64
        loss = F.cross_entropy(lin(x), ntorch.tensor([0, 1, 2, 0]))
    assert not ntorch.is_autocast_enabled("cpu")
    loss.backward()
    assert x.grad.dtype is ntorch.float32 and lin.weight.grad.dtype is ntorch.float32


def test_autocast_dtype_checks():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ntorch.autocast("cpu", dtype=BF):
            assert (ntorch.ones(2, 2) @ ntorch.ones(2, 2)).dtype is BF
    assert not caught
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with ntorch.autocast("cpu", dtype=ntorch.float32):
            assert (ntorch.ones(2, 2) @ ntorch.ones(2, 2)).dtype is ntorch.float32
    assert any("CPU Autocast only supports dtypes of ntorch.bfloat16, ntorch.float16" in str(w.message)
               for w in caught)


# -- CUDA: bfloat16 runs the float32 kernels (tests/cuda/test_bfloat16_cuda.py runs them) --------------------------
def test_cuda_bfloat16_entries_are_the_float32_kernels_behind_an_adapter():
    for op in ("add", "mm", "sum", "softmax", "cat"):
        assert BF in dispatch.supported_dtypes(op, "cpu") and BF in dispatch.supported_dtypes(op, "cuda")
        assert repr(dispatch.lookup(op, "cuda", BF)).startswith("float32_adapter(")
    with pytest.raises(NotImplementedError, match="no kernel for device 'cuda'"):
        dispatch.lookup("normalize", "cuda", BF)  # (an op without CUDA kernels still says so)


def test_unsupported_ops_raise_the_dispatcher_error():
    # ops without a bfloat16 kernel name the op and the dtypes they support (never a Numba typing error)
    for op in ("normalize", "sum.small", "upsample_bilinear_backward"):
        with pytest.raises(NotImplementedError, match=f"{op}: not implemented for dtype bfloat16"):
            dispatch.lookup(op, "cpu", BF)


def test_compiled_rounding_matches_ml_dtypes_bit_for_bit():
    from ntorch.kernels.cpu.copy import float32_to_bfloat16_bits

    bits = np.random.default_rng(1).integers(0, 2 ** 32, 200_000, dtype=np.uint64).astype(np.uint32)
    special = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F7FFFFF, 0x3F808000,
                        0x3F818000, 0x3F808001, 0x00000001, 0x807FFFFF], np.uint32)
    x = np.concatenate([bits, special]).view(np.float32)
    got = np.empty(x.size, np.uint16)
    float32_to_bfloat16_bits(x, got)
    with np.errstate(invalid="ignore"):
        want = x.astype(ml_dtypes.bfloat16).view(np.uint16)
    np.testing.assert_array_equal(got, want)


def test_host_side_ops_read_bfloat16_values():
    # ops that read values on the host (mode, embedding_bag's max, apply_, fractional pools' samples)
    x = bf([[1.5, -2.0, 1.5, 3.0], [0.25, 0.25, -1.0, -1.0]])
    m = x.mode(1)
    np.testing.assert_array_equal(vals(m.values), [1.5, -1.0])
    w = bf(sample((5, 3), 32))
    got = F.embedding_bag(ntorch.tensor([0, 2, 4, 1]), w, ntorch.tensor([0, 2]), mode="max")
    np.testing.assert_array_equal(vals(got), np.stack([vals(w)[[0, 2]].max(0), vals(w)[[4, 1]].max(0)]))
    assert ntorch.ones(3, dtype=BF).apply_(lambda v: v * 2.5).tolist() == [2.5, 2.5, 2.5]
    pooled = F.fractional_max_pool2d(bf(sample((1, 1, 8, 8), 33)), 2, output_size=4,
                                     _random_samples=ntorch.full((1, 1, 2), 0.5, dtype=BF))
    assert pooled.dtype is BF and pooled.shape == (1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="MKL FFT doesn't support tensors of type: BFloat16"):
        ntorch.stft(ntorch.ones(64, dtype=BF), 16, window=ntorch.hann_window(16, dtype=BF), return_complex=False)


@pytest.mark.parametrize("call, kernel", [
    (lambda: F.avg_pool3d(ntorch.ones(1, 1, 4, 4, 4, dtype=BF), 2), "avg_pool3d_out_frame"),
    (lambda: F.local_response_norm(ntorch.ones(1, 4, 3, 3, dtype=BF), 2), "avg_pool3d_out_frame"),
    (lambda: F.multi_margin_loss(ntorch.ones(3, 4, dtype=BF), ntorch.tensor([0, 1, 2])),
     "multi_margin_loss_cpu_kernel"),
    (lambda: F.multilabel_margin_loss(ntorch.ones(3, 4, dtype=BF), ntorch.tensor([[0, 1, -1, 0]] * 3)),
     "multilabel_margin_loss_forward_out_frame"),
])
def test_torch_cpu_kernels_without_bfloat16_refuse_it(call, kernel):
    with pytest.raises(NotImplementedError, match=f"\"{kernel}\" not implemented for 'BFloat16'"):
        call()


@pytest.mark.parametrize("call, message", [
    (lambda x: ntorch.fft.fft(x), "Unsupported dtype BFloat16"),
    (lambda x: ntorch.view_as_complex(x.reshape(4, 2)),
     "view_as_complex is only supported for half, float and double tensors, but got a tensor of scalar type: BFloat16"),
    (lambda x: ntorch.complex(x, x), "Expected both inputs to be Half, Float or Double tensors but got BFloat16 and "
                                     "BFloat16"),
])
def test_complex_and_fft_refuse_bfloat16_as_torch(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(ntorch.ones(8, dtype=BF))


def test_bfloat16_with_complex_promotes_to_complex64():
    x = ntorch.ones(2, dtype=BF)
    assert ntorch.promote_types(BF, ntorch.complex64) is ntorch.complex64
    assert ntorch.promote_types(BF, ntorch.complex128) is ntorch.complex128
    assert (x * 1j).dtype is ntorch.complex64 and (x + ntorch.ones(2, dtype=ntorch.complex64)).dtype is ntorch.complex64


def test_amax_amin_zero_takes_the_sign_of_the_first_zero():
    """torch's CPU amax/amin keep the first of equal values: a zero result has the sign of its slice's first zero."""
    x = ntorch.tensor([[-0.0, 0.0, -1.0], [0.0, -0.0, -2.0]], dtype=ntorch.bfloat16)
    assert np.signbit(x.amax(1).float().numpy()).tolist() == [True, False]
    assert np.signbit(x.amin(0).float().numpy()).tolist() == [True, False, True]
