"""Conformance sweep: run ntorch and PyTorch side by side on a grid of inputs and report every mismatch.

Not a test (it imports torch). Each case is one callable `fn(m, *args)` run with m=torch and m=ntorch on the
same inputs (built by `make(m, desc)` for both libraries from one NumPy array and one layout). Compared: result
dtype, shape, values (allclose with NaNs equal, exact for ints and bools, signed zeros), layout where torch's
contract is clear (contiguous results stay contiguous, views stay views), the exception type when torch raises
(and that ntorch raises then), `out=` and in-place forms, and float64 gradients.

Usage:
    .venv/bin/python tools/conformance_sweep.py                     # everything
    .venv/bin/python tools/conformance_sweep.py --group unary,binary  # some groups
    .venv/bin/python tools/conformance_sweep.py --op sum --verbose    # one op, every mismatch line
"""

from __future__ import annotations

import argparse
import collections
import math
import operator
import sys
import time
import warnings

import numpy as np
import torch

import ntorch

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
FLOATS = ["float16", "float32", "float64"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]
NAN, INF = float("nan"), float("inf")
FLOAT_POOL = [0.5, -1.5, 2.25, -0.0, 0.0, NAN, INF, -INF, 3.75, -2.5, 1e-3, 7.0, -0.75, 1.0, 0.25]
FLOAT_PLAIN = [0.5, -1.5, 2.25, -0.25, 0.1, 1.75, 3.0, -2.5, 1e-3, 0.75, -0.75, 1.25, 0.3, -1.0, 2.0]
BOOL_POOL = [True, False, True, True, False, False, True, False, True, True, False, True, False, False, True]


def pool(dtype: str, special: bool = True, n: int = 15, seed: int = 0) -> np.ndarray:
    """n values of dtype; with special: NaN, infs, -0.0 (floats) or the dtype's min and max (ints)."""
    if dtype == "bool":
        base = np.array(BOOL_POOL, dtype=bool)
    elif dtype in FLOATS:
        base = np.array(FLOAT_POOL if special else FLOAT_PLAIN, dtype=dtype)
    else:
        info = np.iinfo(dtype)
        vals = [0, 1, 3, 5, 2, 7, 4, 6, 9, 8, 11, 10, 13, 12, 14] if dtype == "uint8" else \
            [0, 1, -1, 5, -7, 3, 2, -2, 9, 4, -3, 6, 8, -5, 10]
        if special:
            vals[12:14] = [int(info.min), int(info.max)]
        base = np.array(vals, dtype=dtype)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(max(n, len(base)))[:n] % len(base)
    return base[idx]


# layout name -> (base shape, view applied the same way in both libraries)
LAYOUTS = {
    "0d": ((), lambda x: x),
    "empty": ((0, 3), lambda x: x),
    "one": ((1,), lambda x: x),
    "odd": ((3, 5), lambda x: x),
    "T": ((5, 3), lambda x: x.t()),
    "step": ((3, 10), lambda x: x[:, ::2]),
    "expand": ((1, 5), lambda x: x.expand(3, 5)),
    "row": ((5,), lambda x: x),
    "3d": ((2, 3, 4), lambda x: x),
}


class Desc:
    """One tensor input: dtype, layout, whether special values are allowed, seed, requires_grad."""

    def __init__(self, dtype: str, layout: str = "odd", special: bool = True, seed: int = 0, grad: bool = False,
                 values: np.ndarray | None = None):
        self.dtype, self.layout, self.special, self.seed, self.grad = dtype, layout, special, seed, grad
        self.values = values

    def array(self) -> np.ndarray:
        if self.values is not None:
            return self.values
        shape, _ = LAYOUTS[self.layout]
        n = int(np.prod(shape)) if shape else 1
        return pool(self.dtype, self.special, max(n, 1), self.seed)[:n].reshape(shape)

    def __repr__(self) -> str:
        sp = "" if self.special else ",plain"
        return f"{self.dtype}:{self.layout}{sp}"


def make(m, d):
    """The input d for library m (torch or ntorch); anything not a Desc passes through."""
    if isinstance(d, Desc):
        t = m.tensor(d.array().copy())
        if d.layout in LAYOUTS:
            t = LAYOUTS[d.layout][1](t)
        if d.grad:
            t = t.detach().requires_grad_(True)
        return t
    if isinstance(d, list):
        return [make(m, x) for x in d]
    if isinstance(d, tuple) and d and isinstance(d[0], Desc):
        return tuple(make(m, x) for x in d)
    if d == "DTYPE_F64":
        return m.float64
    return d


# ------------------------------------------------------------------------------------------- comparison
TOL = {"float16": (2e-3, 2e-3), "float32": (2e-5, 1e-6), "float64": (1e-9, 1e-12)}


def leaves(r):
    if isinstance(r, (tuple, list)) and not isinstance(r, (torch.Size, ntorch.Size)):
        out = []
        for x in r:
            out += leaves(x)
        return out
    return [r]


def dtype_name(d) -> str:
    return str(d).split(".")[-1]


def compare(tr, nr, tin=(), nin=(), view_check: bool = False, loose: bool = False) -> list[tuple[str, str]]:
    """Mismatches between torch result tr and ntorch result nr, as (category, detail)."""
    tl, nl = leaves(tr), leaves(nr)
    if len(tl) != len(nl):
        return [("structure", f"{len(tl)} results vs {len(nl)}")]
    if type(tr) is not tuple and hasattr(tr, "_fields") and not hasattr(nr, "_fields"):
        return [("structure", f"torch returns a named tuple {type(tr).__name__}{tr._fields}")]
    errs = []
    for t, n in zip(tl, nl):
        if isinstance(t, torch.Tensor):
            if not isinstance(n, ntorch.Tensor):
                errs.append(("type", f"Tensor vs {type(n).__name__}"))
                continue
            td, nd = dtype_name(t.dtype), dtype_name(n.dtype)
            if td != nd:
                errs.append(("dtype", f"{td} vs {nd}"))
            if tuple(t.shape) != tuple(n.shape):
                errs.append(("shape", f"{tuple(t.shape)} vs {tuple(n.shape)}"))
                continue
            ta = t.detach().numpy()
            na = np.asarray(n.detach().numpy())
            errs += compare_values(ta, na, td, loose)
            if t.is_contiguous() and t.numel() > 1 and not n.is_contiguous():
                errs.append(("layout", f"torch contiguous, ntorch strides {n.stride()}"))
            if view_check and tin and t.numel() > 0:
                tv = any(isinstance(x, torch.Tensor) and x.numel() > 0 and
                         t.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() for x in tin)
                nv = any(isinstance(x, ntorch.Tensor) and x.numel() > 0 and
                         np.shares_memory(n.numpy(), x.numpy()) for x in nin)
                if tv != nv:
                    errs.append(("view", f"torch view={tv}, ntorch view={nv}"))
        elif isinstance(t, (bool, int, float)) and not isinstance(t, torch.Size):
            if type(t) is not type(n):
                errs.append(("type", f"{type(t).__name__} vs {type(n).__name__}"))
            elif not (t == n or (isinstance(t, float) and math.isnan(t) and math.isnan(n))
                      or (isinstance(t, float) and math.isclose(t, n, rel_tol=1e-6))):
                errs.append(("value", f"{t} vs {n}"))
        elif isinstance(t, torch.Size):
            if tuple(t) != tuple(n):
                errs.append(("value", f"{t} vs {n}"))
        elif isinstance(t, torch.dtype):
            if dtype_name(t) != dtype_name(n):
                errs.append(("value", f"{t} vs {n}"))
    return errs


def compare_values(ta: np.ndarray, na: np.ndarray, td: str, loose: bool) -> list[tuple[str, str]]:
    if ta.size == 0:
        return []
    if td in TOL:
        a, b = ta.astype(np.float64), na.astype(np.float64)
        rtol, atol = TOL[td]
        if loose:
            rtol, atol = rtol * 100, atol * 100
        ok = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
        if not ok.all():
            i = np.argwhere(~ok)[0]
            return [("value", f"at {tuple(i)}: {a[tuple(i)]!r} vs {b[tuple(i)]!r} ({int((~ok).sum())} differ)")]
        z = (a == 0) & (b == 0)
        if (np.signbit(a[z]) != np.signbit(b[z])).any():
            return [("signed-zero", "sign of a zero differs")]
        return []
    if ta.dtype == np.bool_ or na.dtype == np.bool_:
        ok = ta.astype(bool) == na.astype(bool)
    else:
        ok = ta.astype(np.int64) == na.astype(np.int64)
    if not np.all(ok):
        i = np.argwhere(~ok)[0] if ok.ndim else ()
        return [("value", f"at {tuple(i)}: {ta[tuple(i)]!r} vs {na[tuple(i)]!r}")]
    return []


