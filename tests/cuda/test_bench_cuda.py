"""`ntorch bench --device cuda --size small --quick` through the CLI's entry point, on the simulator (or a GPU):
every case of the cuda suite runs, matches NumPy's host reference (and PyTorch's when it has a GPU), and the
table and JSON have the shape `ntorch bench` promises."""

from __future__ import annotations

import json

import pytest
from cuda_util import RUN

pytestmark = pytest.mark.skipif(not RUN, reason="needs the CUDA simulator or a GPU")  # before the module fixture

NAMES = ["add 1000", "sum 1000", "softmax (4,32) dim -1", "matmul 16", "matmul 16", "mlp 16-8-4 step, batch 4",
         "a + b 3x3"]


@pytest.fixture(scope="module")
def cuda_run(tmp_path_factory):
    from ntorch import cli

    path = tmp_path_factory.mktemp("bench-cuda") / "cuda.json"
    argv = ["bench", "--device", "cuda", "--size", "small", "--quick", "--repeat", "1", "--no-progress",
            "--json", str(path)]
    return cli.main(argv), json.loads(path.read_text())


def test_cuda_suite_runs_and_matches_the_references(cuda_run):
    rc, run = cuda_run
    assert rc == 0
    rows = run["results"]
    assert [r["name"] for r in rows] == NAMES
    assert [r["dtype"] for r in rows] == ["float32"] * 4 + ["float16", "float32", "float32"]
    torch_timed = run["competitors"]["torch"]["available"]
    for row in rows:
        assert row["error"] is None, row
        assert row["device"] == "cuda" and row["key"] == f"cuda:{row['name']}:{row['dtype']}:cuda"
        assert row["checks"]["numpy"] == "ok", row  # NumPy's host result checks every case, untimed
        assert set(row["times"]) == ({"ntorch", "torch"} if torch_timed else {"ntorch"})
        if torch_timed:
            assert row["checks"]["torch"] == "ok", row
        t = row["times"]["ntorch"]
        assert t["median_s"] > 0 and len(t["samples_s"]) == 1 and t["first_call_s"] > 0
        assert row["throughput"] == pytest.approx(row["work"] / t["median_s"] / 1e9 if row["unit"] != "us/op"
                                                  else t["median_s"] * 1e6)


def test_cuda_json_records_the_device(cuda_run):
    import ntorch
    from ntorch.benchmarks import report

    _, run = cuda_run
    assert report.validate(run) == []
    assert run["settings"]["device"] == "cuda" and run["settings"]["suites"] == ["cuda"]
    assert run["machine"]["gpu"] == ntorch.cuda.get_device_name()
    assert run["competitors"]["numpy"]["available"] is False
    assert run["competitors"]["numpy"]["why"].startswith("n/a on cuda")
    if not run["competitors"]["torch"]["available"]:
        assert run["machine"]["torch_cuda"] is None
    else:
        assert run["machine"]["torch_cuda"]["matmul_allow_tf32"] is False


def test_cuda_table_shape(capsys):
    from ntorch import cli

    rc = cli.main(["bench", "--device", "cuda", "--size", "small", "--quick", "--repeat", "1", "--no-progress",
                   "--suite", "cuda", "--dtype", "float16", "--compare", "numpy"])
    out = capsys.readouterr().out
    assert rc == 0
    lines = out.splitlines()
    assert lines[0].startswith("# ntorch bench: size small, device cuda (")
    head = lines.index(next(ln for ln in lines if ln.startswith("case ")))
    assert lines[head].split() == ["case", "dtype", "ntorch", "spread", "first", "call", "throughput", "numpy", "vs",
                                   "numpy"]
    row = lines[head + 1].split()
    assert row[:3] == ["matmul", "16", "float16"] and row[-3:] == ["GFLOP/s", "n/a", "n/a"]
