"""Diagonals, triangles, repeats and block_diag on CUDA against the CPU (values and gradients), views included."""

import numpy as np
import pytest

import ntorch as nt

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 4, 5))
M = RNG.standard_normal((4, 5))
V = RNG.standard_normal(4)


def both(f, *arrays, grad=True):
    """f on CPU and CUDA copies of arrays: results and input gradients (float64, random upstream) must agree."""
    cpu = [nt.from_numpy(a.copy()).requires_grad_(grad) for a in arrays]
    dev = [nt.from_numpy(a.copy()).cuda().requires_grad_(grad) for a in arrays]
    rc, rd = f(*cpu), f(*dev)
    assert rd.is_cuda and rd.dtype is rc.dtype and rd.shape == rc.shape
    np.testing.assert_array_equal(rd.detach().cpu().numpy(), rc.detach().numpy())
    if grad:
        up = np.random.default_rng(0).standard_normal(rc.shape)
        (rc * nt.from_numpy(up)).sum().backward()
        (rd * nt.from_numpy(up).cuda()).sum().backward()
        for a, b in zip(cpu, dev):
            np.testing.assert_allclose(b.grad.cpu().numpy(), a.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("offset", [-2, 0, 1, 7])
def test_diagonals_and_triangles(offset):
    both(lambda x: x.diagonal(offset, 1, 2), A)
    both(lambda x: x.diagonal(offset, 2, 0), A)
    both(lambda x: x.transpose(0, 2).diagonal(offset), A)
    both(lambda x: nt.diag(x, offset), M)
    both(lambda x: nt.diag(x, offset), V)
    both(lambda x: nt.diag_embed(x, offset, 0, 2), M)
    both(lambda x: nt.tril(x, offset), A)
    both(lambda x: nt.triu(x.transpose(1, 2), offset), A)


def test_trace_repeat_interleave_block_diag():
    both(nt.trace, M)
    both(lambda x: x.repeat(2, 1, 3), M)
    both(lambda x: nt.tile(x, (2,)), V)
    both(lambda x: x.t().repeat(1, 2), M)
    both(lambda x: x.repeat_interleave(3, 1), M)
    both(lambda x: x.repeat_interleave(2), M)
    both(lambda x: x.t().repeat_interleave(nt.tensor([1, 0, 2, 3, 1], device=x.device), 0), M)
    both(lambda x: nt.block_diag(x, x[:2, :3] * 2, x[0]), M)
    both(lambda x: nt.tril(x > 0), M, grad=False)
    counts = nt.tensor([1, 0, 2], device="cuda")
    assert nt.repeat_interleave(counts).is_cuda
    np.testing.assert_array_equal(nt.repeat_interleave(counts).cpu().numpy(), [0, 2, 2])
    with pytest.raises(RuntimeError, match="repeats can not be negative"):
        nt.ones(3, device="cuda").repeat_interleave(nt.tensor([1, -1, 1], device="cuda"))


def test_in_place_triangle_and_writes_through_a_diagonal_view():
    t = nt.from_numpy(M.copy()).cuda()
    assert t.triu_(1) is t
    np.testing.assert_array_equal(t.cpu().numpy(), np.triu(M, 1))
    t = nt.from_numpy(M.copy()).cuda()
    t.diagonal(1).fill_(7.0)
    want = M.copy()
    want[np.arange(4), np.arange(1, 5)] = 7.0
    np.testing.assert_array_equal(t.cpu().numpy(), want)


def test_unfold_fill_diagonal_and_sum_to_size_on_cuda():
    both(lambda x: x.unfold(1, 2, 1), A)
    both(lambda x: x.sum_to_size(1, 5), M)
    t = nt.zeros(5, 2, device="cuda")
    t.fill_diagonal_(3.0, wrap=True)
    want = np.zeros((5, 2))
    np.fill_diagonal(want, 3.0, wrap=True)
    np.testing.assert_array_equal(t.cpu().numpy(), want)
