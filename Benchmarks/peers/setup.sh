#!/usr/bin/env bash
# Creates the peers' virtual environment (default Benchmarks/peers/.venv) with the pinned
# versions from PyPI. Usage: Benchmarks/peers/setup.sh [VENV_DIR]
# Needs python3 with venv (Debian: apt-get install -y python3-venv). torch from PyPI pulls
# ~5 GB of CUDA wheels; it runs on the CPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${1:-$here/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" || { echo "python3 -m venv failed: install python3-venv" >&2; exit 1; }
fi
"$venv/bin/python" -m pip install --upgrade pip
"$venv/bin/python" -m pip install tensorflow-cpu==2.21.0 keras==3.15.1 torch==2.15.0
"$venv/bin/python" -c 'import tensorflow as tf, keras, torch; print("tensorflow", tf.__version__, "keras", keras.__version__, "torch", torch.__version__)'
echo "ready: $venv/bin/python"
