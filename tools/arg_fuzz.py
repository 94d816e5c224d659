"""Differential argument fuzzer: random argument tuples to torch.X and ntorch.X, reporting every difference.

Not a test (it imports torch). For each public function both libraries have, it draws random positional argument
tuples (tensors of many shapes and dtypes, ints, floats, dim tuples, None, bools) and calls torch and ntorch with
the same arguments. Reported: raise / no-raise disagreements and result shape / dtype / value differences.
Cases where torch raises a TypeError and ntorch does not are skipped (ntorch accepting a Python number where torch
wants a Tensor is leniency, not a semantic difference); `--strict` reports them too.

`--methods` fuzzes Tensor methods t.X(*args) instead, `--functional` ntorch.nn.functional.X; both also draw a few
keyword arguments (dim=, keepdim=, dtype=, out=).

Usage:
    .venv/bin/python tools/arg_fuzz.py SEED [name,name,...]
    .venv/bin/python tools/arg_fuzz.py 0 --methods
    .venv/bin/python tools/arg_fuzz.py 0 --functional --trials 20
    .venv/bin/python tools/arg_fuzz.py 0 --summary      # counts per category only
"""

from __future__ import annotations

import argparse
import collections
import math
import random
import warnings

import numpy as np
import torch
import torch.nn.functional as TF

import ntorch
import ntorch.nn.functional as NF

warnings.simplefilter("ignore")

SHAPES = [(), (0,), (1,), (3,), (2, 3), (3, 1), (1, 3), (2, 0), (2, 3, 4), (4, 4), (2, 1, 3)]
DTYPES = ["float32", "float64", "int64", "int32", "bool", "uint8", "float16", "complex64", "int8"]
KW_DTYPES = ["float32", "float64", "int64", "int32", "bool", "float16"]
DIM_TUPLES = [(0,), (1, 0), (0, -1), (2, 3), (), (-1,), (0, 0)]

# non-deterministic, stateful or process-global functions: comparing them says nothing
SKIP = {
    "rand", "randn", "randint", "randperm", "bernoulli", "multinomial", "normal", "poisson", "rand_like",
    "randn_like", "randint_like", "empty", "empty_like", "empty_strided", "seed", "initial_seed", "manual_seed",
    "get_rng_state", "set_rng_state", "dropout", "alpha_dropout", "feature_alpha_dropout", "rrelu", "native_dropout",
    "feature_dropout", "binomial", "from_file", "load", "save", "set_default_dtype", "set_default_tensor_type",
    "set_num_threads", "set_num_interop_threads", "set_printoptions", "use_deterministic_algorithms",
    "set_deterministic_debug_mode", "set_float32_matmul_precision", "set_warn_always", "set_default_device",
    "compile", "vmap", "cond", "while_loop", "set_flush_denormal", "set_anomaly_enabled", "sym_int", "sym_float",
    "unique", "unique_consecutive", "nonzero_static", "pca_lowrank", "svd_lowrank", "lobpcg",
    # Tensor methods / functional names of the same kind
    "random_", "uniform_", "normal_", "cauchy_", "exponential_", "geometric_", "log_normal_", "bernoulli_",
    "new_empty", "new_empty_strided", "dropout_", "alpha_dropout_", "feature_alpha_dropout_", "rrelu_",
    "dropout1d", "dropout2d", "dropout3d", "gumbel_softmax", "fractional_max_pool2d", "fractional_max_pool3d",
    "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices", "set_", "share_memory_",
    "storage", "untyped_storage", "data_ptr", "register_hook", "register_post_accumulate_grad_hook", "backward",
    "pin_memory", "cuda", "to_sparse", "element_size", "apply_", "map_", "map2_", "tolist", "numpy", "item",
    "storage_offset", "is_shared", "record_stream", "retain_grad", "resize_", "resize_as_", "__dlpack__",
}

