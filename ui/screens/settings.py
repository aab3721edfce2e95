"""The Settings screen: generation profiles, the provider and its key, this computer's engine settings.

Every edit is checked at once (SettingsService.validate, a cheap synchronous
call) and a refused value shows its reason under the field with a red border;
Save stays disabled until everything is valid, and the service checks again
before it writes. Nothing is written until Save; Revert shows the stored values
again. While a profile has unsaved changes the list of profiles is locked, so
an edit is never lost by clicking another profile.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.services.settings import (
    API_KEY_ENV_VARS,
    DEFAULT_MODELS,
    GATE_DEFAULTS,
    GATE_FIELDS,
    ConnectionVerdict,
    Profile,
    ProfileResult,
    SaveResult,
    SettingsDraft,
    SettingsService,
    SettingsSnapshot,
)
from ui.widgets.messages import confirm, inform
from ui.widgets.settings_field import ERROR_COLOUR, FIELD_STYLE, SettingsField

# (choice, label): "compatible" is the openai provider with a server URL of its own.
PROVIDERS = (("offline", "Offline (no model, no key)"), ("openai", "OpenAI"), ("anthropic", "Anthropic"),
             ("compatible", "OpenAI-compatible server (Ollama, llama.cpp, LM Studio, vLLM)"))
_CHOICES = [choice for choice, _label in PROVIDERS]
OK_COLOUR = "#2e9d58"
NUMBER_WIDTH = 170      # px: a figure with its unit; the full width of a form would bury it
PAGE_WIDTH = 880        # px: beyond this the labels drift too far from their fields
_MACHINE_KEYS = ("engine", "tuning", "publish_folder")     # problems shown on the "This computer" tab
GATE_LABELS = {"bias_max": ("Bias score at most", "Higher is more biased."),
               "fact_check_min": ("Fact-check score at least", "The share of claims the sources support."),
               "perspective_min": ("Perspective balance at least", ""),
               "min_perspectives": ("Perspectives at least", "Distinct stakeholder voices."),
               "overall_min": ("Overall score at least", ""),
               "originality_min": ("Originality at least", "Stops a draft that mostly repeats its sources "
                                   "word for word; 0 switches the gate off.")}
# Who runs the checking stages: (choice, label). "compatible" is the openai provider with a server URL.
CHECKERS = (("same", "Same as generation"), ("offline", "Offline rules (no model)"), ("openai", "OpenAI"),
            ("anthropic", "Anthropic"),
            ("compatible", "OpenAI-compatible server (e.g. Ollama's bespoke-minicheck)"))
_CHECKER_CHOICES = [choice for choice, _label in CHECKERS]
CHECKER_PROTOCOL_LABELS = (("auto", "Automatic: MiniCheck when the model's name says so"),
                           ("minicheck", "Grounded fact checker: Document + Claim, Yes or No"),
                           ("judge", "General model: judges claims against the sources' passages"))
_PROTOCOLS = [protocol for protocol, _label in CHECKER_PROTOCOL_LABELS]


def _spin(maximum: int, *, suffix: str = "", no_limit: bool = False) -> QSpinBox:
    box = QSpinBox()
    box.setFixedWidth(NUMBER_WIDTH)
    box.setRange(0, maximum)
    box.setSuffix(suffix)
    box.setGroupSeparatorShown(True)
    if no_limit:
        box.setSpecialValueText("No limit")
    box.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
    return box


def _decimal(maximum: float, decimals: int, *, suffix: str = "", step: float = 1.0) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setFixedWidth(NUMBER_WIDTH)
    box.setRange(0, maximum)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    return box


def _align_labels(page: QWidget) -> None:
    """One label column for every group of a page, so that the fields of all groups line up."""
    forms = page.findChildren(QFormLayout)
    labels = [form.itemAt(row, QFormLayout.ItemRole.LabelRole).widget() for form in forms
              for row in range(form.rowCount()) if form.itemAt(row, QFormLayout.ItemRole.LabelRole) is not None]
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def _checker_choice_of(checker: dict[str, str]) -> str:
    provider = checker.get("provider") or ""
    if not checker:
        return "same"
    if provider == "openai" and checker.get("base_url"):
        return "compatible"
    return provider if provider in _CHECKER_CHOICES else "same"


def _choice_of(profile: Profile) -> str:
    if profile.provider == "openai" and profile.base_url:
        return "compatible"
    return profile.provider if profile.provider in _CHOICES else "offline"


class SettingsScreen(QWidget):
    announced = Signal(str)     # a short line for the status bar

    def __init__(self, service: SettingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._snapshot: SettingsSnapshot | None = None
        self._profile: Profile | None = None         # the stored profile the form started from
        self._clean: dict[str, Any] = {}             # the form's values as loaded
        self._problems: dict[str, str] = {}
        self._loading = False
        self._saving = False
        self._stale = True
        self._test_number = 0
        self._filling = False
        self._unplaced: list[str] = []               # problems no field shows (the status line does)
        self.setStyleSheet(FIELD_STYLE)

        self.fields: dict[str, SettingsField] = {}
        self._build_profiles_panel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self._scrolling(self._build_profile_tab()), "Profile")
        self.tabs.addTab(self._scrolling(self._build_machine_tab()), "This computer")
        self._tab_titles = ("Profile", "This computer")

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.revert_button = QPushButton("&Revert")
        self.revert_button.setToolTip("Show the stored values again, dropping the changes")
        self.save_button = QPushButton("&Save")
        self.save_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.tabs, 1)
        right_layout.addLayout(buttons)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.profiles_panel)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([240, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addWidget(self.splitter)

        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self.revert)
        self._connect_edits()
        self._update_state()

    # ------------------------------------------------------------ for the window

    @property
    def is_loading(self) -> bool:
        return self._loading or self._saving

    @property
    def is_dirty(self) -> bool:
        return bool(self._snapshot) and self._form_state() != self._clean

    @property
    def problems(self) -> dict[str, str]:
        """Field -> reason for the values refused now."""
        return dict(self._problems)

    def refresh(self) -> None:
        """Load the stored settings; unsaved edits are kept (Revert drops them)."""
        self._stale = False
        if self.is_dirty:
            return
        self._loading = True
        self._update_state()
        self._service.load(success=self._loaded, failure=self._load_failed)

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("settings/splitter", self.splitter.saveState())
        settings.setValue("settings/tab", self.tabs.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        splitter = settings.value("settings/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.tabs.setCurrentIndex(int(settings.value("settings/tab", 0)))

    # ------------------------------------------------------------ editor commands

    def save(self) -> None:
        draft = self._draft(changed_only=True)
        if self._problems or self._saving or not self.is_dirty:
            return
        self._saving = True
        self._update_state()
        self._service.save(draft, success=self._saved, failure=self._save_failed)

    def revert(self) -> None:
        if self._snapshot is not None:
            self._fill(self._snapshot, self._profile.id if self._profile else None)

    def test_connection(self) -> None:
        self._test_number += 1
        number = self._test_number
        self._show_verdict(None, "Testing the connection…")
        self.test_button.setEnabled(False)

        def done(verdict: ConnectionVerdict) -> None:
            if number == self._test_number:     # the settings changed meanwhile: the answer is about old ones
                self._show_verdict(verdict.ok, verdict.text)
                self.test_button.setEnabled(True)

        def failed(_error: BaseException) -> None:
            if number == self._test_number:
                self._show_verdict(False, "The test could not run; the details are in the log.")
                self.test_button.setEnabled(True)

        self._service.test_connection(self._form_profile(), api_key=self.key_edit.text().strip() or None,
                                      tuning=self._form_tuning(), success=done, failure=failed)

    def new_profile(self) -> None:
        self._service.new_profile(success=self._profiles_done("Added"))

    def duplicate_profile(self) -> None:
        if self._profile is not None and self._profile.id is not None:
            self._service.duplicate_profile(self._profile.id, success=self._profiles_done("Duplicated"))

    def delete_profile(self) -> None:
        profile = self._profile
        if profile is None or profile.id is None:
            return
        confirm(self, "Delete profile", f"Delete the profile “{profile.name}”?", "Delete",
                lambda: self._service.delete_profile(profile.id, success=self._profiles_done("Deleted")),
                detail="Articles already generated keep their record of it; a profile they used cannot be deleted.",
                destructive=True)

    def make_default(self) -> None:
        if self._profile is not None and self._profile.id is not None:
            self._service.make_default(self._profile.id, success=self._profiles_done("Made default"))

    def browse_publish_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Publish folder", self.publish_edit.text())
        if folder:
            self.publish_edit.setText(folder)

    # ------------------------------------------------------------- results

    def _loaded(self, snapshot: SettingsSnapshot) -> None:
        self._loading = False
        wanted = self._profile.id if self._profile else None
        self._fill(snapshot, wanted)

    def _load_failed(self, _error: BaseException) -> None:
        self._loading = False
        self._update_state()

    def _saved(self, result: SaveResult) -> None:
        self._saving = False
        if result.problems:
            self._show_problems(result.problems)
            self._update_state()
            return
        assert result.snapshot is not None
        self._fill(result.snapshot, result.profile_id or (self._profile.id if self._profile else None))
        self.announced.emit("Settings saved. Worker and slot counts apply the next time Copydesk starts.")

    def _save_failed(self, _error: BaseException) -> None:
        self._saving = False
        self._update_state()

    def _profiles_done(self, verb: str) -> Callable[[ProfileResult], None]:
        def done(result: ProfileResult) -> None:
            if result.refused:
                inform(self, "Profile not changed", result.refused)
                return
            if self._snapshot is not None:
                self._fill(dataclasses.replace(self._snapshot, profiles=result.profiles), result.selected)
            name = next((p.name for p in result.profiles if p.id == result.selected), "")
            self.announced.emit(f"{verb} the profile “{name}”." if verb != "Deleted" else "Deleted the profile.")

        return done

    # ------------------------------------------------------------- the form

    def _fill(self, snapshot: SettingsSnapshot, profile_id: int | None) -> None:
        """Show stored values; the form is clean afterwards."""
        self._snapshot = snapshot
        profiles = snapshot.profiles
        profile = next((p for p in profiles if p.id == profile_id), None) \
            or next((p for p in profiles if p.is_default), None) or (profiles[0] if profiles else Profile())
        self._profile = profile
        self._filling = True
        try:
            with QSignalBlocker(self.profile_list):
                self.profile_list.clear()
                for item_profile in profiles:
                    label = f"{item_profile.name}  (default)" if item_profile.is_default else item_profile.name
                    item = QListWidgetItem(label)
                    item.setData(Qt.ItemDataRole.UserRole, item_profile.id)
                    self.profile_list.addItem(item)
                    if item_profile.id == profile.id:
                        self.profile_list.setCurrentItem(item)
            self._fill_profile(profile)
            machine = snapshot.machine
            for name, box in self.machine_boxes.items():
                value = machine[name]
                box.setValue(value / 60 if name.endswith("time_limit_s") else value)
            self.timeout_box.setValue(snapshot.tuning["request_timeout_s"])
            self.attempts_box.setValue(int(snapshot.tuning["max_attempts"]))
            self.publish_edit.setText(snapshot.publish_folder)
            self.key_edit.clear()
        finally:
            self._filling = False
        self._clean = self._form_state()
        self._test_number += 1
        self._show_verdict(None, "")
        self.test_button.setEnabled(True)
        self._edited()

    def _fill_profile(self, profile: Profile) -> None:
        self.name_edit.setText(profile.name)
        self.provider_box.setCurrentIndex(_CHOICES.index(_choice_of(profile)))
        self._offer_models(_choice_of(profile))
        self.model_box.setEditText(profile.model)
        self.base_url_edit.setText(profile.base_url or "")
        self.rpm_box.setValue(profile.requests_per_minute)
        self.tpm_box.setValue(profile.tokens_per_minute)
        self.temperature_box.setValue(profile.temperature)
        self.length_box.setValue(profile.target_length)
        self.tone_edit.setText(profile.tone)
        self.audience_edit.setText(profile.audience)
        self.style_edit.setPlainText(profile.style_guide)
        gates = {**GATE_DEFAULTS, **profile.quality_gates}
        for name, box in self.gate_boxes.items():
            box.setValue(gates[name])
        checker = profile.checker
        self.checker_box.setCurrentIndex(_CHECKER_CHOICES.index(_checker_choice_of(checker)))
        self.checker_model_edit.setText(checker.get("model", ""))
        self.checker_url_edit.setText(checker.get("base_url", ""))
        protocol = checker.get("protocol") or "auto"
        self.checker_protocol_box.setCurrentIndex(_PROTOCOLS.index(protocol) if protocol in _PROTOCOLS else 0)
        self._show_provider_rows()

    def _form_profile(self) -> dict[str, Any]:
        """The stored profile's values with the form's on top (fields the form does not show are kept);
        not checked yet: the service's validate gives the reasons of the refused ones."""
        base = self._profile or Profile()
        choice = _CHOICES[self.provider_box.currentIndex()]
        gates = {name: (int(box.value()) if name == "min_perspectives" else box.value())
                 for name, box in self.gate_boxes.items()}
        return {
            **base.model_dump(), "name": self.name_edit.text(),
            "provider": "openai" if choice == "compatible" else choice, "model": self.model_box.currentText(),
            "base_url": (self.base_url_edit.text().strip() or None) if choice == "compatible" else None,
            "requests_per_minute": self.rpm_box.value(), "tokens_per_minute": self.tpm_box.value(),
            "temperature": round(self.temperature_box.value(), 2), "target_length": self.length_box.value(),
            "tone": self.tone_edit.text(), "audience": self.audience_edit.text(),
            "style_guide": self.style_edit.toPlainText(), "quality_gates": {**base.quality_gates, **gates},
            "checker": self._form_checker()}

    def _form_checker(self) -> dict[str, str]:
        """The checker as the profile stores it: empty for "same as generation"."""
        choice = _CHECKER_CHOICES[self.checker_box.currentIndex()]
        if choice == "same":
            return {}
        if choice == "offline":
            return {"provider": "offline"}
        checker = {"provider": "openai" if choice == "compatible" else choice,
                   "model": self.checker_model_edit.text().strip()}
        if choice == "compatible":
            checker["base_url"] = self.checker_url_edit.text().strip()
        protocol = _PROTOCOLS[self.checker_protocol_box.currentIndex()]
        if protocol != "auto":
            checker["protocol"] = protocol
        return {k: v for k, v in checker.items() if v}

    def _form_machine(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, box in self.machine_boxes.items():
            values[name] = round(box.value() * 60, 1) if name.endswith("time_limit_s") else box.value()
        return values

    def _form_tuning(self) -> dict[str, Any]:
        return {"request_timeout_s": self.timeout_box.value(), "max_attempts": self.attempts_box.value()}

    def _key_provider(self) -> str | None:
        choice = _CHOICES[self.provider_box.currentIndex()]
        return "openai" if choice == "compatible" else (choice if choice in API_KEY_ENV_VARS else None)

    def _form_state(self) -> dict[str, Any]:
        return {"profile": self._form_profile(), "machine": self._form_machine(),
                "tuning": self._form_tuning(), "publish_folder": self.publish_edit.text().strip(),
                "api_key": self.key_edit.text().strip()}

    def _draft(self, *, changed_only: bool) -> SettingsDraft:
        state = self._form_state()

        def wanted(part: str) -> bool:
            return not changed_only or state[part] != self._clean.get(part)

        provider = self._key_provider()
        key = state["api_key"]
        return SettingsDraft(
            profile=self._form_profile() if wanted("profile") else None,
            compatible_server=_CHOICES[self.provider_box.currentIndex()] == "compatible",
            compatible_checker=_CHECKER_CHOICES[self.checker_box.currentIndex()] == "compatible",
            machine=state["machine"] if wanted("machine") else None,
            tuning=state["tuning"] if wanted("tuning") else None,
            publish_folder=state["publish_folder"] if wanted("publish_folder") else None,
            api_key=(provider, key) if key and provider else None)

    # ------------------------------------------------------------- reacting to edits

    def _edited(self) -> None:
        if self._filling:
            return
        self._show_problems(self._service.validate(self._draft(changed_only=False)))
        self._update_state()

    def _provider_changed(self) -> None:
        if self._filling:
            return
        choice = _CHOICES[self.provider_box.currentIndex()]
        model = self.model_box.currentText().strip()
        self._offer_models(choice)
        # Another provider's model means nothing here: this one's default replaces it (a local
        # server's models are its own, so the editor names one).
        if model not in self._models_for(choice):
            self.model_box.setEditText("" if choice == "compatible" else DEFAULT_MODELS[choice])
        self._show_provider_rows()
        self._connection_settings_changed()

    def _connection_settings_changed(self) -> None:
        if not self._filling:
            self._test_number += 1      # a test still running answers for the old settings
            self.test_button.setEnabled(True)
            self._show_verdict(None, "")

    def _models_for(self, choice: str) -> tuple[str, ...]:
        models = self._snapshot.models if self._snapshot else {}
        return {"offline": ("offline",)}.get(choice, models.get(choice, ()))

    def _offer_models(self, choice: str) -> None:
        text = self.model_box.currentText()
        with QSignalBlocker(self.model_box):
            self.model_box.clear()
            self.model_box.addItems(list(self._models_for(choice)))
            self.model_box.setEditText(text)

    def _show_checker_rows(self) -> None:
        choice = _CHECKER_CHOICES[self.checker_box.currentIndex()]
        for key in ("checker.model", "checker.protocol"):
            self.checker_form.setRowVisible(self.fields[key], choice not in ("same", "offline"))
        self.checker_form.setRowVisible(self.fields["checker.base_url"], choice == "compatible")

    def _show_provider_rows(self) -> None:
        self._show_checker_rows()
        choice = _CHOICES[self.provider_box.currentIndex()]
        self.provider_form.setRowVisible(self.fields["base_url"], choice == "compatible")
        self.model_box.setEnabled(choice != "offline")
        self.model_box.lineEdit().setPlaceholderText("e.g. llama3.1:8b" if choice == "compatible" else "")
        provider = self._key_provider()
        keys = self._snapshot.keys if self._snapshot else None
        usable = bool(provider and keys and keys.keyring_available)
        self.key_edit.setEnabled(usable)
        if provider is None:
            self.key_edit.setPlaceholderText("Not needed")
        elif usable:
            self.key_edit.setPlaceholderText("Type a key to store it in the OS keyring")
        else:
            self.key_edit.setPlaceholderText(f"No OS keyring here: set {API_KEY_ENV_VARS[provider]}")
        self.fields["api_key"].set_hint(keys.describe(provider or "offline") if keys else "")
        self.test_button.setEnabled(choice != "offline")

    def _show_problems(self, problems: dict[str, str]) -> None:
        self._problems = dict(problems)
        unplaced: list[str] = []
        shown = set()
        for key, reason in problems.items():
            if key in self.fields:
                self.fields[key].set_problem(reason)
                shown.add(key)
        for key, reason in problems.items():
            if key in self.fields:
                continue
            # A value no field shows (an unknown gate stored by an older version) shows, named, at a free
            # field of its group; one of no group goes to the status line.
            group = key.split(".", 1)[0] + "."
            field_key = next((name for name in self.fields if name.startswith(group) and name not in shown), None)
            if field_key is not None:
                self.fields[field_key].set_problem(f"{key.split('.', 1)[-1].replace('_', ' ')}: {reason}")
                shown.add(field_key)
            else:
                unplaced.append(f"{key.replace('_', ' ')}: {reason}")
        for key, field in self.fields.items():
            if key not in shown:
                field.set_problem(None)
        self._unplaced = unplaced
        # A tab hiding a problem says so in its title.
        profile_problems = sum(1 for key in problems if not key.startswith(_MACHINE_KEYS))
        machine_problems = len(problems) - profile_problems
        for index, count in enumerate((profile_problems, machine_problems)):
            title = self._tab_titles[index]
            self.tabs.setTabText(index, f"{title} ({count} to fix)" if count else title)

    def _show_verdict(self, ok: bool | None, text: str) -> None:
        colour = {True: OK_COLOUR, False: ERROR_COLOUR}.get(ok)
        mark = {True: "✓ ", False: "✗ "}.get(ok, "")
        self.verdict_label.setStyleSheet(f"color: {colour};" if colour else "")
        self.verdict_label.setText(mark + text)

    def _update_state(self) -> None:
        dirty = self.is_dirty
        busy = self._loading or self._saving
        problems = len(self._problems)
        self.save_button.setEnabled(dirty and not problems and not busy)
        self.revert_button.setEnabled(dirty and not busy)
        self.profile_list.setEnabled(not dirty and not busy)
        free = not dirty and not busy
        stored = self._profile is not None and self._profile.id is not None
        self.new_button.setEnabled(free)
        self.duplicate_button.setEnabled(free and stored)
        self.delete_button.setEnabled(free and stored)
        self.default_button.setEnabled(free and stored and not (self._profile and self._profile.is_default))
        self.lock_label.setVisible(dirty)
        if self._saving:
            text = "Saving…"
        elif self._loading:
            text = "Loading…"
        elif problems:
            text = f"{problems} value{'s' if problems > 1 else ''} to fix before saving."
            if self._unplaced:
                text += " " + "; ".join(self._unplaced)
        elif dirty:
            text = "Unsaved changes."
        else:
            text = ""
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {ERROR_COLOUR};" if problems else "")

    # ------------------------------------------------------------- widgets

    def _field(self, key: str, editor: QWidget, hint: str = "") -> SettingsField:
        field = SettingsField(editor, hint)
        self.fields[key] = field
        return field

    @staticmethod
    def _scrolling(page: QWidget) -> QScrollArea:
        page.setMaximumWidth(PAGE_WIDTH)
        area = QScrollArea()
        area.setWidget(page)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        return area

    def _build_profiles_panel(self) -> None:
        self.profiles_panel = QWidget()
        title = QLabel("<b>Profiles</b>")
        explain = QLabel("A profile is how articles are written: provider, model, tone, quality gates. "
                         "New batches use the default one.")
        explain.setWordWrap(True)
        explain.setObjectName("fieldHint")
        self.profile_list = QListWidget()
        self.profile_list.currentItemChanged.connect(self._profile_selected)
        self.lock_label = QLabel("Save or revert the changes to switch profiles.")
        self.lock_label.setWordWrap(True)
        self.lock_label.setObjectName("fieldHint")
        self.new_button = QPushButton("&New")
        self.duplicate_button = QPushButton("D&uplicate")
        self.delete_button = QPushButton("&Delete…")
        self.default_button = QPushButton("Make de&fault")
        self.new_button.clicked.connect(self.new_profile)
        self.duplicate_button.clicked.connect(self.duplicate_profile)
        self.delete_button.clicked.connect(self.delete_profile)
        self.default_button.clicked.connect(self.make_default)
        row1 = QHBoxLayout()
        row1.addWidget(self.new_button)
        row1.addWidget(self.duplicate_button)
        row2 = QHBoxLayout()
        row2.addWidget(self.delete_button)
        row2.addWidget(self.default_button)
        layout = QVBoxLayout(self.profiles_panel)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(title)
        layout.addWidget(explain)
        layout.addWidget(self.profile_list, 1)
        layout.addWidget(self.lock_label)
        layout.addLayout(row1)
        layout.addLayout(row2)

    def _build_profile_tab(self) -> QWidget:
        self.name_edit = QLineEdit()
        self.provider_box = QComboBox()
        for _choice, label in PROVIDERS:
            self.provider_box.addItem(label)
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.model_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.base_url_edit = QLineEdit()
        self.base_url_edit.setPlaceholderText("http://localhost:11434/v1")
        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.test_button = QPushButton("&Test connection")
        self.verdict_label = QLabel()
        self.verdict_label.setObjectName("connectionVerdict")
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.verdict_label, 1)
        self.rpm_box = _spin(1_000_000, no_limit=True)
        self.tpm_box = _spin(100_000_000, no_limit=True)
        self.tpm_box.setSingleStep(1000)

        provider = QGroupBox("Provider")
        self.provider_form = QFormLayout(provider)
        self.provider_form.addRow("&Name:", self._field("name", self.name_edit))
        self.provider_form.addRow("&Provider:", self._field("provider", self.provider_box))
        self.provider_form.addRow("&Model:", self._field("model", self.model_box))
        self.provider_form.addRow("Server &URL:", self._field(
            "base_url", self.base_url_edit, "The server's OpenAI-compatible address; a server on this computer "
                                            "needs no key and costs nothing."))
        self.provider_form.addRow("API &key:", self._field("api_key", self.key_edit))
        self.provider_form.addRow("", test_row)
        self.provider_form.addRow("&Requests per minute:", self._field("requests_per_minute", self.rpm_box))
        self.provider_form.addRow("T&okens per minute:", self._field(
            "tokens_per_minute", self.tpm_box, "The provider's quota, kept across all workers; 0 is no limit."))

        self.tone_edit = QLineEdit()
        self.audience_edit = QLineEdit()
        self.length_box = _spin(100_000, suffix=" words")
        self.length_box.setSingleStep(50)
        self.temperature_box = _decimal(5, 2, step=0.1)
        self.style_edit = QPlainTextEdit()
        self.style_edit.setPlaceholderText("House rules the drafts follow, e.g. “Use the Oxford comma. Spell out "
                                           "numbers under ten. Attribute every claim.”")
        self.style_edit.setTabChangesFocus(True)
        self.style_edit.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 12)
        writing = QGroupBox("Writing")
        form = QFormLayout(writing)
        form.addRow("&Tone:", self._field("tone", self.tone_edit))
        form.addRow("&Audience:", self._field("audience", self.audience_edit))
        form.addRow("Target &length:", self._field("target_length", self.length_box))
        form.addRow("T&emperature:", self._field("temperature", self.temperature_box,
                                                 "Lower is plainer and more repeatable."))
        form.addRow("&Style guide:", self._field("style_guide", self.style_edit))

        gates = QGroupBox("Quality gates: an article passes when all of them hold")
        gate_form = QFormLayout(gates)
        self.gate_boxes: dict[str, QDoubleSpinBox | QSpinBox] = {}
        for name in GATE_FIELDS:
            label, hint = GATE_LABELS.get(name, (name, ""))
            box: QDoubleSpinBox | QSpinBox = _spin(999) if name == "min_perspectives" else _decimal(999, 0)
            self.gate_boxes[name] = box
            gate_form.addRow(f"{label}:", self._field(f"quality_gates.{name}", box, hint))

        self.checker_box = QComboBox()
        for _choice, label in CHECKERS:
            self.checker_box.addItem(label)
        self.checker_model_edit = QLineEdit()
        self.checker_model_edit.setPlaceholderText("e.g. bespoke-minicheck")
        self.checker_url_edit = QLineEdit()
        self.checker_url_edit.setPlaceholderText("http://localhost:11434/v1")
        self.checker_protocol_box = QComboBox()
        for _protocol, label in CHECKER_PROTOCOL_LABELS:
            self.checker_protocol_box.addItem(label)
        checker = QGroupBox("Checker: who checks facts, bias, voices and copying")
        self.checker_form = QFormLayout(checker)
        self.checker_form.addRow("&Check with:", self._field(
            "checker.provider", self.checker_box, "The checks may use another model than the drafts, e.g. a "
                                                  "grounded fact checker served on this computer."))
        self.checker_form.addRow("Checker mo&del:", self._field("checker.model", self.checker_model_edit))
        self.checker_form.addRow("Checker server U&RL:", self._field("checker.base_url", self.checker_url_edit))
        self.checker_form.addRow("Checker &protocol:", self._field(
            "checker.protocol", self.checker_protocol_box, "A fact checker such as MiniCheck checks claims only; "
                                                           "bias, voices and copying stay with the offline rules."))

        page = QWidget()
        layout = QVBoxLayout(page)
        for group in (provider, writing, gates, checker):
            layout.addWidget(group)
        _align_labels(page)
        layout.addStretch()
        return page

    def _build_machine_tab(self) -> QWidget:
        self.machine_boxes: dict[str, QSpinBox | QDoubleSpinBox] = {
            "workers": _spin(999, suffix=" processes"), "slots": _spin(9999, suffix=" jobs each"),
            "soft_time_limit_s": _decimal(10_000, 1, suffix=" min"),
            "hard_time_limit_s": _decimal(10_000, 1, suffix=" min"),
            "generate_retries": _spin(999), "generate_retry_delay_s": _decimal(100_000, 0, suffix=" s"),
            "stage_retries": _spin(999), "stage_retry_delay_s": _decimal(100_000, 0, suffix=" s"),
        }
        boxes = self.machine_boxes
        workers = QGroupBox("Workers")
        form = QFormLayout(workers)
        form.addRow("&Worker processes:", self._field("engine.workers", boxes["workers"],
                                                     "One per core suits most computers."))
        form.addRow("&Jobs per process:", self._field(
            "engine.slots", boxes["slots"], "Articles one process drafts at once while it waits on the network. "
                                            "Both apply the next time Copydesk starts."))

        limits = QGroupBox("Time limits per article")
        form = QFormLayout(limits)
        form.addRow("&Soft limit:", self._field("engine.soft_time_limit_s", boxes["soft_time_limit_s"],
                                                "The job is stopped cleanly and can be retried."))
        form.addRow("&Hard limit:", self._field("engine.hard_time_limit_s", boxes["hard_time_limit_s"],
                                                "The worker process is replaced."))

        self.timeout_box = _decimal(10_000, 0, suffix=" s")
        self.attempts_box = _spin(99)
        retries = QGroupBox("Retries")
        form = QFormLayout(retries)
        form.addRow("&Article retries:", self._field("engine.generate_retries", boxes["generate_retries"],
                                                     "A failed article is tried again, from the stage that failed."))
        form.addRow("Article retry &delay:", self._field("engine.generate_retry_delay_s",
                                                         boxes["generate_retry_delay_s"]))
        form.addRow("Stage r&etries:", self._field("engine.stage_retries", boxes["stage_retries"],
                                                   "For Retry from failed stage on the Queue screen."))
        form.addRow("Stage retry de&lay:", self._field("engine.stage_retry_delay_s", boxes["stage_retry_delay_s"]))
        form.addRow("&Provider call attempts:", self._field("tuning.max_attempts", self.attempts_box,
                                                           "Rate limits, server errors and timeouts are tried "
                                                           "again with backoff."))
        form.addRow("Request &timeout:", self._field("tuning.request_timeout_s", self.timeout_box))

        self.publish_edit = QLineEdit()
        self.publish_edit.setPlaceholderText("Not set: exports go to the data folder")
        browse = QPushButton("&Browse…")
        browse.clicked.connect(self.browse_publish_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self._field("publish_folder", self.publish_edit, "Approved articles are published here."),
                             1)
        folder_row.addWidget(browse, 0, Qt.AlignmentFlag.AlignTop)
        publishing = QGroupBox("Publishing")
        form = QFormLayout(publishing)
        form.addRow("Publish &folder:", folder_row)

        page = QWidget()
        layout = QVBoxLayout(page)
        for group in (workers, limits, retries, publishing):
            layout.addWidget(group)
        _align_labels(page)
        layout.addStretch()
        return page

    def _connect_edits(self) -> None:
        for edit in (self.name_edit, self.tone_edit, self.audience_edit, self.publish_edit, self.key_edit):
            edit.textChanged.connect(self._edited)
        self.base_url_edit.textChanged.connect(self._connection_settings_changed)
        self.base_url_edit.textChanged.connect(self._edited)
        self.model_box.editTextChanged.connect(self._connection_settings_changed)
        self.model_box.editTextChanged.connect(self._edited)
        self.key_edit.textChanged.connect(self._connection_settings_changed)
        self.provider_box.currentIndexChanged.connect(self._provider_changed)
        self.provider_box.currentIndexChanged.connect(self._edited)
        self.style_edit.textChanged.connect(self._edited)
        for edit in (self.checker_model_edit, self.checker_url_edit):
            edit.textChanged.connect(self._edited)
        for combo in (self.checker_box, self.checker_protocol_box):
            combo.currentIndexChanged.connect(self._edited)
        self.checker_box.currentIndexChanged.connect(self._show_checker_rows)
        boxes = [self.rpm_box, self.tpm_box, self.length_box, self.temperature_box, self.timeout_box,
                 self.attempts_box, *self.gate_boxes.values(), *self.machine_boxes.values()]
        for box in boxes:
            box.valueChanged.connect(self._edited)
        self.test_button.clicked.connect(self.test_connection)

    def _profile_selected(self, current: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if current is None or self._snapshot is None or self._filling:
            return
        self._fill(self._snapshot, current.data(Qt.ItemDataRole.UserRole))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()
