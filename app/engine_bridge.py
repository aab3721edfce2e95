"""Engine events in, the same typed event objects out as Qt signals, at most about ten bursts a second.

The dispatcher calls `emit` on its own thread. Events wait in a deque; the
first one of a burst wakes the GUI thread, which drains the deque 100 ms later
(nothing runs while no events come: an idle window does not poll). A drain
keeps only the newest progress of each article and the newest `ArticleView`
of each article, and re-emits everything else in order, each signal carrying
the engine's frozen dataclass whole (tokens, cost and error of a
`StageFinished` included).

A viewer window (another process runs the engine) feeds the `ArticleUpdated`
and `QueueSummary` values it reads from the database through `emit` too, so
the screens have one path for news whoever runs the engine.
"""

from __future__ import annotations

import threading
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from engine.events import (
    ArticleUpdated,
    ArticleView,
    Event,
    JobFinished,
    JobStarted,
    QueueSummary,
    StageFinished,
    StageProgress,
    StageStarted,
)

DRAIN_DELAY_MS = 100

__all__ = ["ArticleUpdated", "ArticleView", "EngineBridge", "JobFinished", "JobStarted", "QueueSummary",
           "StageFinished", "StageProgress", "StageStarted"]


class EngineBridge(QObject):
    job_started = Signal(object)                # JobStarted
    stage_started = Signal(object)              # StageStarted
    stage_progressed = Signal(object)           # StageProgress (the newest of each article in a burst)
    stage_finished = Signal(object)             # StageFinished (tokens, cost, error, retries)
    job_finished = Signal(object)               # JobFinished
    article_updated = Signal(object)            # ArticleView, as the single writer committed it
    queue_summary_changed = Signal(object)      # QueueSummary
    events_delivered = Signal(int)              # how many events the last burst carried
    _woken = Signal()                           # emitted on the engine's thread, received on the GUI's

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._stopped = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DRAIN_DELAY_MS)
        self._timer.timeout.connect(self.drain)
        self._woken.connect(self._schedule_drain)

    def emit(self, event: Event) -> None:
        """EventSink: called from any thread."""
        with self._lock:
            first = not self._pending
            self._pending.append(event)
        if first:
            self._woken.emit()

    def _schedule_drain(self) -> None:
        if not self._stopped and not self._timer.isActive():
            self._timer.start()

    def drain(self) -> None:
        with self._lock:
            events, self._pending = list(self._pending), deque()
        if not events:
            return
        latest_progress: dict[int, StageProgress] = {}
        latest_view: dict[int, ArticleView] = {}
        summary: QueueSummary | None = None
        for event in events:
            if isinstance(event, StageProgress):
                latest_progress[event.article_id] = event
            elif isinstance(event, ArticleUpdated):
                latest_view[event.article.id] = event.article
            elif isinstance(event, QueueSummary):
                summary = event
            elif isinstance(event, JobStarted):
                self.job_started.emit(event)
            elif isinstance(event, StageStarted):
                self.stage_started.emit(event)
            elif isinstance(event, StageFinished):
                latest_progress.pop(event.article_id, None)
                self.stage_finished.emit(event)
            elif isinstance(event, JobFinished):
                latest_progress.pop(event.article_id, None)
                self.job_finished.emit(event)
        for progress in latest_progress.values():
            self.stage_progressed.emit(progress)
        for view in latest_view.values():
            self.article_updated.emit(view)
        if summary is not None:
            self.queue_summary_changed.emit(summary)
        self.events_delivered.emit(len(events))

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()
