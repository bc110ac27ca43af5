#!/usr/bin/env bash
# Benchmark: copy RECORDS records of 1 KB in 6 partitions (RF 3) with
#   krt-resend (no filter) and with kcat -C | kcat -P, and measure
#   kafka-producer-perf-test's raw produce rate for the same size: ROUNDS
#   times each, taking turns in a rotating order; then kafka-console-consumer
#   | kafka-console-producer once; all in one run on the same cluster.
#   Round 0 warms the brokers' JIT up (on a fresh cluster the first copy costs
#   Kafka over twice the CPU of a later one); it is shown but left out of the
#   medians. Reports every run, the medians, the ratios, the peak RSS of
#   krt-resend (/usr/bin/time) and, on the bench's own cluster, the CPU
#   seconds the clients and the Kafka nodes spent on each run.
#   bench/resend.sh [RECORDS] [ROUNDS]      (default 1000000 records, 3 rounds)
. "$(dirname "$0")/lib.sh"
n=${1:-1000000}
rounds=${2:-3}
S=bench-resend-$$
newtopic() { kcli kafka-topics --bootstrap-server "$B" --create --topic "$1" --partitions 6 --replication-factor 3 >/dev/null 2>&1; }
droptopic() { kcli kafka-topics --bootstrap-server "$B" --delete --topic "$1" >/dev/null 2>&1 || true; }
newtopic "$S"
echo "filling the source with $n records of 1 KB..."
kcli kafka-producer-perf-test --topic "$S" --num-records "$n" --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/fill.log" 2>&1
# CPU seconds (user + system) of the Kafka nodes so far; empty on a foreign cluster
broker_cpu() {
    [[ -z ${KRT_BENCH_BOOTSTRAP:-} ]] || return 0
    local t=0 f
    for f in "$KRT_CLUSTER_DIR"/node-*/pid; do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$(cat "$f")/stat")))
    done
    echo "$t"
}
cpu_since() { [[ -z $1 ]] && echo "-" || awk -v a="$1" -v b="$(broker_cpu)" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / hz }'; }
# write earlier runs' dirty pages out now, not during the next contender's run
settle() { sync; sleep 2; }
rate() { awk -v n="$n" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }

cpu_of() { awk '{ printf "%.1f", $2 + $3 }' "$1"; } # a /usr/bin/time -f '%M %U %S' file

run_krt() {
    newtopic "$S.krt$r"
    settle
    c0=$(broker_cpu)
    t0=$(date +%s%N)
    /usr/bin/time -f '%M %U %S' -o "$work/time" build/tools/krt-resend --id "bench-$$-$r" --team b \
        --topic "$S" --target "$S.krt$r" --execute -q >"$work/krt.log" 2>&1 || { cat "$work/krt.log" >&2; exit 1; }
    ms=$((($(date +%s%N) - t0) / 1000000))
    ((r == 0)) || krt_ms+=("$ms")
    lines+=("$(printf '  round %d  krt-resend:        %6d ms  %7s records/s  peak RSS %3d MB  client CPU %s s  Kafka CPU %s s' \
        "$r" "$ms" "$(rate "$ms")" $(($(cut -d' ' -f1 "$work/time") / 1024)) "$(cpu_of "$work/time")" "$(cpu_since "$c0")")")
    droptopic "$S.krt$r"
}

run_kcat() {
    newtopic "$S.kcat$r"
    settle
    c0=$(broker_cpu)
    t0=$(date +%s%N)
    /usr/bin/time -f '%M %U %S' -o "$work/time.c" kcat -b "$B" -C -t "$S" -e -q -K'\t' -f '%k\t%s\n' |
        /usr/bin/time -f '%M %U %S' -o "$work/time.p" kcat -b "$B" -P -t "$S.kcat$r" -K'\t' -X linger.ms=20
    ms=$((($(date +%s%N) - t0) / 1000000))
    ((r == 0)) || kcat_ms+=("$ms")
    lines+=("$(printf '  round %d  kcat -C | kcat -P: %6d ms  %7s records/s                  client CPU %s s  Kafka CPU %s s' \
        "$r" "$ms" "$(rate "$ms")" "$(awk -v a="$(cpu_of "$work/time.c")" -v b="$(cpu_of "$work/time.p")" 'BEGIN { print a + b }')" \
        "$(cpu_since "$c0")")")
    droptopic "$S.kcat$r"
}

run_perf() {
    newtopic "$S.perf$r"
    settle
    c0=$(broker_cpu)
    kcli kafka-producer-perf-test --topic "$S.perf$r" --num-records "$n" --record-size 1024 --throughput -1 \
        --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/perf.log" 2>&1
    pr=$(tail -1 "$work/perf.log" | awk '{ printf "%.0f", $4 }')
    ((r == 0)) || perf_rates+=("$pr")
    lines+=("$(printf '  round %d  raw produce:       %6d ms  %7s records/s                                Kafka CPU %s s' "$r" \
        "$(awk -v n="$n" -v r="$pr" 'BEGIN { printf "%.0f", n * 1000 / r }')" "$pr" "$(cpu_since "$c0")")")
    droptopic "$S.perf$r"
}

# Each round takes the three in another order, so no contender always runs
# first (on brokers still busy with the round before) or last.
order=(run_krt run_kcat run_perf)
krt_ms=() kcat_ms=() perf_rates=() lines=()
for r in $(seq 0 "$rounds"); do
    for i in 0 1 2; do "${order[$(((r + i) % 3))]}"; done
done

newtopic "$S.console"
settle
t0=$(date +%s%N)
timeout 1800 bash -c "'$repo/scripts/kafka-cluster' cli kafka-console-consumer --bootstrap-server '$B' --topic '$S' \
    --from-beginning --max-messages $n 2>/dev/null | '$repo/scripts/kafka-cluster' cli kafka-console-producer \
    --bootstrap-server '$B' --topic '$S.console' --producer-property linger.ms=20 >/dev/null 2>&1"
console_ms=$((($(date +%s%N) - t0) / 1000000))

k=$(printf '%s\n' "${krt_ms[@]}" | median)
perf_rate=$(printf '%s\n' "${perf_rates[@]}" | median)
c=$(printf '%s\n' "${kcat_ms[@]}" | median)
echo "copy $n records of 1 KB in 6 partitions (RF 3), $rounds rounds after a warm-up round 0:"
printf '%s\n' "${lines[@]}"
echo "medians:"
echo "  krt-resend (transactional, exactly once):  ${k} ms  $(rate "$k") records/s"
echo "  kcat -C | kcat -P:                          ${c} ms  $(rate "$c") records/s"
echo "  kafka-console-consumer | -producer:         ${console_ms} ms  $(rate "$console_ms") records/s (one run)"
echo "  kafka-producer-perf-test (raw produce):     ${perf_rate} records/s"
awk -v k="$k" -v c="$c" -v n="$n" -v p="$perf_rate" 'BEGIN {
    printf "  krt-resend / kcat pipe: %.2fx; krt-resend / raw produce: %.2f\n", c / k, (n * 1000 / k) / p }'
for t in "$S" "$S.console"; do droptopic "$t"; done
