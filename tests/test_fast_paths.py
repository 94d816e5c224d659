"""The host fast paths of common small ops (view/reshape/flatten/unsqueeze/clone, basic indexing, in-place unary
ops, small means) must give exactly what the general paths give: values (NumPy oracle), torch's strides, torch's
errors, and autograd nodes when an input requires grad."""

import numpy as np
import pytest

import ntorch


def _c_strides(shape):
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return tuple(reversed(out))


@pytest.mark.parametrize("shape", [(3, 5), (1, 4), (2, 1, 3), (7,), ()])
def test_unsqueeze_strides_follow_torch(shape):
    x = ntorch.rand(*shape)
    for d in range(-len(shape) - 1, len(shape) + 1):
        y = x.unsqueeze(d)
        dd = d + len(shape) + 1 if d < 0 else d
        want_shape = shape[:dd] + (1,) + shape[dd:]
        assert tuple(y.shape) == want_shape
        # torch: the new dim's stride is size * stride of the dim after it (1 when it is last)
        strides = x.stride()
        new = strides[dd] * shape[dd] if dd < len(shape) else 1
        assert y.stride() == strides[:dd] + (new,) + strides[dd:]
        np.testing.assert_array_equal(y.numpy(), np.expand_dims(x.numpy(), dd))
        assert y.data_ptr() == x.data_ptr()


def test_unsqueeze_of_a_transposed_tensor():
    x = ntorch.rand(3, 4).t()
    y = x.unsqueeze(1)
    assert y.stride() == (1, 12, 4)  # torch: the new dim's stride is size(1) * stride(1) of the input = 3 * 4
    assert x.unsqueeze(0).stride() == (4, 1, 4) and x.unsqueeze(2).stride() == (1, 4, 1)
    np.testing.assert_array_equal(y.numpy(), x.numpy()[:, None, :])


@pytest.mark.parametrize("args,want", [((-1,), (12,)), ((3, -1), (3, 4)), ((-1, 6), (2, 6)), (((2, 6),), (2, 6)),
                                       ((ntorch.Size([4, 3]),), (4, 3)), ((2, 2, 3), (2, 2, 3))])
def test_view_and_reshape_shapes(args, want):
    x = ntorch.arange(12.0)
    for fn in (x.view, x.reshape):
        y = fn(*args)
        expect = want
        assert tuple(y.shape) == expect
        assert y.stride() == _c_strides(expect)
        np.testing.assert_array_equal(y.numpy(), np.arange(12.0, dtype=np.float32).reshape(expect))
        assert y.data_ptr() == x.data_ptr()


@pytest.mark.parametrize("args,error", [((5,), RuntimeError), ((-1, -1), RuntimeError), ((0, -1), RuntimeError),
                                        ((True, 12), TypeError), ((2.0, 6), TypeError), ((-2, 6), RuntimeError)])
def test_view_and_reshape_errors_as_before(args, error):
    x = ntorch.arange(12.0)
    for fn in (x.view, x.reshape):
        with pytest.raises(error):
            fn(*args)


def test_reshape_of_an_empty_tensor():
    x = ntorch.zeros(0, 3)
    assert tuple(x.reshape(-1).shape) == (0,)
    assert tuple(x.view(-1, 3).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="ambiguous"):
        x.reshape(0, -1)


def test_view_records_when_input_requires_grad():
    x = ntorch.arange(6.0).requires_grad_()
    y = x.view(2, 3)
    assert y.grad_fn is not None and y.grad_fn.name() == "ViewBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(6))
    z = x.reshape(3, 2)
    assert z.grad_fn.name() == "ViewBackward0"
    assert x.unsqueeze(0).grad_fn.name() == "UnsqueezeBackward0"
    assert x.view(2, 3).flatten().grad_fn is not None


def test_flatten_contiguous_and_not():
    x = ntorch.rand(2, 3, 4)
    assert x.flatten().data_ptr() == x.data_ptr()
    np.testing.assert_array_equal(x.flatten().numpy(), x.numpy().reshape(-1))
    t = x.transpose(0, 2)
    np.testing.assert_array_equal(t.flatten().numpy(), t.numpy().reshape(-1))
    assert tuple(ntorch.tensor(3.0).flatten().shape) == (1,)


def test_clone_keeps_torch_strides():
    x = ntorch.rand(4, 5)
    c = x.clone()
    assert c.stride() == (5, 1) and c.data_ptr() != x.data_ptr()
    np.testing.assert_array_equal(c.numpy(), x.numpy())
    odd = ntorch.empty(3, 1).t()  # strides (1, 1): contiguous to NumPy, kept by torch's clone
    assert odd.clone().stride() == (1, 1)
    t = x.t()
    assert t.clone().stride() == (1, 5)  # preserve_format keeps the transposed layout
    w = ntorch.rand(3, requires_grad=True)
    assert w.clone().grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize("index", [1, -1, 0, slice(1, None), slice(None, 2), slice(None, None, 2),
                                   (1, 2), (slice(1, 3), 0), (-2, slice(None, None, 3)), (slice(0, 0),)])
def test_basic_index_matches_numpy(index):
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    x = ntorch.tensor(a)
    got = x[index]
    want = a[index]
    np.testing.assert_array_equal(got.numpy(), want)
    assert got.stride() == tuple(s // 4 for s in np.asarray(a[index]).strides)
    if got.numel():
        assert got._base is x  # a view


def test_basic_index_errors():
    x = ntorch.rand(4, 5)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 0 with size 4"):
        x[4]
    with pytest.raises(IndexError, match="index -6 is out of bounds for dimension 1 with size 5"):
        x[0, -6]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        ntorch.tensor(1.0)[0]


def test_index_records_when_input_requires_grad():
    x = ntorch.rand(4, 5, requires_grad=True)
    y = x[1]
    assert y.grad_fn.name() == "SelectBackward0"
    y.sum().backward()
    want = np.zeros((4, 5), np.float32)
    want[1] = 1
    np.testing.assert_array_equal(x.grad.numpy(), want)


@pytest.mark.parametrize("name,ref", [("relu_", lambda a: np.maximum(a, 0)), ("exp_", np.exp),
                                      ("neg_", np.negative), ("abs_", np.abs)])
def test_inplace_unary(name, ref):
    a = np.linspace(-2, 2, 11, dtype=np.float32)
    x = ntorch.tensor(a)
    v = x._version
    out = getattr(x, name)()
    assert out is x and x._version == v + 1
    np.testing.assert_allclose(x.numpy(), ref(a), rtol=1e-6)


def test_inplace_unary_dtype_rule_still_applies():
    x = ntorch.arange(4)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.sigmoid_()
    y = ntorch.rand(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        y.relu_()


@pytest.mark.parametrize("shape,dim,keepdim", [((3, 3), None, False), ((5, 7), 0, False), ((5, 7), 1, True),
                                               ((2, 3, 4), -1, False), ((0, 3), 1, False), ((4,), None, True)])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_small_mean(shape, dim, keepdim, dt):
    a = np.random.default_rng(0).standard_normal(shape).astype(dt)
    got = ntorch.tensor(a).mean(dim, keepdim=keepdim)
    want = a.astype(np.float64).mean(axis=dim, keepdims=keepdim) if a.size else np.full(
        np.mean(a, axis=dim, keepdims=keepdim).shape, np.nan)
    assert got.dtype is ntorch.tensor(a).dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)


def test_mul_saves_an_operand_only_for_the_others_gradient():
    """As torch's MulBackward: x * 2.0 saves no tensor, x * y saves y only when just x requires grad (a long chain of
    scaled tensors keeps nothing alive but its nodes); the gradients are unchanged."""
    packed = []
    x = ntorch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = ntorch.tensor([0.5, 4.0, -1.0])
    with ntorch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
        a = x * 2.0
        n_scalar = len(packed)
        b = x * y
        n_one = len(packed) - n_scalar
        c = x * x
        n_both = len(packed) - n_scalar - n_one
    assert (n_scalar, n_one, n_both) == (0, 1, 2)
    (a.sum() + b.sum() + c.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 + y.numpy() + 2 * x.detach().numpy())


@pytest.mark.parametrize("data,dtype,values", [
    ([1.5, -2.0, 0.1], ntorch.float32, np.array([1.5, -2.0, 0.1], np.float64).astype(np.float32)),
    ([1, -2, 3], ntorch.int64, np.array([1, -2, 3], np.int64)),
    ([1e300, -1e300], ntorch.float32, np.array([np.inf, -np.inf], np.float32)),
    ([2**63 - 1, -2**63], ntorch.int64, np.array([2**63 - 1, -2**63], np.int64)),
    ([1, 2.5], ntorch.float32, np.array([1.0, 2.5], np.float32)),  # mixed: the general path
    ([True, 1], ntorch.int64, np.array([1, 1], np.int64)),
])
def test_tensor_of_a_flat_list(data, dtype, values):
    t = ntorch.tensor(data)
    assert t.dtype is dtype
    np.testing.assert_array_equal(t.numpy(), values)


def test_tensor_of_a_flat_list_follows_the_default_dtype_and_errors():
    ntorch.set_default_dtype(ntorch.float64)
    try:
        assert ntorch.tensor([0.1, 0.2]).dtype is ntorch.float64
        assert ntorch.tensor([0.1]).item() == 0.1
    finally:
        ntorch.set_default_dtype(ntorch.float32)
    with pytest.raises(ValueError, match="Overflow when unpacking long long"):
        ntorch.tensor([1, 2**63])
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ntorch.tensor([1, 2], requires_grad=True)
    assert ntorch.tensor([1.0, 2.0], requires_grad=True).requires_grad


# --- reductions (wt_red): small C-contiguous reductions, sort/topk, softmax and scans take fast paths; each must give
# bit for bit what the general path gives (the general path forced by switching the fast path off), plus a NumPy oracle.
from ntorch.kernels.cpu import reduce as _red_kernels  # noqa: E402
from ntorch.kernels.cpu import sort as _sort_kernels  # noqa: E402

from ntorch.ops import reduction as _red_ops  # noqa: E402
from ntorch.ops import scan as _scan_ops  # noqa: E402
from ntorch.ops import softmax as _softmax_ops  # noqa: E402


def _same(a, b):
    """Bitwise equality of two results (tensors, or tuples of them): values, NaN places, zero signs, dtype, shape,
    strides."""
    if isinstance(a, tuple | list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape) and a.stride() == b.stride()
    x, y = a.numpy(), b.numpy()
    if x.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(x), np.isnan(y))
        np.testing.assert_array_equal(np.signbit(x), np.signbit(y))
    np.testing.assert_array_equal(x, y)


