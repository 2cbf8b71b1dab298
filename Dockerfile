# Airflow 3.3.2 (official image) with this provider installed from the checkout.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root pyproject.toml README.md /opt/airflow-provider-cfg/
COPY --chown=airflow:root airflow_provider_cfg /opt/airflow-provider-cfg/airflow_provider_cfg
RUN pip install --no-cache-dir "/opt/airflow-provider-cfg"
