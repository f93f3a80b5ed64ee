#!/usr/bin/env bash
# The local AWS emulators the tests and `npm start` talk to, on loopback, with no Docker and no internet:
#   LocalStack (SQS, SNS, SES) on its edge port, run on the host from PyPI in a virtualenv;
#   AWS's DynamoDB Local beside it, from Maven Central, on the machine's Java.
# LocalStack's own DynamoDB downloads DynamoDB Local and a JRE at run time, which cannot work offline,
# so DynamoDB is served by DynamoDB Local directly and reached through AWS_ENDPOINT_URL_DYNAMODB.
#
# usage: scripts/emulator.sh install | start [NAME...] | stop [NAME...] | status | env
#   NAME is localstack or dynamodb (default: both). `start` leaves alone whatever already answers,
#   and `stop` stops only what `start` started (it keeps a pid file for each).
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RECIPES="$PROJECT_ROOT/scripts/emulator"
HOME_DIR="${EMULATOR_HOME:-$PROJECT_ROOT/.emulator}"
LOCALSTACK_PORT="${LOCALSTACK_PORT:-4566}"
DYNAMODB_PORT="${DYNAMODB_LOCAL_PORT:-4569}"
START_TIMEOUT_SECONDS="${EMULATOR_START_TIMEOUT:-120}"

LOCALSTACK_URL="http://127.0.0.1:$LOCALSTACK_PORT"
DYNAMODB_URL="http://127.0.0.1:$DYNAMODB_PORT"
LOCALSTACK_VENV="$HOME_DIR/localstack/venv"
DYNAMODB_LIB="$HOME_DIR/dynamodb-local/lib"
RUN_DIR="$HOME_DIR/run"

say() { printf 'emulator: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 || fail "$1 is required ($2) but was not found on PATH"
}

# recipe_hash, is_installed (a stamp holds the hash of the recipe an install was made from) and install_python_venv.
# shellcheck source=lib/python-tool.sh
source "$PROJECT_ROOT/scripts/lib/python-tool.sh"

install_localstack() {
  local recipe="$RECIPES/localstack-requirements.txt" stamp="$HOME_DIR/localstack/.installed"
  is_installed "$recipe" "$stamp" && return 0
  need python3 "LocalStack runs on the host's Python 3.11"
  say "installing LocalStack into $LOCALSTACK_VENV (once)"
  install_python_venv "$recipe" "$LOCALSTACK_VENV" "$stamp"
}

install_dynamodb() {
  local recipe="$RECIPES/dynamodb-local/pom.xml" stamp="$HOME_DIR/dynamodb-local/.installed"
  is_installed "$recipe" "$stamp" && return 0
  need java "DynamoDB Local runs on Java 17 or newer"
  need mvn "DynamoDB Local and its native SQLite library come from Maven Central"
  say "installing DynamoDB Local into $DYNAMODB_LIB (once)"
  rm -rf "$DYNAMODB_LIB"
  mvn --batch-mode --quiet --file "$recipe" \
    -Dmaven.repo.local="$HOME_DIR/dynamodb-local/m2" \
    dependency:copy-dependencies -DoutputDirectory="$DYNAMODB_LIB" -DincludeScope=runtime
  recipe_hash "$recipe" >"$stamp"
}

localstack_healthy() {
  # Healthy means every service we need is up, not merely that something answers on the port.
  local health
  health="$(curl --silent --max-time 2 "$LOCALSTACK_URL/_localstack/health" 2>/dev/null)" || return 1
  for service in sqs sns ses; do
    grep -Eq "\"$service\": *\"(running|available)\"" <<<"$health" || return 1
  done
}

