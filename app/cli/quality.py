"""`copydesk check ARTICLE_ID`, `copydesk analyze FILE.md` and `copydesk export ARTICLE_ID`."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from app.cli import CommandError, console, json_option, opened, print_json, record_id
from app.cli.articles import checked_by_lines, checker_options, run_overrides
from engine.articles import article_detail
from engine.files import FileReadError, decode_text, read_capped
from engine.providers import make_provider
from engine.providers.settings import PROVIDER_NAMES
from engine.quality.presentation import checker_text, claim_next_step, score_checkers
from engine.quality.types import SourceDoc
from engine.review import EXPORT_FORMATS, write_export
from engine.source_material import source_from_file
from engine.store.models import AIArticle

MAX_ANALYZE_BYTES = 2_000_000


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    check = commands.add_parser("check", parents=[common], help="re-run the quality checks on an article's text")
    check.add_argument("article_id", type=record_id, metavar="ARTICLE_ID")
    checker_options(check)
    json_option(check)
    check.set_defaults(handler=_check)

    analyze = commands.add_parser("analyze", parents=[common],
                                  help="score any Markdown text against source files (bias, facts, voices, quotes)")
    analyze.add_argument("file", type=Path, metavar="FILE.md", nargs="?")
    analyze.add_argument("--batch", metavar="FILE.jsonl",
                         help="analyze every line of a JSON Lines file (- for stdin) in one process; writes one "
                              "JSON line per input line to stdout (see engine/quality/batch.py for the shape)")
    analyze.add_argument("--in-flight", type=int, default=8, metavar="N",
                         help="with --batch and --provider: items analysed at once (default 8)")
    analyze.add_argument("--source", type=Path, action="append", default=[], metavar="FILE",
                         help="a source file the text may cite as [S1], [S2]... (repeatable, in order)")
    analyze.add_argument("--provider", choices=PROVIDER_NAMES, help="add an LLM's analysis (default: offline only)")
    analyze.add_argument("--model", help="model for --provider")
    checker_options(analyze)
    json_option(analyze)
    analyze.set_defaults(handler=_analyze)

    export = commands.add_parser("export", parents=[common], help="write a completed article to a file")
    export.add_argument("article_id", type=record_id, metavar="ARTICLE_ID")
    export.add_argument("--format", choices=EXPORT_FORMATS, default="md")
    export.add_argument("--out", type=Path, metavar="DIR", help="folder (default: exports/ in the data home)")
    export.set_defaults(handler=_export)


async def _checked(request: Any) -> Any:
    from engine.pipeline.checks import check_provider_settings, checker_of, run_checks

    settings = check_provider_settings(request)
    provider = make_provider(settings) if settings else None
    try:
        return await run_checks(request.profile, request.body, list(request.sources), list(request.stakeholders),
                                checker_of(request, provider))
    finally:
        if provider is not None:
            await provider.aclose()


def _check(args: argparse.Namespace) -> int:
    from engine.pipeline.persist import load_check_request, store_scores

    with opened(args) as context:
        with context.db.read() as session:
            request = load_check_request(session, args.article_id, run_overrides(args))
        final = asyncio.run(_checked(request))
        with context.db.write() as session:
            article = session.get(AIArticle, args.article_id)
            assert article is not None
            store_scores(session, article, final)
        detail = article_detail(context.db, args.article_id)
    report = {key: detail[key] for key in ("id", "bias_score", "fact_check_score", "perspective_balance_score",
                                           "originality_score", "overall_quality_score", "quality_passed",
                                           "failed_gates", "quality_checkers", "claims", "findings")}
    _print_report(report, args.json)
    return 0


def _analyze(args: argparse.Namespace) -> int:
    from engine.pipeline.context import CheckRequest
    from engine.pipeline.persist import run_settings

    if args.batch is not None:
        from app.cli.batch import analyze_batch

        if args.file is not None or args.source:
            raise CommandError("--batch takes its texts and sources from the file: give no FILE.md or --source")
        return analyze_batch(args)
    if args.file is None:
        raise CommandError("give FILE.md to analyze, or --batch FILE.jsonl")
    try:
        text = decode_text(read_capped(args.file, MAX_ANALYZE_BYTES), str(args.file))
    except FileReadError as error:
        raise CommandError(f"{error}; analyze one article at a time" if "limit" in str(error) else str(error)) from None
    if not text.strip():
        raise CommandError(f"{args.file} is empty")
    sources = tuple(SourceDoc(label=f"S{n}", title=m.title, text=m.text)
                    for n, m in enumerate((source_from_file(p) for p in args.source), start=1))
    with opened(args) as context:
        chosen = run_settings(context.db, run_overrides(args))
    profile, settings = chosen.profile, chosen.generation
    checker = chosen.checker if chosen.checker_asked else None
    if not args.provider:
        settings = None   # editors' copy is checked offline unless they ask for a model or a checker
    request = CheckRequest(0, text, sources, (), profile, settings, checker)
    final = asyncio.run(_checked(request))
    findings = final.fact.findings + final.bias.findings + final.perspective.findings + final.originality.findings
    report = {
        "file": str(args.file), "sources": [{"label": s.label, "title": s.title} for s in sources],
        "bias_score": final.bias_score, "fact_check_score": final.fact_check_score,
        "perspective_balance_score": final.perspective_balance_score, "originality_score": final.originality_score,
        "overall_quality_score": final.overall_quality_score, "quality_passed": final.quality_passed,
        "failed_gates": final.failed_gates, "perspectives_covered": final.perspectives_covered,
        "quality_checkers": score_checkers(final),
        "claims": [{**c.to_dict(), "next_step": claim_next_step(c.verdict, c.evidence, c.source_label)}
                   for c in final.fact.claims],
        "findings": [f.to_dict() for f in sorted(findings, key=lambda f: (f.start, f.end))],
    }
    _print_report(report, args.json)
    return 0


def _export(args: argparse.Namespace) -> int:
    with opened(args) as context:
        try:
            path = write_export(context.db, args.article_id, args.format, args.out or context.home.exports_dir)
        except OSError as error:
            raise CommandError(f"cannot write the export: {error.strerror or error}") from None
    console().print(str(path), markup=False)
    return 0


def _print_report(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    out_ = console()
    verdict = "PASSED" if report["quality_passed"] else "FAILED: " + "; ".join(report["failed_gates"])
    out_.print(f"bias {report['bias_score']:.0f}  fact-check {report['fact_check_score']:.0f}  "
               f"perspective {report['perspective_balance_score']:.0f}  originality "
               f"{report['originality_score']:.0f}  overall {report['overall_quality_score']:.0f}  {verdict}",
               markup=False)
    for line in checked_by_lines(report.get("quality_checkers") or {}):
        out_.print(f"  {line}", markup=False)
    if report["claims"]:
        out_.print("\nClaims:", markup=False)
    for claim in report["claims"]:
        verdict_now = claim.get("effective_verdict") or claim["verdict"]
        source = f" [{claim['source_label']}]" if claim.get("source_label") else ""
        checked = checker_text(claim["checker"], claim["confidence"]) if claim.get("checker") \
            else "checker not recorded"
        out_.print(f"  {verdict_now:<13} {claim['text']}{source} ({checked})", markup=False)
        if claim.get("next_step"):
            out_.print(f"                next: {claim['next_step']}", markup=False)
    if report["findings"]:
        out_.print("\nFindings:", markup=False)
    for finding in report["findings"]:
        out_.print(f"  {finding['severity']:<6} {finding['tool']}/{finding['kind']} @{finding['start']}-"
                   f"{finding['end']} {finding['text']!r}: {finding['explanation']}", markup=False)
