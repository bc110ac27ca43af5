#!/usr/bin/env bash
# krt-restore --fill-gaps exactly once when two runs race and across a
# kill -9, and a record of CreateTime 0. A 2-partition topic of 240 records
# (and one of CreateTime 0, written by Kafka's Java producer: librdkafka
# cannot send 0) is backed up, then deleted and created again (every record
# lost, as when the only replica's disk is gone); 3 new records take offsets
# 0..2 of partition 0. Oracles: kcat's read of the records before the loss,
# kcat's read_committed read of the topic after each fill; a copy is known by
# its provenance header, compared by content.
. "$(dirname "$0")/../lib.sh"
need_cluster
trap 'jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$tmp"' EXIT
command -v java >/dev/null || bail "java not found (scripts/setup)"
T=$(topic_name fillrace) D="$tmp/backup"
export KRT_UNDO_DIR="$tmp/plans"
mkdir -p "$KRT_UNDO_DIR"
N=240 # + the record of CreateTime 0

produce() { # produce PARTITION COUNT TAG
    local i
    for ((i = 0; i < $2; i++)); do printf 'k%s-%d\tv%s-%d-%s\n' "$1" "$i" "$3" "$i" "$RANDOM"; done |
        kcat -P -b "$B" -t "$T" -p "$1" -K $'\t' -H "origin=$3" -X acks=all 2>"$tmp/produce.err" ||
        bail "produce failed: $(cat "$tmp/produce.err")"
}
# every committed record: partition, offset, key, value, timestamp, headers
read_all() {
    kcat -C -b "$B" -t "$T" -X isolation.level=read_committed -e -q \
        -f '%p\t%o\t%k\t%s\t%T\t%h\n' 2>"$tmp/kcat.err" || bail "kcat failed: $(cat "$tmp/kcat.err")"
}
# the copies among them, as "partition, SOURCE offset, key, value,
# timestamp, headers without the provenance ones"
copies() {
    awk -F'\t' -v OFS='\t' '{
        n = split($6, h, ","); o = ""; keep = ""
        for (i = 1; i <= n; i++)
            if (h[i] ~ /^krt\.source\.offset=/) o = substr(h[i], 19)
            else if (h[i] !~ /^krt\./) keep = keep (keep == "" ? "" : ",") h[i]
        if (o != "") print $1, o, $3, $4, $5, keep }' | sort
}
# lose every record: the topic is created again, 3 other records at 0..2
lose_all() {
    recreate_topic "$T" 2 2
    produce 0 3 new
}
# every lost record exactly once: no (partition, source offset) twice, and
# the copies equal, as a set, the records before the loss (CreateTime 0
# comes back as 1: the nearest librdkafka can send)
exactly_once() { # exactly_once LABEL
    wait_stable "$T"
    read_all | copies >"$tmp/copies"
    eq "$1: no lost record written twice" "$(cut -f1,2 "$tmp/copies" | uniq -d | head -3)" ""
    sed -E 's/^([0-9]+\t[0-9]+\tepoch\tzero\t)1\t/\10\t/' "$tmp/copies" >"$tmp/copies0"
    eq "$1: the copies equal the lost records (content and source offset; diff head)" \
        "$(diff "$tmp/copies0" "$tmp/lost" | head -6)" ""
}

# A compacted topic, started first: the cleaner (every 15 s by default) runs
# while the rest of the test does. a=1 b=1 a=2 at 0..2 are backed up; b=2
# rolls that segment (segment.ms), and the cleaner removes a=1 (offset 0).
C=$(topic_name fillcompact)
create_topic "$C" 1 2 --config cleanup.policy=compact --config segment.ms=100 \
    --config min.cleanable.dirty.ratio=0.01 --config min.compaction.lag.ms=0
printf 'a\t1\nb\t1\na\t2\n' | kcat -P -b "$B" -t "$C" -p 0 -K $'\t' -X acks=all 2>/dev/null ||
    bail "cannot produce to $C"
run krt backup --dir "$tmp/cbackup" --topic "$C" --timeout 30s
eq "backup of the compacted topic: exit 0" "$rc" 0
sleep 0.2
printf 'b\t2\n' | kcat -P -b "$B" -t "$C" -p 0 -K $'\t' -X acks=all 2>/dev/null || bail "cannot produce to $C"

