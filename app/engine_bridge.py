"""Engine events in, typed Qt signals out, at most about ten bursts a second.

The dispatcher calls `emit` on its own thread. Events wait in a deque; a timer
on the GUI thread drains it every 100 ms, keeps only the newest progress of
each article, and re-emits everything else in order as past-tense signals.
"""

from __future__ import annotations

import threading
from collections import deque

from PySide6.QtCore import QObject, QTimer, Signal

from engine.events import (
    Event,
    JobFinished,
    JobStarted,
    QueueSummary,
    StageFinished,
    StageProgress,
    StageStarted,
)

DRAIN_INTERVAL_MS = 100


class EngineBridge(QObject):
    job_started = Signal(int, str)                 # article id, keyword
    stage_started = Signal(int, int, str)          # article id, stage index, stage name
    stage_progressed = Signal(int, float, str)     # article id, overall fraction, message
    stage_finished = Signal(int, int, str, str)    # article id, stage index, stage name, status
    job_finished = Signal(int, str, str)           # article id, status, error ("" if none)
    queue_summary_changed = Signal(object)         # QueueSummary
    events_delivered = Signal(int)                 # how many events the last burst carried

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: deque[Event] = deque()
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self.drain)
        self._timer.start()

    def emit(self, event: Event) -> None:
        """EventSink: called from any thread."""
        with self._lock:
            self._pending.append(event)

    def drain(self) -> None:
        with self._lock:
            events, self._pending = list(self._pending), deque()
        if not events:
            return
        latest_progress: dict[int, StageProgress] = {}
        summary: QueueSummary | None = None
        for event in events:
            if isinstance(event, StageProgress):
                latest_progress[event.article_id] = event
            elif isinstance(event, QueueSummary):
                summary = event
            elif isinstance(event, JobStarted):
                self.job_started.emit(event.article_id, event.keyword)
            elif isinstance(event, StageStarted):
                self.stage_started.emit(event.article_id, event.index, event.stage)
            elif isinstance(event, StageFinished):
                latest_progress.pop(event.article_id, None)
                self.stage_finished.emit(event.article_id, event.index, event.stage, event.status)
            elif isinstance(event, JobFinished):
                latest_progress.pop(event.article_id, None)
                self.job_finished.emit(event.article_id, event.status, event.error or "")
        for progress in latest_progress.values():
            self.stage_progressed.emit(progress.article_id, progress.fraction, progress.message)
        if summary is not None:
            self.queue_summary_changed.emit(summary)
        self.events_delivered.emit(len(events))

    def stop(self) -> None:
        self._timer.stop()
