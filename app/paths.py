"""Where Copydesk keeps its data: one home holding copydesk.db, logs/ and exports/.

`--home DIR` or COPYDESK_HOME moves all of it (tests, portable use). Nothing
is created at import time; `DataHome.ensure()` creates the folders when a
command actually needs them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from engine.errors import EditorError

APP_NAME = "Copydesk"
ENV_HOME = "COPYDESK_HOME"
ENV_DATABASE_URL = "COPYDESK_DATABASE_URL"


class HomeError(EditorError, OSError):
    """The data home cannot be used (a file, under /proc, not creatable); str() is one line."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class DataHome:
    root: Path

    @property
    def database_path(self) -> Path:
        return self.root / "copydesk.db"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs_dir / "copydesk.log"

    @property
    def exports_dir(self) -> Path:
        return self.root / "exports"

    @property
    def backups_dir(self) -> Path:
        return self.root / "backups"

    @property
    def pricing_override(self) -> Path:
        """A user's own pricing.toml, merged over the shipped table when present."""
        return self.root / "pricing.toml"

    def database_url(self, environ: Mapping[str, str] = os.environ) -> str:
        """COPYDESK_DATABASE_URL (e.g. a shared PostgreSQL) wins over the local SQLite file."""
        return environ.get(ENV_DATABASE_URL) or f"sqlite:///{self.database_path}"

    def ensure(self) -> DataHome:
        """Create the home and its folders. The home itself must be a usable folder; logs/
        and exports/ may fail (a read-only home still lists keywords: logging falls back to
        the terminal, and an export says why it cannot write)."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise HomeError(f"cannot use {self.root} as the data folder: it is a file, not a folder") from None
        except OSError as error:
            raise HomeError(f"cannot use {self.root} as the data folder: {error.strerror or error}") from None
        for folder in (self.logs_dir, self.exports_dir):
            try:
                folder.mkdir(exist_ok=True)
            except FileExistsError:
                raise HomeError(f"cannot use {self.root} as the data folder: {folder} is a file, "
                                "not a folder") from None
            except OSError:
                pass  # read-only home: said by the logging set-up, or by the export that needs it
        return self


def resolve_home(cli_home: str | os.PathLike[str] | None = None,
                 environ: Mapping[str, str] = os.environ) -> DataHome:
    """--home beats COPYDESK_HOME beats the platform's user data folder."""
    if cli_home:
        return DataHome(Path(cli_home).expanduser().resolve())
    if environ.get(ENV_HOME):
        return DataHome(Path(environ[ENV_HOME]).expanduser().resolve())
    return DataHome(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))
