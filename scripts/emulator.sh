#!/usr/bin/env bash
# The local AWS emulators the tests and `npm start` talk to, on loopback, with no Docker and no internet:
#   localstack: LocalStack (SQS, SNS, SES) on its edge port, run on the host from PyPI in a Python 3.13 virtualenv;
#   dynamodb:   AWS's DynamoDB Local beside it, from Maven Central, on the machine's Java;
#   cloud:      a second LocalStack, on its own port and filesystem, with what `cdk deploy` needs (CloudFormation,
#               S3, IAM, Lambda, API Gateway, DynamoDB, ...), for the deploy test (test/deploy). Its Lambda creates
#               functions and runs none (scripts/emulator/no-run-executor): LocalStack runs code only in Docker.
# LocalStack's own DynamoDB downloads DynamoDB Local, a loader agent and a JRE at run time, which cannot work
# offline: the runtime suites reach DynamoDB Local directly (AWS_ENDPOINT_URL_DYNAMODB), and for `cloud` this script
# places DynamoDB Local, a no-op agent and a link to the machine's Java where LocalStack looks before downloading.
#
# usage: scripts/emulator.sh install | start [NAME...] | stop [NAME...] | status | env | url NAME
#   NAME is localstack, dynamodb or cloud (default: localstack and dynamodb). `start` leaves alone whatever already
#   answers, and `stop` stops only what `start` started (it keeps a pid file for each).
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RECIPES="$PROJECT_ROOT/scripts/emulator"
HOME_DIR="${EMULATOR_HOME:-$PROJECT_ROOT/.emulator}"
LOCALSTACK_PORT="${LOCALSTACK_PORT:-4566}"
DYNAMODB_PORT="${DYNAMODB_LOCAL_PORT:-4569}"
CLOUD_PORT="${CLOUD_EMULATOR_PORT:-4599}"
# A start that takes this long while the emulator still runs is stuck; a busy machine takes minutes, not this.
START_TIMEOUT_SECONDS="${EMULATOR_START_TIMEOUT:-600}"

