"""Compare ntorch's CPU random streams with torch's, bit for bit (torch is only the oracle here).

Every case seeds both libraries the same way, runs the same calls through each and compares the results:
integers must be equal, floats are compared bit for bit and the largest difference in ulps is reported.

    .venv/bin/python tools/rng_sweep.py [--seeds 0 1 12345] [-k substring]
"""

from __future__ import annotations

import argparse
import math
import sys

import numpy as np

import ntorch

try:
    import torch
except ImportError:  # pragma: no cover - the sweep needs its oracle
    sys.exit("rng_sweep needs torch installed (as the oracle)")

SHAPES = [(), (1,), (15,), (16,), (17,), (1000,), (33, 7)]


def _np(x):
    """A result (tensor, list of tensors / numbers, number) as a list of numpy arrays."""
    if isinstance(x, list | tuple):
        return [a for item in x for a in _np(item)]
    if isinstance(x, int | float | bool):
        return [np.asarray(x)]
    if hasattr(x, "detach"):
        x = x.detach()
    if x.dtype in (torch.bfloat16, getattr(ntorch, "bfloat16", None)):
        x = x.float()
    return [np.asarray(x.numpy()).copy()]


def _ulps(a: np.ndarray, b: np.ndarray) -> int:
    if a.dtype.kind == "c":
        a, b = a.view(a.real.dtype), b.view(b.real.dtype)
    if a.dtype.kind != "f":
        return 0 if np.array_equal(a, b) else -1
    ib = {2: np.int16, 4: np.int32, 8: np.int64}[a.dtype.itemsize]
    ia, ibb = a.view(ib).astype(np.int64), b.view(ib).astype(np.int64)
    ia = np.where(ia < 0, np.iinfo(ib).min - ia, ia)
    ibb = np.where(ibb < 0, np.iinfo(ib).min - ibb, ibb)
    return int(np.abs(ia - ibb).max()) if a.size else 0


def compare(ref, got) -> tuple[int, int, int]:
    """(values compared, values that differ, max ulps; -1 when shapes / integers differ)."""
    ref, got = _np(ref), _np(got)
    if len(ref) != len(got):
        return 0, 1, -1
    total = diff = worst = 0
    for a, b in zip(ref, got, strict=True):
        if a.shape != b.shape or a.dtype != b.dtype:
            return total, diff + max(a.size, 1), -1
        total += a.size
        neq = ~((a == b) | ((a != a) & (b != b)))
        diff += int(np.count_nonzero(neq))
        u = _ulps(a, b)
        worst = -1 if u < 0 or worst < 0 else max(worst, u)
    return total, diff, worst


def _dt(T, name):
    return getattr(T, name)


