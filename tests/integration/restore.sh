#!/usr/bin/env bash
# krt-restore against the real cluster. Golden records (null vs empty key and
# value, binary, duplicate and null-valued headers, old and out-of-order
# timestamps, an aborted transaction, a compacted topic with tombstones) are
# produced with Python confluent-kafka, backed up with krt-backup and
# restored into new topics; kcat reads source and target with read_committed
# and they must be equal record by record (partition, order, key, value,
# headers minus the provenance ones, timestamp), each target record naming
# its source offset. Then: --until and --until-offset against kcat -Q's
# offsets-for-times; kill -9 at random moments and resume; bad input.
. "$(dirname "$0")/../lib.sh"
need_cluster
trap 'jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$tmp"' EXIT
python3 -c 'import confluent_kafka' 2>/dev/null || bail "python3 lacks confluent-kafka (run scripts/setup)"
export KRT_UNDO_DIR=$tmp/plans
mkdir -p "$KRT_UNDO_DIR"
x=$$-$RANDOM
G=krt-test-rs-$x
C=$G-compact
create_topic "$G" 3 2
# compacted, and its segments do not roll during the test: the cleaner never
# runs, so the backup and kcat see the same records, tombstones included
create_topic "$C" 2 2 --config cleanup.policy=compact --config segment.ms=3600000

# golden.py BOOTSTRAP TOPIC COMPACTED: prints the base timestamp it used
cat >"$tmp/golden.py" <<'PY'
import sys, time
from confluent_kafka import Producer
B, T, C = sys.argv[1:4]
base = int(time.time() * 1000) - 60000
p = Producer({'bootstrap.servers': B, 'enable.idempotence': True})
day = 86400000
for part, key, val, hdrs, ts in [
        (0, None, b'no key', [], base),
        (0, b'', b'', [('dup', b'a'), ('dup', b'b'), ('dup', b'a')], base + 1),
        (0, b'tomb', None, [('nullv', None), ('empty', b'')], base + 2),
        (0, bytes([0, 255, 10, 13]), bytes(range(255, -1, -1)), [('bin', b'\x00\x01')], base + 3),
        (0, b'very-old', b'2001-09-09', [], 1000000000000),
        (0, b'yesterday', b'late', [], base - day),
        (0, b'now-again', b'after', [], base + 4),
        (1, b'p1', None, [('only', None)], base),
        (1, None, None, [], base + 10)]:
    p.produce(T, key=key, value=val, headers=hdrs, partition=part, timestamp=ts)
p.flush(60)
tp = Producer({'bootstrap.servers': B, 'transactional.id': 'krt-test-rs-golden-' + T})
tp.init_transactions(60)
tp.begin_transaction()
for i in range(4):
    tp.produce(T, key=b'aborted', value=b'gone-%d' % i, partition=2, timestamp=base + 20)
tp.flush(60)
tp.abort_transaction(60)
tp.begin_transaction()
for i in range(3):
    tp.produce(T, key=b'kept', value=b'kept-%d' % i, partition=2, headers=[('t', b'x')],
               timestamp=base + 30 + i)
tp.commit_transaction(60)
for i in range(16):
    p.produce(C, key=b'k%d' % (i % 4), value=None if i % 5 == 2 else b'v%d' % i, partition=i % 2,
              timestamp=base + i)
p.flush(60)
print(base)
PY
# dump TOPIC [provenance]: every committed record, one JSON line per record,
# read with kcat (tests/helpers/records.py dump)
dump() { python3 "$src/tests/helpers/records.py" dump "$B" "$@"; }
base=$(python3 "$tmp/golden.py" "$B" "$G" "$C" 2>"$tmp/golden.err") || bail "golden producer failed: $(tail -3 "$tmp/golden.err")"
D=$tmp/bk
# on a cluster started a moment ago, krt-backup's ListGroups can meet a
# coordinator still loading ("Coordinator load in progress"), which krt-backup
# does not retry yet: try again a few times
for _ in 1 2 3 4 5; do
    run krt backup --dir "$D" --topic "$G" --topic "$C" -q
    [[ $rc == 0 || $err != *"load in progress"* ]] && break
    sleep 3
done
[[ $rc == 0 ]] || bail "krt-backup failed: $err"
topic_exists() { kcat -b "$B" -L -t "$1" -m 10 2>/dev/null | grep -q "topic \"$1\" with [1-9]"; }

# --- dry run: the plan, nothing written
R=$G-restored
run krt restore --backup "$D" --topic "$G" --to "$R" --json
eq "dry run exits 0" "$rc" 0
eq "dry run: per partition the records to restore equal the manifest's" \
    "$(jq -c '[.partitions[].records]' <<<"$out")" \
    "$(jq -c --arg t "$G" '[.topics[] | select(.name == $t) | .partitions[] | [.segments[].records] | add // 0]' "$D/manifest.json")"
