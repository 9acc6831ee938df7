"""Every sentence srdemo says to a person, looked up by key with named parameters: ``text(key, **params)``.

Computation modules return facts and turn them into words only here. Each language is a table with the same keys
(``MESSAGES``); a key missing there falls back to English. The adapter picks the language once per request and wraps
its work in ``with language(lang):``, so every ``text()`` below it speaks that language without a parameter passed
through every layer. The command line speaks English; ``srdemo batch --lang zh-CN`` writes a batch's report in Chinese.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import string
from collections.abc import Callable, Iterator
from typing import TypeVar

DEFAULT_LANGUAGE = "en"
LANGUAGES = {"en": "English", "zh": "简体中文"}
"""The languages the app speaks: code -> the language's own name (what the switch shows)."""
_current: contextvars.ContextVar[str] = contextvars.ContextVar("srdemo_language", default=DEFAULT_LANGUAGE)
T = TypeVar("T")

EN: dict[str, str] = {
    # ---- the figures of one upscale
    "figure_model": "Model: {model_id} ({model})",
    "outcome_saved": "Saved as {name} ({width}x{height}, {size_mb:.1f} MB).",
    "figure_device": "Ran on: {device}",
    "figure_time": "Time: {seconds:.2f} s",
    "figure_size": "Size: {in_w}x{in_h} -> {out_w}x{out_h} (x{scale:g})",
    "figure_scores_reference": "Against your sharp original: model {model}, plain enlargement {bicubic}, difference {gain}",
    "figure_scores_self_check": "Sharpness check (your photo shrunk, then rebuilt): model {model}, plain enlargement {bicubic}, difference {gain}",
    "figure_colour": "Colour change from your photo: {delta_e:.2f} (under 2 is hard to see)",
    "scores": "{psnr:.2f} dB / SSIM {ssim:.4f}",
    "scores_exact": "exact, pixel for pixel / SSIM {ssim:.4f}",
    "gain_db": "{gain:+.2f} dB",
    "gain_none": "none to measure (one side is exact)",
    "gain_reference": (
        "Against your sharp original, the model's result is {amount:.2f} dB {direction} it than a plain enlargement "
        "({model_db:.2f} vs {bicubic_db:.2f} dB; higher means more faithful)."
    ),
    "gain_self_check": (
        "Sharpness check: your photo was shrunk x{scale:g} and rebuilt. The model came {amount:.2f} dB {direction} "
        "the original than a plain enlargement ({model_db:.2f} vs {bicubic_db:.2f} dB). This check sees sharpness only; "
        "it cannot see JPEG blocks, blur or noise in your photo."
    ),
    "closer_to": "closer to",
    "further_from": "further from",
    "device_gpu": "GPU ({name})",
    "device_mps": "Apple GPU (MPS)",
    "device_cpu": "CPU ({threads} threads)",
    # ---- advice: a better model for this photo
    "hint_compressed": (
        "This photo was saved as JPEG at quality ~{quality}: try '{label}' ({model_id}), trained on compressed "
        "photos to remove their blocks instead of enlarging them."
    ),
    "hint_native_scale": (
        "'{label}' ({model_id}) is made for x{scale:g}: try it at this scale (faster than an x{native} model shrunk to fit)."
    ),
    # ---- Automatic: which built-in model suits this photo, and why (srdemo/auto.py)
    "auto_chose": "Chosen for you: {what}, because {why}.",
    "auto_what_compressed": "the model for compressed photos",
    "auto_what_sharp": "the sharp model for x{scale}",
    "auto_what_best": "the finest-detail model for x{scale}",
    "auto_why_clean": "this photo has no JPEG compression",
    "auto_why_cutout": "this is a cut-out with no JPEG compression",
    "auto_why_jpeg_low": "this is a JPEG saved at low quality",
    "auto_why_jpeg_medium": "this is a JPEG saved at medium quality",
    "auto_why_jpeg_high": "this is a JPEG, even if saved at high quality",
    "auto_why_blocks": "this photo shows JPEG blocks",
    "auto_why_gpu": "{why}, and the GPU here runs it quickly",
    "err_auto_no_model": "Automatic found none of its built-in models here. Pick a model from the list.",
    # ---- advice the moment a photo is read, and the verdict after a run
    "upload_compressed": (
        "Saved as a compressed JPEG (quality ~{quality}): '{label}' removes the blocks instead of enlarging them."
    ),
    "upload_transparent": "Transparent background: kept as it is, or put the product on a white square for a marketplace.",
    "upload_not_white": "The background looks white but is not pure white; marketplaces may show it as light grey.",
    "upload_large": "Already {width}x{height}: most marketplaces need at most {side} px, so a small scale is enough.",
    "upload_tiny": "Only {width}x{height}: a thumbnail. The result will be soft; ask the supplier for a larger original.",
    "verdict_much_sharper": "Much sharper than a plain enlargement.",
    "verdict_sharper": "Sharper than a plain enlargement.",
    "verdict_same": "About the same as a plain enlargement: this photo was already sharp.",
    "verdict_worse": "Worse than a plain enlargement: try another model.",
    "verdict_unchecked": "Finished. No quality check was run.",
    # ---- warnings about one output (batch report, figures)
    "warn_heavy_jpeg": "heavy JPEG blocks (saved at quality ~{quality}): try the model for compressed photos ({model_id})",
    "warn_heavy_jpeg_left": "heavy JPEG blocks (saved at quality ~{quality}): if they still show, ask the supplier for a better original",
    "warn_large_enough": "already large enough: only resized to fit, not enlarged",
    "warn_transparent_kept": "transparent background kept: choose JPEG to put it on white",
    "warn_off_white": "background light grey, not pure white: whiten it, or use a cut-out (transparent PNG)",
    "warn_not_on_white": (
        "not on white (a shelf or scene shows, or the product is cut off at the edge): use a cut-out "
        "(transparent PNG), or another preset for extra images"
    ),
    "warn_fill": "product fills {fill:.0%} of the frame; {preset} asks for {min_fill:.0%}: crop closer to the product",
    "warn_colour_shift": "colours changed visibly (by {delta_e:.1f}; under 2 is hard to see): check it, or try another model",
    # ---- time
    "estimate": "Takes about {low:.1f} to {high:.1f} s on this {device}.",
    "estimate_under_a_second": "Takes under a second on this {device}.",
    "estimate_unmeasured": "Speed on this {device} not measured yet; it is measured before the first run.",
    "estimate_instant": "Instant (classic resampling).",
    "estimate_hub": "Hub model: speed is measured on first use.",
    "estimate_needs_download": "This model needs downloading first (the machine must be online).",
    "waiting_for_device": "Waiting for a free turn: another photo is being worked on",
    "loading_model": "Loading model",
    "progress_starting": "starting",
    "ui_upscale_progress": "{percent}% — {words}",
    # ---- A/B
    "ab_use": "Use {side} for this photo: {why}.",
    "ab_either": "Either will do for this photo: both come out about the same {where}, in about the same time.",
    "ab_why_better": "it comes out {amount:.1f} dB better {where}",
    "ab_why_same": "both come out about the same {where}",
    "ab_why_compressed": (
        "it is made for compressed photos like this one and removes their JPEG blocks, which the quality check cannot see"
    ),
    "ab_speed_same": ", in about the same time",
    "ab_speed_faster": ", and {side} is {ratio:.1f}x faster ({fast:.1f} s vs {slow:.1f} s)",
    "ab_speed_slower": ", though {side} takes {ratio:.1f}x as long ({slow:.1f} s vs {fast:.1f} s)",
    "ab_where_reference": "against your sharp original",
    "ab_where_self_check": "on the sharpness check",
    "ab_unchecked": "No quality check was run, so compare them by eye: A took {a_seconds:.1f} s, B {b_seconds:.1f} s.",
    # ---- errors a request can meet
    "err_scale": "Please choose a scale between 1 and 16.",
    "err_output_too_big": (
        "The result would be {width}x{height} ({megapixels:.0f} MP); the limit is {limit:.0f} MP. Choose a smaller scale."
    ),
    "err_reference_size": (
        "The reference image is {ref_w}x{ref_h} but the result is {out_w}x{out_h}. Give the sharp original at the output size."
    ),
    "err_self_check_small": "The image is too small for a self-check at this scale.",
    "err_format": "Unknown output format '{fmt}'. Choose one of: {choices}.",
    "err_quality": "The quality must be a whole number from 1 to 100.",
    "err_no_image": "Please upload an image first.",
    "err_out_of_memory": "The device ran out of memory even with small tiles. Try a smaller image or scale, or a lighter model.",
    "err_span_narrower": "The base model is {width} channels wide; it can be widened, not narrowed to {channels}.",
    "too_slow_on_cpu": (
        "This would take {low_minutes:.1f} to {high_minutes:.1f} min on this CPU, more than the {cap_minutes:.1f} min "
        "allowed. Choose a smaller scale, a faster model, or run it on a GPU."
    ),
    "err_job_memory": (
        "This would need about {need_gb:.1f} GB of memory, and this server gives one job at most {limit_gb:.1f} GB. "
        "Choose a smaller scale or a smaller photo."
    ),
    "cancelled": "Cancelled. Nothing was saved.",
    # ---- models
    "err_choose_model": "Please choose a model.",
    "err_unknown_model": "Unknown model '{ref}'. Choose one of: {known}; or a weights file path; or 'owner/repo:file'.",
    "err_unknown_model_app": "Unknown model '{ref}'. Pick one from the list, or use the Hub fields.",
    "err_ref_too_long": (
        "'{start}...' is {length:,} characters long; srdemo reads model names, Hub repo ids, file names and "
        "revisions of at most {limit:,} characters."
    ),
    "err_not_your_run": "That trained model is not yours or no longer exists.",
    "err_weights_missing": "The weights file for '{model_id}' is missing.",
    # ---- images
    "err_file_unreadable": "Could not read '{name}': {reason}.",
    "err_file_empty": "'{name}' is empty (0 bytes). Please upload the image again.",
    "err_file_too_big": "'{name}' is {size_mb:.1f} MB; the largest file accepted is {limit_mb:.0f} MB.",
    "err_too_many_pixels": (
        "'{name}' is {width}x{height} pixels ({megapixels:.1f} MP); the largest input accepted is {limit_mp:.0f} MP. "
        "It is probably large enough already; otherwise crop or shrink it first."
    ),
    "note_animated": "'{name}' is animated ({frames} frames); only the first frame was used.",
    "err_decompression_bomb": "'{name}' declares an enormous size and was refused (it looks like a decompression bomb).",
    "err_image_damaged": "'{name}' is damaged or incomplete: it starts like an image but cannot be read.",
    "err_not_an_image": "'{name}' is not an image srdemo can read. Use PNG, JPEG, WebP, AVIF, HEIC, TIFF, BMP or GIF.",
    "err_image_unreadable": "'{name}' is damaged or incomplete and could not be read ({detail}).",
    "note_16bit_colour_png": "16-bit colour PNGs are read as 8-bit colour (only 16-bit greyscale keeps its depth).",
    "err_int32_pixels": "'{name}' holds 32-bit integer pixels, which srdemo does not support.",
    "err_float_pixels": "'{name}' holds floating-point pixels, which srdemo does not support.",
    "note_cmyk_converted": "'{name}' was CMYK; converted to sRGB with its colour profile.",
    "note_cmyk_approximate": "'{name}' was CMYK without a usable colour profile; colours were converted approximately.",
    "err_format_too_big": (
        "{format} cannot be larger than {max_side} px on a side and this result is {width}x{height}. "
        "Choose another format, or a smaller scale."
    ),
    # ---- datasets
    "datasets_images_read": "{count} images read",
    "datasets_skipped": "{count} skipped:",
    "datasets_skipped_item": "  {name}: {reason}",
    "err_zip_unreadable": "'{name}' is not a readable zip file.",
    "err_zip_too_many_files": "'{name}' holds {count} files; the limit is {limit}.",
    "datasets_and_more": "  ... and {count} more",
    "skip_zip_encrypted": "refused: the entry is encrypted (password-protected zips are not read)",
    "skip_zip_entry_too_big": "refused: {size_mb:.0f} MB unpacked, more than the {limit_mb:.0f} MB allowed per file",
    "skip_zip_bomb": "refused: it would expand {ratio}x (a zip bomb?)",
    "skip_zip_lies": "refused: the entry is larger than the zip says (a zip bomb?)",
    "skip_upload_budget": "refused: the upload would unpack to more than {limit_mb:.0f} MB in all",
    "skip_zip_damaged": "the zip entry is damaged or uses a method srdemo cannot read (bad checksum, unsupported compression)",
    "err_checkpoint_damaged": (
        "The checkpoint '{name}' in '{folder}' is damaged and cannot be resumed. Delete it to start the run over."
    ),
    "err_token_malformed": (
        "That access token cannot be right: Hugging Face tokens are one word of plain letters and digits "
        "(they start with 'hf_'). Copy it again from huggingface.co/settings/tokens."
    ),
    "err_unexpected_page": "Something went wrong on our side; the details are in the server log. Please try again.",
    "err_train_bound": "The training setting '{name}' must be between {lo:g} and {hi:g} (it was {value}).",
    "err_train_memory": (
        "These settings would need about {need_gb:.1f} GB of memory per training step and this machine has "
        "{free_gb:.1f} GB free. Choose a smaller batch or patch size."
    ),
    "err_app_busy": "The app is busy: too many batches are waiting already. Please try again in a few minutes.",
    "err_owner_disk": (
        "This upload ({incoming_mb:.0f} MB) would take your space here past its {limit_mb:.0f} MB "
        "(you use {used_mb:.0f} MB). Download and remove older results, or wait until uploads expire."
    ),
    "err_owner_disk_result": (
        "This result (up to {incoming_mb:.0f} MB) would take your space here past its {limit_mb:.0f} MB "
        "(you use {used_mb:.0f} MB). Download and remove older results, or wait until they expire."
    ),
    "note_exif_dropped": "EXIF left out: {size_kb:.0f} KB is more than a JPEG can hold (64 KB)",
    "note_xmp_dropped": "XMP metadata left out: more than a JPEG can hold (64 KB)",
    "note_renamed_duplicate": "renamed: another file was also called '{name}'",
    "note_output_renamed": "saved as '{name}': another result had the same name",
    "batch_unexpected_file": "Unexpected error on this file; the details are in the server log. The batch went on.",
    "batch_unexpected_stop": "The batch stopped early on an unexpected error (details in the server log); what was done is kept.",
    "skip_outside_archive": "refused: path points outside the archive",
    "skip_not_image": "not an image file",
    "skip_not_found": "not found",
    "skip_too_small": "too small ({width}x{height}; needs at least {min_side} px on each side)",
    # ---- hub
    "err_repo_id": "'{repo_id}' is not a Hugging Face repo id. It should look like 'owner/model-name'.",
    "err_hub_ref": (
        "'{ref}' is not a Hub model reference. Write it as 'owner/repo:file.safetensors' (optionally '@revision' at the end)."
    ),
    "err_hub_filename": "Please give the weights file name inside the repo, e.g. 'model.safetensors'.",
    "err_hub_offline": (
        "The model '{ref}' is not downloaded yet and this app cannot reach the Hugging Face Hub. "
        "Pick another model, or ask whoever runs this app to download it."
    ),
    "err_hub_gated": "{repo_id} is gated: accept its terms on huggingface.co and give a token with read access.",
    "err_hub_repo_not_found": (
        "No model repo '{repo_id}' was found on the Hub. Check the spelling; if it is private, give a token that can read it."
    ),
    "err_hub_revision": "{repo_id} has no revision '{revision}'.",
    "err_hub_bad_revision": (
        "'{revision}' is not a revision. Give a branch or tag name such as 'main' or 'v1.0' (at most {limit} "
        "characters, without spaces, '..' or characters like ~^:?*), or a 40-character commit id."
    ),
    "err_hub_file_not_found": "{repo_id} has no file '{filename}'. Check the file name on the repo page.",
    "err_hub_download": "Could not download '{ref}': {error}. Try again later.",
    "err_publish_no_token": "Publishing needs a Hugging Face access token with write access (or sign in on the Space).",
    "err_publish_bad_token": "The Hub did not accept this token. Check it, or create a new one with write access.",
    "err_publish_forbidden": "This token cannot write to '{repo_id}' (it may be read-only). Use a token with write access.",
    "err_publish_failed": "Publishing to '{repo_id}' failed (HTTP {status}). Your model is safe; try again.",
    "err_publish_unreachable": "Could not reach the Hub ({error}). Your model is safe; try again later.",
    # ---- weights
    "err_weights_unreadable": "Could not read the weights file '{name}': {reason}.",
    "err_weights_damaged_safetensors": "'{name}' looks like safetensors but is damaged ({detail}).",
    "err_weights_too_big": "'{name}' is {size_mb:,.0f} MB; srdemo reads weights files of at most {limit_mb:,.0f} MB.",
    "err_weights_header_too_big": (
        "'{name}' takes {size_mb:,.1f} MB just to list its tensors; srdemo reads at most {limit_mb:,.0f} MB of that "
        "(a large upscaler needs well under 1 MB), so it was not opened."
    ),
    "err_weights_too_many_tensors": (
        "'{name}' holds more than {limit:,} tensors; an image upscaler has a few thousand at most, so it was not opened."
    ),
    "err_weights_header_damaged": "'{name}' looks like safetensors but its header is damaged.",
    "err_weights_tensor_size": (
        "'{name}' is damaged: its header gives tensor '{tensor}' ({dtype}, shape {shape}) {got:,} bytes, "
        "which is not the size of that shape."
    ),
    "err_weights_tensor_outside": (
        "'{name}' is damaged: tensor '{tensor}' ends at byte {end:,} of its data, but the file holds only {size:,} bytes of data."
    ),
    "err_weights_tensors_overlap": "'{name}' is damaged: tensors '{first}' and '{second}' share bytes.",
    "err_weights_torchscript": (
        "'{name}' is a TorchScript program, not plain weights. srdemo does not run code from model "
        "files; ask for a .safetensors or .pth state dict instead."
    ),
    "err_weights_refused": (
        "'{name}' was refused: it is not plain weights (it may contain code, which srdemo never runs) "
        "or it is damaged. Use a .safetensors file."
    ),
    "err_weights_not_state_dict": "'{name}' does not hold a state dict of tensors.",
    "err_weights_unknown_arch": "'{name}' is not an architecture spandrel recognises, so srdemo cannot run it.",
    "err_weights_load_failed": "'{name}' could not be loaded as a model ({error_type}: {detail}).",
    "err_weights_not_upscaler": "'{name}' is not an image upscaling model.",
    # ---- jobs
    "err_no_identity": "Your session has no identity yet; reload the page.",
    "err_batch_running": "You already have a batch running. Wait for it or cancel it first.",
    "err_batch_uploads_gone": (
        "This batch cannot be resumed: its uploads have been deleted since. Download what it finished, "
        "and upload the rest again in a new batch."
    ),
    "err_training_running": "You already have a training running. Wait for it or cancel it first.",
    "err_unexpected": "Unexpected error ({error_type}); the details are in the server log.",
    # ---- runs
    "err_train_no_photos": "Upload your product photos (several files or one zip), or use the example set.",
    "err_train_too_few_images": (
        "{count} usable image(s); at least {min_images} are needed, each at least {patch} px on both sides "
        "(a few hundred is better).{detail}"
    ),
    "err_training_running_other": "Someone else's training is running on this app (one at a time). Please try again later.",
    "training_progress": "step {step}/{steps}",
    "training_progress_left": "step {step}/{steps}, {time_left}",
    "time_left": "about {duration} left",
    "run_name_default": "my-products-x{scale}",
    "run_name_examples": "example-products-x{scale}",
    "err_no_run_to_resume": "There is no run to resume.",
    "err_no_trained_model": "There is no trained model there yet: train one first (or let the current run finish or stop).",
    # ---- presets
    "preset_custom_label": "Custom",
    "err_custom_size": "A custom size needs a longest side or an exact width and height.",
    "err_unknown_preset": "Unknown preset '{preset_id}'. Choose one of: {choices}.",
    # ---- batch
    "err_size": "'{size}' is not a size. Write a longest side (1600) or width x height (1200x900).",
    "batch_cancelled_before": "the batch was cancelled before this file",
    "batch_cancelled_during": "the batch was cancelled during this file",
    "batch_col_file": "File",
    "batch_col_result": "Result",
    "batch_col_problem": "Problem, and what to do",
    "batch_col_input_size": "Size before",
    "batch_col_output_size": "Size after",
    "batch_col_model": "Model",
    "batch_col_model_reason": "Why this model",
    "batch_col_seconds": "Time (s)",
    "batch_col_gain": "Sharper than a plain enlargement by (dB)",
    "batch_col_colour": "Colour change (under 2 is hard to see)",
    "batch_result_done": "done",
    "batch_result_failed": "failed",
    "batch_result_skipped": "skipped",
    "batch_result_cancelled": "not done (cancelled)",
    "batch_counts": "{done} of {total} done ({failed} failed, {warned} with warnings)",
    "batch_counts_skipped": "{done} of {total} done ({failed} failed, {skipped} skipped, {warned} with warnings)",
    "batch_line_counting": "Starting: counting the files...",
    "batch_line_started": "Running: {counts} · {elapsed} so far",
    "batch_line_running": "Running: {counts} · {elapsed} so far · {left}",
    "batch_line_finished": "Finished: {counts} · took {elapsed}. Download the zip below.",
    "batch_line_cancelled": "Cancelled: {counts} · took {elapsed}. What was done is in the zip below.",
    "batch_line_earlier": "Finished earlier: {counts}. Download the zip below.",
    "batch_line_interrupted": "Interrupted after {done} of {total} (the app stopped): download those below, or resume the rest.",
    "batch_line_interrupted_expired": (
        "Interrupted after {done} of {total} (the app stopped): download those below. Its uploads have been "
        "deleted since, so the rest cannot be resumed; upload them again in a new batch."
    ),
    # ---- what a batch passes on: report.html in its zip, and the comparison picture (srdemo/report.py)
    "report_title": "Batch results",
    "report_intro": (
        "Each photo before and after, what the app thinks of the result, and what to do where something needs it. "
        "The finished files are in the same zip as this page, in the folders they were delivered in."
    ),
    "report_attention": "To look at first ({count})",
    "report_attention_separator": ": ",
    "report_partial": (
        "This batch stopped before the end (the app was restarted): this page and its zip hold the {done} files it "
        "had finished, of {total}."
    ),
    "report_before": "Before",
    "report_after": "After ({model})",
    "report_slider": "Drag to compare before and after",
    "report_model": "Model: {model}",
    "labelled": "{label}: {words}",
    "report_no_reason": "no reason was recorded",
    "report_full_stop": ".",
    "report_footer": (
        "Made by srdemo. The figures of each file (time, sharpness check, colour change) are in report.csv, beside this page."
    ),
    "duration_seconds": "{seconds} s",
    "duration_minutes": "{minutes} min {seconds} s",
    "duration_minutes_only": "{minutes} min",
    "duration_hours": "{hours} h {minutes} min",
    # ---- evaluation and degradations
    "err_eval_no_images": "No images found in {folder}.",
    "err_eval_no_lr": "No LR image {lr_path} for {name}.",
    "err_unknown_degradation": "Unknown degradation '{name}'. Choose one of {choices}, or join several with '+'.",
    # ---- models: what srdemo says about models it did not describe itself, and Automatic (every other model is named by
    # its own label: models.py, weights/*.json)
    "model_builtin_source": "srdemo's own weights (see its model card)",
    "model_file_label": "{file} (local file)",
    "model_file_good_for": "Your own weights file.",
    "model_file_licence": "as the file's author states",
    "model_hub_label": "{ref} (Hub)",
    "model_hub_good_for": "A model you chose on the Hub.",
    "model_hub_licence": "as its model card states",
    "model_run_label": "Your model {run} (trained here)",
    "model_run_good_for": "Your own photos.",
    "model_run_licence": "yours",
    "model_run_source": "trained in this app",
    "model_label_auto": "Automatic (recommended): the best built-in model for each photo",
    # ---- training
    "err_precision": "Precision must be 'auto', 'bf16' or 'fp32'.",
    "err_loss": "The loss must be one of: {choices}.",
    "err_patch_multiple": "The patch size ({patch}) must be a multiple of the scale ({scale}).",
    "err_checkpoint_other_run": "{folder} holds a different run; choose a new output folder or the same settings.",
    "err_init_resampler": "'{init}' is a classic resampler; choose a neural model to fine-tune.",
    "err_init_fixed_architecture": (
        "'{init}' is a x{scale} {architecture} model; only SPAN models can change scale or width when fine-tuned "
        "(keep --scale {scale}, leave out --channels)."
    ),
    "err_scratch_architecture": "From scratch srdemo trains 'span'; to train '{arch}', give --init weights.",
    "err_batch_world": "The batch ({batch}) must divide evenly across {world} processes.",
    "warn_bf16_emulated": (
        "This CPU has no native bfloat16 (AVX512-BF16 or AMX), so bf16 training is emulated and runs about "
        "ten times slower than float32 here: use --precision fp32."
    ),
    "err_no_training_images": "No usable training images were found.{detail}",
    "err_too_few_training_images": (
        "Only {train} training image(s) left after holding out {val} for validation; "
        "at least {need} are needed (a few hundred is better)."
    ),
    # ---- ui: the page
    "ui_page_title": "srdemo - sharper product photos",
    "ui_page_intro": (
        "## srdemo - sharper product photos\n"
        "Drop in a small or soft product shot, choose how much bigger and which model, and compare."
    ),
    "ui_page_limits": (
        "Limits: {input_mp:.0f} MP in, {output_mp:.0f} MP out, {file_mb:.0f} MB per file. "
        "How the quality figures are worked out: *Details* under a result."
    ),
    # ---- ui: what the tabs share
    "ui_common_needs_download": "{label} [needs download]",
    "ui_common_model": "Model",
    "ui_common_scale": "Scale",
    "ui_common_quality": "{formats} quality",
    "ui_common_status": "Status",
    "ui_common_failed": "Failed: {error}",
    "ui_common_share": "Comparison picture to share",
    "ui_common_sign_in": "Or sign in with Hugging Face (uses your own access)",
    # ---- ui: the Upscale tab
    "ui_upscale_tab": "Upscale",
    "ui_upscale_file_info": "{name}: {width}x{height}, {mode}",
    "ui_upscale_cancelling": "Cancelling: stopping after the part being worked on...",
    "ui_upscale_photo": "Product photo (PNG, JPEG, WebP, HEIC, TIFF...)",
    "ui_upscale_use_compressed": "Use the model for compressed photos",
    "ui_upscale_pad_white": "Put it on a white square",
    "ui_upscale_white_square": "White square background",
    "ui_upscale_white_square_info": "Transparent parts become pure white and the picture is centred on a square, as marketplaces ask.",
    "ui_upscale_more": "More options (file type, your own original, Hub models)",
    "ui_upscale_details": "Details: the figures and what they mean",
    "ui_upscale_glossary": (
        "- **Plain enlargement** (bicubic): the photo simply stretched, what any editor does; the figures compare the "
        "model with it.\n"
        "- **Sharpness check**: your photo is shrunk, rebuilt by the model and by a plain enlargement, and both are "
        "compared with your photo.\n"
        "- **dB** (PSNR): how close a rebuilt photo is to the original; higher is closer, +1 dB is a visible step.\n"
        "- **SSIM**: how alike the shapes and edges are, from 0 to 1; higher is better.\n"
        "- **Colour change** (CIEDE2000): how far colours moved; under 2 is hard to see."
    ),
    "ui_upscale_download_below": "Download it below.",
    "ui_upscale_cancelled": "Cancelled after {seconds:.0f} s. Nothing was saved; the earlier result, if any, is unchanged.",
    "ui_common_not_done": "Not done: {reason}",
    "ui_popup_title": "Not done",
    "ui_upscale_nothing_to_cancel": "Nothing is running.",
    "ui_gradio_complete": "Done",
    "ui_upscale_scale": "How much bigger (x)",
    "ui_upscale_hub": "Use a model from the Hugging Face Hub",
    "ui_upscale_repo": "Repo id (owner/name)",
    "ui_upscale_repo_placeholder": "e.g. ai-forever/Real-ESRGAN",
    "ui_upscale_filename": "Weights file in the repo",
    "ui_upscale_filename_placeholder": "e.g. RealESRGAN_x4.pth",
    "ui_upscale_revision": "Revision (optional)",
    "ui_upscale_revision_placeholder": "main",
    "ui_upscale_token": "Access token, only for private repos (used for this download only, never stored)",
    "ui_upscale_reference": "Optional: the sharp original, at the output size, to score against",
    "ui_upscale_format": "Download format",
    "ui_upscale_run": "Upscale",
    "ui_upscale_cancel": "Cancel",
    "ui_upscale_slider": "Before (plain enlargement, left) / after (model, right)",
    "ui_upscale_download": "Download the full-size result",
    "ui_upscale_figures": "The figures",
    "ui_upscale_examples": "Examples (click one)",
    # ---- ui: the Batch tab
    "ui_batch_tab": "Batch",
    "ui_batch_upload_first": "Please upload images or a zip first.",
    "ui_batch_none": "No batch yet.",
    "ui_batch_queued": "Waiting in line: {ahead} batch(es) ahead of yours; it starts by itself.",
    "ui_batch_cancelled_waiting": "Cancelled before it started.",
    "ui_batch_cancelling": "Cancelling after the current file...",
    "ui_batch_not_running": "No batch is running.",
    "ui_batch_nothing_to_resume": "There is no interrupted batch to resume.",
    "ui_batch_intro": (
        "Upscale a whole delivery: several images or one zip (sub-folders are kept). "
        "The result is a zip with the same folders and a `report.csv`. It keeps running if you close or reload the page."
    ),
    "ui_batch_files": "Images or a zip",
    "ui_batch_no_preset": "No preset: just the scale below",
    "ui_batch_custom": "Custom size",
    "ui_batch_preset": "Marketplace preset",
    "ui_batch_custom_size": "Custom size: longest side (1600) or WxH (1200x900)",
    "ui_batch_square": "Pad to a square on white",
    "ui_batch_scale": "How much bigger (x, when no preset)",
    "ui_batch_preset_default": "preset default",
    "ui_batch_format": "Format",
    "ui_batch_keep_metadata": "Keep private details in the files (where it was taken, serial numbers, owner names)",
    "ui_batch_keep_metadata_info": "Where the photo was taken, camera serial numbers and owner names are left out unless ticked.",
    "ui_batch_mark_ai": "Label the files as AI-edited (some marketplaces ask for this)",
    "ui_batch_mark_ai_info": "Writes the standard 'made with AI' note inside each file, where marketplaces look for it.",
    "ui_batch_run": "Run batch",
    "ui_batch_cancel": "Cancel batch",
    "ui_batch_resume": "Resume interrupted batch",
    "ui_batch_zip": "Results (zip)",
    "ui_batch_pictures": "Results (click a picture to compare it with the original)",
    "ui_batch_compare": "Before and after",
    "ui_batch_problems": "Problems, and what to do",
    "ui_batch_presets": "Presets: {presets}",
    "ui_batch_preset_source": "**{label}**, source: {source} (checked {checked})",
    # ---- ui: the Train tab
    "ui_train_tab": "Train",
    "ui_train_zero_gpu": (
        "Training is not offered on a ZeroGPU Space: its GPU is lent for seconds per request, and a training run "
        "needs it for minutes to hours. Duplicate this Space on dedicated GPU hardware, or train with the command "
        "line (`srdemo train`) and load the result here."
    ),
    "ui_train_input_clean": "Clean (sharp originals)",
    "ui_train_input_supplier": "Supplier photos (blur, noise, JPEG)",
    "ui_train_input_catalogue": "Catalogue exports (resized, then saved as JPEG)",
    "ui_train_input_mix": "A mix of all three (as the built-in x4 for compressed photos)",
    "ui_train_sign_in_first": "On this shared Space, please sign in with Hugging Face to train: your runs and models stay yours.",
    "ui_train_stopped_earlier": "Stopped earlier; press Resume to continue.",
    "ui_train_done": "Finished.",
    "ui_train_running": "Training: {progress}",
    "ui_train_preparing": "Preparing (checking photos, scoring the base model)...",
    "ui_train_stopped": "Stopped. The best weights so far are saved; press Resume to continue.",
    "ui_train_time_limit": (
        "Stopped at this app's time limit for one run. The best weights so far are saved; press Resume to continue."
    ),
    "ui_train_finished": "Finished. Your model is in the Upscale tab's model list and can be downloaded or published.",
    "ui_train_figure_now_vs_plain": (
        "Your model now: {gain:+.1f} dB against a plain enlargement on your held-out photos "
        "({psnr:.1f} dB; best so far {best:.1f} dB; higher is better)"
    ),
    "ui_train_series_model": "Your model",
    "ui_train_series_bicubic": "Plain enlargement",
    "ui_train_series_title": "On your held-out photos",
    "ui_train_kept": "Kept “{name}”: its best weights, from step {step} ({psnr:.1f} dB on your held-out photos).",
    "ui_train_kept_unscored": "Kept “{name}”: its latest weights.",
    "ui_train_kept_finished": "It is in the Upscale tab's model list now.",
    "ui_train_kept_stopped": "It is in the Upscale tab's model list now; press Resume to train it further.",
    "ui_train_kept_nothing": "Stopped before the first weights were saved: nothing was kept. Press Resume to continue.",
    "ui_train_none": "No training run yet.",
    "ui_train_figure_bicubic": "A plain enlargement: {psnr:.1f} dB",
    "ui_train_figure_base": "The starting model, before training: {psnr:.1f} dB",
    "ui_train_figure_now": "Your model now: {psnr:.1f} dB on your held-out photos (best so far {best:.1f} dB; higher is better)",
    "ui_train_storage_note": "{status} Note: this machine's storage is temporary; download your model to keep it.",
    "ui_train_stopping": "Stopping after this step; the best weights so far are kept.",
    "ui_train_not_running": "No training is running.",
    "ui_train_started": "Started training “{name}”: the status below follows it; you may close this page and come back later.",
    "ui_train_published": "Published: {url} (load it back in the Upscale tab with repo '{repo_id}' and file 'model.safetensors')",
    "ui_train_intro": (
        "Teach a model your own packaging, fonts and backgrounds. Upload sharp product photos (a few hundred is best), pick a "
        "starting model and a length, and start. Training runs in the background: you can close or reload the page."
    ),
    "ui_train_intro_storage_temporary": "**This machine's storage is temporary**: download your model when it is done.",
    "ui_train_files": "Sharp product photos (files or one zip)",
    "ui_train_examples": "Use the example set instead (48 rendered product photos)",
    "ui_train_scratch": "Start from scratch (SPAN)",
    "ui_train_base": "Starting model",
    "ui_train_inputs": "What the inputs look like",
    "ui_train_length_quick": "quick ({steps} steps)",
    "ui_train_length_standard": "standard ({steps} steps)",
    "ui_train_length_long": "long ({steps} steps)",
    "ui_train_length": "Length",
    "ui_train_advanced": "Advanced",
    "ui_train_lr": "Learning rate",
    "ui_train_batch": "Batch",
    "ui_train_patch": "Patch size (px)",
    "ui_train_seed": "Seed",
    "ui_train_name": "Model name",
    "ui_train_name_info": "Shown in the model lists and used for its files. Leave it empty to use the grey suggestion.",
    "ui_train_start": "Start training",
    "ui_train_stop": "Stop",
    "ui_train_resume": "Resume",
    "ui_train_figures": "Quality on your held-out photos",
    "ui_train_loss_plot": "Training error (lower is better)",
    "ui_train_psnr_plot": "Quality on your held-out photos (higher is better)",
    "ui_train_step_axis": "Step",
    "ui_train_loss_axis": "Error",
    "ui_train_psnr_axis": "dB",
    "ui_train_preview": "Validation image: bicubic (left) / your model (right)",
    "ui_train_zip": "Your model (zip: model.safetensors, config.json, README.md)",
    "ui_train_publish_section": "Publish to the Hugging Face Hub",
    "ui_train_repo": "Repo id (you/your-model)",
    "ui_train_repo_info": "Leave it empty to publish as the grey suggestion, in your own account.",
    "ui_train_private": "Private",
    "ui_train_token": "Token with write access (used for this push only, never stored)",
    "ui_train_publish": "Publish",
    "ui_train_result": "Result",
    # ---- ui: the Compare A/B tab
    "ui_ab_tab": "Compare A/B",
    "ui_ab_zoom_first": "Run the comparison first, then click the photo.",
    "ui_ab_intro": "Two models on the same photo. Click a spot on the photo to zoom both results there.",
    "ui_ab_photo": "Product photo",
    "ui_ab_model_a": "Model A",
    "ui_ab_model_b": "Model B",
    "ui_ab_run": "Compare",
    "ui_ab_click_to_zoom": "Click to zoom",
    "ui_ab_slider": "A (left) / B (right)",
    "ui_ab_a": "A",
    "ui_ab_b": "B",
    "ui_ab_zoom_a": "A, zoomed",
    "ui_ab_zoom_b": "B, zoomed",
}

