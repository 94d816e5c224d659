"""The `ntorch` console script (also `python -m ntorch`).

`ntorch` prints the versions; `ntorch bench` times ntorch against NumPy and PyTorch (see `ntorch bench --help`
and the README's Benchmarks section). Exit status: 0 fine, 1 a regression against --baseline, a result that
disagrees with a competitor, or a failing case, 2 a usage error (unknown suite or dtype, no GPU, ...).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import datetime, timezone

from .benchmarks.machine import THREAD_VARS

DEFAULT_REPEAT, QUICK_REPEAT = 11, 3
DEFAULT_MIN_SAMPLE_S, QUICK_MIN_SAMPLE_S = 0.01, 0.002
# Run-to-run drift of a median on a shared 2-vCPU machine reaches 10-20% (bench/RESULTS.md); 25% flags real
# slow-downs without crying wolf there. Quiet dedicated machines can pass a lower --threshold.
DEFAULT_THRESHOLD_PCT = 25.0


class UsageError(Exception):
    """Bad arguments: reported as `ntorch bench: error: ...`, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ntorch", description="ntorch command line")
    parser.add_argument("--version", action="store_true", help="print the versions and exit")
    sub = parser.add_subparsers(dest="command")
    b = sub.add_parser("bench", help="time ntorch against NumPy and PyTorch",
                       description="Time ntorch against NumPy and PyTorch, interleaved in one process.")
    b.add_argument("--suite", action="append", metavar="NAME",
                   help="suite to run (repeatable, or a comma list; default: all; see --list)")
    b.add_argument("--size", choices=("small", "medium", "large"), default="medium", help="problem sizes")
    b.add_argument("--dtype", metavar="DTYPE", help="dtype(s), comma list (default: each case's own, float32 "
                   "mostly); cases that do not support it are left out")
    b.add_argument("--device", choices=("cpu", "cuda"), default="cpu",
                   help="where ntorch and PyTorch run (cuda: the `cuda` suite, against PyTorch on the same GPU; "
                   "NumPy only checks results there)")
    b.add_argument("--threads", type=int, metavar="N", help="threads for Numba, NumPy's BLAS and PyTorch alike "
                   "(set before they load: the command re-runs itself with the environment set)")
    b.add_argument("--compare", default="numpy,torch", metavar="LIBS",
                   help="competitors, comma list of numpy,torch or 'none' (default: both; absent ones are reported)")
    b.add_argument("--repeat", type=int, metavar="N", help=f"timed rounds per case (default {DEFAULT_REPEAT}, "
                   f"{QUICK_REPEAT} with --quick)")
    b.add_argument("--quick", action="store_true", help="fewer, shorter rounds: a smoke run, not figures to quote")
    b.add_argument("--json", metavar="FILE", help="write results and machine info as JSON")
    b.add_argument("--baseline", metavar="FILE", help="an earlier --json file: flag cases slower than --threshold "
                   "(exit status 1)")
    b.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD_PCT, metavar="PCT",
                   help=f"slow-down in percent that counts as a regression (default {DEFAULT_THRESHOLD_PCT:g})")
    b.add_argument("--markdown", action="append", metavar="FILE",
                   help="regenerate the `<!-- ntorch-bench: suites=... -->` tables in FILE (repeatable) from this "
                   "run, or from --from-json files")
    b.add_argument("--from-json", action="append", metavar="FILE",
                   help="with --markdown: render these result files (one table column group each, e.g. 1 and 2 "
                   "threads) instead of running anything")
    b.add_argument("--list", action="store_true", help="list suites and cases, then exit")
    b.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's own errors and --help
        return int(exc.code or 0)
    if args.command != "bench":
        return _versions()
    try:
        return bench(args, argv)
    except UsageError as exc:
        print(f"ntorch bench: error: {exc}", file=sys.stderr)
        return 2


def _versions() -> int:
    import numba
    import numpy

    import ntorch

    print(f"ntorch {ntorch.__version__} (numba {numba.__version__}, numpy {numpy.__version__}); "
          "`ntorch bench --help` for the benchmarks")
    return 0


def _split(values: list[str] | str | None) -> list[str]:
    if values is None:
        return []
    items = values if isinstance(values, list) else [values]
    return [v.strip() for item in items for v in item.split(",") if v.strip()]


def _check_choices(kind: str, given: list[str], known) -> None:
    for value in given:
        if value not in known:
            raise UsageError(f"unknown {kind} {value!r} (choose from {', '.join(known)})")


