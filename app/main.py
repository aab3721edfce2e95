"""Entry point of the `copydesk` command and of the packaged app."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    # First thing: a spawned worker inside a frozen bundle must not re-run the CLI. Only a frozen
    # bundle needs it, and importing multiprocessing costs every command 30 ms.
    if getattr(sys, "frozen", False):
        import multiprocessing

        multiprocessing.freeze_support()
    from app.cli import run

    return run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
