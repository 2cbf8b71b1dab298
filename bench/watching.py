"""Watching at scale: many deferred sensors/steps polled by one triggerer.

>>> PLACEHOLDER — NOT IMPLEMENTED YET. <<<

To be filled in by the lead together with the shared trigger poller (``airflow_provider_cfg.triggers``):
compare, side by side in one run, the CPU and the number of ``DescribeTask`` requests that N
concurrent experiment/step triggers cost with one poller per trigger vs the shared poller, and
report the ratios (medians over rounds, like :mod:`bench.client_cost`). Until then
:func:`run_watching_at_scale` returns ``None`` and the report says so; the runner, the report and
the smoke test already call it, so filling in the body is all that is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

PLACEHOLDER = True
"""Set to ``False`` once :func:`run_watching_at_scale` is implemented."""


def run_watching_at_scale(
    quick: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any] | None:
    """PLACEHOLDER (to be filled by the lead): benchmark watching many experiments at once.

    Expected to return a JSON-able dict with at least ``"method"`` (one paragraph of Markdown)
    and ``"rows"`` (a list of ``{"name": str, "value": str}`` for the report table), and to run
    its emulator in another process (:class:`bench.emulator.EmulatorProcess`).
    """
    # TODO(lead): implement with the shared trigger poller; see the module docstring.
    log("watching at scale: placeholder, not implemented yet")
    return None
