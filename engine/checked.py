"""The pydantic base of checked settings: each refusal as data, field -> a reason the editor can read.

A model built on `Checked` declares what each field must be in its
`description` ("1 to 64 worker processes"); when a value breaks a field's
limits or type, that description is the reason. A validator's own message
(raised as ValueError) is the reason for the rules limits cannot say ("at
least the soft limit"). Nested settings keep their path: a gate refused inside
a profile is "quality_gates.bias_max".

`Model.checked(values)` is the way in for values from outside (the Settings
screen, the CLI, the database): a refusal raises engine.validation's
`SettingsInvalid`, whose `.fields` carry the reasons. (Calling the model
directly raises pydantic's ValidationError, with the same reasons as its
messages: no custom __init__, as pydantic would then run it inside every
validation.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from engine.validation import SettingsInvalid

_REASON = "reason"      # the error type of a line whose message is already the editor's reason


def _reason(model: type[BaseModel], line: Mapping[str, Any]) -> str:
    kind = line["type"]
    if kind == _REASON:
        return line["msg"]
    if kind == "value_error":                       # a validator's ValueError: its message is the reason
        return str(line["ctx"]["error"])
    name = line["loc"][0] if line["loc"] else None
    if kind == "extra_forbidden":
        return f"an unknown setting (known: {', '.join(model.model_fields)})"
    field = model.model_fields.get(name) if isinstance(name, str) else None
    if field is not None and field.description:
        return field.description
    return line["msg"]


class Checked(BaseModel):
    """A settings model whose refusals carry the editor's reasons (see the module's docstring)."""

    section: ClassVar[str] = "settings"      # the key of a refusal of the whole model (not one field)
    error: ClassVar[type[SettingsInvalid]] = SettingsInvalid     # what a refusal raises

    @model_validator(mode="wrap")
    @classmethod
    def _editor_reasons(cls, data: Any, handler: Any) -> Any:
        try:
            return handler(data)
        except ValidationError as error:
            lines: list[InitErrorDetails] = [
                {"type": PydanticCustomError(_REASON, "{reason}", {"reason": _reason(cls, line)}),
                 "loc": line["loc"], "input": line.get("input")}
                for line in error.errors()]
            raise ValidationError.from_exception_data(cls.__name__, lines) from None

    @classmethod
    def checked(cls, data: Mapping[str, Any] | None) -> Self:
        """The model of `data` (missing keys take the defaults), or `error` (SettingsInvalid) with every reason."""
        try:
            return cls.model_validate(dict(data or {}))
        except ValidationError as error:
            raise cls.error(reasons(cls, error)) from None

    @classmethod
    def problems(cls, data: Mapping[str, Any] | None) -> dict[str, str]:
        """Field -> reason for every refused value of `data`; empty when it is valid."""
        try:
            cls.checked(data)
        except SettingsInvalid as error:
            return error.fields
        return {}


def reasons(model: type[Checked], error: ValidationError) -> dict[str, str]:
    """Field path -> reason, the first reason of each field (a field may break two limits)."""
    found: dict[str, str] = {}
    for line in error.errors():
        key = ".".join(str(part) for part in line["loc"]) or model.section
        found.setdefault(key, _reason(model, line))
    return found


class DataclassLimits(Checked):
    """The base of the models engine.validation builds from a frozen dataclass's declared limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")