class Sweep:
    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.trace = False  # print each case before running it (to find a case that kills the process)
        self.cases = 0
        self.fails: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)  # op -> (cat, case, d)

    def record(self, op: str, case: str, cat: str, detail: str) -> None:
        self.fails[op].append((cat, case, detail))
        if self.verbose:
            print(f"  {op:28s} {cat:14s} {case}: {detail}", flush=True)

    def run(self, op: str, fn, args, kwargs=None, case: str = "", view_check=False, loose=False, grad=False,
            inplace_of: int | None = None):
        """Run fn(m, *args, **kwargs) for both libraries and record any mismatch.
        inplace_of: index of the argument fn mutates (compared after the call as well)."""
        kwargs = kwargs or {}
        self.cases += 1
        case = case or ", ".join(map(repr, args)) + (f", {kwargs}" if kwargs else "")
        if self.trace:
            print(f"? {op} {case}", file=sys.stderr, flush=True)
        targs = [make(torch, a) for a in args]
        nargs = [make(ntorch, a) for a in args]
        tk = {k: make(torch, v) for k, v in kwargs.items()}
        nk = {k: make(ntorch, v) for k, v in kwargs.items()}
        try:
            tr = fn(torch, *targs, **tk)
            terr = None
        except Exception as e:  # noqa: BLE001
            tr, terr = None, e
        try:
            nr = fn(ntorch, *nargs, **nk)
            nerr = None
        except Exception as e:  # noqa: BLE001
            nr, nerr = None, e
        if terr is not None:
            if nerr is None:
                self.record(op, case, "no-raise", f"torch raises {type(terr).__name__}: {str(terr)[:90]}")
            elif not isinstance(nerr, type(terr)) and not _compatible(terr, nerr):
                self.record(op, case, "exc-type", f"torch {type(terr).__name__}, ntorch {type(nerr).__name__}: "
                            f"{str(nerr)[:90]}")
            return
        if nerr is not None:
            self.record(op, case, "raises", f"{type(nerr).__name__}: {str(nerr)[:120]}")
            return
        try:
            errs = compare(tr, nr, targs, nargs, view_check, loose)
            if inplace_of is not None:
                errs += [(c, "mutated input: " + d) for c, d in
                         compare(targs[inplace_of], nargs[inplace_of], loose=loose)]
            if grad and not errs:
                errs += self.grad_check(tr, nr, targs, nargs)
        except Exception as e:  # noqa: BLE001
            errs = [("compare-crash", f"{type(e).__name__}: {str(e)[:100]}")]
        for cat, d in errs:
            self.record(op, case, cat, d)

    @staticmethod
    def grad_check(tr, nr, targs, nargs) -> list[tuple[str, str]]:
        """Backward of sum(out * w) (w fixed, distinct per element) for every float64 output."""
        touts = [t for t in leaves(tr) if isinstance(t, torch.Tensor) and t.requires_grad]
        nouts = [n for n in leaves(nr) if isinstance(n, ntorch.Tensor) and n.requires_grad]
        if len(touts) != len(nouts):
            return [("grad", f"{len(touts)} differentiable outputs vs {len(nouts)}")]
        if not touts:
            return []
        tloss, nloss = 0, 0
        for t, n in zip(touts, nouts):
            w = np.linspace(0.5, 1.5, max(t.numel(), 1))[: t.numel()].reshape(tuple(t.shape))
            tloss = tloss + (t * torch.tensor(w)).sum()
            nloss = nloss + (n * ntorch.tensor(w)).sum()
        tins = [t for t in leaves(targs) if isinstance(t, torch.Tensor) and t.requires_grad]
        nins = [n for n in leaves(nargs) if isinstance(n, ntorch.Tensor) and n.requires_grad]
        try:
            tg = torch.autograd.grad(tloss, tins, allow_unused=True)
        except Exception as e:  # noqa: BLE001  (e.g. "derivative for aten::floor_divide is not implemented")
            try:
                ntorch.autograd.grad(nloss, nins, allow_unused=True)
            except Exception as ne:  # noqa: BLE001
                if isinstance(ne, type(e)):
                    return []
                return [("grad", f"backward: torch {type(e).__name__}, ntorch {type(ne).__name__}: {str(ne)[:80]}")]
            return [("grad", f"backward: torch raises {type(e).__name__}: {str(e)[:90]}, ntorch does not")]
        tg = [torch.zeros_like(t) if t is not None and t._is_zerotensor() else t for t in tg]  # (sgn's real grad)
        try:
            ng = ntorch.autograd.grad(nloss, nins, allow_unused=True)
        except Exception as e:  # noqa: BLE001
            return [("grad", f"backward raises {type(e).__name__}: {str(e)[:100]}")]
        errs = []
        for t, n in zip(tg, ng):
            if t is None or n is None:
                if (t is None) != (n is None):
                    errs.append(("grad", f"grad None: torch {t is None}, ntorch {n is None}"))
                continue
            errs += [("grad", d) for _, d in compare(t, n)]
        return errs

    def report(self) -> None:
        cats = collections.Counter()
        for lst in self.fails.values():
            for cat, _, _ in lst:
                cats[cat] += 1
        print(f"\n{self.cases} cases, {sum(cats.values())} mismatches in {len(self.fails)} ops")
        print("by category:", dict(cats.most_common()))
        for op in sorted(self.fails):
            lst = self.fails[op]
            by = collections.Counter(c for c, _, _ in lst)
            print(f"\n{op}: {dict(by)}")
            seen = set()
            for cat, case, d in lst:
                key = (cat, d[:40])
                if key in seen:
                    continue
                seen.add(key)
                print(f"    {cat:12s} {case}: {d}")
                if len(seen) >= 6:
                    break


def _compatible(terr: Exception, nerr: Exception) -> bool:
    """torch raises some errors as subclasses we accept from a base class match (e.g. IndexError for
    RuntimeError messages "index out of range" is a torch oddity we do not require)."""
    return isinstance(terr, NotImplementedError) and isinstance(nerr, (RuntimeError, TypeError))


# ------------------------------------------------------------------------------------------- op tables
UNARY_ALL = ["abs", "neg", "sign", "square", "positive", "logical_not", "isnan", "isinf", "isfinite", "isposinf",
             "isneginf", "isreal", "signbit", "bitwise_not", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
             "sqrt", "rsqrt", "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
             "asinh", "acosh", "atanh", "sigmoid", "erf", "erfc", "erfinv", "floor", "ceil", "round", "trunc", "frac",
             "relu", "nan_to_num", "deg2rad", "rad2deg", "sgn", "sinc", "logit", "lgamma", "digamma", "i0", "fix",
             "angle", "conj", "clone", "arcsin", "arctan", "negative", "absolute", "zeros_like", "ones_like",
             "count_nonzero", "nonzero", "flatten", "ravel"]
UNARY_INPLACE = ["abs", "neg", "sign", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "floor", "ceil",
                 "round", "trunc", "frac", "reciprocal", "relu", "square", "logical_not", "bitwise_not", "erf",
                 "nan_to_num", "clamp", "zero"]
BINARY = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow", "atan2",
          "maximum", "minimum", "fmax", "fmin", "hypot", "eq", "ne", "lt", "le", "gt", "ge", "logical_and",
          "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
          "bitwise_right_shift", "copysign", "heaviside", "logaddexp", "logaddexp2", "xlogy", "nextafter",
          "gcd", "lcm", "ldexp", "float_power", "subtract", "multiply", "divide", "greater", "less",
          "not_equal", "greater_equal", "less_equal", "isclose", "equal", "dist", "xlogy"]
OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
             "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
             "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
             "==": operator.eq, "<": operator.lt, ">=": operator.ge}
SCALARS = [2, -3, 2.5, -0.0, True, False, 0]
MIXED = [("int32", "int64"), ("uint8", "int8"), ("bool", "int16"), ("float16", "float32"), ("int64", "float32"),
         ("float32", "float64"), ("bool", "float16"), ("uint8", "float16"), ("int8", "uint8"), ("int16", "float64")]
LAYOUT_PAIRS = [("odd", "odd"), ("odd", "T"), ("step", "expand"), ("odd", "row"), ("0d", "odd"), ("odd", "0d"),
                ("empty", "empty"), ("one", "odd"), ("0d", "0d")]


def sweep_unary(s: Sweep) -> None:
    for name in UNARY_ALL:
        for dt in DTYPES:
            for lay in ["odd", "T", "step", "expand", "0d", "empty", "one"]:
                s.run(name, lambda m, x, n=name: getattr(m, n)(x), [Desc(dt, lay)])
            s.run(name + "(method)", lambda m, x, n=name: getattr(x, n)() if n not in (
                "zeros_like", "ones_like", "isposinf", "isneginf", "isreal", "count_nonzero")
                else getattr(m, n)(x), [Desc(dt, "odd")])
        for dt in ["float64"]:
            s.run(name + "(grad)", lambda m, x, n=name: getattr(m, n)(x), [Desc(dt, "odd", special=False, grad=True)],
                  grad=True)
        for dt in ["int64", "float32"]:
            s.run(name + "(out=)", lambda m, x, o, n=name: (getattr(m, n)(x, out=o), o)[1],
                  [Desc(dt, "odd"), Desc(dt, "odd", seed=5)])
    for name in UNARY_INPLACE:
        for dt in DTYPES:
            for lay in ["odd", "T", "0d"]:
                s.run(name + "_", lambda m, x, n=name: getattr(x, n + "_")() if n != "clamp" else x.clamp_(-1, 2),
                      [Desc(dt, lay)], inplace_of=0)


