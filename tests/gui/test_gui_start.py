"""run_gui end to end: the database opens before any window, the demo is offered, closing ends the session."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.gui import run_gui
from engine.keywords import KeywordBook
from engine.store.db import open_database
from ui.main_window import MainWindow


def test_an_unusable_database_shows_one_message_and_no_window(home: Path, monkeypatch) -> None:
    (home / "copydesk.db").write_bytes(b"this is not a database at all " * 200)
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _parent, title, text: shown.append((title, text)))
    assert run_gui(str(home)) == 1
    [(title, text)] = shown
    assert title == "Copydesk cannot open its database"
    assert "file is not a database" in text and "\n" not in text
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


def test_a_session_offers_the_demo_and_ends_when_the_window_closes(home: Path) -> None:
    """Drives the app from a timer inside run_gui's own qasync loop (qtbot cannot wait inside it)."""
    steps: list[str] = []
    ticks = iter(range(1000))       # 20 s: then close whatever is there, so a failure cannot hang the run

    def drive() -> None:
        if next(ticks, None) is None:
            steps.append("gave up")
            timer.stop()
            for window in QApplication.topLevelWidgets():
                window.close()
            return
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            return
        window = windows[0]
        offer = [box for box in window.findChildren(QMessageBox) if box.isVisible()]
        if "offered" not in steps and offer:
            steps.append("offered")
            next(b for b in offer[0].buttons() if b.text() == "Load demo newsroom").click()
        elif "offered" in steps and window.counts_label.text().startswith("12 keywords"):
            steps.append("seeded")
            timer.stop()
            window.close()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(drive)
    timer.start()
    assert run_gui(str(home)) == 0
    assert steps == ["offered", "seeded"]
    assert (home / "window.ini").exists()
    database = open_database(f"sqlite:///{home / 'copydesk.db'}")
    try:
        assert KeywordBook(database).counts()["all"] == 12
    finally:
        database.dispose()


FIRST_PAINT_PROBE = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

application = QApplication(sys.argv[:1])

class FirstPaint(QObject):
    seen = None

    def eventFilter(self, watched, event):
        if (self.seen is None and event.type() == QEvent.Type.Paint and hasattr(watched, "window")
                and isinstance(watched.window(), QMainWindow)):
            self.seen = sorted(name for name in ("pydantic", "keyring", "feedparser", "rich", "app.services.queue",
                                                 "engine.pipeline.outputs")
                               if name in sys.modules)
            print("loaded at first paint:", ",".join(self.seen), flush=True)
            QTimer.singleShot(0, watched.window().close)
        return False

probe = FirstPaint()
application.installEventFilter(probe)
from app.main import main
code = main(["--home", sys.argv[1]])
sys.exit(code)
"""


def test_the_window_paints_before_the_engine_screens_load(home: Path) -> None:
    """Start-up speed is structural: the first paint needs Qt, SQLAlchemy and the Keywords
    screen only; Queue, Review and Settings (pydantic, keyring, the pipeline's models) come after."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    child = subprocess.run([sys.executable, "-c", FIRST_PAINT_PROBE, str(home)], cwd=repo, capture_output=True,
                           text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert child.returncode == 0, child.stderr[-2000:]
    assert "loaded at first paint: \n" in child.stdout, child.stdout
