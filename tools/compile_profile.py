"""A pytest plugin that records where a test run spends Numba compile time: `-p tools.compile_profile` (from the
repository root) with NTORCH_COMPILE_PROFILE=FILE appends one line per compiled signature to FILE (tab-separated:
seconds excluding nested compiles, test id, function, signature). Workers of xdist append to the same file.

Why: a cold test run is mostly Numba compiling kernels; this says which kernels and which tests pay for it.
`python tools/compile_profile.py FILE` summarises (by function, by test file).
"""

from __future__ import annotations

import collections
import os
import sys
import time

_stack: list = []  # [start, nested seconds] per compile in progress
_current = {"test": "(collection)"}


def _listener_class():
    from numba.core import event

    class Listener(event.Listener):
        def on_start(self, ev):
            _stack.append([time.perf_counter(), 0.0])

        def on_end(self, ev):
            start, nested = _stack.pop()
            total = time.perf_counter() - start
            if _stack:
                _stack[-1][1] += total
            disp = ev.data.get("dispatcher")
            name = getattr(getattr(disp, "py_func", None), "__qualname__", str(disp))
            module = getattr(getattr(disp, "py_func", None), "__module__", "?")
            with open(os.environ["NTORCH_COMPILE_PROFILE"], "a") as log:
                log.write(f"{total - nested:.4f}\t{_current['test']}\t{module}.{name}\t{ev.data.get('args')}\n")

    return Listener


def pytest_configure(config) -> None:
    if not os.environ.get("NTORCH_COMPILE_PROFILE"):
        return
    from numba.core import event

    event.register("numba:compile", _listener_class()())


def pytest_runtest_setup(item) -> None:
    _current["test"] = item.nodeid


def summarise(path: str, top: int = 40) -> None:
    by_fn, by_file, total = collections.Counter(), collections.Counter(), 0.0
    count = collections.Counter()
    for line in open(path):
        secs, test, fn, _ = line.rstrip("\n").split("\t", 3)
        s = float(secs)
        total += s
        by_fn[fn] += s
        count[fn] += 1
        by_file[test.split("::")[0]] += s
    print(f"{total:.0f} s of compiling in all")
    print("\nby function (seconds, signatures):")
    for fn, s in by_fn.most_common(top):
        print(f"{s:8.1f} {count[fn]:5d}  {fn}")
    print("\nby test file:")
    for f, s in by_file.most_common(top):
        print(f"{s:8.1f}  {f}")


if __name__ == "__main__":
    summarise(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
