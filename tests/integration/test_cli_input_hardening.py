"""Issue 15, the input half: what a hostile or clumsy user feeds the real `copydesk` command
(files that are not files, stray quotes, other encodings, dangerous links, huge IDs, secrets
in a base URL, an unusable home). Each answer is one line, and nothing is changed or lost."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.pipeline.brief import Profile
from tests.conftest import CLI, REPO

HUGE_ID = str(2**63)


def keyword_count(cli: CLI) -> int:
    return len(cli.json("keywords", "list"))


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    return errors[0]


# --------------------------------------------------------------------------- item 5: read size first


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "topics.csv"
    os.mkfifo(path)
    return path


def test_import_refuses_a_fifo_a_device_a_folder_and_a_big_file_without_reading_them(
        cli: CLI, tmp_path: Path, fifo: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:     # sparse: 21 MB on paper, nothing on disk
        handle.truncate(21 * 1024 * 1024)
    cases = {str(fifo): "not a regular file", "/dev/zero": "not a regular file", str(tmp_path): "folder",
             str(big): "the limit is 20 MB"}
    for path, reason in cases.items():
        # A FIFO used to block forever and /dev/zero to end in a MemoryError.
        line = one_error_line(cli("keywords", "import", path, timeout=60))
        assert reason in line, line
    assert keyword_count(cli) == 0


def test_sources_add_file_and_analyze_refuse_what_is_not_a_file(cli: CLI, tmp_path: Path, fifo: Path) -> None:
    cli("keywords", "add", "Water rates", check=True)
    for path in (str(fifo), "/dev/zero"):
        line = one_error_line(cli("keywords", "sources", "add", "1", "--file", path, timeout=60))
        assert "not a regular file" in line
    big = tmp_path / "big.md"
    with big.open("wb") as handle:
        handle.truncate(6 * 1024 * 1024)
    assert "the limit is 5 MB" in one_error_line(cli("keywords", "sources", "add", "1", "--file", str(big)))
    assert cli.json("keywords", "sources", "list", "1") == []
    article = tmp_path / "draft.md"
    article.write_text("The council voted 5-2.\n", encoding="utf-8")
    assert "not a regular file" in one_error_line(cli("analyze", "/dev/zero", timeout=60))
    assert "not a regular file" in one_error_line(cli("analyze", str(article), "--source", str(fifo), timeout=60))


# --------------------------------------------------------------------------- item 6: CSV


def test_a_stray_quote_rejects_the_lines_it_swallowed_with_their_numbers(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "topics.csv"
    path.write_text('keyword,priority\nBus cuts,high\n"Water rates,normal\nLibrary hours,low\nFlood prep,low\n',
                    encoding="utf-8")
    report = cli.json("keywords", "import", str(path))
    assert [a["keyword"] for a in report["added"]] == ["Bus cuts"]
    assert [r["line"] for r in report["rejected"]] == [3, 4, 5]
    assert all("quoted field running from line 3 to line 5" in r["reason"] for r in report["rejected"])
    text = cli("keywords", "import", str(path), "--dry-run", check=True).stdout
    assert "rejected 3" in text and "rejected line 4" in text


def test_csv_header_naming_a_column_twice_is_refused_and_a_header_after_blank_lines_is_read(
        cli: CLI, tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    twice.write_text("keyword,keyword\nBus cuts,Water rates\n", encoding="utf-8")
    assert "names column(s) keyword more than once" in one_error_line(cli("keywords", "import", str(twice)))
    assert keyword_count(cli) == 0
    late = tmp_path / "late.csv"
    late.write_text("\n\n  \nnotes,keyword\nfrom the tip line,Bus cuts\n", encoding="utf-8")
    report = cli.json("keywords", "import", str(late))
    assert [(a["line"], a["keyword"]) for a in report["added"]] == [(5, "Bus cuts")]
    assert report["rejected"] == []
    assert cli.json("keywords", "list")[0]["notes"] == "from the tip line"


# --------------------------------------------------------------------------- item 7: encodings

FEED = """<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0"><channel><title>Caf\u00e9 news</title><link>https://example.org/</link>
<item><title>{title}</title><link>https://example.org/a</link><description>Na\u00efve plans.</description></item>
</channel></rss>"""


@pytest.mark.parametrize(("encoding", "title"), [
    ("ISO-8859-1", "Caf\u00e9 closures downtown"),
    ("windows-1252", "\u201cCaf\u00e9\u201d closures downtown"),
    ("UTF-16", "Caf\u00e9 closures downtown"),
])
def test_feeds_in_latin_1_windows_1252_and_utf_16_are_imported(cli: CLI, tmp_path: Path, encoding: str,
                                                                title: str) -> None:
    path = tmp_path / "city.rss"
    path.write_bytes(FEED.format(encoding=encoding, title=title).encode(encoding))
    report = cli.json("keywords", "import", str(path))
    assert [a["keyword"] for a in report["added"]] == [title]
    [source] = cli.json("keywords", "sources", "list", "1")
    assert source["text"] == "Na\u00efve plans." and source["url"] == "https://example.org/a"


def test_utf_16_csv_and_text_from_excel_are_read_not_called_binary(cli: CLI, tmp_path: Path) -> None:
    csv_path = tmp_path / "unicode.csv"
    csv_path.write_bytes("keyword\tpriority\r\nCaf\u00e9 closures\thigh\r\nBus cuts\tlow\r\n".encode("utf-16"))
    report = cli.json("keywords", "import", str(csv_path))
    assert [(a["line"], a["keyword"]) for a in report["added"]] == [(2, "Caf\u00e9 closures"), (3, "Bus cuts")]
    text_path = tmp_path / "unicode.txt"
    text_path.write_bytes(b"\xfe\xff" + "\u00c9lections municipales\n".encode("utf-16-be"))   # big-endian, BOM
    assert [a["keyword"] for a in cli.json("keywords", "import", str(text_path))["added"]] == [
        "\u00c9lections municipales"]
    assert {row["priority"] for row in cli.json("keywords", "list")} == {"high", "low", "normal"}


# --------------------------------------------------------------------------- item 8: dangerous links

DANGEROUS = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>javascript:alert(1)</link>
<item><title>Script link story</title><link>javascript:alert(document.cookie)</link><description>one</description></item>
<item><title>File link story</title><link>file:///etc/passwd</link><description>two</description></item>
<item><title>Share link story</title><link>smb://attacker/share</link></item>
<item><title>Data link story</title><link>data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;</link></item>
<item><title>Web link story</title><link>https://example.org/ok</link></item>
</channel></rss>"""


