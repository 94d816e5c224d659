"""A short tour of ntorch: creation, views, broadcasting, elementwise ops, numpy interop, timings."""

import time

import numpy as np

import ntorch


def timeit(fn, repeat: int = 20) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    print("== creation")
    a = ntorch.arange(12, dtype=ntorch.float32).reshape(3, 4)
    print(a)
    print("zeros:", ntorch.zeros(2, 3), "eye:", ntorch.eye(2), sep="\n")

    print("== views share memory")
    col = a[:, 1]
    col += 100
    print(a, "stride of a.t():", a.t().stride(), "contiguous:", a.t().is_contiguous())

    print("== broadcasting and promotion")
    row = ntorch.tensor([1.0, 2.0, 3.0, 4.0])
    print(a + row)
    ints = ntorch.arange(4)
    print("int64 / 2 ->", (ints / 2).dtype, " int64 + 2.5 ->", (ints + 2.5).dtype, " cmp ->", (ints > 1).dtype)

    print("== elementwise math")
    x = ntorch.linspace(-2, 2, 5)
    print("relu:", ntorch.relu(x))
    print("tanh:", ntorch.tanh(x))

    print("== reductions")
    print("sum:", a.sum(), " sum(0):", a.sum(0), " max(1):", a.max(1))
    print("mean/std:", a.mean(), a.std(), " argmax:", a.argmax(), " int sum dtype:", ints.sum().dtype)

    print("== matmul")
    m = ntorch.randn(2, 3, 4)
    print("batched (2,3,4) @ (4,5) ->", tuple((m @ ntorch.ones(4, 5)).shape))
    print("einsum ij,kj->ik:", ntorch.einsum("ij,kj->ik", a[:2], a[:2]))

    print("== numpy interop")
    arr = np.ones(3, dtype=np.float32)
    t = ntorch.from_numpy(arr)
    t.mul_(3)
    print("numpy array after t.mul_(3):", arr)

    print("== timings vs numpy (float32, 1e6 elements)")
    n = 1_000_000
    xa = np.random.rand(n).astype(np.float32)
    xb = np.random.rand(n).astype(np.float32)
    ta, tb = ntorch.from_numpy(xa), ntorch.from_numpy(xb)
    for name, ours, theirs in [
        ("add", lambda: ta + tb, lambda: xa + xb),
        ("mul", lambda: ta * tb, lambda: xa * xb),
        ("tanh", lambda: ntorch.tanh(ta), lambda: np.tanh(xa)),
        ("sum", lambda: ta.sum(), lambda: xa.sum()),
        ("max", lambda: ta.max(), lambda: xa.max()),
    ]:
        t_ours, t_np = timeit(ours), timeit(theirs)
        print(f"  {name:6s} ntorch {t_ours * 1e6:8.1f} us   numpy {t_np * 1e6:8.1f} us   ratio {t_np / t_ours:5.2f}x")


    ma = np.random.rand(512, 512).astype(np.float32)
    tm = ntorch.from_numpy(ma)
    t_ours, t_np = timeit(lambda: tm @ tm, 5), timeit(lambda: ma @ ma, 5)
    print(f"  matmul 512 ntorch {t_ours * 1e3:6.2f} ms   numpy {t_np * 1e3:6.2f} ms   ratio {t_np / t_ours:5.2f}x")


if __name__ == "__main__":
    main()