def _general(monkeypatch, fn):
    """fn() with every fast path of this section switched off."""
    with monkeypatch.context() as m:
        m.setattr(_red_kernels, "SMALL_MAX", 0)
        m.setattr(_red_ops, "SMALL_SUM", 0)  # (sums of halves: exact in any order, so this path compares too)
        m.setattr(_sort_kernels, "SMALL_ROWS", 0)
        m.setattr(_softmax_ops, "_softmax_small", lambda *a: None)
        m.setattr(_scan_ops, "_scan_small", lambda *a: None)
        return fn()


def _noncontig(x):
    """A non-contiguous tensor holding x (a transposed copy, permuted back)."""
    return ntorch.tensor(np.ascontiguousarray(x.T)).permute(*reversed(range(x.ndim)))


def _red_input(shape, dt, seed=0):
    rng = np.random.default_rng(seed)
    if dt == "bool":
        return rng.random(shape) > 0.4
    if dt in ("int64", "int32"):
        return rng.integers(-4, 5, shape).astype(dt)
    x = rng.integers(-3, 4, shape).astype(dt) * 0.5  # ties, zeros of both signs, a NaN
    x = np.where(x == 0, -0.0, x)
    if x.size > 3:
        x.flat[1] = 0.0
        x.flat[x.size // 2] = np.nan
    return x


_RED_OPS = {
    "sum": lambda t, d, k: t.sum(d, keepdim=k) if d is not None else t.sum(),
    "prod": lambda t, d, k: t.prod(d, keepdim=k) if d is not None else t.prod(),
    "amax": lambda t, d, k: t.amax(() if d is None else d, keepdim=k),
    "amin": lambda t, d, k: t.amin(() if d is None else d, keepdim=k),
    "max": lambda t, d, k: t.max() if d is None else tuple(t.max(d, keepdim=k)),
    "min": lambda t, d, k: t.min() if d is None else tuple(t.min(d, keepdim=k)),
    "argmax": lambda t, d, k: t.argmax(d, keepdim=k),
    "argmin": lambda t, d, k: t.argmin(d, keepdim=k),
    "all": lambda t, d, k: t.all(d, keepdim=k) if d is not None else t.all(),
    "any": lambda t, d, k: t.any(d, keepdim=k) if d is not None else t.any(),
    "count_nonzero": lambda t, d, k: ntorch.count_nonzero(t, d),
    "mean": lambda t, d, k: t.mean(d, keepdim=k),
    "var": lambda t, d, k: t.var(d, keepdim=k),
    "std": lambda t, d, k: t.std(d, keepdim=k, correction=0),
    "var_mean": lambda t, d, k: tuple(ntorch.var_mean(t, d, keepdim=k)),
    "norm2": lambda t, d, k: t.norm(dim=d, keepdim=k),
    "norm1": lambda t, d, k: t.norm(1, dim=d, keepdim=k),
    "norminf": lambda t, d, k: t.norm(float("inf"), dim=d, keepdim=k),
    "norm3": lambda t, d, k: t.norm(3, dim=d, keepdim=k),
}
_FLOAT_ONLY = {"mean", "var", "std", "var_mean", "norm2", "norm1", "norminf", "norm3"}


@pytest.mark.parametrize("op", sorted(_RED_OPS))
@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "bool"])
def test_small_reductions_match_the_general_path(monkeypatch, op, dt):
    if op in _FLOAT_ONLY and not dt.startswith("float"):
        return
    if op in ("argmax", "argmin") and dt == "bool":
        return
    fn = _RED_OPS[op]
    for shape in [(), (1,), (7,), (3, 5), (2, 3, 4), (3, 0), (0,)]:
        x = _red_input(shape, dt)
        for layout in ("c", "t"):
            t = ntorch.tensor(x)
            if layout == "t":
                if len(shape) < 2:
                    continue
                t = _noncontig(x)
            dims = [None] + list(range(-len(shape), len(shape)))
            for d in dims:
                for k in (False, True):
                    try:
                        want = _general(monkeypatch, lambda t=t, d=d, k=k: fn(t, d, k))
                    except (RuntimeError, IndexError) as e:  # the same error from the fast path
                        with pytest.raises(type(e), match=None):
                            fn(t, d, k)
                        continue
                    _same(fn(t, d, k), want)


@pytest.mark.parametrize("dt", ["float32", "float64", "int64"])
def test_small_reductions_numpy_oracle(dt):
    x = np.random.default_rng(1).integers(-50, 50, (6, 9)).astype(dt)
    t = ntorch.tensor(x)
    np.testing.assert_array_equal(t.max().numpy(), x.max())
    np.testing.assert_array_equal(t.argmax().numpy(), x.argmax())
    np.testing.assert_array_equal(t.argmax(1, keepdim=True).numpy(), x.argmax(1)[:, None])
    v, i = t.min(0)
    np.testing.assert_array_equal(v.numpy(), x.min(0))
    np.testing.assert_array_equal(i.numpy(), x.argmin(0))
    np.testing.assert_array_equal(t.sum(1).numpy(), x.sum(1))
    # (float products accumulate in float64, rounded once)
    np.testing.assert_array_equal(t.prod(-1).numpy(), x.prod(-1) if dt == "int64" else x.astype(np.float64).prod(-1)
                                  .astype(dt))
    np.testing.assert_array_equal(t.any().numpy(), x.any())
    np.testing.assert_array_equal(t.all(0).numpy(), x.all(0))
    if dt != "int64":
        tol = 1e-6 if dt == "float32" else 1e-12
        np.testing.assert_allclose(t.var(1).numpy(), x.var(1, ddof=1), rtol=tol)
        np.testing.assert_allclose(t.std().numpy(), x.std(ddof=1), rtol=tol)
        np.testing.assert_allclose(t.norm().numpy(), np.sqrt((x.astype(np.float64) ** 2).sum()), rtol=tol)


