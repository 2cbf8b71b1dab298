"""Apache Airflow provider for Tencent Cloud Chaos Fault Generator (CFG)."""

__version__ = "0.2.0"
