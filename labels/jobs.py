"""Print jobs: a lot's labels printed in the background, downloaded when done.

Printing 10,000 labels takes minutes, longer than a web request should wait. A job is started by
the lot's holder, runs in a worker thread of the process that started it, and keeps its state in
a small JSON file beside its zip in the jobs directory, so that any worker of the web server can
report its progress and hand out the zip. Jobs are operational state, not ledger data: they are
deleted a week after they started. A job whose process died shows as interrupted once its state
has not moved for :data:`STALE_AFTER`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from labels.printing import count_labels, layout_named, print_lot_labels
from ledger.common.clock import Clock
from ledger.common.errors import ConflictError, LedgerError, NotFoundError
from ledger.common.messages import N_, Message
from ledger.tlog.log import Log

QUEUED, RUNNING, DONE, FAILED, INTERRUPTED = "queued", "running", "done", "failed", "interrupted"
KEEP_FOR = timedelta(days=7)
#: A running job reports progress every 50 labels; one silent this long has died.
STALE_AFTER = timedelta(minutes=10)
#: A queued job waits for the jobs before it (three per organisation, minutes each); one still
#: waiting after this long was lost with the worker that queued it.
LOST_AFTER = timedelta(hours=1)
#: Jobs one organisation may have queued or running at once (each keeps a core busy).
MAX_ACTIVE_JOBS = 3
logger = logging.getLogger(__name__)
_JOB_ID = re.compile(r"[0-9a-f]{32}")

#: Runs a job; the web uses one worker thread per process (printing is CPU-bound).
Submit = Callable[[Callable[[], None]], object]

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def background(task: Callable[[], None]) -> object:
    """Run ``task`` on the process's one print thread."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hyt-print")
    return _executor.submit(task)


@dataclass(frozen=True)
class PrintJob:
    id: str
    lot: str
    layout: str
    organisation: str
    status: str
    done: int
    total: int
    created_at: str
    updated_at: str
    files: int = 0
    #: Why it failed: a message template and its parameters, translated when shown.
    error: dict[str, Any] | None = None

    @property
    def error_message(self) -> Message | None:
        if self.error is None:
            return None
        return Message(self.error["template"], **self.error["params"])


class PrintJobs:
    """Start, follow and download print jobs kept in ``directory``."""

    def __init__(
        self, log: Log, directory: Path, base: str, clock: Clock, submit: Submit = background
    ) -> None:
        self.log = log
        self.directory = directory
        self.base = base
        self.clock = clock
        self.submit = submit

    def _state_path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.json"

    def archive_path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.zip"

    def _write(self, job: PrintJob) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, prefix=".job-")
        with os.fdopen(descriptor, "w") as handle:
            json.dump(asdict(job), handle)
        os.replace(temporary, self._state_path(job.id))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")

    def start(self, organisation: str, lot_id: str, layout: str) -> PrintJob:
        """Start printing every issued label of a lot its holder ``organisation`` holds."""
        layout_named(layout)
        total = count_labels(self.log, lot_id, organisation)
        self._forget_old()
        with self._locked():  # workers count and add jobs one at a time
            active = [j for j in self._jobs_of(organisation) if j.status in (QUEUED, RUNNING)]
            if len(active) >= MAX_ACTIVE_JOBS:
                raise ConflictError(
                    N_(
                        "{organisation} already has {count} print jobs under way; start another "
                        "when one is done."
                    ),
                    organisation=organisation,
                    count=len(active),
                )
            now = self._now()
            job = PrintJob(
                id=secrets.token_hex(16),
                lot=lot_id,
                layout=layout,
                organisation=organisation,
                status=QUEUED,
                done=0,
                total=total,
                created_at=now,
                updated_at=now,
            )
            self._write(job)
        self.submit(lambda: self._run(job))
        return job

    def _run(self, job: PrintJob) -> None:
        state = {"job": job}

        def progress(done: int, total: int) -> None:
            current = state["job"]
            state["job"] = PrintJob(
                **{**asdict(current), "status": RUNNING, "done": done, "updated_at": self._now()}
            )
            self._write(state["job"])

        progress(0, job.total)
        try:
            printed = print_lot_labels(
                self.log,
                job.lot,
                job.layout,
                self.base,
                self.archive_path(job.id),
                holder=job.organisation,
                progress=progress,
            )
        except Exception as error:  # a job records why it failed, whatever it was
            if isinstance(error, LedgerError):
                message = error.message
            else:
                logger.exception("print job %s failed", job.id)
                message = Message(N_("The print failed unexpectedly; the server's log says why."))
            failed = {
                **asdict(state["job"]),
                "status": FAILED,
                "error": {
                    "template": message.template,
                    "params": {k: str(v) for k, v in message.params.items()},
                },
                "updated_at": self._now(),
            }
            self._write(PrintJob(**failed))
            return
        self._write(
            PrintJob(
                **{
                    **asdict(state["job"]),
                    "status": DONE,
                    "done": printed.labels,
                    "files": len(printed.files),
                    "updated_at": self._now(),
                }
            )
        )

    def get(self, organisation: str, job_id: str) -> PrintJob:
        """A job of ``organisation`` (another organisation's job does not exist for it)."""
        if not _JOB_ID.fullmatch(job_id):
            raise NotFoundError(N_("There is no print job {job}."), job=job_id[:40])
        try:
            data: dict[str, Any] = json.loads(self._state_path(job_id).read_text())
        except FileNotFoundError:
            raise NotFoundError(N_("There is no print job {job}."), job=job_id) from None
        job = PrintJob(**data)
        if job.organisation != organisation:
            raise NotFoundError(N_("There is no print job {job}."), job=job_id)
        return self._as_seen_now(job)

    def _as_seen_now(self, job: PrintJob) -> PrintJob:
        """The job, marked interrupted if the process running it has evidently died."""
        now = self.clock.now()
        if (
            job.status == RUNNING and now - datetime.fromisoformat(job.updated_at) > STALE_AFTER
        ) or (job.status == QUEUED and now - datetime.fromisoformat(job.created_at) > LOST_AFTER):
            return PrintJob(**{**asdict(job), "status": INTERRUPTED})
        return job

    def _jobs_of(self, organisation: str) -> list[PrintJob]:
        jobs = []
        if self.directory.is_dir():
            for path in self.directory.glob("*.json"):
                with contextlib.suppress(OSError, ValueError, TypeError):
                    job = PrintJob(**json.loads(path.read_text()))
                    if job.organisation == organisation:
                        jobs.append(self._as_seen_now(job))
        return jobs

    def archive(self, organisation: str, job_id: str) -> Path:
        """The finished job's zip."""
        job = self.get(organisation, job_id)
        if job.status != DONE:
            raise ConflictError(
                N_("Print job {job} is {status}; download it when it is done."),
                job=job_id,
                status=job.status,
            )
        return self.archive_path(job_id)

    def _forget_old(self) -> None:
        """Delete jobs (state and zip) that started more than a week ago."""
        if not self.directory.is_dir():
            return
        cutoff = self.clock.now() - KEEP_FOR
        for path in self.directory.glob("*.json"):
            with contextlib.suppress(OSError, ValueError, KeyError):
                started = datetime.fromisoformat(json.loads(path.read_text())["created_at"])
                if started < cutoff:
                    self.archive_path(path.stem).unlink(missing_ok=True)
                    path.unlink()
