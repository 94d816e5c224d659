"""Boolean-mask indexing on CUDA tensors (x[mask], mask setitem, masked_select, masked_scatter(_), nonzero,
argwhere, where(cond)) against the same ops on CPU tensors (the oracle: tests/test_indexing.py checks the CPU
against NumPy) and NumPy itself: values, dtype, shape and device, bool and uint8 masks, masks over leading dims
and mixed with other indices, non-contiguous tensors and masks, empty / all-true / 0-d cases, the CPU's
errors, and gradients (CUDA against CPU). The count reaches the host once per op (as in PyTorch).

Shapes stay at a few dozen elements (the simulator runs every GPU thread as a Python thread); one test lowers
the scan thresholds so that the mask's running count takes the block-scan kernel in several chunks.
"""

from __future__ import annotations

import numpy as np
import pytest
from cuda_util import check as _check
from cuda_util import pair, to_cuda

import ntorch as nt

F16, F32, F64, I64, I32, U8, BOOL = nt.float16, nt.float32, nt.float64, nt.int64, nt.int32, nt.uint8, nt.bool
DTYPES = [F32, F64, F16, I64, I32, U8, BOOL]


def check(got, want, tol=None, msg="") -> None:
    _check(got, want, tol, msg, equal_nan=False)  # these tests compare NaN strictly