# known, documented differences that would drown the report (README, "Deliberate differences from PyTorch"):
# torch.fx's symbolic-shape helpers (ntorch's are plain-int shims), names that print "torch.", a probe taking any
# arguments, torch's CPU-less native_norm, hash_tensor's uint64 result (ntorch has no uint64 dtype)
NOISE = {
    "sym_constrain_range", "sym_constrain_range_for_size", "sym_fresh_size", "sym_ite", "sym_max", "sym_min",
    "sym_not", "sym_sqrt", "sym_sum", "typename", "is_vulkan_available", "native_norm", "hash_tensor",
    # Tensor methods: pointers, uninitialised memory, "torch."-prefixed type names, devices this machine lacks
    "const_data_ptr", "mutable_data_ptr", "new", "type", "is_pinned",
}


class Fuzzer:
    """Draws argument tuples from one seeded stream so torch and ntorch get identical inputs."""

    def __init__(self, seed: int, kwargs: bool) -> None:
        self.rng = random.Random(seed)
        self.kwargs = kwargs

    def tensor(self) -> tuple:
        rng = self.rng
        shape = rng.choice(SHAPES)
        dt = rng.choice(DTYPES)
        a = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(shape) * 3
        if dt == "bool":
            a = a > 0
        elif dt == "uint8":
            a = np.abs(a).astype(dt)
        elif dt.startswith("complex"):
            a = (a + 1j * a[::-1] if a.ndim else a + 0.5j).astype(dt)
        else:
            a = a.astype(dt)
        return ("T", a)

    def arg(self):
        r = self.rng.random()
        if r < 0.45:
            return self.tensor()
        if r < 0.65:
            return self.rng.choice([0, 1, 2, -1, -2, 3, 5, -5])
        if r < 0.75:
            return self.rng.choice([0.5, -1.5, 2.0, float("nan"), float("inf")])
        if r < 0.85:
            return self.rng.choice(DIM_TUPLES)
        if r < 0.9:
            return None
        return self.rng.choice([True, False])

    def kw(self) -> dict:
        """A few of torch's common keywords, each drawn rarely."""
        out = {}
        if not self.kwargs:
            return out
        rng = self.rng
        if rng.random() < 0.25:
            out["dim"] = rng.choice([0, 1, -1, 2, (0,), (0, 1), None, ("T0", rng.choice([0, 1, -1]))])
        if rng.random() < 0.2:
            out["keepdim"] = rng.choice([True, False])
        if rng.random() < 0.15:
            out["dtype"] = ("D", rng.choice(KW_DTYPES))
        if rng.random() < 0.1:
            out["out"] = self.tensor()
        return out


def conv(a, lib):
    """One drawn argument as `lib`'s object (a fresh copy for each library)."""
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "T":
        return lib.tensor(a[1].copy())
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "T0":
        return lib.tensor(a[1])
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "D":
        return getattr(lib, a[1])
    return a


def summarize(r):
    if isinstance(r, (torch.Tensor, ntorch.Tensor)):
        if isinstance(r, torch.Tensor):
            arr = r.detach().cpu().resolve_conj().resolve_neg().numpy()
        else:
            arr = r.detach().numpy()
        return ("tensor", tuple(r.shape), str(r.dtype).split(".")[-1], arr)
    if isinstance(r, (torch.Size, ntorch.Size)):
        return ("size", tuple(r))
    if isinstance(r, (tuple, list)):
        return ("seq", tuple(summarize(x) for x in r))
    return ("other", r if isinstance(r, (int, float, bool, type(None), str)) else type(r).__name__)


def same(a, b) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "tensor":
        if a[1] != b[1] or a[2] != b[2]:
            return False
        x, y = a[3], b[3]
        if x.dtype.kind in "fc":
            x, y = x.astype(np.complex128), y.astype(np.complex128)
            return np.allclose(x, y, rtol=1e-3, atol=1e-3, equal_nan=True)
        return np.array_equal(x, y)
    if a[0] == "seq":
        return len(a[1]) == len(b[1]) and all(same(p, q) for p, q in zip(a[1], b[1]))
    if a[0] == "other" and isinstance(a[1], float) and isinstance(b[1], float):
        return math.isclose(a[1], b[1], rel_tol=1e-6) or (math.isnan(a[1]) and math.isnan(b[1]))
    return a[1:] == b[1:]


