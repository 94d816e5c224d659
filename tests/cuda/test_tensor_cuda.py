"""Front-end ops on CUDA tensors against the same ops on CPU tensors (the CPU path is tested against NumPy
elsewhere, so it is the oracle here): values, dtype, shape and device of every result, across dtypes, tiny
shapes (0-d, size 0, size 1, odd sizes) and non-contiguous inputs (transposed, step-sliced, expanded).

Shapes stay at a few dozen elements: the simulator runs every GPU thread as a Python thread.
"""

from __future__ import annotations

import gc
import math
from typing import NamedTuple

import numpy as np
import pytest
from cuda_util import SIMULATOR

import ntorch as nt
import ntorch.nn.functional as F
from ntorch import dispatch

F16, F32, F64 = nt.float16, nt.float32, nt.float64
I32, I64 = nt.int32, nt.int64
FLOATS = [F32, F64, F16]
INTS = [I32, I64]
MAIN = [F32, F64, F16, I32, I64, nt.bool]
SHAPES = [(), (0,), (1,), (7,), (3, 5)]
TOL = {F16: 4e-3, F32: 2e-5, F64: 1e-12}
# Under the simulator (every GPU thread a Python thread) dtypes other than float32 run through fewer shapes and
# layouts: their kernels come from the same generators. On a GPU every dtype runs every case.
FULL = not SIMULATOR


# -- helpers ------------------------------------------------------------------------------------------------

def rand(shape, dt, low=-3.0, high=3.0, seed=0) -> np.ndarray:
    """Random host values of an ntorch dtype (integers in [low, high), bools about half True)."""
    rng = np.random.default_rng(seed)
    if dt is nt.bool:
        return np.asarray(rng.random(shape) > 0.5)
    if dt.is_floating_point:
        return np.asarray(rng.uniform(low, high, shape)).astype(dt.np)
    return np.asarray(rng.integers(math.floor(low), math.ceil(high), shape)).astype(dt.np)


class Pair(NamedTuple):
    cpu: nt.Tensor
    dev: nt.Tensor


def pair(arr: np.ndarray, layout: str = "contiguous") -> Pair:
    """(CPU tensor, CUDA tensor) holding arr's values; the CUDA one in the given memory layout, made on the
    device with CUDA view ops (the CPU one is contiguous: the CPU layouts are tested elsewhere)."""
    cpu = nt.from_numpy(np.array(arr, order="C"))
    if layout == "contiguous" and arr.ndim == 0:
        # a 0-d tensor made on the device by a view (0-d transfers are checked by test_zero_dim_transfers)
        dev = nt.from_numpy(arr.reshape(1)).cuda().reshape(())
    elif layout == "contiguous":
        dev = cpu.to("cuda")
    elif layout == "transposed":  # last two dims stored swapped
        dev = nt.from_numpy(np.ascontiguousarray(np.swapaxes(arr, -1, -2))).cuda().transpose(-1, -2)
    elif layout == "stepped":  # every other element of a twice-as-long last dim, one element in
        big = np.zeros((*arr.shape[:-1], 2 * arr.shape[-1] + 1), arr.dtype)
        big[..., 1::2] = arr
        dev = nt.from_numpy(big).cuda()[..., 1::2]
    elif layout == "expanded":  # stride 0 along dim 0 (arr's rows are all equal to its first)
        dev = nt.from_numpy(np.ascontiguousarray(arr[:1])).cuda().expand(*arr.shape)
        cpu = nt.from_numpy(np.ascontiguousarray(np.broadcast_to(arr[:1], arr.shape)))
    else:
        raise ValueError(layout)
    assert dev.is_cuda and tuple(dev.shape) == arr.shape
    if layout != "contiguous" and arr.size > 1:
        assert not dev.is_contiguous(), layout
    return Pair(cpu, dev)


def layouts_for(shape) -> list[str]:
    """The layouts in which a tensor of this shape is really non-contiguous (besides contiguous itself)."""
    out = ["contiguous"]
    if len(shape) >= 1 and math.prod(shape) and shape[-1] > 1:
        out.append("stepped")
    if len(shape) >= 2 and math.prod(shape) and shape[-1] > 1 and shape[-2] > 1:
        out.append("transposed")
    if len(shape) >= 2 and shape[0] > 1 and math.prod(shape[1:]):
        out.append("expanded")
    return out


def cases(shapes=SHAPES):
    """(shape, layout): every shape contiguous, the 2-d and 3-d ones also in each non-contiguous layout."""
    return [(s, lay) for s in shapes for lay in layouts_for(s)]


def check(got, want, tol=None, msg="") -> None:
    """A CUDA result against the CPU oracle: device, dtype, shape, values."""
    if isinstance(want, tuple | list):
        assert isinstance(got, tuple | list) and len(got) == len(want), msg
        for g, w in zip(got, want):
            check(g, w, tol, msg)
        return
    if not isinstance(want, nt.Tensor):
        assert not isinstance(got, nt.Tensor) and got == want, msg
        return
    assert isinstance(got, nt.Tensor), msg
    assert got.device.type == "cuda" and got.is_cuda, f"{msg}: result on {got.device}"
    assert got.dtype is want.dtype, f"{msg}: dtype {got.dtype} != {want.dtype}"
    assert tuple(got.shape) == tuple(want.shape), f"{msg}: shape {tuple(got.shape)} != {tuple(want.shape)}"
    g, w = got.cpu().numpy(), want.numpy()
    if want.dtype.is_floating_point:
        t = TOL[want.dtype] if tol is None else tol
        np.testing.assert_allclose(g.astype(np.float64), w.astype(np.float64), rtol=t, atol=t, equal_nan=True,
                                   err_msg=msg)
    else:
        np.testing.assert_array_equal(g, w, err_msg=msg)


def run_both(fn, *args):
    """(fn on the CUDA twins, fn on the CPU tensors): args are Pairs or plain values passed to both."""
    cpu_args = [a.cpu if isinstance(a, Pair) else a for a in args]
    dev_args = [a.dev if isinstance(a, Pair) else a for a in args]
    return fn(*dev_args), fn(*cpu_args)


def dts(op: str, pick=MAIN) -> list:
    """The dtypes of `pick` that op supports on the CPU (the CUDA table must cover the same ones)."""
    have = dispatch.supported_dtypes(op)
    return [d for d in pick if d in have]


def ids(pairs) -> list[str]:
    return [f"{a}-{b.name if hasattr(b, 'name') else b}" for a, b in pairs]


# -- devices, creation, transfers -------------------------------------------------------------------------

def test_device_basics():
    assert nt.cuda.is_available() and nt.cuda.device_count() >= 1
    t = nt.zeros(3, device="cuda")
    assert t.is_cuda and t.device == nt.device("cuda", 0) and str(t.device) == "cuda:0" and t.get_device() == 0
    c = nt.zeros(3)
    assert not c.is_cuda and c.device.type == "cpu" and c.get_device() == -1


