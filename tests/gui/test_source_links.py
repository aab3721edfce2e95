"""Issue 15 item 8 in the real window: a source link that is not http(s) (stored by an older
Copydesk from a feed) is shown as text, clicking links opens only http(s) ones, and an import
report names every link it dropped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog

from app.context import AppContext
from engine.keywords import KeywordBook
from engine.store.models import Source
from tests.gui.helpers import wait_for_dialog, wait_loaded
from ui.dialogs.import_report import ImportReportDialog
from ui.main_window import MainWindow

SCHEMES = ("http", "https", "javascript", "file", "smb", "data")


class OpenedUrls(QObject):
    """Where QDesktopServices.openUrl delivers, instead of the OS, for the schemes under test."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened() -> Iterator[OpenedUrls]:
    receiver = OpenedUrls()
    for scheme in SCHEMES:
        QDesktopServices.setUrlHandler(scheme, receiver, "open")
    yield receiver
    for scheme in SCHEMES:
        QDesktopServices.unsetUrlHandler(scheme)


def click_link(qtbot, label) -> None:
    # The label holds only the link, so its first characters are the anchor.
    area = label.contentsRect()
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton,
                     pos=QPoint(area.left() + 4, area.top() + label.fontMetrics().height() // 2))


def test_only_http_links_are_clickable_and_opened(qtbot, make_window: Callable[[], MainWindow], book: KeywordBook,
                                                  context: AppContext, opened: OpenedUrls) -> None:
    [(_position, _keyword, keyword_id)] = book.add(["Ferry schedule"]).added
    with context.db.write() as session:
        session.add_all([Source(keyword_id=keyword_id, title="Script", url="javascript:alert(document.cookie)",
                                text="Stored by an older version."),
                         Source(keyword_id=keyword_id, title="Share", url="smb://attacker/share", text="Also old."),
                         Source(keyword_id=keyword_id, title="Timetable", url="https://example.org/ferry",
                                text="Sailings drop from 12 to 8 a day.")])
    screen = make_window().keywords_screen
    wait_loaded(qtbot, screen, 1)
    screen.table.selectRow(0)
    panel = screen.sources_panel
    qtbot.waitUntil(lambda: len(panel.sources()) == 3)

    for row in (0, 1):
        panel.source_list.setCurrentRow(row)
        assert "href" not in panel.url_label.text() and "not a web link" in panel.url_label.text()
        click_link(qtbot, panel.url_label)
    panel.url_label.linkActivated.emit("file:///etc/passwd")
    assert panel.open_link("javascript:alert(1)") is False
    assert opened.urls == []

    panel.source_list.setCurrentRow(2)
    assert 'href="https://example.org/ferry"' in panel.url_label.text()
    click_link(qtbot, panel.url_label)
    qtbot.waitUntil(lambda: opened.urls == ["https://example.org/ferry"])


def test_the_import_report_names_the_links_it_dropped(qtbot, window: MainWindow, tmp_path: Path,
                                                      monkeypatch) -> None:
    feed = tmp_path / "city.rss"
    feed.write_text("""<?xml version="1.0"?><rss version="2.0"><channel><title>City</title>
<item><title>Council vote tonight</title><link>javascript:alert(1)</link><description>Agenda.</description></item>
<item><title>Ferry schedule cut</title><link>https://example.org/ferry</link></item>
</channel></rss>""", encoding="utf-8")
    screen = window.keywords_screen
    wait_loaded(qtbot, screen, 0)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_args, **_kwargs: (str(feed), ""))
    qtbot.keyClick(screen.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    report = wait_for_dialog(qtbot, screen, ImportReportDialog)
    rows = [tuple(report.model.index(r, c).data() for c in range(4)) for r in range(report.model.rowCount())]
    assert rows == [("Added", "1", "Council vote tonight", "added as #1; link 'javascript:alert(1)' dropped: "
                                                           "only http(s) links are kept"),
                    ("Added", "2", "Ferry schedule cut", "added as #2")]
    report.close()