def sweep_binary(s: Sweep) -> None:
    for name in BINARY:
        def fn(m, a, b, n=name):
            return getattr(m, n)(a, b)

        sp = name not in ("gcd", "lcm")  # torch 2.13 dies of SIGFPE on gcd/lcm of some int32 min/max pairs
        for dt in DTYPES:
            for la, lb in LAYOUT_PAIRS:
                s.run(name, fn, [Desc(dt, la, sp), Desc(dt, lb, sp, seed=3)])
            for sc in SCALARS:
                s.run(name, fn, [Desc(dt, "odd", sp), sc])
                s.run(name + "(method)", lambda m, a, b, n=name: getattr(a, n)(b), [Desc(dt, "odd", sp), sc])
        for da, db in MIXED:
            s.run(name, fn, [Desc(da, "odd", sp), Desc(db, "odd", sp, seed=3)])
            s.run(name, fn, [Desc(da, "odd", sp), Desc(db, "0d", sp, seed=3)])
            s.run(name, fn, [Desc(da, "0d", sp), Desc(db, "odd", sp, seed=3)])
        s.run(name + "(grad)", fn, [Desc("float64", "odd", special=False, grad=True),
                                    Desc("float64", "row", special=False, seed=4, grad=True)], grad=True)
        for dt in ["int64", "float32", "bool"]:
            s.run(name + "(out=)", lambda m, a, b, o, n=name: (getattr(m, n)(a, b, out=o), o)[1],
                  [Desc(dt, "odd", sp), Desc(dt, "odd", sp, seed=3), Desc(dt, "odd", seed=5)])
            s.run(name + "_", lambda m, a, b, n=name: getattr(a, n + "_")(b),
                  [Desc(dt, "odd", sp), Desc(dt, "row", sp, seed=3)], inplace_of=0)
            s.run(name + "_", lambda m, a, b, n=name: getattr(a, n + "_")(b), [Desc(dt, "odd"), 2.5], inplace_of=0)
    for sym, op in OPERATORS.items():
        for dt in DTYPES:
            for sc in SCALARS:
                s.run(f"op {sym}", lambda m, a, b, op=op: op(a, b), [Desc(dt, "odd"), sc])
                s.run(f"op r{sym}", lambda m, a, b, op=op: op(b, a), [Desc(dt, "odd"), sc])
            s.run(f"op {sym}", lambda m, a, b, op=op: op(a, b), [Desc(dt, "odd"), Desc(dt, "T", seed=3)])
    for dt in DTYPES:
        for kw in [{}, {"alpha": 2}, {"alpha": 0.5}]:
            s.run("add(alpha)", lambda m, a, b, **k: m.add(a, b, **k), [Desc(dt, "odd"), Desc(dt, "odd", seed=2)], kw)
            s.run("sub(alpha)", lambda m, a, b, **k: m.sub(a, b, **k), [Desc(dt, "odd"), Desc(dt, "odd", seed=2)], kw)
        for rm in [None, "trunc", "floor"]:
            s.run("div(rounding_mode)", lambda m, a, b, rm=rm: m.div(a, b, rounding_mode=rm),
                  [Desc(dt, "odd"), Desc(dt, "odd", seed=2)])
            s.run("div(rounding_mode)", lambda m, a, rm=rm: m.div(a, 3, rounding_mode=rm), [Desc(dt, "odd")])
        s.run("where", lambda m, c, a, b: m.where(c, a, b), [Desc("bool", "odd"), Desc(dt, "odd"), Desc(dt, "row")])
        s.run("where", lambda m, c, a: m.where(c, a, 2.5), [Desc("bool", "odd"), Desc(dt, "odd")])
        s.run("where", lambda m, c, a: m.where(c, 3, a), [Desc("bool", "odd"), Desc(dt, "odd")])
        s.run("where(1arg)", lambda m, c: m.where(c), [Desc(dt, "odd")])
        for lo, hi in [(-1, 2), (-1.5, None), (None, 2.5), (True, None), (0, 0)]:
            s.run("clamp", lambda m, a, lo=lo, hi=hi: m.clamp(a, lo, hi), [Desc(dt, "odd")])
        s.run("clamp(tensor)", lambda m, a, lo, hi: m.clamp(a, lo, hi),
              [Desc(dt, "odd"), Desc(dt, "row", seed=1), Desc(dt, "row", seed=2)])
        for tern in ["addcmul", "addcdiv", "lerp"]:
            s.run(tern, lambda m, a, b, c, t=tern: getattr(m, t)(a, b, c) if t == "lerp" else
                  getattr(m, t)(a, b, c, value=2), [Desc(dt, "odd"), Desc(dt, "odd", seed=1),
                                                    Desc(dt, "row", seed=2) if tern != "lerp" else 0.25])
        s.run("allclose", lambda m, a, b: m.allclose(a, b), [Desc(dt, "odd"), Desc(dt, "odd")])


REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "max", "min", "argmax", "argmin", "all", "any", "var", "std",
              "logsumexp", "nansum", "nanmean", "count_nonzero", "norm", "median", "nanmedian", "mode", "aminmax",
              "var_mean", "std_mean"]
DIMS = [None, 0, -1, (0, 1), 1, (), (-1, 0)]


def sweep_reductions(s: Sweep) -> None:
    for name in REDUCTIONS:
        for dt in DTYPES:
            for lay in ["odd", "T", "0d", "empty", "one", "step", "3d"]:
                s.run(name, lambda m, x, n=name: getattr(m, n)(x), [Desc(dt, lay)])
                for dim in DIMS:
                    for kd in [False, True]:
                        if dim is None and kd:
                            continue
                        kw = {} if dim is None else {"dim": dim}
                        if kd:
                            kw["keepdim"] = True
                        if name == "aminmax" and dim is not None and not isinstance(dim, int):
                            continue
                        s.run(name, lambda m, x, n=name, kw=kw: getattr(m, n)(x, **kw), [Desc(dt, lay)],
                              case=f"{dt}:{lay}, {kw}")
            s.run(name + "(method)", lambda m, x, n=name: getattr(x, n)(dim=1), [Desc(dt, "odd")])
            if name in ("sum", "mean", "prod", "nansum", "nanmean", "logsumexp"):
                for odt in ["float64", "int64", "float16", "int32"]:
                    s.run(name + "(dtype=)", lambda m, x, n=name, o=odt: getattr(m, n)(x, dim=0, dtype=getattr(m, o))
                          if n != "logsumexp" else getattr(m, n)(x, 0), [Desc(dt, "odd")], case=f"{dt}, dtype={odt}")
                    s.run(name + "(dtype=)", lambda m, x, n=name, o=odt: getattr(m, n)(x, dtype=getattr(m, o))
                          if n != "logsumexp" else getattr(m, n)(x, (0, 1)), [Desc(dt, "odd")],
                          case=f"{dt}, all, dtype={odt}")
        for lay in ["odd", "3d"]:
            s.run(name + "(grad)", lambda m, x, n=name: getattr(m, n)(x, 1) if n not in ("all", "any") else x,
                  [Desc("float64", lay, special=False, grad=True)], grad=True)
            s.run(name + "(grad)", lambda m, x, n=name: getattr(m, n)(x), [Desc("float64", lay, special=False,
                                                                                 grad=True)], grad=True)
        s.run(name + "(out=)", lambda m, x, n=name: getattr(m, n)(x, 1, out=m.empty(0, dtype=x.dtype)),
              [Desc("float32", "odd", special=False)])
    for dt in DTYPES:
        for corr in [0, 1, 2]:
            s.run("var(correction)", lambda m, x, c=corr: m.var(x, 1, correction=c), [Desc(dt, "odd")])
            s.run("std(correction)", lambda m, x, c=corr: x.std(correction=c), [Desc(dt, "odd")])
        s.run("var(unbiased)", lambda m, x: m.var(x, 1, False), [Desc(dt, "odd")])
        for p in [1, 2, 3, float("inf"), -float("inf"), 0, "fro", 0.5]:
            s.run("norm(p)", lambda m, x, p=p: m.norm(x, p), [Desc(dt, "odd")])
            s.run("norm(p,dim)", lambda m, x, p=p: m.norm(x, p, dim=1), [Desc(dt, "odd")])
        for q in [0.0, 0.3, 0.5, 1.0]:
            for interp in ["linear", "lower", "higher", "nearest", "midpoint"]:
                s.run("quantile", lambda m, x, q=q, i=interp: m.quantile(x, q, dim=1, interpolation=i),
                      [Desc(dt, "odd", special=False)])
            s.run("nanquantile", lambda m, x, q=q: m.nanquantile(x, q), [Desc(dt, "odd")])


def sweep_scan(s: Sweep) -> None:
    for name in ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]:
        for dt in DTYPES:
            for lay in ["odd", "T", "0d", "empty", "one", "step", "expand", "3d"]:
                for dim in [0, -1, 1]:
                    s.run(name, lambda m, x, n=name, d=dim: getattr(m, n)(x, d), [Desc(dt, lay)])
            s.run(name + "(method)", lambda m, x, n=name: getattr(x, n)(1), [Desc(dt, "odd")])
            if name in ("cumsum", "cumprod"):
                for odt in ["float64", "int64", "float16"]:
                    s.run(name + "(dtype=)", lambda m, x, n=name, o=odt: getattr(m, n)(x, 1, dtype=getattr(m, o)),
                          [Desc(dt, "odd")])
                s.run(name + "_", lambda m, x, n=name: getattr(x, n + "_")(1), [Desc(dt, "odd")], inplace_of=0)
        s.run(name + "(grad)", lambda m, x, n=name: getattr(m, n)(x, 1), [Desc("float64", "odd", special=False,
                                                                               grad=True)], grad=True)
    for dt in DTYPES:
        s.run("diff", lambda m, x: m.diff(x), [Desc(dt, "odd")])
        s.run("diff", lambda m, x: m.diff(x, n=2, dim=0), [Desc(dt, "odd")])


