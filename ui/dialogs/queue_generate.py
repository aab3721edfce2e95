"""Confirming "Generate approved": how many articles, the estimated tokens and cost, and a budget cap.

With a cap, the batch takes as many keywords as fit (high priority first) and
leaves the rest approved for a later batch; the dialog says how many fit
before anything is queued. The service checks the cap again when it queues.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.background import LatestRequest
from app.services.queue import BatchEstimate, BudgetFit, GenerationPlan, QueueService

FIT_DELAY_MS = 250
MAX_CAP_USD = 1_000_000


def _articles(count: int) -> str:
    return f"{count:,} article" if count == 1 else f"{count:,} articles"


def cost_text(estimate: BatchEstimate) -> str:
    if estimate.provider == "offline":
        return "free: offline provider"
    if estimate.cost_usd == 0 and estimate.price_known:
        return f"free: {estimate.model} runs on this computer"
    return f"≈ ${estimate.cost_usd:,.2f}"


def tokens_text(estimate: BatchEstimate) -> str:
    if estimate.provider == "offline":
        return "none: the offline provider calls no model"
    return f"≈ {estimate.tokens:,} ({estimate.input_tokens:,} in, {estimate.output_tokens:,} out)"


class QueueGenerateDialog(QDialog):
    """Read `cap_usd()` after `accepted`."""

    def __init__(self, plan: GenerationPlan, service: QueueService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Generate approved keywords")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.plan = plan
        self._service = service
        self._latest = LatestRequest()
        estimate = plan.estimate
        count = len(plan.keyword_ids)

        intro = QLabel(f"Queue {_articles(count)}, one for each approved keyword that has none yet, with the "
                       f"profile “{plan.profile}” ({estimate.provider}, {estimate.model}).")
        intro.setWordWrap(True)
        self.tokens_label = QLabel(tokens_text(estimate))
        self.cost_label = QLabel(cost_text(estimate))
        self.cost_label.setObjectName("estimatedCost")
        font = self.cost_label.font()
        font.setBold(True)
        self.cost_label.setFont(font)
        self.cap_box = QDoubleSpinBox()
        self.cap_box.setPrefix("$ ")
        self.cap_box.setDecimals(2)
        self.cap_box.setRange(0, MAX_CAP_USD)
        self.cap_box.setSingleStep(0.5)
        self.cap_box.setSpecialValueText("No cap")
        self.cap_box.setAccelerated(True)
        self.fit_label = QLabel()
        self.fit_label.setWordWrap(True)
        self.note_label = QLabel()
        self.note_label.setWordWrap(True)
        self.note_label.setVisible(not estimate.price_known)
        self.note_label.setText(f"{estimate.model} is not in the pricing table; the cost uses its default "
                                "price. Add the model to pricing.toml in the data folder for a real figure.")

        form = QFormLayout()
        form.addRow("Estimated tokens:", self.tokens_label)
        form.addRow("Estimated cost:", self.cost_label)
        form.addRow("&Budget cap:", self.cap_box)
        form.addRow("", self.fit_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.note_label)
        estimate_note = QLabel("Estimates assume every stage succeeds at the first attempt; retries cost more.")
        estimate_note.setWordWrap(True)
        estimate_note.setEnabled(False)     # the palette's quieter text
        layout.addWidget(estimate_note)
        layout.addWidget(self.buttons)

        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(FIT_DELAY_MS)
        self._fit_timer.timeout.connect(self._fit)
        self.cap_box.valueChanged.connect(self._cap_changed)
        if plan.free:
            self.cap_box.setEnabled(False)
            self.cap_box.setToolTip("This batch costs nothing.")
        self._show_fit(BudgetFit(plan.keyword_ids, estimate, 0))
        self.resize(460, self.sizeHint().height())

    def cap_usd(self) -> float:
        return self.cap_box.value()

    def _cap_changed(self) -> None:
        # The OK button waits for the new figure: accepting on the old one would mislead.
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.fit_label.setText("Checking what fits…")
        self._fit_timer.start()

    def _fit(self) -> None:
        self._service.fit_budget(self.plan, self.cap_usd(), success=self._show_fit, latest=self._latest)

    def _show_fit(self, fit: BudgetFit) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        total = len(self.plan.keyword_ids)
        fits = len(fit.keyword_ids)
        ok.setEnabled(fits > 0)
        ok.setText(f"Generate {_articles(fits)}")
        if self.plan.free:
            self.fit_label.setText("No cap needed: this batch costs nothing.")
        elif self.cap_usd() == 0 or not fit.left_out:
            self.fit_label.setText("No cap: every article is queued." if self.cap_usd() == 0 else
                                   f"All {_articles(total)} fit within the cap.")
        elif fits == 0:
            self.fit_label.setText("Not even one article fits within this cap; raise it to generate.")
        else:
            self.fit_label.setText(f"The cap fits {fits:,} of {total:,} ({cost_text(fit.estimate)}), high-priority "
                                   f"keywords first; the other {fit.left_out:,} stay approved for a later batch.")
