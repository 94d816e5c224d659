"""Random numbers: a Generator object and the default one, seeded by manual_seed.

The CPU generator is torch's: mt19937 seeded with the seed's low 32 bits (NumPy's MT19937 with legacy seeding
gives the same words at C speed), and every sampler applies torch 2.13's CPU transform to those words
(kernels/cpu/mt_stream.py), so a seed gives torch's numbers: rand, randn, randint, randperm, bernoulli,
dropout masks, multinomial, exponential_, the nn.init functions and the data samplers. get_rng_state is torch's
5056-byte layout, so states pass between ntorch and torch. CUDA generators are device-side Philox streams.
"""

from __future__ import annotations

import contextlib
import math
import struct

import numpy as np

from . import _arrays, dispatch, dtypes, layouts
from .devices import as_device, cuda_index
from .ops._util import takes_out
from .ops.creation import _dt, _finish, _shape_arg, into_out
from .ops.shape import iteration_perm
from .tensor import Tensor

_MT_N = 624
_STATE_SIZE = 5056  # torch's CPUGeneratorImplState
_LEGACY_SIZE = 5048  # its legacy THGeneratorState (no float normal cache)
_HEADER = struct.Struct("<QiiQ")  # the_initial_seed, left, seeded, next


def _kernels():
    from .kernels.cpu import mt_stream  # on first use: keeps `import ntorch` light

    return mt_stream


class Generator:
    """torch.Generator: an independent, seedable random stream.

    On the CPU it is torch's mt19937 generator (with torch's cached second Box-Muller normal). On a CUDA device
    it is (seed, offset) for the device-side Philox4x32-10 kernels: every element's value depends only on
    (seed, offset, element index), and each call advances the offset, so a seed gives the same numbers whatever
    the launch configuration."""

    def __init__(self, device="cpu"):
        self.device = as_device(device)
        self._seed = 67280421310721
        self._offset = 0
        self._bg = self._np_rng = None
        self._bg_live = False  # True while NumPy's bit generator holds the state (after _rng was handed out)
        self._normal = self._normal_f = None  # torch's next_double / next_float normal sample
        if self.device.type == "cpu":
            self._reseed()

    def _reseed(self) -> None:
        bg = np.random.MT19937(0)
        bg._legacy_seeding(self._seed & 0xFFFFFFFF)  # init_genrand(seed & 0xffffffff), as std::mt19937
        st = bg.state["state"]
        # the state the Numba kernels advance: 624 words and NumPy's position (624: twist before the next draw)
        self._key = np.array(st["key"], np.uint32)
        self._pos = np.array([st["pos"]], np.int64)
        self._bg, self._bg_live = bg, False
        self._np_rng = np.random.Generator(bg)  # for the samplers that are not torch's (gamma, poisson, ...)
        self._normal = self._normal_f = None

    def _pull(self) -> None:
        """Take the state back from NumPy's bit generator after a NumPy sampler used it."""
        if self._bg_live:
            st = self._bg.state["state"]
            self._key[:] = st["key"]
            self._pos[0] = st["pos"]
            self._bg_live = False

    @property
    def _rng(self) -> np.random.Generator | None:
        """A NumPy Generator on this stream (the same mt19937 state), for samplers that are not torch's."""
        if self._bg is None:
            return None
        if not self._bg_live:
            self._bg.state = {"bit_generator": "MT19937", "state": {"key": self._key, "pos": int(self._pos[0])}}
            self._bg_live = True
        return self._np_rng

    def manual_seed(self, seed: int) -> Generator:
        self._seed = int(seed) & 0xFFFFFFFFFFFFFFFF
        self._offset = 0
        if self.device.type == "cpu":
            self._reseed()
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
        if self._bg is None:  # CUDA: (seed, offset)
            return Tensor._wrap(np.array([self._seed, self._offset], dtype=np.uint64).view(np.uint8).copy())
        self._pull()
        pos = int(self._pos[0])
        buf = bytearray(_STATE_SIZE)
        # torch's (left, next): it twists when left reaches 1; NumPy's pos is next, 624 meaning "twist first"
        _HEADER.pack_into(buf, 0, self._seed, _MT_N + 1 - pos, 1, pos % _MT_N)
        np.frombuffer(buf, np.uint64, _MT_N, 24)[:] = self._key
        if self._normal is not None:
            struct.pack_into("<d", buf, 5024, self._normal)
            struct.pack_into("<i", buf, 5040, 1)
        if self._normal_f is not None:
            struct.pack_into("<f?", buf, 5048, self._normal_f, True)
        return Tensor._wrap(np.frombuffer(bytes(buf), np.uint8).copy())

    def set_state(self, state: Tensor) -> Generator:
        if not isinstance(state, Tensor) or state.dtype is not dtypes.uint8 or state.is_cuda:
            raise TypeError("RNG state must be a torch.ByteTensor")
        if self._bg is None:
            words = state._host().view(np.uint64)
            self._seed, self._offset = int(words[0]), int(words[1])
            return self
        raw = np.ascontiguousarray(state._host()).tobytes()
        if len(raw) not in (_STATE_SIZE, _LEGACY_SIZE):
            raise RuntimeError(f"Expected either a CPUGeneratorImplStateLegacy of size {_LEGACY_SIZE} or a "
                               f"CPUGeneratorImplState of size {_STATE_SIZE} but found the input RNG state size "
                               f"to be {len(raw)}")
        seed, left, seeded, nxt = _HEADER.unpack_from(raw, 0)
        nxt &= 0xFFFFFFFF
        if not (seeded and 0 < left <= _MT_N and nxt <= _MT_N):
            raise RuntimeError("Invalid mt19937 state")
        key = np.frombuffer(raw, np.uint64, _MT_N, 24).astype(np.uint32)
        normal_x, normal_y, normal_rho = struct.unpack_from("<ddd", raw, 5016)
        valid = struct.unpack_from("<i", raw, 5040)[0]
        normal = normal_f = None
        if len(raw) == _STATE_SIZE:
            normal = normal_y if valid else None
            f, f_valid = struct.unpack_from("<f?", raw, 5048)
            normal_f = f if f_valid else None
        elif valid:  # the legacy layout kept (x, rho): the cached value is rho * sin(2 pi x)
            normal = normal_rho * math.sin(2.0 * math.pi * normal_x)
        self._seed = seed
        self._key[:] = key
        self._pos[0] = _MT_N if left == 1 else nxt
        self._bg_live = False
        self._normal, self._normal_f = normal, normal_f
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


