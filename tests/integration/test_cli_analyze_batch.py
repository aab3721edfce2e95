"""`copydesk analyze --batch` through the real command: JSON Lines in and out, bad lines
reported in place, offline and against the fake LLM server."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import CLI, REPO
from tests.fakes.llm_server import FakeLLMServer
from tests.pipeline_helpers import TEST_KEY

OUTPUT_KEYS = {"id", "bias_score", "fact_check_score", "perspective_balance_score", "overall_quality_score",
               "passed", "checker", "claims", "findings"}
MINUTES = {"title": "Council minutes", "text": "The council voted 5-2 on June 4 to delay the budget. "
           "The library will open on Sundays from March.", "url": "https://example.org/minutes"}
CONTRADICTED = {"id": "vote", "text": "The council voted 6-1 on June 4 to delay the budget [S1]. This disastrous "
                "plan will obviously hurt everyone.", "sources": [MINUTES]}
GIVEN_CLAIM = {"id": 2, "text": "# Library\n\nThe library will open on Sundays from March.", "sources": [MINUTES],
               "claims": ["The library will open on Sundays from March."], "label": "ignored"}


def _write(path: Path, lines: list[Any]) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def _lines(stdout: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_every_line_gets_its_object_in_order_and_bad_lines_say_why(cli: CLI, tmp_path: Path) -> None:
    batch = _write(tmp_path / "batch.jsonl", [
        CONTRADICTED,
        "{not json",
        {"id": "no-sources", "text": "Hello."},
        "",   # blank lines are not items
        {"id": "typed", "text": "Hello.", "sources": [{"title": "t", "text": 5}]},
        [1, 2],
        {"text": "No id.", "sources": []},
        {"id": "claims", "text": "Hello.", "sources": [], "claims": "not a list"},
        GIVEN_CLAIM,
    ])
    result = cli("analyze", "--batch", str(batch))
    assert result.returncode == 1
    out = _lines(result.stdout)
    assert [o.get("id") for o in out] == ["vote", None, "no-sources", "typed", None, None, "claims", 2]
    errors = [o for o in out if "error" in o]
    assert [e["line"] for e in errors] == [2, 3, 5, 6, 7, 8]
    assert all(set(e) <= {"line", "id", "error"} and "\n" not in e["error"] for e in errors)
    by_line = {e["line"]: e["error"] for e in errors}
    assert "not JSON" in by_line[2] and '"sources"' in by_line[3] and "sources[0]" in by_line[5]
    assert "object" in by_line[6] and '"id"' in by_line[7] and '"claims"' in by_line[8]
    assert "6 of 8 lines failed" in result.stderr and result.stderr.count("\n") == 1

    vote, given = out[0], out[-1]
    assert set(vote) == set(given) == OUTPUT_KEYS
    assert vote["checker"] == "offline rules" and vote["passed"] is False
    assert [(c["verdict"], c["source"]) for c in vote["claims"]] == [("contradicted", "S1")]
    assert all(set(c) == {"text", "verdict", "confidence", "evidence", "source"} for c in vote["claims"])
    assert {"disastrous", "obviously"} <= {f["text"] for f in vote["findings"]}
    assert all(set(f) == {"tool", "kind", "start", "end", "text", "explanation"} for f in vote["findings"])
    assert all(CONTRADICTED["text"][f["start"]:f["end"]] == f["text"] for f in vote["findings"])
    # The given claim is checked instead of extracted ones, and its source is named by position.
    assert [(c["text"], c["verdict"], c["source"]) for c in given["claims"]] == [
        ("The library will open on Sundays from March.", "supported", "S1")]
    # The batch agrees with analyzing the same text on its own.
    article, minutes = tmp_path / "vote.md", tmp_path / "minutes.txt"
    article.write_text(CONTRADICTED["text"], encoding="utf-8")
    minutes.write_text(MINUTES["text"], encoding="utf-8")
    single = cli.json("analyze", str(article), "--source", str(minutes))
    assert (single["bias_score"], single["fact_check_score"], single["overall_quality_score"]) == (
        vote["bias_score"], vote["fact_check_score"], vote["overall_quality_score"])


def test_stdin_all_good_exits_zero(home: Path) -> None:
    lines = "".join(json.dumps({**GIVEN_CLAIM, "id": f"item-{n}"}) + "\n" for n in range(30))
    result = subprocess.run([sys.executable, "-m", "app", "--home", str(home), "analyze", "--batch", "-", "--json"],
                            input=lines, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [o["id"] for o in _lines(result.stdout)] == [f"item-{n}" for n in range(30)]
    assert result.stderr == ""   # no progress bar when stderr is not a terminal


def test_oversized_line_is_skipped_and_the_run_goes_on(cli: CLI, tmp_path: Path) -> None:
    batch = tmp_path / "big.jsonl"
    with batch.open("w", encoding="utf-8") as f:
        f.write(json.dumps({"id": "huge", "text": "x" * (21 * 1024 * 1024), "sources": []}) + "\n")
        f.write(json.dumps({"id": "long-text", "text": "Word. " * 400_000, "sources": []}) + "\n")
        f.write(json.dumps(GIVEN_CLAIM) + "\n")
    result = cli("analyze", "--batch", str(batch))
    assert result.returncode == 1
    out = _lines(result.stdout)
    assert out[0] == {"line": 1, "error": "the line is longer than 20 MB"}
    assert out[1]["line"] == 2 and out[1]["id"] == "long-text" and "longer than 2,000,000" in out[1]["error"]
    assert out[2]["id"] == 2 and out[2]["claims"][0]["verdict"] == "supported"


def test_bad_invocations_change_nothing_and_say_why(cli: CLI, tmp_path: Path) -> None:
    missing = cli("analyze", "--batch", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr and missing.stdout == ""
    for not_a_file in ("/dev/zero", str(tmp_path)):
        refused = cli("analyze", "--batch", not_a_file)
        assert refused.returncode == 1 and "not a file or a pipe" in refused.stderr and refused.stdout == ""
    both = cli("analyze", str(tmp_path / "a.md"), "--batch", str(tmp_path / "nope.jsonl"))
    assert both.returncode == 1 and "--batch" in both.stderr
    neither = cli("analyze")
    assert neither.returncode == 1 and "FILE.md" in neither.stderr
    empty = _write(tmp_path / "empty.jsonl", [""])
    result = cli("analyze", "--batch", str(empty))
    assert result.returncode == 0 and result.stdout == "" and "no lines" in result.stderr


def test_provider_path_against_the_fake_server(cli: CLI, tmp_path: Path) -> None:
    items = [{**CONTRADICTED, "id": f"v{n}"} if n % 2 else {**GIVEN_CLAIM, "id": f"g{n}"} for n in range(12)]
    batch = _write(tmp_path / "batch.jsonl", [*items[:5], "[]", *items[5:]])
    with FakeLLMServer(seed=5, latency_s=0.05) as fake:
        env = {"OPENAI_API_KEY": TEST_KEY, "COPYDESK_BASE_URL": fake.url_openai}
        result = cli("analyze", "--batch", str(batch), "--provider", "openai", "--model", "checker-1",
                     "--in-flight", "3", env=env)
        stages = {r.stage for r in fake.requests}
        models = {r.model for r in fake.requests}
    assert result.returncode == 1 and "1 of 13 lines failed (line 6)" in result.stderr
    out = _lines(result.stdout)
    assert [o.get("id") for o in out] == [i["id"] for i in items[:5]] + [None] + [i["id"] for i in items[5:]]
    analysed = [o for o in out if "error" not in o]
    assert all(set(o) == OUTPUT_KEYS and o["checker"] == "openai:checker-1" for o in analysed)
    # Four requests per item (bias, perspective, originality findings; claim verdicts), all to the asked model.
    assert {"fact_verification", "bias_detection", "perspective_analysis", "originality_check"} <= stages
    assert models == {"checker-1"}
    for o in analysed:
        text = next(i["text"] for i in items if i["id"] == o["id"])
        assert all(text[f["start"]:f["end"]] == f["text"] for f in o["findings"])


def test_a_grounded_checker_from_the_environment_checks_the_claims(cli: CLI, tmp_path: Path) -> None:
    batch = _write(tmp_path / "batch.jsonl", [GIVEN_CLAIM, CONTRADICTED])
    with FakeLLMServer(seed=2) as fake:
        env = {"COPYDESK_CHECKER_PROVIDER": "openai", "COPYDESK_CHECKER_MODEL": "bespoke-minicheck",
               "COPYDESK_CHECKER_BASE_URL": fake.url_openai}
        result = cli("analyze", "--batch", str(batch), env=env)
        stages = {r.stage for r in fake.requests}
    assert result.returncode == 0, result.stderr
    given, contradicted = _lines(result.stdout)
    assert given["checker"] == contradicted["checker"] == "openai:bespoke-minicheck"
    assert [c["verdict"] for c in given["claims"]] == ["supported"]   # every claim word is in the document
    assert [c["verdict"] for c in contradicted["claims"]] != ["supported"]   # "6-1" is not
    assert stages == {"fact_verification"}   # a fact checker only: bias and the rest stay offline
    assert {"disastrous", "obviously"} <= {f["text"] for f in contradicted["findings"]}


def test_provider_errors_fail_their_line_only(cli: CLI, tmp_path: Path) -> None:
    batch = _write(tmp_path / "batch.jsonl", [{**CONTRADICTED, "id": "a"}, {**CONTRADICTED, "id": "b"}])
    with FakeLLMServer(seed=1) as fake:
        # The first item's verdict request and its repair attempt are answered with JSON that does not parse.
        fake.add_fault("malformed_json", times=2, stage="fact_verification")
        env = {"OPENAI_API_KEY": TEST_KEY, "COPYDESK_BASE_URL": fake.url_openai}
        result = cli("analyze", "--batch", str(batch), "--provider", "openai", "--in-flight", "1", env=env)
    first, second = _lines(result.stdout)
    assert result.returncode == 1 and "1 of 2 lines failed (line 1)" in result.stderr
    assert (first["line"], first["id"]) == (1, "a") and "LLMClaimVerdicts" in first["error"]
    assert "\n" not in first["error"]
    assert second["id"] == "b" and second["checker"] == "openai:gpt-4o-mini"


def test_on_a_terminal_the_progress_bar_goes_to_stderr_and_stdout_keeps_every_line(home: Path,
                                                                                   tmp_path: Path) -> None:
    batch = _write(tmp_path / "batch.jsonl", [{**GIVEN_CLAIM, "id": f"item-{n}"} for n in range(40)])
    out_path = tmp_path / "out.jsonl"
    controller, terminal = pty.openpty()
    with out_path.open("w", encoding="utf-8") as out:
        process = subprocess.Popen([sys.executable, "-m", "app", "--home", str(home), "analyze", "--batch",
                                    str(batch)], stdout=out, stderr=terminal, cwd=REPO)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:   # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0
    assert [o["id"] for o in _lines(out_path.read_text(encoding="utf-8"))] == [f"item-{n}" for n in range(40)]
    assert b"analyzing" in shown and b"40 lines" in shown and b'"id"' not in shown
