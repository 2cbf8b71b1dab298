"""Request parameters: JSON body → the action's request model, or a CFG error naming the field.

* missing required field → ``MissingParameter`` (dotted path: ``TaskConfig.TaskGroupsConfig``)
* wrong type → ``InvalidParameter`` (field and expected type)
* out-of-range value caught by the model (``Limit`` > 100) → ``InvalidParameterValue``
* unknown field anywhere (found through ``model_extra``) → ``UnknownParameter``
"""

from __future__ import annotations

import json
from typing import Any

import pydantic
from pydantic import BaseModel

from airflow_provider_cfg.api.actions import ActionSpec
from airflow_provider_cfg.emulator.errors import ApiError

# pydantic error type → the API's type name.
_EXPECTED = {
    "int": "Integer",
    "float": "Float",
    "bool": "Boolean",
    "string": "String",
    "str": "String",
    "list": "Array",
    "tuple": "Array",
    "dict": "Object",
    "model": "Object",
}
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_long", "too_short"}


def path_of(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(body)"


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def parse_body(body: bytes) -> dict[str, Any]:
    """The JSON object of the request body (an empty body counts as ``{}``)."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("InvalidParameter", f"The request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ApiError("InvalidParameter", f"The request body must be a JSON object; got {json_type(value)}")
    return value


def _expected_type(error_type: str) -> str | None:
    for prefix, name in _EXPECTED.items():
        if error_type == prefix or error_type.startswith(prefix + "_"):
            return name
    return None


def _error(exc: pydantic.ValidationError) -> ApiError:
    errors = exc.errors(include_url=False)
    # Report a missing field first: it is the most useful message.
    err = next((e for e in errors if e["type"] == "missing"), errors[0])
    path = path_of(err["loc"])
    kind = err["type"]
    if kind == "missing":
        return ApiError("MissingParameter", f"The required parameter {path} is missing.")
    if kind in _RANGE_ERRORS:
        return ApiError("InvalidParameterValue", f"The value of parameter {path} is invalid: {err['msg']}.")
    expected = _expected_type(kind)
    if expected:
        got = json_type(err.get("input"))
        return ApiError("InvalidParameter", f"The parameter {path} must be of type {expected}; got {got}.")
    return ApiError("InvalidParameter", f"The parameter {path} is invalid: {err['msg']}.")


def find_unknown(model: BaseModel, prefix: str = "") -> str | None:
    """Dotted path of the first field the model did not declare (recursively), else ``None``."""
    if model.model_extra:
        return prefix + next(iter(model.model_extra))
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            found = find_unknown(value, f"{prefix}{name}.")
        elif isinstance(value, list):
            found = next(
                (f for i, item in enumerate(value) if isinstance(item, BaseModel)
                 and (f := find_unknown(item, f"{prefix}{name}.{i}.")) is not None),
                None,
            )
        else:
            found = None
        if found:
            return found
    return None


_TAG_LISTS = ("Tags", "TaskTags")


def find_incomplete_tag(value: Any, path: str = "") -> str | None:
    """Dotted path of a missing ``TagKey``/``TagValue`` in a tag list (``TagWithDescribe``: both required)."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}{key}"
            if key in _TAG_LISTS and isinstance(item, list):
                for index, tag in enumerate(item):
                    half = next((h for h in ("TagKey", "TagValue") if isinstance(tag, dict) and h not in tag), None)
                    if half:
                        return f"{where}.{index}.{half}"
            found = find_incomplete_tag(item, where + ".")
            if found:
                return found
    return None


def find_unencoded_configuration(value: Any, path: str = "") -> str | None:
    """Dotted path of a ``…Configuration`` field sent as a JSON object instead of a JSON string.

    CFG types these fields as strings (serialised JSON); our models accept dicts for convenience
    and serialise them, so the check must look at the raw body.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}{key}"
            if key.endswith("Configuration") and not isinstance(item, str) and item is not None:
                return where
            found = find_unencoded_configuration(item, where + ".")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = find_unencoded_configuration(item, f"{path}{index}.")
            if found:
                return found
    return None


def parse_request(spec: ActionSpec, params: dict[str, Any]) -> BaseModel:
    """Validate ``params`` into ``spec.request``; raise :class:`ApiError` naming the bad field."""
    params = dict(params)
    params.pop("RequestId", None)  # some examples send one; the API ignores it
    # Required as the API definition says, IsOperateAll or not: TaskInstanceIds (Array of Integer; the
    # seed walkthrough's placeholders are refused), and both halves of every tag.
    missing_tag = find_incomplete_tag(params)
    if missing_tag:
        raise ApiError("MissingParameter", f"The required parameter {missing_tag} is missing.")
    unencoded = find_unencoded_configuration(params)
    if unencoded:
        raise ApiError("InvalidParameter", f"The parameter {unencoded} must be of type String (serialised JSON); "
                                           "got Object.")
    try:
        model = spec.request.model_validate(params)
    except pydantic.ValidationError as exc:
        raise _error(exc) from None
    unknown = find_unknown(model)
    if unknown:
        raise ApiError("UnknownParameter", f"The parameter {unknown} is not recognised by action {spec.name}.")
    return model
