#!/usr/bin/env bash
# krt-backup when the cluster changes under a backup: a partition that no
# longer holds the backed-up log (a topic deleted and created again: its
# offsets are reused by other records) is detected and recorded as a
# divergence, never appended to the old series; --follow takes in topics and
# partitions created after its start and re-reads the groups' offsets; a run
# with --force into a backup of another cluster leaves a backup that --verify
# accepts. Oracles: kcat (records, offsets), fastavro (the backup's files),
# confluent-kafka (group offsets as the coordinator reports them).
. "$(dirname "$0")/../lib.sh"
need_cluster
trap 'jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$tmp"' EXIT
python3 -c 'import fastavro, cramjam, confluent_kafka' 2>/dev/null \
    || bail "python3 lacks fastavro, cramjam or confluent-kafka (run scripts/setup)"
x=$$-$RANDOM
# "P O VALUE" of every record in the backup (fastavro, tests/helpers/records.py)
bvalues() { python3 "$src/tests/helpers/records.py" backup "$1" "$2" values | sort -n -k1,1 -k2,2; }
kvalues() { kcat -b "$B" -C -e -q -X isolation.level=read_committed -t "$1" -f '%p %o %s\n' | sort -n -k1,1 -k2,2; }
produce() { # produce TOPIC PREFIX N
    seq 1 "$3" | sed "s/^/$2-/" | kcat -b "$B" -P -t "$1" -p 0 2>/dev/null || bail "kcat -P to $1 failed"
}
recreate() { # recreate TOPIC: delete it, wait until it is gone, create it again
    kcli kafka-topics --bootstrap-server "$B" --delete --topic "$1" >/dev/null 2>&1 || bail "cannot delete $1"
    for i in $(seq 1 30); do kcat -b "$B" -L -t "$1" 2>/dev/null | grep -q "topic \"$1\" with 1 partitions" || break; sleep 1; done
    create_topic "$1" 1 1
}

# --- a topic deleted and created again: same offsets, other records
R1=krt-test-bkd-$x-more # created again with more records than backed up
R2=krt-test-bkd-$x-less # created again with fewer: its log ends below the backup's end
RD=$tmp/diverged
create_topic "$R1" 1 1
create_topic "$R2" 1 1
produce "$R1" first 20
produce "$R2" first 20
run krt backup --dir "$RD" --topic "$R1" --topic "$R2"
eq "first backup of the topics to recreate" "$rc" 0
bvalues "$RD" "$R1" >"$tmp/r1.before"
cp "$RD/manifest.json" "$tmp/manifest.before"
recreate "$R1"
recreate "$R2"
produce "$R1" second 30
produce "$R2" second 5
run krt backup --dir "$RD" --topic "$R1" --topic "$R2"
eq "a partition holding another log: exit 4" "$rc" 4
contains "the error says the backed-up log is gone" "$err" "no longer hold the backed-up log"
contains "a warning names the partition and the offset compared" "$err" "'$R1' partition 0: the record at offset 19 differs"
# the oracle for the difference: the value kcat reads at offset 19 now is not the backed-up one
eq "kcat's record at offset 19 differs from the backup's (the premise)" \
    "$(kvalues "$R1" | awk '$2 == 19 { print $3 }') $(awk '$2 == 19 { print $3 }' "$tmp/r1.before")" "second-20 first-20"
eq "manifest: the divergence of the recreated topic with more records" \
    "$(jq -c --arg t "$R1" '.topics[] | select(.name == $t) | .partitions[0].divergences | map([.reason, .offset, .backup_end])' "$RD/manifest.json")" \
    '[["record-differs",19,20]]'
eq "manifest: the divergence of the one whose log ends below the backup (log end = kcat's)" \
    "$(jq -c --arg t "$R2" '.topics[] | select(.name == $t) | .partitions[0].divergences | map([.reason, .backup_end, .log_end])' "$RD/manifest.json")" \
    "[[\"log-end\",20,$(kcat_offset "$R2" 0 -1)]]"
eq "the old series is not appended to: fastavro reads the same records as before" \
    "$(bvalues "$RD" "$R1")" "$(cat "$tmp/r1.before")"
eq "no segment added" "$(jq '[.topics[].partitions[].segments | length] | add' "$RD/manifest.json")" \
    "$(jq '[.topics[].partitions[].segments | length] | add' "$tmp/manifest.before")"
