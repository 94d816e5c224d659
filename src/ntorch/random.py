"""Random numbers: a Generator object and the default one, seeded by manual_seed.

Streams come from NumPy's Philox counter-based bit generator, so a seed gives the same numbers on
every run (they are not PyTorch's numbers for the same seed).
"""

from __future__ import annotations

import numpy as np

from . import _arrays, dispatch, dtypes
from .devices import as_device, cuda_index
from .ops.creation import _dt, _finish, _shape_arg
from .tensor import Tensor


class Generator:
    """torch.Generator: an independent, seedable random stream.

    On the CPU it is NumPy's Philox bit generator. On a CUDA device it is (seed, offset) for the device-side
    Philox4x32-10 kernels: every element's value depends only on (seed, offset, element index), and each call
    advances the offset, so a seed gives the same numbers whatever the launch configuration."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = 67280421310721
        self._offset = 0
        self._rng = np.random.Generator(np.random.Philox(self._seed)) if self.device.type == "cpu" else None

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self._offset = 0
        if self.device.type == "cpu":
            self._rng = np.random.Generator(np.random.Philox(self._seed))
        return self

    def _next_offset(self) -> int:
        offset = self._offset
        self._offset += 1
        return offset

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        return self.manual_seed(int(np.random.SeedSequence().entropy) & 0xFFFFFFFFFFFFFFFF).initial_seed()

    def get_state(self) -> Tensor:
        if self._rng is None:  # CUDA: (seed, offset)
            return Tensor._wrap(np.array([self._seed, self._offset], dtype=np.uint64).view(np.uint8).copy())
        state = self._rng.bit_generator.state
        key = np.array(state["state"]["key"], dtype=np.uint64)
        counter = np.array(state["state"]["counter"], dtype=np.uint64)
        extra = np.array([state["buffer_pos"], state["has_uint32"], state["uinteger"]], dtype=np.uint64)
        buffer = np.array(state["buffer"], dtype=np.uint64)
        return Tensor._wrap(np.concatenate([key, counter, extra, buffer]).view(np.uint8).copy())

    def set_state(self, state: Tensor) -> Generator:
        words = state._host().view(np.uint64)
        if self._rng is None:
            self._seed, self._offset = int(words[0]), int(words[1])
            return self
        bg = self._rng.bit_generator
        bg.state = {
            "bit_generator": "Philox",
            "state": {"counter": words[2:6].copy(), "key": words[0:2].copy()},
            "buffer": words[9:13].copy(), "buffer_pos": int(words[6]), "has_uint32": int(words[7]),
            "uinteger": int(words[8]),
        }
        return self


default_generator = Generator()
_cuda_generators: dict[int, Generator] = {}  # one default generator per CUDA device, made on first use


def cuda_generator(index: int) -> Generator:
    g = _cuda_generators.get(index)
    if g is None:
        g = _cuda_generators[index] = Generator(f"cuda:{index}").manual_seed(default_generator.initial_seed())
    return g


def manual_seed(seed: int) -> Generator:
    """Seeds the CPU generator and every CUDA device's, as torch.manual_seed does."""
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def _rng(generator: Generator | None) -> np.random.Generator:
    return (generator or default_generator)._rng


def _float_dt(dtype, op: str) -> dtypes.dtype:
    dt = _dt(dtype)
    if not dt.is_floating_point:
        raise RuntimeError(f"{op}: expected a floating point dtype, got {dt.name}")
    return dt


def _on_device(op: str, shape: tuple, dt: dtypes.dtype, device, generator: Generator | None, *args) -> Tensor:
    """A tensor of `shape` filled on a CUDA device by the Philox kernel `op` ("uniform_", "normal_", "randint_")."""
    index = cuda_index(device)
    g = generator if generator is not None else cuda_generator(index)
    if g.device.type != "cuda":
        raise RuntimeError(f"Expected a 'cuda' device type for generator but found '{g.device.type}'")
    out = _arrays.empty(shape, dt.np, index)
    if out.size:
        dispatch.lookup(op, "cuda", dt)(out.device_array(), g._seed, g._next_offset(), *args)
    return Tensor._wrap(out)


for _name, _dts in (("uniform_", dtypes.FLOAT_DTYPES), ("normal_", dtypes.FLOAT_DTYPES),
                    ("randint_", (dtypes.int64,))):
    dispatch.register(_name, "cuda", _dts, dispatch.cuda_kernel("random", _name), lazy=True)


