#!/usr/bin/env bash
# krt-audit against the real cluster: a healthy audit with its risks, a
# what-if prediction, a real kill -9 (checked against the placement, the
# prediction and kafka-topics), restart, SIGSTOP/SIGCONT, and a real unclean
# leader election measured against a baseline. Brokers are always brought
# back, also when an assertion fails.
. "$(dirname "$0")/../lib.sh"
need_cluster
restore() { for id in 1 2 3; do "$cluster" resume "$id" >/dev/null 2>&1; "$cluster" restart "$id" >/dev/null 2>&1; done; }
trap 'restore; rm -rf "$tmp"' EXIT

x=$$-$RANDOM
T1=krt-test-a1-$x T2=krt-test-a2-$x T3=krt-test-a3-$x T22=krt-test-a22-$x
create_topic "$T1" 3 1,2,3                                       # RF 1
create_topic "$T2" 3 1:2,2:3,3:1 --config min.insync.replicas=1   # RF 2, min ISR 1
create_topic "$T3" 2 1:2:3,2:3:1 --config min.insync.replicas=2   # RF 3, min ISR 2
create_topic "$T22" 2 2:3,3:1 --config min.insync.replicas=2      # RF 2, min ISR 2
sel=(--topic "$T1" --topic "$T2" --topic "$T3" --topic "$T22")

# Expected with broker 2 gone, computed from the placement above:
# offline+lost: T1-1 (its only replica on 2); under-min-isr: T22-0 (ISR 3 < 2);
# at-min-isr: T2-0, T2-1 (ISR 1 = min 1), T3-0, T3-1 (ISR 2 = min 2);
expected_states=$(printf '%s\n' "$T1 1 offline,lost" "$T2 0 at-min-isr,under-replicated" \
    "$T2 1 at-min-isr,under-replicated" "$T22 0 under-min-isr,under-replicated" \
    "$T3 0 at-min-isr,under-replicated" "$T3 1 at-min-isr,under-replicated" | sort)
states() { jq -r '.partitions[] | select(.states | length > 0) | "\(.topic) \(.partition) \(.states | join(","))"' "$1" | sort; }

# --- healthy
run krt audit "${sel[@]}" --json
eq "healthy cluster exits 0 (risks do not count)" "$rc" 0
eq "healthy: no partition in a bad state" "$(states "$tmp/out")" ""
eq "healthy: all 10 partitions healthy" "$(jq -r '.summary.healthy' "$tmp/out")" 10
eq "risk: RF 1" "$(jq -r ".topics[] | select(.topic == \"$T1\") | .risks | join(\",\")" "$tmp/out")" replication-factor-1
eq "risk: min ISR 1" "$(jq -r ".topics[] | select(.topic == \"$T2\") | .risks | join(\",\")" "$tmp/out")" min-insync-replicas-1
eq "risk: min ISR = RF" "$(jq -r ".topics[] | select(.topic == \"$T22\") | .risks | join(\",\")" "$tmp/out")" no-failure-tolerance-for-acks-all
eq "no risk on RF 3 / min ISR 2" "$(jq -r ".topics[] | select(.topic == \"$T3\") | .risks | length" "$tmp/out")" 0
eq "racks are read from the brokers" "$(jq -r '[.brokers[].rack] | join(",")' "$tmp/out")" rack-1,rack-2,rack-3
run krt audit "${sel[@]}"
contains "the table lists the risks" "$out" "replication factor 1: losing one broker loses data"

