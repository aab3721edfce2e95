"""`copydesk worker` and `copydesk jobs ...` (what `celery worker` / `celery inspect` were)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.cli import CommandError, console, json_option, opened, print_json, record_id
from app.cli.progress import ConsoleSink
from app.cli.tables import Column, print_table
from engine.execution.queue import JobQueue, QueueError
from engine.execution.settings import EngineSettingsError, load_engine_settings
from engine.store.models import JOB_STATUSES, Job

if TYPE_CHECKING:
    from app.context import AppContext


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    worker = commands.add_parser("worker", parents=[common], help="run the engine headless")
    worker.add_argument("--until-idle", action="store_true", help="exit when no job is pending or running")
    worker.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    worker.add_argument("--slots", type=int, metavar="M", help="articles in flight per worker (default 8)")
    worker.set_defaults(handler=_worker)

    jobs = commands.add_parser("jobs", parents=[common], help="the job queue")
    sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", parents=[common], help="list jobs")
    lst.add_argument("--status", choices=JOB_STATUSES)
    json_option(lst)
    lst.set_defaults(handler=_list)
    show = sub.add_parser("show", parents=[common], help="one job with its result or traceback")
    show.add_argument("job_id", type=record_id, metavar="ID")
    json_option(show)
    show.set_defaults(handler=_show)
    cancel = sub.add_parser("cancel", parents=[common], help="cancel pending or running jobs")
    cancel.add_argument("job_ids", nargs="*", type=record_id, metavar="ID")
    cancel.add_argument("--batch", metavar="BATCH_ID", help="cancel every job of a batch")
    json_option(cancel)
    cancel.set_defaults(handler=_cancel)
    purge = sub.add_parser("purge", parents=[common], help="delete finished jobs")
    purge.add_argument("--finished-before", type=float, metavar="DAYS", help="only jobs finished over DAYS ago")
    json_option(purge)
    purge.set_defaults(handler=_purge)
    stats = sub.add_parser("stats", parents=[common], help="queue and engine statistics")
    json_option(stats)
    stats.set_defaults(handler=_stats)
    for name, paused in (("pause", True), ("resume", False)):
        control = sub.add_parser(name, parents=[common], help=f"{name} the queue")
        control.set_defaults(handler=_pause, paused=paused)
    priority = sub.add_parser("priority", parents=[common], help="change pending jobs' priority")
    priority.add_argument("priority", type=int)
    priority.add_argument("job_ids", nargs="+", type=record_id, metavar="ID")
    priority.set_defaults(handler=_priority)


def _job_dict(job: Job) -> dict:
    return {"id": job.id, "kind": job.kind, "status": job.status, "article_id": job.article_id,
            "batch_id": job.batch_id, "priority": job.priority, "attempts": job.attempts,
            "max_retries": job.max_retries, "args": job.args, "lease_owner": job.lease_owner,
            "enqueued_at": job.enqueued_at.isoformat(),
            "started_at": job.started_at.isoformat() if job.started_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None,
            "not_before": job.not_before.isoformat() if job.not_before else None,
            "result": job.result, "traceback": job.traceback}


def _worker(args: argparse.Namespace) -> int:
    from app.cli.engine_run import queue_idle, run_engine_until

    with opened(args) as context:
        try:
            settings = load_engine_settings(context.db).with_overrides(workers=args.workers, slots=args.slots)
        except EngineSettingsError as error:
            raise CommandError(str(error), status=2) from None
        done = queue_idle(context) if args.until_idle else (lambda: False)
        with ConsoleSink() as sink:
            run_engine_until(context, settings, done, sink)
    return 0


def _list(args: argparse.Namespace) -> int:
    with opened(args) as context, context.db.read() as session:
        query = select(Job).order_by(Job.id)
        if args.status:
            query = query.where(Job.status == args.status)
        rows = [_job_dict(job) for job in session.scalars(query)]
    if args.json:
        print_json(rows)
        return 0
    columns = [Column("ID", justify="right"), Column("Kind", flexible=True, min_width=12), Column("Status"),
               Column("Article", justify="right"), Column("Batch", flexible=True, min_width=8, drop=3),
               Column("Priority", justify="right", drop=2), Column("Attempts", drop=1), Column("Enqueued", drop=4)]
    print_table(console(), f"{len(rows)} job(s)", columns, [
        [str(r["id"]), r["kind"], r["status"], str(r["article_id"] or ""), r["batch_id"] or "", str(r["priority"]),
         f"{r['attempts']}/{r['max_retries'] + 1}", r["enqueued_at"][:19]] for r in rows])
    return 0


def _show(args: argparse.Namespace) -> int:
    with opened(args) as context, context.db.read() as session:
        job = session.get(Job, args.job_id)
        if job is None:
            raise CommandError(f"no job with id {args.job_id}")
        data = _job_dict(job)
    if args.json:
        print_json(data)
    else:
        for key, value in data.items():
            console().print(f"{key:>12}: {value}", markup=False)
    return 0


def _cancel(args: argparse.Namespace) -> int:
    if not args.job_ids and not args.batch:
        raise CommandError("give job ids or --batch", status=2)
    with opened(args) as context:
        queue = JobQueue(context.db)
        _require_known(context, args.job_ids)
        revoked = queue.cancel(args.job_ids) if args.job_ids else []
        if args.batch:
            revoked += queue.cancel_batch(args.batch)
    if args.json:
        print_json({"revoked": revoked})
    else:
        console().print(f"Cancelled {len(revoked)} job(s)." + ("" if revoked else " (none were pending or running)"),
                        markup=False)
    return 0


def _require_known(context: AppContext, job_ids: list[int]) -> None:
    """Bad IDs are named and nothing is changed."""
    if not job_ids:
        return
    with context.db.read() as session:
        known = set(session.scalars(select(Job.id).where(Job.id.in_(job_ids))))
    unknown = sorted(set(job_ids) - known)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise CommandError(f"no job with id{plural} {', '.join(map(str, unknown))}; nothing was changed")


def _purge(args: argparse.Namespace) -> int:
    with opened(args) as context:
        try:
            deleted = JobQueue(context.db).purge(args.finished_before)
        except QueueError as error:
            raise CommandError(str(error), status=2) from None
    if args.json:
        print_json({"deleted": deleted})
    else:
        console().print(f"Deleted {deleted} finished job(s).", markup=False)
    return 0


def _stats(args: argparse.Namespace) -> int:
    with opened(args) as context:
        stats = JobQueue(context.db).stats()
    if args.json:
        print_json(stats)
        return 0
    out = console()
    out.print("jobs: " + ", ".join(f"{k} {v}" for k, v in stats["by_status"].items()), markup=False)
    out.print("active: " + (", ".join(f"{k} {v}" for k, v in stats["active_by_kind"].items()) or "none"),
              markup=False)
    engine = stats["engine"]
    states = {"alive": "alive", "expired": "lease expired", "dead": "its process is no longer running"}
    out.print(f"queue {'paused' if stats['paused'] else 'running'}; engine "
              + (f"pid {engine['pid']} on {engine['host']} ({states[engine['state']]})" if engine else "not running"),
              markup=False)
    return 0


def _pause(args: argparse.Namespace) -> int:
    with opened(args) as context:
        JobQueue(context.db).set_paused(args.paused)
    console().print(f"Queue {'paused' if args.paused else 'resumed'}.", markup=False)
    return 0


def _priority(args: argparse.Namespace) -> int:
    with opened(args) as context:
        _require_known(context, args.job_ids)
        try:
            changed = JobQueue(context.db).set_priority(args.job_ids, args.priority)
        except QueueError as error:
            raise CommandError(str(error), status=2) from None
    console().print(f"Changed the priority of {changed} pending job(s).", markup=False)
    return 0
