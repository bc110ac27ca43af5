#!/usr/bin/env bash
# Benchmark: back up RECORDS records of 1 KB in 6 partitions (RF 3) with
#   krt-backup --codec snappy and --codec deflate, against
#   - kcat -C -e dumping the same records to a file (offset, key, value,
#     headers in its own format): the anchor krt-backup should beat 1.5x, and
#   - kafka-consumer-perf-test reading them (the cluster's read ceiling):
#     krt-backup with snappy should reach 0.8 of it;
#   ROUNDS times each, taking turns, all in one run on the same cluster.
#   Reports every run, medians, the ratios, peak RSS (/usr/bin/time) and the
#   size on disk of each output.
#   bench/backup.sh [RECORDS] [ROUNDS]      (default 1000000 records, 1 round)
#   bench/backup.sh memory [RECORDS]        peak RSS of krt-backup (snappy) on
#       RECORDS records of 1 KB (default 200000) in a topic of 1 partition and
#       in one of 200 partitions: memory must not grow with the partitions.
#   bench/backup.sh ab BASELINE [RECORDS] [ROUNDS]   before and after: the
#       krt-backup binary BASELINE (e.g. a build of an earlier commit), this
#       build's krt-backup (both --codec snappy), the kcat dump and
#       kafka-consumer-perf-test, taking turns on one topic of RECORDS x 1 KB
#       in 6 partitions (default 100000, 5 rounds); medians, ratios to the
#       kcat dump and to the read ceiling, peak RSS, the load average.
. "$(dirname "$0")/lib.sh"
# run_perf_test RECORDS GROUP: kafka-consumer-perf-test reads RECORDS of $S;
# sets perf_own_ms (from its own records/s figure after the group join, no
# JVM start) and perf_wall_ms
run_perf_test() {
    local t0 own
    t0=$(date +%s%N)
    java -Xmx512m -Dlog4j.configuration="file:$repo/scripts/kafka/log4j-tools.properties" \
        -cp "$(scripts/kafka-cluster classpath)" org.apache.kafka.tools.ConsumerPerformance \
        --bootstrap-server "$B" --topic "$S" --messages "$1" --group "$2" \
        --timeout 60000 >"$work/perf.log" 2>&1 || { cat "$work/perf.log" >&2; exit 1; }
    perf_wall_ms=$((($(date +%s%N) - t0) / 1000000))
    own=$(consumer_perf_rate "$work/perf.log" "$1")
    perf_own_ms=$(awk -v n="$1" -v r="$own" 'BEGIN { printf "%.0f", n * 1000 / r }')
}

# check_backup BINARY DIR WHAT: the backup in DIR holds $n records and
# passes BINARY's --verify (untimed: the files' hashes and blocks, the
# segments' offsets continuous, no overlap, a hole only as a recorded gap;
# with the count, every record once)
check_backup() {
    local got
    got=$(jq '[.topics[].partitions[].segments[].records] | add' "$2/manifest.json")
    [[ $got == "$n" ]] || { echo "bench: $3 holds $got records, not $n" >&2; exit 1; }
    "$1" --dir "$2" --verify -q >"$work/verify.log" 2>&1 \
        || { echo "bench: krt-backup --verify failed on $3" >&2; cat "$work/verify.log" >&2; exit 1; }
}

