"""Matrix products against NumPy (float64 or wrapping int64 references), with PyTorch's shape rules and errors."""

import re

import numpy as np
import pytest
from conftest import INT_DTYPES, layouts, random_array

import ntorch as nt

MATMUL_DTYPES = [nt.float32, nt.float64, nt.float16, *INT_DTYPES]
TOL = {nt.float16: 2e-3, nt.float32: 1e-5, nt.float64: 1e-12}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _ref_matmul(a, b):
    """np.matmul in float64 (floats) or wrapping int64 (ints), cast to the operands' dtype."""
    acc = np.float64 if a.dtype.kind == "f" else np.int64
    with np.errstate(over="ignore"):
        return np.matmul(a.astype(acc), b.astype(acc))


def _check(got, expected, dt, k=1, err=""):
    expected = np.asarray(expected)
    assert got.dtype is dt, err
    assert tuple(got.shape) == expected.shape, err
    if dt.is_floating_point:
        tol = TOL[dt]
        with np.errstate(over="ignore"):
            ref = expected.astype(dt.np).astype(np.float64)
        scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
        np.testing.assert_allclose(got.numpy().astype(np.float64), ref, rtol=tol, atol=tol * scale * max(k, 1) ** 0.5,
                                   err_msg=err)
    else:
        np.testing.assert_array_equal(got.numpy(), expected.astype(dt.np), err_msg=err)


SHAPE_CASES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((2, 1, 2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 2)),
    ((2, 3, 1, 4), (3, 4, 2)), ((1, 3), (3, 1)), ((1,), (1,)),
    # size-0 dims
    ((0, 3), (3, 4)), ((2, 0), (0, 3)), ((2, 3), (3, 0)), ((0, 2, 3), (3, 1)), ((2, 2, 0), (2, 0, 1)), ((0,), (0,)),
    ((0,), (0, 3)), ((3, 0), (0,)), ((2, 0, 3), (3,)),
]


@pytest.mark.parametrize("sa,sb", SHAPE_CASES, ids=[f"{a}@{b}" for a, b in SHAPE_CASES])
def test_matmul_shape_cases(sa, sb, rng):
    for dt in MATMUL_DTYPES:
        a, b = random_array(rng, sa, dt), random_array(rng, sb, dt)
        expected = _ref_matmul(a, b)
        for la, ta, _ in layouts(a):
            for lb, tb, _ in layouts(b):
                err = f"{dt} {la}@{lb} {sa}@{sb}"
                _check(nt.matmul(ta, tb), expected, dt, sa[-1], err)
                _check(ta @ tb, expected, dt, sa[-1], err)


@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int32, nt.int64, nt.float16], ids=str)
def test_matmul_larger_blocked(dt, rng):
    """Sizes past the small-matrix path (packed, blocked, maybe parallel kernels), transposed operands too."""
    a, b = random_array(rng, (70, 130), dt), random_array(rng, (130, 90), dt)
    _check(nt.matmul(nt.from_numpy(a), nt.from_numpy(b)), _ref_matmul(a, b), dt, 130)
    ta = nt.from_numpy(np.ascontiguousarray(a.T)).t()
    tb = nt.from_numpy(np.ascontiguousarray(b.T)).t()
    _check(ta @ tb, _ref_matmul(a, b), dt, 130, "transposed")
    x, y = random_array(rng, (3, 40, 70), dt), random_array(rng, (3, 70, 50), dt)
    _check(nt.bmm(nt.from_numpy(x), nt.from_numpy(y)), _ref_matmul(x, y), dt, 70, "bmm")
    _check(nt.from_numpy(x) @ nt.from_numpy(y[0]), _ref_matmul(x, y[0]), dt, 70, "folded")
    big = random_array(rng, (300, 257), dt)
    v = random_array(rng, (257,), dt)
    _check(nt.mv(nt.from_numpy(big), nt.from_numpy(v)), _ref_matmul(big, v), dt, 257, "mv")