run krt backup --dir "$RD" --topic "$R1" --topic "$R2" --json
eq "the next run refuses them again (exit 4), adds nothing" "$rc$(bvalues "$RD" "$R1" | wc -l)" "420"
# (a failed run's --json report is on stderr, before the error line)
eq "--json: both partitions reported as diverged" \
    "$(grep -v '^krt-backup: ' "$tmp/err" | jq '[.partitions[] | select(.diverged != null)] | length')" 2
run krt backup --dir "$RD" --verify
eq "--verify passes: the divergence is recorded, the old series intact" "$rc" 0
# the same log continued is no divergence (false alarms would make the check useless)
S=krt-test-bkd-$x-same
SD=$tmp/same
create_topic "$S" 1 1
produce "$S" one 10
run krt backup --dir "$SD" --topic "$S"
produce "$S" two 10
run krt backup --dir "$SD" --topic "$S" --json
eq "the same log, continued: exit 0, the 10 new records read" "$rc $(jq '.partitions[0].records' "$tmp/out")" "0 10"
eq "the same log: fastavro reads what kcat reads" "$(bvalues "$SD" "$S")" "$(kvalues "$S")"
eq "the same log: no divergence in the manifest" "$(jq '[.topics[].partitions[].divergences // [] | length] | add' "$SD/manifest.json")" 0

# --- --force into a backup of another cluster: --verify accepts the result.
# The "other cluster" backup is this cluster's with its cluster id replaced in
# the segment headers (same length) and the manifest, hashes recomputed.
FD=$tmp/forced
run krt backup --dir "$FD" --topic "$S"
eq "backup to relabel as another cluster's" "$rc" 0
python3 - "$FD" >"$tmp/relabel.out" 2>&1 <<'PY' || bail "cannot relabel the backup: $(cat "$tmp/relabel.out")"
import hashlib, json, os, sys
D = sys.argv[1]
m = json.load(open(os.path.join(D, 'manifest.json')))
cid = m['cluster_id']
fake = ('Z' * len(cid))
for t in m['topics']:
    for p in t['partitions']:
        for s in p['segments']:
            f = os.path.join(D, s['file'])
            b = open(f, 'rb').read()
            head = b[:4096]
            assert head.count(cid.encode()) == 1
            b = head.replace(cid.encode(), fake.encode()) + b[4096:]
            open(f, 'wb').write(b)
            s['sha256'] = hashlib.sha256(b).hexdigest()
            s.pop('cluster_id', None)
m['cluster_id'] = fake
json.dump(m, open(os.path.join(D, 'manifest.json'), 'w'))
PY
run krt backup --dir "$FD" --verify
eq "the relabelled backup verifies on its own" "$rc" 0
produce "$S" three 10
run krt backup --dir "$FD" --topic "$S"
eq "without --force: refused (exit 4)" "$rc" 4
run krt backup --dir "$FD" --topic "$S" --force
eq "with --force: exit 0" "$rc" 0
contains "--force warns that it mixes clusters" "$err" "--force"
run krt backup --dir "$FD" --verify
eq "--verify passes after a run with --force (each segment checked against its own cluster)" "$rc" 0
[[ $rc == 0 ]] || not_ok "verify output" "$out"
eq "the manifest names the cluster of each segment" \
    "$(jq -c '[.topics[].partitions[].segments[].cluster_id] | unique | length' "$FD/manifest.json")" 2