@pytest.mark.parametrize("dt", MAIN + [nt.uint8, nt.int8, nt.int16], ids=lambda d: d.name)
def test_creation_functions(dt):
    fns = [
        lambda **k: nt.zeros(2, 3, **k), lambda **k: nt.ones((4,), **k), lambda **k: nt.full((2, 2), 3, **k),
        lambda **k: nt.zeros((), **k), lambda **k: nt.ones(0, 2, **k), lambda **k: nt.eye(3, 4, **k),
        lambda **k: nt.tensor([[1, 0], [2, 5]], **k),
    ]
    if dt is nt.bool:  # torch has no bool arange
        with pytest.raises(NotImplementedError, match="\"arange_cuda\" not implemented for 'Bool'"):
            nt.arange(1, 8, 2, dtype=dt, device="cuda")
    else:
        fns.append(lambda **k: nt.arange(1, 8, 2, **k))
    if dt.is_floating_point:
        fns += [lambda **k: nt.linspace(-1, 2, 7, **k), lambda **k: nt.logspace(0, 1, 4, **k),
                lambda **k: nt.full((3,), 0.25, **k)]
    for i, fn in enumerate(fns):
        check(fn(dtype=dt, device="cuda"), fn(dtype=dt), msg=f"creation {i}")


def test_zero_dim_transfers():
    """0-d tensors keep shape () when they move to the device or are created there from data."""
    for dt in (F32, I64, nt.bool):
        cpu = nt.tensor(1, dtype=dt)
        made = {"cuda()": cpu.cuda(), "to": cpu.to("cuda"), "tensor": nt.tensor(1, dtype=dt, device="cuda"),
                "full": nt.full((), 1, dtype=dt, device="cuda"), "ones": nt.ones((), dtype=dt, device="cuda"),
                "as_tensor": nt.as_tensor(np.array(1, dt.np), device="cuda")}
        for how, t in made.items():
            check(t, cpu, msg=f"0-d {dt} by {how}")
        dev = nt.tensor([1], dtype=dt, device="cuda").reshape(())
        back = dev.cpu()
        assert tuple(back.shape) == () and back.item() == cpu.item()
    assert repr(nt.tensor(3.0, device="cuda")) == "tensor(3., device='cuda:0')"
    check(nt.zeros(3, device="cuda").fill_(nt.tensor(2.5, device="cuda")), nt.zeros(3).fill_(nt.tensor(2.5)))


def test_creation_default_dtype_and_like():
    check(nt.tensor([1.5, 2.0], device="cuda"), nt.tensor([1.5, 2.0]))
    check(nt.arange(5, device="cuda"), nt.arange(5))
    check(nt.tensor([True, False], device="cuda"), nt.tensor([True, False]))
    src = nt.arange(6, dtype=I32).reshape(2, 3).cuda()
    cpu = src.cpu()
    check(nt.zeros_like(src), nt.zeros_like(cpu))
    check(nt.ones_like(src, dtype=F64), nt.ones_like(cpu, dtype=F64))
    check(nt.full_like(src, 4), nt.full_like(cpu, 4))
    e = nt.empty_like(src)
    assert e.is_cuda and e.dtype is I32 and tuple(e.shape) == (2, 3)
    assert not nt.zeros_like(src, device="cpu").is_cuda
    e = nt.empty(2, 0, 3, device="cuda", dtype=F16)
    assert e.is_cuda and tuple(e.shape) == (2, 0, 3) and e.dtype is F16


def test_random_creation_on_device():
    for fn in (lambda: nt.rand(3, 4, device="cuda"), lambda: nt.randn(5, device="cuda", dtype=F64)):
        t = fn()
        v = t.cpu().numpy()
        assert t.is_cuda and np.isfinite(v).all() and len(np.unique(v)) == v.size
    r = nt.randint(0, 4, (20,), device="cuda")
    v = r.cpu().numpy()
    assert r.is_cuda and r.dtype is I64 and v.min() >= 0 and v.max() < 4


@pytest.mark.parametrize("dt", MAIN + [nt.uint8, nt.int8, nt.int16], ids=lambda d: d.name)
def test_to_round_trip(dt):
    for shape, lay in cases():
        arr = rand(shape, dt, seed=3)
        _, dev = pair(arr, lay)
        back = dev.to("cpu")
        assert back.device.type == "cpu" and back.dtype is dt and tuple(back.shape) == shape
        np.testing.assert_array_equal(back.numpy(), np.ascontiguousarray(dev.cpu().numpy()))
        expect = arr if lay != "expanded" else np.broadcast_to(arr[:1], arr.shape)
        np.testing.assert_array_equal(back.numpy(), expect, err_msg=f"{shape} {lay}")
        assert dev.cuda() is dev and back.cpu() is back  # already there: the same tensor, as in PyTorch
        assert dev.to("cuda:0") is dev


def test_to_with_dtype_and_device():
    arr = rand((3, 4), F32, seed=1)
    cpu, dev = pair(arr)
    for dt in MAIN:
        check(dev.to(dt), cpu.to(dt), msg=f"to {dt}")
        check(cpu.to("cuda", dt), cpu.to(dt), msg=f"cpu.to(cuda, {dt})")
        back = dev.to("cpu", dt)
        assert not back.is_cuda and back.dtype is dt
        np.testing.assert_array_equal(back.numpy(), cpu.to(dt).numpy())
    check(dev.t().to(F64), cpu.t().to(F64), msg="non-contiguous cast")
    check(dev.double(), cpu.double())
    check(dev.half(), cpu.half())
    check(dev.long(), cpu.long())
    check(dev.int(), cpu.int())
    check(dev.bool(), cpu.bool())
    c = dev.to("cuda", copy=True)
    assert c is not dev and c.data_ptr() != dev.data_ptr()
    check(c, cpu)


def test_copy_and_fill():
    arr = rand((3, 4), F32, seed=2)
    for src_dt in (F32, F64, I64, nt.bool):
        src = nt.from_numpy(rand((3, 4), src_dt, seed=5))
        for dst_lay in ("contiguous", "transposed", "stepped"):
            cpu, dev = pair(arr, dst_lay)
            check(dev.copy_(src), cpu.copy_(src), msg=f"cuda <- cpu {src_dt} {dst_lay}")
            cpu2, dev2 = pair(arr, dst_lay)
            check(dev2.copy_(src.cuda()), cpu2.copy_(src), msg=f"cuda <- cuda {src_dt} {dst_lay}")
    # broadcasting source, cuda -> cpu, non-contiguous source
    cpu, dev = pair(arr)
    row = nt.tensor([1.0, -2.0, 3.0, 0.5])
    check(dev.copy_(row.cuda()), cpu.copy_(row))
    host = nt.zeros(4, 3)
    host.copy_(dev.t())
    np.testing.assert_array_equal(host.numpy(), cpu.t().numpy())
    # fill_ and zero_ on views write through to the base
    cpu, dev = pair(arr)
    dev[:, 1::2].fill_(7.5)
    cpu[:, 1::2].fill_(7.5)
    dev[1].zero_()
    cpu[1].zero_()
    check(dev, cpu)
    for dt in MAIN:
        d = nt.empty(2, 3, dtype=dt, device="cuda").fill_(1)
        check(d, nt.empty(2, 3, dtype=dt).fill_(1), msg=f"fill {dt}")
    check(nt.zeros(3, device="cuda").fill_(nt.tensor(2.5)), nt.zeros(3).fill_(nt.tensor(2.5)))
    value = nt.tensor([2.5], device="cuda").reshape(())  # a 0-d CUDA value tensor
    check(nt.zeros(3, device="cuda").fill_(value), nt.zeros(3).fill_(nt.tensor(2.5)))