# --- the printed repair command is quoted for a POSIX shell: a group name
# is any string, and a crafted one must not run anything when the operator
# pastes the command. Run through sh -c, it repairs exactly that group.
H=krt-test-hostile-$x
create_topic "$H" 1 3
seq 1 4 | kcat -P -b "$B" -t "$H" -p 0 || bail "produce failed"
evil="g-$x 'q' \"d\" \$(touch pwned1) \`touch pwned2\`; touch pwned3 && touch pwned4 | x>pwned5 *"
nl="g-$x"$'\n'"line2 \$(touch pwned6) '"
mkdir -p "$tmp/sh" "$tmp/stub" "$tmp/undo"
printf '%s,0,50\n' "$H" >"$tmp/h.csv"
for g in "$evil" "$nl"; do
    krt rewind --group "$g" --from-file "$tmp/h.csv" --allow-new-group --execute --undo-file "$tmp/undo/$RANDOM" \
        >/dev/null 2>"$tmp/h.err" || bail "cannot commit past the end for a hostile group: $(cat "$tmp/h.err")"
done
run krt audit --topic "$H" --group "$evil" --json
eq "hostile group: its commit past the end is found (exit 1)" "$rc" 1
repair=$(jq -r '.group_findings[0].repair' "$tmp/out")
run krt audit --topic "$H" --group "$evil"
eq "hostile group: the table prints the same repair command as the JSON" \
    "$(grep -F '; repair: krt-rewind' <<<"$out" | sed 's/.*; repair: //')" "$repair"
# sh reads the command back into the exact argv (a stub krt-rewind prints it)
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"$ARGV_OUT"\n' >"$tmp/stub/krt-rewind"
chmod +x "$tmp/stub/krt-rewind"
argv_of() { (cd "$tmp/sh" && ARGV_OUT="$tmp/argv" PATH="$tmp/stub:$PATH" sh -c "$1") && cat "$tmp/argv"; }
eq "hostile group: sh parses the JSON repair command into the exact argv" "$(argv_of "$repair")" \
    "$(printf '%s\n' --group "$evil" --topic "$H:0" --repair --execute)"
run krt audit --topic "$H" --group "$nl" --json
eq "group with a newline: sh parses its repair command into the exact argv" \
    "$(argv_of "$(jq -r '.group_findings[0].repair' "$tmp/out")")" \
    "$(printf '%s\n' --group "$nl" --topic "$H:0" --repair --execute)"
# and for real: the command, as printed, repairs the group and runs nothing else
(cd "$tmp/sh" && KRT_UNDO_DIR="$tmp/undo" PATH="$build/tools:$PATH" sh -c "$repair" >/dev/null 2>"$tmp/h.err")
eq "hostile group: the printed command ran krt-rewind (exit 0)" "$?" 0
eq "hostile group: nothing else ran (no file the name tried to create)" "$(ls -A "$tmp/sh")" ""
eq "hostile group: repaired to the high watermark (kafka-consumer-groups --describe)" \
    "$(kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$evil" 2>/dev/null \
        | awk -v t="$H" '{ for (i = 1; i < NF; i++) if ($i == t) print $(i + 1), $(i + 2) }')" "0 $(kcat_offset "$H" 0 -1)"
# --- a group name with a newline and an ESC: the table escapes both (a raw
# newline forges a row, a raw ESC drives the operator's terminal)
ctl="g-$x-ctl"$'\n'"FORGED ROW "$'\e'"[31mred"
krt rewind --group "$ctl" --from-file "$tmp/h.csv" --allow-new-group --execute --undo-file "$tmp/undo/$RANDOM" \
    >/dev/null 2>"$tmp/h.err" || bail "cannot commit past the end for a group with control characters: $(cat "$tmp/h.err")"
run krt audit --topic "$H" --group "$ctl"
eq "control characters: the finding is reported (exit 1)" "$rc" 1
lacks "control characters: no raw ESC in the table" "$out" $'\e'
eq "control characters: no forged row" "$(grep -c '^FORGED' <<<"$out")" 0
contains "control characters: the name is printed escaped" "$out" "g-$x-ctl\\nFORGED ROW \\x1b[31mred"
contains "control characters: the repair command is left to the JSON" "$out" "take the command from --json"
run krt audit --topic "$H" --group "$ctl" --json
eq "control characters: the JSON holds the exact name" "$(jq -r '.group_findings[0].group' "$tmp/out")" "$ctl"
delete_topics "$H"

