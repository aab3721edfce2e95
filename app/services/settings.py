"""Settings as the Settings screen uses them: profiles, this computer's engine settings, keys, a connection test.

`validate` is the cheap synchronous check the screen runs on every edit: one
readable reason per bad field, keyed the way the screen names its fields
("model", "quality_gates.bias_max", "engine.workers", "tuning.max_attempts",
"publish_folder", "api_key"). The reasons come as data from the engine's
pydantic models (engine.validation), never parsed out of messages. `save`
checks again and writes nothing unless everything is valid; a problem only the
database can see (two profiles with one name) comes back the same way.
Expected outcomes (problems, a failed connection test) are values, not
exceptions.

API keys go to the OS keyring only. Without one (headless Linux) the key comes
from the environment, and the screen says so; there is no plain-text fallback.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.background import BackgroundOps, describe
from app.context import AppContext
from app.services.base import Failure, Success
from engine.errors import EditorError
from engine.operations import settings as settings_operations
from engine.pipeline.brief import Profile
from engine.pipeline.persist import TUNABLE
from engine.profiles import ProfileStore
from engine.providers import make_provider
from engine.providers.base import ProviderError
from engine.providers.keys import API_KEY_ENV_VARS, keyring_status
from engine.providers.pricing import load_pricing
from engine.providers.settings import DEFAULT_MODELS, PROVIDER_NAMES, ProviderSettings
from engine.quality.overall import QualityGates

# The engine's names and defaults the screen shows, so that ui/ depends on this service only.
__all__ = ["API_KEY_ENV_VARS", "DEFAULT_MODELS", "GATE_DEFAULTS", "GATE_FIELDS", "MACHINE_FIELDS", "PROVIDER_NAMES",
           "TUNING_FIELDS", "ConnectionVerdict", "KeyStatus", "Profile", "ProfileResult", "SaveResult",
           "SettingsDraft", "SettingsService", "SettingsSnapshot"]

log = logging.getLogger("copydesk.app")

GATE_FIELDS = tuple(QualityGates.model_fields)
GATE_DEFAULTS = QualityGates().to_dict()     # what a profile without its own gates is checked against
MACHINE_FIELDS = ("workers", "slots", "soft_time_limit_s", "hard_time_limit_s", "generate_retries",
                  "generate_retry_delay_s", "stage_retries", "stage_retry_delay_s")
TUNING_FIELDS = ("request_timeout_s", "max_attempts")


@dataclass(frozen=True)
class KeyStatus:
    keyring_available: bool
    keyring_text: str                       # one line from the keyring check
    environment: dict[str, bool]            # provider -> its key's environment variable is set

    def describe(self, provider: str) -> str:
        """What Settings says about the key of `provider` ("openai" also serves compatible servers)."""
        env_var = API_KEY_ENV_VARS.get(provider)
        if env_var is None:
            return "The offline provider needs no key."
        in_env = f"{env_var} is set in this environment." if self.environment.get(provider) else \
            f"{env_var} is not set in this environment."
        if self.keyring_available:
            return f"{self.keyring_text}. A key typed here is saved there; otherwise {env_var} is used. {in_env}"
        return (f"No OS keyring is available on this computer, so the key is read from the environment "
                f"variable {env_var} and is never stored in plain text. {in_env}")


@dataclass(frozen=True)
class SettingsSnapshot:
    """Everything the screen shows, as stored."""

    profiles: tuple[Profile, ...]
    machine: dict[str, Any]                 # MACHINE_FIELDS of EngineSettings
    tuning: dict[str, Any]                  # TUNING_FIELDS, stored or the provider defaults
    publish_folder: str
    keys: KeyStatus
    models: dict[str, tuple[str, ...]]      # provider -> model names the pricing table knows


@dataclass
class SettingsDraft:
    """What the editor wants saved; None parts are left as they are."""

    profile: dict[str, Any] | None = None     # the profile's values as edited (its id included), not yet checked
    compatible_server: bool = False         # "OpenAI-compatible server": the profile must name its URL
    compatible_checker: bool = False        # the same for the checker's server
    machine: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None
    publish_folder: str | None = None
    api_key: tuple[str, str] | None = None  # (provider, key) to store in the OS keyring


@dataclass(frozen=True)
class SaveResult:
    problems: dict[str, str]                # field -> reason; nothing was saved when there are any
    snapshot: SettingsSnapshot | None = None
    profile_id: int | None = None          # the saved profile (a new one has its id now)


@dataclass(frozen=True)
class ProfileResult:
    """After a profile command: the profiles now, the one to select, or why it was refused."""

    profiles: tuple[Profile, ...]
    selected: int | None
    refused: str | None = None


@dataclass(frozen=True)
class ConnectionVerdict:
    ok: bool
    text: str                               # one line


def _folder_problem(folder: str) -> str | None:
    if not folder:
        return None
    path = Path(folder).expanduser()
    if not path.is_absolute():
        return "a full folder path, e.g. /home/you/Published"
    if path.exists() and not path.is_dir():
        return "this is a file, not a folder"
    return None


class SettingsService(QObject):
    """Settings for the Settings screen, run off the GUI thread."""

    settings_saved = Signal(object)         # SettingsSnapshot
    profiles_changed = Signal(object)       # tuple[Profile, ...]

    def __init__(self, context: AppContext, ops: BackgroundOps, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = ProfileStore(context.db)
        self._ops = ops
        self._pricing_override = context.home.pricing_override

    # ------------------------------------------------------------------ reads

    def load(self, *, success: Success[SettingsSnapshot], failure: Failure = None) -> None:
        self._ops.run(self._snapshot, success=success, failure=failure)

    @staticmethod
    def validate(draft: SettingsDraft) -> dict[str, str]:
        """Field -> reason for every invalid value; empty when the draft can be saved. Cheap: call it on each edit."""
        problems = settings_operations.settings_problems(profile=draft.profile, machine=draft.machine,
                                                         tuning=draft.tuning)
        if draft.profile is not None:
            if draft.compatible_server and not (draft.profile.get("base_url") or "").strip():
                problems.setdefault("base_url", "the server's address, e.g. http://localhost:11434/v1")
            checker = draft.profile.get("checker") or {}
            if draft.compatible_checker and not (checker.get("base_url") or "").strip():
                problems.setdefault("checker.base_url", "the server's address, e.g. http://localhost:11434/v1")
        if draft.publish_folder is not None:
            reason = _folder_problem(draft.publish_folder.strip())
            if reason:
                problems.setdefault("publish_folder", reason)
        if draft.api_key is not None and draft.api_key[1] and not keyring_status()[0]:
            env_var = API_KEY_ENV_VARS.get(draft.api_key[0], "the environment variable")
            problems.setdefault("api_key", f"no OS keyring to keep it in: set {env_var} instead")
        return problems

    # -------------------------------------------------------------- mutations

    def save(self, draft: SettingsDraft, *, success: Success[SaveResult] = None, failure: Failure = None) -> None:
        """Save the draft's parts, or nothing at all if any value is refused."""

        def done(result: SaveResult) -> None:
            if not result.problems and result.snapshot is not None:
                self.settings_saved.emit(result.snapshot)
            if success is not None:
                success(result)

        self._ops.run(self._save, draft, success=done, failure=failure)

    def new_profile(self, *, success: Success[ProfileResult] = None, failure: Failure = None) -> None:
        """A profile with the default values under a name not yet taken ("Profile 2")."""
        self._profile_command(self._new, success=success, failure=failure)

    def duplicate_profile(self, profile_id: int, *, success: Success[ProfileResult] = None,
                          failure: Failure = None) -> None:
        self._profile_command(self._duplicate, profile_id, success=success, failure=failure)

    def delete_profile(self, profile_id: int, *, success: Success[ProfileResult] = None,
                       failure: Failure = None) -> None:
        """Refused for the default profile and for one that articles were generated with."""
        self._profile_command(self._delete, profile_id, success=success, failure=failure)

    def make_default(self, profile_id: int, *, success: Success[ProfileResult] = None,
                     failure: Failure = None) -> None:
        """New batches use the default profile."""
        self._profile_command(self._make_default, profile_id, success=success, failure=failure)

    def test_connection(self, profile: Mapping[str, Any], *, api_key: str | None = None,
                        tuning: Mapping[str, Any] | None = None, success: Success[ConnectionVerdict] = None,
                        failure: Failure = None) -> None:
        """One tiny real request with these (possibly unsaved) settings, in the background."""
        self._ops.run(self._test_connection, profile, api_key, dict(tuning or {}), success=success,
                      failure=failure)

    # ------------------------------------------------- work in the background

    def _snapshot(self) -> SettingsSnapshot:
        engine = self._store.engine_settings().to_dict()
        defaults = ProviderSettings()
        tuning = {name: getattr(defaults, name) for name in TUNING_FIELDS}
        tuning.update({k: v for k, v in self._store.provider_tuning().items() if k in TUNING_FIELDS})
        available, text = keyring_status()
        keys = KeyStatus(available, text, {p: bool(os.environ.get(v)) for p, v in API_KEY_ENV_VARS.items()})
        names = tuple(load_pricing(self._pricing_override).models)
        models = {"openai": tuple(n for n in names if not n.startswith("claude")),
                  "anthropic": tuple(n for n in names if n.startswith("claude"))}
        return SettingsSnapshot(tuple(self._store.list()), {k: engine[k] for k in MACHINE_FIELDS}, tuning,
                                self._store.publish_folder() or "", keys, models)

    def _save(self, draft: SettingsDraft) -> SaveResult:
        problems = self.validate(draft)
        if problems:
            return SaveResult(problems)
        saved = settings_operations.save_settings(self._store, profile=draft.profile, machine=draft.machine,
                                                  tuning=draft.tuning, publish_folder=draft.publish_folder,
                                                  api_key=draft.api_key)
        if saved.problems:
            return SaveResult(saved.problems)
        return SaveResult({}, self._snapshot(), saved.profile_id)

    def _new(self) -> ProfileResult:
        saved = settings_operations.new_profile(self._store)
        return ProfileResult(tuple(self._store.list()), saved.id)

    def _duplicate(self, profile_id: int) -> ProfileResult:
        copy = settings_operations.duplicate_profile(self._store, profile_id)
        if copy is None:
            return ProfileResult(tuple(self._store.list()), None, "That profile no longer exists.")
        return ProfileResult(tuple(self._store.list()), copy.id)

    def _delete(self, profile_id: int) -> ProfileResult:
        try:
            self._store.delete(profile_id)
        except EditorError as error:
            reason = str(error)
            return ProfileResult(tuple(self._store.list()), profile_id, reason[:1].upper() + reason[1:] + ".")
        profiles = tuple(self._store.list())
        default = next((p.id for p in profiles if p.is_default), None)
        return ProfileResult(profiles, default)

    def _make_default(self, profile_id: int) -> ProfileResult:
        try:
            self._store.make_default(profile_id)
        except EditorError as error:
            return ProfileResult(tuple(self._store.list()), None, str(error))
        return ProfileResult(tuple(self._store.list()), profile_id)

    def _profile_command(self, work: Callable[..., ProfileResult], *args: Any, success: Success[ProfileResult],
                         failure: Failure) -> None:
        def done(result: ProfileResult) -> None:
            if result.refused is None:
                self.profiles_changed.emit(result.profiles)
            if success is not None:
                success(result)

        self._ops.run(work, *args, success=done, failure=failure)

    def _test_connection(self, profile: Mapping[str, Any], api_key: str | None,
                         tuning: dict[str, Any]) -> ConnectionVerdict:
        provider_name, model = profile.get("provider"), str(profile.get("model") or "")
        if provider_name == "offline":
            return ConnectionVerdict(True, "The offline provider runs on this computer: there is nothing to connect to.")
        try:
            settings = ProviderSettings(provider=str(provider_name), model=model.strip(),
                                        base_url=(profile.get("base_url") or "").strip() or None,
                                        **{k: v for k, v in tuning.items() if k in TUNABLE})
            provider = make_provider(settings, api_key=api_key or None)
        except ProviderError as error:
            return ConnectionVerdict(False, str(error))
        assert provider is not None

        async def check() -> str:
            try:
                return await provider.check_connection()
            finally:
                await provider.aclose()

        # A loop of its own in this worker thread: the SDK's client is bound to the loop it runs on,
        # and the GUI's loop must not wait on the network.
        try:
            return ConnectionVerdict(True, asyncio.run(check()))
        except ProviderError as error:
            return ConnectionVerdict(False, str(error))
        except Exception as error:      # an SDK or network error the provider did not classify
            log.warning("Connection test failed", exc_info=error)
            return ConnectionVerdict(False, describe(error))
