#!/usr/bin/env bash
# Set up ecg-anomaly in a virtual environment (.venv, or $VENV) with its development tools.
#
# PyTorch comes first, chosen for the machine: with an NVIDIA GPU (nvidia-smi answers) pip's
# default CUDA build; without one the CPU build, so a CPU machine never downloads several GB
# of CUDA libraries. Override the choice with TORCH_SPEC (e.g. TORCH_SPEC="torch==2.13.0") and
# TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cpu where that index is reachable).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip

if [ -z "${TORCH_SPEC:-}" ]; then
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then
        TORCH_SPEC="torch"
    else
        # 2.13.0 is the CPU build these machines hold locally; elsewhere set TORCH_INDEX_URL.
        TORCH_SPEC="torch==2.13.0"
    fi
fi
if python -c "import torch" 2>/dev/null; then
    echo "torch $(python -c 'import torch; print(torch.__version__)') already installed"
elif [ -n "${TORCH_INDEX_URL:-}" ]; then
    python -m pip install "$TORCH_SPEC" --index-url "$TORCH_INDEX_URL"
else
    python -m pip install "$TORCH_SPEC"
fi

python -m pip install -e ".[dev]"
echo "ecg-anomaly installed in $VENV: activate it with '. $VENV/bin/activate'"
