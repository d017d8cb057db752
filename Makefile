# The two commands a user needs:
#   make demo   install what is missing, then run the baseline scenario
#   make test   install what is missing, then run the C++ and Python tests
# Both skip installation steps whose inputs have not changed.
#
# `make test` runs (docs/reliability.md):
#   test-cpp          the C++ tests and a short fuzz of the HDF5 readers (Release)
#   test-cpp-checked  the same in a checked build (invariants every day) with
#                     AddressSanitizer + UndefinedBehaviorSanitizer (build/check-asan)
#   test-python       the Python tests, invariant checks on (CRMSIM_CHECKS=1)
#   test-python-asan  a few Python test files on the ASan build of the engine
# Not in `make test`: `make test-tsan` (ThreadSanitizer over the C++ tests).

VENV        := .venv
PY          := $(VENV)/bin/python
CTEST_BUILD := build/cmake
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

ENGINE_SOURCES := $(shell find engine python/src -type f 2>/dev/null) CMakeLists.txt engine/CMakeLists.txt python/CMakeLists.txt
PY_SOURCES     := $(shell find python/crmsim -type f -not -name '*.pyc' 2>/dev/null)

CHECK_BUILD := build/check-asan
TSAN_BUILD  := build/tsan
SANITIZER_BUILD_FLAGS := -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" -DCRMSIM_BUILD_TESTS=ON
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

.PHONY: demo test test-cpp test-cpp-checked check-build test-python test-python-asan test-tsan \
        bootstrap install bench clean

demo: $(VENV)/.crmsim-installed
	$(VENV)/bin/crmsim run scenarios/baseline.yaml

test: test-cpp test-cpp-checked test-python test-python-asan

# System packages and the virtual environment with build requirements.
$(VENV)/.bootstrapped: scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $@

bootstrap: $(VENV)/.bootstrapped

# The package with its dependencies; rebuilt incrementally in build/python.
$(VENV)/.crmsim-installed: $(VENV)/.bootstrapped pyproject.toml $(ENGINE_SOURCES) $(PY_SOURCES)
	$(PY) -m pip install --quiet --no-build-isolation ".[test]"
	touch $@

install: $(VENV)/.crmsim-installed

test-cpp: $(VENV)/.bootstrapped
	cmake -S . -B $(CTEST_BUILD) -DCRMSIM_BUILD_TESTS=ON -DCRMSIM_BUILD_PYTHON=OFF -DCMAKE_BUILD_TYPE=Release
	cmake --build $(CTEST_BUILD) -j $(JOBS)
	cd $(CTEST_BUILD) && ctest --output-on-failure -j $(JOBS)

# One build for the checked C++ tests and the instrumented Python extension:
# invariants on by default, ASan + UBSan, -O1.
check-build: $(VENV)/.bootstrapped
	cmake -S . -B $(CHECK_BUILD) $(SANITIZER_BUILD_FLAGS) -DCRMSIM_CHECKS=ON \
	  -DCRMSIM_SANITIZE=address,undefined -DCRMSIM_BUILD_PYTHON=ON \
	  -DPython_EXECUTABLE=$(abspath $(PY)) -Dpybind11_DIR="$$($(PY) -m pybind11 --cmakedir)"
	cmake --build $(CHECK_BUILD) -j $(JOBS)

test-cpp-checked: check-build
	cd $(CHECK_BUILD) && $(ASAN_ENV) ctest --output-on-failure -j $(JOBS)

test-python: $(VENV)/.crmsim-installed
	CRMSIM_CHECKS=1 $(PY) -m pytest tests/python tests/validation

test-python-asan: check-build $(VENV)/.crmsim-installed
	PYTHON=$(PY) bash scripts/python-asan.sh $(CHECK_BUILD)

# ThreadSanitizer over the C++ tests (not part of `make test`: it needs its
# own build and takes minutes). Suppressions: tests/sanitizers/tsan.supp.
test-tsan: $(VENV)/.bootstrapped
	cmake -S . -B $(TSAN_BUILD) $(SANITIZER_BUILD_FLAGS) -DCRMSIM_SANITIZE=thread
	cmake --build $(TSAN_BUILD) -j $(JOBS)
	cd $(TSAN_BUILD) && TSAN_OPTIONS="suppressions=$(CURDIR)/tests/sanitizers/tsan.supp halt_on_error=1 second_deadlock_stack=1" \
	  ctest --output-on-failure -j $(JOBS)

# The benchmarks' own dependencies (the `bench` extra: Mesa), on top of the
# installed package; `make test` does not need them. Order-only on the package
# so that an engine change does not reinstall them.
$(VENV)/.bench-installed: pyproject.toml | $(VENV)/.crmsim-installed
	$(PY) -m pip install --quiet --no-build-isolation ".[bench]"
	touch $@

bench: $(VENV)/.crmsim-installed $(VENV)/.bench-installed
	$(PY) bench/run_all.py

clean:
	rm -rf build $(VENV)
