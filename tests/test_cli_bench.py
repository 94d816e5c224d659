"""`ntorch bench`: argument errors, the timing method, the JSON schema, baseline comparison, markdown regeneration,
a quick real run of the first small case of every CPU suite (checked against NumPy / PyTorch), and the CPU side of
`--device cuda` (device selection, the sync hook, NumPy as an untimed reference, the JSON's GPU name) with fakes;
tests/cuda/test_bench_cuda.py runs the cuda suite itself on the simulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import types

import numpy as np
import pytest

from ntorch import cli
from ntorch.benchmarks import SUITE_NAMES, Case, Impls, cases, report
from ntorch.benchmarks.case import same_size
from ntorch.benchmarks.check import allclose
from ntorch.benchmarks.runner import Task, plan, run_task, sync_for
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
    (["--suite", "cuda"], "no case of suite(s) cuda runs on cpu (they run with --device cuda)"),
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
              "sort", "autograd", "mlp-step", "warm-start", "cuda"}
    assert wanted <= set(SUITE_NAMES)
    for suite in SUITE_NAMES:
        found = cases([suite])
        assert found, suite
        device = "cuda" if suite == "cuda" else "cpu"
        for size in ("small", "medium", "large"):
            tasks = plan(found, size, None, device)
            assert tasks and len({t.key for t in tasks}) == len(tasks), (suite, size)


# ------------------------------------------------------------------------------------------- timing method


def _fake(build, **kw) -> Case:
    return Case("elementwise", "fake", build, same_size(None), **kw)


def _task(case):
    return plan([case], "small", None, "cpu")[0]


def test_timing_measures_each_library_and_the_ratio():
    def build(ctx):
        # sleeps long enough that a loaded machine's scheduling delay (milliseconds) cannot swamp their ratio
        return {"ntorch": lambda: time.sleep(0.02) or np.ones(3), "numpy": lambda: time.sleep(0.06) or np.ones(3)}

    row = run_task(_task(_fake(build)), ["numpy"], None, repeat=3, min_sample_s=0.001)
    assert row["error"] is None and row["checks"] == {"numpy": "ok"}
    nt, npy = row["times"]["ntorch"], row["times"]["numpy"]
    assert 0.02 <= nt["median_s"] < 0.2 and 0.06 <= npy["median_s"] < 0.3
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
    assert [r["suite"] for r in first_small_rows] == [s for s in SUITE_NAMES if s != "cuda"]  # cuda: GPU only
    for row in first_small_rows:
        assert row["error"] is None, row
        assert all(check == "ok" for check in row["checks"].values()), row["checks"]
        for lib, t in row["times"].items():
            assert t["median_s"] > 0 and len(t["samples_s"]) == 2, (row["key"], lib)
        if row["suite"] not in ("warm-start", "autograd", "mlp-step", "conv"):  # conv's, optim's first case: numpy too
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


def test_markdown_device_blocks_take_only_runs_on_their_device():
    cpu = _run([_row("matmul 64", 1e-4, numpy=2e-4)])
    gpu = _run([{**_row("matmul 4096", 2e-3), "key": "cuda:matmul 4096:float32:cuda", "suite": "cuda",
                 "device": "cuda"}], suites=("cuda",))
    gpu["settings"]["device"], gpu["machine"]["gpu"] = "cuda", "Fake GPU 80GB"
    doc = DOC + "\n<!-- ntorch-bench: suites=cuda device=cuda -->\nold gpu table\n<!-- /ntorch-bench -->\n"
    text, count = report.update_markdown(doc, [gpu])  # a GPU run alone: the cpu block is left as it was
    assert count == 1 and "| old | table |" in text and "old gpu table" not in text
    assert "| case (float32) | Fake GPU 80GB: ntorch | vs NumPy | vs PyTorch |" in text
    assert "| matmul 4096 | 2.00 ms | - | - |" in text
    assert "(2026-11-27; Fake GPU 80GB on Test CPU, 2 cores;" in text
    text, count = report.update_markdown(text, [cpu])
    assert count == 1 and "| matmul 64 | 100.0 us | 2.00x | - |" in text and "| matmul 4096 | 2.00 ms |" in text


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


def test_baseline_on_another_gpu_is_a_warning():
    before, now = _run([_row("a", 1.0)]), _run([_row("a", 1.0)])
    before["machine"]["gpu"], now["machine"]["gpu"] = "GPU A", "GPU B"
    assert report.compare(before, now, 0.25).warnings == ["the baseline's GPU differs: 'GPU A' vs now 'GPU B'"]


# ------------------------------------------------------------------------------- --device cuda, CPU side

# issue 5's benchmark list: (name, dtype, unit, work) at medium and large size
ISSUE_5_CASES = [
    ("add 1e8", "float32", "GB/s", 3 * 10**8 * 4),
    ("sum 1e8", "float32", "GB/s", 10**8 * 4),
    ("softmax (8192,4096) dim -1", "float32", "GB/s", 2 * 8192 * 4096 * 4),
    ("matmul 4096", "float32", "GFLOP/s", 2 * 4096**3),
    ("matmul 4096", "float16", "GFLOP/s", 2 * 4096**3),
    ("mlp 784-256-10 step, batch 512", "float32", "GFLOP/s", 2 * 3 * 512 * (784 * 256 + 256 * 10)),
    ("a + b 3x3", "float32", "us/op", 1),
]


@pytest.mark.parametrize("size", ["medium", "large"])
def test_cuda_suite_is_issue_5s_list_and_the_only_one_on_cuda(size):
    tasks = plan(cases(), size, None, "cuda")  # every suite: only the cuda suite has cuda cases
    assert [(t.name, t.dtype, t.case.unit, t.case.work_for(t.param, t.dtype)) for t in tasks] == ISSUE_5_CASES
    assert {t.key.split(":")[0] for t in tasks} == {"cuda"} and {t.device for t in tasks} == {"cuda"}
    assert plan(cases(["cuda"]), size, None, "cpu") == []
    assert [t.name for t in plan(cases(["cuda"]), size, ["float16"], "cuda")] == ["matmul 4096"]


def test_cuda_suite_small_sizes_are_tiny():
    names = [t.name for t in plan(cases(["cuda"]), "small", None, "cuda")]
    assert names == ["add 1000", "sum 1000", "softmax (4,32) dim -1", "matmul 16", "matmul 16",
                     "mlp 16-8-4 step, batch 4", "a + b 3x3"]


@pytest.fixture(scope="module")
def cuda_suite_rows_on_cpu():
    """The cuda suite's small cases built on the CPU: ntorch checked against NumPy's host reference (untimed)
    and PyTorch when installed."""
    tasks = [Task(t.case, t.size, t.param, t.dtype, "cpu") for t in plan(cases(["cuda"]), "small", None, "cuda")]
    competitors = ["torch"] if torch is not None else []
    return [run_task(t, competitors, torch, repeat=1, min_sample_s=0.0005, references=["numpy"]) for t in tasks]


def test_cuda_suite_builders_agree_with_the_host_reference(cuda_suite_rows_on_cpu):
    for row in cuda_suite_rows_on_cpu:
        assert row["error"] is None, row
        assert row["checks"]["numpy"] == "ok", row  # every case has a NumPy reference, the MLP step included
        assert "numpy" not in row["times"] and "numpy" not in row["ratios"]  # a reference is never timed
        if torch is not None:
            assert row["checks"]["torch"] == "ok" and "torch" in row["times"], row


class _Recorder:
    """Logs library calls and device synchronizations in order; a sync takes `sync_s` seconds."""

    def __init__(self, sync_s: float):
        self.events: list[str] = []
        self.sync_s = sync_s

    def call(self, lib):
        def fn():
            self.events.append(f"call {lib}")
            return np.arange(4.0)

        return fn

    def sync(self, lib):
        def fn():
            time.sleep(self.sync_s)
            self.events.append(f"sync {lib}")

        return fn


def _fake_torch(cuda_available: bool, sync=None):
    cuda = types.SimpleNamespace(is_available=lambda: cuda_available, synchronize=sync,
                                 get_device_name=lambda: "Fake GPU 80GB")
    backends = types.SimpleNamespace(cuda=types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=True)),
                                     cudnn=types.SimpleNamespace(allow_tf32=True))
    return types.SimpleNamespace(__version__="9.9.9", cuda=cuda, backends=backends, get_num_threads=lambda: 1,
                                 set_num_threads=lambda n: None)


def test_sync_hook_ends_every_timed_sample_of_each_device_library(monkeypatch):
    import ntorch.cuda

    rec = _Recorder(sync_s=0.005)
    monkeypatch.setattr(ntorch.cuda, "synchronize", rec.sync("ntorch"))
    fake_torch = _fake_torch(True, rec.sync("torch"))
    case = _fake(lambda ctx: {lib: rec.call(lib) for lib in ("ntorch", "numpy", "torch")}, devices=("cuda",))
    task = plan([case], "small", None, "cuda")[0]
    row = run_task(task, ["torch"], fake_torch, repeat=3, min_sample_s=0.001, references=["numpy"])
    assert row["error"] is None and row["checks"] == {"torch": "ok", "numpy": "ok"}
    assert set(row["times"]) == {"ntorch", "torch"}  # NumPy checked, not timed
    assert rec.events.count("call numpy") == 1 and "sync numpy" not in rec.events
    # each call's device work is waited for by its own library before another library runs
    for lib in ("ntorch", "torch"):
        for i, event in enumerate(rec.events):
            if event == f"call {lib}":
                nxt = next(e for e in rec.events[i + 1:] if e != f"call {lib}")
                assert nxt == f"sync {lib}", (i, rec.events)
    # the sync is inside the timed window: 5 ms of waiting per sample of an instant call
    assert row["times"]["ntorch"]["calls_per_sample"] == 1 and row["times"]["ntorch"]["median_s"] >= 0.005


def test_no_sync_on_the_cpu_or_for_host_libraries(monkeypatch):
    import ntorch.cuda

    monkeypatch.setattr(ntorch.cuda, "synchronize", lambda: pytest.fail("synchronized on the CPU"))
    for lib in ("ntorch", "numpy", "torch"):
        sync_for(lib, "cpu", None)()
    sync_for("numpy", "cuda", None)()
    assert sync_for("ntorch", "cuda") is ntorch.cuda.synchronize
    fake = _fake_torch(True, sync=object())
    assert sync_for("torch", "cuda", fake) is fake.cuda.synchronize


def test_competitors_on_cuda(monkeypatch):
    with_gpu = _fake_torch(True)
    monkeypatch.setitem(sys.modules, "torch", with_gpu)
    torch_mod, timed, references, why = cli._competitors(["numpy", "torch"], None, "cuda")
    assert torch_mod is with_gpu and timed == ["torch"] and references == ["numpy"]
    assert why == {"numpy": "n/a on cuda (NumPy runs on the host: its results check ntorch's but are not timed)"}
    assert with_gpu.backends.cuda.matmul.allow_tf32 is False and with_gpu.backends.cudnn.allow_tf32 is False

    no_gpu = _fake_torch(False)
    monkeypatch.setitem(sys.modules, "torch", no_gpu)
    torch_mod, timed, references, why = cli._competitors(["numpy", "torch"], None, "cuda")
    assert torch_mod is None and timed == [] and references == ["numpy"]
    assert why["torch"] == "absent for cuda cases (this PyTorch has no GPU: torch.cuda.is_available() is False)"
    assert no_gpu.backends.cuda.matmul.allow_tf32 is True  # untouched: it does not run

    torch_mod, timed, references, why = cli._competitors(["numpy", "torch"], None, "cpu")
    assert torch_mod is no_gpu and timed == ["numpy", "torch"] and references == [] and why == {}


def test_checks_copy_device_results_to_the_host_explicitly():
    class DeviceTensor:  # like a cuda tensor: .numpy() refuses, .cpu() copies
        def __init__(self, a, on_device=True):
            self.a, self.on_device = a, on_device

        def detach(self):
            return self

        def cpu(self):
            return DeviceTensor(self.a, on_device=False)

        def numpy(self):
            if self.on_device:
                raise TypeError("can't convert cuda:0 device type tensor to numpy")
            return self.a

    a = np.arange(6.0, dtype=np.float32)
    assert allclose(DeviceTensor(a), a) is None
    assert allclose((DeviceTensor(a), DeviceTensor(a + 1)), (a, a)).startswith("output 1: 6 of 6 values differ")


def test_cuda_run_with_fakes_reports_the_gpu_and_numpy_as_na(monkeypatch, capsys, tmp_path):
    """The whole CLI path of --device cuda, with a fake GPU: a case on "cuda" whose calls are NumPy's."""
    import ntorch.benchmarks
    import ntorch.cuda

    rec = _Recorder(sync_s=0.0)
    case = Case("cuda", "fake {}", lambda ctx: {lib: rec.call(lib) for lib in ("ntorch", "numpy")}, same_size(4),
                lambda n, s: n * s, devices=("cuda",))
    monkeypatch.setattr(ntorch.benchmarks, "cases", lambda suites=SUITE_NAMES: [case] if "cuda" in suites else [])
    monkeypatch.setattr(cli, "cuda_problem", lambda: None)
    monkeypatch.setattr(ntorch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(ntorch.cuda, "get_device_name", lambda device=None: "Fake GPU 80GB")
    monkeypatch.setattr(ntorch.cuda, "synchronize", rec.sync("ntorch"))
    monkeypatch.setitem(sys.modules, "torch", _fake_torch(False))
    path = tmp_path / "cuda.json"
    rc, out, err = run_cli(capsys, "--device", "cuda", "--quick", "--no-progress", "--json", str(path))
    assert rc == 0, err
    assert out.startswith("# ntorch bench: size medium, device cuda (Fake GPU 80GB), 3 rounds")
    head, line = [ln.split() for ln in out.splitlines() if ln.startswith(("case ", "fake 4 "))]
    assert head[-3:] == ["numpy", "vs", "numpy"] and line[-2:] == ["n/a", "n/a"]  # NumPy: n/a; no PyTorch
    assert "ntorch bench: numpy is n/a on cuda" in err
    assert "ntorch bench: torch is absent for cuda cases" in err and "its columns are left out" in err
    run = json.loads(path.read_text())
    assert report.validate(run) == []
    assert run["machine"]["gpu"] == "Fake GPU 80GB" and run["machine"]["torch_cuda"] is None
    assert run["settings"]["device"] == "cuda" and run["settings"]["suites"] == ["cuda"]
    assert run["competitors"]["numpy"] == {"available": False, "why": cli.NUMPY_ON_DEVICE.format(device="cuda")}
    assert run["competitors"]["torch"]["available"] is False
    (row,) = run["results"]
    assert row["key"] == "cuda:fake 4:float32:cuda" and row["checks"] == {"numpy": "ok"}
    assert set(row["times"]) == {"ntorch"} and row["ratios"] == {}
    assert rec.events.count("sync ntorch") >= 1 + 2 * 3  # first call, and every sample of 3 rounds


def test_machine_info_on_cpu_names_no_gpu(monkeypatch):
    from ntorch.benchmarks.machine import machine_info

    monkeypatch.setattr("ntorch.cuda.get_device_name", lambda device=None: pytest.fail("asked for a GPU on cpu"))
    m = machine_info("cpu", None)
    assert m["gpu"] is None and m["torch_cuda"] is None


def test_machine_info_records_torch_running_without_tf32(monkeypatch):
    import ntorch.cuda
    from ntorch.benchmarks.machine import machine_info

    monkeypatch.setattr(ntorch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(ntorch.cuda, "get_device_name", lambda device=None: "Fake GPU 80GB")
    fake = _fake_torch(True)
    cli.torch_cuda_problem(fake)
    m = machine_info("cuda", fake)
    assert m["gpu"] == "Fake GPU 80GB" and m["versions"]["torch"] == "9.9.9"
    assert m["torch_cuda"] == {"gpu": "Fake GPU 80GB", "matmul_allow_tf32": False, "cudnn_allow_tf32": False}


def test_allclose_holds_float16_to_float16_tolerance():
    """A float16 result (one float16 ulp off a float32 reference) passes; a float32 result that far off fails."""
    ref = np.linspace(200, 300, 50, dtype=np.float32)
    half = (ref.astype(np.float16).astype(np.float32) + 0.25).astype(np.float16)  # about 1 ulp at 256
    assert allclose(half, ref) is None
    assert allclose(ref + 0.25, ref) is not None
    assert allclose(half.astype(np.float64), ref.astype(np.float64)) is not None


def test_markdown_blocks_of_suites_a_run_did_not_measure_are_kept():
    run = _run([_row("matmul 64", 1e-4, numpy=2e-4)])  # a matmul run only
    doc = DOC + "\n<!-- ntorch-bench: suites=sort -->\nold sort table\n<!-- /ntorch-bench -->\n"
    text, count = report.update_markdown(doc, [run])
    assert count == 1 and "old sort table" in text and "| matmul 64 | 100.0 us | 2.00x | - |" in text