eq "dry run: the target will be created with 3 partitions, RF 2" \
    "$(jq -c '[.target_exists, .target_partitions, .replication_factor, .executed]' <<<"$out")" '[false,3,2,false]'
check "dry run creates no topic (kcat -L)" eval "! topic_exists '$R'"
eq "dry run writes no plan file" "$(ls "$KRT_UNDO_DIR")" ""

# --- round trip of the golden records
run krt restore --backup "$D" --topic "$G" --to "$R" --execute --json
eq "restore --execute exits 0" "$rc" 0
[[ $rc == 0 ]] || diag "$err"
eq "the report counts every backed-up record" "$(jq .restored <<<"$out")" \
    "$(jq --arg t "$G" '[.topics[] | select(.name == $t) | .partitions[].segments[].records] | add' "$D/manifest.json")"
plan=$(jq -r .plan_file <<<"$out")
check "the plan file is on disk and names the restore id" jq -e --arg id "$(jq -r .restore_id <<<"$out")" '.restore_id == $id' "$plan"
dump "$G" >"$tmp/src.g" || bail "cannot read $G"
dump "$R" provenance >"$tmp/dst.g" || bail "cannot read $R"
if [[ -s $tmp/src.g ]] && cmp -s "$tmp/src.g" "$tmp/dst.g"; then
    ok "restored topic equals the source record by record ($(wc -l <"$tmp/src.g") records: partition, order, source offset, timestamp type and value, key, value, headers)"
else
    not_ok "restored topic equals the source record by record" "$(diff "$tmp/src.g" "$tmp/dst.g" | head -6)"
fi
check "the golden set has an aborted transaction, null and empty keys" \
    eval "grep -q '\"kept\"\\|6b657074' '$tmp/src.g' && ! grep -q 676f6e65 '$tmp/src.g' && grep -q '\"create\", [0-9]*, null' '$tmp/src.g' && grep -q '\"create\", [0-9]*, \"\"' '$tmp/src.g'"
eq "the target has the backed-up partition count" \
    "$(kcat -b "$B" -L -t "$R" 2>/dev/null | grep -c 'partition [0-9]*,')" 3
# the compacted topic, through --to-prefix; its config goes with it
RP=krt-test-rsp-$x
run krt restore --backup "$D" --topic "$C" --to-prefix "$G:$RP" --execute -q
eq "--to-prefix restore of the compacted topic exits 0" "$rc" 0
dump "$C" >"$tmp/src.c"
dump "$RP-compact" provenance >"$tmp/dst.c"
if grep -q null "$tmp/src.c" && cmp -s "$tmp/src.c" "$tmp/dst.c"; then ok "compacted topic with tombstones restored record by record ($(wc -l <"$tmp/src.c"))"
else not_ok "compacted topic with tombstones restored record by record" "$(diff "$tmp/src.c" "$tmp/dst.c" | head -4)"; fi
eq "the restored compacted topic has the backed-up configs (confluent-kafka describe_configs)" \
    "$(python3 - "$B" "$RP-compact" <<'PY'
import sys
from confluent_kafka.admin import AdminClient, ConfigResource
a = AdminClient({'bootstrap.servers': sys.argv[1]})
r = ConfigResource(ConfigResource.Type.TOPIC, sys.argv[2])
cfg = a.describe_configs([r])[r].result(60)
print(cfg['cleanup.policy'].value, cfg['segment.ms'].value)
PY
)" "compact 3600000"
# run again: nothing more is written
run krt restore --backup "$D" --topic "$G" --to "$R" --execute --json
eq "a second run of a finished restore writes nothing" "$(jq .restored <<<"$out"):$(dump "$R" provenance | wc -l)" "0:$(wc -l <"$tmp/src.g")"

# --- point in time: --until cuts where Kafka's ListOffsets (kcat -Q) says
# (the first offset whose timestamp is > UNTIL, i.e. >= UNTIL + 1 ms)
until_ms=$((base + 2))
until_iso=$(python3 -c 'import sys, datetime; print(datetime.datetime.fromtimestamp(int(sys.argv[1]) / 1000, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace("000Z", "Z"))' "$until_ms")
RU=$G-until
run krt restore --backup "$D" --topic "$G" --to "$RU" --until "$until_iso" --execute -q
eq "--until restore exits 0" "$rc" 0
[[ $rc == 0 ]] || diag "$err"
want=""
for p in 0 1 2; do
    q=$(kcat_offset "$G" $p $((until_ms + 1)))
    [[ -n $q ]] || bail "kcat -Q gave no offset for $G:$p"
    want+=$(awk -v p=$p -v q="$q" -F'[][, ]+' '$2 == p && (q < 0 || $3 < q)' "$tmp/src.g")
