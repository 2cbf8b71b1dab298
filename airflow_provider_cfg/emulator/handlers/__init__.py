"""The 17 CFG actions: validated request model in, response model out.

Each handler runs with the state lock held and the simulation advanced to "now". Semantic
checks (allowed values, id formats, counts) live here; state transitions live in :mod:`..state`.
Creation (:mod:`.create`), changes (:mod:`.run`) and reads (:mod:`.describe`) each have a module;
:mod:`.checks` holds what they share.
"""

from airflow_provider_cfg.emulator.handlers.dispatch import HANDLERS, Handler

__all__ = ["HANDLERS", "Handler"]