def test_feed_links_other_than_http_are_dropped_and_reported(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "bad.rss"
    path.write_text(DANGEROUS, encoding="utf-8")
    report = cli.json("keywords", "import", str(path))
    assert len(report["added"]) == 5
    assert [n["item"] for n in report["notes"]] == [1, 2, 3, 4]
    assert all("only http(s) links are kept" in n["note"] for n in report["notes"])
    database = sqlite3.connect(cli.home / "copydesk.db")
    urls = [url for (url,) in database.execute("SELECT url FROM sources ORDER BY id")]
    assert urls == [None, None, "https://example.org/ok"]       # items 3 and 4 had nothing else to keep
    sources = {row[0] for row in database.execute("SELECT source FROM keyword_sources")}
    assert sources == {"feed:bad.rss"}
    line = one_error_line(cli("keywords", "sources", "add", "1", "--url", "javascript:alert(1)"))
    assert "not an http(s) URL" in line


# --------------------------------------------------------------------------- item 12: '#' lines


def test_hashtag_lines_are_keywords_and_comments_are_reported(cli: CLI, tmp_path: Path) -> None:
    path = tmp_path / "tips.txt"
    path.write_text("# tips from Monday\n#MeToo rally downtown\n#\nBike lanes\n", encoding="utf-8")
    report = cli.json("keywords", "import", str(path))
    assert [(a["line"], a["keyword"]) for a in report["added"]] == [(2, "#MeToo rally downtown"), (4, "Bike lanes")]
    assert [(s["line"], s["reason"].split(" ")[0]) for s in report["skipped"]] == [(1, "comment"), (3, "comment")]


# --------------------------------------------------------------------------- item 13: the low ones


@pytest.mark.parametrize("command", [
    ("keywords", "approve", HUGE_ID), ("keywords", "reject", HUGE_ID), ("keywords", "sources", "list", HUGE_ID),
    ("keywords", "sources", "add", HUGE_ID, "--text", "x"), ("articles", "show", HUGE_ID), ("retry", HUGE_ID),
    ("check", HUGE_ID), ("export", HUGE_ID), ("jobs", "show", HUGE_ID), ("jobs", "cancel", HUGE_ID),
    ("jobs", "priority", "5", HUGE_ID), ("generate", "--keyword", HUGE_ID),
])
def test_ids_beyond_64_bits_are_one_clear_line(cli: CLI, command: tuple[str, ...]) -> None:
    line = one_error_line(cli(*command))
    assert "is not an ID (IDs run from 1 to 9223372036854775807)" in line


def test_search_matches_percent_and_underscore_literally(cli: CLI) -> None:
    cli("keywords", "add", "100% renewable", "a_b testing", "Water rates", check=True)
    assert [r["keyword"] for r in cli.json("keywords", "list", "--search", "%")] == ["100% renewable"]
    assert [r["keyword"] for r in cli.json("keywords", "list", "--search", "_")] == ["a_b testing"]


def test_sources_list_names_an_unknown_id(cli: CLI) -> None:
    assert "no keyword with id 42" in one_error_line(cli("keywords", "sources", "list", "42"))


def test_invisible_and_bidi_characters_are_refused_and_zero_width_variants_are_duplicates(cli: CLI) -> None:
    report = cli.json("keywords", "add", "Water rates", "\u200b\u200b\u200b", "Water\u200brates",
                      "\u202eWater rates", "\u3164\u3164", "wa\u200dter rates")
    assert [a["keyword"] for a in report["added"]] == ["Water rates"]
    reasons = {r["line"]: r["reason"] for r in report["rejected"]}
    assert "U+200B" in reasons[2] and "U+200B" in reasons[3] and "U+202E" in reasons[4]
    assert "no visible characters" in reasons[5]
    assert [(s["line"], s["reason"]) for s in report["skipped"]] == [(6, "duplicate of line 1")]


def test_a_password_or_api_key_in_the_base_url_is_never_echoed_or_logged(cli: CLI) -> None:
    cli("keywords", "add", "Water rates", check=True)
    cli("keywords", "approve", "1", check=True)
    env = {"OPENAI_API_KEY": "not-a-real-key-1"}
    result = cli("generate", "--approved", "--provider", "openai", "--base-url",
                 "http://bob:hunter2secret@127.0.0.1:9/v1", env=env)
    assert "user name or password" in one_error_line(result)
    result = cli("generate", "--approved", "--provider", "openai", "--base-url",
                 "http://127.0.0.1:9/v1?api-key=topsecret99", env=env)
    assert "?api-key=[redacted]" in one_error_line(result)
    log = (cli.home / "logs" / "copydesk.log").read_text(encoding="utf-8")
    for output in (result.stdout, result.stderr, log):
        assert "hunter2secret" not in output and "topsecret99" not in output


# --------------------------------------------------------------------------- item 9: unusable home


def _as_nobody() -> list[str]:
    """Root ignores file permissions; the read-only home is tried as an unprivileged user."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a read-only home cannot be simulated")
    return [setpriv, "--reuid", "65534", "--regid", "65534", "--clear-groups"]


def run_copydesk(home: str, *args: str, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*(prefix or []), sys.executable, "-m", "app", "--home", home, *args],
                          capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "HOME": tempfile.gettempdir()})


@pytest.fixture
def readable_tree() -> Iterator[Path]:
    """A folder everyone can traverse (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="copydesk-ro-"))
    folder.chmod(0o755)
    yield folder
    for path in (folder, *folder.rglob("*")):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    shutil.rmtree(folder)


