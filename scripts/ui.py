"""``make ui``: try the provider in Airflow's web UI, in one command.

Starts the CFG emulator (port 8999, or a free one when 8999 is taken) and a real ``airflow
standalone`` (``tests/system/standalone/harness.py``: scheduler, dag-processor, triggerer,
api-server) with the example DAGs, connection tests enabled and the ``tencentcloud_cfg_default``
connection to the emulator stored in the metadata database (so Admin → Connections lists it and
its Test button works). Prints the URL and how to log in, then waits; Ctrl-C (or SIGTERM) stops
the standalone's process group and the emulator and removes the throw-away Airflow home.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ruff: disable[module-import-not-at-top-of-file]
import tests.airflow_setup  # imported by the harness: it makes an empty home for pytest, unused here
from airflow_provider_cfg.emulator.defaults import DEFAULT_PORT
from airflow_provider_cfg.emulator.server import EmulatorServer
from tests.system.standalone.harness import Standalone, free_port

# ruff: enable[module-import-not-at-top-of-file]

shutil.rmtree(tests.airflow_setup.AIRFLOW_HOME, ignore_errors=True)

AIRFLOW_PORT = 8080


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the same clean stop as Ctrl-C


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=AIRFLOW_PORT,
                        help=f"Airflow's port (default {AIRFLOW_PORT}; a free one if taken)")
    parser.add_argument("--emulator-port", type=int, default=DEFAULT_PORT,
                        help=f"the emulator's port (default {DEFAULT_PORT}; a free one if taken)")
    parser.add_argument("--action-seconds", type=float, default=2.0, help="how long one emulated action takes")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)  # also when started in the background, where SIGINT is ignored
    emulator = EmulatorServer(port=free_port(args.emulator_port), action_seconds=args.action_seconds).start()
    airflow = Standalone(emulator, connection_in_db=True, port=free_port(args.port))
    try:
        print(f"CFG emulator on {emulator.url}; starting airflow standalone in {airflow.home} "
              "(a minute or two)...", flush=True)
        airflow.start()
        airflow.wait_for_api()
        airflow.wait_for_dag("cfg_game_day")
        print(f"""
  Airflow UI:   {airflow.base_url}/
  Login:        none needed (simple auth manager: every visitor is an admin)
  Try:          Dags -> cfg_game_day -> Trigger (the defaults run a game day against the emulator);
                Admin -> Connections -> tencentcloud_cfg_default -> Test
  CFG emulator: {emulator.url}/_emulator/tasks/<experiment id>, {emulator.url}/_emulator/faults
  Logs:         {airflow.log_path}

Ctrl-C stops everything.""", flush=True)
        while True:
            airflow._check_alive()
            time.sleep(2)
    except KeyboardInterrupt:
        print("\nstopping airflow standalone and the emulator...", flush=True)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # let the clean-up finish
        airflow.stop()
        emulator.stop()
    shutil.rmtree(airflow.home, ignore_errors=True)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
