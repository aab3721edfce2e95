from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from engine.store import migrations
from engine.store.db import DatabaseError, create_db_engine, open_database
from engine.store.models import AIArticle, AIGenerationConfig, AIWorkflowLog, KeywordSource


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_sqlite_pragmas_and_default_config(db: object) -> None:
    with db.engine.connect() as connection:  # type: ignore[attr-defined]
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    with db.read() as session:  # type: ignore[attr-defined]
        config = session.scalar(select(AIGenerationConfig).where(AIGenerationConfig.is_default))
    assert config is not None and config.provider == "offline"


def test_reopening_keeps_a_single_default_config(home: Path) -> None:
    for _ in range(2):
        open_database(_url(home / "c.db")).dispose()
    database = open_database(_url(home / "c.db"))
    with database.read() as session:
        assert len(session.scalars(select(AIGenerationConfig)).all()) == 1
    database.dispose()


def _keyword(session: object, name: str = "Water rates") -> KeywordSource:
    keyword = KeywordSource(keyword=name, keyword_key=name.casefold())
    session.add(keyword)  # type: ignore[attr-defined]
    session.flush()  # type: ignore[attr-defined]
    return keyword


def test_constraints_keep_data_honest(db: object) -> None:
    with pytest.raises(IntegrityError):
        with db.write() as session:  # type: ignore[attr-defined]
            _keyword(session)
            _keyword(session)
    with pytest.raises(IntegrityError):
        with db.write() as session:  # type: ignore[attr-defined]
            keyword = _keyword(session)
            keyword.approval_status = "maybe"
    with pytest.raises(IntegrityError):   # foreign keys are enforced
        with db.write() as session:  # type: ignore[attr-defined]
            session.add(AIArticle(keyword_id=999, config_id=1))
    now = datetime.now(UTC)
    with pytest.raises(IntegrityError):   # one log row per article, stage and attempt
        with db.write() as session:  # type: ignore[attr-defined]
            article = AIArticle(keyword_id=_keyword(session).id, config_id=1)
            session.add(article)
            session.flush()
            for _ in range(2):
                session.add(AIWorkflowLog(article_id=article.id, stage="draft", stage_index=5, attempt=1,
                                          status="completed", started_at=now, finished_at=now))
                session.flush()


def test_datetimes_come_back_as_utc(db: object) -> None:
    with db.write() as session:  # type: ignore[attr-defined]
        _keyword(session)
    with db.read() as session:  # type: ignore[attr-defined]
        created = session.scalar(select(KeywordSource.created_at))
    assert created.tzinfo is UTC


def test_write_transactions_begin_immediate_and_reads_do_not_lock(db: object) -> None:
    with db.read() as session:  # type: ignore[attr-defined]
        session.execute(text("SELECT 1"))
        raw = sqlite3.connect(db.engine.url.database, timeout=0.1)  # type: ignore[attr-defined]
        raw.execute("BEGIN IMMEDIATE")        # a reader holds no write lock
        raw.rollback()
    with db.write() as session:  # type: ignore[attr-defined]
        session.execute(text("SELECT 1"))
        raw = sqlite3.connect(db.engine.url.database, timeout=0.1)  # type: ignore[attr-defined]
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            raw.execute("BEGIN IMMEDIATE")
        raw.close()


def test_migration_from_first_revision_keeps_data(home: Path) -> None:
    path = home / "old.db"
    engine = create_db_engine(_url(path))
    migrations.upgrade_to_head(engine, revision="0001")
    assert migrations.current_revision(engine) == "0001"
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO keyword_sources (keyword, keyword_key, source, priority, approval_status, created_at) "
            "VALUES ('Bus cuts', 'bus cuts', 'manual', 'high', 'approved', '2026-01-02 03:04:05')")
    engine.dispose()

    backups = home / "backups"
    database = open_database(_url(path), backup_dir=backups)
    assert migrations.current_revision(database.engine) == migrations.head_revision()
    with database.read() as session:
        keyword = session.scalar(select(KeywordSource))
    assert (keyword.keyword, keyword.priority, keyword.approval_status) == ("Bus cuts", "high", "approved")
    assert keyword.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    database.dispose()
    copies = list(backups.glob("old.0001.*.bak.db"))
    assert len(copies) == 1
    with sqlite3.connect(copies[0]) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert copy.execute("SELECT keyword FROM keyword_sources").fetchall() == [("Bus cuts",)]


def test_database_from_a_newer_copydesk_is_refused_untouched(home: Path) -> None:
    path = home / "new.db"
    open_database(_url(path)).dispose()
    raw = sqlite3.connect(path)
    with raw:
        raw.execute("UPDATE alembic_version SET version_num = '9999_future'")
    raw.close()  # checkpoints the WAL, so the file on disk is the whole database
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DatabaseError) as caught:
        open_database(_url(path))
    message = str(caught.value)
    assert "newer Copydesk" in message and "9999_future" in message and "\n" not in message
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_file_that_is_not_a_database_is_refused(home: Path) -> None:
    path = home / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(DatabaseError, match="Cannot open the database"):
        open_database(_url(path))


def test_revision_list_matches_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations.MIGRATIONS_DIR))
    chain = [rev.revision for rev in reversed(list(script.walk_revisions()))]
    assert tuple(chain) == migrations.REVISIONS
    assert script.get_current_head() == migrations.HEAD
