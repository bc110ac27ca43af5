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

# --- the reader union's branch for a promoted writer type, against fastavro ---
# Avro's specification: the first reader branch the writer's type matches
# (promotions included); fastavro does exactly that. Java's Avro (and krt)
# first look for a branch of the writer's very type, then the first
# promotion. Where the reader has no exact branch both rules pick the same.
printf '"int"' >"$tmp/int.avsc"
python3 -c 'import fastavro,io,sys
b=io.BytesIO()
for v in (5, -7, 123456): fastavro.schemaless_writer(b, "int", v)
sys.stdout.buffer.write(b.getvalue())' >"$tmp/ints.bin"
for rs in '["null","long","double"]' '["float","long"]' '["null","string","double"]' '["null","double","int"]'; do
    printf '%s' "$rs" >"$tmp/union-reader.avsc"
    krt schema decode --writer "$tmp/int.avsc" --reader "$tmp/union-reader.avsc" "$tmp/ints.bin" \
        >"$tmp/union-krt.jsonl" 2>"$tmp/err"
    python3 -c 'import fastavro,io,json,sys
r=json.load(open(sys.argv[2])); b=io.BytesIO(open(sys.argv[1],"rb").read())
n=len(b.getvalue())
while b.tell() < n: print(json.dumps(fastavro.schemaless_reader(b, "int", r)))' \
        "$tmp/ints.bin" "$tmp/union-reader.avsc" >"$tmp/union-fa.jsonl"
    if [[ $rs == *'"int"'* ]]; then
        # an exact branch after a promotable one: the one case the rules differ
        eq "union $rs: krt reads the writer's int as int (Java's exact branch first)" \
            "$(paste -sd' ' "$tmp/union-krt.jsonl")" "5 -7 123456"
        eq "union $rs: fastavro (the spec's first match) promotes to double: the documented difference" \
            "$(paste -sd' ' "$tmp/union-fa.jsonl")" "5.0 -7.0 123456.0"
    else
        eq "union $rs: krt picks fastavro's branch (same JSON)" \
            "$(paste -sd' ' "$tmp/union-krt.jsonl")" "$(paste -sd' ' "$tmp/union-fa.jsonl")"
    fi
done

# --- a repeated map key: the last value kept, counted; fastavro agrees -------
printf '{"type":"map","values":"int"}' >"$tmp/map.avsc"
printf '\x04\x02a\x02\x02a\x04\x00' >"$tmp/twice.bin"
run krt schema decode --writer "$tmp/map.avsc" "$tmp/twice.bin"
eq "repeated map key: decoded, the last value kept" "$rc $out" '0 {"a":2}'
contains "repeated map key: reported" "$err" "1 repeated map key(s): the last value kept"
eq "repeated map key: fastavro keeps the last value too" \
    "$(python3 -c 'import fastavro,io,json,sys; print(json.dumps(fastavro.schemaless_reader(io.BytesIO(open(sys.argv[1],"rb").read()), {"type":"map","values":"int"})))' "$tmp/twice.bin" | jq -c .)" \
    "$out"

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

# the registered version is the registry's answer, not "the newest version":
# registering again a text the subject already holds (here its version 1)
# adds no version, and the newest one is another schema
curl -sf -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility":"NONE"}' "$R/config/$sub-value" >/dev/null || bail "cannot set the level"
versions_now=$(curl -sf "$R/subjects/$sub-value/versions")
run krt schema register --json --registry "$R" --plan-file "$tmp/again-plan.json" \
    --subject "$sub-value" "$o.old.avsc" --execute
lookup=$(curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data "$(jq -n --rawfile s "$o.old.avsc" '{schema: $s}')" "$R/subjects/$sub-value")
eq "register again: exit 0, the version and id the registry's lookup gives" \
    "$rc $(jq -c '[.registry.registered.version, .registry.registered.id]' <<<"$out")" \
    "0 $(jq -c '[.version, .id]' <<<"$lookup")"
eq "register again: no version was added" "$(curl -sf "$R/subjects/$sub-value/versions")" "$versions_now"
eq "register again: the plan's undo deletes nothing (that version existed before)" \
    "$(jq -c '[.undo, .already_registered]' "$tmp/again-plan.json")" \
    "[\"none: version $(jq -r .version <<<"$lookup") was registered before this run (nothing was added)\",true]"