if [[ ${1:-} == ab ]]; then
    base=$(realpath "${2:?bench/backup.sh ab BASELINE [RECORDS] [ROUNDS]}")
    n=${3:-100000} rounds=${4:-5}
    S=bench-backup-ab-$$
    kcli kafka-topics --bootstrap-server "$B" --create --topic "$S" --partitions 6 --replication-factor 3 >/dev/null 2>&1
    kcli kafka-producer-perf-test --topic "$S" --num-records "$n" --record-size 1024 --throughput -1 \
        --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/fill.log" 2>&1
    declare -A ab_ms ab_rss
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    for r in $(seq 1 "$rounds"); do
        for who in baseline new kcat perf; do
            rm -rf "$work/ab"; sync; sleep 1
            if [[ $who == perf ]]; then
                run_perf_test "$n" "bench-perf-ab-$$-$r"
                ab_ms[perf]+="$perf_own_ms "
                printf '  round %d  %-9s %6d ms  by its own clock (%d ms wall, JVM start included)\n' \
                    "$r" "$who" "$perf_own_ms" "$perf_wall_ms"
                continue
            fi
            case $who in
                baseline) cmd=("$base" --dir "$work/ab" --topic "$S" --codec snappy -q) ;;
                new) cmd=(build/tools/krt-backup --dir "$work/ab" --topic "$S" --codec snappy -q) ;;
                kcat) cmd=(kcat -b "$B" -C -t "$S" -e -q -X isolation.level=read_committed
                    -f '%p %o %T %k %s %h\n') ;;
            esac
            t0=$(date +%s%N)
            /usr/bin/time -f '%M' -o "$work/time" "${cmd[@]}" >"$work/ab.out" 2>"$work/ab.err" \
                || { cat "$work/ab.err" >&2; exit 1; }
            ms=$((($(date +%s%N) - t0) / 1000000))
            if [[ $who == kcat ]]; then
                got=$(wc -l <"$work/ab.out")
                [[ $got == "$n" ]] || { echo "bench: kcat read $got records, not $n" >&2; exit 1; }
            else # each build checks its own backup (a baseline may predate a format change)
                check_backup "${cmd[0]}" "$work/ab" "$who's backup"
            fi
            ab_ms[$who]+="$ms "
            rss=$(($(cat "$work/time") / 1024))
            ((rss > ${ab_rss[$who]:-0})) && ab_rss[$who]=$rss
            printf '  round %d  %-9s %6d ms  peak RSS %3d MB\n' "$r" "$who" "$ms" "$rss"
        done
    done
    med() { printf '%s\n' ${ab_ms[$1]} | median; }
    mb=$(med baseline) mn=$(med new) mk=$(med kcat) mp=$(med perf)
    echo "medians of $rounds rounds, $n records: baseline $mb ms, new $mn ms, kcat dump $mk ms, consumer-perf-test $mp ms"
    awk -v b="$mb" -v n="$mn" -v k="$mk" -v p="$mp" 'BEGIN {
        printf "  vs the kcat dump: baseline %.2fx, new %.2fx (goal >= 1.5x); new vs baseline %.2fx\n", k / b, k / n, b / n
        printf "  of the read ceiling (consumer-perf-test): baseline %.2f, new %.2f (goal >= 0.8)\n", p / b, p / n }'
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "  highest peak RSS: baseline ${ab_rss[baseline]} MB, new ${ab_rss[new]} MB, kcat ${ab_rss[kcat]} MB"
    kcli kafka-topics --bootstrap-server "$B" --delete --topic "$S" >/dev/null 2>&1 || true
    exit 0
fi
if [[ ${1:-} == memory ]]; then
    n=${2:-200000}
    for parts in 1 200; do
        M=bench-backup-mem-$parts-$$
        kcli kafka-topics --bootstrap-server "$B" --create --topic "$M" --partitions "$parts" \
            --replication-factor 1 >/dev/null 2>&1
        kcli kafka-producer-perf-test --topic "$M" --num-records "$n" --record-size 1024 \
            --throughput -1 --producer-props bootstrap.servers="$B" acks=1 linger.ms=20 \
            batch.size=65536 >"$work/fill.log" 2>&1
        sync; sleep 2
        t0=$(date +%s%N)
        /usr/bin/time -f '%M' -o "$work/time" build/tools/krt-backup --dir "$work/mem-$parts" \
            --topic "$M" -q >"$work/bk.log" 2>&1 || { cat "$work/bk.log" >&2; exit 1; }
        ms=$((($(date +%s%N) - t0) / 1000000))
        printf '  %3d partition(s): %d records in %d ms, peak RSS %d MB, %d segments\n' "$parts" \
            "$(jq '[.topics[].partitions[].segments[].records] | add' "$work/mem-$parts/manifest.json")" \
            "$ms" $(($(cat "$work/time") / 1024)) \
            "$(jq '[.topics[].partitions[].segments | length] | add' "$work/mem-$parts/manifest.json")"
        rm -rf "$work/mem-$parts"
        kcli kafka-topics --bootstrap-server "$B" --delete --topic "$M" >/dev/null 2>&1 || true
    done
    exit 0
fi
n=${1:-1000000}
rounds=${2:-1}
S=bench-backup-$$
kcli kafka-topics --bootstrap-server "$B" --create --topic "$S" --partitions 6 --replication-factor 3 >/dev/null 2>&1
echo "filling the source with $n records of 1 KB..."
kcli kafka-producer-perf-test --topic "$S" --num-records "$n" --record-size 1024 --throughput -1 \
    --producer-props bootstrap.servers="$B" acks=all linger.ms=20 batch.size=262144 >"$work/fill.log" 2>&1
