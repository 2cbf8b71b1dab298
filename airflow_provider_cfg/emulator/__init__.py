"""Local emulator of the Tencent Cloud CFG API (``cfg`` 2021-08-20) — no Airflow import here.

Start it with ``cfg-emulator`` / ``python -m airflow_provider_cfg.emulator`` or, in-process,
with :class:`~airflow_provider_cfg.emulator.server.EmulatorServer`. Choices made where CFG is
undocumented are listed in ``BEHAVIOUR.md`` next to this file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_cfg.emulator.app import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, create_app
    from airflow_provider_cfg.emulator.server import EmulatorServer
    from airflow_provider_cfg.emulator.state import EmulatorState

__all__ = ["DEFAULT_SECRET_ID", "DEFAULT_SECRET_KEY", "EmulatorServer", "EmulatorState", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that the example DAGs can read ``emulator.defaults`` at parse time
    # without loading starlette and uvicorn.
    homes = {"DEFAULT_SECRET_ID": "app", "DEFAULT_SECRET_KEY": "app", "create_app": "app",
             "EmulatorServer": "server", "EmulatorState": "state"}
    if name not in homes:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{homes[name]}"), name)
