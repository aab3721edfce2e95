"""Profiles and this computer's settings: checked by pydantic, refusals as field -> reason, stored as JSON."""

from __future__ import annotations

import pytest

from engine.errors import EditorError
from engine.execution.settings import (
    ENGINE_SETTINGS_KEY,
    EngineSettings,
    EngineSettingsError,
    load_engine_settings,
    save_engine_settings,
)
from engine.operations.settings import save_settings
from engine.pipeline.brief import Profile
from engine.pipeline.persist import TUNABLE, profile_of
from engine.profiles import ProfileStore, ProviderTuning
from engine.store.db import Database
from engine.store.models import AIGenerationConfig, AppSetting
from engine.validation import SettingsInvalid


def test_validation_names_each_bad_field_with_its_reason() -> None:
    problems = Profile.problems({"name": " ", "provider": "gemini", "model": "", "base_url": "ftp://x",
                                 "temperature": 3, "target_length": 50, "requests_per_minute": -1,
                                 "tokens_per_minute": "many", "quality_gates": {"bias_max": 120, "overall_min": -1}})
    assert problems == {
        "name": "a name of 1 to 100 characters", "provider": "one of offline, openai, anthropic",
        "model": "a model name (e.g. gpt-4o-mini, claude-sonnet-4-5)",
        "base_url": "an http(s) URL such as http://localhost:11434/v1", "temperature": "between 0 and 2",
        "target_length": "between 100 and 10,000 words", "requests_per_minute": "0 (no limit) or more",
        "tokens_per_minute": "0 (no limit) or more",
        "quality_gates.bias_max": "between 0 and 100", "quality_gates.overall_min": "between 0 and 100"}
    assert Profile.problems({}) == {} and Profile.problems(Profile().model_dump()) == {}


def test_a_refusal_is_one_line_with_the_reasons_as_data() -> None:
    with pytest.raises(SettingsInvalid) as refused:
        Profile.checked({"temperature": 9, "target_length": 5, "colour": "red"})
    assert isinstance(refused.value, EditorError)
    assert refused.value.fields == {"temperature": "between 0 and 2", "target_length": "between 100 and 10,000 words",
                                    "colour": refused.value.fields["colour"]}
    assert refused.value.fields["colour"].startswith("an unknown setting (known: id, is_default, name,")
    assert str(refused.value) == "invalid temperature: between 0 and 2 (and 2 more)"


def test_the_checker_is_checked_field_by_field() -> None:
    assert Profile.problems({"checker": {"provider": "gemini", "protocol": "guess", "base_url": "localhost:11434",
                                         "colour": "red"}}) == {
        "checker.provider": "one of offline, openai, anthropic, or empty for the generation provider",
        "checker.protocol": "one of auto, minicheck, judge",
        "checker.base_url": "an http(s) URL such as http://localhost:11434/v1",
        "checker.colour": "an unknown setting (known: provider, protocol, base_url, model)"}
    assert Profile.problems({"checker": {"provider": "openai", "protocol": "minicheck"}}) == {
        "checker.model": "the fact-checking model's name, e.g. bespoke-minicheck"}
    # Kept as stored: stripped, and only the values that are set.
    checked = Profile.checked({"checker": {"provider": "openai", "model": " bespoke-minicheck ", "base_url": ""}})
    assert checked.checker == {"provider": "openai", "model": "bespoke-minicheck"}


def test_weights_all_zero_are_refused_as_one_reason() -> None:
    assert Profile.problems({"quality_weights": {"fact": 0, "bias": 0, "perspective": 0, "originality": 0}}) == {
        "quality_weights": "weights that are not all 0"}


def test_engine_settings_limits_and_reasons() -> None:
    with pytest.raises(EngineSettingsError) as refused:
        EngineSettings.checked({"workers": 0, "slots": 257, "soft_time_limit_s": 600, "hard_time_limit_s": 300,
                                "generate_retries": 21, "stage_retry_delay_s": -1, "lease_s": 0.5})
    assert refused.value.fields == {
        "workers": "1 to 64 worker processes", "slots": "1 to 256 jobs per process",
        "hard_time_limit_s": "at least the soft limit", "lease_s": "1 second or more",
        "generate_retries": "0 to 20 retries", "stage_retry_delay_s": "0 seconds or more"}
    assert isinstance(refused.value, SettingsInvalid)
    edge = EngineSettings.checked({"workers": 64, "slots": 1, "soft_time_limit_s": 60, "hard_time_limit_s": 60,
                                   "generate_retries": 0, "stage_retries": 20})
    assert (edge.workers, edge.hard_time_limit_s) == (64, 60)
    # A setting a later version dropped is ignored, not refused: the stored row must still load.
    assert EngineSettings.from_dict({"slots": 3, "dropped_setting": 1}).slots == 3
    with pytest.raises(EngineSettingsError, match="^invalid engine setting slots: 1 to 256 jobs per process$"):
        EngineSettings().with_overrides(slots=0, workers=None)


def test_provider_tuning_limits_name_every_tunable_setting() -> None:
    assert tuple(ProviderTuning.model_fields) == TUNABLE
    assert ProviderTuning.problems({"max_attempts": 0, "request_timeout_s": 0, "colour": 1}) == {
        "max_attempts": "at least 1", "request_timeout_s": "more than 0 seconds",
        "colour": ProviderTuning.problems({"colour": 1})["colour"]}


