"""The demo newsroom: a dozen local-news topics with source material (resources/demo)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from engine.keywords import ImportRow, KeywordBook, SourceInput
from engine.states import KeywordStatus
from resources import resource_path


@dataclass(frozen=True)
class DemoResult:
    added: int
    approved: int
    already_present: int


def seed_demo(book: KeywordBook, editor: str = "demo") -> DemoResult:
    """Add the demo keywords that are not there yet; running it twice changes nothing."""
    data = json.loads(resource_path("demo", "newsroom.json").read_text(encoding="utf-8"))
    rows = [
        ImportRow(
            position=number,
            keyword=item["keyword"],
            priority=item.get("priority", "normal"),
            source="demo",
            notes=item.get("notes"),
            sources=[SourceInput(title=s["title"], text=s["text"], url=s.get("url")) for s in item["sources"]],
        )
        for number, item in enumerate(data["keywords"], start=1)
    ]
    report = book.add_rows(rows, fmt="text")
    approved_positions = {n for n, item in enumerate(data["keywords"], start=1) if item.get("approved")}
    to_approve = [kid for position, _kw, kid in report.added if position in approved_positions]
    if to_approve:
        book.decide(to_approve, KeywordStatus.APPROVED, editor=editor, reason="demo newsroom")
    return DemoResult(added=len(report.added), approved=len(to_approve), already_present=len(report.skipped))