# --- what-if
run krt audit "${sel[@]}" --assume-down 2 --json
eq "what-if broker 2 down exits 6 (critical)" "$rc" 6
predicted=$(states "$tmp/out")
eq "what-if predicts exactly the expected states" "$predicted" "$expected_states"
eq "what-if names the missing broker" "$(jq -r '.missing_brokers | join(",")' "$tmp/out")" 2
run krt audit "${sel[@]}" --assume-down 7
eq "unknown broker id exits 2" "$rc" 2
contains "unknown broker id is named" "$err" "unknown broker id 7 in --assume-down (registered: 1,2,3)"
run krt audit "${sel[@]}" --assume-down 2,x
eq "malformed broker list exits 2" "$rc" 2

# --- kill -9 broker 2: wait (bounded) until the cluster has noticed
"$cluster" kill 2 || bail "cannot kill broker 2"
settle() { # settle WANT_EXIT SECS [WANT_URP]: audit until the exit code (and URP count) match
    local want=$1 secs=$2 urp=${3:-} t0=$SECONDS
    while :; do
        run krt audit "${sel[@]}" --json
        if [[ $rc == "$want" ]] && { [[ -z $urp ]] || [[ $(jq -r '.summary.under_replicated' "$tmp/out") == "$urp" ]]; }; then
            return 0
        fi
        ((SECONDS - t0 < secs)) || return 1
        sleep 1
    done
}
settle 6 60 5 || not_ok "the cluster noticed broker 2 within 60s" "last exit $rc"
eq "after kill -9: exit 6 (critical)" "$rc" 6
eq "after kill -9: exactly the expected states" "$(states "$tmp/out")" "$expected_states"
eq "after kill -9: the same as predicted" "$(states "$tmp/out")" "$predicted"
eq "after kill -9: broker 2 is named missing" "$(jq -r '.missing_brokers | join(",")' "$tmp/out")" 2
eq "after kill -9: counts" "$(jq -r '.summary | "\(.offline) \(.lost) \(.under_min_isr) \(.at_min_isr) \(.under_replicated)"' "$tmp/out")" "1 1 1 4 5"
mine_urp=$(jq -r '.partitions[] | select(.states | index("under-replicated")) | "\(.topic) \(.partition)"' "$tmp/out" | sort)
mine_off=$(jq -r '.partitions[] | select(.states | index("offline")) | "\(.topic) \(.partition)"' "$tmp/out" | sort)
ours="^($T1|$T2|$T3|$T22)\$"
kafka_urp=$(kcli kafka-topics --bootstrap-server "$B" --describe --under-replicated-partitions 2>/dev/null \
    | awk -v re="$ours" '$1 == "Topic:" && $2 ~ re && $3 == "Partition:" { print $2, $4 }' | sort)
kafka_off=$(kcli kafka-topics --bootstrap-server "$B" --describe --unavailable-partitions 2>/dev/null \
    | awk -v re="$ours" '$1 == "Topic:" && $2 ~ re && $3 == "Partition:" { print $2, $4 }' | sort)
eq "under-replicated equals kafka-topics --under-replicated-partitions" "$mine_urp" "$kafka_urp"
eq "offline equals kafka-topics --unavailable-partitions" "$mine_off" "$kafka_off"
run krt audit "${sel[@]}"
contains "the table names the lost partition" "$out" "lost"
contains "the table says what to do next" "$out" "Next: restart the missing brokers"
run krt audit "${sel[@]}" --format prometheus
contains "prometheus gauge for lost" "$out" "krt_audit_partitions{topic=\"$T1\",state=\"lost\"} 1"
contains "prometheus gauge for missing brokers" "$out" "krt_audit_brokers_missing 1"

# --- restart: healthy again within a bound
"$cluster" restart 2 >/dev/null 2>&1 || bail "cannot restart broker 2"
settle 0 90 0 || not_ok "healthy again within 90s of the restart" "last exit $rc: $(states "$tmp/out")"
eq "after restart: exit 0" "$rc" 0