from .wording_zh import ZH  # noqa: E402

MESSAGES: dict[str, dict[str, str]] = {"en": EN, "zh": ZH}
"""Language code -> key -> template. Add a language by adding a table with the same keys."""


def current_language() -> str:
    """The language of the request being served (English outside any ``language`` block)."""
    return _current.get()


@contextlib.contextmanager
def language(lang: str | None) -> Iterator[str]:
    """Speak ``lang`` (a code of ``LANGUAGES``; anything else means English) inside the block."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def speaking(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn``, to run on another thread in this request's language (a new thread starts in English); only the
    language is carried, not the rest of the caller's context."""
    lang = _current.get()

    def run(*args, **kwargs) -> T:
        with language(lang):
            return fn(*args, **kwargs)

    return run


def pick_language(choice: str | None = None, accept_language: str | None = None) -> str:
    """The visitor's explicit choice if we speak it, else the weightiest language of their browser's
    ``Accept-Language`` (``zh-CN,zh;q=0.9,en;q=0.8``) that we speak, else English."""
    if choice in LANGUAGES:
        return choice
    ranked = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        with contextlib.suppress(ValueError):
            ranked.append((-float(q or 1), tag.split("-")[0].lower()))
    return next((code for _, code in sorted(ranked, key=lambda r: r[0]) if code in LANGUAGES), DEFAULT_LANGUAGE)


