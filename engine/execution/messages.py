"""What crosses the process boundary between the dispatcher and its workers: small dataclasses.

No session, connection or ORM object is ever pickled; a job goes out with the
checkpoints it needs and its results come back as engine events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.pipeline.context import CheckRequest, RunRequest

# A JobFinished status only a worker sends: the job stopped for a shutdown after a checkpoint,
# through no fault of its own, and goes back to the queue (never shown to anyone).
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class RunJob:
    job_id: int
    kind: str
    soft_limit_s: float
    run: RunRequest | None = None
    check: CheckRequest | None = None


@dataclass(frozen=True)
class CancelJob:
    job_id: int


@dataclass(frozen=True)
class Ack:
    """The dispatcher committed this stage attempt; the worker may start the next stage."""

    job_id: int
    stage: str
    attempt: int


@dataclass(frozen=True)
class Shutdown:
    """Stop taking work; in-flight jobs stop after their current stage and are handed back."""


@dataclass(frozen=True)
class WorkerReady:
    pid: int


@dataclass(frozen=True)
class WorkerRetiring:
    """max_tasks_per_child reached: send nothing more; the worker exits when its jobs end."""

    finished: int


@dataclass(frozen=True)
class ChecksFinished:
    job_id: int
    article_id: int
    output: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True)
class StageCommitted:
    """A StageFinished event with the job it belongs to, so the ack can find its way back."""

    job_id: int
    event: Any   # engine.events.StageFinished


@dataclass(frozen=True)
class ConfigProblem:
    """Sent before the job's JobFinished: the provider refused our settings (401, 403, 404,
    no key), so the failure is final: another attempt in 60 s would be refused the same way."""

    job_id: int
