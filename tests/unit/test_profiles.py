from __future__ import annotations

import pytest

from engine.profiles import ProfileData, ProfileError, ProfileStore, validate_profile
from engine.store.db import Database


def test_validation_names_each_bad_field() -> None:
    problems = validate_profile(ProfileData(name=" ", provider="gemini", model="", base_url="ftp://x",
                                            temperature=3, target_length=50, requests_per_minute=-1,
                                            quality_gates={"bias_max": 120}))
    assert set(problems) == {"name", "provider", "model", "base_url", "temperature", "target_length",
                             "requests_per_minute", "quality_gates"}
    assert validate_profile(ProfileData()) == {}


def test_profiles_are_saved_made_default_and_protected(db: Database) -> None:
    store = ProfileStore(db)
    [default] = store.list()
    assert default.is_default and default.provider == "offline"
    local = store.save(ProfileData(name="Local llama", provider="openai", model="llama3.1:8b",
                                   base_url="http://localhost:11434/v1", quality_gates={"fact_check_min": 85}))
    with pytest.raises(ProfileError) as clash:
        store.save(ProfileData(name="local LLAMA"))
    assert "name" in clash.value.problems
    store.make_default(local.id)
    assert [p.is_default for p in store.list()] == [False, True]
    with pytest.raises(ProfileError, match="default profile cannot be deleted"):
        store.delete(local.id)
    store.delete(default.id)
    assert [p.name for p in store.list()] == ["Local llama"]


def test_machine_settings_are_validated(db: Database) -> None:
    store = ProfileStore(db)
    assert store.save_engine_settings({"workers": 3, "slots": 4}).workers == 3
    with pytest.raises(ProfileError, match="slots"):
        store.save_engine_settings({"slots": 0})
    assert store.engine_settings().slots == 4
    store.save_provider_tuning({"request_timeout_s": 30})
    with pytest.raises(ProfileError):
        store.save_provider_tuning({"max_attempts": 0, "colour": 1})
    assert store.provider_tuning() == {"request_timeout_s": 30}
    store.save_publish_folder("/tmp/out")
    assert store.publish_folder() == "/tmp/out"