def test_matmul_results_and_shapes():
    assert nt.matmul(nt.zeros(3), nt.zeros(3)).shape == ()
    assert nt.matmul(nt.zeros(3), nt.zeros(3, 5)).shape == (5,)
    assert nt.matmul(nt.zeros(2, 3), nt.zeros(3)).shape == (2,)
    assert nt.matmul(nt.zeros(3), nt.zeros(2, 3, 5)).shape == (2, 5)
    assert nt.matmul(nt.zeros(2, 4, 3), nt.zeros(3)).shape == (2, 4)
    assert nt.matmul(nt.zeros(2, 1, 4, 3), nt.zeros(5, 3, 2)).shape == (2, 5, 4, 2)
    assert nt.matmul(nt.ones(2, 0), nt.ones(0, 3)).tolist() == [[0.0] * 3] * 2  # empty sums are 0
    assert nt.dot(nt.zeros(0), nt.zeros(0)).item() == 0.0
    assert nt.matmul(nt.ones(2, 3, dtype=nt.uint8) * 100, nt.ones(3, 2, dtype=nt.uint8)).tolist() == [[44, 44]] * 2
    x = nt.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert (x @ x).tolist() == [[7.0, 10.0], [15.0, 22.0]] and x.matmul(x).tolist() == [[7.0, 10.0], [15.0, 22.0]]
    assert x.__rmatmul__(nt.tensor([1.0, 1.0])).tolist() == [4.0, 6.0]
    out = nt.zeros(2, 3)
    r = nt.matmul(nt.ones(2, 2), nt.ones(2, 3), out=out)
    assert r is out and out.tolist() == [[2.0] * 3] * 2


def test_matmul_errors():
    _raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", nt.matmul, nt.zeros(2, 3),
            nt.zeros(4, 5))
    _raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)",
            lambda: nt.ones(2, 3) @ nt.ones(2, 3))
    _raises(RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)", nt.matmul, nt.zeros(2, 3), nt.zeros(4))
    _raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)", nt.matmul, nt.zeros(3),
            nt.zeros(4, 5))
    _raises(RuntimeError, "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
            "elements, but got 3 and 4 elements respectively", nt.matmul, nt.zeros(3), nt.zeros(4))
    _raises(RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].",
            nt.matmul, nt.zeros(2, 2, 3), nt.zeros(2, 4, 5))
    _raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (4x3 and 4x5)", nt.matmul, nt.zeros(2, 2, 3),
            nt.zeros(4, 5))
    _raises(RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].",
            nt.matmul, nt.zeros(2, 3), nt.zeros(2, 4, 5))
    _raises(RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].",
            nt.matmul, nt.zeros(3), nt.zeros(2, 4, 5))
    _raises(RuntimeError, "size mismatch, got input (4), mat (4x3), vec (4)", nt.matmul, nt.zeros(2, 2, 3),
            nt.zeros(4))
    _raises(RuntimeError, "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0",
            nt.matmul, nt.zeros(2, 2, 3), nt.zeros(3, 3, 5))
    _raises(RuntimeError, "both arguments to matmul need to be at least 1D, but they are 1D and 0D", nt.matmul,
            nt.zeros(3), nt.tensor(2.0))
    _raises(RuntimeError, "both arguments to matmul need to be at least 1D, but they are 0D and 1D",
            lambda: nt.tensor(1.0) @ nt.ones(2))
    # dtype mismatches: the message of the op torch reaches
    _raises(RuntimeError, "dot : expected both vectors to have same dtype, but found Double and Float", nt.matmul,
            nt.zeros(3, dtype=nt.float64), nt.zeros(3))
    _raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: double != float", nt.mm,
            nt.zeros(2, 3, dtype=nt.float64), nt.zeros(3, 2))
    _raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: long int != float", nt.matmul,
            nt.zeros(2, 3, dtype=nt.int64), nt.zeros(3, 2))
    _raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: c10::Half != signed char", nt.mm,
            nt.ones(2, 3, dtype=nt.float16), nt.ones(3, 2, dtype=nt.int8))
    _raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: unsigned char != short int", nt.mm,
            nt.ones(2, 3, dtype=nt.uint8), nt.ones(3, 2, dtype=nt.int16))
    _raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != double", nt.matmul,
            nt.ones(3), nt.ones(3, 2, dtype=nt.float64))
    _raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: float != double", nt.matmul,
            nt.ones(2, 2, 3), nt.ones(3, 2, dtype=nt.float64))
    _raises(RuntimeError, "expected scalar type Double but found Float", nt.bmm, nt.zeros(2, 3, 4, dtype=nt.float64),
            nt.zeros(2, 4, 2))
    _raises(RuntimeError, "expected scalar type Float but found Double", nt.matmul, nt.ones(2, 2, 3),
            nt.ones(2, 3, 2, dtype=nt.float64))
    _raises(RuntimeError, "addmv input tensors must have the same dtype, but got Double, Float, and Double",
            nt.matmul, nt.ones(2, 3), nt.ones(3, dtype=nt.float64))
    with pytest.raises(NotImplementedError):
        nt.matmul(nt.ones(2, 3, dtype=nt.bool), nt.ones(3, 2, dtype=nt.bool))


