"""Products built from matmul and elementwise ops (cross, tensordot, vdot, inner, vecdot, multi_dot,
chain_matmul, addr, addbmm, matrix_power) against NumPy, with PyTorch's shape rules and errors, and their
gradients by finite differences."""

import re

import numpy as np
import pytest
from conftest import layouts

import ntorch as nt
from ntorch.autograd import gradcheck, gradgradcheck

FLOATS = [nt.float32, nt.float64]
TOL = {nt.float32: 1e-5, nt.float64: 1e-12}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _close(got, ref, dt, scale=1.0):
    assert got.dtype is dt
    ref = np.asarray(ref)
    assert tuple(got.shape) == ref.shape
    np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=TOL[dt] * 10, atol=TOL[dt] * 10 * scale)


def _arr(rng, shape, dt):
    return rng.standard_normal(shape).astype(dt.np)


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_cross(dt, rng):
    a, b = _arr(rng, (2, 3, 4), dt), _arr(rng, (1, 3, 4), dt)
    for _la, ta, _ in layouts(a):
        got = nt.cross(ta, nt.from_numpy(b), dim=1)
        _close(got, np.cross(a.astype(np.float64), b.astype(np.float64), axis=1), dt)
    # dim None: the first dim of size 3 (torch.cross); linalg.cross defaults to the last dim
    _close(nt.cross(nt.from_numpy(a), nt.from_numpy(b)), np.cross(a, b, axis=1).astype(np.float64), dt)
    c, d = _arr(rng, (3, 5, 3), dt), _arr(rng, (3, 5, 3), dt)
    _close(nt.cross(nt.from_numpy(c), nt.from_numpy(d)), np.cross(c, d, axis=0).astype(np.float64), dt)
    _close(nt.linalg.cross(nt.from_numpy(c), nt.from_numpy(d)), np.cross(c, d, axis=-1).astype(np.float64), dt)
    _close(nt.linalg.cross(nt.from_numpy(c), nt.from_numpy(d), dim=0), np.cross(c, d, axis=0).astype(np.float64), dt)


def test_cross_errors():
    _raises(RuntimeError, "linalg.cross: inputs must have the same number of dimensions.", nt.linalg.cross,
            nt.ones(4, 3), nt.ones(3))
    _raises(RuntimeError, "linalg.cross: inputs dimension -1 must have length 3. Got 4 and 4", nt.linalg.cross,
            nt.ones(3, 4), nt.ones(3, 4))
    _raises(RuntimeError, "no dimension of size 3 in input", nt.cross, nt.ones(2, 4), nt.ones(2, 4))
    _raises(RuntimeError, "linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4", nt.cross,
            nt.ones(3, 4), nt.ones(3, 4), dim=1)
    _raises(RuntimeError, "expected scalar type Float but found Double", nt.linalg.cross, nt.ones(3),
            nt.ones(3, dtype=nt.float64))


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_tensordot(dt, rng):
    a, b = _arr(rng, (3, 4, 5), dt), _arr(rng, (4, 5, 2), dt)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    for _la, ta, _ in layouts(a):
        _close(nt.tensordot(ta, nt.from_numpy(b)), np.tensordot(a64, b64), dt, 5)
    _close(nt.tensordot(nt.from_numpy(a), nt.from_numpy(b), dims=([1, 2], [0, 1])),
           np.tensordot(a64, b64, axes=([1, 2], [0, 1])), dt, 5)
    _close(nt.tensordot(nt.from_numpy(a), nt.from_numpy(b), dims=([2, 1], [1, 0])),
           np.tensordot(a64, b64, axes=([2, 1], [1, 0])), dt, 5)
    _close(nt.tensordot(nt.from_numpy(a), nt.from_numpy(b), dims=0), np.tensordot(a64, b64, axes=0), dt)
    _close(nt.tensordot(nt.from_numpy(a), nt.from_numpy(b), dims=[[1], [0]]),
           np.tensordot(a64, b64, axes=([1], [0])), dt, 5)


