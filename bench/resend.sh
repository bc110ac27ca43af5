#!/usr/bin/env bash
# Benchmark: copy RECORDS records of 1 KB in 6 partitions with
#   krt-resend (no filter), kcat -C | kcat -P, kafka-console-consumer |
#   kafka-console-producer, and report kafka-producer-perf-test's raw produce
#   rate for the same size; all in one run on the same cluster. Peak RSS of
#   krt-resend from /usr/bin/time.
#   bench/resend.sh [RECORDS]        (default 1000000)
. "$(dirname "$0")/lib.sh"
n=${1:-1000000}
S=bench-resend-$$
kcli kafka-topics --bootstrap-server "$B" --create --topic "$S" --partitions 6 --replication-factor 3 >/dev/null 2>&1
for t in kcat console perf; do
    kcli kafka-topics --bootstrap-server "$B" --create --topic "$S.$t" --partitions 6 --replication-factor 3 >/dev/null 2>&1
done
echo "filling the source with $n records of 1 KB..."
kcli kafka-producer-perf-test --topic "$S" --num-records "$n" --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/fill.log" 2>&1
rate() { awk -v n="$n" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }

t0=$(date +%s%N)
/usr/bin/time -f '%M' -o "$work/rss" build/tools/krt-resend --id bench-$$ --team b --topic "$S" \
    --target "$S.krt" --execute -q >"$work/krt.log" 2>&1 || { cat "$work/krt.log" >&2; exit 1; }
krt_ms=$((($(date +%s%N) - t0) / 1000000))

t0=$(date +%s%N)
kcat -b "$B" -C -t "$S" -e -q -K'\t' -f '%k\t%s\n' | kcat -b "$B" -P -t "$S.kcat" -K'\t' -X linger.ms=20
kcat_ms=$((($(date +%s%N) - t0) / 1000000))

t0=$(date +%s%N)
timeout 1800 bash -c "'$repo/scripts/kafka-cluster' cli kafka-console-consumer --bootstrap-server '$B' --topic '$S' \
    --from-beginning --max-messages $n 2>/dev/null | '$repo/scripts/kafka-cluster' cli kafka-console-producer \
    --bootstrap-server '$B' --topic '$S.console' --producer-property linger.ms=20 >/dev/null 2>&1"
console_ms=$((($(date +%s%N) - t0) / 1000000))

kcli kafka-producer-perf-test --topic "$S.perf" --num-records "$n" --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/perf.log" 2>&1
perf_rate=$(tail -1 "$work/perf.log" | awk '{ print $4 }')

echo "copy $n records of 1 KB in 6 partitions (RF 3):"
echo "  krt-resend (transactional, exactly once):  ${krt_ms} ms  $(rate "$krt_ms") records/s  peak RSS $(($(cat "$work/rss") / 1024)) MB"
echo "  kcat -C | kcat -P:                          ${kcat_ms} ms  $(rate "$kcat_ms") records/s"
echo "  kafka-console-consumer | -producer:         ${console_ms} ms  $(rate "$console_ms") records/s"
echo "  kafka-producer-perf-test (raw produce):     ${perf_rate} records/s"
awk -v k="$krt_ms" -v c="$kcat_ms" -v n="$n" -v p="$perf_rate" 'BEGIN {
    printf "  krt-resend / kcat pipe: %.2fx; krt-resend / raw produce: %.2f\n", c / k, (n * 1000 / k) / p }'
for t in "$S" "$S.krt" "$S.kcat" "$S.console" "$S.perf"; do kcli kafka-topics --bootstrap-server "$B" --delete --topic "$t" >/dev/null 2>&1; done
