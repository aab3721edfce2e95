"""Opening the database: engine settings, the write discipline, and migrations.

SQLite gets WAL, foreign keys, a busy timeout and `BEGIN IMMEDIATE` for every
write transaction: a deferred BEGIN that reads first fails with "database is
locked" under concurrent writers (measured, see SDK_NOTES.md). Read-only
sessions use a deferred BEGIN so they never take the write lock.

The file opened is the file used: once it exists, new connections open it
without the create flag, and every write first checks that the path still
names the file first opened, so a database deleted or replaced under a
running process is reported (DatabaseGone) instead of a new empty one being
written. A damaged, read-only or vanished file is one line for the user
(DatabaseError), never SQL and parameters.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, select
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from engine.store import migrations
from engine.store.models import AIGenerationConfig

log = logging.getLogger("copydesk.store")

BUSY_TIMEOUT_MS = 15_000
_READ_ONLY = "copydesk_read_only"


class DatabaseError(Exception):
    """The database cannot be used as it is. str() is one line for the user."""


class DatabaseGone(DatabaseError):
    """The database file was deleted or replaced while this process had it open."""


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or parsed.database.startswith("file:"):
        return None
    return Path(parsed.database)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported as such, never echoed
        return "(an invalid database URL)"


def explain(error: BaseException, url: str, backup_dir: Path | None = None) -> str | None:
    """One line for a database failure the user must act on, or None (a bug, a constraint)."""
    original = getattr(error, "orig", None) or error
    if not isinstance(original, sqlite3.Error):
        return None
    name = getattr(original, "sqlite_errorname", "") or ""
    text = " ".join(str(original).split())
    where = sqlite_file(url) or safe_url(url)
    restore = f"restore a copy from {backup_dir}" if backup_dir is not None else "restore it from a backup"
    if name.startswith("SQLITE_NOTADB") or "not a database" in text:
        return (f"Cannot open the database at {where}: file is not a database (not a Copydesk database, or "
                f"its first page is damaged); {restore}")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return f"the database file is damaged: {where} ({text}); {restore}"
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return f"the database {where} cannot be written ({text}): check the permissions of the file and its folder"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return f"cannot open the database file {where} ({text}): was it moved or deleted?"
    if name.startswith("SQLITE_FULL") or name.startswith("SQLITE_IOERR"):
        return f"the database {where} could not be written ({text}): check the disk"
    return None


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_dev, stat.st_ino


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
    """An engine for `url`. An existing SQLite file is opened without the create flag, so a
    connection made after the file was deleted fails instead of starting an empty database."""
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None and path.exists():
            existing = f"{path.resolve().as_uri()}?mode=rw"
            if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
                # A read-only home: WAL cannot even be read without writing its -shm file, so
                # the file is opened immutable. Reads work; a write fails as "readonly".
                existing = f"{path.resolve().as_uri()}?mode=ro&immutable=1"

            def connect() -> sqlite3.Connection:
                return sqlite3.connect(existing, uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                                       check_same_thread=False)

            engine = create_engine(url, creator=connect)
        else:
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    parsed = make_url(url)
    if parsed.drivername == "postgresql":   # the driver the postgres extra installs, not psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as missing:
        if make_url(url).get_backend_name() == "postgresql":
            raise DatabaseError(f"{safe_url(url)} needs the PostgreSQL driver, which is not installed: "
                                f"pip install 'copydesk[postgres]'") from None
        raise DatabaseError(f"{safe_url(url)} needs the Python module {missing.name}, which is not "
                            f"installed") from None


@dataclass
class Database:
    """One open database: a write sessionmaker and a read-only one over the same pool."""

    url: str
    engine: Engine
    backup_dir: Path | None = None
    _identity: tuple[int, int] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self._write = sessionmaker(self.engine, expire_on_commit=False)
        self._read = sessionmaker(
            self.engine.execution_options(**{_READ_ONLY: True}), expire_on_commit=False
        )
        self.path = sqlite_file(self.url)
        self._identity = _file_identity(self.path) if self.path is not None else None

    def ensure_same_file(self) -> None:
        """Raise DatabaseGone if the path no longer names the file this process opened
        (one stat call, a few microseconds)."""
        if self._identity is None or self.path is None:
            return
        now = _file_identity(self.path)
        if now == self._identity:
            return
        what = "was deleted" if now is None else "was replaced by another file"
        raise DatabaseGone(f"the database file {self.path} {what} while Copydesk was using it; "
                           f"stopped (the work since the last checkpoint is lost)")

    def explained(self, error: BaseException) -> DatabaseError | None:
        """The one-line DatabaseError for a failure the user must act on, or None."""
        if isinstance(error, DatabaseError):
            return error
        problem = explain(error, self.url, self.backup_dir)
        if problem is None:
            return None
        log.error("Database failure: %s", " ".join(str(getattr(error, "orig", error)).split()))
        return DatabaseError(problem)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A short write transaction, committed on success and rolled back on error."""
        self.ensure_same_file()
        with self._explaining_errors(), self._write.begin() as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session that never takes SQLite's write lock."""
        with self._explaining_errors(), self._read() as session:
            yield session

    @contextmanager
    def _explaining_errors(self) -> Iterator[None]:
        """A database failure an editor can act on (damaged, read-only, gone) as its one line."""
        try:
            yield
        except (sqlite3.Error, DBAPIError) as error:
            explained = self.explained(error)
            if explained is None:
                raise
            raise explained from None

    def check_integrity(self) -> None:
        """PRAGMA quick_check (SQLite): raise DatabaseError naming the damage, if any.
        It reads every page once: 0.06-0.11 s for a 73 MB file (page cache warm, this machine)."""
        if not self.is_sqlite:
            return
        try:
            with self.engine.connect() as connection:
                rows = [row[0] for row in connection.exec_driver_sql("PRAGMA quick_check(3)")]
        except (sqlite3.Error, DBAPIError) as error:
            explained = self.explained(error)
            if explained is None:
                raise
            raise explained from None
        if rows != ["ok"]:
            log.error("PRAGMA quick_check: %s", "; ".join(rows))
            damaged = sqlite3.DatabaseError(f"database disk image is malformed: {rows[0]}")
            raise self.explained(damaged) or DatabaseError(rows[0])

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True, backup_dir: Path | None = None) -> Database:
    """Open (creating if needed) and migrate a database; refuse one from a newer Copydesk.

    Before an existing database is upgraded it is copied aside into `backup_dir`
    (default: next to the database file). A zero-byte file is refused, not initialised: it is
    what a truncated copy or a failed restore leaves, and the user should know.
    """
    path = sqlite_file(url)
    if path is not None and path.is_file() and path.stat().st_size == 0:
        restore = f"restore a copy from {backup_dir}" if backup_dir is not None else "restore it from a backup"
        raise DatabaseError(f"the database file {path} is empty (0 bytes): {restore}, or delete it to "
                            f"start a new, empty database")
    created = path is not None and not path.exists()
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
        problem = explain(error, url, backup_dir)
        reason = " ".join(str(getattr(error, "orig", None) or error).split())
        raise DatabaseError(problem or f"Cannot open the database at {safe_url(url)}: {reason}") from None
    if created and path is not None and path.exists():
        # Made just now: from here on, connections must find this file, not create another.
        engine.dispose()
        engine = create_db_engine(url)
    database = Database(url, engine, backup_dir)
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
