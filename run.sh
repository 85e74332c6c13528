#!/usr/bin/env bash
# Sets up ColorSphere on first use, then opens it (with any photos given: bash run.sh scan.jpg).
set -euo pipefail
cd "$(dirname "$0")"
tools/qt_system_deps.sh
tools/bootstrap.sh
exec .venv/bin/colorsphere "$@"