create_topic "$T" 2 2
produce 0 120 race
produce 1 120 race
cp="$("$cluster" classpath 2>"$tmp/cp.err")" || bail "no Kafka class path: $(cat "$tmp/cp.err")"
java -cp "$cp" "$src/tests/helpers/ProduceAt.java" "$B" "$T" 1 0 epoch zero >"$tmp/java.out" 2>"$tmp/java.err" ||
    bail "the Java producer failed: $(tail -3 "$tmp/java.err")"
read_all | sort >"$tmp/lost"
eq "kcat read every record before the loss" "$(wc -l <"$tmp/lost")" $((N + 1))
eq "the Java producer wrote CreateTime 0 (kcat's read)" "$(awk -F'\t' '$3 == "epoch" { print $5 }' "$tmp/lost")" 0
run krt backup --dir "$D" --topic "$T" --timeout 30s
eq "backup: exit 0" "$rc" 0

# --- two runs released together: both found every record to do
lose_all
export KRT_TEST_TXN_RECORDS=10 # several transactions each: the runs overlap
for r in a b; do
    mkdir -p "$tmp/plans-$r"
    KRT_UNDO_DIR="$tmp/plans-$r" KRT_TEST_FILL_PAUSE="$tmp/go" "$build/tools/krt-restore" --backup "$D" --topic "$T" \
        --fill-gaps --execute --json >"$tmp/$r.out" 2>"$tmp/$r.err" &
    eval "pid_$r=$!"
done
for ((i = 0; i < 120; i++)); do
    [[ $(wc -l 2>/dev/null <"$tmp/go.waiting") == 2 ]] && break
    sleep 0.5
done
eq "both runs compared and wait at the write" "$(wc -l 2>/dev/null <"$tmp/go.waiting")" 2
eq "each had every lost record to do (their plans, written before the wait)" \
    "$(cat "$tmp"/plans-[ab]/krt-gapfill-*.json | jq -r .to_restore | tr '\n' ' ')" "$((N + 1)) $((N + 1)) "
touch "$tmp/go"
wait "$pid_a"; ra=$?
wait "$pid_b"; rb=$?
diag "run a: exit $ra: $(head -c 300 "$tmp/a.err")" "run b: exit $rb: $(head -c 300 "$tmp/b.err")"
check "one of the two runs finished (exit 0)" test "$ra" = 0 -o "$rb" = 0
check "the other finished too, or was fenced (exit 3)" test "$((ra + rb))" = 0 -o "$((ra + rb))" = 3
exactly_once "two runs at once"
run krt restore --backup "$D" --topic "$T" --fill-gaps --execute --json
eq "a third run writes nothing" "$(jq -r '"\(.already_restored) \(.restored)"' <<<"$out")" "$((N + 1)) 0"
unset KRT_TEST_TXN_RECORDS

# --- kill -9 in the middle of the fill, then again
lose_all
before=$(($(kcat_offset "$T" 0 -1) + $(kcat_offset "$T" 1 -1)))
KRT_TEST_TXN_RECORDS=1 "$build/tools/krt-restore" --backup "$D" --topic "$T" --fill-gaps \
    --execute >"$tmp/k.out" 2>"$tmp/k.err" &