# --- SIGSTOP broker 3 (a network partition stand-in), then SIGCONT
run krt audit "${sel[@]}" --assume-down 3 --json
predicted3=$(states "$tmp/out")
urp3=$(jq -r '.summary.under_replicated' "$tmp/out")
eq "what-if broker 3 down: the placement's states" "$predicted3" "$(printf '%s\n' "$T1 2 offline,lost" \
    "$T2 1 at-min-isr,under-replicated" "$T2 2 at-min-isr,under-replicated" \
    "$T22 0 under-min-isr,under-replicated" "$T22 1 under-min-isr,under-replicated" \
    "$T3 0 at-min-isr,under-replicated" "$T3 1 at-min-isr,under-replicated" | sort)"
"$cluster" pause 3 || bail "cannot pause broker 3"
t0=$SECONDS
if settle 6 60 "$urp3"; then
    ok "paused broker noticed within 60s (after $((SECONDS - t0))s)"
else
    not_ok "paused broker noticed within 60s" "last exit $rc: $(states "$tmp/out")"
fi
eq "paused broker: reported with exit 6 (critical)" "$rc" 6
eq "paused broker: named missing" "$(jq -r '.missing_brokers | join(",")' "$tmp/out")" 3
eq "paused broker: the same states as predicted for broker 3 down" "$(states "$tmp/out")" "$predicted3"
"$cluster" resume 3
settle 0 90 0 || not_ok "healthy again within 90s of SIGCONT" "last exit $rc: $(states "$tmp/out")"
eq "after resume: exit 0" "$rc" 0

# --- watch: changes only, with timestamps
"$cluster" kill 2
run krt audit "${sel[@]}" --watch 1 --count 25
contains "watch reports the broker lost" "$out" "broker 2 lost"
contains "watch reports a partition going offline" "$out" "$T1-1: healthy -> lost"
"$cluster" restart 2 >/dev/null 2>&1 || bail "cannot restart broker 2"
settle 0 90 0 || not_ok "healthy again after the watch"
run krt audit "${sel[@]}" --watch 0
eq "--watch 0 exits 2" "$rc" 2
contains "--watch 0 explains" "$err" "--watch needs a number of seconds from 1 to 86400"
run krt audit --topic "nope-$x"
eq "unknown topic exits 2" "$rc" 2
contains "unknown topic is named" "$err" "unknown topic 'nope-$x'"
run krt audit -b 127.0.0.1:1 --timeout 2s
eq "unreachable cluster exits 3" "$rc" 3

