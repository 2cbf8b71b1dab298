"""Signed client for the Tencent Cloud CFG API (``cfg`` 2021-08-20). No Airflow import here."""

from airflow_provider_cfg.api.client import AsyncCfgClient, CfgClient
from airflow_provider_cfg.api.errors import (
    CfgApiError,
    CfgError,
    CfgOutcomeUnknownError,
    CfgTransportError,
    CfgValidationError,
    ErrorKind,
)
from airflow_provider_cfg.api.signing import Credentials, Tc3Auth

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
