"""A worker process: one asyncio loop running several jobs at once.

It never opens the database. Jobs arrive with the checkpoints they need;
every finished stage goes back to the dispatcher as an event and the worker
waits for the dispatcher's acknowledgement (the checkpoint is committed)
before that job's next stage starts. Other jobs keep running meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from engine.events import JobFinished, JobStarted, StageFinished
from engine.execution.messages import (
    INTERRUPTED,
    Ack,
    CancelJob,
    CheckRequest,
    ChecksFinished,
    ConfigProblem,
    RunJob,
    Shutdown,
    StageCommitted,
    WorkerReady,
    WorkerRetiring,
)
from engine.logs import attach_worker_log
from engine.pipeline.checks import check_provider_settings, checker_of, run_checks
from engine.pipeline.orchestrator import run_pipeline
from engine.providers import make_provider
from engine.providers import preload as preload_provider
from engine.providers.base import (
    LLMRequest,
    LLMResult,
    Provider,
    ProviderConfigError,
    ProviderError,
    RetryCallback,
)
from engine.providers.pricing import PricingTable, load_pricing
from engine.providers.settings import ProviderSettings
from engine.states import JobOutcome

log = logging.getLogger("copydesk.worker")

# How often a worker checks that its dispatcher is still alive.
_PARENT_CHECK_S = 0.5


class _Channel:
    """The worker's end of its pipe: sends are serialised, receives happen on a reader thread."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.lock = threading.Lock()

    def send(self, message: Any) -> None:
        with self.lock:
            self.connection.send(message)


class _PipeSink:
    """Forwards progress events; a lost dispatcher is noticed by the parent check, not here."""

    def __init__(self, channel: _Channel) -> None:
        self.channel = channel

    def emit(self, event: Any) -> None:
        self.channel.send(event)


class _AckedWriter:
    """A CheckpointWriter whose durability comes from the dispatcher's acknowledgement."""

    def __init__(self, worker: Worker, job_id: int) -> None:
        self.worker, self.job_id = worker, job_id

    async def stage_finished(self, event: StageFinished) -> None:
        key = (self.job_id, event.stage, event.attempt)
        future = asyncio.get_running_loop().create_future()
        self.worker.acks[key] = future
        self.worker.channel.send(StageCommitted(self.job_id, event))
        try:
            await future
        finally:
            self.worker.acks.pop(key, None)


class _JobProvider(Provider):
    """The worker's shared client, seen by one job: it notes when the provider refuses our
    settings (a ProviderConfigError inside a stage), which the stage itself reports only as text."""

    def __init__(self, shared: Provider) -> None:
        self.shared = shared
        self.name = shared.name
        self.refused = False

    async def complete(self, request: LLMRequest, on_retry: RetryCallback | None = None) -> LLMResult:
        try:
            return await self.shared.complete(request, on_retry)
        except ProviderConfigError:
            self.refused = True
            raise

    async def check_connection(self) -> str:
        return await self.shared.check_connection()

    def __getattr__(self, name: str) -> Any:   # settings, model and the like
        return getattr(self.shared, name)


