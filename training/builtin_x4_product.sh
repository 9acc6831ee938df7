#!/usr/bin/env bash
# Reproduces srdemo's x4-product before December 2026 (run from the repo root, after training/builtin_x4.sh: it starts
# from that script's finished x4, the project's own weights). Each stage resumes from its checkpoint.
set -euo pipefail
# Stage 1: the photos alone (as the x4's stage 2); LR made with the 'product' degradation (blur, mixed resize
# kernels, noise, JPEG 50-95, a share of clean bicubic samples).
[ -f runs/builtin-x4-product-photos/model.safetensors ] || .venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x4-photos/model.safetensors --degrade product --scale 4 --steps 6000 --batch 16 --patch 128 --lr 2e-4 --ema 0.999 \
  --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 --out runs/builtin-x4-product-photos "$@"
# Stage 2: widened from 24 to 30 channels (the new ones start silent, so the run starts from stage 1's output
# exactly): room to undo compression without giving up clean detail.
[ -f runs/builtin-x4-product-wide/model.safetensors ] || .venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x4-product-photos/model.safetensors --channels 30 --degrade product --scale 4 --steps 8000 --batch 16 \
  --patch 128 --lr 2e-4 --ema 0.999 --val-every 1000 --checkpoint-every 200 --seed 0 --precision bf16 \
  --out runs/builtin-x4-product-wide "$@"
# Stage 3: a third of the samples a plain catalogue export (bicubic, then JPEG 50-95), a third clean, a third 'product'.
[ -f runs/builtin-x4-product-jpeg/model.safetensors ] || .venv/bin/python -m srdemo train \
  --data ../shared/data/train/T91 ../shared/data/train/grocery_iconic ../shared/data/train/grocery_store_photos \
  --val-list data/holdout_grocery_store_photos.txt \
  --init runs/builtin-x4-product-wide/model.safetensors --degrade bicubic+product+compressed --scale 4 --steps 4000 \
  --batch 16 --patch 128 --lr 1e-4 --ema 0.999 --val-every 1000 --checkpoint-every 200 --seed 1 --precision bf16 \
  --out runs/builtin-x4-product-jpeg "$@"
# Stages 4-13: the luma-weighted MSE (four fifths on brightness, where JPEG keeps detail), with ever more samples a
# plain catalogue export; each stage starts from the one before. Flags after the seed override the defaults.
S=../shared/data/train
luma_stage() {  # name, base, degradation, steps, seed, [flags]
  [ -f runs/$1/model.safetensors ] || .venv/bin/python -m srdemo train \
    --data $S/T91 $S/grocery_iconic $S/grocery_store_photos --val-list data/holdout_grocery_store_photos.txt \
    --init runs/$2/model.safetensors --degrade $3 --scale 4 --steps $4 --batch 16 --patch 128 --lr 1e-4 --ema 0.999 \
    --loss luma-mse --val-every 1000 --checkpoint-every 200 --seed $5 --precision bf16 --out runs/$1 "${@:6}"
}
luma_stage builtin-x4-product-luma1 builtin-x4-product-jpeg bicubic+product+compressed 3000 2 "$@"
luma_stage builtin-x4-product-luma2 builtin-x4-product-luma1 bicubic+product+compressed+compressed 3000 3 "$@"
luma_stage builtin-x4-product-luma3 builtin-x4-product-luma2 bicubic+compressed+compressed+compressed 3000 4 "$@"
luma_stage builtin-x4-product-luma4 builtin-x4-product-luma3 bicubic+compressed+compressed+compressed 8000 5 "$@"
# Stage 8: widened to 31 channels, the widest SPAN whose float16 file stays under 2 MB.
luma_stage builtin-x4-product-wide31 builtin-x4-product-luma4 bicubic+compressed+compressed+compressed 8000 6 \
  --channels 31 --lr 2e-4 "$@"
# Stage 9: HR patches of 192 (LR 48 pixels against SPAN's receptive field of 43): far less of what the network sees
# in training is zero padding, which it never meets on a whole photo.
luma_stage builtin-x4-product-p192 builtin-x4-product-wide31 bicubic+compressed+compressed+compressed 5000 7 \
  --patch 192 "$@"
# Stages 10-11: seven in eight samples a catalogue export (clean inputs still lose little: one in eight stays
# clean), first on 128 px patches, then 6000 steps on 192 px patches at lr 2e-4.
C7=bicubic+compressed+compressed+compressed+compressed+compressed+compressed+compressed
luma_stage builtin-x4-product-c78 builtin-x4-product-p192 $C7 2000 8 "$@"
luma_stage builtin-x4-product-c78-p192 builtin-x4-product-c78 $C7 6000 11 --patch 192 --lr 2e-4 "$@"
# Stages 12-13: T91 (natural images, like BSD100) drawn more often, listed 4 then 8 times, as the x4's last stages.
luma_stage builtin-x4-product-t91x4 builtin-x4-product-c78-p192 $C7 3000 12 --patch 192 \
  --data $S/T91 $S/T91 $S/T91 $S/T91 $S/grocery_iconic $S/grocery_store_photos "$@"
luma_stage builtin-x4-product-t91x8 builtin-x4-product-t91x4 $C7 6000 13 --patch 192 --lr 2e-4 \
  --data $S/T91 $S/T91 $S/T91 $S/T91 $S/T91 $S/T91 $S/T91 $S/T91 $S/grocery_iconic $S/grocery_store_photos "$@"
# Stage 14: the x4's stage-8 data, sun_hays80 (80 natural photos of 1024x800) and T91 each listed 4 times beside the
# photos. The shipped run started from stage 13's float16 copy (srdemo/weights/x4-product.safetensors before this
# stage): the same up to rounding.
luma_stage builtin-x4-product-sun builtin-x4-product-t91x8 $C7 6000 14 --patch 192 \
  --data $S/T91 $S/T91 $S/T91 $S/T91 $S/sun_hays80 $S/sun_hays80 $S/sun_hays80 $S/sun_hays80 $S/grocery_iconic \
  $S/grocery_store_photos "$@"