def cases():
    """(name, fn(T) -> result); fn is given the module (torch or ntorch), after T.manual_seed(seed)."""
    out = []
    fdts = ["float32", "float64", "float16", "bfloat16"]
    for shape in SHAPES:
        for d in fdts:
            out.append((f"rand{shape} {d}", lambda T, s=shape, d=d: T.rand(s, dtype=_dt(T, d))))
            out.append((f"randn{shape} {d}", lambda T, s=shape, d=d: T.randn(s, dtype=_dt(T, d))))
        out.append((f"randint(-5,7){shape}", lambda T, s=shape: T.randint(-5, 7, s)))
        out.append((f"bernoulli_(0.3){shape}", lambda T, s=shape: T.empty(s).bernoulli_(0.3)))
        out.append((f"exponential_{shape}", lambda T, s=shape: T.empty(s).exponential_(1.5)))
    out += [
        ("rand complex64", lambda T: T.rand(17, dtype=T.complex64)),
        ("randn complex64", lambda T: T.randn(17, dtype=T.complex64)),
        ("randn complex128", lambda T: T.randn(5, dtype=T.complex128)),
        ("randn cache f64 (3 then 5)", lambda T: [T.randn(3, dtype=T.float64), T.randn(5, dtype=T.float64)]),
        ("randn cache mix (1, 40, 3)", lambda T: [T.randn(1), T.randn(40), T.randn(3)]),
        ("uniform_(-0.37,1.91) f32", lambda T: T.empty(1000).uniform_(-0.37, 1.91)),
        ("uniform_(-0.37,1.91) f64", lambda T: T.empty(1000, dtype=T.float64).uniform_(-0.37, 1.91)),
        ("uniform_(-2,3) f16", lambda T: T.empty(100, dtype=T.float16).uniform_(-2, 3)),
        ("uniform_ transposed", lambda T: T.empty(9, 7).t().uniform_()),
        ("uniform_ sliced", lambda T: T.empty(9, 14)[:, ::2].uniform_()),
        ("normal_(0.3,2.7) f32", lambda T: T.empty(1000).normal_(0.3, 2.7)),
        ("normal_(0.3,2.7) f64", lambda T: T.empty(1000, dtype=T.float64).normal_(0.3, 2.7)),
        ("normal_ transposed (serial)", lambda T: T.empty(9, 7).t().normal_()),
        ("normal(scalar, scalar, size)", lambda T: T.normal(0.5, 2.0, (100,))),
        ("normal(tensor, tensor)", lambda T: T.normal(T.arange(40.0), T.arange(40.0) / 10 + 0.1)),
        ("normal(tensor, 2.0)", lambda T: T.normal(T.arange(20.0), 2.0)),
        ("randint(0,2**40)", lambda T: T.randint(0, 2**40, (50,))),
        ("randint int32", lambda T: T.randint(-100, 100, (50,), dtype=T.int32)),
        ("randint float32", lambda T: T.randint(0, 10, (50,), dtype=T.float32)),
        ("random_() int64", lambda T: T.empty(50, dtype=T.int64).random_()),
        ("random_() int32", lambda T: T.empty(50, dtype=T.int32).random_()),
        ("random_() uint8", lambda T: T.empty(50, dtype=T.uint8).random_()),
        ("random_() bool", lambda T: T.empty(50, dtype=T.bool).random_()),
        ("random_() float32", lambda T: T.empty(50).random_()),
        ("random_() float64", lambda T: T.empty(50, dtype=T.float64).random_()),
        ("random_(3, 100)", lambda T: T.empty(50, dtype=T.int64).random_(3, 100)),
        ("random_(10) transposed", lambda T: T.empty(5, 8, dtype=T.int64).t().random_(10)),
        ("bernoulli_(0.3) transposed", lambda T: T.empty(9, 7).t().bernoulli_(0.3)),
        ("bernoulli(p f32)", lambda T: T.bernoulli(T.linspace(0, 1, 200))),
        ("bernoulli(p f64)", lambda T: T.bernoulli(T.linspace(0, 1, 200, dtype=T.float64))),
        ("bernoulli_(p tensor)", lambda T: T.empty(200).bernoulli_(T.linspace(0, 1, 200))),
        ("dropout mask", lambda T: T.nn.functional.dropout(T.ones(1000), 0.3)),
        ("dropout2d", lambda T: T.nn.functional.dropout2d(T.ones(4, 6, 3, 3), 0.5)),
        ("nn.Dropout train", lambda T: T.nn.Dropout(0.2)(T.ones(50, 20))),
        ("F.rrelu training", lambda T: T.nn.functional.rrelu(T.linspace(-1, 1, 41), training=True)),
        ("F.gumbel_softmax", lambda T: T.nn.functional.gumbel_softmax(T.zeros(4, 5))),
        ("F.alpha_dropout", lambda T: T.nn.functional.alpha_dropout(T.ones(40), 0.3, training=True)),
        ("distributions Normal/Categorical", lambda T: [
            T.distributions.Normal(T.zeros(20), T.ones(20)).sample(),
            T.distributions.Categorical(probs=T.tensor([0.2, 0.3, 0.5])).sample((20,)),
            T.distributions.MultivariateNormal(T.zeros(3), T.eye(3)).sample((6,))]),
        ("multinomial repl", lambda T: T.multinomial(T.tensor([0.1, 0.2, 0.3, 0.4]), 50, True)),
        ("multinomial repl 2d f64",
         lambda T: T.multinomial(T.arange(1.0, 13.0, dtype=T.float64).reshape(3, 4), 20, True)),
        ("multinomial no repl", lambda T: T.multinomial(T.arange(1.0, 21.0), 10)),
        ("multinomial 1 sample 2d", lambda T: T.multinomial(T.rand(5, 7) + 0.1, 1)),
        ("exponential_ f64", lambda T: T.empty(500, dtype=T.float64).exponential_(0.7)),
        ("geometric_(0.3)", lambda T: T.empty(200).geometric_(0.3)),
        ("cauchy_", lambda T: T.empty(200, dtype=T.float64).cauchy_(0.5, 2.0)),
        ("log_normal_", lambda T: T.empty(200, dtype=T.float64).log_normal_(0.2, 0.5)),
        ("randperm 0,1,2,10", lambda T: [T.randperm(n) for n in (0, 1, 2, 10)]),
        ("randperm 1000", lambda T: T.randperm(1000)),
        ("randperm 100000", lambda T: T.randperm(100000)),
        ("randperm float32", lambda T: T.randperm(50, dtype=T.float32)),
        ("rand_like transposed", lambda T: T.rand_like(T.empty(9, 7).t())),
        ("init.uniform_", lambda T: T.nn.init.uniform_(T.empty(30, 20), -0.5, 0.5)),
        ("init.normal_", lambda T: T.nn.init.normal_(T.empty(30, 20), 0.1, 0.02)),
        ("init.xavier_uniform_", lambda T: T.nn.init.xavier_uniform_(T.empty(30, 20))),
        ("init.xavier_normal_", lambda T: T.nn.init.xavier_normal_(T.empty(30, 20))),
        ("init.kaiming_uniform_", lambda T: T.nn.init.kaiming_uniform_(T.empty(30, 20), a=math.sqrt(5))),
        ("init.kaiming_normal_", lambda T: T.nn.init.kaiming_normal_(T.empty(30, 20))),
        ("init.trunc_normal_", lambda T: T.nn.init.trunc_normal_(T.empty(30, 20), std=0.02)),
        ("init.trunc_normal_ narrow", lambda T: T.nn.init.trunc_normal_(T.empty(30, 20), 0.0, 1.0, 0.5, 0.8)),
        ("init.trunc_normal_ f64", lambda T: T.nn.init.trunc_normal_(T.empty(300, dtype=T.float64), 0.0, 1.0)),
        ("init.orthogonal_", lambda T: T.nn.init.orthogonal_(T.empty(6, 4))),
        ("init.sparse_", lambda T: T.nn.init.sparse_(T.empty(10, 6), 0.3)),
        ("nn.Linear(20, 30)", lambda T: list(T.nn.Linear(20, 30).parameters())),
        ("nn.Conv2d(3, 8, 3)", lambda T: list(T.nn.Conv2d(3, 8, 3).parameters())),
        ("nn.Embedding(10, 4)", lambda T: list(T.nn.Embedding(10, 4).parameters())),
        ("nn.LSTM(4, 5)", lambda T: list(T.nn.LSTM(4, 5).parameters())),
        ("RandomSampler", lambda T: list(T.utils.data.RandomSampler(range(20)))),
        ("RandomSampler repl", lambda T: list(T.utils.data.RandomSampler(range(20), replacement=True,
                                                                         num_samples=40))),
        ("SubsetRandomSampler", lambda T: list(T.utils.data.SubsetRandomSampler(list(range(0, 40, 2))))),
        ("WeightedRandomSampler", lambda T: list(T.utils.data.WeightedRandomSampler([1, 2, 3, 4.0], 10))),
        ("random_split", lambda T: [s.indices for s in T.utils.data.random_split(range(10), [3, 7])]),
        ("DataLoader shuffle 2 epochs", lambda T: _dataloader_case(T)),
        ("testing.make_tensor", lambda T: [T.testing.make_tensor((7, 3), dtype=getattr(T, d), device="cpu")
                                           for d in ("float32", "float64", "int64", "bool", "float16", "uint8")]),
        ("testing.make_tensor noncontiguous", lambda T: T.testing.make_tensor(
            (3, 4), dtype=T.float32, device="cpu", noncontiguous=True, low=-2, high=3)),
        ("get_rng_state after draws", lambda T: [T.rand(7), T.randn(3, dtype=T.float64), T.get_rng_state()]),
        ("Generator(seed 7) rand", lambda T: T.rand(5, generator=T.Generator().manual_seed(7))),
    ]
    return out