def test_item_tolist_and_printing():
    for dt in MAIN:
        arr = rand((2, 3), dt, seed=4)
        cpu, dev = pair(arr)
        assert dev.tolist() == cpu.tolist()
        assert dev.t().tolist() == cpu.t().tolist()
        assert dev[1, 2].item() == cpu[1, 2].item() and type(dev[1, 2].item()) is type(cpu[1, 2].item())
        assert float(dev[0, 0]) == float(cpu[0, 0]) and bool(dev[0, 1]) == bool(cpu[0, 1])
        for c, d in ((cpu, dev), (cpu.t(), dev.t()), (cpu[0, 0], dev[0, 0]), (cpu[:0], dev[:0])):
            text = repr(d)
            assert "device='cuda:0'" in text, text
            assert text.replace(", device='cuda:0'", "") == repr(c)
            assert str(d) == text
    assert repr(nt.tensor([3.0], device="cuda")[0]) == "tensor(3., device='cuda:0')"
    assert repr(nt.tensor([1, 2], dtype=I32, device="cuda")) == \
        repr(nt.tensor([1, 2], dtype=I32))[:-1].replace(", dtype", ", device='cuda:0', dtype") + ")"


def test_numpy_raises_on_cuda():
    t = nt.ones(3, device="cuda")
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        t.numpy()
    with pytest.raises(TypeError, match="cuda"):
        np.asarray(t)
    np.testing.assert_array_equal(t.numpy(force=True), np.ones(3, np.float32))


def test_mixed_device_errors():
    dev = nt.ones(2, 3, device="cuda")
    host = nt.ones(2, 3)
    msg = "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    for fn in (lambda: dev + host, lambda: nt.mul(dev, host), lambda: nt.where(dev > 0, dev, host),
               lambda: nt.maximum(dev, host), lambda: dev.add_(host), lambda: nt.mm(dev, host.t()),
               lambda: nt.matmul(dev, host.t()), lambda: F.linear(dev, host)):
        with pytest.raises(RuntimeError) as e:
            fn()
        assert str(e.value) in (msg, msg.replace("cuda:0 and cpu", "cpu and cuda:0")), str(e.value)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        _ = host + dev
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        host.add_(dev)
    # a 0-d CPU tensor mixes in as a scalar, on either side
    check(dev + nt.tensor(2.0), host + nt.tensor(2.0))
    check(nt.tensor(2.0) * dev, nt.tensor(2.0) * host)
    check(dev.add_(nt.tensor(1.0)), host.add_(nt.tensor(1.0)))


def test_memory_allocated_tracks_lifetime():
    gc.collect()
    base = nt.cuda.memory_allocated()
    t = nt.zeros(1000, device="cuda")
    grown = nt.cuda.memory_allocated()
    assert grown >= base + 4000
    u = t + 1
    assert nt.cuda.memory_allocated() >= grown + 4000
    v = t[::2]  # a view allocates nothing
    assert nt.cuda.memory_allocated() >= grown + 4000
    del u
    gc.collect()
    assert nt.cuda.memory_allocated() == grown
    del t
    gc.collect()
    assert nt.cuda.memory_allocated() == grown  # the view keeps the storage alive
    del v
    gc.collect()
    assert nt.cuda.memory_allocated() == base
    assert nt.cuda.max_memory_allocated() >= grown + 4000


# -- elementwise: unary -------------------------------------------------------------------------------------

DOMAIN = {"log": (0.1, 5), "log2": (0.1, 5), "log10": (0.1, 5), "log1p": (-0.9, 5), "sqrt": (0, 5),
          "rsqrt": (0.1, 5), "asin": (-1, 1), "acos": (-1, 1), "reciprocal": (0.5, 5), "tan": (-1.3, 1.3)}
UNARY_FNS = {name: getattr(nt, name) for name in [
    "neg", "abs", "sign", "square", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "erf", "erfc",
    "relu", "floor", "ceil", "trunc", "frac", "isnan", "isinf", "isfinite", "logical_not", "bitwise_not", "silu",
]}
UNARY_FNS |= {
    "gelu": F.gelu, "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"), "softplus": lambda x: F.softplus(x, 2.0, 3.0),
    "round": nt.round, "round_decimals": lambda x: nt.round(x, decimals=1), "nan_to_num": nt.nan_to_num,
}
# other dtypes than float32 run through fewer shapes: their kernels are generated by the same code
FEW_CASES = [((), "contiguous"), ((0,), "contiguous"), ((7,), "contiguous"), ((3, 5), "transposed")]
UNARY_CASES = [(name, dt) for name in UNARY_FNS for dt in dts(name)
               if not (name in ("neg", "abs") and dt is nt.bool)]


@pytest.mark.parametrize("name,dt", UNARY_CASES, ids=ids(UNARY_CASES))
def test_unary(name, dt):
    fn = UNARY_FNS[name]
    low, high = DOMAIN.get(name, (-3, 3))
    tol = TOL.get(dt)
    if tol and name in ("exp", "exp2", "expm1", "sinh", "cosh", "tan", "erfc"):
        tol *= 4
    for shape, lay in cases() if dt is F32 or FULL else FEW_CASES:
        arr = rand(shape, dt, low, high, seed=len(name))
        got, want = run_both(fn, pair(arr, lay))
        check(got, want, tol, f"{name} {dt} {shape} {lay}")


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
def test_unary_special_values(dt):
    arr = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-3, -2.5, 2.5, 0.5, -0.5, 1.5], dt.np)
    for name in ("isnan", "isinf", "isfinite", "nan_to_num", "sign", "relu", "abs", "floor", "ceil", "trunc",
                 "round", "exp", "sigmoid", "tanh", "sqrt", "reciprocal", "frac", "erf", "log1p", "expm1"):
        with np.errstate(all="ignore"):
            got, want = run_both(UNARY_FNS[name], pair(arr))
        check(got, want, msg=f"{name} {dt} special")
    got, want = run_both(lambda x: nt.nan_to_num(x, 1.0, 5.0, -5.0), pair(arr))
    check(got, want, msg="nan_to_num params")


def test_unary_small_int_dtypes():
    """uint8/int8/int16 share the integer expressions: one check each."""
    for dt in (nt.uint8, nt.int8, nt.int16):
        arr = rand((3, 5), dt, 0 if dt is nt.uint8 else -5, 6, seed=9)
        for name in ("neg", "abs", "sign", "square", "relu", "bitwise_not", "logical_not", "exp", "sqrt"):
            for lay in ("contiguous", "transposed"):
                got, want = run_both(UNARY_FNS[name], pair(arr, lay))
                check(got, want, msg=f"{name} {dt} {lay}")


# -- elementwise: binary ------------------------------------------------------------------------------------

