"""Autograd of indexing: basic-index views, advanced getitem/setitem, gather/scatter and the index ops, their
in-place forms (rebasing a view's base through CopySlices) and PyTorch's leaf errors. gradcheck in float64 on
tiny shapes; hand-computed gradients where duplicates, ties or overwrites make the answer easy to state."""

import numpy as np
import pytest

import ntorch
from ntorch.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)


def inp(*shape, transposed=False):
    """A float64 leaf requiring grad; transposed=True gives a non-contiguous leaf with the same shape."""
    arr = RNG.uniform(-2.0, 2.0, shape)
    if transposed:
        t = ntorch.from_numpy(np.ascontiguousarray(arr.T)).permute(*reversed(range(len(shape))))
    else:
        t = ntorch.from_numpy(arr)
    return t.requires_grad_()


def ints(*values):
    return ntorch.tensor(list(values), dtype=ntorch.int64)


MASK = ntorch.tensor([True, False, True])

# (index, torch's grad_fn name of x[index] for x of shape (3, 4, 5))
BASIC = [
    (1, "SelectBackward0"), (-1, "SelectBackward0"), (slice(1, 3), "SliceBackward0"),
    (slice(None), "SliceBackward0"), ((slice(None), slice(None)), "AliasBackward0"), (Ellipsis, "AliasBackward0"),
    (None, "UnsqueezeBackward0"), ((None, slice(1, 3)), "SliceBackward0"),
    ((slice(1, 3), None), "UnsqueezeBackward0"), ((1, slice(1, 4, 2)), "SliceBackward0"),
    ((slice(0, 3, 2), -2), "SelectBackward0"), ((Ellipsis, 1), "SelectBackward0"), ((0, 1, 2), "SelectBackward0"),
    ((Ellipsis, None), "UnsqueezeBackward0"), ((slice(0, 10), 1, None), "UnsqueezeBackward0"),
]


@pytest.mark.parametrize("index,name", BASIC, ids=[repr(i) for i, _ in BASIC])
def test_basic_getitem_is_a_recorded_view(index, name):
    x = inp(3, 4, 5, transposed=True)
    y = x[index]
    assert y.grad_fn.name() == name
    assert y._base is (x._base if x._base is not None else x) and np.shares_memory(y._data, x._data)
    assert gradcheck(lambda t: t[index], (x,))
    y.backward(ntorch.ones_like(y))
    expect = np.zeros((3, 4, 5))
    expect[index] = 1
    np.testing.assert_array_equal(x.grad.numpy(), expect)


ADVANCED = {
    "duplicates": [0, 2, 0, 0],
    "negative": (ints(-1, 0, -3), slice(None), -1),
    "tensor_2d": ints(2, 0, 2, 1).reshape(2, 2),
    "bool_mask": MASK,
    "mask_2d": (slice(None), ntorch.tensor([[True, False, False, True, True]] * 4)),
    "mixed_adjacent": (slice(1, 3), [0, 3, 0]),
    "mixed_separated": ([0, 2, 2], slice(None), ints(-1, 0, -1)),
    "with_none_ellipsis": (None, Ellipsis, ints(1, 1)),
    "int_and_list": (1, [0, -1, 0]),
}


@pytest.mark.parametrize("case", sorted(ADVANCED))
def test_advanced_getitem(case):
    index = ADVANCED[case]
    x = inp(3, 4, 5, transposed=case == "negative")
    assert x[index].grad_fn.name() == "IndexBackward0"
    assert gradcheck(lambda t: t[index], (x,))


