"""The checker's settings (profile, environment, command line), its protocol, its confidence,
and what an editor is told about each verdict."""

from __future__ import annotations

import math

import pytest

from engine.pipeline.context import Profile
from engine.pipeline.persist import checker_settings, provider_settings
from engine.providers.base import ProviderConfigError
from engine.quality.checker import CheckerSettings, protocol_for
from engine.quality.minicheck import answer_confidence, minicheck_prompt
from engine.quality.presentation import checker_text, checks_summary, claim_next_step
from engine.quality.types import OFFLINE_CHECKER

GENERATION = Profile(provider="openai", model="gpt-4o-mini", base_url="http://localhost:8080/v1")


def resolve(profile: Profile = GENERATION, overrides: dict | None = None, environ: dict | None = None):
    _profile, settings = provider_settings(profile, overrides, environ=environ or {})
    return checker_settings(profile, settings, overrides, environ=environ or {})


def test_nothing_set_means_the_generation_provider_checks() -> None:
    assert resolve() is None


def test_profile_environment_and_command_line_in_that_order() -> None:
    profile = Profile(checker={"provider": "openai", "model": "bespoke-minicheck",
                               "base_url": "http://localhost:11434/v1"})
    checker = resolve(profile)
    assert checker is not None and (checker.kind, checker.name) == ("minicheck", "openai:bespoke-minicheck")
    assert checker.provider.base_url == "http://localhost:11434/v1"
    env = {"COPYDESK_CHECKER_MODEL": "llama3.1:8b"}
    assert resolve(profile, environ=env).name == "openai:llama3.1:8b"
    assert resolve(profile, environ=env).kind == "judge"
    overrides = {"checker_model": "bespoke-minicheck:7b", "checker_protocol": "minicheck"}
    assert resolve(profile, overrides, env).provider.model == "bespoke-minicheck:7b"


def test_a_checker_on_the_generation_provider_keeps_its_server() -> None:
    checker = resolve(overrides={"checker_model": "bespoke-minicheck"})
    assert checker.provider.base_url == GENERATION.base_url and checker.provider.provider == "openai"
    other = resolve(overrides={"checker_provider": "anthropic"})
    assert (other.provider.model, other.provider.base_url) == ("claude-sonnet-4-5", None)
    assert resolve(overrides={"checker_provider": "offline"}).name == OFFLINE_CHECKER


def test_checker_overrides_do_not_touch_generation() -> None:
    _profile, settings = provider_settings(GENERATION, {"checker_provider": "anthropic", "checker_model": "x"},
                                           environ={})
    assert (settings.provider, settings.model) == ("openai", "gpt-4o-mini")


@pytest.mark.parametrize("overrides, message", [
    ({"checker_protocol": "telepathy"}, "Checker: checker protocol must be one of auto, minicheck, judge"),
    ({"checker_provider": "ollama"}, "Checker: Unknown provider 'ollama'"),
])
def test_bad_checker_settings_are_one_line(overrides: dict, message: str) -> None:
    with pytest.raises(ProviderConfigError) as caught:
        resolve(overrides=overrides)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_protocol_from_the_models_name() -> None:
    assert protocol_for("bespoke-minicheck") == "minicheck"
    assert protocol_for("Bespoke-MiniCheck-7B") == "minicheck"
    assert protocol_for("gpt-4o-mini") == "judge"
    assert protocol_for("gpt-4o-mini", "minicheck") == "minicheck"
    assert CheckerSettings.of().kind == "offline"


def test_confidence_from_the_first_tokens_logprobs() -> None:
    logprobs = {"Yes": math.log(0.6), "No": math.log(0.2), " yes": math.log(0.1), "The": math.log(0.1)}
    assert answer_confidence("yes", logprobs) == pytest.approx(0.7 / 0.9, abs=1e-3)
    assert answer_confidence("no", logprobs) == pytest.approx(0.2 / 0.9, abs=1e-3)
    assert answer_confidence("yes", None) is None
    assert answer_confidence("yes", {"Maybe": 0.0}) is None


def test_the_minicheck_prompt_is_the_models_own() -> None:
    assert minicheck_prompt("  The council met.\n", "It met. ") == "Document: The council met.\nClaim: It met."


def test_an_unconfirmed_claim_says_what_to_do_next() -> None:
    assert claim_next_step("supported", "The council met.", "S1") == ""
    assert claim_next_step("unverifiable", None, None) == "Add a source that states this, or cut the claim."
    assert claim_next_step("unverifiable", "The council met on Monday.", "S2") == (
        "Check against S2: the closest passage says \u201cThe council met on Monday\u201d. "
        "Add a source that states this, or cut the claim.")
    contradicted = claim_next_step("contradicted", "The motion carried 5-2. " * 20, "S1")
    assert contradicted.startswith("Check against S1: it says \u201cThe motion carried 5-2.")
    assert "\u2026\u201d. Correct the claim or cut it." in contradicted
    assert checker_text("openai:bespoke-minicheck", 0.904) == "openai:bespoke-minicheck, 90 % sure"
    assert checker_text(None) == OFFLINE_CHECKER


def test_checks_summary_for_the_exports() -> None:
    data = {"fact_check_score": 50.0, "bias_score": 0.0, "perspective_balance_score": 70.0, "originality_score": 0.0,
            "overall_quality_score": 48.0, "quality_passed": False, "failed_gates": ["originality_score 0 < 40"],
            "quality_checkers": {"fact_check": {"checker": "openai:bespoke-minicheck", "confidence": 0.9}},
            "claims": [{"effective_verdict": "unverifiable", "text": "A pool by 2028.", "checker": "openai:m",
                        "confidence": 0.75, "next_step": "Add a source that states this, or cut the claim."}]}
    lines = checks_summary(data)
    assert "fact-check 50 (openai:bespoke-minicheck, 90 % sure)" in lines[1]
    assert "bias 0 (checker not recorded)" in lines[1] and "failed: originality_score 0 < 40" in lines[1]
    assert lines[2] == ("- [unverifiable, openai:m, 75 % sure] A pool by 2028. Next step: Add a source that states "
                        "this, or cut the claim.")
