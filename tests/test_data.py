"""ntorch.utils.data: datasets, samplers, collation, DataLoader."""

import collections
import math

import numpy as np
import pytest

import ntorch
from ntorch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    random_split,
)


def _xy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) * 10
    return TensorDataset(ntorch.tensor(x), ntorch.tensor(y)), x, y


def test_tensor_dataset():
    ds, x, y = _xy()
    assert len(ds) == 10
    a, b = ds[3]
    np.testing.assert_array_equal(a.numpy(), x[3])
    assert b.item() == 30
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ntorch.zeros(3), ntorch.zeros(4))


def test_subset_concat_add():
    ds, x, _ = _xy()
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[1][1].item() == 20
    cat = ConcatDataset([sub, ds])
    assert len(cat) == 13 and cat.cumulative_sizes == [3, 13]
    assert cat[3][1].item() == 0 and cat[-1][1].item() == 90 and cat[2][1].item() == 50
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-14]
    assert len(sub + ds) == 13


def test_random_split_lengths_fractions_generator():
    data = list(range(10))
    parts = random_split(data, [3, 7], generator=ntorch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(p[i] for p in parts for i in range(len(p))) == data
    again = random_split(data, [3, 7], generator=ntorch.Generator().manual_seed(1))
    assert [list(p.indices) for p in parts] == [list(p.indices) for p in again]
    frac = random_split(data, [0.25, 0.25, 0.5])  # floor(2.5), floor(2.5), 5 -> remainder 1 goes to the first
    assert [len(p) for p in frac] == [3, 2, 5]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(data, [3, 3])


def test_sequential_and_random_sampler():
    data = list(range(7))
    assert list(SequentialSampler(data)) == data
    ntorch.manual_seed(5)
    first = list(RandomSampler(data))
    ntorch.manual_seed(5)
    assert list(RandomSampler(data)) == first and sorted(first) == data
    g = ntorch.Generator().manual_seed(3)
    many = list(RandomSampler(data, num_samples=17, generator=g))
    assert len(many) == 17 and sorted(many[:7]) == data and sorted(many[7:14]) == data
    rep = list(RandomSampler(data, replacement=True, num_samples=40, generator=g))
    assert len(rep) == 40 and all(0 <= i < 7 for i in rep) and len(set(rep)) > 1
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(data, replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(data, num_samples=0)


def test_subset_random_and_weighted_sampler():
    g = ntorch.Generator().manual_seed(0)
    out = list(SubsetRandomSampler([4, 8, 15, 16], generator=g))
    assert sorted(out) == [4, 8, 15, 16]
    w = WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 4000, generator=ntorch.Generator().manual_seed(0))
    draws = np.array(list(w))
    assert len(w) == 4000 and set(draws.tolist()) <= {1, 3}
    assert abs((draws == 3).mean() - 0.75) < 0.04  # frequencies follow the weights
    nr = list(WeightedRandomSampler([1.0, 2.0, 0.0, 5.0], 3, replacement=False, generator=g))
    assert sorted(nr) == [0, 1, 3]
    # torch samples through multinomial: more samples than positive weights is no error, zero weights come last
    # (torch 2.13 gives [0, 1])
    assert list(WeightedRandomSampler([1.0, 0.0], 2, replacement=False)) == [0, 1]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(WeightedRandomSampler([1.0, 0.0], 3, replacement=False))
    with pytest.raises(ValueError, match="weights should be a 1d sequence"):
        WeightedRandomSampler([[1.0, 2.0]], 2)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3 and len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=1"):
        BatchSampler(range(3), 2, 1)


Point = collections.namedtuple("Point", ["x", "y"])


def test_default_collate_rules():
    t = default_collate([ntorch.tensor([1.0, 2.0]), ntorch.tensor([3.0, 4.0])])
    assert t.shape == (2, 2) and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    f = default_collate([1.5, 2.5])
    assert f.dtype is ntorch.float64 and f.tolist() == [1.5, 2.5]
    i = default_collate([1, 2])
    assert i.dtype is ntorch.int64
    assert default_collate([True, False]).dtype is ntorch.bool
    a = default_collate([np.ones((2,), np.float32), np.zeros((2,), np.float32)])
    assert a.dtype is ntorch.float32 and a.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    s = default_collate([np.float32(1), np.float32(2)])
    assert s.dtype is ntorch.float32 and s.tolist() == [1.0, 2.0]
    assert default_collate(["a", "b"]) == ["a", "b"]
    nested = default_collate([{"x": (1, "u"), "y": [np.int32(3)]}, {"x": (2, "v"), "y": [np.int32(4)]}])
    assert isinstance(nested["x"], list) and nested["x"][0].tolist() == [1, 2] and nested["x"][1] == ("u", "v")
    assert nested["y"][0].dtype is ntorch.int32 and nested["y"][0].tolist() == [3, 4]
    p = default_collate([Point(1.0, 2), Point(3.0, 4)])
    assert isinstance(p, Point) and p.x.tolist() == [1.0, 3.0] and p.y.tolist() == [2, 4]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object(), object()])


