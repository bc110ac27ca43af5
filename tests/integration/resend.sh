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
# eq_rc DESC WANT: the exit code of the last run, with its stderr when it differs
eq_rc() { eq "$1: exit $2" "$rc" "$2"; [[ $rc == "$2" ]] || printf '#   stderr: %s\n' "${err:0:400}"; }

no_topic() { ! kcat -b "$B" -L -t "$1" 2>/dev/null | grep -q "topic \"$1\" with [1-9]"; }

# --- validate writes nothing
run krt resend --id v-$x --team billing --topic "$S" --json
eq_rc "validate" 0
eq "validate estimates the records" "$(jq -r '.records_to_read' "$tmp/out")" 600
check "validate created no target topic" no_topic "$S.resend.billing"
# a 'to' later than every record (the window is not over): the range ends at
# the high watermark now, and krt says so for each such partition
run krt resend --id vf-$x --team billing --topic "$S" --from "$(date -u -d "@$(((base + 50000) / 1000))" +%Y-%m-%dT%H:%M:%SZ)" \
    --to "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" --json
eq_rc "validate, 'to' in the future: exit 1 (warned)" 1
eq "... the report names the partitions" "$(jq -r '.to_later_than_newest_record' "$tmp/out")" "0,1,2"
contains "'to' later than the newest record: warned, every partition named" "$err" "is later than the newest record of partition(s) 0,1,2: their range ends at the high watermark now"
eq "... and the range ends at the high watermark" "$(jq -c '[.partitions[].end_offset]' "$tmp/out")" \
    "$(for p in 0 1 2; do kcat -b "$B" -Q -t "$S:$p:-1" | awk '{ print $NF }'; done | jq -sc .)"

