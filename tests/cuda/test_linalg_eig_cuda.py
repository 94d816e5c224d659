"""linalg.eig / eigvals have no CUDA kernel (ntorch's CUDA linear algebra is real): a CUDA input raises
NotImplementedError naming the op, after torch's own argument checks."""

import pytest

import ntorch as nt


@pytest.mark.parametrize("op", ["eig", "eigvals"])
def test_cuda_input_raises(op):
    a = nt.ones(3, 3, device="cuda")
    with pytest.raises(NotImplementedError, match=rf"^linalg.{op}: ntorch has no CUDA kernel"):
        getattr(nt.linalg, op)(a)
    with pytest.raises(RuntimeError, match=rf"^linalg.{op}: A must be batches of square matrices"):
        getattr(nt.linalg, op)(nt.ones(2, 3, device="cuda"))
