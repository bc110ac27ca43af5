# drill broker-loss-rf1: an RF 1 topic loses the broker that leads some of its
# partitions, and that broker's disk: it comes back with empty partitions.
# Runbook: docs/runbooks/a-partition-lost-its-data.md (steps 1 and 4)
# Runbook: docs/runbooks/a-broker-is-down.md (step 1: the lost partitions)
# Expected: krt-audit names the lost partitions (while the broker is gone) and,
# against the baseline, their truncated ranges and the group that had read
# them; krt-restore from the last one-shot krt-backup, into a new topic with
# --groups, brings back every record acknowledged before the backup's cut;
# lost = exactly the records acknowledged after the cut on the lost
# partitions (set equality: the verifiable producer's acks against
# independent read-backs of both topics); the group, resumed on the restored
# topic by a real consumer, reads next the record it would have read next.
drill_broker_loss_rf1() {
    local t r g ok=1 why=() victim lostp t0 serve rto conf="$work/rf1-producer.properties"
    t=$(drill_name rf1); r="$t-restored"; g="drill-rf1-team-$$"
    step "topic: 3 partitions, RF 1 (one broker each); load: acks=all"
    create_topic "$t" 3 1
    # short timeouts: the records sent to the dead broker fail within the
    # drill instead of after the default 2 minutes; round robin: the default
    # sticky partitioner fills one partition per 16 KB batch, so at a small
    # size the other partitions stayed empty
    printf '%s\n' request.timeout.ms=5000 delivery.timeout.ms=15000 \
        partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner >"$conf"
    # The load runs until the kill (stopped there), however long the steps
    # before it take on a busy machine: at most 10 x the size's records, at
    # the size's records per 30 s (small) or 60 s (large).
    local r1=$((records / 30)); [[ $size == large ]] && r1=$((records / 60))
    load_start "$t" all $((records * 10)) "$r1" "$work/rf1.acked" "$conf"
    load_wait_acked "$work/rf1.acked" $((records / 10)) 300

    step "the team's group reads what is there and commits"
    say "\$ kafka-verifiable-consumer --topic $t --group-id $g --reset-policy earliest --verbose  (until $(end_offsets "$t"))"
    python3 "$here/account.py" consume --end "$(end_offsets "$t")" --timeout 120 "$work/rf1.team" -- \
        "$repo/scripts/kafka-cluster" cli kafka-verifiable-consumer --bootstrap-server "$B" \
        --topic "$t" --group-id "$g" --reset-policy earliest --verbose 2>/dev/null \
        || { ok=0; why+=("the team's consumer did not read to the end"); }
    local commits="" try
    # (on a machine this busy the tool's own admin call can time out: asked again)
    for try in 1 2 3; do
        rb kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$g"
        commits=$(awk -v t="$t" '$2 == t && $4 ~ /^[0-9]+$/ { print $3 "=" $4 }' <<<"$rb_out" | sort -n | paste -sd,)
        [[ -n $commits ]] && break
    done
    say "   the group's commits (kafka-consumer-groups): $commits"
    [[ $commits == *=*,*=*,*=* ]] || { ok=0; why+=("the group has no commit on every partition: '$commits'"); }

    step "the last backup (one-shot, as a scheduled krt-backup would run), during the load"
    load_wait_acked "$work/rf1.acked" $(($(acked_count "$work/rf1.acked") + records / 20)) 300
    # the cut is krt's: it must lie between the end offsets kcat reads just
    # before and just after the backup, on every partition, or "acked after
    # the cut" would be measured against a boundary nobody checked
    local hw0 hw1
    hw0=$(end_offsets "$t")
    rb "$(krt_path backup)" --dir "$work/rf1-backup" --topic "$t"
    ((rb_rc == 0)) || { ok=0; why+=("krt-backup: exit $rb_rc"); }
    hw1=$(end_offsets "$t")
    local cut
    cut=$(jq -r --arg t "$t" '[.topics[] | select(.name == $t) | .partitions[] | "\(.partition)=\(.cut)"] | join(",")' "$work/rf1-backup/manifest.json")
    say "   the backup's cut: $cut (kcat's end offsets before: $hw0, after: $hw1)"
    local cp cv lo hi
    for cp in 0 1 2; do
        cv=$(tr ',' '\n' <<<"$cut" | awk -F= -v p="$cp" '$1 == p { print $2 }')
        lo=$(tr ',' '\n' <<<"$hw0" | awk -F= -v p="$cp" '$1 == p { print $2 }')
        hi=$(tr ',' '\n' <<<"$hw1" | awk -F= -v p="$cp" '$1 == p { print $2 }')
        [[ $cv =~ ^[0-9]+$ && $lo =~ ^[0-9]+$ && $hi =~ ^[0-9]+$ ]] && ((lo <= cv && cv <= hi)) ||
            { ok=0; why+=("partition $cp: the backup's cut '$cv' is not between kcat's end offsets '$lo' and '$hi'"); }
    done
    local bkc
    bkc=$(jq -r --arg t "$t" --arg g "$g" '[.groups[]? | select(.group == $g) | .offsets[] | select(.topic == $t) | "\(.partition)=\(.offset)"] | sort | join(",")' "$work/rf1-backup/manifest.json")
    say "   the group's commits the backup holds: $bkc"
    [[ $bkc == "$commits" ]] || { ok=0; why+=("the backup holds the group's commits '$bkc', kafka-consumer-groups showed '$commits'"); }
    # records acknowledged after the cut, so the loss is visible
    load_wait_acked "$work/rf1.acked" $(($(acked_count "$work/rf1.acked") + records / 20)) 300
    step "the daily baseline (taken here just before the fault, so it names the whole range)"
    rb "$(krt_path audit)" --topic "$t" --group "$g" --save-baseline "$work/rf1-baseline.json"

    victim=$(leaders "$t" | awk '$1 == 0 { print $2 }')
    lostp=$(leaders "$t" | awk -v v="$victim" '$2 == v { print $1 }' | sort -n | paste -sd,)
    step "fault: kill -9 broker $victim (leader of partitions $lostp) with $(acked_count "$work/rf1.acked") records acknowledged"
    rb kc kill "$victim"
    t0=$(now_ms)
    load_stop
    load_finish "$work/rf1.acked"

    step "runbook (a partition lost its data) step 1: what is gone"
    say "\$ krt-audit --topic $t --group $g   (repeated until it reports the lost partitions)"
    local st=0
    while (($(now_ms) - t0 < 60000)); do
        "$build/tools/krt-audit" --topic "$t" >/dev/null 2>&1 || st=$?
        ((st == 6)) && break
        sleep 0.5
    done
    rb "$(krt_path audit)" --topic "$t" --group "$g" --json
    local named
    named=$(jq -r '[.partitions[]? | select((.states // []) | index("lost")) | .partition] | sort | map(tostring) | join(",")' <<<"$rb_out" 2>/dev/null || echo "?")
    say "   krt-audit names lost partitions: ${named:-none} (exit $rb_rc)"
    [[ $rb_rc == 6 && $named == "$lostp" ]] || { ok=0; why+=("krt-audit while broker $victim is gone: exit $rb_rc, lost '$named', expected exit 6 and '$lostp'"); }

    step "the broker's disk is replaced: its data directory deleted (the storage formatted again with the node's identity), and it restarts"
    local dd; dd="$(kc state-dir)/node-$victim/data"
    say "\$ rm -rf $dd   (meta.properties put back: the node's identity, as kafka-storage format does)"
    cp "$dd/meta.properties" "$work/rf1-meta.properties"
    rm -rf "$dd"; mkdir -p "$dd"; cp "$work/rf1-meta.properties" "$dd/meta.properties"
    rb kc restart "$victim"
    wait_leaders "$t" 3 120
    serve=$(secs_since "$t0")
    local p so eo empty=1
    for p in ${lostp//,/ }; do
        so=$(kcat -b "$B" -Q -t "$t:$p:-2" 2>/dev/null | awk '{ print $NF }')
        eo=$(kcat -b "$B" -Q -t "$t:$p:-1" 2>/dev/null | awk '{ print $NF }')
        say "   partition $p: log start $so, end $eo (kcat -Q)"
        [[ $so == 0 && $eo == 0 ]] || empty=0
    done
    ((empty)) || { ok=0; why+=("the lost partitions did not come back empty"); }
    say "   every partition served again ${serve}s after the kill"

    step "runbook step 1, against the baseline: the lost ranges and the groups hit"
    rb "$(krt_path audit)" --topic "$t" --group "$g" --baseline "$work/rf1-baseline.json"
    rb "$(krt_path audit)" --topic "$t" --group "$g" --baseline "$work/rf1-baseline.json" --json
    local trunc gparts
    trunc=$(jq -r --arg t "$t" '[.losses[]? | select(.topic == $t and .group == null and .kind == "truncated") | .partition] | unique | map(tostring) | join(",")' <<<"$rb_out" 2>/dev/null || echo "?")
    gparts=$(jq -r --arg g "$g" '[.losses[]? | select(.group == $g) | .partition] | unique | map(tostring) | join(",")' <<<"$rb_out" 2>/dev/null || echo "?")
    say "   truncated: partitions ${trunc:-none}; group $g hit on ${gparts:-none}"
    ((rb_rc == 6)) || { ok=0; why+=("krt-audit --baseline: exit $rb_rc, expected 6"); }
    [[ $trunc == "$lostp" ]] || { ok=0; why+=("krt-audit --baseline truncated '$trunc', lost partitions '$lostp'"); }
    [[ $gparts == "$lostp" ]] || { ok=0; why+=("group $g flagged on '$gparts', lost partitions '$lostp'"); }

    step "runbook step 4: restore the backup into a new topic, the group's commits translated (dry run, then --execute)"
    rb "$(krt_path restore)" --backup "$work/rf1-backup" --topic "$t" --to "$r" --groups "$g"
    ((rb_rc == 0)) || { ok=0; why+=("krt-restore dry run: exit $rb_rc"); }
    KRT_UNDO_DIR=$work rb "$(krt_path restore)" --backup "$work/rf1-backup" --topic "$t" --to "$r" --groups "$g" \
        --undo-file "$work/rf1-groups-undo.json" --execute
    ((rb_rc == 0)) || { ok=0; why+=("krt-restore --execute: exit $rb_rc"); }
    rto=$(secs_since "$t0")
    say "   restored ${rto}s after the kill"
    rb kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$g"

    step "accounting: the producer's acks against independent read-backs of $t and $r"
    read_back "$t" "$work/rf1.read" || { ok=0; why+=("read-back of $t did not reach the end"); }
    read_back_kcat "$r" "$work/rf1.restored" || { ok=0; why+=("kcat read-back of $r: $(tail -1 "$work/rf1.restored.err")"); }
    local j; j=$(python3 "$here/account.py" cut "$work/rf1.acked" "$work/rf1.read" "$work/rf1.restored" --cut "$cut" --lost "$lostp")
    acked=$(jq -r .acked <<<"$j"); lost=$(jq -r .lost <<<"$j")
    local exp restored before twice
    exp=$(jq -r .expected_lost <<<"$j"); restored=$(jq -r .restored <<<"$j")
    before=$(jq -r .before_cut <<<"$j"); twice=$(jq -r .restored_twice <<<"$j")
    say "   accounting: acked $acked, lost $lost $(jq -c .lost_ranges <<<"$j"); acked after the cut on the lost partitions $exp $(jq -c .expected_ranges <<<"$j"); acked before the cut $before, restored $restored ($twice twice)"
    [[ $(jq -r .lost_equals_expected <<<"$j") == true ]] || { ok=0; why+=("lost != acked after the cut on partitions $lostp"); }
    ((lost > 0)) || { ok=0; why+=("nothing lost: no record acknowledged after the cut on the lost partitions"); }
    ((restored == before)) || { ok=0; why+=("$restored of the $before records acked before the cut restored"); }
    ((twice == 0)) || { ok=0; why+=("$twice records restored twice"); }

    step "the team resumes on $r with its translated commits (a real consumer, no reset policy)"
    # the partitions where the group has a record to read next (its commit
    # below the cut): it must deliver one on each
    local want="" c q
    for c in ${commits//,/ }; do
        q=${c%%=*}
        (( ${c#*=} < $(tr ',' '\n' <<<"$cut" | awk -F= -v p="$q" '$1 == p { print $2 }') )) && want+="$q=1,"
    done
    : >"$work/rf1.resumed"
    say "\$ kafka-verifiable-consumer --topic $r --group-id $g --reset-policy none --verbose  (until its first record on partitions ${want%,})"
    python3 "$here/account.py" consume --first --end "${want%,}" --timeout 120 "$work/rf1.resumed" -- \
        "$repo/scripts/kafka-cluster" cli kafka-verifiable-consumer --bootstrap-server "$B" \
        --topic "$r" --group-id "$g" --reset-policy none --verbose 2>"$work/rf1.resumed.err" \
        || { ok=0; why+=("the resumed group did not read to the end of $r"); }
    j=$(python3 "$here/account.py" next "$work/rf1.acked" "$work/rf1.resumed" --commits "$commits" --cut "$cut")
    say "   $(jq -c '.partitions[] | {partition, commit, expected, got}' <<<"$j" | paste -sd' ')"
    [[ $(jq -r .ok <<<"$j") == true ]] || { ok=0; why+=("the resumed group's first records are not the ones after its commits"); }

    result broker-loss-rf1 "kill -9 broker $victim + its disk (RF 1)" "$acked" "$lost" "$restored" "$rto" "$ok" \
        "lost = acked after the backup's cut on the lost partitions, exactly; all $before acked before the cut restored; the group resumes at its next record" \
        "${why[*]:-lost partitions $lostp; served again after ${serve}s, restored after ${rto}s}"
}
