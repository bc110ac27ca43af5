#!/usr/bin/env bash
# krt-truncate against the real cluster: what remains is read back with kcat;
# kafka-delete-records on a twin topic gives the same log starts; a compacted
# topic is recreated with the configs kafka-configs reports; drift, guards
# and groups.
. "$(dirname "$0")/../lib.sh"
need_cluster
# KRT_TEST_FAIL_CREATE and KRT_TEST_PAUSE_FILE are compiled only with -Dtest_hooks=true
grep -qa KRT_TEST_PAUSE_FILE "$build"/libcore/libkrt.so* 2>/dev/null \
    || bail "the test hooks are not compiled in: configure $build with -Dtest_hooks=true (scripts/test does)"
# undo and recreate plans krt names itself go here, not into the source tree
export KRT_UNDO_DIR="$tmp/undo-default"
mkdir -p "$KRT_UNDO_DIR"
produce="$build/tests/produce"
x=$$-$RANDOM
T=krt-test-tr-$x TW=krt-test-trtwin-$x
create_topic "$T" 3 3
create_topic "$TW" 3 3
base=$(($(date +%s) * 1000 - 3600000))
for t in "$T" "$TW"; do
    for p in 0 1 2; do for i in $(seq 0 9); do printf '%d\t%d\tk%d\tv%d\n' $p $((base + i * 60000)) $i $i; done; done \
        | "$produce" "$B" "$t" || bail "produce failed"
done
# seed_group GROUP TOPIC RESET-SPEC...: commit offsets with kafka-consumer-groups;
# on a loaded machine its FIND_COORDINATOR call can time out while it still
# exits 0, so try again until --describe shows the group's commit.
seed_group() {
    local g=$1 t=$2; shift 2
    for _ in 1 2 3 4 5; do
        kcli kafka-consumer-groups --bootstrap-server "$B" --group "$g" --topic "$t" --reset-offsets "$@" --execute >/dev/null 2>&1
        kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$g" 2>/dev/null | grep -q -- "$t" && return 0
    done
    bail "cannot seed group $g"
}
remaining() { kcat -b "$B" -C -t "$1" -p "$2" -o beginning -e -q -f '%o:%k:%s\n' 2>/dev/null | paste -sd' ' -; }
kdr() { # kafka-delete-records on the twin: kdr PARTITION OFFSET
    printf '{"partitions":[{"topic":"%s","partition":%d,"offset":%d}],"version":1}\n' "$TW" "$1" "$2" >"$tmp/del.json"
    kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$tmp/del.json" >/dev/null 2>&1 || bail "kafka-delete-records failed"
}

run krt truncate --topic "$T" --json
eq "dry run exits 0" "$rc" 0
eq "dry run plans 30 records" "$(jq -r '.records_removed' "$tmp/out")" 30
eq "dry run changed nothing" "$(kcat_offset "$T" 0 -2) $(kcat_offset "$T" 1 -2) $(kcat_offset "$T" 2 -2)" "0 0 0"
run krt truncate --topic "$T"
contains "dry run says so" "$out" "Dry run: nothing changed"

