"""The Keywords screen: topics proposed for coverage, decided from the keyboard.

Rows come from one background query per tab and search (KeywordService.load);
decisions, deletions and new sources are applied to the loaded rows in place
(the selection and scroll position survive), and only new keywords cost a
reload, because where they land depends on the query.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QSettings,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QGuiApplication, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSplitter,
    QTabBar,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.background import LatestRequest
from app.services.keywords import (
    DecisionChange,
    DeleteResult,
    ImportReport,
    KeywordChanges,
    KeywordRow,
    KeywordService,
    KeywordStatus,
)
from ui.dialogs.import_report import ImportReportDialog, summary
from ui.dialogs.keywords import AddKeywordsDialog, RejectDialog
from ui.models.keyword_table import (
    DECIDED_AT,
    DECIDED_BY,
    KEYWORD,
    NATURAL_ORDER,
    PRIORITY,
    SOURCE,
    SOURCES,
    STATUS,
    KeywordTableModel,
    PreparedRows,
    prepare_rows,
)
from ui.screens.common import make_action, plural
from ui.screens.keyword_sources import KeywordSourcesPanel
from ui.widgets.messages import confirm, inform
from ui.widgets.table_view import PlaceholderTableView

# (status filter, tab label); None is every status.
TABS: tuple[tuple[str | None, str], ...] = (
    (KeywordStatus.PENDING, "Pending"), (KeywordStatus.APPROVED, "Approved"), (KeywordStatus.REJECTED, "Rejected"),
    (None, "All"))
IMPORT_FILES = "Keyword files (*.csv *.tsv *.txt *.rss *.atom *.xml);;All files (*)"
SEARCH_DELAY_MS = 200

_EMPTY = {
    "pending": "Nothing is waiting for a decision.\n\nAdd keywords with Ctrl+N, paste one per line with Ctrl+V, "
               "or import a CSV, text or RSS file with Ctrl+I.",
    "approved": "No approved keywords yet.\n\nSelect pending keywords and press A to approve them.",
    "rejected": "No rejected keywords.",
    None: "No keywords yet.\n\nAdd keywords with Ctrl+N, paste one per line with Ctrl+V, "
          "or import a CSV, text or RSS file with Ctrl+I.",
}


class KeywordsScreen(QWidget):
    """Pending / Approved / Rejected / All tabs over one table, a search box and a sources panel.

    Keys on the table: A approve, R reject (asks for a reason), Del delete,
    Ctrl+V add the clipboard's lines. Ctrl+N add, Ctrl+I import and Ctrl+Z
    undo the last decision work anywhere in the window.
    """

    announced = Signal(str)     # a short line for the status bar

    def __init__(self, service: KeywordService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._latest_load = LatestRequest()
        self._loading = False
        self._stale = True          # load on first show
        self._select_after_load: set[int] = set()
        self._undo_stack: list[tuple[str, DecisionChange]] = []

        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDocumentMode(True)
        self.tabs.setDrawBase(False)
        for _status, label in TABS:
            self.tabs.addTab(label)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("Search keywords and notes (Ctrl+F)")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.setMinimumWidth(260)
        self.summary_label = QLabel()

        self.model = KeywordTableModel(self)
        self.table = PlaceholderTableView()
        self.table.setModel(self.model)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setFocusProxy(self.table)
        header = self.table.horizontalHeader()
        header.setSectionsMovable(True)
        header.setSectionResizeMode(KEYWORD, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(48)
        digit = self.fontMetrics().horizontalAdvance("0")
        # Room for the usual values ("Approved", "2026-06-10 14:03"); the keyword takes the rest.
        for column, chars in ((PRIORITY, 9), (STATUS, 12), (DECIDED_BY, 11), (DECIDED_AT, 15), (SOURCES, 8),
                              (SOURCE, 10)):
            header.resizeSection(column, digit * chars)
        header.setSortIndicator(NATURAL_ORDER, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

        self.sources_panel = KeywordSourcesPanel(service)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.sources_panel)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([860, 300])

        self._build_actions()
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for group in ((self.add_action, self.paste_action, self.import_action),
                      (self.approve_action, self.reject_action, self.delete_action), (self.undo_action,)):
            self.toolbar.addActions(list(group))
            self.toolbar.addSeparator()
        self.toolbar.addWidget(self._spacer())
        self.toolbar.addWidget(self.summary_label)

        top = QHBoxLayout()
        top.addWidget(self.tabs)
        top.addStretch()
        top.addWidget(self.search_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._reload)
        self.search_edit.textChanged.connect(self._search_timer.start)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.sources_panel.announced.connect(self.announced)
        service.keywords_changed.connect(self._on_keywords_changed)
        self._update_actions()
        self._update_placeholder()

    # ------------------------------------------------------------ for the window

    @property
    def status(self) -> str | None:
        """The status the current tab shows (None: all)."""
        return TABS[self.tabs.currentIndex()][0]

    @property
    def is_loading(self) -> bool:
        return self._loading

    def refresh(self) -> None:
        """Reload rows and counts from the database."""
        self._stale = False
        self._reload()
        self._refresh_counts()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("keywords/header", self.table.horizontalHeader().saveState())
        settings.setValue("keywords/splitter", self.splitter.saveState())
        settings.setValue("keywords/tab", self.tabs.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        header = settings.value("keywords/header")
        if header is not None:
            self.table.horizontalHeader().restoreState(header)
        splitter = settings.value("keywords/splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        tab = int(settings.value("keywords/tab", 0))
        if 0 <= tab < self.tabs.count():
            with QSignalBlocker(self.tabs):     # the first show loads it
                self.tabs.setCurrentIndex(tab)

    # ------------------------------------------------------------ editor commands

    def approve_selected(self) -> None:
        ids = self._selected_ids()
        if ids:
            self._service.decide(ids, KeywordStatus.APPROVED, success=lambda change: self._decided(change, "Approve"))

    def reject_selected(self) -> None:
        ids = self._selected_ids()
        if not ids:
            return
        dialog = RejectDialog(len(ids), self)
        dialog.accepted.connect(lambda: self._service.decide(
            ids, KeywordStatus.REJECTED, reason=dialog.reason(), success=lambda change: self._decided(change, "Reject")))
        dialog.open()

    def delete_selected(self) -> None:
        ids = self._selected_ids()
        if not ids:
            return
        what = f"“{self.model.keyword_at(self._selected_rows()[0]).keyword}”" if len(ids) == 1 else \
            f"{len(ids):,} keywords"
        confirm(self, "Delete keywords", f"Delete {what}?", "Delete",
                lambda: self._service.delete(ids, success=self._deleted),
                detail="Their attached sources are deleted too. This cannot be undone; "
                       "rejecting keeps the topic and its history.", destructive=True)

    def undo_last(self) -> None:
        if not self._undo_stack:
            return
        label, change = self._undo_stack.pop()
        self._update_undo_action()
        self._service.undo(change, success=lambda undone: self._undone(undone, label))

    def add_keywords(self) -> None:
        dialog = AddKeywordsDialog(self)
        dialog.accepted.connect(lambda: self._service.add(
            dialog.keywords(), priority=dialog.priority(), notes=dialog.notes(),
            success=lambda report: self._added(report, "typed keywords", always_report=False)))
        dialog.open()

    def paste_keywords(self) -> None:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.announced.emit("The clipboard holds no text to add.")
            return
        self._service.add_pasted(text, success=lambda report: self._added(report, "pasted text"))

    def import_keywords(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import keywords", "", IMPORT_FILES)
        if path:
            self.announced.emit(f"Importing {Path(path).name}…")
            self._service.import_file(Path(path), success=lambda report: self._added(report, Path(path).name))

    # ------------------------------------------------------------- results

    def _decided(self, change: DecisionChange, verb: str) -> None:
        if change.decisions:
            label = f"{verb} {plural(len(change.decisions), 'keyword')}"
            self._undo_stack.append((label, change))
            self._update_undo_action()
            done = {"Approve": "Approved", "Reject": "Rejected"}[verb]
            self.announced.emit(f"{done} {plural(len(change.decisions), 'keyword')}. Ctrl+Z undoes it.")
        if change.missing:
            self.announced.emit(f"{plural(len(change.missing), 'keyword')} no longer existed.")

    def _undone(self, undone: DecisionChange, label: str) -> None:
        self.announced.emit(f"Undone: {label[0].lower()}{label[1:]}.")

    def _added(self, report: ImportReport, source: str, always_report: bool = True) -> None:
        self._select_after_load = {kid for _position, _keyword, kid in report.added}
        if report.added and self.status in (KeywordStatus.APPROVED, KeywordStatus.REJECTED):
            self.tabs.setCurrentIndex(0)        # new keywords are pending: show them where they are
        if always_report or report.skipped or report.rejected:
            ImportReportDialog(report, source, self).open()
        self.announced.emit(summary(report))

    def _deleted(self, result: DeleteResult) -> None:
        if result.deleted:
            self.announced.emit(f"Deleted {plural(len(result.deleted), 'keyword')}.")
        if result.refused:
            names = "\n".join(f"• {row.keyword}" for row in result.refused[:10])
            more = f"\n… and {len(result.refused) - 10:,} more" if len(result.refused) > 10 else ""
            inform(self, "Some keywords were kept",
                   f"{plural(len(result.refused), 'keyword')} could not be deleted because articles were "
                   "generated from them. Reject them instead to keep them out of new batches.",
                   detail=names + more)

    def _on_keywords_changed(self, changes: KeywordChanges) -> None:
        if not self.isVisible():
            self._stale = True      # refresh when shown
            return
        self._refresh_counts()
        anchor = min(self._selected_rows(), default=None)
        status = self.status

        def belongs(row: KeywordRow) -> bool:
            return status is None or row.approval_status == status

        self.model.update_rows(changes.updated, keep=belongs)
        self.model.remove_ids(changes.deleted)
        # Keywords that now belong to this tab but are not loaded (an undo brings them back) need the query.
        arrived = {row.id for row in changes.updated if belongs(row) and self.model.row_of(row.id) is None}
        if arrived:
            self._select_after_load = arrived
        if changes.added or arrived:
            self._reload()
        elif anchor is not None and not self._selected_rows() and self.model.rowCount():
            # The decided rows left this tab: the next one is selected, so A, A, A walks down the list.
            self._select_rows([min(anchor, self.model.rowCount() - 1)])
        self._update_after_rows_changed()

    # ------------------------------------------------------------- loading

    def _reload(self) -> None:
        self._search_timer.stop()
        self._loading = True
        self._update_placeholder()
        self.summary_label.setText("Loading…")
        column, order = self.model.sort_spec
        self._service.load(self.status, self.search_edit.text(),
                           prepare=lambda rows: prepare_rows(rows, column, order),
                           success=self._on_loaded, failure=self._on_load_failed, latest=self._latest_load)

    def _on_loaded(self, prepared: PreparedRows) -> None:
        keep = self._select_after_load or set(self._selected_ids())
        self._select_after_load = set()
        self._loading = False
        self.model.set_prepared(prepared)
        positions = [p for p in (self.model.row_of(kid) for kid in keep) if p is not None]
        if positions:
            self._select_rows(positions)
        self._update_after_rows_changed()

    def _on_load_failed(self, _error: BaseException) -> None:
        self._loading = False
        self._update_after_rows_changed()

    def _refresh_counts(self) -> None:
        self._service.counts(success=self._on_counts)

    def _on_counts(self, counts: dict[str, int]) -> None:
        for index, (status, label) in enumerate(TABS):
            self.tabs.setTabText(index, f"{label}  {counts[status or 'all']:,}")

    def _on_tab_changed(self, _index: int) -> None:
        # Rows of another tab would mislead while the new ones load, unlike a search being refined.
        self.model.set_rows([])
        self._reload()

    # -------------------------------------------------------------- widgets

    def _build_actions(self) -> None:
        action = functools.partial(make_action, self)

        on_table = Qt.ShortcutContext.WidgetShortcut
        anywhere = Qt.ShortcutContext.WindowShortcut
        self.approve_action = action("&Approve", "A", self.approve_selected, "Approve the selected keywords", on_table)
        self.reject_action = action("&Reject…", "R", self.reject_selected,
                                    "Reject the selected keywords, with an optional reason", on_table)
        self.delete_action = action("&Delete…", QKeySequence.StandardKey.Delete, self.delete_selected,
                                    "Delete the selected keywords", on_table)
        self.paste_action = action("&Paste lines", QKeySequence.StandardKey.Paste, self.paste_keywords,
                                   "Add one keyword per line of the clipboard", on_table)
        self.add_action = action("&Add keywords…", QKeySequence.StandardKey.New, self.add_keywords,
                                 "Type new keywords", anywhere)
        self.import_action = action("&Import keywords…", "Ctrl+I", self.import_keywords,
                                    "Import a CSV, plain-text or RSS/Atom file", anywhere)
        self.undo_action = action("&Undo", QKeySequence.StandardKey.Undo, self.undo_last,
                                  "Undo the last approval or rejection", anywhere)
        find = action("Find", QKeySequence.StandardKey.Find, self._focus_search, "Search", anywhere)
        self.addAction(find)
        for act in (self.approve_action, self.reject_action, self.delete_action, self.paste_action, self.add_action):
            self.table.addAction(act)
        # Add, import and undo are also the main window's menu entries; here they are toolbar buttons.
        self.addActions([self.add_action, self.import_action, self.undo_action])

    @staticmethod
    def _spacer() -> QWidget:
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        return spacer

    def _focus_search(self) -> None:
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _selected_rows(self) -> list[int]:
        # From the selection's ranges rather than selectedRows(): no index object per row when 100,000 are selected.
        rows: set[int] = set()
        for block in self.table.selectionModel().selection():
            rows.update(range(block.top(), block.bottom() + 1))
        return sorted(rows)

    def _selected_ids(self) -> list[int]:
        return self.model.ids_at(self._selected_rows())

    def _select_rows(self, rows: list[int]) -> None:
        selection = QItemSelection()
        last_column = self.model.columnCount() - 1
        start = previous = None
        for row in sorted(rows) + [None]:
            if start is not None and (row is None or row != previous + 1):
                selection.select(self.model.index(start, 0), self.model.index(previous, last_column))
                start = None
            if start is None:
                start = row
            previous = row
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        selection_model = self.table.selectionModel()
        selection_model.select(selection, flags)
        first = self.model.index(min(rows), 0)
        selection_model.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
        self.table.scrollTo(first)

    def _on_selection_changed(self) -> None:
        self._update_actions()
        rows = self._selected_rows()
        self.sources_panel.show_selection(self.model.keyword_at(rows[0]) if len(rows) == 1 else None, len(rows))

    def _update_after_rows_changed(self) -> None:
        self._update_placeholder()
        count = self.model.rowCount()
        self.summary_label.setText("Loading…" if self._loading else f"{plural(count, 'keyword')} shown")
        self._on_selection_changed()

    def _update_actions(self) -> None:
        selected = bool(self.table.selectionModel().hasSelection())
        for act in (self.approve_action, self.reject_action, self.delete_action):
            act.setEnabled(selected)
        self._update_undo_action()

    def _update_undo_action(self) -> None:
        self.undo_action.setEnabled(bool(self._undo_stack))
        self.undo_action.setText(f"&Undo {self._undo_stack[-1][0].lower()}" if self._undo_stack else "&Undo")

    def _update_placeholder(self) -> None:
        search = self.search_edit.text().strip()
        if self._loading:
            text = "Loading…"
        elif search:
            text = f"No keywords match “{search}” here."
        else:
            text = _EMPTY[self.status]
        self.table.set_placeholder(text)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.refresh()
