"""`ntorch bench`: argument errors, the timing method, the JSON schema, baseline comparison, markdown regeneration,
and a quick real run of the first small case of every suite (checked against NumPy / PyTorch)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import numpy as np
import pytest

from ntorch import cli
from ntorch.benchmarks import SUITE_NAMES, Case, Impls, cases, report
from ntorch.benchmarks.case import same_size
from ntorch.benchmarks.runner import plan, run_task
from ntorch.benchmarks.suites.sort import _values_check

try:
    import torch
except ImportError:
    torch = None


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    rc = cli.main(["bench", *args])
    out, err = capsys.readouterr()
    return rc, out, err


# ------------------------------------------------------------------------------------------- argument errors


@pytest.mark.parametrize("args, message", [
    (["--suite", "nope"], "unknown suite 'nope'"),
    (["--suite", "matmul,nope"], "unknown suite 'nope'"),
    (["--dtype", "float8"], "unknown dtype 'float8'"),
    (["--compare", "numpy,jax"], "unknown competitor 'jax'"),
    (["--repeat", "0"], "--repeat must be at least 1"),
    (["--threshold", "-5"], "--threshold must be"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--from-json", "x.json"], "--from-json needs --markdown"),
    (["--suite", "warm-start", "--dtype", "float64"], "no case of suite(s) warm-start runs with dtype float64"),
])
def test_usage_errors_exit_2_with_a_clear_message(capsys, args, message):
    rc, out, err = run_cli(capsys, *args)
    assert rc == 2
    assert f"ntorch bench: error: {message}" in err
    assert out == ""  # nothing ran


def test_argparse_errors_and_help_return_instead_of_exiting(capsys):
    assert cli.main(["bench", "--size", "huge"]) == 2
    assert "invalid choice: 'huge'" in capsys.readouterr().err
    assert cli.main(["bench", "--help"]) == 0
    assert "--baseline" in capsys.readouterr().out


def test_cuda_without_a_gpu_is_refused(capsys, monkeypatch):
    from numba import cuda

    monkeypatch.setattr(cuda, "is_available", lambda: False)
    rc, out, err = run_cli(capsys, "--device", "cuda", "--suite", "matmul")
    assert rc == 2 and out == ""
    assert "ntorch bench: error: --device cuda: no CUDA GPU is available (numba.cuda.is_available() is False)" in err


def test_cuda_with_a_backend_but_no_cuda_cases_is_refused(capsys, monkeypatch):
    monkeypatch.setattr(cli, "cuda_problem", lambda: None)  # as if GPU and back end were there
    rc, _, err = run_cli(capsys, "--device", "cuda", "--suite", "matmul")
    assert rc == 2 and "no case of suite(s) matmul runs on cuda" in err


def test_cuda_with_a_gpu_but_no_backend_is_refused(monkeypatch):
    from numba import cuda

    import ntorch

    monkeypatch.setattr(cuda, "is_available", lambda: True)
    monkeypatch.delattr(ntorch, "cuda", raising=False)
    assert "ntorch has no CUDA back end yet" in cli.cuda_problem()


def test_bad_baseline_file_is_a_usage_error(capsys, tmp_path):
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"schema": "ntorch-bench/1", "results": []}))
    rc, _, err = run_cli(capsys, "--suite", "matmul", "--baseline", str(bad))
    assert rc == 2
    assert "is not an `ntorch bench --json` file" in err and "missing 'settings'" in err


def test_list_names_every_selected_suite_and_case(capsys):
    rc, out, _ = run_cli(capsys, "--list", "--suite", "sort", "--suite", "mlp-step,autograd")
    assert rc == 0
    listed_suites = [line.split(":")[0] for line in out.splitlines() if not line.startswith(" ")]
    assert listed_suites == ["sort", "autograd", "mlp-step"]  # the registry's order
    for case in cases(["sort", "mlp-step", "autograd"]):
        assert case.name.replace("{}", "<size>") in out
    assert "matmul" not in out


def test_bare_command_prints_versions(capsys):
    import ntorch

    assert cli.main([]) == 0
    assert capsys.readouterr().out.startswith(f"ntorch {ntorch.__version__}")


def test_every_suite_named_in_the_issue_has_cases_at_every_size():
    wanted = {"elementwise", "transcendental", "broadcast", "reduction", "softmax", "matmul", "conv", "indexing",
              "sort", "autograd", "mlp-step", "warm-start"}
    assert wanted <= set(SUITE_NAMES)
    for suite in SUITE_NAMES:
        found = cases([suite])
        assert found, suite
        for size in ("small", "medium", "large"):
            tasks = plan(found, size, None, "cpu")
            assert tasks and len({t.key for t in tasks}) == len(tasks), (suite, size)


# ------------------------------------------------------------------------------------------- timing method


def _fake(build, **kw) -> Case:
    return Case("elementwise", "fake", build, same_size(None), **kw)


def _task(case):
    return plan([case], "small", None, "cpu")[0]


def test_timing_measures_each_library_and_the_ratio():
    def build(ctx):
        return {"ntorch": lambda: time.sleep(0.002) or np.ones(3), "numpy": lambda: time.sleep(0.006) or np.ones(3)}

    row = run_task(_task(_fake(build)), ["numpy"], None, repeat=3, min_sample_s=0.001)
    assert row["error"] is None and row["checks"] == {"numpy": "ok"}
    nt, npy = row["times"]["ntorch"], row["times"]["numpy"]
    assert 0.002 <= nt["median_s"] < 0.005 and 0.006 <= npy["median_s"] < 0.012
    assert len(nt["samples_s"]) == 3 and nt["calls_per_sample"] == 1
    assert row["ratios"]["numpy"] == pytest.approx(npy["median_s"] / nt["median_s"])
    assert 1.5 < row["ratios"]["numpy"] < 4


def test_a_competitor_that_disagrees_is_reported_and_not_timed():
    def build(ctx):
        return {"ntorch": lambda: np.arange(4.0), "numpy": lambda: np.arange(4.0) + 1e-2}

    row = run_task(_task(_fake(build)), ["numpy"], None, repeat=2, min_sample_s=0.0005)
    assert row["checks"]["numpy"].startswith("mismatch: 4 of 4 values differ")
    assert set(row["times"]) == {"ntorch"} and row["ratios"] == {}
    assert report.problems_text([row]) == [f"{row['key']}: numpy: {row['checks']['numpy']}"]


def test_a_failing_ntorch_case_is_an_error_row_not_an_exception():
    def build(ctx):
        return {"ntorch": lambda: 1 / 0, "numpy": lambda: 1}

    row = run_task(_task(_fake(build)), ["numpy"], None, repeat=2, min_sample_s=0.0005)
    assert row["error"].startswith("ZeroDivisionError") and row["times"] == {}


def test_self_timed_cases_use_the_seconds_they_return_and_clean_up():
    cleaned = []

    def build(ctx):
        values = iter([9.0, 0.1, 0.3, 0.2])  # the first is the warm-up
        return Impls({"ntorch": lambda: next(values)}, cleanup=lambda: cleaned.append(True))

    row = run_task(_task(_fake(build, self_timed=True)), [], None, repeat=3, min_sample_s=1.0)
    assert row["times"]["ntorch"]["median_s"] == 0.2 and row["times"]["ntorch"]["samples_s"] == [0.1, 0.3, 0.2]
    assert cleaned == [True]


def test_sort_check_accepts_any_tie_order_but_not_wrong_indices():
    a = np.array([3.0, 1.0, 1.0, 2.0], np.float32)
    check = _values_check(a, True)
    assert check((np.sort(a), np.array([2, 1, 3, 0])), (np.sort(a), np.array([1, 2, 3, 0]))) is None
    assert check((np.sort(a), np.array([0, 1, 3, 2])), (np.sort(a), np.array([1, 2, 3, 0]))).startswith("indices")


# ------------------------------------------------------------------------------- real run, one case per suite


@pytest.fixture(scope="module")
def first_small_rows():
    """The first small case of every suite, 2 quick rounds, against NumPy and PyTorch (when installed)."""
    competitors = ["numpy"] + (["torch"] if torch is not None else [])
    first = {}
    for task in plan(cases(), "small", None, "cpu"):
        first.setdefault(task.case.suite, task)
    return [run_task(t, competitors, torch, repeat=2, min_sample_s=0.001) for t in first.values()]


def test_first_small_case_of_every_suite_runs_and_matches_the_competitors(first_small_rows):
    assert [r["suite"] for r in first_small_rows] == list(SUITE_NAMES)
    for row in first_small_rows:
        assert row["error"] is None, row
        assert all(check == "ok" for check in row["checks"].values()), row["checks"]
        for lib, t in row["times"].items():
            assert t["median_s"] > 0 and len(t["samples_s"]) == 2, (row["key"], lib)
        if row["suite"] not in ("warm-start", "autograd", "mlp-step", "conv"):  # conv's first case: numpy too
            assert "numpy" in row["times"], row["key"]
        if row["suite"] == "warm-start":
            assert 0.01 < row["times"]["ntorch"]["median_s"] < 30  # a real `import ntorch` in a fresh process


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`ntorch bench --suite elementwise --size small --quick` through the CLI, with --json."""
    path = tmp_path_factory.mktemp("bench") / "run.json"
    rc = cli.main(["bench", "--suite", "elementwise", "--size", "small", "--quick", "--no-progress",
                   "--json", str(path)])
    return rc, json.loads(path.read_text())


