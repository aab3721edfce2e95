"""API keys: the OS keyring first, then the environment. Never written in plain text.

On a machine without a keyring backend (headless Linux: `keyring` raises NoKeyringError)
reading falls through to OPENAI_API_KEY / ANTHROPIC_API_KEY and saving fails with a
message that says so; there is deliberately no plain-text fallback.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping

import keyring
import keyring.errors
from keyring.backends import fail

from engine.logs import redact_url_secrets
from engine.providers.base import ProviderConfigError

log = logging.getLogger("copydesk.providers")

KEYRING_SERVICE = "copydesk"
API_KEY_ENV_VARS = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
REDACTED = "[redacted]"

# Key-shaped strings redacted even when we were not told the key: an error message from a
# server or proxy may quote a different key than the one we hold (e.g. one from the env).
_KEY_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")  # OpenAI "sk-...", Anthropic "sk-ant-..."
# Shorter "secrets" are placeholders like "none" whose redaction would mangle normal text.
_MIN_SECRET_LEN = 6


def _env_var(provider: str) -> str:
    try:
        return API_KEY_ENV_VARS[provider]
    except KeyError:
        raise ProviderConfigError(f"Provider {provider!r} does not use an API key") from None


def get_api_key(provider: str, environ: Mapping[str, str] = os.environ) -> str | None:
    env_var = _env_var(provider)
    try:
        stored = keyring.get_password(KEYRING_SERVICE, provider)
    except keyring.errors.KeyringError as exc:
        # Expected on headless machines; the environment is the documented fallback.
        log.debug("OS keyring unavailable for %s (%s); using %s", provider, type(exc).__name__, env_var)
        stored = None
    if stored:
        return stored
    return environ.get(env_var) or None


def set_api_key(provider: str, key: str) -> None:
    """Store `key` in the OS keyring; an empty key deletes the stored one."""
    env_var = _env_var(provider)
    available, _ = keyring_status()
    if not available:
        raise ProviderConfigError(
            f"No OS keyring is available on this machine; set {env_var} in the environment instead"
        )
    try:
        if key:
            keyring.set_password(KEYRING_SERVICE, provider, key)
        else:
            try:
                keyring.delete_password(KEYRING_SERVICE, provider)
            except keyring.errors.PasswordDeleteError:
                pass  # nothing stored: already in the wanted state
    except keyring.errors.KeyringError as exc:
        message = redact(str(exc), [key]) or type(exc).__name__
        raise ProviderConfigError(
            f"The OS keyring refused to save the key ({message}); set {env_var} in the environment instead"
        ) from None


def keyring_status() -> tuple[bool, str]:
    """(available, one line for Settings) about the OS keyring backend."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return False, (
            "No OS keyring is available; API keys are read from OPENAI_API_KEY / ANTHROPIC_API_KEY"
        )
    name = getattr(backend, "name", type(backend).__name__)
    return True, f"API keys are stored in the OS keyring ({name})"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every given secret, anything shaped like an API key, and URL passwords
    and key-like query values replaced."""
    for secret in sorted((s for s in secrets if s and len(s) >= _MIN_SECRET_LEN), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return redact_url_secrets(_KEY_PATTERN.sub(REDACTED, text))
