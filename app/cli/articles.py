"""`copydesk generate`, `retry`, `articles list|show`."""

from __future__ import annotations

import argparse
import asyncio

from app.cli import CommandError, console, json_option, opened, print_json, record_id
from app.cli.progress import ConsoleSink
from app.cli.tables import Column, print_table
from app.context import AppContext, default_editor
from engine.articles import article_detail, list_articles
from engine.execution.settings import EngineSettings, EngineSettingsError, load_engine_settings
from engine.pipeline.names import STAGE_COUNT, STAGE_NAMES
from engine.providers import make_provider
from engine.providers.base import Provider
from engine.providers.settings import PROVIDER_NAMES
from engine.store.models import ARTICLE_STATUSES, REVIEW_STATUSES


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    generate = commands.add_parser("generate", parents=[common], help="generate articles for approved keywords")
    which = generate.add_mutually_exclusive_group(required=True)
    which.add_argument("--approved", action="store_true", help="every approved keyword")
    which.add_argument("--keyword", nargs="+", type=record_id, metavar="ID", help="these approved keywords")
    generate.add_argument("--provider", choices=PROVIDER_NAMES, help="override the profile's provider for this run")
    generate.add_argument("--model", help="override the profile's model for this run")
    generate.add_argument("--base-url", help="override the provider's base URL for this run")
    checker_options(generate)
    generate.add_argument("--wait", action="store_true",
                          help="run the engine until the batch ends; exit 0 only if every article completed")
    generate.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    generate.add_argument("--slots", type=int, metavar="M", help="articles in flight per worker (default 8)")
    json_option(generate)
    generate.set_defaults(handler=_generate)

    retry = commands.add_parser("retry", parents=[common], help="run an article again from a stage")
    retry.add_argument("article_id", type=record_id, metavar="ARTICLE_ID")
    retry.add_argument("--stage", choices=STAGE_NAMES, help="default: the stage after the last checkpoint")
    retry.add_argument("--workers", type=int, metavar="N", help="worker processes (default: one per core)")
    json_option(retry)
    retry.set_defaults(handler=_retry)

    articles = commands.add_parser("articles", parents=[common], help="generated articles")
    sub = articles.add_subparsers(dest="articles_command", metavar="ACTION", required=True)
    lst = sub.add_parser("list", parents=[common], help="list articles")
    lst.add_argument("--status", choices=ARTICLE_STATUSES)
    lst.add_argument("--review-status", choices=REVIEW_STATUSES)
    json_option(lst)
    lst.set_defaults(handler=_list)
    show = sub.add_parser("show", parents=[common], help="one article with claims, findings and stage log")
    show.add_argument("article_id", type=record_id, metavar="ID")
    json_option(show)
    show.set_defaults(handler=_show)
    # The Review screen's decisions, with the same rules (engine.operations.review).
    for name, help_text in (("approve", "approve completed articles for publication"),
                            ("reject", "reject completed articles, with a reason")):
        decide = sub.add_parser(name, parents=[common], help=help_text)
        decide.add_argument("article_ids", nargs="+", type=record_id, metavar="ID")
        decide.add_argument("--editor", default=None, help="who decides (default: the OS user name)")
        if name == "reject":
            decide.add_argument("--reason", default=None, help="why, for the record")
        json_option(decide)
        decide.set_defaults(handler=_decide, to_status=_DECISIONS[name])
    publish = sub.add_parser("publish", parents=[common], help="write an approved article into the publish folder")
    publish.add_argument("article_id", type=record_id, metavar="ID")
    publish.add_argument("--editor", default=None, help="who publishes (default: the OS user name)")
    json_option(publish)
    publish.set_defaults(handler=_publish)


_DECISIONS = {"approve": "approved", "reject": "rejected"}


def checker_options(parser: argparse.ArgumentParser) -> None:
    """--checker-provider/--checker-model/--checker-base-url/--checker-protocol (also
    COPYDESK_CHECKER_PROVIDER/_MODEL/_BASE_URL/_PROTOCOL): who runs the checking stages."""
    group = parser.add_argument_group("checker (the checking stages; default: the profile's, else the generation "
                                      "provider)")
    group.add_argument("--checker-provider", choices=PROVIDER_NAMES, help="provider of the checking stages")
    group.add_argument("--checker-model", help="e.g. bespoke-minicheck (a grounded fact checker) or any chat model")
    group.add_argument("--checker-base-url", help="e.g. http://localhost:11434/v1 for Ollama")
    # Checked by the engine (engine.quality.checker), which this module does not import at start.
    group.add_argument("--checker-protocol", metavar="{auto,minicheck,judge}",
                       help="minicheck (Document/Claim -> Yes/No), judge (an LLM with passages), "
                            "auto (minicheck when the model's name says so; default)")


def run_overrides(args: argparse.Namespace) -> dict[str, str]:
    names = ("provider", "model", "base_url", "checker_provider", "checker_model", "checker_base_url",
             "checker_protocol")
    return {name: getattr(args, name) for name in names if getattr(args, name, None)}