def test_advanced_getitem_duplicates_add_up():
    x = inp(4, 2)
    x[[0, 2, 0, -4]].backward(ntorch.ones(4, 2, dtype=ntorch.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [[3, 3], [0, 0], [1, 1], [0, 0]])


@pytest.mark.parametrize("index", [(1, slice(None, None, 2)), (slice(1, None), ints(0, 0, 2)), MASK],
                         ids=["basic", "mixed", "mask"])
def test_getitem_second_order(index):
    assert gradgradcheck(lambda t: t[index] ** 2, (inp(3, 4),))


# -- gather / scatter / index ops: (fn, input shapes, torch's grad_fn name) ------------------------------------
IDX2 = ntorch.tensor([[0, 1, 2, 0], [2, 0, 1, 1]])
MASK4 = ntorch.tensor([True, False, True, True])
OPS = {
    "index_select": (lambda x: ntorch.index_select(x, 1, ints(0, 3, 0)), [(3, 4)], "IndexSelectBackward0"),
    "index_select_0d": (lambda x: ntorch.index_select(x, 0, ints(0)), [()], "IndexSelectBackward0"),
    "gather": (lambda x: ntorch.gather(x, 0, IDX2), [(3, 4)], "GatherBackward0"),
    "gather_small_index": (lambda x: x.gather(-1, ints(1, 1, 0).reshape(1, 3)), [(3, 4)], "GatherBackward0"),
    "take": (lambda x: ntorch.take(x, ints(0, -1, 5, 5).reshape(2, 2)), [(3, 4)], "TakeBackward0"),
    "take_along_dim": (lambda x: ntorch.take_along_dim(x, ints(0, 2, -1).reshape(3, 1), 1), [(3, 4)],
                       "GatherBackward0"),
    "take_along_dim_bcast": (lambda x: ntorch.take_along_dim(x, ints(0, 2, 1, 0).reshape(2, 2, 1), 0), [(3, 1, 4)],
                             "GatherBackward0"),
    "take_along_dim_flat": (lambda x: ntorch.take_along_dim(x, ints(0, 2, -1, 2)), [(3, 4)], "GatherBackward0"),
    "masked_select": (lambda x: ntorch.masked_select(x, MASK4), [(3, 4)], "MaskedSelectBackward0"),
    "masked_select_bcast": (lambda x: ntorch.masked_select(x, MASK4.reshape(1, 4).expand(2, 4)), [(4,)],
                            "MaskedSelectBackward0"),
    "masked_scatter": (lambda x, s: ntorch.masked_scatter(x, MASK4, s), [(3, 4), (3, 5)], "MaskedScatterBackward0"),
    "masked_scatter_bcast": (lambda x, s: ntorch.masked_scatter(x, MASK4.reshape(1, 4).expand(2, 4), s),
                             [(4,), (7,)], "MaskedScatterBackward0"),
    "scatter": (lambda x, s: ntorch.scatter(x, 1, ints(0, 2, 1, 3).reshape(2, 2), s), [(3, 4), (3, 4)],
                "ScatterBackward0"),
    "scatter_value": (lambda x: ntorch.scatter(x, 0, IDX2, 1.5), [(3, 4)], "ScatterBackward1"),
    "scatter_add": (lambda x, s: ntorch.scatter_add(x, 0, IDX2, s), [(3, 4), (2, 5)], "ScatterAddBackward0"),
    "index_add": (lambda x, s: ntorch.index_add(x, 0, ints(0, 2, 0), s, alpha=2.0), [(3, 4), (3, 4)],
                  "IndexAddBackward0"),
    "index_copy": (lambda x, s: ntorch.index_copy(x, 1, ints(3, 0, 1), s), [(3, 4), (3, 3)], "IndexCopyBackward0"),
    "index_fill": (lambda x: ntorch.index_fill(x, 1, ints(3, -4), 2.0), [(3, 4)], "IndexFillBackward0"),
    "index_fill_tensor": (lambda x, v: ntorch.index_fill(x, 1, ints(3, -1, 0), v), [(3, 4), ()], "IndexFillBackward1"),
    "put": (lambda x, s: ntorch.put(x, ints(0, -1, 5), s), [(3, 4), (3,)], "PutBackward0"),
    "put_accumulate": (lambda x, s: ntorch.put(x, ints(0, -1, 0, 11), s, accumulate=True), [(3, 4), (2, 2)],
                       "PutBackward0"),
    "index_put": (lambda x, s: ntorch.index_put(x, (ints(0, 2), ints(1, -1)), s), [(3, 4), (2,)], "IndexPutBackward0"),
    "index_put_accumulate": (lambda x, s: x.index_put((ints(0, 2, 0),), s, accumulate=True), [(3, 4), (1, 4)],
                             "IndexPutBackward0"),
    "index_put_mask": (lambda x, s: x.index_put((MASK4.reshape(2, 2),), s), [(2, 2, 3), (3,)], "IndexPutBackward0"),
}
for _reduce in ("sum", "mean", "amax", "amin", "prod"):
    for _inc in (True, False):
        OPS[f"scatter_reduce_{_reduce}_{_inc}"] = (
            lambda x, s, r=_reduce, i=_inc: ntorch.scatter_reduce(x, 0, IDX2, s, r, include_self=i),
            [(3, 4), (2, 4)], "ScatterReduceBackward0")


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_gradcheck(name):
    fn, shapes, node = OPS[name]
    args = tuple(inp(*s, transposed=len(s) == 2 and k == 0) for k, s in enumerate(shapes))
    assert fn(*args).grad_fn.name() == node
    assert gradcheck(fn, args)


@pytest.mark.parametrize("name", ["gather", "index_select", "scatter_add", "take", "masked_select",
                                  "masked_scatter", "index_add", "scatter_reduce_mean_True",
                                  "scatter_reduce_amax_False", "scatter_reduce_prod_True", "index_put_accumulate"])
def test_op_second_order(name):
    fn, shapes, _ = OPS[name]
    assert gradgradcheck(fn, tuple(inp(*s) for s in shapes))


def test_gather_and_index_select_duplicates_add_up():
    x = inp(2, 3)
    x.gather(1, ints(2, 2, 0, 0, 0, 1).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 2], [2, 1, 0]])
    x.grad = None
    x.index_select(1, ints(1, 1, 1)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 3, 0], [0, 3, 0]])


