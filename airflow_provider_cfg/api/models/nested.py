"""The structure models of the CFG API: neither request nor response, named as in the official SDK.

They are every model defined in the structure modules, collected rather than listed so that a
model added to one of those modules is covered by the round-trip and SDK-comparison tests at once.
"""

from __future__ import annotations

from types import ModuleType

from airflow_provider_cfg.api.models import common, config, library, policy, task, template
from airflow_provider_cfg.api.models.base import CfgModel

_STRUCTURE_MODULES: tuple[ModuleType, ...] = (common, config, library, policy, task, template)


def _defined_models(module: ModuleType) -> list[type[CfgModel]]:
    models = (
        value for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, CfgModel) and value.__module__ == module.__name__
    )
    return list(dict.fromkeys(models))  # a model may also be bound to an alias name


NESTED_MODELS: tuple[type[CfgModel], ...] = tuple(
    sorted((model for module in _STRUCTURE_MODULES for model in _defined_models(module)), key=lambda m: m.__name__)
)
"""Every structure model (neither request nor response), named as in the official SDK."""

__all__ = ["NESTED_MODELS"]
