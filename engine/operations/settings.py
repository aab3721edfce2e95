"""Settings operations: save a profile and this computer's settings, and the profile commands.

The order of a save is a rule: the API key goes to the OS keyring first, as it
is the one write that can still be refused (a locked keychain), and nothing
else is written when it is; a problem only the database sees (two profiles
with one name) comes back as field reasons, like a validation problem.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from engine.profiles import ProfileData, ProfileError, ProfileStore
from engine.providers.base import ProviderConfigError
from engine.providers.keys import set_api_key


@dataclass(frozen=True)
class Saved:
    problems: dict[str, str] = field(default_factory=dict)   # field -> reason; nothing more was written
    profile_id: int | None = None                            # the saved profile (a new one has its id now)


def save_settings(store: ProfileStore, *, profile: ProfileData | None = None, machine: dict[str, Any] | None = None,
                  tuning: dict[str, Any] | None = None, publish_folder: str | None = None,
                  api_key: tuple[str, str] | None = None) -> Saved:
    """Write the parts given (None parts are left as they are), already validated by the caller."""
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
        except ProfileError as error:
            return Saved(error.problems)
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


def new_profile(store: ProfileStore) -> ProfileData:
    return store.save(ProfileData(name=unique_profile_name(store, "Profile")))


def duplicate_profile(store: ProfileStore, profile_id: int) -> ProfileData | None:
    """A copy of the profile under a new name (never the default); None when it no longer exists."""
    original = next((p for p in store.list() if p.id == profile_id), None)
    if original is None:
        return None
    return store.save(dataclasses.replace(original, id=None, is_default=False,
                                          name=unique_profile_name(store, f"{original.name} copy")))
