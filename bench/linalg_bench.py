"""Time ntorch's dense linear algebra against torch and NumPy (throwaway-quality, but kept for re-runs).

    .venv/bin/python bench/linalg_bench.py [--sizes 64,256,512,1024] [--dtypes float64,float32] [--ops det,inv]
                                           [--repeat 5] [--batch 1000] [--threads 1] [--kernels OLD_linalg.py]
                                           [--compare OLD_linalg.py] [--clock process]

Prints the median time of each library and the ratios torch/ntorch and numpy/ntorch (above 1: ntorch faster).
Each case runs the libraries interleaved, one warm-up call each first. --kernels times another
kernels/cpu/linalg.py in ntorch's place; --compare times one as an extra column ("old") in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from threads import pin_threads_from_argv  # bench/threads.py, beside this script

pin_threads_from_argv()

import numpy as np  # noqa: E402
import torch  # noqa: E402

import ntorch  # noqa: E402


def _spd(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    return x @ np.conj(np.swapaxes(x, -1, -2)) / n + np.eye(n)


def _inputs(op: str, shape: tuple, dt: str, rng) -> tuple:
    x = rng.standard_normal(shape).astype(dt)
    if np.dtype(dt).kind == "c":  # complex64 / complex128: random imaginary parts too, Hermitian where needed
        x = x + 1j * rng.standard_normal(shape).astype(dt)
    if op == "cholesky":
        x = _spd(x.astype(np.complex128 if x.dtype.kind == "c" else np.float64)).astype(dt)
    if op in ("eigh", "eigvalsh", "ldl_factor"):
        x = (x + np.conj(np.swapaxes(x, -1, -2))) / 2
    if op in ("solve", "solve_triangular"):
        if op == "solve_triangular":
            x = np.tril(x) + shape[-1] * np.eye(shape[-1], dtype=dt)
        b = (rng.standard_normal(shape[:-1] + (shape[-1],)) + (1j if np.dtype(dt).kind == "c" else 0)).astype(dt)
        return x, b
    return (x,)


def _calls(op: str):
    """(ntorch fn, torch fn, numpy fn or None), each taking the library's own arrays."""
    table = {
        "lu": (lambda a: ntorch.linalg.lu_factor(a), lambda a: torch.linalg.lu_factor(a), None),
        "det": (lambda a: ntorch.linalg.det(a), lambda a: torch.linalg.det(a), np.linalg.det),
        "slogdet": (lambda a: ntorch.linalg.slogdet(a), lambda a: torch.linalg.slogdet(a), np.linalg.slogdet),
        "inv": (lambda a: ntorch.linalg.inv(a), lambda a: torch.linalg.inv(a), np.linalg.inv),
        "solve": (lambda a, b: ntorch.linalg.solve(a, b), lambda a, b: torch.linalg.solve(a, b), np.linalg.solve),
        "cholesky": (lambda a: ntorch.linalg.cholesky(a), lambda a: torch.linalg.cholesky(a), np.linalg.cholesky),
        "solve_triangular": (lambda a, b: ntorch.linalg.solve_triangular(a, b, upper=False),
                             lambda a, b: torch.linalg.solve_triangular(a, b, upper=False), None),
        "qr": (lambda a: ntorch.linalg.qr(a), lambda a: torch.linalg.qr(a), np.linalg.qr),
        "eigh": (lambda a: ntorch.linalg.eigh(a), lambda a: torch.linalg.eigh(a), np.linalg.eigh),
        "eigvalsh": (lambda a: ntorch.linalg.eigvalsh(a), lambda a: torch.linalg.eigvalsh(a), np.linalg.eigvalsh),
        "geqrf": (lambda a: ntorch.geqrf(a), lambda a: torch.geqrf(a), lambda a: np.linalg.qr(a, mode="raw")),
        "ldl_factor": (lambda a: ntorch.linalg.ldl_factor(a), lambda a: torch.linalg.ldl_factor(a), None),
        "eig": (lambda a: ntorch.linalg.eig(a), lambda a: torch.linalg.eig(a), np.linalg.eig),
        "eigvals": (lambda a: ntorch.linalg.eigvals(a), lambda a: torch.linalg.eigvals(a), np.linalg.eigvals),
        "svd": (lambda a: ntorch.linalg.svd(a, full_matrices=False), lambda a: torch.linalg.svd(a, full_matrices=False),
                lambda a: np.linalg.svd(a, full_matrices=False)),
    }
    return table[op]


CLOCK = time.perf_counter  # --clock process: time.process_time (CPU time: robust on a shared, loaded machine)


