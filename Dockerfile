# Airflow 3.3.2 (official image) with this provider installed from the checkout.
FROM apache/airflow:3.3.2-python3.11

COPY --chown=airflow:root pyproject.toml README.md LICENSE /opt/airflow-provider-cfg/
COPY --chown=airflow:root airflow_provider_cfg /opt/airflow-provider-cfg/airflow_provider_cfg
# Airflow pinned to the image's own version, as the official image docs ask: otherwise pip may upgrade
# or downgrade Airflow while resolving the provider. LICENSE is copied: pyproject's license-files names it.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" "/opt/airflow-provider-cfg"
