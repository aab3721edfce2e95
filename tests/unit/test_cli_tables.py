"""`articles list` and `keywords list` fit 80 and 120 columns: one line a row, no short value wrapped; plain when piped."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest
from rich.console import Console

import app.cli.articles
import app.cli.keywords
from app.cli import run
from app.cli.tables import ELLIPSIS, Column, elide, layout
from engine.articles import list_articles
from engine.keywords import KeywordBook
from engine.pipeline.runner import process_article
from engine.store.db import Database
from tests.pipeline_helpers import new_articles, seed

ROW_START = re.compile(r"^\s*(\d+)\s{2,}")


@pytest.fixture
def newsroom(db: Database, home: Path) -> Path:
    """The demo newsroom with every approved keyword's article queued and two of them generated offline."""
    article_ids = new_articles(db, seed(db))
    for article_id in article_ids[:2]:
        assert asyncio.run(process_article(db, article_id, None)).status == "completed"
    return home


def render(monkeypatch: pytest.MonkeyPatch, home: Path, argv: list[str], width: int | None) -> str:
    buffer = io.StringIO()
    terminal = width is not None
    fake = Console(file=buffer, width=width or 80, force_terminal=terminal, color_system=None, highlight=False,
                   soft_wrap=True)
    for module in (app.cli.articles, app.cli.keywords):
        monkeypatch.setattr(module, "console", lambda: fake)
    assert run(["--home", str(home), *argv]) == 0
    return buffer.getvalue()


def data_lines(text: str) -> dict[int, str]:
    return {int(m.group(1)): line for line in text.splitlines() if (m := ROW_START.match(line))}


@pytest.mark.parametrize("width", [80, 120])
def test_articles_list_fits_the_terminal(monkeypatch: pytest.MonkeyPatch, newsroom: Path, db: Database,
                                         width: int) -> None:
    text = render(monkeypatch, newsroom, ["articles", "list"], width)
    rows = list_articles(db)
    lines = data_lines(text)
    assert set(lines) == {r["id"] for r in rows}, text          # one line per article, none wrapped onto two
    assert all(len(line) <= width for line in text.splitlines()), text
    header = next(line for line in text.splitlines() if line.lstrip().startswith("ID"))
    for row in rows:
        line = lines[row["id"]]
        assert row["status"] in line.split()                     # short values whole, never "compl / eted"
        if "Overall" in header and row["overall_quality_score"] is not None:
            assert f"{row['overall_quality_score']:.0f}" in line.split()
        keyword_cell = row["keyword"] if row["keyword"] in line else None
        assert keyword_cell or ELLIPSIS in line                  # the keyword whole, or cut with an ellipsis
    assert "Overall" in header and "Keyword" in header
    if width == 120:
        assert all(row["keyword"] in lines[row["id"]] for row in rows)   # room enough for every demo keyword


@pytest.mark.parametrize("width", [80, 120])
def test_keywords_list_fits_the_terminal(monkeypatch: pytest.MonkeyPatch, newsroom: Path, db: Database,
                                         width: int) -> None:
    text = render(monkeypatch, newsroom, ["keywords", "list"], width)
    rows = KeywordBook(db).list()
    lines = data_lines(text)
    assert set(lines) == {r.id for r in rows}, text
    assert all(len(line) <= width for line in text.splitlines()), text
    for row in rows:
        assert row.approval_status in lines[row.id].split()
        assert row.keyword in lines[row.id] or ELLIPSIS in lines[row.id]
    visible_keywords = sum(row.keyword in lines[row.id] for row in rows)
    assert visible_keywords >= (len(rows) if width == 120 else len(rows) // 2)


def test_piped_output_is_tab_separated_with_every_value_whole(monkeypatch: pytest.MonkeyPatch,
                                                              newsroom: Path, db: Database) -> None:
    text = render(monkeypatch, newsroom, ["articles", "list"], None)
    lines = text.splitlines()
    assert lines[0].split("\t")[:3] == ["ID", "Keyword", "Status"]
    assert ELLIPSIS not in text and "\u2500" not in text and "\x1b" not in text
    by_id = {int(line.split("\t")[0]): line.split("\t") for line in lines[1:]}
    assert {r["id"]: r["keyword"] for r in list_articles(db)} == {i: cells[1] for i, cells in by_id.items()}


def test_layout_drops_low_value_columns_before_squeezing_the_flexible_one() -> None:
    columns = [Column("ID"), Column("Keyword", flexible=True, min_width=20), Column("Status"),
               Column("Tokens", drop=2), Column("Cost", drop=1)]
    rows = [["1", "x" * 60, "completed", "12,345", "$0.0000"]]
    shown, widths = layout(columns, rows, 45)
    assert [columns[i].header for i in shown] == ["ID", "Keyword", "Status"]
    assert sum(widths) + 3 * len(widths) - 1 <= 45 and widths[1] >= 20
    assert elide("City council vote", 8) == "City co" + ELLIPSIS and elide("short", 8) == "short"
