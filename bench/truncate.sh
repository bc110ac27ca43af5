#!/usr/bin/env bash
# Benchmark: krt-truncate --execute against kafka-delete-records (from the same
# Kafka jars) on a topic of PARTITIONS partitions, in one run, on the same
# cluster: each run refills the topic, then one tool truncates it all.
#   bench/truncate.sh [PARTITIONS] [RUNS]      (default 1000 partitions, 3 runs)
. "$(dirname "$0")/lib.sh"
parts=${1:-1000}
runs=${2:-3}
T=bench-truncate-$$
kcli kafka-topics --bootstrap-server "$B" --create --topic "$T" --partitions "$parts" \
    --replication-factor 1 >/dev/null 2>&1
refill() { seq 1 $((parts * 3)) | sed 's/^/k/' | kcat -P -b "$B" -t "$T" -X linger.ms=50; }
# kafka-delete-records wants every partition in a JSON file; offset -1 = high watermark
{
    printf '{"version":1,"partitions":['
    for p in $(seq 0 $((parts - 1))); do printf '%s{"topic":"%s","partition":%d,"offset":-1}' "$([[ $p == 0 ]] || echo ,)" "$T" "$p"; done
    printf ']}\n'
} >"$work/all.json"
krt_ms=() kafka_ms=()
for i in $(seq 1 "$runs"); do
    refill
    krt_ms+=("$(time_ms build/tools/krt-truncate --topic "$T" --execute --yes -q)")
    refill
    kafka_ms+=("$(time_ms kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$work/all.json")")
done
report "truncate all records of $parts partitions" "krt-truncate --execute" "kafka-delete-records"
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$T" >/dev/null 2>&1