# ----------------------------------------------------------------------------------------------------------
# mm / bmm / mv / dot / outer
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", MATMUL_DTYPES, ids=str)
def test_mm_bmm_mv_dot_outer(dt, rng):
    a, b = random_array(rng, (4, 6), dt), random_array(rng, (6, 3), dt)
    v, w = random_array(rng, (6,), dt), random_array(rng, (5,), dt)
    x, y = random_array(rng, (3, 4, 6), dt), random_array(rng, (3, 6, 2), dt)
    for la, ta, _ in layouts(a):
        for lb, tb, _ in layouts(b):
            _check(nt.mm(ta, tb), _ref_matmul(a, b), dt, 6, f"mm {la} {lb}")
            _check(ta.mm(tb), _ref_matmul(a, b), dt, 6, f"mm {la} {lb}")
        for lv, tv, _ in layouts(v):
            _check(nt.mv(ta, tv), _ref_matmul(a, v), dt, 6, f"mv {la} {lv}")
            _check(ta.mv(tv), _ref_matmul(a, v), dt, 6, f"mv {la} {lv}")
    for lx, tx, _ in layouts(x):
        for ly, ty, _ in layouts(y):
            _check(nt.bmm(tx, ty), _ref_matmul(x, y), dt, 6, f"bmm {lx} {ly}")
            _check(tx.bmm(ty), _ref_matmul(x, y), dt, 6, f"bmm {lx} {ly}")
    for lv, tv, _ in layouts(v):
        _check(nt.dot(tv, nt.from_numpy(v)), _ref_matmul(v, v), dt, 6, f"dot {lv}")
        _check(tv.dot(tv), _ref_matmul(v, v), dt, 6, f"dot {lv}")
        for lw, tw, _ in layouts(w):
            with np.errstate(over="ignore"):
                ref = np.multiply.outer(v.astype(np.float64 if dt.is_floating_point else np.int64), w)
            _check(nt.outer(tv, tw), ref, dt, 1, f"outer {lv} {lw}")
            _check(tv.ger(tw), ref, dt, 1, f"ger {lv} {lw}")