rate() { awk -v n="$n" -v ms="$1" 'BEGIN { printf "%.0f", n * 1000 / ms }'; }
mb() { du -sb "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
settle() { sync; sleep 2; }
declare -A ms_of rss_of size_of
lines=()

run_backup() { # run_backup CODEC
    local d=$work/bk-$1-$r t0 ms
    settle
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/time" build/tools/krt-backup --dir "$d" --topic "$S" --codec "$1" -q \
        >"$work/bk.log" 2>&1 || { cat "$work/bk.log" >&2; exit 1; }
    ms=$((($(date +%s%N) - t0) / 1000000))
    check_backup build/tools/krt-backup "$d" "the --codec $1 backup"
    ms_of[$1]+="$ms "
    rss_of[$1]=$(($(cat "$work/time") / 1024))
    size_of[$1]=$(mb "$d")
    lines+=("$(printf '  round %d  krt-backup %-8s %7d ms  %7s records/s  peak RSS %3d MB  %7s MB on disk' \
        "$r" "$1" "$ms" "$(rate "$ms")" "${rss_of[$1]}" "${size_of[$1]}")")
    rm -rf "$d"
}

run_kcat() {
    local t0 ms
    settle
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/time" kcat -b "$B" -C -t "$S" -e -q -X isolation.level=read_committed \
        -f '%p %o %T %k %s %h\n' >"$work/dump-$r"
    ms=$((($(date +%s%N) - t0) / 1000000))
    got=$(wc -l <"$work/dump-$r")
    [[ $got == "$n" ]] || { echo "bench: the kcat dump holds $got lines, not $n" >&2; exit 1; }
    ms_of[kcat]+="$ms "
    rss_of[kcat]=$(($(cat "$work/time") / 1024))
    size_of[kcat]=$(mb "$work/dump-$r")
    lines+=("$(printf '  round %d  kcat -C -e dump    %7d ms  %7s records/s  peak RSS %3d MB  %7s MB on disk' \
        "$r" "$ms" "$(rate "$ms")" "${rss_of[kcat]}" "${size_of[kcat]}")")
    rm -f "$work/dump-$r"
}

run_perf() {
    settle
    run_perf_test "$n" "bench-perf-$$-$r"
    ms_of[perf]+="$perf_own_ms "
    lines+=("$(printf '  round %d  consumer-perf-test %7d ms  %7s records/s by its own clock (%s records/s wall, JVM start included)' \
        "$r" "$perf_wall_ms" "$(rate "$perf_own_ms")" "$(rate "$perf_wall_ms")")")
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$rounds"); do
    case $((r % 4)) in # take turns
        1) run_backup snappy; run_backup deflate; run_kcat; run_perf ;;
        2) run_kcat; run_perf; run_backup snappy; run_backup deflate ;;
        3) run_perf; run_backup deflate; run_kcat; run_backup snappy ;;
        0) run_backup deflate; run_kcat; run_backup snappy; run_perf ;;
    esac
done
med() { printf '%s\n' ${ms_of[$1]} | median; }
echo "backup of $n records of 1 KB in 6 partitions, $rounds round(s):"
printf '%s\n' "${lines[@]}"
ks=$(med snappy) kd=$(med deflate) kc=$(med kcat) kp=$(med perf)
echo "medians: krt-backup snappy $ks ms, deflate $kd ms, kcat dump $kc ms, consumer-perf-test $kp ms"
awk -v s="$ks" -v d="$kd" -v c="$kc" -v p="$kp" 'BEGIN {
    printf "  krt-backup snappy vs kcat dump:           %.2fx (goal >= 1.5x)\n", c / s
    printf "  krt-backup deflate vs kcat dump:          %.2fx\n", c / d
    printf "  krt-backup snappy vs consumer-perf-test:  %.2f of the read ceiling (goal >= 0.8)\n", p / s
}'
echo "  sizes: snappy ${size_of[snappy]} MB, deflate ${size_of[deflate]} MB, kcat dump ${size_of[kcat]} MB"
echo "  load average: $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
echo "  peak RSS: krt-backup snappy ${rss_of[snappy]} MB, deflate ${rss_of[deflate]} MB (goal < 100 MB); kcat ${rss_of[kcat]} MB"
kcli kafka-topics --bootstrap-server "$B" --delete --topic "$S" >/dev/null 2>&1 || true
