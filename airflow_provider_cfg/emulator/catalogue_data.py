"""The emulator's fixed catalogue: regions, object types, library actions and templates.

Plain data, in one readable place. :mod:`.catalogue` turns it into the API models. Field
definitions follow ``ActionFieldConfigDetail`` (note the API spelling ``Lable``); ``Config``,
``Validate`` and ``Visible`` are given as dicts here and serialised with ``json.dumps`` defaults
(``{"max": 86400, "min": 0}``), which is the form the seed walkthrough shows.

Ids were chosen so that every request of the seed walkthrough works as written: template 626
("Empty Operation", actions 12/13), action 462 (network packet loss, custom field ``interfaces``)
and action 466 (DNS tampering, fields exactly as the seed's ``DescribeActionFieldConfigList``).
"""

from __future__ import annotations

from typing import Any

from airflow_provider_cfg.api.enums import ActionAttribute

OWNER_UIN = "100032429988"
CATALOGUE_TIME = "2023-05-10 10:00:00"
DEFAULT_REGION = "ap-guangzhou"

# region → (TaskRegionId, TaskRegionName). Tencent's numeric region ids and Chinese names.
REGIONS: dict[str, tuple[int, str]] = {
    "ap-guangzhou": (1, "广州"),
    "ap-shanghai": (4, "上海"),
    "ap-beijing": (8, "北京"),
    "ap-chengdu": (16, "成都"),
    "ap-chongqing": (19, "重庆"),
    "ap-nanjing": (33, "南京"),
    "ap-shanghai-fsi": (7, "上海金融"),
    "ap-shenzhen-fsi": (11, "深圳金融"),
    "ap-beijing-fsi": (46, "北京金融"),
    "ap-hongkong": (5, "中国香港"),
    "ap-singapore": (9, "新加坡"),
    "ap-bangkok": (23, "曼谷"),
    "ap-jakarta": (72, "雅加达"),
    "ap-mumbai": (21, "孟买"),
    "ap-seoul": (18, "首尔"),
    "ap-tokyo": (25, "东京"),
    "na-siliconvalley": (15, "硅谷"),
    "na-ashburn": (22, "弗吉尼亚"),
    "na-toronto": (6, "多伦多"),
    "sa-saopaulo": (74, "圣保罗"),
    "eu-frankfurt": (17, "法兰克福"),
}

_ID8 = r"[a-z0-9]{8}"

