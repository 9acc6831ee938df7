#!/usr/bin/env bash
# Reproduces srdemo's x2 before December 2026, its own SPAN widened to 28 channels (run from the repo root, after stage 1 of training/builtin_x4.sh: that
# model's body and its box-averaged x4 output layer are the starting point, see srdemo.arch.span.at_scale).
# The shipped x2 started from the float16 copy of those weights (srdemo/weights/x4.safetensors at commit 74fd7f3);
# the difference is rounding. Each stage resumes from its checkpoint. training/builtin_x2_span28.sh makes today's x2.
set -euo pipefail
.venv/bin/python -m srdemo render --count 300 --size 384 --seed 1 --out runs/synthetic-384
# Stage 1: photos and renders, from the x4.
[ -f runs/builtin-x2/model.safetensors ] || .venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos runs/synthetic-384 \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x4/model.safetensors --scale 2 --steps 12000 --batch 16 --patch 64 --lr 2e-4 --ema 0.999 \
  --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 --out runs/builtin-x2 "$@"
# Stage 2: a second, shorter cosine cycle on the photos alone (as for the x4: stage 1 had plateaued).
[ -f runs/builtin-x2-photos/model.safetensors ] || .venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x2/model.safetensors --scale 2 --steps 4000 --batch 16 --patch 64 --lr 1e-4 --ema 0.999 \
  --val-every 500 --checkpoint-every 200 --seed 2 --precision bf16 --out runs/builtin-x2-photos "$@"
# Stage 3: widened from 24 to 28 channels (the new channels start silent, so the run starts from stage 2's
# output exactly), another cosine cycle on the photos. Set5 37.45 -> 37.51, Set14 33.05 -> 33.13 dB.
.venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x2-photos/model.safetensors --channels 28 --scale 2 --steps 6000 --batch 16 --patch 64 --lr 2e-4 --ema 0.999 \
  --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 --out runs/builtin-x2-wide "$@"
