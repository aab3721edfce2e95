"""The engine inside the desktop app: started when the window opens, stopped when it closes.

If another process already runs the engine on this database (a second window,
`copydesk worker`), this one attaches as a viewer: it shows the queue from the
database and leaves the work to the owner, and every VIEWER_POLL_MS it tries
to take the engine over, so that when the owner ends (closed, or killed) this
window runs what is left. A holder on this host that is no longer running is
taken over at once, at start or at the next poll.

A viewer receives no engine events, so each poll also reads, off the GUI
thread, the queue's totals and, when they changed or a job is running, the
articles that may have changed: those waiting or running now, and those that
were at the last poll (so an article that finished since is read once more, as
it ended). They reach the screens as `ArticleUpdated` through the bridge, as
the owner's own events would. On a queue where nothing runs a poll is the
totals' query alone (bench/README.md: idle viewer CPU), not a reload.

Which role this window has is an `EngineMode`: `Owner`, `Viewer(holder)`, or
`Stopped(reason)` when the engine stopped by itself (the database deleted,
replaced, damaged or read-only, or another engine took it over).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from app.background import BackgroundOps
from app.context import AppContext
from app.engine_bridge import EngineBridge
from engine.articles import list_articles
from engine.events import ArticleUpdated, ArticleView, QueueSummary
from engine.execution.jobs import article_views
from engine.execution.queue import EngineLeaseHeld, queue_summary
from engine.execution.settings import EngineSettings, load_engine_settings
from engine.states import ACTIVE_ARTICLE
from engine.store.db import Database

if TYPE_CHECKING:
    from engine.execution.dispatcher import Dispatcher

log = logging.getLogger("copydesk.app")

VIEWER_POLL_MS = 1000
ENGINE_WATCH_MS = 1000     # how soon the window notices that its engine stopped by itself
CLOSE_GRACE_S = 5.0


@dataclass(frozen=True)
class Owner:
    """This window runs the engine."""


@dataclass(frozen=True)
class Viewer:
    """Another process runs the engine on this database; this window watches."""

    holder: str                 # who runs it, as the engine lease names it


@dataclass(frozen=True)
class Stopped:
    """The engine stopped by itself; nothing runs until the window is opened again."""

    reason: str                 # one line


EngineMode = Owner | Viewer | Stopped


@dataclass(frozen=True)
class ViewerNews:
    """What a viewer's poll read: the totals, and the articles that may have changed."""

    summary: QueueSummary
    articles: tuple[ArticleView, ...]


def read_viewer_news(db: Database, watched: frozenset[int], last: QueueSummary | None) -> ViewerNews:
    """The queue's totals, and the articles waiting or running now or in `watched`. With the same
    totals as `last` and no job running, no article can have moved: none is read."""
    summary = queue_summary(db)
    if summary == last and not summary.running:
        return ViewerNews(summary, ())
    active = {row["id"] for status in ACTIVE_ARTICLE for row in list_articles(db, status=status)}
    ids = sorted(active | watched)
    if not ids:
        return ViewerNews(summary, ())
    with db.read() as session:
        views = article_views(session, ids)
    return ViewerNews(summary, tuple(views))


