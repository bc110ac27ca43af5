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

done
eq "the five tools were checked" "$tools" 5
done_testing