class Worker:
    def __init__(self, connection: Connection, slots: int, max_tasks: int, pricing_override: Path | None) -> None:
        self.channel = _Channel(connection)
        self.slots = slots
        self.max_tasks = max_tasks
        self.pricing: PricingTable = load_pricing(pricing_override)
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.cancelled: set[int] = set()
        self.acks: dict[tuple[int, str, int], asyncio.Future[None]] = {}
        self.providers: dict[ProviderSettings, Provider | None] = {}
        self.finished = 0
        self.draining = False
        self.retiring = False
        self.done = asyncio.Event()
        self.parent = os.getppid()

    # ------------------------------------------------------------------ plumbing

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        reader = threading.Thread(target=self._read, args=(loop,), name="worker-inbox", daemon=True)
        reader.start()
        self.channel.send(WorkerReady(os.getpid()))
        watchdog = asyncio.create_task(self._watch_parent())
        await self.done.wait()
        watchdog.cancel()
        for provider in self.providers.values():
            if provider is not None:
                await provider.aclose()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            try:
                message = self.channel.connection.recv()
            except (EOFError, OSError):
                loop.call_soon_threadsafe(self._lost_dispatcher)
                return
            loop.call_soon_threadsafe(self._handle, message)

    async def _watch_parent(self) -> None:
        # A dispatcher killed with -9 cannot say goodbye; its orphans must not linger.
        while True:
            await asyncio.sleep(_PARENT_CHECK_S)
            if os.getppid() != self.parent:
                self._lost_dispatcher()
                return

    def _lost_dispatcher(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        self.done.set()

    def _handle(self, message: Any) -> None:
        if isinstance(message, RunJob):
            self.tasks[message.job_id] = asyncio.create_task(self._run_job(message))
        elif isinstance(message, Ack):
            future = self.acks.get((message.job_id, message.stage, message.attempt))
            if future is not None and not future.done():
                future.set_result(None)
        elif isinstance(message, CancelJob):
            task = self.tasks.get(message.job_id)
            if task is not None:
                self.cancelled.add(message.job_id)
                task.cancel()
        elif isinstance(message, Shutdown):
            self.draining = True
            self._maybe_exit()

    def _maybe_exit(self) -> None:
        if (self.draining or self.retiring) and not self.tasks:
            self.done.set()

    def _provider(self, settings: ProviderSettings | None) -> Provider | None:
        # One client per settings for the worker's life: connection pools and limiters are shared
        # by every job in flight here.
        if settings is None:
            return None
        if settings not in self.providers:
            self.providers[settings] = make_provider(settings)
        return self.providers[settings]

    # ------------------------------------------------------------------ jobs

    async def _run_job(self, job: RunJob) -> None:
        try:
            try:
                async with asyncio.timeout(job.soft_limit_s):
                    message = await self._execute(job)
            except TimeoutError:
                minutes = job.soft_limit_s / 60
                message = self._failed(job, f"soft time limit exceeded ({minutes:g} min); the job was stopped")
            except asyncio.CancelledError:
                message = None if job.job_id not in self.cancelled else self._finished(job, JobOutcome.CANCELLED, None)
            except ProviderError as error:
                if isinstance(error, ProviderConfigError):
                    self.channel.send(ConfigProblem(job.job_id))
                message = self._failed(job, str(error))
            except Exception as error:  # reported to the dispatcher with its traceback, never swallowed
                log.error("Job %s crashed:\n%s", job.job_id, traceback.format_exc())
                message = self._failed(job, f"{type(error).__name__}: {error}")
            if message is not None:
                self.channel.send(message)
        finally:
            self.tasks.pop(job.job_id, None)
            self.cancelled.discard(job.job_id)
            self.finished += 1
            if self.finished >= self.max_tasks and not self.retiring:
                self.retiring = True
                self.channel.send(WorkerRetiring(self.finished))
            self._maybe_exit()

    async def _execute(self, job: RunJob) -> Any:
        if job.check is not None:
            return await self._execute_checks(job, job.check)
        request = job.run
        assert request is not None
        self.channel.send(JobStarted(job.job_id, request.brief.article_id, request.brief.keyword,
                                     request.start_index))
        settings = request.provider_settings
        shared = self._provider(settings)
        provider = _JobProvider(shared) if shared is not None else None
        outcome = await run_pipeline(
            request, provider, _AckedWriter(self, job.job_id), sink=_PipeSink(self.channel),
            pricing=self.pricing, is_cancelled=lambda: job.job_id in self.cancelled,
            should_stop=lambda: self.draining,
            local_model=bool(settings and settings.is_local()),
            checker_provider=self._provider(request.checker_settings.provider) if request.checker_settings else None,
        )
        status = outcome.status
        if status == JobOutcome.CANCELLED and job.job_id not in self.cancelled:
            status = INTERRUPTED   # stopped by shutdown after a checkpoint: hand it back
        if status == JobOutcome.FAILED and provider is not None and provider.refused:
            self.channel.send(ConfigProblem(job.job_id))
        return JobFinished(job.job_id, request.brief.article_id, status, outcome.error, outcome.failed_stage)

    async def _execute_checks(self, job: RunJob, check: CheckRequest) -> ChecksFinished:
        checker = checker_of(check, self._provider(check_provider_settings(check)))
        output = await run_checks(check.profile, check.body, list(check.sources), list(check.stakeholders), checker)
        return ChecksFinished(job.job_id, check.article_id, output.model_dump(mode="json"))

    def _failed(self, job: RunJob, error: str) -> Any:
        return self._finished(job, JobOutcome.FAILED, error)

    def _finished(self, job: RunJob, status: str, error: str | None) -> Any:
        if job.check is not None:
            return ChecksFinished(job.job_id, job.check.article_id, None, error or status)
        assert job.run is not None
        return JobFinished(job.job_id, job.run.brief.article_id, status, error)


def worker_main(connection: Connection, slots: int, max_tasks: int, pricing_override: str | None,
                log_file: str | None, preload: tuple[str, ...] = ()) -> None:
    """Entry point of a spawned worker process. It imports the SDKs of `preload` before it
    says it is ready, so the first jobs do not wait a second or more for them."""
    # Ctrl+C in a terminal reaches the whole process group; the dispatcher decides how its
    # workers stop (Shutdown, or a kill), so a worker never dies of it with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if log_file:
        attach_worker_log(log_file)
    started = time.monotonic()
    for provider in preload:
        preload_provider(provider)
    worker = Worker(connection, slots, max_tasks, Path(pricing_override) if pricing_override else None)
    log.info("Worker %s ready in %.2f s", os.getpid(), time.monotonic() - started)
    asyncio.run(worker.run())
