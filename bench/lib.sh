# bench/lib.sh - shared by the benchmarks: a release build of krt, the
# cluster (started here unless KRT_BENCH_BOOTSTRAP names one), timing helpers.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
[[ -f build/build.ninja ]] || meson setup build -Dtests=false >/dev/null
ninja -C build >/dev/null
kcli() { scripts/kafka-cluster cli "$@"; }
work=$(mktemp -d)
# the work directory (a 1,000,000-record run leaves 2 GB there) and the
# cluster this bench started go when it ends
bench_cleanup() {
    rm -rf "$work"
    [[ -n ${KRT_BENCH_BOOTSTRAP:-} ]] || scripts/kafka-cluster down >/dev/null 2>&1 || true
}
trap bench_cleanup EXIT
if [[ -n ${KRT_BENCH_BOOTSTRAP:-} ]]; then
    B=$KRT_BENCH_BOOTSTRAP
else
    export KRT_CLUSTER_DIR="$repo/.cluster-bench"
    scripts/kafka-cluster down >/dev/null 2>&1 || true
    B=$(scripts/kafka-cluster start)
fi
export KRT_BOOTSTRAP_SERVERS=$B
# what was measured: the commit (and "-dirty" with changes not committed)
echo "bench: $(basename "$0") $* at $(git describe --always --dirty 2>/dev/null || echo '?'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# the plan and undo files the destructive tools write go there, not into the
# checkout (they write them to $KRT_UNDO_DIR, or else to the current directory)
export KRT_UNDO_DIR=$work

# wall time of a command in milliseconds (its output goes to $work/last.log)
time_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >"$work/last.log" 2>&1 || { echo "bench: command failed: $*" >&2; tail -5 "$work/last.log" >&2; return 1; }
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}
# consumer_perf_rate LOG RECORDS: from LOG of kafka-consumer-perf-test
# (ConsumerPerformance), its rate once the consumer has joined its group (the
# 10th column, fetch.nMsg.sec; the 6th, nMsg.sec, counts the group join too:
# 0.5-0.9 s), of a run that read RECORDS records (the 5th column; a run that
# timed out reads fewer); stops the bench otherwise
consumer_perf_rate() {
    local got rate
    got=$(awk -F', *' 'NF >= 10 && $5 ~ /^[0-9]+$/ { v = $5 } END { print v + 0 }' "$1")
    rate=$(awk -F', *' 'NF >= 10 && $10 ~ /^[0-9.]+$/ { v = $10 } END { printf "%.0f", v }' "$1")
    ((got == $2 && rate > 0)) || { echo "bench: kafka-consumer-perf-test read $got records of $2" >&2; cat "$1" >&2; exit 1; }
    echo "$rate"
}

# the middle value; of an even count, the mean of the two middle ones (it was
# the lower one, which favoured krt's times and the lower ceiling rates)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.0f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# report TITLE KRT-LABEL ANCHOR-LABEL: medians of the arrays krt_ms and
# kafka_ms, and the ratio anchor / krt
report() {
    local k j
    k=$(printf '%s\n' "${krt_ms[@]}" | median)
    j=$(printf '%s\n' "${kafka_ms[@]}" | median)
    echo "$1, median of ${#krt_ms[@]} runs:"
    printf '  %-50s %6s ms  (runs: %s)\n' "$2" "$k" "${krt_ms[*]}"
    printf '  %-50s %6s ms  (runs: %s)\n' "$3" "$j" "${kafka_ms[*]}"
    awk -v k="$k" -v j="$j" 'BEGIN { printf "  ratio (anchor / krt): %.1fx\n", j / k }'
}
