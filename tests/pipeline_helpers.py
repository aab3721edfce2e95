"""Helpers shared by the pipeline, engine and GUI tests: a demo newsroom and provider settings."""

from __future__ import annotations

from sqlalchemy import select

from engine.articles import create_articles
from engine.demo import seed_demo
from engine.keywords import KeywordBook
from engine.pipeline.persist import PROVIDER_TUNING_KEY
from engine.store.db import Database
from engine.store.models import AIGenerationConfig, AppSetting, KeywordSource

# Not shaped like a real key, so only Copydesk's own redaction can hide it.
TEST_KEY = "copydesk-test-key-5b7e2d90aa41"
FAST_TUNING = {"request_timeout_s": 3.0, "max_attempts": 4, "backoff_base_s": 0.02, "backoff_cap_s": 0.1,
               "retry_after_cap_s": 2.0}


def seed(db: Database) -> list[int]:
    """The demo newsroom; returns the approved keyword ids."""
    seed_demo(KeywordBook(db))
    with db.read() as session:
        return list(session.scalars(select(KeywordSource.id).where(KeywordSource.approval_status == "approved")
                                    .order_by(KeywordSource.id)))


def new_articles(db: Database, keyword_ids: list[int]) -> list[int]:
    return create_articles(db, keyword_ids).article_ids


def use_provider(db: Database, provider: str, base_url: str | None, *, model: str | None = None,
                 target_length: int | None = None) -> None:
    """Point the default profile at a provider, with fast retries for tests."""
    with db.write() as session:
        config = session.scalar(select(AIGenerationConfig).where(AIGenerationConfig.is_default))
        assert config is not None
        config.provider = provider
        config.model = model or {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}.get(provider, "offline")
        config.base_url = base_url
        if target_length:
            config.target_length = target_length
        session.merge(AppSetting(key=PROVIDER_TUNING_KEY, value=FAST_TUNING))
