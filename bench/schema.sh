#!/usr/bin/env bash
# Benchmark: krt-schema check-topic on RECORDS records of a realistic schema
#   (22 fields, a nested record, an array of records, a map, unions, enums;
#   about 300 bytes per value, Confluent wire format, 6 partitions), read
#   with an evolved reader schema (promotions and defaults), side by side with
#   - the plain consume rate of the same topic: Kafka's ConsumerPerformance
#     (kafka-consumer-perf-test), its own reported rate and its wall rate;
#   - fastavro decoding the same bytes with the same writer and reader schemas
#     in one Python process (values in memory, decode time only).
#   Reports each run, medians, ratios and krt's peak RSS (/usr/bin/time).
#   Goals: >= 0.8 of the plain consume rate, >= 3x fastavro, RSS < 100 MB.
#   The values are a pool of 20,000 distinct records repeated up to RECORDS;
#   fastavro's rate is measured on the first 200,000 at most.
#   bench/schema.sh [RECORDS] [RUNS]     (default 1000000 records, 3 runs)
# KRT_BENCH_AB=PATH: another krt-schema binary (an older build) run right
#   before this build's in every run, for before/after figures from the same
#   machine state; each line shows the load average (1 min) of its moment.
# The registry: scripts/schema-registry, started here unless
# KRT_BENCH_REGISTRY names one.
. "$(dirname "$0")/lib.sh"
n=${1:-1000000}
runs=${2:-3}
T=bench-schema-$$
if [[ -n ${KRT_BENCH_REGISTRY:-} ]]; then
    R=$KRT_BENCH_REGISTRY
else
    export KRT_REGISTRY_DIR="$repo/.registry-bench"
    trap 'scripts/schema-registry down >/dev/null 2>&1; bench_cleanup' EXIT
    R=$(scripts/schema-registry start)
fi
cc -O2 -o "$work/produce_frames" tests/helpers/produce_frames.c $(pkg-config --cflags --libs rdkafka)

