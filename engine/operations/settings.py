"""Settings operations: save a profile and this computer's settings, and the profile commands.

The order of a save is a rule: every part is checked first (engine.validation:
field -> reason) and nothing at all is written when any is refused; then the
API key goes to the OS keyring, as it is the one write that can still be
refused (a locked keychain), and nothing else is written when it is; a problem
only the database sees (two profiles with one name) comes back as field
reasons, like a validation problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.execution.settings import EngineSettings
from engine.pipeline.brief import Profile
from engine.profiles import ProfileStore, ProviderTuning
from engine.providers.base import ProviderConfigError
from engine.providers.keys import set_api_key
from engine.validation import SettingsInvalid, under


@dataclass(frozen=True)
class Saved:
    problems: dict[str, str] = field(default_factory=dict)   # field -> reason; nothing more was written
    profile_id: int | None = None                            # the saved profile (a new one has its id now)


def settings_problems(*, profile: Profile | Mapping[str, Any] | None = None, machine: Mapping[str, Any] | None = None,
                      tuning: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Field -> reason for every refused value of the parts given, keyed as the Settings screen names them:
    the profile's own ("model", "quality_gates.bias_max"), "engine.<name>", "tuning.<name>". No database
    read (the screen calls it on each edit): engine settings missing from `machine` take their defaults."""
    problems: dict[str, str] = {}
    if profile is not None:
        problems.update(Profile.problems(profile.model_dump() if isinstance(profile, Profile) else profile))
    if machine is not None:
        problems.update(under("engine", EngineSettings.problems(machine)))
    if tuning is not None:
        problems.update(under("tuning", ProviderTuning.problems(tuning)))
    return problems


def save_settings(store: ProfileStore, *, profile: Profile | Mapping[str, Any] | None = None,
                  machine: Mapping[str, Any] | None = None, tuning: Mapping[str, Any] | None = None,
                  publish_folder: str | None = None, api_key: tuple[str, str] | None = None) -> Saved:
    """Write the parts given (None parts are left as they are), or nothing if any value is refused."""
    # The engine settings over the stored ones: a hard limit given alone must follow the stored soft limit.
    stored_machine = None if machine is None else {**store.engine_settings().to_dict(), **machine}
    problems = settings_problems(profile=profile, machine=stored_machine, tuning=tuning)
    if problems:
        return Saved(problems)
    if api_key is not None:
        provider, key = api_key
        try:
            set_api_key(provider, key)
        except ProviderConfigError as error:
            return Saved({"api_key": str(error)})
    profile_id = None
    if profile is not None:
        try:
            profile_id = store.save(profile).id
        except SettingsInvalid as error:
            return Saved(error.fields)
    if machine is not None:
        store.save_engine_settings(machine)
    if tuning is not None:
        store.save_provider_tuning(tuning)
    if publish_folder is not None:
        store.save_publish_folder(publish_folder.strip())
    return Saved({}, profile_id)


def unique_profile_name(store: ProfileStore, wanted: str) -> str:
    """`wanted`, or `wanted 2`, `wanted 3`... whichever no profile has yet (names are unique case-insensitively)."""
    taken = {p.name.casefold() for p in store.list()}
    if wanted.casefold() not in taken:
        return wanted
    number = 2
    while f"{wanted} {number}".casefold() in taken:
        number += 1
    return f"{wanted} {number}"


def new_profile(store: ProfileStore) -> Profile:
    return store.save(Profile(name=unique_profile_name(store, "Profile")))


def duplicate_profile(store: ProfileStore, profile_id: int) -> Profile | None:
    """A copy of the profile under a new name (never the default); None when it no longer exists."""
    original = next((p for p in store.list() if p.id == profile_id), None)
    if original is None:
        return None
    return store.save(original.model_copy(update={"id": None, "is_default": False,
                                                  "name": unique_profile_name(store, f"{original.name} copy")}))