def sweep_shape(s: Sweep) -> None:
    V = True
    cases = [
        ("reshape", lambda m, x: x.reshape(5, 3)), ("reshape(-1)", lambda m, x: m.reshape(x, (-1,))),
        ("view", lambda m, x: x.view(15)), ("view(-1,5)", lambda m, x: x.view(-1, 5)),
        ("view(dtype)", lambda m, x: x.view(m.int16) if x.element_size() >= 2 else x.view(m.uint8)),
        ("flatten", lambda m, x: x.flatten()), ("flatten(0,0)", lambda m, x: m.flatten(x, 0, 0)),
        ("squeeze", lambda m, x: x.squeeze()), ("squeeze(0)", lambda m, x: x.squeeze(0)),
        ("squeeze((0,1))", lambda m, x: m.squeeze(x, (0, 1))), ("unsqueeze(-1)", lambda m, x: x.unsqueeze(-1)),
        ("unsqueeze(3)", lambda m, x: x.unsqueeze(3)),
        ("permute", lambda m, x: x.permute(1, 0)), ("permute(-1,0)", lambda m, x: m.permute(x, (-1, 0))),
        ("transpose", lambda m, x: x.transpose(0, 1)), ("t", lambda m, x: x.t()), ("T", lambda m, x: x.T),
        ("mT", lambda m, x: x.mT), ("movedim", lambda m, x: m.movedim(x, 0, 1)),
        ("narrow", lambda m, x: x.narrow(1, 1, 3)), ("narrow(neg)", lambda m, x: x.narrow(-1, -3, 2)),
        ("select", lambda m, x: x.select(1, -1)), ("unbind", lambda m, x: x.unbind(1)),
        ("expand", lambda m, x: x.unsqueeze(0).expand(2, -1, -1)), ("expand_as", lambda m, x: x[:1].expand_as(x)),
        ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3, 5))),
        ("repeat", lambda m, x: x.repeat(2, 1)), ("repeat(3d)", lambda m, x: x.repeat(1, 2, 1)),
        ("tile", lambda m, x: m.tile(x, (2,))), ("flip", lambda m, x: m.flip(x, (0, 1))),
        ("roll", lambda m, x: m.roll(x, 2, 1)), ("roll(flat)", lambda m, x: m.roll(x, -4)),
        ("split", lambda m, x: m.split(x, 2, 1)), ("split(list)", lambda m, x: x.split([1, 4], 1)),
        ("chunk", lambda m, x: x.chunk(2, 1)), ("tensor_split", lambda m, x: m.tensor_split(x, 3, 1)),
        ("cat", lambda m, x: m.cat([x, x], 1)), ("cat(empty1d)", lambda m, x: m.cat([x, m.tensor([])])),
        ("cat(mixed)", lambda m, x: m.cat([x, x.double()])), ("stack", lambda m, x: m.stack([x, x], -1)),
        ("hstack", lambda m, x: m.hstack([x, x])), ("vstack", lambda m, x: m.vstack([x, x])),
        ("contiguous", lambda m, x: x.contiguous()), ("clone", lambda m, x: x.clone()),
        ("tril", lambda m, x: m.tril(x, 1)), ("triu", lambda m, x: m.triu(x, -1)),
        ("diagonal", lambda m, x: m.diagonal(x, 1)), ("diag", lambda m, x: m.diag(x)),
        ("unflatten", lambda m, x: x.reshape(-1).unflatten(0, (3, 5))), ("ravel", lambda m, x: x.ravel()),
        ("swapaxes", lambda m, x: x.swapaxes(0, 1)), ("atleast_3d", lambda m, x: m.atleast_3d(x)),
        ("rot90", lambda m, x: m.rot90(x)), ("trace", lambda m, x: m.trace(x)),
        ("type_as", lambda m, x: x.type_as(m.tensor([1.0]))), ("to(float64)", lambda m, x: x.to(m.float64)),
        ("to(int8)", lambda m, x: x.to(m.int8)), ("double", lambda m, x: x.double()), ("long", lambda m, x: x.long()),
        ("bool", lambda m, x: x.bool()), ("half", lambda m, x: x.half()), ("int", lambda m, x: x.int()),
        ("float", lambda m, x: x.float()), ("byte", lambda m, x: x.byte()), ("to(same)", lambda m, x: x.to(x.dtype)),
        ("item", lambda m, x: x[0, 0].item()), ("tolist", lambda m, x: x.tolist()),
        ("size", lambda m, x: x.size()), ("size(-1)", lambda m, x: x.size(-1)), ("stride", lambda m, x: x.stride()),
        ("numel", lambda m, x: x.numel()), ("dim", lambda m, x: x.dim()),
        ("is_contiguous", lambda m, x: x.is_contiguous()), ("is_floating_point", lambda m, x: x.is_floating_point()),
        ("storage_offset", lambda m, x: x.storage_offset()),
        ("nonzero(as_tuple)", lambda m, x: x.nonzero(as_tuple=True)),
        ("argwhere", lambda m, x: m.argwhere(x)), ("masked_select", lambda m, x: x.masked_select(x > 1)),
        ("bool(x)", lambda m, x: bool(x[0, 0])), ("int(x)", lambda m, x: int(x[0, 0])),
        ("float(x)", lambda m, x: float(x[0, 0])), ("len", lambda m, x: len(x)),
        ("new_zeros", lambda m, x: x.new_zeros(2, 3)), ("new_ones", lambda m, x: x.new_ones((2,))),
        ("new_full", lambda m, x: x.new_full((2,), 3)), ("new_tensor", lambda m, x: x.new_tensor([1, 2])),
        ("new_empty", lambda m, x: x.new_empty(2).shape),
        ("empty_like", lambda m, x: (m.empty_like(x).dtype, m.empty_like(x).shape, m.empty_like(x).stride())),
    ]
    for name, fn in cases:
        for dt in DTYPES:
            lays = ["odd", "T", "step", "expand"] if dt in ("float32", "int64", "bool") else ["odd", "T"]
            for lay in lays:
                s.run(name, fn, [Desc(dt, lay, special=False)], view_check=V)
        s.run(name + "(grad)", fn, [Desc("float64", "odd", special=False, grad=True)], grad=True)
    for dt in ["float32", "int64"]:
        for lay in ["0d", "empty", "one"]:
            for name, fn in cases[:30]:
                s.run(name, fn, [Desc(dt, lay, special=False)], view_check=V)
        s.run("squeeze(bad dim)", lambda m, x: x.squeeze(5), [Desc(dt, "odd")])
        s.run("view(bad)", lambda m, x: x.view(4, 4), [Desc(dt, "odd")])
        s.run("view(noncontig)", lambda m, x: x.view(15), [Desc(dt, "T")])
        s.run("reshape(bad)", lambda m, x: x.reshape(4, -1), [Desc(dt, "odd")])
        s.run("permute(bad)", lambda m, x: x.permute(0, 0), [Desc(dt, "odd")])
        s.run("transpose(bad)", lambda m, x: x.transpose(0, 2), [Desc(dt, "odd")])
        s.run("expand(bad)", lambda m, x: x.expand(3, 4), [Desc(dt, "odd")])
        s.run("cat(bad)", lambda m, x: m.cat([x, x.t()]), [Desc(dt, "odd")])
        s.run("narrow(bad)", lambda m, x: x.narrow(1, 4, 3), [Desc(dt, "odd")])
        s.run("item(bad)", lambda m, x: x.item(), [Desc(dt, "odd")])


