"""Benchmark cases: one table shared by the pytest-benchmark suite and the results runner.

The core cases are here; each op family keeps its cases in bench/cases_<family>.py, appended at the end.

Each case builds inputs once and returns callables for ntorch and its competitors (numpy, torch),
so every implementation is timed on the same data.
"""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch


def _binary(op: str, n: int, fresh: bool = True):
    def setup():
        a, b = _f32(n), _f32(n, seed=1)
        ta, tb = ntorch.from_numpy(a), ntorch.from_numpy(b)
        fns = {"ntorch": lambda: getattr(ntorch, op)(ta, tb), "numpy": lambda: getattr(np, op)(a, b)}
        if torch is not None:
            pa, pb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda: getattr(torch, op)(pa, pb)
        return fns
    return setup


def _unary(op: str, n: int):
    np_fn = {"exp": np.exp, "tanh": np.tanh, "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
             "gelu": None}[op]

    def setup():
        a = _f32(n)
        ta = ntorch.from_numpy(a)
        nt_fn = ntorch.nn.functional.gelu if op == "gelu" else getattr(ntorch, op)
        fns = {"ntorch": lambda: nt_fn(ta)}
        if np_fn is not None:
            fns["numpy"] = lambda: np_fn(a)
        if torch is not None:
            pa = torch.from_numpy(a)
            t_fn = torch.nn.functional.gelu if op == "gelu" else getattr(torch, op)
            fns["torch"] = lambda: t_fn(pa)
        return fns
    return setup


def _reduce(op: str, shape: tuple, dim):
    def setup():
        a = _f32(*shape)
        ta = ntorch.from_numpy(a)
        np_fn = {"sum": np.sum, "mean": np.mean, "max": np.max}[op]
        nt_fn = {"sum": ntorch.sum, "mean": ntorch.mean, "max": ntorch.amax}[op]
        fns = {"ntorch": (lambda: nt_fn(ta)) if dim is None else (lambda: nt_fn(ta, dim)),
               "numpy": (lambda: np_fn(a)) if dim is None else (lambda: np_fn(a, axis=dim))}
        if torch is not None:
            pa = torch.from_numpy(a)
            t_fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[op]
            fns["torch"] = (lambda: t_fn(pa)) if dim is None else (lambda: t_fn(pa, dim))
        return fns
    return setup


def _matmul(n: int):
    def setup():
        a, b = _f32(n, n), _f32(n, n, seed=1)
        ta, tb = ntorch.from_numpy(a), ntorch.from_numpy(b)
        fns = {"ntorch": lambda: ta @ tb, "numpy": lambda: a @ b}
        if torch is not None:
            pa, pb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = lambda: pa @ pb
        return fns
    return setup


def _tiny_add():
    a, b = _f32(3, 3), _f32(3, 3, seed=1)
    ta, tb = ntorch.from_numpy(a), ntorch.from_numpy(b)
    fns = {"ntorch": lambda: ta + tb, "numpy": lambda: a + b}
    if torch is not None:
        pa, pb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = lambda: pa + pb
    return fns


def _broadcast_add(transposed: bool):
    def setup():
        a, b = _f32(1000, 1000), _f32(1000, seed=1)
        ta, tb = ntorch.from_numpy(a), ntorch.from_numpy(b)
        if transposed:
            fns = {"ntorch": lambda: ta.t() + ta, "numpy": lambda: a.T + a}
        else:
            fns = {"ntorch": lambda: ta + tb, "numpy": lambda: a + b}
        if torch is not None:
            pa, pb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch"] = (lambda: pa.t() + pa) if transposed else (lambda: pa + pb)
        return fns
    return setup


CASES = [
    Case("elementwise", "add 1e6", _binary("add", 10**6), 12e6),
    Case("elementwise", "mul 1e6", _binary("multiply", 10**6), 12e6),
    Case("elementwise", "add 1e7 (fresh output)", _binary("add", 10**7), 12e7),
    Case("elementwise", "a + b 3x3", _tiny_add, 0.0, "-"),
    Case("broadcast", "(1000,1000) + (1000,)", _broadcast_add(False), 8e6),
    Case("broadcast", "x.t() + x, 1000x1000", _broadcast_add(True), 12e6),
    Case("transcendental", "exp 1e6", _unary("exp", 10**6), 8e6),
    Case("transcendental", "tanh 1e6", _unary("tanh", 10**6), 8e6),
    Case("transcendental", "sigmoid 1e6", _unary("sigmoid", 10**6), 8e6),
    Case("transcendental", "gelu 1e6", _unary("gelu", 10**6), 8e6),
    Case("reduction", "sum 1e7", _reduce("sum", (10**7,), None), 4e7),
    Case("reduction", "mean 1e7", _reduce("mean", (10**7,), None), 4e7),
    Case("reduction", "max 1e7", _reduce("max", (10**7,), None), 4e7),
    Case("reduction", "sum 4096x4096 dim 0", _reduce("sum", (4096, 4096), 0), 4 * 4096**2),
    Case("reduction", "sum 4096x4096 dim 1", _reduce("sum", (4096, 4096), 1), 4 * 4096**2),
    Case("reduction", "max 4096x4096 dim 1", _reduce("max", (4096, 4096), 1), 4 * 4096**2),
    *[Case("matmul", f"matmul {n}", _matmul(n), 2.0 * n**3, "GFLOP/s") for n in (64, 256, 512, 1024, 2048)],
]

for _family in ("cases_indexing", "cases_shape", "cases_sort", "cases_nn", "cases_conv", "cases_autograd"):
    CASES += __import__(_family).CASES
