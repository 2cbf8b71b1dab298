#!/usr/bin/env bash
# The compatibility matrix (`make compat`): for each supported Airflow version, a fresh venv with
# requirements/airflow-<version>.lock and the BUILT WHEEL (never the checkout), then
#   airflow providers list / hooks / links      the provider registers, its hook imports, its link is known
#   compat_probe.py form                        the connection form has SecretId/SecretKey, Region/Token/Language
#   airflow dags test <dag>, every example DAG  against cfg-emulator (from the wheel) on a loopback port,
#                                               connection from AIRFLOW_CONN_…; each experiment ended with its
#                                               verdict; at the end every experiment ended and the fault ledger
#                                               is empty (cfg_halt_all halts a seeded live experiment; the
#                                               game day writes its report through ObjectStoragePath)
# Usage: scripts/compat_check.sh [VERSION ...]   (default: every requirements/airflow-*.lock)
# COMPAT_JOBS (default 2) versions run side by side; logs in .compat/<version>.log and .compat/<version>/.
# Non-zero if any version fails.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-.venv}
export PATH="$ROOT/$VENV/bin:$PATH" UV_COMPILE_BYTECODE=1 PYTHONDONTWRITEBYTECODE= PYTHONUNBUFFERED=1
OUT=$ROOT/.compat
JOBS=${COMPAT_JOBS:-2}
if [ $# -gt 0 ]; then VERSIONS=("$@"); else
    mapfile -t VERSIONS < <(ls requirements/airflow-*.lock | sed -E 's#.*/airflow-(.*)\.lock#\1#' | sort -V)
fi

check_version() {  # one version, start to end; stdout goes to .compat/<version>/check.log
    local v=$1 w=$OUT/$1 t0 py port emu_pid status=0
    t0=$(date +%s)
    step() { printf '\n== [%s %3ss] %s\n' "$v" "$(( $(date +%s) - t0 ))" "$*"; }
    rm -rf "$w" && mkdir -p "$w/dags" "$w/run"
    cp dags_examples/*.py "$w/dags/"

    step "fresh venv: requirements/airflow-$v.lock + $(basename "$WHEEL")"
    uv venv -q --python "$(command -v python)" "$w/venv"
    uv pip install -q --python "$w/venv/bin/python" -r "requirements/airflow-$v.lock" "$WHEEL"
    py=$w/venv/bin/python
    cd "$w/run"  # nothing of the checkout is importable from here
    export PATH="$w/venv/bin:$PATH" PYTHONSAFEPATH=1 PYTHONPATH= \
        AIRFLOW_HOME=$w/home AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__DAGS_FOLDER=$w/dags \
        AIRFLOW__CORE__UNIT_TEST_MODE=False
    "$py" -c 'import importlib.metadata as m; print("apache-airflow", m.version("apache-airflow"),
        "| common-compat", m.version("apache-airflow-providers-common-compat"),
        "| airflow-provider-cfg", m.version("airflow-provider-cfg"))'

    step "airflow db migrate"
    airflow db migrate > "$w/db.log" 2>&1 || { tail -20 "$w/db.log"; return 1; }

    step "airflow providers list / hooks / links"
    airflow providers list > "$w/providers.txt" 2>&1 || { cat "$w/providers.txt"; return 1; }
    grep -F "airflow-provider-cfg" "$w/providers.txt" || { echo "providers list lacks airflow-provider-cfg"; return 1; }
    airflow providers hooks > "$w/hooks.txt" 2>&1 || { cat "$w/hooks.txt"; return 1; }
    grep -F "tencentcloud_cfg" "$w/hooks.txt" || { echo "providers hooks lacks tencentcloud_cfg"; return 1; }
    if grep -i "error" "$w/hooks.txt"; then echo "providers hooks reports an error"; return 1; fi
    airflow providers links > "$w/links.txt" 2>&1 || { cat "$w/links.txt"; return 1; }
    grep -F "airflow_provider_cfg.links.console.CfgConsoleLink" "$w/links.txt" \
        || { echo "providers links lacks CfgConsoleLink"; return 1; }
    "$py" "$ROOT/scripts/compat_probe.py" form > "$w/form.log" 2>&1 || { tail -5 "$w/form.log"; return 1; }
    tail -n 1 "$w/form.log"

    step "cfg-emulator (from the wheel) on a loopback port"
    port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    export CFG_ENDPOINT="127.0.0.1:$port" CFG_SECRET_ID=AKIDcompat0000000000000000000000000000 \
        CFG_SECRET_KEY=compat-secret-key-not-a-real-one
    cfg-emulator --host 127.0.0.1 --port "$port" --secret-id "$CFG_SECRET_ID" --secret-key "$CFG_SECRET_KEY" \
        --action-seconds 0.5 > "$w/emulator.log" 2>&1 &
    emu_pid=$!
    # shellcheck disable=SC2064
    trap "kill $emu_pid 2>/dev/null" EXIT  # this function runs in its own subshell
    for _ in $(seq 1 100); do
        "$py" -c "import urllib.request as u; u.urlopen('http://$CFG_ENDPOINT/_emulator/health', timeout=1)" \
            2>/dev/null && break
        kill -0 "$emu_pid" 2>/dev/null || { cat "$w/emulator.log"; return 1; }
        sleep 0.2
    done
    export AIRFLOW_CONN_TENCENTCLOUD_CFG_DEFAULT="{\"conn_type\": \"tencentcloud_cfg\", \"login\": \"$CFG_SECRET_ID\",
        \"password\": \"$CFG_SECRET_KEY\", \"host\": \"$CFG_ENDPOINT\"}"
    local health="http://$CFG_ENDPOINT/_emulator/health"
    dag() {  # dag_id conf [title expect]
        local started=$(date +%s)
        if airflow dags test "$1" -c "$2" > "$w/dag-$1.log" 2>&1; then
            echo "$1: run succeeded ($(( $(date +%s) - started ))s)"
        else
            echo "$1: run FAILED (log: $w/dag-$1.log)"; grep -E "ERROR|Error|failed" "$w/dag-$1.log" | tail -15
            status=1; return 0
        fi
        if [ $# -gt 2 ]; then "$py" "$ROOT/scripts/compat_probe.py" ended "$3" "$4" || status=1; fi
    }
    step "airflow dags test, every example DAG"
    dag cfg_game_day "{\"steady_state_url\": \"$health\", \"watch_seconds\": 3, \"report_path\": \"file://$w/reports\"}" \
        "Game day" 1
    # the report goes through ObjectStoragePath (airflow.io on 2.11, the task SDK on 3.x)
    ls "$w"/reports/cfg-experiment-*.md 2>/dev/null || { echo "cfg_game_day wrote no report"; status=1; }
    dag cfg_action_drill "{\"steady_state_url\": \"$health\", \"instance\": \"ins-drill001\"}" "Network Packet Loss" 1
    dag cfg_automatic_drill "{\"steady_state_url\": \"$health\"}" "Automatic CPU drill" 1
    # cfg_postmortem: parsed everywhere (asset-scheduled on 3.x, manual on 2.11); run with explicit ids
    export CFG_POSTMORTEM_PATH="file://$w/postmortems"
    dag cfg_postmortem "{\"experiment_ids\": \"$("$py" "$ROOT/scripts/compat_probe.py" ids)\"}"
    [ "$(ls "$w"/postmortems/cfg-experiment-*.md 2>/dev/null | wc -l)" -ge 3 ] \
        || { echo "cfg_postmortem wrote no report for the 3 ended experiments"; status=1; }
    "$py" "$ROOT/scripts/compat_probe.py" seed || status=1
    dag cfg_halt_all '{"region": "", "dry_run": false, "reason": "compat matrix"}' "compat halt-all target" 2
    for f in "$w"/dags/*.py; do  # a DAG added to dags_examples/ without a run above fails the matrix
        grep -q "^ *dag $(basename "$f" .py) " "$ROOT/scripts/compat_check.sh" \
            || { echo "example DAG $(basename "$f") is not run by the matrix"; status=1; }
    done

    step "every experiment ended with its verdict, the fault ledger is empty"
    "$py" "$ROOT/scripts/compat_probe.py" final || status=1
    step "done: $([ "$status" = 0 ] && echo PASS || echo FAIL) in $(( $(date +%s) - t0 ))s"
    return "$status"
}

mkdir -p "$OUT"
if [ -z "${COMPAT_WHEEL:-}" ]; then
    echo "building the wheel (python -m build --installer uv)"
    rm -rf "$OUT/dist"
    python -m build --wheel --installer uv --outdir "$OUT/dist" . > "$OUT/build.log" 2>&1 \
        || { tail -20 "$OUT/build.log"; exit 1; }
    COMPAT_WHEEL=$(ls "$OUT"/dist/*.whl)
fi
WHEEL=$(realpath "$COMPAT_WHEEL")
echo "wheel: $WHEEL; versions: ${VERSIONS[*]}; $JOBS at a time"

start=$(date +%s)
declare -A T0=()
running=() failed=()
finish() {  # report the versions whose result file has appeared; keep the others in `running`
    local v rc still=()
    for v in "${running[@]}"; do
        if [ -f "$OUT/$v.rc" ]; then
            rc=$(cat "$OUT/$v.rc")
            printf '%-8s %s  %4ss  (log: .compat/%s.log)\n' "$v" "$([ "$rc" = 0 ] && echo PASS || echo FAIL)" \
                "$(( $(date +%s) - T0[$v] ))" "$v"
            [ "$rc" = 0 ] || { failed+=("$v"); tail -n 25 "$OUT/$v.log"; }
        else
            still+=("$v")
        fi
    done
    running=("${still[@]}")
}
for v in "${VERSIONS[@]}"; do
    while [ "${#running[@]}" -ge "$JOBS" ]; do sleep 2; finish; done
    rm -f "$OUT/$v.rc"
    T0[$v]=$(date +%s)
    { rc=0; ( check_version "$v" ) > "$OUT/$v.log" 2>&1 || rc=$?; echo "$rc" > "$OUT/$v.rc"; } &
    running+=("$v")
done
while [ "${#running[@]}" -gt 0 ]; do sleep 2; finish; done
echo "compat matrix: ${#VERSIONS[@]} version(s) in $(( $(date +%s) - start ))s; failed: ${failed[*]:-none}"
[ "${#failed[@]}" -eq 0 ]