def _dataloader_case(T):
    """DataLoader(shuffle=True) batches over two epochs, then a draw (the epochs' seeds come from the default
    generator)."""
    loader = T.utils.data.DataLoader(list(range(10)), batch_size=4, shuffle=True)
    return [b for _ in range(2) for b in loader] + [T.rand(3)]


def _state_interop(seeds: list[int]) -> list[tuple[str, bool]]:
    """get_rng_state of one library loaded by the other's set_rng_state continues the same stream (the cached
    normal included)."""
    ok_nt, ok_tn = True, True
    for seed in seeds:
        ntorch.manual_seed(seed)
        ntorch.rand(101)
        ntorch.randn(3, dtype=ntorch.float64)  # leaves a cached normal
        st = ntorch.get_rng_state().numpy().copy()
        torch.set_rng_state(torch.from_numpy(st))
        ok_nt &= bool(np.array_equal(torch.get_rng_state().numpy(), st))
        ok_nt &= compare(torch.randn(5, dtype=torch.float64), ntorch.randn(5, dtype=ntorch.float64))[1] == 0
        torch.manual_seed(seed)
        torch.randint(0, 9, (77,))
        torch.randn(1, dtype=torch.float64)
        st = torch.get_rng_state().numpy().copy()
        ntorch.set_rng_state(ntorch.from_numpy(st))
        ok_tn &= bool(np.array_equal(ntorch.get_rng_state().numpy(), st))
        ok_tn &= compare([torch.randn(1, dtype=torch.float64), torch.randn(40)],
                         [ntorch.randn(1, dtype=ntorch.float64), ntorch.randn(40)])[1] == 0
    return [("state: torch.set_rng_state(ntorch's)", ok_nt), ("state: ntorch.set_rng_state(torch's)", ok_tn)]