# the plan's undo is exact before the request: the test hook
# KRT_TEST_REGISTER_STOP stops krt right after the plan is written (fsynced)
run env KRT_TEST_REGISTER_STOP=1 "$build/tools/krt-schema" register --registry "$R" \
    --plan-file "$tmp/stop-again.json" --subject "$sub-value" "$o.old.avsc" --execute
eq "register, stopped before the request: a text held already has the undo 'none' from the start" \
    "$(jq -c '[.undo, .already_registered]' "$tmp/stop-again.json")" \
    "[\"none: version $(jq -r .version <<<"$lookup") was registered before this run (nothing was added)\",true]"
printf '{"type":"record","name":"Fresh%s","fields":[{"name":"a","type":"int"}]}' "$$" >"$tmp/fresh.avsc"
run env KRT_TEST_REGISTER_STOP=1 "$build/tools/krt-schema" register --registry "$R" \
    --plan-file "$tmp/stop-fresh.json" --subject "$sub-value" "$tmp/fresh.avsc" --execute
eq "register, stopped before the request: nothing registered" \
    "$(curl -sf "$R/subjects/$sub-value/versions")" "$versions_now"
eq "register, stopped before the request: a new text's undo deletes the version the registry answers for it" \
    "$(jq -c '[.undo, .already_registered]' "$tmp/stop-fresh.json")" \
    "[\"DELETE /subjects/$sub-value/versions/V (soft delete), V being the version POST /subjects/$sub-value answers for this schema\",false]"
run krt schema register --json --registry "$R" --plan-file "$tmp/fresh-plan.json" \
    --subject "$sub-value" "$tmp/fresh.avsc" --execute
lookup=$(curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data "$(jq -n --rawfile s "$tmp/fresh.avsc" '{schema: $s}')" "$R/subjects/$sub-value")
eq "register a new text: the plan's undo names the version the registry's lookup gives" \
    "$rc $(jq -c '[.undo, .already_registered]' "$tmp/fresh-plan.json")" \
    "0 [\"DELETE /subjects/$sub-value/versions/$(jq -r .version <<<"$lookup") (soft delete)\",false]"

# --- FORWARD: the registry's old versions read data written with the new ----
# An enum default that is no symbol: Java's parser (the registry's) accepts
# it, Apicurio's check calls the change compatible, and Java's own reader
# fails on the new data (the oracle: Avro's GenericDatumReader, from the jar
# the registry runs). The old schema is the reader: its default must be
# valid by the specification's rules, as in the offline check.
avro_jars=$(find "$HOME/.cache/krt" -path "*apicurio-$(cat "$KRT_REGISTRY_DIR/version")/*" \
    \( -name 'org.apache.avro.avro-1*.jar' -o -name '*jackson-core-2*.jar' \
    -o -name '*jackson-databind-2*.jar' -o -name '*jackson-annotations-2*.jar' \
    -o -name '*slf4j-api*.jar' \) 2>/dev/null | paste -sd:)
[[ $avro_jars == *avro-1* ]] || bail "Java's Avro jar (the oracle) not found under ~/.cache/krt"
avro_java() { java -cp "$avro_jars" "$src/tests/helpers/AvroResolve.java" "$@" 2>/dev/null; }
fsub="$sub-fwd"
printf '{"type":"record","name":"F","fields":[{"name":"a","type":"int"},{"name":"b","type":{"type":"enum","name":"E","symbols":["A"]},"default":"ZZ"}]}' >"$tmp/fwd-old.avsc"
printf '{"type":"record","name":"F","fields":[{"name":"a","type":"int"}]}' >"$tmp/fwd-new.avsc"
printf '{"type":"record","name":"F","fields":[{"name":"a","type":"int"},{"name":"b","type":{"type":"enum","name":"E","symbols":["A"]},"default":"A"}]}' >"$tmp/fwd-good.avsc"
curl -sf -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data "$(jq -n --rawfile s "$tmp/fwd-old.avsc" '{schema: $s}')" "$R/subjects/$fsub/versions" >/dev/null \
    || bail "cannot register the FORWARD case's old schema"
curl -sf -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    -d '{"compatibility":"FORWARD"}' "$R/config/$fsub" >/dev/null || bail "cannot set the level"
run avro_java "$tmp/fwd-new.avsc" "$tmp/fwd-old.avsc"
eq "oracle: Java's Avro reader with the old schema fails on the new data" "$rc $out" \
    "1 fails enum value 'ZZ' is not in the enum symbol set: [A]"
