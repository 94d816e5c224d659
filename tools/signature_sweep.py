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


def sweep(scope: list[str], ignore: set[str]) -> list[tuple[str, list[str]]]:
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
                    theirs[name].update(set(inspect.signature(f).parameters) - _SKIP_NAMES)
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
            missing = sorted(theirs[name] - ours - ignore)
            if missing:
                rows.append((f"{label}.{name}", missing))
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scope", default="torch,tensor,functional")
    p.add_argument("--ignore", default="", help="comma-separated parameter names not to report (e.g. out)")
    args = p.parse_args()
    rows = sweep(args.scope.split(","), set(filter(None, args.ignore.split(","))))
    for name, missing in rows:
        print(f"{name}: {', '.join(missing)}")
    print(f"{len(rows)} functions accept fewer keywords than torch's")


if __name__ == "__main__":
    main()