# --- a range by datetime: [minute 0:50, minute 2:30) of every partition
from=$(date -u -d "@$(((base + 50000) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)
to=$(date -u -d "@$(((base + 150000) / 1000))" +%Y-%m-%dT%H:%M:%S.000Z)
run krt resend --id dt-$x --team billing --topic "$S" --from "$from" --to "$to" --execute --json
eq "datetime range exits 0" "$rc" 0
lacks "a 'to' with records after it: no open-end warning" "$err" "later than the newest record"
awk -F'|' '$2 >= 50 && $2 < 150' "$tmp/src" | cut -d'|' -f1-6 >"$tmp/want"
exactly_once "datetime range" "$S.resend.billing" "$tmp/want" "dt-$x"
eq "the report counts the copies" "$(jq -r '.copied' "$tmp/out")" 300
eq "the report gives first and last source offsets" "$(jq -r '.partitions[0] | "\(.first_copied_offset) \(.last_copied_offset)"' "$tmp/out")" "50 149"
eq "the target has the source's partition count" "$(kcat -b "$B" -L -t "$S.resend.billing" | grep -c 'partition [0-9]*, leader')" 3
run krt resend --id dt-$x --team billing --topic "$S" --from "$from" --to "$to" --execute
eq "a finished request exits 0" "$rc" 0
contains "a finished request does nothing and says so" "$out" "This request is finished: nothing to do."
exactly_once "after the re-run" "$S.resend.billing" "$tmp/want" "dt-$x"

# --- a request registered by a build before 6d2f250, whose fingerprint was of
# the spelling (the bounds' text, the partitions in the order given), resumes
# with this build: no refusal, and only what its registration says is left is
# copied. The commits that build wrote are made here: its fingerprint computed
# by an FNV-1a of its own (python), its ranges as the metadata of the
# request's group (krt-rewind --from-file applies metadata as given).
# Partition 0 is done, partition 2 was copied up to 45 of [20, 70).
v0fp=$(python3 - "$S" "$S.resend.o" 2=20,0=10 2=70,0=60 2 0 <<'PY'
import struct, sys
src, tgt, frm, to = sys.argv[1:5]
# that build's constants: its offset basis is 1469598103934665603 (FNV-1a's
# is 14695981039346656037), the prime FNV-1a's
h = 1469598103934665603
def fnv(b):
    global h
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
for s in (src, tgt, frm, to, "", ""):  # header name and value: none
    fnv(s.encode() + b"\0")
for p in sys.argv[5:]:  # the partitions as given, int32 in the machine's order
    fnv(struct.pack("=i", int(p)))
print("%016x" % h)
PY
)
cat >"$tmp/old-reg.json" <<JSON
{"krt_plan":"rewind","version":1,"groups":[{"group":"krt-resend.old-$x","partitions":[
 {"topic":"$S","partition":0,"offset":60,"metadata":"krt-resend:v1:$v0fp:10:60"},
 {"topic":"$S","partition":2,"offset":45,"metadata":"krt-resend:v1:$v0fp:20:70"}]}]}
JSON
krt rewind --from-file "$tmp/old-reg.json" --allow-new-group --execute --undo-file "$tmp/old-reg-undo.json" \
    >/dev/null 2>"$tmp/old-reg.err" || bail "cannot commit the old registration: $(cat "$tmp/old-reg.err")"
create_topic "$S.resend.o" 3 3 # the old build had created its target
run krt resend --id old-$x --team o --topic "$S" --partitions 2,0 --from 2=20,0=10 --to 2=70,0=60 --execute --json
eq_rc "a request registered by the build before 6d2f250 resumes" 0
eq "old registration: the run says it resumed" "$(jq -r '.resumed' "$tmp/out")" true
newfp=$(jq -r '.fingerprint' "$tmp/out")
awk -F'|' '$1 == 2 && $2 >= 45 && $2 < 70' "$tmp/src" | cut -d'|' -f1-6 >"$tmp/want"
exactly_once "old registration: only partition 2's 45-69 copied" "$S.resend.o" "$tmp/want" "old-$x"
run krt offsets --group "krt-resend.old-$x" --topic "$S:2" --json
# the two formats differ (else this tests nothing): what the copy committed
# since is this build's fingerprint, as its report gives it
if [[ $newfp != "$v0fp" ]]; then ok "old registration: this build's fingerprint ($newfp) is not the old one ($v0fp)"
else not_ok "old registration: this build's fingerprint is not the old one" "both $v0fp"; fi
eq "old registration: partition 2's new commit carries this build's fingerprint" \
    "$(jq -r '.partitions[0].commit_metadata' "$tmp/out")" "krt-resend:v1:$newfp:20:70"
run krt resend --id old-$x --team o --topic "$S" --partitions 2,0 --from 2=20,0=10 --to 2=71,0=60 --execute
eq "old registration, another range under its id: refused (2)" "$rc" 2
contains "old registration, another range: says why" "$err" "was used before with other parameters"

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

# --- --max-rate: a bound on the rate, checked against the elapsed time of
# krt's own report. The throttle lets record n go no sooner than n/rate after
# the first, so copy_duration_s >= copied/rate however starved the CPU is (a
# slower machine only makes it longer: no retry, no lower bound). The report's
# time is held to the test's own clock (it cannot be longer than the process
# ran). 2000 records at 400/s take at least 5 s; the check this replaces
# measured 1209/s, throttled at 1500/s, at a load average of 62: without the
# throttle a starved machine still copies about 3x faster than the bound.
rate_recs=2000 rate_max=400
t0=$(date +%s%3N)
run krt resend --id rate-$x --team r --topic "$K" --partitions 0 --from 0=0 --to 0=$rate_recs --max-rate $rate_max --execute --json
wall=$(($(date +%s%3N) - t0))
eq_rc "--max-rate $rate_max" 0
copied=$(jq -r '.copied' "$tmp/out") secs=$(jq -r '.copy_duration_s' "$tmp/out") rate=$(jq -r '.copy_records_per_s' "$tmp/out")
eq "--max-rate: every record of the range copied" "$copied" "$rate_recs"
# 1 ms of rounding per record boundary at most: 0.2% slack
if awk -v n="$copied" -v s="$secs" -v m="$rate_max" 'BEGIN { exit !(s > 0 && s >= n / m * 0.998) }'; then
    ok "--max-rate $rate_max honoured: $copied records in ${secs}s (>= $(awk -v n="$copied" -v m="$rate_max" 'BEGIN { print n / m }')s), $rate records/s"
else
    not_ok "--max-rate $rate_max honoured: copy_duration_s >= copied / rate" "$copied records in ${secs}s: $rate records/s"
fi
if awk -v s="$secs" -v w="$wall" 'BEGIN { exit !(s * 1000 <= w) }'; then
    ok "--max-rate: the report's copy time (${secs}s) is within the process's run (${wall} ms, the test's clock)"
else
    not_ok "--max-rate: the report's copy time is within the process's run" "copy_duration_s $secs, process ran $wall ms"
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

# --- the request file is typed (issue 10, defect 6): every bad field is refused
# with the file and the JSON path, before any network call (-b points nowhere)
badfile() { # badfile DESC JSONPATH FIELDS
    printf '{"id": "bf-%s", "team": "t", "source": "%s", %s}\n' "$x" "$S" "$3" >"$tmp/bad.json"
    run krt resend --request "$tmp/bad.json" -b 127.0.0.1:1 --timeout 2s --execute
    eq "$1: exit 2" "$rc" 2
    contains "$1: names the file and $2" "$err" "$tmp/bad.json: $2"
}
badfile "an offset as a string" /from/0 '"from": {"0": "100"}'
badfile "a number as a bound" /from '"from": 12345'
badfile "partitions not an array" /partitions '"partitions": 3'
badfile "a misspelled key" /partitons '"partitons": [0]'
badfile "a rate as a string" /max_rate '"max_rate": "100"'
badfile "a partition above INT32_MAX" /partitions/0 '"partitions": [4294967296]'
badfile "a negative offset" /to/0 '"to": {"0": -1}'
badfile "a fractional replication factor" /replication_factor '"replication_factor": 1.5'
# every local file is read before the first network call
run krt resend --id lf-$x --team t --topic "$S" --keys-file "$tmp/nokeys" -b 127.0.0.1:1 --timeout 2s
eq "a missing key file is bad input (2), not an unreachable cluster" "$rc" 2
contains "a missing key file is named" "$err" "$tmp/nokeys"
# --timezone applies to the times in the file (oracle: kcat's offset for the instant)
tz_from=$(TZ=Asia/Tokyo date -d "@$(((base + 50000) / 1000))" +%Y-%m-%dT%H:%M:%S)
printf '{"id": "tz-%s", "team": "t", "source": "%s", "from": "%s"}\n' "$x" "$S" "$tz_from" >"$tmp/tz.json"
run krt resend --request "$tmp/tz.json" --timezone Asia/Tokyo --json
eq_rc "--timezone applies to the file's times" 0
eq "--timezone applies to the file's times: start = kcat's offset for the instant" \
    "$(jq -r '.partitions[0].start_offset' "$tmp/out")" "$(kcat_offset "$S" 0 $((base + 50000)))"
# an offsets object of 400 partitions is read whole (it was cut at 4095 characters)
P=krt-test-rsp-$x
create_topic "$P" 400 1
for _ in $(seq 1 60); do # every partition led before the look-ups
    [[ $(kcat -b "$B" -L -t "$P" 2>/dev/null | grep -c 'leader [0-9]') == 400 ]] && break
    sleep 1
done
for p in 300 399; do printf 'a\nb\n' | kcat -P -b "$B" -t "$P" -p $p; done
python3 -c 'import json, sys; print(json.dumps({"id": "p4-" + sys.argv[1], "team": "t", "source": sys.argv[2],
    "to": {str(p): (1 if p in (300, 399) else 1000000000) for p in range(400)}}))' "$x" "$P" >"$tmp/p400.json"
