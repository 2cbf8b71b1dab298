"""JSON-schema building blocks for DAG params (Airflow's trigger form): one definition of each format.

Airflow checks a run's params against these when the run is created (the form, the REST API and
the CLI alike), so a bad value is refused before anything reaches CFG. ``format: "uri"`` alone is
not enough: jsonschema checks it only when an optional package is installed; the patterns are.
"""

from __future__ import annotations

from airflow_provider_cfg.api.config import REGION_GRAMMAR

# CFG's CVM object id (cfg-api.md, TaskInstances formats; CVM ids are "ins-" and 8 characters).
CVM_INSTANCE_ID = r"^ins-[a-z0-9]{8}$"
# ap-guangzhou, ap-shanghai-fsi, na-siliconvalley: the grammar the client enforces.
REGION = rf"^{REGION_GRAMMAR.pattern}$"
REGION_OR_EMPTY = rf"^({REGION_GRAMMAR.pattern})?$"
# http(s), a host, no spaces.
HTTP_URL = r"^https?://[^\s/?#]+\S*$"


def http_url_schema() -> dict[str, str]:
    """The schema of a steady-state URL param."""
    return {"type": "string", "format": "uri", "pattern": HTTP_URL}


def cvm_instances_schema() -> dict[str, object]:
    """The schema of a list of target CVM instances (the form shows one id per line)."""
    return {"type": "array", "minItems": 1, "uniqueItems": True,
            "items": {"type": "string", "pattern": CVM_INSTANCE_ID}}
