"""Benchmark cases: cat / stack / flip / roll / pad and other rearranging copies. Appended to bench/cases.py's CASES."""

from __future__ import annotations

import numpy as np
from casekit import Case, _f32, torch

import ntorch


def _case(make_inputs, nt, np_fn=None, torch_fn=None):
    """A setup from one input maker and the three implementations, each taking the inputs' own kind."""

    def setup():
        arrays = make_inputs()
        tensors = [ntorch.from_numpy(a) for a in arrays]
        fns = {"ntorch": lambda: nt(*tensors)}
        if np_fn is not None:
            fns["numpy"] = lambda: np_fn(*arrays)
        if torch is not None and torch_fn is not None:
            pts = [torch.from_numpy(a) for a in arrays]
            fns["torch"] = lambda: torch_fn(*pts)
        return fns

    return setup


def _four():
    return [_f32(1024, 1024, seed=i) for i in range(4)]


def _one(*shape):
    return lambda: [_f32(*shape)]


def _np_pad_reflect(x):
    return np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect")


_MB16 = 2 * 4 * 4 * 1024 * 1024  # bytes read + written by a copy of 4 (1024,1024) float32 arrays
_MB4 = 2 * 4 * 1024 * 1024
_PAD = 4 * 32 * 64 * (32 * 32 + 34 * 34)

CASES: list[Case] = [
    Case("shape", "cat 4x(1024,1024) dim 0", _case(_four, lambda *t: ntorch.cat(t, 0),
                                                   lambda *a: np.concatenate(a, 0),
                                                   lambda *t: torch.cat(t, 0)), _MB16),
    Case("shape", "cat 4x(1024,1024) dim 1", _case(_four, lambda *t: ntorch.cat(t, 1),
                                                   lambda *a: np.concatenate(a, 1),
                                                   lambda *t: torch.cat(t, 1)), _MB16),
    Case("shape", "stack 4x(1024,1024) dim 0", _case(_four, lambda *t: ntorch.stack(t, 0),
                                                     lambda *a: np.stack(a, 0),
                                                     lambda *t: torch.stack(t, 0)), _MB16),
    Case("shape", "flip (1024,1024) dim 1", _case(_one(1024, 1024), lambda t: ntorch.flip(t, (1,)),
                                                  lambda a: np.flip(a, 1).copy(),
                                                  lambda t: torch.flip(t, (1,))), _MB4),
    Case("shape", "flip (1024,1024) dims (0,1)", _case(_one(1024, 1024), lambda t: ntorch.flip(t, (0, 1)),
                                                       lambda a: np.flip(a, (0, 1)).copy(),
                                                       lambda t: torch.flip(t, (0, 1))), _MB4),
    Case("shape", "roll (1024,1024) (5,7) dims (0,1)",
         _case(_one(1024, 1024), lambda t: ntorch.roll(t, (5, 7), (0, 1)),
               lambda a: np.roll(a, (5, 7), (0, 1)), lambda t: torch.roll(t, (5, 7), (0, 1))), _MB4),
    Case("shape", "F.pad reflect (32,64,32,32) by 1",
         _case(_one(32, 64, 32, 32), lambda t: ntorch.nn.functional.pad(t, (1, 1, 1, 1), "reflect"),
               _np_pad_reflect,
               lambda t: torch.nn.functional.pad(t, (1, 1, 1, 1), "reflect")), _PAD),
    Case("shape", "repeat_interleave (1024,1024) x2 dim 0",
         _case(_one(1024, 1024), lambda t: ntorch.repeat_interleave(t, 2, 0),
               lambda a: np.repeat(a, 2, 0), lambda t: torch.repeat_interleave(t, 2, 0)), 3 * _MB4 // 2),
    Case("shape", "repeat_interleave (1024,1024) x2 dim 1",
         _case(_one(1024, 1024), lambda t: ntorch.repeat_interleave(t, 2, 1),
               lambda a: np.repeat(a, 2, 1), lambda t: torch.repeat_interleave(t, 2, 1)), 3 * _MB4 // 2),
]
