"""Airflow hook turning a ``tencentcloud_cfg`` connection into CFG clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_cfg.api.client import AsyncCfgClient, CfgClient

CONN_TYPE = "tencentcloud_cfg"
DEFAULT_CONN_ID = "tencentcloud_cfg_default"

# Extras understood by the hook, besides region/token/language shown in the connection form.
_NUMERIC_EXTRAS = {
    "timeout": float, "connect_timeout": float, "max_attempts": int, "backoff": float, "backoff_max": float,
}
_BOOL_EXTRAS = ("rate_limit", "allow_insecure_http")


class CfgConnectionError(ValueError):
    """The Airflow connection is incomplete or malformed (names the field to fix)."""


def _extra(extras: dict[str, Any], name: str) -> Any:
    # Airflow < 2.3 forms stored extras with a prefixed key; read both.
    value = extras.get(name)
    if value in (None, ""):
        value = extras.get(f"extra__{CONN_TYPE}__{name}")
    return None if value == "" else value


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def client_kwargs(conn: Connection, region: str | None = None) -> dict[str, Any]:
    """Constructor arguments for a CFG client from an Airflow connection.

    login = SecretId, password = SecretKey, host = optional endpoint override (``host[:port]``
    or URL), extras ``region``, ``token``, ``language`` and optional tuning
    (``timeout``, ``connect_timeout``, ``max_attempts``, ``backoff``, ``backoff_max``, ``rate_limit``).
    """
    if not conn.login:
        raise CfgConnectionError(f"connection {conn.conn_id!r}: login (SecretId) is empty")
    if not conn.password:
        raise CfgConnectionError(f"connection {conn.conn_id!r}: password (SecretKey) is empty")
    extras = conn.extra_dejson
    kwargs: dict[str, Any] = {
        "secret_id": conn.login,
        "secret_key": conn.password,
        "region": region or _extra(extras, "region") or "ap-guangzhou",
        "token": _extra(extras, "token"),
        "language": _extra(extras, "language") or "en-US",
    }
    endpoint = conn.host or _extra(extras, "endpoint")
    if endpoint:
        bare_host = "://" not in endpoint and ":" not in endpoint  # no scheme, no port of its own
        kwargs["endpoint"] = f"{endpoint}:{conn.port}" if conn.port and bare_host else endpoint
    for name, kind in _NUMERIC_EXTRAS.items():
        value = _extra(extras, name)
        if value is not None:
            try:
                kwargs[name] = kind(value)
            except (TypeError, ValueError):
                raise CfgConnectionError(
                    f"connection {conn.conn_id!r}: extra {name!r} must be a {kind.__name__}, got {value!r}"
                ) from None
    for name in _BOOL_EXTRAS:
        value = _extra(extras, name)
        if value is not None:
            kwargs[name] = _as_bool(value)
    return kwargs


class CfgHook(BaseHook):
    """Interact with Tencent Cloud Chaos Fault Generator (CFG): the one place CFG clients are built.

    Nothing is looked up or connected in ``__init__``: the connection is read when a client (or
    the console URL) is first asked for, so creating the hook in a DAG file costs nothing. It is
    read once per hook: a task's clients and its console link all come from that one read.

    :param cfg_conn_id: the ``tencentcloud_cfg`` connection to use.
    :param region: overrides the connection's ``region`` extra.
    """

    conn_name_attr = "cfg_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "Tencent Cloud CFG"

    def __init__(self, cfg_conn_id: str = DEFAULT_CONN_ID, region: str | None = None) -> None:
        super().__init__()
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        """The connection, read on first use and kept (a task reads it once)."""
        if self._connection is None:
            self._connection = self.get_connection(self.cfg_conn_id)
        return self._connection

    async def aconnection(self) -> Connection:
        """:meth:`connection` without blocking the event loop (in a trigger)."""
        from airflow.providers.common.compat.connection import get_async_connection

        if self._connection is None:
            self._connection = await get_async_connection(self.cfg_conn_id, hook=self)
        return self._connection

    def get_client(self) -> CfgClient:
        """A synchronous client for this connection (use it as a context manager)."""
        from airflow_provider_cfg.api.client import CfgClient

        return CfgClient(**client_kwargs(self.connection(), self.region))

    async def get_async_client(self) -> AsyncCfgClient:
        """An asynchronous client; the connection is looked up without blocking the event loop."""
        from airflow_provider_cfg.api.client import AsyncCfgClient

        return AsyncCfgClient(**client_kwargs(await self.aconnection(), self.region))

    def console_url(self, experiment_id: int, region: str, endpoint: str) -> str:
        """The console page of the experiment; the connection extra ``console_url``
        (``"https://…/{task_id}?region={region}"``, ``{experiment_id}`` works too) overrides the
        built-in rule."""
        from airflow_provider_cfg.links.console import console_url

        template = _extra(self.connection().extra_dejson, "console_url")
        if template:
            # ``{task_id}`` is what existing connections hold: CFG calls the experiment a task.
            return str(template).format(task_id=experiment_id, experiment_id=experiment_id, region=region)
        return console_url(experiment_id, region, endpoint)

    def test_connection(self) -> tuple[bool, str]:
        """Sign and send one read-only call (``DescribeTaskList``, one item)."""
        from airflow_provider_cfg.api.errors import CfgError

        try:
            with self.get_client() as client:
                listing = client.describe_task_list(limit=1)
                where = f"{client.config.endpoint} ({client.config.region})"
        except (CfgError, CfgConnectionError) as exc:
            return False, str(exc)
        return True, f"Connected to CFG at {where}; {listing.Total or 0} experiment(s) visible."
