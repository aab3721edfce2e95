"""The keyword table: rows the KeywordService loaded, shown and sorted without a query.

Built for 100,000 rows: every cell's text is computed once, in the
background thread that loaded the rows (prepare_rows), so data() is a tuple
lookup and a load costs the GUI thread one reset. Sorting runs in Python on
precomputed keys (0.1-0.2 s for 100,000 rows) instead of through a
QSortFilterProxyModel, whose C++ lessThan calls back into data() twice per
comparison (20 s for 100,000 rows, measured); filtering is the database's
job (status and search are part of the query).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from app.services.keywords import KeywordRow
from ui.theme import status_dot

COLUMNS = ("Keyword", "Priority", "Status", "Decided by", "Decided at", "Sources", "Source")
KEYWORD, PRIORITY, STATUS, DECIDED_BY, DECIDED_AT, SOURCES, SOURCE = range(len(COLUMNS))
NATURAL_ORDER = -1          # no sort column: the order the keywords were added in

ID_ROLE = Qt.ItemDataRole.UserRole + 1

_DISPLAY = Qt.ItemDataRole.DisplayRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_FONT = Qt.ItemDataRole.FontRole
_ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter

_PRIORITY_RANK = {"high": 0, "normal": 1, "low": 2}
_ID = attrgetter("id")
_NEVER = datetime.min.replace(tzinfo=UTC)
# Mid-tone dots read on light and dark palettes alike; the word beside them carries the meaning.
_STATUS_COLOURS = {"pending": "#d99a1e", "approved": "#2e9d58", "rejected": "#d0453b"}
# Above this many separate blocks of rows, one reset is cheaper than many removals.
_MAX_REMOVAL_BLOCKS = 200

SORT_KEYS: dict[int, Callable[[KeywordRow], Any]] = {
    NATURAL_ORDER: lambda row: row.id,
    KEYWORD: lambda row: row.keyword.casefold(),
    PRIORITY: lambda row: _PRIORITY_RANK.get(row.priority, len(_PRIORITY_RANK)),
    STATUS: lambda row: row.approval_status,
    DECIDED_BY: lambda row: (row.decided_by or "").casefold(),
    DECIDED_AT: lambda row: row.decided_at or _NEVER,
    SOURCES: lambda row: row.source_count,
    SOURCE: lambda row: row.source.casefold(),
}


def format_when(moment: datetime | None) -> str:
    """Local time to the minute; the database keeps UTC."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


_LABELS = {"high": "High", "normal": "Normal", "low": "Low",
           "pending": "Pending", "approved": "Approved", "rejected": "Rejected"}


def cells(row: KeywordRow, when: Callable[[datetime | None], str] = format_when) -> tuple[str, ...]:
    return (row.keyword, _LABELS.get(row.priority, row.priority), _LABELS.get(row.approval_status, row.approval_status),
            row.decided_by or "", when(row.decided_at), str(row.source_count), row.source)


def sort_order(rows: Sequence[KeywordRow], column: int, order: Qt.SortOrder) -> list[int]:
    """Positions of `rows` sorted by a column, ties in id order (about 0.3 s for 100,000 rows).

    Keys are computed once per row and the sorts compare them in C (key=list.__getitem__).
    """
    ids = list(map(_ID, rows))
    by_id = sorted(range(len(rows)), key=ids.__getitem__)      # linear when already in id order
    descending = order == Qt.SortOrder.DescendingOrder
    if column not in SORT_KEYS or column == NATURAL_ORDER:
        return by_id[::-1] if descending else by_id
    keys = list(map(SORT_KEYS[column], rows))
    # A stable sort, reversed or not, keeps the id order among equal keys.
    return sorted(by_id, key=keys.__getitem__, reverse=descending)


@dataclass(frozen=True)
class PreparedRows:
    """Rows in display order with their cell texts: what a reset swaps in."""

    rows: list[KeywordRow]
    cells: list[tuple[str, ...]]
    column: int
    order: Qt.SortOrder