def preflight(context: AppContext, overrides: dict[str, str]) -> None:
    """Fail fast, in one line, on a missing key or an unreachable provider, before queueing anything."""
    from engine.pipeline.persist import run_settings

    chosen = run_settings(context.db, overrides)
    settings, checker = chosen.generation, chosen.checker
    wanted = [settings] + ([checker.provider] if checker is not None and checker.provider != settings else [])
    for provider_settings_ in wanted:
        provider = make_provider(provider_settings_)
        if provider is None:
            continue

        async def check(provider: Provider = provider) -> None:
            try:
                await provider.check_connection()
            finally:
                await provider.aclose()

        asyncio.run(check())


def checked_by_lines(quality_checkers: dict) -> list[str]:
    """'checked by: fact-check openai:bespoke-minicheck, 90 % sure; bias, perspective, originality
    offline rules' as one line per checker."""
    from engine.quality.presentation import SCORE_REPORTS, checker_text

    names = {"fact_check": "fact-check", "bias": "bias", "perspective": "perspective", "originality": "originality"}
    by_checker: dict[str, list[str]] = {}
    for score in SCORE_REPORTS:
        entry = quality_checkers.get(score)
        text = checker_text(entry.get("checker"), entry.get("confidence")) if entry else ""
        by_checker.setdefault(text, []).append(names[score])
    return [f"{', '.join(scores)} checked by {checker}" if checker else
            f"{', '.join(scores)}: checker not recorded (run `copydesk check` to record it)"
            for checker, scores in by_checker.items()]


def engine_settings(context: AppContext, args: argparse.Namespace) -> EngineSettings:
    try:
        return load_engine_settings(context.db).with_overrides(workers=getattr(args, "workers", None),
                                                               slots=getattr(args, "slots", None))
    except EngineSettingsError as error:
        raise CommandError(str(error), status=2) from None


def _print_results(rows: list[dict], as_json: bool, extra: dict | None = None) -> None:
    if as_json:
        print_json({**(extra or {}), "articles": rows} if extra is not None else rows)
        return
    out = console()
    for row in rows:
        scores = (f"overall {row['overall_quality_score']:.0f}, {'passed' if row['quality_passed'] else 'failed'}"
                  if row["overall_quality_score"] is not None else "")
        problem = f" - {row['error_log'].splitlines()[-1]}" if row["status"] != "completed" and row["error_log"] else ""
        out.print(f"#{row['id']} {row['keyword']}: {row['status']} {scores}{problem}", markup=False)


def _generate(args: argparse.Namespace) -> int:
    # The engine and the pipeline load only for the commands that run them (a faster CLI).
    from app.cli.engine_run import batch_done, run_engine_until
    from engine.operations import generation

    overrides = run_overrides(args)
    with opened(args) as context:
        # "Approved" means waiting for an article: run twice, it queues each keyword once.
        keyword_ids = generation.require_waiting_keywords(context.db) if args.approved else args.keyword
        settings = engine_settings(context, args)
        preflight(context, overrides)    # a ProviderError is one line (app.cli.run)
        batch = generation.generate(context.db, keyword_ids, settings, overrides=overrides)
        if not batch.article_ids:
            raise CommandError("; ".join(e["error"] for e in batch.errors))
        if not args.wait:
            if args.json:
                print_json(batch.to_dict())
            else:
                console().print(f"Queued {batch.created} article(s) in batch {batch.batch_id} "
                                f"({batch.failed} keyword(s) refused). Run `copydesk worker` or open the app "
                                f"to generate them.", markup=False)
                for error in batch.errors:
                    console().print(f"  keyword #{error['keyword_id']}: {error['error']}", markup=False)
            return 0 if batch.failed == 0 else 1
        with ConsoleSink(quiet=args.json) as sink:
            run_engine_until(context, settings, batch_done(context, batch.batch_id), sink)
        rows = list_articles(context.db, ids=batch.article_ids)
    _print_results(rows, args.json, batch.to_dict())
    return 0 if batch.failed == 0 and all(r["status"] == "completed" for r in rows) else 1


def _retry(args: argparse.Namespace) -> int:
    from app.cli.engine_run import jobs_done, run_engine_until
    from engine.operations import generation

    with opened(args) as context:
        settings = engine_settings(context, args)
        job_id = generation.retry(context.db, args.article_id, settings, args.stage)   # refusals: one line
        with ConsoleSink(quiet=args.json) as sink:
            run_engine_until(context, settings, jobs_done(context, [job_id]), sink)
        rows = list_articles(context.db, ids=[args.article_id])
    _print_results(rows, args.json)
    return 0 if rows and rows[0]["status"] == "completed" else 1


