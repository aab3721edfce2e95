"""Estimated tokens and cost of a batch, before it runs (the Queue screen's confirmation).

A rough, documented model: every LLM call re-sends the shared prefix (system prompt,
brief and the keyword's sources); drafting and revision write about 1.5 tokens per
target word, the other calls a few hundred. Characters / 4 approximates tokens.
The checking stages are priced at the checker's model when the profile names one
(engine.quality.checker): a judge makes the same calls as generation would; a
grounded fact checker gets one short request per claim (about one claim per 40
target words), twice (fact_verification and finalization), and writes one token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.pipeline.persist import checker_settings, default_provider_settings
from engine.providers.base import Usage
from engine.providers.pricing import PricingTable, cost_usd
from engine.store.db import Database
from engine.store.models import Source

# Calls per article: stages 1-6 and 11-13 ask once, stages 7-10 once per tool, stage 14 four times.
CALLS_PER_ARTICLE = 17
CHECK_CALLS = 8                  # stages 7-10 and 14: the checker's
LONG_OUTPUT_CALLS = 2            # draft and revision
WORDS_PER_CLAIM = 40
MINICHECK_REQUEST_TOKENS = 1550  # the document (at most ~1,500 tokens) and the claim
SHORT_OUTPUT_TOKENS = 400
PROMPT_OVERHEAD_TOKENS = 900     # system prompt, stage instructions, earlier outputs


@dataclass(frozen=True)
class BatchEstimate:
    articles: int
    provider: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    price_known: bool

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens


def estimate_batch(db: Database, keyword_ids: Sequence[int], pricing: PricingTable) -> BatchEstimate:
    with db.read() as session:
        defaults = default_provider_settings(session)
        assert defaults is not None
        profile, settings = defaults
        source_chars = session.scalar(select(func.coalesce(func.sum(func.length(Source.text)), 0))
                                      .where(Source.keyword_id.in_(list(keyword_ids)))) or 0
        checker = checker_settings(profile, settings)
    articles = len(keyword_ids)
    if not articles:
        return BatchEstimate(articles, settings.provider, settings.model, 0, 0, 0.0, True)
    prefix_tokens = source_chars // 4 // articles + PROMPT_OVERHEAD_TOKENS
    long_output = int(profile.target_length * 1.5)
    generation_calls = CALLS_PER_ARTICLE - CHECK_CALLS
    parts = [(settings, Usage(articles * generation_calls * prefix_tokens, articles * (
        LONG_OUTPUT_CALLS * long_output + (generation_calls - LONG_OUTPUT_CALLS) * SHORT_OUTPUT_TOKENS)))]
    check_usage = Usage(articles * CHECK_CALLS * prefix_tokens, articles * CHECK_CALLS * SHORT_OUTPUT_TOKENS)
    if checker is None:
        parts.append((settings, check_usage))
    elif checker.kind == "minicheck":
        requests = articles * 2 * max(1, profile.target_length // WORDS_PER_CLAIM)
        parts.append((checker.provider, Usage(requests * MINICHECK_REQUEST_TOKENS, requests)))
    else:
        parts.append((checker.provider, check_usage))
    input_tokens = output_tokens = 0
    cost, known = 0.0, True
    for part_settings, usage in parts:
        if part_settings.provider == "offline":
            continue
        local = part_settings.is_local()
        input_tokens += usage.input_tokens
        output_tokens += usage.output_tokens
        cost += cost_usd(pricing, part_settings.model, usage, local=local)
        known = known and (pricing.price(part_settings.model, local=local).known or local)
    return BatchEstimate(articles, settings.provider, settings.model, input_tokens, output_tokens, round(cost, 4),
                         known)
