# scenarios/lib.sh - what every drill shares: narration, the runbook's
# commands printed as they run, the load (kafka-verifiable-producer), the
# independent read-back (kafka-verifiable-consumer), the accounting and the
# result row. Sourced by scenarios/run; $repo, $build, $work, $size are set.

kc() { "$repo/scripts/kafka-cluster" "$@"; }
kcli() { kc cli "$@"; }

say() { printf '%s\n' "$*" >&2; }
step() { printf '\n-- %s\n' "$*" >&2; }

# rb CMD...: a command of the runbook: printed as the operator types it (krt
# tools without their build path), run, its output shown. Sets $rb_rc and
# $rb_out (stdout).
rb() {
    local shown=("$@")
    [[ ${shown[0]} == "$build"/tools/* ]] && shown[0]=${shown[0]##*/}
    printf '$ %s\n' "${shown[*]}" >&2
    # a non-zero exit is an answer here (krt-audit's findings), not a stop:
    # "|| ..." keeps the ERR trap of scenarios/run from reporting it as one
    rb_rc=0
    rb_out=$("$@" 2>"$work/rb.err") || rb_rc=$?
    [[ -n $rb_out ]] && printf '%s\n' "$rb_out" | sed 's/^/    /' >&2
    [[ -s $work/rb.err ]] && sed 's/^/    /' "$work/rb.err" >&2
    say "    (exit code $rb_rc)"
}
krt() { "$build/tools/krt-$1" "${@:2}"; }
krt_path() { echo "$build/tools/krt-$1"; }

now_ms() { date +%s%3N; }
secs_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }

# A name unique to this run, so drills never see each other's topics.
drill_name() { echo "drill-$1-$$-$RANDOM"; }

create_topic() { # create_topic NAME PARTITIONS RF|ASSIGNMENT [--config k=v]...
    local t=$1 p=$2 r=$3 layout; shift 3
    if [[ $r == *:* ]]; then layout=(--replica-assignment "$r")
    else layout=(--partitions "$p" --replication-factor "$r"); fi
    rb kcli kafka-topics --bootstrap-server "$B" --create --topic "$t" "${layout[@]}" "$@"
    ((rb_rc == 0)) || { say "drill: cannot create topic $t"; return 1; }
    wait_leaders "$t" "$p" 60
}

leaders() { # leaders TOPIC: "partition leader" lines from kcat's metadata
    kcat -b "$B" -L -t "$1" -m 5 2>/dev/null \
        | awk '/partition [0-9]+, leader/ { gsub(",", ""); print $2, $4 }'
}

wait_leaders() { # wait_leaders TOPIC N SECS: every partition has a leader
    local t=$1 n=$2 secs=$3 t0=$SECONDS
    while :; do
        [[ $(leaders "$t" | awk '$2 >= 0' | wc -l) == "$n" ]] && return 0
        ((SECONDS - t0 < secs)) || { say "drill: $t has no leader on every partition after ${secs}s"; return 1; }
        sleep 0.5
    done
}

end_offsets() { # end_offsets TOPIC: "P=OFF,P=OFF" as kcat -Q reports them
    local t=$1 p spec=""
    for p in $(leaders "$t" | awk '{ print $1 }'); do
        spec+="$p=$(kcat -b "$B" -Q -t "$t:$p:-1" 2>/dev/null | awk '{ print $NF }'),"
    done
    echo "${spec%,}"
}

# load_start TOPIC ACKS COUNT RATE OUT [producer.config file]: the steady load,
# in the background; LOAD_PID is set.
load_start() {
    local t=$1 acks=$2 n=$3 rate=$4 out=$5 conf=${6:-}
    [[ $acks == all ]] && acks=-1 # the tool takes an integer
    local args=(--bootstrap-server "$B" --topic "$t" --acks "$acks" --max-messages "$n"
        --throughput "$rate" --value-prefix "$RANDOM")
    [[ -n $conf ]] && args+=(--producer.config "$conf")
    printf '$ kafka-verifiable-producer %s > %s &\n' "${args[*]}" "${out##*/}" >&2
    kcli kafka-verifiable-producer "${args[@]}" >"$out" 2>"$out.err" &
    LOAD_PID=$!
    bg_register "$LOAD_PID" # stopped by scenarios/run if the drill stops early
}

# (0 also while the producer's output file does not exist yet: grep -c prints
# nothing then, and an empty count broke the waits below)
acked_count() { local n; n=$(grep -c '"producer_send_success"' "$1" 2>/dev/null); echo "${n:-0}"; }

