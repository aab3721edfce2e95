"""The Schedules screen: recurring feed polls, batches and re-checks.

A table of schedules (next run, last outcome) over a form that adds a new one
or changes the selected one; as the editor types a cron expression or an
interval, the form shows the next five runs in words, in the schedule's zone.
Run now, Pause / Resume and Remove act on the selected schedule. The engine
fires due schedules by itself while the app runs (engine/schedules).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.services.schedules import (
    SCHEDULE_KINDS,
    RunOutcome,
    ScheduleRow,
    ScheduleService,
    in_words,
    timing_from,
)
from engine.errors import EditorError
from ui.screens.common import make_action

_COLUMNS = ("Name", "Kind", "When", "Next run", "Last outcome")
_KIND_LABELS = {"poll_feed": "Poll a feed", "generate_approved": "Generate approved",
                "recheck_published": "Re-check published"}


class SchedulesScreen(QWidget):
    announced = Signal(str)

    def __init__(self, service: ScheduleService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.rows: list[ScheduleRow] = []
        self.loads = 0   # completed loads (tests wait on it)

        self.run_action = make_action(self, "Run now", "Ctrl+R", self._run_now, "Run the selected schedule once now")
        self.pause_action = make_action(self, "Pause / Resume", "Ctrl+P", self._toggle,
                                        "Pause the selected schedule, or resume it")
        self.remove_action = make_action(self, "Remove", None, self._remove, "Delete the selected schedule")
        self.new_action = make_action(self, "New schedule", "Ctrl+N", self._new, "Clear the form to add a schedule")
        toolbar = QToolBar()
        for action in (self.new_action, self.run_action, self.pause_action, self.remove_action):
            toolbar.addAction(action)

        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selected)

        self.form_box = QGroupBox("New schedule")
        form = QFormLayout(self.form_box)
        self.name = QLineEdit()
        self.kind = QComboBox()
        for kind in SCHEDULE_KINDS:
            self.kind.addItem(_KIND_LABELS[kind], kind)
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://agency.example/wire.rss")
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0, 100_000)
        self.budget.setPrefix("$")
        self.budget.setSpecialValueText("no cap")
        self.max_count = QSpinBox()
        self.max_count.setRange(0, 100_000)
        self.max_count.setSpecialValueText("no cap")
        self.days = QSpinBox()
        self.days.setRange(1, 365)
        self.days.setValue(7)
        self.mode = QComboBox()
        self.mode.addItem("Cron expression", "cron")
        self.mode.addItem("Interval", "interval")
        self.when = QLineEdit("0 6 * * *")
        self.when.setPlaceholderText("0 6 * * 1-5  or  15m")
        self.zone = QLineEdit("UTC")
        self.preview = QLabel()
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview.setWordWrap(True)
        self.save_button = QPushButton("Add schedule")
        self.save_button.clicked.connect(self._save)
        timing_row = QHBoxLayout()
        timing_row.addWidget(self.mode)
        timing_row.addWidget(self.when, 1)
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("Feed URL", self.url)
        form.addRow("Budget cap per run", self.budget)
        form.addRow("At most", self.max_count)
        form.addRow("Published in the last (days)", self.days)
        form.addRow("When", timing_row)
        form.addRow("Time zone", self.zone)
        form.addRow("Next runs", self.preview)
        form.addRow(self.save_button)
        self._form = form
        for signal in (self.when.textChanged, self.zone.textChanged, self.mode.currentIndexChanged):
            signal.connect(self._update_preview)
        self.kind.currentIndexChanged.connect(self._show_kind_fields)

        layout = QVBoxLayout(self)
        layout.addWidget(toolbar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.form_box)
        service.schedules_changed.connect(self.refresh)
        self._show_kind_fields()
        self._update_preview()
        self._enable_actions()
        self.refresh()

    # ------------------------------------------------------------------ screen protocol

    def refresh(self) -> None:
        self.service.load(success=self._loaded)

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("schedules/header", self.table.horizontalHeader().saveState())

    def restore_state(self, settings: QSettings) -> None:
        state = settings.value("schedules/header")
        if state is not None:
            self.table.horizontalHeader().restoreState(state)

    # ------------------------------------------------------------------ the list

    def selected(self) -> ScheduleRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.rows[rows[0].row()] if rows else None

    def _loaded(self, rows: list[ScheduleRow]) -> None:
        chosen = self.selected()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            next_run = in_words([row.next_run_at], row.timezone)[0] if row.enabled and row.next_run_at else "paused"
            outcome = f"{row.last_outcome}: {row.last_message}" if row.last_outcome else "never run"
            for column, text in enumerate((row.name, _KIND_LABELS[row.kind], row.timing.describe(), next_run,
                                           outcome)):
                self.table.setItem(index, column, QTableWidgetItem(text))
            if chosen is not None and row.id == chosen.id:
                self.table.selectRow(index)
        self.loads += 1
        self._enable_actions()

    def _selected(self) -> None:
        self._enable_actions()
        row = self.selected()
        if row is None:
            return
        self.form_box.setTitle(f"Schedule {row.name!r}")
        self.save_button.setText("Save changes")
        self.name.setText(row.name)
        self.name.setEnabled(False)
        self.kind.setCurrentIndex(self.kind.findData(row.kind))
        self.kind.setEnabled(False)
        self.url.setText(str(row.args.get("url", "")))
        self.budget.setValue(float(row.args.get("budget_usd") or 0))
        self.max_count.setValue(int(row.args.get("max_count") or 0))
        self.days.setValue(int(row.args.get("days") or 7))
        self.mode.setCurrentIndex(0 if row.cron else 1)
        self.when.setText(row.cron or f"{(row.interval_s or 0) // 60}m")
        self.zone.setText(row.timezone)

    def _enable_actions(self) -> None:
        row = self.selected()
        for action in (self.run_action, self.pause_action, self.remove_action):
            action.setEnabled(row is not None)
        if row is not None:
            self.pause_action.setText("Pause" if row.enabled else "Resume")

    # ------------------------------------------------------------------ the form

    def _new(self) -> None:
        self.table.clearSelection()
        self.form_box.setTitle("New schedule")
        self.save_button.setText("Add schedule")
        self.name.setEnabled(True)
        self.kind.setEnabled(True)
        self.name.clear()
        self.name.setFocus()

    def _show_kind_fields(self) -> None:
        kind = self.kind.currentData()
        for widget, wanted in ((self.url, "poll_feed"), (self.budget, "generate_approved"),
                               (self.max_count, "generate_approved"), (self.days, "recheck_published")):
            self._form.setRowVisible(widget, kind == wanted)

    def _update_preview(self) -> None:
        try:
            timing = timing_from(self.mode.currentData(), self.when.text(), self.zone.text())
            self.preview.setText("\n".join(self.service.preview(timing)))
            self.save_button.setEnabled(True)
        except EditorError as error:
            self.preview.setText(str(error))
            self.save_button.setEnabled(False)

    def _args(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        if kind == "poll_feed":
            return {"url": self.url.text().strip()}
        if kind == "generate_approved":
            return {"budget_usd": self.budget.value() or None, "max_count": self.max_count.value() or None}
        return {"days": self.days.value()}

    def _save(self) -> None:
        try:
            timing = timing_from(self.mode.currentData(), self.when.text(), self.zone.text())
        except EditorError as error:
            self.announced.emit(str(error))
            return
        row = self.selected()
        self.save_button.setEnabled(False)
        done = self._saved
        if row is None:
            self.service.add(self.name.text(), self.kind.currentData(), self._args(), timing, success=done,
                             failure=self._refused)
        else:
            self.service.edit(row.id, self._args(), timing, success=done, failure=self._refused)

    def _saved(self, row: ScheduleRow) -> None:
        self.save_button.setEnabled(True)
        self.announced.emit(f"Schedule {row.name!r} saved; next run "
                            f"{in_words([row.next_run_at], row.timezone)[0] if row.next_run_at else 'none'}.")

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.announced.emit(str(error))

    # ------------------------------------------------------------------ actions

    def _run_now(self) -> None:
        row = self.selected()
        if row is not None:
            self.announced.emit(f"Running {row.name!r}…")
            self.service.run_now(row.id, success=self._ran)

    def _ran(self, outcome: RunOutcome | None) -> None:
        if outcome is None:
            self.announced.emit("That schedule is running elsewhere right now; try again in a moment.")
        else:
            self.announced.emit(f"{outcome.name}: {'done' if outcome.ok else 'failed'}: {outcome.message}")

    def _toggle(self) -> None:
        row = self.selected()
        if row is not None:
            self.service.set_enabled(row.id, not row.enabled)

    def _remove(self) -> None:
        row = self.selected()
        if row is not None:
            self.service.remove(row.id, success=lambda gone: self.announced.emit(f"Removed {gone.name!r}."))
            self._new()