def test_tensordot_errors():
    _raises(RuntimeError, "both dimension lists should have same length", nt.tensordot, nt.ones(3, 2), nt.ones(3),
            ([0, 1], [0]))
    _raises(RuntimeError, "contracted dimensions need to match, but first has size 3 in dim 0 and second has size 4 in "
            "dim 0", nt.tensordot, nt.ones(3, 2), nt.ones(4), ([0], [0]))
    _raises(RuntimeError, "tensordot expects dims >= 0, but got dims=-1", nt.tensordot, nt.ones(3, 2), nt.ones(4), -1)
    _raises(RuntimeError, "tensordot expects dims < ndim_a or ndim_b, but got dims=3", nt.tensordot, nt.ones(3, 2),
            nt.ones(4), 3)
    _raises(RuntimeError, "both inputs should have same dtype", nt.tensordot, nt.ones(3, 2),
            nt.ones(2, 3, dtype=nt.float64), 1)


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_vdot_inner_vecdot(dt, rng):
    v, w = _arr(rng, (7,), dt), _arr(rng, (7,), dt)
    _close(nt.vdot(nt.from_numpy(v), nt.from_numpy(w)), np.vdot(v.astype(np.float64), w), dt, 3)
    a, b = _arr(rng, (2, 3), dt), _arr(rng, (4, 5, 3), dt)
    _close(nt.inner(nt.from_numpy(a), nt.from_numpy(b)), np.inner(a.astype(np.float64), b.astype(np.float64)), dt, 2)
    _close(nt.inner(nt.tensor(2.0, dtype=dt), nt.from_numpy(v)), 2.0 * v.astype(np.float64), dt)
    x, y = _arr(rng, (3, 1, 4), dt), _arr(rng, (2, 4), dt)
    _close(nt.linalg.vecdot(nt.from_numpy(x), nt.from_numpy(y)), np.sum(x.astype(np.float64) * y, -1), dt, 2)
    _close(nt.linalg.vecdot(nt.from_numpy(x), nt.from_numpy(x), dim=0), np.sum(x.astype(np.float64) ** 2, 0), dt, 2)


def test_vdot_inner_vecdot_errors():
    msg = ("inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, but got 3 "
           "and 4 elements respectively")
    _raises(RuntimeError, msg, nt.vdot, nt.ones(3), nt.ones(4))
    _raises(RuntimeError, msg, nt.linalg.vecdot, nt.ones(3), nt.ones(4))
    _raises(RuntimeError, "1D tensors expected, but got 2D and 1D tensors", nt.vdot, nt.ones(3, 1), nt.ones(3))
    _raises(RuntimeError, "dot : expected both vectors to have same dtype, but found Float and Double", nt.vdot,
            nt.ones(3), nt.ones(3, dtype=nt.float64))
    _raises(RuntimeError, "inner() the last dimension must match on both input tensors but got shapes [3, 2] and [3]",
            nt.inner, nt.ones(3, 2), nt.ones(3))
    _raises(RuntimeError, "linalg.vecdot: Expected x and y to have the same dtype, but found x of type Float and y of "
            "type Double instead", nt.linalg.vecdot, nt.ones(3), nt.ones(3, dtype=nt.float64))


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_multi_dot_chain_matmul(dt, rng):
    mats = [_arr(rng, s, dt) for s in ((5, 2), (2, 7), (7, 3), (3, 4))]
    ref = np.linalg.multi_dot([m.astype(np.float64) for m in mats])
    _close(nt.linalg.multi_dot([nt.from_numpy(m) for m in mats]), ref, dt, 10)
    _close(nt.chain_matmul(*[nt.from_numpy(m) for m in mats]), ref, dt, 10)
    _close(nt.chain_matmul(nt.from_numpy(mats[0])), mats[0].astype(np.float64), dt)
    v, w = _arr(rng, (5,), dt), _arr(rng, (4,), dt)
    vecs = [nt.from_numpy(v)] + [nt.from_numpy(m) for m in mats[1:3]]
    _close(nt.linalg.multi_dot([nt.from_numpy(v), nt.from_numpy(mats[0]), nt.from_numpy(mats[1])]),
           v.astype(np.float64) @ mats[0] @ mats[1], dt, 10)
    got = nt.linalg.multi_dot([*vecs[:1], nt.from_numpy(mats[0]), nt.from_numpy(mats[1]), nt.from_numpy(mats[2]),
                               nt.from_numpy(mats[3]), nt.from_numpy(w)])
    _close(got, np.linalg.multi_dot([v.astype(np.float64), *mats, w]), dt, 30)


