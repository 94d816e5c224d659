"""Complex tensors are CPU-only in ntorch: every way of putting one on a CUDA device raises a clear
NotImplementedError (not a wrong result, not a crash inside a kernel)."""

import pytest

import ntorch as nt


@pytest.mark.parametrize("make", [
    lambda: nt.tensor([1 + 2j, 3j]).cuda(),
    lambda: nt.zeros(2, dtype=nt.complex64, device="cuda"),
    lambda: nt.ones(2, device="cuda") * 1j,
    lambda: nt.ones(2, device="cuda", dtype=nt.float64).to(nt.complex128),
    lambda: nt.randn(2, dtype=nt.complex64, device="cuda"),
    lambda: nt.rand(2, dtype=nt.complex128, device="cuda"),
    lambda: nt.view_as_complex(nt.ones(3, 2, device="cuda")),
])
def test_complex_on_cuda_is_not_implemented(make):
    with pytest.raises(NotImplementedError, match="not implemented on CUDA in ntorch"):
        make()
