"""Signed client for the Tencent Cloud CFG API (``cfg`` 2021-08-20). No Airflow import here.

The names below load on first use (PEP 562), so that ``airflow_provider_cfg.api.enums`` and the
other light modules can be imported when a DAG is parsed without loading the client and models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import AsyncCfgClient as AsyncCfgClient
    from airflow_provider_cfg.api.client import CfgClient as CfgClient
    from airflow_provider_cfg.api.errors import CfgApiError as CfgApiError
    from airflow_provider_cfg.api.errors import CfgError as CfgError
    from airflow_provider_cfg.api.errors import CfgOutcomeUnknownError as CfgOutcomeUnknownError
    from airflow_provider_cfg.api.errors import CfgTransportError as CfgTransportError
    from airflow_provider_cfg.api.errors import CfgValidationError as CfgValidationError
    from airflow_provider_cfg.api.errors import ErrorKind as ErrorKind
    from airflow_provider_cfg.api.signing import Credentials as Credentials
    from airflow_provider_cfg.api.signing import Tc3Auth as Tc3Auth

__all__ = [
    "AsyncCfgClient",
    "CfgApiError",
    "CfgClient",
    "CfgError",
    "CfgOutcomeUnknownError",
    "CfgTransportError",
    "CfgValidationError",
    "Credentials",
    "ErrorKind",
    "Tc3Auth",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    home = {"AsyncCfgClient": "client", "CfgClient": "client", "Credentials": "signing", "Tc3Auth": "signing"}
    return getattr(importlib.import_module(f"{__name__}.{home.get(name, 'errors')}"), name)
