"""Opening Copydesk's data home: paths, logging, and the migrated database."""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass

from app.logging_setup import configure_logging
from app.paths import DataHome, resolve_home
from engine.store.db import Database, open_database

log = logging.getLogger("copydesk.app")


def default_editor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "editor"


@dataclass
class AppContext:
    home: DataHome
    db: Database

    @classmethod
    def open(cls, cli_home: str | None = None) -> AppContext:
        """Create the home's folders, start logging, open (and migrate) the database.

        Raises engine.store.db.DatabaseError with a one-line reason when the
        database cannot be used (for example one written by a newer Copydesk).
        """
        home = resolve_home(cli_home).ensure()
        configure_logging(home)
        db = open_database(home.database_url(), backup_dir=home.backups_dir)
        log.info("Opened %s", home.database_path)
        return cls(home, db)

    def close(self) -> None:
        self.db.dispose()
