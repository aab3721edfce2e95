"""The window's part in the engine's life: asking before closing, the queue line, batch-end notices."""

from __future__ import annotations

from engine.events import QueueSummary
from tests.gui.helpers import click_message_button
from ui.main_window import MainWindow


def test_close_asks_while_articles_generate_and_quits_on_confirmation(qtbot, window: MainWindow) -> None:
    window.close_guard = lambda: "2 article(s) are being generated."
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    assert window.isVisible() and not closed
    click_message_button(qtbot, window, "Quit")
    qtbot.waitUntil(lambda: bool(closed))
    assert not window.isVisible()


def test_close_without_running_work_does_not_ask(qtbot, window: MainWindow) -> None:
    window.close_guard = lambda: None
    with qtbot.waitSignal(window.closed, timeout=2000):
        window.close()


def test_queue_line_and_batch_end_notice(qtbot, window: MainWindow) -> None:
    window.show_queue_summary(QueueSummary(queued=5, running=2, completed=0, failed=1, cancelled=0,
                                           tokens=12345, cost_usd=0.1234))
    assert window.queue_label.text() == "2 running · 5 queued · 1 failed · 12,345 tokens, $0.12 today"
    window.show_queue_summary(QueueSummary(queued=0, running=0, completed=6, failed=1, cancelled=0,
                                           tokens=20000, cost_usd=0.2))
    assert "Batch finished: 6 article(s) completed, 1 failed." in window.statusBar().currentMessage()
