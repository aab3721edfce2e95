"""Running the local engine from the command line until some work is done."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, select

from app.cli import CommandError, error_console
from app.context import AppContext
from engine.events import EventSink
from engine.execution.dispatcher import Dispatcher
from engine.execution.queue import EngineLeaseHeld
from engine.execution.settings import EngineSettings
from engine.store.db import DatabaseError
from engine.store.models import Job

FINISHED = ("SUCCESS", "FAILURE", "REVOKED")
# How often a process watching another engine tries to take it over (one short write).
VIEWER_RETRY_S = 1.0


def batch_done(context: AppContext, batch_id: str) -> Callable[[], bool]:
    def done() -> bool:
        with context.db.read() as session:
            open_jobs = session.scalar(select(func.count()).where(Job.batch_id == batch_id,
                                                                  Job.status.not_in(FINISHED)))
        return open_jobs == 0
    return done


def jobs_done(context: AppContext, job_ids: list[int]) -> Callable[[], bool]:
    def done() -> bool:
        with context.db.read() as session:
            open_jobs = session.scalar(select(func.count()).where(Job.id.in_(job_ids), Job.status.not_in(FINISHED)))
        return open_jobs == 0
    return done


def queue_idle(context: AppContext) -> Callable[[], bool]:
    def done() -> bool:
        with context.db.read() as session:
            return session.scalar(select(func.count()).where(Job.status.in_(("PENDING", "STARTED")))) == 0
    return done


def run_engine_until(context: AppContext, settings: EngineSettings, done: Callable[[], bool],
                     sink: EventSink) -> None:
    """Start the engine and run it until `done()`.

    If another live process runs the engine on this database, say so and watch the database,
    trying every VIEWER_RETRY_S to take the engine over: when that process ends (its batch
    done, or killed), this one runs what is left. The first Ctrl+C stops gracefully (running
    stages checkpoint; the rest resumes next time), a second one at once. A database that
    becomes unusable, or an engine that stops by itself, is a CommandError naming why."""
    dispatcher = Dispatcher(context.db, settings, sink=sink, pricing_override=context.home.pricing_override,
                            log_file=context.home.log_file)
    try:
        if not _start_or_watch(dispatcher, done):
            return
    except DatabaseError as error:
        raise CommandError(str(error)) from None
    try:
        dispatcher.wait_for(done)
    except KeyboardInterrupt:
        error_console().print("copydesk: stopping; running stages will checkpoint and resume next time "
                              "(Ctrl+C again to stop at once)", markup=False)
        try:
            dispatcher.stop(graceful=True)
        except KeyboardInterrupt:
            error_console().print("copydesk: stopping now; the stages in flight will run again", markup=False)
            dispatcher.stop(graceful=False, timeout_s=0)
        raise
    except DatabaseError as error:   # noticed by `done()` before the engine thread did
        dispatcher.stop(graceful=True)
        raise CommandError(dispatcher.fatal or str(error)) from None
    except BaseException:
        dispatcher.stop(graceful=True)
        raise
    dispatcher.stop(graceful=True)
    if dispatcher.fatal is not None:
        raise CommandError(dispatcher.fatal)


def _start_or_watch(dispatcher: Dispatcher, done: Callable[[], bool]) -> bool:
    """Start `dispatcher`, or watch until it can start (True) or `done()` holds first (False)."""
    try:
        dispatcher.start()
    except EngineLeaseHeld as held:
        error_console().print(f"copydesk: {held}", markup=False)
    else:
        _say_if_taken_over(dispatcher)
        return True
    while not done():
        time.sleep(VIEWER_RETRY_S)
        try:
            dispatcher.start()
        except EngineLeaseHeld:
            continue
        error_console().print("copydesk: the other engine stopped; this process runs the engine now",
                              markup=False)
        return True
    return False


def _say_if_taken_over(dispatcher: Dispatcher) -> None:
    if dispatcher.took_over_from is not None:
        error_console().print("copydesk: the previous engine on this database is no longer running; "
                              "taking over its work", markup=False)
