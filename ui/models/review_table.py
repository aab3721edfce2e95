"""The review list: completed articles the ReviewService loaded, filtered by review status and sorted by score.

Thin: rows are frozen ArticleRow values and every cell's text is computed when
they arrive, so data() is a lookup. A review list holds hundreds of articles,
not the keyword table's 100,000, so a QSortFilterProxyModel filters and sorts
it, on numbers given by SORT_ROLE rather than the display text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from app.services.review import REVIEW_STATUSES, ArticleRow
from ui.theme import status_dot

# Short headers keep the list narrow beside the article; the header tooltips say what each one is.
COLUMNS = ("Article", "Overall", "Bias", "Facts", "Balance", "Gates", "Status")
ARTICLE, OVERALL, BIAS, FACT_CHECK, PERSPECTIVE, GATES, STATUS = range(len(COLUMNS))
SCORE_COLUMNS = (OVERALL, BIAS, FACT_CHECK, PERSPECTIVE)

ID_ROLE = Qt.ItemDataRole.UserRole + 1
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2
SORT_ROLE = Qt.ItemDataRole.UserRole + 3

STATUS_LABELS = {"pending_review": "Pending review", "approved": "Approved", "rejected": "Rejected",
                 "published": "Published"}
_HEADER_TIPS = {OVERALL: "Overall quality, 0-100: higher is better",
                BIAS: "Bias, 0-100: lower is better",
                FACT_CHECK: "Fact-check: how far the sources support the claims, 0-100: higher is better",
                PERSPECTIVE: "Perspective balance, 0-100: higher is better",
                GATES: "Whether the article passes every quality gate"}
# Mid-tone dots read on light and dark palettes alike; the word beside them carries the meaning.
_STATUS_COLOURS = {"pending_review": "#d99a1e", "approved": "#2e9d58", "rejected": "#d0453b",
                   "published": "#3d8bfd"}
_GATE_COLOURS = {True: "#2e9d58", False: "#d0453b"}

_DISPLAY = Qt.ItemDataRole.DisplayRole
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


def _score(value: float | None) -> str:
    # Whole points: the list is for comparing at a glance (the score panel shows the decimal), and
    # "100" where "100.0" was leaves the room to the titles.
    return "–" if value is None else f"{value:.0f}"


def _cells(row: ArticleRow) -> tuple[str, ...]:
    gates = {True: "Pass", False: "Fail", None: "–"}[row.passed]
    return (row.keyword, _score(row.overall), _score(row.bias), _score(row.fact_check), _score(row.perspective),
            gates, STATUS_LABELS.get(row.review_status, row.review_status))


def _sort_keys(row: ArticleRow) -> tuple[Any, ...]:
    # An unscored article counts as -1: below every score, so last in the usual best-first order.
    def number(value: float | None) -> float:
        return -1.0 if value is None else value

    return (row.keyword.casefold(), number(row.overall), number(row.bias), number(row.fact_check),
            number(row.perspective), {True: 1, False: 0, None: -1}[row.passed],
            REVIEW_STATUSES.index(row.review_status) if row.review_status in REVIEW_STATUSES else len(REVIEW_STATUSES))


class ReviewTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ArticleRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._keys: list[tuple[Any, ...]] = []
        self._row_of: dict[int, int] = {}
        self._status_icons = {status: status_dot(colour) for status, colour in _STATUS_COLOURS.items()}
        self._gate_icons = {passed: status_dot(colour) for passed, colour in _GATE_COLOURS.items()}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        row, column = index.row(), index.column()
        if role == _DISPLAY:
            return self._cells[row][column]
        if role == SORT_ROLE:
            return self._keys[row][column]
        if role == ID_ROLE:
            return self._rows[row].id
        if role == STATUS_ROLE:
            return self._rows[row].review_status
        if role == Qt.ItemDataRole.TextAlignmentRole and column in SCORE_COLUMNS:
            return _RIGHT
        if role == Qt.ItemDataRole.DecorationRole:
            if column == STATUS:
                return self._status_icons.get(self._rows[row].review_status)
            if column == GATES:
                return self._gate_icons.get(self._rows[row].passed)
        if role == Qt.ItemDataRole.ToolTipRole:
            article = self._rows[row]
            if column == ARTICLE:
                return article.keyword
            if column == GATES and article.failed_gates:
                return "Fails: " + "; ".join(article.failed_gates)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == _DISPLAY:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS.get(section)
        # Header labels stay left-aligned even over right-aligned numbers: Fusion draws the sort
        # arrow at the right edge, on top of a right-aligned label.
        return None

    def set_rows(self, rows: Sequence[ArticleRow]) -> None:
        """Replace everything in one reset (the list is small; the proxy re-sorts it)."""
        self.beginResetModel()
        self._rows = list(rows)
        self._cells = [_cells(row) for row in self._rows]
        self._keys = [_sort_keys(row) for row in self._rows]
        self._row_of = {row.id: i for i, row in enumerate(self._rows)}
        self.endResetModel()

    def update_rows(self, rows: Sequence[ArticleRow], gone: Sequence[int] = ()) -> None:
        """One article at a time, without a reset: each row replaced in place or inserted, and the
        articles in `gone` (no longer completed) removed. The proxy sorts and filters them."""
        for article_id in gone:
            position = self._row_of.get(article_id)
            if position is None:
                continue
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._rows[position], self._cells[position], self._keys[position]
            self._row_of = {row.id: i for i, row in enumerate(self._rows)}
            self.endRemoveRows()
        for row in rows:
            position = self._row_of.get(row.id)
            if position is None:
                position = len(self._rows)
                self.beginInsertRows(QModelIndex(), position, position)
                self._rows.append(row)
                self._cells.append(_cells(row))
                self._keys.append(_sort_keys(row))
                self._row_of[row.id] = position
                self.endInsertRows()
            elif self._rows[position] != row:
                self._rows[position], self._cells[position], self._keys[position] = row, _cells(row), _sort_keys(row)
                self.dataChanged.emit(self.index(position, 0), self.index(position, len(COLUMNS) - 1))

    def article_at(self, row: int) -> ArticleRow:
        return self._rows[row]

    def row_of(self, article_id: int) -> int | None:
        return self._row_of.get(article_id)

    def counts(self) -> dict[str | None, int]:
        """Articles per review status, and under None all of them."""
        counts: dict[str | None, int] = dict.fromkeys(REVIEW_STATUSES, 0)
        for row in self._rows:
            counts[row.review_status] = counts.get(row.review_status, 0) + 1
        counts[None] = len(self._rows)
        return counts


class ReviewFilterProxy(QSortFilterProxyModel):
    """Shows one review status (None: all) and sorts on SORT_ROLE."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._status: str | None = None
        self.setSortRole(SORT_ROLE)

    @property
    def review_status(self) -> str | None:
        return self._status

    def set_review_status(self, status: str | None) -> None:
        if status != self._status:
            self.beginFilterChange()
            self._status = status
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int,  # noqa: N802
                         source_parent: QModelIndex | QPersistentModelIndex) -> bool:
        if self._status is None:
            return True
        return self.sourceModel().index(source_row, 0, source_parent).data(STATUS_ROLE) == self._status

    def id_at(self, row: int) -> int:
        return self.index(row, 0).data(ID_ROLE)

    def row_of(self, article_id: int) -> int | None:
        model = self.sourceModel()
        assert isinstance(model, ReviewTableModel)
        source_row = model.row_of(article_id)
        if source_row is None:
            return None
        index = self.mapFromSource(model.index(source_row, 0))
        return index.row() if index.isValid() else None
