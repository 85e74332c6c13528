#!/usr/bin/env bash
# Installs the Linux system libraries Qt 6's xcb and offscreen platforms load at run time, when missing
# (Debian/Ubuntu, needs root or sudo), and python3-venv, without which tools/bootstrap.sh cannot make
# .venv on a fresh Debian or Ubuntu. Safe to run repeatedly.
set -euo pipefail
pkgs=(python3-venv libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libx11-6 libx11-xcb1
      libxkbcommon0 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
      libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1 libxcb-util1
      libxcb-xfixes0 libxcb-xkb1 fonts-dejavu-core)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
command -v apt-get >/dev/null || { echo "install Qt's libraries: ${missing[*]}" >&2; exit 0; }
# As root, run apt-get itself; otherwise through sudo. `env` sets the variable in both cases (a bare
# VAR=value after an empty "$sudo" would be taken as the command's name).
run=(env DEBIAN_FRONTEND=noninteractive)
[ "$(id -u)" -eq 0 ] || run=(sudo "${run[@]}")
"${run[@]}" apt-get update -qq
"${run[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
