"""The stage log of the article selected in the queue: each stage attempt, and the job's error log."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.background import LatestRequest
from app.services.queue import STAGE_COUNT, QueueRow, QueueService, StageAttempt
from ui.models.queue_stage_log import (
    ATTEMPT,
    COST,
    DURATION,
    ERROR,
    MODEL,
    RETRIES,
    STAGE,
    STATUS,
    TOKENS,
    QueueStageLogModel,
)
from ui.models.queue_table import STATUS_LABELS, stage_label
from ui.widgets.table_view import PlaceholderTableView

ERROR_LINES = 4


class QueueStageLogPanel(QWidget):
    """Loads the log of one article through the service; a newer selection drops an older load."""

    def __init__(self, service: QueueService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._latest = LatestRequest()
        self._article: QueueRow | None = None

        self.title_label = QLabel()
        self.title_label.setObjectName("stageLogTitle")
        self.title_label.setWordWrap(True)
        self.error_view = QPlainTextEdit()
        self.error_view.setReadOnly(True)
        self.error_view.setFixedHeight(self.fontMetrics().lineSpacing() * ERROR_LINES + 12)
        self.error_view.hide()
        self.model = QueueStageLogModel(self)
        self.table = PlaceholderTableView()
        self.table.setModel(self.model)
        self._follow_end = False
        self.table.verticalScrollBar().rangeChanged.connect(self._keep_end)
        self.table.verticalScrollBar().actionTriggered.connect(self._scrolled_by_hand)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ERROR, QHeaderView.ResizeMode.Stretch)
        digit = self.fontMetrics().horizontalAdvance("0")
        for column, chars in ((STAGE, 24), (STATUS, 11), (MODEL, 18), (ATTEMPT, 9), (DURATION, 10), (TOKENS, 16),
                              (COST, 9), (RETRIES, 9)):
            header.resizeSection(column, digit * chars)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.error_view)
        layout.addWidget(self.table, 1)
        self.show_article(None)

    @property
    def article_id(self) -> int | None:
        return self._article.id if self._article else None

    def show_article(self, row: QueueRow | None, selected: int = 1) -> None:
        """The article's log (loaded in the background); None clears the panel."""
        changed = (row.id if row else None) != self.article_id
        self._article = row
        if row is None:
            self._latest.cancel()
            self.model.set_attempts([])
            self.title_label.setText("Stage log")
            self.error_view.hide()
            self.table.set_placeholder(f"{selected:,} articles selected." if selected > 1 else
                                       "Select an article to see its stages, their models, tokens and errors.")
            return
        self._show_header(row)
        if changed:
            # The latest attempt matters while an article runs or after it failed; a finished one
            # reads from the top. Scrolling up by hand stops the following until the next article.
            self._follow_end = row.status != "completed"
            self.model.set_attempts([])
            self.table.set_placeholder("Loading…")
        self.reload()

    def update_article(self, row: QueueRow, *, reload: bool = True) -> None:
        """The shown article changed (a stage finished, it failed): the header at once, the log
        reloaded unless the change is a live event the database has not been read for yet."""
        if row.id == self.article_id and row != self._article:
            self._article = row
            self._show_header(row)
            if reload:
                self.reload()

    def reload(self) -> None:
        if self._article is not None:
            self._service.stage_log(self._article.id, success=self._loaded, latest=self._latest)

    def _loaded(self, attempts: list[StageAttempt]) -> None:
        self.model.set_attempts(attempts)
        self.table.set_placeholder("No stage has finished yet." if self._article else "")

    def _keep_end(self, _minimum: int, maximum: int) -> None:
        # The range changes after every layout pass (rows arriving, the error box appearing), so the
        # end is kept here rather than scrolled to once when the rows arrive.
        if self._follow_end:
            self.table.verticalScrollBar().setValue(maximum)

    def _scrolled_by_hand(self, _action: int) -> None:
        bar = self.table.verticalScrollBar()
        self._follow_end = bar.sliderPosition() >= bar.maximum()

    def _show_header(self, row: QueueRow) -> None:
        status = STATUS_LABELS.get(row.status, row.status)
        where = f" at stage {row.stage_index}/{STAGE_COUNT}, {stage_label(row.stage).lower()}" if row.stage else ""
        retries = f" · retried {row.retry_count}×" if row.retry_count else ""
        self.title_label.setText(f"<b>{_escape(row.keyword)}</b> — {status}{where}{retries}")
        error = (row.error_log or "").strip()
        self.error_view.setVisible(bool(error))
        if error != self.error_view.toPlainText():
            self.error_view.setPlainText(error)
            self.error_view.verticalScrollBar().setValue(self.error_view.verticalScrollBar().maximum())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
