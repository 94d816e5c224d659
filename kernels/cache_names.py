"""Numba's on-disk cache, made safe for processes that compile one kernel at the same moment.

Numba names a new cache entry's data file after the first number its index does not use yet (`f-12.py311.1.nbc`).
Two processes that compile different signatures of one kernel at once (pytest-xdist workers, DataLoader workers,
parallel scripts on a cold cache) can both read the index before either saves it, both pick `.1.nbc`, and leave an
index that maps one signature to the other's machine code: the next process then fails to type the call ("Invalid
use of type(CPUDispatcher(...))" with the signature listed as known). Naming each data file by a digest of its
entry's key gives every key a name of its own, so concurrent writers of different keys never share a file, and
writers of one key write the same code. A lost index update (two writers, last one wins) only costs a recompile.
"""

from __future__ import annotations

import hashlib


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
