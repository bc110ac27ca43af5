# drill broker-loss-rf3: kill -9 the leader of a partition under an acks=all load.
# Runbook: docs/runbooks/a-broker-is-down.md
# Expected: RF 3 and min ISR 2 lose no acknowledged record; krt-audit reports
# the partitions degraded while the broker is gone and healthy once it is back.
drill_broker_loss_rf3() {
    local t ok=1 why=() victim other t0 serve healthy
    t=$(drill_name rf3)
    step "topic: 3 partitions, RF 3, min.insync.replicas=2; load: acks=all"
    create_topic "$t" 3 3 --config min.insync.replicas=2
    load_start "$t" all "$records" "$rate" "$work/rf3.acked"
    load_wait_acked "$work/rf3.acked" $((records / 3)) 300

    victim=$(leaders "$t" | awk '$1 == 0 { print $2 }')
    step "fault: kill -9 broker $victim (leader of partition 0) with $(acked_count "$work/rf3.acked") records acknowledged"
    rb kc kill "$victim"
    t0=$(now_ms)

    step "runbook step 1: what is unavailable, at risk, already lost"
    # The controller fences the broker after broker.session.timeout.ms (6 s):
    # until then the metadata still shows it, so poll as an operator would.
    say "\$ krt-audit --topic $t   (repeated until it reports the loss)"
    local det=0
    while (($(now_ms) - t0 < 60000)); do
        "$build/tools/krt-audit" --topic "$t" >/dev/null 2>&1 || { det=1; break; }
        sleep 0.5
    done
    if ((det)); then say "   detected $(secs_since "$t0")s after the kill"
    else ok=0; why+=("krt-audit did not report the loss within 60s of the kill"); fi
    rb "$(krt_path audit)" --topic "$t"
    if ((rb_rc == 1)) && grep -qE 'under-replicated|at-min-isr' <<<"$rb_out"; then
        say "   krt-audit: degraded, as expected (exit 1)"
    else
        ok=0; why+=("krt-audit after the kill: exit $rb_rc, expected 1 with under-replicated/at-min-isr")
    fi
    wait_leaders "$t" 3 120
    serve=$(secs_since "$t0")
    say "   every partition has a leader again ${serve}s after the kill"
    step "runbook step 2: is the next failure worse?"
    other=$(( victim % 3 + 1 ))
    rb "$(krt_path audit)" --topic "$t" --assume-down "$other"

    step "runbook step 4: bring the broker back and watch the recovery"
    rb kc restart "$victim"
    say "\$ krt-audit --topic $t   (repeated until it exits 0: healthy)"
    if healthy=$(wait_audit_healthy "$t" 180); then
        healthy=$(secs_since "$t0")
        say "   healthy ${healthy}s after the kill"
    else
        ok=0; why+=("not healthy 180s after the restart"); healthy="-"
    fi
    rb "$(krt_path audit)" --topic "$t"

    step "accounting: the producer's acks against an independent read-back"
    load_finish "$work/rf3.acked"
    read_back "$t" "$work/rf3.read" || { ok=0; why+=("read-back did not reach the end"); }
    account "$work/rf3.acked" "$work/rf3.read"
    ((lost == 0)) || { ok=0; why+=("$lost acknowledged records lost: $lost_ranges"); }
    ((acked > 0)) || { ok=0; why+=("nothing acknowledged"); }
    result broker-loss-rf3 "kill -9 broker $victim (leader)" "$acked" "$lost" - "$healthy" "$ok" \
        "acks=all, RF 3, min ISR 2: 0 lost; audit degraded then healthy" \
        "${why[*]:-leaders back after ${serve}s, healthy after ${healthy}s}"
}