for _ in 1 2 3 4 5 6; do # leaders of a new topic may still move: "Not leader" passes
    run krt resend --request "$tmp/p400.json" --json
    [[ $rc == 3 && $err == *"Not leader"* ]] || break
    sleep 2
done
eq_rc "400 partitions" 0
eq "400 partitions: partitions 300 and 399 end where the file says" \
    "$(jq -r '[.partitions[] | select(.partition == 300 or .partition == 399) | .end_offset] | join(",")' "$tmp/out")" "1,1"

# --- option values that used to mean something else (defect 18)
run krt resend --id pe-$x --team t --topic "$S" --partitions '' -b 127.0.0.1:1 --timeout 2s
eq "--partitions '' is a usage error" "$rc" 2
for v in nan inf -1 0; do
    run krt resend --id mr-$x --team t --topic "$S" --max-rate "$v" -b 127.0.0.1:1 --timeout 2s
    eq "--max-rate $v is a usage error" "$rc" 2
done

# --- --notify: http and https only; the URL (which may hold a token) is never echoed
run krt resend --id np-$x --team t --topic "$S" --notify "file:///etc/passwd" -b 127.0.0.1:1 --timeout 2s --execute
eq "--notify file:// is a usage error, before any network call" "$rc" 2
contains "--notify: says which protocols" "$err" "http"
run krt resend --id ns-$x --team t --topic "$S" --partitions 1 --execute --json \
    --notify "http://user:pw-$x@127.0.0.1:1/hook/tok-$x?token=sec-$x"