def test_mm_bmm_mv_dot_outer_errors():
    _raises(RuntimeError, "self must be a matrix", nt.mm, nt.zeros(3), nt.zeros(3, 2))
    _raises(RuntimeError, "mat2 must be a matrix", nt.mm, nt.zeros(2, 3), nt.zeros(3))
    _raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)", nt.mm, nt.zeros(2, 3),
            nt.zeros(4, 5, dtype=nt.float64))
    _raises(RuntimeError, "batch1 must be a 3D tensor", nt.bmm, nt.zeros(3, 4), nt.zeros(2, 4, 2))
    _raises(RuntimeError, "batch2 must be a 3D tensor", nt.bmm, nt.zeros(2, 3, 4), nt.zeros(4, 2))
    _raises(RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].",
            nt.bmm, nt.zeros(2, 3, 4), nt.zeros(3, 4, 2))
    _raises(RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5].",
            nt.bmm, nt.zeros(2, 3, 4), nt.zeros(2, 5, 2))
    _raises(RuntimeError, "size mismatch, got input (2), mat (2x3), vec (4)", nt.mv, nt.ones(2, 3), nt.ones(4))
    _raises(RuntimeError, "vector + matrix @ vector expected, got 1, 2, 2", nt.mv, nt.ones(2, 3), nt.ones(3, 1))
    _raises(RuntimeError, "addmv input tensors must have the same dtype, but got Float, Double, and Float", nt.mv,
            nt.ones(2, 3, dtype=nt.float64), nt.ones(3))
    _raises(RuntimeError, "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of "
            "elements, but got 3 and 4 elements respectively", nt.dot, nt.ones(3), nt.ones(4))
    _raises(RuntimeError, "dot : expected both vectors to have same dtype, but found Float and Double", nt.dot,
            nt.ones(3), nt.ones(3, dtype=nt.float64))
    _raises(RuntimeError, "dot : expected both vectors to have same dtype, but found Char and Byte", nt.dot,
            nt.ones(3, dtype=nt.int8), nt.ones(3, dtype=nt.uint8))
    _raises(RuntimeError, "1D tensors expected, but got 2D and 1D tensors", nt.dot, nt.ones(3, 1), nt.ones(3))
    _raises(RuntimeError, "outer: Expected 1-D argument self, but got 2-D", nt.outer, nt.ones(2, 1), nt.ones(2))
    _raises(RuntimeError, "outer: Expected 1-D argument vec2, but got 2-D", nt.outer, nt.ones(2), nt.ones(2, 2))
    assert nt.outer(nt.tensor([1, 2]), nt.tensor([1.0, 2.0])).dtype is nt.float32  # outer promotes, as mul
    assert nt.outer(nt.ones(2, dtype=nt.int64), nt.ones(2, dtype=nt.bool)).dtype is nt.int64


# ----------------------------------------------------------------------------------------------------------
# addmm / baddbmm / addmv
# ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int64, nt.int32, nt.float16], ids=str)
def test_addmm_baddbmm_addmv(dt, rng):
    a, b = random_array(rng, (4, 6), dt), random_array(rng, (6, 3), dt)
    x, y = random_array(rng, (2, 4, 6), dt), random_array(rng, (2, 6, 3), dt)
    v = random_array(rng, (6,), dt)
    acc = np.float64 if dt.is_floating_point else np.int64
    for beta, alpha in ((1, 1), (0.5, 2), (0, 1), (2, 0), (-1, 3)):
        if not dt.is_floating_point:
            beta, alpha = int(beta), int(alpha)  # torch truncates them for integer tensors
        for inp_shape in ((4, 3), (3,), (1, 3), (4, 1), ()):
            inp = random_array(rng, inp_shape, dt)
            ref = beta * inp.astype(acc) + alpha * _ref_matmul(a, b)
            got = nt.addmm(nt.from_numpy(inp), nt.from_numpy(a), nt.from_numpy(b), beta=beta, alpha=alpha)
            _check(got, np.broadcast_to(ref, (4, 3)), dt, 6, f"addmm beta={beta} alpha={alpha} {inp_shape}")
        inp = random_array(rng, (2, 4, 3), dt)
        for lx, tx, _ in layouts(x):
            got = nt.baddbmm(nt.from_numpy(inp), tx, nt.from_numpy(y), beta=beta, alpha=alpha)
            _check(got, beta * inp.astype(acc) + alpha * _ref_matmul(x, y), dt, 6, f"baddbmm {beta} {alpha} {lx}")
        got = nt.from_numpy(inp[0, :, 0]).addmv(nt.from_numpy(a), nt.from_numpy(v), beta=beta, alpha=alpha)
        _check(got, beta * inp[0, :, 0].astype(acc) + alpha * _ref_matmul(a, v), dt, 6, f"addmv {beta} {alpha}")
    t = nt.from_numpy(random_array(rng, (4, 3), dt))
    assert t.addmm(nt.from_numpy(a), nt.from_numpy(b)).shape == (4, 3)