load_wait_acked() { # load_wait_acked OUT N SECS: until N records are acknowledged
    local out=$1 n=$2 secs=$3 t0=$SECONDS
    while (($(acked_count "$out") < n)); do
        kill -0 "$LOAD_PID" 2>/dev/null || { say "drill: the producer exited early: $(tail -3 "$out.err")"; return 1; }
        ((SECONDS - t0 < secs)) || { say "drill: only $(acked_count "$out") of $n records acknowledged after ${secs}s"; return 1; }
        sleep 0.2
    done
}

load_stop() { # stop the producer now (SIGTERM to the JVM: it flushes and prints what was acknowledged)
    pkill -TERM -P "$LOAD_PID" 2>/dev/null || true
}

load_finish() { # wait for the producer to finish; its exit code does not matter (errors are counted)
    wait "$LOAD_PID" 2>/dev/null || true
    bg_forget "$LOAD_PID"
    say "   producer: $(acked_count "$1") acknowledged, $(grep -c '"producer_send_error"' "$1" || true) send errors"
    grep '"producer_send_error"' "$1" | jq -r '"\(.exception): \(.message)"' 2>/dev/null \
        | cut -c1-160 | sort | uniq -c | sort -rn | head -3 | sed 's/^/     /' >&2 || true
}

# read_back TOPIC OUT: every record of TOPIC, read by kafka-verifiable-consumer
# in a fresh group, up to the end offsets of this moment.
read_back() {
    local t=$1 out=$2 end; end=$(end_offsets "$t")
    say "\$ kafka-verifiable-consumer --topic $t --group-id drill-check-$$ --reset-policy earliest --verbose  (until $end)"
    python3 "$here/account.py" consume --end "$end" --timeout "$((60 + records / 2000))" "$out" -- \
        "$repo/scripts/kafka-cluster" cli kafka-verifiable-consumer --bootstrap-server "$B" \
        --topic "$t" --group-id "drill-check-$$-$RANDOM" --reset-policy earliest --verbose \
        2>"$out.err"
}

# read_back_kcat TOPIC OUT: every committed record of TOPIC, read by kcat
# (read_committed, -e: to the end of every partition), lines "partition
# offset value". For a topic written in transactions (krt-restore): its last
# offset is a commit marker no consumer reports, and read_back, which waits
# for a record at end-1 or a commit at the end, timed out on it once in
# three runs with every record read.
# It first waits (60 s at most) until no transaction is open on TOPIC: a
# transactional tool's commit returns before the broker writes the commit
# markers, and a read_committed read until then ends before those records.
wait_stable() { # wait_stable TOPIC: last stable offset = high watermark on every partition
    local i p lso hw settled
    for i in $(seq 1 120); do
        settled=1
        for p in $(leaders "$1" | awk '{ print $1 }'); do
            lso=$(kcat -b "$B" -Q -t "$1:$p:-1" -X isolation.level=read_committed 2>/dev/null | awk '{ print $NF }')
            hw=$(kcat -b "$B" -Q -t "$1:$p:-1" -X isolation.level=read_uncommitted 2>/dev/null | awk '{ print $NF }')
            [[ -n $lso && $lso == "$hw" ]] || { settled=0; break; }
        done
        ((settled)) && return 0
        sleep 0.5
    done
    return 1
}
read_back_kcat() {
    wait_stable "$1" || say "   (a transaction is still open on $1 after 60 s)"
    say "\$ kcat -C -t $1 -e -X isolation.level=read_committed -f '%p %o %s\\n'"
    timeout 120 kcat -b "$B" -C -t "$1" -e -q -X isolation.level=read_committed \
        -f '%p %o %s\n' >"$2" 2>"$2.err"
}

# account ACKED CONSUMED [AFTER_FILL] [--backup FILE]: sets acked/lost/survived,
# lost_ranges (JSON), recovered/recovered_twice (lost records read back after
# a fill), after_twice/after_acked, lost_in_backup/recovered_outside_backup
account() {
    local j; j=$(python3 "$here/account.py" diff "$@")
    acked=$(jq -r .acked <<<"$j"); lost=$(jq -r .lost <<<"$j"); survived=$(jq -r .survived <<<"$j")
    lost_ranges=$(jq -c .lost_ranges <<<"$j")
    recovered=$(jq -r .recovered <<<"$j"); recovered_twice=$(jq -r .recovered_twice <<<"$j")
    after_twice=$(jq -r .after_twice <<<"$j"); after_acked=$(jq -r .after_acked <<<"$j")
    lost_in_backup=$(jq -r .lost_in_backup <<<"$j"); recovered_outside_backup=$(jq -r .recovered_outside_backup <<<"$j")
    backup_holes=$(jq -r .backup_holes <<<"$j"); backup_partitions=$(jq -r .backup_partitions <<<"$j")
    say "   accounting: acked $acked, survived $survived, lost $lost $( ((lost > 0)) && echo "$lost_ranges")"
}

