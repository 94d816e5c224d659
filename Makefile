# Every target creates the virtual env on first use, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: bytecode demo test test-cuda-sim test-gpu test-kernels lint bench bench-gpu bench-results wheel-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(MAKE) bytecode
	touch $(STAMP)

# Bytecode for the editable install (pip writes none for it; with PYTHONDONTWRITEBYTECODE set Python never does):
# without it every process compiles ntorch's ~140 modules from source, about 0.5 s of each `import ntorch`.
bytecode:
	$(PY) -m compileall -q src kernels > /dev/null

demo: $(STAMP) bytecode
	$(PY) examples/quickstart.py
	$(PY) examples/logistic_regression.py
	$(PY) examples/digits.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src kernels tests bench examples

# Tests run in parallel processes (pytest-xdist, one file per worker at a time; tests/cuda runs in its own
# process below, under the CUDA simulator): most of a cold run is Numba
# compiling kernels, which parallelises across cores.
test: $(STAMP) lint
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadfile --durations=30 tests
	$(MAKE) test-cuda-sim
	$(MAKE) wheel-check

# The CUDA back end under Numba's CUDA simulator (its own process: the variable must be set before numba.cuda
# is imported; tiny shapes, since the simulator runs every GPU thread as a Python thread; tests/cuda/sim_sequential.py
# schedules those threads without busy polling). worksteal, not loadfile:
# the simulator compiles nothing, so nothing is gained by keeping a file on one worker, and its two biggest files
# (test_kernels_elementwise, test_tensor_cuda) would each hold a worker to the end. --durations: the slowest
# tests in the log, where CI time is trimmed next.
test-cuda-sim: $(STAMP)
	NUMBA_ENABLE_CUDASIM=1 $(PY) -m pytest -n auto --maxprocesses 4 --dist worksteal --durations=30 tests/cuda

# The same CUDA tests on a real GPU (larger shapes too).
test-gpu: $(STAMP)
	NUMBA_ENABLE_CUDASIM=0 $(PY) -m pytest tests/cuda

# A wheel built from the tree must install into a fresh env and import both packages.
wheel-check: $(STAMP)
	rm -rf build/wheel build/wheel-env
	$(PY) -m pip wheel -q --no-deps -w build/wheel .
	$(PYTHON) -m venv build/wheel-env
	build/wheel-env/bin/pip install -q build/wheel/ntorch-*.whl
	cd build && wheel-env/bin/python -c "import ntorch, ntorch.cuda, ntorch.benchmarks.suites, ntorch.kernels, ntorch.kernels.cpu; print('wheel ok:', ntorch.__file__)"

bench: $(STAMP) bytecode
	-$(PY) -m pip install -q torch==2.13.0
	$(VENV)/bin/ntorch bench $(BENCH_ARGS)

# The GPU benchmarks of issue 5 (needs an NVIDIA GPU); fill their table with
# `ntorch bench --from-json build/bench-gpu.json --markdown bench/RESULTS.md`.
bench-gpu: $(STAMP) bytecode
	mkdir -p build
	$(VENV)/bin/ntorch bench --device cuda --suite cuda --json build/bench-gpu.json

# Regenerate the tables in README.md and bench/RESULTS.md from 1- and 2-thread runs.
bench-results: $(STAMP) bytecode
	-$(PY) -m pip install -q torch==2.13.0
	mkdir -p build
	$(VENV)/bin/ntorch bench --threads 1 --json build/bench-1t.json
	$(VENV)/bin/ntorch bench --threads 2 --json build/bench-2t.json
	$(VENV)/bin/ntorch bench --from-json build/bench-1t.json --from-json build/bench-2t.json --markdown README.md --markdown bench/RESULTS.md

clean:
	rm -rf $(VENV) build dist *.egg-info
