# drill reset: an application starts over on an empty topic.
# Runbook: docs/runbooks/reset-an-applications-topic.md
# Fault: none; the "incident" is the decision to reset. Checked with Kafka's
# own tools: every partition's log start equals its old end (kcat -Q), and
# kafka-consumer-groups shows the group at the new log start.
drill_reset() {
    local t g plan="$work/reset-plan.json" p ok=1 why=() t0 rto
    t=$(drill_name reset); g="drill-app-$$"
    step "an application's topic with data and a consumer group"
    create_topic "$t" 3 3 --config min.insync.replicas=2
    load_start "$t" all "$records" "$rate" "$work/reset.acked"
    load_finish "$work/reset.acked"
    local acked; acked=$(acked_count "$work/reset.acked")
    ((acked == records)) || { ok=0; why+=("only $acked of $records acknowledged"); }
    say "\$ kafka-verifiable-consumer --topic $t --group-id $g  (the application, until the end)"
    python3 "$here/account.py" consume --end "$(end_offsets "$t")" --timeout 120 "$work/reset.app" -- \
        "$repo/scripts/kafka-cluster" cli kafka-verifiable-consumer --bootstrap-server "$B" \
        --topic "$t" --group-id "$g" --reset-policy earliest --verbose 2>/dev/null
    local old_end; old_end=$(end_offsets "$t")

    step "runbook step 2: look at the topic and its consumers (the application is stopped)"
    rb "$(krt_path offsets)" --topic "$t"
    rb "$(krt_path offsets)" --group "$g"
    step "runbook step 3: make the plan"
    rb "$(krt_path truncate)" --topic "$t" --reset-group "$g" --plan-out "$plan"
    ((rb_rc == 0)) || { ok=0; why+=("plan: exit $rb_rc"); }
    step "runbook step 4: execute exactly the reviewed plan"
    t0=$(now_ms)
    rb "$(krt_path truncate)" --plan "$plan" --reset-group "$g" --undo-file "$work/reset-undo.json" --execute --yes
    ((rb_rc == 0)) || { ok=0; why+=("execute: exit $rb_rc"); }
    rto=$(secs_since "$t0")
    step "runbook step 5: check"
    rb "$(krt_path offsets)" --topic "$t" --group "$g"

    step "independent check: kcat -Q and kafka-consumer-groups --describe"
    local start spec oe checked=0
    [[ -n $old_end ]] || { ok=0; why+=("no old end offsets (no metadata before the reset)"); }
    for spec in ${old_end//,/ }; do
        p=${spec%=*}; oe=${spec#*=}
        [[ $oe =~ ^[0-9]+$ ]] || { ok=0; why+=("p$p: no old end offset"); continue; }
        ((oe > 0)) && checked=$((checked + 1))
        start=$(kcat -b "$B" -Q -t "$t:$p:-2" 2>/dev/null | awk '{ print $NF }')
        say "   partition $p: log start $start, old end $oe"
        [[ $start == "$oe" ]] || { ok=0; why+=("p$p log start $start != old end $oe"); }
    done
    ((checked > 0)) || { ok=0; why+=("no partition had records before the reset: nothing was checked"); }
    rb kcli kafka-consumer-groups --bootstrap-server "$B" --describe --group "$g" --timeout 30000
    local bad
    bad=$(awk -v t="$t" -v ends="$old_end" 'BEGIN { n = split(ends, a, ","); for (i = 1; i <= n; i++) { split(a[i], kv, "="); e[kv[1]] = kv[2] } }
        $2 == t { seen++; if ($4 != e[$3]) print "p" $3 " committed " $4 " != " e[$3] } END { if (seen != n) print "group has " seen+0 " of " n " partitions" }' <<<"$rb_out")
    [[ -z $bad ]] || { ok=0; why+=("$bad"); }
    [[ -s $work/reset-undo.json ]] || { ok=0; why+=("no undo file written"); }
    result reset "truncate + --reset-group" "$acked" "$acked" 0 "$rto" "$ok" \
        "all acked records cleared, group at new log start, undo file" "${why[*]:-}"
}
