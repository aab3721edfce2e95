"""The command line refuses an engine setting out of range in one line naming it, and changes nothing."""

from __future__ import annotations

from tests.conftest import CLI


def test_an_engine_setting_out_of_range_is_one_line_naming_it(cli: CLI) -> None:
    cli("keywords", "add", "Water rates", check=True)
    for flag, value, reason in (("--workers", "0", "workers: 1 to 64 worker processes"),
                                ("--slots", "999", "slots: 1 to 256 jobs per process")):
        result = cli("worker", "--until-idle", flag, value)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [f"copydesk: error: invalid engine setting {reason}"]
    assert cli.json("jobs", "list") == []          # nothing was queued or run
