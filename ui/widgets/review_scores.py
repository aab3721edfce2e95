"""The score panel of the Review screen: the four scores, which checker produced each and how sure
it is, the quality gates in words, the review decision."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from app.services.review import ArticleView, Highlight
from ui.models.review_table import STATUS_LABELS

# (key in ArticleView.scores, label, what a good value looks like)
SCORES = (("overall", "Overall", "higher is better"), ("fact_check", "Fact-check", "higher is better"),
          ("perspective", "Perspective balance", "higher is better"),
          ("bias", "Bias (lower is better)", "lower is better"), ("originality", "Originality", "higher is better"))
# Mid-tones that read on light and dark palettes alike.
_PASS, _FAIL = "#2e9d58", "#d0453b"


def _bullets(lines: Sequence[str]) -> str:
    return "".join(f"<br>• {escape(line)}" for line in lines)


class ReviewScorePanel(QScrollArea):
    """Read-only; show_article() fills it from an ArticleView, clear() empties it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.setSpacing(10)

        self.value_labels: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(4)
        grid.setColumnStretch(0, 1)
        for row, (key, label, hint) in enumerate(SCORES):
            name = QLabel(label)
            name.setToolTip(f"0-100, {hint}")
            value = QLabel()
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setToolTip(f"0-100, {hint}")
            if key == "overall":
                for widget in (name, value):
                    font = widget.font()
                    font.setBold(True)
                    font.setPointSizeF(font.pointSizeF() * 1.2)
                    widget.setFont(font)
            grid.addWidget(name, row, 0)
            grid.addWidget(value, row, 1)
            self.value_labels[key] = value
        layout.addLayout(grid)

        self.checkers_label = self._rich_label()
        self.checkers_label.setObjectName("checkers")
        layout.addWidget(self.checkers_label)
        self.gates_label = self._rich_label()
        self.decision_label = self._rich_label()
        self.recheck_label = self._rich_label()
        self.recheck_label.setObjectName("recheck")
        self.notes_label = self._rich_label()
        for label in (self.gates_label, self.decision_label, self.recheck_label, self.notes_label):
            layout.addWidget(label)
        layout.addStretch()
        self.setWidget(body)
        self.clear()

    @staticmethod
    def _rich_label() -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_article(self, view: ArticleView, missing: Sequence[Highlight], recheck: str | None) -> None:
        """`missing`: marks not found in the rendered text (listed so that nothing flagged goes unseen);
        `recheck`: a line saying the scores are being recomputed, or None."""
        for key, label in self.value_labels.items():
            value = view.scores.get(key)
            label.setText("–" if value is None else f"{value:.1f}")
            hint = next(h for k, _l, h in SCORES if k == key)
            checker = view.checkers.get(key)
            label.setToolTip(f"0-100, {hint}" + (f"; checked by {checker}" if checker else ""))
        self.checkers_label.setText(self._checkers(view))
        if view.passed is None:
            gates = "Not checked yet."
        elif view.passed:
            gates = f"<b style='color:{_PASS}'>✓ Passes every quality gate</b>"
        else:
            count = len(view.failed_gates)
            gates = (f"<b style='color:{_FAIL}'>✗ Fails {count} quality gate{'' if count == 1 else 's'}</b>"
                     f"{_bullets(view.failed_gates)}")
        self.gates_label.setText(gates)
        self.decision_label.setText(self._decision(view))
        self.recheck_label.setText(f"<i>{escape(recheck)}</i>" if recheck else "")
        self.recheck_label.setVisible(bool(recheck))
        notes = list(view.notes) + [f"Not found in the text as shown: “{mark.text[:80]}”" for mark in missing]
        self.notes_label.setText(f"<b>Also noted</b>{_bullets(notes)}" if notes else "")
        self.notes_label.setVisible(bool(notes))

    @staticmethod
    def _checkers(view: ArticleView) -> str:
        """'Checked by' with the scores each checker produced, one line per checker."""
        labels = {key: label.removesuffix(" (lower is better)") for key, label, _hint in SCORES}
        by_checker: dict[str, list[str]] = {}
        for key, checker in view.checkers.items():
            by_checker.setdefault(checker, []).append(labels.get(key, key))
        if not by_checker or view.passed is None:
            return ""
        lines = [f"{', '.join(scores)}: {checker}" for checker, scores in by_checker.items()]
        return f"<b>Checked by</b>{_bullets(lines)}"

    @staticmethod
    def _decision(view: ArticleView) -> str:
        status = STATUS_LABELS.get(view.review_status, view.review_status)
        if view.status != "completed":
            return f"<b>Being regenerated</b> ({escape(view.status)})"
        if view.review_status == "pending_review" or not view.reviewed_by:
            return f"<b>{escape(status)}</b>"
        line = f"<b>{escape(status)}</b> by {escape(view.reviewed_by)}, {escape(view.reviewed_at)}"
        if view.review_reason:
            line += f"<br><i>“{escape(view.review_reason)}”</i>"
        return line

    def clear(self) -> None:
        for label in self.value_labels.values():
            label.setText("–")
        for label in (self.checkers_label, self.gates_label, self.decision_label, self.recheck_label,
                      self.notes_label):
            label.clear()
        self.recheck_label.hide()
        self.notes_label.hide()