def test_addmm_beta_alpha_rules():
    nan, inf = float("nan"), float("inf")
    # beta == 0 ignores input, NaN included
    assert nt.addmm(nt.tensor([nan]), nt.ones(2, 3), nt.ones(3, 2), beta=0).tolist() == [[3.0, 3.0]] * 2
    r = nt.baddbmm(nt.full((2, 2, 2), nan), nt.ones(2, 2, 3), nt.ones(2, 3, 2), beta=0)
    assert r.tolist() == [[[3.0, 3.0]] * 2] * 2
    assert nt.addmv(nt.full((2,), inf), nt.ones(2, 3), nt.ones(3), beta=0).tolist() == [3.0, 3.0]
    # alpha == 0 ignores the product (inf * 0 would be nan)
    assert nt.addmm(nt.ones(2, 2), nt.full((2, 3), inf), nt.ones(3, 2), alpha=0).tolist() == [[1.0, 1.0]] * 2
    assert nt.addmm(nt.ones(2, 2), nt.ones(2, 3), nt.ones(3, 2), beta=0, alpha=0).tolist() == [[0.0, 0.0]] * 2
    assert nt.addmm(nt.ones(2, 2), nt.ones(2, 3), nt.ones(3, 2), beta=0.5, alpha=2).tolist() == [[6.5, 6.5]] * 2
    ints = (nt.ones(2, 2, dtype=nt.int64), nt.ones(2, 3, dtype=nt.int64), nt.ones(3, 2, dtype=nt.int64))
    assert nt.addmm(*ints, beta=2, alpha=3).tolist() == [[11, 11]] * 2
    assert nt.addmm(*ints, beta=0.5).tolist() == [[3, 3]] * 2 and nt.addmm(*ints, beta=0.5).dtype is nt.int64
    assert nt.addmm(*ints, beta=1.5, alpha=2.7).tolist() == [[7, 7]] * 2
    assert nt.baddbmm(nt.ones(2, 2), nt.ones(2, 2, 3), nt.ones(2, 3, 2)).shape == (2, 2, 2)


def test_addmm_errors():
    _raises(RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
            "dimension 1.  Target sizes: [2, 2].  Tensor sizes: [3]", nt.addmm, nt.ones(3), nt.ones(2, 3),
            nt.ones(3, 2))
    _raises(RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
            "dimension 1.  Target sizes: [2, 2].  Tensor sizes: [3]", nt.addmm, nt.ones(3), nt.ones(2, 3),
            nt.ones(3, 2), beta=0)
    _raises(RuntimeError, "expand(torch.FloatTensor{[2, 2, 2]}, size=[2, 2]): the number of sizes provided (2) must "
            "be greater or equal to the number of dimensions in the tensor (3)", nt.addmm, nt.ones(2, 2, 2),
            nt.ones(2, 3), nt.ones(3, 2))
    _raises(RuntimeError, "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
            "dimension 0.  Target sizes: [2, 2, 2].  Tensor sizes: [3, 2, 2]", nt.baddbmm, nt.ones(3, 2, 2),
            nt.ones(2, 2, 3), nt.ones(2, 3, 2))
    _raises(RuntimeError, "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)", nt.addmm, nt.ones(2, 2),
            nt.ones(2, 3), nt.ones(4, 2))
    _raises(RuntimeError, "mat1 must be a matrix, got 3-D tensor", nt.addmm, nt.ones(2, 2), nt.ones(2, 3, 1),
            nt.ones(4, 2))
    _raises(RuntimeError, "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [2, 4].",
            nt.baddbmm, nt.ones(2, 2, 2), nt.ones(2, 2, 3), nt.ones(2, 4, 2))
    _raises(RuntimeError, "self and mat2 must have the same dtype, but got Double and Float", nt.addmm,
            nt.ones(2, 2, dtype=nt.float64), nt.ones(2, 3), nt.ones(3, 2))
    _raises(RuntimeError, "self and mat2 must have the same dtype, but got Float and Double", nt.addmm, nt.ones(2, 2),
            nt.ones(2, 3), nt.ones(3, 2, dtype=nt.float64))
    _raises(RuntimeError, "mat1 and mat2 must have the same dtype, but got Double and Float", nt.addmm, nt.ones(2, 2),
            nt.ones(2, 3, dtype=nt.float64), nt.ones(3, 2))
    _raises(RuntimeError, "Input dtypes must be the same, got: input double, batch1: float, batch2: float",
            nt.baddbmm, nt.ones(2, 2, 2, dtype=nt.float64), nt.ones(2, 2, 3), nt.ones(2, 3, 2))
    _raises(RuntimeError, "expected scalar type Float but found Double", nt.baddbmm, nt.ones(2, 2, 2),
            nt.ones(2, 2, 3), nt.ones(2, 3, 2, dtype=nt.float64))
    _raises(RuntimeError, "addmv input tensors must have the same dtype, but got Double, Float, and Float", nt.addmv,
            nt.ones(2, dtype=nt.float64), nt.ones(2, 3), nt.ones(3))
    with pytest.raises(TypeError):
        nt.ones(2, 2).addmm(nt.ones(2, 3), nt.ones(3, 2), 2, 1)  # beta and alpha are keyword-only


