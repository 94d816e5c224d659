"""Indexing ops on CUDA tensors against the same ops on CPU tensors (the oracle: the CPU path is tested against
NumPy and reference loops in tests/test_indexing.py): values, dtype, shape and device of every result, negative
indices, non-contiguous inputs, repeated indices for the reductions, the CPU's errors for bad indices (raised
before anything is written), mixed devices, and gradients (CUDA against CPU).

Shapes stay at a few dozen elements: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import check, pair, to_cuda

import ntorch as nt

F16, F32, F64, I32, I64, BOOL = nt.float16, nt.float32, nt.float64, nt.int32, nt.int64, nt.bool
DTYPES = [F32, F64, I64, F16, BOOL]
NUMERIC = [F32, F64, I64, F16]
LAYOUTS = ["contiguous", "transposed", "stepped", "expanded"]
TOL = {F16: 2e-3, F32: 1e-5, F64: 1e-12}


# -- helpers ------------------------------------------------------------------------------------------------

def rand(shape, dt, seed=0) -> np.ndarray:
    """Random host values of an ntorch dtype (small integers, about half True for bool)."""
    rng = np.random.default_rng(seed)
    if dt is BOOL:
        return rng.random(shape) > 0.5
    if dt.is_floating_point:
        return rng.uniform(-3, 3, shape).astype(dt.np)
    return rng.integers(-5, 6, shape).astype(dt.np)


def ipair(values, dt=I64):
    """(CPU, CUDA) index tensors."""
    cpu = nt.tensor(values, dtype=dt)
    return cpu, to_cuda(cpu)


def same_error(fn, cpu_args, dev_args, unchanged=None):
    """fn raises the same exception type and message on the CPU and on CUDA; `unchanged`: a (cpu, cuda) pair
    that must hold the same values as before (nothing was written before the error)."""
    before = None if unchanged is None else unchanged[1].cpu().numpy().copy()
    with pytest.raises(Exception) as want:
        fn(*cpu_args)
    with pytest.raises(type(want.value)) as got:
        fn(*dev_args)
    assert str(got.value) == str(want.value)
    if unchanged is not None:
        np.testing.assert_array_equal(unchanged[1].cpu().numpy(), before)


def grads(fn, arrays: list, *rest):
    """Gradients of fn(*leaves, *rest).sum() w.r.t. each leaf, on CUDA and on the CPU (rest: (cpu, cuda) pairs
    or plain values); the output is weighted so every element gets a different gradient."""
    out = []
    for k in (0, 1):
        leaves = [nt.from_numpy(a.copy()).to("cpu" if k == 0 else "cuda").requires_grad_() for a in arrays]
        args = [r[k] if isinstance(r, tuple) else r for r in rest]
        y = fn(*leaves, *args)
        w = nt.from_numpy(np.arange(1, y.numel() + 1, dtype=y.dtype.np).reshape(tuple(y.shape)))
        (y * w.to(y.device)).sum().backward()
        out.append([t.grad for t in leaves])
    return out[1], out[0]


def check_grads(fn, arrays, *rest, tol=1e-5):
    got, want = grads(fn, arrays, *rest)
    for g, w in zip(got, want):
        check(g, w, tol, "gradient")


# -- getitem ------------------------------------------------------------------------------------------------

GETITEM = {
    "rows": lambda x, i: x[i],
    "cols": lambda x, i: x[:, i],
    "sliced": lambda x, i: x[1:, i],
    "int_then_index": lambda x, i: x[0, i],
    "ellipsis": lambda x, i: x[..., i],
    "index_then_slice": lambda x, i: x[i, 1:3],
    "new_axis": lambda x, i: x[None, i],
}


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("form", list(GETITEM))
def test_getitem_index_tensor(form, dt):
    x = pair(rand((3, 4), dt, seed=1), "transposed")
    i = ipair([[2, -1], [0, -3]])  # 2-d, negative, in range for both dims
    fn = GETITEM[form]
    check(fn(x[1], i[1]), fn(x[0], i[0]), msg=form)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_getitem_layouts_and_index_dtypes(layout):
    x = pair(rand((3, 5), F32, seed=2), layout)
    for dt in (I64, I32):
        i = ipair([4, -5, 1, 1], dt)
        check(x[1][:, i[1]], x[0][:, i[0]], msg=f"{layout} {dt.name}")
        check(x[1][i[1][:3] % 3], x[0][i[0][:3] % 3], msg=f"{layout} {dt.name} rows")
    i = ipair([], I64)
    check(x[1][i[1]], x[0][i[0]], msg="empty index")
    big = pair(rand((2, 3, 4), F64, seed=3), layout)
    i = ipair([3, 0, -2])
    check(big[1][1, :, i[1]], big[0][1, :, i[0]], msg="3-d")


def test_getitem_host_indices_and_several_arrays():
    x = pair(rand((3, 4), F32, seed=4), "stepped")
    i, j = ipair([0, 2, -1]), ipair([[1], [3]])
    check(x[1][i[1], j[1]], x[0][i[0], j[0]], msg="two CUDA index arrays (broadcast)")
    check(x[1][i[1], 1:, None], x[0][i[0], 1:, None], msg="index, slice, None")
    check(x[1][i[0]], x[0][i[0]], msg="CPU index tensor, CUDA self")
    check(x[1][[2, 0]], x[0][[2, 0]], msg="list index")
    mask = x[0] > 0
    check(x[1][mask], x[0][mask], msg="CPU mask, CUDA self")


def test_getitem_errors():
    x = pair(rand((3, 4), F32))
    for values in ([0, 3], [-4], [[1, 2], [5, 0]]):
        i = ipair(values)
        same_error(lambda a, b: a[b], (x[0], i[0]), (x[1], i[1]))
        same_error(lambda a, b: a[:, b * 2], (x[0], i[0]), (x[1], i[1]))
    i, j = ipair([0, 1]), ipair([0, 7])
    same_error(lambda a, b, c: a[b, c], (x[0], i[0], j[0]), (x[1], i[1], j[1]))
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same device"):
        x[0][i[1]]
    m = x[1] > 0  # a CUDA mask indexes a CUDA tensor (tests/cuda/test_mask_cuda.py has the rest)
    check(x[1][m], x[0][m.cpu()], msg="CUDA mask")
    with pytest.raises(IndexError, match="tensors used as indices must be long, int, byte or bool"):
        x[1][x[1]]


# -- index_select, gather, take, take_along_dim -------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_index_select(layout, dt):
    x = pair(rand((3, 4), dt, seed=5), layout)
    for dim, values in ((0, [2, 0, 2]), (1, [3, 1]), (-1, [0])):
        for idt in (I64, I32):
            i = ipair(values, idt)
            check(nt.index_select(x[1], dim, i[1]), nt.index_select(x[0], dim, i[0]), msg=f"dim {dim} {idt.name}")
    i = ipair(0)
    check(x[1].index_select(1, i[1]), x[0].index_select(1, i[0]), msg="0-d index")
    s = pair(np.array(2.5, dt.np))
    check(s[1].index_select(0, i[1]), s[0].index_select(0, i[0]), msg="0-d input")


def test_index_select_out_and_errors():
    x = pair(rand((3, 4), F32, seed=6))
    i = ipair([1, 2])
    out = nt.empty((2, 4), device="cuda")
    nt.index_select(x[1], 0, i[1], out=out)
    check(out, nt.index_select(x[0], 0, i[0]), msg="out=")
    for values in ([0, 3], [-1], [0, -3]):  # index_select takes no negative indices
        b = ipair(values)
        same_error(lambda a, c: a.index_select(0, c), (x[0], b[0]), (x[1], b[1]))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x[1].index_select(0, i[0])


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gather(layout, dt):
    x = pair(rand((3, 4), dt, seed=7), layout)
    idx = {0: [[2, 0, 1, 1], [0, 0, 2, 1]], 1: [[3, 0], [1, 1], [2, 0]], -1: [[0]]}
    for dim, values in idx.items():
        for idt in (I64, I32):
            i = ipair(values, idt)
            check(x[1].gather(dim, i[1]), x[0].gather(dim, i[0]), msg=f"dim {dim} {idt.name}")
    i = ipair(1)
    v = pair(rand((3,), dt))
    check(v[1].gather(0, i[1]), v[0].gather(0, i[0]), msg="0-d index")


def test_gather_errors():
    x = pair(rand((3, 4), F64))
    for values in ([[0, 4]], [[-1, 0]], [[0], [4]]):
        i = ipair(values)
        same_error(lambda a, b: a.gather(1, b), (x[0], i[0]), (x[1], i[1]))
    i = ipair([[0, 1]])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x[1].gather(0, i[0])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x[0].gather(0, i[1])


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_take(layout, dt):
    x = pair(rand((3, 4), dt, seed=8), layout)
    for values in ([11, 0, -1, -12, 5], [[3, 3], [7, -2]], 4, []):
        i = ipair(values)
        check(x[1].take(i[1]), x[0].take(i[0]), msg=str(values))


def test_take_errors():
    x = pair(rand((3, 4), F32), "transposed")
    for values in ([0, 12], [-13]):
        i = ipair(values)
        same_error(nt.take, (x[0], i[0]), (x[1], i[1]))
    e, i = pair(np.zeros((0, 2), np.float32)), ipair([0])
    same_error(nt.take, (e[0], i[0]), (e[1], i[1]))


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_take_along_dim(dt):
    x = pair(rand((3, 4), dt, seed=9), "stepped")
    for dim, values in ((1, [[0, -1], [3, 2], [1, 1]]), (0, [[2, -3, 0, 1]]), (1, [[2], [0], [-4]]),
                        (0, [[1], [2]]), (None, [11, -12, 3])):
        i = ipair(values)
        check(nt.take_along_dim(x[1], i[1], dim), nt.take_along_dim(x[0], i[0], dim), msg=f"dim {dim} {values}")
    i = ipair([[0, 4, -6, 9]])  # along a dim torch 2.13 reads indices modulo the dim's size (4 -> 0, -6 -> 2)
    check(nt.take_along_dim(x[1], i[1], 1), nt.take_along_dim(x[0], i[0], 1), msg="indices past the dim")
    i = ipair([12])  # flattened: gather's out-of-bounds error on both devices
    same_error(lambda a, b: nt.take_along_dim(a, b), (x[0], i[0]), (x[1], i[1]))


# -- scatter family -----------------------------------------------------------------------------------------

def distinct_rows(shape, n, seed):
    """An index of `shape` whose columns are permutations of range(n) (first shape[0] of them): no position is
    written twice, so the result of a plain scatter does not depend on the order of the writes."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(n)[:shape[0]] for _ in range(shape[1])], axis=1)


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("layout", LAYOUTS[:3])
def test_scatter(layout, dt):
    self_ = rand((4, 3), dt, seed=10)
    src = pair(rand((3, 4), dt, seed=11), layout)  # larger than the index in dim 1
    i = ipair(distinct_rows((2, 3), 4, seed=12))
    x = pair(self_, layout)
    check(x[1].scatter(0, i[1], src[1]), x[0].scatter(0, i[0], src[0]), msg="src")
    check(x[1].scatter(0, i[1], 1), x[0].scatter(0, i[0], 1), msg="scalar")
    t = ipair(distinct_rows((3, 4), 3, seed=13).T.copy())  # along dim 1 (columns of self are 3 wide)
    check(x[1].scatter(1, t[1], src[1].t()), x[0].scatter(1, t[0], src[0].t()), msg="dim 1")
    # in place, through the (non-contiguous) view itself
    x[1].scatter_(-2, i[1], src[1])
    x[0].scatter_(-2, i[0], src[0])
    check(x[1], x[0], msg="scatter_")
    x[1].scatter_(0, i[1], value=0)
    x[0].scatter_(0, i[0], value=0)
    check(x[1], x[0], msg="scatter_ value")


