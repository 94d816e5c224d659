#!/bin/bash
# Issue 5's checks for one device session on a real GPU, in one command (device time is scarce), most valuable
# first: install ntorch, the cuda benchmark suite, the per-op overhead probe, a float16 probe, the fused optimizer
# steps, tests/cuda.
# Results land in $OUT (the device tool brings that folder back; at most 8 files: keep it so). Failure tracebacks
# are written as they happen (bench/pytest_failure_log.py), so a run cut off by TEST_S keeps them. Knobs: BENCH_S, PROBE_S, FP16_S, OPTIM_S, TEST_S
# (seconds), TEST_IDS (a file of test ids to run instead of all of tests/cuda), WORKERS, EXTRA (a command run last).
set -u
OUT=${OUT:-build/gpu-session}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 NUMBA_ENABLE_CUDASIM=0
nvidia-smi -L
python3 -c "import numba, numba_cuda, numpy, torch; print('numba', numba.__version__, 'numba-cuda', \
numba_cuda.__version__, 'numpy', numpy.__version__, 'torch', torch.__version__)"
python3 -m pip install -q --no-deps --no-build-isolation --no-index --target /tmp/site . >/tmp/install.log 2>&1 \
  || { cat /tmp/install.log; exit 1; }
export PYTHONPATH=/tmp/site
start=$(date +%s)
timeout "${BENCH_S:-180}" python3 -m ntorch bench --device cuda --suite cuda --json "$OUT/bench-gpu.json" \
  >"$OUT/bench.log" 2>&1
echo "bench rc=$? in $(( $(date +%s) - start )) s"; grep -A12 "^case" "$OUT/bench.log"; grep -A5 "^Problems" "$OUT/bench.log"
timeout "${PROBE_S:-30}" python3 bench/cuda_overhead_probe.py --profile >"$OUT/overhead.log" 2>&1
head -14 "$OUT/overhead.log"
timeout "${FP16_S:-40}" python3 bench/cuda_fp16_probe.py >"$OUT/fp16.log" 2>&1; grep -v Warning "$OUT/fp16.log" | tail -25
timeout "${OPTIM_S:-60}" python3 bench/optim_bench.py --device cuda --repeat 20 >"$OUT/optim.log" 2>&1; tail -12 "$OUT/optim.log"
tests=(tests/cuda)
if [ -n "${TEST_IDS:-}" ]; then mapfile -t tests <"$TEST_IDS"; fi
start=$(date +%s)
FAILURE_LOG="$OUT/failures.log" PYTHONPATH="$PYTHONPATH:bench" timeout "${TEST_S:-240}" python3 -m pytest "${tests[@]}" \
  -o addopts="" -p pytest_failure_log -n "${WORKERS:-14}" --dist loadfile -v -rfE --tb=short >"$OUT/tests.log" 2>&1
echo "tests rc=$? in $(( $(date +%s) - start )) s"
grep -E "passed|failed|error" "$OUT/tests.log" | tail -2
grep -cE "PASSED" "$OUT/tests.log"; grep -E "^\[gw.*(FAILED|ERROR)" "$OUT/tests.log" | head -40
if [ -n "${EXTRA:-}" ]; then eval "$EXTRA"; fi
