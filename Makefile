# The two commands a user needs:
#   make demo   install what is missing, then run the baseline scenario
#   make test   install what is missing, then run the C++ and Python tests
# Both skip installation steps whose inputs have not changed.

VENV        := .venv
PY          := $(VENV)/bin/python
CTEST_BUILD := build/cmake
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

ENGINE_SOURCES := $(shell find engine python/src -type f 2>/dev/null) CMakeLists.txt engine/CMakeLists.txt python/CMakeLists.txt
PY_SOURCES     := $(shell find python/crmsim -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: demo test test-cpp test-python bootstrap install bench clean

demo: $(VENV)/.crmsim-installed
	$(VENV)/bin/crmsim run scenarios/baseline.yaml

test: test-cpp test-python

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

test-python: $(VENV)/.crmsim-installed
	$(PY) -m pytest tests/python tests/validation

bench: $(VENV)/.crmsim-installed
	$(PY) bench/run_all.py

clean:
	rm -rf build $(VENV)
