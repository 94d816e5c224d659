"""Backward formulas of joins, splits, rearranging copies and F.pad: gradcheck (float64 central differences)
on tiny contiguous and non-contiguous inputs, gradgradcheck for a few, PyTorch's node names, in-place
tril_/triu_ under autograd."""

import numpy as np
import pytest

import ntorch
import ntorch.nn.functional as F
from ntorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def inp(*shape, transposed=False, dtype=np.float64):
    """A leaf requiring grad; transposed=True gives a non-contiguous leaf with the same shape."""
    arr = RNG.uniform(-2.0, 2.0, shape).astype(dtype)
    if transposed:
        t = ntorch.from_numpy(np.ascontiguousarray(arr.T)).permute(*reversed(range(len(shape))))
        return t.detach().requires_grad_()
    return ntorch.from_numpy(arr).requires_grad_()


def stepped(*shape):
    """A non-contiguous leaf: every other element of a larger buffer along the last dim."""
    arr = RNG.uniform(-2.0, 2.0, shape[:-1] + (2 * shape[-1],))
    return ntorch.from_numpy(arr)[..., ::2].detach().requires_grad_()


# -- joins -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cat(dim):
    a, b, c = inp(2, 3), inp(2, 3, transposed=True), stepped(2, 3)
    assert gradcheck(lambda x, y, z: ntorch.cat([x, y, z], dim), (a, b, c))
    assert ntorch.cat([a, b], dim).grad_fn.name() == "CatBackward0"
    assert gradcheck(lambda x: ntorch.concat([x], dim), (a,))
    assert gradcheck(lambda x, y: ntorch.concatenate((x, y), axis=dim), (a, b))


def test_cat_mixed_dtypes_and_legacy_empty():
    a, b = inp(2, 3), inp(1, 3, dtype=np.float32)
    n = ntorch.ones(3, 3, dtype=ntorch.int64)
    e = inp(0)
    y = ntorch.cat([a, n, b, e], 0)
    assert y.dtype is ntorch.float64
    y.backward(ntorch.arange(18, dtype=ntorch.float64).reshape(6, 3))
    np.testing.assert_array_equal(a.grad.numpy(), np.arange(6.0).reshape(2, 3))
    assert b.grad.dtype is ntorch.float32
    np.testing.assert_array_equal(b.grad.numpy(), np.arange(15.0, 18.0, dtype=np.float32).reshape(1, 3))
    assert e.grad.shape == (0,) and n.grad is None
    assert gradcheck(lambda x, z: ntorch.cat([x, z, x], 1), (a, inp(0)))


