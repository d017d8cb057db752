#!/usr/bin/env bash
# A short Python run with the engine under AddressSanitizer + UndefinedBehavior-
# Sanitizer: the crmsim package from python/crmsim with the extension
# crmsim._core from the checked sanitizer build (default build/check-asan,
# made by `make test-cpp-checked`), a few test files, invariant checks on.
#
#   scripts/python-asan.sh [BUILD_FOLDER] [PYTEST ARGS...]
#
# CPython is not built with ASan, so the ASan runtime is preloaded
# (LD_PRELOAD, with libstdc++) and leak detection is off: the interpreter, numpy and pandas
# keep memory until exit by design. Memory errors and undefined behaviour in
# the engine and the bindings still stop the run with a report.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/check-asan}
shift || true
python=${PYTHON:-.venv/bin/python}

module=$(ls "$build"/python/_core*.so 2>/dev/null | head -n 1 || true)
if [ -z "$module" ]; then
  echo "python-asan: no crmsim._core in $build/python; run 'make test-cpp-checked' first" >&2
  exit 1
fi
package="$build/python-asan"
rm -rf "$package"
mkdir -p "$package"
cp -r python/crmsim "$package/crmsim"
find "$package" -name '__pycache__' -prune -exec rm -rf {} +
cp "$module" "$package/crmsim/"

# libstdc++ too: CPython does not load it, and ASan must find the real
# __cxa_throw when it starts, or the first C++ exception stops the process.
export LD_PRELOAD
LD_PRELOAD="$("${CXX:-g++}" -print-file-name=libasan.so) $("${CXX:-g++}" -print-file-name=libstdc++.so)"
export ASAN_OPTIONS=detect_leaks=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export PYTHONPATH="$PWD/$package"
export CRMSIM_CHECKS=1
# The run must really use the instrumented extension.
"$python" -c "import crmsim._core as c, sys; sys.exit(0 if '$package' in c.__file__ else 'python-asan: crmsim._core came from ' + c.__file__)"

if [ $# -eq 0 ]; then
  set -- tests/python/test_run.py tests/python/test_results_file.py tests/python/test_checkpoint.py \
         tests/python/test_invariants.py tests/python/test_limits.py tests/python/test_fuzz_results_file.py
fi
exec "$python" -m pytest -q -p no:cacheprovider "$@"
