"""Presenting results: text tables per suite, the JSON file, markdown tables and the baseline comparison."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA = "ntorch-bench/1"
LIB_TITLES = {"numpy": "NumPy", "torch": "PyTorch"}

# The keys every result file and every result row carries, with their types (None allowed where noted).
RUN_KEYS = {"schema": str, "created": str, "argv": list, "settings": dict, "machine": dict, "competitors": dict,
            "results": list}
SETTINGS_KEYS = {"suites": list, "compare": list, "size": str, "dtypes": (list, type(None)), "device": str,
                 "threads": (int, type(None)), "repeat": int, "min_sample_s": float, "quick": bool}
ROW_KEYS = {"key": str, "suite": str, "name": str, "size": str, "dtype": str, "device": str, "unit": str,
            "work": (float, type(None)), "times": dict, "checks": dict, "ratios": dict,
            "throughput": (float, type(None)), "error": (str, type(None))}
TIME_KEYS = {"median_s": float, "spread": float, "samples_s": list, "first_call_s": (float, type(None)),
             "calls_per_sample": int}


def validate(run: dict) -> list[str]:
    """Problems that make `run` not a result file of this version (an empty list when it is one)."""
    problems = []

    def need(obj: dict, keys: dict, where: str) -> None:
        for k, t in keys.items():
            if k not in obj:
                problems.append(f"{where}: missing {k!r}")
            elif not isinstance(obj[k], t) or (t is float and isinstance(obj[k], bool)):
                problems.append(f"{where}: {k!r} has type {type(obj[k]).__name__}")

    if not isinstance(run, dict):
        return ["not a JSON object"]
    need(run, RUN_KEYS, "file")
    if run.get("schema") not in (None, SCHEMA):
        problems.append(f"file: schema {run.get('schema')!r}, expected {SCHEMA!r}")
    if isinstance(run.get("settings"), dict):
        need(run["settings"], SETTINGS_KEYS, "settings")
    for i, row in enumerate(run.get("results") or []):
        need(row, ROW_KEYS, f"results[{i}]")
        for lib, t in (row.get("times") or {}).items():
            need(t, TIME_KEYS, f"results[{i}].times.{lib}")
    return problems


def save_json(run: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(run, indent=1) + "\n")


def load_json(path: str | Path) -> dict:
    """A result file, or ValueError saying why it is not one."""
    try:
        run = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    problems = validate(run)
    if problems:
        raise ValueError(f"{path} is not an `ntorch bench --json` file: " + "; ".join(problems[:5]))
    return run


# ---------------------------------------------------------------------------------------------- formatting


def fmt_time(s: float | None) -> str:
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.1f} us"
    if s < 1.0:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def fmt_ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.2f}x"


def fmt_throughput(row: dict) -> str:
    v = row.get("throughput")
    if v is None:
        return "-"
    return f"{v:.2f} {row['unit']}" if row["unit"] == "us/op" else f"{v:.1f} {row['unit']}"


def _competitor_cell(row: dict, lib: str) -> tuple[str, str]:
    if lib in row["times"]:
        return fmt_time(row["times"][lib]["median_s"]), fmt_ratio(row["ratios"].get(lib))
    check = row["checks"].get(lib)
    if check == "ok":  # checked but not timed: a host reference on a device case
        return "n/a", "n/a"
    if check:
        return ("MISMATCH" if check.startswith("mismatch") else "ERROR"), "-"
    return "-", "-"


def text_table(rows: list[dict], competitors: list[str]) -> str:
    """A suite's results as an aligned plain-text table."""
    head = ["case", "dtype", "ntorch", "spread", "first call", "throughput"]
    for lib in competitors:
        head += [lib, f"vs {lib}"]
    body = []
    for row in rows:
        if row["error"]:
            body.append([row["name"], row["dtype"], f"ERROR {row['error']}"])
            continue
        t = row["times"]["ntorch"]
        line = [row["name"], row["dtype"], fmt_time(t["median_s"]), f"±{t['spread'] * 100:.0f}%",
                fmt_time(t["first_call_s"]), fmt_throughput(row)]
        for lib in competitors:
            line += _competitor_cell(row, lib)
        body.append(line)
    widths = [max(len(r[i]) for r in [head, *body] if i < len(r) and len(r) > 3) for i in range(len(head))]
    out = []
    for r in [head, *body]:
        if len(r) == 3:  # an error row spans the table
            out.append(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}")
        else:
            out.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


