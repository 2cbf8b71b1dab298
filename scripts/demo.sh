#!/usr/bin/env bash
# The README demo: start the CFG emulator, walk the seed flow through our client, stop the
# emulator by its PID. Exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PORT=${CFG_EMULATOR_PORT:-$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export CFG_SECRET_ID=AKIDdemo0000000000000000000000000000 CFG_SECRET_KEY=demo-secret-key-not-real
export CFG_ENDPOINT="127.0.0.1:$PORT"
mkdir -p .demo

"$VENV/bin/cfg-emulator" --host 127.0.0.1 --port "$PORT" \
    --secret-id "$CFG_SECRET_ID" --secret-key "$CFG_SECRET_KEY" --action-seconds "${CFG_ACTION_SECONDS:-0.5}" \
    > .demo/emulator.log 2>&1 &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null || true; wait "$EMULATOR_PID" 2>/dev/null || true; echo "emulator (pid $EMULATOR_PID) stopped"' EXIT

for _ in $(seq 1 100); do
    "$VENV/bin/python" -c "import httpx,sys; httpx.get('http://$CFG_ENDPOINT/_emulator/health').raise_for_status()" 2>/dev/null && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || { cat .demo/emulator.log; echo "emulator died" >&2; exit 1; }
    sleep 0.1
done
echo "emulator running: pid $EMULATOR_PID, http://$CFG_ENDPOINT"

"$VENV/bin/python" scripts/seed_walkthrough.py
