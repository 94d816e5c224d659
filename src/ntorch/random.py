"""Random numbers: a Generator object and the default one, seeded by manual_seed.

Streams come from NumPy's Philox counter-based bit generator, so a seed gives the same numbers on
every run (they are not PyTorch's numbers for the same seed).
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from . import _arrays, dispatch, dtypes, layouts
from .devices import as_device, cuda_index
from .ops._util import takes_out
from .ops.creation import _dt, _finish, _shape_arg, into_out
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
    if dt in dtypes.HALF_DTYPES:
        # on the dtype's own grid (11 / 8 significant bits): rounding float32 samples would turn values near 1 into 1
        bits = 11 if dt is dtypes.float16 else 8
        arr = _rng(generator).integers(0, 1 << bits, shape) * (1.0 / (1 << bits))
    else:
        arr = _rng(generator).random(shape, dtype=np.float64 if dt is dtypes.float64 else np.float32)
    return _finish(arr.astype(dt.np, copy=False), requires_grad)


def randn(*size, generator: Generator | None = None, out: Tensor | None = None, dtype=None, layout=None, device=None,
          pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    if layout is not None:
        layouts.check_factory_args("randn", layout, pin_memory)
    if out is not None:
        return into_out("randn", out, dtype, lambda dt, d: randn(*size, generator=generator, dtype=dt, device=d),
                        requires_grad)
    d = as_device(device)
    dt = dtypes.get_default_dtype() if dtype is None else _float_dt(dtype, "randn", complex_ok=True)
    if (dt is dtypes.float32 or dt is dtypes.float64) and d.type == "cpu":  # drawn in its own dtype
        arr = (generator or default_generator)._rng.standard_normal(_shape_arg(size, "randn"), dtype=dt.np)
        return _finish(arr, True) if requires_grad else Tensor._wrap(arr)
    if dt.is_complex:  # each part N(0, 1/2), so that E|z|^2 = 1 as torch's
        return _complex_sample(randn, _shape_arg(size, "randn"), dt, d, generator, requires_grad, 0.5 ** 0.5)
    if d.type == "cuda":
        return _finish(_on_device("normal_", _shape_arg(size, "randn"), dt, d, generator, 0.0, 1.0)._data,
                       requires_grad)
    arr = _rng(generator).standard_normal(_shape_arg(size, "randn"), dtype=np.float32)
    return _finish(arr.astype(dt.np, copy=False), requires_grad)


def _complex_sample(factory, shape: tuple, dt: dtypes.dtype, device, generator, requires_grad: bool,
                    scale: float) -> Tensor:
    """rand/randn of a complex dtype: real and imaginary parts drawn as one real tensor of shape (*shape, 2)."""
    if device.type == "cuda":
        raise NotImplementedError(f"{factory.__name__}: complex dtypes are not implemented on CUDA in ntorch yet")
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
    arr = _rng(generator).integers(low, high, _shape_arg((size,), "randint"), dtype=np.int64)
    return _finish(arr.astype(dt.np), requires_grad)


def randperm(n: int, *, generator: Generator | None = None, out: Tensor | None = None, dtype=None, layout=None,
             device=None, pin_memory: bool = False, requires_grad: bool = False) -> Tensor:
    layouts.check_factory_args("randperm", layout, pin_memory)
    if out is not None:
        return into_out("randperm", out, dtype, lambda dt, d: randperm(n, generator=generator, dtype=dt, device=d),
                        requires_grad)
    as_device(device)
    if n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    # made on the host and copied to a CUDA device (no device permutation kernel yet)
    return _finish(_rng(None if generator is None or generator._rng is None else generator).permutation(n).astype(
        _dt(dtype, dtypes.int64).np), requires_grad, device)


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
    z = _rng(generator).standard_normal(tuple(size))
    return _finish((m + s * z).astype(dt.np), requires_grad)


def _laid_out_like(res: Tensor, input: Tensor, memory_format, op: str) -> Tensor:
    """res (a fresh contiguous sample shaped like input) laid out as memory_format asks (preserve: like input)."""
    from .ops.shape import _contiguous_strides, _copy_with_strides, like_strides

    strides = like_strides(input, memory_format, op)
    if strides == _contiguous_strides(tuple(res._data.shape)):
        return res
    return _copy_with_strides(res, strides)


def rand_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
              requires_grad: bool = False, memory_format=None, generator: Generator | None = None) -> Tensor:
    layouts.check_factory_args("rand_like", layout, pin_memory)
    res = rand(input.shape, dtype=dtype or input.dtype, generator=generator,
               device=input.device if device is None else device)
    return _laid_out_like(res, input, memory_format, "rand_like").requires_grad_(requires_grad)


def randn_like(input: Tensor, *, dtype=None, layout=None, device=None, pin_memory: bool = False,
               requires_grad: bool = False, memory_format=None, generator: Generator | None = None) -> Tensor:
    layouts.check_factory_args("randn_like", layout, pin_memory)
    res = randn(input.shape, dtype=dtype or input.dtype, generator=generator,
                device=input.device if device is None else device)
    return _laid_out_like(res, input, memory_format, "randn_like").requires_grad_(requires_grad)


def randint_like(input: Tensor, low, high=None, *, generator: Generator | None = None, dtype=None, layout=None,
                 device=None, pin_memory: bool = False, requires_grad: bool = False, memory_format=None) -> Tensor:
    layouts.check_factory_args("randint_like", layout, pin_memory)
    if high is None:
        low, high = 0, low
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
    out = (_uniform(tuple(input.shape), input, generator) < input.detach()).to(input.dtype)
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
    return _fill(self, _uniform(tuple(self.shape), self, generator) < prob)


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


def random_(self: Tensor, from_=0, to=None, *, generator: Generator | None = None) -> Tensor:
    """Integers uniform on [from, to - 1]; random_() covers [0, 2**mantissa] for floats and [0, max] for ints."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    lo, hi = _int_bounds(self.dtype)
    if to is None:
        to = hi + 1
    from_, to = int(from_), int(to)
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    from .nn.functional import _cpp_name

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
    draws = _host_rng(generator, "cpu").integers(from_, to, shape, dtype=np.uint64 if to > 1 << 63 else np.int64)
    return _fill(self, Tensor._wrap(draws))


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"check_uniform_bounds\" not implemented for '{dtypes.torch_name(self.dtype)}'")
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
    if self.is_cuda:
        return _fill(self, _on_device("uniform_", tuple(self.shape), self.dtype, self.device, generator,
                                      float(from_), float(to)))
    return _fill(self, _uniform(tuple(self.shape), self, generator) * (to - from_) + from_)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{dtypes.torch_name(self.dtype)}'")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return _fill(self, _normal(tuple(self.shape), self, generator) * std + mean)


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    _float_only(self, "Exponential", "")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    return _fill(self, -(1 - _uniform(tuple(self.shape), self, generator)).log() / lambd)


def geometric_(self: Tensor, p: float, *, generator: Generator | None = None) -> Tensor:
    """Trials until the first success: values in {1, 2, ...} with P(k) = (1 - p)**(k - 1) p."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    u = 1 - _uniform(tuple(self.shape), self, generator)  # (0, 1]
    return _fill(self, (u.log() / math.log1p(-p)).ceil().clamp_min(1))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_normal_cpu\" not implemented for '{dtypes.torch_name(self.dtype)}'")
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    return _fill(self, (_normal(tuple(self.shape), self, generator) * std + mean).exp())


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator: Generator | None = None) -> Tensor:
    if not self.dtype.is_floating_point:
        from .nn.functional import _cpp_name

        raise RuntimeError("Cauchy distribution is a continuous probability distribution. dtype must be a floating "
                           f"point but you specified {_cpp_name(self.dtype)}")
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
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
