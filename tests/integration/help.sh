#!/usr/bin/env bash
# Every tool answers --help with its synopsis, and that synopsis is the one in
# docs/krt-<tool>.md; unknown options are usage errors (exit 2). No broker.
. "$(dirname "$0")/../lib.sh"

for exe in "$build"/tools/krt-*; do
    [[ -x $exe && -f $exe ]] || continue
    name=$(basename "$exe")
    run "$exe" --help
    eq "$name --help exits 0" "$rc" 0
    usage_line=$(printf '%s\n' "$out" | head -1 | sed 's/^usage: //')
    doc="$src/docs/$name.md"
    if [[ -f $doc ]]; then
        synopsis=$(awk '/^## Synopsis/{s=1;next} s && /^```/{if(c++)exit;next} s && c==1{print;exit}' "$doc")
        eq "$name synopsis in docs matches --help" "$synopsis" "$usage_line"
    else
        not_ok "$name has docs/$name.md"
    fi
    run "$exe" --no-such-option
    eq "$name unknown option exits 2" "$rc" 2
    contains "$name unknown option explains" "$err" "error: unknown option"
    run "$exe" --version
    contains "$name --version" "$out" "$name "
done
done_testing
