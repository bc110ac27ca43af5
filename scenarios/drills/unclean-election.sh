# drill unclean-election: the follower falls out of sync, the leader dies, the
# out-of-sync follower is elected anyway (unclean.leader.election.enable).
# Runbook: docs/runbooks/an-unclean-leader-election.md
# Runbook: docs/runbooks/rewind-a-consumer-group.md (step 5, repair)
# Runbook: docs/runbooks/a-partition-lost-its-data.md (step 3, the fill)
# Expected: the records acknowledged while the follower was away are lost;
# krt-audit against the baseline names exactly that range (checked against the
# verifiable producer's acks and consumer's read-back), the group that had read
# them is flagged, krt-rewind --repair moves its commit back into the log, and
# krt-restore --fill-gaps puts every lost record back from the backup, once
# (a second run writes nothing).
drill_unclean_election() {
    local t g ok=1 why=() t0 serve half=$((records / 2)) conf="$work/ue-producer.properties"
    t=$(drill_name unclean); g="drill-team-$$"
    step "topic: 1 partition, RF 2 (leader 1, follower 2), min ISR 1, unclean election enabled"
    create_topic "$t" 1 1:2 --config min.insync.replicas=1 --config unclean.leader.election.enable=true
    printf '%s\n' request.timeout.ms=8000 delivery.timeout.ms=60000 >"$conf"
    load_start "$t" all "$half" "$rate" "$work/ue1.acked" "$conf"
    load_finish "$work/ue1.acked"

    step "fault, part 1: the follower (broker 2) dies; the ISR shrinks to the leader"
    rb kc kill 2
    local t1; t1=$(now_ms)
    while (($(now_ms) - t1 < 60000)); do
        [[ $(kcat -b "$B" -L -t "$t" -m 5 2>/dev/null | grep -o 'isrs: [0-9,]*') == "isrs: 1" ]] && break
        sleep 0.5
    done
    load_start "$t" 1 "$half" "$rate" "$work/ue2.acked" "$conf"
    load_finish "$work/ue2.acked"
    step "the backup (one-shot, as a scheduled krt-backup would run)"
    rb "$(krt_path backup)" --dir "$work/ue-backup" --topic "$t"
    ((rb_rc == 0)) || { ok=0; why+=("krt-backup: exit $rb_rc"); }
    say "\$ kafka-verifiable-consumer --topic $t --group-id $g  (the team reads everything and commits)"
    python3 "$here/account.py" consume --end "$(end_offsets "$t")" --timeout 120 "$work/ue.team" -- \
        "$repo/scripts/kafka-cluster" cli kafka-verifiable-consumer --bootstrap-server "$B" \
        --topic "$t" --group-id "$g" --reset-policy earliest --verbose 2>/dev/null || true
    step "the daily baseline"
    rb "$(krt_path audit)" --topic "$t" --group "$g" --save-baseline "$work/ue-baseline.json"

    step "fault, part 2: the leader (broker 1) dies; broker 2 comes back out of sync"
    rb kc kill 1
    t0=$(now_ms)
    rb kc restart 2
    local l=-1
    while (($(now_ms) - t0 < 60000)); do
        l=$(leaders "$t" | awk '$1 == 0 { print $2 }')
        [[ $l == 2 ]] && break
        sleep 0.5
    done
    if [[ $l != 2 ]]; then
        say "   the controller did not elect broker 2 by itself: an unclean election by hand"
        rb kcli kafka-leader-election --bootstrap-server "$B" --election-type unclean --topic "$t" --partition 0
        ((rb_rc == 0)) || { ok=0; why+=("kafka-leader-election --election-type unclean: exit $rb_rc"); }
        wait_leaders "$t" 1 60
    fi
    serve=$(secs_since "$t0")
    say "   partition 0 served again by broker $(leaders "$t" | awk '$1 == 0 { print $2 }') ${serve}s after the leader died"
    rb kc restart 1

    step "runbook: what is gone since the baseline, and which groups are hit"
    local h; h=$(wait_audit_healthy "$t" 120) || { ok=0; why+=("not healthy 120s after the restart"); }
    rb "$(krt_path audit)" --topic "$t" --group "$g" --baseline "$work/ue-baseline.json"
    rb "$(krt_path audit)" --topic "$t" --group "$g" --baseline "$work/ue-baseline.json" --json
    local audit_json=$rb_out
    ((rb_rc == 6)) || { ok=0; why+=("krt-audit --baseline exit $rb_rc, expected 6"); }
    local named_from named_to gkinds
    named_from=$(jq -r --arg t "$t" '[.losses[]? | select(.topic == $t and .group == null and .kind == "truncated")][0].from_offset // "none"' <<<"$audit_json")
    named_to=$(jq -r --arg t "$t" '[.losses[]? | select(.topic == $t and .group == null and .kind == "truncated")][0].to_offset // "none"' <<<"$audit_json")
    gkinds=$(jq -r --arg g "$g" '[.losses[]? | select(.group == $g) | .kind] | unique | join(",")' <<<"$audit_json")
    say "   krt-audit names truncated [$named_from, $named_to); group $g: ${gkinds:-nothing}"
    [[ $gkinds == *consumed-then-lost* ]] || { ok=0; why+=("group $g not flagged consumed-then-lost (got '${gkinds}')"); }

    step "runbook: repair the group (rewind runbook), dry run then execute"
    rb "$(krt_path rewind)" --group "$g" --topic "$t:0" --repair
    rb "$(krt_path rewind)" --group "$g" --topic "$t:0" --repair --execute --undo-file "$work/ue-undo.json"
    ((rb_rc == 0)) || { ok=0; why+=("krt-rewind --repair --execute: exit $rb_rc"); }
    rb "$(krt_path audit)" --topic "$t" --group "$g"
    ((rb_rc == 0)) || { ok=0; why+=("krt-audit --group after the repair: exit $rb_rc, expected 0"); }

    step "accounting: the producers' acks against an independent read-back"
    cat "$work/ue1.acked" "$work/ue2.acked" >"$work/ue.acked"
    read_back "$t" "$work/ue.read" || { ok=0; why+=("read-back did not reach the end"); }
    account "$work/ue.acked" "$work/ue.read"

    fill_and_account "$t" "$work/ue-backup" "$work/ue-baseline.json" "$work/ue.acked" "$work/ue.read" "$work/ue"
    ((lost > 0)) || { ok=0; why+=("no acknowledged record lost: the unclean election did not happen"); }
    local want; want=$(jq -c --argjson f "${named_from/none/-1}" --argjson e "${named_to/none/-1}" -n '[{partition: 0, from: $f, to: $e}]')
    [[ $lost_ranges == "$want" ]] || { ok=0; why+=("krt-audit named [$named_from, $named_to), accounting lost $lost_ranges"); }
    # A second count of what the backup saw of the lost records, from its
    # manifest: those below its cut. It must agree with fastavro's reading of
    # the segments (fill_and_account's figure), and be more than none (the
    # one-shot backup ran after the follower died).
    local cut seen
    cut=$(jq -r --arg t "$t" '.topics[] | select(.name == $t) | .partitions[] | select(.partition == 0) | .cut' "$work/ue-backup/manifest.json")
    seen=$(jq -r --argjson c "${cut:-0}" '[.[] | select(.partition == 0) | ([.to, $c] | min) - .from | select(. > 0)] | add // 0' <<<"$lost_ranges")
    say "   the backup's cut: offset $cut; below it $seen of the $lost lost records (fastavro: $in_backup in the backup)"
    ((seen > 0)) || { ok=0; why+=("the backup saw none of the lost records (cut $cut)"); }
    ((seen == in_backup)) || { ok=0; why+=("the manifest's cut puts $seen lost records in the backup, fastavro reads $in_backup"); }
    result unclean-election "follower out of sync, leader killed" "$acked" "$lost" "$recovered" "$serve" "$ok" \
        "acked-while-alone lost = krt-audit's truncated range; group flagged and repaired; recovered = the lost records the backup saw, once (krt-restore --fill-gaps); a 2nd fill writes 0" \
        "${why[*]:-lost $lost_ranges named by krt-audit; $recovered recovered}"
}