def rand(*size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = as_device(device)
    dt = _float_dt(dtype, "rand")
    shape = _shape_arg(size, "rand")
    if d.type == "cuda":
        return _finish(_on_device("uniform_", shape, dt, d, generator, 0.0, 1.0)._data, requires_grad)
    if dt is dtypes.float16:
        # on float16's own grid: rounding float32 samples would turn values near 1 into 1.0
        arr = _rng(generator).integers(0, 1 << 11, shape) * (1.0 / (1 << 11))
    else:
        arr = _rng(generator).random(shape, dtype=np.float64 if dt is dtypes.float64 else np.float32)
    return _finish(arr.astype(dt.np, copy=False), requires_grad)


def randn(*size, generator: Generator | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    d = as_device(device)
    dt = _float_dt(dtype, "randn")
    if d.type == "cuda":
        return _finish(_on_device("normal_", _shape_arg(size, "randn"), dt, d, generator, 0.0, 1.0)._data,
                       requires_grad)
    np_dt = np.float64 if dt is dtypes.float64 else np.float32
    arr = _rng(generator).standard_normal(_shape_arg(size, "randn"), dtype=np_dt)
    return _finish(arr.astype(dt.np, copy=False), requires_grad)


def randint(low, high=None, size=None, *, generator: Generator | None = None, dtype=None, device=None,
            requires_grad: bool = False) -> Tensor:
    """torch.randint(high, size) or torch.randint(low, high, size): int64 by default."""
    d = as_device(device)
    if size is None:
        if high is None or not isinstance(high, tuple | list):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dt = _dt(dtype, dtypes.int64)
    if d.type == "cuda":
        t = _on_device("randint_", _shape_arg((size,), "randint"), dtypes.int64, d, generator, int(low), int(high))
        return _finish(t.to(dt)._data, requires_grad)
    arr = _rng(generator).integers(low, high, _shape_arg((size,), "randint"), dtype=np.int64)
    return _finish(arr.astype(dt.np), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, dtype=None, device=None,
             requires_grad: bool = False) -> Tensor:
    as_device(device)
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    # made on the host and copied to a CUDA device (no device permutation kernel yet)
    return _finish(_rng(None if generator is None or generator._rng is None else generator).permutation(n).astype(
        _dt(dtype, dtypes.int64).np), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None, dtype=None) -> Tensor:
    """torch.normal with scalar or tensor mean/std (tensors broadcast)."""
    on_cuda = [t for t in (mean, std) if isinstance(t, Tensor) and t.is_cuda]
    if on_cuda:  # a standard normal sample on the device, scaled and shifted by the ops (which broadcast)
        size = tuple(size) if size is not None else tuple(np.broadcast_shapes(
            *(tuple(t.shape) if isinstance(t, Tensor) else () for t in (mean, std))))
        dt = mean.dtype if isinstance(mean, Tensor) else std.dtype
        z = _on_device("normal_", size, dt, on_cuda[0].device, generator, 0.0, 1.0)
        if bool((std < 0).any()) if isinstance(std, Tensor) else std < 0:
            raise RuntimeError("normal expects all elements of std >= 0.0")
        return mean + std * z
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    if np.any(np.asarray(s) < 0):
        raise RuntimeError(f"normal expects std >= 0.0, but found std {np.min(s)}")
    if size is None:
        size = np.broadcast_shapes(np.shape(m), np.shape(s))
        if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
            raise TypeError("normal(): with scalar mean and std, size is required")
    dt = mean.dtype if isinstance(mean, Tensor) else std.dtype if isinstance(std, Tensor) else _dt(dtype)
    z = _rng(generator).standard_normal(tuple(size))
    return _finish((m + s * z).astype(dt.np))


def rand_like(input: Tensor, *, dtype=None, generator: Generator | None = None, device=None) -> Tensor:
    return rand(input.shape, dtype=dtype or input.dtype, generator=generator,
                device=input.device if device is None else device)


def randn_like(input: Tensor, *, dtype=None, generator: Generator | None = None, device=None) -> Tensor:
    return randn(input.shape, dtype=dtype or input.dtype, generator=generator,
                 device=input.device if device is None else device)


def randint_like(input: Tensor, low, high=None, *, dtype=None, device=None) -> Tensor:
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype,
                   device=input.device if device is None else device)


FUNCTIONS = {
    "manual_seed": manual_seed, "seed": seed, "initial_seed": initial_seed, "get_rng_state": get_rng_state,
    "set_rng_state": set_rng_state, "rand": rand, "randn": randn, "randint": randint, "randperm": randperm,
    "normal": normal, "rand_like": rand_like, "randn_like": randn_like, "randint_like": randint_like,
}
