#!/usr/bin/env bash
# krt-resend against the real cluster. The target is read back with kcat
# (read_committed) and compared record by record with the source as kcat
# reads it: partition, order, key, value, headers, timestamp, each selected
# record exactly once; through SIGKILLs, a broker kill -9 and a second
# process of the same request killed mid-way.
. "$(dirname "$0")/../lib.sh"
need_cluster
restore() { for id in 1 2 3; do "$cluster" restart "$id" >/dev/null 2>&1; done; }
trap 'restore; jobs -p | xargs -r kill -9 2>/dev/null; rm -rf "$tmp"' EXIT
produce="$build/tests/produce"
x=$$-$RANDOM
S=krt-test-rs-$x
create_topic "$S" 3 3
base=$(($(date +%s) * 1000 - 3600000))
for p in 0 1 2; do for i in $(seq 0 199); do
    printf '%d\t%d\tk%d\tv-%d-%d\ttype=%s;n=%d\n' $p $((base + i * 1000)) $((i % 10)) $p $i $([[ $((i % 2)) == 0 ]] && echo A || echo B) $i
done; done | "$produce" "$B" "$S" || bail "produce failed"

# source records as "p|o|key|value|ts|headers", and the target as the same
# with the offset taken from krt.source.offset and the krt.* headers removed
src_dump() { kcat -b "$B" -C -t "$S" -e -q -f '%p|%o|%k|%s|%T|%h\n' 2>/dev/null | sort -t'|' -k1,1n -k2,2n; }
tgt_dump() { # tgt_dump TOPIC: in the order kcat reads each partition
    kcat -b "$B" -C -t "$1" -e -q -X isolation.level=read_committed -f '%p|%k|%s|%T|%h\n' 2>/dev/null | awk -F'|' '{
        n = split($5, h, ","); keep = ""; off = ""; id = ""
        for (i = 1; i <= n; i++) {
            if (h[i] ~ /^krt\.source\.offset=/) { off = substr(h[i], 19) }
            else if (h[i] ~ /^krt\.resend\.id=/) { id = substr(h[i], 15) }
            else if (h[i] !~ /^krt\./) { keep = keep (keep == "" ? "" : ",") h[i] }
        }
        print $1 "|" off "|" $2 "|" $3 "|" $4 "|" keep "|" id
    }'
}
src_dump >"$tmp/src"
eq "the source holds 600 records" "$(wc -l <"$tmp/src")" 600
# exactly_once DESC TOPIC EXPECTED-FILE ID: every expected record once, in order, same content
exactly_once() {
    local d=$1 t=$2 want=$3 id=$4 t0=$SECONDS
    tgt_dump "$t" >"$tmp/tgt"
    # The commit markers reach the partitions after the commit returned: a
    # read_committed read right after it may stop short on a loaded machine.
    # Wait (at most 30 s) until it sees as many records as expected.
    while (($(wc -l <"$tmp/tgt") < $(wc -l <"$want") && SECONDS - t0 < 30)); do
        sleep 1
        tgt_dump "$t" >"$tmp/tgt"
    done
    awk -F'|' -v id="$id" '$7 != id { bad = 1 } END { exit bad }' "$tmp/tgt" \
        && ok "$d: every record carries krt.resend.id=$id" || not_ok "$d: every record carries krt.resend.id=$id"
    # order: offsets strictly increasing within each partition (no duplicate, no reordering)
    awk -F'|' '{ if (($1 in last) && $2 + 0 <= last[$1] + 0) { bad = 1 } last[$1] = $2 } END { exit bad }' "$tmp/tgt" \
        && ok "$d: per partition in source order, no duplicate" || not_ok "$d: per partition in source order, no duplicate" "$(head -3 "$tmp/tgt")"
    cut -d'|' -f1-6 "$tmp/tgt" | sort -t'|' -k1,1n -k2,2n >"$tmp/tgt.sorted"
    if cmp -s "$tmp/tgt.sorted" "$want"; then
        ok "$d: the target equals the selected source records ($(wc -l <"$want"))"
    else
        not_ok "$d: the target equals the selected source records" "want $(wc -l <"$want") records, got $(wc -l <"$tmp/tgt.sorted")" \
            "$(diff "$want" "$tmp/tgt.sorted" | head -5)"
    fi
}
no_topic() { ! kcat -b "$B" -L -t "$1" 2>/dev/null | grep -q "topic \"$1\" with [1-9]"; }

# --- validate writes nothing
run krt resend --id v-$x --team billing --topic "$S" --json
eq "validate exits 0" "$rc" 0
eq "validate estimates the records" "$(jq -r '.records_to_read' "$tmp/out")" 600
check "validate created no target topic" no_topic "$S.resend.billing"

