"""Signature sweep: the keyword arguments torch 2.13 accepts that ntorch's function of the same name does not.

    .venv/bin/python tools/signature_sweep.py [--scope torch,tensor,functional] [--ignore out,names]

torch's builtins have no inspect.signature, so their parameter names come from the type stubs that ship with the
wheel (torch/_C/_VariableFunctions.pyi for torch.*, torch/_C/__init__.pyi's TensorBase for Tensor methods,
torch/_C/_nn.pyi and the Python sources of torch.nn.functional), as the union over each name's overloads.
An ntorch function with **kwargs is skipped (it accepts anything). Needs torch installed; ntorch never imports it.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import os
from collections import defaultdict

import torch
import torch.nn.functional as TF

import ntorch
import ntorch.nn.functional as NF

_SKIP_NAMES = {"self", "input", "names"}  # named-tensor overloads
# Stub names torch's argument parser does not take as keywords (checked against torch 2.13 in the venv).
_POSITIONAL_ONLY = {"torch.from_numpy": {"ndarray"}, "torch.set_num_threads": {"num"},
                    "Tensor.requires_grad_": {"mode"}, "Tensor.to": {"other"}}
# Owned by the creation/random work, reported only with --all.
_CREATION_KEYWORDS = {"layout", "pin_memory", "memory_format"}
_CREATION = ("empty", "zeros", "ones", "full", "arange", "range", "linspace", "logspace", "eye", "rand", "randn",
             "randint", "randperm", "normal", "scalar_tensor", "tensor", "tril_indices", "triu_indices", "new",
             "bernoulli", "multinomial")


def _is_creation(qualname: str) -> bool:
    name = qualname.split(".", 1)[1]
    return name.endswith("_window") or any(name == c or name.startswith(c + "_") for c in _CREATION)


def _stub_params(path: str, cls: str | None = None) -> dict[str, set[str]]:
    tree = ast.parse(open(path).read())
    body = tree.body
    if cls is not None:
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls).body
    params: dict[str, set[str]] = defaultdict(set)
    for node in body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            a = node.args
            names = [p.arg for p in a.args + a.kwonlyargs]
            params[node.name].update(n for n in names if n not in _SKIP_NAMES)
    return params


def _ours(fn) -> set[str] | None:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return set(sig.parameters)


def sweep(scope: list[str], ignore: set[str], everything: bool = False) -> list[tuple[str, list[str]]]:
    base = os.path.dirname(torch.__file__)
    tables = []
    if "torch" in scope:
        tables.append(("torch", _stub_params(os.path.join(base, "_C", "_VariableFunctions.pyi")), ntorch))
    if "tensor" in scope:
        tables.append(("Tensor", _stub_params(os.path.join(base, "_C", "__init__.pyi"), "TensorBase"), ntorch.Tensor))
    if "functional" in scope:
        theirs: dict[str, set[str]] = defaultdict(set)
        for name in dir(TF):
            f = getattr(TF, name)
            if callable(f) and not name.startswith("_"):
                try:
                    params = set(inspect.signature(f).parameters)
                    if params == {"args", "kwargs"}:  # boolean_dispatch wrappers (max_pool*): no real signature
                        continue
                    theirs[name].update(params - _SKIP_NAMES)
                except (TypeError, ValueError):
                    pass
        tables.append(("F", theirs, NF))
    rows = []
    for label, theirs, module in tables:
        for name in sorted(theirs):
            ours_fn = getattr(module, name, None)
            if ours_fn is None or not callable(ours_fn):
                continue
            ours = _ours(ours_fn)
            if ours is None:
                continue
            qual = f"{label}.{name}"
            skip = set(ignore)
            if not everything:
                skip |= _POSITIONAL_ONLY.get(qual, set())
                if _is_creation(qual):
                    continue
                skip |= _CREATION_KEYWORDS
            missing = sorted(theirs[name] - ours - skip)
            if missing:
                rows.append((qual, missing))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scope", default="torch,tensor,functional")
    p.add_argument("--ignore", default="", help="comma-separated parameter names not to report (e.g. out)")
    p.add_argument("--all", action="store_true", help="also creation/random functions and layout/pin_memory/"
                   "memory_format, and stub names torch takes only positionally")
    args = p.parse_args()
    rows = sweep(args.scope.split(","), set(filter(None, args.ignore.split(","))), args.all)
    for name, missing in rows:
        print(f"{name}: {', '.join(missing)}")
    print(f"{len(rows)} functions accept fewer keywords than torch's")


if __name__ == "__main__":
    main()