def sweep_indexing(s: Sweep) -> None:
    idx = Desc("int64", values=np.array([[0, 2, 1, 0, 4], [1, 1, 0, 3, 2], [2, 0, 0, 1, 4]]))
    idx1 = Desc("int64", values=np.array([2, 0, 2, 1]))
    idxneg = Desc("int64", values=np.array([-1, 0, 1]))
    idxbad = Desc("int64", values=np.array([0, 5]))
    mask = Desc("bool", "odd")
    for dt in DTYPES:
        src = Desc(dt, "odd", seed=9)
        for lay in ["odd", "T", "step"]:
            x = Desc(dt, lay)
            s.run("gather", lambda m, x, i: m.gather(x, 1, i), [x, idx])
            s.run("gather(0)", lambda m, x, i: x.gather(0, i[:, :3] % 3), [x, idx])
            s.run("scatter", lambda m, x, i, sv: m.scatter(x, 1, i, sv), [x, idx, src])
            s.run("scatter(value)", lambda m, x, i: x.scatter(1, i, 2), [x, idx])
            for red in ["add", "multiply"]:
                s.run("scatter(reduce)", lambda m, x, i, sv, r=red: m.scatter(x, 1, i, sv, reduce=r), [x, idx, src])
            s.run("scatter_add", lambda m, x, i, sv: m.scatter_add(x, 1, i, sv), [x, idx, src])
            for red in ["sum", "prod", "mean", "amax", "amin"]:
                for inc in [True, False]:
                    s.run("scatter_reduce", lambda m, x, i, sv, r=red, inc=inc:
                          m.scatter_reduce(x, 1, i, sv, r, include_self=inc), [x, idx, src])
            s.run("index_select", lambda m, x, i: m.index_select(x, 1, i), [x, idx1])
            s.run("index_select(0)", lambda m, x, i: x.index_select(0, i), [x, idxneg])
            s.run("take", lambda m, x, i: m.take(x, i), [x, idx])
            s.run("take_along_dim", lambda m, x, i: m.take_along_dim(x, i, 1), [x, idx])
            s.run("masked_fill", lambda m, x, k: x.masked_fill(k, 2), [x, mask])
            s.run("masked_fill(float)", lambda m, x, k: m.masked_fill(x, k, -1.5), [x, mask])
            s.run("masked_fill(0d)", lambda m, x, k: x.masked_fill(k, m.tensor(3)), [x, mask])
            s.run("masked_select", lambda m, x, k: m.masked_select(x, k), [x, mask])
            s.run("masked_scatter", lambda m, x, k, sv: x.masked_scatter(k, sv), [x, mask, src])
            s.run("index_add", lambda m, x, i, sv: x.index_add(1, i, sv[:, :4]), [x, idx1, src])
            s.run("index_add(alpha)", lambda m, x, i, sv: x.index_add(1, i, sv[:, :4], alpha=2), [x, idx1, src])
            s.run("index_copy", lambda m, x, i, sv: x.index_copy(1, i[:3] * 0 + m.tensor([0, 1, 2]), sv[:, :3]),
                  [x, idx1, src])
            s.run("index_fill", lambda m, x, i: x.index_fill(1, i, -1), [x, idx1])
            s.run("put", lambda m, x, i, sv: x.put(i, sv[0, :4]), [x, idx1, src])
            s.run("put(acc)", lambda m, x, i, sv: x.put(i, sv[0, :4], accumulate=True), [x, idx1, src])
            s.run("getitem[int]", lambda m, x: x[1], [x], view_check=True)
            s.run("getitem[-1,::2]", lambda m, x: x[-1, ::2], [x], view_check=True)
            s.run("getitem[None,...,1]", lambda m, x: x[None, ..., 1], [x], view_check=True)
            s.run("getitem[tensor]", lambda m, x, i: x[i], [x, idxneg])
            s.run("getitem[:,tensor]", lambda m, x, i: x[:, i], [x, idx1])
            s.run("getitem[t,t]", lambda m, x, i, j: x[i, j], [x, idxneg, idx1[:3] if False else idxneg])
            s.run("getitem[mask]", lambda m, x, k: x[k], [x, mask])
            s.run("getitem[list]", lambda m, x: x[[0, 2]], [x])
            s.run("getitem[bool]", lambda m, x: x[True], [x])
            s.run("getitem[0d idx]", lambda m, x: x[m.tensor(1)], [x])
            s.run("getitem[oob]", lambda m, x: x[3], [x])
            s.run("getitem[tensor oob]", lambda m, x, i: x[:, i], [x, idxbad])
            s.run("gather(oob)", lambda m, x, i: x.gather(1, i + 5), [x, idx])
            s.run("index_select(oob)", lambda m, x, i: x.index_select(1, i + 5), [x, idx1])
            s.run("setitem[mask]=s", lambda m, x, k: (x.__setitem__(k, 1), x)[1], [x, mask], inplace_of=0)
            s.run("setitem[i]=t", lambda m, x, sv: (x.__setitem__(1, sv[0]), x)[1], [x, src], inplace_of=0)
            s.run("setitem[:,t]=s", lambda m, x, i: (x.__setitem__((slice(None), i), 2.5), x)[1], [x, idx1],
                  inplace_of=0)
            s.run("index_put_(acc)", lambda m, x, i, sv: x.index_put_((i,), sv[0, :4], accumulate=True) if x.dim()
                  else x, [Desc(dt, "row"), idx1, src], inplace_of=0)
            s.run("scatter_", lambda m, x, i, sv: x.scatter_(1, i, sv), [x, idx, src], inplace_of=0)
            s.run("scatter_add_", lambda m, x, i, sv: x.scatter_add_(1, i, sv), [x, idx, src], inplace_of=0)
            s.run("masked_fill_", lambda m, x, k: x.masked_fill_(k, 7), [x, mask], inplace_of=0)
            s.run("index_fill_", lambda m, x, i: x.index_fill_(1, i, 3), [x, idx1], inplace_of=0)
            s.run("index_add_", lambda m, x, i, sv: x.index_add_(1, i, sv[:, :4]), [x, idx1, src], inplace_of=0)
            s.run("fill_", lambda m, x: x.fill_(3), [x], inplace_of=0)
            s.run("copy_", lambda m, x, sv: x.copy_(sv), [x, Desc("float64", "row")], inplace_of=0)
            s.run("zero_", lambda m, x: x.zero_(), [x], inplace_of=0)
    for dt in DTYPES[1:]:
        s.run("gather(int32 idx)", lambda m, x, i: x.gather(1, i.int()), [Desc(dt, "odd"), idx])
        s.run("index_select(int32)", lambda m, x, i: x.index_select(1, i.int()), [Desc(dt, "odd"), idx1])
        s.run("getitem[int32 t]", lambda m, x, i: x[i.int()], [Desc(dt, "odd"), idxneg])
        s.run("getitem[uint8 t]", lambda m, x: x[m.tensor([1, 0, 1], dtype=m.uint8)], [Desc(dt, "odd")])
        s.run("getitem[float idx]", lambda m, x: x[m.tensor([1.0])], [Desc(dt, "odd")])
    for name, fn, args in [
        ("gather", lambda m, x, i: x.gather(1, i), [Desc("float64", "odd", special=False, grad=True), idx]),
        ("scatter", lambda m, x, i, sv: x.scatter(1, i, sv), [Desc("float64", "odd", special=False, grad=True), idx,
                                                              Desc("float64", "odd", special=False, grad=True)]),
        ("scatter_add", lambda m, x, i, sv: x.scatter_add(1, i, sv),
         [Desc("float64", "odd", special=False, grad=True), idx, Desc("float64", "odd", special=False, grad=True)]),
        ("index_select", lambda m, x, i: x.index_select(1, i), [Desc("float64", "odd", special=False, grad=True),
                                                                idx1]),
        ("getitem[t]", lambda m, x, i: x[:, i], [Desc("float64", "odd", special=False, grad=True), idx1]),
        ("getitem[mask]", lambda m, x, k: x[k], [Desc("float64", "odd", special=False, grad=True), mask]),
        ("masked_fill", lambda m, x, k: x.masked_fill(k, 0.0), [Desc("float64", "odd", special=False, grad=True),
                                                                mask]),
        ("take", lambda m, x, i: x.take(i), [Desc("float64", "odd", special=False, grad=True), idx]),
        ("where", lambda m, k, x, y: m.where(k, x, y), [mask, Desc("float64", "odd", special=False, grad=True),
                                                        Desc("float64", "row", special=False, grad=True)]),
        ("index_add", lambda m, x, i, sv: x.index_add(1, i, sv[:, :4]),
         [Desc("float64", "odd", special=False, grad=True), idx1, Desc("float64", "odd", special=False, grad=True)]),
    ]:
        s.run(name + "(grad)", fn, args, grad=True)


def sweep_sorting(s: Sweep) -> None:
    for dt in DTYPES:
        for lay in ["odd", "T", "0d", "empty", "one", "step", "3d"]:
            x = Desc(dt, lay)
            for kw in [{}, {"dim": 0}, {"descending": True}, {"stable": True, "dim": 0}]:
                s.run("sort", lambda m, x, kw=kw: m.sort(x, **kw), [x], case=f"{x}, {kw}")
                s.run("argsort", lambda m, x, kw=kw: m.argsort(x, **kw), [x], case=f"{x}, {kw}")
            s.run("msort", lambda m, x: m.msort(x), [x])
            for k in [0, 1, 3]:
                s.run("topk", lambda m, x, k=k: m.topk(x, k), [x], case=f"{x}, k={k}")
                s.run("topk(smallest)", lambda m, x, k=k: m.topk(x, k, largest=False, dim=0), [x], case=f"{x}, k={k}")
            s.run("kthvalue", lambda m, x: m.kthvalue(x, 1), [x])
            s.run("kthvalue(dim0,keep)", lambda m, x: m.kthvalue(x, 2, 0, True), [x])
            s.run("unique", lambda m, x: m.unique(x), [x])
            s.run("unique(all)", lambda m, x: m.unique(x, return_inverse=True, return_counts=True), [x])
            s.run("unique(dim)", lambda m, x: m.unique(x, dim=0), [x])
            s.run("unique_consecutive", lambda m, x: m.unique_consecutive(x, return_counts=True), [x])
            s.run("max(dim)", lambda m, x: m.max(x, 0), [x])
            s.run("isin", lambda m, x: m.isin(x, m.tensor([1, 2, 3], dtype=x.dtype)), [x])
        sd = Desc(dt, values=np.sort(pool(dt, special=False, n=6)))
        for side in ["left", "right"]:
            s.run("searchsorted", lambda m, a, v, side=side: m.searchsorted(a, v, side=side), [sd, Desc(dt, "odd")])
            s.run("bucketize", lambda m, v, a, side=side: m.bucketize(v, a, right=side == "right"),
                  [Desc(dt, "odd"), sd])
        s.run("searchsorted(scalar)", lambda m, a: m.searchsorted(a, 2), [sd])
        s.run("searchsorted(int32)", lambda m, a, v: m.searchsorted(a, v, out_int32=True), [sd, Desc(dt, "odd")])
        s.run("histc", lambda m, x: m.histc(x, 4), [Desc(dt, "odd", special=False)])
        s.run("bincount", lambda m, x: m.bincount(x), [Desc(dt, "row", special=False)])
        s.run("bincount(w)", lambda m, x: m.bincount(x, weights=m.ones(5)), [Desc(dt, "row", special=False)])
    for name, fn in [("sort", lambda m, x: m.sort(x, 1)), ("topk", lambda m, x: m.topk(x, 2)),
                     ("kthvalue", lambda m, x: m.kthvalue(x, 2)), ("cummax", lambda m, x: m.cummax(x, 0)),
                     ("max(dim)", lambda m, x: m.max(x, 1)), ("median(dim)", lambda m, x: m.median(x, 1))]:
        s.run(name + "(grad)", fn, [Desc("float64", "odd", special=False, grad=True)], grad=True)


