"""F.pad against NumPy's np.pad (constant / reflect / edge / wrap) plus cropping for negative pads, for every
dtype, several layouts and ranks, and torch's shape rules and errors for each mode.
"""

import re

import numpy as np
import pytest
from conftest import ALL_DTYPES, layouts, random_array

import ntorch as nt
import ntorch.nn.functional as F

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap", "constant": "constant"}


def _raises(exc, message, fn, *args, **kwargs):
    with pytest.raises(exc, match="^" + re.escape(message) + "$"):
        fn(*args, **kwargs)


def _eq(got, expected):
    expected = np.asarray(expected)
    assert tuple(got.shape) == expected.shape
    assert got.numpy().dtype == expected.dtype
    np.testing.assert_array_equal(got.numpy(), expected)


def _pairs(a, pad):
    """pad (last dim first) as np.pad's per-dim (before, after) list."""
    pairs = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        pairs[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return pairs


def _ref(a, pad, mode, value=0):
    """np.pad for the positive parts of each pad; negative parts crop (circular: crop first, then wrap)."""
    pairs = _pairs(a, pad)
    if mode == "circular":
        a = a[tuple(slice(max(-lo, 0), a.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(pairs))]
        return np.pad(a, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs], mode="wrap")
    kw = {"constant_values": value} if mode == "constant" else {}
    padded = np.pad(a, [(max(lo, 0), max(hi, 0)) for lo, hi in pairs], mode=_NP_MODE[mode], **kw)
    return padded[tuple(slice(max(-lo, 0), padded.shape[d] - max(-hi, 0)) for d, (lo, hi) in enumerate(pairs))]


CASES = [  # (input shape, pad) valid for every mode
    ((2, 5), (1, 2)), ((2, 3, 5), (2, 1)), ((2, 3, 5), (1, 0, 1, 2)), ((1, 3, 4, 5), (0, 1, 2, 1)),
    ((1, 2, 3, 4, 5), (1, 1, 2, 0, 1, 2)), ((2, 3, 4, 5), (2, 2, 1, 1, 1, 0)), ((2, 5), (-1, 2)),
    ((2, 3, 5), (1, -2, 2, -1)), ((2, 3, 4, 5), (-1, -1, 0, 2)), ((3, 6), (0, 0)),
]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape,pad", CASES)
def test_pad_modes(rng, mode, shape, pad):
    a = random_array(rng, shape, nt.float32)
    _eq(F.pad(nt.from_numpy(a), pad, mode), _ref(a, pad, mode))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_layouts(rng, mode):
    a = random_array(rng, (3, 4, 6, 7), nt.float64)
    for _, t, ref in layouts(a):
        for pad in [(2, 3, 1, 2), (3, 0, 0, 2, 1, 1)]:
            got = F.pad(t, pad, mode)
            _eq(got, _ref(ref, pad, mode))
            assert got.is_contiguous()
    t = nt.from_numpy(a).permute(2, 0, 3, 1)  # batch and channel dims that do not merge
    _eq(F.pad(t, (1, 2, 2, 1), mode), _ref(a.transpose(2, 0, 3, 1), (1, 2, 2, 1), mode))


@pytest.mark.parametrize("dt", ALL_DTYPES)
def test_pad_every_dtype(rng, dt):
    a = random_array(rng, (2, 3, 4), dt)
    t = nt.from_numpy(a)
    modes = ["constant", "circular"] if dt is nt.bool else ["constant", "reflect", "replicate", "circular"]
    for mode in modes:
        for pad in [(1, 2), (2, 1, 1, 2), (-1, 3)]:
            _eq(F.pad(t, pad, mode), _ref(a, pad, mode))
    value = True if dt is nt.bool else 3
    _eq(F.pad(t, (1, 1, 0, 2), value=value), _ref(a, (1, 1, 0, 2), "constant", value))


def test_pad_constant_values_and_ranks(rng):
    a = random_array(rng, (2, 3), nt.float32)
    t = nt.from_numpy(a)
    _eq(F.pad(t, (1, 1), "constant", 2.5), _ref(a, (1, 1), "constant", 2.5))
    _eq(F.pad(t, [2, 0, 1, 3], value=-1.0), _ref(a, (2, 0, 1, 3), "constant", -1.0))
    _eq(F.pad(t, (-1, -1, 1, 0)), _ref(a, (-1, -1, 1, 0), "constant"))
    _eq(F.pad(t, (-3, 0)), np.zeros((2, 0), np.float32))
    _eq(F.pad(nt.from_numpy(a[0]), (2, 1)), np.pad(a[0], (2, 1)))
    _eq(F.pad(nt.tensor(1.5), ()), np.float32(1.5))
    i = nt.ones(1, 2, dtype=nt.int32)
    _eq(F.pad(i, (1, 1), value=2.7), np.array([[2, 1, 1, 2]], np.int32))  # floats truncate toward zero
    _eq(F.pad(i, (1, 1), value=-2.7), np.array([[-2, 1, 1, -2]], np.int32))
    _eq(F.pad(nt.ones(1, 2, dtype=nt.bool), (1, 0), value=0.2), np.array([[True, True, True]]))
    _eq(F.pad(nt.ones(1, 2, dtype=nt.float16), (1, 0), value=float("inf")), np.array([[np.inf, 1, 1]], np.float16))
    _eq(F.pad(t, (1, 1), "reflect", 0), _ref(a, (1, 1), "reflect"))  # a zero value is accepted by every mode


def test_pad_empty_batches(rng):
    for mode in ["reflect", "replicate", "circular", "constant"]:
        assert F.pad(nt.ones(0, 2, 3), (1, 1), mode).shape == (0, 2, 5)
        assert F.pad(nt.ones(0, 2, 3, 3), (1, 1, 2, 2), mode).shape == (0, 2, 7, 5)
    assert F.pad(nt.ones(2, 0, 3), (1, 1), "circular").shape == (2, 0, 5)
    assert F.pad(nt.ones(1, 2, 3), (0, 0, -2, 0), "reflect").shape == (1, 0, 3)


def test_pad_argument_errors():
    t = nt.ones(1, 2, 3)
    _raises(RuntimeError, "Padding length must be divisible by 2", F.pad, t, (1,))
    _raises(RuntimeError, "Padding length should be less than or equal to two times the input dimension but got "
            "padding length 8 and input of dimension 3", F.pad, t, (1,) * 8)
    _raises(NotImplementedError, "Unrecognised padding mode foo", F.pad, t, (1, 1), "foo")
    _raises(RuntimeError, 'Padding mode "reflect" doesn\'t take in value argument', F.pad, t, (1, 1), "reflect", 2.0)
    _raises(TypeError, "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type bool at "
            "pos 0", F.pad, t, (True, 1))
    _raises(TypeError, "pad(): argument 'pad' failed to unpack the object at pos 2 with error \"type must be tuple "
            "of ints,but got float\"", F.pad, t, [1, 1.5])
    _raises(TypeError, "pad(): argument 'pad' (position 2) must be tuple of ints, not Tensor", F.pad, t,
            nt.tensor([1, 1]))
    _raises(RuntimeError, "value cannot be converted to type int without overflow", F.pad, t.int(), (1, 1),
            value=1e10)
    _raises(RuntimeError, "value cannot be converted to type uint8_t without overflow", F.pad, t.to(nt.uint8),
            (1, 1), value=-1)
    _raises(RuntimeError, "value cannot be converted to type int8_t without overflow", F.pad, t.to(nt.int8), (1, 1),
            value=300)
    _raises(RuntimeError, "value cannot be converted to type c10::Half without overflow", F.pad, t.half(), (1, 1),
            value=1e6)
    _raises(RuntimeError, "value cannot be converted to type int without overflow", F.pad, t.int(), (1, 1),
            value=float("nan"))
    _raises(RuntimeError, "The input size 3, plus negative padding -3 and -1 resulted in a negative output size, "
            "which is invalid. Check dimension 2 of your input.", F.pad, t, (-3, -1))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_pad_rank_rules(mode):
    """1-d pads take 2-d/3-d inputs, 2-d pads 3-d/4-d, 3-d pads 4-d/5-d; anything else is not implemented."""
    for ndim in range(1, 7):
        for p in (1, 2, 3):
            if p > ndim:
                continue
            shape = (2,) * (ndim - 3) + (3, 4, 5)[-min(ndim, 3):] if ndim >= 3 else (3, 4, 5)[-ndim:]
            t = nt.ones(*shape)
            pad = (1, 1) * p
            if ndim in (p + 1, p + 2):
                assert F.pad(t, pad, mode).shape[-1] == shape[-1] + 2
            else:
                _raises(NotImplementedError, f"Padding size {2 * p} is not supported for {ndim}D input tensor.", F.pad,
                        t, pad, mode)


def test_pad_mode_errors():
    _raises(RuntimeError, "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
            "padding (3, 3) at dimension 1 of input [1, 3]", F.pad, nt.ones(1, 3), (3, 3), "reflect")
    _raises(RuntimeError, "Argument #4: Padding size should be less than the corresponding input dimension, but got: "
            "padding (1, 1) at dimension 2 of input [1, 1, 1]", F.pad, nt.ones(1, 1, 1), (1, 1, 1, 1), "reflect")
    _raises(RuntimeError, "Argument #6: Padding size should be less than the corresponding input dimension, but got: "
            "padding (2, 2) at dimension 1 of input [1, 2, 3]", F.pad, nt.ones(1, 2, 3), (1, 1, 2, 2), "reflect")
    _raises(RuntimeError, "Argument #8: Padding size should be less than the corresponding input dimension, but got: "
            "padding (1, 1) at dimension 1 of input [1, 1, 2, 3]", F.pad, nt.ones(1, 1, 2, 3), (1,) * 6, "reflect")
    _raises(RuntimeError, "Padding value causes wrapping around more than once.", F.pad, nt.ones(1, 2, 3),
            (4, 0), "circular")
    _raises(RuntimeError, "Padding value causes wrapping around more than once.", F.pad, nt.ones(1, 2, 0),
            (1, 1), "circular")
    _raises(RuntimeError, "Negative padding value is resulting in an empty dimension", F.pad, nt.ones(1, 1, 3),
            (-2, -2), "circular")
    for mode in ("reflect", "replicate"):
        _raises(RuntimeError, "input (W: 3) is too small. Calculated output W: 0", F.pad, nt.ones(1, 1, 3),
                (-3, 0), mode)
        _raises(RuntimeError, "Trying to create tensor with negative dimension -1: [1, 2, 3, -1]", F.pad,
                nt.ones(1, 2, 3, 3), (0, -4, 0, 0, 0, 0), mode)
        _raises(RuntimeError, "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
                "dimensions for input, but got: [1, 0, 3]", F.pad, nt.ones(1, 0, 3), (1, 1), mode)
        _raises(RuntimeError, "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other non-zero "
                "dimensions for input, but got: [0, 3]", F.pad, nt.ones(0, 3), (1, 1), mode)
    _raises(NotImplementedError, "\"reflection_pad1d\" not implemented for 'Bool'", F.pad,
            nt.ones(1, 2, 3, dtype=nt.bool), (1, 1), "reflect")
    _raises(NotImplementedError, "\"replication_pad2d\" not implemented for 'Bool'", F.pad,
            nt.ones(1, 2, 3, dtype=nt.bool), (1, 1, 1, 1), "replicate")


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_parallel_gather_matches_numpy(rng, mode, monkeypatch):
    """The threaded gather that large outputs take (forced here for small ones): 1-, 2- and 3-d padding."""
    from ntorch.ops import joins

    monkeypatch.setattr(joins, "_PAR_BYTES", 1)
    for shape, pads in (((3, 5, 8), (2, 1)), ((3, 5, 7, 8), (1, 2, 3, 1)), ((3, 5, 6, 7, 8), (1, 1, 2, 0, 1, 2))):
        x = random_array(rng, shape, nt.float32)
        p = len(pads) // 2
        width = [(0, 0)] * (len(shape) - p) + [(pads[2 * i], pads[2 * i + 1]) for i in range(p)][::-1]
        want = np.pad(x, width, mode=_NP_MODE[mode])
        np.testing.assert_array_equal(F.pad(nt.from_numpy(x), pads, mode).numpy(), want)
