"""The console event sink: rich progress bars per article and a total line."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from engine.events import (
    Event,
    JobFinished,
    JobStarted,
    QueueSummary,
    StageFinished,
    StageProgress,
    StageStarted,
)
from engine.pipeline.names import STAGE_COUNT


class ConsoleSink:
    """Renders engine events; on a non-terminal (tests, pipes) it prints one line per finished article."""

    def __init__(self, console: Console | None = None, quiet: bool = False) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.live = self.console.is_terminal and not quiet
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), TextColumn("{task.fields[stage]}"),
            TimeElapsedColumn(), console=self.console, transient=False, disable=not self.live,
        )
        self.tasks: dict[int, TaskID] = {}
        self.stages_done: dict[int, int] = {}
        self.totals = {"completed": 0, "failed": 0, "cancelled": 0, "tokens": 0, "cost": 0.0}
        self.overall = self.progress.add_task("overall", total=None, stage="", visible=self.live)

    def __enter__(self) -> ConsoleSink:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _task(self, article_id: int, label: str | None = None) -> TaskID:
        if article_id not in self.tasks:
            self.tasks[article_id] = self.progress.add_task(
                f"#{article_id} {label or ''}"[:40], total=STAGE_COUNT, stage="queued")
        return self.tasks[article_id]

    def emit(self, event: Event) -> None:
        if isinstance(event, JobStarted):
            task = self._task(event.article_id, event.keyword)
            self.stages_done[event.article_id] = event.start_stage - 1
            self.progress.update(task, completed=event.start_stage - 1)
        elif isinstance(event, StageStarted):
            self.progress.update(self._task(event.article_id), stage=f"{event.index}/{STAGE_COUNT} {event.stage}")
        elif isinstance(event, StageProgress):
            self.progress.update(self._task(event.article_id), completed=event.fraction * STAGE_COUNT)
        elif isinstance(event, StageFinished):
            self.totals["tokens"] += event.tokens_in + event.tokens_out
            self.totals["cost"] += event.cost_usd
            if event.status == "completed":
                # The concurrent checks end in any order: the bar keeps the furthest.
                done = max(event.index, self.stages_done.get(event.article_id, 0))
                self.stages_done[event.article_id] = done
                self.progress.update(self._task(event.article_id), completed=done)
        elif isinstance(event, JobFinished):
            self._job_finished(event)
        elif isinstance(event, QueueSummary):
            self.progress.update(self.overall, stage=(
                f"running {event.running}, queued {event.queued}, done {event.completed}, "
                f"failed {event.failed}, {event.tokens:,} tokens, ${event.cost_usd:.4f}"
                + (" (paused)" if event.paused else "")))

    def _job_finished(self, event: JobFinished) -> None:
        if event.status in self.totals:
            self.totals[event.status] += 1
        task = self._task(event.article_id)
        self.progress.update(task, stage=event.status)
        if not self.live and not self.quiet:
            detail = f": {event.error}" if event.error else ""
            self.console.print(f"article #{event.article_id} {event.status}{detail}", markup=False)
        self._refresh_overall()

    def _refresh_overall(self) -> None:
        t = self.totals
        self.progress.update(self.overall, stage=(
            f"done {t['completed']}, failed {t['failed']}, {t['tokens']:,} tokens, ${t['cost']:.4f}"))
