"""`copydesk schedules ...`: recurring feed polls, batches and re-checks (engine/schedules)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from app.cli import CommandError, console, json_option, opened, print_json
from app.cli.tables import Column, print_table
from engine.errors import EditorError
from engine.schedules.book import ScheduleBook, ScheduleRow
from engine.schedules.firing import run_schedule
from engine.schedules.timing import Timing, check_cron, parse_interval, zone
from engine.store.models import SCHEDULE_KINDS, utcnow

_ARGS = ("url", "budget_usd", "max_count", "days")


def _timing_options(parser: argparse.ArgumentParser, required: bool) -> None:
    when = parser.add_mutually_exclusive_group(required=required)
    when.add_argument("--cron", metavar="EXPR", help="five-field cron expression, e.g. '0 6 * * 1-5'")
    when.add_argument("--every", metavar="INTERVAL", help="an interval: 15m, 2h, 1d (at least 1m)")
    parser.add_argument("--timezone", metavar="ZONE", help="IANA time zone the cron is read in (default UTC)")


def _kind_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="poll_feed: the RSS/Atom feed's http(s) URL")
    parser.add_argument("--budget-usd", type=float, help="generate_approved: estimated cost cap per run")
    parser.add_argument("--max-count", type=int, help="generate_approved: at most this many articles per run")
    parser.add_argument("--days", type=int, help="recheck_published: articles published in the last N days")


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    schedules = commands.add_parser("schedules", parents=[common], help="recurring feed polls, batches and re-checks")
    sub = schedules.add_subparsers(dest="schedules_command", metavar="ACTION", required=True)

    lst = sub.add_parser("list", parents=[common], help="list schedules with their next run and last outcome")
    json_option(lst)
    lst.set_defaults(handler=_list)

    add = sub.add_parser("add", parents=[common], help="add a schedule (a feed URL is fetched once to check it)")
    add.add_argument("name")
    add.add_argument("--kind", choices=SCHEDULE_KINDS, required=True)
    _kind_options(add)
    _timing_options(add, required=True)
    json_option(add)
    add.set_defaults(handler=_add)

    edit = sub.add_parser("edit", parents=[common], help="change a schedule's timing or arguments")
    edit.add_argument("schedule", metavar="NAME_OR_ID")
    edit.add_argument("--name", dest="new_name", help="rename it")
    _kind_options(edit)
    _timing_options(edit, required=False)
    json_option(edit)
    edit.set_defaults(handler=_edit)

    for action, help_text in (("pause", "stop a schedule's runs until resumed"),
                              ("resume", "run a paused schedule again, from its next time"),
                              ("remove", "delete a schedule"),
                              ("run", "run a schedule now, once (its next time is unchanged)")):
        parser = sub.add_parser(action, parents=[common], help=help_text)
        parser.add_argument("schedule", metavar="NAME_OR_ID")
        json_option(parser)
        parser.set_defaults(handler=_ACTIONS[action])


def _timing(args: argparse.Namespace, current: ScheduleRow | None = None) -> Timing | None:
    if args.cron is None and args.every is None and args.timezone is None:
        return None
    zone_name = args.timezone or (current.timezone if current else "UTC")
    zone(zone_name)
    if args.cron is not None:
        return Timing(check_cron(args.cron), None, zone_name)
    if args.every is not None:
        return Timing(None, parse_interval(args.every), zone_name)
    assert current is not None
    return Timing(current.cron, current.interval_s, zone_name)


def _kind_args(args: argparse.Namespace) -> dict[str, Any]:
    return {key: getattr(args, key) for key in _ARGS if getattr(args, key) is not None}


def _local(moment: datetime | None, zone_name: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(zone(zone_name)).strftime("%a %d %b %Y %H:%M %Z")


def _show(row: ScheduleRow, as_json: bool, verb: str) -> None:
    upcoming = row.timing.next_runs(utcnow(), 5) if row.enabled else []
    if as_json:
        print_json({**row.to_dict(), "next_runs": [moment.isoformat() for moment in upcoming]})
        return
    out = console()
    out.print(f"{verb} schedule #{row.id} {row.name!r} ({row.kind}, {row.timing.describe()}).", markup=False)
    for moment in upcoming:
        out.print(f"  next: {_local(moment, row.timezone)}", markup=False)


def _list(args: argparse.Namespace) -> int:
    with opened(args) as context:
        rows = ScheduleBook(context.db).list()
    if args.json:
        print_json([row.to_dict() for row in rows])
        return 0
    columns = [Column("ID", justify="right"), Column("Name", flexible=True, min_width=12), Column("Kind"),
               Column("When", flexible=True, min_width=10, drop=2), Column("Next run"),
               Column("Last outcome", flexible=True, min_width=12, drop=1)]
    print_table(console(), f"{len(rows)} schedule(s)", columns, [
        [str(r.id), r.name, r.kind, r.timing.describe(),
         _local(r.next_run_at, r.timezone) if r.enabled else "paused",
         f"{r.last_outcome}: {r.last_message}" if r.last_outcome else ""] for r in rows])
    return 0


def _add(args: argparse.Namespace) -> int:
    try:
        timing = _timing(args)
        assert timing is not None
        with opened(args) as context:
            row = ScheduleBook(context.db).add(args.name, args.kind, _kind_args(args), timing)
    except EditorError as error:
        raise CommandError(str(error)) from None
    _show(row, args.json, "Added")
    return 0


def _edit(args: argparse.Namespace) -> int:
    try:
        with opened(args) as context:
            book = ScheduleBook(context.db)
            current = book.get(args.schedule)
            timing = _timing(args, current)
            kind_args = _kind_args(args)
            if timing is None and not kind_args and args.new_name is None:
                raise CommandError("nothing to change: give --cron, --every, --timezone, --name or an argument")
            row = book.edit(current.id, args=kind_args or None, timing=timing, name=args.new_name)
    except EditorError as error:
        raise CommandError(str(error)) from None
    _show(row, args.json, "Changed")
    return 0


def _set_enabled(args: argparse.Namespace, enabled: bool) -> int:
    try:
        with opened(args) as context:
            row = ScheduleBook(context.db).set_enabled(args.schedule, enabled)
    except EditorError as error:
        raise CommandError(str(error)) from None
    _show(row, args.json, "Resumed" if enabled else "Paused")
    return 0


def _remove(args: argparse.Namespace) -> int:
    try:
        with opened(args) as context:
            row = ScheduleBook(context.db).remove(args.schedule)
    except EditorError as error:
        raise CommandError(str(error)) from None
    if args.json:
        print_json({"removed": row.to_dict()})
    else:
        console().print(f"Removed schedule #{row.id} {row.name!r}.", markup=False)
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        with opened(args) as context:
            row = ScheduleBook(context.db).get(args.schedule)
            outcome = run_schedule(context.db, row.id)
    except EditorError as error:
        raise CommandError(str(error)) from None
    if outcome is None:
        raise CommandError(f"schedule {row.name!r} is running now elsewhere; try again when it has finished")
    if args.json:
        print_json(outcome.to_dict())
    else:
        console().print(f"{row.name}: {'ok' if outcome.ok else 'failed'}: {outcome.message}", markup=False)
    return 0 if outcome.ok else 1


_ACTIONS = {"pause": lambda args: _set_enabled(args, False), "resume": lambda args: _set_enabled(args, True),
            "remove": _remove, "run": _run}