def test_small_reductions_nan():
    x = np.array([[1.0, np.nan, 3.0], [2.0, 5.0, -1.0]], np.float32)
    t = ntorch.tensor(x)
    assert np.isnan(t.max().item()) and t.argmax().item() == 1
    v, i = t.max(1)
    assert np.isnan(v.numpy()[0]) and v.numpy()[1] == 5.0 and i.tolist() == [1, 1]
    assert t.argmin(1).tolist() == [1, 2]


def test_small_reductions_record_autograd():
    x = np.random.default_rng(2).random((4, 5))
    t = ntorch.tensor(x, requires_grad=True)
    t.max().backward()
    want = np.zeros_like(x)
    want.flat[x.argmax()] = 1.0
    np.testing.assert_array_equal(t.grad.numpy(), want)
    t.grad = None
    t.var(1).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 * (x - x.mean(1, keepdims=True)) / 4, rtol=1e-12)
    t.grad = None
    t.prod().backward()
    np.testing.assert_allclose(t.grad.numpy(), x.prod() / x, rtol=1e-12)
    t.grad = None
    v, _ = t.min(0)
    v.sum().backward()
    want = np.zeros_like(x)
    want[x.argmin(0), np.arange(5)] = 1.0
    np.testing.assert_array_equal(t.grad.numpy(), want)
    t.grad = None
    t.norm().backward()
    np.testing.assert_allclose(t.grad.numpy(), x / np.sqrt((x ** 2).sum()), rtol=1e-12)
    assert t.sum(1).grad_fn is not None and t.detach().sum(1).grad_fn is None


