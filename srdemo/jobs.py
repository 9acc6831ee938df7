"""Background jobs (batches and training runs) that outlive the browser tab.

A job runs in a thread; the page only polls its state, so reloading it does not stop the job. Jobs belong to
an owner: nobody sees or cancels another's. A job runs in its submitter's language (``wording.speaking``).
"""

from __future__ import annotations

import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .caller import ANONYMOUS
from .errors import Cancelled, SrdemoError
from .wording import speaking, text


@dataclass
class Job:
    id: str
    owner: str
    kind: str
    status: str = "queued"  # queued (waiting for a free slot), running, done, failed, cancelled
    done: int = 0
    result: Any = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    info: dict = field(default_factory=dict)  # what the page needs to show the job (its settings, its progress)
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        """Not finished yet: running, or waiting in line for a slot."""
        return self.status in ("queued", "running")

    @property
    def queued(self) -> bool:
        return self.status == "queued"

    def should_stop(self) -> bool:
        return self.cancel_event.is_set()


class JobManager:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._turns = threading.Condition(self._lock)

    def submit(self, owner: str, kind: str, work: Callable[[Job], Any], limit: int | None = None,
               max_waiting: int | None = None, max_unfinished: int | None = None, info: dict | None = None) -> Job:
        """Start ``work(job)`` in a thread, with ``info`` kept on the job; one unfinished job of a kind per owner.
        At most ``limit`` of a kind run at once, the others in line (refused beyond ``max_waiting`` waiting);
        beyond ``max_unfinished`` a new one is refused. All checks happen under one lock."""
        if not owner or owner == ANONYMOUS:
            raise SrdemoError(text("err_no_identity"))
        with self._lock:
            unfinished = [j for j in self._jobs.values() if j.kind == kind and j.running]
            if any(j.owner == owner for j in unfinished):
                raise SrdemoError(text("err_batch_running" if kind == "batch" else "err_training_running"))
            if max_unfinished is not None and len(unfinished) >= max_unfinished:
                raise SrdemoError(text("err_app_busy" if kind == "batch" else "err_training_running_other"))
            if max_waiting is not None and sum(j.queued for j in unfinished) >= max_waiting:
                raise SrdemoError(text("err_app_busy"))
            job = Job(uuid.uuid4().hex, owner, kind, info=dict(info or {}))
            self._jobs[job.id] = job

        def run() -> None:
            try:
                self._wait_turn(job, limit)
                if job.should_stop():
                    raise Cancelled()
                job.result = work(job)
                job.status = "cancelled" if job.should_stop() else "done"
            except Cancelled:
                job.status = "cancelled"
            except SrdemoError as exc:
                job.status, job.error = "failed", str(exc)
            except Exception as exc:  # a bug: keep the server alive and say something useful
                traceback.print_exc()
                job.status, job.error = "failed", text("err_unexpected", error_type=type(exc).__name__)
            finally:
                with self._turns:
                    self._turns.notify_all()

        threading.Thread(target=speaking(run), name=f"srdemo-{kind}-{job.id[:8]}", daemon=True).start()
        return job

    def _wait_turn(self, job: Job, limit: int | None) -> None:
        """Block until ``job`` is first in line and a slot of its kind is free (or it was cancelled)."""
        with self._turns:
            while limit is not None and not job.should_stop():
                running = sum(j.kind == job.kind and j.status == "running" for j in self._jobs.values())
                if running < limit and self._ahead(job) == 0:
                    break
                self._turns.wait(0.5)  # a cancel sets an event, not this condition: look again soon
            job.status = "running"

    def _ahead(self, job: Job) -> int:
        return sum(j.kind == job.kind and j.queued and (j.started, j.id) < (job.started, job.id) for j in self._jobs.values())

    def ahead(self, job: Job) -> int:
        """How many jobs of its kind are in line before a queued job."""
        with self._lock:
            return self._ahead(job)

    def count_running(self, kind: str) -> int:
        """Unfinished jobs of a kind in the whole app (running or waiting)."""
        with self._lock:
            return sum(j.kind == kind and j.running for j in self._jobs.values())

    def latest(self, owner: str, kind: str) -> Job | None:
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner and j.kind == kind]
        return max(mine, key=lambda j: j.started) if mine else None

    def cancel(self, owner: str, kind: str) -> bool:
        job = self.latest(owner, kind)
        if job is None or not job.running:
            return False
        job.cancel_event.set()
        return True


JOBS = JobManager()