BINARY_FNS = {name: getattr(nt, name) for name in [
    "mul", "atan2", "hypot", "maximum", "minimum", "fmax", "fmin", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "remainder", "fmod",
]}
BINARY_FNS |= {
    "add": nt.add, "add_alpha": lambda a, b: nt.add(a, b, alpha=2), "sub": nt.sub,
    "sub_alpha": lambda a, b: nt.sub(a, b, alpha=3), "div": nt.div,
    "div_floor": lambda a, b: nt.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda a, b: nt.div(a, b, rounding_mode="trunc"), "pow": nt.pow,
    "isclose": lambda a, b: nt.isclose(a, b, rtol=0.1, atol=0.5),
}
NONZERO_RHS = {"div", "div_floor", "div_trunc", "remainder", "fmod"}
BINARY_CASES = [(name, dt) for name in BINARY_FNS for dt in dts(name)
                if not (name in ("sub", "sub_alpha") and dt is nt.bool)]
# (shape of a, shape of b, layout of a, layout of b)
BINARY_SHAPES = [
    ((), (), "contiguous", "contiguous"), ((0,), (0,), "contiguous", "contiguous"),
    ((1,), (1,), "contiguous", "contiguous"), ((7,), (7,), "contiguous", "contiguous"),
    ((3, 5), (3, 5), "contiguous", "contiguous"), ((3, 5), (3, 5), "transposed", "stepped"),
    ((3, 5), (3, 5), "expanded", "transposed"), ((3, 1), (1, 5), "contiguous", "contiguous"),
    ((5,), (2, 3, 5), "stepped", "contiguous"), ((2, 3, 5), (), "contiguous", "contiguous"),
    ((0, 3), (1, 3), "contiguous", "contiguous"),
]


def binary_operands(name, dt, shape_a, shape_b, seed=0):
    a = rand(shape_a, dt, seed=seed)
    b = rand(shape_b, dt, seed=seed + 1)
    if name in NONZERO_RHS and dt is not nt.bool:
        b = np.where(b == 0, np.ones_like(b), b)
    if name == "pow":
        if dt.is_floating_point:
            a = np.abs(a) + dt.np.type(0.5)
        else:
            b = np.abs(b) % 4
    if name == "isclose":
        b = (a + b * 0.2).astype(dt.np) if a.shape == b.shape and dt.is_floating_point else b
    return a, b


@pytest.mark.parametrize("name,dt", BINARY_CASES, ids=ids(BINARY_CASES))
def test_binary(name, dt):
    fn = BINARY_FNS[name]
    for sa, sb, la, lb in BINARY_SHAPES if dt is F32 or FULL else [BINARY_SHAPES[i] for i in (0, 5, 7, 8, 10)]:
        a, b = binary_operands(name, dt, sa, sb)
        got, want = run_both(fn, pair(a, la), pair(b, lb))
        check(got, want, msg=f"{name} {dt} {sa} {la} x {sb} {lb}")


SCALAR_OPS = ["add", "sub", "mul", "div", "div_floor", "remainder", "fmod", "pow", "maximum", "minimum",
              "eq", "lt", "ge", "atan2"]


@pytest.mark.parametrize("name", SCALAR_OPS)
def test_binary_with_scalars(name):
    """Python scalars and 0-d CPU tensors on either side of a CUDA tensor (the scalar promotion rules)."""
    fn = BINARY_FNS[name]
    for dt in dts(name, [F32, F16, I64]):
        lo = 0.5 if name == "pow" else -3
        arr = rand((3, 4), dt, lo, 3, seed=7)
        if name in NONZERO_RHS:
            arr = np.where(arr == 0, np.ones_like(arr), arr)
        for lay in ("contiguous", "transposed"):
            cpu, dev = pair(arr, lay)
            for s in (2, -1.5, True, nt.tensor(3), nt.tensor(0.5, dtype=F64), nt.tensor(2, dtype=I32)):
                if name in ("atan2", "maximum", "minimum") and not isinstance(s, nt.Tensor):
                    s = nt.tensor(s)  # these take tensors only
                if name == "sub" and s is True:  # torch refuses `-` with a bool operand, on both devices
                    for t in (cpu, dev):
                        with pytest.raises(RuntimeError, match="Subtraction, the `-` operator, with a bool"):
                            fn(t, s)
                    continue
                if name == "pow" and isinstance(s, float | nt.Tensor) and not dt.is_floating_point and \
                        (s < 0 if not isinstance(s, nt.Tensor) else bool((s < 0).item())):
                    continue
                check(fn(dev, s), fn(cpu, s), msg=f"{name} {dt} {lay} tensor op {s!r}")
                if name in ("pow", "div_floor", "div", "remainder", "fmod") and \
                        not (isinstance(s, nt.Tensor) or dt.is_floating_point):
                    continue  # int tensor as divisor/exponent against a scalar: covered by the int kernels above
                if name == "pow" and not dt.is_floating_point:
                    continue
                check(fn(s, dev), fn(s, cpu), msg=f"{name} {dt} {lay} {s!r} op tensor")


PROMOTION_PAIRS = [(F32, F64), (F16, F32), (I32, F16), (I64, F32), (nt.bool, I32), (I32, I64), (nt.uint8, nt.int8),
                   (nt.bool, F16), (nt.int16, nt.uint8)]


@pytest.mark.parametrize("da,db", PROMOTION_PAIRS, ids=[f"{a.name}-{b.name}" for a, b in PROMOTION_PAIRS])
def test_binary_type_promotion(da, db):
    a = rand((2, 3), da, 1, 4, seed=1)
    b = rand((3,), db, 1, 4, seed=2)
    for name in ("add", "sub", "mul", "div", "maximum", "eq", "lt", "div_floor", "remainder"):
        if name in ("sub", "div_floor", "remainder") and nt.bool in (da, db):  # no bool sub; False divides by 0
            continue
        for x, y in ((pair(a, "transposed"), pair(b)), (pair(b), pair(a, "stepped"))):
            got, want = run_both(BINARY_FNS[name], x, y)
            check(got, want, msg=f"{name} {da} {db}")
    # 0-d CUDA tensors promote like 0-d CPU tensors (dims over 0-d)
    z = pair(np.array(2.5, np.float64))
    check(*run_both(nt.add, pair(a), z), msg="0-d float64 cuda + tensor")


def test_operators():
    a, b = rand((3, 4), F32, seed=1), rand((3, 4), F32, 0.5, 3, seed=2)
    ia, ib = rand((3, 4), I64, -5, 6, seed=3), rand((3, 4), I64, 1, 4, seed=4)
    ops = (lambda x, y: x + y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x / y, lambda x, y: x == y,
           lambda x, y: x < y, lambda x, y: 2 - x, lambda x, y: 1 / y, lambda x, y: 3 ** (x / 4), lambda x, y: -x,
           lambda x, y: abs(x), lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x ** y)
    for fn in ops:
        check(*run_both(fn, pair(a), pair(b)))
    for fn in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        check(*run_both(fn, pair(ia), pair(ib)))
        check(*run_both(fn, pair(ia > 0), pair(ib > 2)))
    for fn in ops:  # integer // % ** check for zero divisors / negative exponents first
        check(*run_both(fn, pair(ia), pair(ib)))


# -- elementwise: ternary and the rest ----------------------------------------------------------------------

