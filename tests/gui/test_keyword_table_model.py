"""KeywordTableModel without a window: cells, sorting with a kept selection, in-place updates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QFont, QIcon

from app.services.keywords import KeywordRow
from ui.models.import_report import ImportReportTableModel
from ui.models.keyword_table import (
    COLUMNS,
    DECIDED_AT,
    ID_ROLE,
    KEYWORD,
    NATURAL_ORDER,
    PRIORITY,
    SOURCES,
    STATUS,
    KeywordTableModel,
)

CREATED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def keyword(kid: int, text: str, *, priority: str = "normal", status: str = "pending", sources: int = 0,
            decided_at: datetime | None = None, notes: str | None = None) -> KeywordRow:
    decided = status != "pending"
    return KeywordRow(id=kid, keyword=text, priority=priority, source="csv", approval_status=status,
                      decided_by="ana" if decided else None, decided_at=decided_at if decided else None,
                      decision_reason="covered last week" if status == "rejected" else None, notes=notes,
                      created_at=CREATED, source_count=sources)


@pytest.fixture
def model(qapp) -> KeywordTableModel:
    table = KeywordTableModel()
    table.set_rows([
        keyword(1, "Water rate increase", priority="high", sources=3, notes="Vote on Tuesday"),
        keyword(2, "bus route cuts", status="approved", decided_at=datetime(2026, 6, 2, 8, 30, tzinfo=UTC)),
        keyword(3, "Harbor Street bike lanes", priority="low", status="rejected",
                decided_at=datetime(2026, 6, 3, 8, 30, tzinfo=UTC), sources=1),
    ])
    return table


def ids(model: KeywordTableModel) -> list[int]:
    return [model.index(r, 0).data(ID_ROLE) for r in range(model.rowCount())]


def test_cells_are_precomputed_text(model: KeywordTableModel) -> None:
    assert model.rowCount() == 3 and model.columnCount() == len(COLUMNS)
    row = [model.index(0, c).data() for c in range(len(COLUMNS))]
    assert row == ["Water rate increase", "High", "Pending", "", "", "3", "csv"]
    assert model.index(1, DECIDED_AT).data() == datetime(2026, 6, 2, 8, 30, tzinfo=UTC).astimezone().strftime(
        "%Y-%m-%d %H:%M")
    assert model.headerData(KEYWORD, Qt.Orientation.Horizontal) == "Keyword"


def test_roles_beyond_text(model: KeywordTableModel) -> None:
    assert isinstance(model.index(0, STATUS).data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert isinstance(model.index(0, PRIORITY).data(Qt.ItemDataRole.FontRole), QFont)
    assert model.index(1, PRIORITY).data(Qt.ItemDataRole.FontRole) is None
    assert model.index(0, KEYWORD).data(Qt.ItemDataRole.ToolTipRole) == "Water rate increase\n\nVote on Tuesday"
    assert model.index(2, STATUS).data(Qt.ItemDataRole.ToolTipRole) == "covered last week"
    assert model.index(0, SOURCES).data(Qt.ItemDataRole.TextAlignmentRole) is not None


@pytest.mark.parametrize(("column", "order", "expected"), [
    (KEYWORD, Qt.SortOrder.AscendingOrder, [2, 3, 1]),          # case-insensitive
    (KEYWORD, Qt.SortOrder.DescendingOrder, [1, 3, 2]),
    (PRIORITY, Qt.SortOrder.AscendingOrder, [1, 2, 3]),         # high, normal, low
    (STATUS, Qt.SortOrder.AscendingOrder, [2, 1, 3]),
    (DECIDED_AT, Qt.SortOrder.DescendingOrder, [3, 2, 1]),      # undecided last
    (SOURCES, Qt.SortOrder.AscendingOrder, [2, 3, 1]),
    (NATURAL_ORDER, Qt.SortOrder.AscendingOrder, [1, 2, 3]),
])
def test_sort_by_any_column(model: KeywordTableModel, column: int, order: Qt.SortOrder,
                            expected: list[int]) -> None:
    model.sort(column, order)
    assert ids(model) == expected


def test_sorting_keeps_the_selection_on_the_same_keyword(model: KeywordTableModel) -> None:
    selection = QItemSelectionModel(model)
    selection.select(model.index(0, 0), QItemSelectionModel.SelectionFlag.Select
                     | QItemSelectionModel.SelectionFlag.Rows)
    model.sort(KEYWORD, Qt.SortOrder.AscendingOrder)
    [selected] = selection.selectedRows()
    assert selected.data(ID_ROLE) == 1 and selected.row() == 2


def test_new_rows_arrive_in_the_current_sort_order(model: KeywordTableModel) -> None:
    model.sort(KEYWORD, Qt.SortOrder.AscendingOrder)
    model.set_rows([keyword(7, "zoning"), keyword(8, "Annexation vote")])
    assert ids(model) == [8, 7]


def test_update_rows_redraws_kept_rows_and_removes_the_others(qtbot, model: KeywordTableModel) -> None:
    approved = keyword(1, "Water rate increase", status="approved", decided_at=CREATED, sources=3)
    rejected = keyword(2, "bus route cuts", status="rejected", decided_at=CREATED)
    elsewhere = keyword(99, "not loaded here", status="approved", decided_at=CREATED)
    with qtbot.waitSignal(model.dataChanged), qtbot.waitSignal(model.rowsRemoved):
        model.update_rows([approved, rejected, elsewhere], keep=lambda row: row.approval_status == "approved")
    assert ids(model) == [1, 3]
    assert model.index(0, STATUS).data() == "Approved"
    assert model.row_of(99) is None


def test_remove_ids_in_blocks(qtbot, qapp) -> None:
    model = KeywordTableModel()
    model.set_rows([keyword(i, f"topic {i:03}") for i in range(1, 11)])
    with qtbot.waitSignals([model.rowsRemoved, model.rowsRemoved]):
        model.remove_ids([2, 3, 4, 8, 404])
    assert ids(model) == [1, 5, 6, 7, 9, 10]
    assert model.row_of(9) == 4


def test_scattered_removals_become_one_reset(qtbot, qapp) -> None:
    model = KeywordTableModel()
    model.set_rows([keyword(i, f"topic {i:04}") for i in range(1, 1001)])
    with qtbot.waitSignal(model.modelReset):
        model.remove_ids(range(1, 1001, 2))
    assert model.rowCount() == 500
    assert ids(model)[:3] == [2, 4, 6]


def test_import_report_lists_problems_first(qapp) -> None:
    from engine.keywords import ImportReport, RowProblem

    report = ImportReport("csv", "line", added=[(2, "Bus route cuts", 11), (5, "Water rates", 12)],
                          skipped=[RowProblem(4, "bus route cuts", "duplicate of line 2")],
                          rejected=[RowProblem(3, "x", "too short (1 character; at least 2)")])
    model = ImportReportTableModel(report)
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Line"
    rows = [tuple(model.index(r, c).data() for c in range(4)) for r in range(model.rowCount())]
    assert rows == [
        ("Rejected", "3", "x", "too short (1 character; at least 2)"),
        ("Skipped", "4", "bus route cuts", "duplicate of line 2"),
        ("Added", "2", "Bus route cuts", "added as #11"),
        ("Added", "5", "Water rates", "added as #12"),
    ]
