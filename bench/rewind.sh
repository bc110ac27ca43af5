#!/usr/bin/env bash
# Benchmark: krt-rewind --execute against kafka-consumer-groups --reset-offsets
# --execute (from the same Kafka jars) on a group with PARTITIONS partitions,
# in one run, on the same cluster. Reports medians and the ratio.
#   bench/rewind.sh [PARTITIONS] [RUNS]      (default 1000 partitions, 3 runs)
. "$(dirname "$0")/lib.sh"
parts=${1:-1000}
runs=${2:-3}
T=bench-rewind-$$
G=bench-rewind-group-$$
kcli kafka-topics --bootstrap-server "$B" --create --topic "$T" --partitions "$parts" \
    --replication-factor 1 >/dev/null 2>&1
seq 1 $((parts * 5)) | sed 's/^/k/' | kcat -P -b "$B" -t "$T" -X linger.ms=50
kcli kafka-consumer-groups --bootstrap-server "$B" --group "$G" --topic "$T" \
    --reset-offsets --to-earliest --execute >/dev/null 2>&1
krt_ms=() kafka_ms=()
for i in $(seq 1 "$runs"); do
    krt_ms+=("$(time_ms build/tools/krt-rewind --group "$G" --topic "$T" --to-latest --execute \
        --undo-file "$work/undo-$i.json" -q)")
    kafka_ms+=("$(time_ms kcli kafka-consumer-groups --bootstrap-server "$B" --group "$G" \
        --topic "$T" --reset-offsets --to-earliest --execute)")
done
report "rewind of $parts partitions" "krt-rewind --execute" "kafka-consumer-groups --reset-offsets --execute"
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$T" >/dev/null 2>&1
