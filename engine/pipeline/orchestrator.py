"""One async function over the stage list.

`run_pipeline` knows nothing of databases, processes or Qt: it gets a
`RunRequest` (brief + checkpoints of the stages before its start), a provider
(None = offline), a `CheckpointWriter` that makes each stage's result durable
before the next stage starts, and an event sink. `process_article` is the
in-process runner that wires it to the database.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from engine.events import EventSink, NullSink, StageFinished, StageProgress, StageStarted
from engine.pipeline.context import RunRequest, StageCancelled, StageContext
from engine.pipeline.names import STAGE_COUNT
from engine.pipeline.outputs import StageOutput
from engine.pipeline.stages import STAGES, Stage, stage_steps
from engine.providers.base import Provider, ProviderError
from engine.providers.pricing import PricingTable

log = logging.getLogger("copydesk.pipeline")

# Progress messages are at most this often per article; the GUI coalesces further.
_PROGRESS_INTERVAL_S = 0.1
_CANCELLED = object()


class CheckpointWriter(Protocol):
    async def stage_finished(self, event: StageFinished) -> None:
        """Return only once the stage's record is durable."""


@dataclass
class PipelineOutcome:
    status: str                          # completed | failed | cancelled
    outputs: dict[str, StageOutput] = field(default_factory=dict)
    failed_stage: str | None = None
    error: str | None = None


def load_checkpoints(checkpoints: dict[str, dict]) -> dict[str, StageOutput]:
    return {stage.name: stage.output.model_validate(checkpoints[stage.name])
            for stage in STAGES if stage.name in checkpoints}


def _readable(error: BaseException) -> str:
    if isinstance(error, ProviderError):
        return str(error)
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


async def run_pipeline(
    request: RunRequest,
    provider: Provider | None,
    writer: CheckpointWriter,
    *,
    sink: EventSink | None = None,
    pricing: PricingTable | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
    should_stop: Callable[[], bool] = lambda: False,
    local_model: bool = False,
    checker_provider: Provider | None = None,
) -> PipelineOutcome:
    """Run stages start_index..14. `is_cancelled` aborts even inside a stage (an editor's
    cancel); `should_stop` is checked only between steps (a graceful shutdown lets the
    running stages finish and checkpoint). The checking stages use `checker_provider`
    when the request has checker settings of its own (None there: the offline rules),
    else `provider`."""
    sink = sink or NullSink()
    if request.checker_settings is None:
        checker_provider = provider
    article_id = request.brief.article_id
    outputs = load_checkpoints(request.checkpoints)

    async def run_stage(stage: Stage, step: tuple[Stage, ...], step_done: list[Stage]) -> str | object | None:
        """Run one stage and make its checkpoint durable. None when it completed, else
        _CANCELLED or the failure's one-line message (also checkpointed)."""
        attempt = request.attempts.get(stage.name, 1)
        sink.emit(StageStarted(article_id, stage.name, stage.index, attempt))
        last_progress = 0.0

        def report(fraction: float, message: str) -> None:
            nonlocal last_progress
            now = time.monotonic()
            if now - last_progress >= _PROGRESS_INTERVAL_S:
                last_progress = now
                if len(step) == 1:
                    done = stage.index - 1 + max(0.0, min(1.0, fraction))
                else:  # concurrent stages: count finished ones, so the bar never moves back
                    done = step[0].index - 1 + len(step_done)
                sink.emit(StageProgress(article_id, stage.name, stage.index, done / STAGE_COUNT, message))

        ctx = StageContext(request.brief, stage.name, outputs, provider, pricing, report, is_cancelled,
                           local_model=local_model, checker_provider=checker_provider,
                           checker_settings=request.checker_settings)
        started = time.time()
        try:
            output = await stage.run(ctx)
        except StageCancelled:
            return _CANCELLED
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a stage failure is recorded, never swallowed
            message = _readable(error)
            if not isinstance(error, ProviderError):
                log.error("Stage %s of article %s failed:\n%s", stage.name, article_id, traceback.format_exc())
            await writer.stage_finished(_finished(ctx, stage.index, attempt, "failed", started, None, message))
            return message
        await writer.stage_finished(
            _finished(ctx, stage.index, attempt, "completed", started, output.model_dump(mode="json"), None))
        outputs[stage.name] = output
        step_done.append(stage)
        return None

    for step in stage_steps(request.start_index):
        if is_cancelled() or should_stop():
            return PipelineOutcome("cancelled", outputs)
        # A resumed step keeps the stages it already checkpointed.
        pending = [stage for stage in step if stage.name not in outputs]
        done: list[Stage] = []
        # A failing stage does not stop the others of its step: what they finish is checkpointed.
        ended = await asyncio.gather(*(run_stage(stage, step, done) for stage in pending))
        if _CANCELLED in ended:
            return PipelineOutcome("cancelled", outputs)
        failed = next(((stage, message) for stage, message in zip(pending, ended, strict=True) if message), None)
        if failed is not None:
            stage, message = failed
            return PipelineOutcome("failed", outputs, stage.name, f"{stage.name}: {message}")
    return PipelineOutcome("completed", outputs)


def _finished(ctx: StageContext, index: int, attempt: int, status: str, started: float,
              output: dict | None, error: str | None) -> StageFinished:
    return StageFinished(
        article_id=ctx.brief.article_id, stage=ctx.stage, index=index, attempt=attempt, status=status,
        started_at=started, finished_at=time.time(), model=ctx.model or "offline",
        tokens_in=ctx.usage.input_tokens + ctx.usage.cache_read_tokens + ctx.usage.cache_write_tokens,
        tokens_out=ctx.usage.output_tokens, cost_usd=round(ctx.cost, 6), output=output, error=error,
        retries=[{"attempt": r.attempt, "reason": r.reason, "delay_s": r.delay_s} for r in ctx.retries],
    )

