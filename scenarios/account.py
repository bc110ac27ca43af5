#!/usr/bin/env python3
"""account.py: the drills' bookkeeping over what Kafka's own clients printed.

  account.py consume --end P=OFF[,P=OFF...] --timeout SECS OUT -- CMD...
      run CMD (kafka-verifiable-consumer --verbose), write one line
      "partition offset value" per record it reports to OUT, and stop it once
      every partition was read up to its end offset (or after SECS: exit 1).
      With --first, a partition is done at its first record (a group resuming
      from its commits: only where it starts matters).
  account.py diff ACKED.jsonl CONSUMED.txt [AFTER_FILL.txt] [--backup BACKUP.txt]
      acked = producer_send_success events of kafka-verifiable-producer;
      survived = the consumed lines; lost = acked - survived, as sets of
      (partition, offset, value). Prints one JSON object; "recovered" counts
      the lost records whose value is read back in their partition (in
      AFTER_FILL.txt, a read-back after a gap fill, else in CONSUMED.txt),
      "recovered_twice" those read back more than once; with AFTER_FILL.txt,
      "after_twice" counts every acked record read there more than once and
      "after_acked" the acked records it holds. With --backup (the backup's
      records as fastavro reads them, "partition offset value" lines:
      tests/helpers/records.py backup DIR TOPIC values), "lost_in_backup"
      counts lost & backup (what a gap fill can bring back, as sets of
      (partition, offset, value)) and "recovered_outside_backup" the
      recovered records that are not in it.

  account.py team RESEND.txt SOURCE_TAIL.txt
      the consuming team's processing: first the resend topic's records
      ("partition offset headers value", headers as kcat's %h prints them),
      then its regular stream from its committed offsets ("partition offset
      value"), de-duplicated with the provenance headers as the runbook says:
      per source partition, skip a record whose source offset is not above the
      highest one applied. Writes one line per event applied to
      RESEND.txt.processed (an event applied twice shows twice) and prints one
      JSON object (events processed, duplicates skipped).

  account.py cut ACKED.jsonl TOPIC_READ.txt RESTORED_READ.txt --cut P=OFF,... --lost P,...
      a restore from a backup after partitions lost their data: survived =
      the records read back from the topic (partition, offset, value), plus
      those read back from the restored topic (partition, value: restored
      records get new offsets); lost = acked - survived. expected_lost = the
      acked records at or past the backup's cut on the --lost partitions;
      before_cut = the acked records below the cut (every partition), of
      which restored = those read back from the restored topic. Prints one
      JSON object, with lost_equals_expected.

  account.py next ACKED.jsonl RESUMED.txt --commits P=C,... --cut P=OFF,...
      a group resumed on the restored topic: per partition, the first record
      it read (RESUMED.txt, "partition offset value") must be the acked record
      at its commit C (offset C on the partition before the loss) when C is
      below the backup's cut, and nothing when C is at or past the cut.
      Prints one JSON object (ok, and per partition expected and got).

Only the standard library: the drills must not depend on a client written here.
"""
import json
import os
import signal
import subprocess
import sys
import time


def parse_end(spec):
    """"P=OFF,P=OFF" -> {P: OFF}; exits when the spec is empty or a partition
    has no end offset (kcat got no metadata: nothing to read back against)."""
    end = {}
    for item in spec.split(","):
        if item:
            p, _, o = item.partition("=")
            if not p.strip().isdigit() or not o.strip().lstrip("-").isdigit():
                sys.exit("account.py consume: no end offset for partition %r in --end %r (no metadata?)"
                         % (p, spec))
            end[int(p)] = int(o)
    if not end:
        sys.exit("account.py consume: empty --end spec (no metadata for the topic?)")
    return end


