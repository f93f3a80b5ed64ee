# shellcheck shell=bash
# Sourced by scripts/emulator.sh, scripts/contract.sh and scripts/template-lint.sh: tools installed once, on first
# use, from a pinned recipe, into a virtualenv on Python 3.13.
#
# An install is done when its stamp holds the hash of the recipe files it was made from, so a second install is a
# no-op and a changed pin reinstalls: `is_installed STAMP RECIPE...`, and once installed, `stamp STAMP RECIPE...`.
recipe_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }
is_installed() { [[ -f "$1" && "$(cat "$1")" == "$(recipe_hash "${@:2}")" ]]; }
stamp() { recipe_hash "${@:2}" >"$1"; }

# Python 3.13: LocalStack 4.13.1's package installer (DynamoDB, Lambda) uses syntax older Pythons cannot run, and one
# Python for every tool keeps one answer to "which Python". Found as PYTHON313, python3.13 on PATH, or under pyenv.
python313() {
  local candidate
  # pyenv's versions are looked for where pyenv keeps them, so a shell without pyenv on PATH (CI) finds them too.
  for candidate in "${PYTHON313:-}" "$(command -v python3.13 2>/dev/null)" \
    "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
    [[ -n "$candidate" && -x "$candidate" ]] || continue
    "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && {
      echo "$candidate"
      return 0
    }
  done
  printf '%s\n' "Python 3.13 is required (the emulators and linters run on it) but none was found:" \
    "not PYTHON313, not python3.13 on PATH, not under pyenv. Install it (pyenv install 3.13, or your OS's" \
    "python3.13 package) or point PYTHON313 at it." >&2
  return 1
}

# install_python_venv VENV REQUIREMENTS [PIP ARGUMENTS...]: a fresh virtualenv at VENV on Python 3.13 with exactly
# the pinned REQUIREMENTS (and whatever else the arguments name). Callers check is_installed first, say what they
# install, and write the stamp last, so a failed install is retried next time.
install_python_venv() {
  local venv="$1" requirements="$2" python
  shift 2
  python="$(python313)" || return 1
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-virtualenv -r "$requirements" "$@"
}
