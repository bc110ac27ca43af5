# tests/lib.sh - shared helpers of the integration tests (TAP output).
#
# Integration tests talk to the real cluster that scripts/test started, whose
# bootstrap string is in KRT_TEST_BOOTSTRAP. A missing or unreachable cluster
# is a failure, never a skip.
set -u

src=${KRT_SOURCE_ROOT:?run through meson test (scripts/test)}
build=${KRT_BUILD_ROOT:?run through meson test (scripts/test)}
cluster="$src/scripts/kafka-cluster"
tap_n=0
tap_failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# KRT_TEST_TRACE=DIR (scripts/test --profile): every command of the test
# with a timestamp, in DIR/NAME.trace, for scripts/test-profile
if [[ -n ${KRT_TEST_TRACE:-} ]]; then
    exec {krt_trace_fd}>"$KRT_TEST_TRACE/$(basename "$0" .sh).trace"
    BASH_XTRACEFD=$krt_trace_fd
    # the line of the test script: the outermost call's while in a function
    PS4='+${EPOCHREALTIME} ${FUNCNAME:+${BASH_LINENO[${#BASH_LINENO[@]}-2]} }${FUNCNAME:-$LINENO} '
    set -x
fi

krt() { "$build/tools/krt-$1" "${@:2}"; }
kcli() { "$cluster" cli "$@"; }

