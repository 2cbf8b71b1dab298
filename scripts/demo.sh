#!/usr/bin/env bash
# The README demo, from a fresh clone: start the local CFG emulator, walk the CFG API flow through
# our client, run the cfg_game_day DAG with `airflow dags test` against it, print the experiment's
# conclusion and the emulator's fault ledger, stop the emulator by its PID. Non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"
DEMO=.demo
rm -rf "$DEMO" && mkdir -p "$DEMO"
bold() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }

PORT=${CFG_EMULATOR_PORT:-$(python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export CFG_ENDPOINT="127.0.0.1:$PORT"
export CFG_SECRET_ID=AKIDdemo00000000000000000000000000000 CFG_SECRET_KEY=demo-secret-key-not-a-real-one

bold "1/3 Start the CFG emulator (a local stand-in for Tencent Cloud CFG)"
cfg-emulator --host 127.0.0.1 --port "$PORT" --secret-id "$CFG_SECRET_ID" --secret-key "$CFG_SECRET_KEY" \
    --action-seconds "${CFG_ACTION_SECONDS:-1}" > "$DEMO/emulator.log" 2>&1 &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null && wait "$EMULATOR_PID" 2>/dev/null; echo "emulator (pid $EMULATOR_PID) stopped"' EXIT
for _ in $(seq 1 100); do
    python -c "import httpx; httpx.get('http://$CFG_ENDPOINT/_emulator/health').raise_for_status()" 2>/dev/null && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$DEMO/emulator.log"; echo "the emulator died" >&2; exit 1; }
    sleep 0.2
done
echo "cfg-emulator pid $EMULATOR_PID on http://$CFG_ENDPOINT (log: $DEMO/emulator.log)"

bold "2/3 The CFG API walkthrough through our signed client"
python scripts/seed_walkthrough.py

bold "3/3 Airflow: run the cfg_game_day DAG (airflow dags test) against the emulator"
export AIRFLOW_HOME="$PWD/$DEMO/airflow" AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__DAGS_FOLDER="$PWD/dags_examples"
export AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT="{\"conn_type\": \"tencentcloud_cfg\", \"login\": \"$CFG_SECRET_ID\", \"password\": \"$CFG_SECRET_KEY\", \"host\": \"$CFG_ENDPOINT\"}"
echo "airflow db migrate (log: $DEMO/airflow-db.log)"
airflow db migrate > "$DEMO/airflow-db.log" 2>&1 || { tail -20 "$DEMO/airflow-db.log"; exit 1; }
echo "airflow dags test cfg_game_day (full log: $DEMO/dags-test.log)"
status=0
REPORTS="$PWD/$DEMO/reports"
airflow dags test cfg_game_day -c "{\"steady_state_url\": \"http://$CFG_ENDPOINT/_emulator/health\", \"watch_seconds\": 4, \"report_path\": \"file://$REPORTS\"}" > "$DEMO/dags-test.log" 2>&1 || status=$?
report=$(ls "$REPORTS"/cfg-experiment-*.md 2>/dev/null | tail -n 1 || true)
if [ -n "$report" ]; then
    bold "The game-day report (${report#"$PWD/"}, and .json beside it)"
    cat "$report"
else
    echo "no game-day report was written to $REPORTS" >&2; status=1
fi
bold "Outcome"
python scripts/demo_report.py cfg_game_day "Game day" || status=1
exit "$status"
