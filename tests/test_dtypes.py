"""Promotion rules checked case by case against PyTorch's documented behaviour."""

import pytest

import ntorch as nt
from ntorch import dtypes

PROMOTE = [
    (nt.uint8, nt.int8, nt.int16), (nt.uint8, nt.int64, nt.int64), (nt.bool, nt.uint8, nt.uint8),
    (nt.int32, nt.float16, nt.float16), (nt.int64, nt.float32, nt.float32), (nt.float16, nt.float32, nt.float32),
    (nt.float32, nt.float64, nt.float64), (nt.int8, nt.int16, nt.int16), (nt.bool, nt.bool, nt.bool),
    (nt.bool, nt.float16, nt.float16), (nt.uint8, nt.int16, nt.int16), (nt.int16, nt.int32, nt.int32),
]


@pytest.mark.parametrize("a,b,expected", PROMOTE)
def test_promote_types(a, b, expected):
    assert nt.promote_types(a, b) is expected
    assert nt.promote_types(b, a) is expected


def t(dt, ndim=1):
    return nt.zeros(*(2,) * ndim, dtype=dt)


@pytest.mark.parametrize("args,expected", [
    ((t(nt.int32), 2.5), nt.float32),
    ((t(nt.int8), 1000), nt.int8),
    ((t(nt.uint8), True), nt.uint8),
    ((t(nt.bool), 1), nt.int64),
    ((t(nt.bool), 1.5), nt.float32),
    ((t(nt.float16), 2.5), nt.float16),
    ((t(nt.float32), t(nt.float64, 0)), nt.float32),
    ((t(nt.int32), t(nt.float64, 0)), nt.float64),
    ((t(nt.int32), t(nt.int64, 0)), nt.int32),
    ((t(nt.int32, 0), t(nt.int64, 0)), nt.int64),
    ((t(nt.float32, 0), 1.0), nt.float32),
    ((t(nt.bool, 0), t(nt.bool)), nt.bool),
    ((t(nt.uint8), t(nt.int8, 0)), nt.uint8),
    ((t(nt.int64, 0), 2.0), nt.float32),
])
def test_result_type(args, expected):
    assert nt.result_type(*args) is expected
    assert (args[0] + args[1]).dtype is expected


def test_default_dtype():
    assert nt.get_default_dtype() is nt.float32
    nt.set_default_dtype(nt.float64)
    try:
        assert nt.tensor([1.5]).dtype is nt.float64
        assert (nt.arange(3) / 2).dtype is nt.float64
    finally:
        nt.set_default_dtype(nt.float32)
    with pytest.raises(TypeError):
        nt.set_default_dtype(nt.int32)


def test_can_cast():
    assert nt.can_cast(nt.int32, nt.float16)
    assert not nt.can_cast(nt.float32, nt.int64)
    assert not nt.can_cast(nt.int8, nt.bool)
    assert nt.can_cast(nt.bool, nt.uint8)


def test_int_true_division_gives_float():
    assert (nt.arange(4) / nt.arange(1, 5)).dtype is nt.float32


def test_dtype_objects():
    assert nt.float is nt.float32 and nt.double is nt.float64 and nt.long is nt.int64
    assert dtypes.as_dtype("float16") is nt.half
    assert nt.float32.is_floating_point and not nt.int8.is_floating_point
    assert repr(nt.int16) == "ntorch.int16"
    assert nt.float64.itemsize == 8


# PyTorch's promote_types table (the spec), row dtype x column dtype in the order of COLUMNS.
SHORT = {"b": nt.bool, "u8": nt.uint8, "i8": nt.int8, "i16": nt.int16, "i32": nt.int32, "i64": nt.int64,
         "f16": nt.float16, "f32": nt.float32, "f64": nt.float64}
COLUMNS = "b u8 i8 i16 i32 i64 f16 f32 f64".split()
TORCH_TABLE = {
    "b": "b u8 i8 i16 i32 i64 f16 f32 f64",
    "u8": "u8 u8 i16 i16 i32 i64 f16 f32 f64",
    "i8": "i8 i16 i8 i16 i32 i64 f16 f32 f64",
    "i16": "i16 i16 i16 i16 i32 i64 f16 f32 f64",
    "i32": "i32 i32 i32 i32 i32 i64 f16 f32 f64",
    "i64": "i64 i64 i64 i64 i64 i64 f16 f32 f64",
    "f16": "f16 f16 f16 f16 f16 f16 f16 f32 f64",
    "f32": "f32 f32 f32 f32 f32 f32 f32 f32 f64",
    "f64": "f64 f64 f64 f64 f64 f64 f64 f64 f64",
}


@pytest.mark.parametrize("row", COLUMNS)
def test_promotion_table_matches_torch(row):
    for col, expected in zip(COLUMNS, TORCH_TABLE[row].split()):
        assert nt.promote_types(SHORT[row], SHORT[col]) is SHORT[expected], (row, col)
        a = nt.zeros(2, dtype=SHORT[row])
        b = nt.zeros(2, dtype=SHORT[col])
        assert (a + b).dtype is SHORT[expected], (row, col)