# before an offset
run krt truncate --topic "$T:0" --before-offset 4 --execute --json
eq "--before-offset exits 0" "$rc" 0
eq "--before-offset: log start after" "$(jq -r '.topics[0].partitions[0].log_start_after' "$tmp/out")" 4
eq "--before-offset: kcat reads exactly offsets 4..9" "$(remaining "$T" 0)" "4:k4:v4 5:k5:v5 6:k6:v6 7:k7:v7 8:k8:v8 9:k9:v9"
kdr 0 4
eq "--before-offset: kafka-delete-records on the twin gives the same log start" "$(kcat_offset "$T" 0 -2)" "$(kcat_offset "$TW" 0 -2)"
# before a time: records at minutes 0..6 go (7 records), 7..9 stay
at=$(date -u -d "@$(((base + 390000) / 1000))" +%Y-%m-%dT%H:%M:%S.%3NZ)
run krt truncate --topic "$T:1" --before-datetime "$at" --execute --json
eq "--before-datetime exits 0" "$rc" 0
eq "--before-datetime: kcat reads exactly offsets 7..9" "$(remaining "$T" 1)" "7:k7:v7 8:k8:v8 9:k9:v9"
kdr 1 7
eq "--before-datetime: same log start as kafka-delete-records" "$(kcat_offset "$T" 1 -2)" "$(kcat_offset "$TW" 1 -2)"
# everything
run krt truncate --topic "$T:2" --execute --json
eq "all: exits 0" "$rc" 0
eq "all: 10 records removed" "$(jq -r '.records_removed' "$tmp/out")" 10
eq "all: kcat reads nothing" "$(remaining "$T" 2)" ""
kdr 2 -1
eq "all: same log start as kafka-delete-records (-1)" "$(kcat_offset "$T" 2 -2)" "$(kcat_offset "$TW" 2 -2)"
eq "untouched partitions stay: partition 0" "$(kcat_offset "$T" 0 -2)" 4
run krt truncate --topic "$T:0" --before-offset 99 --json
eq "an offset past the end is clamped to the high watermark" "$(jq -r '.topics[0].partitions[0] | "\(.new_log_start_offset) \(.clamped)"' "$tmp/out")" "10 true"
run krt truncate --topic "$T:0" --before-offset 2 --json
eq "an offset below the log start removes nothing" "$(jq -r '.records_removed' "$tmp/out")" 0

# --- a compacted topic with non-default configs
C=krt-test-compact-$x
create_topic "$C" 2 2 --config cleanup.policy=compact --config min.cleanable.dirty.ratio=0.3 \
    --config segment.ms=600000 --config max.message.bytes=200000 --config min.insync.replicas=2