def bench(args: argparse.Namespace, argv: list[str]) -> int:
    from .benchmarks import COMPETITORS, SUITE_NAMES, cases

    given = _split(args.suite)
    _check_choices("suite", given, SUITE_NAMES)
    suites = [s for s in SUITE_NAMES if s in given or not given]  # run and print in the registry's order
    dtypes = _split(args.dtype) or None
    _check_choices("dtype", dtypes or [], sorted({d for c in cases() for d in c.dtypes}))
    compare = [] if args.compare.strip().lower() == "none" else _split(args.compare)
    _check_choices("competitor", compare, COMPETITORS)
    if args.repeat is not None and args.repeat < 1:
        raise UsageError("--repeat must be at least 1")
    if args.threshold < 0:
        raise UsageError("--threshold must be a percentage >= 0")
    if args.list:
        return _list(suites)
    if args.from_json:
        return _render_only(args)
    if args.threads is not None:
        if args.threads < 1:
            raise UsageError("--threads must be at least 1")
        if not _threads_set(args.threads):
            return _rerun_with_threads(args.threads, argv)
    if args.device == "cuda":
        problem = cuda_problem()
        if problem:
            raise UsageError(problem)
    baseline = _load(args.baseline) if args.baseline else None
    return _run(args, argv, suites, dtypes, compare, baseline)


