"""Log formatting shared by every process: API keys never reach a log line."""

from __future__ import annotations

import logging
import os
import re

# Shapes of provider keys, and the environment variables that may hold one.
_KEY_PATTERN = re.compile(r"\b(sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9_\-]{8,})")
_SECRET_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
# Secrets inside URLs (a --base-url): the password of "scheme://user:password@host" and the
# values of key-like query parameters ("?api-key=...").
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@]*:)[^/\s@]+@")
_URL_SECRET_PARAM = re.compile(
    r"([?&;](?:api[-_]?key|key|token|access[-_]?token|auth|secret|password|passwd|sig|signature)=)[^&#\s]+",
    re.IGNORECASE)


def redact_url_secrets(text: str) -> str:
    """`text` with URL passwords and key-like query values replaced by [redacted]."""
    return _URL_SECRET_PARAM.sub(r"\1[redacted]", _URL_PASSWORD.sub(r"\1[redacted]@", text))


def redact(text: str) -> str:
    """Replace anything shaped like an API key, or equal to a configured one, by [redacted]."""
    cleaned = redact_url_secrets(_KEY_PATTERN.sub("[redacted]", text))
    for name in _SECRET_ENV:
        secret = os.environ.get(name)
        if secret and len(secret) >= 6:
            cleaned = cleaned.replace(secret, "[redacted]")
    return cleaned


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def attach_worker_log(path: str) -> None:
    """A worker process appends to the app's log file (the main process rotates it)."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root = logging.getLogger("copydesk")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
