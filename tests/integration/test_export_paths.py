"""Issue 15 item 2: a model's slug and headline become file names that stay in their folder
(POSIX and Windows rules), through `copydesk export`, publish, and a fuzz over both."""

from __future__ import annotations

import asyncio
import ntpath
import posixpath
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from engine.pipeline.runner import process_article
from engine.review import (
    EXPORT_FORMATS,
    MAX_STEM_CHARS,
    ReviewError,
    export_article,
    export_filename,
    publish,
    set_review_status,
    stays_inside,
    write_export,
)
from engine.store.db import Database
from engine.store.models import AIArticle
from tests.conftest import CLI
from tests.pipeline_helpers import new_articles, seed

HOSTILE_SLUGS = [
    "2026/12/council-vote", "../../../etc/cron.d/evil", "..", "..\\..\\Windows\\System32\\x", "C:\\evil",
    "C:evil", "con", "NUL", "com1", "lpt9.txt", "a" * 300, "vote\x00\x1b[31m\nred", "  . ", "\u202eexe.md",
    "\\\\server\\share\\x", "日本語の見出し" * 40,
]


@pytest.fixture
def article_id(db: Database) -> int:
    article = new_articles(db, seed(db)[:1])[0]
    assert asyncio.run(process_article(db, article)).status == "completed"
    return article


def set_slug(db: Database, article_id: int, slug: str | None, headline: str | None = None) -> None:
    values: dict[str, object] = {"slug": slug}
    if headline is not None:
        values["headline"] = headline
    with db.write() as session:
        session.execute(update(AIArticle).where(AIArticle.id == article_id).values(**values))


def inside_by_both_rules(folder: str, filename: str) -> bool:
    for paths in (posixpath, ntpath):
        joined = paths.normpath(paths.join(folder, filename))
        if paths.dirname(joined) != paths.normpath(folder):
            return False
    return True


def test_cli_export_writes_hostile_slugs_inside_the_folder(cli: CLI, db: Database, article_id: int,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "exports" / "out"
    # The slugs the issue names (a path, 300 characters, control characters, '..' by Windows
    # rules); the fuzz below covers the rest without a process each.
    for slug, fmt in (("2026/12/council-vote", "md"), ("a" * 300, "html"), ("vote\x00\x1b[31m\nred", "json"),
                      ("..\\..\\Windows\\x", "md"), ("con", "md")):
        set_slug(db, article_id, slug)
        result = cli("export", str(article_id), "--format", fmt, "--out", str(out), check=True)
        written = Path(result.stdout.strip())
        assert written.parent == out and written.exists(), (slug, written)
        assert len(written.name) <= MAX_STEM_CHARS + 30 and written.name.isprintable()
    assert {p.parent for p in (tmp_path / "exports").rglob("*") if p.is_file()} == {out}
    assert not list(out.glob("*.part"))


def test_publish_stays_in_the_publish_folder(db: Database, article_id: int, tmp_path: Path) -> None:
    set_slug(db, article_id, "../../published-elsewhere/../x")
    set_review_status(db, article_id, "approved", editor="ana")
    path = publish(db, article_id, tmp_path / "published", editor="ana")
    assert path.parent == tmp_path / "published" and path.name == f"{article_id}-published-elsewhere-x.html"


def test_write_export_refuses_a_name_that_leaves_its_folder(db: Database, article_id: int,
                                                            tmp_path: Path, monkeypatch) -> None:
    # Whatever builds the name, the writer checks it last.
    import engine.review as review

    real = review.export_article
    monkeypatch.setattr(review, "export_article", lambda *a: review.Export("..\\x.md", real(*a).content))
    with pytest.raises(ReviewError, match="not a plain file name"):
        write_export(db, article_id, "md", tmp_path / "exports")
    assert not (tmp_path / "exports").exists() and not (tmp_path / "x.md").exists()


def test_markdown_export_keeps_a_sources_raw_html_as_text(db: Database, article_id: int) -> None:
    with db.write() as session:
        session.execute(update(AIArticle).where(AIArticle.id == article_id).values(
            body="The council voted.\n\n<script>alert(document.cookie)</script>\n\n<img src=x onerror=alert(1)>"
                 "\n\nRents rose 3 < 5 percent."))
    content = export_article(db, article_id, "md").content
    assert "<script" not in content and "<img" not in content
    assert "&lt;script>alert(document.cookie)&lt;/script>" in content and "3 < 5 percent" in content


@settings(max_examples=400, deadline=None)
@given(slug=st.one_of(st.none(), st.text(max_size=400), st.sampled_from(HOSTILE_SLUGS)),
       headline=st.one_of(st.none(), st.text(max_size=400)),
       article_id=st.integers(min_value=1, max_value=2**63 - 1), fmt=st.sampled_from(EXPORT_FORMATS))
def test_every_export_name_stays_inside_its_folder_on_posix_and_windows(slug: str | None, headline: str | None,
                                                                        article_id: int, fmt: str) -> None:
    name = export_filename(article_id, slug, headline, fmt)
    assert stays_inside(name)
    assert inside_by_both_rules("exports", name) and inside_by_both_rules("C:\\Users\\ed\\exports", name)
    assert name.startswith(f"{article_id}-") and name.endswith(f".{fmt}")
    assert len(name) <= len(str(article_id)) + MAX_STEM_CHARS + 6 and len(name.encode("utf-8")) <= 255
    assert name.isprintable() and not any(ch in name for ch in '/\\:*?"<>|')


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.text(max_size=300), headline=st.text(min_size=1, max_size=300))
def test_fuzzed_slugs_are_written_and_published_inside_their_folders(db: Database, article_id: int,
                                                                     tmp_path_factory, slug: str,
                                                                     headline: str) -> None:
    folder = tmp_path_factory.mktemp("exports")
    set_slug(db, article_id, slug, headline)
    for fmt in EXPORT_FORMATS:
        assert write_export(db, article_id, fmt, folder).parent == folder
    assert [p.parent for p in folder.iterdir()] == [folder] * len(EXPORT_FORMATS)