def test_small_reductions_out_and_errors():
    x = np.random.default_rng(3).random((3, 4)).astype(np.float32)
    t = ntorch.tensor(x)
    o = ntorch.empty(3)
    assert ntorch.sum(t, 1, out=o) is o
    np.testing.assert_allclose(o.numpy(), x.sum(1), rtol=1e-6)
    v, i = ntorch.empty(4), ntorch.empty(4, dtype=ntorch.int64)
    ntorch.max(t, 0, out=(v, i))
    np.testing.assert_array_equal(v.numpy(), x.max(0))
    np.testing.assert_array_equal(i.numpy(), x.argmax(0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.sum(2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.max(-3)
    with pytest.raises(IndexError, match="argmax"):
        ntorch.empty(0).argmax()
    with pytest.raises(RuntimeError, match="floating point"):
        ntorch.tensor([1, 2]).var()


def test_small_reductions_read_only_input():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    x.setflags(write=False)
    t = ntorch.from_numpy(x) if hasattr(ntorch, "from_numpy") else ntorch.tensor(x)
    np.testing.assert_array_equal(t.max(1).values.numpy(), x.max(1))
    np.testing.assert_array_equal(t.sum(0).numpy(), x.sum(0))


def _sort_input(shape, dt, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.integers(-3, 4, shape) * 0.5).astype(dt)
    x = np.where(x == 0, -0.0, x)
    if x.size > 4:
        x.flat[2] = 0.0
        x.flat[x.size - 2] = np.nan
        x.flat[x.size // 2] = np.inf
    return x


@pytest.mark.parametrize("dt", ["float32", "float64", "float16", "int64"])
@pytest.mark.parametrize("shape", [(1,), (9,), (4, 7), (2, 3, 20), (3, 40)])
def test_small_sort_topk_match_the_general_path(monkeypatch, dt, shape):
    x = _sort_input(shape, dt)
    t = ntorch.tensor(x)
    for d in range(-len(shape), len(shape)):
        n = shape[d]
        for desc in (False, True):
            _same(tuple(t.sort(d, desc)), _general(monkeypatch, lambda d=d, desc=desc: tuple(t.sort(d, desc))))
        np.testing.assert_array_equal(t.sort(d).values.numpy(), np.sort(x, axis=d))  # NaN last, as torch
        for k in sorted({0, 1, min(3, n), n}):
            for largest in (True, False):
                for srt in (True, False):
                    got = tuple(t.topk(k, d, largest, srt))
                    _same(got, _general(monkeypatch, lambda k=k, d=d, la=largest, s=srt: tuple(t.topk(k, d, la, s))))
                    # the values are the input's elements at the returned indices
                    np.testing.assert_array_equal(got[0].numpy(), np.take_along_axis(x, got[1].numpy(), d))


def test_small_sort_topk_values_and_grad():
    x = np.array([[3.0, -1.0, 2.0, 2.0, 7.0], [0.5, 0.25, -4.0, 9.0, 1.0]])
    t = ntorch.tensor(x, requires_grad=True)
    v, i = t.topk(2)
    np.testing.assert_array_equal(v.detach().numpy(), [[7.0, 3.0], [9.0, 1.0]])
    np.testing.assert_array_equal(i.numpy(), [[4, 0], [3, 4]])
    v.sum().backward()
    want = np.zeros_like(x)
    np.put_along_axis(want, i.numpy(), 1.0, 1)
    np.testing.assert_array_equal(t.grad.numpy(), want)
    t.grad = None
    s, j = t.sort(1, descending=True)
    np.testing.assert_array_equal(s.detach().numpy(), -np.sort(-x, 1))
    (s * ntorch.tensor([[1.0, 2, 3, 4, 5]] * 2)).sum().backward()
    want = np.zeros_like(x)
    np.put_along_axis(want, j.numpy(), np.array([[1.0, 2, 3, 4, 5]] * 2), 1)
    np.testing.assert_array_equal(t.grad.numpy(), want)
    with pytest.raises(RuntimeError, match="selected index k out of range"):
        t.topk(6)
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.detach().sort(2)
    vo, io = ntorch.empty(0, dtype=ntorch.float64), ntorch.empty(0, dtype=ntorch.int64)
    ntorch.topk(t.detach(), 2, out=(vo, io))
    np.testing.assert_array_equal(vo.numpy(), [[7.0, 3.0], [9.0, 1.0]])


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dt", ["float32", "float64", "float16"])
def test_small_softmax_matches_the_general_path(monkeypatch, op, dt):
    rng = np.random.default_rng(4)
    for shape in [(5,), (3, 7), (2, 3, 4), (1, 1)]:
        x = rng.standard_normal(shape).astype(dt)
        if x.size > 3:
            x.flat[1] = -np.inf
        t = ntorch.tensor(x)
        for d in range(-len(shape), len(shape)):
            got = getattr(t, op)(d)
            _same(got, _general(monkeypatch, lambda t=t, d=d: getattr(t, op)(d)))
            x64 = x.astype(np.float64)
            e = np.exp(x64 - x64.max(d, keepdims=True))
            want = e / e.sum(d, keepdims=True)
            with np.errstate(divide="ignore"):
                want = np.log(want) if op == "log_softmax" else want
            tol = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}[dt]
            np.testing.assert_allclose(got.numpy().astype(np.float64), want, rtol=tol, atol=tol)
        tt = _noncontig(x) if len(shape) > 1 else t
        _same(getattr(tt, op)(0), _general(monkeypatch, lambda tt=tt: getattr(tt, op)(0)))


def test_small_softmax_dtype_out_grad_and_errors():
    x = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    t = ntorch.tensor(x)
    assert t.softmax(1, ntorch.float64).dtype == ntorch.float64  # dtype= passed positionally still casts
    assert ntorch.softmax(t, 1, dtype=ntorch.float64).dtype == ntorch.float64
    o = ntorch.empty(3, 4)
    assert ntorch.softmax(t, 1, out=o) is o
    np.testing.assert_array_equal(o.numpy(), t.softmax(1).numpy())
    o = ntorch.empty(3, 4)
    ntorch.log_softmax(t, 0, out=o)
    np.testing.assert_array_equal(o.numpy(), t.log_softmax(0).numpy())
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.softmax(2)
    with pytest.raises(NotImplementedError, match="softmax"):
        ntorch.tensor([1, 2]).softmax(0)
    g = ntorch.tensor(x.astype(np.float64), requires_grad=True)
    w = np.random.default_rng(6).standard_normal((3, 4))
    (g.softmax(1) * ntorch.tensor(w)).sum().backward()
    y = np.exp(x.astype(np.float64))
    y /= y.sum(1, keepdims=True)
    np.testing.assert_allclose(g.grad.numpy(), y * (w - (w * y).sum(1, keepdims=True)), rtol=1e-10)
    assert ntorch.Tensor.softmax is _softmax_ops.softmax  # not wrapped by _methods.guard_tables


@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
@pytest.mark.parametrize("dt", ["float32", "float64", "int64", "int32", "bool"])
def test_small_scans_match_the_general_path(monkeypatch, op, dt):
    for shape in [(), (6,), (3, 5), (2, 3, 4), (0, 3)]:
        x = _red_input(shape, dt, seed=7)
        if dt.startswith("float"):
            x = np.where(np.isnan(x), 1.5, x)
        t = ntorch.tensor(x)
        for d in range(-max(len(shape), 1), max(len(shape), 1)):
            got = getattr(t, op)(d)
            _same(got, _general(monkeypatch, lambda t=t, d=d: getattr(t, op)(d)))
            if len(shape):
                want = getattr(np, op)(x.astype(np.int64) if dt in ("bool", "int32") else x, axis=d)
                np.testing.assert_allclose(got.numpy(), want, rtol=1e-6)
        if len(shape) > 1:
            tt = _noncontig(x)
            _same(getattr(tt, op)(1), _general(monkeypatch, lambda tt=tt: getattr(tt, op)(1)))


def test_small_scans_grad_dtype_out():
    x = np.random.default_rng(8).random((3, 4)) + 0.5
    t = ntorch.tensor(x, requires_grad=True)
    t.cumsum(1).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.broadcast_to(np.arange(4, 0, -1.0), (3, 4)))
    assert t.cumprod(0).grad_fn is not None
    assert ntorch.cumsum(t.detach().float(), 1, dtype=ntorch.float64).dtype == ntorch.float64
    o = ntorch.empty(3, 4, dtype=ntorch.float64)
    ntorch.cumsum(t.detach(), 0, out=o)
    np.testing.assert_allclose(o.numpy(), np.cumsum(x, 0))
    with pytest.raises(IndexError, match="Dimension out of range"):
        t.cumsum(2)


def test_cov_of_integers_follows_torch():
    """torch.cov keeps an integer input's sums in int64 (wrapping) and promotes at x - mean (default float)."""
    x = np.array([[-1, 6, 5, -3, 0], [2, 4, 2 ** 63 - 1, 9, 1]], np.int64)
    got = ntorch.cov(ntorch.tensor(x))
    mean = x.sum(1) / 5  # NumPy's int64 sum wraps as torch's does
    xm = x.astype(np.float32) - mean.astype(np.float32)[:, None]
    want = (xm.astype(np.float64) @ xm.T.astype(np.float64)) / 4
    assert got.dtype == ntorch.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5)
    small = np.array([[1, 4, 2, 8], [3, 3, 5, 1]], np.int64)
    np.testing.assert_allclose(ntorch.cov(ntorch.tensor(small)).numpy(), np.cov(small), rtol=1e-6)
    np.testing.assert_allclose(ntorch.corrcoef(ntorch.tensor(small)).numpy(), np.corrcoef(small), rtol=1e-6)


def test_all_any_empty_dims_are_contiguous():
    x = np.array([[True, False, True], [False, False, True]])
    t = ntorch.tensor(np.ascontiguousarray(x.T)).t()
    for op in ("all", "any"):
        r = getattr(ntorch, op)(t, dim=())
        assert r.is_contiguous() and r.stride() == (3, 1)
        np.testing.assert_array_equal(r.numpy(), x)


def test_nansum_float16_into_integers_reads_inf_as_float16_max():
    t = ntorch.tensor([2.25, 0.0, np.inf, np.nan], dtype=ntorch.float16)
    assert ntorch.nansum(t, dtype=ntorch.int64).item() == 65506
    assert ntorch.nansum(-t, dtype=ntorch.int32).item() == -65506
    assert ntorch.nansum(t, dtype=ntorch.int16).item() == 65506 - 65536  # int64 total cast (wraps)
    assert ntorch.nansum(t, dtype=ntorch.float32).item() == np.inf  # floats keep the infinity


def test_the_fast_paths_are_taken(monkeypatch):
    """The comparisons above are not vacuous: small contiguous inputs do reach the fast entries."""
    from ntorch.ops import reduction as red

    calls = []
    real = _red_kernels._plain_c
    monkeypatch.setattr(_red_kernels, "_plain_c", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(red, "_FAST", {})  # fresh entry caches, restored afterwards
    monkeypatch.setattr(red, "_WHOLE", {})
    ntorch.tensor(np.ones((3, 4), np.float32)).max()
    assert calls
    small = []
    real_sort = _sort_kernels.sort_float_small
    monkeypatch.setattr(_sort_kernels, "sort_float_small", lambda *a: small.append(1) or real_sort(*a))
    ntorch.tensor(np.ones((3, 4), np.float32)).sort(1)
    assert small

# --- pointwise/creation/shape (wt_pw) -------------------------------------------------------------------------
# The small-tensor fast cases of creation, shape, pointwise, gather, joins and product ops: exactly the general
# path's values (NumPy oracle), dtypes, strides, errors and gradients (float64 references).

def _rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("size", [(2, 3), ((2, 3),), ([2, 3],), (ntorch.Size([2, 3]),), (np.int64(2), 3), ((),),
                                  (0,), (4,)])
def test_factories_take_every_size_form(size):
    want = tuple(int(s) for s in (size[0] if len(size) == 1 and isinstance(size[0], tuple | list) else size))
    for fn, value in ((ntorch.zeros, 0.0), (ntorch.ones, 1.0), (ntorch.empty, None)):
        t = fn(*size)
        assert tuple(t.shape) == want and t.dtype is ntorch.float32 and t.stride() == _c_strides(want)
        if value is not None:
            np.testing.assert_array_equal(t.numpy(), np.full(want, value, np.float32))
    assert tuple(ntorch.randn(*size).shape) == want


@pytest.mark.parametrize("size,error,match", [((2, -1), RuntimeError, "negative dimension"),
                                              ((True, 2), TypeError, "tuple of ints"),
                                              ((2.0,), TypeError, "must be tuple of ints")])
def test_factories_size_errors(size, error, match):
    for fn in (ntorch.ones, ntorch.empty, ntorch.randn):
        with pytest.raises(error, match=match):
            fn(*size)
    with pytest.raises(RuntimeError, match="zeros: Dimension size must be non-negative" if error is RuntimeError
                       else match) if error is RuntimeError else pytest.raises(error, match=match):
        ntorch.zeros(*size)


@pytest.mark.parametrize("value,dtype,want", [
    (2.0, None, np.full((2, 2), 2.0, np.float32)), (-0.0, None, np.full((2, 2), -0.0, np.float32)),
    (3, None, np.full((2, 2), 3, np.int64)), (True, None, np.full((2, 2), True)),
    (float("inf"), ntorch.float16, np.full((2, 2), np.inf, np.float16)),
    (-1, ntorch.uint8, np.full((2, 2), 255, np.uint8)),
    (2.7, ntorch.int32, np.full((2, 2), 2, np.int32)), (1, ntorch.bool, np.full((2, 2), True)),
    (float("nan"), ntorch.float64, np.full((2, 2), np.nan)), (0, ntorch.float16, np.zeros((2, 2), np.float16)),
])
def test_full_values_and_dtypes(value, dtype, want):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy cast warning escapes
        t = ntorch.full((2, 2), value, dtype=dtype)
    assert t.dtype is ntorch.from_numpy(want).dtype
    np.testing.assert_array_equal(t.numpy(), want)
    assert np.array_equal(np.signbit(t.numpy().astype(np.float64)), np.signbit(want.astype(np.float64)))
    with pytest.raises(RuntimeError, match="value cannot be converted to type int8_t without overflow"):
        ntorch.full((2,), 300, dtype=ntorch.int8)
    with pytest.raises(RuntimeError, match="value cannot be converted to type int without overflow"):
        ntorch.full((2,), float("nan"), dtype=ntorch.int32)


@pytest.mark.parametrize("make", [lambda: ntorch.rand(3, 4), lambda: ntorch.rand(3, 4).t(),
                                  lambda: ntorch.rand(3, 1, 4), lambda: ntorch.rand(3, 1, 4).transpose(0, 2),
                                  lambda: ntorch.rand(0, 3), lambda: ntorch.tensor(2.0),
                                  lambda: ntorch.arange(12).reshape(3, 4)[:, ::2]])
@pytest.mark.parametrize("dtype", [None, ntorch.int32, ntorch.bool, ntorch.float16])
def test_like_factories_keep_torch_strides(make, dtype):
    from ntorch.ops.shape import preserved_strides

    x = make()
    want_dt = x.dtype if dtype is None else dtype
    for fn, value in ((ntorch.zeros_like, 0), (ntorch.ones_like, 1), (ntorch.empty_like, None),
                      (lambda t, dtype=None: ntorch.full_like(t, 1, dtype=dtype), 1)):
        y = fn(x, dtype=dtype)
        assert y.dtype is want_dt and tuple(y.shape) == tuple(x.shape)
        assert y.stride() == preserved_strides(x)
        if value is not None:
            np.testing.assert_array_equal(y.numpy(), np.full(tuple(x.shape), value, want_dt.np))
    assert ntorch.zeros_like(x, dtype=ntorch.float32, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        ntorch.zeros_like(x, dtype=ntorch.int64, requires_grad=True)


@pytest.mark.parametrize("args", [(10,), (0,), (3, 10), (3, 10, 3), (10, 3, -2), (-5, 5, 4), (5, 5), (7, 2, -1),
                                  (2**53 + 1, 2**53 + 4), (-(2**60), -(2**60) + 5, 2)])
def test_arange_ints(args):
    t = ntorch.arange(*args)
    assert t.dtype is ntorch.int64
    np.testing.assert_array_equal(t.numpy(), np.array(list(range(*args)), np.int64))


def test_arange_int_errors_and_dtypes():
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        ntorch.arange(5, 1)
    with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
        ntorch.arange(1, 5, -1)
    with pytest.raises(RuntimeError, match="step must be nonzero"):
        ntorch.arange(0, 5, 0)
    t = ntorch.arange(6, dtype=ntorch.int32)
    assert t.dtype is ntorch.int32 and t.numpy().tolist() == list(range(6))
    assert ntorch.arange(4, dtype=ntorch.float64).numpy().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert ntorch.arange(np.int64(3)).numpy().tolist() == [0, 1, 2]
    assert ntorch.arange(True, 3).numpy().tolist() == [1, 2]
    assert ntorch.arange(3, requires_grad=False).requires_grad is False


@pytest.mark.parametrize("dtype", [ntorch.float32, ntorch.float64, ntorch.float16, ntorch.bfloat16])
def test_randn_dtypes_and_seed(dtype):
    ntorch.manual_seed(3)
    a = ntorch.randn(4, 5, dtype=dtype)
    ntorch.manual_seed(3)
    b = ntorch.randn(4, 5, dtype=dtype)
    assert a.dtype is dtype and tuple(a.shape) == (4, 5)
    np.testing.assert_array_equal(a.float().numpy(), b.float().numpy())
    if dtype in (ntorch.float16, ntorch.bfloat16):  # the float32 draw rounded (whole blocks of 16, as torch's)
        ntorch.manual_seed(3)
        a = ntorch.randn(4, 8, dtype=dtype)
        ntorch.manual_seed(3)
        wide = ntorch.randn(4, 8, dtype=ntorch.float32)
        np.testing.assert_array_equal(a.float().numpy(), wide.numpy().astype(dtype.np).astype(np.float32))
    assert ntorch.randn(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("make", [lambda: ntorch.rand(3, 4), lambda: ntorch.rand(4, 3).t(),
                                  lambda: ntorch.rand(3, 1), lambda: ntorch.tensor(1.5)])
@pytest.mark.parametrize("sizes", [(2, -1, -1), (-1, -1), (3, 2, 3, 4)])
def test_expand_views(make, sizes):
    x = make()
    sizes = sizes[-x.ndim - 1:] if x.ndim else (2, 3)
    want_shape = np.broadcast_shapes(tuple(x.shape), tuple(1 if s == -1 else s for s in sizes)) if x.ndim else (2, 3)
    want_shape = tuple(x.shape[i - len(sizes) + x.ndim] if s == -1 else s for i, s in enumerate(sizes)) \
        if x.ndim else want_shape
    y = x.expand(*sizes)
    np.testing.assert_array_equal(y.numpy(), np.broadcast_to(x.numpy(), want_shape))
    lead = len(sizes) - x.ndim
    assert y.stride() == tuple(0 if i < lead or (x.shape[i - lead] == 1 and want_shape[i] != 1)
                               else x.stride()[i - lead] for i in range(len(sizes)))
    assert y.data_ptr() == x.data_ptr() and y._data.flags.writeable
    with pytest.raises(RuntimeError, match="must match the existing size"):
        ntorch.rand(3, 4).expand(5, 4)


def test_expand_records_and_reshape_of_a_transposed_view():
    x = ntorch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = x[:, :1].expand(2, 4)
    assert y.grad_fn.name() == "ExpandBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[4, 0, 0], [4, 0, 0]])
    b = ntorch.tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4))
    r = b.t().reshape(1, 4, 3)
    assert r.stride() == (4, 1, 4) and r.data_ptr() == b.data_ptr()  # torch's computeStride
    np.testing.assert_array_equal(r.numpy(), np.arange(12.0).reshape(3, 4).T.reshape(1, 4, 3))
    r[0, 1, 2] = 100.0  # a view: writes reach b
    assert b[2, 1].item() == 100.0


@pytest.mark.parametrize("dims", [(0,), (1,), (-1,), (0, 1), (1, 0, -1)])
@pytest.mark.parametrize("make", [lambda: ntorch.rand(3, 4, 2), lambda: ntorch.rand(2, 4, 3).transpose(0, 2),
                                  lambda: ntorch.arange(24).reshape(3, 4, 2)])
def test_flip(dims, make):
    x = make()
    if len(set(d % 3 for d in dims)) != len(dims):
        with pytest.raises(RuntimeError, match="appears multiple times"):
            x.flip(dims)
        return
    y = x.flip(dims)
    np.testing.assert_array_equal(y.numpy(), np.flip(x.numpy(), dims))
    assert y.data_ptr() != x.data_ptr()
    assert ntorch.flip(ntorch.tensor(3.0), ()).item() == 3.0
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.flip(3)
    g = ntorch.rand(3, 4, 2, requires_grad=True)
    g.flip(dims).mul(ntorch.arange(24.0).reshape(3, 4, 2)).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), np.flip(np.arange(24.0).reshape(3, 4, 2), dims))


