"""The `copydesk` command line: global options and the sub-command registry."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from app.version import __version__

if TYPE_CHECKING:
    from rich.console import Console

    from app.context import AppContext

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """Bad input or a failed command: printed as one line, exit status 1 (or .status)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def console() -> Console:
    from rich.console import Console  # the desktop app starts through here without it

    return Console(highlight=False, soft_wrap=True)


def error_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def home_option() -> argparse.ArgumentParser:
    """--home is accepted before or after the sub-command; SUPPRESS keeps the global value."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--home", metavar="DIR", default=argparse.SUPPRESS,
                        help="data folder (database, logs, exports); default COPYDESK_HOME or the user data dir")
    return parent


# SQLite's INTEGER is 64-bit signed; a larger ID is refused before it reaches a query.
MAX_RECORD_ID = 2**63 - 1


def record_id(text: str) -> int:
    """argparse type for keyword, article and job IDs: a whole number from 1 to 2^63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ID (a whole number)") from None
    if not 1 <= value <= MAX_RECORD_ID:
        raise argparse.ArgumentTypeError(f"{text} is not an ID (IDs run from 1 to {MAX_RECORD_ID})")
    return value


def json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


# Every sub-command: the module that registers it and its one-line help. `--help` and
# `--version` read this table, so they import no sub-command module (nor SQLAlchemy);
# tests/unit/test_cli_startup.py checks it against what the modules register.
COMMANDS: dict[str, tuple[str, str]] = {
    "keywords": ("app.cli.keywords", "topics proposed for coverage"),
    "generate": ("app.cli.articles", "generate articles for approved keywords"),
    "retry": ("app.cli.articles", "run an article again from a stage"),
    "articles": ("app.cli.articles", "generated articles"),
    "worker": ("app.cli.jobs", "run the engine headless"),
    "jobs": ("app.cli.jobs", "the job queue"),
    "check": ("app.cli.quality", "re-run the quality checks on an article's text"),
    "analyze": ("app.cli.quality", "score any Markdown text against source files (bias, facts, voices, quotes)"),
    "export": ("app.cli.quality", "write a completed article to a file"),
    "demo": ("app.cli.misc", "seed a small demo newsroom (idempotent)"),
    "schedules": ("app.cli.schedules", "recurring feed polls, batches and re-checks"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with `command`'s module registered; every other command is a name and a help line."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="copydesk",
        description="Copydesk: approve topics, generate checked drafts, review before publishing. "
                    "With no command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"Copydesk {__version__}")
    parser.add_argument("--home", metavar="DIR", default=None,
                        help="data folder (database, logs, exports); default COPYDESK_HOME or the user data dir")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = home_option()
    if command in COMMANDS:
        importlib.import_module(COMMANDS[command][0]).register(commands, common)
    for name, (_module, help_text) in COMMANDS.items():
        if name not in commands.choices:
            commands.add_parser(name, parents=[common], help=help_text)
    return parser


def run(argv: list[str]) -> int:
    # No command, only perhaps --home: the desktop app, without loading every sub-command.
    home_only = argparse.ArgumentParser(add_help=False)
    home_only.add_argument("--home", default=None)
    known, rest = home_only.parse_known_args(argv)
    if not rest:
        from app.gui import run_gui

        return run_gui(known.home)
    parser = build_parser(rest[0])
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.parse_args([args.command, "--help"])
    try:
        return handler(args)
    except CommandError as error:
        error_console().print(f"copydesk: error: {error}", markup=False)
        return error.status
    except KeyboardInterrupt:
        error_console().print("copydesk: interrupted", markup=False)
        return 130
    except Exception as error:  # a bug: one line for the user, the traceback in the log
        # Loaded already if a command got as far as raising them.
        from engine.errors import EditorError
        from engine.execution.queue import QueueError
        from engine.store.db import DatabaseError

        # An error written for the editor (refused, bad input; a damaged, read-only or deleted
        # database) is one line, not a bug. The last two are not EditorErrors yet (issue 12).
        if isinstance(error, EditorError | DatabaseError | QueueError):
            error_console().print(f"copydesk: error: {error}", markup=False)
            return 1
        logging.getLogger("copydesk.cli").exception("copydesk %s failed", " ".join(argv))
        error_console().print(f"copydesk: internal error: {type(error).__name__}: {error} "
                              f"(the traceback is in the log file)", markup=False)
        return 70


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[AppContext]:
    """The data home of this invocation, its database open and migrated."""
    # Imported here: `copydesk --version` and `--help` should not pay for SQLAlchemy.
    from app.context import AppContext
    from app.paths import HomeError
    from engine.store.db import DatabaseError

    try:
        context = AppContext.open(args.home)
    except (DatabaseError, HomeError) as error:
        raise CommandError(str(error)) from None
    try:
        yield context
    finally:
        context.close()
