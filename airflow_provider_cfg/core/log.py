"""What the core logs through: a stdlib logger, or an Airflow operator's or trigger's ``self.log``."""

from __future__ import annotations

from typing import Any, Protocol


class Log(Protocol):
    """The calls the core makes; ``logging.Logger`` and Airflow's task and trigger loggers all have them."""

    def info(self, event: Any, *args: Any, **kw: Any) -> Any: ...

    def warning(self, event: Any, *args: Any, **kw: Any) -> Any: ...
