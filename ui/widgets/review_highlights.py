"""Marking flagged spans in a rendered article, and the legend that explains the marks.

The engine reports spans as character offsets into the Markdown body, but the
reader sees the HTML rendered from it, whose text differs (no `*`, `##`, link
targets). Rather than threading markers through the Markdown renderer, each
span's text is found again in the rendered document: the offsets only say
which occurrence is meant when the same words appear more than once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QColor,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from app.services.review import (
    BIASED,
    CONTRADICTED,
    HIGHLIGHT_KINDS,
    KIND_LABELS,
    MISQUOTE,
    UNVERIFIABLE,
    Highlight,
)

# Translucent mid-tone backgrounds: blended over a white or a near-black page they stay
# light or dark enough for the palette's own text colour to read on them. The underline
# style tells the kinds apart without relying on hue alone.
COLOURS = {BIASED: QColor(240, 165, 0), UNVERIFIABLE: QColor(61, 139, 253), CONTRADICTED: QColor(229, 72, 77),
           MISQUOTE: QColor(163, 91, 240)}
_ALPHA = {BIASED: 105, UNVERIFIABLE: 80, CONTRADICTED: 100, MISQUOTE: 95}
_UNDERLINES = {BIASED: QTextCharFormat.UnderlineStyle.NoUnderline,
               UNVERIFIABLE: QTextCharFormat.UnderlineStyle.DotLine,
               CONTRADICTED: QTextCharFormat.UnderlineStyle.SingleUnderline,
               MISQUOTE: QTextCharFormat.UnderlineStyle.DashUnderline}
_BORDERS = {BIASED: "none", UNVERIFIABLE: "dotted", CONTRADICTED: "solid", MISQUOTE: "dashed"}
_LEGEND_TIPS = {BIASED: "Loaded, one-sided or dramatising wording in the writer's own voice.",
                UNVERIFIABLE: "A claim no attached source states.",
                CONTRADICTED: "A claim a source says otherwise about.",
                MISQUOTE: "A quotation that differs from the source's words."}
# When spans nest, the inner one shows its colour; equal spans show the more serious kind.
_SERIOUSNESS = {CONTRADICTED: 0, MISQUOTE: 1, BIASED: 2, UNVERIFIABLE: 3}

# Where a highlight's kind is kept on the character format (tests read it back).
KIND_PROPERTY = QTextFormat.Property.UserProperty + 1

_SEPARATORS = str.maketrans({"\u2029": "\n", "\u2028": "\n", "\ufdd0": "\n", "\ufdd1": "\n", "\xa0": " "})


def background(kind: str) -> QColor:
    colour = QColor(COLOURS[kind])
    colour.setAlpha(_ALPHA[kind])
    return colour


def document_text(document: QTextDocument) -> str:
    """The document's characters, one per cursor position (table cell and block separators
    become newlines), so an index into it is a QTextCursor position."""
    return document.toRawText().translate(_SEPARATORS)


def _loose_pattern(snippet: str) -> re.Pattern[str] | None:
    # The words in order with anything that is not a word between them: survives
    # emphasis markers, line breaks and typographic quotes that rendering changed.
    words = [w.strip("_") for w in re.findall(r"\w+", snippet)]
    words = [w for w in words if w]
    if not words:
        return None
    return re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, words)) + r"(?!\w)")


def _occurrences(text: str, snippet: str, loose: bool) -> list[tuple[int, int]]:
    if loose:
        pattern = _loose_pattern(snippet)
        return [m.span() for m in pattern.finditer(text)] if pattern else []
    spans: list[tuple[int, int]] = []
    position = text.find(snippet)
    while position >= 0 and snippet:
        spans.append((position, position + len(snippet)))
        position = text.find(snippet, position + 1)
    return spans


def locate(text: str, body: str, mark: Highlight) -> tuple[int, int] | None:
    """Where `mark` (offsets into the Markdown `body`) is in the rendered `text`, or None.

    The k-th occurrence of the snippet in the body is taken to be the k-th in
    the text when both have the same number; otherwise the occurrence nearest
    the proportional position wins.
    """
    for loose in (False, True):
        found = _occurrences(text, mark.text, loose)
        if found:
            break
    else:
        return None
    in_body = _occurrences(body, mark.text, loose)
    nth = sum(1 for start, _end in in_body if start < mark.start)
    if len(in_body) == len(found) and nth < len(found):
        return found[nth]
    guess = mark.start * len(text) / max(len(body), 1)
    return min(found, key=lambda span: abs(span[0] - guess))


def apply_highlights(document: QTextDocument, body: str, marks: Sequence[Highlight]) -> list[Highlight]:
    """Colour each mark's text in `document` with its tooltip; returns the marks not found in it.

    Overlapping marks (a loaded word inside an unverifiable sentence) are cut
    into pieces: each piece shows the innermost mark's colour and the tooltips
    of every mark that covers it.
    """
    text = document_text(document)
    placed: list[tuple[int, int, Highlight]] = []
    missing: list[Highlight] = []
    for mark in marks:
        span = locate(text, body, mark)
        if span is None:
            missing.append(mark)
        else:
            placed.append((*span, mark))
    cuts = sorted({edge for start, end, _mark in placed for edge in (start, end)})
    cursor = QTextCursor(document)
    cursor.beginEditBlock()
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = [(start, end, mark) for start, end, mark in placed if start <= left and right <= end]
        if not covering:
            continue
        _start, _end, top = min(covering, key=lambda c: (c[1] - c[0], _SERIOUSNESS[c[2].kind]))
        outer_first = sorted(covering, key=lambda c: (c[0], -c[1]))
        tips = list(dict.fromkeys(mark.tooltip for _s, _e, mark in outer_first))
        cursor.setPosition(left)
        cursor.setPosition(right, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(_format(top.kind, "<hr>".join(tips)))
    cursor.endEditBlock()
    return missing


def _format(kind: str, tooltip: str) -> QTextCharFormat:
    char = QTextCharFormat()
    char.setBackground(background(kind))
    char.setUnderlineStyle(_UNDERLINES[kind])
    char.setUnderlineColor(COLOURS[kind])
    char.setToolTip(tooltip)
    char.setProperty(KIND_PROPERTY, kind)
    return char


class HighlightLegend(QWidget):
    """One chip per kind of mark, drawn like the marks themselves, with what it means as a tooltip.
    The chips wrap onto a second row when the panel is narrow, instead of being cut."""

    _SPACING = 6

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(self._SPACING)
        self._grid.setVerticalSpacing(4)
        self.chips: dict[str, QLabel] = {}
        for kind in HIGHLIGHT_KINDS:
            chip = QLabel(KIND_LABELS[kind])
            colour = background(kind)
            line = COLOURS[kind]
            border = "none" if _BORDERS[kind] == "none" else f"2px {_BORDERS[kind]} {line.name()}"
            # Without a border the chip's bottom padding matches the others' border, so all sit level.
            padding = "1px 6px 1px 6px" if border != "none" else "1px 6px 3px 6px"
            chip.setStyleSheet(f"QLabel {{ background: rgba({colour.red()}, {colour.green()}, {colour.blue()}, "
                               f"{colour.alpha()}); border: none; border-bottom: {border}; border-radius: 3px; "
                               f"padding: {padding}; }}")
            chip.setToolTip(_LEGEND_TIPS[kind])
            chip.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            self.chips[kind] = chip
        # The width is the panel's to give; the chips then take as many rows as they need.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(1)
        self._columns = 0
        self._reflow(len(self.chips))

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt naming
        super().resizeEvent(event)
        self._reflow(self._columns_for(event.size().width()))

    def _columns_for(self, width: int) -> int:
        used, columns = 0, 0
        for chip in self.chips.values():
            used += chip.sizeHint().width() + (self._SPACING if columns else 0)
            if used > width and columns:
                break
            columns += 1
        return max(1, columns)

    def _reflow(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for chip in self.chips.values():
            self._grid.removeWidget(chip)
        for n, chip in enumerate(self.chips.values()):
            self._grid.addWidget(chip, n // columns, n % columns, Qt.AlignmentFlag.AlignLeft)
        self._grid.setColumnStretch(columns, 1)
