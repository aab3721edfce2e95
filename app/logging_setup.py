"""Rotating log file under the data home, with secrets scrubbed from every line."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re

from app.paths import DataHome

# Shapes of provider keys, and the environment variables that may hold one.
_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|sk-ant-[A-Za-z0-9_\-]{8,})")
_SECRET_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")


def redact(text: str) -> str:
    """Replace anything shaped like an API key, or equal to a configured one, by [redacted]."""
    cleaned = _KEY_PATTERN.sub("[redacted]", text)
    for name in _SECRET_ENV:
        secret = os.environ.get(name)
        if secret and len(secret) >= 6:
            cleaned = cleaned.replace(secret, "[redacted]")
    return cleaned


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(home: DataHome, level: int = logging.INFO) -> None:
    """Idempotent: a second call (tests, GUI after CLI parsing) replaces the handler."""
    home.logs_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger("copydesk")
    for handler in list(root.handlers):
        if getattr(handler, "_copydesk", False):
            root.removeHandler(handler)
            handler.close()
    handler = logging.handlers.RotatingFileHandler(
        home.log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler._copydesk = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