def test_profiles_round_trip_through_the_database_json(db: Database) -> None:
    store = ProfileStore(db)
    wanted = Profile(name="  Night desk ", provider="openai", model="llama3.1:8b",
                     base_url="http://localhost:11434/v1", temperature=0.2, target_length=650,
                     banned_phrases=("in a world where",), stage_models={"draft": "llama3.1:70b"},
                     quality_gates={"fact_check_min": 85, "min_perspectives": 3}, quality_weights={"fact": 0.5},
                     requests_per_minute=60, checker={"provider": "openai", "model": "bespoke-minicheck",
                                                      "protocol": "minicheck"})
    saved = store.save(wanted)
    assert saved.id is not None and saved.name == "Night desk"
    assert saved == wanted.model_copy(update={"id": saved.id, "name": "Night desk"})
    assert next(p for p in store.list() if p.id == saved.id) == saved
    with db.read() as session:
        config = session.get(AIGenerationConfig, saved.id)
        assert config.banned_phrases == ["in a world where"] and config.quality_gates == {
            "fact_check_min": 85, "min_perspectives": 3}
        # The pipeline reads the same model from the same row.
        assert profile_of(config) == saved.model_copy(update={"id": None, "is_default": False})


def test_profiles_are_saved_made_default_and_protected(db: Database) -> None:
    store = ProfileStore(db)
    [default] = store.list()
    assert default.is_default and default.provider == "offline"
    local = store.save(Profile(name="Local llama", provider="openai", model="llama3.1:8b",
                               base_url="http://localhost:11434/v1", quality_gates={"fact_check_min": 85}))
    with pytest.raises(SettingsInvalid) as clash:
        store.save(Profile(name="local LLAMA"))
    assert clash.value.fields == {"name": "another profile is called 'local LLAMA'"}
    with pytest.raises(SettingsInvalid) as refused:       # a profile made without checking is checked on saving
        store.save(local.model_copy(update={"temperature": 7}))
    assert refused.value.fields == {"temperature": "between 0 and 2"}
    store.make_default(local.id)
    assert [p.is_default for p in store.list()] == [False, True]
    with pytest.raises(EditorError, match="default profile cannot be deleted"):
        store.delete(local.id)
    store.delete(default.id)
    assert [p.name for p in store.list()] == ["Local llama"]


def test_machine_settings_are_validated(db: Database) -> None:
    store = ProfileStore(db)
    assert store.save_engine_settings({"workers": 3, "slots": 4}).workers == 3
    with pytest.raises(SettingsInvalid) as refused:
        store.save_engine_settings({"slots": 0})
    assert refused.value.fields == {"engine.slots": "1 to 256 jobs per process"}
    assert store.engine_settings().slots == 4
    assert load_engine_settings(db).to_dict() == store.engine_settings().to_dict()
    store.save_provider_tuning({"request_timeout_s": 30})
    with pytest.raises(SettingsInvalid) as refused:
        store.save_provider_tuning({"max_attempts": 0, "colour": 1})
    assert set(refused.value.fields) == {"tuning.max_attempts", "tuning.colour"}
    assert store.provider_tuning() == {"request_timeout_s": 30}
    store.save_publish_folder("/tmp/out")
    assert store.publish_folder() == "/tmp/out"


def test_a_save_with_any_refused_part_writes_nothing(db: Database) -> None:
    store = ProfileStore(db)
    [before] = store.list()
    store.save_engine_settings({"soft_time_limit_s": 600, "hard_time_limit_s": 900})
    # The hard limit alone, below the stored soft limit: refused before anything is written.
    saved = save_settings(store, profile={**before.model_dump(), "tone": "brisk"},
                          machine={"hard_time_limit_s": 300}, publish_folder="/tmp/elsewhere")
    assert saved.problems == {"engine.hard_time_limit_s": "at least the soft limit"}
    assert store.list() == [before] and store.publish_folder() is None
    assert store.engine_settings().hard_time_limit_s == 900
    saved = save_settings(store, profile={**before.model_dump(), "tone": "brisk"}, machine={"workers": 2})
    assert saved.problems == {} and saved.profile_id == before.id
    assert store.list()[0].tone == "brisk" and store.engine_settings().workers == 2


def test_engine_settings_are_checked_on_construction_and_round_trip(db: Database) -> None:
    coerced = EngineSettings(workers="3", slots=4.0)     # as pydantic reads them: whole numbers
    assert (coerced.workers, coerced.slots) == (3, 4) and type(coerced.workers) is int
    with pytest.raises(EngineSettingsError) as refused:
        EngineSettings(workers="many", slots=2.5)
    assert refused.value.fields == {"workers": "1 to 64 worker processes", "slots": "1 to 256 jobs per process"}
    wanted = EngineSettings(workers=2, slots=16, soft_time_limit_s=90, hard_time_limit_s=120, lease_s=5)
    save_engine_settings(db, wanted)
    assert load_engine_settings(db) == wanted
    with db.read() as session:
        stored = session.get(AppSetting, ENGINE_SETTINGS_KEY).value
    assert stored == wanted.to_dict() and stored["hard_time_limit_s"] == 120
