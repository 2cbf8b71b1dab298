"""The provider's Airflow UI plugin: a "Game days" page under Browse and the rendered game-day report
of a run (Airflow 3: a FastAPI app under ``/cfg``; see docs/ui.md). :mod:`.game_days` is the plugin
(registered through the ``airflow.plugins`` entry point), :mod:`.store` reads what the operators
stored (XCom), :mod:`.pages` draws the HTML, :mod:`.app` serves it behind Airflow's auth manager."""
