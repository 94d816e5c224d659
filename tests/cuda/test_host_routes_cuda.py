"""The short host routes of CUDA ops (stop 18: a[i], sum, mm/matmul, linear, softmax, contiguous, *_like) must give
what the general routes give: the same values, dtypes, shapes, strides and storage offsets, the same errors, and
the same graph. Each case runs the short route and a call that takes the general one (requires_grad, out=,
dtype=, a layout the short route refuses) or the CPU, and compares them."""

import numpy as np
import pytest

import ntorch as nt
import ntorch.nn.functional as F


def _cuda(a, requires_grad: bool = False):
    t = nt.tensor(np.asarray(a), device="cuda")
    if requires_grad:
        t.requires_grad_(True)
    return t


def _same_layout(a, b) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.stride() == b.stride() and a.storage_offset() == b.storage_offset()
    np.testing.assert_array_equal(a.detach().cpu().numpy(), b.detach().cpu().numpy())


@pytest.mark.parametrize("index", [1, -1, (0, 1), slice(1, None), (slice(None), 2), (1, slice(0, 4, 2)),
                                   slice(5, 9), (slice(None, None, 3), -2)])
def test_basic_index_views_match_the_general_route(index):
    x = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    plain, tracked = _cuda(x), _cuda(x, requires_grad=True)  # tracked: the general route (a graph is needed)
    fast, general = plain[index], tracked[index]
    _same_layout(fast, general)
    np.testing.assert_array_equal(fast.cpu().numpy(), x[index])
    assert fast.untyped_storage().data_ptr() == plain.untyped_storage().data_ptr()  # a view, not a copy


def test_basic_index_errors_are_the_general_routes():
    a = _cuda(np.zeros((2, 3), np.float32))
    with pytest.raises(IndexError, match="index 2 is out of bounds for dimension 0 with size 2"):
        a[2]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        _cuda(np.float32(1.0))[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32, np.bool_])
@pytest.mark.parametrize("dim", [None, 0, -1])
def test_sum_matches_the_cpu(dtype, dim):
    x = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    got = _cuda(x).sum() if dim is None else _cuda(x).sum(dim)
    want = nt.tensor(x).sum() if dim is None else nt.tensor(x).sum(dim)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got.cpu().numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=1e-3)
    keep = _cuda(x).sum(1, keepdim=True)
    assert keep.shape == (3, 1) and keep.dtype == nt.tensor(x).sum(1, keepdim=True).dtype


def test_sum_of_a_strided_view_and_its_gradient():
    x = np.arange(24.0, dtype=np.float64).reshape(4, 6)
    a = _cuda(x, requires_grad=True)
    s = a.t()[1:].sum(0)
    np.testing.assert_allclose(s.detach().cpu().numpy(), x.T[1:].sum(0))
    s.sum().backward()
    want = np.zeros_like(x)
    want[:, 1:] = 1.0
    np.testing.assert_array_equal(a.grad.cpu().numpy(), want)


@pytest.mark.parametrize("transpose_b", [False, True])
def test_mm_and_matmul_match_the_cpu_and_record_mm(transpose_b):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 5)).astype(np.float32), rng.standard_normal((5, 4)).astype(np.float32)
    ta, tb = _cuda(a, requires_grad=True), _cuda(b.T.copy(), requires_grad=True) if transpose_b else _cuda(b)
    tb_used = tb.t() if transpose_b else tb
    for fn in (nt.mm, nt.matmul, lambda x, y: x @ y):
        res = fn(ta, tb_used)
        np.testing.assert_allclose(res.detach().cpu().numpy(), a @ b, rtol=1e-5, atol=1e-5)
        assert res.grad_fn.name() == "MmBackward0"
    out = nt.empty(3, 4, device="cuda")
    nt.mm(ta.detach(), tb_used.detach(), out=out)  # out=: the general route
    np.testing.assert_allclose(out.cpu().numpy(), a @ b, rtol=1e-5, atol=1e-5)
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(3x5 and 4x5\)"):
        nt.mm(ta, _cuda(np.zeros((4, 5), np.float32)))
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        nt.mm(ta, _cuda(b.astype(np.float64)))


