"""`copydesk keywords ...`: add, import, list, approve, reject, sources."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import CommandError, console, json_option, opened, print_json, record_id
from app.cli.tables import Column, print_table
from app.context import default_editor
from engine.keywords import (
    ImportFileError,
    ImportReport,
    KeywordBook,
    SourceInput,
)
from engine.operations import keywords as keyword_operations
from engine.store.models import APPROVAL_STATUSES, PRIORITIES


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    keywords = commands.add_parser("keywords", parents=[common], help="topics proposed for coverage")
    sub = keywords.add_subparsers(dest="keywords_command", metavar="ACTION", required=True)

    add = sub.add_parser("add", parents=[common], help="add one or more keywords")
    add.add_argument("texts", nargs="+", metavar="TEXT")
    add.add_argument("--priority", choices=PRIORITIES, default="normal")
    add.add_argument("--source", default="manual", help="where the topic came from (default: manual)")
    add.add_argument("--notes")
    json_option(add)
    add.set_defaults(handler=_add)

    imp = sub.add_parser("import", parents=[common], help="import a CSV, plain-text or RSS/Atom file")
    imp.add_argument("file", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="report what would happen, change nothing")
    json_option(imp)
    imp.set_defaults(handler=_import)

    lst = sub.add_parser("list", parents=[common], help="list keywords")
    lst.add_argument("--status", choices=APPROVAL_STATUSES)
    lst.add_argument("--search", metavar="TEXT")
    json_option(lst)
    lst.set_defaults(handler=_list)

    approve = sub.add_parser("approve", parents=[common], help="approve keywords for generation")
    approve.add_argument("ids", nargs="*", type=record_id, metavar="ID")
    approve.add_argument("--all-pending", action="store_true", help="approve every pending keyword")
    approve.add_argument("--editor", default=None, help="who decides (default: the OS user name)")
    json_option(approve)
    approve.set_defaults(handler=_approve)

    reject = sub.add_parser("reject", parents=[common], help="reject keywords")
    reject.add_argument("ids", nargs="+", type=record_id, metavar="ID")
    reject.add_argument("--reason")
    reject.add_argument("--editor", default=None, help="who decides (default: the OS user name)")
    json_option(reject)
    reject.set_defaults(handler=_reject)

    sources = sub.add_parser("sources", parents=[common], help="source material attached to a keyword")
    sources_sub = sources.add_subparsers(dest="sources_command", metavar="ACTION", required=True)
    src_add = sources_sub.add_parser("add", parents=[common], help="attach a URL, a file or pasted text")
    src_add.add_argument("id", type=record_id, metavar="ID")
    what = src_add.add_mutually_exclusive_group(required=True)
    what.add_argument("--url")
    what.add_argument("--file", type=Path)
    what.add_argument("--text")
    src_add.add_argument("--title")
    json_option(src_add)
    src_add.set_defaults(handler=_source_add)
    src_list = sources_sub.add_parser("list", parents=[common], help="list a keyword's sources")
    src_list.add_argument("id", type=record_id, metavar="ID")
    json_option(src_list)
    src_list.set_defaults(handler=_source_list)


def print_import_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report.to_dict())
        return
    out = console()
    verb = "Would add" if report.dry_run else "Added"
    out.print(f"{verb} {len(report.added)}, skipped {len(report.skipped)}, "
              f"rejected {len(report.rejected)} ({report.format}).", markup=False)
    for problem in report.skipped:
        out.print(f"  skipped {report.unit} {problem.position}: {problem.text!r}: {problem.reason}", markup=False)
    for problem in report.rejected:
        out.print(f"  rejected {report.unit} {problem.position}: {problem.text!r}: {problem.reason}", markup=False)
    for note in report.notes:
        out.print(f"  note {report.unit} {note.position}: {note.text!r}: {note.reason}", markup=False)


def _add(args: argparse.Namespace) -> int:
    with opened(args) as context:
        report = KeywordBook(context.db).add(args.texts, priority=args.priority, source=args.source,
                                             notes=args.notes)
    print_import_report(report, args.json)
    return 1 if report.rejected and not report.added else 0


def _import(args: argparse.Namespace) -> int:
    with opened(args) as context:
        try:
            report = KeywordBook(context.db).import_file(args.file, dry_run=args.dry_run)
        except ImportFileError as error:
            raise CommandError(f"{args.file}: {error}") from None
    print_import_report(report, args.json)
    return 0


def _list(args: argparse.Namespace) -> int:
    with opened(args) as context:
        rows = KeywordBook(context.db).list(status=args.status, search=args.search)
    if args.json:
        print_json([row.to_dict() for row in rows])
        return 0
    columns = [Column("ID", justify="right"), Column("Keyword", flexible=True, min_width=30), Column("Priority", drop=3),
               Column("Status"), Column("Decided by", drop=2), Column("Sources", justify="right", drop=1),
               Column("Source", flexible=True, min_width=8, drop=4)]
    print_table(console(), f"{len(rows)} keyword(s)", columns, [
        [str(row.id), row.keyword, row.priority, row.approval_status, row.decided_by or "", str(row.source_count),
         row.source] for row in rows])
    return 0


def _decide(args: argparse.Namespace, ids: list[int], to_status: str, reason: str | None) -> int:
    editor = args.editor or default_editor()
    with opened(args) as context:
        book = KeywordBook(context.db)
        if getattr(args, "all_pending", False):
            ids = book.pending_ids()
        outcome = keyword_operations.decide(book, ids, to_status, editor=editor, reason=reason)
        decisions, missing = outcome.decisions, outcome.missing
    if args.json:
        decided = [{"keyword_id": d.keyword_id, "keyword": d.keyword, "from_status": d.from_status,
                    "to_status": d.to_status} for d in decisions]
        print_json({"decided": decided, "missing": list(missing), "editor": editor})
    else:
        out = console()
        for decision in decisions:
            again = " (re-decided)" if decision.from_status != "pending" else ""
            out.print(f"#{decision.keyword_id} {decision.keyword}: {decision.from_status} -> "
                      f"{decision.to_status}{again}", markup=False)
        out.print(f"{len(decisions)} keyword(s) {to_status} by {editor}.", markup=False)
    if missing:
        raise CommandError(f"no keyword with id {', '.join(map(str, missing))}")
    return 0


def _approve(args: argparse.Namespace) -> int:
    if not args.ids and not args.all_pending:
        raise CommandError("give keyword ids or --all-pending", status=2)
    if args.ids and args.all_pending:
        raise CommandError("give keyword ids or --all-pending, not both", status=2)
    return _decide(args, args.ids, "approved", None)


def _reject(args: argparse.Namespace) -> int:
    return _decide(args, args.ids, "rejected", args.reason)


def _source_add(args: argparse.Namespace) -> int:
    # Here, not at the top: urllib.request costs every other keywords command 25 ms.
    from engine.source_material import source_from_file, source_from_url

    if args.url:
        material = source_from_url(args.url, title=args.title)
    elif args.file:
        material = source_from_file(args.file, title=args.title)
    else:
        material = SourceInput(title=args.title or args.text.strip()[:60], text=args.text.strip())
    with opened(args) as context:
        source_id = KeywordBook(context.db).add_source(args.id, material)
    if args.json:
        print_json({"id": source_id, "keyword_id": args.id, "title": material.title, "url": material.url,
                    "chars": len(material.text)})
    else:
        console().print(f"Attached source #{source_id} ({len(material.text):,} characters) to keyword #{args.id}.",
                        markup=False)
    return 0


def _source_list(args: argparse.Namespace) -> int:
    with opened(args) as context:
        book = KeywordBook(context.db)
        if not book.list(ids=[args.id]):
            raise CommandError(f"no keyword with id {args.id}")
        sources = book.sources(args.id)
    if args.json:
        print_json(sources)
        return 0
    for index, source in enumerate(sources, start=1):
        console().print(f"[S{index}] #{source['id']} {source['title']} {source['url'] or ''} "
                        f"({len(source['text']):,} chars)", markup=False)
    return 0