# Object types. ``id_format`` is what error messages show; ``id_regex`` (plain ids) or
# ``json_keys`` (TKE objects, passed as JSON strings: key → regex) is what is checked.
OBJECT_TYPES: list[dict[str, Any]] = [
    {
        "ObjectTypeId": 1,
        "ObjectTypeTitle": "Cloud Virtual Machine (CVM)",
        "ObjectTypeLevelOne": "Compute",
        "ObjectPlatformName": "CVM",
        "ObjectSupportType": 1,
        "ArchLayer": 2,
        "IsArchSvg": True,
        "key": "InstanceId",
        "columns": [("InstanceId", "Instance ID", 0), ("InstanceName", "Instance name", 0),
                    ("PrivateIpAddresses", "Private IP", 1)],
        "id_format": "ins-xxxxxxxx",
        "id_regex": rf"ins-{_ID8}",
    },
    {
        "ObjectTypeId": 2,
        "ObjectTypeTitle": "TencentDB for MySQL",
        "ObjectTypeLevelOne": "Database",
        "ObjectPlatformName": "CDB",
        "ObjectSupportType": 1,
        "ArchLayer": 3,
        "IsArchSvg": True,
        "key": "InstanceId",
        "columns": [("InstanceId", "Instance ID", 0), ("InstanceName", "Instance name", 0), ("Vip", "VIP", 0)],
        "id_format": "cdb-xxxxxxxx",
        "id_regex": rf"cdb-{_ID8}",
    },
    {
        "ObjectTypeId": 3,
        "ObjectTypeTitle": "Cloud Load Balancer (CLB)",
        "ObjectTypeLevelOne": "Networking",
        "ObjectPlatformName": "CLB",
        "ObjectSupportType": 1,
        "ArchLayer": 1,
        "IsArchSvg": True,
        "key": "LoadBalancerId",
        "columns": [("LoadBalancerId", "Instance ID", 0), ("LoadBalancerName", "Instance name", 0),
                    ("LoadBalancerVips", "VIP", 1)],
        "id_format": "lb-xxxxxxxx",
        "id_regex": rf"lb-{_ID8}",
    },
    {
        "ObjectTypeId": 4,
        "ObjectTypeTitle": "TencentDB for Redis",
        "ObjectTypeLevelOne": "Database",
        "ObjectPlatformName": "Redis",
        "ObjectSupportType": 1,
        "ArchLayer": 3,
        "IsArchSvg": True,
        "key": "InstanceId",
        "columns": [("InstanceId", "Instance ID", 0), ("InstanceName", "Instance name", 0)],
        "id_format": "crs-xxxxxxxx",
        "id_regex": rf"crs-{_ID8}",
    },
    {
        "ObjectTypeId": 5,
        "ObjectTypeTitle": "NAT Gateway",
        "ObjectTypeLevelOne": "Networking",
        "ObjectPlatformName": "NAT",
        "ObjectSupportType": 2,
        "ArchLayer": 1,
        "IsArchSvg": False,
        "key": "NatGatewayId",
        "columns": [("NatGatewayId", "Instance ID", 0), ("NatGatewayName", "Instance name", 0)],
        "id_format": "nat-xxxxxxxx",
        "id_regex": rf"nat-{_ID8}",
    },
    {
        "ObjectTypeId": 21,
        "ObjectTypeTitle": "TKE standard cluster node",
        "ObjectTypeLevelOne": "Container",
        "ObjectPlatformName": "TKE-Node",
        "ObjectSupportType": 1,
        "ArchLayer": 2,
        "IsArchSvg": True,
        "key": "InstanceId",
        "columns": [("InstanceId", "Node ID", 0), ("LanIP", "Node IP", 0), ("ClusterId", "Cluster ID", 0)],
        "json_parse": {"InstanceId": "InstanceId", "LanIP": "LanIP"},
        "id_format": '{"ClusterId":"cls-xxxxxxxx","InstanceId":"ins-xxxxxxxx","LanIP":"1.1.1.1"}',
        "json_keys": {
            "ClusterId": rf"cls-{_ID8}",
            "InstanceId": rf"ins-{_ID8}",
            "LanIP": r"\d{1,3}(\.\d{1,3}){3}",
        },
    },
    {
        "ObjectTypeId": 22,
        "ObjectTypeTitle": "TKE Pod",
        "ObjectTypeLevelOne": "Container",
        "ObjectPlatformName": "TKE-Pod",
        "ObjectSupportType": 1,
        "ArchLayer": 2,
        "IsArchSvg": True,
        "key": "PodName",
        "columns": [("PodName", "Pod name", 0), ("NameSpace", "Namespace", 0), ("Workload", "Workload", 0)],
        "json_parse": {"NameSpace": "NameSpace", "WorkloadName": "Workload"},
        "id_format": '{"ClusterId":"cls-xxxxxxxx","PodName":"podname","NodeName":"1.1.1.1",'
        '"NameSpace":"ns","Workload":"workload"}',
        "json_keys": {
            "ClusterId": rf"cls-{_ID8}",
            "PodName": r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?",
            "NodeName": r"\S+",
            "NameSpace": r"[a-z0-9]([-a-z0-9]*[a-z0-9])?",
            "Workload": r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?",
        },
    },
]


def _field(
    ftype: str,
    field: str,
    label: str,
    default: str = "",
    required: int = 0,
    config: dict[str, Any] | None = None,
    visible: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "Type": ftype,
        "Lable": label,
        "Field": field,
        "DefaultValue": default,
        "Config": config or {},
        "Required": required,
        "Validate": {},
        "Visible": visible or {},
    }


_WAIT_CONFIG = {"max": 86400, "min": 0, "tooltip": "Only for auto-advance mode"}

# General ("Common") parameters. Recovery actions have no alias field (as in the seed, whose
# recovery action's general configuration has no AliasTitle).
COMMON_FIELDS: list[dict[str, Any]] = [
    _field("input", "AliasTitle", "Action Alias"),
    _field("number", "PreTimeWait", "Pre-Wait Time (s)", "0", config=_WAIT_CONFIG),
    _field("number", "AfterTimeWait", "Post-Wait Time (s)", "0", config=_WAIT_CONFIG),
    _field(
        "number",
        "ActionTimeout",
        "Action Timeout Period (s)",
        "1800",
        config={"max": 86400, "min": 0, "tooltip": "Action timeout period"},
        visible={"op": "<", "type": "need_insert", "value": 0, "relatedField": "ActionTimeout"},
    ),
]
# Key order of a stored general configuration (the seed's order).
GENERAL_CONFIG_ORDER = ["AliasTitle", "PreTimeWait", "ActionTimeout", "AfterTimeWait"]

