# drill resend-for-a-team: a consuming team asks for a time window again
# while the source keeps receiving writes.
# Runbook: docs/runbooks/resend-events-to-a-consuming-team.md
# Expected: krt-resend copies exactly the records of the window (counted
# independently with kcat -Q's time index); the team, reading the resend topic
# and then its regular stream from its commit, de-duplicates with the
# provenance headers: every event from the window start on processed exactly
# once, none missing; nothing acknowledged on the source lost.
iso_ms() { date -u -d "@$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')" +%Y-%m-%dT%H:%M:%S.%3NZ; }

# wait_window_closed TOPIC MS SECONDS: until every partition of TOPIC holds a
# record with a timestamp at or after MS (kcat -Q answers an offset, not -1)
wait_window_closed() {
    local t0=$SECONDS p o open
    while :; do
        open=0
        for p in 0 1 2; do
            o=$(kcat -b "$B" -Q -t "$1:$p:$2" 2>/dev/null | awk '{ print $NF }')
            [[ $o =~ ^[0-9]+$ ]] || open=1
        done
        ((open == 0)) && return 0
        ((SECONDS - t0 >= $3)) && return 1
        sleep 1
    done
}

drill_resend_for_a_team() {
    local src g id ok=1 why=() t1 t2 tmid t0 rto n=$records r=$rate
    src=$(drill_name orders); g="drill-billing-$$"; id="drill-resend-$$-$RANDOM"
    step "source: 3 partitions, RF 3; a steady acks=all load that goes on during the resend"
    create_topic "$src" 3 3 --config min.insync.replicas=2
    # The load runs at records/20 (small) or records/60 (large) per second
    # and never runs out: it used to stop after $records records (at
    # records/40), and on a loaded machine the steps before the copy took so
    # long that it had stopped before the copy began ("no write to the source
    # during the copy"). load_stop ends it after the copy.
    if [[ $size == small ]]; then r=$((records / 20)); else r=$((records / 60)); fi
    load_start "$src" all $((n * 100)) "$r" "$work/rs.acked"
    load_wait_acked "$work/rs.acked" $((n / 5)) 300
    t1=$(now_ms); sleep 1
    load_wait_acked "$work/rs.acked" $((2 * n / 5)) 300
    tmid=$(now_ms); sleep 1
    load_wait_acked "$work/rs.acked" $((3 * n / 5)) 300
    t2=$(now_ms)
    say "   window [$(iso_ms "$t1"), $(iso_ms "$t2")); the team's group committed at $(iso_ms "$tmid")"
    step "the team's regular processing stands in the middle of the window"
    rb "$(krt_path rewind)" --group "$g" --topic "$src" --to-datetime "$(iso_ms "$tmid")" --allow-new-group \
        --execute --undo-file "$work/rs-undo.json"
    ((rb_rc == 0)) || { ok=0; why+=("seeding the team's group: exit $rb_rc"); }

    # The window is over when every partition holds a record at or after its
    # end (a record timestamped before t2 may still sit in the producer's
    # queue at t2, more so at --size large on a loaded machine); krt-resend
    # warns when it is not, and its range would end at the high watermark.
    wait_window_closed "$src" "$t2" 120 || { ok=0; why+=("no record at or after the window's end within 120 s"); }
    step "runbook (operator) step 1: validate the request"
    rb "$(krt_path resend)" --id "$id" --team billing --topic "$src" --from "$(iso_ms "$t1")" --to "$(iso_ms "$t2")" --group "$g"
    ((rb_rc == 0)) || { ok=0; why+=("validate: exit $rb_rc"); }
    step "runbook (operator) step 2: run it (the source is still being written)"
    # At small size the copy takes about 4 s (the window holds about 2/5 of
    # the records, copied at records/10 per second): the load, still
    # acknowledging right before, overlaps it for certain.
    local mr=5000; [[ $size == small ]] && mr=$((records / 10))
    load_wait_acked "$work/rs.acked" $(($(acked_count "$work/rs.acked") + 1)) 60
    t0=$(now_ms)
    local before after; before=$(acked_count "$work/rs.acked")
    rb "$(krt_path resend)" --id "$id" --team billing --topic "$src" --from "$(iso_ms "$t1")" --to "$(iso_ms "$t2")" --group "$g" \
        --execute --max-rate "$mr" --json
    rto=$(secs_since "$t0")
    local report=$rb_out tgt copied
    ((rb_rc == 0)) || { ok=0; why+=("execute: exit $rb_rc"); }
    tgt=$(jq -r .target <<<"$report"); copied=$(jq -r .copied <<<"$report")
    after=$(acked_count "$work/rs.acked")
    say "   the source received $((after - before)) acknowledged records during the copy"
    ((after > before)) || { ok=0; why+=("no write to the source during the copy: the drill did not test a moving source"); }
    step "runbook (operator) step 3: the same command again does nothing"
    rb "$(krt_path resend)" --id "$id" --team billing --topic "$src" --from "$(iso_ms "$t1")" --to "$(iso_ms "$t2")" --group "$g" --execute --json
    [[ $(jq -r .already_done <<<"$rb_out") == true ]] || { ok=0; why+=("a re-run was not 'already done'"); }

    load_stop; load_finish "$work/rs.acked"
    step "independent counts: kcat -Q's time index for the window, per partition"
    local p a b want=0 tail_spec=""
    for p in 0 1 2; do
        a=$(kcat -b "$B" -Q -t "$src:$p:$t1" 2>/dev/null | awk '{ print $NF }')
        b=$(kcat -b "$B" -Q -t "$src:$p:$t2" 2>/dev/null | awk '{ print $NF }')
        [[ $a == -1 ]] && a=$(kcat -b "$B" -Q -t "$src:$p:-1" 2>/dev/null | awk '{ print $NF }')
        [[ $b == -1 ]] && b=$(kcat -b "$B" -Q -t "$src:$p:-1" 2>/dev/null | awk '{ print $NF }')
        say "   partition $p: window offsets [$a, $b)"
        want=$((want + b - a))
        echo "$p $a" >>"$work/rs.from"
    done
    ((copied == want)) || { ok=0; why+=("krt-resend copied $copied, kcat -Q counts $want in the window"); }

    step "the team's consumer: the resend topic (read_committed), then its regular stream from its commit"
    say "\$ kcat -C -t $tgt -X isolation.level=read_committed -e -f '%p %o %h %s\\n'"
    kcat -b "$B" -C -t "$tgt" -X isolation.level=read_committed -e -q -f '%p %o %h %s\n' >"$work/rs.resend"
    local committed
    : >"$work/rs.tail"
    for p in 0 1 2; do
        committed=$(jq -r --argjson p "$p" '.partitions[] | select(.partition == $p) | .consumer_group_committed' <<<"$report")
        say "\$ kcat -C -t $src -p $p -o $committed -e   (from the team's commit)"
        kcat -b "$B" -C -t "$src" -p "$p" -o "$committed" -e -q -f '%p %o %s\n' >>"$work/rs.tail"
    done
    local tj; tj=$(python3 "$here/account.py" team "$work/rs.resend" "$work/rs.tail")
    say "   team: $tj"
    # Expected: every source record from the window start to the end read, once.
    awk 'NR == FNR { from[$1] = $2; next } $2 >= from[$1]' "$work/rs.from" <(
        for p in 0 1 2; do kcat -b "$B" -C -t "$src" -p "$p" -o beginning -e -q -f '%p %o %s\n'; done) \
        | sort >"$work/rs.expected"
    # rs.resend.processed has a line per event applied: an event applied twice,
    # or missed, makes it differ from rs.expected (account.py team says why
    # there is no separate "processed twice" count).
    if ! diff -q <(sort "$work/rs.resend.processed") "$work/rs.expected" >/dev/null; then
        ok=0; why+=("processed events differ from the source ($(comm -3 <(sort "$work/rs.resend.processed") "$work/rs.expected" | wc -l) lines)")
    fi

    step "accounting: the producer's acks against an independent read-back of the source"
    read_back "$src" "$work/rs.read" || { ok=0; why+=("read-back did not reach the end"); }
    account "$work/rs.acked" "$work/rs.read"
    ((lost == 0)) || { ok=0; why+=("$lost acknowledged records lost"); }
    result resend-for-a-team "window resent under load" "$acked" "$lost" "$copied" "$rto" "$ok" \
        "resend = kcat's window count; each event processed once; 0 lost" \
        "${why[*]:-$(jq -r '"\(.processed) processed once, \(.skipped_as_duplicates) duplicates skipped by provenance"' <<<"$tj")}"
}