# ----------------------------------------------------------------------------------------------------------
# einsum
# ----------------------------------------------------------------------------------------------------------
EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]), ("i,i->", [(5,), (5,)]),
    ("ij->ji", [(2, 3)]), ("ij->j", [(2, 3)]), ("i,j->ij", [(2,), (3,)]), ("ij,jk", [(2, 3), (3, 4)]),
    ("ij", [(2, 3)]), ("ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]), ("i,i,i->", [(2,), (2,), (2,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,kl->ijkl", [(2, 3), (4, 5)]), ("bi,bi->b", [(2, 3), (2, 3)]), ("ab,cd", [(1, 2), (3, 4)]),
    ("iI", [(2, 3)]), ("b,a", [(2,), (3,)]), ("ij,j->i", [(2, 1), (3,)]), ("ij,ij->", [(2, 3), (2, 1)]),
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->ji", [(2, 2, 3)]), ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...i->...", [(2, 3, 4)]), ("i...->i", [(2, 3, 4)]), ("...i", [(2, 3, 4)]),
    ("i...,i...->...", [(2, 3), (2, 1)]), ("ab...,b...->a...", [(2, 3, 4), (3, 4)]), ("i...,j...", [(2, 3), (4, 3)]),
    ("...", [(2, 3)]), ("...->", [(2, 3)]), ("i...i->...", [(2, 2, 2)]), ("...j,...j->...", [(2, 1, 3), (4, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]), ("ij,->ij", [(2, 3), ()]), ("->", [()]),
    ("ij,jk->ik", [(2, 0), (0, 3)]), ("i,j->ij", [(0,), (3,)]), ("bij,bjk->bik", [(0, 2, 3), (0, 3, 4)]),
]


# NumPy refuses to sum ellipsis dims away (torch sums them): the reference spells those dims out
NUMPY_EQ = {"i...->i": "ijk->i", "...->": "ij->"}


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int64], ids=str)
def test_einsum_matches_numpy(eq, shapes, dt, rng):
    arrays = [random_array(rng, s, dt) for s in shapes]
    acc = np.float64 if dt.is_floating_point else np.int64
    expected = np.einsum(NUMPY_EQ.get(eq, eq.replace(" ", "")), *[a.astype(acc) for a in arrays])
    got = nt.einsum(eq, *[nt.from_numpy(a) for a in arrays])
    assert got.dtype is dt
    _check(got, expected, dt, 4, eq)
    if len(arrays) == 2:  # non-contiguous operands, and the list form
        ta = [t for _, t, _ in layouts(arrays[0])][-1]
        got2 = nt.einsum(eq, [ta, nt.from_numpy(arrays[1])])
        _check(got2, expected, dt, 4, eq + " (layout)")


def test_einsum_views_and_dtypes():
    x = nt.ones(2, 3)
    assert nt.einsum("ij->ij", x).data_ptr() == x.data_ptr()  # a permutation is a view, as in torch
    assert nt.einsum("ij->ji", x).data_ptr() == x.data_ptr()
    d = nt.arange(9.0).reshape(3, 3)
    diag = nt.einsum("ii->i", d)
    assert diag.tolist() == [0.0, 4.0, 8.0] and diag.data_ptr() == d.data_ptr()
    # dtype rules: pure sums promote ints to int64, products keep the dtype (wrapping), mixing needs same dtype
    assert nt.einsum("ij->j", nt.ones(2, 3, dtype=nt.int32)).dtype is nt.int64
    assert nt.einsum("ij->j", nt.ones(2, 3, dtype=nt.bool)).dtype is nt.int64
    assert nt.einsum("ij->ji", nt.ones(2, 3, dtype=nt.bool)).dtype is nt.bool
    assert nt.einsum("i,j", nt.ones(2, dtype=nt.bool), nt.ones(3, dtype=nt.bool)).tolist() == [[True] * 3] * 2
    assert nt.einsum("i,i", nt.tensor([1, 2], dtype=nt.uint8) * 100, nt.tensor([2, 2], dtype=nt.uint8)).item() == 88
    assert nt.einsum("ij,ij->i", nt.ones(2, 3, dtype=nt.int8) * 100, nt.ones(2, 3, dtype=nt.int8)).tolist() == [44, 44]
    assert nt.einsum("ij->", nt.ones(2, 3, dtype=nt.int8) * 100).item() == 600
    assert nt.einsum("ij,jk->ik", nt.ones(2, 3, dtype=nt.float16), nt.ones(3, 4, dtype=nt.float16)).dtype is nt.float16
    assert nt.einsum("i,i->i", nt.ones(2, dtype=nt.float64), nt.ones(2)).dtype is nt.float64  # no sum: promotes