pid=$!
for ((i = 0; i < 600; i++)); do # until 30 records are in (high watermarks: markers count too)
    (($(kcat_offset "$T" 0 -1) + $(kcat_offset "$T" 1 -1) - before >= 60)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
check "the fill was still running when killed" kill -9 "$pid"
wait "$pid" 2>/dev/null
# the killed run's last committed transaction may still have its markers in
# flight (the last stable offset below them): count until two reads a
# second apart agree
prev=-1
for ((i = 0; i < 30; i++)); do
    read_all | copies >"$tmp/killed"
    [[ $(wc -l <"$tmp/killed") == "$prev" ]] && break
    prev=$(wc -l <"$tmp/killed")
    sleep 1
done
diag "copies committed before the kill: $(wc -l <"$tmp/killed")"
run krt restore --backup "$D" --topic "$T" --fill-gaps --execute --json
eq "the run after the kill: exit 0" "$rc" 0
eq "it found the copies committed before the kill and wrote the rest" \
    "$(jq -r '"\(.already_restored) \(.restored)"' <<<"$out")" "$(wc -l <"$tmp/killed") $((N + 1 - $(wc -l <"$tmp/killed")))"
check "the kill came in the middle (some written, not all)" test "$(wc -l <"$tmp/killed")" -gt 0 -a "$(wc -l <"$tmp/killed")" -lt $((N + 1))
exactly_once "kill -9 and run again"
eq "CreateTime 0 is written as 1 ms, not as the current time (kcat %T)" \
    "$(awk -F'\t' '$3 == "epoch" && $6 ~ /krt.source.offset/ { print $5 }' <(read_all))" 1

# --- the compacted topic: offset 0 was compacted away, not lost
first=""
for ((i = 0; i < 90; i++)); do
    first=$(kcat -C -b "$B" -t "$C" -p 0 -o beginning -c 1 -e -q -f '%o' 2>/dev/null)
    [[ $first == 1 ]] && break
    sleep 1
done
eq "the cleaner removed offset 0 (kcat's first record)" "$first" 1
run krt restore --backup "$tmp/cbackup" --topic "$C" --fill-gaps --json
eq "compacted topic: exit 0" "$rc" 0
eq "compacted away, not missing: nothing to write" \
    "$(jq -r '.partitions[0] | "\(.compacted_away) \(.missing) \(.to_restore) \(.lost_from) \(.lost_to)"' <<<"$out")" "1 0 0 0 0"

# --- a compacted topic that lost its tail: the records above the last one
# still equal to the backup's are lost, not compacted away, and are written
# (a=1 b=1 a=2 with fixed CreateTimes backed up; the topic made again with
# only a=1, equal to the backup's offset 0)
C2=$(topic_name filltail)
cprod() { # cprod TOPIC N: the first N of a=1 b=1 a=2, CreateTime 1000, 2000, 3000
    python3 - "$B" "$1" "$2" <<'PY' || bail "cannot produce to $1"
import sys
from confluent_kafka import Producer
B, T, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': B, 'acks': 'all', 'enable.idempotence': True})
for i, (k, v) in enumerate([('a', '1'), ('b', '1'), ('a', '2')][:n]):
    p.produce(T, key=k, value=v, partition=0, timestamp=1000 * (i + 1))
if p.flush(60):
    sys.exit(1)
PY
}
create_topic "$C2" 1 2 --config cleanup.policy=compact
cprod "$C2" 3
run krt backup --dir "$tmp/c2backup" --topic "$C2" --timeout 30s
eq "backup of the second compacted topic: exit 0" "$rc" 0
recreate_topic "$C2" 1 2 --config cleanup.policy=compact --config segment.ms=100 \
    --config min.cleanable.dirty.ratio=0.01 --config min.compaction.lag.ms=0
cprod "$C2" 1
run krt restore --backup "$tmp/c2backup" --topic "$C2" --fill-gaps --json
eq "compacted topic, lost tail: exit 0" "$rc" 0
eq "compacted topic, lost tail: offsets 1 and 2 are missing and to write, none compacted away" \
    "$(jq -r '.partitions[0] | "\(.compacted_away) \(.missing) \(.to_restore) \(.lost_from) \(.lost_to)"' <<<"$out")" "0 2 2 1 3"
# --- ... filled, then the cleaner removes a copy (b=1: the key written
# again after the fill): a second fill must not write it again after b=9
run krt restore --backup "$tmp/c2backup" --topic "$C2" --fill-gaps --execute --json
eq "compacted topic, lost tail: the fill writes the 2 records" "$(jq -r '.restored' <<<"$out")" 2
printf 'b\t9\n' | kcat -P -b "$B" -t "$C2" -p 0 -K $'\t' -X acks=all 2>/dev/null || bail "cannot produce to $C2"
# a later record rolls b=9's segment (segment.ms): the cleaner reads keys
# only from segments that are no longer active
sleep 0.5
printf 'c\t1\n' | kcat -P -b "$B" -t "$C2" -p 0 -K $'\t' -X acks=all 2>/dev/null || bail "cannot produce to $C2"
next=""
for ((i = 0; i < 120; i++)); do # the copy b=1 at offset 1 is removed by the cleaner
    next=$(kcat -C -b "$B" -t "$C2" -p 0 -o 1 -c 1 -e -q -f '%o' 2>/dev/null)
    [[ -n $next && $next != 1 ]] && break
    sleep 1
done
check "the cleaner removed the copy of b=1 (kcat's first record from offset 1: $next)" test "${next:-1}" != 1
run krt restore --backup "$tmp/c2backup" --topic "$C2" --fill-gaps --json
eq "compacted topic, a copy compacted away: exit 0" "$rc" 0
eq "compacted topic, a copy compacted away: nothing to write again" "$(jq -r '.partitions[0].to_restore' <<<"$out")" 0

delete_topics "$T" "$C" "$C2"
done_testing
