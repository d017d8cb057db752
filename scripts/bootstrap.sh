#!/usr/bin/env bash
# Installs whatever crmsim needs on a fresh Debian/Ubuntu machine and is
# quick when everything is already there:
#   1. system packages (compiler, CMake, oneTBB, Boost.Graph, HDF5, Catch2),
#   2. a virtual environment .venv with the build requirements.
# Installing crmsim with its dependencies and test extras into .venv is the
# Makefile's job (it rebuilds only when sources change).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(g++ cmake make git pkg-config libtbb-dev libboost-graph-dev libhdf5-dev catch2)

python_bin="${PYTHON:-python3}"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# A system Python needs its venv module and headers from Debian packages.
if ! "$python_bin" -c "import venv, ensurepip" >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if ! "$python_bin" -c "import os, sysconfig; raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" >/dev/null 2>&1; then
  missing+=(python3-dev)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "bootstrap: need root or sudo to install ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$python_bin" -m venv .venv
fi
# Build requirements, so that the Makefile's `pip install --no-build-isolation`
# rebuilds incrementally instead of creating an isolated environment each time.
# The runtime and test dependencies come with `pip install ".[test]"`.
if ! .venv/bin/python -c "import scikit_build_core, pybind11, ninja" >/dev/null 2>&1; then
  echo "bootstrap: installing build requirements into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "scikit-build-core>=0.10" "pybind11>=2.13" ninja
fi
