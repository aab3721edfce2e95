"""The queue table: rows the QueueService loaded, kept live by the engine bridge's signals.

calibre's job model: a progress tick or a stage change is a `dataChanged` on
that article's row (only the cells that changed); the model resets only when
the set of rows changes (a new batch, a reload that found other articles).
Cell texts are formatted when a row changes, not when it is painted: a paint
asks data() for several roles of every visible cell, each call a trip into
Python while the engine's threads compete for the GIL.

The engine says what a row is: `apply_view` takes each `ArticleView` the
single writer committed (status, stage, tokens, cost, the newest error line).
Between commits, a running stage's start and progress move the bar and the
stage name only; no status is decided here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

from app.services.queue import (
    ACTIVE,
    CONCURRENT_STAGES,
    FINISHED,
    STAGE_COUNT,
    ArticleStatus,
    ArticleView,
    QueueRow,
    apply_view,
)
from ui.theme import status_dot

COLUMNS = ("Keyword", "Status", "Stage", "Elapsed", "Tokens", "Cost", "Retries")
KEYWORD, STATUS, STAGE, ELAPSED, TOKENS, COST, RETRIES = range(len(COLUMNS))

ID_ROLE = Qt.ItemDataRole.UserRole + 1
BAR_ROLE = Qt.ItemDataRole.UserRole + 2           # (fraction 0..1, status), for the progress delegate

_DISPLAY = Qt.ItemDataRole.DisplayRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NUMBERS = (ELAPSED, TOKENS, COST, RETRIES)
# Roles answered here; a paint asks for more (font, colours, check state), which get None at once.
_ANSWERED = frozenset((BAR_ROLE, ID_ROLE, _DECORATION, _ALIGNMENT, _TOOLTIP))

STATUS_LABELS = {ArticleStatus.QUEUED: "Queued", ArticleStatus.GENERATING: "Generating",
                 ArticleStatus.COMPLETED: "Completed", ArticleStatus.FAILED: "Failed",
                 ArticleStatus.CANCELLED: "Cancelled"}
_ACRONYMS = {"seo": "SEO"}
# Mid-tone colours that read on light and dark palettes; the word beside them carries the meaning.
STATUS_COLOURS = {ArticleStatus.QUEUED: "#8a939c", ArticleStatus.GENERATING: "#2f7fd0",
                  ArticleStatus.COMPLETED: "#2e9d58", ArticleStatus.FAILED: "#d0453b",
                  ArticleStatus.CANCELLED: "#a0845c"}


def stage_label(name: str | None) -> str:
    """"fact_verification" -> "Fact verification", "seo_optimization" -> "SEO optimization"."""
    if not name:
        return ""
    words = [_ACRONYMS.get(word, word) for word in name.split("_")]
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def format_cost(cost: float) -> str:
    if cost == 0:
        return "$0"
    return f"${cost:,.4f}" if cost < 1 else f"${cost:,.2f}"


def _furthest(row: QueueRow, stage: str, index: int) -> dict[str, Any]:
    """The stage a row shows: the concurrent checks start and end in any order, and the row
    stays on the furthest of them rather than jumping back and forth."""
    if (row.status == ArticleStatus.GENERATING and stage in CONCURRENT_STAGES and row.stage in CONCURRENT_STAGES
            and index < row.stage_index):
        return {"stage": row.stage, "stage_index": row.stage_index}
    return {"stage": stage, "stage_index": index}


@dataclass(frozen=True)
class BatchProgress:
    """The newest batch's state, for the screen's overall bar."""

    batch_id: str | None
    total: int
    completed: int
    failed: int
    cancelled: int
    running: int
    progress: float                 # 0..total: finished articles count 1, running ones their fraction

    @property
    def finished(self) -> int:
        return self.completed + self.failed + self.cancelled


class QueueTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueRow] = []
        self._cells: list[list[str]] = []
        self._messages: dict[int, str] = {}         # article id -> the running stage's last progress message
        self._row_of: dict[int, int] = {}
        self._now = datetime.now(UTC)
        self._icons = {status: status_dot(colour) for status, colour in STATUS_COLOURS.items()}

    # ------------------------------------------------------------- Qt model

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            return self._cells[index.row()][index.column()]
        if role not in _ANSWERED:
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == BAR_ROLE:
            return row.fraction, row.status
        if role == _ALIGNMENT:
            return _RIGHT if column in _NUMBERS else None
        if role == _DECORATION:
            return self._icons.get(row.status) if column == STATUS else None
        if role == ID_ROLE:
            return row.id
        return self._tooltip(row, column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == _DISPLAY:
                return COLUMNS[section]
            if role == _ALIGNMENT and section in _NUMBERS:
                return _RIGHT
        return None

    # ------------------------------------------------------------ loading

    def set_rows(self, rows: Sequence[QueueRow]) -> None:
        """The rows of a full load: the same articles are updated in place, other ones cost a reset."""
        if [row.id for row in rows] == [row.id for row in self._rows]:
            self.apply_rows(rows)
            return
        self.beginResetModel()
        self._rows = list(rows)
        self._cells = [self._format(row) for row in self._rows]
        self._row_of = {row.id: i for i, row in enumerate(self._rows)}
        kept = set(self._row_of)
        self._messages = {k: v for k, v in self._messages.items() if k in kept}
        self.endResetModel()

    def apply_rows(self, rows: Iterable[QueueRow]) -> None:
        """Rows read again after a mutation (cancel, retry), for the articles the table holds."""
        for fresh in rows:
            position = self._row_of.get(fresh.id)
            if position is not None:
                self._set(position, fresh)

    def insert_rows(self, rows: Iterable[QueueRow]) -> None:
        """Articles the table did not hold (a new batch, one queued from the command line), each
        in its place (newest first); ones it holds already are updated instead."""
        for row in sorted(rows, key=lambda r: r.id):
            position = self._row_of.get(row.id)
            if position is not None:
                self._set(position, row)
                continue
            place = next((i for i, held in enumerate(self._rows) if held.id < row.id), len(self._rows))
            self.beginInsertRows(QModelIndex(), place, place)
            self._rows.insert(place, row)
            self._cells.insert(place, self._format(row))
            self._row_of = {held.id: i for i, held in enumerate(self._rows)}
            self.endInsertRows()

    # ------------------------------------------------------- engine events

    def apply_view(self, view: ArticleView) -> bool:
        """A committed change. Returns False for an article the table does not hold (read it by id)."""
        position = self._row_of.get(view.id)
        if position is None:
            return False
        row = self._rows[position]
        updated = apply_view(row, view, datetime.now(UTC))
        if updated.status == row.status == ArticleStatus.GENERATING and row.stage_index > updated.stage_index:
            # A stage that started after this commit is already shown: the row stays on it.
            updated = dataclasses.replace(updated, stage=row.stage, stage_index=row.stage_index)
        if updated.status != ArticleStatus.GENERATING:
            self._messages.pop(view.id, None)
        self._set(position, updated)
        return True

    def stage_started(self, article_id: int, index: int, stage: str) -> bool:
        self._messages.pop(article_id, None)
        return self._event(article_id, lambda row: dataclasses.replace(
            row, **_furthest(row, stage, index), fraction=max(row.fraction, (index - 1) / STAGE_COUNT)))

    def stage_progressed(self, article_id: int, fraction: float, message: str) -> bool:
        if message:
            self._messages[article_id] = message
        return self._event(article_id, lambda row: dataclasses.replace(row, fraction=min(1.0, max(0.0, fraction))))

    def tick(self, now: datetime | None = None) -> bool:
        """A second went by: redraw the elapsed time of running articles, and nothing else.
        Returns whether any article is running."""
        self._now = now or datetime.now(UTC)
        running = []
        for position, row in enumerate(self._rows):
            if row.status == ArticleStatus.GENERATING:
                self._cells[position][ELAPSED] = self._elapsed(row)
                running.append(position)
        if running:
            self.dataChanged.emit(self.createIndex(min(running), ELAPSED), self.createIndex(max(running), ELAPSED),
                                  [_DISPLAY])
        return bool(running)

    # ------------------------------------------------------------ for views

    def row_at(self, position: int) -> QueueRow:
        return self._rows[position]

    def row_of(self, article_id: int) -> int | None:
        return self._row_of.get(article_id)

    def ids_at(self, positions: Sequence[int]) -> list[int]:
        return [self._rows[p].id for p in positions]

    def rows(self) -> list[QueueRow]:
        return list(self._rows)

    def message(self, article_id: int) -> str:
        return self._messages.get(article_id, "")

    def batch_progress(self) -> BatchProgress:
        """The newest batch (the first row's; rows are newest first)."""
        if not self._rows:
            return BatchProgress(None, 0, 0, 0, 0, 0, 0.0)
        batch = self._rows[0].batch_id
        counts = dict.fromkeys(ArticleStatus, 0)
        progress = 0.0
        total = 0
        for row in self._rows:
            if row.batch_id != batch:
                continue
            total += 1
            counts[row.status] = counts.get(row.status, 0) + 1
            progress += 1.0 if row.status in FINISHED else row.fraction
        return BatchProgress(batch, total, counts[ArticleStatus.COMPLETED], counts[ArticleStatus.FAILED],
                             counts[ArticleStatus.CANCELLED], counts[ArticleStatus.GENERATING], progress)

    # ------------------------------------------------------------- internal

    def _event(self, article_id: int, change: Callable[[QueueRow], QueueRow]) -> bool:
        position = self._row_of.get(article_id)
        if position is None:
            return False
        self._set(position, change(self._rows[position]))
        return True

    def _set(self, position: int, row: QueueRow) -> None:
        """Store a row and repaint the cells that look different, and only those."""
        old = self._rows[position]
        if row == old:
            return
        cells = self._format(row)
        changed = [column for column, (a, b) in enumerate(zip(cells, self._cells[position], strict=True)) if a != b]
        if row.fraction != old.fraction or row.status != old.status:
            changed.append(STAGE)       # the bar's length or colour
        if row.status != old.status:
            changed.append(STATUS)      # the dot
        self._rows[position] = row
        self._cells[position] = cells
        if changed:
            self.dataChanged.emit(self.createIndex(position, min(changed)), self.createIndex(position, max(changed)))

    def _format(self, row: QueueRow) -> list[str]:
        if row.stage_index == 0:
            stage = "Waiting" if row.status in ACTIVE else "Not started"
        else:
            stage = f"{row.stage_index}/{STAGE_COUNT}  {stage_label(row.stage)}".rstrip()
        return [row.keyword, STATUS_LABELS.get(row.status, row.status), stage, self._elapsed(row), f"{row.tokens:,}",
                format_cost(row.cost_usd), str(row.retry_count) if row.retry_count else ""]

    def _elapsed(self, row: QueueRow) -> str:
        if row.started_at is None:
            return ""
        end = row.finished_at if row.status in FINISHED and row.finished_at else self._now
        return format_elapsed((end - row.started_at).total_seconds())

    def _tooltip(self, row: QueueRow, column: int) -> str | None:
        if column == STAGE:
            message = self._messages.get(row.id)
            percent = f"{row.fraction:.0%} of the pipeline"
            return f"{stage_label(row.stage)}: {message}\n{percent}" if message else percent
        if column in (KEYWORD, STATUS) and row.status == ArticleStatus.FAILED and row.error_log:
            return row.error_log.strip().splitlines()[-1]
        if column == KEYWORD:
            return row.keyword
        return None