for i in $(seq 1 6); do echo "k$i:v$i"; done | kcat -P -b "$B" -t "$C" -K:
# kafka-configs prints "  key=value sensitive=... synonyms={...}" per topic config
cfgs() { kcli kafka-configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$C" 2>/dev/null \
    | awk '/^  [a-z.]+=/ { print $1 }' | sort; }
before_cfg=$(cfgs)
eq "kafka-configs lists the 5 topic configs" "$(echo "$before_cfg" | wc -l)" 5
hw_before=$(($(kcat_offset "$C" 0 -1) + $(kcat_offset "$C" 1 -1)))
run krt truncate --topic "$C" --execute
eq "compacted without --recreate: refused (4)" "$rc" 4
contains "compacted: the refusal names --recreate" "$err" "add --recreate"
eq "compacted: untouched" "$(($(kcat_offset "$C" 0 -1) + $(kcat_offset "$C" 1 -1)))" "$hw_before"
run krt truncate --topic "$C:0" --recreate
eq "--recreate on some partitions is a usage error" "$rc" 2
run krt truncate --topic "$C" --recreate --execute --json
eq "--recreate exits 0" "$rc" 0
eq "--recreate: kafka-configs shows the same configs" "$(cfgs)" "$before_cfg"
contains "--recreate: those include the compaction policy" "$before_cfg" "cleanup.policy=compact"
eq "--recreate: same partition count and RF (kafka-topics)" \
    "$(kcli kafka-topics --bootstrap-server "$B" --describe --topic "$C" 2>/dev/null | awk '/PartitionCount/ { print $6, $8 }')" "2 2"
eq "--recreate: the topic is empty" "$(kcat_offset "$C" 0 -1) $(kcat_offset "$C" 1 -1)" "0 0"
run krt truncate --topic "$C" --recreate
contains "--recreate plan lists the configs" "$out" "min.cleanable.dirty.ratio=0.3"

# --- reviewed plan = executed plan, and drift
D=krt-test-drift-$x
create_topic "$D" 3 3
seq 1 30 | kcat -P -b "$B" -t "$D"
run krt truncate --topic "$D" --plan-out "$tmp/plan.json"
check "plan written" test -s "$tmp/plan.json"
planned=$(jq -r '[.topics[0].partitions[].new_log_start_offset] | join(",")' "$tmp/plan.json")
seq 31 36 | kcat -P -b "$B" -t "$D" -p 0   # written after the plan: kept
run krt truncate --plan "$tmp/plan.json" --execute --json
eq "--plan executes" "$rc" 0
eq "--plan: exactly the planned log starts" "$(kcat_offset "$D" 0 -2),$(kcat_offset "$D" 1 -2),$(kcat_offset "$D" 2 -2)" "$planned"
eq "--plan: records written since are kept" "$(remaining "$D" 0 | wc -w)" 6
contains "--plan: and reported" "$(jq -r '.notes | join(" ")' "$tmp/out")" "written since the plan are kept"
E=krt-test-drift2-$x
create_topic "$E" 3 3
seq 1 30 | kcat -P -b "$B" -t "$E"
run krt truncate --topic "$E" --plan-out "$tmp/plan2.json"
recreate_topic "$E" 2 3
seq 1 8 | kcat -P -b "$B" -t "$E"
hw_e="$(kcat_offset "$E" 0 -1) $(kcat_offset "$E" 1 -1)"
run krt truncate --plan "$tmp/plan2.json" --execute
eq "drift: refused (4)" "$rc" 4
contains "drift: says what drifted" "$err" "has 2 partitions, the plan was made for 3"
eq "drift: nothing changed" "$(kcat_offset "$E" 0 -2) $(kcat_offset "$E" 1 -2) / $(kcat_offset "$E" 0 -1) $(kcat_offset "$E" 1 -1)" "0 0 / $hw_e"
# deleted, recreated and refilled past the planned log start since the plan
# (review, finding 4): the high watermark alone does not show it, the log start does
F=krt-test-drift3-$x
create_topic "$F" 1 3
seq 1 10 | kcat -P -b "$B" -t "$F" -p 0
run krt truncate --topic "$F" --before-offset 4 --execute --yes
eq "drift3: log start moved to 4" "$(kcat_offset "$F" 0 -2)" 4
run krt truncate --topic "$F" --before-offset 6 --plan-out "$tmp/plan3.json"
recreate_topic "$F" 1 3
seq 1 10 | kcat -P -b "$B" -t "$F" -p 0
eq "drift3: recreated and refilled (kcat -Q)" "$(kcat_offset "$F" 0 -2) $(kcat_offset "$F" 0 -1)" "0 10"
run krt truncate --plan "$tmp/plan3.json" --execute --yes
eq "drift3: a log start below the plan's: refused (4)" "$rc" 4
contains "drift3: says what drifted" "$err" "starts at 0, below the plan's log start 4"
eq "drift3: nothing deleted (kcat -Q)" "$(kcat_offset "$F" 0 -2) $(kcat_offset "$F" 0 -1)" "0 10"

# --- guards
run krt truncate --topic __consumer_offsets --execute
eq "internal topic refused (4)" "$rc" 4
contains "internal topic named" "$err" "refusing to truncate internal topic '__consumer_offsets'"
P=prod-orders-$x
create_topic "$P" 1 3
echo x | kcat -P -b "$B" -t "$P"
printf '# protected\nprod-*\nledger\n' >"$tmp/protect"
run krt truncate --topic "$P" --protect "$tmp/protect" --execute
eq "protected by prefix* refused (4)" "$rc" 4
contains "the pattern is named" "$err" "protected by 'prod-*'"
KRT_PROTECT_FILE="$tmp/protect" run krt truncate --topic "$P" --execute
eq "KRT_PROTECT_FILE is the default protect list" "$rc" 4
eq "protected topic untouched" "$(kcat_offset "$P" 0 -2)" 0
run krt truncate --topic "$P" --protect "$tmp/nope" --execute
eq "a missing protect file is an error (2), not an empty list" "$rc" 2

# --- groups follow, and an active group is refused before any record goes
R=krt-test-trg-$x G=g-tr-$x GA=g-tr-active-$x
create_topic "$R" 2 3
seq 1 20 | kcat -P -b "$B" -t "$R"
seed_group "$G" "$R" --to-earliest
seed_group "$GA" "$R" --to-earliest
quiet_consumer "$GA" krt-truncate-consumer "$R"
consumer=$!
for _ in $(seq 1 60); do
    [[ $(kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$GA" --members 2>/dev/null | grep -c krt-truncate-consumer) -ge 1 ]] && break
    sleep 0.5
done
hw_r="$(kcat_offset "$R" 0 -1) $(kcat_offset "$R" 1 -1)"
run krt truncate --topic "$R" --reset-group "$GA" --execute --undo-file "$tmp/undo-a.json"
eq "--reset-group with a running consumer: refused (4)" "$rc" 4
contains "the member is named" "$err" "krt-truncate-consumer"
eq "refused before any record was deleted" "$(kcat_offset "$R" 0 -2) $(kcat_offset "$R" 1 -2)" "0 0"
kill "$consumer"; wait "$consumer" 2>/dev/null
run krt truncate --topic "$R" --reset-group "$G" --execute --undo-file "$tmp/undo-g.json" --json
eq "--reset-group exits 0" "$rc" 0
eq "the group follows to the new log start (kafka-consumer-groups)" \
    "$(kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$G" 2>/dev/null | awk -v t="$R" '$2 == t { print $4 }' | sort | paste -sd' ' -)" \
    "$(echo "$hw_r" | tr ' ' '\n' | sort | paste -sd' ' -)"
eq "the undo file holds the offsets from before" "$(jq -r '[.groups[0].partitions[].offset] | join(",")' "$tmp/undo-g.json")" "0,0"

# --- bad input
run krt truncate --topic "nope-$x" --execute
eq "unknown topic exits 2" "$rc" 2
contains "unknown topic named" "$err" "unknown topic 'nope-$x'"
run krt truncate --topic "$T" --before-datetime yesterday --execute
eq "malformed time exits 2" "$rc" 2
run krt truncate --topic "$T" --before-offset -1 --execute
eq "negative offset exits 2" "$rc" 2
run krt truncate --topic "$T" --before-offset 1 --before-datetime 2024-01-01T00:00:00Z
eq "two modes exit 2" "$rc" 2
run krt truncate --execute
eq "no topic exits 2" "$rc" 2
run krt truncate --plan "$tmp/nope.json" --execute
eq "a missing plan exits 2" "$rc" 2

# --- a recreate that fails after its delete: the plan with every config is on
# disk (file and directory synced) before the delete, the failure names it and
# the one command that finishes the job, and every partition's outcome is
# printed. The create is made to fail with the test hook KRT_TEST_FAIL_CREATE=TOPIC:
# krt sends the DeleteTopics for real, then reports the CreateTopics of that
# topic as failed without sending it (as a broker refusal or a Ctrl-C there would).
C2=krt-test-rc2-$x C3=krt-test-rc3-$x
create_topic "$C2" 2 2 --config cleanup.policy=compact --config min.cleanable.dirty.ratio=0.2
create_topic "$C3" 1 3 --config cleanup.policy=compact --config max.message.bytes=300000 --config segment.ms=700000
for t in "$C2" "$C3"; do printf 'k1:v1\nk2:v2\n' | kcat -P -b "$B" -t "$t" -K:; done
cfgs_of() { kcli kafka-configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$1" 2>/dev/null \
    | awk '/^  [a-z.]+=/ { print $1 }' | sort; }
c2_cfg=$(cfgs_of "$C2") c3_cfg=$(cfgs_of "$C3")
mkdir -p "$tmp/plans"
KRT_UNDO_DIR="$tmp/plans" KRT_TEST_FAIL_CREATE="$C3" run krt truncate --topic "$C2" --topic "$C3" --recreate --execute --yes
eq "a recreate failing part-way exits 5 (partial)" "$rc" 5
rplan=$(grep -l "\"$C3\"" "$tmp/plans"/*.json 2>/dev/null | head -1)
check "the plan of the failed topic is on disk" test -s "$rplan"
contains "the error names the plan file" "$err" "'$rplan'"
contains "the error names the one command that finishes the job" "$err" "krt-truncate --plan '$rplan' --execute"
eq "the plan holds every config kafka-configs listed" \
    "$(jq -r --arg t "$C3" '.topics[] | select(.topic == $t) | .configs | to_entries[] | "\(.key)=\(.value)"' "$rplan" | sort)" "$c3_cfg"
eq "the failed topic is really gone (kafka-topics)" "$(kcli kafka-topics --bootstrap-server "$B" --list 2>/dev/null | grep -cx "$C3")" 0
eq "the other topic was recreated with its configs" "$(cfgs_of "$C2")" "$c2_cfg"
contains "the report prints the recreated topic's partitions" "$out" "$C2"
contains "the report prints the failed topic's partition" "$out" "$C3"
run krt truncate --plan "$rplan" --execute --yes
eq "the named command finishes the job (exit 0)" "$rc" 0
eq "the topic is back with every config (kafka-configs)" "$(cfgs_of "$C3")" "$c3_cfg"
eq "the topic is back with its partitions and RF (kafka-topics)" \
    "$(kcli kafka-topics --bootstrap-server "$B" --describe --topic "$C3" 2>/dev/null | awk '/PartitionCount/ { print $6, $8 }')" "1 3"
# with --json, a failure after the start prints the result document, every
# partition's outcome included, with an "error" member (review, finding 6)
C4=krt-test-rc4-$x
create_topic "$C4" 1 3 --config cleanup.policy=compact
printf 'k1:v1\n' | kcat -P -b "$B" -t "$C4" -K:
mkdir -p "$tmp/plans4"
KRT_UNDO_DIR="$tmp/plans4" KRT_TEST_FAIL_CREATE="$C4" run krt truncate --topic "$C4" --recreate --execute --yes --json
eq "--json, a failed recreate: exit 5" "$rc" 5
eq "--json, a failed recreate: the error member" "$(jq -r '.error.code + " " + (.error.exit_code | tostring)' "$tmp/out")" "partial 5"
eq "--json, a failed recreate: every partition's outcome" "$(jq -r '[.topics[] | .topic + ":" + (.partitions | length | tostring)] | join(",")' "$tmp/out")" "$C4:1"
check "--json, a failed recreate: the partition's error" jq -e '.topics[0].partitions[0].error != null' "$tmp/out"
run krt truncate --plan "$(ls "$tmp/plans4"/*.json | head -1)" --execute --yes
eq "--json, a failed recreate: finished with the named command" "$rc" 0

# --- the group reset after the confirmation is computed from fresh state:
# a commit made between the plan and the delete is what the undo file holds.
# The test hook KRT_TEST_PAUSE_FILE=F makes krt, right after the prompt (where
# an operator types the topic name), create F.waiting and wait until F exists;
# kafka-consumer-groups commits during that pause.
R2=krt-test-trg2-$x G2=g-tr2-$x
create_topic "$R2" 1 3
seq 1 20 | kcat -P -b "$B" -t "$R2"
seed_group "$G2" "$R2" --to-offset 5
committed_g2() { # kafka-consumer-groups --describe, again when a slow machine makes it time out
    local v
    for _ in 1 2 3 4 5; do
        v=$(kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$G2" 2>/dev/null | awk -v t="$R2" '$2 == t { print $4 }')
        [[ -n $v ]] && break
    done
    echo "$v"
}
KRT_TEST_PAUSE_FILE="$tmp/pause" krt truncate --topic "$R2" --before-offset 10 --reset-group "$G2" --execute --yes \
    --undo-file "$tmp/undo-g2.json" --json >"$tmp/out-g2" 2>"$tmp/err-g2" &
trpid=$!
for _ in $(seq 1 120); do [[ -e $tmp/pause.waiting ]] && break; sleep 0.5; done
for _ in 1 2 3 4 5; do
    kcli kafka-consumer-groups --bootstrap-server "$B" --group "$G2" --topic "$R2" --reset-offsets --to-offset 15 --execute >/dev/null 2>&1
    [[ $(committed_g2) == 15 ]] && break
done
touch "$tmp/pause"
wait "$trpid"; rc=$?
eq "truncate with a commit during the pause exits 0" "$rc" 0
eq "the undo file holds the commit made during the pause" "$(jq -r '.groups[0].partitions[0].offset' "$tmp/undo-g2.json")" 15
eq "the group keeps its fresh position past the new log start (kafka-consumer-groups)" "$(committed_g2)" 15

# --- plan files are typed: nothing is guessed, nothing reaches the cluster
V=krt-test-trv-$x
create_topic "$V" 1 3
seq 1 10 | kcat -P -b "$B" -t "$V"
run krt truncate --topic "$V" --before-offset 3 --plan-out "$tmp/v.json"
badplan() { # badplan DESC JQ-FILTER NEEDLE
    jq "$2" "$tmp/v.json" >"$tmp/vbad.json"
    run krt truncate --plan "$tmp/vbad.json" --execute --yes
    eq "$1: exit 2" "$rc" 2
    contains "$1: names the file and the JSON path" "$err" "$3"
}
badplan "an unknown mode" '.mode = "everything"' "vbad.json: /mode:"
badplan "a string partition" '.topics[0].partitions[0].partition = "0"' "vbad.json: /topics/0/partitions/0/partition:"
badplan "a partition above INT32_MAX" '.topics[0].partitions[0].partition = 4294967296' "vbad.json: /topics/0/partitions/0/partition:"
badplan "a negative log start" '.topics[0].partitions[0].new_log_start_offset = -1' "vbad.json: /topics/0/partitions/0/new_log_start_offset:"
badplan "an unknown key" '.topics[0].partitons = []' "vbad.json: /topics/0/partitons:"
badplan "an unknown method" '.topics[0].method = "drop"' "vbad.json: /topics/0/method:"
eq "no bad plan deleted a record (kcat -Q)" "$(kcat_offset "$V" 0 -2)" 0
# a plan that lists a topic twice: librdkafka would refuse the whole
# DeleteRecords ("Duplicate partitions not allowed"); finding 1 made that exit
# 2 with "Removed 0 records" (it was 5 and "Removed 6 records"); since finding 5
# the reader refuses the file, before any network call
jq '.topics += .topics' "$tmp/v.json" >"$tmp/vtwice.json"
run krt truncate --plan "$tmp/vtwice.json" --execute --yes
eq "a plan listing a topic twice: exit 2" "$rc" 2
contains "a plan listing a topic twice: names the file and the JSON path" "$err" "vtwice.json: /topics/1/topic: topic '$V' is listed twice"
lacks "a plan listing a topic twice: no record reported removed" "$out" "Removed"
eq "a plan listing a topic twice: nothing deleted (kcat -Q)" "$(kcat_offset "$V" 0 -2)" 0
printf '\0' >>"$tmp/v.json"
run krt truncate --plan "$tmp/v.json" --execute --yes
eq "a plan with a NUL byte: exit 2" "$rc" 2
contains "a plan with a NUL byte: says so" "$err" "NUL"
KRT_BOOTSTRAP_SERVERS=127.0.0.1:1 run krt truncate --plan "$tmp/no-such-plan.json" --execute --timeout 3s
eq "a mistyped --plan path is bad input (2), not an unreachable cluster" "$rc" 2
contains "a mistyped --plan path names the file" "$err" "no-such-plan.json"

# --- the plan file is synced with its directory after the rename (strace)
strace -f -qq -e trace=openat,fsync,rename,renameat,renameat2 -o "$tmp/st" \
    "$build/tools/krt-truncate" --topic "$V" --plan-out "$tmp/plans/st.json" >/dev/null 2>&1
eq "strace: the plan is renamed into place, then its directory is opened and fsynced" \
    "$(awk -v d="$tmp/plans" '
        /rename/ && /st\.json/ { r = 1 }
        r && /openat/ && index($0, "\"" d "\"") && /O_DIRECTORY/ { split($0, a, "= "); fd = a[2] + 0; o = 1 }
        o && /fsync\(/ { if ($0 ~ "fsync\\(" fd "\\)") s = 1 }
        END { print (r && o && s) ? "yes" : "no" }' "$tmp/st")" yes

delete_topics "$T" "$TW" "$C" "$D" "$E" "$F" "$P" "$R" "$C2" "$C3" "$C4" "$R2" "$V"
# --- a time before the epoch (issue 10, defect 8): Kafka reads -1 as "latest",
# so this once planned to delete every record. Bad input, refused before any
# network call, nothing deleted.
PE=$(topic_name pre-epoch)
create_topic "$PE" 1 1
seq 1 5 | kcat -P -b "$B" -t "$PE"
run krt truncate --topic "$PE" --before-datetime 1969-12-31T23:59:59.999Z --execute --yes
eq "a time before the epoch exits 2" "$rc" 2
contains "the error says why" "$err" "before 1970-01-01T00:00:00Z"
eq "nothing deleted (kcat: log start 0, high watermark 5)" \
    "$(kcat_offset "$PE" 0 -2) $(kcat_offset "$PE" 0 -1)" "0 5"
run krt truncate -b 127.0.0.1:1 --timeout 1s --topic "$PE" --before-datetime 1969-12-31T23:59:59.999Z --execute
eq "refused before any network call (unreachable broker, still 2)" "$rc" 2
delete_topics "$PE"

# --- --plan with a recreate: the topic found must be the plan's (librdkafka
# 2.0.2 has no topic ids: its offsets say it). Deleted and recreated since the
# plan, and written to: refused, its records kept.
PI=krt-test-trpi-$x
create_topic "$PI" 1 3
seq 1 10 | kcat -P -b "$B" -t "$PI" -p 0
run krt truncate --topic "$PI" --recreate --plan-out "$tmp/plan-pi.json"
recreate_topic "$PI" 1 3 # returns once every broker knows the new topic's leader
seq 1 3 | kcat -P -b "$B" -t "$PI" -p 0
run krt truncate --plan "$tmp/plan-pi.json" --execute --yes
eq "--plan, a topic made since the plan: refused (4)" "$rc" 4
contains "--plan, a topic made since the plan: says so" "$err" "is not the topic of the plan"
eq "--plan, a topic made since the plan: its records are kept (kcat)" "$(kcat_offset "$PI" 0 -2) $(kcat_offset "$PI" 0 -1)" "0 3"
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$PI" >/dev/null 2>&1

# --- a recreate whose create went through but whose leaders are pending is
# not reported as "not recreated" (whose advice, to run the plan again, would
# delete the new topic). A real broker elects leaders at once: the test hook
# KRT_TEST_LEADERS_PENDING=TOPIC hides them from krt's wait.
LP=krt-test-trlp-$x
create_topic "$LP" 1 3 --config retention.ms=123456789
seq 1 5 | kcat -P -b "$B" -t "$LP" -p 0
KRT_TEST_LEADERS_PENDING="$LP" run krt truncate --topic "$LP" --recreate --execute --yes
eq "leaders pending after the create: partial (5)" "$rc" 5
contains "leaders pending: says the topic was recreated" "$err" "'$LP' was recreated"
contains "leaders pending: says what is pending" "$err" "leaders are still pending"
lacks "leaders pending: not 'not recreated'" "$err" "not recreated"
contains "leaders pending: the topic exists with its config (kafka-configs)" \
    "$(kcli kafka-configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$LP" 2>/dev/null)" "retention.ms=123456789"
eq "leaders pending: the topic is empty (kcat)" "$(kcat_offset "$LP" 0 -1)" 0
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$LP" >/dev/null 2>&1

done_testing
