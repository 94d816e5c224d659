import numpy as np
import pytest

import ntorch

FLOAT_DTYPES = [ntorch.float16, ntorch.float32, ntorch.float64]
INT_DTYPES = [ntorch.uint8, ntorch.int8, ntorch.int16, ntorch.int32, ntorch.int64]
ALL_DTYPES = [ntorch.bool, *INT_DTYPES, *FLOAT_DTYPES]
# Op-table sweeps run every op in every dtype it supports on contiguous operands, and the layout variants (strided,
# broadcast rows, transposed, 0-d operands) in these dtypes only: the variants are code templates shared by all ops,
# with the op's expression the same function in each, so other dtypes would only add Numba compiles (each
# op x dtype x variant is one: most of a cold test run). 16-bit floats compute through the float32 kernels.
LAYOUT_DTYPES = (ntorch.float32, ntorch.int64, ntorch.bool, ntorch.float16, ntorch.bfloat16)
CONTIGUOUS_BROADCAST = [((3, 4), (3, 4)), ((0, 3), (3,)), ((5,), ())]  # the broadcast cases of the other dtypes


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def spy_generated_loops(monkeypatch, prefixes: tuple) -> list:
    """Names of the generated elementwise loops starting with one of `prefixes` that run from now on (each wrapped
    in its module as the kernel first runs)."""
    from ntorch.kernels.cpu import elementwise

    calls = []
    orig = elementwise.ElementwiseKernel._run

    def run(self, out, operands, params):
        mod = self.module
        for name in dir(mod):
            fn = getattr(mod, name)
            if name.startswith(prefixes) and not hasattr(fn, "spied"):
                def spy(*args, _fn=fn, _name=name):
                    calls.append(_name)
                    return _fn(*args)
                spy.spied = True
                monkeypatch.setattr(mod, name, spy)
        return orig(self, out, operands, params)

    monkeypatch.setattr(elementwise.ElementwiseKernel, "_run", run)
    return calls


@pytest.fixture
def strided_loops(monkeypatch):
    """Small non-contiguous operands take the elementwise kernels' strided, tiled and vector loops (by default they
    are copied to C order and take the contiguous loop: kernels/cpu/elementwise.COPY_BELOW_ELEMENTS)."""
    from ntorch.kernels.cpu import elementwise

    monkeypatch.setattr(elementwise, "COPY_BELOW_ELEMENTS", 0)


def random_array(rng, shape, dt, low=-5, high=5):
    """Random values of an ntorch dtype as a NumPy array."""
    if dt is ntorch.bool:
        return np.asarray(rng.random(shape) > 0.5)
    if dt.is_floating_point:
        return np.asarray(rng.uniform(low, high, shape)).astype(dt.np)
    if dt is ntorch.uint8:
        low = max(low, 0)
    return np.asarray(rng.integers(low, high, shape)).astype(dt.np)


def _from_numpy(arr):
    """ntorch.from_numpy, except for ml_dtypes bfloat16 arrays (which torch and ntorch refuse): through float32."""
    if arr.dtype == ntorch.bfloat16.np:
        return ntorch.from_numpy(arr.astype(np.float32)).to(ntorch.bfloat16)
    return ntorch.from_numpy(arr)


def dtype_layouts(arr, dt):
    """layouts(arr) in the LAYOUT_DTYPES; the contiguous one alone in the others."""
    return layouts(arr) if dt in LAYOUT_DTYPES else [next(layouts(arr))]


def layouts(arr):
    """The same values in several memory layouts: contiguous, transposed, stepped, expanded (stride 0)."""
    t = _from_numpy(arr.copy())
    yield "contiguous", t, arr
    if arr.ndim >= 2:
        tt = _from_numpy(np.ascontiguousarray(arr.swapaxes(-1, -2))).transpose(-1, -2)
        yield "transposed", tt, arr
    big = np.repeat(arr, 2, axis=-1) if arr.ndim else arr
    if arr.ndim:
        yield "stepped", _from_numpy(big.copy())[..., ::2], arr
    if arr.ndim and arr.shape[0] == 1:
        yield "expanded", _from_numpy(arr.copy()).expand(*arr.shape), arr