class EngineHost(QObject):
    mode_changed = Signal(object)    # EngineMode
    stopped = Signal()

    def __init__(self, context: AppContext, ops: BackgroundOps, bridge: EngineBridge,
                 settings: EngineSettings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context, self.ops, self.bridge = context, ops, bridge
        self.settings = settings
        self.dispatcher: Dispatcher | None = None  # set on the background thread by start()
        self.mode: EngineMode | None = None        # None until the first start attempt has answered
        self._viewer_timer = QTimer(self)
        self._viewer_timer.setInterval(VIEWER_POLL_MS)
        self._viewer_timer.timeout.connect(self._poll_as_viewer)
        self._engine_watch = QTimer(self)
        self._engine_watch.setInterval(ENGINE_WATCH_MS)
        self._engine_watch.timeout.connect(self._watch_engine)
        self._lock = threading.Lock()
        self._closed = False
        self._taking_over = False   # a takeover attempt is running in the background
        self._reading_news = False  # a viewer's poll is running in the background
        self._watched: frozenset[int] = frozenset()     # articles active at the viewer's last poll
        self._seen: dict[int, ArticleView] = {}         # what the viewer last passed on, per article
        self._last_summary: QueueSummary | None = None

    @property
    def is_engine(self) -> bool:
        return self.dispatcher is not None

    def start(self) -> None:
        """Start the dispatcher and its workers off the GUI thread (migrating leases, spawning)."""
        self.ops.run(self._start_blocking, success=self._on_started)

    def _start_blocking(self) -> EngineMode | None:
        """The mode this attempt ended in; None if the window closed meanwhile."""
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
            return Viewer(str(held))
        with self._lock:
            closed = self._closed
            if not closed:
                self.dispatcher = dispatcher
        if closed:   # the window closed while this start was under way
            dispatcher.stop(graceful=True, timeout_s=CLOSE_GRACE_S)
            return None
        if dispatcher.took_over_from is not None:
            log.info("Took over the engine from %s", dispatcher.took_over_from)
        return Owner()

    def _on_started(self, mode: EngineMode | None) -> None:
        if mode is None:
            return
        if isinstance(mode, Viewer):
            log.info("Attached as a viewer: %s", mode.holder)
            self._viewer_timer.start()
        else:
            self._engine_watch.start()
        self._set_mode(mode)

    def _set_mode(self, mode: EngineMode) -> None:
        self.mode = mode
        self.mode_changed.emit(mode)

    def _watch_engine(self) -> None:
        """The dispatcher's thread ends by itself only when the engine cannot go on (`fatal`)."""
        with self._lock:
            dispatcher = self.dispatcher
            if dispatcher is None or dispatcher.running:
                return
            self.dispatcher = None
        self._engine_watch.stop()
        reason = dispatcher.fatal or "the engine stopped"
        log.error("The window's engine stopped: %s", reason)
        self._set_mode(Stopped(reason))

    def _poll_as_viewer(self) -> None:
        if not self._reading_news:
            self._reading_news = True
            self.ops.run(read_viewer_news, self.context.db, self._watched, self._last_summary,
                         success=self._on_viewer_news,
                         failure=lambda _error: self._news_ended())
        if not self._taking_over:
            self._taking_over = True
            self.ops.run(self._start_blocking, success=self._on_take_over_attempt,
                         failure=lambda _error: self._attempt_ended())

    def _news_ended(self) -> None:
        self._reading_news = False

    def _on_viewer_news(self, news: ViewerNews) -> None:
        self._reading_news = False
        if not isinstance(self.mode, Viewer):
            return      # this window took the engine over meanwhile: its own events are the news now
        unchanged = news.summary == self._last_summary
        self._last_summary = news.summary
        if unchanged and not news.articles:
            return
        self._watched = frozenset(view.id for view in news.articles if view.status in ACTIVE_ARTICLE)
        for view in news.articles:
            if self._seen.get(view.id) != view:
                self._seen[view.id] = view
                self.bridge.emit(ArticleUpdated(view))
        self._seen = {k: v for k, v in self._seen.items() if k in self._watched}
        self.bridge.emit(news.summary)

    def _attempt_ended(self) -> None:
        self._taking_over = False

    def _on_take_over_attempt(self, mode: EngineMode | None) -> None:
        self._taking_over = False
        if not isinstance(mode, Owner) or self._closed:
            return
        self._viewer_timer.stop()
        was = self.mode.holder if isinstance(self.mode, Viewer) else "?"
        log.info("The engine's owner stopped; this window runs the engine now (was viewing %s)", was)
        self._engine_watch.start()
        self._set_mode(mode)

    def running_jobs(self) -> int:
        with self._lock:
            return len(self.dispatcher.inflight) if self.dispatcher else 0

    def stop(self, grace_s: float = CLOSE_GRACE_S) -> None:
        """Blocking: stop claiming, let running stages checkpoint for up to `grace_s`, hand
        the rest back to the queue (it resumes next time). Called once, at close."""
        self._viewer_timer.stop()
        self._engine_watch.stop()
        with self._lock:
            self._closed = True
            dispatcher, self.dispatcher = self.dispatcher, None
        if dispatcher is not None:
            dispatcher.stop(graceful=True, timeout_s=grace_s)
        self.bridge.stop()
        self.stopped.emit()
