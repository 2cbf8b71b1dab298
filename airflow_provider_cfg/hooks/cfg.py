"""Airflow hook turning a ``tencentcloud_cfg`` connection into CFG clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseHook

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Connection

    from airflow_provider_cfg.api.client import AsyncCfgClient, CfgClient

CONN_TYPE = "tencentcloud_cfg"
DEFAULT_CONN_ID = "tencentcloud_cfg_default"

# Extras understood by the hook, besides region/token/language shown in the connection form.
_NUMERIC_EXTRAS = {
    "timeout": float, "connect_timeout": float, "max_attempts": int, "backoff": float, "backoff_max": float,
}
_BOOL_EXTRAS = ("rate_limit", "allow_insecure_http")
# What a ``console_url`` extra may hold: ``{task_id}`` (CFG's name for the experiment id, what existing
# connections hold), ``{experiment_id}`` (the same) and ``{region}``; nothing else is substituted.
CONSOLE_URL_PLACEHOLDERS = ("task_id", "experiment_id", "region")


def _connection_type_info() -> dict[str, Any]:
    """This connection type's entry in the provider info: the one source of the connection form."""
    from airflow_provider_cfg.get_provider_info import get_provider_info

    (info,) = (c for c in get_provider_info()["connection-types"] if c["connection-type"] == CONN_TYPE)
    return info


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


def check_console_url(conn_id: str, template: Any) -> str | None:
    """The ``console_url`` extra if it is a valid template, ``None`` if unset; a clear error otherwise.

    Checked when the connection is read, so that a typo fails the task before anything is created
    (never later, in a teardown): an http(s) URL without a user name or password, whose only
    replacement fields are the bare names of :data:`CONSOLE_URL_PLACEHOLDERS` — no ``!r``, no
    ``:spec``, no attribute or index (``{task_id.__class__}``); a literal brace is written ``{{``.
    """
    import string
    from urllib.parse import urlsplit

    if template in (None, ""):
        return None
    allowed = ", ".join("{" + name + "}" for name in CONSOLE_URL_PLACEHOLDERS)
    problem = None
    if not isinstance(template, str):
        problem = f"must be a string, got {type(template).__name__}"
    else:
        try:
            fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                      if name is not None]
        except ValueError as exc:  # a stray '{' or '}'
            fields, problem = [], f"is not a valid template ({exc}; write a literal brace as '{{{{' or '}}}}')"
        for name, spec, conversion in fields:
            if name not in CONSOLE_URL_PLACEHOLDERS or spec or conversion:
                shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
                problem = f"has the placeholder {shown!r}"
                break
        example = template.replace("{{", "").replace("}}", "")
        for name in CONSOLE_URL_PLACEHOLDERS:
            example = example.replace("{" + name + "}", "1")
        parts = urlsplit(example)
        if problem is None and (parts.scheme not in ("http", "https") or not parts.hostname):
            problem = "must be an http(s) URL such as 'https://console.example.com/cfg/{task_id}?region={region}'"
        elif problem is None and "@" in parts.netloc:
            raise CfgConnectionError(
                f"connection {conn_id!r}: extra 'console_url' must not contain a user name or password"
            )
    if problem is not None:
        shown = "(not shown: it holds '@')" if "@" in str(template) else repr(template)
        raise CfgConnectionError(
            f"connection {conn_id!r}: extra 'console_url' {problem}; allowed placeholders: {allowed}, got {shown}"
        )
    return str(template)


