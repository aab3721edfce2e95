"""The Keywords screen's side panel: the selected keyword's details and source material."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.background import LatestRequest
from app.services.keywords import KeywordRow, KeywordService, SourceAttached
from engine.keywords import safe_link
from ui.dialogs.sources import AttachSourceDialog
from ui.models.keyword_table import format_when

SOURCE_FILES = "Text, Markdown or HTML (*.txt *.md *.markdown *.html *.htm);;All files (*)"


class KeywordSourcesPanel(QWidget):
    """Shows one keyword; attaches URLs, files and pasted text to it."""

    announced = Signal(str)     # a short line for the status bar

    def __init__(self, service: KeywordService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._keyword: KeywordRow | None = None
        self._sources: list[dict[str, Any]] = []
        self._latest = LatestRequest()

        self.title_label = QLabel()
        self.title_label.setWordWrap(True)
        font = self.title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setTextFormat(Qt.TextFormat.RichText)
        self.details_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.sources_label = QLabel("Sources")
        self.sources_label.setStyleSheet("font-weight: bold")
        self.source_list = QListWidget()
        # Wrapped, so a long title is read whole in a narrow panel; the full URL is shown above the preview.
        self.source_list.setWordWrap(True)
        self.source_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.source_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.source_list.setSpacing(2)
        self.source_list.currentRowChanged.connect(self._show_source)
        self.url_label = QLabel()
        # Links are opened here, not by the label: only http(s) ever reaches the OS.
        self.url_label.setOpenExternalLinks(False)
        self.url_label.linkActivated.connect(self.open_link)
        self.url_label.setWordWrap(True)
        self.url_label.setTextFormat(Qt.TextFormat.RichText)
        self.preview = QPlainTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setPlaceholderText("The selected source's text appears here.")
        preview_box = QWidget()
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.setContentsMargins(0, 0, 0, 0)
        preview_layout.addWidget(self.url_label)
        preview_layout.addWidget(self.preview)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.source_list)
        self.splitter.addWidget(preview_box)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        self.url_button = QPushButton("Attach &URL…")
        self.file_button = QPushButton("Attach &file…")
        self.text_button = QPushButton("Paste &text…")
        self.url_button.clicked.connect(lambda: self._ask_source("url"))
        self.text_button.clicked.connect(lambda: self._ask_source("text"))
        self.file_button.clicked.connect(self.attach_file)
        buttons = QHBoxLayout()
        for button in (self.url_button, self.file_button, self.text_button):
            buttons.addWidget(button)
        buttons.addStretch()

        self.busy_label = QLabel()
        self.busy_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.details_label)
        layout.addSpacing(6)
        layout.addWidget(self.sources_label)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.busy_label)
        self.show_selection(None, 0)

    @property
    def keyword(self) -> KeywordRow | None:
        return self._keyword

    def sources(self) -> list[dict[str, Any]]:
        return list(self._sources)

    def show_selection(self, keyword: KeywordRow | None, selected: int) -> None:
        """Show the one selected keyword; for none or several (`selected`), say so."""
        same = keyword is not None and self._keyword is not None and keyword.id == self._keyword.id
        self._keyword = keyword
        for widget in (self.sources_label, self.splitter, self.url_button, self.file_button, self.text_button):
            widget.setVisible(keyword is not None)
        if keyword is None:
            self._latest.cancel()
            self._sources = []
            self.title_label.setText(f"{selected:,} keywords selected" if selected else "No keyword selected")
            self.details_label.setText("Select one keyword to see and attach its sources." if selected else
                                       "Select a keyword to see its notes and sources.")
            return
        self.title_label.setText(keyword.keyword)
        self.details_label.setText(_details(keyword))
        # A decision changes the details, not the sources; attaching reloads them itself.
        if not same:
            self._load_sources()

    def attach_file(self) -> None:
        if self._keyword is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Attach a source file", "", SOURCE_FILES)
        if path:
            self._attaching(f"Reading {Path(path).name}…")
            self._service.attach_file(self._keyword.id, Path(path), success=self._attached, failure=self._failed)

    def open_link(self, url: str) -> bool:
        """Open an http(s) source link in the browser; any other scheme is refused."""
        if safe_link(url) is None:
            return False
        return QDesktopServices.openUrl(QUrl(url))

    # ------------------------------------------------------------- internal

    def _load_sources(self) -> None:
        assert self._keyword is not None
        self.source_list.clear()
        self.preview.clear()
        self.url_label.clear()
        self._service.sources(self._keyword.id, success=self._on_sources, latest=self._latest)

    def _on_sources(self, sources: list[dict[str, Any]]) -> None:
        self._sources = sources
        self.source_list.clear()
        for number, source in enumerate(sources, start=1):
            where = urlsplit(source["url"]).netloc if source["url"] else "attached text"
            item = QListWidgetItem(f"[S{number}] {source['title'] or '(untitled)'}\n{where} · "
                                   f"{len(source['text']):,} characters")
            item.setToolTip(source["url"] or source["title"])
            self.source_list.addItem(item)
        self.sources_label.setText(f"Sources ({len(sources)})" if sources else "Sources: none yet")
        self.preview.setPlaceholderText("The selected source's text appears here." if sources else
                                        "No sources yet. Attach a URL, a file or pasted text; the pipeline "
                                        "cites only what is attached here.")
        if sources:
            self.source_list.setCurrentRow(0)

    def _show_source(self, row: int) -> None:
        if not 0 <= row < len(self._sources):
            self.preview.clear()
            self.url_label.clear()
            return
        source = self._sources[row]
        url = source["url"]
        if url and safe_link(url):
            self.url_label.setText(f'<a href="{escape(url, quote=True)}">{escape(url)}</a>')
        elif url:
            # Stored before links were checked: shown as text, never as something to click.
            self.url_label.setText(f"{escape(url[:200])} (not a web link; not opened)")
        else:
            self.url_label.setText("")
        self.url_label.setVisible(bool(url))
        self.preview.setPlainText(source["text"] or "(no text: only the URL is kept)")

    def _ask_source(self, kind: str) -> None:
        if self._keyword is None:
            return
        dialog = AttachSourceDialog(kind, self._keyword.keyword, self)
        keyword_id = self._keyword.id

        def attach() -> None:
            if kind == "url":
                self._attaching(f"Fetching {dialog.url()}…")
                self._service.attach_url(keyword_id, dialog.url(), dialog.title(), success=self._attached,
                                         failure=self._failed)
            else:
                self._attaching("Attaching the text…")
                self._service.attach_text(keyword_id, dialog.text(), dialog.title(), success=self._attached,
                                          failure=self._failed)

        dialog.accepted.connect(attach)
        dialog.open()

    def _attaching(self, message: str) -> None:
        self.busy_label.setText(message)
        for button in (self.url_button, self.file_button, self.text_button):
            button.setEnabled(False)

    def _done_attaching(self) -> None:
        self.busy_label.clear()
        for button in (self.url_button, self.file_button, self.text_button):
            button.setEnabled(True)

    def _attached(self, attached: SourceAttached) -> None:
        self._done_attaching()
        self.announced.emit(f"Attached a source to “{attached.keyword.keyword}”.")
        if self._keyword is not None and self._keyword.id == attached.keyword.id:
            self._keyword = attached.keyword
            self._load_sources()

    def _failed(self, _error: BaseException) -> None:
        self._done_attaching()


def _details(keyword: KeywordRow) -> str:
    parts = [f"{escape(keyword.priority.capitalize())} priority", f"from {escape(keyword.source)}",
             f"added {escape(format_when(keyword.created_at))}"]
    lines = [" · ".join(parts)]
    if keyword.approval_status == "pending":
        lines.append("Waiting for a decision.")
    else:
        decided = f"{escape(keyword.approval_status.capitalize())} by {escape(keyword.decided_by or 'unknown')}"
        if keyword.decided_at:
            decided += f" on {escape(format_when(keyword.decided_at))}"
        if keyword.decision_reason:
            decided += f": {escape(keyword.decision_reason)}"
        lines.append(decided)
    if keyword.notes:
        lines.append(f"<i>{escape(keyword.notes)}</i>")
    return "<br>".join(lines)
