#!/usr/bin/env bash
# krt-restore --fill-gaps after a real unclean leader election (RF 2, min ISR
# 1, unclean election enabled): records 0..9 are replicated and backed up;
# the follower is killed; records 10..19 go to the leader alone and are
# backed up by a second run; records 20..22 are acknowledged after that
# backup (and a krt-audit baseline is saved); the leader is killed and the
# out-of-sync follower elected; 4 new records take offsets 10..13 again.
# The oracles: kcat's read of offsets 10..19 before the loss, kcat's read of
# the topic after the fill, kafka-topics for leader and ISR. Brokers are
# always brought back, also when an assertion fails.
. "$(dirname "$0")/../lib.sh"
need_cluster
restore_brokers() { for id in 1 2 3; do "$cluster" restart "$id" >/dev/null 2>&1; done; }
trap 'restore_brokers; rm -rf "$tmp"' EXIT

U=$(topic_name fill) S=$(topic_name fillside) D="$tmp/backup"
export KRT_UNDO_DIR="$tmp/undo"
mkdir -p "$KRT_UNDO_DIR"
kcli kafka-topics --bootstrap-server "$B" --create --topic "$U" --replica-assignment 1:2 \
    --config min.insync.replicas=1 --config unclean.leader.election.enable=true >/dev/null 2>&1 ||
    bail "cannot create $U"
# leader and ISR of partition 0 as kcat -L shows them ("1 1,2")
leader_isr() { kcat -b "$B" -L -t "$U" -m 5 2>/dev/null | sed -nE 's/.*partition 0, leader (-?[0-9]+), replicas: [0-9,]+, isrs: ([0-9,]+).*/\1 \2/p'; }
wait_for() { local want=$1 t0=$SECONDS; until [[ $(leader_isr) == "$want" ]]; do ((SECONDS - t0 < 90)) || return 1; sleep 1; done; }
# produce FROM TO: keyed records k<i> / v<i>-<random>, a header each, acks=all
produce() {
    local i
    for ((i = $1; i <= $2; i++)); do printf 'k%d\tv%d-%s\n' "$i" "$i" "$RANDOM"; done |
        kcat -P -b "$B" -t "$U" -p 0 -K $'\t' -H "origin=test" -X acks=all 2>"$tmp/produce.err" ||
        bail "produce failed: $(cat "$tmp/produce.err")"
}
# content FILE...: key, value, timestamp and the record's own headers (the
# provenance headers krt adds are left out), sorted: a set to compare
read_range() { # read_range TOPIC FROM COUNT
    kcat -C -b "$B" -t "$1" -p 0 -o "$2" -c "$3" -e -q -f '%k\t%s\t%T\t%h\n' 2>/dev/null
}
# the records of partition 0 (read_committed): a transaction's commit marker
# takes an offset too, so records are counted, not offsets
records() { kcat -C -b "$B" -t "$1" -p 0 -o beginning -e -q -X isolation.level=read_committed -f '.\n' 2>/dev/null | wc -l; }
content() { sed -E 's/,?krt\.(restore\.id|source\.[a-z]+)=[^,\t]*//g' "$@" | sort; }

produce 0 9
wait_for "1 1,2" || bail "ISR of $U never became 1,2: $(leader_isr)"
run krt backup --dir "$D" --topic "$U" --timeout 30s
eq "first backup: exit 0" "$rc" 0
"$cluster" kill 2 || bail "cannot kill broker 2"
wait_for "1 1" || bail "ISR of $U never shrank to 1: $(leader_isr)"
produce 10 19
run krt backup --dir "$D" --topic "$U" --timeout 30s
eq "second backup (sees 10..19): exit 0" "$rc" 0
produce 20 22 # acknowledged, never backed up: lost for good
run krt audit --topic "$U" --save-baseline "$tmp/base.json"
eq "baseline high watermark" "$(jq -r '.partitions[0].high_watermark' "$tmp/base.json")" 23
read_range "$U" 10 10 >"$tmp/lost-backed-up"
eq "kcat read the 10 records only broker 1 holds" "$(wc -l <"$tmp/lost-backed-up")" 10

"$cluster" kill 1 || bail "cannot kill broker 1"
"$cluster" restart 2 >/dev/null 2>&1 || bail "cannot restart broker 2"
if ! wait_for "2 2"; then
    kcli kafka-leader-election --bootstrap-server "$B" --election-type unclean --topic "$U" --partition 0 >/dev/null 2>&1
    wait_for "2 2" || bail "no unclean election: $(leader_isr)"