def describe(a) -> str:
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "T":
        return f"T{a[1].dtype}{a[1].shape}"
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "T0":
        return f"tensor({a[1]})"
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "D":
        return a[1]
    return repr(a)


def call(mode: str, lib, name: str, args: list, kw: dict):
    cargs = [conv(a, lib) for a in args]
    ckw = {k: conv(v, lib) for k, v in kw.items()}
    if mode == "methods":
        return getattr(cargs[0], name)(*cargs[1:], **ckw)
    mod = {"torch": lib, "functional": TF if lib is torch else NF}[mode]
    return getattr(mod, name)(*cargs, **ckw)


def names_for(mode: str) -> list[str]:
    def keep(n, a, b):
        return (not n.startswith("_") and n not in SKIP and n not in NOISE and callable(getattr(a, n, None))
                and hasattr(b, n))

    if mode == "torch":
        return sorted(n for n in dir(ntorch) if keep(n, ntorch, torch) and not isinstance(getattr(ntorch, n), type)
                      and n[0].islower())
    if mode == "functional":
        return sorted(n for n in dir(NF) if keep(n, NF, TF) and not isinstance(getattr(NF, n), type)
                      and n[0].islower())
    return sorted(n for n in dir(ntorch.Tensor) if keep(n, ntorch.Tensor, torch.Tensor) and n[0].islower())


def fuzz(seed: int, mode: str, names: list[str] | None, trials: int, strict: bool) -> dict:
    fz = Fuzzer(seed, kwargs=mode != "torch")
    diffs: dict[str, list] = {}
    for name in names or names_for(mode):
        for _ in range(trials):
            nargs = fz.rng.choice([1, 1, 2, 2, 3])
            args = [fz.tensor() if i == 0 and mode == "methods" else fz.arg() for i in range(nargs)]
            kw = fz.kw()
            res = []
            for lib in (torch, ntorch):
                try:
                    res.append(("ok", summarize(call(mode, lib, name, args, kw))))
                except Exception as e:  # noqa: BLE001 - every failure is data here
                    res.append(("raise", type(e).__name__ + ": " + str(e).split("\n")[0][:100]))
            (tk, tv), (nk, nv) = res
            if tk == nk == "raise":
                continue
            if tk == "raise" and tv.startswith("TypeError") and not strict:
                continue
            if tk != nk:
                kind = f"torch {tk} / ntorch {nk}"
            elif not same(tv, nv):
                kind = "value"
            else:
                continue
            desc = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kw.items()]
            diffs.setdefault(name, []).append((kind, desc, tv if tk == "raise" else "", nv if nk == "raise" else ""))
    return diffs


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("seed", type=int, nargs="?", default=0)
    p.add_argument("names", nargs="?", default=None, help="comma-separated names (default: all)")
    p.add_argument("--methods", action="store_true", help="fuzz Tensor methods")
    p.add_argument("--functional", action="store_true", help="fuzz ntorch.nn.functional")
    p.add_argument("--trials", type=int, default=40)
    p.add_argument("--strict", action="store_true", help="also report torch TypeError / ntorch ok")
    p.add_argument("--summary", action="store_true", help="print counts per category only")
    args = p.parse_args()
    mode = "methods" if args.methods else "functional" if args.functional else "torch"
    names = args.names.split(",") if args.names else None
    diffs = fuzz(args.seed, mode, names, args.trials, args.strict)
    cats = collections.Counter(kind for ds in diffs.values() for kind, *_ in ds)
    if not args.summary:
        for name, ds in sorted(diffs.items()):
            print(f"{name}: {len(ds)}")
            for kind, desc, tr, nr in ds[:6]:
                print(f"    {kind:28s} {', '.join(desc)}  {tr}{nr}"[:300])
    print(f"seed {args.seed} {mode}: {len(names or names_for(mode))} names, {sum(cats.values())} diffs in "
          f"{len(diffs)}; " + ", ".join(f"{k}: {v}" for k, v in sorted(cats.items())))


if __name__ == "__main__":
    main()
