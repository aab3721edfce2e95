"""Shared fixtures: a fresh data home per test, an open database, and the CLI as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests never touch a real keychain or a real screen.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _name in ("COPYDESK_HOME", "COPYDESK_DATABASE_URL", "COPYDESK_PROVIDER", "COPYDESK_MODEL",
              "COPYDESK_BASE_URL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
              "ANTHROPIC_BASE_URL", "COPYDESK_CHECKER_PROVIDER", "COPYDESK_CHECKER_MODEL",
              "COPYDESK_CHECKER_BASE_URL", "COPYDESK_CHECKER_PROTOCOL"):
    os.environ.pop(_name, None)

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def db(home: Path) -> Iterator[object]:
    from engine.store.db import open_database

    database = open_database(f"sqlite:///{home / 'copydesk.db'}")
    yield database
    database.dispose()


class CLI:
    """Runs `python -m app` in a subprocess against one data home."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, *args: str, env: dict[str, str] | None = None, check: bool = False,
                 timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        result = subprocess.run(
            [sys.executable, "-m", "app", "--home", str(self.home), *args],
            capture_output=True, text=True, env=full_env, cwd=REPO, timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"copydesk {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
        return result

    def json(self, *args: str, **kwargs: object) -> object:
        result = self(*args, "--json", check=True, **kwargs)  # type: ignore[arg-type]
        return json.loads(result.stdout)


@pytest.fixture
def cli(home: Path) -> CLI:
    return CLI(home)


@pytest.fixture(autouse=True)
def _isolated_logging() -> Iterator[None]:
    """AppContext.open configures the "copydesk" logger; undo it so tests stay independent."""
    import logging

    logger = logging.getLogger("copydesk")
    level, handlers = logger.level, list(logger.handlers)
    yield
    for handler in logger.handlers:
        if handler not in handlers:
            handler.close()
    logger.handlers[:] = handlers
    logger.setLevel(level)
