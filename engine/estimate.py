"""Estimated tokens and cost of a batch, before it runs (the Queue screen's confirmation).

A rough, documented model: every LLM call re-sends the shared prefix (system prompt,
brief and the keyword's sources); drafting and revision write about 1.5 tokens per
target word, the other calls a few hundred. Characters / 4 approximates tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from engine.pipeline.persist import default_provider_settings
from engine.providers.base import Usage
from engine.providers.pricing import PricingTable, cost_usd
from engine.store.db import Database
from engine.store.models import Source

# Calls per article: stages 1-6 and 11-13 ask once, stages 7-10 once per tool, stage 14 four times.
CALLS_PER_ARTICLE = 17
LONG_OUTPUT_CALLS = 2            # draft and revision
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
    articles = len(keyword_ids)
    if settings.provider == "offline" or not articles:
        return BatchEstimate(articles, settings.provider, settings.model, 0, 0, 0.0, True)
    prefix_tokens = source_chars // 4 // articles + PROMPT_OVERHEAD_TOKENS
    input_tokens = articles * CALLS_PER_ARTICLE * prefix_tokens
    long_output = int(profile.target_length * 1.5)
    output_tokens = articles * (LONG_OUTPUT_CALLS * long_output
                                + (CALLS_PER_ARTICLE - LONG_OUTPUT_CALLS) * SHORT_OUTPUT_TOKENS)
    local = settings.is_local()
    price = pricing.price(settings.model, local=local)
    cost = cost_usd(pricing, settings.model, Usage(input_tokens, output_tokens), local=local)
    return BatchEstimate(articles, settings.provider, settings.model, input_tokens, output_tokens, round(cost, 4),
                         price.known or local)
