"""UI latency: does the window keep its frames while the engine works, and how fast does it open?

Four measurements, each on a fresh temporary data home, Qt's offscreen platform:

1. Heartbeat while a batch runs: the main window (built as app.gui builds it, with
   the Queue screen shown) while N articles run through an EngineHost against the
   fake LLM server (its own process, --latency 0.5). A 16 ms QTimer stamps every
   tick; the figures are the gaps between ticks (16 ms when nothing is in the way).
2. Cold start: `python -m app --home TMP` in a subprocess, until the first paint
   event of the main window (a few lines of Python, run with -c, install an event
   filter on the QApplication before the app creates its own, and close the
   window at the first paint). Once on a new home (migrations run) and once more
   on the same home.
3. The Keywords screen with 100,000 keywords: from show() to the first paint of
   the table with its rows, then a scroll through the whole table with the scroll
   bar in steps (a step every 20 ms, as a dragged thumb would), with the heartbeat
   running: its longest gap is the longest stall, and each step's repaint is timed.
4. Idle CPU: the main window (Queue screen shown) on a demo home, the engine started
   and nothing queued, for --idle-seconds (20): the CPU time this process and its
   worker processes used (psutil cpu_times, user + system), as a share of one core,
   and by thread. Then the same window as a viewer: another engine (in this
   process, no window) holds the lease, --viewer-articles (100) articles wait on a
   paused queue, and the viewer's threads (GUI and background queries) are counted.

    .venv/bin/python bench/ui_latency.py [--articles 100] [--keywords 100000] [--idle-seconds 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A benchmark must not touch the machine's keychain; on this machine there is none anyway.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

BEAT_MS = 16
SCROLL_STEP_MS = 20

# Runs in the child: the QApplication comes first so that the filter sees the window's first paint.
COLD_START = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

application = QApplication(sys.argv[:1])

class FirstPaint(QObject):
    done = False

    def eventFilter(self, watched, event):
        if (not self.done and event.type() == QEvent.Type.Paint and hasattr(watched, "window")
                and isinstance(watched.window(), QMainWindow)):
            self.done = True
            print(f"painted {time.time():.6f}", flush=True)
            QTimer.singleShot(0, watched.window().close)
        return False

first_paint = FirstPaint()
application.installEventFilter(first_paint)
from app.main import main
sys.exit(main(["--home", sys.argv[1]]))
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


class Heartbeat:
    """A 16 ms timer that remembers when it fired."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.beats: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(BEAT_MS)
        self._timer.timeout.connect(lambda: self.beats.append(time.perf_counter()))

    def start(self) -> None:
        self.beats.clear()
        self._timer.start()

    def stop(self) -> dict[str, float]:
        self._timer.stop()
        gaps = [(b - a) * 1000 for a, b in zip(self.beats, self.beats[1:], strict=False)]
        return {"beats": len(self.beats), "longest_gap_ms": round(max(gaps), 1),
                "p99_gap_ms": round(percentile(gaps, 0.99), 1), "median_gap_ms": round(statistics.median(gaps), 1)}


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Let the event loop run until `condition` holds."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# ---------------------------------------------------------------- 1. heartbeat during a batch