def test_scatter_reduce_amax_shares_the_gradient_among_ties():
    x = ntorch.tensor([1.0, 5.0], dtype=ntorch.float64, requires_grad=True)
    s = ntorch.tensor([3.0, 3.0, 5.0, 0.0], dtype=ntorch.float64, requires_grad=True)
    y = x.scatter_reduce(0, ints(0, 0, 1, 0), s, "amax")
    np.testing.assert_array_equal(y.detach().numpy(), [3.0, 5.0])
    y.backward(ntorch.tensor([2.0, 4.0], dtype=ntorch.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(s.grad.numpy(), [1.0, 1.0, 2.0, 0.0])


def test_scatter_reduce_prod_with_zeros():
    x = ntorch.tensor([2.0, 0.0, 3.0], dtype=ntorch.float64, requires_grad=True)
    s = ntorch.tensor([0.0, 4.0, 5.0, 0.0, 0.0], dtype=ntorch.float64, requires_grad=True)
    x.scatter_reduce(0, ints(0, 0, 1, 2, 2), s, "prod").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 5.0, 0.0])  # d/dself = product of the others
    np.testing.assert_array_equal(s.grad.numpy(), [8.0, 0.0, 0.0, 0.0, 0.0])


def test_scatter_legacy_reduce_has_no_derivative():
    x = inp(3)
    y = x.scatter(0, ints(0, 0), inp(2), reduce="multiply")
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


def test_out_argument_with_grad_raises():
    x = inp(3)
    with pytest.raises(RuntimeError, match=r"gather\(\): functions with out=... arguments don't support automatic"):
        ntorch.gather(x, 0, ints(0), out=ntorch.empty(1, dtype=ntorch.float64))
    with pytest.raises(RuntimeError, match="index_select"):
        ntorch.index_select(x, 0, ints(0), out=ntorch.empty(1, dtype=ntorch.float64))


def test_integer_results_are_not_differentiable():
    x = ntorch.tensor([1, 2, 3])
    assert x[[0, 1]].grad_fn is None and x[1:].grad_fn is None
    assert not ntorch.gather(x, 0, ints(0)).requires_grad


# -- setitem and in-place ops under autograd --------------------------------------------------------------------
def test_setitem_then_inplace_on_indexed_part():
    x, z = inp(3, 4), inp(2, 4)
    y = x * 1
    y[1:] = z
    assert y.grad_fn.name() == "CopySlices"
    idx = ints(0, 2)
    y[idx] *= 2
    assert y.grad_fn.name() == "IndexPutBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2] * 4, [0] * 4, [0] * 4])  # rows 1, 2 were overwritten
    np.testing.assert_array_equal(z.grad.numpy(), [[1] * 4, [2] * 4])


def test_setitem_chain_gradcheck():
    def fn(x, z):
        y = x * 1
        y[1:] = z * z  # basic: copy into the view
        y[[0, 2]] *= 2  # advanced: index_put
        y[:, 1:].mul_(3)  # in-place op on a view
        y[0, :2] = z[0, :1] ** 2  # broadcast value
        y[y.detach() > 1.0] = z[1, 2]  # mask, scalar tensor value
        y[ints(1, -1), ints(0, 3)] = z[1, :2]
        return y

    assert gradcheck(fn, (inp(3, 4, transposed=True), inp(2, 4)))


def test_setitem_scalar_and_dtype_cast():
    x = inp(2, 3)
    y = x * 2
    y[0, 1] = 7.0
    y[:, 2] = ntorch.tensor([1.0, 2.0])  # float32 value cast to float64: its grad comes back as float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2, 0, 0], [2, 2, 0]])
    v = ntorch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y[:, 2] = v
    (y * 3).sum().backward()
    assert v.grad.dtype is ntorch.float32
    np.testing.assert_array_equal(v.grad.numpy(), [3, 3])


def test_setitem_on_a_view_rebases_the_base_and_the_view():
    x, z = inp(3, 4), inp(4)
    y = x * 1
    v = y[1]
    v[1:3] = z[:2] * 5
    assert y.grad_fn.name() == "CopySlices" and v.grad_fn.name() == "AsStridedBackward0"
    (y.sum() + v.sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1] * 4, [2, 0, 0, 2], [1] * 4])
    np.testing.assert_array_equal(z.grad.numpy(), [10, 10, 0, 0])


