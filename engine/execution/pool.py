"""LocalPool: the worker processes (spawn start method), each reached through its own pipe.

A pipe per worker, not one shared queue: a worker killed in the middle of a
send breaks only its own pipe, never a lock that the other workers share.
"""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from engine.execution.worker import worker_main

log = logging.getLogger("copydesk.engine")


@dataclass
class WorkerHandle:
    number: int
    process: BaseProcess
    connection: Connection
    jobs: set[int] = field(default_factory=set)
    retiring: bool = False
    solo: bool = False          # running one suspect job alone after a crash
    ready: bool = False
    lost: bool = False

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, message: Any) -> bool:
        try:
            self.connection.send(message)
            return True
        except (OSError, EOFError, BrokenPipeError):
            self.lost = True
            return False


class LocalPool:
    def __init__(self, processes: int, slots: int, max_tasks_per_child: int,
                 pricing_override: Path | None = None, log_file: Path | None = None) -> None:
        self.processes, self.slots, self.max_tasks = processes, slots, max_tasks_per_child
        self.pricing_override = str(pricing_override) if pricing_override else None
        self.log_file = str(log_file) if log_file else None
        self.context = multiprocessing.get_context("spawn")
        # Providers whose SDK a new worker imports before it says it is ready.
        self.preload: tuple[str, ...] = ()
        self.workers: dict[int, WorkerHandle] = {}
        self._numbers = 0

    def start(self) -> None:
        for _ in range(self.processes):
            self.spawn()

    def spawn(self) -> WorkerHandle:
        self._numbers += 1
        ours, theirs = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=worker_main, name=f"copydesk-worker-{self._numbers}",
            args=(theirs, self.slots, self.max_tasks, self.pricing_override, self.log_file, self.preload),
            daemon=True)
        process.start()
        theirs.close()
        handle = WorkerHandle(self._numbers, process, ours)
        self.workers[handle.number] = handle
        log.info("Started worker %s (pid %s)", handle.number, process.pid)
        return handle

    def remove(self, handle: WorkerHandle, *, kill: bool = False) -> None:
        if kill and handle.process.is_alive():
            handle.process.kill()
        handle.process.join(timeout=5)
        handle.connection.close()
        self.workers.pop(handle.number, None)

    def connections(self) -> dict[Connection, WorkerHandle]:
        return {w.connection: w for w in self.workers.values() if not w.connection.closed}

    def stop(self, timeout_s: float = 10.0) -> None:
        """Wait for every worker to exit; kill what is left after the timeout."""
        for handle in list(self.workers.values()):
            handle.process.join(timeout=timeout_s)
            self.remove(handle, kill=True)