def test_multi_dot_errors():
    _raises(RuntimeError, "multi_dot(): expected at least 2 tensors but got 1", nt.linalg.multi_dot, [nt.ones(3)])
    _raises(RuntimeError, "multi_dot(): tensors 0 and 1 with shapes [3, 2] and [3, 2] cannot be multiplied",
            nt.linalg.multi_dot, [nt.ones(3, 2), nt.ones(3, 2)])
    _raises(RuntimeError, "multi_dot(): the first tensor must be 1D or 2D but got 3D", nt.linalg.multi_dot,
            [nt.ones(3, 2, 2), nt.ones(2, 2)])
    _raises(RuntimeError, "multi_dot(): tensor 1 must be 2D but got 3D", nt.linalg.multi_dot,
            [nt.ones(2, 2), nt.ones(2, 2, 2), nt.ones(2, 2)])
    _raises(RuntimeError, "multi_dot(): all tensors must have be the same dtype but tensor 0 is float and tensor 1 "
            "double", nt.linalg.multi_dot, [nt.ones(2, 2), nt.ones(2, 2, dtype=nt.float64)])
    _raises(RuntimeError, "Tensor dimension is 1, expected 2 instead.", nt.chain_matmul, nt.ones(3))
    _raises(RuntimeError, "chain_matmul(): Expected one or more matrices", nt.chain_matmul)


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_addr_addbmm(dt, rng):
    m, v, w = _arr(rng, (3, 2), dt), _arr(rng, (3,), dt), _arr(rng, (2,), dt)
    got = nt.addr(nt.from_numpy(m), nt.from_numpy(v), nt.from_numpy(w), beta=2, alpha=0.5)
    _close(got, 2 * m.astype(np.float64) + 0.5 * np.outer(v, w), dt, 5)
    _close(nt.addr(nt.from_numpy(m[:1, :1].copy()), nt.from_numpy(v), nt.from_numpy(w)),
           m[:1, :1].astype(np.float64) + np.outer(v, w), dt, 5)
    inp, b1, b2 = _arr(rng, (3, 2), dt), _arr(rng, (4, 3, 5), dt), _arr(rng, (4, 5, 2), dt)
    ref = 0.5 * inp.astype(np.float64) + 2 * np.einsum("bij,bjk->ik", b1.astype(np.float64), b2)
    for _lb, tb, _ in layouts(b1):
        _close(nt.addbmm(nt.from_numpy(inp), tb, nt.from_numpy(b2), beta=0.5, alpha=2), ref, dt, 20)
    _raises(RuntimeError, "addr: Expected 1-D argument vec1, but got 2-D", nt.addr, nt.ones(3, 2), nt.ones(3, 1),
            nt.ones(2))
    _raises(RuntimeError, "batch1 and batch2 must have same number of batches, got 4 and 3", nt.addbmm,
            nt.ones(3, 2), nt.ones(4, 3, 5), nt.ones(3, 5, 2))
    _raises(RuntimeError, "Incompatible matrix sizes for bmm (3x5 and 4x2)", nt.addbmm, nt.ones(3, 2),
            nt.ones(4, 3, 5), nt.ones(4, 4, 2))


