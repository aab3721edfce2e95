"""Alembic migrations shipped inside the package and applied on open.

An existing database is copied aside (SQLite online backup, safe under WAL)
before its schema changes. A database stamped with a revision this build does
not know comes from a newer Copydesk: it is refused and left untouched.

Opening a database that is already current reads one row and never imports
Alembic (a quarter of a second at every start); `REVISIONS` lists the chain
and a test keeps it equal to the scripts in versions/.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError, ProgrammingError

log = logging.getLogger("copydesk.store")

MIGRATIONS_DIR = Path(__file__).resolve().parent
REVISIONS = ("0001", "0002", "0003", "0004")  # oldest first; the last is the head
HEAD = REVISIONS[-1]


class SchemaTooNewError(Exception):
    pass


def alembic_config(engine: Engine):  # noqa: ANN201 - alembic.config.Config, imported lazily
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return HEAD


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):
            return None   # no alembic_version table: an empty database


def ensure_not_newer(engine: Engine) -> str | None:
    """Return the current revision; raise if it is unknown to this build."""
    revision = current_revision(engine)
    if revision is not None and revision not in REVISIONS:
        raise SchemaTooNewError(
            f"This database was written by a newer Copydesk (schema {revision}); "
            f"this version understands up to {HEAD}. Upgrade Copydesk to open it."
        )
    return revision


def _backup_sqlite(engine: Engine, revision: str, backup_dir: Path | None) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    source = Path(database)
    target_dir = backup_dir or source.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = target_dir / f"{source.stem}.{revision}.{stamp}.bak{source.suffix}"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    log.info("Copied the database aside to %s before migrating", target)
    return target


def upgrade_to_head(engine: Engine, backup_dir: Path | None = None, revision: str = "head") -> None:
    current = ensure_not_newer(engine)
    target = HEAD if revision == "head" else revision
    if current == target:
        return
    from alembic import command

    has_tables = bool(inspect(engine).get_table_names())
    if current is not None and has_tables and engine.dialect.name == "sqlite":
        _backup_sqlite(engine, current, backup_dir)
    log.info("Migrating the database from %s to %s", current or "empty", target)
    command.upgrade(alembic_config(engine), revision)
