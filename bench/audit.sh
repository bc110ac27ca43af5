#!/usr/bin/env bash
# Benchmark: krt-audit against kafka-topics --describe --under-replicated-partitions
# and --unavailable-partitions (from the same Kafka jars), on PARTITIONS
# partitions (10 topics, replication factor 1 so the small test brokers can
# hold them; the metadata and configs read are the same for any RF), in one
# run, on the same cluster. Reports medians and the ratio.
#   bench/audit.sh [PARTITIONS] [RUNS]      (default 10000 partitions, 3 runs)
# Its own cluster uses 1 GiB broker heaps (KRT_KAFKA_HEAP) for 10,000 partitions.
export KRT_KAFKA_HEAP=${KRT_KAFKA_HEAP:--Xmx1g}
. "$(dirname "$0")/lib.sh"
parts=${1:-10000}
runs=${2:-3}
per=$((parts / 10))
topics=()
for i in $(seq 1 10); do
    t=bench-audit-$$-$i
    topics+=("$t")
    kcli kafka-topics --bootstrap-server "$B" --create --topic "$t" --partitions "$per" \
        --replication-factor 1 >/dev/null 2>&1 || { echo "bench: cannot create $t" >&2; exit 1; }
done
# wait until every partition has a leader
for _ in $(seq 1 120); do
    n=$(build/tools/krt-audit --json -q | jq -r '.summary.partitions - .summary.offline')
    [[ $n -ge $parts ]] && break
    sleep 1
done
krt_ms=() kafka_ms=()
kafka_both() {
    kcli kafka-topics --bootstrap-server "$B" --describe --under-replicated-partitions &&
        kcli kafka-topics --bootstrap-server "$B" --describe --unavailable-partitions
}
for i in $(seq 1 "$runs"); do
    krt_ms+=("$(time_ms build/tools/krt-audit --json)")
    kafka_ms+=("$(time_ms kafka_both)")
done
total=$(build/tools/krt-audit --json -q | jq -r '.summary.partitions')
report "audit of $total partitions ($parts in the benchmark topics)" "krt-audit --json" "kafka-topics --under-replicated + --unavailable"
for t in "${topics[@]}"; do kcli kafka-topics --bootstrap-server "$B" --delete --topic "$t" >/dev/null 2>&1; done