# result NAME FAULT ACKED LOST RECOVERED RTO PASS(0|1) EXPECT [NOTE]: one row
result() {
    jq -cn --arg drill "$1" --arg fault "$2" --arg acked "$3" --arg lost "$4" \
        --arg recovered "$5" --arg rto "$6" --argjson pass "$7" --arg expect "$8" \
        --arg note "${9:-}" --arg runbooks "${drill_runbooks:-}" \
        '{drill: $drill, fault: $fault,
          acked: ($acked | tonumber? // $acked), lost: ($lost | tonumber? // $lost),
          recovered: ($recovered | tonumber? // $recovered),
          recovery_s: ($rto | tonumber? // $rto), verdict: (if $pass == 1 then "pass" else "FAIL" end),
          expect: $expect, note: $note,
          runbooks: ($runbooks | split(" ") | map(select(. != "")) | map("docs/runbooks/" + .))}' >>"$work/results.jsonl"
}

# wait_audit_healthy TOPIC SECS: poll krt-audit until it exits 0 (healthy);
# prints the seconds it took on stdout
wait_audit_healthy() {
    local t=$1 secs=$2 t0; t0=$(now_ms)
    while :; do
        if "$build/tools/krt-audit" --topic "$t" >/dev/null 2>&1; then secs_since "$t0"; return 0; fi
        (($(now_ms) - t0 < secs * 1000)) || return 1
        sleep 0.5
    done
}

# backup_follow_start DIR TOPIC: krt-backup --follow in the background, as
# the runbooks ask to keep one running (BACKUP_PID). Its output goes next to
# DIR (a file inside DIR would be a foreign file in the backup).
backup_follow_start() {
    printf '$ krt-backup --dir %s --topic %s --follow &\n' "${1##*/}" "$2" >&2
    "$build/tools/krt-backup" --dir "$1" --topic "$2" --follow >"$1.out" 2>"$1.err" &
    BACKUP_PID=$!
    bg_register "$BACKUP_PID"
}

# A drill's background processes, for scenarios/run's stop_bg when a drill
# stops early: "PID STARTTIME" lines (the start time from /proc, so that a
# PID the system reused for another process is never signalled).
pid_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }
bg_register() { echo "$1 $(pid_start "$1")" >>"$work/bg.pids"; }
bg_forget() { sed -i "/^$1 /d" "$work/bg.pids" 2>/dev/null || true; }

# backup_follow_stop DIR: SIGTERM to the backup started by backup_follow_start
# (it closes its segments and exits 0); 60 s at most, then kill -9. Sets
# backup_rc (137 after the kill -9).
backup_follow_stop() {
    local t0=$SECONDS
    say "\$ kill -TERM $BACKUP_PID   (krt-backup --follow)"
    kill -TERM "$BACKUP_PID" 2>/dev/null || true
    while kill -0 "$BACKUP_PID" 2>/dev/null && ((SECONDS - t0 < 60)); do sleep 0.2; done
    kill -0 "$BACKUP_PID" 2>/dev/null && { say "   krt-backup still running 60 s after SIGTERM: kill -9"; kill -KILL "$BACKUP_PID"; }
    backup_rc=0
    wait "$BACKUP_PID" 2>/dev/null || backup_rc=$?
    bg_forget "$BACKUP_PID"
    [[ -s $1.out ]] && sed 's/^/    /' "$1.out" >&2
    [[ -s $1.err ]] && tail -5 "$1.err" | sed 's/^/    /' >&2
    say "    (exit code $backup_rc)"
}

# gap_fill TOPIC BACKUP_DIR BASELINE: runbook "a partition lost its data",
# step 3: the dry run, --execute, and a second --execute that must write
# nothing. Sets fill_ok (1/0), fill_why (reasons) and fill_restored.
gap_fill() {
    local t=$1 dir=$2 base=$3 args
    args=(--backup "$dir" --topic "$t" --fill-gaps --baseline "$base")
    fill_ok=1 fill_why=() fill_restored=-
    step "runbook (a partition lost its data): compare the backup with what survives, then fill the gap"
    rb "$(krt_path restore)" "${args[@]}"
    ((rb_rc == 0)) || { fill_ok=0; fill_why+=("krt-restore --fill-gaps dry run: exit $rb_rc"); }
    KRT_UNDO_DIR=$work rb "$(krt_path restore)" "${args[@]}" --execute --json
    ((rb_rc == 0)) || { fill_ok=0; fill_why+=("krt-restore --fill-gaps --execute: exit $rb_rc"); }
    fill_restored=$(jq -r '.restored // "-"' <<<"$rb_out" 2>/dev/null || echo -)
    say "   the run again: it must find every record already back and write nothing"
    KRT_UNDO_DIR=$work rb "$(krt_path restore)" "${args[@]}" --execute --json
    local again; again=$(jq -r '.restored // "-"' <<<"$rb_out" 2>/dev/null || echo -)
    [[ $rb_rc == 0 && $again == 0 ]] || { fill_ok=0; fill_why+=("second fill: exit $rb_rc, wrote $again"); }
}

# fill_and_account TOPIC BACKUP_DIR BASELINE ACKED READ PREFIX: the gap fill
# (gap_fill), then the accounting after it, against the backup's contents as
# fastavro reads them (tests/helpers/records.py), not krt's own report:
#   expected recovered = lost (account.py's set) & the records the backup holds;
#   every lost record read back after the fill (kcat) is one of those, once;
#   no acked record read more often than before the fill;
#   acked records read after = survived + recovered;
#   krt-restore --fill-gaps --execute wrote exactly that many (a 2nd run 0).
# Appends its failures to the caller's why array and clears its ok (bash's
# dynamic scope: both are the calling drill's locals). Sets the account
# figures (account) and in_backup.
fill_and_account() {
    local t=$1 dir=$2 base=$3 acked_f=$4 read_f=$5 pre=$6
    gap_fill "$t" "$dir" "$base"
    ((fill_ok)) || { ok=0; why+=("${fill_why[@]}"); }
    step "accounting after the fill: the lost records read back again, against the backup's contents"
    say "\$ tests/helpers/records.py backup ${dir##*/} $t values   (fastavro reads every segment of the manifest)"
    python3 "$repo/tests/helpers/records.py" backup "$dir" "$t" values >"$pre.backup" 2>"$pre.backup.err" \
        || { ok=0; why+=("fastavro could not read the backup: $(tail -1 "$pre.backup.err")"); }
    say "   the backup holds $(wc -l <"$pre.backup") records of $t"
    read_back_kcat "$t" "$pre.after" || { ok=0; why+=("kcat read-back after the fill: $(tail -1 "$pre.after.err")"); }
    account "$acked_f" "$read_f" "$pre.after" --backup "$pre.backup"
    in_backup=$lost_in_backup
    say "   lost $lost, of which the backup holds $in_backup; recovered $recovered ($recovered_twice twice, $recovered_outside_backup not from the backup)"
    ((recovered == in_backup)) || { ok=0; why+=("gap fill: $recovered lost records read back, the backup holds $in_backup of the lost ones"); }
    # the expected figure is only as good as the backup: it must hold every
    # surviving acked record up to its end, in every partition of the topic
    ((backup_holes == 0)) || { ok=0; why+=("the backup misses $backup_holes surviving acked records below its end"); }
    local nparts; nparts=$(jq -r --arg t "$t" '[.topics[] | select(.name == $t) | .partition_count] | first // 0' "$dir/manifest.json" 2>/dev/null) || nparts=0
    ((nparts > 0 && backup_partitions == nparts)) \
        || { ok=0; why+=("the backup holds records of $backup_partitions of the ${nparts} partitions of $t its manifest lists"); }
    ((recovered_outside_backup == 0)) || { ok=0; why+=("gap fill: $recovered_outside_backup lost records read back that the backup does not hold"); }
    ((recovered_twice == 0)) || { ok=0; why+=("gap fill: $recovered_twice records read back twice"); }
    ((after_twice == 0)) || { ok=0; why+=("after the fill, $after_twice acked records are read more than once"); }
    ((after_acked == survived + recovered)) || { ok=0; why+=("after the fill $after_acked acked records read, expected $survived survived + $recovered recovered"); }
    [[ $fill_restored == "$in_backup" ]] || { ok=0; why+=("krt-restore --fill-gaps wrote $fill_restored, the backup holds $in_backup lost ones"); }
}