dynamodb_healthy() {
  # DynamoDB Local checks that a request is signed, not the signature itself.
  curl --silent --fail --max-time 2 -X POST "$DYNAMODB_URL/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' 2>/dev/null | grep -q TableNames
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

launch_localstack() {
  # Settings read from LocalStack 4.13.1's config.py: no certificate download, no analytics events,
  # no DNS server (it would need port 53), the gateway on loopback only, and queue URLs that
  # point back at loopback so they resolve offline.
  exec setsid env SERVICES=sqs,sns,ses EAGER_SERVICE_LOADING=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 DNS_ADDRESS=0 \
    GATEWAY_LISTEN="127.0.0.1:$LOCALSTACK_PORT" LOCALSTACK_HOST="127.0.0.1:$LOCALSTACK_PORT" \
    SQS_ENDPOINT_STRATEGY=path FILESYSTEM_ROOT="$HOME_DIR/localstack/filesystem" \
    "$LOCALSTACK_VENV/bin/python" -m localstack.runtime.main
}

launch_dynamodb() {
  # In memory: every start is a clean database. One shared database whatever the caller's
  # region or credentials, so the tests, `npm start` and a person with the AWS CLI see the same tables.
  exec setsid java -Djava.library.path="$DYNAMODB_LIB" -cp "$DYNAMODB_LIB/*" \
    software.amazon.dynamodb.services.local.main.ServerRunner \
    -inMemory -sharedDb -disableTelemetry -port "$DYNAMODB_PORT"
}

start_one() {
  local name="$1" url port
  case "$name" in
    localstack) url="$LOCALSTACK_URL" port="$LOCALSTACK_PORT" ;;
    dynamodb) url="$DYNAMODB_URL" port="$DYNAMODB_PORT" ;;
  esac
  if "${name}_healthy"; then
    say "$name already answers at $url; leaving it alone"
    return 0
  fi
  port_taken "$port" && fail "$name cannot start: port $port is taken by something that is not a healthy $name (see: ss -ltnp 'sport = :$port')"
  "install_$name"

  mkdir -p "$RUN_DIR"
  local log="$RUN_DIR/$name.log" pidfile="$RUN_DIR/$name.pid"
  # Each launcher execs under setsid: the emulator leads its own process group, so `stop` ends its children
  # too, and a Ctrl-C meant for the caller does not reach it.
  "launch_$name" </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"

  local waited=0
  until "${name}_healthy"; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      rm -f "$pidfile"
      tail -n 30 "$log" >&2 || true
      fail "$name exited during start-up (log above, full log: $log)"
    fi
    ((waited >= START_TIMEOUT_SECONDS)) && {
      tail -n 30 "$log" >&2 || true
      stop_one "$name"
      fail "$name did not become healthy at $url within ${START_TIMEOUT_SECONDS}s (full log: $log)"
    }
    sleep 1
    waited=$((waited + 1))
  done
  say "$name is up at $url (pid $(cat "$pidfile"), log $log)"
}

stop_one() {
  local name="$1" pidfile="$RUN_DIR/$1.pid" pid
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    say "$name stopped (pid $pid)"
  fi
  rm -f "$pidfile"
}

status_one() {
  local name="$1" url="$2" owner="not started by this script"
  [[ -f "$RUN_DIR/$name.pid" ]] && owner="started by this script, pid $(cat "$RUN_DIR/$name.pid")"
  if "${name}_healthy"; then
    echo "$name: up at $url ($owner)"
  else
    echo "$name: down at $url"
    return 1
  fi
}

names_or_all() {
  if (($# == 0)); then
    echo localstack dynamodb
    return
  fi
  for name in "$@"; do
    [[ "$name" == localstack || "$name" == dynamodb ]] || fail "unknown emulator '$name' (localstack or dynamodb)"
  done
  echo "$@"
}

command="${1:-}"
shift || true
case "$command" in
  install)
    install_localstack
    install_dynamodb
    say "installed under $HOME_DIR"
    ;;
  start)
    need curl "health checks"
    for name in $(names_or_all "$@"); do start_one "$name"; done
    ;;
  stop)
    for name in $(names_or_all "$@"); do stop_one "$name"; done
    ;;
  status)
    up=0
    status_one localstack "$LOCALSTACK_URL" || up=1
    status_one dynamodb "$DYNAMODB_URL" || up=1
    exit "$up"
    ;;
  env)
    # What a shell (or a test runner) needs to reach these emulators: eval "$(scripts/emulator.sh env)"
    echo "AWS_ENDPOINT_URL=$LOCALSTACK_URL"
    echo "AWS_ENDPOINT_URL_DYNAMODB=$DYNAMODB_URL"
    ;;
  *)
    fail "usage: scripts/emulator.sh install | start [localstack|dynamodb] | stop [localstack|dynamodb] | status | env"
    ;;
esac
