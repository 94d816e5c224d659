"""out= and torch's keyword names on the functions tools/signature_sweep.py listed (torch 2.13's rules: the result
written into out, resized with torch's deprecation warning, torch's dtype messages, out returned, no out= under
autograd), and the keyword forms equal to the positional ones. Messages are torch 2.13's, as printed by torch."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import ntorch as nt

RNG = np.random.default_rng(0)
AN = RNG.standard_normal((3, 3))
VN = RNG.standard_normal(3)
A = nt.tensor(AN)  # float64 throughout: an out of another dtype is the wrong one
V = nt.tensor(VN)
IDX = nt.tensor([0, 2])
ZI = nt.zeros(3, 3, dtype=nt.long)
LU = nt.linalg.lu_factor(A)

EXACT = "Expected out tensor to have dtype {}, but got {} instead"
CAST = "result type Double can't be cast to the desired output type Long"

# name: (call taking out=, (index of the wrong out or None, its dtype, torch's message)).
SINGLE = {
    "addmm": (lambda out=None: nt.addmm(A, A, A, beta=2, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "addmv": (lambda out=None: nt.addmv(V, A, V, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "baddbmm": (lambda out=None: nt.baddbmm(A[None], A[None], A[None], alpha=3, out=out),
                (None, nt.float32, EXACT.format("double", "float"))),
    "cross": (lambda out=None: nt.cross(A, A.flip(0), dim=1, out=out),
              (None, nt.float32, EXACT.format("double", "float"))),
    "mv": (lambda out=None: nt.mv(A, V, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "outer": (lambda out=None: nt.outer(V, V, out=out), (None, nt.long, CAST)),
    "ger": (lambda out=None: nt.ger(V, V, out=out), (None, nt.long, CAST)),
    "dot": (lambda out=None: nt.dot(V, V, out=out),
            (None, nt.float32, "result dtype Float does not match input dtype Double")),
    "vdot": (lambda out=None: nt.vdot(V, V, out=out),
             (None, nt.float32, "result dtype Float does not match input dtype Double")),
    "inner": (lambda out=None: nt.inner(A, A, out=out),
              (None, nt.float32, "tensordot: Expected the output tensor to have dtype Double, but got an output tensor "
                                 "with dtype Float")),
    "kron": (lambda out=None: nt.kron(A, A, out=out), (None, nt.long, CAST)),
    "alias_copy": (lambda out=None: nt.alias_copy(A, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "slice_copy": (lambda out=None: nt.slice_copy(A, 0, 0, 2, out=out),
                   (None, nt.float32, EXACT.format("double", "float"))),
    "argsort": (lambda out=None: nt.argsort(A, stable=True, out=out),
                (None, nt.int32, EXACT.format("long int", "int"))),
    "msort": (lambda out=None: nt.msort(A, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "isin": (lambda out=None: nt.isin(A, A[0], out=out), (None, nt.float64, EXACT.format("bool", "double"))),
    "clamp_max": (lambda out=None: nt.clamp_max(A, 0.0, out=out),
                  (None, nt.float32, "Found dtype Float but expected Double")),
    "clamp_min": (lambda out=None: nt.clamp_min(A, 0.0, out=out),
                  (None, nt.float32, "Found dtype Float but expected Double")),
    "diff": (lambda out=None: nt.diff(A, out=out), (None, nt.long, CAST)),
    "isneginf": (lambda out=None: nt.isneginf(A, out=out),
                 (None, nt.float64, "isneginf does not support non-boolean outputs.")),
    "isposinf": (lambda out=None: nt.isposinf(A, out=out),
                 (None, nt.float64, "isposinf does not support non-boolean outputs.")),
    "mvlgamma": (lambda out=None: nt.mvlgamma(A.abs() + 2, 2, out=out), (None, nt.long, CAST)),
    "polygamma": (lambda out=None: nt.polygamma(1, A.abs() + 1, out=out), (None, nt.long, CAST)),
    "frobenius_norm": (lambda out=None: nt.frobenius_norm(A, (0, 1), out=out),
                       (None, nt.float32, EXACT.format("double", "float"))),
    "nuclear_norm": (lambda out=None: nt.nuclear_norm(A, out=out),
                     (None, nt.float32, "linalg.matrix_norm expected out tensor dtype Double but got: Float")),
    "lu_solve": (lambda out=None: nt.lu_solve(A, *LU, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "nonzero_static": (lambda out=None: nt.nonzero_static(A, size=4, out=out),
                       (None, nt.int32, "nonzero_static: Expected out tensor to have scalar type Long but got scalar "
                                        "typeInt")),
    "hardshrink": (lambda out=None: nt.hardshrink(A, out=out),
                   (None, nt.float32, "Found dtype Float but expected Double")),
    "threshold": (lambda out=None: nt.threshold(A, 0.0, 5.0, out=out), (None, nt.long, CAST)),
    "quantile": (lambda out=None: nt.quantile(A, 0.25, dim=1, out=out),
                 (None, nt.float32, "quantile() out tensor must be same dtype as the input tensor")),
    "nanquantile": (lambda out=None: nt.nanquantile(A, 0.25, out=out),
                    (None, nt.float32, "quantile() out tensor must be same dtype as the input tensor")),
    "renorm": (lambda out=None: nt.renorm(A, 2, 0, 1.0, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "index_add": (lambda out=None: nt.index_add(A, 0, IDX, A[:2], alpha=2, out=out),
                  (None, nt.float32, EXACT.format("double", "float"))),
    "index_copy": (lambda out=None: nt.index_copy(A, 0, IDX, A[:2], out=out),
                   (None, nt.float32, EXACT.format("double", "float"))),
    "index_reduce": (lambda out=None: nt.index_reduce(A, 0, IDX, A[:2], "prod", out=out),
                     (None, nt.float32, EXACT.format("double", "float"))),
    "scatter": (lambda out=None: nt.scatter(A, 0, ZI, A, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "scatter_add": (lambda out=None: nt.scatter_add(A, 0, ZI, A, out=out),
                    (None, nt.float32, EXACT.format("double", "float"))),
    "scatter_reduce": (lambda out=None: nt.scatter_reduce(A, 0, ZI, A, "amax", out=out),
                       (None, nt.float32, EXACT.format("double", "float"))),
    "slice_scatter": (lambda out=None: nt.slice_scatter(A, A[:1], 0, 0, 1, out=out),
                      (None, nt.float32, EXACT.format("double", "float"))),
    "softmax": (lambda out=None: nt.softmax(A, 0, out=out), (None, nt.float32, EXACT.format("double", "float"))),
    "log_softmax": (lambda out=None: nt.log_softmax(A, 1, out=out),
                    (None, nt.float32, EXACT.format("double", "float"))),
    "max_all": (lambda out=None: nt.max(A, out=out), (None, nt.long, CAST)),
    "min_other": (lambda out=None: nt.min(A, other=A.flip(0), out=out), (None, nt.long, CAST)),
}
TUPLE = {
    "aminmax": (lambda out=None: nt.aminmax(A, dim=0, out=out), (0, nt.float32, EXACT.format("double", "float"))),
    "cummax": (lambda out=None: nt.cummax(A, 0, out=out),
               (1, nt.float64, "expected scalar_type Long but found Double")),
    "cummin": (lambda out=None: nt.cummin(A, 1, out=out),
               (0, nt.float32, "expected scalar_type Double but found Float")),
    "mode": (lambda out=None: nt.mode(A, 0, out=out),
             (1, nt.float64, "expected scalar type 'Long' but got 'Double' for indices output")),
    "median": (lambda out=None: nt.median(A, 0, out=out),
               (0, nt.float32, "Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; "
                               "but type torch.FloatTensor does not equal torch.DoubleTensor (while checking "
                               "arguments for median)")),
    "nanmedian": (lambda out=None: nt.nanmedian(A, 1, out=out),
                  (1, nt.float64, "Expected tensor for argument #1 'indices' to have scalar type Long; but got "
                                  "torch.DoubleTensor instead (while checking arguments for median)")),
    "max_dim": (lambda out=None: nt.max(A, 0, out=out), (1, nt.int32, EXACT.format("long int", "int"))),
    "min_dim": (lambda out=None: nt.min(A, 1, keepdim=True, out=out),
                (0, nt.float32, EXACT.format("double", "float"))),
    "frexp": (lambda out=None: nt.frexp(A, out=out),
              (1, nt.long, "torch.frexp() expects exponent to have int dtype but got long int")),
    "histogram": (lambda out=None: nt.histogram(A, 3, out=out),
                  (1, nt.float32, "torch.histogram: input tensor and bin_edges tensor should have the same dtype, but "
                                  "got input double and bin_edges float for dimension 0")),
    "lu_unpack": (lambda out=None: nt.lu_unpack(*LU, out=out), (2, nt.float32, EXACT.format("double", "float"))),
    "slogdet": (lambda out=None: nt.slogdet(A, out=out), (0, nt.float32, EXACT.format("double", "float"))),
    "sort": (lambda out=None: nt.sort(A, 0, out=out), (1, nt.float64, EXACT.format("long int", "double"))),
    "topk": (lambda out=None: nt.topk(A, 2, out=out), (0, nt.float32, EXACT.format("double", "float"))),
    "kthvalue": (lambda out=None: nt.kthvalue(A, 2, 0, out=out),
                 (1, nt.float64, "output indices must be of scalar type Long")),
}
ALL = {**SINGLE, **TUPLE}

# numpy oracles for the cheap ones
ORACLE = {
    "addmm": lambda: 2 * AN + AN @ AN, "mv": lambda: AN @ VN, "outer": lambda: np.outer(VN, VN),
    "dot": lambda: VN @ VN, "inner": lambda: AN @ AN.T, "kron": lambda: np.kron(AN, AN),
    "cross": lambda: np.cross(AN, AN[::-1], axis=1), "msort": lambda: np.sort(AN, 0),
    "clamp_min": lambda: np.maximum(AN, 0), "diff": lambda: np.diff(AN), "isneginf": lambda: np.isneginf(AN),
    "softmax": lambda: np.exp(AN) / np.exp(AN).sum(0), "max_all": lambda: AN.max(),
    "min_other": lambda: np.minimum(AN, AN[::-1]), "threshold": lambda: np.where(AN > 0, AN, 5.0),
    "quantile": lambda: np.quantile(AN, 0.25, axis=1), "cummax": lambda: np.maximum.accumulate(AN, 0),
    "max_dim": lambda: AN.max(0), "aminmax": lambda: AN.min(0), "sort": lambda: np.sort(AN, 0),
}


def _empty_like_result(res, shape=(0,)):
    if isinstance(res, tuple):
        return tuple(nt.empty(shape, dtype=r.dtype) for r in res)
    return nt.empty(shape, dtype=res.dtype)


def _same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert tuple(a.shape) == tuple(b.shape) and a.dtype is b.dtype
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", sorted(ALL))
def test_out_matches_the_plain_call_and_is_returned(name):
    call = ALL[name][0]
    expected = call()
    out = _empty_like_result(expected)
    got = call(out=out)
    _same(got, expected)
    if isinstance(expected, tuple):
        assert type(got) is type(expected) and all(g is o for g, o in zip(got, out))
    else:
        assert got is out
    if name in ORACLE:
        first = got[0] if isinstance(got, tuple) else got
        np.testing.assert_allclose(first.numpy(), ORACLE[name](), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ALL))
def test_out_with_elements_and_the_wrong_shape_is_resized_with_torchs_warning(name):
    call = ALL[name][0]
    expected = call()
    out = _empty_like_result(expected, (7,))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = call(out=out)
    shape = list((expected[0] if isinstance(expected, tuple) else expected).shape)
    message = (f"An output with one or more elements was resized since it had shape [7], which does not match the "
               f"required output shape {shape}. This behavior is deprecated, and in a future PyTorch release outputs "
               "will not be resized unless they have zero elements. You can explicitly reuse an out tensor t by "
               "resizing it, inplace, to zero elements with t.resize_(0).")
    assert any(message in str(w.message) for w in caught)
    _same(got, expected)


@pytest.mark.parametrize("name", sorted(ALL))
def test_out_of_the_wrong_dtype_raises_torchs_error(name):
    call, (index, dtype, message) = ALL[name]
    out = _empty_like_result(call())
    if index is None:
        out = nt.empty(0, dtype=dtype)
    else:
        out = tuple(nt.empty(0, dtype=dtype) if i == index else o for i, o in enumerate(out))
    with pytest.raises(RuntimeError, match=re.escape(message)):
        call(out=out)


@pytest.mark.parametrize("name", ["outer", "kron", "diff", "threshold", "max_all"])
def test_castable_ops_write_into_a_wider_or_narrower_float_out(name):
    call = ALL[name][0]
    out = nt.empty(0, dtype=nt.float32)
    got = call(out=out)
    np.testing.assert_allclose(got.numpy(), call().numpy().astype(np.float32), rtol=1e-6)


def test_out_under_autograd_raises_torchs_error_and_not_under_no_grad():
    a = A.clone().requires_grad_()
    msg = "cummax(): functions with out=... arguments don't support automatic differentiation, but one of the " \
          "arguments requires grad."
    with pytest.raises(RuntimeError, match=re.escape(msg)):
        nt.cummax(a, 0, out=(nt.empty(0, dtype=nt.float64), nt.empty(0, dtype=nt.long)))
    with pytest.raises(RuntimeError, match=re.escape("softmax(): functions with out=")):
        nt.softmax(a, 0, out=nt.empty(0, dtype=nt.float64))
    with pytest.raises(RuntimeError, match=re.escape("index_add(): functions with out=")):
        nt.index_add(A, 0, IDX, a[:2], out=nt.empty(0, dtype=nt.float64))
    with nt.no_grad():
        out = nt.empty(0, dtype=nt.float64)
        assert nt.softmax(a, 0, out=out) is out


def test_out_structure_errors():
    with pytest.raises(TypeError, match=re.escape("cummax(): argument 'out' must be tuple of Tensors, not Tensor")):
        nt.cummax(A, 0, out=nt.empty(0))
    with pytest.raises(TypeError, match="expected tuple of 2 elements but got 3"):
        nt.cummax(A, 0, out=(nt.empty(0), nt.empty(0, dtype=nt.long), nt.empty(0)))
    with pytest.raises(TypeError, match=re.escape("softmax(): argument 'out' must be Tensor, not tuple")):
        nt.softmax(A, 0, out=(nt.empty(0),))
    with pytest.raises(TypeError, match=re.escape('median() missing 1 required positional arguments: "dim"')):
        nt.median(A, out=nt.empty(0, dtype=nt.float64))
    # a list works as a tuple (torch accepts either)
    v, i = nt.empty(0, dtype=nt.float64), nt.empty(0, dtype=nt.long)
    assert nt.cummin(A, 0, out=[v, i]).values is v


def test_out_dtype_is_cuda_only_as_in_torchs_cpu_build():
    for op, call in (("mm", lambda **k: nt.mm(A, A, **k)), ("bmm", lambda **k: nt.bmm(A[None], A[None], **k)),
                     ("addmm", lambda **k: nt.addmm(A, A, A, **k)),
                     ("baddbmm", lambda **k: nt.baddbmm(A[None], A[None], A[None], **k))):
        with pytest.raises(NotImplementedError, match=re.escape(f"Could not run 'aten::{op}.dtype' with arguments "
                                                                "from the 'CPU' backend")):
            call(out_dtype=nt.float64)
        with pytest.raises(NotImplementedError, match=re.escape(f"'aten::{op}.dtype_out'")):
            call(out_dtype=nt.float64, out=nt.empty(0, dtype=nt.float64))


# -- keyword names ------------------------------------------------------------------------------------------------
def _eq(a, b):
    if isinstance(a, tuple | list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _eq(x, y)
    else:
        _same(a, b)


B3 = nt.tensor(RNG.standard_normal((2, 4, 6)))
KEYWORD_FORMS = {
    "max other": (lambda: nt.max(A, other=A.flip(0)), lambda: nt.maximum(A, A.flip(0))),
    "max positional tensor": (lambda: nt.max(A, A.flip(0)), lambda: nt.maximum(A, A.flip(0))),
    "min other": (lambda: nt.min(input=A, other=A.flip(1)), lambda: nt.minimum(A, A.flip(1))),
    "Tensor.max other": (lambda: A.max(other=A.flip(0)), lambda: nt.maximum(A, A.flip(0))),
    "Tensor.min other": (lambda: A.min(other=A.flip(0)), lambda: nt.minimum(A, A.flip(0))),
    "dot tensor": (lambda: nt.dot(input=V, tensor=V.flip(0)), lambda: nt.dot(V, V.flip(0))),
    "Tensor.dot tensor": (lambda: V.dot(tensor=V.flip(0)), lambda: nt.dot(V, V.flip(0))),
    "isin elements": (lambda: nt.isin(elements=A, test_elements=A[0]), lambda: nt.isin(A, A[0])),
    "isin element": (lambda: nt.isin(element=float(AN[0, 0]), test_elements=A), lambda: nt.isin(float(AN[0, 0]), A)),
    "isin test_element": (lambda: nt.isin(A, test_element=float(AN[1, 1])), lambda: nt.isin(A, float(AN[1, 1]))),
    "swapaxes": (lambda: nt.swapaxes(B3, axis0=0, axis1=2), lambda: nt.swapaxes(B3, 0, 2)),
    "Tensor.swapaxes": (lambda: B3.swapaxes(axis0=2, axis1=1), lambda: B3.transpose(2, 1)),
    "Tensor.view dtype": (lambda: A.view(dtype=nt.int64), lambda: A.view(nt.int64)),
    "Tensor.view size": (lambda: A.view(size=(9,)), lambda: A.view(9)),
    "Tensor.expand size": (lambda: V.expand(size=(2, 3)), lambda: V.expand(2, 3)),
    "Tensor.repeat repeats": (lambda: A.repeat(repeats=(2, 1)), lambda: A.repeat(2, 1)),
    "tensor_split tensor": (lambda: nt.tensor_split(B3, tensor_indices_or_sections=nt.tensor([1, 3]), dim=1),
                            lambda: nt.tensor_split(B3, [1, 3], 1)),
    "Tensor.tensor_split tensor": (lambda: B3.tensor_split(tensor_indices_or_sections=nt.tensor(3), dim=2),
                                   lambda: B3.tensor_split(3, 2)),
    "hsplit sections": (lambda: nt.hsplit(B3, sections=2), lambda: nt.hsplit(B3, 2)),
    "vsplit indices": (lambda: nt.vsplit(B3, indices=[1]), lambda: nt.vsplit(B3, [1])),
    "dsplit sections": (lambda: nt.dsplit(B3, sections=3), lambda: nt.dsplit(B3, 3)),
    "Tensor.dsplit indices": (lambda: B3.dsplit(indices=[2, 5]), lambda: B3.dsplit([2, 5])),
    "Tensor.hsplit indices": (lambda: B3.hsplit(indices=[1]), lambda: B3.hsplit([1])),
    "Tensor.vsplit sections": (lambda: B3.vsplit(sections=2), lambda: B3.vsplit(2)),
    "concatenate dim": (lambda: nt.concatenate([A, A], dim=1), lambda: nt.cat([A, A], 1)),
    "concatenate axis": (lambda: nt.concatenate([A, A], axis=1), lambda: nt.cat([A, A], 1)),
    "unsafe_split split_size": (lambda: nt.unsafe_split(A, split_size=2), lambda: nt.split(A, 2)),
    "cholesky_solve input2": (lambda: nt.cholesky_solve(input=A, input2=nt.eye(3, dtype=nt.float64)),
                              lambda: nt.cholesky_solve(A, nt.eye(3, dtype=nt.float64))),
    "Tensor.cholesky_solve input2": (lambda: A.cholesky_solve(input2=nt.eye(3, dtype=nt.float64), upper=True),
                                     lambda: nt.cholesky_solve(A, nt.eye(3, dtype=nt.float64), True)),
    "Tensor.addcmul_": (lambda: A.clone().addcmul_(tensor1=A, tensor2=A, value=2),
                        lambda: A.clone().addcmul_(A, A, value=2)),
    "Tensor.addcdiv_": (lambda: A.clone().addcdiv_(tensor1=A, tensor2=A + 5), lambda: A.clone().addcdiv_(A, A + 5)),
    "Tensor.pow_": (lambda: A.clone().pow_(exponent=2), lambda: A.clone().pow_(2)),
    "Tensor.copy_": (lambda: nt.empty(3, 3, dtype=nt.float64).copy_(other=A), lambda: A.clone()),
    "Tensor.map_": (lambda: A.clone().map_(other=A, callable=lambda a, b: a * b), lambda: A * A),
    "Tensor.resize_as_": (lambda: nt.empty(0).resize_as_(the_template=A).shape, lambda: A.shape),
}


@pytest.mark.parametrize("name", sorted(KEYWORD_FORMS))
def test_keyword_form_equals_the_positional_one(name):
    keyword, positional = KEYWORD_FORMS[name]
    a, b = keyword(), positional()
    if isinstance(b, tuple) and not isinstance(b, nt.Tensor) and b and not isinstance(b[0], nt.Tensor):
        assert tuple(a) == tuple(b)  # a shape
    else:
        _eq(a, b)


def test_result_type_and_promote_types_keywords():
    i = nt.tensor([1])
    assert nt.result_type(tensor=i, other=nt.tensor([1.0])) is nt.float32
    assert nt.result_type(tensor=i, other=2.5) is nt.float32
    assert nt.result_type(scalar=2.5, tensor=i) is nt.float32
    assert nt.result_type(scalar1=1, scalar2=2) is nt.int64
    assert nt.result_type(i, 2) is nt.int64
    with pytest.raises(TypeError, match="result_type\\(\\) received an invalid combination of arguments"):
        nt.result_type(scalar=2.5, other=i)  # not one of torch's forms
    with pytest.raises(TypeError, match="result_type\\(\\) received an invalid combination of arguments"):
        nt.result_type(i)
    assert nt.promote_types(type1=nt.int32, type2=nt.float32) is nt.float32


def test_is_set_to_record_stream_and_is_pinned_keywords():
    assert A.is_set_to(tensor=A) and not A.is_set_to(tensor=A.clone())
    assert A.record_stream(s=None) is None
    with pytest.warns(DeprecationWarning, match="The argument 'device' of Tensor.is_pinned\\(\\) is deprecated"):
        assert A.is_pinned(device="cpu") is False


def test_keyword_conflicts_are_type_errors():
    with pytest.raises(TypeError):
        A.view(9, size=(9,))
    with pytest.raises(TypeError):
        nt.hsplit(B3, 2, sections=2)
    with pytest.raises(TypeError):
        nt.isin(A)
