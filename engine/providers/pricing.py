"""Token prices per model and the cost of a call. The shipped table is
resources/pricing.toml; a user's pricing.toml of the same shape merges over it."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from engine.providers.base import ProviderConfigError, Usage
from resources import resource_path

PER_MILLION = 1_000_000
# A snapshot name continues its family's name after one of these ("gpt-4o-2024-08-06",
# "llama3.1:8b"); anything else is a different model ("gpt-4o" is not "gpt-4omni").
_SNAPSHOT_SEPARATORS = ("-", ".", ":", "@", "/")


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens. `known` is False for the fallback used for unlisted models."""

    input: float = 0.0
    output: float = 0.0
    cache_read: float = 0.0
    cache_write: float = 0.0
    known: bool = True


FREE = ModelPrice()  # a model running on this machine


@dataclass(frozen=True)
class PricingTable:
    models: Mapping[str, ModelPrice]
    default: ModelPrice
    as_of: str = ""

    def price(self, model: str, *, local: bool = False) -> ModelPrice:
        """The price of `model`: exact name, else the longest listed family name it starts
        with, else `default`. A local server (`local=True`) costs nothing, whatever the name."""
        if local:
            return FREE
        if model in self.models:
            return self.models[model]
        families = [
            name for name in self.models
            if model.startswith(name) and model[len(name)] in _SNAPSHOT_SEPARATORS
        ]
        return self.models[max(families, key=len)] if families else self.default


def cost_usd(pricing: PricingTable, model: str, usage: Usage, *, local: bool = False) -> float:
    """What `usage` costs. Usage.input_tokens are the uncached input tokens (both providers
    are mapped that way), so every token is priced exactly once."""
    price = pricing.price(model, local=local)
    return (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * price.cache_read
        + usage.cache_write_tokens * price.cache_write
    ) / PER_MILLION


def load_pricing(override: Path | None = None) -> PricingTable:
    """The shipped table, with `override` (the user's file, if it exists) merged over it
    field by field: an override may change one number of one model, or add models."""
    data = _read_toml(resource_path("pricing.toml"))
    if override is not None and override.exists():
        extra = _read_toml(override)
        data["default"] = {**data.get("default", {}), **extra.get("default", {})}
        models = dict(data.get("models", {}))
        for name, entry in extra.get("models", {}).items():
            models[name] = {**models.get(name, {}), **entry}
        data["models"] = models
        data["as_of"] = extra.get("as_of", data.get("as_of", ""))
    return PricingTable(
        models={name: _price(entry, f"models.{name}") for name, entry in data.get("models", {}).items()},
        default=_price({"known": False, **data.get("default", {})}, "default"),
        as_of=str(data.get("as_of", "")),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProviderConfigError(f"Cannot read the pricing table {path}: {exc}") from None


def _price(entry: Mapping[str, Any], where: str) -> ModelPrice:
    allowed = {f.name for f in fields(ModelPrice)}
    unknown = set(entry) - allowed
    if unknown:
        raise ProviderConfigError(f"Pricing entry {where} has unknown keys: {', '.join(sorted(unknown))}")
    for key, value in entry.items():
        if key == "known":
            if not isinstance(value, bool):
                raise ProviderConfigError(f"Pricing entry {where}.known must be true or false")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ProviderConfigError(f"Pricing entry {where}.{key} must be a non-negative number")
    return ModelPrice(**{key: (value if key == "known" else float(value)) for key, value in entry.items()})
