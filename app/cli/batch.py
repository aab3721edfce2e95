"""`copydesk analyze --batch FILE.jsonl`: the I/O around engine.quality.batch.

stdout carries one JSON line per input line, in input order, flushed as each is
ready; stderr carries the progress bar (on a terminal only) and the summary.
Exit status 0 when every line was analysed, 1 when any line failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import stat
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from app.cli import CommandError, error_console, opened
from app.cli.articles import run_overrides
from engine.providers import make_provider
from engine.providers.base import ProviderError
from engine.quality.batch import RawLine, read_lines, run_offline, run_with_checker
from engine.quality.checker import Checker, CheckerSettings
from engine.quality.overall import QualityGates, QualityWeights

MAX_IN_FLIGHT = 64
_FAILED_LINES_SHOWN = 10


@contextmanager
def _input(name: str) -> Iterator[IO[bytes]]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        mode = os.stat(name).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):  # a device or a folder would never end
            raise CommandError(f"cannot read {name}: not a file or a pipe")
        stream = open(name, "rb")  # noqa: SIM115 - closed below, after the generator is done with it
    except OSError as error:
        raise CommandError(f"cannot read {name}: {error.strerror or error}") from None
    with stream:
        yield stream


def _progressed(lines: Iterable[RawLine], stream: IO[bytes]) -> Iterator[RawLine]:
    """The lines, with a progress bar on stderr (by bytes read when the input is a file)."""
    console = error_console()
    if not console.is_terminal:
        yield from lines
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    total = None
    if stream.seekable():
        total = stream.seek(0, 2)
        stream.seek(0)
    with Progress(TextColumn("analyzing"), BarColumn(), TextColumn("{task.fields[lines]} lines"),
                  TimeElapsedColumn(), console=console, transient=True,
                  redirect_stdout=False) as progress:  # stdout is the JSON Lines, not the bar's to reroute
        task = progress.add_task("batch", total=total, lines=0)
        for count, raw in enumerate(lines, start=1):
            yield raw
            progress.update(task, completed=stream.tell() if total is not None else None, lines=count)


def _scoring(args: argparse.Namespace) -> tuple[CheckerSettings | None, QualityGates, QualityWeights]:
    """The default profile's gates and weights, and the checker the run asks for: the checker
    options (or COPYDESK_CHECKER_*) when given, else --provider/--model, else none (offline)."""
    from engine.pipeline.persist import run_settings

    try:
        with opened(args) as context:
            chosen = run_settings(context.db, run_overrides(args))
        settings, profile = chosen.generation, chosen.profile
        checker = chosen.checker if chosen.checker_asked else None
        gates = QualityGates.from_dict(profile.quality_gates)
        weights = QualityWeights.from_dict(profile.quality_weights)
    except ProviderError as error:
        raise CommandError(str(error)) from None
    except ValueError as error:
        raise CommandError(f"the default profile's quality settings: {error}") from None
    if checker is None and args.provider:
        checker = CheckerSettings(settings)
    return (None if checker is None or checker.offline else checker), gates, weights


async def _drain(results: AsyncIterator[dict[str, Any]], write: Any, provider: Any) -> None:
    try:
        async for result in results:
            write(result)
    finally:
        await provider.aclose()


def analyze_batch(args: argparse.Namespace) -> int:
    if not 1 <= args.in_flight <= MAX_IN_FLIGHT:
        raise CommandError(f"--in-flight must be between 1 and {MAX_IN_FLIGHT}")
    checker_settings, gates, weights = _scoring(args)
    checker = None
    if checker_settings is not None:
        try:
            provider = make_provider(checker_settings.provider)
        except ProviderError as error:
            raise CommandError(str(error)) from None
        assert provider is not None
        checker = Checker(provider, checker_settings.provider.model, checker_settings.kind)
    done = 0
    failed: list[int] = []

    def write(result: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        if "error" in result:
            failed.append(result["line"])
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    with _input(args.batch) as stream:
        lines = _progressed(read_lines(stream), stream)
        if checker is None:
            for result in run_offline(lines, gates, weights):
                write(result)
        else:
            results = run_with_checker(lines, checker, gates, weights, in_flight=args.in_flight,
                                       failed=(ProviderError,))
            asyncio.run(_drain(results, write, checker.provider))
    if failed:
        shown = ", ".join(map(str, failed[:_FAILED_LINES_SHOWN])) + (", ..." if len(failed) > _FAILED_LINES_SHOWN
                                                                      else "")
        error_console().print(f"copydesk: {len(failed)} of {done} lines failed (line {shown})", markup=False)
        return 1
    if done == 0:
        error_console().print(f"copydesk: {args.batch} has no lines to analyze", markup=False)
    return 0
