#!/usr/bin/env bash
# The linters AWS users run on CloudFormation templates, cfn-lint and checkov, installed once, on first use, into
# .emulator/template-lint/venv from scripts/template-lint/requirements.txt (pinned, from PyPI, on Python 3.13).
# test/infra/template-linters.test.ts runs both on every synthesized variant of the stack.
#
# usage: scripts/template-lint.sh install
#        scripts/template-lint.sh cfn-lint <cfn-lint arguments>   e.g. cfn-lint cdk.out/NotificationPlatform-dev.template.json
#        scripts/template-lint.sh checkov <checkov arguments>     e.g. checkov -d cdk.out --framework cloudformation --compact
#   The tool's own exit status and output pass through unchanged.
set -euo pipefail

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOME_DIR="${EMULATOR_HOME:-$PROJECT_ROOT/.emulator}/template-lint"
REQUIREMENTS="$PROJECT_ROOT/scripts/template-lint/requirements.txt"
VENV="$HOME_DIR/venv"

say() { printf 'template-lint: %s\n' "$*" >&2; }

# shellcheck source=lib/python-tool.sh
source "$PROJECT_ROOT/scripts/lib/python-tool.sh"

install() {
  is_installed "$HOME_DIR/.installed" "$REQUIREMENTS" && return 0
  python313 >/dev/null || exit 2
  say "installing cfn-lint and checkov into $VENV (once)"
  mkdir -p "$HOME_DIR"
  install_python_venv "$VENV" "$REQUIREMENTS"
  stamp "$HOME_DIR/.installed" "$REQUIREMENTS"
}

command="${1:-}"
shift || true
case "$command" in
  install) install ;;
  # --skip-download: checkov would otherwise ask Prisma Cloud for policies and guidelines over the network.
  checkov) install && exec "$VENV/bin/checkov" --skip-download "$@" ;;
  cfn-lint) install && exec "$VENV/bin/cfn-lint" "$@" ;;
  *)
    say "usage: scripts/template-lint.sh install | cfn-lint <arguments> | checkov <arguments>"
    exit 2
    ;;
esac