def client_kwargs(conn: Connection, region: str | None = None) -> dict[str, Any]:
    """Constructor arguments for a CFG client from an Airflow connection.

    login = SecretId, password = SecretKey, host = optional endpoint override (``host[:port]``
    or URL), extras ``region``, ``token``, ``language`` and optional tuning
    (``timeout``, ``connect_timeout``, ``max_attempts``, ``backoff``, ``backoff_max``, ``rate_limit``),
    ``proxy`` (the only proxy used: the environment's ``HTTP(S)_PROXY`` is ignored) and
    ``allow_insecure_http``.
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
    proxy = _extra(extras, "proxy")
    if proxy is not None:
        kwargs["proxy"] = proxy
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

    def __init__(
        self, cfg_conn_id: str = DEFAULT_CONN_ID, region: str | None = None, *, strict_console_url: bool = True
    ) -> None:
        super().__init__()
        self.cfg_conn_id = cfg_conn_id
        self.region = region
        self.strict_console_url = strict_console_url
        self._connection: Connection | None = None

    def connection(self) -> Connection:
        """The connection, read on first use and kept (a task reads it once). A malformed
        ``console_url`` extra fails here, before anything is sent — except for a safety-path hook
        (``strict_console_url=False``: rollback, halt-all, ``on_kill``), which must reach CFG
        whatever the console link's template says; its :meth:`console_url` still refuses."""
        if self._connection is None:
            connection = self.get_connection(self.cfg_conn_id)
            if self.strict_console_url:
                check_console_url(connection.conn_id, _extra(connection.extra_dejson, "console_url"))
            self._connection = connection
        return self._connection

    async def aconnection(self) -> Connection:
        """:meth:`connection` without blocking the event loop (in a trigger)."""
        from airflow.providers.common.compat.connection import get_async_connection

        if self._connection is None:
            connection = await get_async_connection(self.cfg_conn_id, hook=self)
            if self.strict_console_url:
                check_console_url(connection.conn_id, _extra(connection.extra_dejson, "console_url"))
            self._connection = connection
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
        (``"https://…/{task_id}?region={region}"``, ``{experiment_id}`` works too; checked by
        :func:`check_console_url` when the connection is read) overrides the built-in rule."""
        from airflow_provider_cfg.links.console import console_url

        connection = self.connection()
        template = check_console_url(connection.conn_id, _extra(connection.extra_dejson, "console_url"))
        if template:
            # ``{task_id}`` is what existing connections hold: CFG calls the experiment a task.
            from urllib.parse import quote

            return template.format(task_id=int(experiment_id), experiment_id=int(experiment_id),
                                   region=quote(str(region), safe=""))
        return console_url(experiment_id, region, endpoint)

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The connection form's standard fields, for Airflow before 3.2 (from 3.2 on, the provider
        info's ``ui-field-behaviour`` is read instead and this is not called): the same hiding,
        labels and placeholders."""
        behaviour = _connection_type_info()["ui-field-behaviour"]
        placeholders = dict(behaviour["placeholders"])
        placeholders["password"] = "the SecretKey of the SecretId"
        return {
            "hidden_fields": list(behaviour["hidden-fields"]),
            "relabeling": dict(behaviour["relabeling"]),
            "placeholders": placeholders,
        }

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The form's extra fields (Region, Session token, Language), for Airflow before 3.2, where
        the provider info's ``conn-fields`` are not read. Airflow 2 builds them with FAB; Airflow
        3.0/3.1's API server calls this with stand-ins for the WTForms fields (it needs ``wtforms``
        importable, hence the dependency) and needs neither FAB nor Flask-Babel."""
        from wtforms import PasswordField, StringField

        try:
            from flask_babel import lazy_gettext
        except ImportError:  # Airflow 3.0/3.1 without FAB: labels are plain strings
            lazy_gettext = str
        try:
            from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget

            text_widget, password_widget = BS3TextFieldWidget(), BS3PasswordFieldWidget()
        except ImportError:  # Airflow 3.0/3.1 without FAB: the React UI draws the fields itself
            text_widget = password_widget = None

        fields = _connection_type_info()["conn-fields"]

        def text(name: str) -> Any:
            field = fields[name]
            return StringField(lazy_gettext(field["label"]), widget=text_widget,
                               description=field["description"], default=field["schema"].get("default"))

        token = fields["token"]
        return {
            "region": text("region"),
            "token": PasswordField(lazy_gettext(token["label"]), widget=password_widget,
                                   description=token["description"]),
            "language": text("language"),
        }

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