def test_where():
    for dt in MAIN:
        for sc, sx, sy, lay in (((3, 4), (3, 4), (3, 4), "contiguous"), ((3, 4), (3, 4), (3, 4), "transposed"),
                                ((3, 1), (4,), (), "contiguous"), ((0,), (1,), (0,), "contiguous"),
                                ((), (), (), "contiguous")):
            cond = rand(sc, nt.bool, seed=1)
            x, y = rand(sx, dt, seed=2), rand(sy, dt, seed=3)
            check(*run_both(nt.where, pair(cond, lay if len(sc) == 2 else "contiguous"),
                            pair(x, lay if len(sx) == 2 else "contiguous"), pair(y)), msg=f"where {dt} {sx}")
        x = pair(rand((2, 3), dt, seed=4))
        cond = pair(rand((2, 3), nt.bool, seed=5))
        check(*run_both(lambda c, v: nt.where(c, v, 0), cond, x), msg=f"where scalar {dt}")
    check(*run_both(nt.where, pair(rand((4,), nt.bool)), pair(rand((4,), I32)), pair(rand((4,), F64))),
          msg="where promotes")


@pytest.mark.parametrize("dt", [F32, F64, F16, I32, I64], ids=lambda d: d.name)
def test_clamp(dt):
    for shape, lay in cases([(), (0,), (7,), (3, 5)]):
        x = pair(rand(shape, dt, seed=1), lay)
        lo, hi = pair(rand(shape, dt, -3, 0, seed=2)), pair(rand(shape, dt, 0, 3, seed=3))
        check(*run_both(lambda v: nt.clamp(v, -1, 2), x), msg=f"clamp {dt} {shape} {lay}")
        check(*run_both(lambda v: nt.clamp(v, min=0), x), msg="clamp min")
        check(*run_both(lambda v: nt.clamp(v, max=1), x), msg="clamp max")
        check(*run_both(lambda v, a, b: nt.clamp(v, a, b), x, lo, hi), msg="clamp tensors")
        check(*run_both(lambda v, a: nt.clamp(v, min=a), x, lo), msg="clamp min tensor")
        if dt.is_floating_point:
            check(*run_both(lambda v: nt.clamp(v, -0.5, 1.5), x), msg="clamp float bounds")


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
def test_lerp_addcmul_addcdiv(dt):
    for shape, lay in cases([(), (0,), (7,), (3, 5)]):
        x, y = pair(rand(shape, dt, seed=1), lay), pair(rand(shape, dt, seed=2))
        z = pair(rand(shape, dt, 0.5, 2, seed=3))
        w = pair(rand(shape[-1:], dt, 0, 1, seed=4))
        check(*run_both(lambda a, b: nt.lerp(a, b, 0.3), x, y), msg=f"lerp scalar {shape} {lay}")
        check(*run_both(nt.lerp, x, y, w), msg=f"lerp tensor {shape} {lay}")
        check(*run_both(lambda a, b, c: nt.addcmul(a, b, c, value=0.5), x, y, z), msg=f"addcmul {shape} {lay}")
        check(*run_both(lambda a, b, c: nt.addcdiv(a, b, c, value=2), x, y, z), msg=f"addcdiv {shape} {lay}")
    ints = pair(rand((3, 4), I64, seed=5)), pair(rand((4,), I64, seed=6))
    check(*run_both(lambda a, b: nt.addcmul(a, b, b, value=3), *ints), msg="addcmul int")


def test_allclose_equal():
    a = rand((3, 4), F32, seed=1)
    cpu, dev = pair(a)
    assert nt.allclose(dev, dev.t().t()) and nt.equal(dev, dev.clone())
    assert not nt.equal(dev, dev + 1) and not nt.allclose(dev, dev + 1)
    assert nt.allclose(dev, dev + 1e-7) == nt.allclose(cpu, cpu + 1e-7)
    assert not nt.equal(dev, dev[:2])


def test_out_argument():
    a, b = pair(rand((3, 4), F32, seed=1)), pair(rand((3, 4), F32, seed=2))
    out_dev, out_cpu = nt.empty(3, 4, device="cuda"), nt.empty(3, 4)
    assert nt.add(a[1], b[1], out=out_dev) is out_dev
    nt.add(a[0], b[0], out=out_cpu)
    check(out_dev, out_cpu)
    out_dev = nt.empty(0, device="cuda", dtype=F64)  # resized and cast, as the CPU does
    out_cpu = nt.empty(0, dtype=F64)
    check(nt.mul(a[1], b[1], out=out_dev), nt.mul(a[0], b[0], out=out_cpu))
    with pytest.raises(RuntimeError, match="device"):
        nt.add(a[1], b[1], out=nt.empty(3, 4))


# -- in-place ops -------------------------------------------------------------------------------------------

INPLACE = {
    "add_": lambda s, o: s.add_(o), "add_alpha": lambda s, o: s.add_(o, alpha=2), "sub_": lambda s, o: s.sub_(o),
    "mul_": lambda s, o: s.mul_(o), "div_": lambda s, o: s.div_(o), "maximum_out": lambda s, o: nt.maximum(s, o, out=s),
    "pow_": lambda s, o: s.pow_(2), "clamp_": lambda s, o: s.clamp_(-1, 1), "relu_": lambda s, o: s.relu_(),
    "exp_": lambda s, o: s.exp_(), "neg_": lambda s, o: s.neg_(), "iadd": lambda s, o: s.__iadd__(o),
    "imul_scalar": lambda s, o: s.__imul__(3), "itruediv": lambda s, o: s.__itruediv__(o),
    "lt_": lambda s, o: s.lt_(o), "fill_": lambda s, o: s.fill_(2),
}
INPLACE_DTS = {"div_": FLOATS, "itruediv": FLOATS, "exp_": FLOATS}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace(name):
    fn = INPLACE[name]
    for i, dt in enumerate(INPLACE_DTS.get(name, [F32, F64, F16, I32, I64])):
        for lay in (("contiguous", "transposed", "stepped")[i % 3], "contiguous" if i % 3 else "stepped"):
            for other_shape in ((3, 4), (4,), ()):
                s = rand((3, 4), dt, seed=1)
                o = rand(other_shape, dt, 1, 3, seed=2)
                cpu_s, dev_s = pair(s, lay)
                cpu_o, dev_o = pair(o, "stepped" if other_shape == (4,) else "contiguous")
                v0 = dev_s._version
                res = fn(dev_s, dev_o)
                assert res is dev_s, name
                assert dev_s._version > v0
                check(dev_s, fn(cpu_s, cpu_o), msg=f"{name} {dt} {lay} other {other_shape}")


def test_inplace_through_views_and_aliasing():
    for dt in (F32, I64):
        a = rand((4, 4), dt, seed=1)
        cpu, dev = pair(a)
        for fn in (lambda t: t[1:3, ::2].mul_(2), lambda t: t.t().add_(t), lambda t: t[0].add_(t[:, 1]),
                   lambda t: t.add_(t), lambda t: t[::2].sub_(t[1::2]), lambda t: t.view(-1)[::5].fill_(0),
                   lambda t: t[:, 0].copy_(t[0]), lambda t: t.add_(t[0]), lambda t: t.mul_(t[:, :1])):
            fn(cpu)
            fn(dev)
            check(dev, cpu, msg=f"aliasing {dt}")