@pytest.mark.parametrize("dt", FLOATS, ids=str)
def test_matrix_power(dt, rng):
    a = _arr(rng, (2, 4, 4), dt) * 0.5
    for n in (0, 1, 2, 3, 5, 8):
        ref = np.linalg.matrix_power(a.astype(np.float64), n)
        _close(nt.linalg.matrix_power(nt.from_numpy(a), n), ref, dt, 10)
        _close(nt.matrix_power(nt.from_numpy(a), n), ref, dt, 10)
    a = a + 3 * np.eye(4, dtype=dt.np)
    for n in (-1, -3):
        _close(nt.linalg.matrix_power(nt.from_numpy(a), n), np.linalg.matrix_power(a.astype(np.float64), n), dt, 10)
    ints = np.arange(9).reshape(3, 3)
    got = nt.linalg.matrix_power(nt.from_numpy(ints), 3)
    assert got.dtype is nt.int64
    np.testing.assert_array_equal(got.numpy(), np.linalg.matrix_power(ints, 3))
    _raises(RuntimeError, "linalg.matrix_power: A must be batches of square matrices, but they are 3 by 2 matrices",
            nt.linalg.matrix_power, nt.ones(3, 2), 2)
    _raises(RuntimeError, "linalg.matrix_power: The input tensor A must have at least 2 dimensions.",
            nt.linalg.matrix_power, nt.ones(3), 2)
    _raises(RuntimeError, "linalg.inv: Expected a floating point or complex tensor as input. Got Long",
            nt.linalg.matrix_power, nt.from_numpy(ints), -1)


def _x(*shape):
    return nt.randn(*shape, dtype=nt.float64, requires_grad=True)


@pytest.mark.parametrize("name,fn,shapes", [
    ("cross", lambda a, b: nt.linalg.cross(a, b), [(2, 3), (1, 3)]),
    ("tensordot", lambda a, b: nt.tensordot(a, b, ([0, 2], [1, 0])), [(2, 3, 4), (4, 2)]),
    ("inner", nt.inner, [(2, 3), (4, 3)]),
    ("vecdot", nt.linalg.vecdot, [(2, 3), (3,)]),
    ("multi_dot", lambda a, b, c: nt.linalg.multi_dot([a, b, c]), [(3,), (3, 2), (2, 4)]),
    ("addr", lambda a, b, c: nt.addr(a, b, c, beta=0.5, alpha=2), [(3, 2), (3,), (2,)]),
    ("addbmm", lambda a, b, c: nt.addbmm(a, b, c), [(3, 2), (2, 3, 4), (2, 4, 2)]),
    ("matrix_power", lambda a: nt.linalg.matrix_power(a, 3), [(2, 3, 3)]),
])
def test_product_gradients(name, fn, shapes):
    nt.manual_seed(1)
    args = tuple(_x(*s) for s in shapes)
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_small_contiguous_products_take_the_fast_path_with_the_same_results():
    """2-D C-contiguous float32/float64 operands skip the general checks; values, node and errors are the same."""
    rng = np.random.default_rng(5)
    for dt in (np.float32, np.float64):
        a, b = rng.standard_normal((5, 7)).astype(dt), rng.standard_normal((7, 3)).astype(dt)
        ta, tb = nt.tensor(a, requires_grad=True), nt.tensor(b)
        for res in (ta @ tb, nt.mm(ta, tb), nt.matmul(ta, tb)):
            assert res.dtype == nt.tensor(a).dtype
            np.testing.assert_allclose(res.detach().numpy(), a.astype(np.float64) @ b, rtol=1e-5)
            assert res.grad_fn.name() == "MmBackward0"
        (ta @ tb).sum().backward()
        np.testing.assert_allclose(ta.grad.numpy(), np.ones((5, 3)) @ b.T, rtol=1e-5)
        with nt.no_grad():
            assert (ta @ tb).grad_fn is None
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        nt.ones(2, 3) @ nt.ones(2, 3)
    with pytest.raises(RuntimeError, match="same dtype"):
        nt.ones(2, 3) @ nt.ones(3, 2, dtype=nt.float64)
