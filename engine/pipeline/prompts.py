"""Prompt templates (resources/prompts/<stage>.md) and the shared, cacheable prefix.

Templates are plain text an editor may change; `$name` placeholders are filled
with string.Template, so JSON braces in a template need no escaping. The
prefix (brief + numbered sources) is identical for every stage of an article,
so providers can cache it.
"""

from __future__ import annotations

import json
from functools import cache
from string import Template
from typing import TYPE_CHECKING, Any

from resources import resource_path

if TYPE_CHECKING:
    from engine.pipeline.brief import ArticleBrief, Profile


@cache
def template(name: str) -> Template:
    return Template(resource_path("prompts", f"{name}.md").read_text(encoding="utf-8"))


def _profile_values(profile: Profile) -> dict[str, str]:
    return {
        "tone": profile.tone,
        "audience": profile.audience,
        "target_length": str(profile.target_length),
        "style_guide": profile.style_guide or "(none)",
        "banned_phrases": ", ".join(profile.banned_phrases) or "(none)",
    }


def system_prompt(profile: Profile) -> str:
    return template("system").safe_substitute(_profile_values(profile))


def shared_prefix(brief: ArticleBrief) -> str:
    sources = "\n\n".join(
        f"[{s.label}] {s.title}" + (f" ({s.url})" if s.url else "") + f"\n{s.text}" for s in brief.sources
    ) or "(no sources attached)"
    return template("_prefix").safe_substitute(
        _profile_values(brief.profile), keyword=brief.keyword, notes=brief.notes or "(none)", sources=sources
    )


def render(stage: str, profile: Profile, inputs: dict[str, Any]) -> str:
    values = _profile_values(profile) | {
        key: value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)
        for key, value in inputs.items()
    }
    return template(stage).safe_substitute(values)
