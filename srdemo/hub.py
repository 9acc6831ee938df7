"""Talking to the Hugging Face Hub (all of srdemo's network access): fetching weights, publishing trained models.

Tokens are never read from the environment (a Space owner's ``HF_TOKEN`` must not serve visitors):
the default is ``token=False``, and a user's own token is passed in for one call only.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import wording
from .errors import SrdemoError

# [owner/]name, as the Hub accepts them: letters, digits, '-', '_', '.'; no '--' or '..'.
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,95}"
_REPO_RE = re.compile(rf"^(?:{_NAME}/)?{_NAME}$")

MAX_REF_CHARS = 1_000  # longest model reference read (a repo id is at most 193 characters, a revision 200)
MAX_REVISION_CHARS = 200
# What git refuses in a branch or tag name (git check-ref-format), and a leading '-' (read as an option).
_BAD_REVISION = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|//|@\{|^[/.-]|/\.|\.lock(?:/|$)|[/.]$")


@dataclass(frozen=True)
class HubFile:
    """One file in a Hub model repo, pinned to a revision (branch, tag or commit)."""

    repo_id: str
    filename: str
    revision: str | None = None

    def __str__(self) -> str:
        return f"{self.repo_id}:{self.filename}" + (f"@{self.revision}" if self.revision else "")

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.repo_id}/blob/{self.revision or 'main'}/{self.filename}"


def check_length(ref: str) -> str:
    """``ref``, unless it is longer than ``MAX_REF_CHARS``: then a plain error naming the limit."""
    if len(ref) > MAX_REF_CHARS:
        raise SrdemoError(wording.text("err_ref_too_long", start=ref[:40], length=len(ref), limit=MAX_REF_CHARS))
    return ref


def check_revision(revision: str | None) -> str | None:
    """``revision`` trimmed (None when empty) if it is a branch, tag or commit by git's rules: huggingface_hub
    uses it as a path in its cache (``refs/<revision>``), where ``../../x`` would write outside the cache."""
    revision = (revision or "").strip()
    if revision and (len(revision) > MAX_REVISION_CHARS or revision == "@" or _BAD_REVISION.search(revision)):
        raise SrdemoError(wording.text("err_hub_bad_revision", revision=revision[:40], limit=MAX_REVISION_CHARS))
    return revision or None


def check_repo_id(repo_id: str, owner_optional: bool = False) -> str:
    """``repo_id`` trimmed, or a plain error; with ``owner_optional`` a name alone passes too (publishing)."""
    repo_id = check_length((repo_id or "").strip())
    if not _REPO_RE.match(repo_id) or ("/" not in repo_id and not owner_optional) or "--" in repo_id or ".." in repo_id:
        raise SrdemoError(wording.text("err_repo_id", repo_id=repo_id))
    return repo_id


def parse_hub_ref(text: str) -> HubFile:
    """Parse ``owner/repo:path/to/file.safetensors[@revision]``."""
    text = text.strip()
    if ":" not in text:
        raise SrdemoError(wording.text("err_hub_ref", ref=text))
    repo_id, rest = text.split(":", 1)
    filename, _, revision = rest.partition("@")
    return hub_file(repo_id, filename, revision or None)


def hub_file(repo_id: str, filename: str, revision: str | None = None) -> HubFile:
    """A Hub file from what a person typed (each part checked: they become cache paths and URLs)."""
    filename = check_length((filename or "").strip().lstrip("/"))
    if not filename or ".." in filename.split("/"):
        raise SrdemoError(wording.text("err_hub_filename"))
    return HubFile(check_repo_id(repo_id), filename, check_revision(revision))


def hf_hub_download(*args, **kwargs) -> str:
    """huggingface_hub's, imported on the first download: its HTTP stack slows every command's start."""
    from huggingface_hub import hf_hub_download as fetch

    return fetch(*args, **kwargs)


def cached_path(ref: HubFile) -> Path | None:
    """The file in the local Hugging Face cache, or None if it still needs downloading."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(ref.repo_id, ref.filename, revision=ref.revision)
    return Path(found) if isinstance(found, str) else None


def download(ref: HubFile, token: str | None = None, cache_dir: Path | None = None) -> Path:
    """Fetch (or find in the cache) one file; every failure becomes a plain SrdemoError. huggingface_hub falls
    back to its cache when a request fails (a 401 too), so a file fetched with a token goes to its owner's ``cache_dir``."""
    from huggingface_hub import errors as hf

    try:
        return Path(
            hf_hub_download(
                ref.repo_id, ref.filename, revision=ref.revision, token=token or False,
                cache_dir=str(cache_dir) if cache_dir is not None else None,
                endpoint=os.environ.get("HF_ENDPOINT") or None, library_name="srdemo",
            )
        )
    except (hf.LocalEntryNotFoundError, hf.OfflineModeIsEnabled):
        raise SrdemoError(wording.text("err_hub_offline", ref=ref)) from None
    except hf.GatedRepoError:
        raise SrdemoError(wording.text("err_hub_gated", repo_id=ref.repo_id)) from None
    except hf.RepositoryNotFoundError:
        raise SrdemoError(wording.text("err_hub_repo_not_found", repo_id=ref.repo_id)) from None
    except hf.RevisionNotFoundError:
        raise SrdemoError(wording.text("err_hub_revision", repo_id=ref.repo_id, revision=ref.revision)) from None
    except hf.EntryNotFoundError:
        raise SrdemoError(wording.text("err_hub_file_not_found", repo_id=ref.repo_id, filename=ref.filename)) from None
    except hf.HFValidationError:
        raise SrdemoError(wording.text("err_repo_id", repo_id=ref.repo_id)) from None
    except OSError as exc:  # network down, disk full, HTTP errors (HfHubHTTPError is an OSError)
        raise SrdemoError(wording.text("err_hub_download", ref=ref, error=type(exc).__name__)) from None


def publish(folder: Path, repo_id: str, token: str | None, private: bool = True) -> str:
    """Create the repo if needed and upload ``folder``; returns its URL (a ``RepoUrl``, whose ``repo_id`` says where).
    A name without an owner goes to the token's own account. The token is never stored, logged or echoed."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    repo_id = check_repo_id(repo_id, owner_optional=True)
    if not token:
        raise SrdemoError(wording.text("err_publish_no_token"))
    api = HfApi(endpoint=os.environ.get("HF_ENDPOINT") or None, token=token, library_name="srdemo")
    try:
        if "/" not in repo_id:
            repo_id = f"{api.whoami()['name']}/{repo_id}"
        url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        api.upload_folder(
            folder_path=str(folder), repo_id=repo_id, repo_type="model", commit_message="Upload model trained with srdemo",
            allow_patterns=["model.safetensors", "config.json", "README.md"],
        )
    except HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 401:
            raise SrdemoError(wording.text("err_publish_bad_token")) from None
        if status == 403:
            raise SrdemoError(wording.text("err_publish_forbidden", repo_id=repo_id)) from None
        raise SrdemoError(wording.text("err_publish_failed", repo_id=repo_id, status=status)) from None
    except OSError as exc:
        raise SrdemoError(wording.text("err_publish_unreachable", error=type(exc).__name__)) from None
    return url
