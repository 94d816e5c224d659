"""bfloat16 on CUDA: numba-cuda has no bfloat16 type, so ntorch registers no CUDA bfloat16 kernel and keeps no
bfloat16 device arrays. Every way in raises a clear error naming the op and what is supported (never a Numba
typing error); the CPU side is tested in tests/test_bfloat16.py."""

from __future__ import annotations

import pytest

import ntorch as nt
from ntorch import dispatch

BF = nt.bfloat16


@pytest.mark.parametrize("make", [
    lambda: nt.ones(2, dtype=BF, device="cuda"),
    lambda: nt.tensor([1.5, 2.0], dtype=BF).to("cuda"),
    lambda: nt.ones(2, device="cuda").to(BF),
    lambda: nt.ones(2, device="cuda").bfloat16(),
])
def test_bfloat16_cuda_tensors_raise_a_clear_error(make):
    with pytest.raises(TypeError, match=r"unsupported dtype bfloat16; ntorch supports bool, .*float64, complex64, "
                                        r"complex128 "
                                        r"\(bfloat16 is CPU-only: numba-cuda has no bfloat16 type\)"):
        make()


@pytest.mark.parametrize("op", ["add", "mm", "sum", "softmax", "copy", "cat", "index"])
def test_no_cuda_bfloat16_kernel_is_registered(op):
    assert BF not in dispatch.supported_dtypes(op, "cuda")
    with pytest.raises(NotImplementedError, match=f"{op}: not implemented for dtype bfloat16 on device 'cuda'; "
                                                  "supported dtypes: "):
        dispatch.lookup(op, "cuda", BF)


def test_cuda_autocast_refuses_bfloat16_as_torch():
    with pytest.raises(RuntimeError, match="Current CUDA Device does not support bfloat16. Please switch dtype to "
                                           "float16."):
        nt.autocast("cuda", dtype=BF)
    with nt.autocast("cuda"):
        a = nt.ones(2, 2, device="cuda")
        assert (a @ a).dtype is nt.float16
