"""What a claimed job is sent to a worker with: its run (or check) request, loaded inside the
dispatcher's write transaction, its article marked generating, and its share of the quota."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from engine.execution.jobs import ClaimedJob, JobManager
from engine.execution.messages import RunJob
from engine.pipeline.persist import RunError, load_check_request, load_run_request


def share_quota(settings: Any, workers: int) -> Any:
    """Each worker process gets its share of the provider's per-minute quota."""
    if settings is None:
        return None
    workers = max(1, workers)
    return dataclasses.replace(settings, requests_per_minute=math.ceil(settings.requests_per_minute / workers),
                               tokens_per_minute=math.ceil(settings.tokens_per_minute / workers))


def _share_checker(checker: Any, workers: int) -> Any:
    return None if checker is None else dataclasses.replace(checker, provider=share_quota(checker.provider, workers))


def prepare_job(jobs: JobManager, job: ClaimedJob, soft_limit_s: float, workers: int) -> RunJob:
    """The message for a worker; raises RunError when the job cannot run (and IllegalTransition
    when its article may not start)."""
    article_id = job.article_id
    if article_id is None:
        raise RunError(f"job #{job.id} ({job.kind}) names no article")
    if job.kind == "run_quality_checks":
        check = load_check_request(jobs.session, article_id)
        return RunJob(job.id, job.kind, soft_limit_s, check=dataclasses.replace(
            check, provider_settings=share_quota(check.provider_settings, workers),
            checker_settings=_share_checker(check.checker_settings, workers)))
    # The first attempt of retry_article_stage starts at the stage asked for; later
    # attempts, like generate_article's, resume after the last checkpoint.
    start = job.args.get("start_stage") if job.kind == "retry_article_stage" and job.attempts == 1 else None
    request = load_run_request(jobs.session, article_id, start, job.args.get("overrides"))
    jobs.start_article(article_id, request.brief.profile.provider, request.brief.profile.model)
    return RunJob(job.id, job.kind, soft_limit_s, run=dataclasses.replace(
        request, provider_settings=share_quota(request.provider_settings, workers),
        checker_settings=_share_checker(request.checker_settings, workers)))
