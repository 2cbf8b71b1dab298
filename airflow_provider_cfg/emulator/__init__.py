"""Local emulator of the Tencent Cloud CFG API (``cfg`` 2021-08-20) — no Airflow import here.

Start it with ``cfg-emulator`` / ``python -m airflow_provider_cfg.emulator`` or, in-process,
with :class:`~airflow_provider_cfg.emulator.server.EmulatorServer`. Choices made where CFG is
undocumented are listed in ``BEHAVIOUR.md`` next to this file.
"""

from airflow_provider_cfg.emulator.app import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, create_app
from airflow_provider_cfg.emulator.server import EmulatorServer
from airflow_provider_cfg.emulator.state import EmulatorState

__all__ = ["DEFAULT_SECRET_ID", "DEFAULT_SECRET_KEY", "EmulatorServer", "EmulatorState", "create_app"]
