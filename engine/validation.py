"""Refused settings as data: field -> a reason the editor can read, and the limits they come from.

`SettingsInvalid` carries the reasons as `.fields` ("engine.workers" -> "1 to
64 worker processes"), so that no caller has to read them back out of a
message; its str() is one line, for the CLI.

Settings are checked by pydantic: models built on engine.checked.Checked, and
plain frozen dataclasses whose fields declare their limits with `limit(...)`
and check themselves with `check_fields` (EngineSettings). The dataclass way
exists for settings imported before the desktop app's first paint: pydantic
is imported only when such settings are first built, never by this module
(tests/gui/test_gui_start.py holds the start to that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar, get_type_hints

from engine.errors import EditorError


class SettingsInvalid(EditorError, ValueError):
    """Settings refused; `fields` maps each refused field ("engine.workers") to its reason."""

    subject: ClassVar[str] = ""     # what the message calls a field: "invalid <subject><field>: <reason>"

    def __init__(self, fields: Mapping[str, str]) -> None:
        self.fields = dict(fields)
        first, *rest = self.fields.items() or [("settings", "refused")]
        more = f" (and {len(rest)} more)" if rest else ""
        super().__init__(f"invalid {self.subject}{first[0]}: {first[1]}{more}")

    def prefixed(self, prefix: str) -> SettingsInvalid:
        """The same reasons under `prefix.` ("workers" -> "engine.workers")."""
        return SettingsInvalid(under(prefix, self.fields))


def under(prefix: str, fields: Mapping[str, str]) -> dict[str, str]:
    """Field reasons keyed under `prefix.`, as a screen with several models' fields names them."""
    return {f"{prefix}.{key}": reason for key, reason in fields.items()}


def limit(reason: str, **limits: float) -> dict[str, Any]:
    """A dataclass field's metadata: pydantic's limits for it (ge=1, le=64) and the reason when they are broken."""
    return {"reason": reason, "limits": limits}


@cache
def _model_of(kind: type) -> Any:
    """The pydantic model of a dataclass's fields, their limits and reasons (built once, on first use)."""
    from pydantic import Field, create_model

    from engine.checked import DataclassLimits

    hints = get_type_hints(kind)
    fields: dict[str, Any] = {
        f.name: (hints[f.name], Field(f.default, description=f.metadata.get("reason"), **f.metadata.get("limits", {})))
        for f in dataclasses.fields(kind)}
    return create_model(f"{kind.__name__}Limits", __base__=DataclassLimits, **fields)


def check_fields(instance: Any) -> dict[str, str]:
    """Field -> reason for each field of the frozen dataclass `instance` outside its limits; the valid ones
    are stored as pydantic coerced them ("3" -> 3). Call it from __post_init__."""
    from pydantic import ValidationError

    from engine.checked import reasons

    model = _model_of(type(instance))
    try:
        checked = model.model_validate({f.name: getattr(instance, f.name) for f in dataclasses.fields(instance)})
    except ValidationError as error:
        return reasons(model, error)
    for name, value in checked.model_dump().items():
        object.__setattr__(instance, name, value)
    return {}