def text(key: str, lang: str | None = None, **params) -> str:
    """The sentence for ``key`` in ``lang`` (default: the request's; English where that table lacks it), filled in."""
    return MESSAGES.get(lang or _current.get(), EN).get(key, EN[key]).format(**params)


def parameters(template: str) -> set[str]:
    """The named parameters a template uses (for the consistency test)."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field}


def gain_sentence(kind: str, model_db: float, bicubic_db: float, scale: float = 1.0) -> str | None:
    """How much closer the model came than bicubic, in plain words; None when an exact (infinite PSNR) side
    leaves the gain meaningless."""
    gain = model_db - bicubic_db
    if not math.isfinite(gain):
        return None
    direction = text("closer_to" if gain >= 0 else "further_from")
    key = "gain_reference" if kind == "reference" else "gain_self_check"
    return text(key, amount=abs(gain), direction=direction, model_db=model_db, bicubic_db=bicubic_db, scale=scale)


def translated(kind: str, fact_id: str, english: str, lang: str | None = None) -> str:
    """A model's or preset's own words (``kind``: ``model_label``, ``preset_label``, ``preset_source``) in ``lang``:
    other languages' tables name them ``<kind>_<id>`` (``model_label_x4_product``); else their own English."""
    return MESSAGES.get(lang or _current.get(), EN).get(f"{kind}_{fact_id.replace('-', '_')}", english)