_DURATION = _field("number", "duration", "Duration (s)", "180", 1, {"max": 1800, "min": 0})


def _action(
    action_id: int,
    object_type: int,
    name: str,
    desc: str,
    attribute: ActionAttribute,
    relation: int,
    *,
    risk: int = 1,
    api_type: int = 1,
    command: str = "",
    resource_type: str = "",
    fields: list[dict[str, Any]] | None = None,
    metrics: list[int] | None = None,
) -> dict[str, Any]:
    return {
        "ActionId": action_id,
        "ObjectTypeId": object_type,
        "ActionName": name,
        "Desc": desc,
        "AttributeId": int(attribute),  # plain data: the code, not the enum member
        "RelationActionId": relation,
        "risk": risk,
        "ActionCommandType": api_type,
        "ActionCommand": command,
        "ResourceType": resource_type,
        "fields": fields or [],
        "MetricIdList": metrics or [],
    }


# Short names for the table below; the codes are ActionAttribute's (api/enums.py), not defined again here.
FAULT, RECOVERY = ActionAttribute.FAULT, ActionAttribute.RECOVERY
CVM, MYSQL, CLB, REDIS, TKE_NODE, TKE_POD = 1, 2, 3, 4, 21, 22

ACTIONS: list[dict[str, Any]] = [
    # -- CVM ----------------------------------------------------------------------------
    _action(1, CVM, "Shutdown", "Shut the CVM instance down.", FAULT, 2, risk=3, command="StopInstances",
            resource_type="Instance lifecycle",
            fields=[_field("select", "StopType", "Shutdown type", "SOFT_FIRST", 1, {"options": [
                {"value": "SOFT", "label": "Soft shutdown"}, {"value": "HARD", "label": "Hard shutdown"},
                {"value": "SOFT_FIRST", "label": "Soft first, hard on failure"}]})]),
    _action(2, CVM, "Start-up", "Start the CVM instance again.", RECOVERY, 1, command="StartInstances",
            resource_type="Instance lifecycle"),
    _action(3, CVM, "Reboot", "Reboot the CVM instance (recovers by itself).", FAULT, 0, risk=2,
            command="RebootInstances", resource_type="Instance lifecycle",
            fields=[_field("select", "StopType", "Reboot type", "SOFT", 1, {"options": [
                {"value": "SOFT", "label": "Soft reboot"}, {"value": "HARD", "label": "Hard reboot"}]})]),
    _action(12, CVM, "Empty Operation", "An action that does nothing; for testing the experiment flow.",
            FAULT, 13, command="EmptyOperation", resource_type="Test"),
    _action(13, CVM, "Empty Operation (rollback)", "Rollback of the empty operation.", RECOVERY, 12,
            command="EmptyOperationRollback", resource_type="Test"),
    _action(21, CVM, "CPU high load", "Raise the CPU usage of the instance.", FAULT, 22, risk=2, api_type=0,
            command="chaos cpu load", resource_type="Resource pressure", metrics=[614],
            fields=[_field("number", "cpu_percent", "CPU usage (%)", "80", 1, {"max": 100, "min": 1}),
                    _field("number", "duration", "Duration (s)", "300", 1, {"max": 3600, "min": 0})]),
    _action(22, CVM, "CPU high load recovery", "Stop the CPU load.", RECOVERY, 21, api_type=0,
            command="chaos cpu recover", resource_type="Resource pressure"),
    _action(23, CVM, "Disk fill", "Fill a file system of the instance.", FAULT, 24, risk=2, api_type=0,
            command="chaos disk fill", resource_type="Resource pressure",
            fields=[_field("input", "path", "Directory", "/tmp", 1),
                    _field("number", "percent", "Target usage (%)", "90", 1, {"max": 99, "min": 1})]),
    _action(24, CVM, "Disk fill recovery", "Delete the fill file.", RECOVERY, 23, api_type=0,
            command="chaos disk recover", resource_type="Resource pressure"),
    _action(462, CVM, "Network packet loss", "Drop a share of the packets on a network interface.", FAULT, 463,
            risk=2, api_type=0, command="chaos network loss", resource_type="Network",
            fields=[_DURATION,
                    _field("input", "interfaces", "Network interface", "", 1, {"placeholder": "eth0"}),
                    _field("number", "percent", "Packet loss (%)", "50", 1, {"max": 100, "min": 1}),
                    _field("input", "destination_ip", "Destination IPs (comma separated)", "", 0)]),
    _action(463, CVM, "Network packet loss recovery", "Remove the packet loss rule.", RECOVERY, 462, api_type=0,
            command="chaos network recover", resource_type="Network"),
    _action(466, CVM, "DNS tampering", "Resolve a domain name to a wrong IP on the instance.", FAULT, 467,
            risk=2, api_type=0, command="chaos dns tamper", resource_type="Network",
            fields=[_DURATION, _field("input", "domain", "Domain Name", "", 1), _field("input", "ip", "IP", "", 1)]),
    _action(467, CVM, "DNS tampering recovery", "Restore the hosts/DNS configuration.", RECOVERY, 466, api_type=0,
            command="chaos dns recover", resource_type="Network"),
    # -- MySQL --------------------------------------------------------------------------
    _action(201, MYSQL, "Primary/standby switch", "Switch the MySQL instance to its standby.", FAULT, 0, risk=3,
            command="SwitchDBInstanceMasterSlave", resource_type="High availability",
            fields=[_field("radio", "ForceSwitch", "Force switch", "false", 1, {"options": [
                {"value": "false", "label": "No"}, {"value": "true", "label": "Yes"}]})]),
    _action(202, MYSQL, "Instance restart", "Restart the MySQL instance.", FAULT, 0, risk=3,
            command="RestartDBInstances", resource_type="Instance lifecycle"),
    # -- CLB ----------------------------------------------------------------------------
    _action(301, CLB, "Listener blackhole", "Drop all traffic to a listener of the load balancer.", FAULT, 302,
            risk=3, command="ModifyListener", resource_type="Network",
            fields=[_field("input", "ListenerId", "Listener ID", "", 1, {"placeholder": "lbl-xxxxxxxx"})]),
    _action(302, CLB, "Listener blackhole recovery", "Restore the listener.", RECOVERY, 301,
            command="ModifyListener", resource_type="Network"),
    # -- Redis --------------------------------------------------------------------------
    _action(351, REDIS, "Primary/standby switch", "Switch the Redis instance to a replica.", FAULT, 0, risk=3,
            command="ChangeReplicaToMaster", resource_type="High availability"),
    # -- TKE ----------------------------------------------------------------------------
    _action(401, TKE_NODE, "Node network interruption", "Cut the node off the network.", FAULT, 402, risk=3,
            api_type=0, command="chaos node network", resource_type="Network", fields=[_DURATION]),
    _action(402, TKE_NODE, "Node network interruption recovery", "Reconnect the node.", RECOVERY, 401,
            api_type=0, command="chaos node network recover", resource_type="Network"),
    _action(501, TKE_POD, "Pod kill", "Delete the pod (the workload recreates it).", FAULT, 0, risk=2,
            command="DeletePod", resource_type="Pod lifecycle",
            fields=[_field("number", "GracePeriodSeconds", "Grace period (s)", "0", 0, {"max": 600, "min": 0})]),
]

