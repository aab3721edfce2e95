"""Running the local engine from the command line until some work is done."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, select

from app.cli import error_console
from app.context import AppContext
from engine.events import EventSink
from engine.execution.dispatcher import Dispatcher
from engine.execution.queue import EngineLeaseHeld
from engine.execution.settings import EngineSettings
from engine.store.models import Job

FINISHED = ("SUCCESS", "FAILURE", "REVOKED")


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
    """Start the engine and run it until `done()`; if another process already runs the engine on
    this database, say so and watch the database instead. Ctrl+C stops gracefully: running stages
    checkpoint, and the rest of the work resumes next time."""
    dispatcher = Dispatcher(context.db, settings, sink=sink, pricing_override=context.home.pricing_override,
                            log_file=context.home.log_file)
    try:
        dispatcher.start()
    except EngineLeaseHeld as held:
        error_console().print(f"copydesk: {held}", markup=False)
        while not done():
            time.sleep(0.5)
        return
    try:
        dispatcher.wait_for(done)
    except KeyboardInterrupt:
        error_console().print("copydesk: stopping; running stages will checkpoint and resume next time",
                              markup=False)
        raise
    finally:
        dispatcher.stop(graceful=True)
