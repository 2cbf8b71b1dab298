"""The benchmark runner: ``python -m bench [--quick] [--only …] [--record LABEL]``.

The full run rewrites ``BENCHMARKS.md`` (method, latest results, machine information and the exact
command). ``--quick`` runs every benchmark path with a few rounds, prints the report and leaves
``BENCHMARKS.md`` alone unless ``--output`` says otherwise; it asserts no timing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import client_cost, components, guard_reaction, import_cost, report, watching

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "BENCHMARKS.md"
HISTORY = Path(__file__).resolve().parent / "history.json"
BENCHMARKS = ("client", "components", "import", "watching", "guard")

FULL = {"rounds": 15, "calls": 200, "warmup": 20, "ops": 2000, "import_runs": 10, "importtime_runs": 3,
        "paced_cycles": 100}
QUICK = {"rounds": 2, "calls": 10, "warmup": 3, "ops": 50, "import_runs": 1, "importtime_runs": 1,
         "paced_cycles": 2}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a few rounds only (CI smoke); no timing is asserted")
    parser.add_argument("--only", action="append", choices=BENCHMARKS,
                        help="run only this benchmark (repeatable); default: all")
    parser.add_argument("--rounds", type=int, help=f"client cost and components rounds (default {FULL['rounds']})")
    parser.add_argument("--calls", type=int,
                        help=f"client cost calls per contender and round (default {FULL['calls']})")
    parser.add_argument("--import-runs", type=int,
                        help=f"fresh interpreters of each kind (default {FULL['import_runs']})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the round order shuffle")
    parser.add_argument("--output", help="report path, '-' for stdout "
                                         "(default BENCHMARKS.md; stdout with --quick)")
    parser.add_argument("--json", dest="json_path", help="also write the raw results as JSON here")
    parser.add_argument("--record", metavar="LABEL",
                        help="record this run's medians under LABEL in bench/history.json (Before / after table)")
    parser.add_argument("--note", default="", help="a note stored with --record")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def run(
    only: Sequence[str] = BENCHMARKS,
    quick: bool = False,
    rounds: int | None = None,
    calls: int | None = None,
    import_runs: int | None = None,
    seed: int = 0,
    log: Any = lambda message: None,
) -> dict[str, Any]:
    """Run the chosen benchmarks; returns ``{"quick": …, "client": …, "components": …, "import": …, "watching": …,
    "guard": …}``."""
    preset = QUICK if quick else FULL
    results: dict[str, Any] = {"quick": quick}
    if "client" in only:
        results["client"] = client_cost.run_client_cost(
            rounds=rounds or preset["rounds"], calls=calls or preset["calls"], warmup=preset["warmup"],
            seed=seed, log=log, paced_cycles=preset["paced_cycles"],
        )
    if "components" in only:
        results["components"] = components.run_components(
            rounds=rounds or preset["rounds"], ops=preset["ops"], log=log,
        )
    if "import" in only:
        results["import"] = import_cost.run_import_cost(
            runs=import_runs or preset["import_runs"], importtime_runs=preset["importtime_runs"], log=log,
        )
    if "watching" in only:
        results["watching"] = watching.run_watching_at_scale(quick=quick, log=log)
    if "guard" in only:
        results["guard"] = guard_reaction.run_guard_reaction(quick=quick, log=log)
    return results


def load_history(path: Path = HISTORY) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return json.loads(path.read_text())


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    only = tuple(args.only or BENCHMARKS)
    if args.record and args.quick:
        raise SystemExit("--record needs a full run (not --quick)")

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    machine = report.machine_info()
    results = run(only, args.quick, args.rounds, args.calls, args.import_runs, args.seed, log)
    load_after = list(os.getloadavg()) if hasattr(os, "getloadavg") else None

    history = load_history()
    if args.record:
        entry = report.history_entry(args.record, args.note, machine, results)
        history = [old for old in history if old["label"] != args.record] + [entry]
        HISTORY.write_text(json.dumps(history, indent=2, ensure_ascii=False) + "\n")

    text = report.render(results, machine, report.command_line(argv), history, load_after)
    output = args.output or ("-" if args.quick else str(DEFAULT_OUTPUT))
    if output == "-":
        print(text)
    else:
        Path(output).write_text(text + ("" if text.endswith("\n") else "\n"))
        log(f"wrote {output}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"machine": machine, "results": results}, indent=2) + "\n")
    return 0