# Templates. ``execute_rule`` (per group) is emulator-private: the public Template model has no
# field for it, but tasks show it as ``TaskGroupInstancesExecuteRule``.
TEMPLATES: list[dict[str, Any]] = [
    {
        "TemplateId": 626,
        "TemplateTitle": "Empty Operation",
        "TemplateDescription": "Test an empty operation action",
        "TemplateTag": "",
        "TemplateIsUsed": 1,
        "TemplateMode": 1,
        "TemplatePauseDuration": 60,
        "TemplateSource": 1,
        "PolicyDealType": None,
        "Tags": [],
        "groups": [
            {
                "Title": "abc",
                "Description": "abc",
                "Mode": 1,
                "ObjectTypeId": CVM,
                "execute_rule": {"TaskGroupInstancesExecuteMode": 1},
                "actions": [
                    {"ActionId": 12, "general": '{"AliasTitle": "", "PreTimeWait": 0, "ActionTimeout": 1800, '
                     '"AfterTimeWait": 0}', "custom": "{}"},
                    {"ActionId": 13, "general": '{"PreTimeWait": 0, "ActionTimeout": 1800, "AfterTimeWait": 0}',
                     "custom": "{}"},
                ],
            }
        ],
    },
    {
        "TemplateId": 627,
        "TemplateTitle": "CVM shutdown on half of the instances",
        "TemplateDescription": "Shut down a random 50% of the instances, then start them again.",
        "TemplateTag": "availability",
        "TemplateIsUsed": 1,
        "TemplateMode": 1,
        "TemplatePauseDuration": 30,
        "TemplateSource": 1,
        "PolicyDealType": 1,
        "policy": {"TemplatePolicyIdList": ["policy-3pklm3so"], "TemplatePolicyRule": "or"},
        "AlarmPolicy": ["policy-3pklm3so"],
        "monitors": [{"MetricId": 614, "MetricName": "CpuUsage", "MetricChineseName": "CPU利用率"}],
        "Tags": [{"TagKey": "team", "TagValue": "sre"}, {"TagKey": "env", "TagValue": "staging"}],
        "groups": [
            {
                "Title": "Web servers",
                "Description": "Shutdown and start-up",
                "Mode": 1,
                "ObjectTypeId": CVM,
                "execute_rule": {"TaskGroupInstancesExecuteMode": 2, "TaskGroupInstancesExecutePercent": 50},
                "actions": [{"ActionId": 1, "custom": {"StopType": "SOFT_FIRST"}}, {"ActionId": 2}],
            }
        ],
    },
    {
        "TemplateId": 628,
        "TemplateTitle": "Web tier packet loss and database failover",
        "TemplateDescription": "Packet loss on the web servers, then a MySQL primary/standby switch.",
        "TemplateTag": "multi-tier",
        "TemplateIsUsed": 1,
        "TemplateMode": 1,
        "TemplatePauseDuration": 60,
        "TemplateSource": 0,
        "PolicyDealType": 1,
        "policy": {"TemplatePolicyIdList": ["policy-aaaa1111"], "TemplatePolicyRule": "or"},
        "Tags": [{"TagKey": "team", "TagValue": "dba"}],
        "groups": [
            {
                "Title": "Web servers",
                "Description": "Network packet loss",
                "Mode": 1,
                "ObjectTypeId": CVM,
                "execute_rule": {"TaskGroupInstancesExecuteMode": 3, "TaskGroupInstancesExecuteNum": 1},
                "actions": [
                    {"ActionId": 462, "custom": {"interfaces": "eth0", "percent": 30}},
                    {"ActionId": 463},
                ],
            },
            {
                "Title": "Database",
                "Description": "Primary/standby switch",
                "Mode": 1,
                "ObjectTypeId": MYSQL,
                "execute_rule": {"TaskGroupInstancesExecuteMode": 1},
                "actions": [{"ActionId": 201}],
            },
        ],
    },
    {
        "TemplateId": 629,
        "TemplateTitle": "Automatic CPU load drill",
        "TemplateDescription": "Runs CPU high load and its recovery automatically.",
        "TemplateTag": "automatic",
        "TemplateIsUsed": 1,
        "TemplateMode": 2,
        "TemplatePauseDuration": 10,
        "TemplateSource": 1,
        "PolicyDealType": 2,
        "Tags": [{"TagKey": "team", "TagValue": "sre"}],
        "groups": [
            {
                "Title": "CPU pressure",
                "Description": "CPU high load then recovery",
                "Mode": 1,
                "ObjectTypeId": CVM,
                "execute_rule": {"TaskGroupInstancesExecuteMode": 1},
                "actions": [{"ActionId": 21, "custom": {"cpu_percent": 90, "duration": 60}}, {"ActionId": 22}],
            }
        ],
    },
    {
        "TemplateId": 630,
        "TemplateTitle": "TKE pod kill (disabled)",
        "TemplateDescription": "Kill pods of a workload. Disabled: creating tasks from it is refused.",
        "TemplateTag": "",
        "TemplateIsUsed": 2,
        "TemplateMode": 1,
        "TemplatePauseDuration": 60,
        "TemplateSource": 0,
        "PolicyDealType": None,
        "Tags": [],
        "groups": [
            {
                "Title": "Pods",
                "Description": "Pod kill",
                "Mode": 1,
                "ObjectTypeId": TKE_POD,
                "execute_rule": {"TaskGroupInstancesExecuteMode": 1},
                "actions": [{"ActionId": 501}],
            }
        ],
    },
]
