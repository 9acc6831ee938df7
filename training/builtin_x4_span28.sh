#!/usr/bin/env bash
# Reproduces srdemo's built-in x4: the NTIRE 2024 SPAN with 28 channels (MIT, ../shared/ref-weights/span_ch28_x4.safetensors),
# fine-tuned on srdemo's data (it replaced srdemo's own 24-channel SPAN trained from scratch, training/builtin_x4.sh).
# Run from the repo root; each step resumes (the import is skipped once made, a stage from its
# runs/<name>/checkpoint.safetensors). Flags given to the script override its own.
# Whether this run or the imported network as is becomes the built-in x4 is decided on the 40 held-out store photos
# (training/heldout.py), never on Set5/Set14/BSD100.
set -euo pipefail
# The base: the reference's tensors, verified against SHA256SUMS, its fused kernels rebuilt from its branches, float32.
[ -f runs/span-ch28/x4.safetensors ] || .venv/bin/python training/import_reference.py x4 --dtype float32 --out runs/span-ch28
S=../shared/data/train
# Stage 1: the x4's stage-8 data (sun_hays80 and T91 each listed 4 times beside the grocery photos, about a third of
# draws each), MSE, a short cosine cycle at a low learning rate (the base is far better trained than any of srdemo's own
# stages), HR patch 192 (LR 48 px, past SPAN's receptive field of 43), float32 (a bfloat16 forward costs this network
# 0.03-0.09 dB on Set5 images, about the size of the gains looked for here).
[ -f runs/builtin-x4-span28/model.safetensors ] || .venv/bin/python -m srdemo train \
  --data $S/T91 $S/T91 $S/T91 $S/T91 $S/sun_hays80 $S/sun_hays80 $S/sun_hays80 $S/sun_hays80 $S/grocery_iconic $S/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/span-ch28/x4.safetensors --loss mse --scale 4 --steps 3000 --batch 8 --patch 192 --lr 5e-5 --ema 0.999 \
  --val-every 250 --checkpoint-every 50 --seed 42 --precision fp32 --out runs/builtin-x4-span28 "$@"