cat >"$work/writer.avsc" <<'JSON'
{"type": "record", "name": "Order", "namespace": "shop", "fields": [
 {"name": "order_id", "type": "long"},
 {"name": "customer_id", "type": "long"},
 {"name": "created_at", "type": "long"},
 {"name": "updated_at", "type": ["null", "long"]},
 {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "PACKED", "SHIPPED", "DELIVERED", "RETURNED"]}},
 {"name": "channel", "type": {"type": "enum", "name": "Channel", "symbols": ["WEB", "APP", "STORE", "PHONE"]}},
 {"name": "currency", "type": "string"},
 {"name": "subtotal", "type": "int"},
 {"name": "tax", "type": "int"},
 {"name": "shipping_fee", "type": "int"},
 {"name": "total", "type": "long"},
 {"name": "coupon", "type": ["null", "string"]},
 {"name": "gift", "type": "boolean"},
 {"name": "weight_kg", "type": "float"},
 {"name": "score", "type": "double"},
 {"name": "ship_to", "type": {"type": "record", "name": "Address", "fields": [
   {"name": "name", "type": "string"}, {"name": "street", "type": "string"},
   {"name": "city", "type": "string"}, {"name": "zip", "type": "string"},
   {"name": "country", "type": "string"}]}},
 {"name": "bill_to", "type": ["null", "Address"]},
 {"name": "lines", "type": {"type": "array", "items": {"type": "record", "name": "Line", "fields": [
   {"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}, {"name": "price", "type": "int"}]}}},
 {"name": "tags", "type": {"type": "map", "values": "string"}},
 {"name": "warehouse", "type": "int"},
 {"name": "carrier", "type": ["null", "string"]},
 {"name": "checksum", "type": {"type": "fixed", "name": "Md5", "size": 16}}
]}
JSON
# the reader a consumer deploys: promotions, a new field with a default
python3 - "$work/writer.avsc" "$work/reader.avsc" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for f in s["fields"]:
    if f["name"] in ("subtotal", "tax", "shipping_fee"):
        f["type"] = "long"
    if f["name"] == "weight_kg":
        f["type"] = "double"
s["fields"].append({"name": "discount", "type": "long", "default": 0})
s["fields"].append({"name": "source", "type": ["null", "string"], "default": None})
json.dump(s, open(sys.argv[2], "w"))
PY
kcli kafka-topics --bootstrap-server "$B" --create --topic "$T" --partitions 6 --replication-factor 1 >/dev/null
id=$(python3 tests/helpers/confluent_frames.py register "$R" "$T-value" "$work/writer.avsc")
# fastavro writes a pool of distinct records (generating 1,000,000 random
# records in Python took over half an hour on the loaded 2-core machine);
# the pool is repeated up to RECORDS: every record is decoded in full anyway
pool=$((n < 20000 ? n : 20000))
echo "generating $pool distinct records (fastavro), repeated to $n, and producing them to $T..."
python3 tests/helpers/confluent_frames.py frames "$work/writer.avsc" "$id" "$pool" 1 >"$work/pool"
python3 - "$work/pool" "$work/frames" "$n" "$pool" <<'PY'
import sys
pool = open(sys.argv[1], "rb").read()
n, p = int(sys.argv[3]), int(sys.argv[4])
with open(sys.argv[2], "wb") as f:
    for _ in range(n // p):
        f.write(pool)
    # the remainder: the first n % p frames of the pool
    off = 0
    for _ in range(n % p):
        off += 4 + int.from_bytes(pool[off:off + 4], "big")
    f.write(pool[:off])
PY
"$work/produce_frames" "$B" "$T" 6 <"$work/frames"
avg=$(python3 -c "import os; print(round((os.path.getsize('$work/frames') - 4 * $n) / $n))")
echo "$n records, $avg bytes per value on average"

perf_cp=$(scripts/kafka-cluster classpath)
consume_perf() { # prints "WALL_MS REPORTED_MSG_PER_S"
    local t0 t1
    t0=$(date +%s%N)
    java -Xmx512m -Dlog4j.configuration="file:$repo/scripts/kafka/log4j-tools.properties" -cp "$perf_cp" \
        org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$B" --topic "$T" \
        --messages "$n" --group "bench-schema-$$-$RANDOM" --timeout 60000 >"$work/cpt.log" 2>&1 \
        || { echo "bench: ConsumerPerformance failed" >&2; cat "$work/cpt.log" >&2; exit 1; }
    t1=$(date +%s%N)
    local rate
    rate=$(consumer_perf_rate "$work/cpt.log" "$n")
    echo "$(((t1 - t0) / 1000000)) $rate"
}
krt_run() { # [BINARY] prints "WALL_MS PEAK_RSS_KB"
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/rss" "${1:-build/tools/krt-schema}" check-topic "$T" \
        --reader "$work/reader.avsc" --registry "$R" --json >"$work/krt.json"
    t1=$(date +%s%N)
    [[ $(jq .decoded "$work/krt.json") == "$n" ]] || { echo "bench: krt decoded $(jq .decoded "$work/krt.json") of $n" >&2; exit 1; }
    echo "$(((t1 - t0) / 1000000)) $(cat "$work/rss")"
}
fastavro_run() { # prints records/s of decoding only (the first 200,000 values at most: a rate)
    python3 - "$work/frames" "$work/writer.avsc" "$work/reader.avsc" <<'PY'
import io, json, struct, sys, time
import fastavro
data = open(sys.argv[1], "rb").read()
w = fastavro.parse_schema(json.load(open(sys.argv[2])))
r = fastavro.parse_schema(json.load(open(sys.argv[3])))
vals, off = [], 0
while off < len(data) and len(vals) < 200000:
    (n,) = struct.unpack(">I", data[off:off + 4]); off += 4
    vals.append(data[off + 5:off + n]); off += n
t0 = time.perf_counter()
for v in vals:
    fastavro.schemaless_reader(io.BytesIO(v), w, r)
print(round(len(vals) / (time.perf_counter() - t0)))
PY
}
rate() { awk -v n="$n" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
load() { cut -d' ' -f1 /proc/loadavg; }
k=() kr=() cw=() cr=() fa=() ak=() akr=()
for ((i = 1; i <= runs; i++)); do
    if [[ -n ${KRT_BENCH_AB:-} ]]; then
        l=$(load)
        read -r ms rss < <(krt_run "$KRT_BENCH_AB")
        ak+=("$(rate "$ms")"); akr+=("$rss")
        echo "run $i: $KRT_BENCH_AB ${ak[-1]}/s (RSS $rss KB, load $l)"
    fi
    l=$(load)
    read -r ms rss < <(krt_run)
    k+=("$(rate "$ms")"); kr+=("$rss")
    read -r ms rep < <(consume_perf)
    cw+=("$(rate "$ms")"); cr+=("$rep")
    fa+=("$(fastavro_run)")
    echo "run $i: krt ${k[-1]}/s (RSS ${kr[-1]} KB, load $l), consumer-perf ${cr[-1]}/s reported, ${cw[-1]}/s wall, fastavro ${fa[-1]}/s"
done
med() { printf '%s\n' "$@" | median; }
K=$(med "${k[@]}") CR=$(med "${cr[@]}") CW=$(med "${cw[@]}") FA=$(med "${fa[@]}") RSS=$(printf '%s\n' "${kr[@]}" | sort -n | tail -1)
echo "check-topic, $n records of ~$avg bytes, median of $runs runs (records/s):"
printf '  %-48s %10s\n' "krt-schema check-topic (wall, incl. start-up)" "$K" \
    "ConsumerPerformance (its reported rate)" "$CR" "ConsumerPerformance (wall, incl. JVM start)" "$CW" \
    "fastavro schemaless_reader (decode only)" "$FA"
awk -v k="$K" -v cr="$CR" -v cw="$CW" -v fa="$FA" 'BEGIN {
    printf "  krt / plain consume: %.2f (reported rate), %.2f (wall)\n", k / cr, k / cw
    printf "  krt / fastavro: %.1fx\n", k / fa }'
echo "  krt peak RSS: $((RSS / 1024)) MB (max of the runs)"
if [[ -n ${KRT_BENCH_AB:-} ]]; then
    AK=$(med "${ak[@]}") ARSS=$(printf '%s\n' "${akr[@]}" | sort -n | tail -1)
    echo "  $KRT_BENCH_AB: $AK records/s (median), peak RSS $((ARSS / 1024)) MB;" \
        "this build / that one: $(awk -v k="$K" -v a="$AK" 'BEGIN { printf "%.2f", k / a }')"
fi
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$T" >/dev/null 2>&1 || true
