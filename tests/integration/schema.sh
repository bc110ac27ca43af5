#!/usr/bin/env bash
# krt-schema against independent oracles: the verdicts of a real schema
# registry (Apicurio, started by scripts/test, URL in KRT_TEST_REGISTRY) on a
# corpus of schema changes, and bad input handling.
. "$(dirname "$0")/../lib.sh"

need_registry() {
    R=${KRT_TEST_REGISTRY:-}
    [[ -n $R ]] || bail "no test registry: KRT_TEST_REGISTRY is not set (run ./scripts/test)"
    curl -sf -o /dev/null --max-time 10 "$R/subjects" || bail "test registry at $R does not answer"
}
need_registry
need_cluster
frames() { python3 "$src/tests/helpers/confluent_frames.py" "$@"; }
produce_frames() { "$build/tests/produce_frames" "$B" "$@"; }

# --- differential: krt's verdict equals the registry's, at 3 levels ----------
corpus="$tmp/corpus"
mkdir -p "$corpus"
python3 "$src/tests/helpers/schema_corpus.py" "$corpus" "$R" >"$tmp/verdicts" 2>"$tmp/corpus.err" \
    || bail "the corpus helper failed: $(tail -1 "$tmp/corpus.err")"
npairs=$(awk '{print $1}' "$tmp/verdicts" | sort -u | wc -l)
((npairs >= 40)) || not_ok "corpus has at least 40 pairs" "got $npairs"
agree=0 disagree=() fieldless=()
while read -r name level reg field; do
    krt schema check --json --level "$level" "$corpus/$name.old.avsc" "$corpus/$name.new.avsc" \
        >"$tmp/out.json" 2>"$tmp/err"
    krc=$?
    case $krc in 0) mine=true ;; 1) mine=false ;; *) mine="error($krc): $(head -1 "$tmp/err")" ;; esac
    if [[ $mine == "$reg" ]]; then
        agree=$((agree + 1))
    else
        disagree+=("$name $level: registry $reg, krt $mine")
    fi
    # an incompatible change about a field: some reason names that field
    # (either name of a renamed field: each direction names its reader's)
    if [[ $mine == false && $field != - ]] &&
        ! jq -e --arg f "$field" '[.reasons[].field] as $r | any($f | split("/")[]; . as $x | $r | index($x))' \
            "$tmp/out.json" >/dev/null; then
        fieldless+=("$name $level: no reason names '$field': $(jq -c '[.reasons[] | .path + " " + (.field // "") ]' "$tmp/out.json")")
    fi
done <"$tmp/verdicts"
total=$(wc -l <"$tmp/verdicts")
eq "krt agrees with the registry on all $total checks ($npairs pairs x BACKWARD/FORWARD/FULL)" \
    "${#disagree[@]}" 0
