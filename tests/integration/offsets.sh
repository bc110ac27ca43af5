#!/usr/bin/env bash
# krt-offsets against the real cluster, with kcat and Kafka's own CLI tools
# as the oracles for watermarks, timestamp look-ups and group lag.
. "$(dirname "$0")/../lib.sh"
need_cluster

T=$(topic_name offsets)
create_topic "$T" 3 3
# batch 1: 5 records per partition; then a pause; batch 2: 3 records per partition
produce() { # produce PARTITION COUNT TAG
    for i in $(seq 1 "$2"); do echo "k$i:$3-$i"; done | kcat -P -b "$B" -t "$T" -p "$1" -K: 2>"$tmp/p.err" \
        || bail "kcat produce failed: $(cat "$tmp/p.err")"
}
for p in 0 1 2; do produce $p 5 first; done
sleep 1.2
mid_ms=$(($(date +%s%N) / 1000000))
sleep 1.2
for p in 0 1 2; do produce $p 3 second; done
mid_iso=$(date -u -d "@$((mid_ms / 1000)).$(printf '%03d' $((mid_ms % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)

# --- watermarks, differential against kcat -Q
run krt offsets --topic "$T" --json
eq "offsets --json exits 0" "$rc" 0
check "offsets --json is one JSON document" jq -e . "$tmp/out"
for p in 0 1 2; do
    got_lo=$(jq -r ".partitions[] | select(.partition == $p) | .log_start_offset" "$tmp/out")
    got_hi=$(jq -r ".partitions[] | select(.partition == $p) | .high_watermark" "$tmp/out")
    eq "partition $p log start equals kcat's" "$got_lo" "$(kcat_offset "$T" $p -2)"
    eq "partition $p high watermark equals kcat's" "$got_hi" "$(kcat_offset "$T" $p -1)"
    eq "partition $p high watermark is the records produced" "$got_hi" 8
done
leaders=$(jq -r '[.partitions[].leader] | map(tostring) | join(",")' "$tmp/out")
kleaders=$(kcat -b "$B" -L -t "$T" | awk '/partition [0-9]+, leader/ { gsub(",", "", $4); print $4 }' | paste -sd, -)
eq "leaders equal kcat -L's" "$leaders" "$kleaders"

# --- delete records below offset 2 on partition 0: the log start moves
printf '{"partitions":[{"topic":"%s","partition":0,"offset":2}],"version":1}\n' "$T" >"$tmp/del.json"
kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$tmp/del.json" >/dev/null 2>&1 \
    || bail "kafka-delete-records failed"
run krt offsets --topic "$T:0" --json
eq "log start after delete-records" "$(jq -r '.partitions[0].log_start_offset' "$tmp/out")" 2
eq "log start equals kcat's after delete-records" "$(jq -r '.partitions[0].log_start_offset' "$tmp/out")" "$(kcat_offset "$T" 0 -2)"
eq "records counts what is left" "$(jq -r '.partitions[0].records' "$tmp/out")" 6
eq "only the selected partition" "$(jq -r '.partitions | length' "$tmp/out")" 1

# --- offsets for a time, differential against kcat -Q T:P:TS
run krt offsets --topic "$T" --at "$mid_iso" --json
eq "--at exits 0" "$rc" 0
for p in 0 1 2; do
    got=$(jq -r ".partitions[] | select(.partition == $p) | .at_offset" "$tmp/out")
    eq "partition $p --at equals kcat's" "$got" "$(kcat_offset "$T" $p "$mid_ms")"
    eq "partition $p --at lands on the first record of batch 2" "$got" 5
done
future=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
run krt offsets --topic "$T:1" --at "$future" --json
eq "--at after the last record is null" "$(jq -r '.partitions[0].at_offset' "$tmp/out")" null
eq "kcat agrees there is no such record" "$(kcat_offset "$T" 1 "$(($(date +%s) * 1000 + 86400000))")" -1
run krt offsets --topic "$T:1" --at "$future"
contains "table says none-after" "$out" "none-after"
# --timezone: the same instant written in Paris time
paris=$(TZ=Europe/Paris date -d "@$((mid_ms / 1000)).$(printf '%03d' $((mid_ms % 1000)))" +%Y-%m-%dT%H:%M:%S.%3N)
run krt offsets --topic "$T:2" --at "$paris" --timezone Europe/Paris --json
eq "--timezone gives the same offset" "$(jq -r '.partitions[0].at_offset' "$tmp/out")" 5

# --- a consumer group: committed offsets and lag, against kafka-consumer-groups
G="g-$T"
kcg_run --group "$G" --topic "$T:0" --reset-offsets --to-offset 3 --execute >/dev/null || bail "cannot seed group offsets"
kcg_run --group "$G" --topic "$T:1,2" --reset-offsets --to-offset 6 --execute >/dev/null || bail "cannot seed group offsets"
run krt offsets --group "$G" --json
eq "--group in range exits 0" "$rc" 0
eq "--group lists the group's partitions" "$(jq -r '.partitions | length' "$tmp/out")" 3
kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$G" 2>/dev/null \
    | awk -v t="$T" '$2 == t { print $3, $4, $5, $6 }' | sort >"$tmp/kcg"
jq -r '.partitions[] | "\(.partition) \(.committed_offset) \(.high_watermark) \(.lag)"' "$tmp/out" | sort >"$tmp/krt"
eq "committed offsets, log end and lag equal kafka-consumer-groups --describe" "$(cat "$tmp/krt")" "$(cat "$tmp/kcg")"
[[ -s $tmp/kcg ]] && ok "kafka-consumer-groups described the group" || not_ok "kafka-consumer-groups described the group"

# Delete records past partition 0's committed offset: the commit falls below log start
printf '{"partitions":[{"topic":"%s","partition":0,"offset":6}],"version":1}\n' "$T" >"$tmp/del.json"
kcli kafka-delete-records --bootstrap-server "$B" --offset-json-file "$tmp/del.json" >/dev/null 2>&1 \
    || bail "kafka-delete-records failed"
run krt offsets --group "$G" --json
eq "an out-of-range commit exits 1 (findings)" "$rc" 1
eq "partition 0 is flagged below-log-start" \
    "$(jq -r '.partitions[] | select(.partition == 0) | .status' "$tmp/out")" below-log-start
eq "the other partitions are ok" \
    "$(jq -r '[.partitions[] | select(.partition != 0) | .status] | join(",")' "$tmp/out")" ok,ok
eq "summary counts one out of range" "$(jq -r '.summary.out_of_range' "$tmp/out")" 1
run krt offsets --group "$G"
contains "table flags the partition" "$out" "below-log-start"
contains "table explains the finding" "$out" "outside [log start, high watermark]"
run krt offsets --group "$G" --topic "$T:1"
eq "--group with --topic narrows the rows" "$(printf '%s\n' "$out" | grep -c "$T")" 1

# --- bad input: one clear line, documented exit code, no hang
run krt offsets --topic "no-such-topic-$$"
eq "unknown topic exits 2" "$rc" 2
eq "unknown topic: one line naming it" "$err" "krt-offsets: error: unknown topic 'no-such-topic-$$'"
run krt offsets --topic "$T:9"
eq "unknown partition exits 2" "$rc" 2
contains "unknown partition is named" "$err" "has no partition 9"
run krt offsets --group "no-such-group-$$"
eq "unknown group exits 2" "$rc" 2
contains "unknown group is named" "$err" "unknown consumer group 'no-such-group-$$'"
run krt offsets --topic "$T" --at "yesterday"
eq "malformed time exits 2" "$rc" 2
contains "malformed time is explained" "$err" "malformed date-time 'yesterday'"
run krt offsets --topic "$T" --at "2024-05-01T13:00:00"
eq "time without zone exits 2" "$rc" 2
run krt offsets --topic "$T" --at "2024-05-01T13:00:00" --timezone Mars/Olympus
contains "unknown zone is named" "$err" "unknown time zone 'Mars/Olympus'"
run krt offsets --bogus
eq "unknown option exits 2" "$rc" 2
contains "usage hint on stderr" "$err" "Try 'krt-offsets --help'"
start=$(date +%s%N)
run krt offsets -b 127.0.0.1:1 --timeout 2s --topic x
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
eq "unreachable cluster exits 3" "$rc" 3
contains "unreachable cluster error names the bootstrap" "$err" "cannot reach cluster at '127.0.0.1:1'"
eq "unreachable cluster error is one line" "$(printf '%s\n' "$err" | wc -l)" 1
if ((elapsed_ms < 6000)); then ok "unreachable cluster fails within the timeout (${elapsed_ms} ms)"; else not_ok "unreachable cluster fails within the timeout" "took ${elapsed_ms} ms"; fi
run krt offsets -b 127.0.0.1:1 --timeout 2s --json
eq "--json error document" "$(jq -r '.error.code + " " + (.error.exit_code|tostring)' "$tmp/out")" "unreachable 3"

printf 'security.protocol=PLAINTEXT\nmax.poll.records=10\n' >"$tmp/bad.properties"
run krt offsets --command-config "$tmp/bad.properties" --topic "$T"
eq "unmappable command-config key exits 2" "$rc" 2
contains "unmappable key is named with file and line" "$err" "bad.properties:2: cannot map Java client property 'max.poll.records'"
run krt offsets --command-config "$tmp/missing.properties"
eq "missing command-config exits 2" "$rc" 2
contains "missing command-config is named" "$err" "cannot read '$tmp/missing.properties'"
# a good command config is applied (client.id passes through, PLAINTEXT maps)
printf 'security.protocol=PLAINTEXT\nclient.id=krt-test\n' >"$tmp/good.properties"
run krt offsets --command-config "$tmp/good.properties" --topic "$T:0" --json
eq "a mappable command-config works" "$rc" 0
run krt offsets -X no.such.property=1 --topic "$T"
eq "bad -X exits 2" "$rc" 2
contains "bad -X names the property" "$err" "no.such.property"
# a secret in a failing config never reaches the output
printf 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="s3cr3t-value";\n' >"$tmp/sasl.properties"
run krt offsets -b 127.0.0.1:1 --timeout 2s --command-config "$tmp/sasl.properties" --json -vv
lacks "secret not in stderr" "$err" "s3cr3t-value"
lacks "secret not in stdout" "$out" "s3cr3t-value"

delete_topics "$T"
done_testing
