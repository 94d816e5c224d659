"""Numba's on-disk cache, made safe for processes that compile one kernel at the same moment, and for kernels
whose callees live in other files.

Stale callees: Numba stamps a cache entry with its own source file only (a hash of it, or its mtime and size
in numba-cuda), so a kernel that inlines or calls an @njit function of ANOTHER file (tridiag_dc's solver from
linalg.py, scalar.py's helpers from every generated elementwise kernel) keeps running its old machine code after
that other file changed. Every kernel of this package is therefore stamped with a digest of all of the package's
sources as well (a change to any kernel file recompiles them once), and generated kernels live in a folder named
by that digest (kernels/cpu/codegen.py), so checkouts with different kernel sources sharing ~/.cache/ntorch keep
separate caches instead of overwriting each other's.

Numba names a new cache entry's data file after the first number its index does not use yet (`f-12.py311.1.nbc`).
Two processes that compile different signatures of one kernel at once (pytest-xdist workers, DataLoader workers,
parallel scripts on a cold cache) can both read the index before either saves it, both pick `.1.nbc`, and leave an
index that maps one signature to the other's machine code: the next process then fails to type the call ("Invalid
use of type(CPUDispatcher(...))" with the signature listed as known). Naming each data file by a digest of its
entry's key gives every key a name of its own, so concurrent writers of different keys never share a file, and
writers of one key write the same code. A lost index update (two writers, last one wins) only costs a recompile.
"""

from __future__ import annotations

import functools
import hashlib
import os

_ROOT = os.path.dirname(os.path.abspath(__file__))  # the package's kernel sources


def _save(self, key, data) -> None:
    """IndexDataCacheFile.save with the data file named by the key's digest (see the module docstring)."""
    overloads = self._load_index()
    name = overloads.get(key)
    if name is None:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:24]
        name = f"{self._index_name[:-len('.nbi')]}.{digest}.nbc"
        overloads[key] = name
        self._save_index(overloads)
    self._save_data(name, data)


def use_key_named_data_files(index_data_cache_file: type) -> None:
    """Install _save on Numba's (or numba-cuda's) IndexDataCacheFile class; idempotent."""
    index_data_cache_file.save = _save


@functools.cache
def package_digest() -> str:
    """A digest of every .py file of ntorch.kernels (names and contents): ~50 files, ~1.5 ms once a process."""
    h = hashlib.sha256()
    root = _ROOT
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, root).encode())
                with open(path, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:24]


def use_package_source_stamp(locator_mixin: type) -> None:
    """Wrap a Numba locator class's get_source_stamp so that kernels of this package (see the module docstring)
    carry the package digest beside their own file's stamp; idempotent."""
    original = locator_mixin.get_source_stamp
    if getattr(original, "_ntorch_package_stamp", False):
        return

    def get_source_stamp(self):
        stamp = original(self)
        path = os.path.abspath(getattr(self, "_py_file", "") or "")
        if path.startswith(_ROOT + os.sep):
            return (stamp, package_digest())
        return stamp

    get_source_stamp._ntorch_package_stamp = True
    locator_mixin.get_source_stamp = get_source_stamp