eq "notify failure with a secret URL: exit 1" "$rc" 1
contains "notify failure names the host" "$err" "127.0.0.1:1"
lacks "notify failure does not echo the token in the query" "$err$out" "sec-$x"
lacks "notify failure does not echo the path" "$err$out" "tok-$x"
lacks "notify failure does not echo the password" "$err$out" "pw-$x"

# --- a transaction that always fails (defect 4): a null key into a compacted
# target. The copy stops after a few attempts, names the record and the reason.
N=krt-test-rsn-$x
create_topic "$N" 1 3
create_topic "$N.compact" 1 3 --config cleanup.policy=compact
printf '0\t%d\tk0\tv0\n0\t%d\tk1\tv1\n0\t%d\t\tnull-key\n0\t%d\tk3\tv3\n' $base $base $base $base | "$produce" "$B" "$N" || bail "produce failed"
SECONDS=0
run timeout 120 "$build/tools/krt-resend" --id nk-$x --team t --topic "$N" --target "$N.compact" --execute --json
eq_rc "a permanently failing record" 3
contains "the error names the partition and offset" "$err" "partition 0 offset 2"
contains "the error gives the broker's reason" "$err" "Broker failed to validate record"
((SECONDS < 90)) && ok "the failing copy stopped after ${SECONDS}s (5 attempts, backoff about 7.5 s)" || not_ok "the failing copy stopped within 90 s" "it took ${SECONDS}s"
eq "the records before it were copied, once" "$(kcat -b "$B" -C -t "$N.compact" -e -q -X isolation.level=read_committed -f '%k\n' | tr '\n' ,)" "k0,k1,"

# a failed copy still reports every partition (--json: with an error member)
eq "a failed copy: --json reports the partition" "$(jq -r '.partitions[0] | "\(.partition) \(.copied)"' "$tmp/out")" "0 2"
eq "a failed copy: --json has the error member" "$(jq -r '.error.exit_code' "$tmp/out")" 3
# ... and posts it to --notify; the table is printed without --json
python3 "$src/tests/helpers/http-listener.py" "$tmp/nk-notified.json" >"$tmp/nk-port" &
lp=$!
for _ in $(seq 1 50); do [[ -s $tmp/nk-port ]] && break; sleep 0.1; done
run timeout 120 "$build/tools/krt-resend" --id nk2-$x --team t --topic "$N" --target "$N.compact" --execute \
    --notify "http://127.0.0.1:$(cat "$tmp/nk-port")/done"
eq_rc "a failed copy with --notify" 3
contains "a failed copy: the table is printed" "$out" "PARTITION"
wait "$lp"
eq "a failed copy: the listener got the report with the error" \
    "$(jq -r '"\(.id) \(.error.exit_code) \(.partitions | length)"' "$tmp/nk-notified.json")" "nk2-$x 3 1"

# --- the throttle waits outside transactions (defect 14): at 0.06 records/s the
# second record waits 16.7 s; a transaction held open across that wait outlives
# transaction.timeout.ms (5 s here; librdkafka wants socket.timeout.ms, i.e.
# --timeout, no longer) and the broker, which checks every 10 s, aborts it
W=krt-test-rsw-$x
create_topic "$W" 1 3
printf 'a\nb\n' | kcat -P -b "$B" -t "$W" -p 0
run timeout 120 "$build/tools/krt-resend" --id th-$x --team t --topic "$W" --max-rate 0.06 \
    -X transaction.timeout.ms=5000 --timeout 5s --execute --json
eq_rc "a slow throttle finishes" 0
eq "a slow throttle aborts no transaction" "$(jq -r '.aborted_transactions' "$tmp/out")" 0
eq "a slow throttle copies every record once" "$(kcat -b "$B" -C -t "$W.resend.t" -e -q -X isolation.level=read_committed -f '%s\n' | tr '\n' ,)" "a,b,"