def consume(argv):
    end, timeout, out, first = None, 120.0, None, False
    i = 0
    while i < len(argv) and argv[i] != "--":
        if argv[i] == "--first":
            first = True; i += 1
        elif argv[i] == "--end":
            end = parse_end(argv[i + 1]); i += 2
        elif argv[i] == "--timeout":
            timeout = float(argv[i + 1]); i += 2
        else:
            out = argv[i]; i += 1
    cmd = argv[i + 1:]
    if end is None or out is None or not cmd:
        sys.exit("account.py consume: usage: --end P=OFF,... --timeout S OUT -- CMD...")
    # A partition is done when the consumer reported a record at end-1 or
    # later; transaction markers take offsets too, so a committed position at
    # or past the end also counts (offsets_committed events).
    todo = {p for p, o in end.items() if o > 0}
    seen = 0
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + timeout
    ok = not todo
    # The pipe is read with os.read and split here: a buffered readline()
    # after select() takes every line the consumer wrote at once into
    # Python's buffer and returns one; select() then waits on an empty pipe
    # while the rest of the batch (the partition's last records) sits in
    # that buffer, and the read-back timed out a few records short of the end.
    fd = proc.stdout.fileno()
    pending = b""
    with open(out, "w") as f:
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(fd, selectors.EVENT_READ)
        eof = False
        while todo and not eof and time.monotonic() < deadline:
            if not sel.select(timeout=1.0):
                if proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                eof = True
            pending += chunk
            *lines, pending = pending.split(b"\n")
            if eof and pending:
                lines.append(pending)
            for raw in lines:
                try:
                    ev = json.loads(raw)
                except ValueError:
                    continue
                name = ev.get("name")
                if name == "record_data":
                    p, o = ev["partition"], ev["offset"]
                    f.write("%d %d %s\n" % (p, o, ev.get("value")))
                    seen += 1
                    if p in todo and (first or o >= end[p] - 1):
                        todo.discard(p)
                elif name == "offsets_committed":
                    for c in ev.get("offsets") or []:
                        p = c.get("partition")
                        if p in todo and c.get("offset", 0) >= end[p]:
                            todo.discard(p)
        ok = not todo
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    if ok and seen == 0 and any(o > 0 for o in end.values()):
        print("account.py: consumer read 0 records but end offsets are %s" % end, file=sys.stderr)
        sys.exit(1)
    if not ok:
        print("account.py: consumer did not reach the end of partitions %s within %ss (%d records read)"
              % (sorted(todo), timeout, seen), file=sys.stderr)
        sys.exit(1)


def ranges(pairs):
    """(partition, offset) pairs -> [{partition, from, to}] with to exclusive."""
    out = []
    for p, o in sorted(pairs):
        if out and out[-1]["partition"] == p and out[-1]["to"] == o:
            out[-1]["to"] = o + 1
        else:
            out.append({"partition": p, "from": o, "to": o + 1})
    return out


def read_acked(path):
    acked = set()
    with open(path) as f:
        for line in f:
            if line.startswith("{"):
                ev = json.loads(line)
                if ev.get("name") == "producer_send_success":
                    acked.add((ev["partition"], ev["offset"], ev["value"]))
    return acked


def read_lines(path):
    with open(path) as f:
        for line in f:
            p, o, v = line.rstrip("\n").split(" ", 2)
            yield int(p), int(o), v



def value_counts(path):
    """(partition, value) -> how many times a read-back holds it"""
    counts = {}
    for p, _, v in read_lines(path):
        counts[(p, v)] = counts.get((p, v), 0) + 1
    return counts

def diff(argv):
    backup_path = None
    if "--backup" in argv:
        i = argv.index("--backup")
        if i + 1 >= len(argv):
            sys.exit(__doc__)
        backup_path = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    acked_path, consumed_path = argv[0], argv[1]
    after_path = argv[2] if len(argv) == 3 else None
    acked = read_acked(acked_path)
    failed = 0
    with open(acked_path) as f:
        for line in f:
            if line.startswith("{") and json.loads(line).get("name") == "producer_send_error":
                failed += 1
    survived = set(read_lines(consumed_path))
    lost = acked - survived
    # a lost record put back by krt-restore --fill-gaps is read back after
    # the fill (AFTER, else the one read-back) with its value, in its
    # partition (at another offset)
    copies = value_counts(after_path or consumed_path)
    before = value_counts(consumed_path)
    recovered = [(p, v) for p, _, v in lost if copies.get((p, v), 0) > 0]
    backup = set(read_lines(backup_path)) if backup_path else set()
    in_backup = lost & backup
    # the backup has no hole: every surviving acked record up to the
    # backup's highest offset of its partition is in it (a --follow backup
    # that skipped records, or stopped reading, shows here)
    backup_top = {}
    for p, o, _ in backup:
        backup_top[p] = max(o, backup_top.get(p, -1))
    holes = sum(1 for r in (acked & survived)
                if r[1] <= backup_top.get(r[0], -1) and r not in backup)
    in_backup_pv = {(p, v) for p, _, v in in_backup}
    print(json.dumps({
        "acked": len(acked),
        "send_errors": failed,
        "read_back": len(survived),
        "survived": len(acked & survived),
        "lost": len(lost),
        "lost_ranges": ranges((p, o) for p, o, _ in lost),
        "recovered": len(recovered),
        "recovered_twice": sum(1 for pv in recovered if copies[pv] > 1),
        "lost_in_backup": len(in_backup),
        "backup_holes": holes,
        "backup_partitions": len(backup_top),
        "recovered_outside_backup": sum(1 for pv in recovered if pv not in in_backup_pv)
        if backup_path else 0,
        # with a read-back after the fill: every acked record read there
        # more than once (a fill that wrote a surviving record again), and
        # the acked records it holds
        # (a record the acks=1 producer's retry wrote twice before the fault
        # is read twice before the fill too: only more copies than before count)
        "after_twice": sum(1 for p, _, v in acked
                           if copies.get((p, v), 0) > max(1, before.get((p, v), 0))) if after_path else 0,
        "after_acked": sum(1 for p, _, v in acked if copies.get((p, v), 0) > 0) if after_path else 0,
    }))


