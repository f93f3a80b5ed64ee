# shellcheck shell=bash
# Sourced by scripts/emulator.sh and scripts/contract.sh: tools installed once, on first use, from a pinned recipe.
#
# An install is done when its stamp holds the hash of the recipe it was made from,
# so a second install is a no-op and a changed pin reinstalls.
recipe_hash() { sha256sum "$1" | cut -d' ' -f1; }
is_installed() { [[ -f "$2" && "$(cat "$2")" == "$(recipe_hash "$1")" ]]; }

# install_python_venv REQUIREMENTS VENV STAMP: a fresh virtualenv at VENV on the host's python3 with exactly
# the pinned REQUIREMENTS, then the stamp. The stamp is written last, so a failed install is retried next time.
# Callers check is_installed first (and say what they install); this does the install itself.
install_python_venv() {
  local requirements="$1" venv="$2" stamp="$3"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --require-virtualenv -r "$requirements"
  recipe_hash "$requirements" >"$stamp"
}
