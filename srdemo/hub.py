"""Talking to the Hugging Face Hub: fetching weights (and, later, publishing).

All network access of srdemo goes through here and through huggingface_hub,
so ``HF_HUB_OFFLINE=1`` and the usual cache variables work as documented by
huggingface_hub. Tokens are never read from the environment: a Space owner's
``HF_TOKEN`` must not be used on behalf of visitors, so the default is
``token=False`` and a user's own token is passed in for one call only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import hf_hub_download, try_to_load_from_cache
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HFValidationError,
    LocalEntryNotFoundError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from .errors import SrdemoError

# owner/name, as the Hub accepts them: letters, digits, '-', '_', '.'; no '--' or '..'.
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


@dataclass(frozen=True)
class HubFile:
    """One file in a Hub model repo, pinned to a revision (branch, tag or commit)."""

    repo_id: str
    filename: str
    revision: str | None = None

    def __str__(self) -> str:
        rev = f"@{self.revision}" if self.revision else ""
        return f"{self.repo_id}:{self.filename}{rev}"

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.repo_id}/blob/{self.revision or 'main'}/{self.filename}"


def check_repo_id(repo_id: str) -> str:
    repo_id = (repo_id or "").strip()
    if not _REPO_RE.match(repo_id) or "--" in repo_id or ".." in repo_id:
        raise SrdemoError(
            f"'{repo_id}' is not a Hugging Face repo id. It should look like 'owner/model-name'."
        )
    return repo_id


def parse_hub_ref(text: str) -> HubFile:
    """Parse ``owner/repo:path/to/file.safetensors[@revision]``."""
    text = text.strip()
    if ":" not in text:
        raise SrdemoError(
            f"'{text}' is not a Hub model reference. Write it as 'owner/repo:file.safetensors' "
            "(optionally '@revision' at the end)."
        )
    repo_id, rest = text.split(":", 1)
    filename, _, revision = rest.partition("@")
    return hub_file(repo_id, filename, revision or None)


def hub_file(repo_id: str, filename: str, revision: str | None = None) -> HubFile:
    filename = (filename or "").strip().lstrip("/")
    if not filename or ".." in filename.split("/"):
        raise SrdemoError("Please give the weights file name inside the repo, e.g. 'model.safetensors'.")
    return HubFile(check_repo_id(repo_id), filename, (revision or "").strip() or None)


def cached_path(ref: HubFile) -> Path | None:
    """The file in the local Hugging Face cache, or None if it still needs downloading."""
    found = try_to_load_from_cache(ref.repo_id, ref.filename, revision=ref.revision)
    return Path(found) if isinstance(found, str) else None


def download(ref: HubFile, token: str | None = None) -> Path:
    """Fetch (or find in the cache) one file; every failure becomes a plain SrdemoError.

    ``token`` is the user's own, used for this call only; without one no token
    is sent at all.
    """
    what = f"'{ref}'"
    try:
        return Path(
            hf_hub_download(
                ref.repo_id,
                ref.filename,
                revision=ref.revision,
                token=token if token else False,
                library_name="srdemo",
            )
        )
    except (LocalEntryNotFoundError, OfflineModeIsEnabled):
        raise SrdemoError(
            f"The model {what} is not downloaded yet and the Hugging Face Hub cannot be reached from here. "
            f"On a machine with internet run `srdemo download {ref}` and copy its Hugging Face cache folder, "
            "or pick another model."
        ) from None
    except GatedRepoError:
        raise SrdemoError(
            f"{ref.repo_id} is gated: accept its terms on huggingface.co and give a token with read access."
        ) from None
    except RepositoryNotFoundError:
        raise SrdemoError(
            f"No model repo '{ref.repo_id}' was found on the Hub. Check the spelling; if it is private, "
            "give a token that can read it."
        ) from None
    except RevisionNotFoundError:
        raise SrdemoError(f"{ref.repo_id} has no revision '{ref.revision}'.") from None
    except EntryNotFoundError:
        raise SrdemoError(f"{ref.repo_id} has no file '{ref.filename}'. Check the file name on the repo page.") from None
    except HFValidationError:
        raise SrdemoError(f"'{ref.repo_id}' is not a valid Hugging Face repo id.") from None
    except OSError as exc:  # network down, disk full, HTTP errors (HfHubHTTPError is an OSError)
        raise SrdemoError(f"Could not download {what}: {type(exc).__name__}. Try again later.") from None


def publish(folder: Path, repo_id: str, token: str | None, private: bool = True,
            commit_message: str = "Upload model trained with srdemo") -> str:
    """Create the repo if needed and upload ``folder``; returns the repo's URL.

    The token is the user's own, passed for these two requests only; it is
    never stored, logged or echoed. Failures leave ``folder`` untouched, so
    the push can be retried.
    """
    import os

    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = check_repo_id(repo_id)
    if not token:
        raise SrdemoError("Publishing needs a Hugging Face access token with write access (or sign in on the Space).")
    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token, library_name="srdemo")
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        api.upload_folder(
            folder_path=str(folder), repo_id=repo_id, repo_type="model", commit_message=commit_message,
            allow_patterns=["model.safetensors", "config.json", "README.md"],
        )
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            raise SrdemoError("The Hub did not accept this token. Check it, or create a new one with write access.") from None
        if status == 403:
            raise SrdemoError(f"This token cannot write to '{repo_id}' (it may be read-only). Use a token with write access.") from None
        raise SrdemoError(f"Publishing to '{repo_id}' failed (HTTP {status}). Your model is safe; try again.") from None
    except OSError as exc:
        raise SrdemoError(f"Could not reach the Hub ({type(exc).__name__}). Your model is safe; try again later.") from None
    return str(url)
