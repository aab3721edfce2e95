"""QueueTableModel without a window: committed ArticleViews and live stage events touch one row,
loads reset only on new rows, new articles are inserted in place."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QModelIndex

from app.services.queue import ArticleView, QueueRow
from ui.models.queue_table import (
    BAR_ROLE,
    COLUMNS,
    ELAPSED,
    KEYWORD,
    RETRIES,
    STAGE,
    STATUS,
    TOKENS,
    QueueTableModel,
)

STARTED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def row(article: int, status: str = "queued", *, stage: str | None = None, index: int = 0,
        batch: str = "b2", tokens: int = 0) -> QueueRow:
    return QueueRow(id=article, keyword=f"keyword {article}", status=status, stage=stage, stage_index=index,
                    fraction=1.0 if status == "completed" else index / 14, tokens=tokens, cost_usd=0.0,
                    retry_count=0, started_at=STARTED if status != "queued" else None,
                    finished_at=STARTED + timedelta(seconds=75) if status == "completed" else None,
                    batch_id=batch, error_log=None)


def view(article: int, status: str, *, stage: str | None = None, index: int = 0, tokens: int = 0,
         retries: int = 0, error: str | None = None) -> ArticleView:
    """The engine's committed row, as ArticleUpdated carries it."""
    return ArticleView(id=article, keyword=f"keyword {article}", status=status, current_stage=stage,
                       stage_index=index, stage_count=14, tokens_in=tokens, tokens_out=0, cost_usd=0.0, error=error,
                       retry_count=retries)


class Recorder:
    """Every dataChanged range and every reset the model announces."""

    def __init__(self, model: QueueTableModel) -> None:
        self.changed: list[tuple[int, int, int, int]] = []
        self.resets = 0
        model.dataChanged.connect(self._changed)
        model.modelReset.connect(self._reset)

    def _changed(self, first: QModelIndex, last: QModelIndex, _roles: list[int] | None = None) -> None:
        self.changed.append((first.row(), last.row(), first.column(), last.column()))

    def _reset(self) -> None:
        self.resets += 1

    def clear(self) -> None:
        self.changed.clear()
        self.resets = 0


@pytest.fixture
def model(qapp) -> QueueTableModel:
    table = QueueTableModel()
    table.set_rows([row(3), row(2, "generating", stage="draft", index=5), row(1, "completed", stage="finalization",
                                                                             index=14, batch="b1")])
    return table


def cells(model: QueueTableModel, position: int) -> list[str]:
    return [model.index(position, column).data() for column in range(len(COLUMNS))]


def test_cells(model: QueueTableModel) -> None:
    assert cells(model, 0)[:3] == ["keyword 3", "Queued", "Waiting"]
    assert cells(model, 1)[STAGE] == "5/14  Draft"
    assert cells(model, 2)[:4] == ["keyword 1", "Completed", "14/14  Finalization", "1:15"]
    assert model.index(2, STAGE).data(BAR_ROLE) == (1.0, "completed")


def test_events_change_one_row_without_a_reset(model: QueueTableModel) -> None:
    seen = Recorder(model)
    assert model.apply_view(view(3, "generating"))
    assert model.stage_started(3, 1, "keyword_analysis")
    for step in range(5):
        assert model.stage_progressed(3, 0.01 * step + 0.01, "reading sources")
    assert seen.resets == 0
    assert seen.changed and all(first == last == 0 for first, last, _c1, _c2 in seen.changed)
    # A progress tick repaints the stage cell only.
    assert (0, 0, STAGE, STAGE) in seen.changed
    assert cells(model, 0)[STATUS:STAGE + 1] == ["Generating", "1/14  Keyword analysis"]
    assert model.message(3) == "reading sources"
    assert not model.apply_view(view(99, "queued"))     # not held: the screen reads it by id


def test_a_committed_view_sets_status_totals_and_error(model: QueueTableModel) -> None:
    seen = Recorder(model)
    model.apply_view(view(2, "completed", stage="finalization", index=14, tokens=4_200))
    assert cells(model, 1)[STATUS:TOKENS + 1] == ["Completed", "14/14  Finalization", cells(model, 1)[ELAPSED],
                                                  "4,200"]
    assert model.index(1, STAGE).data(BAR_ROLE) == (1.0, "completed")
    model.apply_view(view(3, "queued", retries=1))
    assert cells(model, 0)[STATUS] == "Queued" and cells(model, 0)[RETRIES] == "1"
    model.apply_view(view(3, "failed", stage="draft", index=4, error="draft: 500 from the provider"))
    assert model.index(0, KEYWORD).data(3) == "draft: 500 from the provider"      # ToolTipRole
    assert seen.resets == 0 and {first for first, _l, _c1, _c2 in seen.changed} == {0, 1}


def test_a_commit_older_than_the_running_stage_keeps_the_stage(model: QueueTableModel) -> None:
    model.stage_started(2, 6, "claims")
    model.apply_view(view(2, "generating", stage="draft", index=5, tokens=1_000))
    assert cells(model, 1)[STAGE] == "6/14  Claims" and cells(model, 1)[TOKENS] == "1,000"


def test_new_articles_are_inserted_newest_first(model: QueueTableModel) -> None:
    seen = Recorder(model)
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, _last: inserted.append(first))
    model.insert_rows([row(5), row(4)])
    assert [model.row_at(p).id for p in range(model.rowCount())] == [5, 4, 3, 2, 1]
    assert inserted == [0, 0] and seen.resets == 0


def test_elapsed_ticks_for_running_rows_only(model: QueueTableModel) -> None:
    seen = Recorder(model)
    model.tick(STARTED + timedelta(seconds=65))
    assert seen.changed == [(1, 1, ELAPSED, ELAPSED)]
    assert cells(model, 1)[ELAPSED] == "1:05"
    assert cells(model, 2)[ELAPSED] == "1:15"       # finished: its own duration, not the clock


def test_a_load_of_the_same_rows_updates_in_place(model: QueueTableModel) -> None:
    seen = Recorder(model)
    model.set_rows([row(3), row(2, "generating", stage="draft", index=5, tokens=900),
                    row(1, "completed", stage="finalization", index=14, batch="b1")])
    assert seen.resets == 0 and seen.changed == [(1, 1, TOKENS, TOKENS)]      # the one cell that changed
    assert cells(model, 1)[TOKENS] == "900"
    model.set_rows([row(4), row(3), row(2, "generating", stage="draft", index=5, tokens=900),
                    row(1, "completed", stage="finalization", index=14, batch="b1")])
    assert seen.resets == 1 and model.rowCount() == 4


def test_batch_progress_counts_the_newest_batch(model: QueueTableModel) -> None:
    batch = model.batch_progress()
    assert (batch.batch_id, batch.total, batch.completed, batch.running) == ("b2", 2, 0, 1)
    assert batch.progress == pytest.approx(5 / 14)
    model.apply_view(view(2, "failed", stage="draft", index=5))
    model.apply_view(view(3, "cancelled"))
    batch = model.batch_progress()
    assert (batch.finished, batch.failed, batch.cancelled, batch.progress) == (2, 1, 1, 2.0)


def test_failed_rows_explain_themselves(model: QueueTableModel) -> None:
    model.apply_rows([dataclasses.replace(row(2, "failed", stage="fact_verification", index=7),
                                          error_log="attempt 1 failed: 500\nfact_verification: boom")])
    assert model.index(1, KEYWORD).data(3) == "fact_verification: boom"     # ToolTipRole