def test_json_schema_of_a_real_run(cli_run):
    rc, run = cli_run
    assert rc == 0
    assert report.validate(run) == []
    assert run["schema"] == "ntorch-bench/1" and run["argv"][:2] == ["ntorch", "bench"]
    m = run["machine"]
    assert m["cpu"] and m["cores"] == os.cpu_count() and m["gpu"] is None
    assert set(m["versions"]) == {"python", "ntorch", "numba", "numpy", "torch"}
    assert m["versions"]["numpy"] == np.__version__
    assert run["settings"]["repeat"] == cli.QUICK_REPEAT and run["settings"]["suites"] == ["elementwise"]
    names = [r["name"] for r in run["results"]]
    assert names == ["add 1e4", "mul 1e4", "add 1e5 (fresh output)", "a + b 3x3"]
    for row in run["results"]:
        med = row["times"]["ntorch"]["median_s"]
        assert med == pytest.approx(float(np.median(row["times"]["ntorch"]["samples_s"])))
        for lib, ratio in row["ratios"].items():
            assert ratio == pytest.approx(row["times"][lib]["median_s"] / med)
        if row["work"]:
            n = 10**4 if row["name"] == "add 1e4" or row["name"] == "mul 1e4" else 10**5
            assert row["work"] == 3 * n * 4  # two float32 inputs read, one output written
            assert row["throughput"] == pytest.approx(row["work"] / med / 1e9)


