"""torch.testing: `assert_close`, `make_tensor` and the deprecated `assert_allclose`.

The comparison follows torch 2.13's rules and messages: inputs are compared pairwise, recursing through sequences
(not strings) and mappings; a pair is None/None, two bools, two Python or NumPy numbers, or two tensor-likes of
directly related types (two ntorch tensors, or two NumPy arrays); anything else is a TypeError. Tensors must agree
in shape and, unless told otherwise, device, dtype and layout; values are compared by `isclose` with the default
tolerances of the looser dtype."""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from . import dtypes
from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# {dtype: (rtol, atol)}; other dtypes (integers, bool) compare exactly.
_DTYPE_PRECISIONS = {
    dtypes.float16: (0.001, 1e-5),
    dtypes.float32: (1.3e-6, 1e-5),
    dtypes.float64: (1e-7, 1e-7),
    dtypes.bfloat16: (0.016, 1e-5),
}
_NUMBER_DTYPES = {int: dtypes.int64, float: dtypes.float64}
Msg = str | Callable[[str], str] | None


class _Mismatch(Exception):
    """A failed comparison: the exception type to raise, its message, and where in nested inputs it happened."""

    def __init__(self, type_: type[Exception], msg: str, *, id: tuple = ()) -> None:
        super().__init__(msg)
        self.type, self.msg, self.id = type_, msg, id

    def to_error(self, msg: Msg = None) -> Exception:
        if isinstance(msg, str):
            return self.type(msg)
        text = self.msg
        if self.id:
            text += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
        return self.type(msg(text) if callable(msg) else text)


class _Unsupported(Exception):
    """This pair kind cannot handle the inputs; the next one is tried."""