def problems_text(rows: list[dict]) -> list[str]:
    """Failed checks and errors, one line each."""
    lines = []
    for row in rows:
        if row["error"]:
            lines.append(f"{row['key']}: ntorch failed: {row['error']}")
        for lib, check in row["checks"].items():
            if check != "ok":
                lines.append(f"{row['key']}: {lib}: {check}")
    return lines


# ------------------------------------------------------------------------------------------------ markdown

# a block: its opening and closing comments each start a line; prose may quote the markers mid-line
BLOCK = re.compile(r"^(<!-- ntorch-bench:(?P<attrs>[^>\n]*?)-->\n)(?P<body>.*?)^(<!-- /ntorch-bench -->)", re.S | re.M)


def _threads_title(run: dict) -> str:
    if run["settings"].get("device", "cpu") != "cpu":  # a GPU run: its device, not the host's threads
        return run["machine"].get("gpu") or run["settings"]["device"]
    n = run["settings"].get("threads") or run["machine"].get("threads", {}).get("numba")
    return f"{n} thread{'s' if n != 1 else ''}" if n else "run"


def markdown_table(runs: list[dict], suites: list[str], dtype: str | None = None) -> str:
    """One markdown table over the given suites: for each run (e.g. 1 and 2 threads) ntorch's time and the ratio
    vs each competitor. Rows follow the first run that has them; a row in another dtype than the first says so."""
    libs = [lib for lib in LIB_TITLES if any(lib in r["settings"].get("compare", LIB_TITLES) for r in runs)]
    keys: list[str] = []
    rows_of: dict[str, dict] = {}
    cells: list[dict[str, dict]] = []
    for run in runs:
        by_key = {}
        for row in run["results"]:
            if row["suite"] in suites and (dtype is None or row["dtype"] == dtype):
                by_key[row["key"]] = row
                if row["key"] not in rows_of:
                    keys.append(row["key"])
                    rows_of[row["key"]] = row
        cells.append(by_key)
    base = dtype or (rows_of[keys[0]]["dtype"] if keys else "float32")
    names = {k: r["name"] + ("" if r["dtype"] == base else f" ({r['dtype']})") for k, r in rows_of.items()}
    head = [f"case ({base})"]
    for run in runs:
        head += [f"{_threads_title(run)}: ntorch"] + [f"vs {LIB_TITLES[lib]}" for lib in libs]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for key in keys:
        line = [names[key]]
        for by_key in cells:
            row = by_key.get(key)
            if row is None or row["error"]:
                line += ["-" if row is None else "error"] + ["-"] * len(libs)
                continue
            line.append(fmt_time(row["times"]["ntorch"]["median_s"]))
            for lib in libs:  # the ratio, or why there is none (MISMATCH, ERROR, -)
                time_cell, ratio_cell = _competitor_cell(row, lib)
                line.append(ratio_cell if lib in row["times"] else time_cell)
        lines.append("| " + " | ".join(line) + " |")
    return "\n".join(lines)


def _caption(runs: list[dict]) -> str:
    first = runs[0]
    m, s = first["machine"], first["settings"]
    v = m["versions"]
    libs = ", ".join(f"{k} {v[k]}" for k in ("numba", "numpy", "torch") if v.get(k))
    host = f"{m['cpu']}, {m['cores']} cores"
    where = f"{m['gpu']} on {host}" if m.get("gpu") else host
    return (f"Generated by `ntorch bench` ({first['created'][:10]}; {where}; {libs}; "
            f"size {s['size']}, median of {s['repeat']} rounds; ratios = other time / ntorch time).")