def run(seeds: list[int], key: str | None) -> int:
    bad = 0
    rows = []
    for name, fn in cases():
        if key and key not in name:
            continue
        stats = [0, 0, 0]
        err = None
        for seed in seeds:
            torch.manual_seed(seed)
            try:
                ref = fn(torch)
            except Exception as e:  # noqa: BLE001 - a case torch rejects is reported, not fatal
                err = f"torch: {type(e).__name__}: {e}"
                break
            ntorch.manual_seed(seed)
            try:
                got = fn(ntorch)
            except Exception as e:  # noqa: BLE001
                err = f"ntorch: {type(e).__name__}: {e}"
                break
            total, diff, ulps = compare(ref, got)
            stats[0] += total
            stats[1] += diff
            stats[2] = -1 if ulps < 0 or stats[2] < 0 else max(stats[2], ulps)
        if err:
            status = "ERROR " + err[:90]
        elif stats[1] == 0:
            status = "exact"
        elif stats[2] >= 0:
            status = f"{stats[1]}/{stats[0]} differ, max {stats[2]} ulp"
        else:
            status = f"MISMATCH {stats[1]}/{stats[0]}"
        if status != "exact":
            bad += 1
        rows.append((name, status))
    if not key or "state" in key:
        for name, ok in _state_interop(seeds):
            rows.append((name, "exact" if ok else "MISMATCH"))
            bad += not ok
    width = max(len(n) for n, _ in rows) if rows else 0
    for name, status in rows:
        print(f"{name:<{width}}  {status}")
    print(f"\n{len(rows) - bad}/{len(rows)} cases bit-exact over seeds {seeds}")
    return bad


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 12345, 2**32 + 7])
    ap.add_argument("-k", dest="key", default=None, help="only the cases whose name contains this")
    args = ap.parse_args()
    run(args.seeds, args.key)


if __name__ == "__main__":
    main()