done
got=$(dump "$RU" provenance | tr -d '\n')
eq "--until $until_iso: the target holds the source records below kcat -Q's offsets for $((until_ms + 1))" "$got" "$(tr -d '\n' <<<"$want")"
check "--until cut something and kept something" eval "[[ -n '$got' && \$(wc -c <<<'$got') -lt \$(wc -c <'$tmp/src.g') ]]"
RO=$G-until-offset
run krt restore --backup "$D" --topic "$G" --to "$RO" --until-offset 0:3,2:7 --execute --json
eq "--until-offset restore exits 0" "$rc" 0
eq "--until-offset: the target holds exactly the source records below 0:3 and 2:7 (and all of 1)" \
    "$(dump "$RO" provenance)" "$(awk -F'[][, ]+' '($2 == 0 && $3 < 3) || $2 == 1 || ($2 == 2 && $3 < 7)' "$tmp/src.g")"

# --- kill -9 at random moments, then resume with the same id
K=krt-test-rsk-$x
create_topic "$K" 3 1
seq 1 6000 | awk '{ printf "k%d\tv%d-%060d\n", $1, $1, 0 }' | kcat -b "$B" -P -t "$K" -K $'\t' 2>/dev/null || bail "kcat -P failed"
KD=$tmp/kbk
run krt backup --dir "$KD" --topic "$K" -q
[[ $rc == 0 ]] || bail "backup of $K failed: $err"
KT=$K-restored
kills=0
partial=0
kcount() { kcat -b "$B" -C -e -q -t "$1" -X isolation.level=read_committed -f '.\n' 2>/dev/null | wc -l; }
hwsum() { # the sum of the high watermarks of partitions 0-2 (0 while the topic does not exist)
    local p s=0 h
    for p in 0 1 2; do h=$(kcat_offset "$1" $p -1 2>/dev/null); [[ $h =~ ^[0-9]+$ ]] && s=$((s + h)); done
    echo $s
}
for round in $(seq 1 30); do
    ((kills >= 10 && partial > 0)) && break
    before=$(hwsum "$KT")
    # transactions of 100 records (a test-build hook; a real run commits
    # about every second): kills land between commits and in transactions
    # --max-rate 300: the 6000 records take about 20 s of copying, so the
    # restore is still running at every kill however idle the machine is
    KRT_TEST_TXN_RECORDS=100 "$build/tools/krt-restore" --backup "$KD" --topic "$K" --to "$KT" \
        --restore-id kill-$x --max-rate 300 --execute -q >/dev/null 2>"$tmp/kill-$round.err" &
    pid=$!
    if ((round % 2)); then
        # any moment: during start-up, before or after a first commit
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + (r % 100) / 100 }')"
    else
        # a random moment after this run's first commit (waited for up to 15 s):
        # 150 more records written than before, past the first transaction of
        # 100. (Watched through the high watermarks: a read_committed kcat -e
        # chases the moving LSO of a running copy and returns only once that
        # partition is done, about 7 s here, by when the restore was far on.)
        for _ in $(seq 1 75); do
            (($(hwsum "$KT") > before + 150)) || ! kill -0 "$pid" 2>/dev/null && break
            sleep 0.2
        done
        sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", (r % 30) / 100 }')"
    fi
    if kill -9 "$pid" 2>/dev/null; then
        kills=$((kills + 1))
        wait "$pid" 2>/dev/null
    else
        wait "$pid" 2>/dev/null
        diag "round $round: krt-restore ended before its kill (exit $?): $(head -c 300 "$tmp/kill-$round.err")"
    fi
    n=$(kcount "$KT")
    ((n > 0 && n < 6000)) && partial=$((partial + 1))
done
((kills >= 10)) && ok "krt-restore killed with SIGKILL $kills times" \
    || not_ok "krt-restore killed with SIGKILL at least 10 times" "only $kills"
check "$partial kills landed after a commit and before the end" eval "(( $partial > 0 ))"
run krt restore --backup "$KD" --topic "$K" --to "$KT" --restore-id kill-$x --execute --json
eq "the run after the kills completes" "$rc" 0
[[ $rc == 0 ]] || diag "$err"
kcat -b "$B" -C -e -q -t "$KT" -X isolation.level=read_committed -f '%p %h\n' \
    | sed -E 's/.*krt.source.offset=([0-9]+).*/\0 \1/' | awk '{ print $1, $NF }' | sort >"$tmp/kill.got"
kcat -b "$B" -C -e -q -t "$K" -f '%p %o\n' | sort >"$tmp/kill.want"
if [[ $(wc -l <"$tmp/kill.want") == 6000 ]] && cmp -s "$tmp/kill.want" "$tmp/kill.got"; then
    ok "after $kills kills and a resume: every source record exactly once in the target (read_committed, by provenance offset)"