def _tolerances(*dts, rtol, atol, id: tuple) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        raise _Mismatch(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                    f"but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*(_DTYPE_PRECISIONS.get(dt, (0.0, 0.0)) for dt in dts))
    return max(rtols), max(atols)


def _mismatch_msg(identifier: Msg, default: str, extra: str, abs_diff, abs_idx, atol, rel_diff, rel_idx,
                  rtol) -> str:
    equality = rtol == 0 and atol == 0
    if identifier is None:
        identifier = default
    elif callable(identifier):
        identifier = identifier(default)

    def line(kind: str, diff, idx, tol) -> str:
        if idx is None:
            text = f"{kind.title()} difference: {diff}"
        else:
            text = f"Greatest {kind} difference: {diff} at index {idx}"
        return text + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += extra.strip() + "\n"
    msg += line("absolute", abs_diff, abs_idx, atol) + line("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_msg(actual, expected, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(None, "Scalars", f"Expected {expected} but got {actual}.", abs_diff, None, atol, rel_diff,
                         None, rtol)


def _tensor_msg(actual: np.ndarray, expected: np.ndarray, matches: np.ndarray, rtol: float, atol: float) -> str:
    total = matches.size
    wrong = total - int(matches.sum())
    extra = f"Mismatched elements: {wrong} / {total} ({wrong / total:.1%})"
    a, e = actual.reshape(-1), expected.reshape(-1)
    integral = a.dtype.kind not in "fc"
    if integral:  # integers and bools: exact differences in int64, as torch
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(all="ignore"):
        abs_diff = np.abs(a - e)
        abs_diff[matches.reshape(-1)] = 0
        # int64 / int64 is a float32 true division in torch (the default dtype)
        rel_diff = (abs_diff.astype(np.float32) / np.abs(e).astype(np.float32)) if integral else abs_diff / np.abs(e)
    rel_diff[matches.reshape(-1)] = 0

    def greatest(values: np.ndarray):
        flat = _argmax_nan_first(values)
        idx = tuple(int(i) for i in np.unravel_index(flat, matches.shape)) if matches.shape else ()
        return values[flat].item(), idx

    (abs_v, abs_i), (rel_v, rel_i) = greatest(abs_diff), greatest(rel_diff)
    return _mismatch_msg(None, "Tensor-likes", extra, abs_v, abs_i, atol, rel_v, rel_i, rtol)


def _argmax_nan_first(values: np.ndarray) -> int:
    """torch.max's index: the first NaN if any, else the first maximum."""
    if values.dtype.kind == "f":
        nans = np.flatnonzero(np.isnan(values))
        if nans.size:
            return int(nans[0])
    return int(np.argmax(values))


def _compare_numbers(actual, expected, *, id, rtol, atol, equal_nan, check_dtype, **_) -> None:
    actual, expected = (v.item() if isinstance(v, np.number) else v for v in (actual, expected))
    rtol, atol = _tolerances(*(_NUMBER_DTYPES.get(type(v), dtypes.float64) for v in (actual, expected)),
                             rtol=rtol, atol=atol, id=id)
    if check_dtype and type(actual) is not type(expected):
        raise _Mismatch(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", id=id)
    if actual == expected:
        return
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(expected):
        return
    raise _Mismatch(AssertionError, _scalar_msg(actual, expected, rtol, atol), id=id)


def _as_tensor(value) -> Tensor:
    from .ops.creation import as_tensor

    return value if isinstance(value, Tensor) else as_tensor(value)


def _compare_tensors(actual, expected, *, id, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype,
                     check_layout, check_stride) -> None:
    related = isinstance(actual, type(expected)) or isinstance(expected, type(actual))
    if not related or (not allow_subclasses and type(actual) is not type(expected)):
        raise _Unsupported
    if not isinstance(actual, Tensor | np.ndarray):
        raise _Unsupported
    a, e = _as_tensor(actual), _as_tensor(expected)
    rtol, atol = _tolerances(a.dtype, e.dtype, rtol=rtol, atol=atol, id=id)

    def differ(attribute: str, x, y) -> None:
        raise _Mismatch(AssertionError, f"The values for attribute '{attribute}' do not match: {x} != {y}.", id=id)

    if a.shape != e.shape:
        differ("shape", a.shape, e.shape)
    if check_stride and a.stride() != e.stride():
        differ("stride()", a.stride(), e.stride())
    if check_device and a.device != e.device:
        differ("device", a.device, e.device)
    if check_dtype and a.dtype != e.dtype:
        differ("dtype", a.dtype, e.dtype)
    if a.dtype != e.dtype:
        common = dtypes.promote_types(a.dtype, e.dtype)
        a, e = a.to(common), e.to(common)
    if a.dtype is dtypes.bfloat16:  # .numpy() refuses bfloat16 (as torch's): compare the same values in float32
        a, e = a.float(), e.float()
    an, en = a.detach().cpu().numpy(), e.detach().cpu().numpy()
    with np.errstate(all="ignore"):
        if an.dtype.kind in "fc":
            matches = np.isclose(an, en, rtol=rtol, atol=atol, equal_nan=equal_nan)
            # torch.isclose: infinities match only themselves, whatever the tolerance
            matches |= (an == en)
        else:
            wide = np.float64 if (rtol or atol) else None
            matches = (an == en) if wide is None else np.abs(an.astype(wide) - en.astype(wide)) <= atol + rtol * np.abs(
                en.astype(wide))
    if matches.all():
        return
    if an.ndim == 0:
        raise _Mismatch(AssertionError, _scalar_msg(an.item(), en.item(), rtol, atol), id=id)
    raise _Mismatch(AssertionError, _tensor_msg(an, en, np.asarray(matches), rtol, atol), id=id)


def _compare_pair(actual, expected, id: tuple, options: dict) -> None:
    if actual is None or expected is None:
        if not (actual is None and expected is None):
            raise _Mismatch(AssertionError, f"None mismatch: {actual} is not {expected}", id=id)
        return
    bools = (bool, np.bool_)
    if isinstance(actual, bools) and isinstance(expected, bools):
        if bool(actual) is not bool(expected):
            raise _Mismatch(AssertionError, f"Booleans mismatch: {bool(actual)} is not {bool(expected)}", id=id)
        return
    numbers = (int, float, np.number)
    if isinstance(actual, numbers) and isinstance(expected, numbers) and not isinstance(actual, bool) \
            and not isinstance(expected, bool):
        _compare_numbers(actual, expected, id=id, **options)
        return
    try:
        _compare_tensors(actual, expected, id=id, **options)
    except _Unsupported:
        raise _Mismatch(TypeError, "No comparison pair was able to handle inputs of type "
                                   f"{type(actual)} and {type(expected)}.", id=id) from None


def _pairs(actual, expected, id: tuple = ()):
    """Yield the leaf pairs of nested sequences / mappings with their item path; structural mismatches raise."""
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and isinstance(expected, seq) and not isinstance(actual, str) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _Mismatch(AssertionError, f"The length of the sequences mismatch: {len(actual)} != "
                                            f"{len(expected)}", id=id)
        for i in range(len(actual)):
            yield from _pairs(actual[i], expected[i], (*id, i))
        return
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        ka, ke = set(actual.keys()), set(expected.keys())
        if ka != ke:
            raise _Mismatch(AssertionError, "The keys of the mappings do not match:\n"
                                            f"Missing keys in the actual mapping: {sorted(ke - ka)}\n"
                                            f"Additional keys in the actual mapping: {sorted(ka - ke)}", id=id)
        keys = ka
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        for k in keys:
            yield from _pairs(actual[k], expected[k], (*id, k))
        return
    yield actual, expected, id


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True, rtol: float | None = None,
                 atol: float | None = None, equal_nan: bool = False, check_device: bool = True,
                 check_dtype: bool = True, check_layout: bool = True, check_stride: bool = False,
                 msg: Msg = None) -> None:
    """Raise AssertionError (with torch's message) unless actual and expected are close, recursively."""
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_layout=check_layout,
                   check_stride=check_stride)
    try:
        pairs = list(_pairs(actual, expected))
    except _Mismatch as m:
        raise m.to_error() from None
    for a, e, id in pairs:
        try:
            _compare_pair(a, e, id, options)
        except _Mismatch as m:
            raise m.to_error(msg) from None


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                    equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated in torch since 1.12; kept with its looser default tolerances and its FutureWarning."""
    warnings.warn("`torch.testing.assert_allclose()` is deprecated since 1.12 and will be removed in a future "
                  "release. Please use `torch.testing.assert_close()` instead. You can find detailed upgrade "
                  "instructions in https://github.com/pytorch/pytorch/issues/61844.", FutureWarning, stacklevel=2)
    from .ops.creation import tensor

    if not isinstance(actual, Tensor):
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        expected = tensor(expected, dtype=actual.dtype)
    if rtol is None and atol is None:
        loose = {dtypes.float16: (1e-3, 1e-3), dtypes.float32: (1e-4, 1e-5), dtypes.float64: (1e-5, 1e-8)}
        pair = [loose.get(d, (0.0, 0.0)) for d in (actual.dtype, expected.dtype)]
        rtol, atol = max(p[0] for p in pair), max(p[1] for p in pair)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=True, check_dtype=False,
                 check_stride=False, msg=msg or None)


_INTEGRAL = (dtypes.uint8, dtypes.int8, dtypes.int16, dtypes.int32, dtypes.int64)
_FLOATING = (dtypes.float16, dtypes.float32, dtypes.float64, dtypes.bfloat16)


def make_tensor(*shape, dtype, device, low: float | None = None, high: float | None = None,
                requires_grad: bool = False, noncontiguous: bool = False, exclude_zero: bool = False,
                memory_format=None) -> Tensor:
    """A tensor of `shape` filled uniformly from [low, high) (defaults by dtype as torch: bool [0, 2), unsigned
    [0, 10), signed [-9, 10), floating [-9, 9]), optionally non-contiguous (every other element of a wider last dim,
    offset by one) or without zeros."""
    from .ops.creation import empty
    from .random import randint

    dtype = dtypes.as_dtype(dtype)
    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, but got "
                         f"noncontiguous={noncontiguous} and memory_format={memory_format}")
    if requires_grad and (dtype is dtypes.bool or dtype in _INTEGRAL):
        raise ValueError("`requires_grad=True` is not supported for boolean and integral dtypes, but got "
                         f"dtype={dtype}")

    def limits(lowest, highest, default_low, default_high):
        lo = default_low if low is None else low
        hi = default_high if high is None else high
        if any(isinstance(v, float) and math.isnan(v) for v in (lo, hi)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={lo} and high={hi}")
        if lo == hi and dtype in _FLOATING:
            warnings.warn("Passing `low==high` to `torch.testing.make_tensor` for floating or complex types is "
                          "deprecated since 2.1 and will be removed in 2.3. Use `torch.full(...)` instead.",
                          FutureWarning, stacklevel=3)
        elif lo >= hi:
            raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
        elif hi < lowest or lo >= highest:
            raise ValueError(f"The value interval specified by `low` and `high` is [{lo}, {hi}), but {dtype} only "
                             f"supports [{lowest}, {highest})")
        lo, hi = min(max(lo, lowest), highest), min(max(hi, lowest), highest)
        if dtype not in _FLOATING:
            return math.ceil(lo), math.ceil(hi)
        return lo, hi

    numel = math.prod(shape)
    noncontiguous = noncontiguous and numel > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if dtype is dtypes.bool:
        lo, hi = limits(0, 2, 0, 2)
        result = randint(lo, hi, shape, device=device, dtype=dtype)
    elif dtype in _INTEGRAL:
        info = dtypes.iinfo(dtype)
        lo, hi = limits(info.min, info.max + (dtype is not dtypes.int64), -9, 10)
        result = randint(lo, hi, shape, device=device, dtype=dtype)
    elif dtype in _FLOATING:
        info = dtypes.finfo(dtype)
        lo, hi = limits(info.min, info.max, -9, 9)
        result = empty(shape, device=device, dtype=dtype)
        if hi - lo >= info.max:  # the width would overflow: draw half the range and double it
            result.uniform_(lo / 2, hi / 2).mul_(2)
        else:
            result.uniform_(lo, hi)
    elif dtype.is_complex:  # real and imaginary parts drawn as a real tensor, as torch
        from .ops.complex import view_as_complex

        result = view_as_complex(make_tensor(*shape, 2, dtype=dtype.to_real(), device=device, low=low, high=high))
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by torch.testing.make_tensor(). To request "
                        "support, file an issue at: https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        result = result[..., 1::2]
    elif memory_format is not None:
        result = result.clone(memory_format=memory_format)
    if exclude_zero:
        result[result == 0] = 1 if dtype not in _FLOATING and not dtype.is_complex else dtypes.finfo(dtype).tiny
    if dtype in _FLOATING or dtype.is_complex:
        result.requires_grad = requires_grad
    return result
