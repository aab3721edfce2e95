"""The dispatcher's decisions as pure objects: crash blame, retries, time limits, periodic duties.

None of them touches a process or the database; each takes what happened (and a
clock reading) and says what to do, so each is unit-tested in milliseconds with
a fake clock (tests/unit/test_execution_policies.py). The dispatcher's loop does
what they say.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from engine.execution.jobs import ClaimedJob

Clock = Callable[[], float]   # monotonic seconds
MONOTONIC: Clock = time.monotonic

SUSPECT_AFTER_CRASHES = 2


# ---------------------------------------------------------------------- crash blame / poison detection

@dataclass(frozen=True)
class CrashVerdict:
    blamed: int | None            # the job whose crash it certainly was (it costs an attempt)
    handed_back: tuple[int, ...]  # jobs put back in the queue, blamed for nothing


@dataclass
class CrashBlame:
    """Which job a dead worker's crash was, and which jobs are suspected of being poison.

    A job alone on its worker when it died crashed it. One crash among several jobs blames
    nobody; a job caught in `suspect_after` of them runs alone next time, so that a further
    crash is certainly its own (and, attempt by attempt, uses up its retry budget)."""

    suspect_after: int = SUSPECT_AFTER_CRASHES
    crashes: dict[int, int] = field(default_factory=dict)
    suspects: set[int] = field(default_factory=set)

    def after_crash(self, job_ids: Sequence[int]) -> CrashVerdict:
        if len(job_ids) == 1:
            self.suspects.discard(job_ids[0])
            self.crashes.pop(job_ids[0], None)
            return CrashVerdict(job_ids[0], ())
        for job_id in job_ids:
            self.crashes[job_id] = self.crashes.get(job_id, 0) + 1
            if self.crashes[job_id] >= self.suspect_after:
                self.suspects.add(job_id)
        return CrashVerdict(None, tuple(job_ids))

    def runs_alone(self, job_id: int) -> bool:
        return job_id in self.suspects

    def forget(self, job_id: int) -> None:
        """The job ended on its own: its record of crashes no longer matters."""
        self.suspects.discard(job_id)
        self.crashes.pop(job_id, None)


# ---------------------------------------------------------------------- retries

class FailureCause(StrEnum):
    STAGE_FAILED = "stage_failed"        # the job reported a failure (a stage, the soft limit)
    WORKER_CRASHED = "worker_crashed"    # it was alone on a worker that died
    HARD_LIMIT = "hard_limit"            # it passed the hard time limit; its worker was killed
    CONFIG_PROBLEM = "config_problem"    # the provider refused our settings (401, 403, 404, no key)
    UNRUNNABLE = "unrunnable"            # it could not even be prepared (RunError)


# Causes another attempt cannot cure: the provider would refuse the same settings again, and
# a job that ran past the hard limit would do it again.
FINAL_CAUSES = frozenset({FailureCause.CONFIG_PROBLEM, FailureCause.HARD_LIMIT, FailureCause.UNRUNNABLE})


@dataclass(frozen=True)
class RetryDecision:
    retry: bool
    delay_s: float
    reason: str            # why, for logs and tests


class RetryPolicy:
    """Whether a failed attempt is tried again, and when: the job's own budget (its kind's
    max_retries and delay, fixed when it was queued) unless the cause is final."""

    def decide(self, job: ClaimedJob, cause: FailureCause) -> RetryDecision:
        if cause in FINAL_CAUSES:
            return RetryDecision(False, 0.0, f"{cause} is not retried")
        if job.attempts > job.max_retries:
            return RetryDecision(False, 0.0, f"attempt {job.attempts} used the last of {job.max_retries} retries")
        return RetryDecision(True, job.retry_delay_s, f"attempt {job.attempts} of {job.max_retries + 1}")


# ---------------------------------------------------------------------- time limits

TIME_LIMITS_ARG = "time_limits"   # a job's own {"soft_s": .., "hard_s": ..}, as Celery's per-call limits


@dataclass(frozen=True)
class Running:
    job: ClaimedJob
    worker: int          # the worker's number
    started: float       # clock reading when it was sent to the worker


@dataclass(frozen=True)
class HardLimitHit:
    job_id: int
    worker: int
    limit_s: float


@dataclass(frozen=True)
class TimeLimits:
    """Soft limit: the worker stops the job itself (it gets `soft_for(job)` with the job).
    Hard limit: the dispatcher kills the worker of a job running longer than `hard_for(job)`.
    A job may carry limits of its own (args["time_limits"]), within the engine's."""

    soft_s: float
    hard_s: float

    def _own(self, job: ClaimedJob, key: str, default: float) -> float:
        own = (job.args.get(TIME_LIMITS_ARG) or {}).get(key)
        return min(float(own), default) if isinstance(own, int | float) and math.isfinite(own) and own > 0 \
            else default

    def soft_for(self, job: ClaimedJob) -> float:
        return self._own(job, "soft_s", self.soft_s)

    def hard_for(self, job: ClaimedJob) -> float:
        return self._own(job, "hard_s", self.hard_s)

    def over_hard(self, running: Iterable[Running], now: float) -> list[HardLimitHit]:
        """The jobs past their hard limit, oldest first; each one's worker is to be killed."""
        hits = [(r.started, HardLimitHit(r.job.id, r.worker, self.hard_for(r.job))) for r in running
                if now - r.started > self.hard_for(r.job)]
        return [hit for _started, hit in sorted(hits, key=lambda pair: pair[0])]


# ---------------------------------------------------------------------- periodic duties

@dataclass
class Duty:
    name: str
    interval_s: Callable[[], float]     # read each time: a setting or a back-off may say it
    action: Callable[[], object]
    applies: Callable[[], bool] = lambda: True   # false: skipped (e.g. nothing runs to check on)
    last: float = -math.inf


class PeriodicDuties:
    """Named duties run in table order, each when its interval has passed since it last ran
    (and while it applies)."""

    def __init__(self, duties: Sequence[Duty], clock: Clock = MONOTONIC) -> None:
        self.duties = list(duties)
        self.clock = clock

    def run_due(self) -> list[str]:
        ran = []
        for duty in self.duties:
            now = self.clock()
            if duty.applies() and now - duty.last >= duty.interval_s():
                duty.last = now
                duty.action()
                ran.append(duty.name)
        return ran

    def next_due_in(self) -> float:
        """Seconds until the soonest duty that applies is due (0: one is due now); an idle loop
        may sleep that long."""
        now = self.clock()
        return max(0.0, min((duty.last + duty.interval_s() - now for duty in self.duties if duty.applies()),
                            default=math.inf))

    def hurry(self, name: str) -> None:
        """Make the named duty due now (something it looks at changed)."""
        for duty in self.duties:
            if duty.name == name:
                duty.last = -math.inf


@dataclass
class Backoff:
    """How long to wait before asking the queue again. An ask that got nothing (nothing
    runnable, the queue paused, no free slot) doubles the wait, from `first_s` up to
    `longest_s`, so an idle engine asks about every `longest_s`; an ask that got fewer jobs
    than it had room for waits `first_s`; one that filled every slot, or a `reset()` (work
    queued in this process, a slot freed, jobs handed back), makes the next ask immediate."""

    first_s: float
    longest_s: float
    wait_s: float = 0.0

    def got(self, claimed: int, wanted: int) -> None:
        if claimed == 0:
            self.wait_s = min(max(self.first_s, 2 * self.wait_s), self.longest_s)
        else:
            self.wait_s = self.first_s if claimed < wanted else 0.0

    def reset(self) -> None:
        self.wait_s = 0.0
