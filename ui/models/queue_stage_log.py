"""One article's stage attempts (the Queue screen's stage-log panel), as loaded by QueueService."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from app.services.queue import StageAttempt
from ui.models.queue_table import STATUS_COLOURS, format_cost, stage_label

# Text columns first, figures after: a right-aligned figure beside left-aligned text reads as one word.
COLUMNS = ("Stage", "Status", "Model", "Attempt", "Duration", "Tokens in / out", "Cost", "Retries", "Error")
STAGE, STATUS, MODEL, ATTEMPT, DURATION, TOKENS, COST, RETRIES, ERROR = range(len(COLUMNS))

_DISPLAY = Qt.ItemDataRole.DisplayRole
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTRE = Qt.AlignmentFlag.AlignCenter
_ALIGNMENT = {ATTEMPT: _CENTRE, DURATION: _RIGHT, TOKENS: _RIGHT, COST: _RIGHT, RETRIES: _CENTRE}


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _cells(attempt: StageAttempt) -> tuple[str, ...]:
    error = (attempt.error or "").strip().splitlines()
    return (f"{attempt.index}. {stage_label(attempt.stage)}", attempt.status.capitalize(), attempt.model or "",
            str(attempt.attempt), format_duration(attempt.duration_s),
            f"{attempt.tokens_in:,} / {attempt.tokens_out:,}", format_cost(attempt.cost_usd),
            str(len(attempt.retries)) if attempt.retries else "", error[0] if error else "")


class QueueStageLogModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._attempts: list[StageAttempt] = []
        self._cells: list[tuple[str, ...]] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._attempts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        column = index.column()
        if role == _DISPLAY:
            return self._cells[index.row()][column]
        attempt = self._attempts[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS and attempt.status != "completed":
            return QColor(STATUS_COLOURS.get(attempt.status, STATUS_COLOURS["failed"]))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGNMENT.get(column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == ERROR and attempt.error:
                return attempt.error
            if column == RETRIES and attempt.retries:
                return "\n".join(attempt.retries)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == _DISPLAY:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in _ALIGNMENT:
                return _ALIGNMENT[section]
        return None

    def set_attempts(self, attempts: Sequence[StageAttempt]) -> None:
        """A running article's log grows at the end: new attempts are inserted, so the view keeps its
        scroll position; anything else (another article) is a reset."""
        attempts = list(attempts)
        known = len(self._attempts)
        if len(attempts) > known and attempts[:known] == self._attempts:
            self.beginInsertRows(QModelIndex(), known, len(attempts) - 1)
            self._attempts = attempts
            self._cells += [_cells(attempt) for attempt in attempts[known:]]
            self.endInsertRows()
        elif attempts != self._attempts:
            self.beginResetModel()
            self._attempts = attempts
            self._cells = [_cells(attempt) for attempt in attempts]
            self.endResetModel()

    def attempt_at(self, row: int) -> StageAttempt:
        return self._attempts[row]