def sweep_creation(s: Sweep) -> None:
    D = "DTYPE_F64"
    cases = [
        ("zeros", lambda m: m.zeros(2, 3)), ("zeros(tuple)", lambda m: m.zeros((2, 3), dtype=m.int8)),
        ("zeros()", lambda m: m.zeros(())), ("zeros(0)", lambda m: m.zeros(0)), ("ones", lambda m: m.ones(3)),
        ("ones(bool)", lambda m: m.ones(2, dtype=m.bool)), ("empty", lambda m: m.empty(2, 3).shape),
        ("full(int)", lambda m: m.full((2,), 3)), ("full(float)", lambda m: m.full((2,), 2.5)),
        ("full(bool)", lambda m: m.full((2,), True)), ("full(dtype)", lambda m: m.full((2,), 7, dtype=m.uint8)),
        ("full(0d t)", lambda m: m.full((2,), m.tensor(3))), ("full(neg)", lambda m: m.full((-1,), 3)),
        ("arange(5)", lambda m: m.arange(5)), ("arange(float)", lambda m: m.arange(0, 1, 0.25)),
        ("arange(int,float)", lambda m: m.arange(1, 4.5)), ("arange(neg step)", lambda m: m.arange(5, 0, -2)),
        ("arange(dtype)", lambda m: m.arange(5, dtype=m.float64)), ("arange(empty)", lambda m: m.arange(3, 3)),
        ("arange(bad)", lambda m: m.arange(0, 5, -1)), ("arange(0 step)", lambda m: m.arange(0, 5, 0)),
        ("arange(0d t)", lambda m: m.arange(m.tensor(4))), ("arange(int8)", lambda m: m.arange(5, dtype=m.int8)),
        ("arange(float step)", lambda m: m.arange(0, 1, 0.1)), ("arange(float16)", lambda m: m.arange(0, 2, 0.5,
                                                                                                      dtype=m.float16)),
        ("linspace", lambda m: m.linspace(0, 1, 5)), ("linspace(1)", lambda m: m.linspace(2, 3, 1)),
        ("linspace(0)", lambda m: m.linspace(2, 3, 0)), ("linspace(int dtype)", lambda m: m.linspace(0, 10, 4,
                                                                                                     dtype=m.int64)),
        ("linspace(neg)", lambda m: m.linspace(0, 1, -1)), ("logspace", lambda m: m.logspace(0, 2, 3)),
        ("logspace(base)", lambda m: m.logspace(0, 3, 4, base=2)), ("eye", lambda m: m.eye(3)),
        ("eye(n,m)", lambda m: m.eye(2, 4, dtype=m.int32)), ("eye(0)", lambda m: m.eye(0)),
        ("tensor(ints)", lambda m: m.tensor([1, 2, 3])), ("tensor(floats)", lambda m: m.tensor([1, 2.5])),
        ("tensor(bools)", lambda m: m.tensor([True, False])), ("tensor(mixed bool int)", lambda m: m.tensor([True, 2])),
        ("tensor(scalar)", lambda m: m.tensor(3.5)), ("tensor(int scalar)", lambda m: m.tensor(3)),
        ("tensor([])", lambda m: m.tensor([])), ("tensor([[]])", lambda m: m.tensor([[]])),
        ("tensor(nested)", lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.float16)),
        ("tensor(ragged)", lambda m: m.tensor([[1, 2], [3]])), ("tensor(big int)", lambda m: m.tensor([2 ** 40])),
        ("tensor(overflow)", lambda m: m.tensor([2 ** 64])), ("tensor(tensors)", lambda m: m.tensor([m.tensor(1.5),
                                                                                                   m.tensor(2)])),
        ("tensor(np f64)", lambda m: m.tensor(np.float64(2.5))), ("tensor(np i32 arr)", lambda m: m.tensor(
            np.array([1, 2], dtype=np.int32))), ("as_tensor", lambda m: m.as_tensor([1, 2], dtype=m.float32)),
        ("tensor(uint8 neg)", lambda m: m.tensor([-1], dtype=m.uint8)),
        ("tensor(float->int)", lambda m: m.tensor([1.7, -1.7], dtype=m.int64)),
        ("zeros_like(dtype)", lambda m: m.zeros_like(m.ones(2, 3), dtype=m.int64)),
        ("full_like", lambda m: m.full_like(m.ones(2, dtype=m.int32), 2.7)),
        ("full_like(dtype)", lambda m: m.full_like(m.ones(2), 5, dtype=m.int16)),
        ("ones_like(T)", lambda m: m.ones_like(m.ones(2, 3).t()).stride()),
        ("empty_like(T)", lambda m: m.empty_like(m.ones(2, 3).t()).stride()),
        ("zeros_like(T)", lambda m: m.zeros_like(m.ones(2, 3).t()).stride()),
        ("tril_indices", lambda m: m.tril_indices(3, 3)), ("triu_indices", lambda m: m.triu_indices(3, 4, 1)),
        ("complex dtype", lambda m: m.zeros(2, dtype=D)), ("empty(-1)", lambda m: m.empty(-1)),
        ("default dtype", lambda m: m.get_default_dtype()), ("result_type", lambda m: m.result_type(
            m.tensor([1], dtype=m.int8), 2.5)), ("promote_types", lambda m: m.promote_types(m.uint8, m.int8)),
        ("can_cast", lambda m: m.can_cast(m.float32, m.int32)), ("iinfo", lambda m: m.iinfo(m.int16).max),
        ("finfo.eps", lambda m: m.finfo(m.float16).eps), ("finfo.tiny", lambda m: m.finfo(m.float32).tiny),
        ("finfo()", lambda m: m.finfo().max),
        ("meshgrid", lambda m: m.meshgrid(m.arange(2), m.arange(3), indexing="ij")),
        ("meshgrid(xy)", lambda m: m.meshgrid(m.arange(2), m.arange(3), indexing="xy")),
        ("cartesian_prod", lambda m: m.cartesian_prod(m.arange(2), m.arange(3))),
        ("polar?", lambda m: m.heaviside(m.tensor([0.0, -1.0]), m.tensor(0.5))),
        ("scalar_tensor", lambda m: m.scalar_tensor(3)),
        ("complex", lambda m: m.arange(3).dtype),
    ]
    for name, fn in cases:
        s.run(name, fn, [])
    for dt in DTYPES:
        for fill in [3, 2.5, True, -1]:
            s.run("full(dtype,fill)", lambda m, f=fill, d=dt: m.full((2,), f, dtype=getattr(m, d)), [],
                  case=f"{dt}, fill={fill}")
        s.run("arange(dtype)", lambda m, d=dt: m.arange(0, 6, 2, dtype=getattr(m, d)), [], case=dt)
        s.run("linspace(dtype)", lambda m, d=dt: m.linspace(-2, 5, 5, dtype=getattr(m, d)), [], case=dt)
        s.run("zeros(dtype)", lambda m, d=dt: m.zeros(2, dtype=getattr(m, d)), [], case=dt)
        s.run("eye(dtype)", lambda m, d=dt: m.eye(2, dtype=getattr(m, d)), [], case=dt)
        s.run("tensor(list,dtype)", lambda m, d=dt: m.tensor([0, 1, 2.5], dtype=getattr(m, d)), [], case=dt)