LOCALSTACK_URL="http://127.0.0.1:$LOCALSTACK_PORT"
DYNAMODB_URL="http://127.0.0.1:$DYNAMODB_PORT"
CLOUD_URL="http://127.0.0.1:$CLOUD_PORT"
LOCALSTACK_VENV="$HOME_DIR/localstack/venv"
DYNAMODB_LIB="$HOME_DIR/dynamodb-local/lib"
CLOUD_ROOT="$HOME_DIR/cloud/filesystem"
# What the tests and `npm start` call (Secrets Manager: rotations of the secrets the functions read); DynamoDB is
# DynamoDB Local's.
LOCALSTACK_SERVICES=sqs,sns,ses,secretsmanager,events
# What a deploy of the stack (and `cdk bootstrap`) calls; anything else stays off.
CLOUD_SERVICES=cloudformation,s3,ssm,sts,iam,kms,lambda,apigateway,dynamodb,dynamodbstreams,sqs,sns,ses,secretsmanager,logs,cloudwatch,events
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
  local stamp="$HOME_DIR/localstack/.installed" executor="$HOME_DIR/localstack/no-run-executor"
  local recipe=("$RECIPES/localstack-requirements.txt" "$RECIPES"/no-run-executor/*)
  is_installed "$stamp" "${recipe[@]}" && return 0
  python313 >/dev/null || fail "cannot install LocalStack"
  say "installing LocalStack into $LOCALSTACK_VENV (once)"
  # pip builds a local project inside its folder; build a copy, so the checkout stays clean.
  rm -rf "$executor" && mkdir -p "$HOME_DIR/localstack" && cp -R "$RECIPES/no-run-executor" "$executor"
  install_python_venv "$LOCALSTACK_VENV" "$RECIPES/localstack-requirements.txt" "$executor"
  stamp "$stamp" "${recipe[@]}"
}

install_dynamodb() {
  local recipe="$RECIPES/dynamodb-local/pom.xml" stamp="$HOME_DIR/dynamodb-local/.installed"
  is_installed "$stamp" "$recipe" && return 0
  need java "DynamoDB Local runs on Java 17 or newer"
  need mvn "DynamoDB Local and its native SQLite library come from Maven Central"
  say "installing DynamoDB Local into $DYNAMODB_LIB (once)"
  rm -rf "$DYNAMODB_LIB"
  mvn --batch-mode --quiet --file "$recipe" \
    -Dmaven.repo.local="$HOME_DIR/dynamodb-local/m2" \
    dependency:copy-dependencies -DoutputDirectory="$DYNAMODB_LIB" -DincludeScope=runtime
  stamp "$stamp" "$recipe"
}

install_cloud() {
  install_localstack
  install_dynamodb
  local libs="$CLOUD_ROOT/var/lib/localstack/lib" stamp="$HOME_DIR/cloud/.installed"
  local recipe=("$RECIPES/dynamodb-local/pom.xml" "$RECIPES/dynamodb-local/NoOpAgent.java")
  is_installed "$stamp" "${recipe[@]}" && return 0
  need javac "the deploy emulator's DynamoDB needs a JDK (javac and jar) to build its stand-ins"
  say "placing DynamoDB Local and Java where the deploy emulator's DynamoDB looks (once)"
  local ddb="$libs/dynamodb-local/2" build="$HOME_DIR/cloud/build"
  rm -rf "$ddb" "$libs/java/21" "$build"
  mkdir -p "$ddb" "$libs/java" "$build"
  # LocalStack pins Java 21 for DynamoDB Local; DynamoDB Local needs 17 or newer, which the machine has.
  ln -s "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" "$libs/java/21"
  ln -s "$DYNAMODB_LIB" "$ddb/DynamoDBLocal_lib"
  # LocalStack runs `java -jar DynamoDBLocal.jar`: a jar of nothing but a manifest naming the main class and, as
  # the class path, the Maven jars (manifest lines hold at most 72 bytes; a continuation starts with a space).
  echo "Main-Class: software.amazon.dynamodb.services.local.main.ServerRunner" >"$build/manifest.txt"
  {
    printf 'Class-Path:'
    for jar in "$DYNAMODB_LIB"/*.jar; do printf ' DynamoDBLocal_lib/%s' "$(basename "$jar")"; done
    echo
  } | fold -b -w 70 | sed '2,$s/^/ /' >>"$build/manifest.txt"
  jar --create --file "$ddb/DynamoDBLocal.jar" --manifest "$build/manifest.txt"
  javac -d "$build/classes" "$RECIPES/dynamodb-local/NoOpAgent.java"
  echo "Premain-Class: NoOpAgent" >"$build/agent-manifest.txt"
  jar --create --file "$ddb/ddb-local-loader-0.1.jar" --manifest "$build/agent-manifest.txt" -C "$build/classes" .
  stamp "$stamp" "${recipe[@]}"
}

# serves URL SERVICES: the LocalStack at URL reports every service of the comma-separated list up, not merely that
# something answers on the port.
serves() {
  local health service
  health="$(curl --silent --max-time 10 "$1/_localstack/health" 2>/dev/null)" || return 1
  for service in ${2//,/ }; do
    grep -Eq "\"$service\": *\"(running|available)\"" <<<"$health" || return 1
  done
}

localstack_healthy() { serves "$LOCALSTACK_URL" "$LOCALSTACK_SERVICES"; }
cloud_healthy() { serves "$CLOUD_URL" "$CLOUD_SERVICES"; }

dynamodb_healthy() {
  # DynamoDB Local checks that a request is signed, not the signature itself.
  curl --silent --fail --max-time 10 -X POST "$DYNAMODB_URL/" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' 2>/dev/null | grep -q TableNames
}

port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# run_localstack PORT FILESYSTEM_ROOT SERVICES [NAME=VALUE...]: LocalStack on the host, with settings read from
# LocalStack 4.13.1's config.py: no certificate download, no analytics events, no DNS server (it would need port 53),
# the gateway on loopback only, and queue URLs that point back at loopback so they resolve offline. In a container
# LocalStack ignores FILESYSTEM_ROOT unless told it is not in one (OVERRIDE_IN_DOCKER=0): without it every instance
# would share /var/lib/localstack.
run_localstack() {
  local port="$1" root="$2" services="$3"
  shift 3
  exec setsid env SERVICES="$services" EAGER_SERVICE_LOADING=1 \
    SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 DNS_ADDRESS=0 OVERRIDE_IN_DOCKER=0 \
    GATEWAY_LISTEN="127.0.0.1:$port" LOCALSTACK_HOST="127.0.0.1:$port" \
    SQS_ENDPOINT_STRATEGY=path FILESYSTEM_ROOT="$root" "$@" \
    "$LOCALSTACK_VENV/bin/python" -m localstack.runtime.main
}

launch_localstack() { run_localstack "$LOCALSTACK_PORT" "$HOME_DIR/localstack/filesystem" "$LOCALSTACK_SERVICES"; }

# Every start of the deploy emulator is a clean account: its state is thrown away first. Its DynamoDB is the v2
# provider, whose table streams are DynamoDB Local's own: the default one backs each stream with a Kinesis stream,
# which needs a Kinesis emulator downloaded at run time.
launch_cloud() {
  rm -rf "$CLOUD_ROOT/tmp"
  run_localstack "$CLOUD_PORT" "$CLOUD_ROOT" "$CLOUD_SERVICES" LAMBDA_RUNTIME_EXECUTOR=no-run \
    PROVIDER_OVERRIDE_DYNAMODB=v2 PROVIDER_OVERRIDE_DYNAMODBSTREAMS=v2
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
    cloud) url="$CLOUD_URL" port="$CLOUD_PORT" ;;
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

  # Bounded in seconds, as the message says: the health check itself may take seconds on a busy machine.
  local started=$SECONDS
  until "${name}_healthy"; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      rm -f "$pidfile"
      tail -n 30 "$log" >&2 || true
      fail "$name exited during start-up (log above, full log: $log)"
    fi
    ((SECONDS - started >= START_TIMEOUT_SECONDS)) && {
      tail -n 30 "$log" >&2 || true
      stop_one "$name"
      fail "$name did not become healthy at $url within ${START_TIMEOUT_SECONDS}s, though still running (full log: $log)"
    }
    sleep 1
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
    [[ "$name" =~ ^(localstack|dynamodb|cloud)$ ]] || fail "unknown emulator '$name' (localstack, dynamodb or cloud)"
  done
  echo "$@"
}

command="${1:-}"
shift || true
case "$command" in
  install)
    install_localstack
    install_dynamodb
    install_cloud
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
    status_one cloud "$CLOUD_URL" || true
    exit "$up"
    ;;
  url)
    # Where one emulator answers: scripts/emulator.sh url cloud
    case "${1:-}" in
      localstack) echo "$LOCALSTACK_URL" ;;
      dynamodb) echo "$DYNAMODB_URL" ;;
      cloud) echo "$CLOUD_URL" ;;
      *) fail "usage: scripts/emulator.sh url localstack|dynamodb|cloud" ;;
    esac
    ;;
  env)
    # What a shell (or a test runner) needs to reach these emulators: eval "$(scripts/emulator.sh env)"
    echo "AWS_ENDPOINT_URL=$LOCALSTACK_URL"
    echo "AWS_ENDPOINT_URL_DYNAMODB=$DYNAMODB_URL"
    ;;
  *)
    fail "usage: scripts/emulator.sh install | start [NAME...] | stop [NAME...] | status | env | url NAME (NAME: localstack, dynamodb or cloud)"
    ;;
esac
