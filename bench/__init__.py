"""Benchmarks of airflow-provider-cfg: ``make bench`` (full) and ``make bench-smoke`` (quick).

Every benchmark compares its contenders side by side in one run, interleaved in rounds, and
reports medians and ratios: the machines this runs on are shared and noisy, so absolute
timings mean little and nothing here asserts one. ``python -m bench --help`` lists the options;
the full run rewrites ``BENCHMARKS.md`` at the repository root.

* :mod:`bench.client_cost` — client-side CPU per ``DescribeTask`` round trip: our sync and
  async clients vs the official Tencent Cloud SDK clients vs a bare httpx post (the floor),
  against the emulator running in another process.
* :mod:`bench.import_cost` — what a DAG file pays to import our operators, sensors and hook on
  top of ``airflow.sdk``, in fresh interpreters.
* :mod:`bench.watching` — watching many experiments at once (placeholder, to be filled).
"""