((${#disagree[@]})) && printf '#   %s\n' "${disagree[@]}"
eq "krt's reasons name the changed field" "${#fieldless[@]}" 0
((${#fieldless[@]})) && printf '#   %s\n' "${fieldless[@]}"
echo "# differential: $agree of $total verdicts agree"

# --- reasons, as an operator reads them --------------------------------------
run krt schema check "$corpus/add-no-default.old.avsc" "$corpus/add-no-default.new.avsc"
eq "an incompatible change exits 1" "$rc" 1
contains "the reason has the path, the field and what is wrong" "$out" \
    "/fields/1 'discount': added without a default"
run krt schema check --level FULL_TRANSITIVE "$corpus/prim-int-long.old.avsc" \
    "$corpus/prim-int-long.old.avsc" "$corpus/prim-int-long.new.avsc"
eq "transitive: every old version is checked" "$(grep -c "cannot be read as int" <<<"$out")" 2

# --- decoding with defaults equals fastavro -----------------------------------
fa="$tmp/fastavro"
mkdir -p "$fa"
cases=$(python3 "$src/tests/helpers/avro_corpus.py" make "$fa" 500 "$RANDOM" 2>"$tmp/fa.err") \
    || bail "the fastavro corpus helper failed: $(tail -1 "$tmp/fa.err")"
for c in $cases; do
    krt schema decode --writer "$fa/$c.writer.avsc" --reader "$fa/$c.reader.avsc" "$fa/$c.bin" \
        >"$fa/$c.got.jsonl" 2>"$tmp/err"
    eq "decode $c: exit 0" "$? $(head -1 "$tmp/err")" "0 "
    run python3 "$src/tests/helpers/avro_corpus.py" compare "$fa/$c.expected.jsonl" "$fa/$c.got.jsonl"
    eq "decode $c: 500 records equal fastavro's" "$rc $out" "0 "
done
head -c 300 "$fa/order-same.bin" >"$tmp/trunc.bin"
run krt schema decode --writer "$fa/order-same.writer.avsc" "$tmp/trunc.bin"
eq "truncated data exits 2" "$rc" 2
contains "truncated data names the datum" "$err" "trunc.bin: datum "

# --- against the registry: krt's reasons beside the registry's verdict --------
sub="krt-test-orders-$$-$RANDOM"
o="$corpus/enum-remove-symbol"
frames register "$R" "$sub-value" "$o.old.avsc" >/dev/null || bail "cannot register in $R"
curl -sf -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility":"BACKWARD"}' "$R/config/$sub-value" >/dev/null || bail "cannot set the level"
run krt schema check --json --registry "$R" --subject "$sub-value" "$o.new.avsc"
eq "registry check of an incompatible schema exits 1" "$rc" 1
eq "registry: the subject's level is used" "$(jq -r .level_source <<<"$out") $(jq -r .level <<<"$out")" "subject BACKWARD"
eq "registry: krt and the registry both say incompatible, no disagreement" \
    "$(jq -c '[.compatible, .registry.compatible, .registry.disagreement]' <<<"$out")" "[false,false,false]"
contains "registry: krt's reason names the enum field" "$(jq -r '.reasons[] | .path + " " + .field + ": " + .message' <<<"$out")" "/fields/1 s: enum"
versions_before=$(curl -sf "$R/subjects/$sub-value/versions")
run krt schema register --registry "$R" --subject "$sub-value" "$o.new.avsc" --execute
eq "register --execute of an incompatible schema is refused (exit 4)" "$rc" 4
eq "nothing was registered" "$(curl -sf "$R/subjects/$sub-value/versions")" "$versions_before"
run env KRT_UNDO_DIR="$tmp" "$build/tools/krt-schema" register --json --registry "$R" \
    --subject "$sub-value" "$corpus/enum-remove-symbol-default.new.avsc"
eq "register without --execute is a dry run" "$rc $(curl -sf "$R/subjects/$sub-value/versions")" "0 $versions_before"
run krt schema register --dry-run --registry "$R" --subject "$sub-value" \
    "$corpus/enum-remove-symbol-default.new.avsc"
eq "register --dry-run registers nothing" "$rc $(curl -sf "$R/subjects/$sub-value/versions")" "0 $versions_before"
run krt schema register --dry-run --execute --registry "$R" --subject "$sub-value" \
    "$corpus/enum-remove-symbol-default.new.avsc"
eq "--dry-run with --execute is a usage error" "$rc" 2
run krt schema register --json --registry "$R" --plan-file "$tmp/register-plan.json" \
    --subject "$sub-value" "$corpus/enum-remove-symbol-default.new.avsc" --execute
eq "register --execute of a compatible schema exits 0" "$rc" 0
newid=$(jq -r .registry.registered.id <<<"$out")
eq "the registry holds the new schema under the id krt printed" \
    "$(curl -sf "$R/subjects/$sub-value/versions/latest" | jq -r .id)" "$newid"
plan=$(jq -r .registry.registered.plan <<<"$out")
eq "the plan was written to --plan-file" "$plan" "$tmp/register-plan.json"
eq "the plan names the action, subject and versions before" \
    "$(jq -c '[.action, .subject, .versions_before]' "$plan" 2>&1)" "[\"register\",\"$sub-value\",$versions_before]"

# --- check-topic: records of v1 and v2 in Confluent wire format --------------
topic=$(topic_name schema)
create_topic "$topic" 3 1
cat >"$tmp/v1.avsc" <<'JSON'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"amount","type":"int"}]}
JSON
cat >"$tmp/v2.avsc" <<'JSON'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"amount","type":"long"},
 {"name":"note","type":["null","string"],"default":null}]}
JSON
cat >"$tmp/v3ok.avsc" <<'JSON'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"amount","type":"double"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"discount","type":"double","default":0}]}
JSON
cat >"$tmp/v3bad.avsc" <<'JSON'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
 {"name":"amount","type":"long"},
 {"name":"note","type":["null","string"],"default":null}]}