def prepare_rows(rows: Sequence[KeywordRow], column: int = NATURAL_ORDER,
                 order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> PreparedRows:
    """Sort and format rows. Plain Python and Qt-object free, so it runs in the background
    thread that loaded them, and the GUI thread only swaps the result in."""
    ordered = [rows[i] for i in sort_order(rows, column, order)]
    when = _cached_when()
    return PreparedRows(ordered, [cells(row, when) for row in ordered], column, order)


def _cached_when() -> Callable[[datetime | None], str]:
    """format_when with memory: decisions are stamped per batch, so there are few distinct moments."""
    formatted: dict[datetime | None, str] = {}

    def when(moment: datetime | None) -> str:
        text = formatted.get(moment)
        if text is None:
            text = formatted[moment] = format_when(moment)
        return text

    return when


class KeywordTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[KeywordRow] = []
        self._cells: list[tuple[str, ...]] = []
        self._row_of: dict[int, int] = {}
        self._sort_column = NATURAL_ORDER
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._status_icons = {status: status_dot(colour) for status, colour in _STATUS_COLOURS.items()}
        self._bold = QFont()
        self._bold.setBold(True)

    # ------------------------------------------------------------- Qt model

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        if role == _DISPLAY:
            return self._cells[index.row()][index.column()]
        column = index.column()
        if role == _DECORATION and column == STATUS:
            return self._status_icons.get(self._rows[index.row()].approval_status)
        if role == _FONT and column == PRIORITY and self._rows[index.row()].priority == "high":
            return self._bold
        if role == _ALIGNMENT and column == SOURCES:
            return _RIGHT
        if role == _TOOLTIP and column in (KEYWORD, STATUS):
            row = self._rows[index.row()]
            if column == STATUS:
                return row.decision_reason
            # The whole keyword, which the column may elide, and the notes.
            return f"{row.keyword}\n\n{row.notes}" if row.notes else row.keyword
        if role == ID_ROLE:
            return self._rows[index.row()].id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == _DISPLAY:
                return COLUMNS[section]
            if role == _ALIGNMENT and section == SOURCES:
                return _RIGHT
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in place, keeping the selection (persistent indexes) on the same keywords."""
        column = column if column in SORT_KEYS else NATURAL_ORDER
        # The rows are always kept in the current order, so asking again is free (QTableView's
        # sortByColumn asks twice: once itself and once through the header's sort indicator).
        if (column, order) != self.sort_spec:
            self._sort_column = column
            self._sort_order = order
            self._resort()

    def _resort(self) -> None:
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        kept_ids = [self._rows[index.row()].id for index in persistent]
        permutation = sort_order(self._rows, self._sort_column, self._sort_order)
        self._rows = [self._rows[i] for i in permutation]
        self._cells = [self._cells[i] for i in permutation]
        self._reindex()
        self.changePersistentIndexList(
            persistent, [self.createIndex(self._row_of[kid], index.column())
                         for kid, index in zip(kept_ids, persistent, strict=True)])
        self.layoutChanged.emit()

    # ------------------------------------------------------------ for views

    @property
    def sort_spec(self) -> tuple[int, Qt.SortOrder]:
        """(column, order) for prepare_rows, so rows prepared in the background arrive sorted."""
        return self._sort_column, self._sort_order

    def set_rows(self, rows: Sequence[KeywordRow]) -> None:
        """Replace everything in one reset, in the current sort order."""
        self.set_prepared(prepare_rows(rows, *self.sort_spec))

    def set_prepared(self, prepared: PreparedRows) -> None:
        """Swap in rows prepared (sorted and formatted) elsewhere, in one reset."""
        self.beginResetModel()
        self._rows = prepared.rows
        self._cells = prepared.cells
        self._reindex()
        self.endResetModel()
        if (prepared.column, prepared.order) != self.sort_spec:   # the sort changed while they were prepared
            self._resort()

    def update_rows(self, rows: Iterable[KeywordRow], keep: Callable[[KeywordRow], bool]) -> None:
        """Apply changed keywords that are in the table: kept ones are redrawn, the others removed.

        Keywords not in the table are ignored: where a new one would appear is
        the query's business, so a view reloads for those.
        """
        gone: list[int] = []
        changed: list[int] = []
        when = _cached_when()
        for row in rows:
            position = self._row_of.get(row.id)
            if position is None:
                continue
            if keep(row):
                self._rows[position] = row
                self._cells[position] = cells(row, when)
                changed.append(position)
            else:
                gone.append(row.id)
        if changed:
            self.dataChanged.emit(self.createIndex(min(changed), 0), self.createIndex(max(changed), len(COLUMNS) - 1))
            if self._sort_column != NATURAL_ORDER:     # a decision can move a row in this order
                self._resort()
        self.remove_ids(gone)

    def remove_ids(self, ids: Iterable[int]) -> None:
        positions = sorted({self._row_of[i] for i in ids if i in self._row_of}, reverse=True)
        if not positions:
            return
        blocks: list[tuple[int, int]] = []          # (first, last), bottom block first
        for position in positions:
            if blocks and blocks[-1][0] == position + 1:
                blocks[-1] = (position, blocks[-1][1])
            else:
                blocks.append((position, position))
        if len(blocks) > _MAX_REMOVAL_BLOCKS:
            dropped = set(positions)
            self.beginResetModel()
            self._rows = [row for i, row in enumerate(self._rows) if i not in dropped]
            self._cells = [cell for i, cell in enumerate(self._cells) if i not in dropped]
            self._reindex()
            self.endResetModel()
            return
        for first, last in blocks:
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            del self._cells[first:last + 1]
            self.endRemoveRows()
        self._reindex()

    def keyword_at(self, row: int) -> KeywordRow:
        return self._rows[row]

    def row_of(self, keyword_id: int) -> int | None:
        return self._row_of.get(keyword_id)

    def ids_at(self, rows: Sequence[int]) -> list[int]:
        return [self._rows[r].id for r in rows]

    # ------------------------------------------------------------- internal

    def _reindex(self) -> None:
        self._row_of = dict(zip(map(_ID, self._rows), range(len(self._rows)), strict=True))