def sweep_functional(s: Sweep) -> None:
    F = lambda m: m.nn.functional  # noqa: E731
    acts = [("relu", {}), ("relu6", {}), ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
            ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("leaky_relu", {}),
            ("leaky_relu", {"negative_slope": 0.2}), ("softplus", {}), ("softplus", {"beta": 2, "threshold": 1}),
            ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2}), ("sigmoid", {}), ("tanh", {}),
            ("hardsigmoid", {}), ("hardswish", {}), ("mish", {}), ("logsigmoid", {}), ("softsign", {}),
            ("tanhshrink", {}), ("hardshrink", {}), ("softshrink", {"lambd": 1.0}), ("threshold", {"threshold": 0.5,
                                                                                                    "value": -2.0}),
            ("softmax", {"dim": 1}), ("softmax", {"dim": 0, "dtype": "DTYPE_F64"}), ("log_softmax", {"dim": -1}),
            ("softmin", {"dim": 1}), ("glu", {"dim": 0}), ("normalize", {}), ("normalize", {"p": 1, "dim": 0}),
            ("dropout", {"p": 0.0}), ("dropout", {"training": False}), ("rrelu", {"training": False}),
            ("gumbel_softmax?", None)]
    for name, kw in acts:
        if kw is None:
            continue
        def fn(m, x, n=name, kw=kw):
            return getattr(F(m), n)(x, **{k: make(m, v) for k, v in kw.items()})

        for dt in DTYPES:
            for lay in ["odd", "T", "0d", "empty"]:
                s.run(f"F.{name}", fn, [Desc(dt, lay)], case=f"{dt}:{lay}, {kw}")
        s.run(f"F.{name}(grad)", fn, [Desc("float64", "odd", special=False, grad=True)], grad=True,
              case=f"float64, {kw}")
        if name in ("relu", "elu", "leaky_relu", "hardtanh", "silu", "hardsigmoid", "hardswish", "selu", "celu",
                    "mish", "relu6", "threshold", "dropout", "rrelu"):
            s.run(f"F.{name}(inplace)", lambda m, x, n=name, kw=kw: getattr(F(m), n)(x, inplace=True, **kw),
                  [Desc("float32", "odd")], inplace_of=0)
    tgt_cls = Desc("int64", values=np.array([0, 4, 2]))
    tgt_cls_ign = Desc("int64", values=np.array([0, -100, 2]))
    tgt01 = Desc("float64", values=np.array([[0, 1, 1, 0, 0.5]] * 3))
    for dt in FLOATS:
        x = Desc(dt, "odd", special=False, grad=dt == "float64")
        y = Desc(dt, "odd", special=False, seed=3)
        p = Desc(dt, values=np.array([[0.1, 0.9, 0.5, 0.3, 0.7]] * 3, dtype=dt), grad=dt == "float64")
        g = dt == "float64"
        for red in ["mean", "sum", "none"]:
            for name in ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss"]:
                s.run(f"F.{name}", lambda m, a, b, n=name, r=red: getattr(F(m), n)(a, b, reduction=r), [x, y],
                      grad=g)
            s.run("F.cross_entropy", lambda m, a, t, r=red: F(m).cross_entropy(a, t, reduction=r), [x, tgt_cls],
                  grad=g)
            s.run("F.cross_entropy(ignore)", lambda m, a, t, r=red: F(m).cross_entropy(a, t, reduction=r),
                  [x, tgt_cls_ign], grad=g)
            s.run("F.cross_entropy(smooth)", lambda m, a, t, r=red: F(m).cross_entropy(a, t, reduction=r,
                                                                                      label_smoothing=0.1),
                  [x, tgt_cls], grad=g)
            s.run("F.cross_entropy(probs)", lambda m, a, t, r=red: F(m).cross_entropy(a, t.to(a.dtype).softmax(1),
                                                                                     reduction=r), [x, y], grad=g)
            s.run("F.nll_loss", lambda m, a, t, r=red: F(m).nll_loss(a, t, reduction=r), [x, tgt_cls], grad=g)
            s.run("F.nll_loss(weight)", lambda m, a, t, r=red: F(m).nll_loss(
                a, t, weight=m.arange(1.0, 6.0, dtype=a.dtype), reduction=r), [x, tgt_cls], grad=g)
            s.run("F.binary_cross_entropy", lambda m, a, t, r=red: F(m).binary_cross_entropy(a, t.to(a.dtype),
                                                                                            reduction=r),
                  [p, tgt01], grad=g)
            s.run("F.bce_with_logits", lambda m, a, t, r=red: F(m).binary_cross_entropy_with_logits(
                a, t.to(a.dtype), reduction=r), [x, tgt01], grad=g)
            s.run("F.bce_with_logits(pos_weight)", lambda m, a, t, r=red: F(m).binary_cross_entropy_with_logits(
                a, t.to(a.dtype), reduction=r, pos_weight=m.full((5,), 2.0, dtype=a.dtype)), [x, tgt01], grad=g)
            s.run("F.kl_div", lambda m, a, t, r=red: F(m).kl_div(a, t.to(a.dtype), reduction=r), [x, tgt01],
                  grad=g)
            s.run("F.poisson_nll_loss", lambda m, a, t, r=red: F(m).poisson_nll_loss(a, t.to(a.dtype),
                                                                                    reduction=r), [x, tgt01], grad=g)
        s.run("F.cross_entropy(batchmean?)", lambda m, a, t: F(m).kl_div(a, t.to(a.dtype), reduction="batchmean"),
              [x, tgt01], grad=g)
        s.run("F.cross_entropy(K-dim)", lambda m, a, t: F(m).cross_entropy(a.reshape(1, 3, 5), t.reshape(1, 5) % 3),
              [x, Desc("int64", values=np.array([0, 1, 2, 1, 0]))], grad=g)
        s.run("F.mse_loss(broadcast)", lambda m, a, b: F(m).mse_loss(a, b[0]), [x, y])
        s.run("F.cross_entropy(bad tgt)", lambda m, a: F(m).cross_entropy(a, m.tensor([0, 7, 1])), [x])
        s.run("F.cross_entropy(float tgt shape)", lambda m, a: F(m).cross_entropy(a, m.tensor([0.0, 1.0, 1.0])), [x])
        s.run("F.layer_norm", lambda m, a: F(m).layer_norm(a, (5,)), [x], grad=g)
        s.run("F.layer_norm(w,b)", lambda m, a, w: F(m).layer_norm(a, (5,), w, w * 0.5), [x, Desc(dt, "row", False,
                                                                                                grad=g)], grad=g)
        s.run("F.rms_norm", lambda m, a: F(m).rms_norm(a, (5,)), [x], grad=g)
        s.run("F.batch_norm(train)", lambda m, a: F(m).batch_norm(a, None, None, training=True), [x], grad=g)
        s.run("F.batch_norm(eval)",
              lambda m, a: F(m).batch_norm(a, m.zeros(5, dtype=a.dtype), m.ones(5, dtype=a.dtype)),
              [x], grad=g)
        s.run("F.batch_norm(stats)", lambda m, a: (lambda rm, rv: (F(m).batch_norm(a, rm, rv, training=True), rm, rv))(
            m.zeros(5, dtype=a.dtype), m.ones(5, dtype=a.dtype)), [x])
        s.run("F.group_norm", lambda m, a: F(m).group_norm(a.reshape(1, 3, 5), 3), [x], grad=g)
        s.run("F.instance_norm", lambda m, a: F(m).instance_norm(a.reshape(1, 3, 5)), [x], grad=g)
        s.run("F.linear", lambda m, a, w: F(m).linear(a, w.reshape(3, 5), w[0, :3]), [x, Desc(dt, "odd", False, 2,
                                                                                            grad=g)], grad=g)
        s.run("F.linear(1d)", lambda m, a, w: F(m).linear(a[0], w.reshape(3, 5)), [x, y])
        s.run("F.embedding", lambda m, i, w: F(m).embedding(i, w), [tgt_cls, Desc(dt, "T", False, grad=g)], grad=g)
        s.run("F.embedding(padding_idx)", lambda m, i, w: F(m).embedding(i, w, padding_idx=0),
              [tgt_cls, Desc(dt, "odd", False, grad=g)], grad=g)
        s.run("F.one_hot", lambda m, i: F(m).one_hot(i), [tgt_cls])
        s.run("F.one_hot(n)", lambda m, i: F(m).one_hot(i, 6), [tgt_cls])
        s.run("F.cosine_similarity", lambda m, a, b: F(m).cosine_similarity(a, b), [x, y], grad=g)
        s.run("F.pairwise_distance", lambda m, a, b: F(m).pairwise_distance(a, b), [x, y], grad=g)
        s.run("F.pad", lambda m, a: F(m).pad(a, (1, 2)), [x], grad=g)
        s.run("F.pad(value)", lambda m, a: F(m).pad(a, (1, 0, 0, 1), value=2.5), [x])
        img = Desc(dt, values=pool(dt, special=False, n=50).reshape(1, 2, 5, 5), grad=g)
        for name, kw in [("max_pool2d", {"kernel_size": 2}), ("max_pool2d", {"kernel_size": 3, "stride": 1,
                                                                              "padding": 1}),
                         ("max_pool2d", {"kernel_size": 2, "ceil_mode": True}), ("avg_pool2d", {"kernel_size": 2}),
                         ("avg_pool2d", {"kernel_size": 3, "padding": 1, "count_include_pad": False}),
                         ("adaptive_avg_pool2d", {"output_size": 2}), ("adaptive_max_pool2d", {"output_size": (2, 3)}),
                         ("conv2d", None), ("interpolate", {"scale_factor": 2}),
                         ("interpolate", {"size": (3, 4), "mode": "bilinear"}),
                         ("interpolate", {"size": (7, 7), "mode": "bilinear", "align_corners": True})]:
            if kw is None:
                s.run("F.conv2d", lambda m, a: F(m).conv2d(a, m.ones(3, 2, 2, 2, dtype=a.dtype), padding=1), [img],
                      grad=g)
                continue
            s.run(f"F.{name}", lambda m, a, n=name, kw=kw: getattr(F(m), n)(a, **kw), [img], grad=g,
                  case=f"{dt}, {kw}")
    s.run("F.scaled_dot_product_attention", lambda m, q, k, v: F(m).scaled_dot_product_attention(q, k, v),
          [Desc("float64", values=pool("float64", False, 24).reshape(1, 4, 6), grad=True),
           Desc("float64", values=pool("float64", False, 24, 1).reshape(1, 4, 6), grad=True),
           Desc("float64", values=pool("float64", False, 24, 2).reshape(1, 4, 6), grad=True)], grad=True)
    s.run("F.scaled_dot_product_attention(causal)", lambda m, q: F(m).scaled_dot_product_attention(q, q, q,
                                                                                                   is_causal=True),
          [Desc("float64", values=pool("float64", False, 24).reshape(1, 4, 6), grad=True)], grad=True)
    for dt in ["int64", "bool", "float16"]:
        s.run("F.softmax(int)", lambda m, a: F(m).softmax(a, 0), [Desc(dt, "odd")])
        s.run("F.mse_loss(int)", lambda m, a: F(m).mse_loss(a, a), [Desc(dt, "odd")])
        s.run("F.relu(int)", lambda m, a: F(m).relu(a), [Desc(dt, "odd")])