fi
eq "the unclean election truncated the partition to 10" "$(kcat_offset "$U" 0 -1)" 10
produce 100 103 # the new leader gives offsets 10..13 to other records
"$cluster" restart 1 >/dev/null 2>&1 || bail "cannot restart broker 1"
read_range "$U" 0 14 >"$tmp/before-fill"
eq "14 records survive (0..9 and 4 new ones)" "$(wc -l <"$tmp/before-fill")" 14

# --- dry run: the lost range, nothing written
run krt restore --backup "$D" --topic "$U" --fill-gaps --baseline "$tmp/base.json" --json
eq "dry run: exit 0" "$rc" 0
eq "dry run: lost range [10, 23), 10 to restore, 3 lost for good" \
    "$(jq -r '.partitions[0] | "\(.lost_from) \(.lost_to) \(.to_restore) \(.lost_for_good)"' <<<"$out")" "10 23 10 3"
eq "dry run: nothing written" "$(kcat_offset "$U" 0 -1)" 14
run krt restore --backup "$D" --topic "$U" --fill-gaps --baseline "$tmp/base.json"
contains "the table names the lost range" "$out" "[10, 23)"

# --- execute: exactly the 10 backed-up records come back, after the rest
run krt restore --backup "$D" --topic "$U" --fill-gaps --baseline "$tmp/base.json" --execute --json
eq "fill: exit 0" "$rc" 0
eq "fill: 10 restored" "$(jq -r '.restored' <<<"$out")" 10
check "fill: the plan was written first" test -s "$(jq -r '.plan' <<<"$out")"
wait_stable "$U"
eq "the topic grew by 10 records" "$(records "$U")" 24
high=$(kcat_offset "$U" 0 -1)
read_range "$U" 0 24 >"$tmp/after-fill"
eq "the 14 records that survived are untouched" "$(head -14 "$tmp/after-fill")" "$(cat "$tmp/before-fill")"
grep 'krt.source.offset=' "$tmp/after-fill" >"$tmp/refilled"
eq "the re-produced records equal, as a set by content, the lost backed-up ones" \
    "$(content "$tmp/refilled")" "$(content "$tmp/lost-backed-up")"
eq "each carries its original offset" \
    "$(grep -oE 'krt\.source\.offset=[0-9]+' "$tmp/refilled" | cut -d= -f2 | sort -n | tr '\n' ' ')" \
    "10 11 12 13 14 15 16 17 18 19 "

# --- idempotent: a second run adds nothing
run krt restore --backup "$D" --topic "$U" --fill-gaps --execute --json
eq "second fill: exit 0" "$rc" 0
eq "second fill: 10 already restored, 0 written" \
    "$(jq -r '"\(.already_restored) \(.restored)"' <<<"$out")" "10 0"
eq "second fill: the topic did not grow" "$(kcat_offset "$U" 0 -1)" "$high"

# --- --to a side topic: the same 10, into the side topic; again idempotent
create_topic "$S" 1 2
run krt restore --backup "$D" --topic "$U" --to "$S" --fill-gaps --execute --json
eq "side fill: exit 0" "$rc" 0
eq "side fill: the 10 records whose copies are in the original topic are already there" \
    "$(jq -r '"\(.already_restored) \(.restored)"' <<<"$out")" "0 10"
eq "side topic holds 10" "$(records "$S")" 10
side_high=$(kcat_offset "$S" 0 -1)
read_range "$S" 0 10 >"$tmp/side"
eq "side topic: the same records by content" "$(content "$tmp/side")" "$(content "$tmp/lost-backed-up")"
run krt restore --backup "$D" --topic "$U" --to "$S" --fill-gaps --execute --json
eq "side fill twice: nothing more" "$(jq -r '.restored' <<<"$out") $(kcat_offset "$S" 0 -1)" "0 $side_high"

# --- guards and bad input
run krt restore --backup "$D" --topic "$U" --to __consumer_offsets --fill-gaps --execute
eq "an internal target is refused (4)" "$rc" 4
KRT_BOOTSTRAP_SERVERS=127.0.0.1:1 run krt restore --backup "$D" --topic "$U" --fill-gaps \
    --baseline "$tmp/no-such.json" --timeout 3s
eq "a missing baseline is bad input (2) before any network call" "$rc" 2
contains "and names the file" "$err" "no-such.json"
eq "nothing was written by the refused runs" "$(kcat_offset "$U" 0 -1)" "$high"

kcli kafka-topics --bootstrap-server "$B" --delete --topic "$U" >/dev/null 2>&1
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$S" >/dev/null 2>&1
done_testing
