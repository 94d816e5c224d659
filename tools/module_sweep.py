"""Module conformance sweep: build each torch.nn module and its ntorch.nn twin side by side and report mismatches.

Not a test (it imports torch). Each case is one constructor `ctor(m)` run with m=torch and m=ntorch, plus input
specs turned into the same NumPy arrays for both. Compared: parameter and buffer names, shapes, dtypes and
requires_grad, state_dict keys and order, repr(module) text (with "ntorch." read as "torch."), the training flag
after train()/eval(); then, with torch's state_dict copied into ntorch's module through NumPy (float64), the
forward outputs, the gradients of the sum of every float output w.r.t. each float input and each parameter
(relative tolerance 1e-10), the buffers after the forward (BatchNorm running stats), in train and eval mode; and
the exception type when torch raises for a bad input shape.

Usage:
    .venv/bin/python tools/module_sweep.py                          # everything
    .venv/bin/python tools/module_sweep.py --family norm,pool       # some families
    .venv/bin/python tools/module_sweep.py --module Linear --verbose  # one class, every mismatch line
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import warnings

import numpy as np
import torch

import ntorch

warnings.filterwarnings("ignore")
torch.set_num_threads(1)
RTOL = 1e-10


# ------------------------------------------------------------------------------------------- input specs
def X(*shape, lo=None):
    """Float64 input that requires grad (positive when lo is given: values in [lo, lo + 1))."""
    def f(rng):
        a = rng.standard_normal(shape) if lo is None else lo + rng.random(shape)
        return ("f", a)
    return f


def X32(*shape):
    """A float32 input (for a float64 module: a dtype mismatch)."""
    return lambda rng: ("f", rng.standard_normal(shape).astype(np.float32))


def C(*shape, lo=None):
    """Float64 input without grad (targets)."""
    def f(rng):
        a = rng.standard_normal(shape) if lo is None else lo + rng.random(shape)
        return ("c", a)
    return f


def P(*shape, grad=True):
    """Probabilities in (0.05, 0.95)."""
    return lambda rng: ("f" if grad else "c", 0.05 + 0.9 * rng.random(shape))


def S(*shape):
    """Targets of +-1."""
    return lambda rng: ("c", np.where(rng.random(shape) < 0.5, -1.0, 1.0))


def B(*shape):
    """Targets of 0/1 (float)."""
    return lambda rng: ("c", (rng.random(shape) < 0.5).astype(np.float64))


def I(high, *shape):  # noqa: E743
    """int64 indices in [0, high)."""
    return lambda rng: ("c", rng.integers(0, high, shape).astype(np.int64))


def V(value):
    """A fixed array (int64 or float64, no grad) or Python value passed as is."""
    return lambda rng: ("c", value) if isinstance(value, np.ndarray) else ("v", value)


LOW = {"dtype": None}  # the f32/f16 families: modules and float inputs in that dtype, looser tolerance
LOW_RTOL = {"float32": 1e-4, "float16": 2e-2}


def build(m, spec):
    kind, a = spec
    if kind == "v":
        return a
    if LOW["dtype"] and a.dtype == np.float64:
        a = a.astype(LOW["dtype"])
    t = m.tensor(a.copy())
    if kind == "f":
        t = t.requires_grad_(True)
    return t


class Case:
    """One constructor with its inputs. values: 'full' (compare values and grads), 'eval' (values only in eval
    mode: random in train), 'shape' (random always: shapes and dtypes only), 'none' (no forward)."""

    def __init__(self, cls: str, ctor, inputs=(), bad=(), fwd=None, values="full", label="", api=None):
        self.cls, self.ctor, self.inputs, self.bad, self.fwd = cls, ctor, list(inputs), list(bad), fwd
        self.values, self.label, self.api = values, label, api


# ------------------------------------------------------------------------------------------- comparison
def leaves(r):
    if isinstance(r, (tuple, list)):
        out = []
        for x in r:
            out += leaves(x)
        return out
    return [r]


def dname(d) -> str:
    return str(d).split(".")[-1]


def cmp_arrays(what: str, t: np.ndarray, n: np.ndarray, rtol: float | None = None) -> list[tuple[str, str]]:
    rtol = rtol if rtol is not None else (LOW_RTOL[LOW["dtype"]] if LOW["dtype"] else RTOL)
    if t.dtype.kind == "f" and t.dtype.itemsize < 8:  # a float32/float16 result in a float64 run
        rtol = max(rtol, LOW_RTOL["float32" if t.dtype.itemsize == 4 else "float16"])
    if t.shape != n.shape:
        return [("shape", f"{what}: {t.shape} vs {n.shape}")]
    if t.size == 0:
        return []
    if t.dtype.kind in "biu" or n.dtype.kind in "biu":
        if not np.array_equal(t.astype(np.int64), n.astype(np.int64)):
            return [("value", f"{what}: integer values differ")]
        return []
    t64, n64 = t.astype(np.float64), n.astype(np.float64)
    scale = max(1.0, float(np.nanmax(np.abs(t64))) if np.isfinite(t64).any() else 1.0)
    ok = np.isclose(t64, n64, rtol=rtol, atol=rtol * scale, equal_nan=True)
    if not ok.all():
        i = tuple(np.argwhere(~ok)[0])
        return [("value", f"{what} at {i}: {t64[i]!r} vs {n64[i]!r} ({int((~ok).sum())}/{ok.size} differ)")]
    return []


def _text(r) -> str:
    """A library-neutral text of an API result: tensors as their values, dtypes and sizes as names."""
    if isinstance(r, (torch.Tensor, ntorch.Tensor)):
        return f"T{tuple(r.shape)}:{dname(r.dtype)}:{type(r).__name__}:{r.requires_grad}:" + \
            np.array2string(np.asarray(r.detach().numpy(), dtype=np.float64), precision=6)
    if isinstance(r, (list, tuple)) and not hasattr(r, "_fields"):
        return type(r).__name__ + "[" + ", ".join(_text(x) for x in r) + "]"
    if isinstance(r, dict):
        return "{" + ", ".join(f"{k!r}: {_text(v)}" for k, v in r.items()) + "}"
    if isinstance(r, (torch.dtype, ntorch.dtype)):
        return dname(r)
    if isinstance(r, (torch.nn.Module, ntorch.nn.Module)):
        return type(r).__name__
    if hasattr(r, "__next__"):
        return _text(list(r))
    return repr(r).replace("ntorch.", "torch.")


def cmp_outputs(what: str, tr, nr) -> list[tuple[str, str]]:
    tl, nl = leaves(tr), leaves(nr)
    if len(tl) != len(nl):
        return [("structure", f"{what}: {len(tl)} results vs {len(nl)}")]
    errs = []
    for k, (t, n) in enumerate(zip(tl, nl)):
        w = f"{what}[{k}]" if len(tl) > 1 else what
        if isinstance(t, torch.Tensor):
            if not isinstance(n, ntorch.Tensor):
                errs.append(("type", f"{w}: Tensor vs {type(n).__name__}"))
                continue
            if dname(t.dtype) != dname(n.dtype):
                errs.append(("dtype", f"{w}: {dname(t.dtype)} vs {dname(n.dtype)}"))
            errs += cmp_arrays(w, t.detach().numpy(), np.asarray(n.detach().numpy()))
        elif t is None or n is None:
            if (t is None) != (n is None):
                errs.append(("type", f"{w}: {type(t).__name__} vs {type(n).__name__}"))
    return errs


def shapes_only(what: str, tr, nr) -> list[tuple[str, str]]:
    tl, nl = leaves(tr), leaves(nr)
    if len(tl) != len(nl):
        return [("structure", f"{what}: {len(tl)} results vs {len(nl)}")]
    errs = []
    for t, n in zip(tl, nl):
        if isinstance(t, torch.Tensor):
            if tuple(t.shape) != tuple(n.shape):
                errs.append(("shape", f"{what}: {tuple(t.shape)} vs {tuple(n.shape)}"))
            if dname(t.dtype) != dname(n.dtype):
                errs.append(("dtype", f"{what}: {dname(t.dtype)} vs {dname(n.dtype)}"))
    return errs


def cmp_structure(tm, nm) -> list[tuple[str, str]]:
    errs = []
    tp = [(k, tuple(v.shape), dname(v.dtype), v.requires_grad) for k, v in tm.named_parameters()]
    np_ = [(k, tuple(v.shape), dname(v.dtype), v.requires_grad) for k, v in nm.named_parameters()]
    if tp != np_:
        errs.append(("params", f"{tp} vs {np_}"))
    tb = [(k, tuple(v.shape), dname(v.dtype)) for k, v in tm.named_buffers()]
    nb = [(k, tuple(v.shape), dname(v.dtype)) for k, v in nm.named_buffers()]
    if tb != nb:
        errs.append(("buffers", f"{tb} vs {nb}"))
    tk, nk = list(tm.state_dict().keys()), list(nm.state_dict().keys())
    if tk != nk:
        errs.append(("state_dict", f"{tk} vs {nk}"))
    trep, nrep = repr(tm), repr(nm).replace("ntorch.", "torch.")
    if trep != nrep:
        errs.append(("repr", f"{trep!r} vs {nrep!r}"))
    for mode in (False, True):
        tm.train(mode)
        nm.train(mode)
        tf = [x.training for x in tm.modules()]
        nf = [x.training for x in nm.modules()]
        if tf != nf:
            errs.append(("training", f"train({mode}): {tf} vs {nf}"))
    return errs


def copy_state(tm, nm) -> None:
    sd = {k: ntorch.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}  # dtype kept
    nm.load_state_dict(sd)


def float_leaves(r, lib):
    return [x for x in leaves(r) if isinstance(x, lib.Tensor) and x.is_floating_point() and x.requires_grad]


def run_forward(m, mod, case, specs):
    args = [build(m, s) for s in specs]
    out = case.fwd(m, mod, *args) if case.fwd else mod(*args)
    return args, out


class Sweep:
    def __init__(self, verbose: bool):
        self.verbose = verbose
        self.cases = 0
        self.fails: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
        self.seen: dict[str, int] = collections.Counter()
        self.trace = False  # print each case before running it (to find a case that kills the process)
        self.family = ""
        self.ran: list[str] = []
        self.per_family: dict[str, int] = collections.Counter()

    def record(self, cls: str, case: str, cat: str, detail: str) -> None:
        self.fails[cls].append((cat, case, detail))
        self.per_family[self.family] += 1
        if self.verbose:
            print(f"  {cls:24s} {cat:11s} {case}: {detail[:400]}", flush=True)

    def run(self, case: Case) -> None:
        self.cases += 1
        self.seen[case.cls] += 1
        label = case.label or f"#{self.seen[case.cls]}"
        if self.trace:
            print(f"? {case.cls} {label}", file=sys.stderr, flush=True)
        try:
            errs = self.check(case)
        except Exception as e:  # noqa: BLE001
            errs = [("crash", f"{type(e).__name__}: {str(e)[:200]}")]
        for cat, d in errs:
            self.record(case.cls, label, cat, d)

    def check(self, case: Case) -> list[tuple[str, str]]:
        rng = np.random.default_rng(len(case.inputs) + 7)
        specs = [f(rng) for f in case.inputs]
        torch.manual_seed(0)
        try:
            tm = case.ctor(torch)
        except Exception as e:  # noqa: BLE001
            try:
                case.ctor(ntorch)
            except Exception as ne:  # noqa: BLE001
                if isinstance(ne, type(e)):
                    return []
                return [("ctor-exc", f"torch {type(e).__name__}, ntorch {type(ne).__name__}: {str(ne)[:150]}")]
            return [("ctor-no-raise", f"torch raises {type(e).__name__}: {str(e)[:150]}")]
        try:
            nm = case.ctor(ntorch)
        except Exception as e:  # noqa: BLE001
            return [("ctor", f"{type(e).__name__}: {str(e)[:200]}")]
        if case.api is not None:
            return self.check_api(case, tm, nm)
        errs = []
        lazy = case.cls.startswith("Lazy")
        if not lazy:
            errs += cmp_structure(tm, nm)
        if not LOW["dtype"]:
            tm, nm = tm.double(), nm.double()
        elif LOW["dtype"] == "float16":
            tm, nm = tm.half(), nm.half()
        if case.values == "none":
            return errs
        if lazy:  # materialize both on the input, then compare
            run_forward(torch, tm, case, specs)
            run_forward(ntorch, nm, case, specs)
            errs += cmp_structure(tm, nm)
        try:
            copy_state(tm, nm)
        except Exception as e:  # noqa: BLE001
            return errs + [("load", f"{type(e).__name__}: {str(e)[:200]}")]
        for mode in ("train", "eval"):
            tm.train(mode == "train")
            nm.train(mode == "train")
            errs += self.forward_backward(case, tm, nm, specs, mode)
        tm.train()
        nm.train()
        for bad in case.bad:
            bspecs = [f(rng) for f in bad]
            try:
                run_forward(torch, tm, case, bspecs)
                terr = None
            except Exception as e:  # noqa: BLE001
                terr = e
            try:
                run_forward(ntorch, nm, case, bspecs)
                nerr = None
            except Exception as e:  # noqa: BLE001
                nerr = e
            shapes = [np.shape(s[1]) for s in bspecs]
            if terr is None:
                errs.append(("bad-input", f"torch does not raise for {shapes}"))
            elif nerr is None:
                errs.append(("no-raise", f"{shapes}: torch raises {type(terr).__name__}: {str(terr)[:120]}"))
            elif not isinstance(nerr, type(terr)):
                errs.append(("exc-type", f"{shapes}: torch {type(terr).__name__}, ntorch {type(nerr).__name__}: "
                             f"{str(nerr)[:120]}"))
        return errs

    @staticmethod
    def check_api(case, tm, nm) -> list[tuple[str, str]]:
        """Module API call api(m, module): the text of its result (and of the module after it), or the
        exception type."""
        out = []
        for m, mod in ((torch, tm), (ntorch, nm)):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = case.api(m, mod)
                out.append((None, _text(r) + " | " + repr(mod).replace("ntorch.", "torch.")))
            except Exception as e:  # noqa: BLE001
                out.append((e, ""))
        (te, tt), (ne, nt_) = out
        if te is not None:
            if ne is None:
                return [("no-raise", f"torch raises {type(te).__name__}: {str(te)[:150]}")]
            if not isinstance(ne, type(te)):
                return [("exc-type", f"torch {type(te).__name__}, ntorch {type(ne).__name__}: {str(ne)[:150]}")]
            return []
        if ne is not None:
            return [("raises", f"{type(ne).__name__}: {str(ne)[:200]}")]
        if tt != nt_:
            return [("api", f"{tt[:300]!r} vs {nt_[:300]!r}")]
        return []

    def forward_backward(self, case, tm, nm, specs, mode) -> list[tuple[str, str]]:
        torch.manual_seed(0)
        try:
            tin, tout = run_forward(torch, tm, case, specs)
        except Exception as te:  # noqa: BLE001  (torch refuses: ntorch must refuse alike)
            try:
                run_forward(ntorch, nm, case, specs)
            except Exception as ne:  # noqa: BLE001
                if isinstance(ne, type(te)):
                    return []
                return [("exc-type", f"{mode}: torch {type(te).__name__}, ntorch {type(ne).__name__}: "
                         f"{str(ne)[:150]}")]
            return [("no-raise", f"{mode}: torch raises {type(te).__name__}: {str(te)[:150]}")]
        try:
            nin, nout = run_forward(ntorch, nm, case, specs)
        except Exception as e:  # noqa: BLE001
            return [("raises", f"{mode}: {type(e).__name__}: {str(e)[:200]}")]
        if case.values == "shape" or (case.values == "eval" and mode == "train"):
            return shapes_only(mode, tout, nout)
        errs = cmp_outputs(f"{mode} out", tout, nout)
        tb, nb = dict(tm.named_buffers()), dict(nm.named_buffers())
        tb.update(tm.named_parameters())  # parameters too: Embedding(max_norm=...) renormalizes its weight
        nb.update(nm.named_parameters())
        for k, v in tb.items():
            if k in nb and nb[k] is not None and v is not None:
                errs += cmp_arrays(f"{mode} state {k}", v.detach().numpy(), np.asarray(nb[k].detach().numpy()))
        if errs:
            return errs
        tf, nf = float_leaves(tout, torch), float_leaves(nout, ntorch)
        if not tf:
            return errs
        if len(tf) != len(nf):
            return [("grad", f"{mode}: {len(tf)} differentiable outputs vs {len(nf)}")]
        sum(x.sum() for x in tf).backward()
        try:
            sum(x.sum() for x in nf).backward()
        except Exception as e:  # noqa: BLE001
            return [("backward", f"{mode}: {type(e).__name__}: {str(e)[:200]}")]
        for k, (t, n) in enumerate(zip(tin, nin)):
            if isinstance(t, torch.Tensor) and t.requires_grad:
                errs += self.cmp_grad(f"{mode} d/input{k}", t.grad, n.grad)
        nparams = dict(nm.named_parameters())
        for name, p in tm.named_parameters():
            if name in nparams:
                errs += self.cmp_grad(f"{mode} d/{name}", p.grad, nparams[name].grad)
                p.grad = None
                nparams[name].grad = None
        return errs

    @staticmethod
    def cmp_grad(what, tg, ng) -> list[tuple[str, str]]:
        if tg is None or ng is None:
            if (tg is None) != (ng is None):
                return [("grad", f"{what}: torch {'None' if tg is None else 'tensor'}, ntorch "
                         f"{'None' if ng is None else 'tensor'}")]
            return []
        return cmp_arrays(what, tg.numpy(), np.asarray(ng.numpy()))

    def report(self, families: dict[str, str]) -> None:
        print(f"\n{self.cases} cases, {sum(len(v) for v in self.fails.values())} mismatches in "
              f"{len(self.fails)} modules")
        for cls in sorted(self.fails, key=lambda c: (families.get(c, "?"), c)):
            fails = self.fails[cls]
            cats = collections.Counter(c for c, _, _ in fails)
            print(f"{families.get(cls, '?'):10s} {cls:28s} {len(fails):3d}  " +
                  ", ".join(f"{c}={n}" for c, n in cats.most_common()))
            if not self.verbose:
                cat, case, d = fails[0]
                print(f"{'':40s}e.g. {cat} {case}: {d[:300]}")
        print("per family run: " + ", ".join(f"{f}={self.per_family.get(f, 0)}" for f in self.ran))


# ------------------------------------------------------------------------------------------- cases
def nn(m):
    return m.nn


def L(cls, *a, **k):
    """Case constructor for m.nn.cls(*a, **k)."""
    return lambda m: getattr(m.nn, cls)(*a, **k)


def causal(m, n: int):
    return m.nn.Transformer.generate_square_subsequent_mask(n, dtype=m.float64)


def cases_linear() -> list[Case]:
    return [
        Case("Linear", L("Linear", 3, 4), [X(2, 3)], [[X(2, 5)]]),
        Case("Linear", L("Linear", 3, 4, bias=False), [X(3)], [[X(2, 4)]]),
        Case("Bilinear", L("Bilinear", 3, 2, 4), [X(2, 3), X(2, 2)], [[X(2, 4), X(2, 2)]]),
        Case("Bilinear", L("Bilinear", 3, 2, 4, bias=False), [X(5, 3), X(5, 2)]),
        Case("Identity", L("Identity", 3, foo=1), [X(2, 3)]),
        Case("Flatten", L("Flatten"), [X(2, 3, 4)]),
        Case("Flatten", L("Flatten", 0, 1), [X(2, 3, 4)]),
        Case("Unflatten", L("Unflatten", 1, (2, 2)), [X(3, 4)], [[X(3, 5)]]),
        Case("LazyLinear", L("LazyLinear", 4), [X(2, 3)]),
        Case("Embedding", L("Embedding", 10, 3), [I(10, 2, 4)], [[V(np.array([10]))]]),
        Case("Embedding", L("Embedding", 10, 3, padding_idx=0), [V(np.array([[0, 2, 0], [4, 5, 9]]))]),
        Case("Embedding", L("Embedding", 10, 3, max_norm=1.0), [V(np.array([1, 2, 2]))]),
        Case("EmbeddingBag", L("EmbeddingBag", 10, 3), [I(10, 2, 4)]),
        Case("EmbeddingBag", L("EmbeddingBag", 10, 3, mode="sum"), [V(np.array([1, 2, 4, 5, 4, 3])),
                                                                    V(np.array([0, 2, 2]))]),
        Case("EmbeddingBag", L("EmbeddingBag", 10, 3, mode="max"), [I(10, 3, 2)]),
        Case("EmbeddingBag", L("EmbeddingBag", 10, 3, mode="sum", padding_idx=1),
             [V(np.array([[1, 2, 4], [5, 1, 3]]))], fwd=lambda m, mod, x: mod(x, per_sample_weights=m.tensor(
                 np.arange(6.0).reshape(2, 3) / 4, dtype=mod.weight.dtype))),
        Case("PixelShuffle", L("PixelShuffle", 2), [X(1, 8, 2, 3)], [[X(1, 7, 2, 3)]]),
        Case("PixelUnshuffle", L("PixelUnshuffle", 2), [X(1, 2, 4, 6)], [[X(1, 2, 3, 6)]]),
        Case("ChannelShuffle", L("ChannelShuffle", 2), [X(1, 4, 2, 2)]),
        Case("Fold", L("Fold", (4, 5), 2), [X(1, 12, 12)], [[X(1, 12, 11)]]),
        Case("Fold", L("Fold", (5, 5), (2, 3), dilation=1, padding=1, stride=2), [X(2, 6, 9)]),
        Case("Unfold", L("Unfold", 2), [X(1, 3, 4, 5)]),
        Case("Unfold", L("Unfold", (2, 3), dilation=1, padding=1, stride=2), [X(2, 2, 5, 5)]),
        Case("Upsample", L("Upsample", scale_factor=2), [X(1, 2, 3)]),
        Case("Upsample", L("Upsample", size=5, mode="linear", align_corners=True), [X(1, 2, 3)]),
        Case("Upsample", L("Upsample", scale_factor=2, mode="bilinear"), [X(1, 2, 3, 3)]),
        Case("Upsample", L("Upsample", scale_factor=1.5, mode="bicubic", align_corners=False), [X(1, 1, 4, 4)]),
        Case("Upsample", L("Upsample", size=(3, 4, 2), mode="trilinear"), [X(1, 1, 2, 2, 2)]),
        Case("Upsample", L("Upsample", scale_factor=(2, 3), mode="nearest-exact"), [X(1, 1, 2, 2)]),
        Case("UpsamplingNearest2d", L("UpsamplingNearest2d", scale_factor=2), [X(1, 2, 2, 3)]),
        Case("UpsamplingBilinear2d", L("UpsamplingBilinear2d", size=(4, 5)), [X(1, 2, 2, 3)]),
        Case("Sequential", lambda m: m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2)),
             [X(2, 3)]),
        Case("ModuleList", lambda m: m.nn.ModuleList([m.nn.Linear(3, 4), m.nn.Tanh()]), values="none"),
        Case("ModuleDict", lambda m: m.nn.ModuleDict({"a": m.nn.Linear(3, 4), "b": m.nn.Tanh()}), values="none"),
        Case("ParameterList", lambda m: m.nn.ParameterList([m.nn.Parameter(m.zeros(2, 3)),
                                                            m.nn.Parameter(m.ones(4))]), values="none"),
        Case("ParameterDict", lambda m: m.nn.ParameterDict({"w": m.nn.Parameter(m.zeros(2, 3))}), values="none"),
    ]


def cases_conv() -> list[Case]:
    out = []
    for cls, a, k, shape, bad in [
            ("Conv1d", (2, 3, 3), {}, (2, 2, 7), (2, 3, 7)),
            ("Conv1d", (2, 4, 3), dict(stride=2, padding=1, groups=2, bias=False), (2, 2, 7), (2, 3, 7)),
            ("Conv1d", (2, 3, 3), dict(padding="same", padding_mode="reflect", dilation=2), (1, 2, 8), (1, 2)),
            ("Conv2d", (2, 3, 3), {}, (2, 2, 6, 5), (2, 3, 6, 5)),
            ("Conv2d", (2, 4, (3, 2)), dict(stride=(2, 1), padding=1, groups=2), (1, 2, 6, 5), (1, 2, 6)),
            ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="circular"), (1, 2, 4, 4), (1, 1, 4, 4)),
            ("Conv2d", (2, 3, 2), dict(padding="valid", padding_mode="replicate"), (2, 4, 4), (1, 2, 1, 1)),
            ("Conv3d", (2, 3, 2), {}, (1, 2, 4, 4, 3), (1, 3, 4, 4, 3)),
            ("ConvTranspose1d", (2, 3, 3), dict(stride=2, padding=1, output_padding=1), (2, 2, 5), (2, 3, 5)),
            ("ConvTranspose2d", (2, 4, 3), dict(stride=2, groups=2), (1, 2, 3, 3), (1, 4, 3, 3)),
            ("ConvTranspose2d", (2, 3, (2, 3)), dict(dilation=2, bias=False), (2, 3, 3), (1, 2, 3)),
            ("ConvTranspose3d", (2, 3, 2), {}, (1, 2, 2, 3, 2), (1, 3, 2, 3, 2)),
            ("LazyConv2d", (3, 3), {}, (1, 2, 5, 5), (1, 4, 5, 5)),
            ("LazyConvTranspose1d", (3, 2), {}, (1, 2, 4), (1, 3, 4))]:
        out.append(Case(cls, L(cls, *a, **k), [X(*shape)], [[X(*bad)]]))
    return out


def cases_norm() -> list[Case]:
    out = []
    for cls, a, k, shape, bad in [
            ("BatchNorm1d", (3,), {}, (4, 3), (4, 2)),
            ("BatchNorm1d", (3,), {}, (4, 3, 5), (4, 3, 5, 2)),
            ("BatchNorm1d", (3,), dict(affine=False, momentum=None), (4, 3), (3,)),
            ("BatchNorm1d", (3,), dict(track_running_stats=False), (4, 3), (1, 3)),
            ("BatchNorm2d", (3,), dict(eps=1e-3, momentum=0.3), (2, 3, 4, 4), (2, 3, 4)),
            ("BatchNorm3d", (2,), {}, (2, 2, 3, 2, 2), (2, 3, 3, 2, 2)),
            ("LazyBatchNorm1d", (), {}, (4, 3), (4, 2)),
            ("InstanceNorm1d", (3,), {}, (2, 3, 5), (2, 3, 4, 5)),
            ("InstanceNorm1d", (3,), dict(affine=True, track_running_stats=True), (2, 3, 5), (2, 4, 5)),
            ("InstanceNorm2d", (3,), dict(affine=True), (2, 3, 4, 4), (2, 3, 4)),
            ("InstanceNorm3d", (2,), {}, (2, 2, 3, 2, 2), (2, 2, 3)),
            ("LazyInstanceNorm2d", (), dict(affine=True), (2, 3, 4, 4), (2, 3, 4, 4, 5)),
            ("LayerNorm", (4,), {}, (2, 3, 4), (2, 3, 5)),
            ("LayerNorm", ((3, 4),), dict(elementwise_affine=False), (2, 3, 4), (2, 4, 3)),
            ("LayerNorm", (4,), dict(bias=False, eps=1e-3), (3, 4), (3, 2)),
            ("GroupNorm", (2, 4), {}, (2, 4, 3), (2, 3, 3)),
            ("GroupNorm", (1, 3), dict(affine=False), (2, 3, 2, 2), (2,)),
            ("RMSNorm", (4,), {}, (2, 3, 4), (2, 3, 5)),
            ("RMSNorm", ([3, 4],), dict(eps=1e-5, elementwise_affine=False), (2, 3, 4), (2, 4, 3)),
            ("LocalResponseNorm", (2,), {}, (2, 4, 3, 3), (2,)),
            ("CrossMapLRN2d", (3,), {}, (2, 4, 3, 3), (2, 4, 3))]:
        out.append(Case(cls, L(cls, *a, **k), [X(*shape)], [[X(*bad)]]))
    return out


def cases_pool() -> list[Case]:
    out = []
    for cls, a, k, shape, bad in [
            ("MaxPool1d", (2,), {}, (2, 3, 7), (2, 3, 1)),
            ("MaxPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 8), (2,)),
            ("MaxPool1d", (2,), dict(return_indices=True, dilation=2), (3, 7), (3, 2)),
            ("MaxPool2d", (2,), {}, (2, 3, 5, 4), (2, 3, 1, 1)),
            ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True, return_indices=True), (1, 2, 6, 5), (1, 2)),
            ("MaxPool3d", (2,), {}, (1, 2, 4, 4, 3), (1, 2, 1, 1, 1)),
            ("AvgPool1d", (3, 2, 1), {}, (2, 3, 7), (2, 3, 4, 5)),
            ("AvgPool2d", (2,), {}, (2, 3, 5, 4), (2, 3, 1, 1)),
            ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (1, 2, 6, 5), (1, 2)),
            ("AvgPool2d", (2,), dict(divisor_override=3), (1, 2, 4, 4), (1, 2, 1, 4)),
            ("AvgPool3d", (2,), {}, (1, 2, 4, 4, 3), (1, 2, 1, 1, 1)),
            ("AdaptiveAvgPool1d", (3,), {}, (2, 3, 7), (2, 3, 2, 2)),
            ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 5, 4), (3,)),
            ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 4, 3, 3), (2, 2)),
            ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7), (2, 3, 2, 2)),
            ("AdaptiveMaxPool2d", (3,), dict(return_indices=True), (2, 3, 5, 4), (3,)),
            ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 4, 3, 3), (2, 2)),
            ("LPPool1d", (2, 3), {}, (2, 3, 7), (2, 3, 1)),
            ("LPPool2d", (1.5, 2), {}, (1, 2, 4, 4), (1, 2, 1, 1)),
            ("LPPool3d", (2, 2), {}, (1, 2, 4, 4, 2), (1, 2, 1, 1, 1))]:
        out.append(Case(cls, L(cls, *a, **k), [X(*shape, lo=0.5) if "LP" in cls else X(*shape)], [[X(*bad)]]))
    out.append(Case("FractionalMaxPool2d", L("FractionalMaxPool2d", 2, output_size=3), [X(1, 2, 6, 6)],
                    [[X(1, 2, 2, 2)]], values="shape"))
    out.append(Case("FractionalMaxPool3d", L("FractionalMaxPool3d", 2, output_ratio=0.5), [X(1, 2, 4, 4, 4)],
                    values="shape"))
    for d, shape in [(1, (2, 3, 6)), (2, (1, 2, 4, 6)), (3, (1, 2, 4, 2, 2))]:
        out.append(Case(f"MaxUnpool{d}d", L(f"MaxUnpool{d}d", 2), [X(*shape)], fwd=lambda m, mod, x, d=d: mod(
            *getattr(m.nn, f"MaxPool{d}d")(2, return_indices=True)(x))))
    for cls, a, shape, bad in [
            ("ConstantPad1d", (2, 1.5), (2, 3, 4), ()),
            ("ConstantPad2d", ((1, 0, 2, 1), 0.0), (2, 3, 4), (3,)),
            ("ConstantPad3d", (1, 2.0), (1, 2, 2, 2, 2), (2, 2)),
            ("ZeroPad1d", (2,), (2, 3, 4), ()),
            ("ZeroPad2d", ((1, 2, 0, 1),), (1, 2, 3, 3), (3,)),
            ("ZeroPad3d", (1,), (1, 2, 2, 2, 2), (2, 2)),
            ("ReflectionPad1d", (2,), (2, 3, 4), (2, 3, 2)),
            ("ReflectionPad2d", ((1, 2, 0, 1),), (1, 2, 3, 3), (1, 2, 2, 2)),
            ("ReflectionPad3d", (1,), (1, 2, 2, 3, 2), (1, 2, 1, 1, 1)),
            ("ReplicationPad1d", (2,), (2, 3, 4), (3,)),
            ("ReplicationPad2d", ((1, 2, 0, 1),), (1, 2, 3, 3), (3,)),
            ("ReplicationPad3d", (1,), (1, 2, 2, 3, 2), (2, 3)),
            ("CircularPad1d", (2,), (2, 3, 4), (2, 3, 1)),
            ("CircularPad2d", ((1, 2, 0, 1),), (1, 2, 3, 3), (1, 2, 1, 1)),
            ("CircularPad3d", (1,), (1, 2, 2, 3, 2), (2, 3))]:
        out.append(Case(cls, L(cls, *a), [X(*shape)], [[X(*bad)]]))
    return out


def cases_activation() -> list[Case]:
    out = []
    for cls, a, k in [("ReLU", (), {}), ("ReLU6", (), {}), ("ELU", (), dict(alpha=0.5)), ("CELU", (1.5,), {}),
                      ("SELU", (), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}),
                      ("Mish", (), {}), ("Sigmoid", (), {}), ("Tanh", (), {}), ("Hardtanh", (-0.5, 0.5), {}),
                      ("Hardsigmoid", (), {}), ("Hardswish", (), {}), ("Hardshrink", (0.3,), {}),
                      ("Softshrink", (0.3,), {}), ("Softsign", (), {}), ("Softplus", (), dict(beta=2, threshold=1)),
                      ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}), ("LeakyReLU", (0.2,), {}),
                      ("LogSigmoid", (), {}), ("PReLU", (), {}), ("GLU", (), {}), ("Softmax", (), dict(dim=1)),
                      ("LogSoftmax", (1,), {}), ("Softmin", (), dict(dim=-1)), ("Softmax", (), {}),
                      ("ReLU", (), dict(inplace=True)), ("ELU", (), dict(alpha=0.5, inplace=True))]:
        inplace = lambda m, mod, x: mod(x * 1)  # noqa: E731  (an in-place module needs a non-leaf input)
        out.append(Case(cls, L(cls, *a, **k), [X(3, 4)], fwd=inplace if k.get("inplace") else None))
    out.append(Case("PReLU", L("PReLU", 3, init=0.1), [X(2, 3, 4)], [[X(2, 4, 4)]]))
    out.append(Case("GLU", L("GLU", dim=1), [X(2, 4, 3)], [[X(2, 3, 3)]]))
    out.append(Case("Softmax2d", L("Softmax2d"), [X(2, 3, 4, 4)], [[X(3, 4)]]))
    out.append(Case("RReLU", L("RReLU", 0.1, 0.3), [X(3, 4)], values="eval"))
    out.append(Case("CosineSimilarity", L("CosineSimilarity"), [X(3, 4), X(3, 4)], [[X(3, 4), X(3, 5)]]))
    out.append(Case("PairwiseDistance", L("PairwiseDistance", 1.5, keepdim=True), [X(3, 4), X(3, 4)],
                    [[X(3, 4), X(2, 5)]]))
    for cls, p in [("Dropout", 0.0), ("Dropout", 0.5), ("Dropout1d", 0.0), ("Dropout2d", 0.0), ("Dropout3d", 0.0),
                   ("AlphaDropout", 0.0), ("FeatureAlphaDropout", 0.0), ("AlphaDropout", 0.2)]:
        out.append(Case(cls, L(cls, p), [X(2, 3, 2, 2, 2) if cls == "Dropout3d" else X(2, 3, 4)],
                        values="full" if p == 0 else "eval"))
    return out


def cases_loss() -> list[Case]:
    out = []
    for cls, k in [("L1Loss", {}), ("L1Loss", dict(reduction="sum")), ("MSELoss", dict(reduction="none")),
                   ("MSELoss", {}), ("SmoothL1Loss", dict(beta=0.5)), ("HuberLoss", dict(delta=0.5)),
                   ("SoftMarginLoss", {})]:
        tgt = S(3, 4) if cls == "SoftMarginLoss" else C(3, 4)
        out.append(Case(cls, L(cls, **k), [X(3, 4), tgt], [[X(3, 4), C(3, 5)]]))
    out += [
        Case("BCELoss", L("BCELoss"), [P(3, 4), B(3, 4)], [[P(3, 4), B(3, 5)]]),
        Case("BCELoss", lambda m: m.nn.BCELoss(weight=m.tensor([1.0, 2.0, 0.5, 1.5]), reduction="sum"),
             [P(3, 4), P(3, 4, grad=False)]),
        Case("BCEWithLogitsLoss", L("BCEWithLogitsLoss"), [X(3, 4), B(3, 4)], [[X(3, 4), B(4, 4)]]),
        Case("BCEWithLogitsLoss", lambda m: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor([1.0, 2.0, 0.5, 1.5])),
             [X(3, 4), P(3, 4, grad=False)]),
        Case("CrossEntropyLoss", L("CrossEntropyLoss"), [X(3, 5), I(5, 3)], [[X(3, 5), I(5, 4)]]),
        Case("CrossEntropyLoss", L("CrossEntropyLoss", label_smoothing=0.1, reduction="sum"), [X(3, 5), I(5, 3)]),
        Case("CrossEntropyLoss", lambda m: m.nn.CrossEntropyLoss(weight=m.tensor([1.0, 2.0, 0.5, 1.5, 1.0]),
                                                                 ignore_index=1),
             [X(4, 5), V(np.array([0, 1, 2, 4]))]),
        Case("CrossEntropyLoss", L("CrossEntropyLoss"), [X(3, 5, 2), P(3, 5, 2, grad=False)]),
        Case("CrossEntropyLoss", L("CrossEntropyLoss", reduction="none"), [X(2, 5, 3, 2), I(5, 2, 3, 2)]),
        Case("NLLLoss", L("NLLLoss"), [X(3, 5), I(5, 3)], [[X(3, 5), I(5, 2)]]),
        Case("NLLLoss", lambda m: m.nn.NLLLoss(weight=m.tensor([1.0, 2.0, 0.5, 1.5, 1.0]), reduction="none"),
             [X(3, 5), I(5, 3)]),
        Case("NLLLoss2d", L("NLLLoss2d"), [X(2, 3, 2, 2), I(3, 2, 2, 2)]),
        Case("KLDivLoss", L("KLDivLoss", reduction="batchmean"), [X(3, 4), P(3, 4, grad=False)]),
        Case("KLDivLoss", L("KLDivLoss", log_target=True), [X(3, 4), C(3, 4)]),
        Case("PoissonNLLLoss", L("PoissonNLLLoss"), [X(3, 4), C(3, 4, lo=0.5)]),
        Case("PoissonNLLLoss", L("PoissonNLLLoss", log_input=False, full=True), [X(3, 4, lo=0.5), C(3, 4, lo=1)]),
        Case("GaussianNLLLoss", L("GaussianNLLLoss"), [X(3, 4), C(3, 4), X(3, 4, lo=0.5)],
             [[X(3, 4), C(3, 4), X(3, 3, lo=0.5)]]),
        Case("GaussianNLLLoss", L("GaussianNLLLoss", full=True, reduction="sum"), [X(3, 4), C(3, 4), X(3, 1, lo=1)]),
        Case("MarginRankingLoss", L("MarginRankingLoss", 0.5), [X(5), X(5), S(5)], [[X(5), X(4), S(5)]]),
        Case("HingeEmbeddingLoss", L("HingeEmbeddingLoss", 0.7), [X(3, 4), S(3, 4)]),
        Case("CosineEmbeddingLoss", L("CosineEmbeddingLoss", 0.2), [X(3, 4), X(3, 4), S(3)],
             [[X(3, 4), X(3, 5), S(3)]]),
        Case("MultiMarginLoss", L("MultiMarginLoss"), [X(3, 5), I(5, 3)], [[X(3, 5), I(5, 4)]]),
        Case("MultiMarginLoss", lambda m: m.nn.MultiMarginLoss(p=2, margin=0.5, weight=m.tensor([1.0, 2, 3, 1, 1])),
             [X(3, 5), I(5, 3)]),
        Case("MultiLabelMarginLoss", L("MultiLabelMarginLoss"), [X(2, 4), V(np.array([[3, 0, -1, 1], [1, 2, 3, -1]]))]),
        Case("MultiLabelSoftMarginLoss", L("MultiLabelSoftMarginLoss"), [X(3, 4), B(3, 4)]),
        Case("TripletMarginLoss", L("TripletMarginLoss", margin=0.5, swap=True), [X(3, 4), X(3, 4), X(3, 4)],
             [[X(3, 4), X(3, 4), X(3, 5)]]),
        Case("TripletMarginWithDistanceLoss", L("TripletMarginWithDistanceLoss"), [X(3, 4), X(3, 4), X(3, 4)]),
        Case("CTCLoss", L("CTCLoss"), [X(6, 2, 4), V(np.array([[1, 2, 2], [3, 1, 0]])), V([6, 5]), V([3, 2])],
             fwd=lambda m, mod, x, t, il, tl: mod(x.log_softmax(2), t, il, tl)),
        Case("AdaptiveLogSoftmaxWithLoss", L("AdaptiveLogSoftmaxWithLoss", 8, 10, [4, 8], div_value=2.0),
             [X(3, 8), V(np.array([1, 5, 9]))], [[X(3, 7), V(np.array([1, 5, 9]))]]),
        Case("LinearCrossEntropyLoss", L("LinearCrossEntropyLoss", 4, 5), [X(3, 4), I(5, 3)]),
    ]
    return out


def cases_rnn() -> list[Case]:
    out = []
    for cls, a, k, ins, bad in [
            ("RNN", (3, 4), {}, [X(5, 2, 3)], [X(5, 2, 4)]),
            ("RNN", (3, 4), dict(num_layers=2, nonlinearity="relu", bidirectional=True, batch_first=True),
             [X(2, 5, 3), X(4, 2, 4)], [X(2, 5, 3), X(2, 2, 4)]),
            ("LSTM", (3, 4), {}, [X(5, 2, 3)], [X(5, 2)]),
            ("LSTM", (3, 4), dict(num_layers=2, proj_size=2), [X(4, 3)], [X(4, 2)]),
            ("GRU", (3, 4), dict(bias=False, bidirectional=True), [X(5, 2, 3), X(2, 2, 4)], [X(5, 2, 3), X(2, 4)]),
            ("RNNCell", (3, 4), {}, [X(2, 3)], [X(2, 4)]),
            ("RNNCell", (3, 4), dict(nonlinearity="relu", bias=False), [X(3), X(4)], [X(2, 3), X(3, 4)]),
            ("LSTMCell", (3, 4), {}, [X(2, 3)], [X(2, 4)]),
            ("GRUCell", (3, 4), {}, [X(2, 3), X(2, 4)], [X(2, 3), X(3, 4)])]:
        out.append(Case(cls, L(cls, *a, **k), ins, [bad]))
    out.append(Case("LSTMCell", L("LSTMCell", 3, 4), [X(2, 3), X(2, 4), X(2, 4)],
                    fwd=lambda m, mod, x, h, c: mod(x, (h, c))))
    out.append(Case("LSTM", L("LSTM", 3, 4, batch_first=True), [X(2, 5, 3), X(1, 2, 4), X(1, 2, 4)],
                    fwd=lambda m, mod, x, h, c: mod(x, (h, c))))
    mha = [X(3, 2, 4), X(5, 2, 4), X(5, 2, 4)]
    out += [
        Case("MultiheadAttention", L("MultiheadAttention", 4, 2), mha, [[X(3, 2, 4), X(5, 2, 4), X(5, 3, 4)]]),
        Case("MultiheadAttention", L("MultiheadAttention", 4, 2, batch_first=True, kdim=3, vdim=5),
             [X(2, 3, 4), X(2, 5, 3), X(2, 5, 5)], fwd=lambda m, mod, q, k, v: mod(q, k, v, need_weights=False)),
        Case("MultiheadAttention", L("MultiheadAttention", 4, 2, bias=False, add_bias_kv=True, add_zero_attn=True),
             mha, fwd=lambda m, mod, q, k, v: mod(q, k, v, average_attn_weights=False)),
        Case("MultiheadAttention", L("MultiheadAttention", 4, 1), mha,
             fwd=lambda m, mod, q, k, v: mod(q, k, v, key_padding_mask=m.tensor(
                 np.array([[False] * 4 + [True], [False] * 5])), attn_mask=m.tensor(np.triu(np.ones((3, 5)), 3) > 0))),
        Case("TransformerEncoderLayer", L("TransformerEncoderLayer", 4, 2, 8, 0.0), [X(3, 2, 4)], [[X(3, 2, 5)]]),
        Case("TransformerEncoderLayer", L("TransformerEncoderLayer", 4, 2, 8, 0.0, activation="gelu",
                                          norm_first=True, batch_first=True, bias=False), [X(2, 3, 4)]),
        Case("TransformerDecoderLayer", L("TransformerDecoderLayer", 4, 2, 8, 0.0), [X(3, 2, 4), X(5, 2, 4)],
             [[X(3, 2, 4), X(5, 2, 3)]]),
        Case("TransformerDecoderLayer", L("TransformerDecoderLayer", 4, 2, 8, 0.0, norm_first=True,
                                          layer_norm_eps=1e-3), [X(3, 2, 4), X(5, 2, 4)],
             fwd=lambda m, mod, t, s: mod(t, s, tgt_is_causal=True,
                                          tgt_mask=causal(m, 3))),
        Case("TransformerEncoder", lambda m: m.nn.TransformerEncoder(
            m.nn.TransformerEncoderLayer(4, 2, 8, 0.0), 2, norm=m.nn.LayerNorm(4), enable_nested_tensor=False),
            [X(3, 2, 4)]),
        Case("TransformerDecoder", lambda m: m.nn.TransformerDecoder(m.nn.TransformerDecoderLayer(4, 2, 8, 0.0), 2),
             [X(3, 2, 4), X(5, 2, 4)]),
        Case("Transformer", L("Transformer", d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                              dim_feedforward=8, dropout=0.0), [X(5, 2, 4), X(3, 2, 4)], [[X(5, 2, 4), X(3, 3, 4)]]),
    ]
    return out


def cases_ctor() -> list[Case]:
    """Constructor arguments torch rejects (exception type compared), factory dtype, unbatched inputs."""
    out = [Case(cls, L(cls, *a, **k), values="none", label=f"bad ctor {a} {k}") for cls, a, k in [
        ("MultiheadAttention", (5, 2), {}), ("Conv2d", (3, 4, 3), dict(groups=2)),
        ("Conv2d", (2, 4, 3), dict(padding="same", stride=2)), ("Conv1d", (2, 4, 3), dict(padding_mode="foo")),
        ("Conv1d", (2, 4, 3), dict(padding="foo")), ("ConvTranspose2d", (2, 4, 3), dict(padding_mode="reflect")),
        ("Dropout", (1.5,), {}), ("Dropout2d", (-0.1,), {}), ("AlphaDropout", (2.0,), {}),
        ("RNN", (3, 4), dict(nonlinearity="foo")), ("LSTM", (3, 4), dict(proj_size=4)),
        ("LSTM", (3, 4), dict(proj_size=-1)), ("GRU", (3, 4), dict(dropout=2.0)), ("RNN", (3, 4), dict(num_layers=0)),
        ("RNN", (3, 0), {}), ("GRU", (3, 4), dict(proj_size=2)), ("GroupNorm", (3, 4), {}),
        ("Embedding", (10, 3), dict(padding_idx=11)), ("Embedding", (10, 3), dict(padding_idx=-11)),
        ("EmbeddingBag", (10, 3), dict(mode="foo")), ("AdaptiveLogSoftmaxWithLoss", (8, 10, [4, 4]), {}),
        ("AdaptiveLogSoftmaxWithLoss", (8, 10, [4, 10]), {}), ("Linear", (-1, 3), {}),
        ("TransformerEncoderLayer", (4, 2), dict(activation="foo")), ("Unflatten", (1, 3), {}),
        ("Upsample", (), {}), ("PReLU", (0,), {}), ("LayerNorm", (4,), dict(elementwise_affine=False, bias=True)),
        ("Fold", (3, 2), {}), ("CrossEntropyLoss", (), dict(label_smoothing=1.5)),
        ("Softplus", (), dict(beta=0)), ("Hardtanh", (1.0, -1.0), {}), ("ELU", (), dict(alpha="x")),
        ("RReLU", (0.5, 0.1), {}), ("BatchNorm1d", (0,), {}), ("MaxPool2d", (0,), {}),
        ("Transformer", (), dict(d_model=5, nhead=2)), ("MultiheadAttention", (4, 0), {}),
        ("Bilinear", (0, 2, 3), {}), ("PixelShuffle", (0,), {}), ("LPPool2d", (0, 2), {})]]
    f64 = [("Linear", (3, 4), [X(2, 3)]), ("Bilinear", (3, 2, 4), [X(2, 3), X(2, 2)]),
           ("Conv1d", (2, 3, 3), [X(1, 2, 5)]), ("ConvTranspose2d", (2, 3, 2), [X(1, 2, 3, 3)]),
           ("BatchNorm1d", (3,), [X(4, 3)]), ("LayerNorm", (4,), [X(2, 4)]), ("GroupNorm", (2, 4), [X(2, 4, 3)]),
           ("RMSNorm", (4,), [X(2, 4)]), ("InstanceNorm1d", (3,), [X(2, 3, 4)]), ("Embedding", (10, 3), [I(10, 4)]),
           ("EmbeddingBag", (10, 3), [I(10, 2, 3)]), ("PReLU", (), [X(2, 3)]), ("RNN", (3, 4), [X(2, 1, 3)]),
           ("LSTMCell", (3, 4), [X(2, 3)]), ("MultiheadAttention", (4, 2), [X(2, 1, 4), X(2, 1, 4), X(2, 1, 4)]),
           ("TransformerEncoderLayer", (4, 2, 8, 0.0), [X(3, 1, 4)]), ("LazyLinear", (4,), [X(2, 3)]),
           ("AdaptiveLogSoftmaxWithLoss", (8, 10, [4]), [X(3, 8), V(np.array([1, 5, 9]))])]
    for cls, a, ins in f64:
        out.append(Case(cls, lambda m, cls=cls, a=a: getattr(m.nn, cls)(*a, dtype=m.float64), ins,
                        label="dtype=float64"))
    for cls, a, k, ins in [
            ("Conv2d", (2, 3, 3), {}, [X(2, 5, 4)]), ("Conv1d", (2, 3, 2), {}, [X(2, 5)]),
            ("ConvTranspose1d", (2, 3, 2), {}, [X(2, 5)]), ("MaxPool2d", (2,), {}, [X(2, 5, 4)]),
            ("AvgPool1d", (2,), {}, [X(3, 5)]), ("AdaptiveAvgPool2d", (2,), {}, [X(2, 5, 4)]),
            ("RNN", (3, 4), {}, [X(5, 3), X(1, 4)]), ("GRU", (3, 4), dict(num_layers=2), [X(5, 3)]),
            ("GRUCell", (3, 4), {}, [X(3)]), ("LSTMCell", (3, 4), {}, [X(3)]),
            ("MultiheadAttention", (4, 2), {}, [X(3, 4), X(5, 4), X(5, 4)]),
            ("TransformerEncoderLayer", (4, 2, 8, 0.0), {}, [X(3, 4)]),
            ("TransformerDecoderLayer", (4, 2, 8, 0.0), {}, [X(3, 4), X(5, 4)]),
            ("InstanceNorm1d", (3,), {}, [X(3, 5)]), ("ReflectionPad2d", (1,), {}, [X(2, 3, 3)]),
            ("CircularPad1d", (1,), {}, [X(2, 3)]), ("Softmax", (), dict(dim=0), [X(4)]),
            ("Softmin", (), {}, [X(2, 3, 4)]), ("LogSoftmax", (), {}, [X(4)]),
            ("Bilinear", (3, 2, 4), {}, [X(3), X(2)]),
            ("CrossEntropyLoss", (), {}, [X(5), V(np.array(2))]), ("NLLLoss", (), {}, [X(5), V(np.array(2))]),
            ("CrossEntropyLoss", (), dict(label_smoothing=0.2), [X(5), P(5, grad=False)]),
            ("MultiMarginLoss", (), {}, [X(5), V(np.array([2]))]), ("PixelShuffle", (2,), {}, [X(8, 2, 3)]),
            ("Upsample", (), dict(scale_factor=2, mode="bilinear", align_corners=True), [X(2, 1, 3, 3)]),
            ("LocalResponseNorm", (2,), {}, [X(2, 4, 3)]), ("GroupNorm", (2, 4), {}, [X(2, 4)]),
            ("BatchNorm1d", (3,), {}, [X(1, 3, 4)]), ("EmbeddingBag", (10, 3), dict(mode="sum"),
                                                      [V(np.array([1, 2, 3])), V(np.array([0]))])]:
        out.append(Case(cls, L(cls, *a, **k), ins, label=f"unbatched/edge {a} {k}"))
    return out


def cases_extra() -> list[Case]:
    """Reductions of every loss, masks, packed sequences, forward-time errors of common modules."""
    out = []
    for cls, ins in [("L1Loss", [X(3, 4), C(3, 4)]), ("MSELoss", [X(3, 4), C(3, 4)]),
                     ("SmoothL1Loss", [X(3, 4), C(3, 4)]), ("HuberLoss", [X(3, 4), C(3, 4)]),
                     ("SoftMarginLoss", [X(3, 4), S(3, 4)]), ("BCELoss", [P(3, 4), P(3, 4, grad=False)]),
                     ("BCEWithLogitsLoss", [X(3, 4), P(3, 4, grad=False)]), ("CrossEntropyLoss", [X(3, 5), I(5, 3)]),
                     ("CrossEntropyLoss", [X(3, 5, 2), P(3, 5, 2, grad=False)]), ("NLLLoss", [X(3, 5), I(5, 3)]),
                     ("KLDivLoss", [X(3, 4), P(3, 4, grad=False)]), ("PoissonNLLLoss", [X(3, 4), C(3, 4, lo=0)]),
                     ("GaussianNLLLoss", [X(3, 4), C(3, 4), X(3, 4, lo=0.5)]),
                     ("MarginRankingLoss", [X(5), X(5), S(5)]), ("HingeEmbeddingLoss", [X(3, 4), S(3, 4)]),
                     ("CosineEmbeddingLoss", [X(3, 4), X(3, 4), S(3)]), ("MultiMarginLoss", [X(3, 5), I(5, 3)]),
                     ("MultiLabelMarginLoss", [X(2, 4), V(np.array([[3, 0, -1, 1], [1, 2, 3, -1]]))]),
                     ("MultiLabelSoftMarginLoss", [X(3, 4), B(3, 4)]), ("TripletMarginLoss", [X(3, 4)] * 3),
                     ("TripletMarginWithDistanceLoss", [X(3, 4)] * 3)]:
        for red in ("none", "sum"):
            out.append(Case(cls, L(cls, reduction=red), ins, label=f"reduction={red}"))
    out += [
        Case("CTCLoss", L("CTCLoss", reduction="none", zero_infinity=True),
             [X(4, 2, 4), V(np.array([[1, 2, 2], [3, 1, 0]])), V([4, 2]), V([3, 2])],
             fwd=lambda m, mod, x, t, il, tl: mod(x.log_softmax(2), t, il, tl), label="zero_infinity"),
        Case("CTCLoss", L("CTCLoss", blank=3, reduction="sum"),
             [X(6, 2, 4), V(np.array([1, 2, 2, 0, 1])), V([6, 5]), V([3, 2])],
             fwd=lambda m, mod, x, t, il, tl: mod(x.log_softmax(2), t, il, tl), label="concatenated targets"),
        Case("CrossEntropyLoss", lambda m: m.nn.CrossEntropyLoss(weight=m.tensor([1.0, 2.0, 0.5, 1.5, 1.0]),
                                                                 label_smoothing=0.2),
             [X(4, 5), V(np.array([0, -100, 2, 4]))], label="weight+smoothing+ignored"),
        Case("CrossEntropyLoss", lambda m: m.nn.CrossEntropyLoss(weight=m.tensor([1.0, 2.0, 0.5, 1.5, 1.0]),
                                                                 label_smoothing=0.2),
             [X(3, 5), P(3, 5, grad=False)], label="prob target+weight+smoothing"),
        Case("NLLLoss", L("NLLLoss", ignore_index=2), [X(2, 5), V(np.array([2, 2]))], label="all ignored"),
        Case("EmbeddingBag", L("EmbeddingBag", 10, 3, mode="mean", include_last_offset=True),
             [V(np.array([1, 2, 4, 5, 4, 3])), V(np.array([0, 2, 2, 6]))], label="include_last_offset"),
        Case("EmbeddingBag", L("EmbeddingBag", 10, 3, mode="max", padding_idx=4),
             [V(np.array([1, 2, 4, 5, 4, 3])), V(np.array([0, 2, 4]))], label="max+padding_idx"),
        Case("Embedding", L("Embedding", 10, 3, max_norm=0.5, norm_type=1.0, scale_grad_by_freq=True),
             [V(np.array([[1, 2], [2, 7]]))], label="max_norm p=1, scale_grad_by_freq"),
        Case("MultiheadAttention", L("MultiheadAttention", 4, 2, batch_first=True),
             [X(2, 3, 4), X(2, 5, 4), X(2, 5, 4)], label="float masks",
             fwd=lambda m, mod, q, k, v: mod(q, k, v, key_padding_mask=m.tensor(np.array(
                 [[0.0, 0, 0, 0, -1.5], [0.0, 0.5, 0, 0, 0]])), attn_mask=m.tensor(np.linspace(-1, 1, 15).reshape(
                     3, 5)))),
        Case("MultiheadAttention", L("MultiheadAttention", 4, 2), [X(3, 2, 4)], label="self, causal",
             fwd=lambda m, mod, q: mod(q, q, q, attn_mask=causal(m, 3),
                                       is_causal=True)),
        Case("Transformer", L("Transformer", d_model=4, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                              dim_feedforward=8, dropout=0.0, batch_first=True, norm_first=True),
             [X(2, 5, 4), X(2, 3, 4)], label="masks",
             fwd=lambda m, mod, s, t: mod(s, t, tgt_mask=causal(m, 3),
                                          src_key_padding_mask=m.tensor(np.array([[False] * 4 + [True],
                                                                                  [False] * 5])))),
        Case("LSTM", L("LSTM", 3, 4, num_layers=2, dropout=0.5), [X(5, 2, 3)], values="eval", label="dropout"),
        Case("GRU", L("GRU", 3, 4, batch_first=True), [X(3, 4, 3)], label="packed",
             fwd=lambda m, mod, x: m.nn.utils.rnn.pad_packed_sequence(mod(m.nn.utils.rnn.pack_padded_sequence(
                 x, [4, 2, 1], batch_first=True))[0], batch_first=True)[0]),
        Case("LSTM", L("LSTM", 3, 4, bidirectional=True), [X(4, 3, 3)], label="packed unsorted",
             fwd=lambda m, mod, x: mod(m.nn.utils.rnn.pack_padded_sequence(x, [2, 4, 1], enforce_sorted=False))[1]),
        Case("ConvTranspose2d", L("ConvTranspose2d", 2, 3, 3, stride=2), [X(1, 2, 3, 3)], label="output_size",
             fwd=lambda m, mod, x: mod(x, output_size=[8, 8])),
        Case("Upsample", L("Upsample", scale_factor=1.7, mode="nearest"), [X(1, 2, 3, 4)], label="nearest 1.7"),
        Case("Upsample", L("Upsample", scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
             [X(1, 2, 3, 4)], label="recompute"),
        Case("Upsample", L("Upsample", size=(2, 3), mode="area"), [X(1, 2, 5, 7)], label="area"),
        Case("Softmax", L("Softmax"), [X(2, 3, 4)], label="implicit dim 3d"),
        Case("LogSoftmax", L("LogSoftmax"), [X(2, 3, 4, 2)], label="implicit dim 4d"),
        Case("Dropout2d", L("Dropout2d", 0.0), [X(3, 4, 5)], label="3d input"),
        Case("Dropout", L("Dropout", 0.0, inplace=True), [X(3, 4)], fwd=lambda m, mod, x: mod(x * 1), label="inplace"),
        Case("PixelShuffle", L("PixelShuffle", 2), [X(2, 2, 4, 2, 3)], label="extra batch dims"),
        Case("MaxPool2d", L("MaxPool2d", (2, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1)), [X(1, 2, 6, 7)],
             label="dilation"),
        Case("AvgPool3d", L("AvgPool3d", 3, 2, 1, count_include_pad=False, ceil_mode=True), [X(1, 1, 4, 5, 4)],
             label="padding"),
        Case("Fold", L("Fold", (3, 3), 2), [X(4, 4)], label="unbatched"),
        Case("BatchNorm1d", L("BatchNorm1d", 3, momentum=None), [X(4, 3)], label="cumulative twice",
             fwd=lambda m, mod, x: (mod(x), mod(x * 2))),
    ]
    for cls, a, good, bad in [
            ("RNN", (3, 4), [X(5, 2, 3)], [[X(5, 2, 3), X(1, 3, 4)], [X(5, 2, 3), X(2, 2, 4)], [X(2, 2, 3, 1)]]),
            ("GRU", (3, 4), [X(5, 2, 3)], [[X(5, 2, 3), X(2, 4)], [X(5, 2, 3), X(1, 2, 5)]]),
            ("LSTMCell", (3, 4), [X(2, 3)], [[X(2, 3, 1)], [X(2, 3), X(3, 4)]]),
            ("Embedding", (10, 3), [I(10, 4)], [[X(4)], [V(np.array([-11]))]]),
            ("CrossEntropyLoss", (), [X(3, 5), I(5, 3)], [[X(3, 5), V(np.array([0, 5, 1]))], [X(3, 5), I(5, 2)],
                                                          [X(3, 5), P(3, 4, grad=False)]]),
            ("NLLLoss", (), [X(3, 5), I(5, 3)], [[X(3, 5), V(np.array([0, 5, 1]))], [X(3, 5, 2), I(5, 3, 3)]]),
            ("BCELoss", (), [P(3, 4), B(3, 4)], [[P(3, 4), B(4)], [P(3, 4), B(3, 4, 1)]]),
            ("MSELoss", (), [X(3, 4), C(3, 4)], [[X(3, 4), C(2, 4)]]),
            ("KLDivLoss", (), [X(3, 4), C(3, 4)], [[X(3, 4), C(3, 5)]]),
            ("BatchNorm1d", (3,), [X(4, 3)], [[X(1, 3)], [X(1, 3, 1)]]),
            ("BatchNorm2d", (3,), [X(2, 3, 2, 2)], [[X(3, 2, 2)], [X(1, 3, 1, 1)]]),
            ("InstanceNorm2d", (3,), [X(2, 3, 2, 2)], [[X(2, 3, 1, 1)]]),
            ("LayerNorm", ((3, 4),), [X(2, 3, 4)], [[X(4)], [X(2, 4, 4)]]),
            ("Linear", (3, 4), [X(2, 3)], [[X()], [X(3, 2)]]),
            ("Conv2d", (2, 3, 3), [X(1, 2, 4, 4)], [[X(1, 2, 2, 2)], [X(2, 2, 2, 4, 4)], [X(2, 4)]]),
            ("ConvTranspose1d", (2, 3, 3), [X(1, 2, 4)], [[X(1, 2, 4, 4)], [X(1, 3, 4)]]),
            ("MaxPool2d", (3,), [X(1, 2, 4, 4)], [[X(1, 2, 2, 2)], [X(2, 2, 2, 4, 4)]]),
            ("AvgPool2d", (3,), [X(1, 2, 4, 4)], [[X(1, 2, 2, 2)], [X(4)]]),
            ("ReflectionPad2d", (2,), [X(1, 2, 4, 4)], [[X(1, 2, 2, 4)], [X(4)]]),
            ("ReplicationPad1d", (2,), [X(1, 2, 4)], [[X(1, 2, 0)], [X(1, 2, 3, 4)]]),
            ("Upsample", (None, 2), [X(1, 2, 4)], [[X(4)], [X(1, 1, 1, 1, 1, 1)]]),
            ("PixelShuffle", (2,), [X(1, 4, 2, 2)], [[X(4, 2)], [X(1, 3, 2, 2)]]),
            ("GLU", (), [X(2, 4)], [[X(2, 3)], [X()]]),
            ("Softmax2d", (), [X(2, 3, 4)], [[X(3)]]),
            ("Unflatten", (1, (2, 3)), [X(2, 6)], [[X(2, 5)], [X(2)]]),
            ("MultiheadAttention", (4, 2), [X(3, 2, 4), X(5, 2, 4), X(5, 2, 4)],
             [[X(3, 2, 5), X(5, 2, 4), X(5, 2, 4)], [X(3, 2, 4), X(5, 2, 4), X(4, 2, 4)],
              [X(3, 2, 4), X(5, 3, 4), X(5, 3, 4)]]),
            ("TransformerEncoderLayer", (4, 2, 8, 0.0), [X(3, 2, 4)], [[X(3, 2, 3)], [X(3, 2, 4, 1)]]),
            ("Transformer", (4, 2, 1, 1, 8, 0.0), [X(5, 2, 4), X(3, 2, 4)], [[X(5, 2, 4), X(3, 4, 4)],
                                                                             [X(5, 2, 4), X(3, 2, 5)]])]:
        out.append(Case(cls, L(cls, *a), good, bad, label="errors"))
    for cls, a, good, bad in [
            ("Linear", (3, 4), [X(2, 3)], [X32(2, 3)]),
            ("Bilinear", (3, 2, 4), [X(2, 3), X(2, 2)], [X32(2, 3), X(2, 2)]),
            ("Conv2d", (2, 3, 3), [X(1, 2, 4, 4)], [X32(1, 2, 4, 4)]),
            ("ConvTranspose1d", (2, 3, 3), [X(1, 2, 4)], [X32(1, 2, 4)]),
            ("LSTM", (3, 4), [X(5, 2, 3)], [X32(5, 2, 3)]), ("GRUCell", (3, 4), [X(2, 3)], [X32(2, 3)]),
            ("BatchNorm1d", (3,), [X(4, 3)], [X32(4, 3)]), ("LayerNorm", (3,), [X(4, 3)], [X32(4, 3)]),
            ("GroupNorm", (1, 3), [X(4, 3)], [X32(4, 3)]), ("PReLU", (), [X(4, 3)], [X32(4, 3)]),
            ("Embedding", (10, 3), [I(10, 4)], [X(4)]), ("EmbeddingBag", (10, 3), [I(10, 2, 3)], [X(2, 3)]),
            ("MultiheadAttention", (4, 2), [X(3, 2, 4)] * 3, [X32(3, 2, 4)] * 3),
            ("TransformerEncoderLayer", (4, 2, 8, 0.0), [X(3, 2, 4)], [X32(3, 2, 4)]),
            ("InstanceNorm1d", (3, 1e-5, 0.1, True), [X(2, 3, 4)],
                                                       [X32(2, 3, 4)])]:
        out.append(Case(cls, L(cls, *a), good, [bad], label="float32 input to a float64 module"))
    out.append(Case("RMSNorm", L("RMSNorm", 3), [X32(4, 3)], label="float32 input to a float64 module"))
    return out


def _setattr(mod, name, value):
    setattr(mod, name, value)


def _delitem(c, k):
    del c[k]
    return c


def cases_api() -> list[Case]:
    """Module API: state_dict loading, containers, registration errors, dtype moves."""
    seq = lambda m: m.nn.Sequential(m.nn.Linear(2, 3), m.nn.ReLU(), m.nn.Linear(3, 1))  # noqa: E731
    lin = lambda m: m.nn.Linear(2, 3)  # noqa: E731
    bn = lambda m: m.nn.BatchNorm1d(3)  # noqa: E731
    mlist = lambda m: m.nn.ModuleList([m.nn.Linear(2, 2) for _ in range(3)] + [m.nn.ReLU()])  # noqa: E731
    mdict = lambda m: m.nn.ModuleDict({"a": m.nn.Linear(2, 2), "b": m.nn.ReLU()})  # noqa: E731
    plist = lambda m: m.nn.ParameterList([m.nn.Parameter(m.zeros(2)), m.ones(3)])  # noqa: E731
    pdict = lambda m: m.nn.ParameterDict({"w": m.nn.Parameter(m.zeros(2)), "b": m.ones(1)})  # noqa: E731
    apis = [
        (seq, "state_dict keys", lambda m, s: list(s.state_dict(prefix="p.").keys())),
        (seq, "keep_vars", lambda m, s: [type(v).__name__ for v in s.state_dict(keep_vars=True).values()]),
        (lin, "load missing", lambda m, s: s.load_state_dict({"weight": m.zeros(3, 2)})),
        (lin, "load unexpected", lambda m, s: s.load_state_dict({"weight": m.zeros(3, 2), "bias": m.zeros(3),
                                                                 "x": m.zeros(1)})),
        (lin, "load non-strict", lambda m, s: s.load_state_dict({"weight": m.ones(3, 2), "x": m.zeros(1)},
                                                                strict=False)),
        (lin, "load shape", lambda m, s: s.load_state_dict({"weight": m.zeros(2, 2), "bias": m.zeros(3)})),
        (lin, "load float32 into float64", lambda m, s: (s.double().load_state_dict(
            {"weight": m.ones(3, 2), "bias": m.ones(3)}), s.weight.dtype)),
        (bn, "load num_batches_tracked", lambda m, s: (s.load_state_dict(
            {k: v + 2 for k, v in s.state_dict().items()}), s.num_batches_tracked)),
        (lin, "assign tensor to param", lambda m, s: _setattr(s, "weight", m.zeros(3, 2))),
        (lin, "assign None to param", lambda m, s: (_setattr(s, "bias", None), list(s.state_dict()))),
        (lin, "register_buffer bad name", lambda m, s: s.register_buffer("a.b", m.zeros(1))),
        (lin, "register_buffer existing", lambda m, s: s.register_buffer("weight", m.zeros(1))),
        (lin, "register_buffer non-tensor", lambda m, s: s.register_buffer("buf", 3)),
        (lin, "register_parameter non-param", lambda m, s: s.register_parameter("p", m.zeros(1))),
        (lin, "non-persistent buffer", lambda m, s: (s.register_buffer("buf", m.ones(2), persistent=False),
                                                     list(s.state_dict()), [k for k, _ in s.named_buffers()])),
        (lin, "add_module dotted", lambda m, s: s.add_module("a.b", m.nn.ReLU())),
        (lin, "add_module non-module", lambda m, s: s.add_module("a", 3)),
        (lin, "train non-bool", lambda m, s: s.train("yes")),
        (lin, "requires_grad_", lambda m, s: [p.requires_grad for p in s.requires_grad_(False).parameters()]),
        (lin, "half", lambda m, s: [p.dtype for p in s.half().parameters()]),
        (lin, "to(float64)", lambda m, s: [p.dtype for p in s.to(m.float64).parameters()]),
        (lin, "zero_grad", lambda m, s: (s(m.ones(1, 2)).sum().backward(), s.zero_grad(),
                                         [p.grad for p in s.parameters()])),
        (seq, "get_submodule", lambda m, s: s.get_submodule("0")),
        (seq, "get_submodule missing", lambda m, s: s.get_submodule("5")),
        (seq, "get_parameter", lambda m, s: s.get_parameter("2.bias").shape),
        (seq, "named_modules", lambda m, s: [k for k, _ in s.named_modules()]),
        (seq, "children", lambda m, s: [type(c).__name__ for c in s.children()]),
        (seq, "slice", lambda m, s: s[1:]),
        (seq, "negative index", lambda m, s: s[-1]),
        (seq, "index out of range", lambda m, s: s[3]),
        (seq, "append/insert/pop", lambda m, s: (s.append(m.nn.Tanh()), s.insert(0, m.nn.Sigmoid()), s.pop(1),
                                                 len(s))),
        (seq, "del", lambda m, s: (_delitem(s, 0), [k for k, _ in s.named_children()])),
        (seq, "add", lambda m, s: s + m.nn.Sequential(m.nn.Tanh())),
        (lambda m: m.nn.Sequential(collections.OrderedDict([("fc", m.nn.Linear(2, 2)), ("act", m.nn.ReLU())])),
         "OrderedDict", lambda m, s: (s.fc, list(s.state_dict()))),
        (mlist, "repr compressed", lambda m, s: len(s)),
        (mlist, "extend/insert", lambda m, s: (s.extend([m.nn.Tanh()]), s.insert(1, m.nn.Sigmoid()), len(s))),
        (mlist, "slice", lambda m, s: s[1:3]),
        (mlist, "add", lambda m, s: s + m.nn.ModuleList([m.nn.Tanh()])),
        (mlist, "call", lambda m, s: s(m.ones(2))),
        (mdict, "keys/update/pop", lambda m, s: (list(s.keys()), s.update({"c": m.nn.Tanh()}), s.pop("a"),
                                                 list(s.keys()))),
        (mdict, "missing key", lambda m, s: s["z"]),
        (plist, "repr", lambda m, s: [type(p).__name__ for p in s]),
        (pdict, "repr", lambda m, s: [type(p).__name__ for p in s.values()]),
        (lambda m: m.nn.Sequential(), "empty", lambda m, s: s(m.ones(2))),
        (lambda m: m.nn.Linear(2, 2), "shared param", lambda m, s: (
            _setattr(s, "w2", s.weight), [k for k, _ in s.named_parameters()],
            [k for k, _ in s.named_parameters(remove_duplicate=False)], list(s.state_dict()))),
        (lambda m: m.nn.Embedding(5, 2), "from_pretrained", lambda m, s: m.nn.Embedding.from_pretrained(
            m.ones(4, 3), freeze=False, padding_idx=1)),
        (lambda m: m.nn.EmbeddingBag(5, 2), "from_pretrained", lambda m, s: m.nn.EmbeddingBag.from_pretrained(
            m.ones(4, 3), mode="max")),
    ]
    return [Case(type(c(torch)).__name__, c, label=label, api=f) for c, label, f in apis]


def cases_f32() -> list[Case]:
    """Every full-value case of the layer families again in float32 (values to 1e-4) or float16 (2e-2)."""
    out = []
    for fam in (cases_linear, cases_conv, cases_norm, cases_pool, cases_activation, cases_loss, cases_rnn):
        for c in fam():
            if c.values == "full" and not c.cls.startswith("Lazy"):
                c.label = "low " + (c.label or c.cls)
                c.bad = []
                out.append(c)
    return out


REPRS = """Conv2d(2, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=2, groups=2, bias=False, padding_mode='reflect')
Conv1d(2, 4, 3, padding='same') | Conv3d(2, 2, 1, padding='valid') | Conv1d(2, 2, 3, padding=1, padding_mode='circular')
ConvTranspose2d(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1, bias=False)
ConvTranspose1d(2, 4, 3, dilation=2) | MaxPool2d(3, 2, 1, 2, True, True) | MaxPool1d(2, ceil_mode=True)
AvgPool2d(3, 1, 1, True, False, 2) | AvgPool1d(3) | AvgPool3d((1, 2, 3)) | LPPool2d(2, 3, stride=2, ceil_mode=True)
LPPool1d(1.5, 2) | AdaptiveMaxPool2d((2, None), return_indices=True) | AdaptiveAvgPool3d((1, None, 2))
FractionalMaxPool2d(3, output_ratio=(0.5, 0.5)) | MaxUnpool2d(2, stride=1, padding=1) | MaxUnpool1d(3)
Upsample(scale_factor=2.0, mode='bilinear', align_corners=False) | Upsample(size=(4, 5)) | Upsample(scale_factor=(2, 3))
UpsamplingNearest2d(size=3) | UpsamplingBilinear2d(scale_factor=1.5) | Softmax() | Softmax(dim=-1) | Softmin(0)
LogSoftmax(dim=2) | Threshold(0.1, 2, inplace=True) | Hardtanh(-2, 2, True) | LeakyReLU(0.1, inplace=True)
ELU(2.0, True) | CELU(inplace=True) | SELU(inplace=True) | RReLU(0.1, 0.2, inplace=True) | ReLU6(True)
SiLU(inplace=True) | Mish(inplace=True) | Hardswish(inplace=True) | Hardsigmoid(True) | GELU(approximate='tanh')
Softplus(2, 10) | Softshrink(0.2) | Hardshrink() | GLU(-2) | PReLU(3, 0.1) | Dropout(0.3, inplace=True)
Dropout2d() | AlphaDropout(0.1) | FeatureAlphaDropout(0.2, True) | Dropout1d(0.1)
Embedding(5, 3, padding_idx=2, max_norm=1.5, norm_type=1.0, scale_grad_by_freq=True, sparse=True)
Embedding(5, 3, padding_idx=-1) | EmbeddingBag(5, 3, max_norm=2.0, norm_type=3, scale_grad_by_freq=True, mode='sum')
EmbeddingBag(5, 3, include_last_offset=True, sparse=True) | RNN(3, 4, 2, nonlinearity='relu', bias=False)
RNN(3, 4, batch_first=True, dropout=0.5, bidirectional=True) | LSTM(3, 4, proj_size=2, num_layers=3)
GRU(3, 4, 1, True, True)
LSTMCell(3, 4, bias=False) | RNNCell(3, 4, nonlinearity='relu') | GRUCell(3, 4, False)
MultiheadAttention(4, 2, kdim=3, vdim=5, dropout=0.1) | MultiheadAttention(4, 1, add_bias_kv=True, bias=False)
TransformerEncoderLayer(4, 2, 8, 0.1, activation='gelu', layer_norm_eps=1e-6, batch_first=True)
TransformerDecoderLayer(4, 2, 8, norm_first=True, bias=False)
Transformer(4, 2, 1, 2, 8) | LayerNorm(4, eps=1e-3, elementwise_affine=False) | LayerNorm([2, 3], bias=False)
GroupNorm(2, 4, eps=1e-3, affine=False) | RMSNorm(3) | RMSNorm([2, 3], eps=1e-6, elementwise_affine=False)
BatchNorm1d(3, 1e-3, None, False, False) | BatchNorm2d(3, momentum=0.2) | InstanceNorm2d(3, affine=True)
InstanceNorm1d(3, 1e-3, 0.2, True, True) | LocalResponseNorm(3, 1e-3, 0.5, 2.0) | CrossMapLRN2d(3, 1e-3, 0.5, 2)
Fold((4, 5), 2, 1, 1, 1) | Unfold((2, 3), padding=1) | PixelShuffle(3) | PixelUnshuffle(2) | ChannelShuffle(3)
Flatten(0, -2) | Unflatten(-1, (2, 3)) | Identity() | CosineSimilarity(0, 1e-6) | PairwiseDistance(1, 1e-5, True)
Bilinear(2, 3, 4, bias=False) | Linear(2, 3, False) | ZeroPad2d((1, 2, 3, 4)) | ZeroPad1d(2)
ConstantPad2d(2, 3.5) | ConstantPad3d((1, 1, 2, 2, 0, 1), -1) | ReflectionPad1d((1, 2)) | ReplicationPad3d(1)
CircularPad2d((1, 0, 1, 0)) | CTCLoss(blank=2, reduction='sum', zero_infinity=True) | MSELoss(reduction='sum')
CrossEntropyLoss(ignore_index=2, label_smoothing=0.1) | TripletMarginLoss(margin=0.5, p=1, swap=True)
AdaptiveLogSoftmaxWithLoss(8, 10, [4, 8], div_value=2.0, head_bias=True)
Softmax2d() | Tanhshrink() | LogSigmoid() | Softsign() | Sigmoid() | Tanh()"""


def cases_repr() -> list[Case]:
    """repr, parameters, buffers and state_dict of constructors with non-default arguments."""
    out = []
    for text in " | ".join(REPRS.splitlines()).split(" | "):
        cls = text.split("(")[0]
        out.append(Case(cls, lambda m, t=text: eval("m.nn." + t), values="none", label=text))  # noqa: S307
    return out


FAMILIES = {"linear": cases_linear, "conv": cases_conv, "norm": cases_norm, "pool": cases_pool,
            "activation": cases_activation, "loss": cases_loss, "rnn": cases_rnn, "ctor": cases_ctor,
            "extra": cases_extra, "api": cases_api,
            "f32": cases_f32, "f16": cases_f32, "repr": cases_repr}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--family", default=",".join(FAMILIES), help="comma-separated: " + ", ".join(FAMILIES))
    p.add_argument("--module", default=None, help="comma-separated class names")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--trace", action="store_true", help="print each case to stderr before running it")
    args = p.parse_args(argv)
    s = Sweep(args.verbose)
    s.trace = args.trace
    only = set(args.module.split(",")) if args.module else None
    families: dict[str, str] = {}
    for fam in args.family.split(","):
        t0 = time.time()
        LOW["dtype"] = {"f32": "float32", "f16": "float16"}.get(fam)
        s.family = fam
        s.ran.append(fam)
        for case in FAMILIES[fam]():
            families.setdefault(case.cls, fam)
            if only is None or case.cls in only:
                s.run(case)
        print(f"[{fam}: {time.time() - t0:.0f}s, {s.cases} cases so far]", file=sys.stderr, flush=True)
    s.report(families)
    return 0 if not s.fails else 1


if __name__ == "__main__":
    sys.exit(main())
