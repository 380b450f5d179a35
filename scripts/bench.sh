#!/usr/bin/env bash
# Regenerates the figures in BENCHMARKS.md: prints the machine, runs every criterion bench in
# release and prints its medians (and the lines the benches print themselves: sizes, memory),
# then measures the real window binary (startup to ready, peak RSS) under Xvfb.
#
#   scripts/bench.sh                 everything (a long while: the 1M-row fixtures are built
#                                    once per bench binary, XLSX alone takes minutes)
#   scripts/bench.sh export memory   only these benches; "window" names the real-binary part
#
# Full criterion output goes to target/bench-logs/NAME.txt. The machines are shared: compare
# a figure with the baseline measured in the same run, and note the load printed first.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(dataset demo table memory export series grid frame window)
selected=("$@")
[[ ${#selected[@]} -gt 0 ]] || selected=("${all[@]}")
for name in "${selected[@]}"; do
  [[ " ${all[*]} " == *" $name "* ]] || { echo "bench.sh: no bench named '$name' (known: ${all[*]})" >&2; exit 2; }
done

target_dir=${CARGO_TARGET_DIR:-target}
logs="$target_dir/bench-logs"
mkdir -p "$logs"

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs (nproc)"
echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "system: $(uname -srm); $(rustc --version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# Keeps a bench's name lines, its medians and throughputs and whatever it prints itself;
# drops criterion's progress lines and its comparison with the previous run.
summarise() {
  awk '
    /^(Benchmarking|Found|Warning|WARNING|Gnuplot)/ { next }
    /change:/ { skip = 1; next }
    /^[^ \t]/ { skip = 0; print; next }
    /(time|thrpt):/ { if (!skip) print }
  '
}

# window: the release binary under Xvfb on the embedded demo (100 000 conversations).
window() {
  if ! command -v Xvfb >/dev/null || ! command -v bc >/dev/null || [[ ! -x /usr/bin/time ]]; then
    echo "window: skipped, needs Xvfb, bc and GNU time (apt-get install -y xvfb bc time)"
    return 0
  fi
  cargo build --release --bin inkeep-explorer 2>&1 | tail -n 1
  local bin="$target_dir/release/inkeep-explorer" work display xvfb_pid
  work=$(mktemp -d)
  # A private config dir: the runs must not read or overwrite a user's settings.
  export XDG_CONFIG_HOME="$work/config" LIBGL_ALWAYS_SOFTWARE=1
  unset INKEEPANALYTICS_API_INTEGRATION_KEY INKEEPANALYTICS_SERVER_URL
  display=90
  while [[ -e /tmp/.X11-unix/X$display || -e /tmp/.X$display-lock ]]; do display=$((display + 1)); done
  Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
  xvfb_pid=$!
  # shellcheck disable=SC2064 # the pid and folder are fixed now
  trap "kill $xvfb_pid 2>/dev/null; rm -rf '$work'" EXIT
  for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X$display ]] && break; sleep 0.1; done
  export DISPLAY=":$display"
  echo '{}' >"$work/raw.json"

  # since_launch PATTERN: seconds from the launch to the first log line matching PATTERN.
  since_launch() {
    local stamp
    stamp=$(grep -m1 -E "$1" "$work/app.log" | cut -d' ' -f1) || true
    if [[ -n $stamp ]]; then
      echo "$(date -d "$stamp" +%s.%N) - $launched" | bc
    else
      echo nan
    fi
  }

  # median FILE COLUMN: the median of a column of numbers.
  median() {
    sort -g -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
  }

  # measure LABEL RUNS ARGS...: wall time and peak RSS of RUNS runs, and from the app's log
  # the time to its window (winit's first window line) and to the demo dataset being ready;
  # prints the medians.
  measure() {
    local label=$1 runs=$2 i launched
    shift 2
    : >"$work/times"
    for i in $(seq "$runs"); do
      launched=$(date +%s.%N)
      RUST_LOG=info /usr/bin/time -f '%e %M' -o "$work/one" "$bin" "$@" >"$work/app.log" 2>&1 ||
        { echo "window: $label failed (run $i):" >&2; tail -n 20 "$work/app.log" >&2; return 1; }
      echo "$(cat "$work/one") $(since_launch 'x11::window|wayland::window') $(since_launch 'demo dataset ready')" \
        >>"$work/times"
    done
    printf '%s: median %s s wall, peak RSS %.0f MB; window up after %.3f s, demo data ready after %.2f s (%d runs)\n' \
      "$label" "$(median "$work/times" 1)" "$(echo "$(median "$work/times" 2) * 1024 / 1000000" | bc -l)" \
      "$(median "$work/times" 3)" "$(median "$work/times" 4)" "$runs"
  }

  measure "window_startup_to_ready (start, window, demo connected, settle frames, exit)" 5 --exit
  measure "window_raw_result (run {} on the demo, 1000-row page in the table, exit)" 3 \
    --query "$work/raw.json" --run --tab table --exit
  kill "$xvfb_pid" 2>/dev/null || true
  wait "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
  trap - EXIT
}

for name in "${selected[@]}"; do
  echo "== $name"
  if [[ $name == window ]]; then
    window
  else
    cargo bench --bench "$name" -- --noplot 2>&1 | tee "$logs/$name.txt" | summarise
  fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