else
    not_ok "every source record exactly once in the target" "want $(wc -l <"$tmp/kill.want"), got $(wc -l <"$tmp/kill.got") lines, $(sort "$tmp/kill.got" | uniq -d | wc -l) duplicated"
fi

# --- --max-rate: 300 records at 100/s take at least about 3 s from the first
# record produced to the last commit (unthrottled, a few hundred ms)
run krt restore --backup "$KD" --topic "$K" --to "$K-rate" --until-offset 0:300,1:0,2:0 --max-rate 100 --execute --json
eq "--max-rate restore exits 0" "$rc" 0
eq "--max-rate: 300 records restored" "$(jq -r .restored "$tmp/out")" 300
check "--max-rate 100: the copy of 300 records took at least 2 s ($(jq -r .copy_ms "$tmp/out") ms)" \
    eval "(( \$(jq -r .copy_ms '$tmp/out') >= 2000 ))"

# --- bad input: one clear line, the documented exit code, nothing written
run krt restore --backup "$tmp/no-such-dir" --topic "$G" --to "$G-x1" --execute
eq "unreadable backup directory: exit 2" "$rc" 2
contains "unreadable backup directory: says so" "$err" "no-such-dir"
check "unreadable backup directory: no topic created" eval "! topic_exists '$G-x1'"
cp -r "$D" "$tmp/bad"
seg=$(jq -r --arg t "$G" '.topics[] | select(.name == $t) | .partitions[0].segments[0].file' "$tmp/bad/manifest.json")
printf 'X' | dd of="$tmp/bad/$seg" bs=1 seek=200 conv=notrunc 2>/dev/null
# an unreachable bootstrap: the local check must come before any network call
run krt restore --backup "$tmp/bad" --topic "$G" --to "$G-x2" --execute -b 127.0.0.1:1
eq "corrupted segment: exit 2 (before any network call)" "$rc" 2
contains "corrupted segment: names the file" "$err" "is corrupted"
eq "corrupted segment: one line on stderr" "$(wc -l <<<"$err")" 1 || diag "$err"
run krt restore --backup "$tmp/bad" --topic "$G" --to "$G-x2" --execute
check "corrupted segment: no topic created" eval "! topic_exists '$G-x2'"
before=$(dump "$R" provenance | wc -l)
run krt restore --backup "$D" --topic "$G" --to "$R" --restore-id another-$x --execute
eq "another restore id into a target already restored into: exit 4 (overlap)" "$rc" 4
contains "overlap: names the other restore id" "$err" "already wrote into it"
run krt restore --backup "$D" --topic "$G" --to "$RO" --until-offset 0:5 --restore-id "$(jq -r .restore_id <<<"$(krt restore --backup "$D" --topic "$G" --to "$RO" --until-offset 0:3,2:7 --json)")" --execute
eq "the same restore id with another range: exit 2" "$rc" 2
contains "mismatched restore id: says so" "$err" "was used before"
eq "nothing was written by the refused runs" "$(dump "$R" provenance | wc -l):$(dump "$RO" provenance | wc -l)" "$before:$(awk -F'[][, ]+' '($2 == 0 && $3 < 3) || $2 == 1 || ($2 == 2 && $3 < 7)' "$tmp/src.g" | wc -l)"
rid=$(jq -r .restore_id <<<"$(krt restore --backup "$D" --topic "$G" --to "$R" --json)")
run krt restore --backup "$D" --topic "$G" --to "$G-x4" --restore-id "$rid" --execute
eq "a restore id used for another target: exit 2" "$rc" 2
contains "a restore id used for another target: names the first target" "$err" "restore into '$R'"
check "a restore id used for another target: no topic created" eval "! topic_exists '$G-x4'"
run krt restore --backup "$D" --topic "$G" --execute
eq "target equal to the source without --fill-gaps: exit 4" "$rc" 4
contains "target equal to the source: says so" "$err" "into itself"
run krt restore --backup "$D" --topic "$G" --to __consumer_offsets --execute
eq "internal target: exit 4" "$rc" 4
contains "internal target: says so" "$err" "internal topic"
run krt restore --backup "$D" --topic "$G" --to "$G-x3" --until-offset 0:x
eq "malformed --until-offset: exit 2" "$rc" 2
check "bad input created no topic" eval "! topic_exists '$G-x3'"
L=$G-lat
create_topic "$L" 3 2 --config message.timestamp.type=LogAppendTime
run krt restore --backup "$D" --topic "$G" --to "$L"
eq "dry run into a LogAppendTime topic exits 0" "$rc" 0
contains "LogAppendTime target: a warning" "$err" "LogAppendTime"
done_testing