run avro_java "$tmp/fwd-new.avsc" "$tmp/fwd-good.avsc"
eq "oracle: with a valid enum default it reads" "$rc $out" '0 read {"a": 1, "b": "A"}'
run krt schema check --json --registry "$R" --subject "$fsub" "$tmp/fwd-new.avsc"
eq "FORWARD against the registry: krt incompatible (exit 1) where the registry says compatible" \
    "$rc $(jq -c '[.level, .compatible, .registry.compatible, .registry.disagreement]' <<<"$out")" \
    '1 ["FORWARD",false,true,true]'
contains "FORWARD: the reason names the old schema's field and its default" \
    "$(jq -r '.reasons[] | .direction + " " + .path + " " + .field + ": " + .message' <<<"$out")" \
    "old reads new /fields/1 b: removed, and the old schema's default for it is not valid: default must be a symbol of enum 'E'"
run krt schema check --json --level FULL_TRANSITIVE --registry "$R" --subject "$fsub" "$tmp/fwd-new.avsc"
eq "FULL_TRANSITIVE against the registry: the same reason" \
    "$rc $(jq -c '[.reasons[] | [.direction, .field]]' <<<"$out")" '1 [["old reads new","b"]]'
run krt schema check --json --level BACKWARD --registry "$R" --subject "$fsub" "$tmp/fwd-new.avsc"
eq "BACKWARD (the new schema reads): no reason" "$(jq -c '.reasons' <<<"$out")" '[]'

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

# --- registry schemas with references and Java's looser defaults -----------
# Addr has defaults Java accepts and the specification does not (a bytes
# default outside U+0000-U+00FF, a union default of its second branch); Cust
# uses Addr through a schema reference. Records of Cust (written by fastavro
# with Addr inlined: the same bytes) decode with a self-contained reader.
asub="$topic-addr" csub="$topic-cust"
A='{"type":"record","name":"Addr","namespace":"shop","fields":[{"name":"city","type":"string"},{"name":"raw","type":"bytes","default":"\u20ac"},{"name":"tag","type":["null","string"],"default":"x"}]}'
C='{"type":"record","name":"Cust","namespace":"shop","fields":[{"name":"id","type":"long"},{"name":"home","type":"Addr"}]}'
H='Content-Type: application/vnd.schemaregistry.v1+json'
curl -sf -X POST -H "$H" --data "$(jq -n --arg s "$A" '{schema: $s}')" "$R/subjects/$asub/versions" >/dev/null \
    || bail "cannot register Addr"
cid=$(curl -sf -X POST -H "$H" --data "$(jq -n --arg s "$C" --arg sub "$asub" \
    '{schema: $s, references: [{name: "shop.Addr", subject: $sub, version: 1}]}')" \
    "$R/subjects/$csub/versions" | jq -r .id) || bail "cannot register Cust with its reference"
eq "the registry answers Cust's id with its reference" \
    "$(curl -sf "$R/schemas/ids/$cid" | jq -c '[.references[].subject]')" "[\"$asub\"]"
cat >"$tmp/cust-inline.avsc" <<'JSON'
{"type":"record","name":"Cust","namespace":"shop","fields":[{"name":"id","type":"long"},
 {"name":"home","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"},
  {"name":"raw","type":"bytes"},{"name":"tag","type":["null","string"]}]}}]}
JSON
cat >"$tmp/cust-reader.avsc" <<'JSON'
{"type":"record","name":"Cust","namespace":"shop","fields":[{"name":"id","type":"long"},
 {"name":"home","type":{"type":"record","name":"Addr","fields":[{"name":"city","type":"string"},
  {"name":"raw","type":"bytes","default":""},{"name":"tag","type":["null","string"],"default":null}]}},
 {"name":"vip","type":"boolean","default":false}]}
JSON
reft=$(topic_name schema-refs)
create_topic "$reft" 1 1
frames frames "$tmp/cust-inline.avsc" "$cid" 20 17 | produce_frames "$reft" 1 || bail "cannot produce Cust records"
run krt schema check-topic "$reft" --reader "$tmp/cust-reader.avsc" --registry "$R" --json
eq "check-topic: a writer schema with a reference and Java-only defaults decodes (exit 0)" \
    "$rc $(jq -c '[.writers[] | [.schema_id, .decoded, .failed, .schema_error]]' <<<"$out")" "0 [[$cid,20,0,null]]"
