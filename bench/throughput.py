"""Throughput of the local engine against the fake LLM server (issue 4's benchmark).

For each shape (processes x slots) and batch size: articles per minute, efficiency
(ideal / actual, ideal = batch x calls per article x latency / concurrency), engine CPU
seconds per article (dispatcher + workers), and peak RSS per worker and of the dispatcher.
The fake server runs in its own process so its threads do not share our GIL.

    .venv/bin/python bench/throughput.py [--latency 0.5] [--sizes 50 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.execution.dispatcher import Dispatcher  # noqa: E402
from engine.execution.settings import EngineSettings  # noqa: E402
from engine.execution.tasks import batch_generate_articles  # noqa: E402
from engine.keywords import KeywordBook, SourceInput  # noqa: E402
from engine.store.db import open_database  # noqa: E402
from tests.pipeline_helpers import use_provider  # noqa: E402

SOURCE_A = ("The council voted 5-2 on June 4 to spend $2.4 million on the Harbor Road bike lanes. "
            "\"This keeps children safe on the way to school,\" said Council Member Rosa Alvarez. "
            "Construction starts in September and ends in March 2027, according to the public works department.")
SOURCE_B = ("Shop owners on Harbor Road said the plan removes 38 parking spaces. "
            "\"Half my customers drive in,\" said bakery owner Tom Reyes. The Merchants Association asked for "
            "a loading zone, and the city agreed to study one by August.")


def start_fake_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen([sys.executable, "-m", "tests.fakes.llm_server", "--latency", str(latency)],
                              cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    url = server.stdout.readline().split()[1]       # "openai http://127.0.0.1:PORT/v1"
    return server, url


def server_requests(url: str) -> int:
    with urllib.request.urlopen(url.rsplit("/v1", 1)[0] + "/stats", timeout=5) as response:
        return json.load(response)["requests"]


class RssSampler(threading.Thread):
    def __init__(self, dispatcher: Dispatcher) -> None:
        super().__init__(daemon=True)
        self.dispatcher, self.stop_event = dispatcher, threading.Event()
        self.worker_peak = self.dispatcher_peak = 0

    def run(self) -> None:
        me = psutil.Process()
        while not self.stop_event.wait(0.2):
            self.dispatcher_peak = max(self.dispatcher_peak, me.memory_info().rss)
            for worker in list(self.dispatcher.pool.workers.values()):
                try:
                    self.worker_peak = max(self.worker_peak, psutil.Process(worker.pid).memory_info().rss)
                except (psutil.NoSuchProcess, TypeError):
                    continue


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _wait_until_ready(dispatcher: Dispatcher, workers: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while sum(w.ready for w in list(dispatcher.pool.workers.values())) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the engine's {workers} workers were not ready after {timeout_s:g} s")
        time.sleep(0.05)


def run_batch(size: int, workers: int, slots: int, latency: float, url: str, server_pid: int) -> dict:
    """One batch queued into an engine that is already running, as in the app (the engine
    starts with the window; the editor queues a batch later). The time runs from queueing
    the batch to its last article's end; the engine's own start-up is reported apart."""
    from sqlalchemy import func, select

    from engine.store.models import AIArticle

    with tempfile.TemporaryDirectory() as home:
        db = open_database(f"sqlite:///{home}/copydesk.db")
        book = KeywordBook(db)
        ids = [kid for _p, _k, kid in book.add([f"Harbor Road bike lanes, part {n}" for n in range(size)]).added]
        for kid in ids:
            book.add_source(kid, SourceInput("Council minutes", SOURCE_A))
            book.add_source(kid, SourceInput("Merchants' letter", SOURCE_B))
        book.decide(ids, "approved", editor="bench")
        use_provider(db, "openai", url)
        settings = EngineSettings(workers=workers, slots=slots)
        dispatcher = Dispatcher(db, settings)
        launched = time.monotonic()
        dispatcher.start()
        _wait_until_ready(dispatcher, workers)
        engine_start_s = time.monotonic() - launched
        worker_processes = [psutil.Process(w.pid) for w in dispatcher.pool.workers.values()]
        me, server = psutil.Process(), psutil.Process(server_pid)
        sampler = RssSampler(dispatcher)
        sampler.start()
        requests_before = server_requests(url)
        server_cpu_before, dispatcher_cpu_before = _cpu_seconds(server), _cpu_seconds(me)
        workers_cpu_before = sum(_cpu_seconds(p) for p in worker_processes)

        started = time.monotonic()
        articles = batch_generate_articles(db, ids, settings).article_ids

        def done() -> bool:
            with db.read() as session:
                return session.scalar(select(func.count()).where(
                    AIArticle.id.in_(articles), AIArticle.status.in_(("completed", "failed")))) == len(articles)

        dispatcher.wait_for(done, check_s=0.1)
        elapsed = time.monotonic() - started
        if any(w.pid not in {p.pid for p in worker_processes} for w in dispatcher.pool.workers.values()):
            raise RuntimeError("a worker was replaced during the batch; its CPU time would be missed")
        workers_cpu = sum(_cpu_seconds(p) for p in worker_processes) - workers_cpu_before
        dispatcher_cpu = _cpu_seconds(me) - dispatcher_cpu_before
        server_cpu = _cpu_seconds(server) - server_cpu_before
        calls = server_requests(url) - requests_before
        sampler.stop_event.set()
        dispatcher.stop()
        with db.read() as session:
            completed = session.scalar(select(func.count()).where(AIArticle.id.in_(articles),
                                                                  AIArticle.status == "completed"))
        db.dispose()
    concurrency = workers * slots
    calls_per_article = calls / size
    ideal = size * calls_per_article * latency / concurrency
    # A batch smaller than the slots never has `concurrency` articles in flight: its ideal
    # with the articles it does have in flight, reported beside the formula.
    in_flight = min(size, concurrency)
    ideal_in_flight = size * calls_per_article * latency / in_flight
    return {
        "batch": size, "workers": workers, "slots": slots, "in_flight": in_flight, "completed": completed,
        "seconds": round(elapsed, 1), "articles_per_minute": round(size / elapsed * 60, 1),
        "calls_per_article": round(calls_per_article, 1), "ideal_seconds": round(ideal, 1),
        "efficiency": round(ideal / elapsed, 2),
        "efficiency_in_flight": round(ideal_in_flight / elapsed, 2),
        "cpu_s_per_article": round((dispatcher_cpu + workers_cpu) / size, 3),
        "dispatcher_cpu_s_per_article": round(dispatcher_cpu / size, 3),
        "fake_server_cpu_s_per_article": round(server_cpu / size, 3),
        "engine_start_s": round(engine_start_s, 2),
        "worker_peak_rss_mb": round(sampler.worker_peak / 2**20, 1),
        "dispatcher_peak_rss_mb": round(sampler.dispatcher_peak / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--one-slot-size", type=int, default=50,
                        help="batch for the 2 processes x 1 slot shape (the old Celery prefetch-1 shape)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "bench-key-not-secret")
    server, url = start_fake_server(args.latency)
    try:
        runs = [run_batch(size, 2, 32, args.latency, url, server.pid) for size in args.sizes]
        if args.one_slot_size:
            runs.append(run_batch(args.one_slot_size, 2, 1, args.latency, url, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=10)
    if args.json:
        print(json.dumps(runs, indent=2))
        return
    columns = ["batch", "workers", "slots", "completed", "seconds", "articles_per_minute", "calls_per_article",
               "efficiency", "efficiency_in_flight", "cpu_s_per_article", "dispatcher_cpu_s_per_article", "fake_server_cpu_s_per_article",
               "engine_start_s", "worker_peak_rss_mb", "dispatcher_peak_rss_mb"]
    print(" | ".join(columns))
    for run in runs:
        print(" | ".join(str(run[c]) for c in columns))
    if args.one_slot_size:
        one_slot, pool = runs[-1], max(runs[:-1], key=lambda r: r["articles_per_minute"])
        print(f"\npool ({pool['batch']} articles) vs one job per process: "
              f"{pool['articles_per_minute'] / one_slot['articles_per_minute']:.1f}x the articles per minute")

if __name__ == "__main__":
    main()