def test_validate_names_what_is_wrong(cli_run):
    _, run = cli_run
    broken = json.loads(json.dumps(run))
    del broken["results"][0]["times"]["ntorch"]["median_s"]
    broken["settings"]["repeat"] = "3"
    assert report.validate(broken) == ["settings: 'repeat' has type str", "results[0].times.ntorch: missing 'median_s'"]


def test_baseline_regression_gives_exit_status_1(cli_run, tmp_path, capsys):
    _, run = cli_run
    fast = json.loads(json.dumps(run))
    for row in fast["results"]:
        row["times"]["ntorch"]["median_s"] /= 1000  # the baseline was 1000x faster: everything regressed
    path = tmp_path / "fast.json"
    path.write_text(json.dumps(fast))
    rc, out, _ = run_cli(capsys, "--suite", "elementwise", "--size", "small", "--quick", "--no-progress",
                         "--baseline", str(path))
    assert rc == 1
    assert "4 slower, 0 faster" in out and "REGRESSION: elementwise:add 1e4:float32:cpu" in out


# ------------------------------------------------------------------------------------- baseline comparison


def _row(name: str, median: float, suite: str = "matmul", numpy: float | None = None) -> dict:
    times = {"ntorch": {"median_s": median, "spread": 0.0, "samples_s": [median], "first_call_s": None,
                        "calls_per_sample": 1}}
    ratios = {}
    if numpy is not None:
        times["numpy"] = {**times["ntorch"], "median_s": numpy, "samples_s": [numpy]}
        ratios["numpy"] = numpy / median
    return {"key": f"{suite}:{name}:float32:cpu", "suite": suite, "name": name, "size": "medium",
            "dtype": "float32", "device": "cpu", "unit": "", "work": None, "times": times, "checks": {},
            "ratios": ratios, "throughput": None, "error": None}


