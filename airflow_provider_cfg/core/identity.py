"""Exactly-once experiments: mark each experiment with the Airflow task that created it.

CFG has no idempotency token. So an experiment is tagged with a short hash of the Airflow
identity (dag id, task id, run id, map index) and marked in its description; before creating,
and after a create call whose outcome is unknown, the operator looks that mark up and reattaches
instead of creating a second experiment. Every experiment the provider creates also carries
``managed-by=airflow-provider-cfg``: :func:`list_managed_experiments` finds them (halt-all's sweep).
No Airflow import here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from airflow_provider_cfg.api.enums import TaskStatus
from airflow_provider_cfg.api.errors import CfgApiError, CfgTransportError

if TYPE_CHECKING:
    from airflow_provider_cfg.api.client import CfgClient

IDENTITY_TAG = "airflow-identity"
MANAGED_TAG = "managed-by"
MANAGED_VALUE = "airflow-provider-cfg"
DAG_TAG = "airflow-dag"


@dataclass(frozen=True)
class AirflowIdentity:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int = -1

    @property
    def key(self) -> str:
        """A stable 24-hex-digit digest: short enough for a tag value, unique per task instance."""
        raw = f"{self.dag_id}\x1f{self.task_id}\x1f{self.run_id}\x1f{self.map_index}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    @property
    def marker(self) -> str:
        """Appended to the experiment description; also findable when tags are unavailable."""
        return f"[{IDENTITY_TAG}:{self.key}]"

    def tags(self) -> dict[str, str]:
        return {IDENTITY_TAG: self.key, MANAGED_TAG: MANAGED_VALUE, DAG_TAG: self.dag_id[:200]}

    def describe(self) -> str:
        suffix = f"[{self.map_index}]" if self.map_index >= 0 else ""
        return f"{self.dag_id}.{self.task_id}{suffix} run {self.run_id}"


def _matches(client: CfgClient, identity: AirflowIdentity, title: str | None) -> list[int]:
    if title is None:
        items = client.describe_task_list(limit=100, tags={IDENTITY_TAG: identity.key}).TaskList or []
        return [int(item.TaskId or 0) for item in items]
    # Without tags (CreateTaskFromMultiAction has none): same title, marker in the description.
    found: list[int] = []
    for page in range(MAX_TITLE_PAGES):
        items = client.describe_task_list(limit=100, offset=100 * page, title=title).TaskList or []
        found += [int(item.TaskId or 0) for item in items if identity.marker in (item.TaskDescription or "")]
        if len(items) < 100:
            break
    return found


MAX_TITLE_PAGES = 10


def find_experiment(
    client: CfgClient, identity: AirflowIdentity, *, title: str | None = None, attempts: int = 1, pause: float = 1.0
) -> int | None:
    """The newest experiment carrying ``identity``, or ``None``.

    :param title: look up by title and description marker instead of by tag.
    :param attempts: > 1 re-reads a few times, for use right after an ambiguous create.
    """
    for attempt in range(attempts):
        try:
            found = _matches(client, identity, title)
        except (CfgApiError, CfgTransportError):
            if attempt + 1 == attempts:
                raise
            found = []
        if found:
            return max(found)
        if attempt + 1 < attempts:
            time.sleep(pause)
    return None


LIVE_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.RUNNING, TaskStatus.PAUSED)
"""Every status but ended (1004): experiments that may still inject something."""


@dataclass(frozen=True)
class ManagedExperiment:
    """An experiment the provider created, as ``DescribeTaskList`` lists it."""

    experiment_id: int
    title: str | None
    status: int | None
    dag: str | None
    """The DAG that created it (its ``airflow-dag`` tag)."""


def list_managed_experiments(
    client: CfgClient,
    statuses: Sequence[int] = LIVE_STATUSES,
    *,
    page_size: int = 100,
    max_pages: int = 50,
    managed_only: bool = True,
) -> list[ManagedExperiment]:
    """Every experiment tagged ``managed-by=airflow-provider-cfg`` in one of ``statuses``, newest first.

    :param client: a synchronous CFG client (its region is the one listed).
    :param statuses: ``TaskStatus`` codes to list; default every status but ended.
    :param page_size: experiments per ``DescribeTaskList`` page.
    :param max_pages: stop after this many pages.
    :param managed_only: only the experiments tagged by this provider (``False``: every experiment
        of the account, e.g. for target exclusivity).
    """
    found: dict[int, ManagedExperiment] = {}
    for page in range(max_pages):
        listing = client.describe_task_list(
            limit=page_size, offset=page * page_size, tags={MANAGED_TAG: MANAGED_VALUE} if managed_only else None,
            statuses=list(statuses),
        )
        items = listing.TaskList or []
        for item in items:
            if item.TaskId is not None:  # an experiment listed on two pages (a new one shifted them) counts once
                found.setdefault(int(item.TaskId), ManagedExperiment(
                    experiment_id=int(item.TaskId),
                    title=item.TaskTitle,
                    status=int(item.TaskStatus) if item.TaskStatus is not None else None,
                    dag=next((t.TagValue for t in item.Tags or [] if t.TagKey == DAG_TAG), None),
                ))
        if len(items) < page_size or (page + 1) * page_size >= (listing.Total or 0):
            break
    return sorted(found.values(), key=lambda item: item.experiment_id, reverse=True)
