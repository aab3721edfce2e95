"""The Settings screen is built on its first visit, not while the window starts."""

from __future__ import annotations

from collections.abc import Callable

from app.context import AppContext
from ui.main_window import MainWindow
from ui.screens.settings import SettingsScreen


def test_settings_is_built_when_first_opened_and_keeps_its_place(qtbot, make_window: Callable[[], MainWindow],
                                                                 context: AppContext) -> None:
    window = make_window()
    titles = [window.sidebar.item(row).text() for row in range(window.sidebar.count())]
    settings_row = titles.index("Settings")
    assert not window.findChildren(SettingsScreen)           # nothing built at start-up
    window.sidebar.setCurrentRow(settings_row)
    screen = window.current_screen()
    assert isinstance(screen, SettingsScreen) and screen.isVisible()
    assert window.stack.indexOf(screen) == settings_row
    assert len(window.findChildren(SettingsScreen)) == 1
    window.sidebar.setCurrentRow(0)
    window.sidebar.setCurrentRow(settings_row)               # built once
    assert window.current_screen() is screen and len(window.findChildren(SettingsScreen)) == 1
    with qtbot.waitSignal(window.closed):
        window.close()
    assert (context.home.root / "window.ini").exists()


def test_a_window_closed_before_settings_was_opened_saves_its_state(qtbot, make_window: Callable[[], MainWindow],
                                                                    context: AppContext) -> None:
    window = make_window()
    with qtbot.waitSignal(window.closed):
        window.close()
    assert not window.findChildren(SettingsScreen)
    assert (context.home.root / "window.ini").exists()