@pytest.mark.parametrize("chunks,dim", [(2, 0), (3, 1), (5, 0), (2, -1)])
def test_chunk_views(chunks, dim):
    x = ntorch.arange(20.0).reshape(4, 5)
    got = x.chunk(chunks, dim)
    d = dim % 2
    size = -(-x.shape[d] // chunks)
    want = np.split(x.numpy(), list(range(size, x.shape[d], size)), axis=d)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w)
        assert g.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()  # views
    with pytest.raises(RuntimeError, match="chunk expects `chunks` to be greater than 0"):
        x.chunk(0)


def test_contiguous_and_float_return_self_only_when_nothing_changes():
    x = ntorch.rand(3, 4)
    assert x.contiguous() is x and x.float() is x and x.is_contiguous()
    t = x.t()
    assert not t.is_contiguous() and t.contiguous() is not t and t.contiguous().is_contiguous()
    np.testing.assert_array_equal(t.contiguous().numpy(), x.numpy().T)
    assert ntorch.rand(3, 1).t().is_contiguous()  # size-1 dims may have any stride (torch's rule)
    assert ntorch.rand(0, 3).t().is_contiguous()
    d = x.double()
    assert d.dtype is ntorch.float64 and d.double() is d and x.half().dtype is ntorch.float16
    g = ntorch.rand(2, 2, requires_grad=True)
    assert g.float() is g and g.contiguous() is g
    assert g.t().contiguous().grad_fn.name() == "CloneBackward0"


def test_permute_and_unsqueeze_dims():
    x = ntorch.rand(2, 3, 4)
    for dims in ((2, 0, 1), (-1, 0, 1), [1, 2, 0]):
        np.testing.assert_array_equal(x.permute(*dims).numpy() if isinstance(dims, tuple) else x.permute(dims).numpy(),
                                      np.transpose(x.numpy(), [d % 3 for d in dims]))
    with pytest.raises(RuntimeError, match="duplicate dims"):
        x.permute(0, 0, 1)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        x.permute(0, 1, 3)
    with pytest.raises(TypeError):
        x.permute(0, 1, 2.0)
    with pytest.raises(TypeError):
        x.unsqueeze(True)
    assert tuple(x.unsqueeze(-1).shape) == (2, 3, 4, 1) and tuple(ntorch.tensor(1.0).unsqueeze(0).shape) == (1,)


