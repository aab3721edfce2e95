"""`copydesk --version` and `--help` answer from a static table: no sub-command module, no SQLAlchemy."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from app.cli import COMMANDS, build_parser, home_option

PROBE = """
import sys
from app.main import main
try:
    main({argv!r})
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith(("sqlalchemy", "app.cli.", "engine", "rich")))
print("LOADED", ",".join(loaded))
"""


def loaded_modules(argv: list[str]) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                            check=True)
    line = next(line for line in result.stdout.splitlines() if line.startswith("LOADED"))
    return [name for name in line.removeprefix("LOADED ").split(",") if name]


def test_static_table_matches_what_the_modules_register() -> None:
    registered: dict[str, tuple[str, str]] = {}
    for module_name in sorted({module for module, _help in COMMANDS.values()}):
        parser = argparse.ArgumentParser()
        commands = parser.add_subparsers(dest="command")
        importlib.import_module(module_name).register(commands, home_option())
        helps = {action.dest: action.help for action in commands._choices_actions}
        registered.update({name: (module_name, helps[name]) for name in commands.choices})
    assert registered == COMMANDS


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_import_no_sub_command_module(argv: list[str]) -> None:
    assert loaded_modules(argv) == []


def test_a_command_loads_only_its_own_module() -> None:
    loaded = loaded_modules(["keywords", "--help"])
    assert "app.cli.keywords" in loaded
    assert not {"app.cli.articles", "app.cli.jobs", "app.cli.quality"} & set(loaded)


def test_help_lists_every_command() -> None:
    text = build_parser().format_help()
    assert all(name in text for name in COMMANDS)
