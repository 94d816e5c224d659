"""CUDA c2c FFT kernels (kernels/cuda/fft.py) against numpy.fft: direct plans (radix 4, 2, 3, 5 and the generic
odd radix) and Bluestein, forward and inverse, both dtypes, batches 0/1/odd. Tiny sizes under the simulator."""

import numpy as np
import pytest
from cuda_util import dev, host
from ntorch.kernels.cuda import fft as KF

SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 30, 67]  # 67: prime above the direct radices -> Bluestein


@pytest.mark.parametrize("dt", [np.complex64, np.complex128])
def test_c2c_matches_numpy(dt, big):
    rng = np.random.default_rng(0)
    sizes = SIZES + ([1 << 12, 997, 4099, 1000] if big else [])
    tol = 2e-5 if dt == np.complex64 else 1e-11
    for n in sizes:
        for rows in (1, 3):
            a = (rng.standard_normal((rows, n)) + 1j * rng.standard_normal((rows, n))).astype(dt)
            for inverse in (False, True):
                got = host(KF.c2c(dev(a), inverse=inverse))
                ref = np.fft.ifft(a.astype(np.complex128)) * n if inverse else np.fft.fft(a.astype(np.complex128))
                assert got.dtype == dt
                assert np.abs(got - ref).max() <= tol * max(1.0, np.abs(ref).max()), (n, rows, inverse)


def test_empty_batch_and_errors():
    out = KF.c2c(dev(np.zeros((0, 8), np.complex64)))
    assert out.shape == (0, 8)
    with pytest.raises(TypeError):
        KF.c2c(dev(np.zeros((2, 4), np.float32)))
