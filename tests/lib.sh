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

krt() { "$build/tools/krt-$1" "${@:2}"; }
kcli() { "$cluster" cli "$@"; }

ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() {
    tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1))
    echo "not ok $tap_n - $1"
    shift
    for l in "$@"; do printf '#   %s\n' "$l"; done
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
bail() { echo "Bail out! $*"; exit 1; }

need_cluster() {
    B=${KRT_TEST_BOOTSTRAP:-}
    [[ -n $B ]] || bail "no test cluster: KRT_TEST_BOOTSTRAP is not set (run ./scripts/test)"
    kcat -b "$B" -L -m 5 >/dev/null 2>&1 || bail "test cluster at $B does not answer"
    export KRT_BOOTSTRAP_SERVERS=$B
}

# A topic name unique to this run, so tests never see each other's data.
topic_name() { echo "krt-test-$1-$$-$RANDOM"; }

create_topic() { # create_topic NAME PARTITIONS RF [--config k=v]...
    local t=$1 p=$2 r=$3; shift 3
    kcli kafka-topics --bootstrap-server "$B" --create --topic "$t" --partitions "$p" \
        --replication-factor "$r" "$@" >/dev/null 2>"$tmp/create.err" \
        || bail "cannot create topic $t: $(cat "$tmp/create.err")"
}

# kcat_offset TOPIC PARTITION TS|-1|-2: the offset kcat -Q returns
kcat_offset() {
    kcat -b "$B" -Q -t "$1:$2:$3" 2>/dev/null | awk -v t="$1" -v p="[$2]" '$1 == t && $2 == p { print $4 }'
}
