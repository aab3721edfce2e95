"""Light and dark palettes that follow the system colour scheme (Qt 6.5+).

Fusion everywhere: it draws the same on every platform and honours a custom
palette completely, which the native styles do not (Windows' ignores a dark
palette in places). The light palette is Fusion's own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QApplication, QStyleFactory

from resources import resource_path

_DARK = {
    QPalette.ColorRole.Window: "#262a2e",
    QPalette.ColorRole.WindowText: "#e4e6e8",
    QPalette.ColorRole.Base: "#1d2023",
    QPalette.ColorRole.AlternateBase: "#24282c",
    QPalette.ColorRole.ToolTipBase: "#30353a",
    QPalette.ColorRole.ToolTipText: "#e4e6e8",
    QPalette.ColorRole.PlaceholderText: "#959ca3",
    QPalette.ColorRole.Text: "#e4e6e8",
    QPalette.ColorRole.Button: "#30353a",
    QPalette.ColorRole.ButtonText: "#e4e6e8",
    QPalette.ColorRole.BrightText: "#ff7b72",
    QPalette.ColorRole.Light: "#454b51",
    QPalette.ColorRole.Midlight: "#393e44",
    QPalette.ColorRole.Mid: "#3a3f45",
    QPalette.ColorRole.Dark: "#17191b",
    QPalette.ColorRole.Shadow: "#0c0d0e",
    QPalette.ColorRole.Highlight: "#2f6fb3",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#79b8ff",
    QPalette.ColorRole.LinkVisited: "#c39bff",
}
_DARK_DISABLED = {
    QPalette.ColorRole.WindowText: "#767d84",
    QPalette.ColorRole.Text: "#767d84",
    QPalette.ColorRole.ButtonText: "#767d84",
    QPalette.ColorRole.Highlight: "#3a3f45",
    QPalette.ColorRole.HighlightedText: "#a0a6ac",
}


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    return palette


def apply_colour_scheme(application: QApplication, scheme: Qt.ColorScheme) -> None:
    """Fusion with the dark palette for a dark scheme, Fusion's light one otherwise (also for Unknown)."""
    if application.style().name().lower() != "fusion":
        application.setStyle(QStyleFactory.create("Fusion"))
    dark = scheme == Qt.ColorScheme.Dark
    application.setPalette(dark_palette() if dark else application.style().standardPalette())
    # Setting the sheet again makes Qt resolve its palette(...) references against the new palette.
    application.setStyleSheet(resource_path("style", "copydesk.qss").read_text(encoding="utf-8"))


def follow_system_colour_scheme(application: QApplication) -> None:
    hints = application.styleHints()
    apply_colour_scheme(application, hints.colorScheme())
    hints.colorSchemeChanged.connect(lambda scheme: apply_colour_scheme(application, scheme))


def tinted_icon(name: str, colour: QColor) -> QIcon:
    """An icon from resources/icons/<name>.svg drawn in `colour` (the SVG uses currentColor)."""
    svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8").replace("currentColor", colour.name())
    pixmap = QPixmap()
    pixmap.loadFromData(svg.encode("utf-8"), "SVG")
    return QIcon(pixmap)


def app_icon() -> QIcon:
    return QIcon(str(resource_path("icons", "copydesk.svg")))


def status_dot(colour: str) -> QIcon:
    """A small filled circle for status columns: readable on light and dark palettes alike."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(2, 2, 8, 8)
    painter.end()
    return QIcon(pixmap)
