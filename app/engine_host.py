"""The engine inside the desktop app: started when the window opens, stopped when it closes.

If another process already runs the engine on this database (a second window,
`copydesk worker`), this one attaches as a viewer: it shows the queue from the
database and leaves the work to the owner, and every VIEWER_POLL_MS it tries
to take the engine over, so that when the owner ends (closed, or killed) this
window runs what is left. A holder on this host that is no longer running is
taken over at once, at start or at the next poll.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from engine.execution.queue import EngineLeaseHeld, queue_summary
from engine.execution.settings import EngineSettings, load_engine_settings

if TYPE_CHECKING:
    from engine.execution.dispatcher import Dispatcher

log = logging.getLogger("copydesk.app")

VIEWER_POLL_MS = 1000
CLOSE_GRACE_S = 5.0


class EngineHost(QObject):
    started = Signal(str)            # "engine" or "viewer: <who runs it>"
    stopped = Signal()

    def __init__(self, context: AppContext, ops: BackgroundOps, bridge: EngineBridge,
                 settings: EngineSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context, self.ops, self.bridge = context, ops, bridge
        self.settings = settings
        self.dispatcher: Dispatcher | None = None  # set on the background thread by start()
        self.viewer_of: str | None = None
        self._viewer_timer = QTimer(self)
        self._viewer_timer.setInterval(VIEWER_POLL_MS)
        self._viewer_timer.timeout.connect(self._poll_as_viewer)
        self._lock = threading.Lock()
        self._closed = False
        self._taking_over = False   # a takeover attempt is running in the background

    @property
    def is_engine(self) -> bool:
        return self.dispatcher is not None

    def start(self) -> None:
        """Start the dispatcher and its workers off the GUI thread (migrating leases, spawning)."""
        self.ops.run(self._start_blocking, success=self._on_started)

    def _start_blocking(self) -> str:
        # Imported here, on the background thread, once the window is up: the dispatcher brings
        # in the whole pipeline, half a second the first paint need not wait for.
        from engine.execution.dispatcher import Dispatcher

        settings = self.settings or load_engine_settings(self.context.db)
        dispatcher = Dispatcher(self.context.db, settings, sink=self.bridge,
                                pricing_override=self.context.home.pricing_override,
                                log_file=self.context.home.log_file)
        try:
            dispatcher.start()
        except EngineLeaseHeld as held:
            return f"viewer: {held}"
        with self._lock:
            closed = self._closed
            if not closed:
                self.dispatcher = dispatcher
        if closed:   # the window closed while this start was under way
            dispatcher.stop(graceful=True, timeout_s=CLOSE_GRACE_S)
            return "closed"
        if dispatcher.took_over_from is not None:
            log.info("Took over the engine from %s", dispatcher.took_over_from)
        return "engine"

    def _on_started(self, mode: str) -> None:
        if mode.startswith("viewer"):
            self.viewer_of = mode.removeprefix("viewer: ")
            log.info("Attached as a viewer: %s", self.viewer_of)
            self._viewer_timer.start()
        self.started.emit(mode)

    def _poll_as_viewer(self) -> None:
        self.ops.run(queue_summary, self.context.db, success=self.bridge.queue_summary_changed.emit)
        if not self._taking_over:
            self._taking_over = True
            self.ops.run(self._start_blocking, success=self._on_take_over_attempt,
                         failure=lambda _error: self._attempt_ended())

    def _attempt_ended(self) -> None:
        self._taking_over = False

    def _on_take_over_attempt(self, mode: str) -> None:
        self._taking_over = False
        if mode != "engine" or self._closed:
            return
        self._viewer_timer.stop()
        log.info("The engine's owner stopped; this window runs the engine now (was viewing %s)", self.viewer_of)
        self.viewer_of = None
        self.started.emit("engine")

    def running_jobs(self) -> int:
        with self._lock:
            return len(self.dispatcher.inflight) if self.dispatcher else 0

    def stop(self, grace_s: float = CLOSE_GRACE_S) -> None:
        """Blocking: stop claiming, let running stages checkpoint for up to `grace_s`, hand
        the rest back to the queue (it resumes next time). Called once, at close."""
        self._viewer_timer.stop()
        with self._lock:
            self._closed = True
            dispatcher, self.dispatcher = self.dispatcher, None
        if dispatcher is not None:
            dispatcher.stop(graceful=True, timeout_s=grace_s)
        self.bridge.stop()
        self.stopped.emit()
