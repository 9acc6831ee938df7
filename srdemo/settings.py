"""Every knob an operator may turn (folders, size limits, time caps), read from the environment variables in
``ENV_VARS``, the list the README's table is written from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# name, default, meaning
ENV_VARS: list[tuple[str, str, str]] = [
    ("SRDEMO_MODEL_DIR", "(unset)", "Folder of extra weights files (.safetensors, .pth, .pt); each appears in the model list."),
    ("SRDEMO_RUN_DIR", "/data/srdemo-runs if /data exists, else ~/.cache/srdemo/runs", "Where training runs and results are written."),
    ("SRDEMO_MAX_INPUT_MP", "16", "Largest input accepted, in megapixels."),
    ("SRDEMO_MAX_OUTPUT_MP", "64", "Largest output produced, in megapixels."),
    ("SRDEMO_MAX_FILE_MB", "50", "Largest upload accepted, in MB (per file, also per file inside a zip)."),
    ("SRDEMO_MAX_UPLOAD_MB", "2000", "Most bytes one batch or training upload may unpack to, all its files and zips together, in MB."),
    ("SRDEMO_MAX_CPU_SECONDS", "600", "CPU jobs whose estimate, even at its low end, is longer than this are refused before they start."),
    ("SRDEMO_TILE", "(chosen per model)", "Tile size (input pixels) for model inference, to force one; by default each model's tile is the largest that fits SRDEMO_MEMORY_MB and runs in about 2 s."),
    ("SRDEMO_MEMORY_MB", "2048", "Memory the jobs of one app process may hold at once, in MB: a neural upscale holds a 1/SRDEMO_NEURAL_JOBS share (its tiles are sized to it), a resampler what its pixels need. A job that does not fit beside those under way waits its turn; one bigger than all of it, or than the machine or its container has left, is refused."),
    ("SRDEMO_NEURAL_JOBS", "2", "Neural upscales running at once per app process: each holds this fraction of SRDEMO_MEMORY_MB; more wait their turn."),
    ("SRDEMO_BACKEND", "auto", "auto = model passes on a CPU run on ONNX Runtime where the model exports (built-ins always do), else torch; torch = always torch."),
    ("SRDEMO_MODEL_CACHE", "3", "How many loaded models stay in memory."),
    ("SRDEMO_UPLOAD_RETENTION_HOURS", "24", "Uploads (training photos, batch inputs, Hub files fetched with a user's token) are deleted after this many hours (trained models and results are kept)."),
    ("SRDEMO_MAX_BATCHES", "2", "Batches running at once in the whole app; more wait in line, with their place shown."),
    ("SRDEMO_BATCH_WORKERS", "2", "Files one batch works on at once, so one file's reading, checks and encoding overlap another's model pass; 1 = one after another."),
    ("SRDEMO_MAX_WAITING", "20", "Batches that may wait in line at once; beyond that a new one is refused (the app is busy)."),
    ("SRDEMO_MAX_TRAININGS", "1", "Training runs at once in the whole app; another is refused until one ends."),
    ("SRDEMO_MAX_TRAIN_MINUTES", "120", "A training run started from the app stops (keeping its best weights) after this long; 0 = no limit."),
    ("SRDEMO_MAX_OWNER_MB", "5000", "Disk one owner's uploads, runs and results may take, in MB; a new upload beyond it is refused."),
    ("SRDEMO_MCP", "1", "1 = the app also serves its upscale and batch tools to AI agents over MCP (/gradio_api/mcp/); 0 = not."),
    ("HF_HOME / HF_HUB_CACHE", "~/.cache/huggingface", "Hugging Face cache where Hub models are downloaded (huggingface_hub's own settings)."),
    ("HF_HUB_OFFLINE", "0", "1 = never touch the network; Hub models load only from the cache."),
    ("GRADIO_SERVER_NAME / GRADIO_SERVER_PORT", "127.0.0.1 / 7860", "Where the app listens (Gradio's own settings)."),
]


def _float(name: str, default: float) -> float:
    try:
        return float(os.environ[name])  # spaces around the number are allowed
    except (KeyError, ValueError):
        return default


def _default_run_dir() -> Path:
    data = Path("/data")
    return data / "srdemo-runs" if data.is_dir() and os.access(data, os.W_OK) else Path.home() / ".cache" / "srdemo" / "runs"


def _env(read) -> Any:
    """A setting read from the environment each time a :class:`Settings` is made."""
    return field(default_factory=read)


@dataclass(frozen=True)
class Settings:
    model_dir: Path | None = _env(lambda: Path(os.environ["SRDEMO_MODEL_DIR"].strip()).expanduser()
                                  if os.environ.get("SRDEMO_MODEL_DIR", "").strip() else None)
    run_dir: Path = _env(lambda: Path(os.environ.get("SRDEMO_RUN_DIR", "") or _default_run_dir()).expanduser())
    max_input_pixels: int = _env(lambda: int(_float("SRDEMO_MAX_INPUT_MP", 16) * 1e6))
    max_output_pixels: int = _env(lambda: int(_float("SRDEMO_MAX_OUTPUT_MP", 64) * 1e6))
    max_file_bytes: int = _env(lambda: int(_float("SRDEMO_MAX_FILE_MB", 50) * 1e6))
    max_upload_bytes: int = _env(lambda: int(_float("SRDEMO_MAX_UPLOAD_MB", 2000) * 1e6))
    max_cpu_seconds: float = _env(lambda: _float("SRDEMO_MAX_CPU_SECONDS", 600))
    tile: int | None = _env(lambda: max(32, int(_float("SRDEMO_TILE", 0))) if _float("SRDEMO_TILE", 0) else None)
    memory_bytes: int = _env(lambda: int(_float("SRDEMO_MEMORY_MB", 2048) * 1e6))
    neural_jobs: int = _env(lambda: max(1, int(_float("SRDEMO_NEURAL_JOBS", 2))))
    backend: str = _env(lambda: "torch" if os.environ.get("SRDEMO_BACKEND", "").strip().lower() == "torch" else "auto")
    model_cache_size: int = _env(lambda: max(1, int(_float("SRDEMO_MODEL_CACHE", 3))))
    upload_retention_hours: float = _env(lambda: _float("SRDEMO_UPLOAD_RETENTION_HOURS", 24))
    max_batches: int = _env(lambda: max(1, int(_float("SRDEMO_MAX_BATCHES", 2))))
    batch_workers: int = _env(lambda: max(1, int(_float("SRDEMO_BATCH_WORKERS", 2))))
    max_trainings: int = _env(lambda: max(1, int(_float("SRDEMO_MAX_TRAININGS", 1))))
    max_waiting: int = _env(lambda: max(0, int(_float("SRDEMO_MAX_WAITING", 20))))
    max_train_minutes: float = _env(lambda: _float("SRDEMO_MAX_TRAIN_MINUTES", 120))
    max_owner_bytes: int = _env(lambda: int(_float("SRDEMO_MAX_OWNER_MB", 5000) * 1e6))
    mcp_server: bool = _env(lambda: os.environ.get("SRDEMO_MCP", "1").strip() != "0")


def get_settings() -> Settings:
    """Read the environment now (tests change it, so this is not cached)."""
    return Settings()
