"""The FastAPI app of the plugin, mounted by Airflow 3's api-server under ``/cfg``:

* ``GET /cfg/game-days`` — the game days of every DAG the user may read, with a trend chart;
* ``GET /cfg/report/{dag_id}/{run_id}`` — the rendered game-day report of that run.

Behind Airflow's own auth: the user comes from Airflow's token (header or the UI's cookie,
``airflow.api_fastapi.core_api.security.get_user``), and only DAGs the auth manager lets them read
(``GET``) are shown; another DAG's report is 403. Imported only on Airflow 3.
"""

from html import escape
from urllib.parse import quote

from airflow.api_fastapi.core_api.security import GetUserDep
from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse

from airflow_provider_cfg.plugins import store
from airflow_provider_cfg.plugins.pages import game_days_page, row_of

URL_PREFIX = "/cfg"


def readable_dags(user: object, dag_ids: set[str]) -> set[str]:
    """The DAGs of ``dag_ids`` that Airflow's auth manager lets ``user`` read."""
    from airflow.api_fastapi.app import get_auth_manager

    return get_auth_manager().filter_authorized_dag_ids(dag_ids=dag_ids, user=user, method="GET")


def create_app() -> FastAPI:
    app = FastAPI(title="CFG game days", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/game-days", response_class=HTMLResponse)
    def game_days(user: GetUserDep) -> str:
        days = store.game_days()
        readable = readable_dags(user, {day.dag_id for day in days}) if days else set()
        return game_days_page([row_of(day) for day in days if day.dag_id in readable])

    @app.get("/report/{dag_id}/{run_id:path}", response_class=HTMLResponse)
    def report(dag_id: str, run_id: str, user: GetUserDep) -> str:
        from airflow_provider_cfg.core.report import render_markdown
        from airflow_provider_cfg.core.report.html import to_html

        if dag_id not in readable_dags(user, {dag_id}):
            raise HTTPException(status_code=403, detail=f"You may not read the DAG {dag_id}")
        days = store.game_days(dag_id, run_id, limit=1)
        if not days:
            raise HTTPException(status_code=404, detail=f"No game-day report in run {run_id} of {dag_id}")
        day = days[0]
        run_page = f"/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"
        nav = (f'<p><a href="{URL_PREFIX}/game-days">← Game days</a> · DAG run '
               f'<a href="{escape(run_page)}" target="_top">{escape(dag_id)} / {escape(run_id)}</a></p>')
        return to_html(day.markdown or render_markdown(day.report), title=f"Game-day report: {run_id}", before=nav)

    return app
