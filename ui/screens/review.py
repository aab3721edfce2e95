"""The Review screen: finished articles, read with their flagged spans marked, scored, decided.

The list holds every completed article from one background load; the tabs
filter it by review status through a proxy, best overall score first. Picking
an article loads its detail in the background (HTML rendered and sanitised
there); the GUI thread only lays the HTML out and marks the spans. Mutations
go through the ReviewService, whose signals make the screen reload what it
shows, now if it is visible, else when it is next shown.

The engine's news changes one article at a time: each committed change
(`ArticleUpdated`) of an article that is completed, or that the list holds,
reads that article's row alone (one query per burst of events for all of them)
and puts it in place, inserts it, or takes it out of the list; the list is
not reloaded.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QSettings, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QSplitter,
    QTabBar,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.background import LatestRequest
from app.engine_bridge import ArticleView as CommittedArticle
from app.engine_bridge import EngineBridge, JobFinished
from app.services.review import (
    VERDICTS,
    Action,
    ArticleRow,
    ArticleStatus,
    ArticleView,
    ClaimRow,
    Decision,
    EditSaved,
    Export,
    JobOutcome,
    Regenerating,
    ReviewService,
    ReviewStatus,
)
from ui.dialogs.review_dialogs import ReviewEditDialog, ReviewRegenerateDialog, ReviewRejectDialog
from ui.models.review_claims import (
    CHECKER,
    CLAIM,
    EVIDENCE,
    NEXT_STEP,
    SOURCE,
    SURE,
    VERDICT,
    ReviewClaimTableModel,
)
from ui.models.review_table import (
    ARTICLE,
    GATES,
    OVERALL,
    SCORE_COLUMNS,
    STATUS,
    STATUS_LABELS,
    ReviewFilterProxy,
    ReviewTableModel,
)
from ui.screens.common import make_action, plural
from ui.widgets.messages import confirm
from ui.widgets.review_article import ReviewArticleView
from ui.widgets.review_scores import ReviewScorePanel
from ui.widgets.table_view import PlaceholderTableView

# (review status filter, tab label); None is every completed article.
TABS: tuple[tuple[str | None, str], ...] = (
    (ReviewStatus.PENDING_REVIEW, "Pending review"), (ReviewStatus.APPROVED, "Approved"),
    (ReviewStatus.REJECTED, "Rejected"), (ReviewStatus.PUBLISHED, "Published"), (None, "All"))
EXPORTS = (("md", "&Markdown…", "Markdown (*.md)"), ("html", "&HTML…", "HTML (*.html)"),
           ("json", "&JSON…", "JSON (*.json)"))

_EMPTY = {
    "pending_review": "Nothing is waiting for review.\n\nArticles appear here when the engine has finished "
                      "generating them from approved keywords.",
    "approved": "No approved articles.\n\nSelect an article pending review and press A to approve it.",
    "rejected": "No rejected articles.",
    "published": "Nothing published yet.\n\nApproved articles are published with Publish…",
    None: "No finished articles yet.\n\nApprove keywords and generate articles; they appear here when "
          "the engine has finished them.",
}


class ReviewScreen(QWidget):
    """Tabs by review status over the article list; the selected article, its scores and its claims.

    Keys: J / K next / previous article, A approve, R reject (asks why),
    E edit; on the claims table S, C and U set the editor's verdict.
    """

    announced = Signal(str)     # a short line for the status bar
    title = "Review"

    def __init__(self, service: ReviewService, bridge: EngineBridge | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._bridge = bridge
        self._latest_load = LatestRequest()
        self._latest_article = LatestRequest()
        self._loading = False
        self._stale = True              # load on first show
        self._view: ArticleView | None = None
        self._current_id: int | None = None
        self._rechecking: set[int] = set()
        self._regenerating: dict[int, str] = {}

        self.tabs = QTabBar()
        self.tabs.setExpanding(False)
        self.tabs.setDocumentMode(True)
        self.tabs.setDrawBase(False)
        for _status, label in TABS:
            self.tabs.addTab(label)
        self.summary_label = QLabel()

        self.model = ReviewTableModel(self)
        self.proxy = ReviewFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = PlaceholderTableView()
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(OVERALL, Qt.SortOrder.DescendingOrder)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ARTICLE, QHeaderView.ResizeMode.Stretch)
        # Related stories share their opening words ("City council vote on ..."): keep both ends.
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        # The list holds hundreds of rows, not the keyword table's 100,000: measuring them is cheap, and
        # the scores take no more room than they need, leaving the rest to the keyword.
        for column in (*SCORE_COLUMNS, GATES, STATUS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        digit = self.fontMetrics().horizontalAdvance("0")
        self.setFocusProxy(self.table)

        self.article_view = ReviewArticleView()
        self.score_panel = ReviewScorePanel()
        self.score_panel.setMinimumWidth(digit * 28)
        self.claims_model = ReviewClaimTableModel(self)
        self.claims_table = PlaceholderTableView()
        self.claims_table.setModel(self.claims_model)
        self.claims_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.claims_table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.claims_table.set_placeholder("No claims to show.")
        claims_header = self.claims_table.horizontalHeader()
        # The claim gets the room. Next step and checker are in the
        # line under the table for the selected claim (and the tooltips), so their columns start
        # hidden: at 1280 px wide seven columns left the claim three letters.
        claims_header.setSectionResizeMode(CLAIM, QHeaderView.ResizeMode.Stretch)
        claims_header.resizeSection(VERDICT, digit * 13)
        claims_header.resizeSection(SURE, digit * 7)
        claims_header.resizeSection(EVIDENCE, digit * 14)
        claims_header.resizeSection(SOURCE, digit * 8)
        claims_header.resizeSection(NEXT_STEP, digit * 30)
        claims_header.resizeSection(CHECKER, digit * 16)
        claims_header.setSectionHidden(NEXT_STEP, True)
        claims_header.setSectionHidden(CHECKER, True)
        claims_label = QLabel("Claims")
        claims_label.setStyleSheet("font-weight: bold")
        claims_box = QWidget()
        claims_layout = QVBoxLayout(claims_box)
        claims_layout.setContentsMargins(0, 4, 0, 0)
        claims_layout.setSpacing(4)
        claims_layout.addWidget(claims_label)
        claims_layout.addWidget(self.claims_table)
        # The selected claim in words: who decided, how sure, and what to do about it.
        self.claim_detail = QLabel()
        self.claim_detail.setWordWrap(True)
        self.claim_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        claims_layout.addWidget(self.claim_detail)

        self.reading_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.reading_splitter.addWidget(self.article_view)
        self.reading_splitter.addWidget(self.score_panel)
        self.reading_splitter.setStretchFactor(0, 1)
        self.reading_splitter.setChildrenCollapsible(False)
        self.detail_splitter = QSplitter(Qt.Orientation.Vertical)
        self.detail_splitter.addWidget(self.reading_splitter)
        self.detail_splitter.addWidget(claims_box)
        self.detail_splitter.setStretchFactor(0, 3)
        self.detail_splitter.setStretchFactor(1, 1)
        self.detail_splitter.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail_splitter)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([560, 880])
        self._list_sized = False    # the list's first width follows the window's (see showEvent)
        self.reading_splitter.setSizes([640, digit * 30])

        self._build_actions()
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.addActions([self.approve_action, self.reject_action, self.pending_action])
        self.toolbar.addSeparator()
        self.toolbar.addActions([self.edit_action, self.regenerate_action])
        self.toolbar.addSeparator()
        export_button = QToolButton()
        export_button.setText("E&xport")
        export_button.setToolTip("Save the article as Markdown, HTML or JSON")
        export_button.setMenu(self.export_menu)
        export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.toolbar.addWidget(export_button)
        self.toolbar.addAction(self.publish_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.toolbar.addWidget(self.summary_label)

        top = QHBoxLayout()
        top.addWidget(self.tabs)
        top.addStretch()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)

        self._changed_ids: set[int] = set()      # articles whose rows to read again (engine news)
        self._reading_rows = False
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.claims_table.selectionModel().selectionChanged.connect(self._on_claim_selected)
        service.articles_changed.connect(self._on_articles_changed)
        service.article_changed.connect(self._on_article_changed)
        if bridge is not None:
            bridge.job_finished.connect(self._on_job_finished)
            bridge.article_updated.connect(self._on_article_updated)
        self._apply_filter()
        self._show_nothing()
        self._update_actions()

    # ------------------------------------------------------------ for the window

    @property
    def status(self) -> str | None:
        """The review status the current tab shows (None: all)."""
        return TABS[self.tabs.currentIndex()][0]

    @property
    def is_loading(self) -> bool:
        return self._loading

    @property
    def current_article(self) -> ArticleView | None:
        """The article shown on the right, once its detail has arrived."""
        return self._view if self._view is not None and self._view.id == self._current_id else None

    def refresh(self) -> None:
        """Reload the list (and with it the selected article) from the database."""
        self._stale = False
        self._reload()

    def save_state(self, settings: QSettings) -> None:
        settings.setValue("review/header", self.table.horizontalHeader().saveState())
        settings.setValue("review/claims_header", self.claims_table.horizontalHeader().saveState())
        for name in ("splitter", "detail_splitter", "reading_splitter"):
            settings.setValue(f"review/{name}", getattr(self, name).saveState())
        settings.setValue("review/tab", self.tabs.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        for key, header in (("header", self.table.horizontalHeader()),
                            ("claims_header", self.claims_table.horizontalHeader())):
            state = settings.value(f"review/{key}")
            if state is not None:
                header.restoreState(state)
        for name in ("splitter", "detail_splitter", "reading_splitter"):
            state = settings.value(f"review/{name}")
            if state is not None:
                getattr(self, name).restoreState(state)
                self._list_sized = self._list_sized or name == "splitter"
        tab = int(settings.value("review/tab", 0))
        if 0 <= tab < self.tabs.count():
            with QSignalBlocker(self.tabs):     # the first show loads it
                self.tabs.setCurrentIndex(tab)
                self._apply_filter()

    # ------------------------------------------------------------ editor commands

    def select_next(self) -> None:
        self._step(1)

    def select_previous(self) -> None:
        self._step(-1)

    def approve(self) -> None:
        row = self._current_row()
        if row is not None and self.approve_action.isEnabled():
            self._service.decide(row.id, ReviewStatus.APPROVED, success=lambda decision: self._decided(decision, row))

    def reject(self) -> None:
        row = self._current_row()
        if row is None or not self.reject_action.isEnabled():
            return
        dialog = ReviewRejectDialog(self._title_of(row), self)
        dialog.accepted.connect(lambda: self._service.decide(
            row.id, ReviewStatus.REJECTED, reason=dialog.reason(), success=lambda decision: self._decided(decision, row)))
        dialog.open()

    def back_to_pending(self) -> None:
        row = self._current_row()
        if row is not None and self.pending_action.isEnabled():
            self._service.decide(row.id, ReviewStatus.PENDING_REVIEW, success=lambda decision: self._decided(decision, row))

    def edit(self) -> None:
        view = self.current_article
        if view is None or Action.EDIT not in view.actions:
            return
        dialog = ReviewEditDialog(view, self)
        dialog.accepted.connect(lambda: self._service.save_edit(
            view.id, headline=dialog.headline(), dek=dialog.dek(), body=dialog.body(), note=dialog.note(),
            success=self._edit_saved))
        dialog.open()

    def regenerate(self) -> None:
        row = self._current_row()
        if row is None or not self.regenerate_action.isEnabled():
            return
        dialog = ReviewRegenerateDialog(self._title_of(row), self)
        dialog.accepted.connect(lambda: self._service.regenerate(row.id, dialog.stage(),
                                                                 success=self._regeneration_queued))
        dialog.open()

    def export(self, fmt: str) -> None:
        """Ask where, with the engine's file name suggested, then write it there."""
        row = self._current_row()
        if row is not None:
            self._service.export(row.id, fmt, success=self._choose_export_path)

    def publish(self) -> None:
        row = self._current_row()
        if row is None or not self.publish_action.isEnabled():
            return
        view = self.current_article
        where = f" into {view.publish_folder}" if view is not None else ""
        confirm(self, "Publish article", f"Publish “{self._title_of(row)}”?", "Publish",
                lambda: self._service.publish(row.id, success=lambda path: self._published(path, row)),
                detail=f"Its HTML is written{where}, and it can no longer be edited.")

    def set_claim_verdict(self, verdict: str | None) -> None:
        """The editor's verdict on the selected claim (None: back to the checker's)."""
        claim = self._current_claim()
        view = self.current_article
        if claim is None or view is None:
            return
        self._service.override_claim(view.id, claim.id, verdict, success=self._claim_overridden)

    # ------------------------------------------------------------- results

    def _decided(self, decision: Decision, row: ArticleRow) -> None:
        done = STATUS_LABELS.get(decision.current, decision.current)
        if decision.current == ReviewStatus.PENDING_REVIEW:
            self.announced.emit(f"“{row.keyword}” is back in pending review.")
        else:
            self.announced.emit(f"{done}: “{row.keyword}”.")

    def _edit_saved(self, saved: EditSaved) -> None:
        self._rechecking.add(saved.article_id)
        if self._bridge is None:
            self.announced.emit(f"Saved revision {saved.revision}. The checks run when the engine runs.")
        else:
            self.announced.emit(f"Saved revision {saved.revision}; re-checking…")
        if self.current_article is not None and self.current_article.id == saved.article_id:
            self._show_article(self.current_article)

    def _regeneration_queued(self, queued: Regenerating) -> None:
        self._regenerating[queued.article_id] = queued.stage
        self.announced.emit(f"Regenerating from {queued.stage.replace('_', ' ')}; the article returns here "
                            "when it has finished.")

    def _choose_export_path(self, export: Export) -> None:
        # Opened with open(), not the static getSaveFileName: this runs inside a background
        # operation's callback, where a nested event loop would re-enter asyncio.
        suffix = Path(export.filename).suffix.lstrip(".")
        name_filter = next(f for fmt, _label, f in EXPORTS if fmt == suffix)
        dialog = QFileDialog(self, "Export article", str(self._service.exports_dir / export.filename), name_filter)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(suffix)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self._service.save_export(
            export, Path(path), success=lambda written: self.announced.emit(f"Exported to {written}.")))
        dialog.open()

    def _published(self, path: Path, row: ArticleRow) -> None:
        self.announced.emit(f"Published “{row.keyword}” to {path}.")

    def _claim_overridden(self, claim: ClaimRow) -> None:
        if claim.overridden:
            self.announced.emit(f"Claim marked {claim.effective_verdict}.")
        else:
            self.announced.emit(f"Claim back to the checker's verdict ({claim.verdict}).")

    def _on_articles_changed(self) -> None:
        if self.isVisible():
            self._reload()
        else:
            self._stale = True      # refresh when shown

    def _on_article_changed(self, article_id: int) -> None:
        if article_id == self._current_id and self.isVisible():
            self._load_article(article_id)

    def _on_job_finished(self, event: JobFinished) -> None:
        article_id = event.article_id
        rechecked = article_id in self._rechecking
        self._rechecking.discard(article_id)
        stage = self._regenerating.pop(article_id, None)
        if rechecked or stage is not None:
            what = "Re-check" if stage is None else f"Regeneration from {stage.replace('_', ' ')}"
            self.announced.emit(f"{what} finished." if event.status == JobOutcome.COMPLETED
                                else f"{what} {event.status}: {event.error or ''}")
        if article_id == self._current_id and self.isVisible():
            self._load_article(article_id)

    def _on_article_updated(self, view: CommittedArticle) -> None:
        """Completed articles enter or change in the list; one it holds that is no longer completed leaves."""
        if view.status != ArticleStatus.COMPLETED and self.model.row_of(view.id) is None:
            return
        self._changed_ids.add(view.id)
        if not self._reading_rows:
            self._read_changed()

    def _read_changed(self) -> None:
        ids, self._changed_ids = sorted(self._changed_ids), set()
        if not ids:
            return
        self._reading_rows = True
        self._service.rows(ids, success=lambda rows: self._on_rows_read(ids, rows),
                           failure=lambda _error: self._rows_not_read())

    def _on_rows_read(self, ids: list[int], rows: list[ArticleRow]) -> None:
        self._reading_rows = False
        read = {row.id for row in rows}
        current, position = self._current_id, self._current_proxy_row()
        self.model.update_rows(rows, gone=[article_id for article_id in ids if article_id not in read])
        self._update_counts()
        if current is not None and self.proxy.row_of(current) is None:
            # The article shown left the list: the one now in its place is next, as after a decision.
            count = self.proxy.rowCount()
            self._select(min(position or 0, count - 1) if count else None)
        self._update_summary()
        self._read_changed()

    def _rows_not_read(self) -> None:
        self._reading_rows = False

    # ------------------------------------------------------------- loading

    def _reload(self) -> None:
        self._loading = True
        self._update_summary()
        self._service.load(success=self._on_loaded, failure=self._on_load_failed, latest=self._latest_load)

    def _on_loaded(self, rows: list[ArticleRow]) -> None:
        keep = self._current_id
        position = self._current_proxy_row()
        self._loading = False
        with QSignalBlocker(self.table.selectionModel()):
            self.model.set_rows(rows)
        self._update_counts()
        target = self.proxy.row_of(keep) if keep is not None else None
        if target is None and position is not None and self.proxy.rowCount():
            # The article left this tab (approved, rejected): the one now in its place is next, so A, A, A
            # walks down the list.
            target = min(position, self.proxy.rowCount() - 1)
        if target is None and self.proxy.rowCount():
            target = 0
        if target is None:
            self._select(None)
        else:
            self._select(target)
        self._update_summary()

    def _on_load_failed(self, _error: BaseException) -> None:
        self._loading = False
        self._update_summary()

    def _load_article(self, article_id: int) -> None:
        self._service.article(article_id, success=self._on_article_loaded, latest=self._latest_article)

    def _on_article_loaded(self, view: ArticleView) -> None:
        if view.id != self._current_id:
            return
        self._view = view
        self._show_article(view)
        self._update_actions()

    def _show_article(self, view: ArticleView) -> None:
        self.article_view.show_article(view)
        self.score_panel.show_article(view, self.article_view.missing, self._recheck_line(view.id))
        claim = self._current_claim()
        self.claims_model.set_claims(view.claims)
        if claim is not None:       # the same claim stays selected after its verdict changed
            row = self.claims_model.row_of(claim.id)
            if row is not None:
                self.claims_table.selectRow(row)
        self._show_claim_detail(self._current_claim())
        self._update_claim_actions()

    def _recheck_line(self, article_id: int) -> str | None:
        if article_id not in self._rechecking:
            return None
        if self._bridge is None:
            return ("Edited: the checks run again when the engine runs. Until then these scores and "
                    "marks describe the previous text.")
        return "Re-checking the edited text… these scores and marks describe the previous text."

    def _on_tab_changed(self, _index: int) -> None:
        position, current = self._current_proxy_row(), self._current_id
        self._apply_filter()
        target = self.proxy.row_of(current) if current is not None else None
        if target is None and self.proxy.rowCount():
            target = 0 if position is None else min(position, self.proxy.rowCount() - 1)
        self._select(target)
        self._update_summary()

    def _apply_filter(self) -> None:
        self.proxy.set_review_status(self.status)
        # Within one status the column would repeat the tab's name on every row.
        self.table.setColumnHidden(STATUS, self.status is not None)

    # -------------------------------------------------------------- selection

    def _select(self, proxy_row: int | None) -> None:
        selection = self.table.selectionModel()
        if proxy_row is None:
            selection.clearSelection()
            self._set_current(None)
            return
        index = self.proxy.index(proxy_row, 0)
        # The same article selected again after a reload changes no selection; show it again anyway (it may
        # have changed).
        same = self.proxy.id_at(proxy_row) == self._current_id
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        selection.setCurrentIndex(index, flags)
        self.table.scrollTo(index)
        if same:
            self._set_current(self._current_id, force=True)

    def _step(self, delta: int) -> None:
        count = self.proxy.rowCount()
        if not count:
            return
        row = self._current_proxy_row()
        target = 0 if row is None else max(0, min(count - 1, row + delta))
        self._select(target)

    def _on_selection_changed(self) -> None:
        row = self._current_proxy_row()
        self._set_current(None if row is None else self.proxy.id_at(row))

    def _set_current(self, article_id: int | None, force: bool = False) -> None:
        if article_id == self._current_id and not force:
            return
        self._current_id = article_id
        if article_id is None:
            self._latest_article.cancel()
            self._view = None
            self._show_nothing()
        else:
            self._load_article(article_id)
        self._update_actions()

    def _show_nothing(self) -> None:
        self.article_view.clear()
        self.score_panel.clear()
        self.claims_model.set_claims([])
        self._show_claim_detail(None)

    def _current_proxy_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _current_row(self) -> ArticleRow | None:
        if self._current_id is None:
            return None
        source_row = self.model.row_of(self._current_id)
        return None if source_row is None else self.model.article_at(source_row)

    def _current_claim(self) -> ClaimRow | None:
        rows = self.claims_table.selectionModel().selectedRows()
        return self.claims_model.claim_at(rows[0].row()) if rows else None

    def _title_of(self, row: ArticleRow) -> str:
        view = self.current_article
        return view.headline if view is not None and view.id == row.id and view.headline else row.keyword

    # -------------------------------------------------------------- widgets

    def _build_actions(self) -> None:
        action = functools.partial(make_action, self)

        # Single letters work anywhere on this screen (list, article, scores) but not on other screens.
        self.approve_action = action("&Approve", "A", self.approve, "Approve the article for publication")
        self.reject_action = action("&Reject…", "R", self.reject, "Reject the article, with a reason")
        self.pending_action = action("Back to &pending", None, self.back_to_pending,
                                     "Return the article to pending review")
        self.edit_action = action("&Edit…", "E", self.edit, "Edit the headline, dek and text; the checks run again")
        self.regenerate_action = action("Re&generate…", None, self.regenerate,
                                        "Run the pipeline again from a chosen stage")
        self.publish_action = action("&Publish…", None, self.publish,
                                     "Write the approved article into the publish folder")
        self.next_action = action("&Next article", "J", self.select_next, "Next article")
        self.previous_action = action("Pre&vious article", "K", self.select_previous, "Previous article")
        self.export_menu = QMenu("E&xport", self)
        self.export_actions: dict[str, QAction] = {}
        for fmt, label, _filter in EXPORTS:
            act = self.export_menu.addAction(label)
            act.triggered.connect(lambda _checked=False, fmt=fmt: self.export(fmt))
            self.export_actions[fmt] = act
        self.addActions([self.approve_action, self.reject_action, self.pending_action, self.edit_action,
                         self.regenerate_action, self.publish_action, self.next_action, self.previous_action])

        # The editor's verdict on a claim: the claims table's context menu, and S / C / U on it.
        self.verdict_actions: dict[str | None, QAction] = {}
        group = QActionGroup(self)
        group.setExclusionPolicy(QActionGroup.ExclusionPolicy.ExclusiveOptional)     # no verdict of the editor's
        keys = {"supported": "S", "contradicted": "C", "unverifiable": "U"}
        for verdict in VERDICTS:
            act = action(f"Mark {verdict}", keys[verdict], lambda _checked=False, v=verdict: self.set_claim_verdict(v),
                         f"Record your verdict on the claim: {verdict}", Qt.ShortcutContext.WidgetShortcut)
            act.setCheckable(True)
            group.addAction(act)
            self.verdict_actions[verdict] = act
        clear = action("Use the checker's verdict", None, lambda: self.set_claim_verdict(None),
                       "Remove your verdict on the claim")
        self.verdict_actions[None] = clear
        self.claims_table.addActions(list(self.verdict_actions.values()))

    def _on_claim_selected(self) -> None:
        claim = self._current_claim()
        view = self.current_article
        if claim is not None and view is not None:
            self.article_view.scroll_to(claim.text, view.body.find(claim.text))
        self._show_claim_detail(claim)
        self._update_claim_actions()

    def _show_claim_detail(self, claim: ClaimRow | None) -> None:
        if claim is None:
            self.claim_detail.clear()
            return
        detail = f"{claim.verdict_text.capitalize()}, checked by {claim.checked_by}."
        self.claim_detail.setText(f"{detail} Next step: {claim.next_step}" if claim.next_step else detail)

    def _update_actions(self) -> None:
        # The engine says what the article allows (engine.operations.review.allowed_actions).
        row = self._current_row()
        allowed = row.actions if row is not None else frozenset()
        view = self.current_article
        self.approve_action.setEnabled(Action.APPROVE in allowed)
        self.reject_action.setEnabled(Action.REJECT in allowed)
        self.pending_action.setEnabled(Action.BACK_TO_PENDING in allowed)
        self.edit_action.setEnabled(view is not None and Action.EDIT in view.actions)
        self.regenerate_action.setEnabled(Action.REGENERATE in allowed)
        self.publish_action.setEnabled(Action.PUBLISH in allowed)
        self.export_menu.setEnabled(Action.EXPORT in allowed)
        for act in self.export_actions.values():
            act.setEnabled(Action.EXPORT in allowed)
        self._update_claim_actions()

    def _update_claim_actions(self) -> None:
        claim = self._current_claim()
        editable = claim is not None and self.current_article is not None
        for verdict, act in self.verdict_actions.items():
            act.setEnabled(editable and (verdict is not None or claim.overridden))
            if verdict is not None:
                act.setChecked(claim is not None and claim.overridden and claim.effective_verdict == verdict)

    def _update_counts(self) -> None:
        counts = self.model.counts()
        for index, (status, label) in enumerate(TABS):
            self.tabs.setTabText(index, f"{label}  {counts.get(status, 0):,}")

    def _update_summary(self) -> None:
        if self._loading:
            self.summary_label.setText("Loading…")
            self.table.set_placeholder("Loading…")
            return
        self.summary_label.setText(plural(self.proxy.rowCount(), "article") + " shown")
        self.table.set_placeholder(_EMPTY[self.status])

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        if not self._list_sized:
            # Half the width for the list on a wide window (1920: titles whole), never under 560 px.
            self._list_sized = True
            width = self.splitter.width()
            list_width = max(560, min(760, width // 2))
            self.splitter.setSizes([list_width, max(1, width - list_width)])
        if self._stale:
            self.refresh()
