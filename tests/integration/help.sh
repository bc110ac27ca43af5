#!/usr/bin/env bash
# Every tool answers --help with its synopsis, and that synopsis is the one in
# docs/krt-<tool>.md; every option --help lists is in the docs page's
# "## Options" section and every option listed there is in --help; unknown
# options are usage errors (exit 2). No broker.
. "$(dirname "$0")/../lib.sh"

# The options --help lists: the option column (up to the first two blanks)
# of the lines indented by 2 ("  -t, --topic") or 6 ("      --json").
help_opts() {
    grep -E '^(  -[A-Za-z]|      --[a-z])' | sed -E 's/^ +//; s/  .*//' \
        | grep -oE '(^|[ ,/])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[ ,/]//' | sort -u
}
# The options a docs page lists: the bullets of its "## Options" section
# start with the options they describe, as `code` spans separated by ", ",
# " / " or "; " (after "shared options ...: " for the shared ones).
doc_opts() {
    awk '/^## /{ s = ($0 == "## Options") } s && /^- /' "$1" \
        | sed -E 's/^- (shared options[^`]*: )?//' \
        | sed -E 's/^((`-[^`]*`(, | \/ |; )?)*).*/\1/' \
        | grep -oE '(`|[ ,/|])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[` ,/|]//' | sort -u
}

tools=0
for exe in "$build"/tools/krt-*; do
    [[ -x $exe && -f $exe ]] || continue
    tools=$((tools + 1))
    name=$(basename "$exe")
    run "$exe" --help
    eq "$name --help exits 0" "$rc" 0
    help=$out
    usage_line=$(printf '%s\n' "$help" | head -1 | sed 's/^usage: //')
    doc="$src/docs/$name.md"
    if [[ -f $doc ]]; then
        synopsis=$(awk '/^## Synopsis/{s=1;next} s && /^```/{if(c++)exit;next} s && c==1{print;exit}' "$doc")
        eq "$name synopsis in docs matches --help" "$synopsis" "$usage_line"
        hopts=$(printf '%s\n' "$help" | help_opts)
        dopts=$(doc_opts "$doc")
        # a parser that finds nothing would make the comparison pass vacuously
        if (($(wc -l <<<"$hopts") >= 12)); then ok "$name --help lists its options ($(wc -l <<<"$hopts"))"
        else not_ok "$name --help lists its options" "found: $hopts"; fi
        eq "$name: every option of --help is in docs/$name.md" \
            "$(comm -23 <(printf '%s\n' "$hopts") <(printf '%s\n' "$dopts"))" ""
        eq "$name: every option of docs/$name.md is in --help" \
            "$(comm -13 <(printf '%s\n' "$hopts") <(printf '%s\n' "$dopts"))" ""
    else
        not_ok "$name has docs/$name.md"
    fi
    run "$exe" --no-such-option
    eq "$name unknown option exits 2" "$rc" 2
    contains "$name unknown option explains" "$err" "error: unknown option"
    run "$exe" --version
    contains "$name --version" "$out" "$name "

    # --json: a usage error prints the error document of docs/exit-codes.md
    # on stdout, wherever --json stands (a parse stops at the first error)
    for args in "--json --no-such-option" "--no-such-option --json" "--json --timeout nan"; do
        run "$exe" $args
        eq "$name $args: exit 2" "$rc" 2
        eq "$name $args: the JSON error document" \
            "$(jq -r '[.error.code, .error.exit_code, (.error.message | length > 0)] | join(" ")' \
                <<<"$out" 2>&1)" "usage 2 true"
        eq "$name $args: still one error line on stderr" "$(grep -c 'error:' <<<"$err")" 1
    done
    run "$exe" --no-such-option
    eq "$name without --json: nothing on stdout" "$out" ""

    # --timeout: librdkafka's socket.timeout.ms bounds (10ms to 5m), units
    # ms, s, m, h; checked before any connection (-b points nowhere)
    for t in nan inf -5s 0x10 1e3 5ms 301s 1h 20h 99999999999999999999h 10x; do
        run "$exe" -b 127.0.0.1:1 --timeout "$t"
        eq "$name --timeout $t: exit 2" "$rc" 2
        if [[ $err == *"--timeout '$t'"* && $err != *librdkafka\ * && $err != *"-2147483648"* ]]; then
            ok "$name --timeout $t: krt's own message names the value"
        else
            not_ok "$name --timeout $t: krt's own message names the value" "$err"
        fi
    done
    run "$exe" -b 127.0.0.1:1 --timeout 1h
    contains "$name --timeout 1h: says the range" "$err" "10ms to 5m"
    run "$exe" --timeout 0.05h --help
    eq "$name --timeout 0.05h (3 minutes, h as a unit) is accepted" "$rc" 0
    contains "$name --help states the range of --timeout" "$help" "10ms to 5m"

    # -X with ':' or a blank for '=': the secret is never echoed
    for x in "sasl.password:hunter2" "sasl.password hunter2" "ssl.key.password:hunter2"; do
        run "$exe" -X debug=all -X "$x" --json
        eq "$name -X '${x/hunter2/SECRET}': exit 2" "$rc" 2
        lacks "$name -X '${x/hunter2/SECRET}': not on stderr" "$err" hunter2
        lacks "$name -X '${x/hunter2/SECRET}': not on stdout" "$out" hunter2
        contains "$name -X '${x/hunter2/SECRET}': named by its place" "$err" "-X argument 2 has no '='"
    done
    # a lone word may be a secret pasted without its key: no part of it is shown
    run "$exe" -X hunter2word --json
    eq "$name -X WORD: exit 2" "$rc" 2
    lacks "$name -X WORD: not on stderr" "$err" hunter2
    lacks "$name -X WORD: not on stdout" "$out" hunter2
    contains "$name -X WORD: named by its place" "$err" "-X argument 1 has no '='"

    run "$exe" --sasl-password=hunter2
    lacks "$name --mistyped-option=SECRET: not echoed" "$err" hunter2
    # an unknown letter inside a cluster of short options: getopt has not
    # moved past the cluster yet, so the argument before it is no name to echo
    run "$exe" -X sasl.password=hunter2 -Zq --json
    eq "$name -X SECRET -Zq: exit 2" "$rc" 2
    lacks "$name -X SECRET -Zq: not on stderr" "$err" hunter2
    lacks "$name -X SECRET -Zq: not on stdout" "$out" hunter2
    contains "$name -X SECRET -Zq: names the unknown letter" "$err" "'-Z'"
