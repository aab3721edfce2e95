"""Settings: the profile's checker (who runs the checking stages) and the originality gate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea

from app.background import BackgroundOps
from app.context import AppContext
from app.services.settings import SettingsService
from engine.profiles import ProfileStore
from ui.screens.settings import CHECKERS, SettingsScreen

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHECKER_CHOICES = [choice for choice, _label in CHECKERS]


@pytest.fixture
def screen(context: AppContext, ops: BackgroundOps, qtbot) -> Iterator[SettingsScreen]:
    view = SettingsScreen(SettingsService(context, ops))
    qtbot.addWidget(view)
    view.resize(1180, 900)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: not view.is_loading and view.profile_list.count() == 1)
    yield view


def save(qtbot, screen: SettingsScreen) -> None:
    assert screen.save_button.isEnabled(), screen.problems
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.is_loading and not screen.is_dirty)


def test_a_local_fact_checker_is_set_per_profile(qtbot, context: AppContext, screen: SettingsScreen) -> None:
    assert screen.checker_box.currentIndex() == CHECKER_CHOICES.index("same")
    assert not screen.fields["checker.model"].isVisibleTo(screen)
    assert screen.gate_boxes["originality_min"].value() == 40     # the gate is on by default

    screen.checker_box.setCurrentIndex(CHECKER_CHOICES.index("compatible"))
    assert screen.fields["checker.base_url"].isVisibleTo(screen)
    screen.checker_model_edit.setText("bespoke-minicheck")
    qtbot.waitUntil(lambda: "checker.base_url" in screen.problems)    # a server needs its address
    assert not screen.save_button.isEnabled()
    screen.checker_url_edit.setText("localhost:11434")
    qtbot.waitUntil(lambda: screen.problems.get("checker.base_url", "").startswith("an http(s) URL"))
    screen.checker_url_edit.setText("http://localhost:11434/v1")
    screen.checker_protocol_box.setCurrentIndex(1)                   # minicheck
    screen.gate_boxes["originality_min"].setValue(25)
    ARTIFACTS.mkdir(exist_ok=True)
    scroll = next(a for a in screen.findChildren(QScrollArea) if a.widget().isAncestorOf(screen.checker_box))
    page = scroll.widget()
    qtbot.waitUntil(lambda: page.height() >= page.minimumSizeHint().height())   # the rows just shown laid out
    scroll.ensureWidgetVisible(screen.checker_protocol_box)
    assert screen.grab().save(str(ARTIFACTS / "settings_checker.png"))
    save(qtbot, screen)

    profile = ProfileStore(context.db).list()[0]
    assert profile.checker == {"provider": "openai", "model": "bespoke-minicheck",
                               "base_url": "http://localhost:11434/v1", "protocol": "minicheck"}
    assert profile.quality_gates["originality_min"] == 25
    screen.refresh()
    qtbot.waitUntil(lambda: not screen.is_loading)
    assert screen.checker_box.currentIndex() == CHECKER_CHOICES.index("compatible")
    assert screen.checker_model_edit.text() == "bespoke-minicheck"

    screen.checker_box.setCurrentIndex(CHECKER_CHOICES.index("same"))
    save(qtbot, screen)
    assert ProfileStore(context.db).list()[0].checker == {}
