"""``python -m bench``: run the benchmarks and rewrite ``BENCHMARKS.md`` (see :mod:`bench.run`)."""

from bench.run import main

raise SystemExit(main())
