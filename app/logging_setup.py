"""Rotating log file under the data home, with secrets scrubbed from every line (stderr when
the file cannot be written)."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from app.paths import DataHome
from engine.logs import LOG_FORMAT, RedactingFormatter


def configure_logging(home: DataHome, level: int = logging.INFO) -> str | None:
    """Idempotent: a second call (tests, GUI after CLI parsing) replaces the handler.

    When the log file cannot be opened (read-only home), warnings and errors go to
    stderr instead and the one-line reason is returned (and printed once)."""
    root = logging.getLogger("copydesk")
    for handler in list(root.handlers):
        if getattr(handler, "_copydesk", False):
            root.removeHandler(handler)
            handler.close()
    problem = None
    handler: logging.Handler
    try:
        home.logs_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            home.log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError as error:
        problem = f"cannot write the log file {home.log_file} ({error.strerror or error}); logging to the terminal"
        sys.stderr.write(f"copydesk: warning: {problem}\n")
        handler = logging.StreamHandler(sys.stderr)
        handler.setLevel(logging.WARNING)
    handler._copydesk = True  # type: ignore[attr-defined]
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    return problem
