# drill schema-transition: a field added under live data, stage by stage.
# Runbook: docs/runbooks/change-a-schema-under-live-data.md
# The application (scenarios/schema_app.py: confluent-kafka + fastavro, in
# Confluent's wire format against a real registry, Apicurio) runs through the
# recipe's three stages: old producers and consumers (v1); consumers upgraded
# to v2, which adds 'currency' with a default, reading old and new data;
# producers upgraded to v2. Each step is gated by krt-schema (offline, against
# the registry, against the records in the topic), and one consumer process
# switches its reader schema between the stages: it must see no error.
# Negative gate: a v3 that drops the default is compatible with the latest
# version (the registry says yes at BACKWARD) but cannot read the v1 records
# still in the topic: check-topic must refuse it, naming v1's id.
# The registry is the drill's own, started and always torn down here.

sr() { KRT_REGISTRY_DIR="$repo/.registry-scenario" "$repo/scripts/schema-registry" "$@"; }

# st_wait_consumed OUT N SECS: until the consumer has written N record rows
st_wait_consumed() {
    local t0=$SECONDS n
    while :; do
        n=$(grep -c '"offset"' "$1" 2>/dev/null || true)
        ((${n:-0} >= $2)) && return 0
        ((SECONDS - t0 < $3)) || { say "drill: the consumer read ${n:-0} of $2 records in ${3}s"; return 1; }
        sleep 0.5
    done
}

st_wait_switch() { # st_wait_switch OUT READER SECS: the consumer says it switched
    local t0=$SECONDS
    until grep -q "\"switched_to\": \"$2\"" "$1" 2>/dev/null; do
        ((SECONDS - t0 < $3)) || return 1
        sleep 0.2
    done
}

st_schemas() { # v1, v2 (+currency, default), v3bad (currency without default)
    local d=$1
    cat >"$d/order-v1.avsc" <<'JSON'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"customer","type":"string"},
 {"name":"amount","type":"double"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}}]}
JSON
    cat >"$d/order-v2.avsc" <<'JSON'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"customer","type":"string"},
 {"name":"amount","type":"double"},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID","SHIPPED"]}},
 {"name":"currency","type":"string","default":"EUR"}]}
JSON
    sed 's/,"default":"EUR"//' "$d/order-v2.avsc" >"$d/order-v3-nodefault.avsc"
}

