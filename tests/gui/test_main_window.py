"""The main window: menus and shortcuts, status bar, remembered geometry, demo offer, screenshots."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from app.context import AppContext
from app.version import __version__
from engine.keywords import KeywordBook
from tests.gui.helpers import click_message_button, focus, wait_for_dialog, wait_loaded
from ui.main_window import MainWindow
from ui.theme import apply_colour_scheme

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def menu_entries(window: MainWindow) -> dict[str, list[tuple[str, str]]]:
    entries = {}
    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        entries[menu.title().replace("&", "")] = [
            (action.text().replace("&", ""), action.shortcut().toString())
            for action in menu.actions() if not action.isSeparator()]
    return entries


def test_menus_carry_the_standard_shortcuts(window: MainWindow) -> None:
    entries = menu_entries(window)
    assert entries["File"] == [("Add keywords…", "Ctrl+N"), ("Import keywords…", "Ctrl+I"), ("Quit", "Ctrl+Q")]
    assert entries["Edit"] == [("Undo", "Ctrl+Z")]
    assert entries["View"][0] == ("Keywords", "Ctrl+1")
    assert ("Refresh", "F5") in entries["View"]
    assert entries["Help"] == [("About Copydesk", "")]
    assert window.stack.currentWidget() is window.keywords_screen
    assert window.sidebar.item(0).text() == "Keywords"


def test_about_shows_the_version(qtbot, window: MainWindow) -> None:
    about = next(a for a in window.menuBar().actions()[-1].menu().actions() if "About" in a.text())
    about.trigger()
    box = wait_for_dialog(qtbot, window, QMessageBox)
    assert box.text() == f"Copydesk {__version__}"


def test_status_bar_shows_database_counts_and_queue(qtbot, window: MainWindow, context: AppContext,
                                                   book: KeywordBook) -> None:
    assert window.database_label.text() == f"Database: {context.home.database_path}"
    qtbot.waitUntil(lambda: window.counts_label.text() == "0 keywords: 0 pending, 0 approved, 0 rejected")
    window.keywords_screen.paste_action.setEnabled(True)
    QApplication.clipboard().setText("Water rate increase\nBus route cuts")
    window.keywords_screen.paste_keywords()
    qtbot.waitUntil(lambda: window.counts_label.text() == "2 keywords: 2 pending, 0 approved, 0 rejected")
    assert not window.queue_label.isVisible()
    window.set_queue_summary("3 running, 12 queued")
    assert window.queue_label.isVisible() and window.queue_label.text() == "3 running, 12 queued"
    window.set_queue_summary("")
    assert not window.queue_label.isVisible()


def test_geometry_and_columns_are_remembered_in_the_home(qtbot, make_window: Callable[[], MainWindow],
                                                          context: AppContext) -> None:
    first = make_window()
    first.resize(760, 560)          # within the offscreen screen (800 x 600), which restoreGeometry respects
    first.keywords_screen.table.horizontalHeader().resizeSection(1, 123)
    first.keywords_screen.tabs.setCurrentIndex(2)
    with qtbot.waitSignal(first.closed):
        first.close()
    ini = context.home.root / "window.ini"
    assert ini.exists()
    assert QSettings(str(ini), QSettings.Format.IniFormat).value("keywords/tab") in (2, "2")

    second = make_window()
    assert (second.width(), second.height()) == (760, 560)
    assert second.keywords_screen.table.horizontalHeader().sectionSize(1) == 123
    assert second.keywords_screen.status == "rejected"


def test_empty_database_offers_the_demo_newsroom(qtbot, window: MainWindow, book: KeywordBook) -> None:
    window.offer_demo_if_empty()
    box = click_message_button(qtbot, window, "Load demo newsroom")
    assert "There are no keywords yet" in box.text()
    wait_loaded(qtbot, window.keywords_screen, 5)      # the pending ones
    assert book.counts() == {"pending": 5, "approved": 7, "rejected": 0, "all": 12}
    qtbot.waitUntil(lambda: "Demo newsroom: added 12 keywords" in window.statusBar().currentMessage())

    window.offer_demo_if_empty()                        # not empty any more: no question
    qtbot.waitUntil(lambda: window.counts_label.text().startswith("12 keywords"))
    assert not [box for box in window.findChildren(QMessageBox) if box.isVisible()]


def test_escaping_errors_show_as_one_line_in_a_message_box(qtbot, window: MainWindow) -> None:
    window.show_error("could not fetch https://example.org: timed out; paste the text instead")
    box = wait_for_dialog(qtbot, window, QMessageBox)
    assert box.icon() == QMessageBox.Icon.Warning
    assert window.statusBar().currentMessage().startswith("could not fetch")


@pytest.fixture
def dark(qapp: QApplication) -> Iterator[None]:
    apply_colour_scheme(qapp, Qt.ColorScheme.Dark)
    yield
    apply_colour_scheme(qapp, Qt.ColorScheme.Light)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_of_the_keywords_screen(qtbot, request, make_window: Callable[[], MainWindow],
                                           book: KeywordBook, scheme: str) -> None:
    """Saves tests/artifacts/keywords.png (and keywords-dark.png) to be looked at."""
    if scheme == "dark":
        request.getfixturevalue("dark")
    else:
        apply_colour_scheme(QApplication.instance(), Qt.ColorScheme.Light)
    from engine.demo import seed_demo

    seed_demo(book, editor="ana")
    window = make_window()
    window.resize(1280, 800)
    screen = window.keywords_screen
    screen.tabs.setCurrentIndex(3)
    wait_loaded(qtbot, screen, 12)
    screen.table.selectRow(0)
    focus(qtbot, screen.table)
    qtbot.waitUntil(lambda: len(screen.sources_panel.sources()) == 3)
    qtbot.waitUntil(lambda: screen.tabs.tabText(3) == "All  12")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / ("keywords.png" if scheme == "light" else "keywords-dark.png")
    assert window.grab().save(str(path))
    # Nothing cramped: the keyword column keeps room for most headlines (it once shrank to 48 px).
    assert screen.table.columnWidth(0) >= 240
