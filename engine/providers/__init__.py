"""LLM providers: one async interface (base.Provider) over the OpenAI and Anthropic SDKs.

    provider = make_provider(apply_env_overrides(settings))   # None means offline
    result = await provider.complete(LLMRequest(...), on_retry=...)
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

from engine.providers.base import Provider, ProviderConfigError
from engine.providers.keys import API_KEY_ENV_VARS, get_api_key
from engine.providers.limiter import RateLimiter, Sleep
from engine.providers.settings import ProviderSettings, apply_env_overrides

__all__ = ["ProviderSettings", "apply_env_overrides", "make_provider", "preload"]

# Local servers (Ollama, llama.cpp, LM Studio) ignore the key, but the SDKs insist on one.
LOCAL_PLACEHOLDER_KEY = "local-no-key"

_DISPLAY_NAMES = {"openai": "OpenAI", "anthropic": "Anthropic"}


def _implementation(provider: str) -> Any:
    """The provider's class. Imported on first use: each SDK takes one to three seconds of
    CPU to import, and a worker process needs at most one of them. (Plain imports, not
    importlib, so that the packaged app's bundler sees them.)"""
    if provider == "openai":
        from engine.providers.openai_provider import OpenAIProvider

        return OpenAIProvider
    from engine.providers.anthropic_provider import AnthropicProvider

    return AnthropicProvider


def preload(provider: str) -> None:
    """Import a provider's SDK now rather than at its first request ("offline": nothing)."""
    if provider in _DISPLAY_NAMES:
        _implementation(provider)


def make_provider(
    settings: ProviderSettings,
    api_key: str | None = None,
    *,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    limiter: RateLimiter | None = None,
) -> Provider | None:
    """The provider `settings` ask for, or None for "offline" (the pipeline then runs its
    offline stage implementations). The key is `api_key`, else the OS keyring, else the
    environment; a server on this machine may do without one. `sleep`, `rng` and
    `limiter` are for tests and for sharing one limiter between providers."""
    if settings.provider == "offline":
        return None
    key = api_key or get_api_key(settings.provider)
    if not key:
        if not settings.is_local():
            env_var = API_KEY_ENV_VARS[settings.provider]
            raise ProviderConfigError(
                f"No {_DISPLAY_NAMES[settings.provider]} API key: add it in Settings or set {env_var}"
            )
        key = LOCAL_PLACEHOLDER_KEY
    options: dict[str, Any] = {"sleep": sleep, "rng": rng, "limiter": limiter}
    return _implementation(settings.provider)(settings, key, **options)
