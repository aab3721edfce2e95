"""The claims of the article under review: the checker's verdict, how sure it is, what the
editor should do next about a claim it did not confirm, the evidence, the source and the checker.

Thin: the rows are the ClaimRow values of the ArticleView the ReviewService
prepared; an editor's override goes through the service, and the screen shows
the article again when it reports the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QIcon

from app.services.review import CONTRADICTED, UNVERIFIABLE, ClaimRow
from ui.theme import status_dot
from ui.widgets.review_highlights import COLOURS

COLUMNS = ("Claim", "Verdict", "Sure", "Next step", "Evidence", "Source", "Checked by")
CLAIM, VERDICT, SURE, NEXT_STEP, EVIDENCE, SOURCE, CHECKER = range(len(COLUMNS))
CLAIM_ID_ROLE = Qt.ItemDataRole.UserRole + 1

_DISPLAY = Qt.ItemDataRole.DisplayRole
_SUPPORTED_COLOUR = "#2e9d58"


class ReviewClaimTableModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._claims: list[ClaimRow] = []
        # The verdict dots use the article's highlight colours, so a claim and its mark match.
        self._icons: dict[str, QIcon] = {"supported": status_dot(_SUPPORTED_COLOUR),
                                         "contradicted": status_dot(COLOURS[CONTRADICTED].name()),
                                         "unverifiable": status_dot(COLOURS[UNVERIFIABLE].name())}
        self._italic = QFont()
        self._italic.setItalic(True)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._claims)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> Any:
        claim = self._claims[index.row()]
        column = index.column()
        if role == _DISPLAY:
            return (claim.text, claim.verdict_text, claim.sure_text, claim.next_step, claim.evidence or "",
                    claim.source_label or "", claim.checker or "")[column]
        if role == CLAIM_ID_ROLE:
            return claim.id
        if role == Qt.ItemDataRole.DecorationRole and column == VERDICT:
            return self._icons.get(claim.effective_verdict)
        if role == Qt.ItemDataRole.FontRole and column == VERDICT and claim.overridden:
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(claim, column)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return COLUMNS[section]
        return None

    def set_claims(self, claims: Sequence[ClaimRow]) -> None:
        self.beginResetModel()
        self._claims = list(claims)
        self.endResetModel()

    def claim_at(self, row: int) -> ClaimRow:
        return self._claims[row]

    def row_of(self, claim_id: int) -> int | None:
        return next((row for row, claim in enumerate(self._claims) if claim.id == claim_id), None)

    @staticmethod
    def _tooltip(claim: ClaimRow, column: int) -> str | None:
        # Rich text so that a long claim or passage wraps; the columns elide them.
        if column == CLAIM:
            reason = f"<br><i>{escape(claim.reason)}</i>" if claim.reason else ""
            return f"{escape(claim.text)}{reason}"
        if column == VERDICT:
            if claim.overridden:
                return (f"Set to <b>{escape(claim.effective_verdict)}</b> by {escape(claim.override_by or '')} "
                        f"on {escape(claim.override_at)}; the checker said {escape(claim.verdict)}.")
            next_step = f"<br><i>Next step:</i> {escape(claim.next_step)}" if claim.next_step else ""
            return f"The checker's verdict: {escape(claim.reason or claim.verdict)}{next_step}"
        if column == EVIDENCE and claim.evidence:
            return escape(claim.evidence)
        if column == NEXT_STEP and claim.next_step:
            return escape(claim.next_step)
        if column in (SURE, CHECKER):
            return f"Checked by {escape(claim.checked_by)}" if claim.checker else \
                "Checked before Copydesk kept the checker and its confidence: check the article again."
        return None