def test_default_convert():
    out = default_convert({"a": np.arange(3), "b": (1, "s")})
    assert isinstance(out["a"], ntorch.Tensor) and out["a"].tolist() == [0, 1, 2]
    assert out["b"] == [1, "s"]


def test_dataloader_batches_and_len():
    ds, x, y = _xy(10)
    dl = DataLoader(ds, batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    np.testing.assert_array_equal(batches[0][0].numpy(), x[:4])
    np.testing.assert_array_equal(batches[2][1].numpy(), y[8:])
    dl = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [len(b[1]) for b in dl] == [4, 4]
    one = list(DataLoader(ds))
    assert len(one) == 10 and one[0][0].shape == (1, 3)


def test_dataloader_shuffle_reproducible():
    ds, _, y = _xy(12)

    def order(**kw):
        return [v for _, b in DataLoader(ds, batch_size=5, shuffle=True, **kw) for v in b.tolist()]

    ntorch.manual_seed(7)
    a = order()
    ntorch.manual_seed(7)
    b = order()
    assert a == b and sorted(a) == sorted(y.tolist()) and a != sorted(a)
    c = order(generator=ntorch.Generator().manual_seed(1))
    d = order(generator=ntorch.Generator().manual_seed(1))
    assert c == d


def test_dataloader_sampler_options_and_errors():
    ds, _, _ = _xy(6)
    dl = DataLoader(ds, batch_sampler=[[5, 0], [1]])
    assert [b[1].tolist() for b in dl] == [[50, 0], [10]] and len(dl) == 2
    dl = DataLoader(ds, sampler=[3, 1, 2], batch_size=2)
    assert [b[1].tolist() for b in dl] == [[30, 10], [20]]
    dl = DataLoader(ds, batch_size=None)  # no batching: samples converted one by one
    first = next(iter(dl))
    assert first[0].shape == (3,) and len(dl) == 6
    dl = DataLoader(ds, batch_size=3, collate_fn=lambda b: len(b))
    assert list(dl) == [3, 3]
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(ds, sampler=[0], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive with batch_size"):
        DataLoader(ds, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="batch_size=None option disables auto-batching"):
        DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        DataLoader(ds, num_workers=-1)
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=4, num_workers=2)] == [[0, 10, 20, 30], [40, 50]]


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full((2,), i, np.float64), "y": i * i}


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def test_dataloader_dict_samples_and_iterable_dataset():
    batches = list(DataLoader(Squares(5), batch_size=2))
    assert batches[1]["y"].tolist() == [4, 9] and batches[1]["x"].dtype is ntorch.float64
    assert batches[2]["x"].tolist() == [[4.0, 4.0]]
    dl = DataLoader(Stream(7), batch_size=3)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5], [6]] and len(dl) == 3
    dl = DataLoader(Stream(7), batch_size=3, drop_last=True)
    assert [b.tolist() for b in dl] == [[0, 1, 2], [3, 4, 5]] and len(dl) == 2
    assert list(DataLoader(Stream(3), batch_size=None)) == [0, 1, 2]
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    assert math.ceil(7 / 3) == len(DataLoader(Stream(7), batch_size=3))
