"""Starting the desktop app."""

from __future__ import annotations

import sys

from engine.store.db import DatabaseError


def run_gui(cli_home: str | None) -> int:
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.context import AppContext
    from ui.main_window import MainWindow

    application = QApplication.instance() or QApplication(sys.argv)
    application.setApplicationName("Copydesk")
    application.setOrganizationName("Copydesk")
    try:
        context = AppContext.open(cli_home)
    except DatabaseError as error:
        QMessageBox.critical(None, "Copydesk cannot open its database", str(error))
        return 1
    window = MainWindow(context)
    window.show()
    try:
        return application.exec()
    finally:
        context.close()
