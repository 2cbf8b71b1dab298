"""No fault left behind: the rollback teardown of one experiment, and halt-all's sweep and check of
every live experiment the provider created."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_cfg.operators.base import XCOM_REPORT, CfgBaseOperator, experiment_id_of
from airflow_provider_cfg.operators.experiment import as_bool

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_cfg.api.client import CfgClient

XCOM_FOUND = "found"
"""Where :class:`CfgFindLiveExperimentsOperator` pushes what it found (a list of dicts)."""


class CfgRollbackExperimentOperator(CfgBaseOperator):
    """Recover every fault the experiment injected and end it honestly — meant as a teardown::

        create >> start >> inject >> check >> recover >> conclude
        rollback = CfgRollbackExperimentOperator(task_id="rollback", experiment_id=create.output)
        rollback.as_teardown(setups=create)

    It reads the experiment, executes the paired recovery of every fault that ran without being
    recovered (reverse order, waiting for each), falls back to the guardrail's sequential rollback
    when a recovery cannot be executed, and ends the experiment with ``IsExpect=false`` and a summary
    of what it did — unless the experiment was already concluded, in which case it changes nothing.
    Running it twice changes nothing the second time. It fails when something is still injected.

    :param experiment_id: the experiment (``TaskId``) (templated). Empty (the create task returned no
        id) means: roll back what this run's setup create task made anyway (found by its Airflow
        identity, when it failed after CFG created the experiment); nothing if it made none.
    :param reason: why, for the summary (templated).
    :param poll_interval: seconds between reads while waiting for a recovery.
    :param step_timeout: longest wait for one recovery, in seconds.
    :param read_patience: how long reads are retried through an API outage, in seconds.
    :param report_path: where to also write the report of a rolled-back experiment (object storage URL).
    """

    safety_path = True

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "experiment_id", "reason", "report_path")

    def __init__(
        self,
        *,
        experiment_id: int | str | None,
        reason: str = "Airflow teardown: the game-day run did not conclude the experiment",
        poll_interval: float = 2.0,
        step_timeout: float = 900.0,
        read_patience: float = 300.0,
        report_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        from airflow_provider_cfg.core.inputs import interval, wait_limit

        kwargs.setdefault("retries", 3)
        super().__init__(**kwargs)
        interval(poll_interval)
        wait_limit(step_timeout, "step_timeout", optional=False)
        wait_limit(read_patience, "read_patience", optional=False)
        self.experiment_id = experiment_id
        self.reason = reason
        self.poll_interval = poll_interval
        self.step_timeout = step_timeout
        self.read_patience = read_patience
        self.report_path = report_path

    def execute(self, context: Context) -> dict[str, Any]:
        if self.experiment_id not in (None, "", "None"):
            return self.roll_back(context, experiment_id_of(self.experiment_id))
        with self.client() as client:
            created = self.created_by_setups(context, client)
        if not created:
            self.log.info("No experiment was created; nothing to roll back")
            return {"experiment_id": None, "clean": True}
        if len(created) > 1:
            self.log.warning("The setup create tasks left %s experiments: %s; rolling back the first", len(created),
                             created)
        self.log.warning(
            "No experiment id was given, but the setup create task made experiment %s (it failed after "
            "CFG created it): rolling it back", created[0],
        )
        return self.roll_back(context, created[0])

    def created_by_setups(self, context: Context, client: CfgClient) -> list[int]:
        """Experiments that this run's setup create tasks made though no id came back (a create that
        failed, or was killed, after CFG created the experiment): found by the create task's
        Airflow identity (its tag), so that the teardown still ends them honestly. Creates without
        tags (``CfgCreateExperimentFromActionsOperator``) are not found this way."""
        from airflow_provider_cfg.core.identity import AirflowIdentity, find_experiment
        from airflow_provider_cfg.operators.create import _CfgCreateExperimentOperator

        if not self.has_dag():  # an operator run on its own has no setups
            return []
        ti = context["ti"]
        found: list[int] = []
        for task in sorted(self.upstream_list, key=lambda upstream: upstream.task_id):
            if not (getattr(task, "is_setup", False) and isinstance(task, _CfgCreateExperimentOperator)):
                continue
            experiment_id = find_experiment(client, AirflowIdentity(ti.dag_id, task.task_id, ti.run_id))
            if experiment_id is not None:
                found.append(experiment_id)
        return found

    def roll_back(self, context: Context, experiment_id: int) -> dict[str, Any]:
        """Roll ``experiment_id`` back; the link and the report are optional and never stop it."""
        from airflow_provider_cfg.core.rollback import Rollback
        from airflow_provider_cfg.exceptions import CfgStepFailedError

        with self.client() as client:
            self.publish_experiment_safely(context, client, experiment_id)
            report = Rollback(
                client, experiment_id, self.reason,
                poll_interval=self.poll_interval, step_timeout=self.step_timeout, read_patience=self.read_patience,
            ).run()
            nothing_done = report.already_concluded and report.clean
            if nothing_done:
                self.log.info(
                    "Experiment %s was already concluded with nothing left injected; nothing to do", experiment_id
                )
            else:
                self.log.warning("Rollback of experiment %s: %s", experiment_id, report.summary())
            # The record, unless a conclusion in this run wrote it (an abort by the steady-state
            # guard, a kill or an end by hand leaves none).
            if not nothing_done or self.upstream_xcom(context, XCOM_REPORT) is None:
                outcome = None if nothing_done else "rolled back, every fault recovered" if report.clean else \
                    "rollback INCOMPLETE, still injected: " + ", ".join(report.left_injected)
                self.publish_report(context, client, experiment_id, report_path=self.report_path, outcome=outcome)
        result = {
            "experiment_id": experiment_id,
            "clean": report.clean,
            "recovered": report.recovered,
            "left_injected": report.left_injected,
            "guardrail_triggered": report.guardrail_triggered,
            "ended_by_rollback": report.ended and not report.already_concluded,
            "problems": report.problems,
        }
        if not report.clean:
            raise CfgStepFailedError(
                f"experiment {experiment_id}: faults may still be injected: {', '.join(report.left_injected)}"
            )
        return result


class CfgFindLiveExperimentsOperator(CfgBaseOperator):
    """Halt-all's sweep: every experiment created by this provider (tag ``managed-by=airflow-provider-cfg``)
    that has not ended, newest first; returns their ids, to map a :class:`CfgRollbackExperimentOperator` over::

        find = CfgFindLiveExperimentsOperator(task_id="find_live_experiments")
        rollback = CfgRollbackExperimentOperator.partial(task_id="rollback_experiment").expand(
            experiment_id=find.output
        )
        find >> rollback >> CfgHaltSummaryOperator(task_id="summary", sweep_task_id="find_live_experiments")

    What was found (``experiment_id``, ``title``, ``status``, ``dag``) is logged and pushed to XCom
    under ``found``. Experiments made by other tools, and ended ones, are left alone.

    :param list_only: a dry run: return no ids, so nothing is rolled back (templated: ``"{{ params.dry_run }}"``).
    """

    safety_path = True

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "list_only")

    def __init__(self, *, list_only: bool | str = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.list_only = list_only

    def execute(self, context: Context) -> list[int]:
        from dataclasses import asdict

        from airflow_provider_cfg.core.identity import list_managed_experiments

        with self.client() as client:
            found = list_managed_experiments(client)
            region = client.config.region
        try:  # what was found, for the summary; optional: the ids returned below drive the rollbacks
            context["ti"].xcom_push(key=XCOM_FOUND, value=[asdict(item) for item in found])
        except Exception as exc:
            self.log.warning("Could not push what was found to XCom (%s: %s); the rollbacks go on", type(exc).__name__,
                             exc)
        for item in found:
            self.log.warning(
                "Live experiment %s (status %s, DAG %s): %s", item.experiment_id, item.status, item.dag, item.title
            )
        self.log.warning("%s live experiment(s) created by airflow-provider-cfg in %s", len(found), region)
        if as_bool(self.list_only, "list_only"):
            self.log.warning("DRY RUN: nothing will be rolled back")
            return []
        return [item.experiment_id for item in found]


class CfgHaltSummaryOperator(CfgBaseOperator):
    """Halt-all's check, after the rollbacks (whatever their outcome: ``trigger_rule="all_done"``):
    re-read every experiment the sweep found; fail if a fault is still injected (each one named, to
    recover by hand) or an experiment has not ended. Live experiments that appeared since are logged.

    :param sweep_task_id: the :class:`CfgFindLiveExperimentsOperator` task whose ``found`` XCom to check.
    :param list_only: the sweep only listed (a dry run): report what would be halted, check nothing (templated).
    """

    safety_path = True

    template_fields: Sequence[str] = (*CfgBaseOperator.template_fields, "list_only")

    def __init__(self, *, sweep_task_id: str, list_only: bool | str = False, **kwargs: Any) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        super().__init__(**kwargs)
        self.sweep_task_id = sweep_task_id
        self.list_only = list_only

    def execute(self, context: Context) -> dict[str, Any]:
        from airflow_provider_cfg.core.halt import check_halted
        from airflow_provider_cfg.core.report.note import halt_note
        from airflow_provider_cfg.exceptions import CfgStepFailedError

        found = context["ti"].xcom_pull(task_ids=self.sweep_task_id, key=XCOM_FOUND)
        if found is None:  # the sweep could not push its details: its returned ids still say what it swept
            ids = context["ti"].xcom_pull(task_ids=self.sweep_task_id)
            found = [{"experiment_id": int(i)} for i in ids] if isinstance(ids, list) else None
        if found is None:
            raise CfgStepFailedError(f"the sweep ({self.sweep_task_id}) did not run: nothing is known to be halted")
        swept = [int(item["experiment_id"]) for item in found]
        if as_bool(self.list_only, "list_only"):
            self.log.warning("DRY RUN: would halt %s experiment(s): %s", len(swept), swept)
            self.publish_run_note(context, lambda _: halt_note(would_halt=swept), with_report=False)
            return {"dry_run": True, "would_halt": swept}
        with self.client() as client:
            check = check_halted(client, swept)
        for item in check.appeared_since:
            self.log.warning(
                "Experiment %s (%s) appeared after the sweep; press the button again", item.experiment_id, item.title
            )
        self.log.warning("Halted %s of %s experiment(s): %s", len(check.halted), len(swept), check.halted)
        for problem in check.problems:
            self.log.error("%s", problem)
        self.publish_run_note(
            context, lambda link: halt_note(halted=check.halted, problems=check.problems, report_link=link),
            with_report=bool(swept),
        )
        if check.problems:
            raise CfgStepFailedError("not everything was halted: " + "; ".join(check.problems))
        return {
            "dry_run": False,
            "halted": check.halted,
            "appeared_since": [item.experiment_id for item in check.appeared_since],
        }
