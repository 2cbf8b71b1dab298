"""Where the emulator listens unless told otherwise: the one definition of its default port and URL.

Light on purpose (no starlette, no uvicorn): the example DAGs import it when they are parsed.
"""

from __future__ import annotations

import os

DEFAULT_PORT = 8999
URL_ENV_VAR = "CFG_EMULATOR_URL"  # set by `make ui` / ui-check when the emulator runs elsewhere


def emulator_url() -> str:
    """The local emulator's base URL: ``$CFG_EMULATOR_URL`` or ``http://127.0.0.1:8999``."""
    return (os.environ.get(URL_ENV_VAR) or f"http://127.0.0.1:{DEFAULT_PORT}").rstrip("/")
