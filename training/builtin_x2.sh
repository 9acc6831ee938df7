#!/usr/bin/env bash
# Reproduces srdemo's built-in x2 model (run from the repo root, after the built-in x4 ships: its body and a
# box-averaged x4 output layer are the starting point, see srdemo.train._span_at_scale). Resumes from runs/builtin-x2.
set -euo pipefail
.venv/bin/python -m srdemo render --count 300 --size 384 --seed 1 --out runs/synthetic-384
.venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos runs/synthetic-384 \
  --val-list data/holdout_grocery_store_photos.txt \
  --init x4 --scale 2 --steps 12000 --batch 16 --patch 64 --lr 2e-4 --ema 0.999 \
  --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 --out runs/builtin-x2 "$@"