JSON
id1=$(frames register "$R" "$topic-value" "$tmp/v1.avsc") || bail "cannot register v1"
id2=$(frames register "$R" "$topic-value" "$tmp/v2.avsc") || bail "cannot register v2"
{ frames frames "$tmp/v1.avsc" "$id1" 60 11 0 "$tmp/v1.jsonl"
  frames frames "$tmp/v2.avsc" "$id2" 45 12 0 "$tmp/v2.jsonl"; } | produce_frames "$topic" 3 \
    || bail "cannot produce the v1/v2 records"
run krt schema check-topic "$topic" --reader "$tmp/v3ok.avsc" --registry "$R" --json
eq "check-topic: a compatible v3 decodes every record (exit 0)" "$rc" 0
eq "check-topic: counts per writer id" \
    "$(jq -c '[.writers[] | [.schema_id, .decoded, .failed]] | sort' <<<"$out")" "[[$id1,60,0],[$id2,45,0]]"
contains "check-topic: the defaults applied are reported" \
    "$(jq -r '.writers[] | select(.schema_id == '"$id1"') | .defaults_applied[]' <<<"$out")" "/fields/4 'discount' = 0.0"
# v3bad dropped SHIPPED without an enum default: exactly the SHIPPED records fail
shipped1=$(jq -s '[.[] | select(.status == "SHIPPED")] | length' "$tmp/v1.jsonl")
shipped2=$(jq -s '[.[] | select(.status == "SHIPPED")] | length' "$tmp/v2.jsonl")
run krt schema check-topic "$topic" --reader "$tmp/v3bad.avsc" --registry "$R" --json --max-failures 1000
eq "check-topic: an incompatible v3 exits 1" "$rc" 1
eq "check-topic: exactly the records with the removed symbol fail, per writer id" \
    "$(jq -c '[.writers[] | [.schema_id, .failed]] | sort' <<<"$out")" "[[$id1,$shipped1],[$id2,$shipped2]]"
contains "check-topic: the reason names the enum symbol" "$(jq -r '.writers[0].first_failures[0].reason' <<<"$out")" \
    "symbol SHIPPED is not in the reader's symbols"
# the failing offsets are those of SHIPPED records: read them back with kcat
nfail=$(jq '[.writers[].first_failures[]] | length' <<<"$out")
eq "check-topic: every failing offset is listed" "$nfail" "$((shipped1 + shipped2))"
# a record with magic byte 1, one with an unknown id, and a tombstone
{ frames frames "$tmp/v1.avsc" "$id1" 1 13 1; frames frames "$tmp/v1.avsc" 987654 1 14
  frames null; } | produce_frames "$topic" 1 || bail "cannot produce the odd records"
run krt schema check-topic "$topic" --reader "$tmp/v3ok.avsc" --registry "$R" --json
eq "check-topic: odd records are reported, not crashed on (exit 1)" "$rc" 1
eq "check-topic: magic byte 1 is named with its offset" \
    "$(jq -r '.writers[] | select(.kind == "not-wire-format") | .first_failures[0] | "\(.partition) \(.offset) \(.reason)"' <<<"$out")" \
    "0 $(( (60 + 45 + 2) / 3 )) magic byte 1, not 0: not the Confluent wire format"
contains "check-topic: an unknown schema id is reported" \
    "$(jq -r '.writers[] | select(.schema_id == 987654) | "\(.failed) \(.first_failures[0].reason)"' <<<"$out")" "1 registry at"
