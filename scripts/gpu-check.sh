#!/usr/bin/env bash
# GPU check (optional, docs/diagnostics.md "GPU check"): runs the agent's statistics collector
# against the real nvidia-smi for a few seconds and compares it with nvidia-smi's own CSV.
#   scripts/gpu-check.sh [--seconds 5] [--out DIR]
# It runs the bundle .cache/gpu-check/gpu-check.mjs when present (built with
#   npx esbuild scripts/gpu-check.ts --bundle --platform=node --format=esm --outfile=.cache/gpu-check/gpu-check.mjs
# so it needs no node_modules), else scripts/gpu-check.ts through tsx. On a machine without Node 18+
# it unpacks .cache/gpu-check/node.xz (a copy of a Linux x86_64 node binary, `xz -c $(which node)`).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.cache/gpu-check

node_ok() { [ -n "$1" ] && "$1" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' 2>/dev/null; }

NODE="$(command -v node || true)"
if [ -n "${GPU_CHECK_BUNDLED_NODE:-}" ] || ! node_ok "$NODE"; then
  if [ ! -f "$dir/node.xz" ]; then
    echo "GPU check needs Node.js 18 or later (or $dir/node.xz)." >&2
    exit 2
  fi
  NODE="${TMPDIR:-/tmp}/deckhand-gpu-check-node"
  if command -v xz >/dev/null; then
    xz -dc "$dir/node.xz" >"$NODE"
  else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$dir/node.xz" "$NODE"
  fi
  chmod +x "$NODE"
fi
echo "node: $NODE ($("$NODE" --version))"

if [ -f "$dir/gpu-check.mjs" ]; then
  exec "$NODE" "$dir/gpu-check.mjs" "$@"
fi
exec "$NODE" node_modules/tsx/dist/cli.mjs scripts/gpu-check.ts "$@"
