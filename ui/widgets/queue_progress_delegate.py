"""The queue's stage column drawn as a progress bar ("6/14  Fact verification" over the bar).

calibre draws its job progress the same way: the model hands out the fraction
and the status (BAR_ROLE); the delegate owns how it looks, so a progress tick
costs one cell's repaint and no widget per row. The cell asks the model for two
roles only (the bar and its text), not the dozen a standard item's option does.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from ui.models.queue_table import BAR_ROLE, STATUS_COLOURS

STEPS = 1000        # the bar's resolution: a tenth of a percent


class QueueProgressDelegate(QStyledItemDelegate):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._colours = {status: QColor(colour) for status, colour in STATUS_COLOURS.items()}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        # The row's own background first (selection, alternate colour), as every other cell has it.
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, widget)

        fraction, status = index.data(BAR_ROLE) or (0.0, "")
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 3, -3, -3)  # type: ignore[attr-defined]
        bar.state = option.state | QStyle.StateFlag.State_Horizontal  # type: ignore[attr-defined]
        bar.direction = option.direction  # type: ignore[attr-defined]
        bar.fontMetrics = option.fontMetrics  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, STEPS
        bar.progress = round(max(0.0, min(1.0, fraction)) * STEPS)
        bar.text = index.data() or ""
        bar.textVisible = True
        bar.textAlignment = Qt.AlignmentFlag.AlignCenter
        palette = QPalette(option.palette)  # type: ignore[attr-defined]
        # The chunk says the status at a glance (blue running, green done, red failed); the
        # text stays the palette's, so it reads in light and dark schemes.
        palette.setColor(QPalette.ColorRole.Highlight, self._colours.get(status, self._colours["generating"]))
        bar.palette = palette
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 160), hint.height())