def test_inplace_errors_on_cuda():
    i = nt.ones(3, dtype=I64, device="cuda")
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.add_(nt.ones(3, device="cuda"))
    with pytest.raises(RuntimeError, match="output with shape \\[3\\] doesn't match the broadcast shape \\[2, 3\\]"):
        nt.ones(3, device="cuda").add_(nt.ones(2, 3, device="cuda"))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        nt.ones(3).add_(nt.ones(3, device="cuda"))


def test_int_zero_division_raises_on_cuda():
    a, z = nt.ones(3, dtype=I64, device="cuda"), nt.zeros(3, dtype=I64, device="cuda")
    for fn in (lambda: nt.remainder(a, z), lambda: nt.fmod(a, z), lambda: a // z, lambda: a % 0):
        with pytest.raises(RuntimeError, match="ZeroDivisionError"):
            fn()
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        a ** -1  # a negative Python int is refused, as torch; a tensor of negative exponents computes
    base = nt.tensor([2, 1, -1, 0], dtype=I64, device="cuda")
    got = nt.pow(base, nt.tensor([-1, -3, -3, -2], dtype=I64, device="cuda"))
    np.testing.assert_array_equal(got.cpu().numpy(), [0, 1, -1, 0])


# -- reductions ---------------------------------------------------------------------------------------------

REDUCTIONS = {
    "sum": lambda x, d, k: x.sum() if d is None and not k else x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean() if d is None and not k else x.mean(d, keepdim=k),
    "prod": lambda x, d, k: x.prod() if d is None else x.prod(d, keepdim=k),
    "amax": lambda x, d, k: x.amax(() if d is None else d, keepdim=k),
    "amin": lambda x, d, k: x.amin(() if d is None else d, keepdim=k),
    "max": lambda x, d, k: x.max() if d is None else tuple(x.max(d, keepdim=k)),
    "min": lambda x, d, k: x.min() if d is None else tuple(x.min(d, keepdim=k)),
    "argmax": lambda x, d, k: x.argmax(d, keepdim=k),
    "argmin": lambda x, d, k: x.argmin(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
    "std": lambda x, d, k: x.std(d, correction=0, keepdim=k),
    "var_mean": lambda x, d, k: tuple(nt.var_mean(x, d, keepdim=k, correction=2)),
    "std_mean": lambda x, d, k: tuple(nt.std_mean(x, d, keepdim=k)),
    "logsumexp": lambda x, d, k: nt.logsumexp(x, tuple(range(x.ndim)) if d is None else d, keepdim=k),
    "norm": lambda x, d, k: x.norm(dim=d, keepdim=k),
    "norm1": lambda x, d, k: x.norm(1, dim=d, keepdim=k),
    "norm_inf": lambda x, d, k: x.norm(math.inf, dim=d, keepdim=k),
    "any": lambda x, d, k: x.any() if d is None else x.any(d, keepdim=k),
    "all": lambda x, d, k: x.all() if d is None else x.all(d, keepdim=k),
    "count_nonzero": lambda x, d, k: nt.count_nonzero(x, d),
}
# dims each reduction takes (the single-dim ones refuse tuples; the others take every form)
SINGLE_DIM = {"prod", "max", "min", "argmax", "argmin", "any", "all"}
RED_KERNEL = {"std": "var", "std_mean": "var_mean", "norm1": "norm", "norm_inf": "norm"}
RED_DTS = [F32, F64, F16, I64, nt.bool]  # int32 shares int64's kernels: test_reduction_dtype_arguments covers it
RED_CASES = [(name, dt) for name in REDUCTIONS for dt in dts(RED_KERNEL.get(name, name), RED_DTS)
             if not (name in ("argmax", "argmin") and dt is nt.bool)  # torch refuses bool there
             and not (name in ("norm1", "norm_inf", "std_mean") and dt is not F32)]  # variants of tested kernels


# (layout, dim, keepdim) per reduction of a (2, 3, 5) tensor: each layout once, dims of every form across them
# (a whole-tensor reduction is the costly one under the simulator, so it runs once per case)
RED_PLAN = [("contiguous", None, False), ("transposed", 1, True), ("stepped", -1, False), ("expanded", 0, False),
            ("contiguous", (0, 2), True), ("transposed", (2, 1), False)]
RED_SMALL = [((7,), 0), ((1,), -1), ((1, 1), 1)]


@pytest.mark.parametrize("name,dt", RED_CASES, ids=ids(RED_CASES))
def test_reduction(name, dt):
    fn = REDUCTIONS[name]
    tol = TOL.get(dt)
    if dt is F16 and name in ("sum", "mean", "prod", "var", "std", "var_mean", "std_mean", "norm", "logsumexp"):
        tol = 1e-2
    low, high = (0.5, 1.5) if name == "prod" else (-3, 3)
    arr = rand((2, 3, 5), dt, low, high, seed=11)
    plan = RED_PLAN if dt is F32 or FULL else RED_PLAN[(0 if dt is I64 else 1):2] + RED_PLAN[4:5]
    for lay, d, k in plan:
        if name in SINGLE_DIM and isinstance(d, tuple):
            d = d[0]
        if d is None and k:
            continue
        check(*run_both(fn, pair(arr, lay), d, k), tol, msg=f"{name} {dt} {lay} dim={d} keepdim={k}")
    for shape, d in RED_SMALL if dt is F32 or FULL else RED_SMALL[:1]:  # size 1, odd lengths
        small = rand(shape, dt, low, high, seed=12)
        check(*run_both(fn, pair(small), d, False), tol, msg=f"{name} {dt} {shape} dim={d}")


@pytest.mark.parametrize("name", list(REDUCTIONS))
def test_reduction_zero_dim(name):
    """A 0-d input reduces over nothing: dim None, 0 and -1 are all valid, keepdim keeps shape ()."""
    fn = REDUCTIONS[name]
    for dt in (F32, I64):
        if dt not in dts(RED_KERNEL.get(name, name)) or (name in ("argmax", "argmin") and dt is nt.bool):
            continue
        x = pair(rand((), dt, 0.5, 3, seed=13))
        for d, k in ((None, False), (0, False), (-1, True)):
            check(*run_both(fn, x, d, k), msg=f"{name} {dt} 0-d dim={d} keepdim={k}")


def test_reduction_empty_dim_list():
    """An empty dim tuple reduces everything for sum/mean/amax/logsumexp/var (torch's rule), nothing for any/all;
    logsumexp keeps the dims then (without keepdim torch fails to copy that into its 0-d output, and so does ntorch)."""
    arr = rand((3, 4), F32, seed=3)
    x = pair(arr, "transposed")
    for fn in (lambda t: t.sum(()), lambda t: t.mean(()), lambda t: t.amax(()),
               lambda t: nt.logsumexp(t, (), keepdim=True), lambda t: t.var(()), lambda t: t.any(()),
               lambda t: t.all(()), lambda t: t.sum((), keepdim=True)):
        check(*run_both(fn, x))
    with pytest.raises(RuntimeError, match=r"output with shape \[\] doesn't match the broadcast shape \[1, 1\]"):
        nt.logsumexp(x[0], ())


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "argmax", "max", "var", "logsumexp", "any", "all",
                                  "count_nonzero", "norm"])
