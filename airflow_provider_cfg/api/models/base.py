"""Shared base for every CFG wire model.

Models keep the wire names as attribute names (``task.TaskStatus``), keep unknown fields
(``extra="allow"``) so that a newer API never loses data, and parse every field as optional
unless the API marks it required in a *request*.
"""

from __future__ import annotations

import enum
import json
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

_E = TypeVar("_E", bound=enum.IntEnum)


class CfgModel(BaseModel):
    """Base of all request, response and nested models."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, validate_assignment=False)

    def to_wire(self) -> dict[str, Any]:
        """The JSON body as CFG expects it: wire names, ``None`` fields left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_json_dict(self) -> dict[str, Any]:
        """Lossless dump: exactly the fields that were parsed or set, explicit nulls kept."""
        return self.model_dump(mode="json", exclude_unset=True)


def _json_string(value: Any) -> Any:
    # CFG takes action parameters as JSON *strings*; let callers pass dicts.
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


JsonStr = Annotated[str, BeforeValidator(_json_string)]
"""A string field holding serialised JSON; a dict or list given for it is serialised."""


def parse_json_field(value: str | None) -> Any:
    """Decode a JSON-string field (``"{}"`` → ``{}``); ``None`` or ``""`` gives ``{}``."""
    if not value:
        return {}
    return json.loads(value)


def enum_or_int(enum_cls: type[_E]) -> BeforeValidator:
    """Validator turning a known code into ``enum_cls`` and keeping an unknown one as ``int``.

    A status code added by Tencent later must not make a whole ``DescribeTask`` unparseable.
    """

    members = {member.value: member for member in enum_cls}

    def convert(value: Any) -> Any:
        if type(value) is int:  # what JSON gives: a dict look-up instead of int() and Enum.__call__
            member = members.get(value)
            if member is not None:
                return member
        if value is None or isinstance(value, enum_cls):
            return value
        try:
            number = int(value)
        except (TypeError, ValueError):
            return value  # let pydantic report the wrong type
        try:
            return enum_cls(number)
        except ValueError:
            return number

    return BeforeValidator(convert)