drill_schema_transition() {
    local t sub R ok=1 why=() n1 n2 n3 d="$work/schema" app="$here/schema_app.py"
    local id1 id2 t0 rto cpid wait_s=$((120 + records / 1000))
    mkdir -p "$d"
    t=$(drill_name schema); sub="$t-value"
    n1=$((records / 3)); n2=$((records / 3)); n3=$((records - n1 - n2))
    st_schemas "$d"

    step "the drill's schema registry (scripts/schema-registry, Apicurio)"
    sr down >/dev/null 2>&1 || true
    trap 'sr down >/dev/null 2>&1 || true' EXIT
    R=$(sr start) || { say "drill: the schema registry did not start"; return 1; }
    say "   registry at $R"
    create_topic "$t" 3 3 --config min.insync.replicas=2
    curl -sf -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
        -d '{"compatibility":"BACKWARD"}' "$R/config/$sub" >/dev/null \
        || { say "drill: cannot set the subject's level"; return 1; }

    step "stage 1: old producers and consumers (v1)"
    echo "$d/order-v1.avsc" >"$d/control"
    say "\$ schema_app.py consume ... (the application's consumer, reader v1, runs through every stage)"
    # a deadline, and not on meson's stdout: a drill that stops early must not
    # leave a consumer that holds the test's output open until its timeout
    timeout 900 python3 "$app" consume "$B" "$R" "$t" "drill-app-$$" "$d/control" "$d/consumed.jsonl" \
        >/dev/null 2>"$d/consumer.err" &
    cpid=$!
    trap 'kill "$cpid" 2>/dev/null; sr down >/dev/null 2>&1 || true' EXIT
    rb python3 "$app" produce "$B" "$R" "$sub" "$t" "$d/order-v1.avsc" "$n1" s1 "$d/acked1.jsonl" --auto-register
    id1=$(jq -r .schema_id <<<"$rb_out")
    st_wait_consumed "$d/consumed.jsonl" "$n1" "$wait_s" || { ok=0; why+=("stage 1: the consumer fell behind"); }

    step "gate for stage 2 (runbook steps 1-3): offline, against the registry, against the topic"
    t0=$(now_ms)
    rb "$(krt_path schema)" check "$d/order-v1.avsc" "$d/order-v2.avsc"
    ((rb_rc == 0)) || { ok=0; why+=("offline check v1->v2: exit $rb_rc"); }
    rb "$(krt_path schema)" check --registry "$R" --subject "$sub" "$d/order-v2.avsc"
    ((rb_rc == 0)) || { ok=0; why+=("registry check v2: exit $rb_rc"); }
    rb "$(krt_path schema)" check-topic "$t" --reader "$d/order-v2.avsc" --registry "$R" --json
    local ct1="$rb_out"
    ((rb_rc == 0)) || { ok=0; why+=("check-topic v2 before the switch: exit $rb_rc"); }
    [[ $(jq -c '[.decoded, .failed]' <<<"$ct1" 2>/dev/null) == "[$n1,0]" ]] \
        || { ok=0; why+=("check-topic v2 decoded $(jq -c '[.decoded, .failed]' <<<"$ct1" 2>/dev/null), expected [$n1,0]"); }

    step "stage 2 (runbook step 5, consumers first): consumers upgraded to v2; producers still write v1"
    echo "$d/order-v2.avsc" >"$d/control"
    st_wait_switch "$d/consumed.jsonl" order-v2.avsc 60 || { ok=0; why+=("the consumer did not switch to v2"); }
    rb python3 "$app" produce "$B" "$R" "$sub" "$t" "$d/order-v1.avsc" "$n2" s2 "$d/acked2.jsonl" --auto-register
    st_wait_consumed "$d/consumed.jsonl" "$((n1 + n2))" "$wait_s" || { ok=0; why+=("stage 2: the consumer fell behind"); }

    step "gate for stage 3 (runbook step 4): register v2 (plan file first), producers then look it up"
    rb "$(krt_path schema)" register --registry "$R" --subject "$sub" "$d/order-v2.avsc" \
        --plan-file "$d/register-plan.json" --execute --json
    ((rb_rc == 0)) || { ok=0; why+=("register v2: exit $rb_rc"); }
    id2=$(jq -r '.registry.registered.id // empty' <<<"$rb_out" 2>/dev/null)
    [[ -s $d/register-plan.json ]] || { ok=0; why+=("no register plan written"); }

    step "stage 3 (runbook step 5, then producers): producers upgraded to v2 (auto.register.schemas=false)"
    rb python3 "$app" produce "$B" "$R" "$sub" "$t" "$d/order-v2.avsc" "$n3" s3 "$d/acked3.jsonl"
    [[ $(jq -r .schema_id <<<"$rb_out") == "$id2" ]] \
        || { ok=0; why+=("the v2 producer wrote id $(jq -r .schema_id <<<"$rb_out"), krt registered '$id2'"); }
    st_wait_consumed "$d/consumed.jsonl" "$records" "$wait_s" || { ok=0; why+=("stage 3: the consumer fell behind"); }
    rto=$(secs_since "$t0")
    rb "$(krt_path schema)" check-topic "$t" --reader "$d/order-v2.avsc" --registry "$R" --json
    local ct2="$rb_out"
    ((rb_rc == 0)) || { ok=0; why+=("check-topic v2 after the switch: exit $rb_rc"); }

    step "negative gate: v3 drops the default of 'currency'"
    rb "$(krt_path schema)" check --registry "$R" --subject "$sub" "$d/order-v3-nodefault.avsc" --json
    local reg_v3; reg_v3=$(jq -r '.registry.compatible' <<<"$rb_out" 2>/dev/null)
    say "   the registry at BACKWARD (against the latest version only) says compatible: $reg_v3"
    rb "$(krt_path schema)" check-topic "$t" --reader "$d/order-v3-nodefault.avsc" --registry "$R" --json
    local ct3="$rb_out" ct3rc=$rb_rc
    local refused; refused=$(jq -c --argjson id "$id1" '[.writers[] | select(.schema_id == $id) | .failed] | add' <<<"$ct3" 2>/dev/null)
    if ((ct3rc == 1)) && [[ $refused == "$((n1 + n2))" ]] \
        && [[ $(jq -c --argjson id "$id2" '[.writers[] | select(.schema_id == $id) | .failed] | add' <<<"$ct3") == 0 ]]; then
        say "   refused by check-topic: the $refused v1 records (id $id1) lack 'currency' and v3 has no default"
    else
        ok=0; why+=("negative gate: check-topic v3 exit $ct3rc, v1 records failed: ${refused:-?} (expected $((n1 + n2)))")
    fi

    step "independent check: what the application acknowledged and read"
    echo stop >"$d/control"
    wait "$cpid" 2>/dev/null || { ok=0; why+=("the consumer exited with an error: $(tail -1 "$d/consumer.err")"); }
    cat "$d"/acked[123].jsonl >"$d/acked.jsonl"
    local acked lost errors v1_under_v2 v1_default
    acked=$(wc -l <"$d/acked.jsonl")
    ((acked == records)) || { ok=0; why+=("only $acked of $records acknowledged"); }
    lost=$((acked - $(jq -rn --slurpfile a "$d/acked.jsonl" --slurpfile c "$d/consumed.jsonl" \
        '($c | map(select(.value != null) | "\(.partition):\(.offset)") | unique) as $got
         | [$a[] | "\(.partition):\(.offset)"] | map(select(. as $k | $got | bsearch($k) >= 0)) | length')))
    errors=$(jq -s '[.[] | select(.error != null)] | length' "$d/consumed.jsonl")
    ((errors == 0)) || { ok=0; why+=("$errors consumer error(s): $(jq -rs 'map(select(.error)) | .[0].error' "$d/consumed.jsonl")"); }
    ((lost == 0)) || { ok=0; why+=("$lost acknowledged records not read"); }
    # the stage-2 v1 records were read with v2: fastavro filled the default
    v1_under_v2=$(jq -s --argjson id "$id1" '[.[] | select(.schema_id == $id and .reader == "order-v2.avsc")] | length' "$d/consumed.jsonl")
    v1_default=$(jq -s --argjson id "$id1" '[.[] | select(.schema_id == $id and .reader == "order-v2.avsc" and .value.currency == "EUR")] | length' "$d/consumed.jsonl")
    say "   consumer: $(grep -c '"offset"' "$d/consumed.jsonl") records, $errors errors, switches: $(jq -rs '[.[] | .switched_to // empty] | join(" -> ")' "$d/consumed.jsonl")"
    say "   v1 records read with v2: $v1_under_v2, with the default currency EUR: $v1_default"
    ((v1_under_v2 >= n2 && v1_default == v1_under_v2)) \
        || { ok=0; why+=("v1 records read with v2: $v1_under_v2 (expected >= $n2), with the default: $v1_default"); }
    # krt's reports agree with the application: counts per writer id, the default named
    [[ $(jq -c '[.writers[] | [.schema_id, .decoded]] | sort' <<<"$ct2") == "[[$id1,$((n1 + n2))],[$id2,$n3]]" ]] \
        || { ok=0; why+=("check-topic per id: $(jq -c '[.writers[] | [.schema_id, .decoded]]' <<<"$ct2")"); }
    jq -e --argjson id "$id1" '.writers[] | select(.schema_id == $id) | .defaults_applied | any(test("currency.*EUR"))' \
        <<<"$ct2" >/dev/null || { ok=0; why+=("check-topic does not report the default of 'currency' for v1"); }
    trap - EXIT
    sr down >/dev/null 2>&1 || true
    result schema-transition "v1 -> v2 (+currency, default), bad v3 refused" "$acked" "$lost" \
        "$((n1 + n2)) v1 read with v2" "$rto" "$ok" \
        "3 stages gated by krt-schema, consumer switches with 0 errors, 0 lost; v3 without default refused by check-topic (registry: $reg_v3)" "${why[*]:-}"
}
