#!/usr/bin/env bash
# Benchmark: restore RECORDS records of 1 KB in 6 partitions (RF 3) from a
#   krt-backup directory with krt-restore (transactional, exactly once), and
#   write the same records with kcat -P from a kcat dump of the topic and with
#   kafka-producer-perf-test (the cluster's write ceiling for this size):
#   ROUNDS times each, taking turns in a rotating order, all in one run on the
#   same cluster. Round 0 warms the brokers up and is left out of the medians.
#   Reports every run, the medians, the ratios and krt-restore's peak RSS.
#   bench/restore.sh [RECORDS] [ROUNDS]      (default 100000 records, 2 rounds)
. "$(dirname "$0")/lib.sh"
n=${1:-100000}
rounds=${2:-2}
S=bench-restore-$$
newtopic() { kcli kafka-topics --bootstrap-server "$B" --create --topic "$1" --partitions 6 --replication-factor 3 >/dev/null 2>&1; }
droptopic() { kcli kafka-topics --bootstrap-server "$B" --delete --topic "$1" >/dev/null 2>&1 || true; }
rate() { awk -v n="$n" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
settle() { sync; sleep 2; }
newtopic "$S"
echo "filling the source with $n records of 1 KB, backing it up and dumping it with kcat..."
kcli kafka-producer-perf-test --topic "$S" --num-records "$n" --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/fill.log" 2>&1
build/tools/krt-backup --dir "$work/bk" --topic "$S" --codec snappy -q >/dev/null
kcat -b "$B" -C -t "$S" -e -q -K'\t' -f '%k\t%s\n' >"$work/dump"
echo "  backup (snappy): $(du -sm "$work/bk" | cut -f1) MB; kcat dump: $(du -sm "$work/dump" | cut -f1) MB"

# count_target TOPIC ISOLATION: the run wrote every record (untimed)
count_target() {
    local got
    got=$(kcat -b "$B" -C -t "$1" -e -q -X isolation.level="$2" -f '\n' | wc -l)
    [[ $got == "$n" ]] || { echo "bench: $1 holds $got records, not $n" >&2; exit 1; }
}

run_krt() {
    settle
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/time" build/tools/krt-restore --backup "$work/bk" --topic "$S" \
        --to "$S.krt$r" --execute -q >"$work/krt.log" 2>&1 || { cat "$work/krt.log" >&2; exit 1; }
    ms=$((($(date +%s%N) - t0) / 1000000))
    count_target "$S.krt$r" read_committed
    ((r == 0)) || krt_ms+=("$ms")
    rss+=("$(($(cat "$work/time") / 1024))")
    lines+=("$(printf '  round %d  krt-restore:       %6d ms  %7s records/s  peak RSS %3d MB (target created by krt-restore)' \
        "$r" "$ms" "$(rate "$ms")" $(($(cat "$work/time") / 1024)))")
    droptopic "$S.krt$r"
}

run_kcat() {
    newtopic "$S.kcat$r"
    settle
    t0=$(date +%s%N)
    kcat -b "$B" -P -t "$S.kcat$r" -K'\t' -X linger.ms=20 <"$work/dump"
    ms=$((($(date +%s%N) - t0) / 1000000))
    count_target "$S.kcat$r" read_uncommitted
    ((r == 0)) || kcat_ms+=("$ms")
    lines+=("$(printf '  round %d  kcat -P from dump: %6d ms  %7s records/s' "$r" "$ms" "$(rate "$ms")")")
    droptopic "$S.kcat$r"
}

run_perf() {
    newtopic "$S.perf$r"
    settle
    kcli kafka-producer-perf-test --topic "$S.perf$r" --num-records "$n" --record-size 1024 --throughput -1 \
        --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/perf.log" 2>&1
    [[ $(tail -1 "$work/perf.log" | awk '{ print $1 }') == "$n" ]] \
        || { echo "bench: kafka-producer-perf-test did not send $n records" >&2; tail -3 "$work/perf.log" >&2; exit 1; }
    pr=$(tail -1 "$work/perf.log" | awk '{ printf "%.0f", $4 }')
    ((r == 0)) || perf_rates+=("$pr")
    lines+=("$(printf '  round %d  raw produce:       %6d ms  %7s records/s' "$r" \
        "$(awk -v n="$n" -v r="$pr" 'BEGIN { printf "%.0f", n * 1000 / r }')" "$pr")")
    droptopic "$S.perf$r"
}

order=(run_krt run_kcat run_perf)
krt_ms=() kcat_ms=() perf_rates=() lines=() rss=()
for r in $(seq 0 "$rounds"); do
    for i in 0 1 2; do "${order[$(((r + i) % 3))]}"; done
done
k=$(printf '%s\n' "${krt_ms[@]}" | median)
c=$(printf '%s\n' "${kcat_ms[@]}" | median)
p=$(printf '%s\n' "${perf_rates[@]}" | median)
echo "restore $n records of 1 KB in 6 partitions (RF 3), $rounds rounds after a warm-up round 0 (load average now $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '%s\n' "${lines[@]}"
echo "medians:"
echo "  krt-restore (transactional, exactly once): ${k} ms  $(rate "$k") records/s  peak RSS max $(printf '%s\n' "${rss[@]}" | sort -n | tail -1) MB"
echo "  kcat -P from a dump:                        ${c} ms  $(rate "$c") records/s"
echo "  kafka-producer-perf-test (write ceiling):   ${p} records/s"
awk -v k="$k" -v c="$c" -v n="$n" -v p="$p" 'BEGIN {
    printf "  krt-restore / kcat -P: %.2fx; krt-restore / write ceiling: %.2f (goal >= 0.8)\n", c / k, (n * 1000 / k) / p }'
droptopic "$S"
