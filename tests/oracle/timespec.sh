#!/usr/bin/env bash
# timespec.sh - krt's date-time and duration parsers against java.time (and
# Kafka's own Utils.getDateTime) on a generated corpus of a few thousand
# valid and invalid strings. No cluster needed; needs javac/java (JDK 17),
# python3 and the Kafka jars (scripts/kafka-cluster classpath). What is
# compared and krt's deliberate differences: tests/oracle/compare.py.
set -u
src=${KRT_SOURCE_ROOT:?run through meson test (scripts/test)}
build=${KRT_BUILD_ROOT:?run through meson test (scripts/test)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bail() { echo "Bail out! $*"; exit 1; }

command -v javac >/dev/null || bail "javac not found: install a JDK 17 (scripts/setup)"
command -v python3 >/dev/null || bail "python3 not found (scripts/setup)"
cp="$("$src/scripts/kafka-cluster" classpath 2>"$tmp/cp.err")" || bail "no Kafka class path: $(cat "$tmp/cp.err")"
javac -d "$tmp" "$src/tests/oracle/TimeOracle.java" 2>"$tmp/javac.err" || bail "javac failed: $(cat "$tmp/javac.err")"
python3 "$src/tests/oracle/gen_corpus.py" >"$tmp/corpus.txt" || bail "corpus generator failed"
java -Duser.timezone=UTC -cp "$tmp:$cp" TimeOracle <"$tmp/corpus.txt" >"$tmp/java.txt" 2>"$tmp/java.err" \
    || bail "TimeOracle failed: $(head -c 600 "$tmp/java.err")"
"$build/tests/timespec_driver" <"$tmp/corpus.txt" >"$tmp/krt.txt" 2>"$tmp/krt.err" \
    || bail "timespec_driver failed: $(head -c 600 "$tmp/krt.err")"
exec python3 "$src/tests/oracle/compare.py" "$tmp/corpus.txt" "$tmp/java.txt" "$tmp/krt.txt"