# --- a range by datetime: [minute 0:50, minute 2:30) of every partition
from=$(date -u -d "@$(((base + 50000) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)
to=$(date -u -d "@$(((base + 150000) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)
run krt resend --id dt-$x --team billing --topic "$S" --from "$from" --to "$to" --execute --json
eq "datetime range exits 0" "$rc" 0
awk -F'|' '$2 >= 50 && $2 < 150' "$tmp/src" | cut -d'|' -f1-6 >"$tmp/want"
exactly_once "datetime range" "$S.resend.billing" "$tmp/want" "dt-$x"
eq "the report counts the copies" "$(jq -r '.copied' "$tmp/out")" 300
eq "the report gives first and last source offsets" "$(jq -r '.partitions[0] | "\(.first_copied_offset) \(.last_copied_offset)"' "$tmp/out")" "50 149"
eq "the target has the source's partition count" "$(kcat -b "$B" -L -t "$S.resend.billing" | grep -c 'partition [0-9]*, leader')" 3
run krt resend --id dt-$x --team billing --topic "$S" --from "$from" --to "$to" --execute
eq "a finished request exits 0" "$rc" 0
contains "a finished request does nothing and says so" "$out" "This request is finished: nothing to do."
exactly_once "after the re-run" "$S.resend.billing" "$tmp/want" "dt-$x"

# --- offsets, a key filter and a header filter; the team's group is reported
kcg_run --group "team-$x" --topic "$S" --reset-offsets --to-offset 42 --execute >/dev/null || bail "cannot seed team-$x"
printf 'k3\nk7\n' >"$tmp/keys"
cat >"$tmp/req.json" <<JSON
{"id": "flt-$x", "team": "search", "source": "$S", "target": "$S.flt",
 "partitions": [0, 2], "from": {"0": 10, "2": 100}, "to": {"0": 60},
 "keys_file": "$tmp/keys", "header": "type=B", "consumer_group": "team-$x"}
JSON
run krt resend --request "$tmp/req.json" --execute --json
eq "filtered request exits 0" "$rc" 0
awk -F'|' '($1 == 0 && $2 >= 10 && $2 < 60) || ($1 == 2 && $2 >= 100)' "$tmp/src" \
    | awk -F'|' '($3 == "k3" || $3 == "k7") && $6 ~ /(^|,)type=B(,|$)/' | cut -d'|' -f1-6 >"$tmp/want"
exactly_once "offsets + key + header filter" "$S.flt" "$tmp/want" "flt-$x"
eq "filtered-out records are counted" "$(jq -r '.copied + .filtered_out' "$tmp/out")" 150
eq "the team's committed offsets at the start are reported" "$(jq -r '[.partitions[].consumer_group_committed] | join(",")' "$tmp/out")" "42,42"

# --- exactly once across 10 SIGKILLs at random moments, then to the end
K=krt-test-rsk-$x
create_topic "$K" 3 3
for p in 0 1 2; do for i in $(seq 0 3999); do printf '%d\t%d\tk%d\tv%d\n' $p $((base + i)) $i $i; done; done | "$produce" "$B" "$K"
kcat -b "$B" -C -t "$K" -e -q -f '%p|%o|%k|%s|%T|%h\n' 2>/dev/null | sort -t'|' -k1,1n -k2,2n | cut -d'|' -f1-6 >"$tmp/want-k"
for i in $(seq 1 10); do
    "$build/tools/krt-resend" --id kill-$x --team k --topic "$K" --max-rate 3000 --execute -q >/dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.8 + (r % 250) / 100 }')"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
done
run krt resend --id kill-$x --team k --topic "$K" --execute --json
eq "the resumed run finishes" "$rc" 0
eq "the resumed run says it resumed" "$(jq -r '.resumed' "$tmp/out")" true
exactly_once "10 SIGKILLs" "$K.resend.k" "$tmp/want-k" "kill-$x"

# --- a broker kill -9 mid-copy (RF 3, acks=all)
"$build/tools/krt-resend" --id brk-$x --team b --topic "$K" --max-rate 4000 --execute -q >"$tmp/brk.out" 2>"$tmp/brk.err" &
pid=$!
sleep 2
if kill -0 "$pid" 2>/dev/null; then ok "the copy was still running when broker 3 was killed"
else not_ok "the copy was still running when broker 3 was killed" "$(cat "$tmp/brk.err")"; fi
"$cluster" kill 3
wait "$pid"; brc=$?
# Through a broker loss the copy either completes (0) or stops with the
# documented Kafka error (3) and one error line: never a crash or another code.
if [[ $brc == 0 ]] || { [[ $brc == 3 ]] && [[ $(grep -c '^krt-resend: error: ' "$tmp/brk.err") == 1 ]]; }; then
    ok "the copy during a broker loss ended with 0, or 3 and one error line (got $brc)"
else
    not_ok "the copy during a broker loss ended with 0, or 3 and one error line" "exit $brc" "$(cat "$tmp/brk.err")"
fi
for _ in 1 2 3; do
    [[ $brc == 0 ]] && break
    "$build/tools/krt-resend" --id brk-$x --team b --topic "$K" --execute -q >/dev/null 2>"$tmp/brk.err"; brc=$?
done
eq "the copy through a broker loss completes (re-run if needed)" "$brc" 0
"$cluster" restart 3 >/dev/null 2>&1 || bail "cannot restart broker 3"
exactly_once "broker kill -9" "$K.resend.b" "$tmp/want-k" "brk-$x"

# --- two processes share a request; one is killed mid-way, the other takes over
"$build/tools/krt-resend" --id two-$x --team w --topic "$K" --instance a --max-rate 1500 --execute -q >/dev/null 2>&1 &
pa=$!
"$build/tools/krt-resend" --id two-$x --team w --topic "$K" --instance b --max-rate 1500 --execute -q >/dev/null 2>"$tmp/b.err" &
pb=$!
sleep 3
kill -9 "$pa"
wait "$pb"; brc=$?
eq "the surviving process completes the request" "$brc" 0
exactly_once "two processes, one killed" "$K.resend.w" "$tmp/want-k" "two-$x"

# --- --max-rate: within 10% over several seconds
run krt resend --id rate-$x --team r --topic "$K" --partitions 0,1 --max-rate 1500 --execute --json
rate=$(jq -r '.copy_records_per_s' "$tmp/out")
secs=$(jq -r '.copy_duration_s' "$tmp/out")
if awk -v r="$rate" 'BEGIN { exit !(r >= 1350 && r <= 1650) }'; then
    ok "--max-rate 1500 honoured: $rate records/s over ${secs}s"
else
    not_ok "--max-rate 1500 honoured within 10%" "measured $rate records/s over ${secs}s"
fi

# --- --notify: delivered to a listener, retried and reported when it is down
python3 "$src/tests/helpers/http-listener.py" "$tmp/notified.json" >"$tmp/port" &
lp=$!
for _ in $(seq 1 50); do [[ -s $tmp/port ]] && break; sleep 0.1; done
run krt resend --id ntf-$x --team t --topic "$S" --partitions 1 --execute --notify "http://127.0.0.1:$(cat "$tmp/port")/done"
eq "notify: exit 0" "$rc" 0
wait "$lp"
eq "notify: the listener got the report" "$(jq -r '.id + " " + (.copied|tostring)' "$tmp/notified.json")" "ntf-$x 200"
run krt resend --id ntf2-$x --team t --topic "$S" --partitions 1 --execute --notify "http://127.0.0.1:1/down"
eq "notify to a listener that is down: exit 1, the copy stands" "$rc" 1
contains "notify failure is reported with its attempts" "$err" "after 3 attempts"
eq "and the copy is complete" "$(kcat -b "$B" -C -t "$S.resend.t" -e -q -X isolation.level=read_committed -f '%h\n' | grep -c "krt.resend.id=ntf2-$x")" 200

# --- bad requests: rejected before anything is written
badreq() { # badreq DESC NEEDLE ARGS...
    local d=$1 needle=$2; shift 2
    run krt resend "$@" --execute
    eq "$d: exit 2" "$rc" 2
    contains "$d: says why" "$err" "$needle"
}
badreq "missing team" "missing: team" --id b1-$x --topic "$S" --target "bad1-$x"
badreq "unknown source" "unknown source topic 'nope-$x'" --id b2-$x --team t --topic "nope-$x" --target "bad1-$x"
badreq "to before from" "'to'" --id b3-$x --team t --topic "$S" --from 2024-05-02T00:00:00Z --to 2024-05-01T00:00:00Z --target "bad1-$x"
badreq "to before from, offsets" "'to' is before 'from' for partition 0" --id b4-$x --team t --topic "$S" --from 0=50 --to 0=10 --target "bad1-$x"
badreq "target equal to source" "must not be the source topic" --id b5-$x --team t --topic "$S" --target "$S"
badreq "unreadable key file" "cannot read key file" --id b6-$x --team t --topic "$S" --keys-file "$tmp/nokeys" --target "bad1-$x"
badreq "request id reused with other parameters" "was used before with other parameters" --id "dt-$x" --team billing --topic "$S" --from "$from"
badreq "malformed request file" "cannot read request" --request "$tmp/nope.json"
check "no bad request created its target" no_topic "bad1-$x"

for t in "$S" "$S.resend.billing" "$S.flt" "$S.resend.t" "$K" "$K.resend.k" "$K.resend.b" "$K.resend.w" "$K.resend.r"; do
    kcli kafka-topics --bootstrap-server "$B" --delete --topic "$t" >/dev/null 2>&1
done
done_testing
