"""core/plan/ids.py: the instance-id format of an object type."""

from __future__ import annotations

import pytest

from airflow_provider_cfg.api import models as m
from airflow_provider_cfg.core.plan.ids import id_format_for, object_key
from tests.unit.core.plan.helpers import POD


@pytest.mark.parametrize(
    ("type_id", "platform", "title", "good", "bad"),
    [
        (1, "CVM", "Cloud Virtual Machine (CVM)", "ins-abcd1234", "ins-abc"),
        (2, "CDB", "TencentDB for MySQL", "cdb-abcd1234", "cynosdbmysql-abc"),
        (3, "CLB", "Cloud Load Balancer (CLB)", "lb-abcd1234", "lbl-abcd1234"),
        (4, "Redis", "TencentDB for Redis", "crs-abcd1234", "redis-1"),
        (5, "NAT", "NAT Gateway", "nat-abcd1234", "gateway-abcd"),
        (77, None, "TDSQL-C for MySQL", "cynosdbmysql-abcd1234", "cdb-abcd1234"),
        (78, None, "Cloud-native gateway", "gateway-abcd1234", "nat-abcd1234"),
        (21, "TKE-Node", "TKE standard cluster node",
         '{"ClusterId":"cls-abcd1234","InstanceId":"ins-abcd1234","LanIP":"10.0.0.1"}',
         '{"ClusterId":"cls-abcd1234","InstanceId":"ins-abcd1234"}'),
        (22, "TKE-Pod", "TKE Pod", POD, "web-1"),
    ],
)
def test_id_formats_by_title(type_id, platform, title, good, bad):
    fmt = id_format_for(type_id, m.ObjectType(ObjectTypeId=type_id, ObjectPlatformName=platform, ObjectTypeTitle=title))
    assert fmt is not None
    assert fmt.problem(good) is None
    assert fmt.problem(bad) is not None


def test_id_format_fallbacks():
    assert id_format_for(1, None).example == "ins-xxxxxxxx"  # no title: the documented numbering
    assert id_format_for(22, None).name == "TKE Pod"
    assert id_format_for(999, m.ObjectType(ObjectTypeId=999, ObjectTypeTitle="Quantum flux capacitor")) is None
    assert id_format_for(999, None) is None


def test_object_key_compares_json_ids_by_content():
    assert object_key('{"b": 1, "a": 2}') == object_key('{"a":2,"b":1}')
    assert object_key("ins-aaaaaaaa") == "ins-aaaaaaaa" and object_key("[1]") == "[1]"
    assert object_key(5) == "5"