def model_label(model_id: str, label: str) -> str:
    """How the page names a model: by its own ``label``, in the request's language where that names it."""
    return translated("model_label", model_id, label)


def duration(seconds: float, rough: bool = False) -> str:
    """'45 s', '1 min 10 s', '2 h 5 min'; ``rough`` (an estimate) keeps whole minutes, or 5 s steps under one."""
    s = max(0, round(seconds))
    if s < 60:
        return text("duration_seconds", seconds=max(5, 5 * round(s / 5)) if rough else s)
    if s < 3600:
        if rough:
            return text("duration_minutes_only", minutes=round(s / 60))
        return text("duration_minutes", minutes=s // 60, seconds=s % 60)
    return text("duration_hours", hours=s // 3600, minutes=s % 3600 // 60)


def time_left(seconds: float) -> str:
    """'about 4 min left': what a batch or a training run still needs, at its pace so far."""
    return text("time_left", duration=duration(seconds, rough=True))


def progress_words(fraction: float, seconds_so_far: float, lang: str | None = None) -> str:
    """'about 6 s left' at the pace so far, or 'starting' before there is a pace to go by."""
    with language(lang or _current.get()):
        if fraction <= 0 or seconds_so_far < 0.5:
            return text("progress_starting")
        return time_left(seconds_so_far * (1 - min(fraction, 1.0)) / fraction)