def test_reduction_empty(name):
    """Size-0 inputs: sums give 0 (mean nan), max-like ops raise the CPU's error on CUDA too."""
    fn = REDUCTIONS[name]
    arr = np.zeros((0, 3), np.float32)
    cpu, dev = pair(arr)
    for d in (None, 0, 1):
        try:
            want = fn(cpu, d, False)
        except (RuntimeError, IndexError) as e:
            with pytest.raises(type(e)) as got:
                fn(dev, d, False)
            assert str(got.value) == str(e)
            continue
        check(fn(dev, d, False), want, msg=f"{name} empty dim={d}")


def test_reduction_dtype_arguments():
    x = pair(rand((3, 4), I32, seed=1))
    f = pair(rand((3, 4), F16, seed=2))
    b = pair(rand((3, 4), nt.bool, seed=3))
    for fn in (lambda t: t.sum(), lambda t: t.sum(0, dtype=F64), lambda t: t.mean(1, dtype=F32),
               lambda t: t.prod(1, dtype=I64), lambda t: t.sum(dtype=F16)):
        check(*run_both(fn, x), 1e-2)
        check(*run_both(fn, f), 1e-2)
    check(*run_both(lambda t: t.sum(1), b))
    check(*run_both(lambda t: t.sum(), pair(rand((5,), nt.uint8, 0, 200, seed=4))), msg="uint8 sum -> int64")


def test_argmax_ties_pick_first():
    arr = np.array([[1, 3, 3, 0], [2, 2, 2, 2], [0, 5, 1, 5]], np.int64)
    for lay in ("contiguous", "transposed", "stepped"):
        for fn in (lambda t: t.argmax(1), lambda t: t.argmin(1), lambda t: t.argmax(), lambda t: t.max(1).indices,
                   lambda t: t.min(0).indices, lambda t: t.argmax(0)):
            check(*run_both(fn, pair(arr, lay)), msg=lay)


# -- matmul -------------------------------------------------------------------------------------------------

MM_DTS = [F32, F64, F16, I32, I64]
MM_TOL = {F16: 1e-2, F32: 1e-5, F64: 1e-12}


@pytest.mark.parametrize("dt", MM_DTS, ids=lambda d: d.name)
def test_mm(dt):
    for (m, k, n), la, lb in (((3, 4, 5), "contiguous", "contiguous"), ((1, 1, 1), "contiguous", "contiguous"),
                              ((0, 3, 2), "contiguous", "contiguous"), ((3, 0, 2), "contiguous", "contiguous"),
                              ((2, 3, 0), "contiguous", "contiguous"), ((5, 7, 3), "transposed", "contiguous"),
                              ((3, 4, 5), "contiguous", "transposed"), ((5, 2, 3), "stepped", "transposed")):
        a, b = pair(rand((m, k), dt, seed=1), la), pair(rand((k, n), dt, seed=2), lb)
        check(*run_both(nt.mm, a, b), MM_TOL.get(dt), msg=f"mm {dt} {(m, k, n)} {la} {lb}")


