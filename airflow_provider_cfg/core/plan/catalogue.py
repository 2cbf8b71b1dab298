"""The catalogue a plan reads: object types, library actions and their parameter schemas.

Read-only calls only (``DescribeObjectTypeList``, ``DescribeActionLibraryList``,
``DescribeActionFieldConfigList``), each answer read once per plan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from airflow_provider_cfg.api.errors import CfgApiError, ErrorKind

if TYPE_CHECKING:
    from airflow_provider_cfg.api import models as m
    from airflow_provider_cfg.api.client import CfgClient

_PAGE = 100  # DescribeActionLibraryList's largest page

SchemaPair = tuple["m.ActionFieldConfigResult | None", "m.ActionFieldConfigResult | None"]
"""An action's (general, custom) parameter schemas."""


class Catalogue:
    """Object types, library actions and parameter schemas, each read once per plan.

    :param client: the client the read-only calls are made with.
    """

    def __init__(self, client: CfgClient) -> None:
        self.client = client
        self._object_types: dict[int, m.ObjectType] | None = None
        self._library: dict[int, m.ActionLibraryListResult] = {}
        self._schemas: dict[int, SchemaPair] = {}

    def object_types(self) -> dict[int, m.ObjectType]:
        """Every object type by ``ObjectTypeId``."""
        if self._object_types is None:
            listing = self.client.describe_object_type_list().ObjectTypeList or []
            self._object_types = {int(o.ObjectTypeId): o for o in listing if o.ObjectTypeId is not None}
        return self._object_types

    def object_type_title(self, type_id: int | None) -> str | None:
        """The title of an object type (``None`` when unknown)."""
        obj = self.object_types().get(type_id) if type_id is not None else None
        return obj.ObjectTypeTitle if obj is not None else None

    def library(self, object_type: int, action_ids: Iterable[int]) -> dict[int, m.ActionLibraryListResult]:
        """The library entries of ``action_ids`` among the actions of ``object_type``."""
        action_ids = list(action_ids)
        wanted = sorted({a for a in action_ids if a not in self._library})
        for start in range(0, len(wanted), _PAGE):
            chunk = wanted[start:start + _PAGE]
            page = self.client.describe_action_library_list(object_type, limit=_PAGE, action_ids=chunk)
            for item in page.Results or []:
                if item.ActionId is not None:
                    self._library[int(item.ActionId)] = item
        return {a: self._library[a] for a in action_ids if a in self._library}

    def find(self, action_ids: Iterable[int]) -> dict[int, m.ActionLibraryListResult]:
        """Library entries of ``action_ids`` whatever their object type (one listing per object type
        until all are found; an object type whose listing is refused is skipped)."""
        ids = set(action_ids)
        for type_id in self.object_types():
            missing = ids - set(self._library)
            if not missing:
                break
            try:
                self.library(type_id, missing)
            except CfgApiError as exc:
                if exc.kind is not ErrorKind.PERMANENT:
                    raise
        return {a: self._library[a] for a in ids if a in self._library}

    def schemas(self, object_type: int, action_ids: Iterable[int]) -> dict[int, SchemaPair]:
        """``{ActionId: (general schema, custom schema)}`` from ``DescribeActionFieldConfigList``."""
        action_ids = list(action_ids)
        wanted = sorted({a for a in action_ids if a not in self._schemas})
        if wanted:
            answer = self.client.describe_action_field_config_list(wanted, object_type)
            for kind, results in ((0, answer.Common or []), (1, answer.Results or [])):
                for position, result in enumerate(results):
                    action_id = int(result.ActionId) if result.ActionId is not None else (
                        wanted[position] if position < len(wanted) else None)
                    if action_id is None:
                        continue
                    pair = list(self._schemas.get(action_id, (None, None)))
                    pair[kind] = result
                    self._schemas[action_id] = (pair[0], pair[1])
        return {a: self._schemas.get(a, (None, None)) for a in action_ids}
