#!/usr/bin/env bash
# krt-rewind against the real cluster. The oracle for every spec and scope is
# kafka-consumer-groups --reset-offsets --dry-run on the same group and data;
# execute, undo, repair, export and the active-group guard are checked with
# kafka-consumer-groups --describe.
. "$(dirname "$0")/../lib.sh"
need_cluster
# undo and recreate plans krt names itself go here, not into the source tree
export KRT_UNDO_DIR="$tmp/undo-default"
mkdir -p "$KRT_UNDO_DIR"
produce="$build/tests/produce"

A=$(topic_name rwA)
Bt=$(topic_name rwB)
G="g-$A"
create_topic "$A" 3 3
create_topic "$Bt" 2 3
now=$(($(date +%s) * 1000))
hour=3600000
# 10 records per partition, one per hour: now-10h ... now-1h (explicit timestamps)
for p in 0 1 2; do for i in $(seq 0 9); do
    printf '%d\t%d\tk%d\tv%d\n' $p $((now - hour * (10 - i))) $i $i
done; done | "$produce" "$B" "$A" || bail "produce failed"
for p in 0 1; do for i in $(seq 0 5); do
    printf '%d\t%d\tk%d\tv%d\n' $p $((now - hour * (6 - i))) $i $i
done; done | "$produce" "$B" "$Bt" || bail "produce failed"
# partition 2 of A loses its first 3 records: log start 3
printf '{"partitions":[{"topic":"%s","partition":2,"offset":3}],"version":1}\n' "$A" >"$tmp/del.json"
kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$tmp/del.json" >/dev/null 2>&1 || bail "delete-records failed"

# kafka-consumer-groups with its stderr kept for the message (kcg_run, in
# lib.sh, is the variant that retries on "Error")
kcg() { kcli kafka-consumer-groups --bootstrap-server "$B" "$@" 2>"$tmp/kcg.err"; }

# seed the group: A:0=5 A:1=2 A:2=4 B:0=3 (B:1 has no commit)
printf '%s,0,5\n%s,1,2\n%s,2,4\n%s,0,3\n' "$A" "$A" "$A" "$Bt" >"$tmp/seed.csv"
# (on a loaded machine kafka-consumer-groups can time out in FIND_COORDINATOR
# and still exit 0: seed again until --describe shows the group)
for _ in 1 2 3 4 5; do
    kcg --group "$G" --reset-offsets --from-file "$tmp/seed.csv" --execute >/dev/null &&
        kcg --describe --group "$G" | grep -q -- "$A" && break
    sleep 1
done
kcg --describe --group "$G" | grep -q -- "$A" || bail "seeding failed: $(cat "$tmp/kcg.err")"

# committed offsets as kafka-consumer-groups --describe sees them: "topic partition offset"
described() { kcg_run --describe --group "$G" | awk -v a="$A" -v b="$Bt" '($2 == a || $2 == b) && $4 != "-" { print $2, $3, $4 }' | sort; }
# krt's plan, as "topic partition target"
krt_plan() { jq -r '.groups[].partitions[] | "\(.topic) \(.partition) \(.offset)"' "$tmp/out" | sort; }
# kafka's dry run, as "topic partition target"
# (Kafka 3.9 prints the dry-run rows without line breaks: read them as
# groups of four words after the NEW-OFFSET heading)
kafka_plan() { kafka_plan_of "$G" "$@"; }
kafka_plan_of() { # kafka_plan_of GROUP ARGS...
    local g=$1; shift
    kcg_run --group "$g" --reset-offsets --dry-run "$@" | tr -s ' \t\n' '\n\n\n' \
        | awk 'go { w[n++] = $0; if (n == 4) { print w[1], w[2], w[3]; n = 0 } } $0 == "NEW-OFFSET" { go = 1 }' | sort
}

before=$(described)
eq "seeded group as described" "$(echo "$before" | wc -l)" 4

