"""Generate a valid, deterministic instance of a JSON schema, and plausible filler text.

The fake LLM server answers structured requests with these instances, so the
whole pipeline can run against it and get objects that pass pydantic
validation. Covers what pydantic emits: objects, arrays with item bounds,
enums/const, $ref into $defs, anyOf/oneOf/allOf, numeric and string bounds,
common string formats.
"""

from __future__ import annotations

import math
import random
from typing import Any

_SUBJECTS = [
    "The city council", "Local officials", "Residents", "The report", "Independent analysts",
    "The regional transit authority", "Community groups", "The school board", "Researchers",
    "Business owners",
]
_VERBS = [
    "said", "warned", "confirmed", "noted", "argued", "estimated", "reported", "acknowledged",
]
_CLAUSES = [
    "that the budget shortfall would affect services next year",
    "that the proposal still needs a public hearing",
    "that the figures have not been independently verified",
    "that turnout at the meeting was higher than usual",
    "that the plan could take several years to complete",
    "that costs rose sharply over the past decade",
    "that the decision followed months of negotiation",
    "that the data covers only the last two quarters",
]
_WORDS = [
    "budget", "housing", "transit", "council", "schools", "climate", "election", "health",
    "policy", "community", "funding", "report", "survey", "safety", "economy",
]


def sentence(rng: random.Random, stage: str) -> str:
    """One newsroom-flavoured sentence; mentions the stage so tests can tell answers apart."""
    about = f" during {stage.replace('_', ' ')}" if stage else ""
    return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)}{about} {rng.choice(_CLAUSES)}."


def paragraph(rng: random.Random, stage: str, sentences: int = 4) -> str:
    return " ".join(sentence(rng, stage) for _ in range(sentences))


class SchemaInstanceGenerator:
    """Builds one instance of `schema`; `$ref`s resolve against the root schema's $defs."""

    def __init__(self, schema: dict[str, Any], rng: random.Random, stage: str = "") -> None:
        self._root = schema
        self._rng = rng
        self._stage = stage

    def generate(self) -> Any:
        return self._value(self._root, name="", depth=0)

    def _resolve(self, ref: str) -> dict[str, Any]:
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref is supported, got {ref!r}")
        node: Any = self._root
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def _value(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        if "$ref" in schema:
            return self._value({**self._resolve(schema["$ref"]), **_without(schema, "$ref")}, name, depth)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for combinator in ("anyOf", "oneOf"):
            if combinator in schema:
                return self._value(_first_non_null(schema[combinator]), name, depth)
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part["$ref"]) if "$ref" in part else part)
            return self._value({**merged, **_without(schema, "allOf")}, name, depth)

        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        return getattr(self, f"_{kind}")(schema, name, depth)

    def _object(self, schema: dict[str, Any], name: str, depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        # Optional properties are filled too (strict OpenAI schemas mark every property
        # required), except where nesting gets deep enough to risk runaway recursion.
        return {
            key: self._value(sub, key, depth + 1)
            for key, sub in properties.items()
            if key in required or depth < 4
        }

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", max(low, 3))
        count = max(low, min(high, 2 if depth < 4 else 0))
        # Tuples: "prefixItems" (JSON Schema 2020-12, what pydantic emits) or a list "items".
        positional = schema.get("prefixItems") or (schema["items"] if isinstance(schema.get("items"), list) else None)
        if positional is not None:
            return [self._value(sub, name, depth + 1) for sub in positional]
        items = schema.get("items", {})
        values = [self._value(items, name, depth + 1) for _ in range(count)]
        if schema.get("uniqueItems"):
            # Strings get a distinct suffix; other kinds are already varied or rare.
            values = [f"{v} ({i + 1})" if isinstance(v, str) else v for i, v in enumerate(values)]
        return values

    def _string(self, schema: dict[str, Any], name: str, depth: int) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2026-11-30T09:00:00Z"
        if fmt == "date":
            return "2026-11-30"
        if fmt in ("uri", "url"):
            return "https://example.org/news/story"
        if fmt == "email":
            return "desk@example.org"
        if fmt == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        text = self._text_for(name)
        low = schema.get("minLength", 0)
        high = schema.get("maxLength")
        while len(text) < low:
            text += " " + sentence(self._rng, self._stage)
        if high is not None and len(text) > high:
            text = text[:high].rstrip() or text[:high]
        return text

    def _text_for(self, name: str) -> str:
        key = name.lower()
        if key in ("slug",):
            return f"{self._rng.choice(_WORDS)}-{self._rng.choice(_WORDS)}-update"
        if key in ("headline", "title", "name", "label"):
            return f"New {self._rng.choice(_WORDS)} plan draws scrutiny from {self._rng.choice(_SUBJECTS).lower()}"
        if key in ("body", "text", "content", "markdown", "notes", "summary"):
            return paragraph(self._rng, self._stage)
        return sentence(self._rng, self._stage)

    def _integer(self, schema: dict[str, Any], name: str, depth: int) -> int:
        low, high = _bounds(schema, integer=True)
        return self._rng.randint(low, high)

    def _number(self, schema: dict[str, Any], name: str, depth: int) -> float:
        low, high = _bounds(schema, integer=False)
        return round(self._rng.uniform(low, high), 3) if high > low else low

    def _boolean(self, schema: dict[str, Any], name: str, depth: int) -> bool:
        return self._rng.random() < 0.5

    def _null(self, schema: dict[str, Any], name: str, depth: int) -> None:
        return None


def _without(schema: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != key}


def _first_non_null(options: list[dict[str, Any]]) -> dict[str, Any]:
    return next((o for o in options if o.get("type") != "null"), options[0])


def _bounds(schema: dict[str, Any], *, integer: bool) -> tuple[Any, Any]:
    """Inclusive [low, high] honouring minimum/maximum and their exclusive forms."""
    step = 1 if integer else 0.001
    low = schema.get("minimum")
    high = schema.get("maximum")
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    if low is None and high is None:
        low, high = 0, 100
    elif low is None:
        low = min(0, high)
    elif high is None:
        high = max(low, 100) if low < 100 else low + 100
    if integer:
        low, high = math.ceil(low), math.floor(high)
    return low, high