def team(resend_path, tail_path):
    applied = {}                      # source partition -> highest source offset
    processed = []                    # (partition, offset, value), once per application
    skipped = 0
    events = []
    with open(resend_path) as f:
        for line in f:
            _p, _o, hdrs, value = line.rstrip("\n").split(" ", 3)
            h = dict(kv.split("=", 1) for kv in hdrs.split(",") if "=" in kv)
            events.append((int(h["krt.source.partition"]), int(h["krt.source.offset"]), value))
    with open(tail_path) as f:
        for line in f:
            p, o, value = line.rstrip("\n").split(" ", 2)
            events.append((int(p), int(o), value))
    for p, o, value in events:
        if o <= applied.get(p, -1):
            skipped += 1
            continue
        applied[p] = o
        processed.append((p, o, value))
    # No "processed twice" count: the rule above applies a source offset at
    # most once by construction, so such a count could never exceed 0. The
    # drill's diff of this file against the expected source records (one line
    # each) is what catches an event applied twice, or missed.
    with open(resend_path + ".processed", "w") as f:
        for p, o, v in sorted(processed):
            f.write("%d %d %s\n" % (p, o, v))
    print(json.dumps({"processed": len(processed), "skipped_as_duplicates": skipped}))


def cut(argv):
    if len(argv) != 7 or argv[3] != "--cut" or argv[5] != "--lost":
        sys.exit(__doc__)
    acked = read_acked(argv[0])
    in_topic = set(read_lines(argv[1]))
    copies = value_counts(argv[2])
    cuts = parse_end(argv[4])
    lost_parts = {int(x) for x in argv[6].split(",") if x}
    survived = {r for r in acked if r in in_topic or (r[0], r[2]) in copies}
    lost = acked - survived
    expected = {r for r in acked if r[0] in lost_parts and r[1] >= cuts.get(r[0], 0)}
    before = {r for r in acked if r[1] < cuts.get(r[0], 0)}
    restored = {r for r in before if (r[0], r[2]) in copies}
    print(json.dumps({
        "acked": len(acked),
        "survived": len(survived),
        "lost": len(lost),
        "lost_ranges": ranges((p, o) for p, o, _ in lost),
        "expected_lost": len(expected),
        "expected_ranges": ranges((p, o) for p, o, _ in expected),
        "lost_equals_expected": lost == expected,
        "before_cut": len(before),
        "restored": len(restored),
        "restored_twice": sum(1 for r in restored if copies[(r[0], r[2])] > 1),
        "restored_records": sum(copies.values()),
    }))


def next_record(argv):
    if len(argv) != 6 or argv[2] != "--commits" or argv[4] != "--cut":
        sys.exit(__doc__)
    by_pos = {(p, o): v for p, o, v in read_acked(argv[0])}
    first = {}
    for p, _, v in read_lines(argv[1]):
        first.setdefault(p, v)
    commits, cuts = parse_end(argv[3]), parse_end(argv[5])
    out, ok = [], True
    for p in sorted(commits):
        c = commits[p]
        want = by_pos.get((p, c)) if c < cuts.get(p, 0) else None
        got = first.get(p)
        good = got == want and (want is not None or c >= cuts.get(p, 0))
        ok = ok and good
        out.append({"partition": p, "commit": c, "cut": cuts.get(p, 0),
                    "expected": want, "got": got, "ok": good})
    print(json.dumps({"ok": ok, "partitions": out}))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "consume":
        consume(sys.argv[2:])
    elif sys.argv[1] == "team" and len(sys.argv) == 4:
        team(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "next":
        next_record(sys.argv[2:])
    elif sys.argv[1] == "cut":
        cut(sys.argv[2:])
    elif sys.argv[1] == "diff":
        diff(sys.argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