diff_spec() { # diff_spec DESC -- SCOPE-AND-SPEC...
    local d=$1; shift
    run krt rewind --group "$G" "$@" --json
    if [[ $rc != 0 ]]; then not_ok "$d: krt-rewind exits 0" "rc=$rc" "$err"; return; fi
    local mine theirs
    mine=$(krt_plan)
    theirs=$(kafka_plan "$@")
    if [[ -z $theirs ]]; then not_ok "$d: kafka-consumer-groups planned something" "$(grep -h ^Error "$tmp/kcg.out" "$tmp/kcg.err")"; return; fi
    eq "$d: plan equals kafka-consumer-groups --dry-run" "$mine" "$theirs"
}

mid=$(date -u -d "@$(((now - 5 * hour - 1800000) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)   # between records 4 and 5 of A
diff_spec "to-earliest, one topic" --topic "$A" --to-earliest
diff_spec "to-latest, partitions 0,2" --topic "$A:0,2" --to-latest
diff_spec "to-current, partition without commit" --topic "$Bt" --to-current
diff_spec "to-offset in range" --topic "$A" --to-offset 4
diff_spec "to-offset clamped above and below" --topic "$A" --to-offset 99
diff_spec "to-offset below log start" --topic "$A:2" --to-offset 1
diff_spec "shift-by forward, clamped" --topic "$A" --shift-by 7
diff_spec "shift-by backward, clamped" --topic "$A" --shift-by -4
# current + N past INT64_MAX: Kafka's own tool wraps around to the log start;
# krt saturates, so the plan is Kafka's --to-latest, and says why
run krt rewind --group "$G" --topic "$A" --shift-by 9223372036854775807 --json
eq "huge shift-by: exits 0" "$rc" 0
theirs=$(kafka_plan --topic "$A" --to-latest)
eq "huge shift-by: saturates at the high watermark (kafka-consumer-groups --to-latest)" "$(krt_plan)" "$theirs"
eq "huge shift-by: every row says it saturated" \
    "$(jq -r '[.groups[0].partitions[] | (.clamped and (.note // "" | test("saturated")))] | all' "$tmp/out")" true
run krt rewind --group "$G" --topic "$A" --shift-by 9223372036854775803
contains "huge shift-by: the table says it saturated" "$out" "saturated"
diff_spec "to-datetime" --topic "$A" --to-datetime "$mid"
diff_spec "to-datetime with offset zone" --topic "$A:1" --to-datetime "$(TZ=Asia/Kolkata date -d "$mid" +%Y-%m-%dT%H:%M:%S.000+05:30)"
diff_spec "to-datetime after the last record" --topic "$A" --to-datetime "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%S.000Z)"
diff_spec "by-duration" --topic "$A" --by-duration PT3H30M
diff_spec "all-topics" --all-topics --to-earliest
diff_spec "all-topics shift" --all-topics --shift-by -1

run krt rewind --group "$G" --topic "$A" --to-datetime "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)"
contains "a time after the last record says where it lands" "$out" "no record at or after the time: high watermark"
run krt rewind --group "$G" --topic "$A:0" --to-datetime "$mid" --json
eq "the plan shows the timestamp it lands on" "$(jq -r '.groups[0].partitions[0].landed_timestamp' "$tmp/out")" \
    "$(date -u -d "@$(((now - 5 * hour) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)"
run krt rewind --group "$G" --topic "$A" --to-offset 99 --json
eq "clamped targets are marked" "$(jq -r '[.groups[0].partitions[].clamped] | all' "$tmp/out")" true

# --from-file with the CSV Kafka's own tool exports
kcg_run --group "$G" --topic "$A" --reset-offsets --shift-by -2 --dry-run --export | grep -E "^$A," >"$tmp/kafka.csv"
run krt rewind --group "$G" --from-file "$tmp/kafka.csv" --json
eq "from-file with Kafka's CSV exits 0" "$rc" 0
eq "from-file plans exactly the CSV's offsets" "$(krt_plan | tr ' ' ',')" "$(sort "$tmp/kafka.csv")"

eq "dry runs changed nothing" "$(described)" "$before"

# --- execute, then undo: exactly as before, metadata included
run krt rewind --group "$G" --topic "$A" --topic "$Bt" --to-earliest --execute --undo-file "$tmp/undo1.json" --json
eq "execute exits 0" "$rc" 0
eq "execute says it executed" "$(jq -r '.executed' "$tmp/out")" true
eq "executed offsets equal the plan (kafka-consumer-groups --describe)" "$(described)" \
    "$(printf '%s 0 0\n%s 1 0\n%s 2 3\n%s 0 0\n%s 1 0\n' "$A" "$A" "$A" "$Bt" "$Bt" | sort)"
check "undo file written" test -s "$tmp/undo1.json"
eq "undo holds the old offsets, null for no commit" \
    "$(jq -r '.groups[0].partitions[] | "\(.topic) \(.partition) \(.offset)"' "$tmp/undo1.json" | sort)" \
    "$(printf '%s\n%s 1 null' "$before" "$Bt" | sort)"
run krt rewind --group "$G" --from-file "$tmp/undo1.json" --execute --undo-file "$tmp/undo2.json"
eq "undo exits 0" "$rc" 0
eq "undo restores the committed offsets exactly" "$(described)" "$before"
run krt offsets --group "$G" --json
eq "undo removed the commit of the partition that had none" \
    "$(jq -r "[.partitions[] | select(.topic == \"$Bt\" and .partition == 1)] | length" "$tmp/out")" 0
run krt rewind --group "$G" --topic "$A:0" --to-offset 1 --execute --undo-file "$tmp/undo1.json"
eq "an existing undo file is never overwritten (exit 2)" "$rc" 2
eq "and nothing changed" "$(described)" "$before"

# metadata survives a rewind and its undo
cat >"$tmp/meta.json" <<JSON
{"krt_plan":"rewind","version":1,"groups":[{"group":"$G","partitions":[
 {"topic":"$A","partition":0,"offset":5,"metadata":"app-v1;epoch=7"}]}]}
JSON
run krt rewind --from-file "$tmp/meta.json" --execute --undo-file "$tmp/undo3.json"
eq "commit with metadata exits 0" "$rc" 0
run krt rewind --group "$G" --topic "$A:0" --to-offset 2 --execute --undo-file "$tmp/undo4.json" --json
eq "metadata is kept by a rewind" "$(jq -r '.groups[0].partitions[0].metadata' "$tmp/out")" "app-v1;epoch=7"
run krt rewind --group "$G" --from-file "$tmp/undo4.json" --execute --undo-file "$tmp/undo5.json"
run krt offsets --group "$G" --topic "$A:0" --json
eq "undo restores offset and metadata" "$(jq -r '.partitions[0] | "\(.committed_offset) \(.commit_metadata)"' "$tmp/out")" "5 app-v1;epoch=7"

# --- export, then from-file round trip
run krt rewind --group "$G" --topic "$A" --to-offset 6 --export "$tmp/plan.json"
eq "export is a dry run" "$(described)" "$before"
run krt rewind --group "$G" --from-file "$tmp/plan.json" --execute --undo-file "$tmp/undo6.json"
eq "exported plan executes" "$rc" 0
eq "exported plan's offsets are committed" "$(described | grep "^$A ")" \
    "$(printf '%s 0 6\n%s 1 6\n%s 2 6\n' "$A" "$A" "$A")"
run krt rewind --group "$G" --from-file "$tmp/undo6.json" --execute --undo-file "$tmp/undo7.json"
eq "and its undo restores" "$(described)" "$before"

# --- repair after a real out-of-range situation
R=$(topic_name rwR)
GR="g-$R"
create_topic "$R" 3 3
for p in 0 1 2; do for i in $(seq 0 9); do printf '%d\t%d\tk\tv%d\n' $p $now $i; done; done | "$produce" "$B" "$R"
# p0=50 (past the end), p1=1, p2=5. Kafka 3.9's own --from-file clamps into
# range, so the commit past the end is made with krt-rewind --from-file, which
# applies a file exactly; kafka-consumer-groups then confirms the state.
printf '%s,0,50\n%s,1,1\n%s,2,5\n' "$R" "$R" "$R" >"$tmp/r.csv"
krt rewind --group "$GR" --from-file "$tmp/r.csv" --allow-new-group --execute --undo-file "$tmp/undo-r0.json" >/dev/null 2>&1 || bail "cannot commit repair state"
eq "kafka-consumer-groups sees the commit past the end" \
    "$(kcg_run --describe --group "$GR" | awk -v t="$R" '$2 == t && $3 == 0 { print $4, $5, $6 }')" "50 10 -40"
printf '{"partitions":[{"topic":"%s","partition":1,"offset":3}],"version":1}\n' "$R" >"$tmp/del.json"
kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$tmp/del.json" >/dev/null 2>&1 || bail "delete-records failed"
run krt offsets --group "$GR" --json
eq "the broken state is real" "$(jq -r '[.partitions[].status] | join(",")' "$tmp/out")" "above-high-watermark,below-log-start,ok"
run krt rewind --group "$GR" --repair --json
eq "repair plans only the broken partitions" "$(krt_plan)" "$(printf '%s 0 10\n%s 1 3' "$R" "$R")"
eq "repair reports the partition left alone" "$(jq -r '.groups[0].untouched' "$tmp/out")" 1
run krt rewind --group "$GR" --repair=earliest --json
eq "repair=earliest sends both to the log start" "$(krt_plan)" "$(printf '%s 0 0\n%s 1 3' "$R" "$R")"
run krt rewind --group "$GR" --repair --execute --undo-file "$tmp/undo-r.json"
eq "repair executes" "$rc" 0
eq "repair moved only the broken partitions (kafka-consumer-groups --describe)" \
    "$(kcg_run --describe --group "$GR" | awk -v t="$R" '$2 == t { print $3, $4 }' | sort)" "$(printf '0 10\n1 3\n2 5')"

# --- a real running consumer: refusal, member named, nothing changed
GA="g-active-$A"
kcg_run --group "$GA" --topic "$A" --reset-offsets --to-offset 5 --execute >/dev/null || bail "cannot seed $GA"
quiet_consumer "$GA" krt-test-consumer "$A"
consumer=$!
for _ in $(seq 1 60); do
    [[ $(kcg_run --describe --group "$GA" --members | grep -c krt-test-consumer) -ge 1 ]] && break
    sleep 0.5
done
active_before=$(kcg_run --describe --group "$GA" | awk -v t="$A" '$2 == t { print $3, $4 }' | sort)
run krt rewind --group "$GA" --topic "$A" --to-earliest --execute --undo-file "$tmp/undo-a.json"
eq "active group is refused with exit 4" "$rc" 4
contains "refusal names the member's client id" "$err" "krt-test-consumer"
contains "refusal says the group is active" "$err" "group '$GA' has 1 active member(s)"
check "no undo file when refused" test ! -e "$tmp/undo-a.json"
eq "refused: nothing changed" "$(kcg_run --describe --group "$GA" | awk -v t="$A" '$2 == t { print $3, $4 }' | sort)" "$active_before"
t0=$SECONDS
run krt rewind --group "$GA" --topic "$A" --to-earliest --execute --wait-empty 2 --undo-file "$tmp/undo-a.json"
eq "--wait-empty times out with exit 4" "$rc" 4
if ((SECONDS - t0 <= 10)); then ok "--wait-empty gave up after about 2s"; else not_ok "--wait-empty gave up after about 2s" "$((SECONDS - t0))s"; fi
# the consumer leaves once krt says it waits (a fixed 3 s was too short for
# an ASan build on a loaded machine to get there: no "waiting" line)
krt rewind --group "$GA" --topic "$A" --to-earliest --execute --wait-empty 60 --undo-file "$tmp/undo-a.json" \
    >"$tmp/out" 2>"$tmp/err" &
krtpid=$!
for _ in $(seq 1 120); do grep -q 'waiting for group' "$tmp/err" && break; sleep 0.5; done
kill "$consumer"
wait "$krtpid"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err")
eq "--wait-empty applies once the consumer left" "$rc" 0
contains "--wait-empty said who it waited for" "$err" "waiting for group '$GA' to become empty"
eq "the plan was applied" "$(kcg_run --describe --group "$GA" | awk -v t="$A" '$2 == t { print $3, $4 }' | sort)" "$(printf '0 0\n1 0\n2 3')"
wait "$consumer" 2>/dev/null

# --- a skewed producer clock: timestamps out of order around the target
S=$(topic_name rwS)
create_topic "$S" 1 3
base=$((now - 20 * 60000))
for i in $(seq 0 9); do
    ts=$((base + i * 60000)); ((i == 7)) && ts=$((base + 60000))   # offset 7 claims minute 1
    printf '0\t%d\tk\tv%d\n' $ts $i
done | "$produce" "$B" "$S"
kcg_run --group "$G" --topic "$S" --reset-offsets --to-offset 0 --execute >/dev/null || bail "cannot seed"
at=$(date -u -d "@$(((base + 270000) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)   # minute 4.5
run krt rewind --group "$G" --topic "$S" --to-datetime "$at" --json
eq "skewed clock: the plan still exits with a warning (1)" "$rc" 1
eq "skewed clock: lands where Kafka's tool lands" "$(krt_plan)" "$(kafka_plan --topic "$S" --to-datetime "$at")"
contains "skewed clock: the warning names the record" "$(jq -r '.groups[0].partitions[0].warning' "$tmp/out")" "offset 7"
run krt rewind --group "$G" --topic "$S" --to-datetime "$at"
contains "skewed clock: the table warns" "$out" "warning: $S-0: timestamps out of order around offset 5"
before=$(described)

# --- bad input: one line, exit 2, nothing changed
bad() { # bad DESC NEEDLE ARGS...
    local d=$1 needle=$2; shift 2
    run krt rewind "$@"
    eq "$d: exit 2" "$rc" 2
    contains "$d: says why" "$err" "$needle"
    eq "$d: one line" "$(printf '%s\n' "$err" | grep -c 'error:')" 1
}
bad "malformed datetime" "malformed date-time '2024-13-45T00:00:00Z'" --group "$G" --topic "$A" --to-datetime 2024-13-45T00:00:00Z --execute
bad "datetime without zone" "has no zone" --group "$G" --topic "$A" --to-datetime 2024-05-01T10:00:00 --execute
bad "unknown zone" "unknown time zone 'Moon/Base'" --group "$G" --topic "$A" --to-datetime 2024-05-01T10:00:00 --timezone Moon/Base --execute
bad "malformed duration" "malformed duration 'PT2X'" --group "$G" --topic "$A" --by-duration PT2X --execute
bad "negative offset" "--to-offset needs an offset >= 0" --group "$G" --topic "$A" --to-offset -1 --execute
bad "unknown topic" "unknown topic 'nope-$$'" --group "$G" --topic "nope-$$" --to-earliest --execute
bad "unknown partition" "has no partition 7" --group "$G" --topic "$A:7" --to-earliest --execute
bad "unknown group" "unknown consumer group 'nope-$$'" --group "nope-$$" --topic "$A" --to-earliest --execute
bad "two specs" "give one spec only" --group "$G" --topic "$A" --to-earliest --to-latest --execute
bad "no spec" "give a spec" --group "$G" --topic "$A" --execute
bad "no scope" "give a scope" --group "$G" --to-earliest --execute
printf '%s,0,3\n%s,1\n' "$A" "$A" >"$tmp/bad.csv"
bad "CSV with a bad line" "bad.csv:2:" --group "$G" --from-file "$tmp/bad.csv" --execute
printf '%s,0,-3\n' "$A" >"$tmp/bad2.csv"
bad "CSV with a negative offset" "bad2.csv:1: bad offset '-3'" --group "$G" --from-file "$tmp/bad2.csv" --execute
bad "shift without commit" "has no committed offset" --group "$G" --topic "$Bt" --shift-by 1 --execute
eq "bad input changed nothing" "$(described)" "$before"
# seeding a new group needs the explicit flag
N="g-new-$A"
run krt rewind --group "$N" --topic "$A" --to-earliest --execute --allow-new-group --undo-file "$tmp/undo-n.json"
eq "a new group is seeded with --allow-new-group" "$rc" 0
eq "the new group has offsets" "$(kcg_run --describe --group "$N" | awk -v t="$A" '$2 == t { print $3, $4 }' | sort)" "$(printf '0 0\n1 0\n2 3')"

# --- --wait-empty: the plan, the undo file and the targets come from the state
# after the wait. A real consumer (kcat, auto-commit every 100 ms) is in the
# group when krt starts waiting; records produced while krt waits are consumed
# and committed by it; it leaves; krt must shift from that fresh commit.
W=$(topic_name rwW) GW="g-wait-$A"
create_topic "$W" 1 3
seq 1 20 | kcat -P -b "$B" -t "$W"
kcat -b "$B" -G "$GW" -X client.id=krt-wait-consumer -X enable.auto.commit=true -X auto.commit.interval.ms=100 \
    -X auto.offset.reset=earliest -q "$W" >/dev/null 2>&1 &
wconsumer=$!
committed_w() { # kafka-consumer-groups --describe, again when a slow machine makes it time out
    local v
    for _ in 1 2 3 4 5; do
        v=$(kcg --describe --group "$GW" | awk -v t="$W" '$2 == t { print $4 }')
        [[ -n $v ]] && break
    done
    echo "$v"
}
for _ in $(seq 1 120); do [[ $(committed_w) == 20 ]] && break; sleep 0.5; done
eq "the consumer committed the 20 records" "$(committed_w)" 20
krt rewind --group "$GW" --topic "$W" --shift-by -2 --execute --wait-empty 120 --undo-file "$tmp/undo-w.json" --json \
    >"$tmp/out-w" 2>"$tmp/err-w" &
krtpid=$!
# the records come once krt waits (it was a fixed 2 s: a slower start read
# the fresh commit and tested nothing)
for _ in $(seq 1 120); do grep -q 'waiting for group' "$tmp/err-w" && break; sleep 0.5; done
seq 21 30 | kcat -P -b "$B" -t "$W"
for _ in $(seq 1 120); do [[ $(committed_w) == 30 ]] && break; sleep 0.5; done
fresh=$(committed_w)
eq "the consumer committed 30 while krt waited" "$fresh" 30
kill "$wconsumer"; wait "$wconsumer" 2>/dev/null
wait "$krtpid"; rc=$?
eq "--wait-empty with commits during the wait exits 0" "$rc" 0
eq "the undo file holds the commit made during the wait" "$(jq -r '.groups[0].partitions[0].offset' "$tmp/undo-w.json")" "$fresh"
eq "--shift-by -2 is computed from the fresh commit (kafka-consumer-groups)" "$(committed_w)" "$((fresh - 2))"

# --- undo file names from any legal group name, always inside KRT_UNDO_DIR
mkdir -p "$tmp/undo/in"
for g in "team/app" "x/../../escaped" ".." "grüße-✓"; do
    for _ in 1 2 3 4 5; do
        kcg --group "$g" --topic "$A" --reset-offsets --to-offset 1 --execute >/dev/null 2>&1
        kcg --describe --group "$g" | grep -q -- "$A" && break
    done
    rm -f "$tmp/undo/in"/*
    KRT_UNDO_DIR="$tmp/undo/in" run krt rewind --group "$g" --topic "$A" --to-offset 2 --execute
    eq "group '$g': --execute exits 0" "$rc" 0
    f=$(find "$tmp/undo/in" -type f)
    eq "group '$g': exactly one undo file, inside KRT_UNDO_DIR" "$(printf '%s' "$f" | grep -c .)" 1
    eq "group '$g': it names the group" "$(jq -r '.groups[0].group' "$f" 2>/dev/null)" "$g"
done
eq "nothing was written outside KRT_UNDO_DIR" "$(find "$tmp" -name '*escaped*' | grep -vc "^$tmp/undo/in/")" 0

# --- the undo file's directory is fsynced after the link (strace)
kcg --group "$G" --topic "$A" --reset-offsets --to-offset 3 --execute >/dev/null 2>&1
strace -f -qq -e trace=openat,fsync,link,linkat -o "$tmp/st" \
    "$build/tools/krt-rewind" --group "$G" --topic "$A:0" --to-offset 4 --execute --undo-file "$tmp/undo/st.json" >/dev/null 2>&1
eq "strace: the undo file is linked into place, then its directory is opened and fsynced" \
    "$(awk -v d="$tmp/undo" '
        /link/ && /st\.json"/ { r = 1 }
        r && /openat/ && index($0, "\"" d "\"") && /O_DIRECTORY/ { split($0, a, "= "); fd = a[2] + 0; o = 1 }
        o && /fsync\(/ { if ($0 ~ "fsync\\(" fd "\\)") s = 1 }
        END { print (r && o && s) ? "yes" : "no" }' "$tmp/st")" yes

# --- typed plan files
printf '\0%s,0,3\n' "$A" >"$tmp/nul.csv"
bad "CSV with a NUL byte" "nul.csv: " --group "$G" --from-file "$tmp/nul.csv" --execute
contains "CSV with a NUL byte: says NUL, not 'no offsets'" "$err" "NUL"
printf '{"krt_plan":"rewind","groups":[{"group":"%s","partitions":[{"topic":"%s","partition":4294967296,"offset":1}]}]}\n' "$G" "$A" >"$tmp/big.json"
bad "JSON plan with partition 4294967296" "big.json: /groups/0/partitions/0/partition:" --from-file "$tmp/big.json" --execute
printf '{"krt_plan":"rewind","groups":[{"group":"%s","partitions":[{"topic":"%s","partition":0,"ofset":1}]}]}\n' "$G" "$A" >"$tmp/key.json"
bad "JSON plan with a misspelled key" "key.json: /groups/0/partitions/0/ofset:" --from-file "$tmp/key.json" --execute
KRT_BOOTSTRAP_SERVERS=127.0.0.1:1 run krt rewind --group "$G" --from-file "$tmp/no-such.csv" --execute --timeout 3s
eq "a mistyped --from-file path is bad input (2)" "$rc" 2
# --- --by-duration is "now - DURATION" at the instant the plan is built after
# the wait (the test hook KRT_TEST_PAUSE_FILE stands for the operator), not
# when the options were read. The expected offset is set by the data, not by
# the machine's speed: once krt says it waits (at tw, after it read its
# options), records are written at tw-2h (before krt started), tw-1h+3s and
# tw-30min, and krt is released after tw+3s. Built after the pause, now-1h is
# past the second record: offset 2. Computed at the options (at or before tw),
# now-1h is before it: offset 1. A slower machine only moves the release and
# the build later, which changes neither.
D=$(topic_name rwD)
GD="g-$D"
create_topic "$D" 1 3
printf '0\t%d\tk\tv0\n' $(($(date +%s%3N) - 7200000)) | "$produce" "$B" "$D" || bail "produce failed"
KRT_TEST_PAUSE_FILE="$tmp/dpause" krt rewind --group "$GD" --topic "$D" --by-duration PT1H --allow-new-group \
    --execute --undo-file "$tmp/undo-d.json" >"$tmp/out-d" 2>"$tmp/err-d" &
dpid=$!
for _ in $(seq 1 240); do [[ -e $tmp/dpause.waiting ]] && break; sleep 0.5; done
tw=$(date +%s%3N)
check "--by-duration: krt reached the pause" test -e "$tmp/dpause.waiting"
printf '0\t%d\tk\tv1\n0\t%d\tk\tv2\n' $((tw - 3600000 + 3000)) $((tw - 1800000)) | "$produce" "$B" "$D" || bail "produce failed"
# the oracle for each instant: the offset kcat -Q gives for it
eq "--by-duration: from the instant krt read its options, the plan would be offset 1 (kcat -Q at tw-1h)" \
    "$(kcat_offset "$D" 0 $((tw - 3600000)))" 1
while (($(date +%s%3N) <= tw + 3500)); do sleep 0.2; done
touch "$tmp/dpause"
wait "$dpid"; rc=$?
eq "--by-duration after a pause: exit 0" "$rc" 0
[[ $rc == 0 ]] || printf '#   stderr: %s\n' "$(head -c 400 "$tmp/err-d")"
for _ in 1 2 3 4 5; do # --describe again when a loaded machine makes it time out
    got_d=$(kcg_run --describe --group "$GD" | awk -v t="$D" '$2 == t { print $4 }')
    [[ -n $got_d ]] && break
done
eq "--by-duration after a pause: computed after it, offset 2 (kafka-consumer-groups --describe)" "$got_d" 2
# Kafka's own tool, asked now (later than krt's build, before tw+30min): the same target
eq "--by-duration after a pause: equals kafka-consumer-groups --by-duration PT1H --dry-run run now" \
    "$got_d" "$(kafka_plan_of "$GD" --topic "$D" --by-duration PT1H | awk '{ print $3 }')"
delete_topics "$W" "$A" "$Bt" "$R" "$S" "$D"
done_testing
