#!/usr/bin/env bash
# krt-restore --groups: consumer-group offsets recorded by krt-backup at its
# cut, translated onto the restored topic through its provenance headers and
# committed through krt-rewind's apply sequence. The source's partition 0
# lost offsets 0..2 to kafka-delete-records before the backup, so its
# records land 3 offsets lower in the target. Oracles: kcat's read of the
# source (the record each group would have read next), kcat's read of the
# target (where that record is), kafka-consumer-groups --describe (what was
# committed), and a real consumer (kcat -G) in each group.
. "$(dirname "$0")/../lib.sh"
need_cluster
S=$(topic_name rgsrc) T=$(topic_name rgdst) D="$tmp/backup" x=$$-$RANDOM
G1=krt-rg1-$x G2=krt-rg2-$x G3=krt-rg3-$x
export KRT_UNDO_DIR="$tmp/undo"
mkdir -p "$KRT_UNDO_DIR"
create_topic "$S" 2 2
for p in 0 1; do
    for i in $(seq 0 11); do printf 'k%d-%d\tv%d-%d-%s\n' "$p" "$i" "$p" "$i" "$RANDOM"; done |
        kcat -P -b "$B" -t "$S" -p "$p" -K $'\t' -X acks=all 2>/dev/null || bail "produce to $S-$p failed"
done
printf '{"version":1,"partitions":[{"topic":"%s","partition":0,"offset":3}]}' "$S" >"$tmp/del.json"
kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$tmp/del.json" >/dev/null 2>&1 ||
    bail "kafka-delete-records failed"
eq "source partition 0 starts at 3" "$(kcat_offset "$S" 0 -2)" 3
# G1: in the middle; G2: below the log start (0..2 deleted) and at the end;
# G3: partition 0 only
seed() { kcg_run --group "$1" --topic "$S:$2" --reset-offsets --to-offset "$3" --execute >/dev/null || bail "seed $1 $2 $3"; }
seed "$G1" 0 5; seed "$G1" 1 4
seed "$G2" 0 3; seed "$G2" 1 12
seed "$G3" 0 11
# the committed offset 3 is in range; 2 is what a group at the old start had:
# krt-backup records what is committed, so move G2 below the log start by
# committing from a plan through krt-rewind (kafka-consumer-groups clamps)
printf '%s,%s,0,1\n' "$G2" "$S" >"$tmp/g2.csv"
krt rewind --group "$G2" --from-file "$tmp/g2.csv" --execute --undo-file "$tmp/g2-undo.json" >/dev/null 2>&1 ||
    bail "cannot commit offset 1 for $G2"
run krt backup --dir "$D" --topic "$S"
eq "backup: exit 0" "$rc" 0
eq "the manifest holds the three groups' commits" \
    "$(jq -r --arg s "$S" '[.groups[]? | select(.group | startswith("krt-rg")) | .offsets[]? | select(.topic == $s) | .offset] | sort | join(",")' "$D/manifest.json")" \
    "1,4,5,11,12"

# expected next record of group G on partition p: the source's first record at or after C
next_in_source() { kcat -C -b "$B" -t "$S" -p "$2" -o beginning -e -q -f '%o\t%k\t%s\n' 2>/dev/null | awk -F'\t' -v c="$3" '$1 >= c { print $2 "\t" $3; exit }'; }
offset_in_target() { # offset of the record with key K in the target, or its high watermark
    local o
    o=$(kcat -C -b "$B" -t "$T" -p "$1" -o beginning -e -q -f '%o\t%k\n' 2>/dev/null | awk -F'\t' -v k="$2" '$2 == k { print $1; exit }')
    [[ -n $o ]] && echo "$o" || kcat_offset "$T" "$1" -1
}
described() { kcg_run --describe --group "$1" | awk -v t="$T" '$2 == t { print $3, $4 }' | sort; }

# --- restore with the groups, dry run: the plan, nothing committed
run krt restore --backup "$D" --topic "$S" --to "$T" --execute
eq "restore: exit 0" "$rc" 0
run krt restore --backup "$D" --topic "$S" --to "$T" --groups "$G1,$G2,$G3"
eq "groups dry run: exit 0" "$rc" 0
contains "the dry run shows the plan" "$out" "$G1"
eq "dry run: nothing committed on the target" "$(kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$G1" 2>/dev/null | awk -v t="$T" '$2 == t' | wc -l)" 0

# --- an active group is refused, nothing changed
quiet_consumer "$G3" krt-rg-consumer "$T"
consumer=$!
for _ in $(seq 1 60); do
    [[ $(kcg_run --describe --group "$G3" --members | grep -c krt-rg-consumer) -ge 1 ]] && break
    sleep 0.5
done
run krt restore --backup "$D" --topic "$S" --to "$T" --groups "$G3" --execute
eq "an active group is refused (4)" "$rc" 4
kill "$consumer" 2>/dev/null; wait "$consumer" 2>/dev/null
for _ in $(seq 1 60); do
    [[ $(kcg_run --describe --group "$G3" --members 2>/dev/null | grep -c krt-rg-consumer) -eq 0 ]] && break
    sleep 0.5
done

