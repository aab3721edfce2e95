"""The Queue screen: generate approved keywords in one click, then watch, cancel, retry and pause.

Rows come from one background query (QueueService.load) when the screen is
first shown or refreshed, and are then kept live by the engine bridge's
signals alone, each touching only its article's row: an `ArticleView` after
every commit (status, stage, tokens, cost, error), and stage starts and
progress in between. An article the table does not hold yet (a new batch, one
queued from the command line) is read by id and inserted. A viewer window gets
the same `ArticleView`s from its engine host's poll, so there is no periodic
reload here at all.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.background import LatestRequest
from app.engine_bridge import (
    EngineBridge,
    JobFinished,
    JobStarted,
    StageProgress,
    StageStarted,
)
from app.services.queue import (
    ACTIVE,
    Action,
    ArticleView,
    CancelResult,
    EngineMode,
    GenerationPlan,
    GenerationResult,
    JobOutcome,
    PriorityResult,
    QueueChanges,
    QueueRow,
    QueueService,
    QueueSummary,
    RetryResult,
    Stopped,
    Viewer,
)
from ui.dialogs.queue_generate import QueueGenerateDialog, cost_text
from ui.models.queue_table import (
    COST,
    ELAPSED,
    KEYWORD,
    RETRIES,
    STAGE,
    STATUS,
    TOKENS,
    QueueTableModel,
)
from ui.screens.common import make_action, plural
from ui.widgets.messages import inform
from ui.widgets.queue_progress_delegate import QueueProgressDelegate
from ui.widgets.queue_stage_log import QueueStageLogPanel
from ui.widgets.table_view import PlaceholderTableView

TICK_MS = 1000          # the elapsed times of running articles, once a second
STEPS = 1000            # the overall bar's resolution per article

_EMPTY = ("No articles in the queue.\n\nApprove keywords on the Keywords screen, then press "
          "Generate approved to draft an article for each.")
_BANNER_STYLE = ("QLabel { background: palette(alternate-base); border: 1px solid palette(mid); "
                 "border-radius: 6px; padding: 6px 10px; }")


class QueueScreen(QWidget):
    """The generation queue. Del cancels the selected articles, Ctrl+R retries them from the stage
    that failed, Ctrl+Up moves them ahead of the other waiting ones; Ctrl+G generates."""

    announced = Signal(str)         # a short line for the status bar

    def __init__(self, service: QueueService, bridge: EngineBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._latest_load = LatestRequest()
        self._loading = False
        self._loaded_once = False
        self._stale = True              # load on first show
        self._unknown: set[int] = set() # articles an event named that the table does not hold
        self._reading_rows = False
        self._paused = False
        self._waiting = 0
        self._article_total: int | None = None
        self._batch_changed = False     # an article started or ended since the overall bar was drawn

        self.generate_button = QPushButton()
        self.generate_button.setObjectName("generateButton")
        self.generate_button.setDefault(True)
        self.batch_bar = QProgressBar()
        self.batch_bar.setTextVisible(True)
        self.batch_bar.setMinimumWidth(320)
        self.batch_bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.viewer_banner = QLabel()
        self.viewer_banner.setWordWrap(True)
        self.viewer_banner.setStyleSheet(_BANNER_STYLE)
        self.viewer_banner.hide()
        self.paused_banner = QLabel("The queue is paused: articles already running finish, the waiting ones "
                                    "stay queued until you resume it.")
        self.paused_banner.setWordWrap(True)
        self.paused_banner.setStyleSheet(_BANNER_STYLE)
        self.paused_banner.hide()
        self.summary_label = QLabel()

        self.model = QueueTableModel(self)
        self.table = PlaceholderTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(STAGE, QueueProgressDelegate(self.table))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.table.set_placeholder("Loading…")
        self.setFocusProxy(self.table)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionResizeMode(KEYWORD, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        digit = self.fontMetrics().horizontalAdvance("0")
        for column, chars in ((STATUS, 14), (STAGE, 30), (ELAPSED, 8), (TOKENS, 10), (COST, 9), (RETRIES, 8)):
            header.resizeSection(column, digit * chars)

        self.stage_log = QueueStageLogPanel(service)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.stage_log)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([460, 260])

        self._build_actions()
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addActions([self.cancel_action, self.retry_action, self.priority_action])
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.pause_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.summary_label)

        top = QHBoxLayout()
        top.addWidget(self.generate_button)
        top.addSpacing(12)
        top.addWidget(self.batch_bar, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.viewer_banner)
        layout.addWidget(self.paused_banner)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)

        self._tick_timer = QTimer(self)
        self._tick_timer.setInterval(TICK_MS)
        self._tick_timer.timeout.connect(self._tick)

        self.generate_button.clicked.connect(self.generate_approved)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        bridge.job_started.connect(self._on_job_started)
        bridge.stage_started.connect(self._on_stage_started)
        bridge.stage_progressed.connect(self._on_stage_progressed)
        bridge.job_finished.connect(self._on_job_finished)
        bridge.article_updated.connect(self._on_article_updated)
        bridge.queue_summary_changed.connect(self._on_summary)
        bridge.events_delivered.connect(self._after_events)
        service.queue_changed.connect(self._on_queue_changed)
        service.paused_changed.connect(self._show_paused)
        service.engine_mode_changed.connect(self._show_engine_mode)
        self._show_waiting(0)
        self._show_engine_mode(service.engine_mode)
        self._update_batch_bar()
        self._update_actions()

    # ------------------------------------------------------------ for the window

    @property
    def is_loading(self) -> bool:
        return self._loading

    @property
    def waiting_keywords(self) -> int:
        """Approved keywords without an article: the N of "Generate approved (N)"."""
        return self._waiting

    def refresh(self) -> None:
        """Reload the rows, the waiting count and the pause state from the database."""
        self._stale = False
        self._reload()
        self._refresh_counts()
        self.stage_log.reload()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("queue/header", self.table.horizontalHeader().saveState())
        settings.setValue("queue/splitter", self.splitter.saveState())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("queue/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        splitter = settings.value("queue/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)

    # ------------------------------------------------------------ editor commands

    def generate_approved(self) -> None:
        """Estimate the batch, then ask (the dialog shows tokens, cost and a budget cap)."""
        self.generate_action.setEnabled(False)
        self.generate_button.setEnabled(False)
        self.generate_button.setText("Estimating…")
        self._service.plan_generation(success=self._on_plan, failure=lambda _error: self._show_waiting(self._waiting))

    def cancel_selected(self) -> None:
        ids = [row.id for row in self._selected() if Action.CANCEL in row.actions]
        if ids:
            self._service.cancel(ids, success=self._cancelled)

    def retry_selected(self) -> None:
        ids = [row.id for row in self._selected() if Action.RETRY in row.actions]
        if ids:
            self._service.retry(ids, success=self._retried)

    def raise_priority_selected(self) -> None:
        ids = [row.id for row in self._selected() if Action.RAISE_PRIORITY in row.actions]
        if ids:
            self._service.raise_priority(ids, success=self._raised)

    def toggle_pause(self) -> None:
        self._service.set_paused(not self._paused)

    # ------------------------------------------------------------- results

    def _on_plan(self, plan: GenerationPlan) -> None:
        self._show_waiting(len(plan.keyword_ids))
        if not plan.keyword_ids:
            inform(self, "Nothing to generate", "Every approved keyword already has an article.",
                   detail="Approve more keywords on the Keywords screen; failed articles are retried "
                          "from the stage that failed with Retry.")
            return
        dialog = QueueGenerateDialog(plan, self._service, self)
        dialog.accepted.connect(lambda: self._service.generate(plan.keyword_ids, dialog.cap_usd(),
                                                                success=self._generated))
        dialog.open()

    def _generated(self, result: GenerationResult) -> None:
        self._refresh_counts()
        if result.refused:
            inform(self, "Nothing was generated", result.refused)
            return
        line = f"Queued {plural(len(result.article_ids), 'article')}"
        if result.estimate is not None and result.estimate.cost_usd:
            line += f" ({cost_text(result.estimate)})"
        if result.left_out:
            line += f"; {plural(result.left_out, 'keyword')} over the budget cap wait for a later batch"
        self.announced.emit(line + ".")
        if result.errors:
            inform(self, "Some keywords were not queued", f"{plural(len(result.errors), 'keyword')} could not "
                   "be queued.", detail="\n".join(result.errors[:10]))

    def _cancelled(self, result: CancelResult) -> None:
        line = f"Cancelled {plural(len(result.cancelled), 'article')}."
        if result.not_running:
            line += f" {plural(len(result.not_running), 'article')} had already finished."
        self.announced.emit(line + (" Retry resumes them where they stopped." if result.cancelled else ""))

    def _retried(self, result: RetryResult) -> None:
        line = f"Queued {plural(len(result.retried), 'article')} again from the stage where it stopped."
        if result.skipped:
            line += f" {plural(len(result.skipped), 'article')} had not failed or stopped."
        self.announced.emit(line)

    def _raised(self, result: PriorityResult) -> None:
        line = f"{plural(len(result.raised), 'article')} will run next."
        if result.running:
            line += f" {plural(len(result.running), 'article')} had already started."
        self.announced.emit(line)

    def _on_queue_changed(self, changes: QueueChanges) -> None:
        if changes.added:
            self._refresh_counts()
            self._read_unknown(changes.added)
        if changes.updated:
            self._apply_rows(list(changes.updated))

    # ------------------------------------------------------------- engine events

    def _on_job_started(self, event: JobStarted) -> None:
        self._batch_changed = True
        if self.model.row_of(event.article_id) is None:
            self._read_unknown((event.article_id,))

    def _on_stage_started(self, event: StageStarted) -> None:
        self.model.stage_started(event.article_id, event.index, event.stage)

    def _on_stage_progressed(self, event: StageProgress) -> None:
        self.model.stage_progressed(event.article_id, event.fraction, event.message)

    def _on_job_finished(self, event: JobFinished) -> None:
        self._batch_changed = True
        if event.status == JobOutcome.COMPLETED:
            self._refresh_counts()

    def _on_article_updated(self, view: ArticleView) -> None:
        position = self.model.row_of(view.id)
        was = self.model.row_at(position).status if position is not None else None
        if not self.model.apply_view(view):
            # New to the queue means waiting or running (a batch queued elsewhere, a retry); a finished
            # article the table does not hold (an approved one re-checked) is not the queue's.
            if view.status in ACTIVE:
                self._read_unknown((view.id,))
            return
        if was != view.status:
            self._batch_changed = True
        if view.id == self.stage_log.article_id:
            # Committed, so the stage attempts it records are in the database: the open log reads them.
            self.stage_log.update_article(self.model.row_at(self.model.row_of(view.id)))

    def _after_events(self, _count: int) -> None:
        # Once per burst of events (at most ~10 a second), not once per event. The overall bar
        # moves with stage progress once a second (the tick); an article starting or ending
        # moves it at once. (QProgressBar repaints synchronously on every new value.)
        if self._batch_changed:
            self._batch_changed = False
            self._update_batch_bar()
        self._update_actions()
        # The log panel's header follows the live row; its table waits for the row to be read again.
        article = self.stage_log.article_id
        position = self.model.row_of(article) if article is not None else None
        if position is not None:
            self.stage_log.update_article(self.model.row_at(position), reload=False)

    def _on_summary(self, summary: QueueSummary) -> None:
        self._show_paused(summary.paused)
        total = summary.queued + summary.running + summary.completed + summary.failed + summary.cancelled
        if self._article_total is not None and total != self._article_total:
            self._refresh_counts()      # articles queued elsewhere change "Generate approved (N)"
        self._article_total = total

    def _tick(self) -> None:
        if self.model.tick():
            self._update_batch_bar()

    def _read_unknown(self, article_ids: tuple[int, ...]) -> None:
        """Articles the table does not hold, read by id once the first load has placed the rest."""
        if not self._loaded_once:
            return                      # the first load brings them
        self._unknown.update(article_ids)
        if not self._reading_rows:
            self._read_next_unknown()

    def _read_next_unknown(self) -> None:
        ids, self._unknown = sorted(self._unknown), set()
        if not ids:
            return
        self._reading_rows = True
        self._service.load_rows(ids, success=self._unknown_read, failure=self._unknown_not_read)

    def _unknown_read(self, rows: list[QueueRow]) -> None:
        self._reading_rows = False
        if rows:
            self.model.insert_rows(rows)
            self._batch_changed = True
            self._after_rows_changed()
        self._read_next_unknown()

    def _unknown_not_read(self, _error: BaseException) -> None:
        self._reading_rows = False

    def _apply_rows(self, rows: list[QueueRow]) -> None:
        self.model.apply_rows(rows)
        article = self.stage_log.article_id
        position = self.model.row_of(article) if article is not None else None
        if position is not None and any(row.id == article for row in rows):
            self.stage_log.update_article(self.model.row_at(position))
        self._after_rows_changed()

    def _after_rows_changed(self) -> None:
        self._update_batch_bar()
        self._update_actions()

    # ------------------------------------------------------------- loading

    def _reload(self) -> None:
        self._loading = True
        self._service.load(success=self._on_loaded, failure=self._on_load_failed, latest=self._latest_load)

    def _on_loaded(self, rows: list[QueueRow]) -> None:
        keep = {row.id for row in self._selected()}
        self._loading = False
        self._loaded_once = True
        self.model.set_rows(rows)
        positions = [p for p in (self.model.row_of(article) for article in keep) if p is not None]
        if positions and not self._selected():
            self._select_rows(positions)
        self.table.set_placeholder(_EMPTY)
        self._update_batch_bar()
        self._on_selection_changed()

    def _on_load_failed(self, _error: BaseException) -> None:
        self._loading = False
        self.table.set_placeholder(_EMPTY)

    def _refresh_counts(self) -> None:
        self._service.waiting_count(success=self._show_waiting)
        self._service.is_paused(success=self._show_paused)

    # -------------------------------------------------------------- widgets

    def _build_actions(self) -> None:
        action = functools.partial(make_action, self)

        on_table = Qt.ShortcutContext.WidgetShortcut
        anywhere = Qt.ShortcutContext.WindowShortcut
        self.generate_action = action("&Generate approved…", "Ctrl+G", self.generate_approved,
                                      "Draft an article for every approved keyword that has none yet", anywhere)
        self.cancel_action = action("&Cancel", QKeySequence.StandardKey.Delete, self.cancel_selected,
                                    "Stop the selected articles; Retry resumes them later", on_table)
        self.retry_action = action("&Retry from failed stage", "Ctrl+R", self.retry_selected,
                                   "Queue the selected failed or cancelled articles again, from the stage "
                                   "where they stopped", on_table)
        self.priority_action = action("Raise &priority", "Ctrl+Up", self.raise_priority_selected,
                                      "Run the selected waiting articles before the others", on_table)
        self.pause_action = action("&Pause queue", "Ctrl+Shift+P", self.toggle_pause,
                                   "Stop starting new articles (running ones finish), or resume", anywhere)
        self.pause_action.setCheckable(True)
        for act in (self.cancel_action, self.retry_action, self.priority_action):
            self.table.addAction(act)
        self.addActions([self.generate_action, self.pause_action])

    def _show_waiting(self, count: int) -> None:
        self._waiting = count
        self.generate_button.setText(f"Generate approved ({count:,})")
        self.generate_button.setEnabled(count > 0)
        self.generate_action.setEnabled(count > 0)
        self.generate_action.setText(f"&Generate approved ({count:,})…")
        self.generate_button.setToolTip("Draft an article for every approved keyword that has none yet (Ctrl+G)"
                                        if count else "Every approved keyword already has an article.")

    def _show_paused(self, paused: bool) -> None:
        self._paused = paused
        self.pause_action.setChecked(paused)
        self.pause_action.setText("Resume &queue" if paused else "&Pause queue")
        self.paused_banner.setVisible(paused)

    def _show_engine_mode(self, mode: EngineMode | None) -> None:
        if isinstance(mode, Viewer):
            self.viewer_banner.setText(
                "Another Copydesk process runs the engine on this database, so this window only watches its "
                f"queue (updated every second). Cancel, retry, priority and pause still work.\n{mode.holder}")
            self.viewer_banner.show()
        elif isinstance(mode, Stopped):
            self.viewer_banner.setText(f"The engine stopped: {mode.reason}. Nothing runs until Copydesk is "
                                       "opened again.")
            self.viewer_banner.show()
        else:
            self.viewer_banner.hide()

    def _update_batch_bar(self) -> None:
        batch = self.model.batch_progress()
        if not batch.total:
            self.batch_bar.setRange(0, 1)
            self.batch_bar.setValue(0)
            self.batch_bar.setFormat("No batch yet")
            return
        self.batch_bar.setRange(0, batch.total * STEPS)
        self.batch_bar.setValue(round(batch.progress * STEPS))
        parts = [f"Latest batch: {batch.completed:,} of {batch.total:,} completed"]
        if batch.running:
            parts.append(f"{batch.running:,} running")
        if batch.failed:
            parts.append(f"{batch.failed:,} failed")
        if batch.cancelled:
            parts.append(f"{batch.cancelled:,} cancelled")
        self.batch_bar.setFormat(" · ".join(parts))

    def _selected_rows(self) -> list[int]:
        rows: set[int] = set()
        for block in self.table.selectionModel().selection():
            rows.update(range(block.top(), block.bottom() + 1))
        return sorted(rows)

    def _selected(self) -> list[QueueRow]:
        return [self.model.row_at(position) for position in self._selected_rows()]

    def _select_rows(self, positions: list[int]) -> None:
        selection = QItemSelection()
        last_column = self.model.columnCount() - 1
        for position in positions:
            selection.select(self.model.index(position, 0), self.model.index(position, last_column))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.table.selectionModel().select(selection, flags)

    def _on_selection_changed(self) -> None:
        self._update_actions()
        rows = self._selected()
        self.stage_log.show_article(rows[0] if len(rows) == 1 else None, len(rows))

    def _update_actions(self) -> None:
        # The engine says what each article allows (engine.operations.review.allowed_actions).
        allowed = frozenset().union(*(row.actions for row in self._selected()))
        self.cancel_action.setEnabled(Action.CANCEL in allowed)
        self.retry_action.setEnabled(Action.RETRY in allowed)
        self.priority_action.setEnabled(Action.RAISE_PRIORITY in allowed)
        rows = self.model.rowCount()
        self.summary_label.setText("Loading…" if self._loading and not rows else plural(rows, "article"))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()
        else:
            self._refresh_counts()      # keywords approved elsewhere change "Generate approved (N)"
        self._tick_timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self._tick_timer.stop()