def _list(args: argparse.Namespace) -> int:
    with opened(args) as context:
        rows = list_articles(context.db, status=args.status, review_status=args.review_status)
    if args.json:
        print_json(rows)
        return 0
    columns = [Column("ID", justify="right"), Column("Keyword", flexible=True, min_width=24), Column("Status"),
               Column("Review", drop=4), Column("Stage", drop=6), Column("Bias", justify="right", drop=3),
               Column("Facts", justify="right", drop=3), Column("Persp.", justify="right", drop=3),
               Column("Overall", justify="right"), Column("Pass", drop=5),
               Column("Retries", justify="right", drop=8), Column("Tokens", justify="right", drop=7),
               Column("Cost", justify="right", drop=7)]

    def score(value: float | None) -> str:
        return "" if value is None else f"{value:.0f}"

    cells = []
    for r in rows:
        stage = f"{r['current_stage_index']}/{STAGE_COUNT} {r['current_stage'] or ''}"
        passed = "" if r["quality_passed"] is None else ("yes" if r["quality_passed"] else "no")
        cells.append([str(r["id"]), r["keyword"], r["status"], r["review_status"], stage, score(r["bias_score"]),
                      score(r["fact_check_score"]), score(r["perspective_balance_score"]),
                      score(r["overall_quality_score"]), passed, str(r["retry_count"]),
                      f"{r['tokens_in'] + r['tokens_out']:,}", f"${r['cost_usd']:.4f}"])
    print_table(console(), f"{len(rows)} article(s)", columns, cells)
    return 0


def _show(args: argparse.Namespace) -> int:
    from engine.quality.presentation import checker_text

    with opened(args) as context:
        data = article_detail(context.db, args.article_id)
    if args.json:
        print_json(data)
        return 0
    out = console()
    out.print(f"#{data['id']} {data['headline'] or data['keyword']}", markup=False, style="bold")
    if data["dek"]:
        out.print(data["dek"], markup=False, style="italic")
    out.print(f"status {data['status']}, review {data['review_status']}, stage {data['current_stage']}, "
              f"retries {data['retry_count']}", markup=False)
    if data["overall_quality_score"] is not None:
        out.print(f"bias {data['bias_score']:.0f}  fact-check {data['fact_check_score']:.0f}  "
                  f"perspective {data['perspective_balance_score']:.0f}  originality {data['originality_score']:.0f}"
                  f"  overall {data['overall_quality_score']:.0f}"
                  f"  {'PASSED' if data['quality_passed'] else 'FAILED: ' + '; '.join(data['failed_gates'])}",
                  markup=False)
        for line in checked_by_lines(data.get("quality_checkers") or {}):
            out.print(f"  {line}", markup=False)
    if data["body"]:
        out.print("\n" + data["body"], markup=False)
    for claim in data["claims"]:
        source = f" [{claim['source_label']}]" if claim["source_label"] else ""
        checked = checker_text(claim["checker"], claim["confidence"]) if claim["checker"] else "checker not recorded"
        out.print(f"  [{claim['effective_verdict']}] {claim['text']}{source} ({checked})", markup=False)
        if claim["next_step"]:
            out.print(f"      next: {claim['next_step']}", markup=False)
    for finding in data["findings"]:
        out.print(f"  {finding['tool']}/{finding['kind']} @{finding['start']}-{finding['end']} "
                  f"{finding['text']!r}: {finding['explanation']}", markup=False)
    for entry in data["stage_log"]:
        out.print(f"  {entry['index']:>2} {entry['stage']:<22} {entry['status']:<9} {entry['duration_s']:.2f}s "
                  f"{entry['model'] or ''} {entry['tokens_in'] + entry['tokens_out']} tok"
                  + (f"  {entry['error']}" if entry["error"] else ""), markup=False)
    if data["error_log"]:
        out.print("errors:\n" + data["error_log"], markup=False)
    return 0


def _decide(args: argparse.Namespace) -> int:
    from engine.operations import review

    editor = args.editor or default_editor()
    decided = []
    with opened(args) as context:
        for article_id in args.article_ids:     # a refusal is one line (app.cli.run); earlier ones stand
            previous = review.decide(context.db, article_id, args.to_status, editor=editor,
                                     reason=getattr(args, "reason", None))
            decided.append({"article_id": article_id, "from": previous, "to": args.to_status})
            if not args.json:
                console().print(f"#{article_id}: {previous.replace('_', ' ')} -> {args.to_status.replace('_', ' ')}"
                                f" by {editor}", markup=False)
    if args.json:
        print_json({"decided": decided, "editor": editor})
    return 0


def _publish(args: argparse.Namespace) -> int:
    from engine.operations import review

    editor = args.editor or default_editor()
    with opened(args) as context:
        folder = review.publish_folder(context.db, context.home.exports_dir)
        path = review.publish(context.db, args.article_id, folder, editor=editor)
    if args.json:
        print_json({"article_id": args.article_id, "path": str(path), "editor": editor})
    else:
        console().print(f"Published #{args.article_id} to {path}", markup=False)
    return 0