# TAP: meson reads every stdout line that is not a test line as unknown
# output (an ERROR), so descriptions are kept to one line and every
# diagnostic line, also each line of a multi-line value, starts with "# ".
# one line, and no '#' that TAP would read as a directive ("# SKIP", "# TODO")
one_line() { local s=${1//$'\r'/ }; s=${s//$'\n'/ }; printf '%s' "${s//#/\\#}"; }
diag() { # diag TEXT...: each line of each TEXT as a "# " line
    local t l
    for t in "$@"; do
        while IFS= read -r l || [[ -n $l ]]; do printf '#   %s\n' "$l"; done <<<"$t"
    done
}
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $(one_line "$*")"; }
not_ok() {
    tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $(one_line "$1")"
    shift
    diag "$@"
}
check() { # check DESC CMD...: passes when CMD succeeds (its output is dropped)
    local d=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$d"; else not_ok "$d" "command failed: $*"; fi
}
eq() { # eq DESC GOT WANT
    if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}
contains() { # contains DESC HAYSTACK NEEDLE
    if [[ "$2" == *"$3"* ]]; then ok "$1"; else not_ok "$1" "missing: $3" "in: ${2:0:600}"; fi
}
lacks() { # lacks DESC HAYSTACK NEEDLE
    if [[ "$2" != *"$3"* ]]; then ok "$1"; else not_ok "$1" "unexpected: $3"; fi
}
# run CMD...: sets $out, $err, $rc
run() { "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }
done_testing() { echo "1..$tap_n"; [[ $tap_failed == 0 ]]; exit $?; }
bail() { echo "Bail out! $(one_line "$*")"; exit 1; }

need_cluster() {
    B=${KRT_TEST_BOOTSTRAP:-}
    [[ -n $B ]] || bail "no test cluster: KRT_TEST_BOOTSTRAP is not set (run ./scripts/test)"
    # A test killed at its timeout never ran its trap that brings back the
    # brokers it stopped, and every later test failed with it: each test
    # starts with every broker running (restart refuses a running one at once)
    local id
    for id in 1 2 3; do
        "$cluster" resume "$id" >/dev/null 2>&1
        "$cluster" restart "$id" >/dev/null 2>&1
    done
    kcat -b "$B" -L -m 5 >/dev/null 2>&1 || bail "test cluster at $B does not answer"
    export KRT_BOOTSTRAP_SERVERS=$B
}

# A topic name unique to this run, so tests never see each other's data.
topic_name() { echo "krt-test-$1-$$-$RANDOM"; }

# Topics are made and removed with tests/helpers/topics.py (librdkafka's admin
# API): kafka-topics starts a JVM per call, 2-5 s each on a busy machine, and
# the tests made about 40 topics. create_topic returns once every broker knows
# every partition's leader, so the next command may go to any broker.
create_topic() { # create_topic NAME PARTITIONS RF|ASSIGNMENT [--config k=v]... (ASSIGNMENT: "1:2,2:3")
    python3 "$src/tests/helpers/topics.py" create "$B" "$@" 2>"$tmp/create.err" \
        || bail "cannot create topic $1: $(cat "$tmp/create.err")"
}
# recreate_topic NAME PARTITIONS RF: delete it, then create it anew (again
# while the broker still reports the old one as being deleted; 30 s at most)
recreate_topic() {
    local i
    delete_topics "$1"
    for i in $(seq 1 30); do
        python3 "$src/tests/helpers/topics.py" create "$B" "$@" 2>"$tmp/create.err" && return 0
        sleep 1
    done
    bail "cannot recreate topic $1: $(cat "$tmp/create.err")"
}
# delete_topics NAME...: one request for all (topics already gone are fine);
# a failure is a diagnostic line, not a failed test (the cluster goes away
# after the run anyway)
delete_topics() {
    python3 "$src/tests/helpers/topics.py" delete "$B" "$@" 2>"$tmp/delete.err" \
        || diag "deleting topics: $(cat "$tmp/delete.err")"
}

# quiet_consumer GROUP CLIENT_ID TOPIC: start, in the background, a group
# member that commits nothing, so a test can compare a group's offsets before
# and after; $! is then kcat's own pid (the function does not run in a
# subshell, so killing $! stops kcat itself).
# kcat applies an unprefixed -X to the topic configuration first, and
# enable.auto.commit is also a (legacy, ignored) topic property, so
# "-X enable.auto.commit=false" leaves the group's auto-commit on: the member
# commits the end offsets about 5 s after it joins (the rewind.sh flake).
# enable.auto.offset.store is only a global property: false, no offset is
# ever stored, so neither the auto-commit nor the commit on close writes one.
quiet_consumer() {
    kcat -b "$B" -G "$1" -X client.id="$2" -X enable.auto.offset.store=false -q "$3" >/dev/null 2>&1 &
}

# kcg_run ARGS...: kafka-consumer-groups --bootstrap-server $B ARGS, its
# stdout on stdout. That tool exits 0 when it failed (it prints "Error: ..."),
# and on a loaded machine a topic just created may not be known yet to the
# broker it asks, or a request times out: a test that seeds a group with it
# must not go on with a group that is not there. Retried while it reports an
# error (5 tries); returns 1 when it still does.
kcg_run() {
    local i
    for i in 1 2 3 4 5; do
        # a JVM that died (a stack trace, no "Error:") is a failure too
        if kcli kafka-consumer-groups --bootstrap-server "$B" "$@" >"$tmp/kcg.out" 2>"$tmp/kcg.err" &&
            ! grep -q '^Error' "$tmp/kcg.out" "$tmp/kcg.err"; then
            cat "$tmp/kcg.out"
            return 0
        fi
        sleep 2
    done
    return 1
}

# kcat_offset TOPIC PARTITION TS|-1|-2: the offset kcat -Q returns
# wait_stable TOPIC: until no transaction is open on TOPIC (its last stable
# offset equals its high watermark on every partition; 60 s at most): a
# transactional tool's commit returns before the broker writes the commit
# markers, and a read_committed read until then ends short
wait_stable() {
    local i p settled
    for i in $(seq 1 120); do
        settled=1
        for p in $(kcat -b "$B" -L -t "$1" 2>/dev/null | awk '/partition [0-9]+, leader/ { gsub(",", ""); print $2 }'); do
            [[ $(kcat -b "$B" -Q -t "$1:$p:-1" -X isolation.level=read_committed 2>/dev/null | awk '{ print $NF }') == \
                "$(kcat -b "$B" -Q -t "$1:$p:-1" -X isolation.level=read_uncommitted 2>/dev/null | awk '{ print $NF }')" ]] ||
                { settled=0; break; }
        done
        ((settled)) && return 0
        sleep 0.5
    done
    diag "wait_stable: a transaction is still open on $1 after 60 s"
    return 1
}
kcat_offset() {
    kcat -b "$B" -Q -t "$1:$2:$3" 2>/dev/null | awk -v t="$1" -v p="[$2]" '$1 == t && $2 == p { print $4 }'
}
