#!/usr/bin/env bash
# Contract test of the platform's HTTP API against the OpenAPI 3.1 document it serves (GET /v1/openapi.json), with
# Schemathesis, installed once, on first use, into .emulator/contract/venv from scripts/contract/requirements.txt.
# `run` reads the document, checks it is valid OpenAPI 3.1, then has Schemathesis send, for every operation, requests
# the document allows and requests it forbids, and check every answer: no 5xx, a documented status, content type,
# headers and body; forbidden input refused; allowed input accepted; the API key enforced. It talks to <base-url> only.
#
# usage: scripts/contract.sh install
#        scripts/contract.sh run <base-url> <api-key> [more `st run` options]   e.g. run http://127.0.0.1:3000 local-dev-key
#        scripts/contract.sh st <st arguments>   e.g. st replay <test case id> -H 'x-api-key: local-dev-key'
#   CONTRACT_MAX_EXAMPLES (default 200: 1-2 minutes for the platform's 11 operations) and CONTRACT_SEED (default 1) tune `run`.
#   Exit status: 0 every check passed, 1 a check failed, 2 it could not run (no server, bad key, invalid document).
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${EMULATOR_HOME:-$PROJECT_ROOT/.emulator}/contract"
REQUIREMENTS="$PROJECT_ROOT/scripts/contract/requirements.txt"
VENV="$HOME_DIR/venv"
CONFIG="$HOME_DIR/schemathesis.toml"

say() { printf 'contract: %s\n' "$*" >&2; }
fail() { say "$*"; exit 2; }

# shellcheck source=lib/python-tool.sh
source "$PROJECT_ROOT/scripts/lib/python-tool.sh"

install() {
  is_installed "$HOME_DIR/.installed" "$REQUIREMENTS" && return 0
  python313 >/dev/null || exit 2
  say "installing Schemathesis into $VENV (once)"
  mkdir -p "$HOME_DIR"
  install_python_venv "$VENV" "$REQUIREMENTS"
  stamp "$HOME_DIR/.installed" "$REQUIREMENTS"
}

# Schemathesis and Hypothesis write into the working directory (.schemathesis/, .hypothesis/, schemathesis-report/)
# and read a schemathesis.toml from it or any parent, so st runs in $HOME_DIR with a config of our own.
# The config holds what has no flag: where crash files go (for `st replay`) and two checks' accepted statuses.
st() {
  mkdir -p "$HOME_DIR"
  cat >"$CONFIG" <<EOF
# Written by scripts/contract.sh on every use: change the script, not this file.
[cache]
directory = '$HOME_DIR/cache'

[reports]
directory = '$HOME_DIR/report'

# Mask only the API key in output and crash files: by default any name containing "key" or "token" is masked,
# which hides Idempotency-Key and device tokens and so makes failures impossible to replay.
[output.sanitization]
sensitive-markers = ["api-key"]

# Schemathesis' defaults plus 422: a valid request can still name a template type or user that does not exist.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

# Schemathesis' defaults plus 413: the gateway refuses an oversized body before any validation.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

# Quiet hours must not start when they end, and name a time zone that exists; a category must be one of this
# installation's (platform.config.ts), and a required one cannot be turned off: JSON Schema can say none of that (one
# field against another; a lookup; the installation's settings), so a valid-looking document may still be refused,
# with 400 naming the field. The same for a template's category, and a critical type in a category not required.
# send_at must be in the future, and at most the configured days ahead: JSON Schema can say it is a date-time with an
# offset, not where it falls against the clock, so a well-formed one in the past is refused, with 400 naming send_at.
[[operations]]
include-operation-id = "sendNotification"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# A batch's notifications are checked one by one: one the schema forbids is refused in its own result, inside a 200,
# while the rest are sent, so a request with a bad notification is not refused whole: here a 200 is a refusal too.
# Only the envelope is refused whole (400); test/integration/api/hostile-requests.test.ts checks both. (The check is
# not turned off: the --checks all of the command line would turn it back on.)
[[operations]]
include-operation-id = "sendNotificationBatch"
[operations.checks.negative_data_rejection]
expected-statuses = ["200", "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[[operations]]
include-operation-id = "putPreferences"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "putTemplate"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# A cursor is one a page answered (the key it ended at, in base64url): JSON Schema says its alphabet and length, not
# which strings the API gave, so one made up that fits them is refused, with 400 naming cursor.
[[operations]]
include-operation-id = "listTemplates"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "listTopicSubscribers"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# The same cursor; and since must not be after until, which JSON Schema cannot say of two parameters.
[[operations]]
include-operation-id = "listNotifications"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

[[operations]]
include-operation-id = "listWebhookAttempts"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# Where a webhook URL may point depends on what its name resolves to (deployed: a public address), and "*" stands
# alone in events: neither is JSON Schema's to say, so a well-formed body may still be refused, with 400 naming the field.
[[operations]]
include-operation-id = "createWebhookEndpoint"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422", "429", "5xx"]

# Up to 1,000 ids of up to 128 characters each may be larger than the 64 KiB a body may be (JSON Schema cannot bound
# a body's bytes): such a list is refused whole, with 413, as the operation's description says.
[[operations]]
include-operation-id = "subscribeManyToTopic"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "413", "422", "429", "5xx"]

EOF
  (cd "$HOME_DIR" && HYPOTHESIS_STORAGE_DIRECTORY="$HOME_DIR/hypothesis" exec "$VENV/bin/st" --config-file "$CONFIG" "$@")
}

run() {
  (($# >= 2)) || fail "usage: scripts/contract.sh run <base-url> <api-key> [more st run options]"
  local base="${1%/}" key="$2"
  shift 2
  command -v curl >/dev/null 2>&1 || fail "curl is required (to read the document) but was not found on PATH"
  install
  local document="$HOME_DIR/openapi.json"
  curl --silent --show-error --fail --max-time 10 -H "x-api-key: $key" -o "$document" "$base/v1/openapi.json" ||
    fail "could not read $base/v1/openapi.json (is the platform running, and is the key right?)"
  "$VENV/bin/openapi-spec-validator" --schema 3.1 "$document" >&2 ||
    fail "$base/v1/openapi.json is not valid OpenAPI 3.1 (see above; saved as $document)"
  # Each run starts from nothing: no failures remembered from earlier runs (cache, example database).
  rm -rf "$HOME_DIR/cache"
  # --mode all: positive and negative cases; --checks all minus two: unsupported_method, because an undeclared method
  # gets the gateway's 404 (403 in AWS), not 405; ensure_resource_availability, because the one resource the API
  # creates is a device, and a device registered a moment ago is 404 for its holder once the same token is registered
  # for another person (a phone handed on, as the README says), which the stateful phase does between the two calls
  # (seen in its crash files and the platform's log); one worker, a seed and no example database make a run repeatable;
  # --rate-limit keeps under local-dev-key's 100 requests/s so no answer is a 429.
  st run "$base/v1/openapi.json" -H "x-api-key: $key" \
    --mode all --checks all --exclude-checks unsupported_method,ensure_resource_availability \
    --max-examples "${CONTRACT_MAX_EXAMPLES:-200}" --seed "${CONTRACT_SEED:-1}" \
    --generation-database none --workers 1 --rate-limit 90/s --request-timeout 10 "$@"
}

command="${1:-}"
shift || true
case "$command" in
  install)
    install
    say "installed under $HOME_DIR"
    ;;
  run) run "$@" ;;
  st)
    install
    st "$@"
    ;;
  *)
    fail "usage: scripts/contract.sh install | run <base-url> <api-key> [st run options] | st <st arguments>"
    ;;
esac
