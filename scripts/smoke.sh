#!/usr/bin/env bash
# Real-window smoke test: start the app under Xvfb with Mesa on the embedded demo API, run a
# query, draw its table and chart, and write screenshots. Fails if the window did not come up,
# the run failed, or a screenshot is blank (nearly one colour).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${INKEEP_EXPLORER_BIN:-${CARGO_TARGET_DIR:-target}/debug/inkeep-explorer}
[[ -x "$bin" ]] || cargo build --bin inkeep-explorer
out=${SMOKE_OUT:-target/smoke}
mkdir -p "$out"
# A private config dir: the smoke test must not read or overwrite a user's settings.
export XDG_CONFIG_HOME="$out/config"
export LIBGL_ALWAYS_SOFTWARE=1
unset INKEEPANALYTICS_API_INTEGRATION_KEY

query="$out/day-by-type.json"
cat > "$query" <<'JSON'
{"select":[{"type":"time","timeUnit":"day"},{"type":"aggregation","aggregation":"count"}],
 "groupBy":[{"field":"type"}],
 "where":{"condition":{"field":"type","operator":"isNotNull"}},
 "orderBy":[{"field":"firstMessageTime_day","direction":"asc"}]}
JSON

shoot() {
  local tab=$1 png="$out/$1.png"
  rm -f "$png"
  if ! timeout 180 xvfb-run -a -s "-screen 0 1440x900x24" \
      "$bin" --query "$query" --run --tab "$tab" --screenshot "$png" --exit; then
    echo "smoke: the window failed or the run failed (tab $tab)" >&2
    return 1
  fi
  [[ -s "$png" ]] || { echo "smoke: no screenshot written for tab $tab" >&2; return 1; }
  # A blank window is one colour: demand some spread of grey levels.
  local spread
  spread=$(convert "$png" -colorspace Gray -format "%[fx:standard_deviation]" info:)
  echo "smoke: $png written, grey-level spread $spread"
  awk -v s="$spread" 'BEGIN { exit !(s > 0.02) }' || { echo "smoke: screenshot $png is blank" >&2; return 1; }
}

shoot table
shoot chart
echo "smoke: passed"