# --- a real loss: unclean leader election on RF 2 / min ISR 1, against a baseline
U=krt-test-unclean-$x
GA=g-a-$x GB=g-b-$x
create_topic "$U" 1 1:2 --config min.insync.replicas=1 --config unclean.leader.election.enable=true
seq 1 5 | kcat -P -b "$B" -t "$U" -p 0 || bail "produce failed"
leader_isr() { kcli kafka-topics --bootstrap-server "$B" --describe --topic "$U" 2>/dev/null | awk '$3 == "Partition:" { print $6, $10 }'; }
# (180 s: after 'restart', broker 2 must start, register and be elected; at a
# load average of 70 that took 73 s)
wait_for() { local want=$1 t0=$SECONDS; until [[ $(leader_isr) == "$want" ]]; do ((SECONDS - t0 < 180)) || return 1; sleep 1; done; }
wait_for "1 1,2" || bail "ISR of $U never became 1,2"
"$cluster" kill 2
wait_for "1 1" || bail "ISR of $U never shrank to 1"
seq 6 10 | kcat -P -b "$B" -t "$U" -p 0 || bail "produce failed"   # only broker 1 holds 5..9
kcg_run --group "$GA" --topic "$U" --reset-offsets --to-offset 10 --execute >/dev/null || not_ok "seed $GA"
kcg_run --group "$GB" --topic "$U" --reset-offsets --to-offset 2 --execute >/dev/null || not_ok "seed $GB"
run krt audit --topic "$U" --save-baseline "$tmp/base.json"
check "baseline saved" test -s "$tmp/base.json"
eq "baseline records the high watermark" "$(jq -r '.partitions[0].high_watermark' "$tmp/base.json")" 10
eq "baseline records the groups" "$(jq -r "[.groups[] | select(.group == \"$GA\" or .group == \"$GB\") | .offsets[0].offset] | sort | join(\",\")" "$tmp/base.json")" 2,10
"$cluster" kill 1
"$cluster" restart 2 >/dev/null 2>&1
if ! wait_for "2 2"; then
    # the controller did not elect the out-of-sync broker on its own within
    # the wait (a loaded machine): ask for the unclean election explicitly
    kcli kafka-leader-election --bootstrap-server "$B" --election-type unclean --topic "$U" --partition 0 >/dev/null 2>&1
    wait_for "2 2" || not_ok "unclean election made broker 2 leader" "$(leader_isr)"
fi
eq "kcat sees the high watermark went back to 5" "$(kcat_offset "$U" 0 -1)" 5
run krt audit --topic "$U" --baseline "$tmp/base.json" --groups --json
eq "loss against the baseline exits 6" "$rc" 6
eq "the partition's lost range is [5, 10)" \
    "$(jq -r '.losses[] | select(.group == null) | "\(.kind) \(.from_offset) \(.to_offset)"' "$tmp/out")" "truncated 5 10"
eq "group A read records that are gone, and will skip [5, 10)" \
    "$(jq -r ".losses[] | select(.group == \"$GA\") | \"\(.kind) \(.from_offset) \(.to_offset)\"" "$tmp/out" | sort)" \
    "$(printf 'consumed-then-lost 5 10\nwill-skip 5 10')"
eq "group B lost [5, 10) before reading it" \
    "$(jq -r ".losses[] | select(.group == \"$GB\") | \"\(.kind) \(.from_offset) \(.to_offset)\"" "$tmp/out")" "lost-unread 5 10"
eq "group A's commit above the high watermark is flagged" \
    "$(jq -r ".group_findings[] | select(.group == \"$GA\") | .status" "$tmp/out")" above-high-watermark
eq "with the command that repairs it" \
    "$(jq -r ".group_findings[] | select(.group == \"$GA\") | .repair" "$tmp/out")" \
    "krt-rewind --group $GA --topic $U:0 --repair --execute"
run krt audit --topic "$U" --baseline "$tmp/base.json" --group "$GA"
contains "the table names the lost range" "$out" "$U-0: truncated offsets [5, 10) (5 records)"
contains "the table names the group's loss" "$out" "group $GA $U-0: consumed-then-lost offsets [5, 10)"
# the repair command it prints works
krt rewind --group "$GA" --topic "$U:0" --repair --execute --undo-file "$tmp/undo.json" >/dev/null 2>&1
eq "the printed repair moves the group back into range" \
    "$(kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$GA" 2>/dev/null | awk -v t="$U" '$2 == t { print $4 }')" 5
run krt audit --topic "$U" --baseline /nonexistent.json
eq "a missing baseline exits 2" "$rc" 2
# the baseline is read, typed, before the first network call
KRT_BOOTSTRAP_SERVERS=127.0.0.1:1 run krt audit --baseline "$tmp/no-such-baseline.json" --timeout 3s
eq "a mistyped --baseline path is bad input (2), not an unreachable cluster" "$rc" 2
contains "a mistyped --baseline path names the file" "$err" "no-such-baseline.json"
jq '.partitions[0].partition = "0"' "$tmp/base.json" >"$tmp/base-bad.json"
run krt audit --topic "$U" --baseline "$tmp/base-bad.json"
eq "a baseline with a string partition exits 2" "$rc" 2
contains "and names the file and the JSON path" "$err" "base-bad.json: /partitions/0/partition:"
"$cluster" restart 1 >/dev/null 2>&1
delete_topics "$U" "$T1" "$T2" "$T3" "$T22"
done_testing
