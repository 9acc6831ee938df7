#!/usr/bin/env bash
# Reproduces srdemo's built-in x4-product: the NTIRE 2024 SPAN with 28 channels (MIT; the base training/builtin_x4_span28.sh
# imports, and this script too when it is missing), widened to 32, then 48 channels, and fine-tuned in seven stages (1-6
# and 8; 7 is an experiment) with the degradations srdemo's earlier x4-product trained on (training/builtin_x4_product.sh
# stages 10-14: a catalogue export, bicubic then JPEG 50-95, or clean bicubic; most samples compressed at first, five in
# eight clean in the last stage), its luma-weighted MSE and its stage-14 data. The shipped weights are stage 8's. Run
# from the repo root; each stage resumes.
set -euo pipefail
[ -f runs/span-ch28/x4.safetensors ] || .venv/bin/python training/import_reference.py x4 --dtype float32 --out runs/span-ch28
S=../shared/data/train
# One stage: its run folder, then what sets it apart; every stage shares the data, the held-out list, the loss and the
# patch. A finished stage is skipped; an unfinished one resumes from its checkpoint.
stage() {
  local out=runs/$1; shift
  [ -f $out/model.safetensors ] || .venv/bin/python -m srdemo train \
    --data $S/T91 $S/T91 $S/T91 $S/T91 $S/sun_hays80 $S/sun_hays80 $S/sun_hays80 $S/sun_hays80 $S/grocery_iconic $S/grocery_store_photos \
    --val-list data/holdout_grocery_store_photos.txt --loss luma-mse --scale 4 --batch 8 --patch 192 --ema 0.999 \
    --checkpoint-every 50 --out $out "$@"
}
C7=bicubic+compressed+compressed+compressed+compressed+compressed+compressed+compressed
# Stage 1: the base has never seen JPEG: lr 1e-4 (twice the x4's), bfloat16 as the shipped x4-product trained (its gains
# on compressed inputs are tenths of a dB, far above bfloat16's rounding).
stage builtin-x4-product-span28 --init runs/span-ch28/x4.safetensors --degrade $C7 \
  --steps 4000 --lr 1e-4 --val-every 250 --seed 43 --precision bf16 "$@"
# Stage 2: stage 1 scored 30.61 dB clean and 28.90 JPEG-75 on the 40 held-out photos (training/heldout.py), under the
# shipped x4-product on both (31.15 / 28.96) and 1.0 dB under the new x4 on clean photos. Half the samples clean again,
# float32, a lower learning rate, from stage 1's weights: the aim is the clean figure back within 0.15 dB of x4 while
# keeping the JPEG gain. Kept only if the held-out photos say so.
C4=bicubic+bicubic+bicubic+bicubic+compressed+compressed+compressed+compressed
stage builtin-x4-product-span28b --init runs/builtin-x4-product-span28/model.safetensors --degrade $C4 \
  --steps 2000 --lr 5e-5 --val-every 250 --seed 45 --precision fp32 "$@"
# Stage 3: stage 2 scored 31.155 clean / 28.760 JPEG-75 on the held-out photos: the clean figure came back, the JPEG one
# fell. The 28-channel network seems to trade one for the other, so this stage gives it room: widened to 32 channels
# (the new channels start silent, so it starts where stage 2 ended), three in eight samples clean, lr 1e-4, 6000 steps.
C5=bicubic+bicubic+bicubic+compressed+compressed+compressed+compressed+compressed
stage builtin-x4-product-span28c --init runs/builtin-x4-product-span28b/model.safetensors --channels 32 --degrade $C5 \
  --steps 6000 --lr 1e-4 --val-every 500 --seed 46 --precision fp32 "$@"
# Stage 4: stage 3 scored 31.315 clean / 28.884 JPEG-75 on the held-out photos: clean now 0.16 dB above the shipped
# x4-product, JPEG 0.08 dB under it. From stage 3's weights (or their float16 copy in training/checkpoints), six in eight
# samples compressed again at a lower learning rate, to win the JPEG figure back while the clean one holds.
C6=bicubic+bicubic+compressed+compressed+compressed+compressed+compressed+compressed
INIT4=runs/builtin-x4-product-span28c/model.safetensors
[ -f $INIT4 ] || INIT4=training/checkpoints/builtin-x4-product-span28c-weights-fp16.safetensors
stage builtin-x4-product-span28d --init $INIT4 --degrade $C6 \
  --steps 3000 --lr 3e-5 --val-every 500 --seed 47 --precision fp32 "$@"