eq "check-topic: the tombstone is counted apart" "$(jq .null_values <<<"$out")" 1
run krt schema check-topic "$topic" --reader "$tmp/v3ok.avsc" --registry "$R" --sample 5 --json
eq "check-topic --sample 5 reads 5 records per partition" "$(jq .records <<<"$out")" 15
# raw Avro values, no registry: --writer
raw=$(topic_name schema-raw)
create_topic "$raw" 1 1
frames frames "$tmp/v1.avsc" -1 25 15 | produce_frames "$raw" 1 || bail "cannot produce raw records"
run krt schema check-topic "$raw" --reader "$tmp/v3ok.avsc" --writer "$tmp/v1.avsc" --json
eq "check-topic --writer: raw Avro values decode" "$rc $(jq -c '[.decoded, .failed]' <<<"$out")" "0 [25,0]"
run krt schema check-topic "$raw" --reader "$tmp/v3bad.avsc" --writer "$tmp/v2.avsc" --json
eq "check-topic --writer with the wrong writer schema fails records" "$rc" 1
# --from/--to: a first batch, a time T strictly after it, a second batch after T
sleep 2
T=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1.2
frames frames "$tmp/v1.avsc" -1 10 16 | produce_frames "$raw" 1 || bail "cannot produce raw records"
run krt schema check-topic "$raw" --reader "$tmp/v3ok.avsc" --writer "$tmp/v1.avsc" --json --from "$T"
eq "check-topic --from T reads only the records produced after T" "$rc $(jq .records <<<"$out")" "0 10"
run krt schema check-topic "$raw" --reader "$tmp/v3ok.avsc" --writer "$tmp/v1.avsc" --json --to "$T"
eq "check-topic --to T reads only the records produced before T" "$rc $(jq .records <<<"$out")" "0 25"
run krt schema check-topic no-such-topic-$$ --reader "$tmp/v3ok.avsc" --writer "$tmp/v1.avsc"
eq "check-topic of an unknown topic exits 2" "$rc" 2

# --- bad input ---------------------------------------------------------------
printf '{"type":"record",\n "name":"R" "fields":[]}' >"$tmp/malformed.avsc"
run krt schema check "$tmp/malformed.avsc" "$corpus/identical.new.avsc"
eq "malformed schema JSON exits 2" "$rc" 2
contains "malformed schema JSON names path:line" "$err" "$tmp/malformed.avsc:2:"
printf '{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"notanint"}]}' \
    >"$tmp/baddefault.avsc"
run krt schema check "$corpus/identical.old.avsc" "$tmp/baddefault.avsc"
eq "a default of the wrong type exits 2" "$rc" 2
contains "a default of the wrong type names its JSON path" "$err" "/fields/0/default: field 'a'"
run krt schema check "$tmp/no-such.avsc" "$corpus/identical.new.avsc"
eq "a missing schema file exits 2" "$rc" 2
run krt schema check --level SIDEWAYS "$corpus/identical.old.avsc" "$corpus/identical.new.avsc"
eq "an unknown level exits 2" "$rc" 2

# an unreachable registry, within --timeout
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$SECONDS
run krt schema check --timeout 2s --registry "http://127.0.0.1:$port" --subject s "$corpus/identical.new.avsc"
eq "an unreachable registry exits 3" "$rc" 3
contains "an unreachable registry is named" "$err" "cannot reach the registry at 'http://127.0.0.1:$port'"
((SECONDS - t0 <= 20)) && ok "an unreachable registry fails within the timeout" \
    || not_ok "an unreachable registry fails within the timeout" "took $((SECONDS - t0))s"
# a registry that answers 401: clear error, the password never printed
printf 'basic.auth.user.info=alice:Pa55-s3cret-word\n' >"$tmp/registry.properties"
python3 "$src/tests/helpers/http_status.py" 401 "$tmp/401.log" >"$tmp/401.port" &
srv=$!
for _ in $(seq 1 50); do [[ -s $tmp/401.port ]] && break; sleep 0.1; done
run krt schema register --execute --registry "http://127.0.0.1:$(cat "$tmp/401.port")" \
    --registry-config "$tmp/registry.properties" --subject s "$corpus/identical.new.avsc"
kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
eq "a registry answering 401 exits 3" "$rc" 3
contains "401 says the credentials were refused" "$err" "refused the request (HTTP 401: check the credentials)"
lacks "the password is never printed" "$out $err" "Pa55-s3cret-word"
contains "the credentials were sent (basic auth)" "$(cat "$tmp/401.log")" "auth=Basic "
lacks "nothing was registered (no POST reached the registry)" "$(cat "$tmp/401.log")" "POST"
printf 'basic.auth.user.info=alice:x\nsasl.mechanism=PLAIN\n' >"$tmp/bad.properties"
run krt schema check --registry "http://127.0.0.1:$port" --registry-config "$tmp/bad.properties" \
    --subject s "$corpus/identical.new.avsc"
eq "an unknown registry setting exits 2 before any request" "$rc" 2
contains "an unknown registry setting names file and line" "$err" "bad.properties:2: unknown registry setting 'sasl.mechanism'"

done_testing