def _where_cases():
    r = _rng()
    m = r.random((3, 4)) > 0.5
    a, b = r.standard_normal((3, 4)), r.standard_normal((3, 4))
    yield m, a.astype(np.float32), b.astype(np.float32)
    yield m, a.astype(np.float64), b.astype(np.float32)  # promotion: the general path
    yield m, (a * 10).astype(np.int64), (b * 10).astype(np.int64)
    yield m, a > 0, b > 0
    yield m, a.astype(np.float16), b.astype(np.float16)
    yield m[:, :1], a.astype(np.float32), b[:1].astype(np.float32)  # broadcasting
    yield m.T, a.T.astype(np.float32), b.astype(np.float32).T  # transposed
    yield np.array(True), np.array(2.0, np.float32), b.astype(np.float32)
    yield np.zeros((0, 4), bool), np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32)


@pytest.mark.parametrize("case", list(_where_cases()))
def test_where_matches_numpy(case):
    m, a, b = case
    got = ntorch.where(ntorch.tensor(m), ntorch.tensor(a), ntorch.tensor(b))
    want = np.where(m, a, b)
    assert got.dtype is ntorch.from_numpy(np.asarray(want)).dtype
    np.testing.assert_array_equal(got.numpy(), want)
    if a.dtype.kind == "f":  # a number keeps a float tensor's dtype
        for s in (2.5, 3):
            got = ntorch.where(ntorch.tensor(m), ntorch.tensor(a), s)
            assert got.dtype is ntorch.from_numpy(a).dtype
            np.testing.assert_array_equal(got.numpy(), np.where(m, a, a.dtype.type(s)))


def test_where_and_masked_fill_grads_and_errors():
    r = _rng()
    m = ntorch.tensor(r.random((3, 4)) > 0.5)
    a = ntorch.tensor(r.standard_normal((3, 4)), requires_grad=True)
    b = ntorch.tensor(r.standard_normal((3, 4)), requires_grad=True)
    out = ntorch.where(m, a, b)
    assert out.grad_fn is not None
    (out * ntorch.arange(12.0, dtype=ntorch.float64).reshape(3, 4)).sum().backward()
    w = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(a.grad.numpy(), np.where(m.numpy(), w, 0))
    np.testing.assert_array_equal(b.grad.numpy(), np.where(m.numpy(), 0, w))
    x = ntorch.tensor(r.standard_normal((3, 4)), requires_grad=True)
    y = x.masked_fill(m, 0.5)
    np.testing.assert_array_equal(y.detach().numpy(), np.where(m.numpy(), 0.5, x.detach().numpy()))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(m.numpy(), 0.0, 1.0))
    with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
        ntorch.where(ntorch.ones(2), ntorch.ones(2), ntorch.ones(2))
    with pytest.raises(RuntimeError, match="masked_fill_ only supports boolean masks"):
        ntorch.ones(2).masked_fill(ntorch.ones(2), 0.0)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        ntorch.ones(2, dtype=ntorch.uint8).masked_fill(ntorch.tensor([True, False]), 300)
    xi = ntorch.arange(6).reshape(2, 3)
    mi = xi > 2
    np.testing.assert_array_equal(xi.masked_fill(mi, 2.7).numpy(), np.where(mi.numpy(), 2, xi.numpy()))
    np.testing.assert_array_equal(xi.masked_fill(mi[:1], -1).numpy(), np.where(mi.numpy()[:1], -1, xi.numpy()))
    xh = ntorch.tensor([1.0, 2.0], dtype=ntorch.float16)
    np.testing.assert_array_equal(xh.masked_fill(ntorch.tensor([True, False]), 6e4).numpy(),
                                  np.array([6e4, 2.0], np.float16))
    with pytest.raises(RuntimeError, match="value cannot be converted to type c10::Half without overflow"):
        xh.masked_fill(ntorch.tensor([True, False]), 1e5)


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64, np.int32, np.float16])
@pytest.mark.parametrize("lo,hi", [(0.2, 0.8), (-1, 1), (1, -1), (0.5, None), (None, 0.5)])
def test_clamp_two_numbers(dt, lo, hi):
    a = (_rng().standard_normal((3, 5)) * 3).astype(dt)
    got = ntorch.tensor(a).clamp(lo, hi)
    want_dt = np.float32 if (isinstance(lo, float) or isinstance(hi, float)) and np.dtype(dt).kind == "i" \
        else dt  # an int tensor with float bounds: the default float dtype, as torch
    want = a.astype(np.float64)
    if lo is not None:
        want = np.maximum(want, lo)
    if hi is not None:
        want = np.minimum(want, hi)
    assert got.dtype is ntorch.from_numpy(np.zeros(1, want_dt)).dtype
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(want_dt).astype(np.float64), rtol=1e-3)
    nan = ntorch.tensor([float("nan"), 0.0]).clamp(0.2, 0.8)
    assert np.isnan(nan[0].item()) and nan[1].item() == np.float32(0.2)


def test_clamp_grad():
    x = ntorch.tensor([-1.0, 0.3, 0.9, 0.5], dtype=ntorch.float64, requires_grad=True)
    y = x.clamp(0.2, 0.8)
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 0, 1])


@pytest.mark.parametrize("a,b,want", [
    (np.array([1.0, np.nan], np.float32), np.array([1.0, np.nan], np.float32), False),
    (np.array([0.0, 1.0]), np.array([-0.0, 1.0]), True),
    (np.arange(6).reshape(2, 3), np.arange(6).reshape(2, 3), True),
    (np.arange(6).reshape(2, 3), np.arange(6).reshape(3, 2), False),
    (np.array([True, False]), np.array([True, True]), False),
    (np.array([1.0, 2.0], np.float16), np.array([1.0, 2.0], np.float16), True),
    (np.arange(3), np.arange(3.0), True),  # dtypes differ: promoted, as before
    (np.array(2.0), np.array(2.0), True), (np.zeros((0, 2)), np.zeros((0, 2)), True),
    (np.arange(4000.0), np.arange(4000.0), True),
])
def test_equal(a, b, want):
    assert ntorch.equal(ntorch.tensor(a), ntorch.tensor(b)) is want
    x = ntorch.tensor(np.arange(12.0).reshape(3, 4))
    assert ntorch.equal(x.t(), ntorch.tensor(np.arange(12.0).reshape(3, 4).T.copy()))
    assert not ntorch.equal(x[:, ::2], x[:, 1::2])
    with pytest.raises(TypeError, match="equal"):
        ntorch.equal(x, 1.0)