# Stage 5: stage 4 scored 31.266 clean / 28.914 JPEG-75 on the held-out photos: JPEG up 0.03 dB on stage 3, still
# 0.05 under the shipped x4-product. From stage 4, seven in eight samples compressed (the shipped recipe's mix), lr 5e-5.
stage builtin-x4-product-span28e --init runs/builtin-x4-product-span28d/model.safetensors --degrade $C7 \
  --steps 3000 --lr 5e-5 --val-every 500 --seed 48 --precision fp32 "$@"
# Stage 6: stages 3-5 at 32 channels moved along one line (clean 31.315 / 31.266 / 31.172, JPEG-75 28.884 / 28.914 /
# 28.948 on the held-out photos): trading one figure for the other around the shipped x4-product's point, never closer
# to x4's clean 31.642. The next lever is room: from stage 5, widened to 48 channels, three in eight samples clean.
INIT6=runs/builtin-x4-product-span28e/model.safetensors
[ -f $INIT6 ] || INIT6=training/checkpoints/builtin-x4-product-span28e-weights-fp16.safetensors
stage builtin-x4-product-span28f --init $INIT6 --channels 48 --degrade $C5 \
  --steps 4000 --lr 1e-4 --val-every 500 --seed 49 --precision fp32 "$@"
# Stage 7, an experiment (not shipped; run with STAGE7=1): stage 6 (shipped before stage 8) scored 31.382 clean /
# 28.926 JPEG-75 on the held-out photos, 0.26 dB under x4 on clean where issue 42 asks for 0.15, at 0.66 times the
# earlier x4-product's speed. Widening 32 -> 48 channels raised both figures; this measures what 64 buy, for the speed
# they cost. From stage 6, or its float16 copy: the x4-product that commit bad39d8 shipped, taken from git history.
INIT7=runs/builtin-x4-product-span28f/model.safetensors
if [ ! -f $INIT7 ]; then
  INIT7=runs/builtin-x4-product-span28f-weights-fp16.safetensors
  [ -f $INIT7 ] || { mkdir -p runs && git show bad39d8:srdemo/weights/x4-product.safetensors > $INIT7; }
fi
[ -z "${STAGE7:-}" ] || stage builtin-x4-product-span28g --init $INIT7 --channels 64 --degrade $C5 \
  --steps 4000 --lr 1e-4 --val-every 500 --seed 50 --precision fp32 "$@"
# Stage 8, shipped: stages 3-5 showed that at a fixed width the mix moves the model along one line, about 0.45 dB of
# JPEG-75 for each dB of clean. Stage 6 leads x4 by 1.124 dB on JPEG-75 (held-out photos), where the target, 1.1
# on Set5 (stage 6 leads by 1.24 there), is about 1.0; it is 0.26 dB under x4 on clean, where the issue asks for 0.15.
# So spend some of the lead: from stage 6, 48 channels kept (no speed cost), five in eight samples clean (C3), in
# bfloat16, which a CPU with native bf16 runs at twice float32's speed (stage 13 of builtin_x4_product.sh scored the
# same in both). A second candidate, half the samples clean (C4), runs with STAGE8_HALF=1. The rule that chose between
# them, written before either had a figure, and their figures are in training/README.md.
C3=bicubic+bicubic+bicubic+bicubic+bicubic+compressed+compressed+compressed
[ -z "${STAGE8_HALF:-}" ] || stage builtin-x4-product-span28h --init $INIT7 --degrade $C4 \
  --steps 5000 --lr 1e-4 --val-every 500 --seed 51 --precision bf16 "$@"
stage builtin-x4-product-span28i --init $INIT7 --degrade $C3 \
  --steps 5000 --lr 1e-4 --val-every 500 --seed 52 --precision bf16 "$@"
