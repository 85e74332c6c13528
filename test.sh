#!/usr/bin/env bash
# Sets up ColorSphere with its test tools on first use, then runs the whole test suite and the linter.
set -euo pipefail
cd "$(dirname "$0")"
tools/qt_system_deps.sh
tools/bootstrap.sh test
export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