def test_copy_and_zero_fast_cases():
    r = _rng()
    a = ntorch.tensor(r.standard_normal((3, 4)).astype(np.float32))
    b = ntorch.tensor(r.standard_normal((3, 4)).astype(np.float32))
    v = a._version
    assert a.copy_(b) is a and a._version == v + 1
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a.copy_(a.flip(0))  # a copy of itself reversed
    np.testing.assert_array_equal(a.numpy(), b.numpy()[::-1])
    c = ntorch.arange(12.0).reshape(3, 4)
    c.copy_(c.t().contiguous().t())  # same values, another layout
    np.testing.assert_array_equal(c.numpy(), np.arange(12.0).reshape(3, 4))
    c[:, ::2].copy_(ntorch.ones(3, 2))
    assert c.numpy()[:, ::2].tolist() == [[1.0, 1.0]] * 3
    c.copy_(ntorch.tensor([1, 2, 3, 4]))  # broadcast and cast: the general path
    assert c.numpy().tolist() == [[1.0, 2.0, 3.0, 4.0]] * 3
    with pytest.raises(RuntimeError, match="copy_ cannot broadcast"):
        c.copy_(ntorch.ones(2, 4))
    v = c._version
    c[1].zero_()
    assert c.numpy().tolist() == [[1.0, 2.0, 3.0, 4.0], [0.0] * 4, [1.0, 2.0, 3.0, 4.0]] and c._version == v + 1
    c.t().zero_()
    assert not c.numpy().any()
    g = ntorch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        g.zero_()
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        g.copy_(ntorch.zeros(2))
    h = g * 2
    h.zero_()
    h.sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), [0.0, 0.0])
    src = ntorch.ones(2, requires_grad=True)
    d = ntorch.zeros(2)
    d.copy_(src * 3)
    d.sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [3.0, 3.0])


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("idx_dtype", [np.int64, np.int32])
def test_gather_repeated_calls(dim, idx_dtype):
    r = _rng()
    a = r.standard_normal((4, 6)).astype(np.float32)
    n = a.shape[dim]
    idx = r.integers(0, n, (3, 5)).astype(idx_dtype)
    x, i = ntorch.tensor(a), ntorch.tensor(idx)
    for _ in range(3):  # the first call checks and plans, later ones reuse the plan
        np.testing.assert_array_equal(x.gather(dim, i).numpy(), np.take_along_axis(a[:3, :5] if dim % 2 else a[:, :5],
                                                                                    idx.astype(np.int64), axis=dim)
                                      if False else _gather_ref(a, dim, idx))
    bad = idx.copy()
    bad[1, 2] = n
    neg = idx.copy()
    neg[0, 0] = -1
    for _ in range(2):
        with pytest.raises(RuntimeError, match=f"index {n} is out of bounds for dimension {dim % 2} with size {n}"):
            x.gather(dim, ntorch.tensor(bad))
        with pytest.raises(RuntimeError, match=f"index -1 is out of bounds for dimension {dim % 2}"):
            x.gather(dim, ntorch.tensor(neg))
    with pytest.raises(RuntimeError, match="Size does not match at dimension"):
        x.gather(dim, ntorch.zeros(9, 9, dtype=ntorch.int64))
    with pytest.raises(TypeError):
        x.gather(True, i)
    g = ntorch.tensor(a.astype(np.float64), requires_grad=True)
    g.gather(dim, i).sum().backward()
    want = np.zeros(a.shape)
    for p in np.ndindex(idx.shape):
        q = list(p)
        q[dim % 2] = idx[p]
        want[tuple(q)] += 1
    np.testing.assert_array_equal(g.grad.numpy(), want)


def _gather_ref(a, dim, idx):
    out = np.empty(idx.shape, a.dtype)
    for p in np.ndindex(idx.shape):
        q = list(p)
        q[dim % 2] = idx[p]
        out[p] = a[tuple(q)]
    return out