def _attrs(text: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)=(\S+)", text))


def update_markdown(text: str, runs: list[dict]) -> tuple[str, int]:
    """Replace the body of every `<!-- ntorch-bench: suites=a,b [dtype=float32] [device=cuda] -->` ...
    `<!-- /ntorch-bench -->` block with a table from those of `runs` on the block's device (default cpu) that measured
    one of its suites; a block that no run is for is left as it is, and everything outside the blocks is kept.
    Returns the text and the number of blocks replaced."""
    count = 0

    def replace(m: re.Match) -> str:
        nonlocal count
        attrs = _attrs(m.group("attrs"))
        if "suites" not in attrs:
            raise ValueError(f"ntorch-bench block without suites=: {m.group(1).strip()}")
        suites = attrs["suites"].split(",")
        mine = [r for r in runs if r["settings"].get("device", "cpu") == attrs.get("device", "cpu")
                and any(row["suite"] in suites for row in r["results"])]
        if not mine:
            return m.group(0)
        count += 1
        table = markdown_table(mine, suites, attrs.get("dtype"))
        return f"{m.group(1)}{_caption(mine)}\n\n{table}\n{m.group(4)}"

    return BLOCK.sub(replace, text), count


# ------------------------------------------------------------------------------------------------ baseline


@dataclass
class Comparison:
    """ntorch's median time now vs a baseline file's, per case key; change = now / before - 1."""

    threshold: float
    regressions: list[tuple[str, float, float]] = field(default_factory=list)  # (key, before_s, now_s)
    improvements: list[tuple[str, float, float]] = field(default_factory=list)
    unchanged: list[tuple[str, float, float]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the baseline (a suite run now) but not measured now
    new: list[str] = field(default_factory=list)  # measured now, absent from the baseline
    warnings: list[str] = field(default_factory=list)


def _timed(run: dict) -> dict[str, float]:
    return {r["key"]: r["times"]["ntorch"]["median_s"] for r in run["results"] if not r["error"] and r["times"]}


def compare(baseline: dict, current: dict, threshold: float) -> Comparison:
    """Flag cases more than `threshold` (0.25 = 25%) slower than the baseline, and as many faster."""
    out = Comparison(threshold)
    before, now = _timed(baseline), _timed(current)
    suites = set(current["settings"]["suites"])
    for key, t_before in before.items():
        if key not in now:
            if key.split(":", 1)[0] in suites:
                out.missing.append(key)
            continue
        t_now = now[key]
        entry = (key, t_before, t_now)
        if t_now > t_before * (1 + threshold):
            out.regressions.append(entry)
        elif t_before > t_now * (1 + threshold):
            out.improvements.append(entry)
        else:
            out.unchanged.append(entry)
    out.new = [k for k in now if k not in before]
    for what, get in (("CPU", lambda r: r["machine"]["cpu"]), ("GPU", lambda r: r["machine"].get("gpu")),
                      ("threads", lambda r: r["settings"]["threads"])):
        if get(baseline) != get(current):
            out.warnings.append(f"the baseline's {what} differs: {get(baseline)!r} vs now {get(current)!r}")
    return out


def comparison_text(c: Comparison) -> str:
    lines = [f"Against the baseline (threshold {c.threshold * 100:.0f}%): {len(c.regressions)} slower, "
             f"{len(c.improvements)} faster, {len(c.unchanged)} within the threshold, {len(c.missing)} missing, "
             f"{len(c.new)} new."]
    lines += [f"  warning: {w}" for w in c.warnings]
    for title, entries in (("REGRESSION", c.regressions), ("faster", c.improvements)):
        for key, t0, t1 in entries:
            lines.append(f"  {title}: {key}: {fmt_time(t0)} -> {fmt_time(t1)} ({(t1 / t0 - 1) * 100:+.0f}%)")
    lines += [f"  missing now: {key}" for key in c.missing]
    return "\n".join(lines)
