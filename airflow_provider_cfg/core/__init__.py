"""The experiment logic of the provider, with no Airflow import.

Everything that decides what happens to an experiment lives here: which step is meant
(:mod:`.steps`), the events every wait ends with (:mod:`.events`), settling a call whose outcome
is unknown (:mod:`.settle`), putting an experiment back the way it was (:mod:`.rollback`), the
steady-state rule (:mod:`.guard`), plans and their policy (:mod:`.plan`), reports
(:mod:`.report`). The Airflow shell (``hooks``, ``operators``, ``sensors``, ``triggers``,
``links``) parses arguments, calls these modules, defers and reports.

Import rule: modules import at the top. A function-level import is allowed only in the Airflow
shell, and only to keep DAG-parse cost down (measured by ``bench/import_cost.py``).
"""