# check --registry against a version with references: Apicurio 3.3.3 answers
# HTTP 422 (asked directly here, the oracle); krt gives its own verdict beside
# "registry could not check", exits 1 (a warning) and registers nothing
curl -sf -X PUT -H "$H" -d '{"compatibility":"BACKWARD"}' "$R/config/$csub" >/dev/null \
    || bail "cannot set the level of $csub"
eq "the registry cannot check against a version with references (HTTP 422)" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "$H" \
        --data "$(jq -n --rawfile s "$tmp/cust-reader.avsc" '{schema: $s}')" \
        "$R/compatibility/subjects/$csub/versions/latest")" 422
run krt schema check --json --registry "$R" --subject "$csub" "$tmp/cust-reader.avsc"
eq "check --registry, registry could not check: exit 1, krt's verdict compatible" \
    "$rc $(jq -c '[.compatible, .registry.compatible, .registry.could_not_check, .registry.disagreement]' <<<"$out")" \
    "1 [true,null,true,false]"
contains "check --registry: the registry's answer is reported" \
    "$(jq -r '.registry.checks[0].could_not_check' <<<"$out")" "HTTP 422"
run krt schema check --registry "$R" --subject "$csub" "$tmp/cust-reader.avsc"
contains "check --registry, table: registry could not check" "$out" \
    "against latest: registry could not check: HTTP 422"
cvers=$(curl -sf "$R/subjects/$csub/versions")
run krt schema register --registry "$R" --subject "$csub" --plan-file "$tmp/cust-plan.json" \
    "$tmp/cust-reader.avsc" --execute
eq "register when the registry could not check: refused (exit 4), nothing registered" \
    "$rc $(curl -sf "$R/subjects/$csub/versions")" "4 $cvers"
cp "$tmp/cust-reader.avsc" "$tmp/cust-bad.avsc"
sed -i 's/"name":"id","type":"long"/"name":"id","type":"int"/' "$tmp/cust-bad.avsc"
run krt schema check --json --registry "$R" --subject "$csub" "$tmp/cust-bad.avsc"
eq "registry could not check, krt incompatible: exit 1, krt's reason" \
    "$rc $(jq -c '[.compatible, .registry.could_not_check, [.reasons[].field]]' <<<"$out")" \
    '1 [false,true,["id"]]'
# the repeated map key is counted by check-topic too
mapt=$(topic_name schema-map)
create_topic "$mapt" 1 1
{ printf '\x00\x00\x00\x08'; cat "$tmp/twice.bin"; } | produce_frames "$mapt" 1 || bail "cannot produce the map record"
run krt schema check-topic "$mapt" --reader "$tmp/map.avsc" --writer "$tmp/map.avsc" --json
eq "check-topic: a repeated map key decodes and is counted" \
    "$rc $(jq -c '.writers[0] | [.decoded, .repeated_map_keys, .records_with_repeated_map_keys]' <<<"$out")" "0 [1,1,1]"

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

# a registry that never answers, within --timeout: a listening socket that
# accepts the connection and then stays silent (a closed port fails at once
# and would not test the timeout at all)
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
held = []
s.settimeout(1)
end = time.time() + 60
while time.time() < end:
    try:
        c, _ = s.accept(); held.append(c)
        open(sys.argv[1], "a").write("accepted\n")
    except socket.timeout:
        pass
' "$tmp/silent.log" >"$tmp/silent.port" &
silent=$!
for _ in $(seq 1 50); do [[ -s $tmp/silent.port ]] && break; sleep 0.1; done
port=$(cat "$tmp/silent.port")
t0=$(date +%s%N)
run krt schema check --timeout 2s --registry "http://127.0.0.1:$port" --subject s "$corpus/identical.new.avsc"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$silent" 2>/dev/null; wait "$silent" 2>/dev/null
eq "a silent registry exits 3" "$rc" 3
contains "a silent registry is named" "$err" "cannot reach the registry at 'http://127.0.0.1:$port'"
contains "the silent registry accepted the connection (the timeout, not a refusal, ended it)" \
    "$(cat "$tmp/silent.log" 2>/dev/null)" "accepted"
((ms >= 1500 && ms <= 20000)) && ok "a silent registry fails after the 2 s timeout (${ms} ms)" \
    || not_ok "a silent registry fails after the 2 s timeout" "took ${ms} ms"
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
