"""The dispatcher: claims jobs, feeds the worker pool, and is the single writer.

It runs on its own thread in the process that owns the engine (the desktop
app, `copydesk generate --wait`, `copydesk worker`). Workers never write the
database; every stage result they report is committed here, in one short
transaction per batch of events, and acknowledged back so the worker can go
on. It also enforces the limits (soft in the worker, hard here), recycles
workers, isolates jobs that crash their worker, and hands work back on
shutdown.

It is the loop only: what to decide lives in engine.execution.policies (crash
blame, retries, time limits, the table of periodic duties), every job and
article status change in engine.execution.jobs.JobManager, and after each
commit it emits ArticleUpdated for the articles that commit changed.

An idle engine is cheap (bench/README.md, idle CPU): with nothing running the
loop sleeps until its next duty (at most IDLE_WAIT_LONGEST_S) instead of every
POLL_S; an empty queue is asked again after a wait that doubles from
CLAIM_RECHECK_S to CLAIM_RECHECK_LONGEST_S, so another process's new work
starts within about that; each ask is one read (the pause flag, and whether
anything is runnable) and a claim only if both allow it; the summary
is sent after a change, otherwise every SUMMARY_IDLE_S; cancellations are
looked for only while jobs run. Work queued, revoked or resumed in this
process wakes the loop at once (`wake`, through
engine.execution.jobs.listen_for_queue_news).

If the database becomes unusable under it (the file deleted, replaced,
damaged or read-only) it kills its workers and stops without writing
anything more; `fatal` says why, in one line, for whoever started it.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from engine.events import (
    ArticleUpdated,
    EventSink,
    JobFinished,
    JobStarted,
    NullSink,
    QueueSummary,
    StageProgress,
    StageStarted,
)
from engine.execution.jobs import ClaimedJob, JobManager, article_views, listen_for_queue_news
from engine.execution.messages import (
    INTERRUPTED,
    Ack,
    CancelJob,
    ChecksFinished,
    ConfigProblem,
    RunJob,
    Shutdown,
    StageCommitted,
    WorkerReady,
    WorkerRetiring,
)
from engine.execution.policies import (
    MONOTONIC,
    Backoff,
    Clock,
    CrashBlame,
    Duty,
    FailureCause,
    PeriodicDuties,
    RetryPolicy,
    Running,
    TimeLimits,
)
from engine.execution.pool import LocalPool, WorkerHandle
from engine.execution.preparation import prepare_job
from engine.execution.queue import (
    EngineLeaseHeld,
    JobQueue,
    acquire_engine_lease,
    engine_owner_name,
    owner_is_dead,
    queue_summary,
    release_engine_lease,
)
from engine.execution.settings import EngineSettings
from engine.execution.tasks import batch_generate_articles
from engine.pipeline import outputs as out
from engine.pipeline.persist import (
    RunError,
    complete_article,
    default_provider_settings,
    latest_checkpoints,
    record_stages,
    store_scores,
)
from engine.schedules.firing import ScheduleFirer
from engine.states import IllegalTransition, JobOutcome
from engine.store.db import Database, DatabaseError
from engine.store.models import AIArticle

log = logging.getLogger("copydesk.engine")

POLL_S = 0.05                   # the loop's pace while jobs run
IDLE_WAIT_LONGEST_S = 1.0       # with nothing running it sleeps until its next duty, at most this
CANCEL_CHECK_S = 0.25
CLAIM_RECHECK_S = 0.25          # an ask that found fewer jobs than free slots: the next after this
CLAIM_RECHECK_LONGEST_S = 2.0   # asks that found nothing wait twice as long each time, up to this
SUMMARY_S = 1.0                 # the totals after a change
SUMMARY_IDLE_S = 5.0            # and without one (another process's changes reach them so)
SCHEDULE_CHECK_S = 30.0         # how often due schedules are looked for (a cron has minute resolution)
SHUTDOWN_GRACE_S = 30.0


@dataclass
class InFlight:
    job: ClaimedJob
    worker: WorkerHandle
    started: float
    article_id: int | None
    stage: str | None = None
    cancelled: bool = False
    config_problem: bool = False   # the provider refused our settings: retrying cannot help


class Dispatcher:
    def __init__(self, db: Database, settings: EngineSettings, *, sink: EventSink | None = None,
                 pricing_override: Path | None = None, log_file: Path | None = None,
                 owner: str | None = None, poll_s: float = POLL_S, clock: Clock = MONOTONIC) -> None:
        self.db = db
        self.settings = settings
        self.sink = sink or NullSink()
        self.owner = owner or engine_owner_name()
        self.poll_s = poll_s
        self.queue = JobQueue(db)
        self.pool = LocalPool(settings.workers, settings.slots, settings.max_tasks_per_child,
                              pricing_override, log_file)
        self.clock = clock
        self.inflight: dict[int, InFlight] = {}
        self.blame = CrashBlame()                 # crashes per job, and the suspects that run alone
        self.retries = RetryPolicy()
        self.limits = TimeLimits(settings.soft_time_limit_s, settings.hard_time_limit_s)
        self.waiting_solo: list[ClaimedJob] = []
        self.stopping = False
        self._stop_requested = threading.Event()
        self._graceful = True
        self._shutdown_timeout = SHUTDOWN_GRACE_S
        self._thread: threading.Thread | None = None
        self._paused = False
        self._claim_backoff = Backoff(CLAIM_RECHECK_S, CLAIM_RECHECK_LONGEST_S)
        self._summary_stale = True
        self._news = threading.Event()                    # wake() was called
        self._wake_signal: socket.socket | None = None    # written by wake(), interrupts the loop's wait
        self._wake_receiver: socket.socket | None = None
        self._wake_lock = threading.Lock()                # a send never meets the close (a reused fd)
        self._stop_listening: Callable[[], None] = lambda: None
        # What the loop does besides handling messages, in this order, each at its own pace.
        self.duties = PeriodicDuties([
            Duty("cancellations", lambda: CANCEL_CHECK_S, self._check_cancellations, applies=self._busy),
            Duty("renew leases", lambda: self.settings.lease_s / 3, self._renew_leases),
            Duty("recover expired jobs", lambda: self.settings.lease_s, self._recover),
            Duty("claim", lambda: self._claim_backoff.wait_s, self._claim_and_place),
            Duty("summary", lambda: SUMMARY_S if self._summary_stale else SUMMARY_IDLE_S, self._send_summary),
            # Due schedules (engine/schedules), each round on a thread of its own: a slow feed never stalls this loop.
            Duty("fire schedules", lambda: SCHEDULE_CHECK_S, ScheduleFirer(db, lambda: self.settings).tick),
        ], clock)
        self.worker_exits: list[int | None] = []  # exit codes of workers replaced (tests, diagnostics)
        self.fatal: str | None = None             # why the engine stopped by itself, one line
        self.took_over_from: str | None = None    # the dead or expired holder whose lease we took

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Take the engine lease (raises EngineLeaseHeld if a live dispatcher has it; a dead or
        expired one's is taken over), put orphaned jobs back, start the workers and the
        dispatch thread. Raises DatabaseError if the database is damaged."""
        self.took_over_from = acquire_engine_lease(self.db, self.owner, self.settings.lease_s)
        try:
            self.db.check_integrity()   # after the lease: a viewer retrying start() skips it
        except DatabaseError:
            release_engine_lease(self.db, self.owner)
            raise
        if self.took_over_from is not None:
            log.warning("Took over the engine lease of %s, which %s", self.took_over_from,
                        "is no longer running" if owner_is_dead(self.took_over_from) else "had expired")
        self._recover()
        self.pool.preload = self._default_providers()
        self.pool.start()
        self._wake_signal, self._wake_receiver = socket.socketpair()
        self._wake_signal.setblocking(False)
        self._wake_receiver.setblocking(False)
        self._stop_listening = listen_for_queue_news(str(self.db.engine.url), self.wake)
        self._thread = threading.Thread(target=self._run, name="copydesk-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, *, graceful: bool = True, timeout_s: float = SHUTDOWN_GRACE_S) -> None:
        """Stop claiming; gracefully, running stages finish and checkpoint, then jobs are handed
        back to the queue; otherwise workers are killed and their jobs handed back at once."""
        self._graceful = graceful
        self._shutdown_timeout = timeout_s
        self._stop_requested.set()
        self._interrupt()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s + 15)

    def wake(self) -> None:
        """Jobs were queued or revoked, or the queue resumed, in this process: look at the queue
        now rather than at the next poll. Thread-safe and quick (any thread may commit)."""
        self._news.set()
        self._interrupt()

    def _interrupt(self) -> None:
        with self._wake_lock:
            if self._wake_signal is not None:
                try:
                    self._wake_signal.send(b"\0")
                except BlockingIOError:   # the buffer is full: a wake-up already waits
                    pass

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_for(self, done: Callable[[], bool], timeout_s: float | None = None, check_s: float = 0.25) -> bool:
        """Block the calling thread until `done()` (checked every `check_s`) or the timeout."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while not done():
            if not self.running:
                return done()
            if deadline is not None and time.monotonic() > deadline:
                return False
            time.sleep(check_s)
        return True

    def _run(self) -> None:
        try:
            self._run_until_stopped()
        finally:
            self._stop_listening()
            with self._wake_lock:
                for end in (self._wake_signal, self._wake_receiver):
                    if end is not None:
                        end.close()
                self._wake_signal = self._wake_receiver = None

    def _run_until_stopped(self) -> None:
        try:
            while not self._stop_requested.is_set():
                self._tick()
            self._shutdown()
        except DatabaseError as error:
            # Deleted, replaced, damaged or read-only: nothing more can be saved, so nothing more
            # is written; the workers are killed, the stages they were running are lost.
            self.fatal = str(error)
            log.error("The engine stopped: %s", error)
            self._abandon()
            return
        except EngineLeaseHeld as held:
            # We stalled past our lease and another engine took over: it owns the jobs now.
            self.fatal = f"another engine took over this database ({held}); stopped"
            log.error("The engine stopped: %s", self.fatal)
            self._abandon()
            return
        except Exception as error:  # the engine thread must say why it died; the jobs' leases then expire
            log.exception("The dispatcher stopped on an unexpected error")
            self.fatal = f"the engine stopped on an unexpected error: {type(error).__name__}: {error}"
            self._kill_everything()
        try:
            release_engine_lease(self.db, self.owner)
        except DatabaseError as error:
            self.fatal = self.fatal or str(error)

    def _default_providers(self) -> tuple[str, ...]:
        """The default profile's provider (environment overrides applied): most jobs use it."""
        with self.db.read() as session:
            defaults = default_provider_settings(session)
        return (defaults[1].provider,) if defaults is not None else ()

    def _recover(self) -> None:
        recovered = self.queue.recover_expired() + self.queue.recover_orphans(self.owner)
        with self._transaction() as jobs:
            jobs.requeue_waiting_articles()
        if recovered:
            log.info("Put %d job(s) with expired leases back in the queue", len(recovered))

    @contextmanager
    def _transaction(self) -> Iterator[JobManager]:
        """One write transaction through the state owner; once it has committed, an
        ArticleUpdated for every article it changed."""
        with self.db.write() as session:
            jobs = JobManager(session, self.owner)
            yield jobs
            views = jobs.views()
        self._summary_stale = True
        for view in views:
            self.sink.emit(ArticleUpdated(view))

    # ------------------------------------------------------------------ the loop

    def _tick(self) -> None:
        self.db.ensure_same_file()
        wait_s = self.poll_s if self._busy() else min(self.duties.next_due_in(), IDLE_WAIT_LONGEST_S)
        self._process(self._receive(wait_s))
        if self._news.is_set():
            self._news.clear()
            self._news_arrived()
        self._check_workers()
        self._enforce_hard_limit(self.clock())
        self.duties.run_due()

    def _busy(self) -> bool:
        return bool(self.inflight or self.waiting_solo)

    def _news_arrived(self) -> None:
        """This process queued or revoked jobs, or paused or resumed the queue."""
        self._claim_backoff.reset()
        self._summary_stale = True
        self.duties.hurry("cancellations")

    def _claim_and_place(self) -> None:
        if self.stopping:
            return
        # The pause flag is read at the pace of the asks (a queue resumed here is asked at once),
        # in the read that tells whether a claim, a write transaction, would get anything.
        paused, runnable = self.queue.look()
        if paused != self._paused:
            self._paused, self._summary_stale = paused, True
        if paused:
            self._claim_backoff.got(0, 1)
            return
        self._place_suspects()
        if runnable:
            self._claim()
        else:
            self._claim_backoff.got(0, 1)

    def _send_summary(self) -> None:
        self._summary_stale = False
        self.sink.emit(self.summary())

    def _receive(self, timeout_s: float) -> list[tuple[WorkerHandle, Any]]:
        connections: dict[Any, WorkerHandle] = dict(self.pool.connections())
        ready = wait([*connections, self._wake_receiver] if self._wake_receiver is not None else list(connections),
                     timeout=timeout_s)
        messages = []
        for connection in ready:
            if connection is self._wake_receiver:
                self._drain_wake_ups()
                continue
            worker = connections[connection]
            try:
                while connection.poll():  # type: ignore[union-attr]
                    messages.append((worker, connection.recv()))  # type: ignore[union-attr]
            except (EOFError, OSError):
                worker.lost = True
        return messages

    def _drain_wake_ups(self) -> None:
        assert self._wake_receiver is not None
        try:
            while self._wake_receiver.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _process(self, messages: list[tuple[WorkerHandle, Any]]) -> None:
        """Commit every reported stage in one transaction, acknowledge them, then handle the
        messages in the order they were sent (a job's stages are durable before its end is)."""
        commits = [(w, m) for w, m in messages if isinstance(m, StageCommitted)]
        committed = self._commit_stages(commits) if commits else set()
        for worker, message in messages:
            if isinstance(message, StageCommitted):
                if id(message) in committed:
                    self.sink.emit(message.event)
            else:
                self._handle(worker, message)

    def _handle(self, worker: WorkerHandle, message: Any) -> None:
        if isinstance(message, WorkerReady):
            worker.ready = True
            self._claim_backoff.reset()     # room for jobs
        elif isinstance(message, WorkerRetiring):
            worker.retiring = True
        elif isinstance(message, (StageStarted, StageProgress, JobStarted)):
            flight = self._flight_of(message)
            if flight is not None and not flight.cancelled:
                if isinstance(message, StageStarted):
                    flight.stage = message.stage
                self.sink.emit(message)
        elif isinstance(message, JobFinished):
            self._job_finished(message)
        elif isinstance(message, ChecksFinished):
            self._checks_finished(message)
        elif isinstance(message, ConfigProblem):
            flight = self.inflight.get(message.job_id)
            if flight is not None:
                flight.config_problem = True

    def _flight_of(self, message: Any) -> InFlight | None:
        job_id = getattr(message, "job_id", None)
        if job_id is not None:
            return self.inflight.get(job_id)
        return next((f for f in self.inflight.values() if f.article_id == message.article_id), None)

    # ------------------------------------------------------------------ the single writer

    def _commit_stages(self, commits: list[tuple[WorkerHandle, StageCommitted]]) -> set[int]:
        """Record the stages of live jobs (a cancelled job's are dropped) and acknowledge all."""
        kept = [c for _w, c in commits if (f := self.inflight.get(c.job_id)) is not None and not f.cancelled]
        if kept:
            with self._transaction() as jobs:
                record_stages(jobs, [commit.event for commit in kept])
        for worker, commit in commits:
            worker.send(Ack(commit.job_id, commit.event.stage, commit.event.attempt))
        return {id(c) for c in kept}

    def _landed(self, job_id: int) -> InFlight | None:
        """A job's worker reported its end: forget it everywhere (None if already forgotten)."""
        flight = self.inflight.pop(job_id, None)
        if flight is not None:
            flight.worker.jobs.discard(job_id)
            flight.worker.solo = False
            self.blame.forget(job_id)
            self._claim_backoff.reset()     # a slot is free
            self._summary_stale = True
        return flight

    def _job_finished(self, message: JobFinished) -> None:
        flight = self._landed(message.job_id)
        if flight is None:
            return
        job = flight.job
        if flight.cancelled or message.status == JobOutcome.CANCELLED:
            self.sink.emit(dataclasses.replace(message, status=JobOutcome.CANCELLED))
            return
        if message.status == INTERRUPTED:
            self._hand_back([job])
            return
        if message.status == JobOutcome.COMPLETED:
            with self._transaction() as jobs:
                # Cancelled since the last check: the job stays REVOKED and the article cancelled.
                finished = jobs.succeed(job.id, {"article_id": message.article_id, "status": JobOutcome.COMPLETED})
                if finished:
                    checkpoints, _ = latest_checkpoints(jobs.session, message.article_id)
                    complete_article(jobs, message.article_id, checkpoints)
            self.sink.emit(message if finished else dataclasses.replace(message, status=JobOutcome.CANCELLED))
            return
        cause = FailureCause.CONFIG_PROBLEM if flight.config_problem else FailureCause.STAGE_FAILED
        self._failed(job, message.error or "failed", cause, message.failed_stage)

    def _failed(self, job: ClaimedJob, error: str, cause: FailureCause, failed_stage: str | None = None) -> None:
        """A failed attempt: retried after its delay while the policy allows, else FAILURE."""
        decision = self.retries.decide(job, cause)
        with self._transaction() as jobs:
            if decision.retry:
                # Cancelled (or taken over) meanwhile: theirs to decide.
                status = JobOutcome.RETRYING if jobs.retry(job, error, decision.delay_s) else JobOutcome.CANCELLED
                self._claim_backoff.reset()
            else:
                status = JobOutcome.FAILED if jobs.fail(job, error) else JobOutcome.CANCELLED
        self.sink.emit(JobFinished(job.id, job.article_id or 0, status, error, failed_stage))

    def _checks_finished(self, message: ChecksFinished) -> None:
        flight = self._landed(message.job_id)
        if flight is None or flight.cancelled:
            return
        with self._transaction() as jobs:
            # Revoked since the last check: the scores are not stored, the job stays REVOKED.
            finished = jobs.still_ours(message.job_id)
            if finished and message.output is not None:
                article = jobs.session.get(AIArticle, message.article_id)
                assert article is not None
                store_scores(jobs.session, article, out.Finalization.model_validate(message.output))
                jobs.note(article.id)
                jobs.succeed(message.job_id, {"article_id": message.article_id,
                                              "overall_quality_score": article.overall_quality_score,
                                              "quality_passed": article.quality_passed})
            elif finished:
                jobs.fail(flight.job, message.error or "failed")
        status = ((JobOutcome.COMPLETED if message.output is not None else JobOutcome.FAILED) if finished
                  else JobOutcome.CANCELLED)
        self.sink.emit(JobFinished(message.job_id, message.article_id, status, message.error))

    def _hand_back(self, jobs: list[ClaimedJob], *, count_attempt: bool = False) -> None:
        """Return jobs to PENDING (their articles resume from the last checkpoint)."""
        if jobs:
            with self._transaction() as manager:
                manager.release([j.id for j in jobs], count_attempt=count_attempt, owner=self.owner)
            self._claim_backoff.reset()

    # ------------------------------------------------------------------ claiming and placing

    def _capacity(self) -> list[WorkerHandle]:
        return [w for w in self.pool.workers.values()
                if w.ready and not w.retiring and not w.solo and not w.lost and w.process.is_alive()]

    def _claim(self) -> None:
        workers = self._capacity()
        free = sum(max(0, self.settings.slots - len(w.jobs)) for w in workers)
        if free <= 0:
            self._claim_backoff.got(0, 1)    # asked again when a slot frees (reset), or after the wait
            return
        claimed = self.queue.claim(self.owner, free, self.settings.lease_s)
        self._claim_backoff.got(len(claimed), free)
        if claimed:
            self._summary_stale = True
        for job in claimed:
            if self.blame.runs_alone(job.id):
                self.waiting_solo.append(job)
                continue
            target = min(self._capacity(), key=lambda w: len(w.jobs), default=None)
            if target is None or len(target.jobs) >= self.settings.slots:
                self._hand_back([job])
                continue
            self._dispatch(job, target)
            # Preparing a job takes a few milliseconds; running jobs' stages waiting for their
            # acknowledgement are committed in between, not after the whole claim.
            self._process(self._receive(0))

    def _place_suspects(self) -> None:
        """A job that was on a crashed worker runs alone, so a second crash is surely its own."""
        while self.waiting_solo:
            idle = next((w for w in self._capacity() if not w.jobs), None)
            if idle is None:
                return
            job = self.waiting_solo.pop(0)
            idle.solo = True
            self._dispatch(job, idle)

    def _dispatch(self, job: ClaimedJob, worker: WorkerHandle) -> None:
        try:
            if job.kind == "batch_generate_articles":
                self._run_batch(job)
                return
            message = self._prepare(job)
        except (RunError, IllegalTransition) as error:
            self._failed(job, str(error), FailureCause.UNRUNNABLE)
            return
        if not worker.send(message):
            self._hand_back([job])
            return
        worker.jobs.add(job.id)
        self.inflight[job.id] = InFlight(job, worker, self.clock(), job.article_id)

    def _prepare(self, job: ClaimedJob) -> RunJob:
        with self._transaction() as jobs:
            return prepare_job(jobs, job, self.limits.soft_for(job), self.settings.workers)

    def _run_batch(self, job: ClaimedJob) -> None:
        result = batch_generate_articles(self.db, job.args.get("keyword_ids", []), self.settings,
                                         batch_id=job.batch_id, overrides=job.args.get("overrides"))
        with self._transaction() as jobs:
            jobs.succeed(job.id, result.to_dict())
            for article_id in result.article_ids:   # new in the queue: their readers should see them
                jobs.note(article_id)

    # ------------------------------------------------------------------ watching

    def _check_workers(self) -> None:
        for worker in list(self.pool.workers.values()):
            if worker.process.is_alive() and not worker.lost:
                continue
            worker.process.join(timeout=1)
            jobs = self._replace(worker)     # its pipe may have broken while it lives on: ended
            if not (worker.retiring and worker.process.exitcode == 0):
                log.warning("Worker %s (pid %s) exited with code %s holding %d job(s)", worker.number,
                            worker.pid, worker.process.exitcode, len(jobs))
                verdict = self.blame.after_crash([job.id for job in jobs])
                if verdict.blamed is not None:
                    reason = f"the worker process crashed (exit code {worker.process.exitcode}) while running it"
                    self._failed(jobs[0], reason, FailureCause.WORKER_CRASHED)
                self._hand_back([job for job in jobs if job.id in verdict.handed_back])

    def _enforce_hard_limit(self, now: float) -> None:
        running = [Running(f.job, f.worker.number, f.started) for f in self.inflight.values()]
        for hit in self.limits.over_hard(running, now):
            flight = self.inflight.get(hit.job_id)
            if flight is None or not flight.worker.process.is_alive():   # its worker died with an earlier one
                continue
            log.warning("Job %s passed the hard time limit; killing worker %s", hit.job_id, flight.worker.number)
            others = [job for job in self._replace(flight.worker) if job.id != hit.job_id]
            self._failed(flight.job, f"hard time limit exceeded ({hit.limit_s / 60:g} min); the worker was replaced",
                         FailureCause.HARD_LIMIT)
            self._hand_back(others)

    def _replace(self, worker: WorkerHandle) -> list[ClaimedJob]:
        """End a worker (killed if it still runs), start another, and return the jobs it held."""
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(timeout=5)
        self.worker_exits.append(worker.process.exitcode)
        jobs = [self.inflight.pop(j).job for j in list(worker.jobs) if j in self.inflight]
        self.pool.remove(worker)
        if not self.stopping:
            self.pool.spawn()
        return jobs

    def _check_cancellations(self) -> None:
        noticed = []
        for job_id in self.queue.revoked_among(list(self.inflight)):
            flight = self.inflight[job_id]
            if not flight.cancelled:
                flight.cancelled = True
                flight.worker.send(CancelJob(job_id))
                if flight.article_id is not None:
                    noticed.append(flight.article_id)
        if noticed:   # the editor's cancel was committed by another process: say what it left
            with self.db.read() as session:
                views = article_views(session, noticed)
            for view in views:
                self.sink.emit(ArticleUpdated(view))
        revoked = set(self.queue.revoked_among([j.id for j in self.waiting_solo]))
        self.waiting_solo = [j for j in self.waiting_solo if j.id not in revoked]

    def _renew_leases(self) -> None:
        acquire_engine_lease(self.db, self.owner, self.settings.lease_s)
        self.queue.renew(self.owner, list(self.inflight) + [j.id for j in self.waiting_solo], self.settings.lease_s)

    def summary(self) -> QueueSummary:
        return queue_summary(self.db, running=len(self.inflight), paused=self._paused)

    # ------------------------------------------------------------------ stopping

    def _shutdown(self) -> None:
        self.stopping = True
        self._hand_back(self.waiting_solo)
        self.waiting_solo = []
        if not self._graceful:
            self._kill_everything()
            return
        for worker in self.pool.workers.values():
            worker.send(Shutdown())
        deadline = time.monotonic() + self._shutdown_timeout
        while self.inflight and time.monotonic() < deadline and self._graceful:  # stop(graceful=False) ends it
            self._tick_draining()
        self._kill_everything()

    def _tick_draining(self) -> None:
        self._process(self._receive(self.poll_s))
        for worker in list(self.pool.workers.values()):
            if not worker.process.is_alive():
                self._hand_back([self.inflight.pop(j).job for j in list(worker.jobs) if j in self.inflight])
                self.pool.remove(worker)

    def _abandon(self) -> None:
        """Stop at once without touching the database: kill the workers, forget their jobs
        (their leases run out; nothing is written to a database that is gone)."""
        self.stopping = True
        self.inflight.clear()
        self.waiting_solo = []
        for worker in list(self.pool.workers.values()):
            self.pool.remove(worker, kill=True)

    def _kill_everything(self) -> None:
        self._hand_back([f.job for f in self.inflight.values() if not f.cancelled])
        self.inflight.clear()
        for worker in list(self.pool.workers.values()):
            worker.send(Shutdown())
        self.pool.stop(timeout_s=2.0)