@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_scatter_add_repeated_indices(dt):
    x = pair(rand((3, 4), dt, seed=14), "transposed")
    src = pair(rand((5, 4), dt, seed=15), "stepped")
    i = ipair(np.random.default_rng(16).integers(0, 3, (5, 4)))  # every row target gets several values
    tol = TOL.get(dt)
    check(x[1].scatter_add(0, i[1], src[1]), x[0].scatter_add(0, i[0], src[0]), tol, "scatter_add")
    j = ipair(np.random.default_rng(17).integers(0, 4, (3, 6)))
    s2 = pair(rand((3, 6), dt, seed=18))
    x[1].scatter_add_(1, j[1], s2[1])
    x[0].scatter_add_(1, j[0], s2[0])
    check(x[1], x[0], tol, "scatter_add_")
    check(x[1].scatter(0, i[1], src[1], reduce="add"), x[0].scatter(0, i[0], src[0], reduce="add"), tol, "reduce=add")


REDUCTIONS = [(r, dt) for r in ("sum", "prod", "amax", "amin", "mean") for dt in NUMERIC + [BOOL]
              if not (r == "mean" and dt is BOOL)]  # (mean of bool raises: tested below)


@pytest.mark.parametrize("reduce,dt", REDUCTIONS, ids=[f"{r}-{d.name}" for r, d in REDUCTIONS])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, dt, include_self):
    x = pair(rand((3, 4), dt, seed=19), "stepped")
    src = pair(rand((4, 5), dt, seed=20), "transposed")
    i = ipair(np.random.default_rng(21).integers(0, 3, (4, 4)))  # repeated targets, one row never hit
    want = x[0].scatter_reduce(0, i[0], src[0], reduce, include_self=include_self)
    got = x[1].scatter_reduce(0, i[1], src[1], reduce, include_self=include_self)
    check(got, want, TOL.get(dt), f"{reduce} include_self={include_self}")
    x[1].scatter_reduce_(1, i[1][:3], src[1][:3], reduce, include_self=include_self)
    x[0].scatter_reduce_(1, i[0][:3], src[0][:3], reduce, include_self=include_self)
    check(x[1], x[0], TOL.get(dt), "in place")


