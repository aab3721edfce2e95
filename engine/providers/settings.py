"""Which provider to use and how hard to push it: the settings a provider is built from."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from engine.logs import redact_url_secrets
from engine.providers.base import ProviderConfigError

PROVIDER_NAMES = ("offline", "openai", "anthropic")

# Used when a provider is chosen without naming a model (e.g. COPYDESK_PROVIDER alone).
DEFAULT_MODELS = {"offline": "offline", "openai": "gpt-4o-mini", "anthropic": "claude-sonnet-4-5"}

# The SDKs read these when no base_url is given; we read them too, to describe the target.
BASE_URL_ENV_VARS = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}


@dataclass(frozen=True)
class ProviderSettings:
    provider: str = "offline"          # "offline" | "openai" | "anthropic"
    model: str = ""                    # "" = the provider's default (DEFAULT_MODELS)
    # None: the SDK default, or the SDK's env var (OPENAI_BASE_URL / ANTHROPIC_BASE_URL).
    # "openai" plus a base_url serves any OpenAI-compatible server (Ollama, vLLM, ...).
    base_url: str | None = None
    request_timeout_s: float = 120.0
    max_attempts: int = 4
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 30.0
    retry_after_cap_s: float = 60.0
    requests_per_minute: int = 0       # 0 = unlimited
    tokens_per_minute: int = 0         # 0 = unlimited
    stream_threshold_tokens: int = 8000  # requests with a larger max_tokens are streamed

    def __post_init__(self) -> None:
        if self.provider not in PROVIDER_NAMES:
            raise ProviderConfigError(
                f"Unknown provider {self.provider!r}: choose one of {', '.join(PROVIDER_NAMES)}"
            )
        if not self.model:
            # Frozen dataclass: filling in a default is the one write we allow ourselves.
            object.__setattr__(self, "model", DEFAULT_MODELS[self.provider])
        if self.max_attempts < 1:
            raise ProviderConfigError("max_attempts must be at least 1")
        for name in ("request_timeout_s", "backoff_base_s", "backoff_cap_s", "retry_after_cap_s"):
            if getattr(self, name) <= 0:
                raise ProviderConfigError(f"{name} must be greater than 0")
        for name in ("requests_per_minute", "tokens_per_minute", "stream_threshold_tokens"):
            if getattr(self, name) < 0:
                raise ProviderConfigError(f"{name} must not be negative")
        if self.base_url:
            check_base_url(self.base_url)

    def effective_base_url(self, environ: Mapping[str, str] = os.environ) -> str | None:
        """The URL the SDK will actually call, or None for the provider's own service."""
        if self.base_url:
            return self.base_url
        env_var = BASE_URL_ENV_VARS.get(self.provider)
        return (environ.get(env_var) or None) if env_var else None

    def is_local(self, environ: Mapping[str, str] = os.environ) -> bool:
        """True when the server runs on this machine (Ollama, llama.cpp, LM Studio...): such
        servers need no real key and cost nothing."""
        return is_loopback_url(self.effective_base_url(environ))


def check_base_url(url: str) -> None:
    """A base URL the SDKs can call: http(s) with a host and no user name or password (the
    SDKs send the key as a header, and their transport refuses both at once). The URL is
    never quoted back whole: it may hold a secret."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ProviderConfigError("the base URL is not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ProviderConfigError("the base URL must be an http:// or https:// address with a host, "
                                  "e.g. http://localhost:11434/v1")
    if parts.username is not None or parts.password is not None:
        raise ProviderConfigError(
            f"the base URL for {parts.hostname} carries a user name or password (user:password@); remove "
            "them: the API key is sent as a header (a proxy's credentials belong in the proxy)")


def display_url(url: str) -> str:
    """`url` fit to show and log: URL passwords and key-like query values redacted."""
    return redact_url_secrets(url)


def is_loopback_url(url: str | None) -> bool:
    if not url:
        return False
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def apply_env_overrides(
    settings: ProviderSettings, environ: Mapping[str, str] = os.environ
) -> ProviderSettings:
    """Apply COPYDESK_PROVIDER, COPYDESK_MODEL and COPYDESK_BASE_URL over `settings`.

    Switching the provider without COPYDESK_MODEL picks that provider's default model, since
    the configured model most likely belongs to the other provider."""
    changes: dict[str, object] = {}
    provider = environ.get("COPYDESK_PROVIDER", "").strip().lower()
    if provider:
        if provider not in PROVIDER_NAMES:
            raise ProviderConfigError(
                f"COPYDESK_PROVIDER={provider!r} is not a provider: use one of {', '.join(PROVIDER_NAMES)}"
            )
        if provider != settings.provider:
            changes["provider"] = provider
            changes["model"] = ""  # that provider's default
    model = environ.get("COPYDESK_MODEL", "").strip()
    if model:
        changes["model"] = model
    base_url = environ.get("COPYDESK_BASE_URL", "").strip()
    if base_url:
        changes["base_url"] = base_url
    return dataclasses.replace(settings, **changes) if changes else settings