def test_a_home_that_is_a_file_or_under_proc_is_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "home.txt"
    a_file.write_text("not a folder")
    line = one_error_line(run_copydesk(str(a_file), "keywords", "list"))
    assert "it is a file, not a folder" in line
    assert "cannot use /proc/copydesk" in one_error_line(run_copydesk("/proc/copydesk", "keywords", "list"))
    result = run_copydesk("/proc/self", "keywords", "add", "Water rates")
    one_error_line(result)
    assert "warning: cannot write the log file" in result.stderr


def test_a_read_only_home_says_so_in_one_line_per_command(readable_tree: Path) -> None:
    home = readable_tree / "home"
    assert run_copydesk(str(home), "keywords", "add", "Water rates").returncode == 0
    for path in (home, *home.rglob("*")):
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    prefix = _as_nobody()
    listed = run_copydesk(str(home), "keywords", "list", "--json", prefix=prefix)
    assert listed.returncode == 0, listed.stderr
    assert "Water rates" in listed.stdout and "warning: cannot write the log file" in listed.stderr
    added = run_copydesk(str(home), "keywords", "add", "Bus cuts", prefix=prefix)
    assert "cannot be written" in one_error_line(added)
    assert "Traceback" not in listed.stderr + added.stderr


def test_a_profile_cannot_be_saved_with_a_password_in_its_base_url() -> None:
    problems = Profile.problems({"provider": "openai", "model": "m", "base_url": "http://bob:pw@localhost/v1"})
    assert "user name or password" in problems["base_url"] and "pw" not in problems["base_url"]