def test_cat_second_order():
    assert gradgradcheck(lambda x, y: ntorch.cat([x, y * y], -1), (inp(2, 2), inp(2, 1, transposed=True)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stack(dim):
    a, b = inp(2, 3), inp(2, 3, transposed=True)
    assert gradcheck(lambda x, y: ntorch.stack([x, y], dim), (a, b))
    assert ntorch.stack([a, b], dim).grad_fn.name() == "StackBackward0"
    y = ntorch.stack([a, inp(2, 3, dtype=np.float32)], dim)
    y.sum().backward()
    assert y.grad_fn is not None and a.grad is not None


@pytest.mark.parametrize("op", ["hstack", "vstack", "dstack", "column_stack"])
def test_stack_family(op):
    fn = getattr(ntorch, op)
    for shapes in ([(3,), (3,)], [(2, 3), (2, 3)], [(), ()] if op != "column_stack" else [(3,), (3, 2)]):
        ts = [inp(*s) for s in shapes]
        assert gradcheck(lambda *xs: fn(list(xs)), ts)
        assert fn(ts).grad_fn.name() == "CatBackward0"
    assert gradcheck(lambda x, y: fn([x, y]), (inp(2, 2, transposed=True), stepped(2, 2)))


@pytest.mark.parametrize("n", [1, 2, 3])
def test_atleast(n):
    fn = getattr(ntorch, f"atleast_{n}d")
    for shape in [(), (3,), (2, 3)]:
        assert gradcheck(fn, (inp(*shape),))
    assert fn(inp()).grad_fn.name() == "ViewBackward0"
    assert gradcheck(lambda x, y: fn(x, y), (inp(), inp(2)))
    if n > 1:
        assert fn(inp(3)).grad_fn.name() == "UnsqueezeBackward0"


def test_out_with_grad_raises():
    a = inp(2, 2)
    for call in (lambda: ntorch.cat([a, a], out=ntorch.empty(0, dtype=ntorch.float64)),
                 lambda: ntorch.stack([a, a], out=ntorch.empty(0, dtype=ntorch.float64)),
                 lambda: ntorch.tril(a, out=ntorch.empty(0, dtype=ntorch.float64))):
        with pytest.raises(RuntimeError, match="out=... arguments don't support automatic differentiation"):
            call()


# -- splits ------------------------------------------------------------------------------------------------
SPLITS = {
    "split": (lambda x: ntorch.split(x, 2, 1), "SplitBackward0"),
    "split_neg": (lambda x: x.split(1, -2), "SplitBackward0"),
    "split_sizes": (lambda x: ntorch.split(x, [1, 0, 4], -1), "SplitWithSizesBackward0"),
    "split_with_sizes": (lambda x: x.split_with_sizes([2, 1], 0), "SplitWithSizesBackward0"),
    "chunk": (lambda x: ntorch.chunk(x, 3, 1), "SplitBackward0"),
    "tensor_split": (lambda x: ntorch.tensor_split(x, 3, -1), "SliceBackward0"),
    "tensor_split_idx": (lambda x: ntorch.tensor_split(x, [1, 4], 1), "SliceBackward0"),
    "hsplit": (lambda x: ntorch.hsplit(x, [2]), "SliceBackward0"),
    "vsplit": (lambda x: ntorch.vsplit(x, 3), "SliceBackward0"),
}


@pytest.mark.parametrize("name", sorted(SPLITS))
def test_splits(name):
    fn, node = SPLITS[name]
    assert gradcheck(fn, (inp(3, 5),))
    assert gradcheck(fn, (inp(3, 5, transposed=True),))
    assert {p.grad_fn.name() for p in fn(inp(3, 5))} == {node}


def test_split_unused_pieces_and_dsplit():
    x = inp(2, 2, 4)
    a, b = ntorch.dsplit(x, 2)
    assert gradcheck(lambda t: ntorch.dsplit(t, [1, 3])[1], (x,))
    pieces = ntorch.split(x, 3, -1)
    (pieces[1] * 2).sum().backward()  # the unused piece's grad arrives as zeros
    expect = np.zeros((2, 2, 4))
    expect[..., 3:] = 2
    np.testing.assert_array_equal(x.grad.numpy(), expect)
    assert gradgradcheck(lambda t: ntorch.chunk(t * t, 2, 0)[0], (inp(3, 2),))


# -- flips, rolls, rotations -------------------------------------------------------------------------------
REARRANGE = {
    "flip": (lambda x: ntorch.flip(x, (0, -1)), "FlipBackward0"),
    "flip_method": (lambda x: x.flip(1), "FlipBackward0"),
    "fliplr": (ntorch.fliplr, "FlipBackward0"),
    "flipud": (ntorch.flipud, "FlipBackward0"),
    "roll": (lambda x: ntorch.roll(x, (1, -2), (0, -1)), "RollBackward0"),
    "roll_flat": (lambda x: ntorch.roll(x, 4), "RollBackward0"),
    "roll_same_dim": (lambda x: ntorch.roll(x, (1, 2), (1, 1)), "RollBackward0"),
    "rot90_0": (lambda x: ntorch.rot90(x, 0), "Rot90Backward0"),
    "rot90_1": (lambda x: ntorch.rot90(x, 1, (-1, 0)), "Rot90Backward0"),
    "rot90_2": (lambda x: x.rot90(2), "Rot90Backward0"),
    "rot90_3": (lambda x: ntorch.rot90(x, -1, (1, 2)), "Rot90Backward0"),
    "repeat": (lambda x: x.repeat(2, 1, 3), "RepeatBackward0"),
    "repeat_lead": (lambda x: x.repeat(2, 1, 1, 2), "RepeatBackward0"),
    "repeat_zero": (lambda x: x.repeat(1, 0, 1), "RepeatBackward0"),
    "tile": (lambda x: ntorch.tile(x, (2,)), "RepeatBackward0"),
    "tile_method": (lambda x: x.tile(2, 1, 1, 1), "RepeatBackward0"),
    "repeat_interleave": (lambda x: ntorch.repeat_interleave(x, 2), "ViewBackward0"),
    "repeat_interleave_dim": (lambda x: ntorch.repeat_interleave(x, 3, -2), "ViewBackward0"),
    "repeat_interleave_tensor": (lambda x: x.repeat_interleave(ntorch.tensor([2, 0, 1]), dim=2),
                                 "IndexSelectBackward0"),
    "repeat_interleave_scalar_tensor": (lambda x: ntorch.repeat_interleave(x, ntorch.tensor(2)),
                                        "IndexSelectBackward0"),
    "tril": (lambda x: ntorch.tril(x), "TrilBackward0"),
    "tril_k": (lambda x: x.tril(-1), "TrilBackward0"),
    "triu": (lambda x: ntorch.triu(x, 1), "TriuBackward0"),
    "triu_neg": (lambda x: x.triu(-1), "TriuBackward0"),
    "diagonal": (lambda x: ntorch.diagonal(x), "DiagonalBackward0"),
    "diagonal_dims": (lambda x: x.diagonal(1, -1, 0), "DiagonalBackward0"),
    "diagonal_neg": (lambda x: ntorch.diagonal(x, -1, 2, 1), "DiagonalBackward0"),
    "diag_embed": (lambda x: ntorch.diag_embed(x), "DiagEmbedBackward0"),
    "diag_embed_dims": (lambda x: ntorch.diag_embed(x, -1, 0, 2), "DiagEmbedBackward0"),
}


@pytest.mark.parametrize("name", sorted(REARRANGE))
def test_rearrange(name):
    fn, node = REARRANGE[name]
    x = inp(2, 3, 3, transposed=True)
    assert gradcheck(fn, (x,))
    assert fn(x).grad_fn.name() == node
    if name in ("flip", "roll", "repeat", "tril", "diagonal"):
        assert gradcheck(fn, (inp(2, 3, 3),))
        assert gradcheck(fn, (stepped(2, 3, 3),))


@pytest.mark.parametrize("fn", [lambda x: ntorch.flip(x, (0, 1)), lambda x: ntorch.tril(x, 1),
                                lambda x: ntorch.repeat_interleave(x, ntorch.tensor([1, 3, 0]), 0),
                                lambda x: ntorch.repeat_interleave(x, 2, 1)])
def test_second_order(fn):
    assert gradgradcheck(lambda t: fn(t * t), (inp(3, 2, transposed=True),))


def test_diag_trace_kron():
    v, m = inp(3), inp(3, 4, transposed=True)
    for k in (0, 1, -2):
        assert gradcheck(lambda t, k=k: ntorch.diag(t, k), (v,))
        assert gradcheck(lambda t, k=k: ntorch.diag(t, k), (m,))
    assert ntorch.diag(v).grad_fn.name() == "DiagEmbedBackward0"
    assert ntorch.diag(m).grad_fn.name() == "DiagonalBackward0_copy"
    assert gradcheck(ntorch.trace, (m,))
    assert ntorch.trace(m).grad_fn.name() == "TraceBackward0"
    assert gradgradcheck(lambda t: ntorch.trace(t * t), (inp(2, 3),))
    assert gradcheck(ntorch.kron, (inp(2, 2), inp(3, transposed=False)))
    assert gradcheck(ntorch.kron, (inp(2, 1, 2, transposed=True), stepped(2, 3)))
    assert ntorch.kron(inp(2), inp(2)).grad_fn.name() == "UnsafeViewBackward0"
    assert gradgradcheck(lambda t: ntorch.diagonal(t * t, 1), (inp(2, 3),))


def test_grids_and_blocks():
    a, b, c = inp(2), inp(3), inp()
    assert gradcheck(lambda x, y, z: ntorch.meshgrid(x, y, z, indexing="xy"), (a, b, c))
    assert gradcheck(lambda x, y: ntorch.meshgrid([x, y], indexing="ij"), (a, b))
    assert {t.grad_fn.name() for t in ntorch.meshgrid(a, b, indexing="ij")} == {"ExpandBackward0"}
    assert gradcheck(lambda x, y, z: ntorch.broadcast_tensors(x, y, z), (inp(3, 1), inp(2, 1, 1), inp(3)))
    x = inp(2, 3)
    assert ntorch.broadcast_tensors(x, inp(3))[0] is x
    assert gradcheck(ntorch.cartesian_prod, (a, b))
    assert ntorch.cartesian_prod(a, b).grad_fn.name() == "StackBackward0"
    assert gradcheck(lambda x, y, z: ntorch.block_diag(x, y, z), (inp(2, 3, transposed=True), inp(2), inp()))
    blocks = [inp(2, 2), inp(1, 3, dtype=np.float32)]
    y = ntorch.block_diag(*blocks)
    assert y.grad_fn.name() == "BlockDiagBackward0"
    y.backward(ntorch.ones(3, 5, dtype=ntorch.float64))
    assert blocks[1].grad.dtype is ntorch.float32
    np.testing.assert_array_equal(blocks[0].grad.numpy(), np.ones((2, 2)))


# -- in place ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tril_", "triu_"])
def test_tri_inplace(name):
    leaf = inp(3, 3)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        getattr(leaf, name)()

    def fn(x):
        y = x * 2
        getattr(y, name)(1)
        return y

    assert gradcheck(fn, (inp(3, 4, transposed=True),))
    y = fn(inp(3, 3))
    assert y.grad_fn.name() == ("TrilBackward0" if name == "tril_" else "TriuBackward0")

    def on_view(x):  # the base of an in-place change to a view of a non-leaf: grads flow through CopySlices
        y = x * 1
        getattr(y.narrow(1, 1, 3), name)(-1)
        return y

    assert gradcheck(on_view, (inp(2, 4, transposed=True),))
    with ntorch.no_grad():  # no autograd: the leaf is written in place
        getattr(leaf, name)()
    assert leaf._version == 1


# -- padding -----------------------------------------------------------------------------------------------
PADS = [
    ("constant", (3, 4), (1, 2)), ("constant", (2, 3, 4), (-1, 2, 0, 1, 1, 0)), ("constant", (3, 4), (-2, -1)),
    ("reflect", (2, 5), (2, 3)), ("reflect", (1, 2, 4), (3, 1)), ("reflect", (1, 3, 4), (1, 2, 2, 1)),
    ("reflect", (1, 3, 3, 3), (1, 1, 2, 0, 1, 2)), ("replicate", (2, 3), (3, 1)),
    ("replicate", (2, 3, 2), (1, 2, 2, 0)), ("replicate", (2, 2, 2, 2), (1, 0, 0, 1, 2, 1)),
    ("circular", (2, 4), (2, 1)), ("circular", (1, 3, 4), (1, -2, 2, 1)),
    ("circular", (1, 2, 2, 3), (1, 1, 0, 1, 2, 0)),
]
PAD_NAMES = {"constant": "ConstantPadNdBackward0", "reflect": "ReflectionPad{}DBackward0",
             "replicate": "ReplicationPad{}DBackward0", "circular": "CopySlices"}


@pytest.mark.parametrize("mode,shape,pads", PADS)
def test_pad(mode, shape, pads):
    fn = lambda x: F.pad(x, pads, mode=mode)  # noqa: E731
    assert gradcheck(fn, (inp(*shape, transposed=True),))
    assert gradcheck(fn, (stepped(*shape),))
    assert fn(inp(*shape)).grad_fn.name() == PAD_NAMES[mode].format(len(pads) // 2)


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_second_order(mode):
    assert gradgradcheck(lambda t: F.pad(t * t, (2, 1), mode=mode), (inp(1, 2, 3),))


def test_pad_float16_and_float32_grads():
    for dt in (np.float16, np.float32):
        x = inp(1, 2, 4, dtype=dt)
        F.pad(x, (3, 2), mode="reflect").sum().backward()
        assert x.grad.dtype is ntorch.from_numpy(np.zeros(1, dt)).dtype
        # each input position's count of readers: the reflection of (3, 2) pads on 4 columns
        np.testing.assert_array_equal(x.grad.numpy()[0, 0], np.array([1, 3, 3, 2], dt))


def _grad_layouts(arr):
    """arr's values as incoming grads in several layouts (the backward kernel reads g through its strides)."""
    yield ntorch.from_numpy(arr.copy())
    yield ntorch.from_numpy(np.ascontiguousarray(arr.swapaxes(-1, -2))).transpose(-1, -2)
    yield ntorch.from_numpy(np.repeat(arr, 2, axis=-1))[..., ::2]
    perm = (1, 0) + tuple(range(2, arr.ndim))  # leading dims that do not merge
    yield ntorch.from_numpy(np.ascontiguousarray(arr.transpose(perm))).permute(*perm)
    yield ntorch.from_numpy(arr[:1].copy()).expand(*arr.shape)


@pytest.mark.parametrize("mode,shape,pads", [("reflect", (2, 3, 5), (2, 4)), ("replicate", (2, 2, 3, 4), (3, 1, 0, 2)),
                                             ("circular", (2, 1, 2, 3, 4), (1, 2, -1, 1, 2, 0)),
                                             ("reflect", (3, 2, 5, 4), (-1, 3, 2, 1))])
def test_pad_backward_grad_layouts(mode, shape, pads):
    """The summed-back grad equals np.add.at over the forward's own index map (padding of element ids)."""
    ids = F.pad(ntorch.arange(int(np.prod(shape))).reshape(shape), pads, mode=mode).numpy()
    for dt in (np.float64, np.float32):
        x = inp(*shape, dtype=dt)
        y = F.pad(x, pads, mode=mode)
        garr = np.broadcast_to(RNG.uniform(-1, 1, (1,) + y.shape[1:]), y.shape).astype(dt)  # expandable
        for g in _grad_layouts(garr):
            x.grad = None
            y.backward(g, retain_graph=True)
            expect = np.zeros(int(np.prod(shape)), np.float64)
            np.add.at(expect, ids.reshape(-1), garr.reshape(-1).astype(np.float64))
            np.testing.assert_allclose(x.grad.numpy(), expect.reshape(shape), rtol=1e-5 if dt == np.float32 else 1e-12)