def _run(rows: list[dict], threads: int = 1, suites=("matmul",)) -> dict:
    return {"schema": "ntorch-bench/1", "created": "2026-11-27T10:00:00+00:00", "argv": ["ntorch", "bench"],
            "settings": {"suites": list(suites), "compare": ["numpy", "torch"], "size": "medium", "dtypes": None,
                         "device": "cpu", "threads": threads, "repeat": 5, "min_sample_s": 0.01, "quick": False},
            "machine": {"cpu": "Test CPU", "cores": 2, "versions": {"numba": "0.68.1", "numpy": "2.4.0"},
                        "threads": {"numba": threads}},
            "competitors": {}, "results": rows}


def test_compare_sorts_cases_into_regressions_improvements_missing_and_new():
    before = _run([_row("a", 1.0), _row("b", 1.0), _row("c", 1.0), _row("gone", 1.0), _row("x", 1.0, "conv")])
    now = _run([_row("a", 1.3), _row("b", 0.7), _row("c", 1.2), _row("fresh", 1.0)])
    c = report.compare(before, now, threshold=0.25)
    assert [k for k, *_ in c.regressions] == ["matmul:a:float32:cpu"]
    assert [k for k, *_ in c.improvements] == ["matmul:b:float32:cpu"]  # 1.0 / 0.7 = 1.43 > 1.25
    assert [k for k, *_ in c.unchanged] == ["matmul:c:float32:cpu"]
    assert c.missing == ["matmul:gone:float32:cpu"]  # conv was not run now: not missing
    assert c.new == ["matmul:fresh:float32:cpu"] and c.warnings == []
    text = report.comparison_text(c)
    assert "1 slower, 1 faster, 1 within the threshold, 1 missing, 1 new" in text
    assert "REGRESSION: matmul:a:float32:cpu: 1.00 s -> 1.30 s (+30%)" in text


def test_compare_threshold_is_strict_and_warns_about_other_settings():
    c = report.compare(_run([_row("a", 1.0)]), _run([_row("a", 1.1)], threads=2), threshold=0.1)
    assert c.regressions == [] and len(c.unchanged) == 1
    assert c.warnings == ["the baseline's threads differs: 1 vs now 2"]
    c = report.compare(_run([_row("a", 1.0)]), _run([_row("a", 1.11)]), threshold=0.1)
    assert len(c.regressions) == 1


# ------------------------------------------------------------------------------------ markdown regeneration

DOC = """# Results

Hand-written intro that must survive.

<!-- ntorch-bench: suites=matmul dtype=float32 -->
| old | table |
<!-- /ntorch-bench -->

Findings: matmul is fine.
"""


