"""`copydesk demo`."""

from __future__ import annotations

import argparse

from app.cli import console, json_option, opened, print_json
from app.context import default_editor
from engine.demo import seed_demo
from engine.keywords import KeywordBook


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = commands.add_parser("demo", parents=[common], help="seed a small demo newsroom (idempotent)")
    json_option(demo)
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    with opened(args) as context:
        result = seed_demo(KeywordBook(context.db), editor=default_editor())
    if args.json:
        print_json(result.__dict__)
    else:
        console().print(f"Demo newsroom: added {result.added} keyword(s), approved {result.approved}, "
                        f"{result.already_present} already present.", markup=False)
    return 0
