"""Settings: the engine's field reasons, passed as data, show beside their own fields (real widgets, real database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, Qt

from app.background import BackgroundOps
from app.context import AppContext
from app.services.settings import SettingsDraft, SettingsService
from engine.execution.settings import EngineSettings
from engine.profiles import ProfileStore
from engine.store.models import AIGenerationConfig
from ui.screens.settings import SettingsScreen


@pytest.fixture
def stored_out_of_range(context: AppContext) -> None:
    """The default profile as an older version may have stored it: two gates today's checks refuse."""
    with context.db.write() as session:
        config = session.query(AIGenerationConfig).one()
        config.quality_gates = {"bias_max": 120, "fact_check_min": 150}


@pytest.fixture
def screen(stored_out_of_range: None, context: AppContext, ops: BackgroundOps, qtbot) -> Iterator[SettingsScreen]:
    view = SettingsScreen(SettingsService(context, ops))
    qtbot.addWidget(view)
    view.resize(1180, 900)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: not view.is_loading and view.profile_list.count() == 1)
    yield view


def below_its_editor(screen: SettingsScreen, key: str) -> bool:
    """The reason is shown, in the field's own row, just under its editor and left-aligned with it."""
    field = screen.fields[key]
    frame_top_left = field.frame.mapTo(screen, QPoint(0, 0))
    label_top_left = field.problem_label.mapTo(screen, QPoint(0, 0))
    return (field.problem_label.isVisible() and field.frame.property("invalid") is True
            and 0 <= label_top_left.y() - (frame_top_left.y() + field.frame.height()) <= 8
            and label_top_left.x() == frame_top_left.x())


def test_stored_values_refused_today_show_their_reasons_beside_their_fields(
        qtbot, context: AppContext, screen: SettingsScreen) -> None:
    bias, fact = "quality_gates.bias_max", "quality_gates.fact_check_min"
    assert screen.problems == {bias: "between 0 and 100", fact: "between 0 and 100"}
    assert screen.fields[bias].problem == screen.fields[fact].problem == "Between 0 and 100"
    qtbot.waitUntil(lambda: below_its_editor(screen, bias) and below_its_editor(screen, fact))
    assert not screen.fields["quality_gates.overall_min"].problem and not screen.save_button.isEnabled()
    assert screen.tabs.tabText(0) == "Profile (2 to fix)"

    screen.gate_boxes["bias_max"].setValue(25)
    assert screen.problems == {fact: "between 0 and 100"}
    assert not screen.fields[bias].problem and screen.fields[bias].frame.property("invalid") is False
    screen.gate_boxes["fact_check_min"].setValue(90)
    assert screen.problems == {} and screen.save_button.isEnabled()
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.is_loading and not screen.is_dirty)
    [profile] = ProfileStore(context.db).list()
    assert (profile.quality_gates["bias_max"], profile.quality_gates["fact_check_min"]) == (25, 90)


def test_each_engine_reason_reaches_its_own_field(qtbot, screen: SettingsScreen) -> None:
    screen.tabs.setCurrentIndex(1)
    screen.machine_boxes["slots"].setValue(300)
    screen.machine_boxes["generate_retries"].setValue(25)
    # The reasons are the engine's, as data: what EngineSettings says of each field is what the screen shows.
    reasons = EngineSettings.problems({"slots": 300, "generate_retries": 25})
    assert reasons == {"slots": "1 to 256 jobs per process", "generate_retries": "0 to 20 retries"}
    for name, reason in reasons.items():
        assert screen.problems[f"engine.{name}"] == reason
        assert screen.fields[f"engine.{name}"].problem == reason[:1].upper() + reason[1:]
    qtbot.waitUntil(lambda: below_its_editor(screen, "engine.slots")
                    and below_its_editor(screen, "engine.generate_retries"))
    assert screen.tabs.tabText(1) == "This computer (2 to fix)"
    assert SettingsService.validate(SettingsDraft(machine={"slots": 300, "generate_retries": 25})) == {
        f"engine.{name}": reason for name, reason in reasons.items()}
