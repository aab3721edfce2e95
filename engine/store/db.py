"""Opening the database: engine settings, the write discipline, and migrations.

SQLite gets WAL, foreign keys, a busy timeout and `BEGIN IMMEDIATE` for every
write transaction: a deferred BEGIN that reads first fails with "database is
locked" under concurrent writers (measured, see SDK_NOTES.md). Read-only
sessions use a deferred BEGIN so they never take the write lock.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from engine.store import migrations
from engine.store.models import AIGenerationConfig

log = logging.getLogger("copydesk.store")

BUSY_TIMEOUT_MS = 15_000
_READ_ONLY = "copydesk_read_only"


class DatabaseError(Exception):
    """The database cannot be used as it is. str() is one line for the user."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Hand transaction control to the "begin" hook below instead of pysqlite.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: object) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)  # type: ignore[attr-defined]
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")  # type: ignore[attr-defined]


def create_db_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Database:
    """One open database: a write sessionmaker and a read-only one over the same pool."""

    url: str
    engine: Engine

    def __post_init__(self) -> None:
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on success and rolled back on error."""
        with self._write.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session that never takes SQLite's write lock."""
        with self._read() as session:
            yield session

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True, backup_dir: Path | None = None) -> Database:
    """Open (creating if needed) and migrate a database; refuse one from a newer Copydesk.

    Before an existing database is upgraded it is copied aside into `backup_dir`
    (default: next to the database file).
    """
    engine = create_db_engine(url)
    try:
        if migrate:
            migrations.upgrade_to_head(engine, backup_dir=backup_dir)
        else:
            migrations.ensure_not_newer(engine)
    except migrations.SchemaTooNewError as error:
        engine.dispose()
        raise DatabaseError(str(error)) from None
    except (sqlite3.DatabaseError, SQLAlchemyDatabaseError) as error:
        engine.dispose()
        reason = getattr(error, "orig", None) or error
        raise DatabaseError(f"Cannot open the database at {url}: {reason}") from None
    database = Database(url, engine)
    if migrate:
        ensure_default_config(database)
    return database


def ensure_default_config(database: Database) -> None:
    """First open leaves a default, offline profile so everything works without a key."""
    table = AIGenerationConfig.__table__
    # Asked in Core: the first ORM query configures every mapper (about 0.1 s), which the
    # desktop app would otherwise pay before its first paint rather than on a background query.
    with database.read() as session:
        if session.execute(select(table.c.id).where(table.c.is_default)).first() is not None:
            return
    with database.write() as session:
        config = session.scalar(select(AIGenerationConfig).where(AIGenerationConfig.is_default))
        if config is None:
            config = session.scalar(select(AIGenerationConfig).order_by(AIGenerationConfig.id))
            if config is None:
                config = AIGenerationConfig(name="Default", provider="offline", model="offline")
                session.add(config)
            config.is_default = True
