"""Issue 15 item 8 in the real window: a source link that is not http(s) (stored by an older
Copydesk from a feed) is shown as text, and clicking links opens only http(s) ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from app.context import AppContext
from engine.keywords import KeywordBook
from engine.store.models import Source
from tests.gui.helpers import wait_loaded
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