def _load(path: str) -> dict:
    from .benchmarks.report import load_json

    try:
        return load_json(path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _list(suites: list[str]) -> int:
    from .benchmarks import SIZES, cases, description

    for suite in suites:
        print(f"{suite}: {description(suite)}")
        for case in cases([suite]):
            about = f"{', '.join(case.dtypes)}; {case.unit or 'time only'}; {', '.join(case.devices)}"
            if "{}" not in case.name:
                print(f"  {case.name}  ({about})")
                continue
            per_size = "; ".join(f"{s} " + ", ".join(case.label(p) for p in case.sizes[s]) for s in SIZES)
            print(f"  {case.name.replace('{}', '<size>')}  {per_size}  ({about})")
    return 0


def _threads_set(n: int) -> bool:
    return all(os.environ.get(v) == str(n) for v in THREAD_VARS)


def _rerun_with_threads(n: int, argv: list[str]) -> int:
    """NumPy's BLAS and Numba read their thread counts when they load, which has happened by now: run the same
    command again in a child process with the environment set."""
    if os.environ.get("NTORCH_BENCH_RERUN") == "1":
        raise UsageError("could not set the thread count through the environment")
    env = dict(os.environ, NTORCH_BENCH_RERUN="1", **{v: str(n) for v in THREAD_VARS})
    # slow-path settings that some machines need for old OpenBLAS builds would misrepresent NumPy here
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    return subprocess.run([sys.executable, "-m", "ntorch", *argv], env=env).returncode


def cuda_problem() -> str | None:
    """Why `--device cuda` cannot run here, or None when it can."""
    try:
        from numba import cuda
    except Exception as exc:
        return f"--device cuda: numba.cuda cannot be imported ({exc})"
    if not cuda.is_available():
        return "--device cuda: no CUDA GPU is available (numba.cuda.is_available() is False)"
    import ntorch

    nt_cuda = getattr(ntorch, "cuda", None)
    if nt_cuda is None or not nt_cuda.is_available():
        return "--device cuda: a GPU is present but ntorch has no CUDA back end yet (ntorch.cuda.is_available())"
    try:
        ntorch.zeros(1, device="cuda")
    except Exception as exc:
        return f"--device cuda: ntorch tensors do not accept device='cuda' yet ({exc})"
    return None


NUMPY_ON_DEVICE = "n/a on {device} (NumPy runs on the host: its results check ntorch's but are not timed)"


def _competitors(wanted: list[str], threads: int | None, device: str = "cpu"):
    """(torch module or None, timed competitors, references that only check results, {untimed library: why})."""
    torch_mod, timed, references, why = None, [], [], {}
    for lib in wanted:
        if lib == "numpy":
            if device == "cpu":
                timed.append(lib)
            else:
                references.append(lib)
                why[lib] = NUMPY_ON_DEVICE.format(device=device)
            continue
        try:
            import torch
        except ImportError as exc:
            why[lib] = f"not importable ({exc})"
            continue
        if threads is not None:
            torch.set_num_threads(threads)
        problem = torch_cuda_problem(torch) if device == "cuda" else None
        if problem:
            why[lib] = problem
            continue
        torch_mod = torch
        timed.append(lib)
    return torch_mod, timed, references, why


def torch_cuda_problem(torch_mod) -> str | None:
    """Why PyTorch cannot compete on cuda, or None after switching TF32 off: ntorch computes float32 matmuls in
    float32, and PyTorch may use TF32 tensor cores for them (10-bit mantissas) on Ampere and later."""
    if not torch_mod.cuda.is_available():
        return "absent for cuda cases (this PyTorch has no GPU: torch.cuda.is_available() is False)"
    torch_mod.backends.cuda.matmul.allow_tf32 = False
    torch_mod.backends.cudnn.allow_tf32 = False
    return None


def _run(args, argv, suites, dtypes, compare, baseline) -> int:
    from .benchmarks import cases, report
    from .benchmarks.machine import machine_info
    from .benchmarks.progress import Progress
    from .benchmarks.runner import plan, run_tasks

    tasks = plan(cases(suites), args.size, dtypes, args.device)
    if not tasks:
        with_dtype = f" with dtype {', '.join(dtypes)}" if dtypes else ""
        elsewhere = [d for d in ("cpu", "cuda") if d != args.device and plan(cases(suites), args.size, dtypes, d)]
        hint = f" (they run with --device {elsewhere[0]})" if elsewhere else ""
        raise UsageError(f"no case of suite(s) {', '.join(suites)} runs{with_dtype} on {args.device}{hint}")
    suites = [s for s in suites if any(t.case.suite == s for t in tasks)]  # those with a case on this device
    torch_mod, competitors, references, why = _competitors(compare, args.threads, args.device)
    for lib, reason in why.items():
        left_out = "" if lib in references else ": its columns are left out"
        print(f"ntorch bench: {lib} is {reason}{left_out}", file=sys.stderr)
    repeat = args.repeat or (QUICK_REPEAT if args.quick else DEFAULT_REPEAT)
    min_sample_s = QUICK_MIN_SAMPLE_S if args.quick else DEFAULT_MIN_SAMPLE_S
    machine = machine_info(args.device, torch_mod)
    th = machine["threads"]
    on = f"device {args.device}" + (f" ({machine['gpu']})" if machine["gpu"] else "")
    print(f"# ntorch bench: size {args.size}, {on}, {repeat} rounds; threads: numba {th['numba']}"
          + (f", torch {th['torch']}" if "torch" in th else "") + f"; {machine['cpu']}")
    progress = Progress(enabled=not args.no_progress)
    columns = [lib for lib in compare if lib in competitors or lib in references]

    def suite_done(rows: list[dict]) -> None:
        from .benchmarks import description

        progress.clear()
        print(f"\n## {rows[0]['suite']}: {description(rows[0]['suite'])}\n{report.text_table(rows, columns)}",
              flush=True)

    rows = run_tasks(tasks, competitors, torch_mod, repeat, min_sample_s, progress, suite_done, references)
    run = {
        "schema": report.SCHEMA,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "argv": ["ntorch", *argv],
        "settings": {"suites": suites, "compare": competitors, "size": args.size, "dtypes": dtypes,
                     "device": args.device, "threads": args.threads, "repeat": repeat,
                     "min_sample_s": min_sample_s, "quick": args.quick},
        "machine": machine,
        "competitors": {lib: {"available": lib in competitors, "why": why.get(lib)} for lib in compare},
        "results": rows,
    }
    status = 0
    problems = report.problems_text(rows)
    if problems:
        print("\nProblems:\n" + "\n".join(f"  {p}" for p in problems))
        status = 1
    if args.json:
        report.save_json(run, args.json)
        print(f"\nwrote {args.json}")
    for path in args.markdown or []:
        _update_markdown(path, [run])
    if baseline is not None:
        comparison = report.compare(baseline, run, args.threshold / 100)
        print("\n" + report.comparison_text(comparison))
        if comparison.regressions:
            status = 1
    return status


def _update_markdown(path: str, runs: list[dict]) -> None:
    from pathlib import Path

    from .benchmarks.report import update_markdown

    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    new, count = update_markdown(text, runs)
    if count == 0:
        raise UsageError(f"{path} has no `<!-- ntorch-bench: suites=... -->` ... `<!-- /ntorch-bench -->` block for "
                         f"these runs' device (a block's device=..., default cpu)")
    Path(path).write_text(new)
    print(f"updated {count} table(s) in {path}")


def _render_only(args: argparse.Namespace) -> int:
    if not args.markdown:
        raise UsageError("--from-json needs --markdown FILE (the file whose tables to regenerate)")
    runs = [_load(p) for p in args.from_json]
    for path in args.markdown:
        _update_markdown(path, runs)
    return 0
