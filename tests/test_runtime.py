"""Process-level behaviour: lazy compilation, the on-disk cache, thread safety, bad input never crashes."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import ntorch as nt

WORKLOAD = """
import gc, sys, numba, ntorch as nt
from numba.core.dispatcher import Dispatcher
def misses():
    return sum(sum(d.stats.cache_misses.values()) for d in gc.get_objects() if isinstance(d, Dispatcher))
assert misses() == 0, "import compiled something"
a = nt.arange(12.).reshape(3, 4)
b = (a + 1) * a.t().t() - 2
c = nt.exp(b[:, ::2]) + nt.tensor([1.0, 2.0])
s = (c.sum(), c.max(1).values, a.mean(0), a @ a.T, nt.arange(6) // 4)
print("misses", misses())
"""


def _run(code: str, cache: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NTORCH_CACHE_DIR=cache, NTORCH_DEBUG="1")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)


def test_second_process_compiles_nothing(tmp_path):
    first = _run(WORKLOAD, str(tmp_path))
    assert first.returncode == 0, first.stderr
    second = _run(WORKLOAD, str(tmp_path))
    assert second.returncode == 0, second.stderr
    assert "misses 0" in second.stdout, second.stdout + second.stderr
    assert "[ntorch] compiled" not in second.stderr
    assert "[ntorch] loaded from cache" in second.stderr


def test_debug_reports_compile_events(tmp_path):
    out = _run("import ntorch as nt; nt.ones(3) * nt.ones(3)", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "mul/float32/contig_aa" in out.stderr


def test_calls_from_many_threads_agree():
    a = np.random.default_rng(0).standard_normal(400_000).astype(np.float32)  # large: parallel kernels
    ta = nt.from_numpy(a)
    expected = (a * 2 + 1).sum(dtype=np.float64)
    errors = []

    def work():
        try:
            for _ in range(5):
                got = float((ta * 2 + 1).sum().item())
                if abs(got - expected) > 1e-3 * abs(expected) + 1:
                    errors.append(got)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


NASTY = """
import ntorch as nt
cases = [
    (IndexError, lambda: nt.zeros(3)[3]),
    (IndexError, lambda: nt.zeros(3)[-4]),
    (IndexError, lambda: nt.zeros(2, 2)[0, 0, 0]),
    (IndexError, lambda: nt.zeros(3)[1.5]),
    (ValueError, lambda: nt.zeros(3)[::-1]),
    (RuntimeError, lambda: nt.zeros(2, 3).t().view(6)),
    (RuntimeError, lambda: nt.zeros(2, 3).view(4)),
    (RuntimeError, lambda: nt.zeros(2, 3) + nt.zeros(3, 2)),
    (RuntimeError, lambda: nt.zeros(2, 3) @ nt.zeros(2, 3)),
    (RuntimeError, lambda: nt.zeros(5, 2, 3).bmm(nt.zeros(4, 3, 2))),
    (ValueError, lambda: nt.tensor([[1, 2], [3]])),
    (IndexError, lambda: nt.zeros(2, 3).sum(2)),
    (IndexError, lambda: nt.zeros(2, 3).transpose(0, 5)),
    (RuntimeError, lambda: nt.zeros(0).max()),
    (RuntimeError, lambda: nt.arange(3) // 0),
    (RuntimeError, lambda: nt.zeros(-1)),
    (RuntimeError, lambda: nt.zeros(2, 3).expand(3, 3)),
    (RuntimeError, lambda: nt.zeros(2).narrow(0, 1, 5)),
    (TypeError, lambda: nt.zeros(2) + "a"),
    (NotImplementedError, lambda: nt.bitwise_and(nt.ones(2), nt.ones(2))),
    (RuntimeError, lambda: nt.arange(3).mean()),
]
for i, (exc, fn) in enumerate(cases):
    try:
        fn()
    except exc:
        continue
    except Exception as e:
        raise SystemExit(f"case {i}: expected {exc.__name__}, got {type(e).__name__}: {e}")
    raise SystemExit(f"case {i}: no error raised")
print("all raised")
"""


def test_bad_input_raises_and_never_crashes():
    out = subprocess.run([sys.executable, "-c", textwrap.dedent(NASTY)], capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "all raised" in out.stdout


def test_missing_kernel_error_names_op_device_and_dtypes():
    with pytest.raises(NotImplementedError, match=r"bitwise_and: not implemented for dtype float32 on device 'cpu'; "
                                                  r"supported dtypes: .*int64"):
        nt.bitwise_and(nt.ones(2), nt.ones(2))
    assert any(e[0] == "add" and e[2] == "float32" for e in nt.dispatch.entries("add"))


@pytest.mark.parametrize("module", ["numba.core.caching", "numba.cuda.core.caching"])
def test_concurrent_cache_writers_of_different_signatures_never_share_a_data_file(tmp_path, module):
    """The interleaving that broke Numba's numbered data files: writer A saves its index entry, writer B (which
    read the index before A saved it) saves its own entry under the same first free number and its data, then A's
    data lands last. With key-named files each entry still loads its own data."""
    import importlib

    import ntorch.kernels.cuda  # noqa: F401  (installs the CUDA side's naming)

    cache_file = importlib.import_module(module).IndexDataCacheFile
    a, b = (cache_file(str(tmp_path), "kernel-1.py311", "stamp") for _ in range(2))
    stale_index = b._load_index()  # B reads the index before A has saved anything
    b._load_index = lambda: dict(stale_index)
    deferred = []
    a._save_data = lambda name, data: deferred.append((name, data))
    a.save(("sig", "float32"), ("code for", "float32"))
    b.save(("sig", "int64"), ("code for", "int64"))
    cache_file._save_data(a, *deferred.pop())  # A's data written last
    fresh = cache_file(str(tmp_path), "kernel-1.py311", "stamp")
    assert fresh.load(("sig", "int64")) == ("code for", "int64")
    assert fresh.load(("sig", "float32")) in (None, ("code for", "float32"))  # a lost index entry only recompiles


@pytest.mark.parametrize("module", ["numba.core.caching", "numba.cuda.core.caching"])
def test_kernel_cache_entries_are_stamped_with_the_whole_package(tmp_path, module):
    """A kernel's cache entry must go stale when ANY kernel file changes (a callee in another file), not only its
    own file: locators of files under ntorch.kernels add the package digest; other files keep Numba's own stamp."""
    import importlib
    import os

    import ntorch.kernels.cuda  # noqa: F401  (installs the CUDA side's stamp)
    from ntorch.kernels import cache_names
    from ntorch.kernels.cpu import codegen

    mixin = importlib.import_module(module)._SourceFileBackedLocatorMixin

    class Locator(mixin):
        def __init__(self, py_file):
            self._py_file = py_file

        def get_cache_path(self):
            return str(tmp_path)

        def get_disambiguator(self):
            return "1"

        @classmethod
        def from_function(cls, py_func, py_file):
            return cls(py_file)

    kernel_file = os.path.join(os.path.dirname(cache_names.__file__), "cpu", "linalg.py")
    outside = tmp_path / "user_code.py"
    outside.write_text("x = 1\n")
    digest = cache_names.package_digest()
    assert len(digest) == 24 and digest == cache_names.package_digest()
    stamp = Locator(kernel_file).get_source_stamp()
    assert isinstance(stamp, tuple) and stamp[-1] == digest
    plain = Locator(str(outside)).get_source_stamp()
    assert not (isinstance(plain, tuple) and plain and plain[-1] == digest)
    # generated kernels: one folder per version of the sources, so checkouts sharing ~/.cache/ntorch never
    # overwrite each other's entries
    assert codegen.cache_dir().name == digest[:16]


def test_the_package_digest_covers_every_kernel_source(tmp_path, monkeypatch):
    """package_digest reads names and contents: a changed, added or renamed file changes it."""
    from ntorch.kernels import cache_names

    (tmp_path / "a.py").write_text("A = 1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_text("B = 1\n")
    (tmp_path / "sub" / "notes.txt").write_text("not source\n")
    monkeypatch.setattr(cache_names, "_ROOT", str(tmp_path))

    def digest():
        cache_names.package_digest.cache_clear()
        return cache_names.package_digest()

    try:
        first = digest()
        (tmp_path / "sub" / "notes.txt").write_text("still not source\n")
        assert digest() == first
        (tmp_path / "sub" / "b.py").write_text("B = 2\n")
        second = digest()
        assert second != first
        (tmp_path / "sub" / "b.py").rename(tmp_path / "sub" / "c.py")
        assert digest() not in (first, second)
    finally:
        cache_names.package_digest.cache_clear()