# ---- torch's CPU transforms of the mt19937 words ----

def _cpu_gen(generator: Generator | None) -> Generator:
    g = generator if generator is not None else default_generator
    if g.device.type != "cpu":
        raise RuntimeError(f"Expected a 'cpu' device type for generator but found '{g.device.type}'")
    return g


def _words(g: Generator, n: int, wide: bool = False) -> np.ndarray:
    """n draws of random(): 32-bit words (as uint64); wide=True: of random64() = (first << 32) | second."""
    g._pull()
    out = np.empty(n, np.uint64)
    if n:
        _kernels().mt_words(g._key, g._pos, out, wide)
    return out


def _words64(g: Generator, n: int) -> np.ndarray:
    return _words(g, n, True)


_DIGITS = {dtypes.float16: 11, dtypes.bfloat16: 8, dtypes.float32: 24, dtypes.float64: 53}


def _uniform_values(g: Generator, n: int, dt: dtypes.dtype, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """n draws of torch's uniform_kernel: uniform_real_distribution<opmath>(lo, hi) (float64: 53 bits of
    random64(); float32, float16, bfloat16: 24 bits of random() in float32), cast to dt, and a value that the
    cast rounded up to hi becomes lo."""
    g._pull()
    if dt is dtypes.float64:
        out = np.empty(n, np.float64)
        if n:
            _kernels().uniform_mt(g._key, g._pos, out, True, np.uint64((1 << 53) - 1), 2.0 ** -53, float(lo),
                                  float(hi) - float(lo))
    else:
        lo_, hi_ = np.float32(lo), np.float32(hi)
        out = np.empty(n, np.float32)
        if n:
            _kernels().uniform_mt(g._key, g._pos, out, False, np.uint64((1 << 24) - 1), np.float32(2.0 ** -24), lo_,
                                  np.float32(hi_ - lo_))
        if dt is not dtypes.float32:
            out = out.astype(dt.np)
    top = np.asarray(hi, dt.np)
    if n and (out == top).any():
        out[out == top] = np.asarray(lo, dt.np)
    return out


def _serial_normals(g: Generator, n: int, mean: float, std: float) -> np.ndarray:
    """n draws of normal_distribution<double>(mean, std): Box-Muller on two uniform doubles, the sin value
    cached in the generator for the next draw (float64)."""
    z = np.empty(n, np.float64)
    start = 0
    if n and g._normal is not None:
        z[0], g._normal, start = g._normal, None, 1
    m = n - start
    pairs = (m + 1) // 2
    bm = np.empty(2 * pairs, np.float64)
    K = _kernels()
    K.box_muller(_uniform_values(g, 2 * pairs, dtypes.float64), bm)
    z[start:] = bm[:m]
    if m % 2:
        g._normal = float(bm[-1])
    out = np.empty(n, np.float64)
    K.affine(z, out, float(std), float(mean))
    return out


def _normal_values(g: Generator, n: int, dt: dtypes.dtype, mean: float, std: float, fill: bool) -> np.ndarray:
    """n normals of dtype dt as torch's normal_ draws them: normal_fill (blocks of 16, the last 16 redrawn when
    n % 16) for a contiguous tensor of >= 16 elements (fill=True), else the serial normal_distribution<double>."""
    K = _kernels()
    if fill and n >= 16:  # float16 / bfloat16 are filled in float32 (their opmath type), then cast
        op = dtypes.float64 if dt is dtypes.float64 else dtypes.float32
        kernel, t = (K.normal_fill_f64, np.float64) if op is dtypes.float64 else (K.normal_fill_f32, np.float32)
        # float / double draw all n uniforms in place; the 16-bit types draw only their whole blocks (a stack
        # buffer per block); both then redraw the last 16 when n % 16
        data = _uniform_values(g, n, op) if op is dt else np.zeros(n, t)
        if op is not dt:
            data[:n - n % 16] = _uniform_values(g, n - n % 16, op)
        kernel(data, t(mean), t(std))
        if n % 16:
            data[n - 16:] = _uniform_values(g, 16, op)
            kernel(data[n - 16:], t(mean), t(std))
        return data if op is dt else data.astype(dt.np)
    return _serial_normals(g, n, mean, std).astype(dt.np)


def _from_to_values(g: Generator, n: int, dt: dtypes.dtype, base: int, rng: int) -> np.ndarray:
    """random_(from, to): (random() % range) + from, random64() when range >= 2**28 (torch 2.13's
    uniform_int_from_to_distribution, every dtype), both in uint64 arithmetic as torch's; rng == 2**64 is the full
    int64 range (random64() as int64)."""
    wide = rng >= 1 << 28
    w = _words(g, n, wide or rng == 1 << 64)
    v = np.empty(n, np.int64)
    _kernels().from_to(w, v, np.uint64(rng & 0xFFFFFFFFFFFFFFFF), np.uint64(base & 0xFFFFFFFFFFFFFFFF))
    return v if dt is dtypes.int64 else v.astype(dt.np)


def _random_values(g: Generator, n: int, dt: dtypes.dtype) -> np.ndarray:
    """random_() with no bounds: uniform_int, random64() for int64 / float64, random() for the others."""
    if dt is dtypes.bool:
        return (_words(g, n) & np.uint64(1)).astype(bool)
    if dt.is_floating_point:
        mod = (1 << _DIGITS[dt]) + 1
    else:
        mod = int(np.iinfo(dt.np).max) + 1
    w = _words64(g, n) if dt in (dtypes.int64, dtypes.float64) else _words(g, n)
    return (w % np.uint64(mod)).astype(dt.np)




def _arrange(values: np.ndarray, shape: tuple, strides: tuple | None) -> np.ndarray:
    """values, drawn in the iteration order of a tensor with these strides (None: contiguous), in logical order."""
    shape = tuple(shape)
    if strides is None or len(shape) < 2:
        return values.reshape(shape)
    rev = iteration_perm(shape, tuple(strides))[::-1]
    return values.reshape([shape[d] for d in rev]).transpose(np.argsort(rev))


def _strides_of(t: Tensor) -> tuple | None:
    return None if t.is_contiguous() else tuple(t.stride())


def _float_dt(dtype, op: str, complex_ok: bool = False) -> dtypes.dtype:
    dt = _dt(dtype)
    if not dt.is_floating_point and not (complex_ok and dt.is_complex):
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


def _cuda_uniform_bf16(dt: dtypes.dtype):
    """bfloat16's uniform_: the float32 kernel with bfloat16's 8 bits (as the CPU's), behind the bfloat16 adapter."""
    import functools

    from .kernels.cuda.bf16 import float32_adapter
    from .kernels.cuda.random import uniform_

    return float32_adapter(functools.partial(uniform_, bits=_DIGITS[dtypes.bfloat16]))


dispatch.register("uniform_", "cuda", (dtypes.bfloat16,), _cuda_uniform_bf16, lazy=True)


def rand(*size, generator: Generator | None = None, out: Tensor | None = None, dtype=None, layout=None, device=None,
         pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("rand", layout, pin_memory)
    if out is not None:
        return into_out("rand", out, dtype, lambda dt, d: rand(*size, generator=generator, dtype=dt, device=d),
                        requires_grad)
    d = as_device(device)
    dt = _float_dt(dtype, "rand", complex_ok=True)
    shape = _shape_arg(size, "rand")
    if dt.is_complex:
        return _complex_sample(rand, shape, dt, d, generator, requires_grad, 1.0)
    if d.type == "cuda":
        return _finish(_on_device("uniform_", shape, dt, d, generator, 0.0, 1.0)._data, requires_grad)
    g = _cpu_gen(generator)
    return _finish(_uniform_values(g, math.prod(shape), dt).reshape(shape), requires_grad)


def randn(*size, generator: Generator | None = None, out: Tensor | None = None, dtype=None, layout=None, device=None,
          pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    if layout is not None:
        layouts.check_factory_args("randn", layout, pin_memory)
    if out is not None:
        return into_out("randn", out, dtype, lambda dt, d: randn(*size, generator=generator, dtype=dt, device=d),
                        requires_grad)
    d = as_device(device)
    dt = dtypes.get_default_dtype() if dtype is None else _float_dt(dtype, "randn", complex_ok=True)
    shape = _shape_arg(size, "randn")
    if d.type == "cpu":  # a complex tensor: normal_ of its real view with std / sqrt(2), as torch's
        real = dt.to_real() if dt.is_complex else dt
        n = math.prod(shape) * (2 if dt.is_complex else 1)
        arr = _normal_values(_cpu_gen(generator), n, real, 0.0, 1.0 / math.sqrt(2.0) if dt.is_complex else 1.0,
                             True)
        arr = arr.view(dt.np).reshape(shape)
        return _finish(arr, True) if requires_grad else Tensor._wrap(arr)
    if dt.is_complex:  # each part N(0, 1/2), so that E|z|^2 = 1 as torch's
        return _complex_sample(randn, shape, dt, d, generator, requires_grad, 0.5 ** 0.5)
    return _finish(_on_device("normal_", shape, dt, d, generator, 0.0, 1.0)._data, requires_grad)


def _complex_sample(factory, shape: tuple, dt: dtypes.dtype, device, generator, requires_grad: bool,
                    scale: float) -> Tensor:
    """rand/randn of a complex dtype: real and imaginary parts drawn as one real tensor of shape (*shape, 2)."""
    if device.type == "cuda":  # the parts drawn on the device, viewed as complex (no host copy)
        from .ops.complex import view_as_complex

        parts = factory(*shape, 2, generator=generator, dtype=dt.to_real(), device=device)
        if scale != 1.0:
            parts = parts * scale
        return _finish(view_as_complex(parts)._data, requires_grad)
    parts = factory(*shape, 2, generator=generator, dtype=dt.to_real())._data
    if scale != 1.0:
        parts = parts * parts.dtype.type(scale)
    return _finish(np.ascontiguousarray(parts).view(dt.np)[..., 0], requires_grad)


def randint(low, high=None, size=None, *, generator: Generator | None = None, out: Tensor | None = None, dtype=None,
            layout=None, device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """torch.randint(high, size) or torch.randint(low, high, size): int64 by default."""
    layouts.check_factory_args("randint", layout, pin_memory)
    if out is not None:
        return into_out("randint", out, dtype, lambda dt, d: randint(low, high, size, generator=generator, dtype=dt,
                                                                     device=d), requires_grad)
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
    if dt.is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    if d.type == "cuda":
        t = _on_device("randint_", _shape_arg((size,), "randint"), dtypes.int64, d, generator, int(low), int(high))
        return _finish(t.to(dt)._data, requires_grad)
    shape = _shape_arg((size,), "randint")
    arr = _from_to_values(_cpu_gen(generator), math.prod(shape), dt, int(low), int(high) - int(low))
    return _finish(arr.reshape(shape), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None, dtype=None, layout=None,
             device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("randperm", layout, pin_memory)
    if out is not None:
        return into_out("randperm", out, dtype, lambda dt, d: randperm(n, generator=generator, dtype=dt, device=d),
                        requires_grad)
    as_device(device)
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    # made on the host and copied to a CUDA device (no device permutation kernel yet; a CUDA generator's draw
    # comes from the CPU default generator)
    g = _cpu_gen(None if generator is None or generator._bg is None else generator)
    out = np.empty(n, np.int64)
    if n < 0xFFFFFFFF // 20:  # torch's small-n rule: random() % (n - i)
        _kernels().randperm_small(_words(g, max(n - 1, 0)), out)
    else:
        _kernels().randperm_large(_words64(g, n), out)
    return _finish(out.astype(_dt(dtype, dtypes.int64).np, copy=False), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: Generator | None = None, out: Tensor | None = None,
           dtype=None, layout=None, device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    """torch.normal with scalar or tensor mean/std (tensors broadcast)."""
    layouts.check_factory_args("normal", layout, pin_memory)
    if out is not None:
        return into_out("normal", out, dtype if not isinstance(mean, Tensor) and not isinstance(std, Tensor)
                        else None, lambda dt, d: normal(mean, std, size, generator=generator, dtype=dt, device=d),
                        requires_grad)
    scalars = not isinstance(mean, Tensor) and not isinstance(std, Tensor)
    if scalars and device is not None and as_device(device).type == "cuda":
        if size is None:
            raise TypeError("normal(): with scalar mean and std, size is required")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        dt = _float_dt(dtype, "normal")
        z = _on_device("normal_", _shape_arg((size,), "normal"), dt, as_device(device), generator, float(mean),
                       float(std))
        return z.requires_grad_(requires_grad)
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
    size = tuple(int(v) for v in size)
    g = _cpu_gen(generator)
    if scalars:  # empty(size).normal_(mean, std)
        return _finish(_normal_values(g, math.prod(size), dt, mean, std, True).reshape(size), requires_grad)
    # torch: output.normal_(0, std) then add_(mean) for a scalar std, else normal_(0, 1), mul_(std), add_(mean)
    z = _normal_values(g, math.prod(size), dt, 0.0, 1.0 if isinstance(std, Tensor) else std, True).reshape(size)
    if isinstance(std, Tensor):
        z = z * np.asarray(s, dt.np)
    return _finish((z + np.asarray(m, dt.np)).astype(dt.np), requires_grad)


def _laid_out_like(res: Tensor, input: Tensor, memory_format, op: str) -> Tensor:
    """res (a fresh contiguous sample shaped like input) laid out as memory_format asks (preserve: like input)."""
    from .ops.shape import _contiguous_strides, _copy_with_strides, like_strides

    strides = like_strides(input, memory_format, op)
    if strides == _contiguous_strides(tuple(res._data.shape)):
        return res
    return _copy_with_strides(res, strides)


def _empty_like(input: Tensor, dtype, device, memory_format, op: str) -> Tensor:
    """torch's empty_like for the *_like samplers: input's layout (memory_format), so the draws land in
    memory order."""
    from .ops.creation import empty_like

    return empty_like(input, dtype=dtype or input.dtype, device=input.device if device is None else device,
                      memory_format=memory_format)


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False, memory_format=None, generator: Generator | None = None) -> Tensor:
    layouts.check_factory_args("rand_like", layout, pin_memory)
    if as_device(input.device if device is None else device).type == "cpu":  # torch: empty_like(...).uniform_()
        return _empty_like(input, dtype, device, memory_format, "rand_like").uniform_(
            generator=generator).requires_grad_(requires_grad)
    res = rand(input.shape, dtype=dtype or input.dtype, generator=generator,
               device=input.device if device is None else device)
    return _laid_out_like(res, input, memory_format, "rand_like").requires_grad_(requires_grad)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
               requires_grad: bool = False, memory_format=None, generator: Generator | None = None) -> Tensor:
    layouts.check_factory_args("randn_like", layout, pin_memory)
    if as_device(input.device if device is None else device).type == "cpu":  # torch: empty_like(...).normal_()
        return _empty_like(input, dtype, device, memory_format, "randn_like").normal_(
            generator=generator).requires_grad_(requires_grad)
    res = randn(input.shape, dtype=dtype or input.dtype, generator=generator,
                device=input.device if device is None else device)
    return _laid_out_like(res, input, memory_format, "randn_like").requires_grad_(requires_grad)


def randint_like(input: Tensor, low, high=None, *, generator: Generator | None = None, dtype=None, layout=None,
                 device=None, pin_memory: bool = False, requires_grad: bool = False, memory_format=None) -> Tensor:
    layouts.check_factory_args("randint_like", layout, pin_memory)
    if high is None:
        low, high = 0, low
    if as_device(input.device if device is None else device).type == "cpu":  # empty_like(...).random_(lo, hi)
        if high <= low:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        return _empty_like(input, dtype, device, memory_format, "randint_like").random_(
            low, high, generator=generator).requires_grad_(requires_grad)
    res = randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                  device=input.device if device is None else device)
    return _laid_out_like(res, input, memory_format, "randint_like").requires_grad_(requires_grad)


FUNCTIONS = {
    "manual_seed": manual_seed, "seed": seed, "initial_seed": initial_seed, "get_rng_state": get_rng_state,
    "set_rng_state": set_rng_state, "rand": rand, "randn": randn, "randint": randint, "randperm": randperm,
    "normal": normal, "rand_like": rand_like, "randn_like": randn_like, "randint_like": randint_like,
}


# ---- distributions: bernoulli, multinomial, poisson, binomial and the in-place samplers of Tensor ----
# CPU draws come from the generator's NumPy stream; CUDA draws are the device Philox uniform/normal kernels
# transformed by ntorch ops on the device (poisson and binomial, which have no such transform, are drawn on the
# host from a NumPy stream keyed by the CUDA generator's (seed, offset), then copied over).


def _host_rng(generator: Generator | None, device) -> np.random.Generator:
    """The NumPy stream for a draw on `device`: the CPU generator's, or one keyed by a CUDA generator."""
    d = as_device(device)
    if d.type == "cpu":
        if generator is not None and generator.device.type != "cpu":
            raise RuntimeError(f"Expected a 'cpu' device type for generator but found '{generator.device.type}'")
        return _rng(generator)
    g = generator if generator is not None else cuda_generator(cuda_index(d))
    return np.random.Generator(np.random.Philox(key=g._seed, counter=g._next_offset()))


def _uniform(shape: tuple, like: Tensor, generator: Generator | None) -> Tensor:
    """U[0, 1) of `shape` on like's device: float64 on the CPU, like's float dtype (else float32) on CUDA."""
    if like.is_cuda:
        dt = like.dtype if like.dtype.is_floating_point else dtypes.float32
        return _on_device("uniform_", tuple(shape), dt, like.device, generator, 0.0, 1.0)
    return Tensor._wrap(_host_rng(generator, "cpu").random(tuple(shape)))


def _normal(shape: tuple, like: Tensor, generator: Generator | None) -> Tensor:
    if like.is_cuda:
        return _on_device("normal_", tuple(shape), like.dtype, like.device, generator, 0.0, 1.0)
    return Tensor._wrap(_host_rng(generator, "cpu").standard_normal(tuple(shape)))


def _fill(self: Tensor, values: Tensor) -> Tensor:
    """Write sampled values into self in place (torch's leaf/version rules come from copy_)."""
    return self.copy_(values.to(self.dtype) if values.dtype is not self.dtype else values)


def _float_only(self: Tensor, what: str, kernel: str) -> None:
    if not self.dtype.is_floating_point:
        if what:
            raise RuntimeError(f"{what} distribution is a continuous probability distribution. dtype must be a "
                               f"floating point but you specified {dtypes.torch_name(self.dtype)}")
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{dtypes.torch_name(self.dtype)}'")


def _host_check(flag: Tensor) -> bool:
    return bool(flag.any()) if flag.numel() else False


@takes_out("bernoulli", None)
def bernoulli(input: Tensor, p=None, *, generator: Generator | None = None) -> Tensor:
    """0/1 draws with probability `input` (each element), or with the scalar p; input's dtype and shape."""
    if p is not None:
        return bernoulli_(input.new_empty(tuple(input.shape)), p, generator=generator)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    if _host_check((input < 0).logical_or(input > 1).logical_or(input != input)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message "
                           "be improved?  If so, please report an enhancement request to PyTorch.)")
    if input.is_cuda:
        out = (_uniform(tuple(input.shape), input, generator) < input.detach()).to(input.dtype)
    else:  # bernoulli_distribution<float> (random()) per element, <double> (random64()) for float64 p
        p = input.detach()._host()
        dt = dtypes.float64 if input.dtype is dtypes.float64 else dtypes.float32
        u = _uniform_values(_cpu_gen(generator), p.size, dt).reshape(p.shape)
        out = Tensor._wrap((u < p.astype(dt.np)).astype(input.dtype.np))
    return _zero_grad_node("BernoulliBackward0", input, out)


def _zero_grad_node(name: str, input: Tensor, out: Tensor) -> Tensor:
    """torch records sampling as differentiable with a zero gradient (BernoulliBackward0, PoissonBackward0)."""
    from .autograd.graph import needs_graph, record

    if needs_graph(input):
        record(name, lambda node, g: g.new_zeros(tuple(g.shape)), (input,), (out,))
    return out


def bernoulli_(self: Tensor, p=0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill self with 0/1 draws of probability p (a float, or a tensor broadcast to self)."""
    if isinstance(p, Tensor):
        if _host_check((p < 0).logical_or(p > 1)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error "
                               "message be improved?  If so, please report an enhancement request to PyTorch.)")
        prob = p.detach()
    else:
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        prob = float(p)
    if self.is_cuda:
        return _fill(self, _uniform(tuple(self.shape), self, generator) < prob)
    g = _cpu_gen(generator)
    if isinstance(prob, Tensor):  # bernoulli_distribution<float> per element (<double> for float64 p)
        dt = dtypes.float64 if prob.dtype is dtypes.float64 else dtypes.float32
        pv = np.broadcast_to(prob._host(), tuple(self.shape)).astype(dt.np)
        u = _arrange(_uniform_values(g, self.numel(), dt), tuple(self.shape), _strides_of(self))
        return _fill(self, Tensor._wrap(u < pv))
    # bernoulli_distribution<double>(p): one random64() per element, in the tensor's iteration order
    u = _arrange(_uniform_values(g, self.numel(), dtypes.float64), tuple(self.shape), _strides_of(self))
    return _fill(self, Tensor._wrap(u < prob))


def _real_sample(self: Tensor, draw, generator: Generator | None) -> Tensor:
    """draw(g, n, real dtype) -> n values in self's iteration order (a complex self: its real view's), laid out
    as self."""
    shape, strides = tuple(self.shape), _strides_of(self)
    if self.dtype.is_complex:
        shape = shape + (2,)
        strides = None if strides is None else tuple(2 * s for s in strides) + (1,)
        vals = draw(_cpu_gen(generator), 2 * self.numel(), self.dtype.to_real())
        return Tensor._wrap(np.ascontiguousarray(_arrange(vals, shape, strides)).view(self.dtype.np)[..., 0])
    return Tensor._wrap(_arrange(draw(_cpu_gen(generator), self.numel(), self.dtype), shape, strides))


def _double_sample(self: Tensor, generator: Generator | None, transform) -> Tensor:
    """A sampler over uniform doubles (one random64() each, in self's iteration order): transform(u, out)."""
    u = _uniform_values(_cpu_gen(generator), self.numel(), dtypes.float64)
    out = np.empty_like(u)
    transform(u, out)
    return Tensor._wrap(_arrange(out.astype(self.dtype.np), tuple(self.shape), _strides_of(self)))


def _multinomial_cpu(p: Tensor, num_samples: int, replacement: bool, g: Generator) -> Tensor:
    """torch's CPU multinomial: without replacement (or one sample) the exponential race argmax / topk of
    p / Exp(1) (q = empty_like(p).exponential_()); with replacement a binary search of a uniform double in the
    row's cumulative sum (in p's dtype, float32 for 16-bit p) normalised by its total, the last entry set to 1."""
    if not replacement or num_samples == 1:
        q = _double_sample(p, g, lambda u, out: _kernels().exponential(u, out, 1.0))._data
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = p._host() / q
        if num_samples == 1:
            out = np.argmax(ratio, axis=-1)[..., None]
        else:
            out = np.argsort(-ratio, axis=-1, kind="stable")[..., :num_samples]
        return Tensor._wrap(np.ascontiguousarray(out, np.int64))
    rows = p.reshape(-1, p.size(-1))._host()
    acc = np.float32 if p.dtype in dtypes.HALF_DTYPES else p.dtype.np
    u = _uniform_values(g, rows.shape[0] * num_samples, dtypes.float64).reshape(rows.shape[0], num_samples)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i in range(rows.shape[0]):
        cum = np.cumsum(rows[i].astype(acc))
        total = cum[-1]
        if total > 0:
            cum = cum / total
        cum[-1] = 1
        out[i] = np.searchsorted(cum.astype(np.float64), u[i], side="left")
    return Tensor._wrap(out.reshape(num_samples) if p.dim() == 1 else out)


def _multinomial_checks(input: Tensor, num_samples: int, replacement: bool) -> None:
    if input.dim() not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if not input.dtype.is_floating_point:
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{dtypes.torch_name(input.dtype)}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n = input.size(-1)
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if _host_check((input < 0).logical_or(input != input).logical_or(input.abs() == math.inf)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if _host_check(input.sum(-1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")


@takes_out("multinomial", "multinomial expects Long tensor out, got: {Got}")
def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Generator | None = None) -> Tensor:
    """Category indices (int64) drawn from each row's unnormalised weights.

    With replacement: inverse CDF (a uniform searched in the row's normalised cumulative sum). Without: the
    exponential race, the num_samples smallest E_i / p_i with E_i ~ Exp(1), which is sampling without
    replacement in proportion to p (zero-weight categories come last, as in torch)."""
    _multinomial_checks(input, num_samples, replacement)
    if not input.is_cuda:
        return _multinomial_cpu(input.detach(), num_samples, replacement, _cpu_gen(generator))
    p = input.detach().reshape(-1, input.size(-1))
    rows, n = p.shape
    if replacement:
        cdf = p.to(dtypes.float64).cumsum(-1) if not p.is_cuda else p.cumsum(-1)
        cdf = cdf / cdf[:, -1:]  # the last entry is exactly 1
        u = _uniform((rows, num_samples), p, generator).to(cdf.dtype)
        from .ops.sorting import searchsorted

        out = searchsorted(cdf.contiguous(), u, right=True).clamp_max(n - 1)
    else:
        race = -(1 - _uniform((rows, n), p, generator)).log() / p
        from .ops.sorting import argsort

        out = argsort(race, -1, stable=True)[:, :num_samples]
    out = out.to(dtypes.int64)
    return out.reshape(num_samples) if input.dim() == 1 else out.contiguous()


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:
    """Poisson draws with the rates in input (input's float dtype)."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{dtypes.torch_name(input.dtype)}'")
    rates = input.detach()._host()
    if np.any(rates < 0):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    out = _host_rng(generator, input.device).poisson(rates.astype(np.float64)).astype(input.dtype.np)
    return _zero_grad_node("PoissonBackward0", input, _finish(out, False, input.device))


def binomial(count: Tensor, prob: Tensor, generator: Generator | None = None) -> Tensor:
    """Binomial(count, prob) draws (count's float dtype); count is clipped at 0 and prob to [0, 1]."""
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{dtypes.torch_name(count.dtype)}")
    n, p = np.broadcast_arrays(count.detach()._host(), prob.detach()._host())
    draws = _host_rng(generator, count.device).binomial(np.maximum(n, 0).astype(np.int64), np.clip(p, 0.0, 1.0))
    return _finish(draws.astype(count.dtype.np), False, count.device)


def _int_bounds(dt: dtypes.dtype) -> tuple[int, int]:
    if dt.is_complex:
        raise RuntimeError("check_random_bounds handles only integral, floating-point and boolean types")
    if dt is dtypes.bool:
        return 0, 1
    if dt.is_floating_point:
        digits = {dtypes.float16: 11, dtypes.bfloat16: 8, dtypes.float32: 24, dtypes.float64: 53}[dt]
        return -(1 << digits), 1 << digits
    info = np.iinfo(dt.np)
    return int(info.min), int(info.max)


_UNSET = object()  # random_'s from / to not given (to=None is torch's [from, dtype max] overload)


def random_(self: Tensor, from_=_UNSET, to=_UNSET, *, generator: Generator | None = None) -> Tensor:
    """Integers uniform on [from, to - 1]; random_(to) is [0, to - 1]; random_(from, None) is [from, max] (max:
    2**mantissa for floats, the dtype's max for ints); random_() covers [0, 2**mantissa] / [0, max]."""
    plain = from_ is _UNSET and to is _UNSET  # random_(): torch's uniform_int, no bounds
    if from_ is _UNSET and to is not _UNSET:
        raise TypeError("random_() received an invalid combination of arguments - got to= without from")
    if to is _UNSET and not plain:
        from_, to = 0, from_
    lo, hi = _int_bounds(self.dtype)
    from .nn.functional import _cpp_name

    if plain:
        from_, to = 0, hi + 1
    elif to is None:  # [from, hi]: torch's random_from_to with to_inc the dtype's max
        from_ = int(from_)
        if self.dtype.is_floating_point and from_ > hi:
            raise RuntimeError("random_ expects 'from' casted to dtype to be less than or equal to 'to_inc' casted "
                               f"to dtype, but got from={from_} > to_inc={hi}")
        if not lo <= from_ <= hi:
            raise RuntimeError(f"from is out of bounds for {_cpp_name(self.dtype)}")
        to = hi + 1
    from_, to = int(from_), int(to)
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    if not lo <= from_ <= hi:
        raise RuntimeError(f"from is out of bounds for {_cpp_name(self.dtype)}")
    if not lo <= to - 1 <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {_cpp_name(self.dtype)}")
    shape = tuple(self.shape)
    if self.is_cuda:
        if to - from_ <= 1 << 62:
            return _fill(self, _on_device("randint_", shape, dtypes.int64, self.device, generator, from_, to))
        draws = _host_rng(generator, self.device).integers(from_, to, shape, dtype=np.uint64 if from_ >= 0 else
                                                          np.int64)
        return _fill(self, _finish(draws, False, self.device))
    g, n = _cpu_gen(generator), self.numel()
    if plain:
        vals = _random_values(g, n, self.dtype)
    elif to - from_ == 1 << 64:  # random_(int64 min, None): torch's full 64-bit range, random64() as int64
        vals = _from_to_values(g, n, self.dtype, 0, 1 << 64)
    else:
        vals = _from_to_values(g, n, self.dtype, from_, to - from_)
    return _fill(self, Tensor._wrap(_arrange(vals, shape, _strides_of(self))))


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point and not (self.dtype.is_complex and not self.is_cuda):
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{dtypes.torch_name(self.dtype)}'")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    if self.is_cuda:
        return _fill(self, _on_device("uniform_", tuple(self.shape), self.dtype, self.device, generator,
                                      float(from_), float(to)))
    return _fill(self, _real_sample(self, lambda g, n, dt: _uniform_values(g, n, dt, from_, to), generator))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point and not (self.dtype.is_complex and not self.is_cuda):
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{dtypes.torch_name(self.dtype)}'")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if self.is_cuda:
        return _fill(self, _normal(tuple(self.shape), self, generator) * std + mean)
    fill = self.is_contiguous()
    if self.dtype.is_complex:
        std = std / math.sqrt(2.0)
    return _fill(self, _real_sample(self, lambda g, n, dt: _normal_values(g, n, dt, mean, std, fill), generator))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    _float_only(self, "Exponential", "")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    if self.is_cuda:
        return _fill(self, -(1 - _uniform(tuple(self.shape), self, generator)).log() / lambd)
    return _fill(self, _double_sample(self, generator, lambda u, out: _kernels().exponential(u, out, float(lambd))))


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Trials until the first success: values in {1, 2, ...} with P(k) = (1 - p)**(k - 1) p."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    if not self.is_cuda:
        return _fill(self, _double_sample(self, generator, lambda u, out: _kernels().geometric(u, out, float(p))))
    u = 1 - _uniform(tuple(self.shape), self, generator)  # (0, 1]
    return _fill(self, (u.log() / math.log1p(-p)).ceil().clamp_min(1))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for '{dtypes.torch_name(self.dtype)}'")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    if self.is_cuda:
        return _fill(self, (_normal(tuple(self.shape), self, generator) * std + mean).exp())
    g = _cpu_gen(generator)
    z = _serial_normals(g, self.numel(), 0.0, 1.0)
    out = np.empty_like(z)
    _kernels().log_normal(z, out, float(mean), float(std))
    return _fill(self, Tensor._wrap(_arrange(out.astype(self.dtype.np), tuple(self.shape), _strides_of(self))))


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point:
        from .nn.functional import _cpp_name

        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {_cpp_name(self.dtype)}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    if not self.is_cuda:
        return _fill(self, _double_sample(self, generator,
                                          lambda u, out: _kernels().cauchy(u, out, float(median), float(sigma))))
    u = _uniform(tuple(self.shape), self, generator)
    return _fill(self, ((u - 0.5) * math.pi).tan() * sigma + median)


FUNCTIONS.update({"bernoulli": bernoulli, "multinomial": multinomial, "poisson": poisson, "binomial": binomial})

# Tensor methods (bound by _methods.py): torch names the first argument of random_/uniform_ `from`
METHODS = {
    "bernoulli": bernoulli, "bernoulli_": bernoulli_, "multinomial": multinomial, "random_": random_,
    "uniform_": uniform_, "normal_": normal_, "exponential_": exponential_, "geometric_": geometric_,
    "log_normal_": log_normal_, "cauchy_": cauchy_,
}


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller: str = "fork_rng", _devices_kw: str = "devices",
             device_type: str = "cuda"):
    """torch.random.fork_rng: the CPU generator's state (and that of each CUDA device in `devices`, all devices
    in use when None) is restored when the block exits."""
    if not enabled:
        yield
        return
    if device_type != "cuda":
        raise RuntimeError(f"torch has no module of '{device_type}', you should register a module by "
                           "`torch._register_device_module`.")
    if devices is None:
        devices = list(_cuda_generators)  # the devices whose generator was used (or seeded) so far
    indices = [d if isinstance(d, int) else cuda_index(as_device(d)) for d in devices]
    states = {index: cuda_generator(index).get_state() for index in indices}
    cpu_state = default_generator.get_state()
    try:
        yield
    finally:
        default_generator.set_state(cpu_state)
        for index, state in states.items():
            cuda_generator(index).set_state(state)