@pytest.mark.parametrize("dt", MM_DTS, ids=lambda d: d.name)
def test_bmm_and_matmul_shapes(dt):
    tol = MM_TOL.get(dt)
    a, b = pair(rand((2, 3, 4), dt, seed=1), "transposed"), pair(rand((2, 4, 5), dt, seed=2), "stepped")
    check(*run_both(nt.bmm, a, b), tol, msg="bmm")
    check(*run_both(nt.bmm, pair(rand((0, 3, 4), dt)), pair(rand((0, 4, 2), dt))), tol, msg="bmm empty batch")
    shapes = [((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((2, 3, 4), (4,)), ((4,), (2, 4, 3)),
              ((2, 1, 3, 4), (3, 4, 2)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5))]
    for sa, sb in shapes if dt in (F32, I64) else shapes[:3]:
        check(*run_both(nt.matmul, pair(rand(sa, dt, seed=3)), pair(rand(sb, dt, seed=4))), tol,
              msg=f"matmul {sa} {sb}")
    check(*run_both(nt.matmul, pair(rand((3, 4), dt, seed=5), "expanded"), pair(rand((4, 2), dt, seed=6))), tol,
          msg="matmul expanded")


def test_matmul_errors_on_cuda():
    a = nt.ones(2, 3, device="cuda")
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        nt.mm(a, a)
    with pytest.raises(RuntimeError, match="expected"):
        nt.mm(a, nt.ones(3, 2, dtype=F64, device="cuda"))


@pytest.mark.parametrize("dt", FLOATS, ids=lambda d: d.name)
def test_linear(dt):
    tol = MM_TOL[dt]
    w, bias = pair(rand((3, 4), dt, seed=1)), pair(rand((3,), dt, seed=2))
    for shape in ((5, 4), (4,), (2, 3, 4), (0, 4)):
        x = pair(rand(shape, dt, seed=3))
        check(*run_both(F.linear, x, w), tol, msg=f"linear {shape}")
        check(*run_both(F.linear, x, w, bias), tol, msg=f"linear bias {shape}")
    check(*run_both(F.linear, pair(rand((5, 4), dt, seed=4), "transposed"), pair(rand((3, 4), dt, seed=5), "stepped"),
                    pair(rand((3,), dt, seed=6), "stepped")), tol, msg="linear non-contiguous")


# -- views --------------------------------------------------------------------------------------------------

VIEWS = {
    "view": lambda t: t.view(6, 5), "view-1": lambda t: t.view(-1), "reshape": lambda t: t.reshape(5, -1),
    "transpose": lambda t: t.transpose(0, 2), "t": lambda t: t[0].t(), "permute": lambda t: t.permute(2, 0, 1),
    "movedim": lambda t: t.movedim(0, -1), "unsqueeze": lambda t: t.unsqueeze(1), "unsqueeze-end": lambda t:
    t.unsqueeze(-1), "squeeze": lambda t: t[:, :1].squeeze(), "squeeze-dim": lambda t: t[:1].squeeze(0),
    "expand": lambda t: t[:, :1].expand(4, 2, 3, 5), "narrow": lambda t: t.narrow(2, 1, 3),
    "select": lambda t: t.select(1, 2), "int index": lambda t: t[1, -1], "slices": lambda t: t[:, ::2, 1:4],
    "neg step free": lambda t: t[..., 1::3], "none": lambda t: t[None, :, None, 0], "element": lambda t: t[1, 2, 3],
    "ellipsis": lambda t: t[..., 0], "empty slice": lambda t: t[:, 2:2], "flatten": lambda t: t.flatten(1),
    "unflatten": lambda t: t.unflatten(2, (5, 1)), "contiguous": lambda t: t.transpose(1, 2).contiguous(),
    "clone": lambda t: t.transpose(0, 1).clone(), "T chain": lambda t: t.permute(1, 2, 0)[1:, ::2].transpose(0, 2),
    "expand_as": lambda t: t[0, 0].expand_as(t), "reshape copy": lambda t: t.transpose(1, 2).reshape(-1),
}


@pytest.mark.parametrize("dt", MAIN, ids=lambda d: d.name)
def test_views(dt):
    arr = rand((2, 3, 5), dt, seed=1)
    for lay in ("contiguous", "stepped", "transposed"):
        cpu, dev = pair(arr, lay)
        if lay != "contiguous":
            cpu = nt.from_numpy(np.ascontiguousarray(arr))
        for name, fn in VIEWS.items():
            if name.startswith("view") and lay != "contiguous":
                continue
            got, want = fn(dev), fn(cpu)
            check(got, want, msg=f"{name} {dt} {lay}")
            if lay == "contiguous" and name != "clone":  # clone's layout: test_clone_preserves_layout
                assert got.stride() == want.stride(), f"{name}: {got.stride()} != {want.stride()}"
                assert got.storage_offset() == want.storage_offset(), name
                assert got.is_contiguous() == want.is_contiguous(), name
                assert (got._base is not None) == (want._base is not None), name


def test_clone_preserves_layout():
    """clone keeps a dense input's strides (torch.preserve_format) on CUDA as on the CPU."""
    arr = rand((2, 3, 5), F32, seed=1)
    cpu, dev = pair(arr)
    for fn in (lambda t: t.transpose(0, 1), lambda t: t.permute(2, 0, 1), lambda t: t[:, ::2]):
        got, want = fn(dev).clone(), fn(cpu).clone()
        check(got, want)
        assert got.stride() == want.stride()


def test_views_share_memory_with_base():
    arr = rand((3, 4), F32, seed=2)
    cpu, dev = pair(arr)
    for fn in (lambda t: t.t()[1], lambda t: t[:, 1::2], lambda t: t.view(12)[3:7], lambda t: t.unsqueeze(0)[0, 2],
               lambda t: t.narrow(1, 1, 2).select(0, 1), lambda t: t.permute(1, 0)[::3]):
        fn(cpu).mul_(-2)
        fn(dev).mul_(-2)
        check(dev, cpu)
    assert dev.view(-1)[5].data_ptr() == dev.data_ptr() + 5 * 4
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        dev.t().view(12)


def test_slicing_and_setitem_basic():
    arr = rand((4, 5), F64, seed=3)
    cpu, dev = pair(arr)
    for key, value in (((1,), 0.5), ((slice(None), 2), -1.0), ((slice(1, None, 2), slice(None, None, 3)), 9.0),
                       ((Ellipsis, -1), 4.0)):
        cpu[key] = value
        dev[key] = value
        check(dev, cpu, msg=f"setitem {key}")
    row = nt.tensor([1.0, 2.0, 3.0, 4.0, 5.0], dtype=F64)
    cpu[2] = row
    dev[2] = row.cuda()
    check(dev, cpu, msg="setitem tensor")
    cpu[:, 1] = nt.tensor(7.0, dtype=F64)
    dev[:, 1] = nt.tensor(7.0, dtype=F64)
    check(dev, cpu, msg="setitem 0-d cpu tensor")


def test_contiguous_same_shape_ops_take_the_fast_path():
    """Same-shape C-contiguous operands (or a Python scalar) skip promotion and layout analysis; the values, dtype
    and autograd record stay those of the general path."""
    from ntorch.ops import elementwise as E

    for dt in (F32, F16, I64):
        for shape in ((3, 5), (), (0, 4)):
            a_np, b_np = rand(shape, dt, 1, 4, seed=3), rand(shape, dt, 1, 4, seed=4)
            a, b = nt.from_numpy(a_np).cuda(), nt.from_numpy(b_np).cuda()
            for fn in (lambda x, y: x + y, lambda x, y: x * 3, lambda x, y: x < y, lambda x, y: -x):
                got, want = fn(a, b), fn(nt.from_numpy(a_np), nt.from_numpy(b_np))
                assert got.dtype is want.dtype and got.shape == want.shape
                np.testing.assert_array_equal(got.cpu().numpy(), want.numpy())
        assert E._FAST_CUDA[("add", dt.np, "aa", None)] is not None
    x = nt.ones(4, device="cuda", requires_grad=True)
    y = x * x
    assert y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.cpu().numpy(), [2.0] * 4)


def test_set_default_device_cuda():
    """Creation functions without device= allocate on the default device; explicit devices still win."""
    nt.set_default_device("cuda")
    try:
        assert nt.get_default_device() == nt.device("cuda", 0)
        for t in (nt.zeros(2), nt.ones(2), nt.empty(2), nt.tensor([1.0]), nt.arange(3), nt.randn(2),
                  nt.full((2,), 3.0), nt.eye(2), nt.linspace(0, 1, 3)):
            assert t.is_cuda, t
        assert not nt.zeros(2, device="cpu").is_cuda
        np.testing.assert_array_equal(nt.arange(3).cpu().numpy(), [0, 1, 2])
    finally:
        nt.set_default_device(None)
    assert not nt.zeros(2).is_cuda


def test_channels_last_and_factory_out_on_the_device():
    x = nt.randn(2, 3, 2, 3)
    d = x.cuda()
    for y in (d.contiguous(memory_format=nt.channels_last), d.clone(memory_format=nt.channels_last),
              d.to(memory_format=nt.channels_last), nt.empty_like(d, memory_format=nt.channels_last).copy_(d)):
        assert y.is_cuda and y.stride() == (18, 1, 9, 3) and y.is_contiguous(memory_format=nt.channels_last)
        np.testing.assert_array_equal(y.cpu().numpy(), x.numpy())
    assert nt.empty(2, 3, 2, 3, device="cuda", memory_format=nt.channels_last).stride() == (18, 1, 9, 3)
    out = nt.empty(0, device="cuda", dtype=nt.int64)
    assert nt.arange(4, out=out) is out and out.is_cuda and out.cpu().tolist() == [0, 1, 2, 3]
    z = nt.normal(2.0, 0.5, (64,), device="cuda")
    assert z.is_cuda and abs(float(z.mean()) - 2.0) < 0.5


def test_autocast_and_grad_scaler_on_the_device():
    from ntorch import amp

    lin = nt.nn.Linear(4, 3).cuda()
    x = nt.randn(2, 4, device="cuda")
    with nt.autocast("cuda"):  # float16 by default on CUDA
        y = lin(x)
        assert y.is_cuda and y.dtype is nt.float16
        loss = nt.nn.functional.mse_loss(y, nt.zeros(2, 3, device="cuda", dtype=nt.float16))
        assert loss.dtype is nt.float32
    scaler = amp.GradScaler("cuda", init_scale=16.0)
    opt = nt.optim.SGD(lin.parameters(), lr=0.0)
    scaler.scale(loss).backward()
    assert lin.weight.grad.dtype is nt.float32 and lin.weight.grad.is_cuda
    g16 = lin.weight.grad.cpu().numpy().copy()
    scaler.step(opt)
    np.testing.assert_allclose(lin.weight.grad.cpu().numpy(), g16 / 16.0, rtol=1e-6)
    scaler.update()
    assert scaler.get_scale() == 16.0