done
# Runbooks and drills (issue 13): every runbook in docs/runbooks/ is run by
# a drill, every drill names the runbooks it follows (scenarios/run's table,
# and the "# Runbook:" lines of its file) and each runbook names its drills
# ("scenarios/run NAME"). No cluster: scenarios/run --list reads its table.
run "$src/scenarios/run" --list --json
eq "scenarios/run --list --json exits 0" "$rc" 0
drill_pairs=$(jq -r '.drill as $d | .runbooks[] | "\($d) \(.)"' <<<"$out" 2>/dev/null | sort -u)
drills=$(jq -r .drill <<<"$out" 2>/dev/null)
if (($(wc -l <<<"$drills") >= 7)); then ok "scenarios/run lists its drills ($(wc -l <<<"$drills"))"
else not_ok "scenarios/run lists its drills" "got: $out"; fi
for d in $drills; do
    grep -q . <<<"$(awk -v d="$d" '$1 == d' <<<"$drill_pairs")" \
        && ok "drill $d names a runbook" || not_ok "drill $d names a runbook"
    f="$src/scenarios/drills/$d.sh"
    eq "drill $d: the '# Runbook:' lines of $d.sh are its runbooks in scenarios/run" \
        "$(sed -nE 's,^# Runbook: docs/runbooks/([^ ]+).*,\1,p' "$f" 2>/dev/null | sort -u | paste -sd' ')" \
        "$(awk -v d="$d" '$1 == d { print $2 }' <<<"$drill_pairs" | paste -sd' ')"
done
while read -r d r; do
    [[ -n $d ]] || continue
    if [[ -f $src/docs/runbooks/$r ]]; then ok "drill $d: runbook $r exists"
    else not_ok "drill $d: runbook $r exists" "no docs/runbooks/$r"; fi
    contains "runbook $r names its drill $d" "$(cat "$src/docs/runbooks/$r" 2>/dev/null)" "scenarios/run $d\`"
done <<<"$drill_pairs"
nrb=0
for f in "$src"/docs/runbooks/*.md; do
    nrb=$((nrb + 1))
    r=${f##*/}
    by=$(awk -v r="$r" '$2 == r { print $1 }' <<<"$drill_pairs" | paste -sd' ')
    [[ -n $by ]] && ok "runbook $r is run by a drill ($by)" || not_ok "runbook $r is run by a drill" "no drill in scenarios/run names it"
    for d in $(grep -oE 'scenarios/run [a-z0-9-]+' "$f" | awk '{ print $2 }' | sort -u); do
        grep -qx "$d" <<<"$drills" && ok "runbook $r: drill $d exists" || not_ok "runbook $r: drill $d exists" "scenarios/run has no drill $d"
    done
done
((nrb >= 8)) && ok "docs/runbooks/ holds the runbooks ($nrb)" || not_ok "docs/runbooks/ holds the runbooks" "found $nrb"

want_tools=$(grep -c "^  '[a-z]*',$" "$src/tools/meson.build")
((want_tools >= 7)) || not_ok "tools/meson.build lists the tools" "found $want_tools"
eq "every tool in tools/meson.build was checked" "$tools" "$want_tools"
done_testing
