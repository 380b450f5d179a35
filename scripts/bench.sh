#!/usr/bin/env bash
# Regenerates the figures in BENCHMARKS.md: runs every criterion bench in release and prints
# the medians. Takes a while (the 1M-row fixtures are built once per bench binary).
set -euo pipefail
cd "$(dirname "$0")/.."
for bench in dataset demo table export series grid frame; do
  echo "== cargo bench --bench $bench"
  cargo bench --bench "$bench" -- --noplot 2>&1 | grep -E "^[A-Za-z_0-9/]+ *(time:|$)|time:|thrpt:|ratio"
done
