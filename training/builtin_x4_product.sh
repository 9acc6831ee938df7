#!/usr/bin/env bash
# Reproduces srdemo's built-in x4-product model (run from the repo root, after stage 1 of training/builtin_x4.sh:
# it starts from that model, the project's own weights). The shipped x4-product started from the float16 copy of
# those weights (srdemo/weights/x4.safetensors at commit 74fd7f3); the difference is rounding.
# Resumes from runs/builtin-x4-product.
# Same data as the x4; LR made with the 'product' degradation (blur, mixed resize kernels, noise, JPEG 50-95,
# a share of clean bicubic samples).
set -euo pipefail
.venv/bin/python -m srdemo render --count 300 --size 384 --seed 1 --out runs/synthetic-384
.venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos runs/synthetic-384 \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x4/model.safetensors --degrade product --scale 4 --steps 6000 --batch 16 --patch 128 --lr 2e-4 --ema 0.999 \
  --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 --out runs/builtin-x4-product "$@"
