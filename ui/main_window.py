"""The main window."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from app.context import AppContext


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.setWindowTitle("Copydesk")
        self.resize(1100, 720)
        label = QLabel(f"Database: {context.home.database_path}")
        label.setMargin(24)
        self.setCentralWidget(label)