def start_fake_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen([sys.executable, "-m", "tests.fakes.llm_server", "--latency", str(latency)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().split()[1]       # "openai http://127.0.0.1:PORT/v1"
    return server, url


def seed_approved(db, count: int) -> list[int]:
    from engine.keywords import KeywordBook, SourceInput

    book = KeywordBook(db)
    ids = [kid for _p, _k, kid in book.add([f"Harbor Road bike lanes, part {n}" for n in range(count)]).added]
    for kid in ids:
        book.add_source(kid, SourceInput("Council minutes", "The council voted 5-2 on June 4 to spend $2.4 million "
                                         "on the Harbor Road bike lanes. \"This keeps children safe,\" said Council "
                                         "Member Rosa Alvarez. Construction starts in September."))
    book.decide(ids, "approved", editor="bench")
    return ids


async def batch_heartbeat(articles: int, latency: float) -> dict:
    from PySide6.QtWidgets import QDialogButtonBox

    from app.background import BackgroundOps
    from app.context import AppContext
    from app.engine_bridge import EngineBridge
    from app.engine_host import EngineHost
    from app.gui import build_main_window
    from engine.execution.settings import load_engine_settings
    from tests.pipeline_helpers import TEST_KEY, use_provider
    from ui.dialogs.queue_generate import QueueGenerateDialog

    server, url = start_fake_server(latency)
    os.environ["OPENAI_API_KEY"] = TEST_KEY          # the spawned workers inherit it
    try:
        with tempfile.TemporaryDirectory() as home:
            context = AppContext.open(home)
            keyword_ids = seed_approved(context.db, articles)
            use_provider(context.db, "openai", url)
            ops = BackgroundOps()
            bridge = EngineBridge()
            settings = load_engine_settings(context.db)
            host = EngineHost(context, ops, bridge, settings=settings)
            window = build_main_window(context, ops, bridge, host)
            screen = window.queue_screen
            finished: set[int] = set()
            bridge.job_finished.connect(
                lambda event: finished.add(event.article_id) if event.status != "retrying" else None)
            window.resize(1280, 800)
            window.show()
            window.sidebar.setCurrentRow(window.stack.indexOf(screen))
            started = []
            host.mode_changed.connect(started.append)
            host.start()
            await until(lambda: bool(started), 30, "the engine to start")
            await until(lambda: screen.waiting_keywords == len(keyword_ids), 30, "the approved keywords")
            heart = Heartbeat()
            heart.start()
            began = time.monotonic()
            # As the editor does it: Generate approved, then the confirmation's Generate button.
            screen.generate_button.click()
            dialogs: list[QueueGenerateDialog] = []
            await until(lambda: bool(dialogs.extend(screen.findChildren(QueueGenerateDialog)) or dialogs), 30,
                        "the estimate")
            dialogs[0].buttons.button(QDialogButtonBox.StandardButton.Ok).click()
            await until(lambda: len(finished) == articles, 900, "the batch to finish")
            elapsed = time.monotonic() - began
            figures = heart.stop()
            completed = sum(1 for r in screen.model.rows() if r.status == "completed")
            window.close()
            host.stop()         # blocking, on this thread: it stops the bridge's and the host's timers
            ops.shutdown(wait=True)
            context.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"articles": articles, "completed": completed, "workers": settings.workers, "slots": settings.slots,
            "latency_s": latency, "batch_seconds": round(elapsed, 1), **figures}


# ---------------------------------------------------------------- 2. cold start


def cold_start(runs: int) -> dict:
    with tempfile.TemporaryDirectory() as home:
        times = []
        for _run in range(runs + 1):
            began = time.time()
            child = subprocess.run([sys.executable, "-c", COLD_START, home], cwd=REPO, capture_output=True,
                                   text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
            painted = [line for line in child.stdout.splitlines() if line.startswith("painted ")]
            if not painted:
                raise RuntimeError(f"the app never painted (exit {child.returncode}):\n{child.stderr[-2000:]}")
            times.append(float(painted[0].split()[1]) - began)
    return {"first_start_s": round(times[0], 2), "warm_starts_s": [round(t, 2) for t in times[1:]],
            "warm_median_s": round(statistics.median(times[1:]), 2)}


# ---------------------------------------------------------------- 3. 100,000 keywords


def bulk_keywords(db, count: int) -> None:
    """Inserted in bulk (the import path flushes per row, which would time the seeding, not the screen)."""
    from sqlalchemy import insert

    from engine.keywords import keyword_key
    from engine.store.models import KeywordSource

    rows = []
    for n in range(count):
        text = f"Topic {n:06d}: council budget line {n % 977}"
        rows.append({"keyword": text, "keyword_key": keyword_key(text), "priority": ("high", "normal", "low")[n % 3],
                     "source": "csv", "approval_status": "pending"})
    with db.write() as session:
        for start in range(0, count, 20_000):
            session.execute(insert(KeywordSource), rows[start:start + 20_000])


async def keywords_screen(count: int) -> dict:
    from PySide6.QtCore import QEvent, QObject, QTimer

    from app.background import BackgroundOps
    from app.context import AppContext
    from app.gui import build_main_window

    class PaintAfterLoad(QObject):
        """The first paint of the table's viewport once it holds every row."""

        def __init__(self, model, total: int) -> None:
            super().__init__()
            self.model, self.total, self.painted_at = model, total, 0.0

        def eventFilter(self, _watched, event) -> bool:  # noqa: N802
            if not self.painted_at and event.type() == QEvent.Type.Paint and self.model.rowCount() == self.total:
                self.painted_at = time.perf_counter()
            return False

    with tempfile.TemporaryDirectory() as home:
        context = AppContext.open(home)
        bulk_keywords(context.db, count)
        ops = BackgroundOps()
        window = build_main_window(context, ops)
        screen = window.keywords_screen
        table = screen.table
        watcher = PaintAfterLoad(screen.model, count)
        table.viewport().installEventFilter(watcher)
        window.resize(1280, 800)
        heart = Heartbeat()
        heart.start()
        shown = time.perf_counter()
        window.show()
        await until(lambda: bool(watcher.painted_at), 120, "the keywords to load and paint")
        first_paint = watcher.painted_at - shown
        load_figures = heart.stop()

        bar = table.verticalScrollBar()
        steps = 200
        targets = [round(bar.maximum() * i / steps) for i in range(1, steps + 1)]
        repaints: list[float] = []

        def step() -> None:
            if not targets:
                scroller.stop()
                return
            began = time.perf_counter()
            bar.setValue(targets.pop(0))
            table.viewport().repaint()          # the paint a dragged thumb waits for, timed on its own
            repaints.append((time.perf_counter() - began) * 1000)

        scroller = QTimer()
        scroller.setInterval(SCROLL_STEP_MS)
        scroller.timeout.connect(step)
        heart.start()
        scroller.start()
        await until(lambda: not scroller.isActive(), 120, "the scroll")
        scroll_figures = heart.stop()
        at_end = bar.value() == bar.maximum()
        window.close()
        ops.shutdown(wait=True)
        context.close()
    return {"keywords": count, "first_paint_s": round(first_paint, 2),
            "longest_stall_while_loading_ms": load_figures["longest_gap_ms"],
            "scroll_steps": steps, "scrolled_to_end": at_end,
            "longest_stall_while_scrolling_ms": scroll_figures["longest_gap_ms"],
            "p99_gap_while_scrolling_ms": scroll_figures["p99_gap_ms"],
            "longest_step_repaint_ms": round(max(repaints), 1),
            "median_step_repaint_ms": round(statistics.median(repaints), 1)}


# ---------------------------------------------------------------- 4. idle CPU


def _cpu_seconds(process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _by_thread(process, before: dict[int, float] | None = None) -> dict[str, float]:
    names = {t.native_id: t.name for t in threading.enumerate()}
    used: dict[str, float] = {}
    for t in process.threads():
        name = names.get(t.id, "other (Qt, SQLite)")
        name = "copydesk-bg" if name.startswith("copydesk-bg") else name
        used[name] = used.get(name, 0.0) + t.user_time + t.system_time - (before or {}).get(t.id, 0.0)
    return used


def _thread_times(process) -> dict[int, float]:
    return {t.id: t.user_time + t.system_time for t in process.threads()}


async def idle_viewer_cpu(seconds: float, articles: int) -> dict:
    import psutil

    from app.background import BackgroundOps
    from app.context import AppContext
    from app.engine_bridge import EngineBridge
    from app.engine_host import EngineHost
    from app.gui import build_main_window
    from engine.execution.queue import JobQueue
    from engine.execution.settings import EngineSettings
    from engine.execution.tasks import batch_generate_articles

    with tempfile.TemporaryDirectory() as home:
        context = AppContext.open(home)
        JobQueue(context.db).set_paused(True)
        batch_generate_articles(context.db, seed_approved(context.db, articles), EngineSettings())
        ops = BackgroundOps()
        owner = EngineHost(context, ops, EngineBridge(), settings=EngineSettings(workers=1))
        modes: list = []
        owner.mode_changed.connect(modes.append)
        owner.start()
        await until(lambda: bool(modes), 30, "the owner engine to start")
        bridge = EngineBridge()
        host = EngineHost(context, ops, bridge, settings=EngineSettings(workers=1))
        window = build_main_window(context, ops, bridge, host)
        screen = window.queue_screen
        window.resize(1280, 800)
        window.show()
        window.sidebar.setCurrentRow(window.stack.indexOf(screen))
        host.mode_changed.connect(modes.append)
        host.start()
        await until(lambda: len(modes) == 2 and screen.model.rowCount() == articles, 30, "the viewer's queue")
        await asyncio.sleep(3)
        me = psutil.Process()
        before = _thread_times(me)
        began = time.monotonic()
        await asyncio.sleep(seconds)
        wall = time.monotonic() - began
        used = _by_thread(me, before)
        window.close()
        host.stop()
        owner.stop()
        ops.shutdown(wait=True)
        context.close()
    viewer = used.get("MainThread", 0.0) + used.get("copydesk-bg", 0.0)
    return {"seconds": round(wall, 1), "articles": articles, "mode": type(modes[1]).__name__,
            "viewer_cpu_percent": round(100 * viewer / wall, 2),
            "threads_cpu_percent": {name: round(100 * u / wall, 2) for name, u in
                                    sorted(used.items(), key=lambda item: -item[1]) if u >= 0.005}}


async def idle_cpu(seconds: float) -> dict:
    import psutil

    from app.background import BackgroundOps
    from app.context import AppContext
    from app.engine_bridge import EngineBridge
    from app.engine_host import EngineHost
    from app.gui import build_main_window
    from engine.demo import seed_demo
    from engine.keywords import KeywordBook

    with tempfile.TemporaryDirectory() as home:
        context = AppContext.open(home)
        seed_demo(KeywordBook(context.db))
        ops = BackgroundOps()
        bridge = EngineBridge()
        host = EngineHost(context, ops, bridge)
        window = build_main_window(context, ops, bridge, host)
        screen = window.queue_screen
        window.resize(1280, 800)
        window.show()
        window.sidebar.setCurrentRow(window.stack.indexOf(screen))
        started = []
        host.mode_changed.connect(started.append)
        host.start()
        await until(lambda: bool(started), 30, "the engine to start")
        await asyncio.sleep(3)          # the first loads and the workers' imports settle
        me = psutil.Process()
        workers = me.children(recursive=True)
        window_before = _cpu_seconds(me)
        threads_before = _thread_times(me)
        workers_before = sum(_cpu_seconds(w) for w in workers)
        began = time.monotonic()
        await asyncio.sleep(seconds)
        wall = time.monotonic() - began
        window_used = _cpu_seconds(me) - window_before
        by_thread = _by_thread(me, threads_before)
        workers_used = sum(_cpu_seconds(w) for w in workers) - workers_before
        window.close()
        host.stop()
        ops.shutdown(wait=True)
        context.close()
    return {"seconds": round(wall, 1), "window_cpu_percent": round(100 * window_used / wall, 2),
            "threads_cpu_percent": {name: round(100 * used / wall, 2) for name, used in
                                    sorted(by_thread.items(), key=lambda item: -item[1]) if used >= 0.005},
            "workers": len(workers), "workers_cpu_percent": round(100 * workers_used / wall, 2)}


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--keywords", type=int, default=100_000)
    parser.add_argument("--starts", type=int, default=3, help="warm starts after the first")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--viewer-articles", type=int, default=100)
    parser.add_argument("--only", choices=("batch", "start", "keywords", "idle"), help="run one of the four")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    wanted = {args.only} if args.only else {"batch", "start", "keywords", "idle"}

    import qasync
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from app.gui import tune_garbage_collection
    from ui.theme import apply_colour_scheme

    application = QApplication(sys.argv[:1])
    application.setQuitOnLastWindowClosed(False)
    apply_colour_scheme(application, Qt.ColorScheme.Light)
    tune_garbage_collection()       # the GUI process's collector policy, as run_gui sets it

    async def measure() -> dict:
        results = {}
        if "keywords" in wanted:
            results["keywords_screen"] = await keywords_screen(args.keywords)
        if "batch" in wanted:
            results["batch"] = await batch_heartbeat(args.articles, args.latency)
        if "idle" in wanted:
            results["idle"] = await idle_cpu(args.idle_seconds)
            results["idle_viewer"] = await idle_viewer_cpu(args.idle_seconds, args.viewer_articles)
        return results

    results = qasync.run(measure())
    if "start" in wanted:
        results["cold_start"] = cold_start(args.starts)
    if args.json:
        print(json.dumps(results, indent=2))
        return
    if "batch" in results:
        report_batch(results["batch"])
    if "cold_start" in results:
        report_start(results["cold_start"])
    if "keywords_screen" in results:
        report_keywords(results["keywords_screen"])
    if "idle" in results:
        report_idle(results["idle"])
        report_idle_viewer(results["idle_viewer"])


def report_batch(batch: dict) -> None:
    print(f"Heartbeat ({BEAT_MS} ms timer), main window with the Queue screen shown, {batch['articles']} articles "
          f"({batch['completed']} completed) against the fake server (latency {batch['latency_s']} s), "
          f"{batch['workers']} processes x {batch['slots']} slots, batch {batch['batch_seconds']} s:")
    print(f"  longest gap {batch['longest_gap_ms']} ms (target < 100), p99 {batch['p99_gap_ms']} ms (target < 33), "
          f"median {batch['median_gap_ms']} ms, {batch['beats']:,} beats")


def report_start(start: dict) -> None:
    print(f"Cold start to first paint: new home (migrations) {start['first_start_s']} s, then "
          f"{', '.join(f'{t} s' for t in start['warm_starts_s'])} (median {start['warm_median_s']} s; target < 1.5 s)")


def report_keywords(keywords: dict) -> None:
    print(f"Keywords screen, {keywords['keywords']:,} keywords: first paint with rows {keywords['first_paint_s']} s "
          f"(longest stall while loading {keywords['longest_stall_while_loading_ms']} ms)")
    print(f"  scroll in {keywords['scroll_steps']} steps: longest stall {keywords['longest_stall_while_scrolling_ms']} ms, "
          f"p99 gap {keywords['p99_gap_while_scrolling_ms']} ms, step repaint median "
          f"{keywords['median_step_repaint_ms']} ms / longest {keywords['longest_step_repaint_ms']} ms")


def report_idle(idle: dict) -> None:
    print(f"Idle window (Queue screen, demo home, engine started, nothing queued), {idle['seconds']} s: "
          f"{idle['window_cpu_percent']} % of a core in the window's process (target < 0.5), "
          f"{idle['workers_cpu_percent']} % in its {idle['workers']} worker processes")
    print("  by thread: " + ", ".join(f"{name} {share} %" for name, share in idle["threads_cpu_percent"].items()))


def report_idle_viewer(idle: dict) -> None:
    print(f"Idle viewer window ({idle['mode']}; another engine holds the lease, {idle['articles']} articles waiting "
          f"on a paused queue), {idle['seconds']} s: {idle['viewer_cpu_percent']} % of a core on the viewer's GUI "
          "and background threads")
    print("  by thread: " + ", ".join(f"{name} {share} %" for name, share in idle["threads_cpu_percent"].items()))


if __name__ == "__main__":
    main()
