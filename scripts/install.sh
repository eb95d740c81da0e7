#!/usr/bin/env bash
# Set up ecg-anomaly in a virtual environment (.venv, or $VENV) with its development tools:
#
#   bash scripts/install.sh && . .venv/bin/activate
#
# PyTorch comes first, chosen for the machine, because pip's default torch on Linux is the
# CUDA build (several GB) and pip keeps whichever torch is installed afterwards:
#   1. TORCH_INDEX_URL set: torch from that index (e.g. https://download.pytorch.org/whl/cu128).
#   2. An NVIDIA GPU answers nvidia-smi, or the machine is not Linux: pip's default build.
#   3. Otherwise the CPU build: a CPU wheel that pip's own configuration already offers locally
#      (a find-links folder, as on machines without internet access to PyTorch's index) if
#      there is one, else PyTorch's CPU index, https://download.pytorch.org/whl/cpu.
# An existing torch in the environment is kept. TORCH_SPEC (default "torch") pins a version,
# e.g. TORCH_SPEC="torch==2.13.0"; EXTRAS (default "dev") picks the extras, e.g.
# EXTRAS=dev,optuna (the Optuna sweeper pins optuna<3: see the README).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
EXTRAS=${EXTRAS:-dev}
TORCH_SPEC=${TORCH_SPEC:-torch}
CPU_INDEX=https://download.pytorch.org/whl/cpu

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# shellcheck disable=SC1091
. "$VENV/bin/activate"
python -m pip install --quiet --upgrade pip

# The version of a CPU torch wheel that pip can install without any index (pip's configured
# find-links), e.g. "2.13.0+cpu"; empty when there is none.
local_cpu_torch() {
    local report
    report=$(mktemp)
    if python -m pip install --quiet --dry-run --ignore-installed --no-deps --no-index \
        --report "$report" "$TORCH_SPEC" >/dev/null 2>&1; then
        python - "$report" <<'EOF'
import json, sys
versions = [i["metadata"]["version"] for i in json.load(open(sys.argv[1]))["install"]]
print(next((v for v in versions if v.endswith("+cpu")), ""))
EOF
    fi
    rm -f "$report"
}

if python -c "import torch" 2>/dev/null; then
    echo "torch $(python -c 'import torch; print(torch.__version__)') already installed: kept"
elif [ -n "${TORCH_INDEX_URL:-}" ]; then
    python -m pip install "$TORCH_SPEC" --index-url "$TORCH_INDEX_URL"
elif [ "$(uname -s)" != Linux ] || { command -v nvidia-smi >/dev/null && nvidia-smi >/dev/null 2>&1; }; then
    python -m pip install "$TORCH_SPEC"
else
    version=$(local_cpu_torch)
    if [ -n "$version" ]; then
        echo "no GPU: torch $version (CPU build) from this machine's local wheels"
        python -m pip install "torch==$version"
    else
        echo "no GPU: the CPU build of torch from $CPU_INDEX"
        python -m pip install "$TORCH_SPEC" --index-url "$CPU_INDEX"
    fi
fi

python -m pip install -e ".[$EXTRAS]"
echo "ecg-anomaly installed in $VENV with extras [$EXTRAS]: activate it with '. $VENV/bin/activate'"