# --- execute: every group that has commits on the source (--groups alone)
run krt restore --backup "$D" --topic "$S" --to "$T" --groups --execute
eq "groups execute: exit 0" "$rc" 0
check "an undo file was written" compgen -G "$KRT_UNDO_DIR/krt-rewind-undo-*.json"
for g in "$G1" "$G2" "$G3"; do described "$g" >"$tmp/$g.described"; done
for spec in "$G1 0 5" "$G1 1 4" "$G2 0 1" "$G2 1 12" "$G3 0 11"; do
    read -r g p c <<<"$spec"
    want=$(next_in_source "$g" "$p" "$c")
    key=${want%%$'\t'*}
    eq "$g $S-$p@$c: kafka-consumer-groups shows the target offset of the next record" \
        "$(awk -v p="$p" '$1 == p { print $2 }' "$tmp/$g.described")" "$(offset_in_target "$p" "$key")"
done
# a real consumer in each group reads, on each partition, first the record it
# would have read next in the source (G3 has no commit on partition 1: it
# starts there at the end, as auto.offset.reset=latest says)
for g in "$G1" "$G2" "$G3"; do
    timeout 60 kcat -b "$B" -G "$g" -X auto.offset.reset=latest -X enable.auto.commit=false -e -q \
        -f '%p\t%k\t%s\n' "$T" >"$tmp/$g.read" 2>/dev/null
done
for spec in "$G1 0 5" "$G1 1 4" "$G2 0 1" "$G3 0 11"; do
    read -r g p c <<<"$spec"
    eq "$g resumes on partition $p with the record after source offset $c" \
        "$(awk -F'\t' -v p="$p" '$1 == p { print $2 "\t" $3; exit }' "$tmp/$g.read")" "$(next_in_source "$g" "$p" "$c")"
done
eq "$G2 at the source's end reads nothing more on partition 1" "$(awk -F'\t' '$1 == 1' "$tmp/$G2.read" | wc -l)" 0

# --- the translation right after the restore's commit: until the commit
# markers are written, a read_committed read of the target ends before the
# restored records (a drill saw commits mapped to offset 0). An open
# transaction of another producer, started before the restore and aborted
# only once the restore has written its records, holds the target's last
# stable offset at 0 the same way, on a machine of any speed.
T1=$T T=$(topic_name rgdst2)
create_topic "$T" 2 2
python3 - "$B" "$T" "$tmp/abort" >"$tmp/txn.out" 2>&1 <<'PY' &
import os, sys, time
from confluent_kafka import Producer
B, T, flag = sys.argv[1:]
p = Producer({'bootstrap.servers': B, 'transactional.id': 'krt-rg-open-' + T})
p.init_transactions(60)
p.begin_transaction()
for part in (0, 1):
    p.produce(T, value=b'open', partition=part)
p.flush(30)
print('open', flush=True)
t0 = time.time()
while not os.path.exists(flag) and time.time() - t0 < 50:
    time.sleep(0.2)
p.abort_transaction(60)
print('aborted', flush=True)
PY
tp=$!
for _ in $(seq 1 120); do grep -q open "$tmp/txn.out" && break; sleep 0.5; done
grep -q open "$tmp/txn.out" || bail "the open transaction did not start: $(cat "$tmp/txn.out")"
"$build/tools/krt-restore" --backup "$D" --topic "$S" --to "$T" --groups "$G1" --execute \
    >"$tmp/rg2.out" 2>"$tmp/rg2.err" &
rp=$!
# the translation says it waits for the open transaction (before the fix it
# did not wait: it read the target at once and mapped every commit to 0)
for _ in $(seq 1 240); do
    grep -q "waiting for the open transaction" "$tmp/rg2.err" && break
    kill -0 "$rp" 2>/dev/null || break
    sleep 0.25
done
contains "the translation waits for the open transaction on the target" "$(cat "$tmp/rg2.err")" \
    "waiting for the open transaction(s) on '$T'"
touch "$tmp/abort"
rrc=0
wait "$rp" || rrc=$?
eq "an open transaction on the target: restore and groups exit 0" "$rrc" 0
[[ $rrc == 0 ]] || diag "$(cat "$tmp/rg2.err")"
wait "$tp"
described "$G1" >"$tmp/$G1.described2"
for spec in "0 5" "1 4"; do
    read -r p c <<<"$spec"
    want=$(next_in_source "$G1" "$p" "$c")
    eq "open transaction: $G1 $S-$p@$c lands on the target offset of the next record" \
        "$(awk -v p="$p" '$1 == p { print $2 }' "$tmp/$G1.described2")" "$(offset_in_target "$p" "${want%%$'\t'*}")"
done

# --- bad input, before any network call
KRT_BOOTSTRAP_SERVERS=127.0.0.1:1 run krt restore --backup "$D" --topic "$S" --to "$T" --groups no-such-group --timeout 3s
eq "a group the backup does not hold is bad input (2)" "$rc" 2
contains "and is named" "$err" "no-such-group"

for t in "$S" "$T1" "$T"; do kcli kafka-topics --bootstrap-server "$B" --delete --topic "$t" >/dev/null 2>&1; done
done_testing
