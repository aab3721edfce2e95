"""The article under review: headline, dek, a legend, and the body with its flagged spans marked."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.services.review import ArticleView, Highlight
from ui.widgets.review_highlights import HighlightLegend, apply_highlights, document_text, locate


class ReviewArticleView(QWidget):
    """Shows one ArticleView; `missing` lists the marks whose text was not found in the rendering."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.missing: list[Highlight] = []
        self.article_id: int | None = None
        self._body = ""
        self.headline_label = QLabel()
        self.headline_label.setWordWrap(True)
        font = self.headline_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.headline_label.setFont(font)
        self.dek_label = QLabel()
        self.dek_label.setWordWrap(True)
        dek_font = self.dek_label.font()
        dek_font.setItalic(True)
        self.dek_label.setFont(dek_font)
        for label in (self.headline_label, self.dek_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend = HighlightLegend()
        self.browser = QTextBrowser()
        # Links in a draft point anywhere; the editor opens them deliberately, not by a stray click.
        self.browser.setOpenLinks(False)
        self.browser.document().setDocumentMargin(12)
        self.browser.setPlaceholderText("Select an article to read it here.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.headline_label)
        layout.addWidget(self.dek_label)
        layout.addWidget(self.legend)
        layout.addWidget(self.browser, 1)
        self.clear()

    def show_article(self, view: ArticleView) -> None:
        """Render the prepared HTML and mark the flagged spans (string searches only: no query, no parsing)."""
        keep_scroll = self.article_id == view.id
        scroll = self.browser.verticalScrollBar().value()
        self.headline_label.setText(view.headline or view.keyword)
        self.dek_label.setText(view.dek)
        self.dek_label.setVisible(bool(view.dek))
        self.legend.show()
        self.browser.setHtml(view.html)
        self._body = view.body
        self.missing = apply_highlights(self.browser.document(), view.body, view.highlights)
        self.article_id = view.id
        if keep_scroll:     # the same article shown again (a verdict changed): stay where the editor was reading
            self.browser.verticalScrollBar().setValue(scroll)

    def scroll_to(self, text: str, start: int) -> None:
        """Bring `text` (at `start` in the Markdown body) into view, near the top, without selecting it:
        a selection would hide the marks' colours."""
        span = locate(document_text(self.browser.document()), self._body, Highlight("", text, start, start, ""))
        if span is None:
            return
        cursor = QTextCursor(self.browser.document())
        cursor.setPosition(span[0])
        bar = self.browser.verticalScrollBar()
        bar.setValue(bar.value() + self.browser.cursorRect(cursor).top() - self.browser.fontMetrics().height() * 3)

    def clear(self) -> None:
        self.missing = []
        self._body = ""
        self.headline_label.clear()
        self.dek_label.hide()
        self.legend.hide()
        self.browser.clear()
        self.article_id = None