def test_scatter_reduce_nan_and_errors():
    x = pair(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    src = pair(np.array([[np.nan, 5.0], [0.5, 1.0]], np.float32))
    i = ipair([[0, 0], [0, 1]])
    for reduce in ("amax", "amin"):
        check(x[1].scatter_reduce(0, i[1], src[1], reduce), x[0].scatter_reduce(0, i[0], src[0], reduce), msg=reduce)
    for reduce in ("prod",):  # NaN and repeated positions through the compare-and-swap loop
        check(x[1].scatter_reduce(0, i[1], src[1], reduce), x[0].scatter_reduce(0, i[0], src[0], reduce), msg=reduce)
    check(x[1].scatter(0, i[1], src[1], reduce="multiply"), x[0].scatter(0, i[0], src[0], reduce="multiply"),
          msg="multiply")
    check(x[1].scatter_reduce(0, i[1], src[1], "prod", include_self=False),
          x[0].scatter_reduce(0, i[0], src[0], "prod", include_self=False), msg="prod without self")
    b = pair(np.array([True, False]))
    same_error(lambda a, j: a.scatter_reduce(0, j, a, "mean"), (b[0], ipair([0, 1])[0]), (b[1], ipair([0, 1])[1]))


def test_scatter_errors_before_writes():
    x = pair(rand((3, 4), F32, seed=22))
    src = pair(rand((2, 4), F32, seed=23))
    for values in ([[0, 1, 2, 3], [1, 3, 0, 0]], [[0, -1, 0, 0], [1, 1, 1, 1]]):  # scatter takes no negatives
        i = ipair(values)
        same_error(lambda a, b, c: a.scatter_(0, b, c), (x[0], i[0], src[0]), (x[1], i[1], src[1]), x)
        same_error(lambda a, b, c: a.scatter_add_(0, b, c), (x[0], i[0], src[0]), (x[1], i[1], src[1]), x)
        same_error(lambda a, b, c: a.scatter_reduce_(0, b, c, "amax"), (x[0], i[0], src[0]), (x[1], i[1], src[1]),
                   x)
    i = ipair([[0, 1]])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x[1].scatter_add_(0, i[1], src[0])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x[1].scatter_(0, i[0], 1.0)


# -- index_add ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", NUMERIC, ids=lambda d: d.name)
@pytest.mark.parametrize("layout", LAYOUTS[:3])
def test_index_add(layout, dt):
    x = pair(rand((3, 4), dt, seed=24), layout)
    for dim, values, shape in ((0, [2, 0, 2, 1], (4, 4)), (1, [3, 3, 0], (3, 3)), (-1, [1], (3, 1))):
        src = pair(rand(shape, dt, seed=25), layout)
        for idt in (I64, I32):
            i = ipair(values, idt)
            for alpha in (1, 3):
                check(x[1].index_add(dim, i[1], src[1], alpha=alpha), x[0].index_add(dim, i[0], src[0], alpha=alpha),
                      TOL.get(dt), f"dim {dim} {idt.name} alpha {alpha}")
    src = pair(rand((3, 2), dt, seed=26))
    i = ipair([1, 1])
    x[1].index_add_(1, i[1], src[1], alpha=2)
    x[0].index_add_(1, i[0], src[0], alpha=2)
    check(x[1], x[0], TOL.get(dt), "index_add_")


def test_index_add_errors():
    x = pair(rand((3, 4), F32))
    src = pair(rand((2, 4), F32))
    for values in ([0, 3], [-1, 0]):  # index_add takes no negative indices either
        i = ipair(values)
        same_error(lambda a, b, c: a.index_add_(0, b, c), (x[0], i[0], src[0]), (x[1], i[1], src[1]), x)
    i = ipair([0, 1])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        x[1].index_add_(0, i[1], src[0])


# -- put, index_put and advanced setitem (the backward of take and getitem) ----------------------------------

@pytest.mark.parametrize("dt", DTYPES, ids=lambda d: d.name)
def test_put_and_index_put(dt):
    x = pair(rand((3, 4), dt, seed=27), "transposed")
    v = pair(rand((3,), dt, seed=28))
    i = ipair([5, -1, 0])
    check(x[1].put(i[1], v[1]), x[0].put(i[0], v[0]), msg="put")
    j = ipair([5, 5, -7])  # repeated
    check(x[1].put(j[1], v[1], accumulate=True), x[0].put(j[0], v[0], accumulate=True), TOL.get(dt), "put acc")
    r = ipair([2, -3, 2])
    rows = pair(rand((3, 4), dt, seed=29))
    check(x[1].index_put((r[1],), rows[1], accumulate=True), x[0].index_put((r[0],), rows[0], accumulate=True),
          TOL.get(dt), "index_put acc")
    c = ipair([1, -1])
    check(x[1].index_put((r[1][:2], c[1]), v[1][:1]), x[0].index_put((r[0][:2], c[0]), v[0][:1]), msg="index_put")
    x[1][:, c[1]] = v[1][:1]  # setitem with an index tensor and a broadcast value
    x[0][:, c[0]] = v[0][:1]
    check(x[1], x[0], msg="setitem")
    x[1][r[1][:2], 1:] = 0
    x[0][r[0][:2], 1:] = 0
    check(x[1], x[0], msg="setitem scalar")
    same_error(lambda a, b: a.put_(b, b.to(a.dtype)), (x[0], ipair([12])[0]), (x[1], ipair([12])[1]), x)


# -- gradients ----------------------------------------------------------------------------------------------

def test_grad_getitem_and_index_select():
    a = rand((4, 3), F64, seed=30)
    i = ipair([[3, -1], [0, 3]])  # repeated rows: their gradients add up
    check_grads(lambda x, j: x[j], [a], i)
    check_grads(lambda x, j: x[1:, j], [a], ipair([2, 0, -1, 2]))
    check_grads(lambda x, j: x.index_select(0, j), [a], ipair([1, 1, 3]))
    check_grads(lambda x, j: x.index_select(1, j), [a], ipair([2]))


def test_grad_gather_take_take_along_dim():
    a = rand((3, 4), F32, seed=31)
    check_grads(lambda x, j: x.gather(1, j), [a], ipair([[0, 0, 3], [1, 2, 1], [3, 3, 3]]))
    check_grads(lambda x, j: x.t().take(j), [a], ipair([11, -1, 0, 4]))
    check_grads(lambda x, j: nt.take_along_dim(x, j, 1), [a], ipair([[0, -1], [3, 3], [-4, 2]]))
    check_grads(lambda x, j: nt.take_along_dim(x, j), [a], ipair([7, -5, 7]))


def test_grad_scatter_family():
    a, s = rand((3, 4), F64, seed=32), rand((2, 5), F64, seed=33)
    i = ipair(distinct_rows((2, 4), 3, seed=34))
    check_grads(lambda x, y, j: x.scatter(0, j, y), [a, s], i)  # src larger than the index
    check_grads(lambda x, j: x.scatter(0, j, 2.0), [a], i)
    r = ipair([[0, 0, 2, 2], [0, 1, 2, 0]])
    check_grads(lambda x, y, j: x.scatter_add(0, j, y), [a, s], r)
    for reduce in ("sum", "mean", "amax", "amin", "prod"):
        for include_self in (True, False):
            check_grads(lambda x, y, j, red=reduce, inc=include_self: x.scatter_reduce(0, j, y, red, include_self=inc),
                        [a, s], r)
    zeros = a.copy()
    zeros[0, 0] = zeros[2, 1] = 0.0  # prod's backward with zeros takes the product of the other factors
    check_grads(lambda x, y, j: x.scatter_reduce(0, j, y, "prod"), [zeros, s], r)
    ties = np.array([[1.0, 2.0], [1.0, 0.0]])  # amax ties share the gradient
    check_grads(lambda x, y, j: x.scatter_reduce(0, j, y, "amax"), [np.array([[1.0, 5.0]]), ties],
                ipair([[0, 0], [0, 0]]))


def test_grad_index_add_and_index_put():
    a, s = rand((3, 4), F32, seed=35), rand((3, 2), F32, seed=36)
    i = ipair([3, 3])
    check_grads(lambda x, y, j: x.index_add(1, j, y, alpha=2), [a, s], i)
    check_grads(lambda x, y, j: x.index_put((j,), y, accumulate=True), [a, rand((2, 4), F32, seed=37)],
                ipair([0, 0]))
    check_grads(lambda x, y, j: x.index_put((j,), y), [a, rand((4,), F32, seed=38)], ipair([2, 0]))
