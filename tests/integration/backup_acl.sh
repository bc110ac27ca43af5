#!/usr/bin/env bash
# krt-backup where one consumer group cannot be read: on a cluster with
# SASL/PLAIN and ACLs (started here, in its own state directory, and always
# torn down), alice may read the topic and describe the cluster (so she lists
# every group) and one group, but not the other. The backup goes on: a
# warning names the unreadable group, the manifest lists it as not captured
# with the broker's reason, the readable group's offsets equal what the
# coordinator reports to the admin (confluent-kafka), the records equal
# kcat's count; exit 1 (a warning).
. "$(dirname "$0")/../lib.sh"
export KRT_CLUSTER_DIR="$tmp/acl-cluster"
trap '"$cluster" down >/dev/null 2>&1; rm -rf "$tmp"' EXIT
python3 -c 'import confluent_kafka' 2>/dev/null || bail "python3 lacks confluent-kafka (run scripts/setup)"
SB=$("$cluster" start --sasl 2>"$tmp/start.err") || bail "cannot start SASL cluster: $(tail -3 "$tmp/start.err")"
admin="$KRT_CLUSTER_DIR/admin.properties"
alice="$KRT_CLUSTER_DIR/alice.properties"
acl() { kcli kafka-acls --bootstrap-server "$SB" --command-config "$admin" --add --allow-principal User:alice "$@" >/dev/null 2>&1 || bail "cannot add ACL $*"; }
akcat() { kcat -b "$SB" -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=PLAIN -X sasl.username=admin -X sasl.password=admin-secret "$@"; }

T=$(topic_name bkacl)
GA=krt-test-bkacl-$$-open
GB=krt-test-bkacl-$$-closed
kcli kafka-topics --bootstrap-server "$SB" --command-config "$admin" --create --topic "$T" \
    --partitions 2 --replication-factor 1 >/dev/null 2>&1 || bail "cannot create topic as admin"
seq 1 40 | akcat -P -t "$T" 2>/dev/null || bail "produce failed"
# both groups commit offsets (as admin); what the coordinator then reports is the oracle
python3 - "$SB" "$T" "$GA" "$GB" >"$tmp/grp.want" 2>"$tmp/grp.err" <<'PY' || bail "cannot commit group offsets: $(tail -2 "$tmp/grp.err")"
import sys, time
from confluent_kafka import Consumer, TopicPartition
B, T = sys.argv[1], sys.argv[2]
for n, g in enumerate(sys.argv[3:]):
    c = Consumer({'bootstrap.servers': B, 'group.id': g, 'enable.auto.commit': False,
                  'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanisms': 'PLAIN',
                  'sasl.username': 'admin', 'sasl.password': 'admin-secret'})
    # a fresh cluster: the offsets topic and its coordinators may not be ready yet
    for attempt in range(60):
        try:
            c.commit(offsets=[TopicPartition(T, p, 3 + p + n) for p in range(2)], asynchronous=False)
            break
        except Exception:
            if attempt == 59:
                raise
            time.sleep(2)
    if n == 0:
        for tp in sorted(c.committed([TopicPartition(T, p) for p in range(2)], timeout=60), key=lambda x: x.partition):
            print(tp.partition, tp.offset)
    c.close()
PY
acl --operation Describe --cluster
acl --operation All --topic "$T"
acl --operation All --group "$GA"
acl --operation All --group krt-backup-unused
sleep 1
D=$tmp/bk
run krt backup -b "$SB" --command-config "$alice" --dir "$D" --topic "$T" --json
eq "one unreadable group: the run goes on and exits 1 (a warning)" "$rc" 1
contains "a warning names the group that was not captured" "$err" "offsets of group '$GB' not captured"
eq "the records are backed up (manifest count = kcat's)" \
    "$(jq '[.topics[].partitions[].segments[].records] | add' "$D/manifest.json")" "$(akcat -C -e -q -t "$T" -f '.\n' | wc -l)"
eq "manifest: the unreadable group is listed as not captured" \
    "$(jq -c --arg g "$GB" '.groups[] | select(.group == $g) | [.captured, (.offsets | length)]' "$D/manifest.json")" "[false,0]"
contains "manifest: with the broker's reason" "$(jq -r --arg g "$GB" '.groups[] | select(.group == $g) | .error' "$D/manifest.json")" "uthoriz"
jq -r --arg g "$GA" '.groups[] | select(.group == $g and .captured != false) | .offsets[] | "\(.partition) \(.offset)"' "$D/manifest.json" | sort >"$tmp/grp.got"
if [[ -s $tmp/grp.want ]] && cmp -s "$tmp/grp.want" "$tmp/grp.got"; then ok "manifest: the readable group's offsets equal what the coordinator reports"
else not_ok "manifest: the readable group's offsets equal what the coordinator reports" "want: $(tr '\n' ' ' <"$tmp/grp.want")" "got: $(tr '\n' ' ' <"$tmp/grp.got")"; fi
eq "--json: groups_not_captured" "$(jq .groups_not_captured "$tmp/out")" 1
run krt backup --dir "$D" --verify
eq "--verify reads the manifest with a group not captured" "$rc" 0
done_testing
