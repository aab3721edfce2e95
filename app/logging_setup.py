"""Rotating log file under the data home, with secrets scrubbed from every line."""

from __future__ import annotations

import logging
import logging.handlers

from app.paths import DataHome
from engine.logs import LOG_FORMAT, RedactingFormatter


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
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
