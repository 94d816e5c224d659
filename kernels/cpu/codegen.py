"""Kernel source generation into real files, so Numba's on-disk cache works.

Numba cannot cache functions made by closures inside a factory. Generated kernels are therefore
written as ordinary modules in a cache folder, under a name derived from a hash of their source, and
imported from there: the file never changes once written, so Numba's cache (keyed on the file's path
and timestamp) stays valid across processes.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

import numba

from ..cache_names import package_digest

DEBUG = int(os.environ.get("NTORCH_DEBUG", "0") or 0)
_lock = threading.Lock()
_modules: dict[str, object] = {}


@functools.cache
def cache_dir() -> Path:
    """Folder holding generated kernel sources (and, beside them, Numba's compiled cache)."""
    root = os.environ.get("NTORCH_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = Path(xdg) / "ntorch"
    # one folder per version of the kernel sources (generated kernels call the package's helpers: see
    # kernels/cache_names.py); folders of older versions can be deleted
    tag = f"numba{numba.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    path = base / tag / package_digest()[:16]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        path = Path(tempfile.gettempdir()) / "ntorch-cache" / tag / package_digest()[:16]
        path.mkdir(parents=True, exist_ok=True)
    return path


def load_source(prefix: str, source: str):
    """Import `source` as a module from a stable file named by its hash; write the file only once."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    name = f"{prefix}_{digest}"
    module = _modules.get(name)
    if module is not None:
        return module
    with _lock:
        module = _modules.get(name)
        if module is not None:
            return module
        path = cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(source)
            os.replace(tmp, path)
        modname = f"ntorch_generated_{name}"
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module  # Numba's cache re-imports the module by name when loading
        spec.loader.exec_module(module)
        _modules[name] = module
        if DEBUG:
            print(f"[ntorch] kernel module {name} <- {path}", file=sys.stderr)
    return module


def call_logged(label: str, fn, *args):
    """Call a Numba dispatcher and report (stderr) which variant ran and whether it compiled."""
    before = len(fn.signatures)
    hits = sum(fn.stats.cache_hits.values())
    result = fn(*args)
    if len(fn.signatures) > before:
        how = "loaded from cache" if sum(fn.stats.cache_hits.values()) > hits else "compiled"
        print(f"[ntorch] {how}: {label} {fn.signatures[-1]}", file=sys.stderr)
    elif DEBUG > 1:
        print(f"[ntorch] run: {label}", file=sys.stderr)
    return result
