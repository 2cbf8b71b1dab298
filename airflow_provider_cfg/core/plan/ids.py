"""Instance-id formats (cfg-api.md §1.2): what an instance id of an object type looks like.

``DescribeObjectTypeList`` does not expose a format, so :data:`ID_FORMATS` keeps the ones the API
documentation gives (CVM ``ins-…``, CLB ``lb-…``, MySQL ``cdb-…``, Redis ``crs-…``, TKE nodes and
pods as JSON objects, …), matched on the object type's platform name and title (whole words), and
on the ``ObjectTypeId`` only when the type has no title. An object type that matches no entry is
not format-checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.core.names import shown

if TYPE_CHECKING:
    from airflow_provider_cfg.api import models as m

_ID8 = r"[a-z0-9]{8}"
_IPV4 = r"[0-9]{1,3}(\.[0-9]{1,3}){3}"  # ASCII digits: ``\d`` also matches "٦"
_DNS_NAME = r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?"


@dataclass(frozen=True)
class IdFormat:
    """The instance-id format of a kind of object.

    :param name: what the object is.
    :param keywords: whole words/phrases matched in the lower-cased object type platform name + title.
    :param example: the documented form.
    :param regex: a plain id (full match); or
    :param json_keys: a JSON-object id: key → regex of its (string) value.
    :param type_ids: ``ObjectTypeId`` values used only when the object type has no title.
    """

    name: str
    keywords: tuple[str, ...]
    example: str
    regex: str | None = None
    json_keys: Mapping[str, str] | None = None
    type_ids: tuple[int, ...] = ()

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not an id of this format (``None`` if it is)."""
        if not isinstance(value, str):
            return f"must be a string; got {shown(value)}"
        if self.regex is not None:
            return None if re.fullmatch(self.regex, value) else f"{shown(value)} is not a valid {self.name} id"
        try:
            obj = json.loads(value)
        except ValueError:
            obj = None
        if not isinstance(obj, dict):
            return f"{shown(value)} is not a valid {self.name} id (a JSON object string)"
        for key, regex in (self.json_keys or {}).items():
            item = obj.get(key)
            if not isinstance(item, str) or not re.fullmatch(regex, item):
                return f"{shown(value)} has a missing or invalid {key!r}"
        return None


ID_FORMATS: tuple[IdFormat, ...] = (
    # most specific first: a TKE node title may mention CVM, TDSQL-MySQL mentions MySQL
    IdFormat("TKE Pod", ("tke-pod", "tke pod", "pod"),
             '{"ClusterId":"cls-xxxxxxxx","PodName":"podname","NodeName":"1.1.1.1","NameSpace":"ns","Workload":"workload"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "PodName": _DNS_NAME, "NodeName": r"\S+",
                        "NameSpace": r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", "Workload": _DNS_NAME}, type_ids=(22,)),
    IdFormat("TKE serverless super node", ("serverless super node", "serverless cluster super node"),
             '{"ClusterId":"cls-xxxxxxxx","InstanceId":"eklet-xxxxxxxx","LanIP":"1.1.1.1"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "InstanceId": r"eklet-[a-z0-9-]+", "LanIP": _IPV4}),
    IdFormat("TKE super node", ("super node", "supernode", "eklet"),
             '{"ClusterId":"cls-xxxxxxxx","InstanceId":"eklet-xxxxxxxx","LanIP":"1.1.1.1","NodePoolId":"np-xxxxxxxx"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "InstanceId": r"eklet-[a-z0-9-]+", "LanIP": _IPV4,
                        "NodePoolId": r"np-[a-z0-9]+"}),
    IdFormat("TKE node", ("tke-node", "tke node", "tke standard cluster node", "cluster node"),
             '{"ClusterId":"cls-xxxxxxxx","InstanceId":"ins-xxxxxxxx","LanIP":"1.1.1.1"}',
             json_keys={"ClusterId": rf"cls-{_ID8}", "InstanceId": rf"ins-{_ID8}", "LanIP": _IPV4}, type_ids=(21,)),
    IdFormat("TDSQL-C", ("tdsql-c", "cynosdb"), "cynosdbmysql-xxxxxxxx", regex=r"cynosdbmysql-[a-z0-9]+"),
    IdFormat("TDSQL-MySQL", ("tdsql-mysql", "tdsql for mysql", "tdsql mysql", "dcdb"), "tdsqlshard-xxxxxxxx",
             regex=r"tdsqlshard-[a-z0-9]+"),
    IdFormat("MariaDB", ("mariadb",), "tdsql-xxxxxxxx", regex=r"tdsql-[a-z0-9]+"),
    IdFormat("PostgreSQL", ("postgresql", "postgres"), "postgres-xxxxxxxx", regex=r"postgres-[a-z0-9]+"),
    IdFormat("MySQL", ("cdb", "mysql"), "cdb-xxxxxxxx", regex=rf"cdb-{_ID8}", type_ids=(2,)),
    IdFormat("Redis", ("redis", "crs"), "crs-xxxxxxxx", regex=rf"crs-{_ID8}", type_ids=(4,)),
    IdFormat("CLB", ("clb", "load balancer"), "lb-xxxxxxxx", regex=rf"lb-{_ID8}", type_ids=(3,)),
    IdFormat("cloud-native gateway", ("cloud-native gateway", "cloud native gateway"), "gateway-xxxxxxxx",
             regex=r"gateway-[a-z0-9]+"),
    IdFormat("NAT gateway", ("nat gateway", "nat"), "nat-xxxxxxxx", regex=rf"nat-{_ID8}", type_ids=(5,)),
    IdFormat("Direct Connect tunnel", ("direct connect", "dcx"), "dcx-xxxxxxxx", regex=r"dcx-[a-z0-9]+"),
    IdFormat("VPC subnet", ("subnet",), "subnet-xxxxxxxx", regex=r"subnet-[a-z0-9]+"),
    IdFormat("CKafka", ("ckafka", "kafka"), "ckafka-xxxxxxxx", regex=r"ckafka-[a-z0-9]+"),
    IdFormat("Elasticsearch", ("elasticsearch",), "es-xxxxxxxx", regex=r"es-[a-z0-9]+"),
    IdFormat("RabbitMQ", ("rabbitmq", "amqp"), "amqp-xxxxxxxx", regex=r"amqp-[a-z0-9]+"),
    IdFormat("CVM", ("cvm", "cloud virtual machine"), "ins-xxxxxxxx", regex=rf"ins-{_ID8}", type_ids=(1,)),
)


def id_format_for(object_type_id: int | None, object_type: m.ObjectType | None) -> IdFormat | None:
    """The id format of an object type: by its platform name and title, else (no title) by its id."""
    parts = (getattr(object_type, "ObjectPlatformName", None), getattr(object_type, "ObjectTypeTitle", None))
    text = " ".join(str(part) for part in parts if part).lower()
    if text:
        for fmt in ID_FORMATS:
            if any(re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) for word in fmt.keywords):
                return fmt
        return None
    for fmt in ID_FORMATS:
        if object_type_id in fmt.type_ids:
            return fmt
    return None


def object_key(value: Any) -> str:
    """What two instance ids are compared by: a JSON-object id by its content, not its spelling."""
    if isinstance(value, str):
        try:
            obj = json.loads(value)
        except ValueError:
            return value
        if isinstance(obj, dict):
            return json.dumps(obj, sort_keys=True, separators=(",", ":"))
        return value
    return repr(value)
