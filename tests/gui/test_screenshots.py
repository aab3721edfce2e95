"""Every screen at 1280x800 and 1920x1080, light and dark, after loading the demo and generating offline.

Writes tests/artifacts/screens/<screen>-<width>x<height>-<scheme>.png to be looked at, and checks
what a first look found wrong: Review titles cut to a few characters, scores squeezed.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from engine.pipeline.runner import process_article
from engine.store.db import open_database
from tests.gui.helpers import wait_loaded
from tests.pipeline_helpers import new_articles, seed
from ui.main_window import MainWindow
from ui.models.review_table import ARTICLE, SCORE_COLUMNS
from ui.theme import apply_colour_scheme

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens"
SIZES = [(1280, 800), (1920, 1080)]


@pytest.fixture(scope="session")
def generated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo newsroom with every approved keyword generated offline, once for the session."""
    path = tmp_path_factory.mktemp("generated") / "copydesk.db"
    database = open_database(f"sqlite:///{path}")
    try:
        for article_id in new_articles(database, seed(database)):
            assert asyncio.run(process_article(database, article_id, None)).status == "completed"
    finally:
        database.dispose()
    return path


@pytest.fixture
def home_with_articles(generated_database: Path, home: Path) -> Path:
    shutil.copy(generated_database, home / "copydesk.db")
    return home


@pytest.fixture
def scheme(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    apply_colour_scheme(qapp, Qt.ColorScheme.Dark if request.param == "dark" else Qt.ColorScheme.Light)
    yield request.param
    apply_colour_scheme(qapp, Qt.ColorScheme.Light)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("scheme", ["light", "dark"], indirect=True)
def test_every_screen_after_generating(qtbot, home_with_articles: Path, make_window: Callable[[], MainWindow],
                                       context: AppContext, scheme: str, size: tuple[int, int]) -> None:
    window = make_window()
    window.resize(*size)
    wait_loaded(qtbot, window.keywords_screen, 5)       # pending is the Keywords screen's first tab
    SHOTS.mkdir(parents=True, exist_ok=True)
    for row in range(window.sidebar.count()):
        name = window.sidebar.item(row).text().split()[0].lower()
        window.sidebar.setCurrentRow(row)
        screen = window.current_screen()
        if name == "review":
            qtbot.waitUntil(lambda s=screen: not s.is_loading and s.proxy.rowCount() == 7)
            screen.table.selectRow(0)
            qtbot.waitUntil(lambda s=screen: s.current_article is not None)
        elif name == "queue":
            qtbot.waitUntil(lambda s=screen: s.model.rowCount() > 0)
        elif name == "settings":
            qtbot.waitUntil(lambda s=screen: not s.is_loading and s.profile_list.count() > 0)
        qtbot.waitUntil(lambda s=screen: s.isVisible())
        QApplication.processEvents()
        assert window.grab().save(str(SHOTS / f"{name}-{size[0]}x{size[1]}-{scheme}.png"))
        if name == "review":
            check_review_list(screen)


def check_review_list(screen) -> None:
    """Titles readable (whole, or elided in the middle with the full text in the tooltip), scores whole."""
    table = screen.table
    metrics = table.fontMetrics()
    header = table.horizontalHeader()
    for row in range(screen.proxy.rowCount()):
        title = screen.proxy.index(row, ARTICLE).data()
        assert screen.proxy.index(row, ARTICLE).data(Qt.ItemDataRole.ToolTipRole).startswith(title)
        shown = metrics.elidedText(title, table.textElideMode(), table.columnWidth(ARTICLE) - 12)
        assert len(shown.replace("\u2026", "")) >= min(len(title), 28), shown
    assert table.textElideMode() == Qt.TextElideMode.ElideMiddle
    for column in SCORE_COLUMNS:
        label = screen.proxy.headerData(column, Qt.Orientation.Horizontal)
        assert header.sectionSize(column) >= metrics.horizontalAdvance(label), label
        for row in range(screen.proxy.rowCount()):
            value = screen.proxy.index(row, column).data()
            assert header.sectionSize(column) >= metrics.horizontalAdvance(value) + 8, (label, value)