@pytest.mark.parametrize("bias", ["none", "fused", "strided", "broadcast"])
def test_linear_matches_the_cpu(bias):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((5, 3)).astype(np.float32)
    b = {"none": None, "fused": rng.standard_normal(5), "strided": rng.standard_normal(10)[::2],
         "broadcast": rng.standard_normal((4, 5))}[bias]
    b = None if b is None else np.asarray(b, np.float32)
    tx, tw = _cuda(x, requires_grad=True), _cuda(w, requires_grad=True)
    tb = None if b is None else (nt.tensor(np.repeat(b, 2) if bias == "strided" else b, device="cuda"))
    if bias == "strided":
        tb = tb[::2]
    if tb is not None:
        tb.requires_grad_(True)
    y = F.linear(tx, tw, tb)
    want = x @ w.T + (0 if b is None else b)
    np.testing.assert_allclose(y.detach().cpu().numpy(), want, rtol=1e-5, atol=1e-5)
    y.sum().backward()
    np.testing.assert_allclose(tx.grad.cpu().numpy(), np.ones((4, 5), np.float32) @ w, rtol=1e-5)
    np.testing.assert_allclose(tw.grad.cpu().numpy(), np.ones((4, 5), np.float32).T @ x, rtol=1e-5)
    if tb is not None:
        np.testing.assert_allclose(tb.grad.cpu().numpy(), np.ones_like(b) * (4 if bias != "broadcast" else 1))


def test_linear_with_an_empty_inner_dim():
    y = F.linear(_cuda(np.zeros((2, 0), np.float32)), _cuda(np.zeros((3, 0), np.float32)))
    np.testing.assert_array_equal(y.cpu().numpy(), np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_matches_the_cpu(dim):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    for op in (nt.softmax, nt.log_softmax):
        got = op(_cuda(x).t(), dim)  # a strided input
        want = op(nt.tensor(x).t(), dim)
        np.testing.assert_allclose(got.cpu().numpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    t = _cuda(x, requires_grad=True)
    assert nt.softmax(t, dim).grad_fn.name() == "SoftmaxBackward0"
    with pytest.raises(NotImplementedError):
        nt.softmax(_cuda(np.zeros((2, 2), np.int64)), 1)


def test_contiguous_copies_only_when_needed():
    a = _cuda(np.arange(6.0, dtype=np.float32).reshape(2, 3), requires_grad=True)
    assert a.contiguous() is a
    at = a.t()
    c = at.contiguous()
    assert c is not at and c.is_contiguous() and c.stride() == (2, 1)
    np.testing.assert_array_equal(c.detach().cpu().numpy(), np.arange(6.0).reshape(2, 3).T)
    assert c.grad_fn.name() == "CloneBackward0"
    col = _cuda(np.zeros((3, 1), np.float32))[:, :1]  # size-1 dims: contiguous by torch's rule
    assert col.contiguous() is col


@pytest.mark.parametrize("shape", [(2, 3), (), (0, 2), (3, 1), (1, 4)])
@pytest.mark.parametrize("fill", ["ones", "zeros", "empty"])
def test_like_factories_match_the_general_route(shape, fill):
    src = nt.zeros(shape, device="cuda")
    fn = {"ones": nt.ones_like, "zeros": nt.zeros_like, "empty": nt.empty_like}[fill]
    for dtype in (None, nt.float64, nt.bool):
        fast = fn(src, dtype=dtype)
        general = fn(src, dtype=dtype, memory_format=nt.preserve_format)  # (preserve_format: the general route)
        assert fast.is_cuda and fast.shape == general.shape and fast.dtype == general.dtype
        assert fast.stride() == general.stride()
        if fill != "empty":
            np.testing.assert_array_equal(fast.cpu().numpy(), general.cpu().numpy())
    assert nt.ones_like(src, requires_grad=True).requires_grad