def _median_time(fn, args, repeat: int) -> float:
    fn(*args)
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        fn(*args)
        times.append(CLOCK() - t0)
    return statistics.median(times)


def _fmt(t: float) -> str:
    return f"{t * 1e3:8.2f} ms" if t >= 1e-3 else f"{t * 1e6:8.1f} us"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="64,256,512,1024")
    p.add_argument("--dtypes", default="float64,float32")
    p.add_argument("--ops", default="det,slogdet,inv,solve,cholesky,solve_triangular,qr,eigh,svd")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--batch", type=int, default=1000, help="batch of 4x4 matrices (0: skip)")
    p.add_argument("--threads", type=int, default=0, help="threads for every library (0: their defaults)")
    p.add_argument("--kernels", default="", help="another kernels/cpu/linalg.py to time (e.g. an older version)")
    p.add_argument("--compare", default="", help="another kernels/cpu/linalg.py to time beside ntorch's")
    p.add_argument("--clock", default="wall", choices=["wall", "process"],
                   help="process: CPU time of this process (with --threads 1, unaffected by other processes)")
    args = p.parse_args()
    if args.clock == "process":
        global CLOCK
        CLOCK = time.process_time
    if args.kernels:
        _use_kernels(args.kernels)
    old = _load_kernels(args.compare) if args.compare else None
    if args.threads:
        torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    shapes = [(int(s), int(s)) for s in args.sizes.split(",") if s]
    if args.batch:
        shapes.append((args.batch, 4, 4))
    print(f"torch threads {torch.get_num_threads()}, numba threads {ntorch_threads()}")
    print(f"{'op':<17}{'shape':<14}{'dtype':<9}{'ntorch':>12}{'torch':>12}{'numpy':>12}{'torch/nt':>10}{'np/nt':>8}"
          + (f"{'old':>12}{'old/nt':>8}" if old else ""))
    for op in args.ops.split(","):
        nt_fn, th_fn, np_fn = _calls(op)
        for dt in args.dtypes.split(","):
            for shape in shapes:
                big = shape[-1] >= 1024
                if op in ("eigh", "eigvalsh", "svd") and shape[-1] > 512:  # minutes with the Jacobi SVD
                    continue
                rep = max(3, args.repeat // 2) if big else args.repeat
                xs = _inputs(op, shape, dt, rng)
                t_nt = _median_time(nt_fn, [ntorch.tensor(x) for x in xs], rep)
                t_th = _median_time(th_fn, [torch.from_numpy(x) for x in xs], rep)
                t_np = _median_time(np_fn, xs, rep) if np_fn is not None else float("nan")
                extra = ""
                if old:
                    t_old = _median_time(_with_kernels(old, nt_fn), [ntorch.tensor(x) for x in xs], rep)
                    extra = f"{_fmt(t_old):>12}{t_old / t_nt:>7.2f}x"
                sh = "x".join(map(str, shape))
                print(f"{op:<17}{sh:<14}{dt:<9}{_fmt(t_nt):>12}{_fmt(t_th):>12}"
                      f"{_fmt(t_np) if np_fn else '-':>12}{t_th / t_nt:>9.2f}x{t_np / t_nt:>7.2f}x" + extra, flush=True)


def _load_kernels(path: str):
    """The kernel module in path, loaded inside ntorch.kernels.cpu (so that its relative imports resolve; one
    without lu_inv gets it as a solve against the identity, as ntorch did before)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ntorch.kernels.cpu._linalg_alt", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # Numba's cache refers to the module by name
    spec.loader.exec_module(mod)
    if not hasattr(mod, "lu_inv"):
        def lu_inv(lu, piv, x):
            x[...] = np.eye(x.shape[-1])
            mod.lu_solve(lu, piv, x)

        mod.lu_inv = lu_inv
    if not hasattr(mod, "eigvalsh"):  # the front end's values-only path: through eigh
        def eigvalsh(a, w):
            mod.eigh(a, np.empty_like(a), w)

        mod.eigvalsh = eigvalsh
    return mod


def _use_kernels(path: str) -> None:
    """Point ntorch's factorizations at the kernel module in path."""
    from ntorch.ops import decomp

    decomp.K = _load_kernels(path)


def _with_kernels(mod, fn):
    """fn run with ntorch's factorizations pointed at mod."""
    from ntorch.ops import decomp

    def run(*args):
        saved, decomp.K = decomp.K, mod
        try:
            return fn(*args)
        finally:
            decomp.K = saved

    return run


def ntorch_threads() -> int:
    import numba

    return numba.get_num_threads()


if __name__ == "__main__":
    main()