# --- several processes of one request on a missing target (defect 12) start
# at once: none waits out a 'topic already exists' loop, and the copy is exact
SECONDS=0
pids=()
for i in a b c; do
    "$build/tools/krt-resend" --id par-$x --team p --topic "$S" --instance $i --execute -q >/dev/null 2>"$tmp/par-$i.err" &
    pids+=($!)
done
prc=0
for j in "${pids[@]}"; do wait "$j" || prc=$?; done
eq "three processes on a missing target all finish" "$prc" 0
took=$SECONDS
if ((took < 45)); then ok "three processes on a missing target finish in ${took}s"; else not_ok "three processes on a missing target finish in < 45s" "took ${took}s"; fi
cut -d'|' -f1-6 "$tmp/src" >"$tmp/want-all"
exactly_once "three processes on a missing target" "$S.resend.p" "$tmp/want-all" "par-$x"

# --- several processes of one request on a LIVE source, started a moment
# apart (each resolves a later open end): exactly one process's ranges are
# registered and every process copies those. The test hook
# KRT_TEST_REGISTER_PAUSE=F holds each process right before it registers (all
# four have found no ranges) and releases them together.
L=krt-test-rsl-$x
create_topic "$L" 2 3
create_topic "$L.resend.l" 2 3
# one kcat per record: written as it comes, not in one burst from a buffer
(for i in $(seq 1 300); do echo "live-$i" | kcat -P -b "$B" -t "$L" -p $((i % 2)) 2>/dev/null; done) &
lpid=$!
# the source must be growing before the first process resolves its end
for _ in $(seq 1 120); do (($(kcat_offset "$L" 0 -1) + $(kcat_offset "$L" 1 -1) >= 5)) && break; sleep 0.5; done
lpids=()
for i in a b c d; do
    KRT_TEST_REGISTER_PAUSE="$tmp/rp" "$build/tools/krt-resend" --id live-$x --team l --topic "$L" --instance $i \
        --execute --json >"$tmp/live-$i.json" 2>"$tmp/live-$i.err" &
    lpids+=($!)
    sleep 0.7
done
for _ in $(seq 1 120); do (($(cat "$tmp/rp.waiting" 2>/dev/null | wc -l) >= 4)) && break; sleep 0.5; done
eq "live source: the four processes reached the registration" "$(cat "$tmp/rp.waiting" 2>/dev/null | wc -l)" 4
touch "$tmp/rp"
lrc=0
for j in "${lpids[@]}"; do wait "$j" || lrc=$?; done
kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
eq "live source: the four processes finish" "$lrc" 0
[[ $lrc == 0 ]] || printf '#   stderr: %s\n' "$(head -c 400 "$tmp"/live-*.err)"
ends() { jq -r '[.partitions[] | "\(.partition):\(.start_offset)-\(.end_offset)"] | join(",")' "$1"; }
check "live source: the registered ranges hold records" jq -e '[.partitions[] | .end_offset - .start_offset] | add > 0' "$tmp/live-a.json"
eq "live source: every process copied the same registered ranges" \
    "$(for i in a b c d; do ends "$tmp/live-$i.json"; done | sort -u | wc -l)" 1
# the target holds each source record of those ranges once (kcat, read_committed)
want=$(jq -r '.partitions[] | "\(.partition) \(.start_offset) \(.end_offset)"' "$tmp/live-a.json" |
    while read -r p s e; do ((e > s)) && kcat -b "$B" -C -t "$L" -p "$p" -o "$s" -c $((e - s)) -e -q -f '%p|%s\n' 2>/dev/null; done | sort)
for _ in $(seq 1 30); do
    got=$(kcat -b "$B" -C -t "$L.resend.l" -e -q -X isolation.level=read_committed -f '%p|%s\n' 2>/dev/null | sort)
    [[ $(wc -l <<<"$got") -ge $(wc -l <<<"$want") ]] && break
    sleep 1
done
eq "live source: the target holds the registered range once ($(wc -l <<<"$want") records)" "$got" "$want"
delete_topics "$S" "$S.resend.billing" "$S.resend.o" "$S.flt" "$S.resend.t" "$S.resend.p" "$P" "$N" "$N.compact" "$W" "$W.resend.t" "$K" "$K.resend.k" "$K.resend.b" "$K.resend.w" "$K.resend.r" "$L" "$L.resend.l"
done_testing