def test_markdown_blocks_are_regenerated_and_the_prose_kept():
    one = _run([_row("matmul 64", 1.5e-4, numpy=3e-4), _row("matmul 256", 2.5e-3)], threads=1)
    two = _run([_row("matmul 64", 1e-4, numpy=1.5e-4)], threads=2)
    text, count = report.update_markdown(DOC, [one, two])
    assert count == 1
    assert text.startswith("# Results\n\nHand-written intro that must survive.\n\n<!-- ntorch-bench: suites=matmul")
    assert text.endswith("<!-- /ntorch-bench -->\n\nFindings: matmul is fine.\n")
    assert "| old | table |" not in text
    lines = text.splitlines()
    head = lines.index("| case (float32) | 1 thread: ntorch | vs NumPy | vs PyTorch | 2 threads: ntorch | vs NumPy "
                       "| vs PyTorch |")
    assert lines[head + 2] == "| matmul 64 | 150.0 us | 2.00x | - | 100.0 us | 1.50x | - |"
    assert lines[head + 3] == "| matmul 256 | 2.50 ms | - | - | - | - | - |"
    assert "Generated by `ntorch bench` (2026-11-27; Test CPU, 2 cores; numba 0.68.1, numpy 2.4.0;" in text
    again, _ = report.update_markdown(text, [one, two])
    assert again == text  # idempotent


def test_markdown_block_without_suites_is_an_error():
    with pytest.raises(ValueError, match="without suites="):
        report.update_markdown("<!-- ntorch-bench: dtype=float32 -->\nx\n<!-- /ntorch-bench -->\n", [_run([])])


def test_cli_renders_markdown_from_json_files(tmp_path, capsys):
    paths = []
    for threads, median in ((1, 2e-3), (2, 1e-3)):
        paths.append(tmp_path / f"t{threads}.json")
        paths[-1].write_text(json.dumps(_run([_row("matmul 512", median, numpy=median * 0.9)], threads)))
    doc = tmp_path / "RESULTS.md"
    doc.write_text(DOC)
    rc, out, _ = run_cli(capsys, "--from-json", str(paths[0]), "--from-json", str(paths[1]), "--markdown", str(doc))
    assert rc == 0 and f"updated 1 table(s) in {doc}" in out
    assert "| matmul 512 | 2.00 ms | 0.90x | - | 1.00 ms | 0.90x | - |" in doc.read_text()
    plain = tmp_path / "plain.md"
    plain.write_text("no blocks here\n")
    rc, _, err = run_cli(capsys, "--from-json", str(paths[0]), "--markdown", str(plain))
    assert rc == 2 and "has no `<!-- ntorch-bench: suites=... -->`" in err


def test_repository_documents_carry_the_blocks():
    root = os.path.join(os.path.dirname(__file__), "..")
    for doc in ("README.md", os.path.join("bench", "RESULTS.md")):
        with open(os.path.join(root, doc)) as f:
            text = f.read()
        opened = len(re.findall(r"^<!-- ntorch-bench:", text, re.M))
        closed = len(re.findall(r"^<!-- /ntorch-bench -->", text, re.M))
        assert opened >= 1 and opened == closed == len(report.BLOCK.findall(text)), doc
        for suites in report.BLOCK.finditer(text):
            for suite in report._attrs(suites.group("attrs"))["suites"].split(","):
                assert suite in SUITE_NAMES, (doc, suite)


# ------------------------------------------------------------------------------------------------ --threads


def test_threads_option_reruns_with_the_thread_counts_set(tmp_path):
    path = tmp_path / "t.json"
    env = {k: v for k, v in os.environ.items() if k not in cli.THREAD_VARS}
    proc = subprocess.run([sys.executable, "-m", "ntorch", "bench", "--threads", "1", "--suite", "elementwise",
                           "--size", "small", "--quick", "--repeat", "1", "--compare", "numpy", "--no-progress",
                           "--json", str(path)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(path.read_text())
    assert run["settings"]["threads"] == 1 and run["machine"]["threads"]["numba"] == 1
    assert run["machine"]["threads"]["env"] == {v: "1" for v in cli.THREAD_VARS}
    assert "## elementwise" in proc.stdout
