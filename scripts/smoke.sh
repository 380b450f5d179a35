#!/usr/bin/env bash
# Real-window smoke test: start the app under Xvfb with Mesa on the embedded demo API, run a
# built-in preset (relative times and all) and a query file, draw the chart and the table, and
# write screenshots. Fails if the window did not come up, the run failed, or a screenshot (or
# its result area) is blank (nearly one colour).
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

preset="Conversations per day by type (last 30 days)"

# shoot NAME TAB SOURCE...: run the window with SOURCE (--query FILE or --preset NAME) on tab
# TAB and check its screenshot.
shoot() {
  local name=$1 tab=$2 png="$out/$1.png"
  shift 2
  rm -f "$png"
  if ! timeout 180 xvfb-run -a -s "-screen 0 1440x900x24" \
      "$bin" "$@" --run --tab "$tab" --screenshot "$png" --exit; then
    echo "smoke: the window failed or the run failed ($name)" >&2
    return 1
  fi
  [[ -s "$png" ]] || { echo "smoke: no screenshot written ($name)" >&2; return 1; }
  # A blank window is one colour: demand some spread of grey levels, in the whole window and
  # in the result area alone (right of the query panel, below the tabs), so that a window
  # whose table or chart did not draw fails too.
  local spread centre
  spread=$(convert "$png" -colorspace Gray -format "%[fx:standard_deviation]" info:)
  centre=$(convert "$png" -gravity SouthEast -crop 55%x70%+20+40 +repage -colorspace Gray \
    -format "%[fx:standard_deviation]" info:)
  echo "smoke: $png written, grey-level spread $spread (result area $centre)"
  awk -v s="$spread" 'BEGIN { exit !(s > 0.02) }' || { echo "smoke: screenshot $png is blank" >&2; return 1; }
  awk -v s="$centre" 'BEGIN { exit !(s > 0.02) }' || { echo "smoke: the result area of $png is blank" >&2; return 1; }
}

shoot preset-chart chart --preset "$preset"
shoot preset-table table --preset "$preset"
shoot query-table table --query "$query"
echo "smoke: passed"