@pytest.mark.parametrize("dim", [0, 1, 2, -1])
def test_stack_and_cat_small(dim):
    r = _rng()
    arrs = [r.standard_normal((3, 4)).astype(np.float32) for _ in range(3)]
    ts = [ntorch.tensor(x) for x in arrs]
    got = ntorch.stack(ts, dim)
    assert got.is_contiguous()
    np.testing.assert_array_equal(got.numpy(), np.stack(arrs, dim))
    np.testing.assert_array_equal(ntorch.stack([t.t() for t in ts], dim).numpy(), np.stack([x.T for x in arrs], dim))
    mixed = ntorch.stack([ts[0], ntorch.tensor(arrs[1].astype(np.float64))], dim)
    assert mixed.dtype is ntorch.float64
    np.testing.assert_array_equal(mixed.numpy(), np.stack([arrs[0].astype(np.float64), arrs[1]], dim))
    if dim != 2:
        c = ntorch.cat([ts[0], ts[1].t().contiguous().t()], dim)
        assert c.is_contiguous()
        np.testing.assert_array_equal(c.numpy(), np.concatenate(arrs[:2], dim))
    np.testing.assert_array_equal(ntorch.stack([ntorch.tensor(1.0), ntorch.tensor(2.0)]).numpy(), [1.0, 2.0])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ntorch.stack([ts[0], ntorch.ones(4, 3)], dim)
    g = [ntorch.tensor(x.astype(np.float64), requires_grad=True) for x in arrs[:2]]
    w = np.arange(24.0).reshape(np.stack(arrs[:2], dim).shape)
    (ntorch.stack(g, dim) * ntorch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(g[1].grad.numpy(), np.take(w, 1, axis=dim))


@pytest.mark.parametrize("make_b", [lambda b: b, lambda b: b.t().contiguous().t(), lambda b: b[:, ::2]])
def test_mm_with_strided_operands(make_b):
    r = _rng()
    a = ntorch.tensor(r.standard_normal((8, 6)))
    b = make_b(ntorch.tensor(r.standard_normal((6, 10))))
    want = a.numpy() @ b.numpy()
    np.testing.assert_allclose((a @ b).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(ntorch.mm(a.t().contiguous().t(), b).numpy(), want, rtol=1e-12)
    ag = a.clone().requires_grad_()
    (ag @ b).sum().backward()
    np.testing.assert_allclose(ag.grad.numpy(), np.ones((8, b.shape[1])) @ b.numpy().T, rtol=1e-12)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        a @ b.t()
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        ntorch.mm(a.float(), b)


@pytest.mark.parametrize("eq,shapes", [("ij,kj->ik", [(3, 4), (5, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                       ("ij,jk", [(3, 4), (4, 5)]), ("ij,ij->", [(3, 4), (3, 4)]),
                                       ("bij,jk->kbi", [(2, 3, 4), (4, 5)]), ("ij,jk->ik", [(3, 2), (4, 5)]),
                                       ("ii,ij->j", [(3, 3), (3, 2)])])
def test_einsum_repeated_pairs(eq, shapes):
    r = _rng()
    xs = [r.standard_normal(s) for s in shapes]
    if eq == "ij,jk->ik":  # sizes disagree: the same error every time
        for _ in range(2):
            with pytest.raises(RuntimeError, match="einsum"):
                ntorch.einsum(eq, *[ntorch.tensor(x) for x in xs])
        return
    for _ in range(3):
        got = ntorch.einsum(eq, *[ntorch.tensor(x) for x in xs])
        np.testing.assert_allclose(got.numpy(), np.einsum(eq, *xs), rtol=1e-12, atol=1e-12)
    gs = [ntorch.tensor(x, requires_grad=True) for x in xs]
    ntorch.einsum(eq, *gs).sum().backward()
    for k, g in enumerate(gs):
        h = 1e-6
        num = np.zeros_like(xs[k])
        for p in np.ndindex(xs[k].shape):
            up = [x.copy() for x in xs]
            dn = [x.copy() for x in xs]
            up[k][p] += h
            dn[k][p] -= h
            num[p] = (np.einsum(eq, *up).sum() - np.einsum(eq, *dn).sum()) / (2 * h)
        np.testing.assert_allclose(g.grad.numpy(), num, rtol=1e-5, atol=1e-6)
    with pytest.raises(RuntimeError, match="same dtype|expected scalar type"):
        ntorch.einsum(eq, ntorch.tensor(xs[0]).float(), ntorch.tensor(xs[1]))


def test_einsum_planned_pair_gives_the_general_paths_node():
    a = ntorch.rand(3, 4, requires_grad=True)
    b = ntorch.rand(5, 4)
    for eq in ("ij,kj->ik", "ij,kj->ki", "ij,ij->"):
        first, again = ntorch.einsum(eq, a, b if eq != "ij,ij->" else b[:3]), \
            ntorch.einsum(eq, a, b if eq != "ij,ij->" else b[:3])
        assert first.grad_fn.name() == again.grad_fn.name()
        np.testing.assert_array_equal(first.detach().numpy(), again.detach().numpy())
    assert ntorch.einsum("ij->ij", a) is not a  # a view, never the operand itself


# --- nn modules (wt_nnh)
# linear's small-layer CPU path (2-D and N-D inputs, one node) and MultiheadAttention's batch-first self-attention
# path, against NumPy references; gradients against float64 finite differences (gradcheck / gradgradcheck).
def _np_linear(x, w, b):
    y = x.astype(np.float64) @ w.astype(np.float64).T
    return y + b if b is not None else y


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("xshape", [(8, 6), (2, 3, 6), (2, 1, 3, 6), (0, 6), (3, 0, 6)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_small_cpu_values_and_grads(dt, xshape, with_bias):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=xshape).astype(dt), rng.normal(size=(5, 6)).astype(dt), rng.normal(size=5).astype(dt)
    xt, wt = ntorch.tensor(x, requires_grad=True), ntorch.tensor(w, requires_grad=True)
    bt = ntorch.tensor(b, requires_grad=True) if with_bias else None
    y = ntorch.nn.functional.linear(xt, wt, bt)
    assert y.dtype is xt.dtype and tuple(y.shape) == xshape[:-1] + (5,)
    assert y.grad_fn.name() == ("AddmmBackward0" if with_bias else "MmBackward0")
    tol = 1e-5 if dt is np.float32 else 1e-12
    np.testing.assert_allclose(y.detach().numpy(), _np_linear(x, w, b if with_bias else None), rtol=tol, atol=tol)
    g = rng.normal(size=y.shape).astype(dt)
    y.backward(ntorch.tensor(g))
    g2, x2 = g.reshape(-1, 5).astype(np.float64), x.reshape(-1, 6).astype(np.float64)
    np.testing.assert_allclose(xt.grad.numpy(), (g2 @ w).reshape(xshape), rtol=tol, atol=tol)
    np.testing.assert_allclose(wt.grad.numpy(), g2.T @ x2, rtol=tol, atol=tol)
    if with_bias:
        np.testing.assert_allclose(bt.grad.numpy(), g2.sum(0), rtol=tol, atol=tol)


def test_linear_small_cpu_layouts_and_fallbacks():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3, 6))
    w = rng.normal(size=(5, 6))
    b = rng.normal(size=5)
    want = _np_linear(x, w, b)
    F = ntorch.nn.functional
    xt = ntorch.tensor(np.ascontiguousarray(x.transpose(1, 0, 2))).transpose(0, 1)  # non-contiguous input
    np.testing.assert_allclose(F.linear(xt, ntorch.tensor(w), ntorch.tensor(b)).numpy(), want, rtol=1e-12)
    wt = ntorch.tensor(np.ascontiguousarray(w.T)).t()  # non-contiguous weight: the general path
    np.testing.assert_allclose(F.linear(ntorch.tensor(x), wt, ntorch.tensor(b)).numpy(), want, rtol=1e-12)
    y = F.linear(ntorch.tensor(x), ntorch.tensor(w), ntorch.tensor(b, dtype=ntorch.float32))  # mixed bias dtype
    assert y.dtype is ntorch.float64
    np.testing.assert_allclose(y.numpy(), _np_linear(x, w, b.astype(np.float32)), rtol=1e-7)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(12x6 and 5x5\)"):
        F.linear(ntorch.tensor(x), ntorch.tensor(w[:, :5]))


def test_linear_small_cpu_gradcheck():
    from ntorch.autograd import gradcheck, gradgradcheck

    rng = np.random.default_rng(2)
    args = tuple(ntorch.tensor(rng.normal(size=s), requires_grad=True) for s in ((2, 3, 4), (3, 4), (3,)))
    assert gradcheck(ntorch.nn.functional.linear, args)
    assert gradgradcheck(ntorch.nn.functional.linear, args)


def _np_self_attention(x, w_in, b_in, w_out, b_out, heads):
    b, length, e = x.shape
    hd = e // heads
    q, k, v = np.split(x @ w_in.T + b_in, 3, axis=-1)
    split = lambda t: t.reshape(b, length, heads, hd).transpose(0, 2, 1, 3)  # noqa: E731
    q, k, v = split(q), split(k), split(v)
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
    wts = np.exp(s - s.max(-1, keepdims=True))
    wts /= wts.sum(-1, keepdims=True)
    out = (wts @ v).transpose(0, 2, 1, 3).reshape(b, length, e)
    return out @ w_out.T + b_out, wts


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
def test_mha_batch_first_self_attention(need_weights, average):
    rng = np.random.default_rng(3)
    ntorch.manual_seed(0)
    m = ntorch.nn.MultiheadAttention(8, 2, batch_first=True, dtype=ntorch.float64)
    with ntorch.no_grad():
        m.in_proj_bias.copy_(ntorch.tensor(rng.normal(size=24)))
        m.out_proj.bias.copy_(ntorch.tensor(rng.normal(size=8)))
    x = rng.normal(size=(3, 5, 8))
    out, wts = m(*(ntorch.tensor(x),) * 3, need_weights=need_weights, average_attn_weights=average)
    want, want_w = _np_self_attention(x, m.in_proj_weight.detach().numpy(), m.in_proj_bias.detach().numpy(),
                                      m.out_proj.weight.detach().numpy(), m.out_proj.bias.detach().numpy(), 2)
    np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-10, atol=1e-12)
    if not need_weights:
        assert wts is None
    else:
        np.testing.assert_allclose(wts.detach().numpy(), want_w.mean(1) if average else want_w, rtol=1e-10,
                                   atol=1e-12)
    # the general (sequence-first reference) path gives the same: key is a different tensor object there
    xt = ntorch.tensor(x)
    ref, ref_w = m(xt, xt.clone(), xt, need_weights=need_weights, average_attn_weights=average)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-13)


def test_mha_batch_first_self_attention_gradcheck():
    from ntorch.autograd import gradcheck

    ntorch.manual_seed(0)
    m = ntorch.nn.MultiheadAttention(4, 2, batch_first=True, dtype=ntorch.float64)
    x = ntorch.tensor(np.random.default_rng(4).normal(size=(2, 3, 4)), requires_grad=True)

    assert gradcheck(lambda x: m(x, x, x), (x,))
    # the parameters' gradients match the general path's (key a different tensor object there)
    grads = []
    for key in (x, x.clone()):
        m.zero_grad()
        out, wts = m(x, key, x)
        (out.sum() + (wts * wts).sum()).backward()
        grads.append([p.grad.numpy().copy() for p in m.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    # dropout in training mode takes the general path (it needs the reference's dropout on the weights)
    m2 = ntorch.nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    y = ntorch.randn(2, 3, 4)
    m2(y, y, y)


def test_gather_fast_entry_other_layouts_and_flags():
    """A cached small gather (keyed on shapes of C-contiguous arrays, holding a compiled overload for aligned,
    writeable arrays) must still serve a strided index of the same shape and a read-only input correctly."""
    r = _rng()
    a = r.standard_normal((4, 6)).astype(np.float32)
    idx = r.integers(0, 4, (3, 5))
    x = ntorch.tensor(a)
    for _ in range(2):
        np.testing.assert_array_equal(x.gather(0, ntorch.tensor(idx)).numpy(), _gather_ref(a, 0, idx))
    it = ntorch.tensor(np.ascontiguousarray(idx.T)).t()  # same shape, not C-contiguous
    np.testing.assert_array_equal(x.gather(0, it).numpy(), _gather_ref(a, 0, idx))
    ro = a.copy()
    ro.flags.writeable = False
    np.testing.assert_array_equal(ntorch.from_numpy(ro).gather(0, ntorch.tensor(idx)).numpy(), _gather_ref(a, 0, idx))
    ri = idx.copy()
    ri.flags.writeable = False
    np.testing.assert_array_equal(x.gather(0, ntorch.from_numpy(ri)).numpy(), _gather_ref(a, 0, idx))


@pytest.mark.parametrize("eq,sa,sb", [("ij,kj->ik", (8, 16), (5, 16)), ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
                                      ("ij,jk->ki", (3, 4), (4, 5)), ("bik,bjk->bji", (2, 3, 4), (2, 5, 4))])
def test_einsum_planned_pair_no_grad_matches_numpy(eq, sa, sb):
    """The planned pair's no-graph route (host arrays) gives einsum's values on repeated calls, also for
    non-contiguous operands, and the graph route still records when an operand requires grad."""
    r = _rng()
    a = r.standard_normal(sa)
    b = r.standard_normal(sb)
    want = np.einsum(eq, a, b)
    for _ in range(3):
        np.testing.assert_allclose(ntorch.einsum(eq, ntorch.tensor(a), ntorch.tensor(b)).numpy(), want, rtol=1e-12)
    bt = ntorch.tensor(np.ascontiguousarray(np.swapaxes(b, -1, -2))).transpose(-1, -2)
    np.testing.assert_allclose(ntorch.einsum(eq, ntorch.tensor(a), bt).numpy(), want, rtol=1e-12)
    ga = ntorch.tensor(a, requires_grad=True)
    out = ntorch.einsum(eq, ga, ntorch.tensor(b))
    assert out.grad_fn is not None
    out.sum().backward()
    (ta, tb), rhs = eq.split("->")[0].split(","), eq.split("->")[1]
    np.testing.assert_allclose(ga.grad.numpy(), np.einsum(f"{rhs},{tb}->{ta}", np.ones(want.shape), b), rtol=1e-12)
