"""The small torch names of ntorch.ops.extra_names, against NumPy (torch's values in the comments)."""

import numpy as np
import pytest

import ntorch


def test_view_as_real_copy():
    z = ntorch.tensor(np.array([1 + 2j, -3 + 0.5j]), dtype=ntorch.complex64)
    r = ntorch.view_as_real_copy(z)
    assert r.dtype == ntorch.float32 and r.is_contiguous()
    np.testing.assert_array_equal(r.numpy(), [[1, 2], [-3, 0.5]])
    r[0, 0] = 7.0  # a copy: the complex tensor is untouched
    assert z[0].item() == 1 + 2j
    with pytest.raises(RuntimeError, match="^view_as_real is only supported for complex tensors$"):
        ntorch.view_as_real_copy(ntorch.ones(3))
    a = ntorch.tensor([1.0, 2.0], dtype=ntorch.float64, requires_grad=True)
    b = ntorch.tensor([3.0, -1.0], dtype=ntorch.float64, requires_grad=True)
    out = ntorch.view_as_real_copy(ntorch.complex(a, b))
    (out * ntorch.tensor([[1.0, 10.0], [2.0, 20.0]], dtype=ntorch.float64)).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1, 2])
    np.testing.assert_array_equal(b.grad.numpy(), [10, 20])


def test_view_as_complex_copy():
    x = ntorch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=ntorch.float64)
    z = ntorch.view_as_complex_copy(x)
    assert z.dtype == ntorch.complex128 and z.tolist() == [1 + 2j, 3 + 4j]
    z[0] = 0j
    assert x[0, 0].item() == 1.0
    with pytest.raises(RuntimeError, match="^Tensor must have a last dimension of size 2$"):
        ntorch.view_as_complex_copy(ntorch.ones(3))
    with pytest.raises(RuntimeError, match="^view_as_complex_copy does not support automatic differentiation"):
        ntorch.view_as_complex_copy(ntorch.ones(3, 2, requires_grad=True))


def test_embedding_renorm_():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((5, 3)) * 2
    w = ntorch.tensor(w0)
    res = ntorch.embedding_renorm_(w, ntorch.tensor([[1, 3], [1, -1]]), 0.5, 1.0)
    assert res is w
    want = w0.copy()
    for i in (1, 3, 4):  # distinct rows, -1 is the last one
        n = np.abs(w0[i]).sum()
        if n > 0.5:
            want[i] = w0[i] * (0.5 / (n + 1e-7))
    np.testing.assert_allclose(w.numpy(), want, rtol=1e-15)
    np.testing.assert_array_equal(w.numpy()[[0, 2]], w0[[0, 2]])
    with pytest.raises(RuntimeError, match=r"^Expected 2-dimensional tensor, but got 1-dimensional tensor for argument "
                                           r"#1 'self' \(while checking arguments for embedding_renorm_\)$"):
        ntorch.embedding_renorm_(ntorch.ones(3), ntorch.tensor([0]), 1.0, 2.0)
    with pytest.raises(RuntimeError, match=r"^Expected tensor for argument #2 'indices' to have one of the following "
                                           r"scalar types: Long, Int; but got torch.FloatTensor instead"):
        ntorch.embedding_renorm_(ntorch.ones(3, 2), ntorch.tensor([0.0]), 1.0, 2.0)
    with pytest.raises(IndexError, match=r"^select\(\): index 7 out of range for tensor of size \[5, 3\] at dimension "
                                         r"0$"):
        ntorch.embedding_renorm_(ntorch.ones(5, 3), ntorch.tensor([7]), 1.0, 2.0)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place"):
        ntorch.embedding_renorm_(ntorch.ones(5, 3, requires_grad=True), ntorch.tensor([0]), 1.0, 2.0)


def test_init_num_threads_and_get_device_module():
    assert ntorch.init_num_threads() is None
    assert ntorch.get_device_module("cpu") is ntorch.cpu
    assert ntorch.get_device_module(ntorch.device("cuda:0")) is ntorch.cuda
    assert ntorch.get_device_module() is (ntorch.cuda if ntorch.cuda.is_available() else ntorch.cpu)
    with pytest.raises(RuntimeError, match=r"^Invalid value of device '3', expect torch.device, str, or None$"):
        ntorch.get_device_module(3)
    with pytest.raises(RuntimeError, match="device type at start of device string: foo"):
        ntorch.get_device_module("foo")
