#!/usr/bin/env bash
# Reproduces srdemo's built-in x4-product model (run from the repo root, after training/builtin_x4.sh: it starts
# from the finished x4, the project's own weights). Resumes from runs/builtin-x4-product-photos.
# The photos alone (as the x4's stage 2); LR made with the 'product' degradation (blur, mixed resize kernels,
# noise, JPEG 50-95, a share of clean bicubic samples).
set -euo pipefail
.venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x4-photos/model.safetensors --degrade product --scale 4 --steps 6000 --batch 16 --patch 128 --lr 2e-4 --ema 0.999 \
  --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 --out runs/builtin-x4-product-photos "$@"
