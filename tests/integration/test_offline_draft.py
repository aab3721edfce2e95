"""The offline draft of every demo story: a real lead, no repeats, quotes whole, each sentence from its source."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from engine.articles import article_detail
from engine.pipeline import offline
from engine.pipeline import outputs as out
from engine.pipeline.context import ArticleBrief, Profile, StageContext
from engine.pipeline.runner import process_article
from engine.quality.types import SourceDoc
from engine.store.db import Database
from resources import resource_path
from tests.pipeline_helpers import new_articles, seed

DEMO = json.loads(resource_path("demo", "newsroom.json").read_text(encoding="utf-8"))["keywords"]
CITED_SENTENCE = re.compile(r"(?P<text>[^\[\]]+?)\s*\[(?P<label>S\d+)\]")
DATELINE = re.compile(r"^[A-Z][A-Z .']+, [A-Z][a-z]+\.? \d{1,2}(?:, \d{4})? [-\u2013\u2014]")
AGENDA = re.compile(r"^(?:Agenda )?Item \d+", re.IGNORECASE)


def offline_draft(item: dict) -> tuple[out.Draft, dict[str, str]]:
    sources = tuple(SourceDoc(label=f"S{n}", title=s["title"], text=s["text"], url=s.get("url"))
                    for n, s in enumerate(item["sources"], start=1))
    brief = ArticleBrief(article_id=1, keyword=item["keyword"], notes=item.get("notes"), profile=Profile(),
                         sources=sources)
    outputs: dict[str, out.StageOutput] = {}
    for stage in ("keyword_analysis", "research", "perspectives", "outline", "draft"):
        ctx = StageContext(brief=brief, stage=stage, outputs=outputs, provider=None, pricing=None,
                           report=lambda *_: None, is_cancelled=lambda: False)
        outputs[stage] = getattr(offline, stage)(ctx)
    return outputs["draft"], {s.label: s.text for s in sources}


def prose_paragraphs(body: str) -> list[str]:
    return [p for p in body.split("\n\n") if p.strip() and not p.startswith("#") and p.strip() != offline.OFFLINE_NOTE]


def cited_sentences(body: str) -> list[tuple[str, str]]:
    return [(m.group("text").strip(), m.group("label"))
            for paragraph in prose_paragraphs(body) for m in CITED_SENTENCE.finditer(paragraph)]


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'")))


def assert_reads_as_news(body: str, headline: str, dek: str) -> None:
    lead = cited_sentences(body)[0][0]
    assert not AGENDA.match(lead) and not DATELINE.match(lead), lead
    assert offline.OFFLINE_NOTE in body
    texts = [text for text, _label in cited_sentences(body)]
    assert len(texts) == len(set(texts)), "a sentence appears twice"
    for text in texts:
        # Every quotation closes within its own citation: none is cut across two.
        assert text.count('"') % 2 == 0 and text.count("\u201c") == text.count("\u201d"), text
    assert not AGENDA.match(headline) and not DATELINE.match(headline)
    assert dek and dek not in lead and lead not in dek
    # Nothing uncited: every prose paragraph is made of cited sentences only.
    for paragraph in prose_paragraphs(body):
        assert CITED_SENTENCE.sub("", paragraph).strip() == "", paragraph


@pytest.mark.parametrize("item", DEMO, ids=[item["keyword"][:30] for item in DEMO])
def test_demo_draft_reads_as_news_and_cites_where_each_sentence_comes_from(item: dict) -> None:
    draft, source_texts = offline_draft(item)
    assert_reads_as_news(draft.body, draft.headline, draft.dek)
    for text, label in cited_sentences(draft.body):
        # Extractive: every word of the sentence is in the source it cites; a release's "today" becomes
        # "on <its dateline's date>", so "on" is the one word that may be new.
        missing = tokens(text) - tokens(source_texts[label]) - {"on"}
        assert not missing, f"{text!r} cites {label} but {missing} are not in it"
        assert not re.search(r"\btoday\b", text) or "today" in source_texts[label]


def test_no_figure_is_told_three_times_in_the_budget_story() -> None:
    draft, _ = offline_draft(DEMO[0])
    body = "\n".join(text for text, _label in cited_sentences(draft.body))
    for figure in ("$18.4 million", "14 additional police officers", "$412.6 million"):
        assert body.count(figure) <= 2, figure
    lead = cited_sentences(draft.body)[0][0]
    assert "5-2" in lead and "$412.6 million" in lead       # who decided what, by how much
    assert "said Walter Pruitt" in next(t for t, _ in cited_sentences(draft.body) if "officers on the street" in t)


def test_every_stored_demo_article_after_revision_still_reads_as_news(db: Database) -> None:
    for article_id in new_articles(db, seed(db)):
        assert asyncio.run(process_article(db, article_id, None)).status == "completed"
        detail = article_detail(db, article_id)
        assert_reads_as_news(detail["body"], detail["headline"], detail["dek"])


def test_a_stray_quotation_mark_neither_swallows_the_source_nor_reaches_the_draft() -> None:
    facts = ["The council voted 5-2 on June 9, 2026 to adopt the harbor plan.",
             "The plan costs $12 million over four years.", "Dredging begins in September.",
             "Member Ana Ortiz objected to the cost of the new pier.", "The state pays $4 million of it.",
             "Fishing crews asked for a second boat ramp near the market.",
             "Harbor traffic has doubled since 2019, port records show.",
             "A public hearing drew 40 speakers, most of them in favor.",
             "The final design goes to the planning board in October."] * 3
    item = {"keyword": "Council harbor plan", "sources": [
        {"title": "Minutes", "text": 'Member Lee said "the plan is late. ' + " ".join(facts)}]}
    draft, _ = offline_draft(item)
    assert_reads_as_news(draft.body, draft.headline, draft.dek)
    assert '"' not in draft.body and len(cited_sentences(draft.body)) >= 6