def sweep_linalg(s: Sweep) -> None:
    sq = lambda dt, seed=0, g=False: Desc(dt, values=pool(dt, False, 9, seed).reshape(3, 3) + (  # noqa: E731
        np.eye(3, dtype=dt) * 3 if dt in FLOATS else 0), grad=g)
    for dt in DTYPES:
        a, b = Desc(dt, "odd", False), Desc(dt, "T", False, seed=3)
        v5, v3 = Desc(dt, "row", False), Desc(dt, values=pool(dt, False, 3, 1))
        s.run("matmul", lambda m, a, b: m.matmul(a, b.t()), [a, b])
        s.run("matmul(1d,2d)", lambda m, a, b: m.matmul(a, b), [v3, a])
        s.run("matmul(2d,1d)", lambda m, a, b: a @ b, [a, v5])
        s.run("matmul(1d,1d)", lambda m, a: a @ a, [v5])
        s.run("matmul(batched)", lambda m, a, b: m.matmul(a.reshape(3, 1, 5), b.reshape(5, 3)), [a, b])
        s.run("matmul(bad)", lambda m, a: a @ a, [a])
        s.run("mm", lambda m, a, b: m.mm(a, b), [a, b])
        s.run("bmm", lambda m, a, b: m.bmm(a.reshape(1, 3, 5), b.reshape(1, 5, 3)), [a, b])
        s.run("mv", lambda m, a, b: m.mv(a, b), [a, v5])
        s.run("dot", lambda m, a: m.dot(a, a), [v5])
        s.run("dot(mixed)", lambda m, a: m.dot(a, a.double()), [v5])
        s.run("outer", lambda m, a, b: m.outer(a, b), [v5, v3])
        s.run("addmm", lambda m, c, a, b: m.addmm(c, a, b), [Desc(dt, values=pool(dt, False, 3)), a, b])
        s.run("addmm(beta,alpha)", lambda m, c, a, b: m.addmm(c, a, b, beta=0, alpha=2), [Desc(dt, "0d"), a, b])
        s.run("einsum", lambda m, a, b: m.einsum("ij,jk->ik", a, b), [a, b])
        s.run("einsum(trace)", lambda m, a: m.einsum("ii", a), [sq(dt)])
        s.run("tensordot", lambda m, a, b: m.tensordot(a, b, 1), [a, b])
        s.run("kron", lambda m, a, b: m.kron(a, b), [v5, v3])
        s.run("cross", lambda m, a, b: m.linalg.cross(a, b), [v3, Desc(dt, values=pool(dt, False, 3, 4))])
        s.run("inner", lambda m, a: m.inner(a, a), [a])
        s.run("vdot", lambda m, a: m.vdot(a, a), [v5])
        for o in [None, 1, 2, float("inf"), -float("inf"), 0, 3]:
            s.run("linalg.vector_norm", lambda m, x, o=o: m.linalg.vector_norm(x, o if o is not None else 2), [a])
        for o in ["fro", "nuc", 1, -1, 2, float("inf")]:
            s.run("linalg.matrix_norm", lambda m, x, o=o: m.linalg.matrix_norm(x, o), [sq(dt)])
        s.run("linalg.norm", lambda m, x: m.linalg.norm(x), [a])
        s.run("linalg.norm(dim)", lambda m, x: m.linalg.norm(x, dim=1), [a])
        for name in ["det", "inv", "slogdet", "matrix_rank", "pinv", "eigvalsh", "svdvals", "cholesky", "qr",
                     "matrix_exp", "cond"]:
            s.run(f"linalg.{name}", lambda m, x, n=name: getattr(m.linalg, n)(x if n != "cholesky" else x @ x.mT),
                  [sq(dt)], loose=True)
        s.run("linalg.solve", lambda m, x, y: m.linalg.solve(x, y), [sq(dt), sq(dt, 4)], loose=True)
        s.run("linalg.matrix_power", lambda m, x: m.linalg.matrix_power(x, 3), [sq(dt)])
        s.run("linalg.matrix_power(-1)", lambda m, x: m.linalg.matrix_power(x, -1), [sq(dt)], loose=True)
    for name, fn, n_in in [("matmul", lambda m, a, b: a @ b, 2), ("linalg.det", lambda m, a: m.linalg.det(a), 1),
                           ("linalg.inv", lambda m, a: m.linalg.inv(a), 1),
                           ("linalg.solve", lambda m, a, b: m.linalg.solve(a, b), 2),
                           ("linalg.vector_norm", lambda m, a: m.linalg.vector_norm(a), 1),
                           ("linalg.matrix_norm", lambda m, a: m.linalg.matrix_norm(a), 1),
                           ("linalg.slogdet", lambda m, a: m.linalg.slogdet(a), 1),
                           ("einsum", lambda m, a, b: m.einsum("ij,kj->ik", a, b), 2),
                           ("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), 1),
                           ("linalg.eigvalsh", lambda m, a: m.linalg.eigvalsh(a + a.mT), 1)]:
        s.run(name + "(grad)", fn, [sq("float64", i, True) for i in range(n_in)], grad=True, loose=True)


def sweep_misc(s: Sweep) -> None:
    for dt in DTYPES:
        x = Desc(dt, "odd")
        for name, fn in [("flip", lambda m, x: x.flip(0)), ("cov", lambda m, x: m.cov(x)),
                         ("corrcoef", lambda m, x: m.corrcoef(x)), ("cumulative_trapezoid", lambda m, x:
                                                                    m.cumulative_trapezoid(x)),
                         ("trapezoid", lambda m, x: m.trapezoid(x)), ("histogram?", lambda m, x: x.sign()),
                         ("clamp_min", lambda m, x: x.clamp_min(1)), ("clamp_max", lambda m, x: x.clamp_max(1.5)),
                         ("float_power", lambda m, x: m.float_power(x, 2)),
                         ("pow(scalar base)", lambda m, x: m.pow(2, x)),
                         ("rsub", lambda m, x: m.rsub(x, 1)), ("square(method)", lambda m, x: x.square()),
                         ("abs_", lambda m, x: x.abs_()), ("sign(method)", lambda m, x: x.sign()),
                         ("logical_and(method)", lambda m, x: x.logical_and(x)),
                         ("type(str)", lambda m, x: x.type()),
                         ("dtype is", lambda m, x: x.dtype.is_floating_point),
                         ("dtype.itemsize", lambda m, x: x.dtype.itemsize),
                         ("element_size", lambda m, x: x.element_size()), ("equal", lambda m, x: m.equal(x, x)),
                         ("renorm", lambda m, x: m.renorm(x, 2, 0, 1.0)), ("vander", lambda m, x: m.vander(x[0])),
                         ("block_diag", lambda m, x: m.block_diag(x, x[:1])),
                         ("diag_embed", lambda m, x: m.diag_embed(x)),
                         ("diagflat", lambda m, x: m.diagflat(x[0])), ("logdet?", lambda m, x: x.sum()),
                         ("cdist", lambda m, x: m.cdist(x, x)), ("bitwise_and(bool)", lambda m, x: x & True),
                         ("count_nonzero(dim)", lambda m, x: m.count_nonzero(x, 0)),
                         ("sum(bool)", lambda m, x: (x > 0).sum()), ("mean(int)", lambda m, x: x.mean()),
                         ("max(binary)", lambda m, x: m.max(x, x.flip(0))), ("min(other)", lambda m, x: x.min(x)),
                         ("argmax(keepdim)", lambda m, x: m.argmax(x, keepdim=True)),
                         ("logical_not_", lambda m, x: x.logical_not_()), ("neg(bool)", lambda m, x: -x),
                         ("abs(op)", lambda m, x: abs(x)), ("invert", lambda m, x: ~x), ("pos", lambda m, x: +x)]:
            s.run(name, fn, [x])


GROUPS = {"unary": sweep_unary, "binary": sweep_binary, "reductions": sweep_reductions, "scan": sweep_scan,
          "shape": sweep_shape, "indexing": sweep_indexing, "sorting": sweep_sorting, "creation": sweep_creation,
          "functional": sweep_functional, "linalg": sweep_linalg, "misc": sweep_misc}


class Filtered(Sweep):
    def __init__(self, verbose: bool, ops: set[str] | None):
        super().__init__(verbose)
        self.ops = ops

    def run(self, op, *a, **k):
        if self.ops is None or op.split("(")[0].rstrip("_") in self.ops or op in self.ops:
            super().run(op, *a, **k)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--group", default=",".join(GROUPS), help="comma-separated: " + ", ".join(GROUPS))
    p.add_argument("--op", default=None, help="comma-separated op names (before any '(')")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--trace", action="store_true", help="print each case to stderr before running it")
    args = p.parse_args(argv)
    s = Filtered(args.verbose, set(args.op.split(",")) if args.op else None)
    s.trace = args.trace
    for g in args.group.split(","):
        t0 = time.time()
        GROUPS[g](s)
        print(f"[{g}: {time.time() - t0:.0f}s, {s.cases} cases so far]", file=sys.stderr, flush=True)
    s.report()
    return 0 if not s.fails else 1


if __name__ == "__main__":
    sys.exit(main())