def test_setitem_into_a_buffer_that_needs_no_grad():
    z = inp(4)
    b = ntorch.zeros(2, 4, dtype=ntorch.float64)
    b[1, 1:3] = z[2:] * 5
    b[[0, 0]] = z  # a repeated index: as in torch, z gets the gradient of both (identical) writes
    assert b.requires_grad and b.grad_fn.name() == "IndexPutBackward0"
    (b * ntorch.arange(8.0, dtype=ntorch.float64).reshape(2, 4)).sum().backward()
    np.testing.assert_array_equal(z.grad.numpy(), [0, 2, 4 + 25, 6 + 30])


@pytest.mark.parametrize("code,message", [
    ("x[0] = 1.0", "a view of a leaf Variable"), ("x[1:, 0] = z[:2]", "a view of a leaf Variable"),
    ("x[[0]] = 1.0", "a leaf Variable that requires grad"), ("x[MASK] = z[0]", "a leaf Variable that requires grad"),
    ("x[0].mul_(2)", "a view of a leaf Variable"),
])
def test_setitem_on_a_leaf_raises(code, message):
    x, z = inp(3, 2), inp(3)
    with pytest.raises(RuntimeError, match=message + ".* is being used in an in-place operation"):
        exec(code, {"x": x, "z": z, "MASK": MASK})
    with ntorch.no_grad():
        exec(code, {"x": x, "z": z, "MASK": MASK})
    assert x.is_leaf and x.grad_fn is None and x._version > 0


INPLACE = {
    "scatter_": lambda y, s: y.scatter_(0, IDX2, s[:2]),
    "scatter_value": lambda y, s: y.scatter_(0, IDX2, 2.0),
    "scatter_add_": lambda y, s: y.scatter_add_(0, IDX2, s),
    "scatter_reduce_": lambda y, s: y.scatter_reduce_(0, IDX2, s, "amax", include_self=False),
    "index_add_": lambda y, s: y.index_add_(1, ints(1, 1), s[:, :2], alpha=-1),
    "index_copy_": lambda y, s: y.index_copy_(1, ints(1, 3), s[:, :2]),
    "index_fill_": lambda y, s: y.index_fill_(1, ints(1, 3), s[1, 1]),
    "masked_scatter_": lambda y, s: y.masked_scatter_(MASK4, s),
    "put_": lambda y, s: y.put_(ints(1, 3), s[0, :2], accumulate=True),
    "index_put_": lambda y, s: y.index_put_((ints(1, 2),), s[0], accumulate=True),
}
INPLACE_NAMES = {"scatter_": "ScatterBackward0", "scatter_value": "ScatterBackward1",
                 "scatter_add_": "ScatterAddBackward0", "scatter_reduce_": "ScatterReduceBackward0",
                 "index_add_": "IndexAddBackward0", "index_copy_": "IndexCopyBackward0",
                 "index_fill_": "IndexFillBackward1", "masked_scatter_": "MaskedScatterBackward0",
                 "put_": "PutBackward0", "index_put_": "IndexPutBackward0"}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_ops(name):
    op = INPLACE[name]

    def on_tensor(x, s):
        y = x * 1
        op(y, s)
        return y

    def on_view(x, s):  # an in-place op on a view: the base's history is rebased (CopySlices)
        y = x * 1
        op(y.t().t()[0:3], s)
        return y

    x, s = inp(3, 4, transposed=True), inp(3, 4)
    assert on_tensor(x, s).grad_fn.name() == INPLACE_NAMES[name]
    assert on_view(x, s).grad_fn.name() == "CopySlices"
    assert gradcheck(on_tensor, (x, s)) and gradcheck(on_view, (x, s))
    leaf = inp(3, 4)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        op(leaf, s)
    with ntorch.no_grad():
        op(leaf, s)
    assert leaf.is_leaf and leaf._version == 1


def test_index_fill_tensor_value_counts_each_position_once():
    x, v = inp(2, 3), ntorch.tensor(4.0, dtype=ntorch.float64, requires_grad=True)
    ntorch.index_fill(x, 1, ints(0, 2, -1, 0), v).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 1, 0]])
    assert v.grad.item() == 4.0


def test_setitem_second_order():
    def fn(x, z):
        y = x * 1
        y[1:] = z * z
        y[0, :2] = z[0, :1] ** 2
        return y * y

    assert gradgradcheck(fn, (inp(3, 4), inp(2, 4)))
