"""The Settings screen on a real database: inline refusals, saving, profiles, keys, the connection test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from app.background import BackgroundOps
from app.context import AppContext
from app.services.settings import SettingsDraft, SettingsService
from engine.execution.settings import load_engine_settings
from engine.profiles import ProfileStore
from tests.fakes.fixtures import memory_keyring  # noqa: F401 - a fixture
from tests.fakes.llm_server import FakeLLMServer
from tests.gui.helpers import click_message_button, wait_for_dialog
from ui.screens.settings import PROVIDERS, SettingsScreen

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHOICES = [choice for choice, _label in PROVIDERS]


@pytest.fixture
def service(context: AppContext, ops: BackgroundOps) -> SettingsService:
    return SettingsService(context, ops)


@pytest.fixture
def screen(service: SettingsService, qtbot) -> Iterator[SettingsScreen]:
    view = SettingsScreen(service)
    qtbot.addWidget(view)
    view.resize(1180, 900)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: not view.is_loading and view.profile_list.count() == 1)
    yield view


def choose(screen: SettingsScreen, choice: str) -> None:
    screen.provider_box.setCurrentIndex(CHOICES.index(choice))


def save(qtbot, screen: SettingsScreen) -> None:
    assert screen.save_button.isEnabled(), screen.problems
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not screen.is_loading and not screen.is_dirty)


def stored(context: AppContext):
    return ProfileStore(context.db).list()


def test_keyring_status_on_a_machine_without_one(screen: SettingsScreen) -> None:
    choose(screen, "offline")
    assert not screen.key_edit.isEnabled()
    assert screen.fields["api_key"].hint_label.text() == "The offline provider needs no key."
    choose(screen, "openai")
    assert screen.model_box.currentText() == "gpt-4o-mini"       # that provider's default model
    assert screen.key_edit.echoMode() == screen.key_edit.EchoMode.Password
    assert not screen.key_edit.isEnabled()
    assert screen.key_edit.placeholderText() == "No OS keyring here: set OPENAI_API_KEY"
    assert screen.fields["api_key"].hint_label.text() == (
        "No OS keyring is available on this computer, so the key is read from the environment variable "
        "OPENAI_API_KEY and is never stored in plain text. OPENAI_API_KEY is not set in this environment.")
    choose(screen, "anthropic")
    assert screen.model_box.currentText() == "claude-sonnet-4-5"
    assert "ANTHROPIC_API_KEY" in screen.fields["api_key"].hint_label.text()
    # And a key that reached the service anyway is refused, never written anywhere else.
    assert SettingsService.validate(SettingsDraft(api_key=("openai", "sk-test-1234567890"))) == {
        "api_key": "no OS keyring to keep it in: set OPENAI_API_KEY instead"}


def test_invalid_values_are_refused_inline_and_not_saved(qtbot, context: AppContext, screen: SettingsScreen) -> None:
    before = stored(context)[0]
    screen.name_edit.clear()
    screen.length_box.setValue(50)
    screen.gate_boxes["bias_max"].setValue(120)
    field = screen.fields["name"]
    assert field.problem == "A name of 1 to 100 characters" and field.frame.property("invalid") is True
    assert screen.fields["target_length"].problem == "Between 100 and 10,000 words"
    assert screen.fields["quality_gates.bias_max"].problem == "Between 0 and 100"
    assert not screen.save_button.isEnabled() and screen.revert_button.isEnabled()
    assert screen.status_label.text().startswith("3 values to fix before saving.")
    assert screen.tabs.tabText(0) == "Profile (3 to fix)"
    ARTIFACTS.mkdir(exist_ok=True)
    screen.grab().save(str(ARTIFACTS / "settings_invalid.png"))

    screen.tabs.setCurrentIndex(1)
    screen.machine_boxes["workers"].setValue(0)
    screen.machine_boxes["hard_time_limit_s"].setValue(10)      # below the 25-minute soft limit
    assert screen.fields["engine.workers"].problem == "1 to 64 worker processes"
    screen.machine_boxes["workers"].setValue(5)
    assert screen.fields["engine.hard_time_limit_s"].problem == "At least the soft limit"
    screen.attempts_box.setValue(0)
    assert screen.fields["tuning.max_attempts"].problem == "At least 1"
    screen.publish_edit.setText("relative/folder")
    assert screen.fields["publish_folder"].problem == "A full folder path, e.g. /home/you/Published"
    assert screen.tabs.tabText(1) == "This computer (3 to fix)"

    screen.save()                                               # refused while anything is invalid
    assert not screen.is_loading
    assert stored(context)[0] == before
    assert load_engine_settings(context.db).workers != 5

    screen.revert()
    assert not screen.problems and not screen.is_dirty and screen.name_edit.text() == before.name
    assert screen.fields["name"].frame.property("invalid") is False and not screen.fields["name"].problem


def test_a_valid_profile_and_machine_settings_are_saved(qtbot, context: AppContext, screen: SettingsScreen,
                                                        tmp_path: Path) -> None:
    choose(screen, "compatible")
    assert screen.fields["base_url"].isVisibleTo(screen)
    assert screen.fields["base_url"].problem == "The server's address, e.g. http://localhost:11434/v1"
    screen.base_url_edit.setText("localhost:11434")
    assert screen.fields["base_url"].problem == "An http(s) URL such as http://localhost:11434/v1"
    screen.base_url_edit.setText("http://localhost:11434/v1")
    screen.model_box.setEditText("llama3.1:8b")
    screen.tone_edit.setText("warm, plain")
    screen.length_box.setValue(650)
    screen.style_edit.setPlainText("Spell out numbers under ten.")
    screen.gate_boxes["fact_check_min"].setValue(85)
    screen.rpm_box.setValue(120)
    screen.machine_boxes["workers"].setValue(3)
    screen.machine_boxes["soft_time_limit_s"].setValue(20)
    screen.publish_edit.setText(str(tmp_path / "published"))
    assert not screen.profile_list.isEnabled() and screen.lock_label.isVisibleTo(screen)
    save(qtbot, screen)

    profile = stored(context)[0]
    assert (profile.provider, profile.base_url, profile.model) == ("openai", "http://localhost:11434/v1",
                                                                   "llama3.1:8b")
    assert (profile.tone, profile.target_length, profile.style_guide) == ("warm, plain", 650,
                                                                          "Spell out numbers under ten.")
    assert profile.quality_gates["fact_check_min"] == 85 and profile.requests_per_minute == 120
    engine = load_engine_settings(context.db)
    assert engine.workers == 3 and engine.soft_time_limit_s == 20 * 60
    assert ProfileStore(context.db).publish_folder() == str(tmp_path / "published")
    assert screen.provider_box.currentIndex() == CHOICES.index("compatible")    # shown as saved
    assert screen.profile_list.isEnabled() and not screen.save_button.isEnabled()
    screen.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: not screen.tabs.widget(1).verticalScrollBar().isVisible())     # laid out
    screen.grab().save(str(ARTIFACTS / "settings_computer.png"))


def test_profiles_new_duplicate_default_delete(qtbot, context: AppContext, screen: SettingsScreen) -> None:
    qtbot.mouseClick(screen.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.profile_list.count() == 2)
    assert screen.name_edit.text() == "Profile"
    screen.name_edit.setText("Default")                 # taken: only the database can tell
    save_attempt = screen.save_button
    qtbot.mouseClick(save_attempt, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(screen.fields["name"].problem))
    assert screen.fields["name"].problem == "Another profile is called 'Default'"
    assert sorted(p.name for p in stored(context)) == ["Default", "Profile"]
    screen.name_edit.setText("Weekend desk")
    save(qtbot, screen)
    assert sorted(p.name for p in stored(context)) == ["Default", "Weekend desk"]

    qtbot.mouseClick(screen.duplicate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.profile_list.count() == 3)
    assert screen.name_edit.text() == "Weekend desk copy"
    qtbot.mouseClick(screen.default_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.profile_list.currentItem().text() == "Weekend desk copy  (default)")
    assert [p.name for p in stored(context) if p.is_default] == ["Weekend desk copy"]
    assert not screen.default_button.isEnabled()

    qtbot.mouseClick(screen.delete_button, Qt.MouseButton.LeftButton)
    click_message_button(qtbot, screen, "Delete")
    refusal = wait_for_dialog(qtbot, screen, QMessageBox)
    assert refusal.text() == "The default profile cannot be deleted; make another one the default."
    refusal.close()
    screen.profile_list.setCurrentRow(0)                # "Default", no longer the default
    qtbot.waitUntil(lambda: screen.name_edit.text() == "Default")
    qtbot.mouseClick(screen.delete_button, Qt.MouseButton.LeftButton)
    click_message_button(qtbot, screen, "Delete")
    qtbot.waitUntil(lambda: screen.profile_list.count() == 2)
    assert sorted(p.name for p in stored(context)) == ["Weekend desk", "Weekend desk copy"]


@pytest.fixture
def fake_server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def test_connection_verdicts(qtbot, screen: SettingsScreen, fake_server: FakeLLMServer) -> None:
    def verdict() -> str:
        qtbot.mouseClick(screen.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.test_button.isEnabled(), timeout=20_000)
        return screen.verdict_label.text()

    choose(screen, "compatible")
    screen.base_url_edit.setText(fake_server.url_openai)
    screen.model_box.setEditText("gpt-4o-mini")
    text = verdict()
    assert text.startswith(f"✓ Connected to OpenAI-compatible server at {fake_server.url_openai} "
                           "(model gpt-4o-mini) in ")
    assert "#2e9d58" in screen.verdict_label.styleSheet()
    assert screen.is_dirty and screen.save_button.isEnabled()         # testing saved nothing
    ARTIFACTS.mkdir(exist_ok=True)
    screen.grab().save(str(ARTIFACTS / "settings.png"))

    screen.base_url_edit.setText("http://127.0.0.1:9/v1")
    assert screen.verdict_label.text() == ""                          # the old verdict was about another server
    text = verdict()
    assert text.startswith("✗ Could not reach OpenAI-compatible server at http://127.0.0.1:9/v1")
    assert "\n" not in text and "#d0453b" in screen.verdict_label.styleSheet()

    choose(screen, "openai")                                          # the real service, and no key anywhere
    assert verdict() == "✗ No OpenAI API key: add it in Settings or set OPENAI_API_KEY"


def test_a_typed_key_goes_to_the_keyring_only(qtbot, context: AppContext, screen: SettingsScreen,
                                             memory_keyring) -> None:  # noqa: F811
    secret = "copydesk-settings-key-8c1f2e77"
    screen.refresh()                                 # the keyring changed since the screen loaded
    qtbot.waitUntil(lambda: not screen.is_loading)
    choose(screen, "openai")
    assert screen.key_edit.isEnabled()
    assert screen.fields["api_key"].hint_label.text().startswith("API keys are stored in the OS keyring")
    screen.key_edit.setText(secret)
    save(qtbot, screen)
    assert memory_keyring.get_password("copydesk", "openai") == secret
    assert screen.key_edit.text() == ""              # not kept on screen either
    assert secret.encode() not in context.home.database_path.read_bytes()