def rand(shape, dt, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dt is BOOL:
        return rng.random(shape) > 0.5
    if dt.is_floating_point:
        return rng.uniform(-3, 3, shape).astype(dt.np)
    return rng.integers(0 if dt is U8 else -5, 6, shape).astype(dt.np)


LAYOUTS = ["contiguous", "transposed", "stepped", "expanded"]


# -- x[mask], masked_select, nonzero --------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
def test_getitem_and_masked_select(dt):
    a = rand((4, 5), dt, seed=1)
    m = rand((4, 5), BOOL, seed=2)
    for layout in LAYOUTS:
        xc, xd = pair(a, layout)
        for mlayout in ("contiguous", "transposed"):
            mc, md = pair(m, mlayout)
            check(xd[md], xc[mc], msg=f"x[mask] {dt} {layout} {mlayout}")
            np.testing.assert_array_equal(xd[md].cpu().numpy(), np.asarray(xc.numpy())[m])
            check(nt.masked_select(xd, md), nt.masked_select(xc, mc), msg=f"masked_select {dt} {layout}")
    xc, xd = pair(a)
    mrow_c, mrow_d = pair(np.array([True, False, True, True]))
    check(xd[mrow_d], xc[mrow_c], msg="mask over dim 0")
    check(xd[mrow_d, 1:4:2], xc[mrow_c, 1:4:2], msg="mask with a slice")
    mcol_c, mcol_d = pair(np.array([False, True, True, False, True]))
    check(xd[:, mcol_d], xc[:, mcol_c], msg="mask over dim 1")
    check(xd[..., mcol_d], xc[..., mcol_c], msg="mask after an ellipsis")
    ic, idv = nt.tensor([3, 0, 3]), nt.tensor([3, 0, 3]).cuda()
    check(xd[idv, mcol_d], xc[ic, mcol_c], msg="mask with an index tensor (3 indices, 3 selected)")
    check(xd[idv, mcol_c], xc[ic, mcol_c], msg="CPU mask of a CUDA tensor")
    u8c, u8d = pair(np.where(m, 3, 0).astype(np.uint8))
    check(xd[u8d], xc[u8c], msg="uint8 mask (values != 0)")


def test_mask_edge_cases():
    a = rand((3, 4), F32, seed=3)
    xc, xd = pair(a)
    for m in (np.zeros((3, 4), bool), np.ones((3, 4), bool)):
        mc, md = pair(m)
        check(xd[md], xc[mc], msg=f"all {m.flat[0]}")
        check(nt.nonzero(md), nt.nonzero(mc), msg="nonzero all")
    e_c, e_d = pair(np.zeros((0, 4), np.float32))
    em_c, em_d = pair(np.zeros((0, 4), bool))
    check(e_d[em_d], e_c[em_c], msg="empty")
    s_c, s_d = nt.tensor(2.5), to_cuda(nt.tensor(2.5))
    for v in (True, False):
        check(s_d[to_cuda(nt.tensor(v))], s_c[nt.tensor(v)], msg=f"0-d tensor, 0-d mask {v}")
    check(nt.masked_select(xd, to_cuda(nt.tensor(True))), nt.masked_select(xc, nt.tensor(True)), msg="0-d mask")
    bc, bd = pair(np.array([True, False, True, False]))
    check(nt.masked_select(xd, bd), nt.masked_select(xc, bc), msg="mask broadcast over rows")
    rc, rd = pair(a[:1])
    mc, md = pair(rand((3, 4), BOOL, seed=4))
    check(nt.masked_select(rd, md), nt.masked_select(rc, mc), msg="input broadcast to the mask")
    out_c, out_d = nt.empty(0), nt.empty(0).cuda()
    nt.masked_select(xc, mc, out=out_c)
    assert nt.masked_select(xd, md, out=out_d) is out_d
    check(out_d, out_c, msg="out=")


@pytest.mark.parametrize("dt", [F32, I64, BOOL, F16])
def test_nonzero_argwhere_where(dt):
    for shape in [(4, 5), (2, 3, 4), (7,), (), (0, 3)]:
        a = rand(shape, dt, seed=5)
        if dt.is_floating_point and a.size:
            a = np.where(np.abs(a) < 1, 0, a).astype(dt.np)
            a.flat[0] = np.nan  # NaN is non-zero
        for layout in (LAYOUTS if len(shape) >= 2 and a.size else ["contiguous"]):
            xc, xd = pair(a, layout)
            check(nt.nonzero(xd), nt.nonzero(xc), msg=f"nonzero {shape} {layout}")
            np.testing.assert_array_equal(nt.nonzero(xd).cpu().numpy(), np.argwhere(np.asarray(xc.numpy())))
            check(xd.argwhere(), xc.argwhere(), msg="argwhere")
            tc, td = nt.nonzero(xc, as_tuple=True), xd.nonzero(as_tuple=True)
            assert len(tc) == len(td)
            for u, v in zip(td, tc):
                check(u, v, msg=f"as_tuple {shape} {layout}")
            if len(shape):
                for u, v in zip(nt.where(xd), nt.where(xc)):
                    check(u, v, msg="where(cond)")
    xc, xd = pair(rand((3, 3), I64))
    out_c, out_d = nt.empty(0, dtype=I64), nt.empty(0, dtype=I64).cuda()
    nt.nonzero(xc, out=out_c)
    nt.nonzero(xd, out=out_d)
    check(out_d, out_c, msg="nonzero out=")


def test_long_mask_takes_the_block_scan(monkeypatch):
    """A mask longer than SERIAL_N: its running count goes through the tiles kernel, in several chunks."""
    from ntorch.kernels.cuda import scan as S

    monkeypatch.setattr(S, "SERIAL_N", 8)
    monkeypatch.setattr(S, "CHUNK", 50)
    a = rand((9, 20), F64, seed=6)
    m = rand((9, 20), BOOL, seed=7)
    xc, xd = pair(a)
    mc, md = pair(m)
    check(xd[md], xc[mc], msg="x[mask]")
    check(nt.nonzero(md), nt.nonzero(mc), msg="nonzero")


# -- setitem, masked_scatter ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
def test_setitem(dt):
    a = rand((4, 5), dt, seed=8)
    m = rand((4, 5), BOOL, seed=9)
    count = int(m.sum())
    for layout in ("contiguous", "transposed", "stepped"):
        mc, md = pair(m, "transposed" if layout == "stepped" else "contiguous")
        xc, xd = pair(a, layout)
        xd = xd if layout == "contiguous" else xd  # writes go through the view into its base
        xc[mc] = 1
        xd[md] = 1
        check(xd, xc, msg=f"scalar {dt} {layout}")
        vals = rand((count,), dt, seed=10)
        vc, vd = pair(vals)
        xc[mc] = vc
        xd[md] = vd
        check(xd, xc, msg=f"tensor {dt} {layout}")
        xc[mc] = vc[:1]
        xd[md] = vd[:1]
        check(xd, xc, msg=f"broadcast {dt} {layout}")
    xc, xd = pair(a)
    rc, rd = pair(np.array([False, True, False, True]))
    row_c, row_d = pair(rand((5,), dt, seed=11))
    xc[rc] = row_c
    xd[rd] = row_d
    check(xd, xc, msg="rows by a dim-0 mask")
    fc, fd = pair(rand((count,), F64, seed=12))
    xc, xd = pair(a)
    mc, md = pair(m)
    xc[mc] = fc
    xd[md] = fd
    check(xd, xc, msg="a tensor of another dtype is cast (one mask)")


@pytest.mark.parametrize("dt", [F32, I64, BOOL, F16])
def test_masked_scatter(dt):
    a = rand((3, 4), dt, seed=13)
    m = rand((3, 4), BOOL, seed=14)
    src = rand((15,), dt, seed=15)
    for layout in ("contiguous", "transposed"):
        xc, xd = pair(a, layout)
        mc, md = pair(m, layout)
        sc, sd = pair(src)
        check(xd.masked_scatter(md, sd), xc.masked_scatter(mc, sc), msg=f"masked_scatter {dt} {layout}")
        bc, bd = pair(m[0])
        check(nt.masked_scatter(xd, bd, sd), nt.masked_scatter(xc, bc, sc), msg="mask broadcast")
        xd2 = xd.clone() if layout == "contiguous" else xd
        xc2 = xc.clone()
        assert xd2.masked_scatter_(md, sd) is xd2
        xc2.masked_scatter_(mc, sc)
        check(xd2, xc2, msg=f"masked_scatter_ {dt} {layout}")


# -- errors ---------------------------------------------------------------------------------------------------

def test_errors_match_cpu():
    a = rand((3, 4), F32)
    xc, xd = pair(a)
    for x, mk in ((xc, lambda t: t), (xd, to_cuda)):
        bad = mk(nt.tensor(rand((3, 5), BOOL)))
        with pytest.raises(IndexError, match=r"The shape of the mask \[3, 5\] at index 1 does not match"):
            x[bad]
        m = mk(nt.tensor(rand((3, 4), BOOL, seed=1)))
        n = int(m.sum().item())
        with pytest.raises(RuntimeError, match="shape mismatch: value tensor of shape"):
            x[m] = mk(nt.zeros(n + 1))
        with pytest.raises(RuntimeError, match="Number of elements of source < number of ones in mask"):
            x.masked_scatter(m, mk(nt.zeros(max(n - 1, 0))))
        with pytest.raises(RuntimeError, match="masked_select: expected BoolTensor for mask"):
            nt.masked_select(x, mk(nt.ones((3, 4), dtype=U8)))
        with pytest.raises(RuntimeError, match="masked_scatter_ only supports boolean masks"):
            x.masked_scatter(mk(nt.ones((3, 4), dtype=U8)), mk(nt.zeros(12)))
    m_d = to_cuda(nt.tensor(rand((3, 4), BOOL, seed=1)))
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same device"):
        xc[m_d]
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        nt.masked_select(xd, m_d.cpu())
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        xd.masked_scatter(m_d, nt.zeros(12))


# -- autograd -------------------------------------------------------------------------------------------------

def _grads(f, arrays, dt=F64):
    """[(CPU grads), (CUDA grads)] of sum(f(*tensors) * w) for a fixed weight w, per input array."""
    res = []
    for dev in (False, True):
        ts = [(to_cuda(nt.tensor(a)) if dev else nt.tensor(a)).requires_grad_() for a in arrays]
        y = f(*ts, dev)
        w = nt.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), dtype=y.dtype)
        (y * (to_cuda(w) if dev else w)).sum().backward()
        res.append([t.grad for t in ts])
    return res


def test_backward_matches_cpu():
    a = rand((4, 5), F64, seed=16)
    m = rand((4, 5), BOOL, seed=17)
    count = int(m.sum())
    mk = {False: nt.tensor(m), True: to_cuda(nt.tensor(m))}
    rows = {False: nt.tensor(m[:, 0]), True: to_cuda(nt.tensor(m[:, 0]))}

    def setitem(x, v, dev):
        y = x * 1
        y[mk[dev]] = v
        return y

    cases = [
        ([a], lambda x, dev: x[mk[dev]] * x[mk[dev]]),
        ([a], lambda x, dev: x[rows[dev]]),
        ([a], lambda x, dev: nt.masked_select(x, mk[dev])),
        ([a[:1]], lambda x, dev: nt.masked_select(x, mk[dev])),  # input broadcast to the mask
        ([a, rand((count,), F64, seed=18)], setitem),
        ([a, rand((20,), F64, seed=19)], lambda x, s, dev: x.masked_scatter(mk[dev], s)),
    ]
    for k, (arrays, f) in enumerate(cases):
        cpu, dev = _grads(f, arrays)
        for gd, gc in zip(dev, cpu):
            check(gd, gc, 1e-12, f"case {k}")