# --- --follow refreshes topics, partitions and group offsets
P=krt-test-bkp-$x
create_topic "$P-a" 1 1
produce "$P-a" early 5
PD=$tmp/follow
"$build/tools/krt-backup" --dir "$PD" --topic "$P-*" --follow --refresh 2s --segment-time 1s >"$tmp/follow.out" 2>&1 &
fpid=$!
for i in $(seq 1 60); do [[ -s $PD/manifest.json ]] && break; sleep 1; done
# after its start: a new topic matching the prefix, a partition added, a group's offsets
create_topic "$P-b" 1 1
kcli kafka-topics --bootstrap-server "$B" --alter --topic "$P-a" --partitions 2 >/dev/null 2>&1 || bail "cannot add a partition"
for i in $(seq 1 30); do kcat -b "$B" -L -t "$P-a" 2>/dev/null | grep -q "partition 1, leader [0-9]" && break; sleep 1; done
produce "$P-b" late 7
seq 1 6 | sed 's/^/added-/' | kcat -b "$B" -P -t "$P-a" -p 1 2>/dev/null || bail "kcat -P to partition 1 failed"
python3 - "$B" "$P-b" "$P-grp" >"$tmp/grp.want" 2>"$tmp/grp.err" <<'PY' || bail "cannot commit group offsets: $(tail -2 "$tmp/grp.err")"
import sys
from confluent_kafka import Consumer, TopicPartition
B, T, g = sys.argv[1:]
c = Consumer({'bootstrap.servers': B, 'group.id': g, 'enable.auto.commit': False})
c.commit(offsets=[TopicPartition(T, 0, 4)], asynchronous=False)
print(' '.join('%s %d %d' % (tp.topic, tp.partition, tp.offset) for tp in c.committed([TopicPartition(T, 0)], timeout=60)))
c.close()
PY
want=$( (kvalues "$P-a" | sed "s/^/a /"; kvalues "$P-b" | sed "s/^/b /") | wc -l)
for i in $(seq 1 90); do
    n=$(jq '[.topics[].partitions[].segments[].records] | add // 0' "$PD/manifest.json" 2>/dev/null)
    g=$(jq -r --arg g "$P-grp" '.groups[] | select(.group == $g) | .offsets[] | "\(.topic) \(.partition) \(.offset)"' "$PD/manifest.json" 2>/dev/null)
    [[ $n == "$want" && -n $g ]] && break
    sleep 1
done
eq "--follow: records of a topic created and a partition added after its start are backed up" "$n" "$want"
eq "--follow: the group's offsets committed after its start are in the manifest" "$g" "$(cat "$tmp/grp.want")"
kill -TERM "$fpid"
frc=0
wait "$fpid" || frc=$?
eq "--follow exits 0 on SIGTERM" "$frc" 0
[[ $frc == 0 ]] || diag "$(cat "$tmp/follow.out")"
eq "--follow: fastavro reads what kcat reads (the new topic)" "$(bvalues "$PD" "$P-b")" "$(kvalues "$P-b")"
eq "--follow: fastavro reads what kcat reads (both partitions of the grown topic)" "$(bvalues "$PD" "$P-a")" "$(kvalues "$P-a")"
eq "--follow: the manifest's partition count follows the topic" \
    "$(jq --arg t "$P-a" '.topics[] | select(.name == $t) | .partition_count' "$PD/manifest.json")" 2
run krt backup --dir "$PD" --verify
eq "--verify passes after a refreshing --follow" "$rc" 0
# SIGTERM while a refresh reads the groups' offsets (the test hook holds the
# refresh there): a clean stop that keeps the offsets captured before, not
# a table of groups marked "not captured: interrupted" and exit 1
gw=$(jq -c --arg g "$P-grp" '[.groups[] | select(.group == $g)]' "$PD/manifest.json")
KRT_TEST_GROUPS_PAUSE=$tmp/gpause "$build/tools/krt-backup" --dir "$PD" --topic "$P-*" --follow \
    --refresh 1s -q >"$tmp/follow2.out" 2>&1 &
fpid=$!
for i in $(seq 1 60); do [[ -s $tmp/gpause.waiting ]] && break; sleep 1; done
[[ -s $tmp/gpause.waiting ]] || bail "the --follow refresh never reached the groups"
kill -TERM "$fpid"
sleep 0.5
touch "$tmp/gpause"
frc=0
wait "$fpid" || frc=$?
eq "SIGTERM while the groups are read: exit 0" "$frc" 0
[[ $frc == 0 ]] || diag "$(cat "$tmp/follow2.out")"
eq "SIGTERM while the groups are read: the group's captured offsets are kept" \
    "$(jq -c --arg g "$P-grp" '[.groups[] | select(.group == $g)]' "$PD/manifest.json")" "$gw"
lacks "SIGTERM while the groups are read: no group is marked not captured" \
    "$(jq -c '[.groups[] | select(.error != null)]' "$PD/manifest.json")" "interrupted"
run krt backup --dir "$PD" --topic "$P-*" --refresh 2s
eq "--refresh without --follow: usage error (exit 2)" "$rc" 2

done_testing