def test_einsum_errors():
    _raises(RuntimeError, "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously "
            "seen size 3", nt.einsum, "ij,jk->ik", nt.ones(2, 3), nt.ones(4, 4))
    _raises(RuntimeError, "einsum(): fewer operands were provided than specified in the equation", nt.einsum,
            "ij,jk->ik", nt.ones(2, 3))
    _raises(RuntimeError, "einsum(): more operands were provided than specified in the equation", nt.einsum,
            "i,i->", nt.ones(3), nt.ones(3), nt.ones(3))
    _raises(RuntimeError, "einsum(): output subscript k does not appear in the equation for any input operand",
            nt.einsum, "ij->k", nt.ones(2, 3))
    _raises(RuntimeError, "einsum(): output subscript i appears more than once in the output", nt.einsum, "ij->ii",
            nt.ones(2, 3))
    _raises(RuntimeError, "einsum(): the number of subscripts in the equation (1) does not match the number of "
            "dimensions (2) for operand 0 and no ellipsis was given", nt.einsum, "i->", nt.ones(2, 3))
    _raises(RuntimeError, "einsum(): invalid subscript given at index 1 in the equation string, subscripts must be in "
            "[a-zA-Z]", nt.einsum, "i2", nt.ones(2, 3))
    _raises(RuntimeError, "einsum(): invalid subscript given at index 5 in the equation string, subscripts must be in "
            "[a-zA-Z]", nt.einsum, "ij->i->", nt.ones(2, 3))
    _raises(RuntimeError, "expected scalar type Double but found Float", nt.einsum, "ij,jk->ik",
            nt.ones(2, 3, dtype=nt.float64), nt.ones(3, 4))
    _raises(RuntimeError, "expected scalar type Long but found Int", nt.einsum, "ij,jk->ik",
            nt.ones(2, 3, dtype=nt.int64), nt.ones(3, 4, dtype=nt.int32))


@pytest.mark.parametrize("dt", [nt.float32, nt.float64, nt.int64])
def test_mm_with_a_transposed_weight_takes_the_transposed_product_path(dt, rng):
    # x @ W.t() with few rows: computed as (W @ x.t()).t(); result must be exact and C-contiguous
    x = random_array(rng, (9, 37), dt)
    w = random_array(rng, (40, 37), dt)
    res = nt.from_numpy(x) @ nt.from_numpy(w).t()
    assert res.is_contiguous() and res.shape == (9, 40)
    tol = dict(rtol=1e-5, atol=1e-3) if dt is nt.float32 else dict(rtol=1e-12)
    np.testing.assert_allclose(res.numpy(), x @ w.T, **tol)


def test_vector_and_matrix_norm_take_dtype():
    a = np.random.default_rng(3).standard_normal((3, 4)).astype(np.float32)
    v = nt.linalg.vector_norm(nt.tensor(a), dtype=nt.float64)
    assert v.dtype is nt.float64
    np.testing.assert_allclose(v.item(), np.linalg.norm(a.astype(np.float64)), rtol=1e-12)
    m = nt.linalg.matrix_norm(nt.tensor(a), dtype=nt.float64)
    assert m.dtype is nt.float64
    np.testing.assert_allclose(m.item(), np.linalg.norm(a.astype(np.float64), "fro"), rtol=1e-12)
