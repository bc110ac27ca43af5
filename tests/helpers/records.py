#!/usr/bin/env python3
"""records.py - test oracles for the records of a topic and of a krt backup.

The topic's records are read by kcat with read_committed: -J for offsets,
timestamps, nulls and headers, and -f with the key and value lengths for
their exact bytes (JSON cannot carry binary keys and values). The backup's
records are read by fastavro, segment by segment as the manifest lists them.

  records.py dump BOOTSTRAP TOPIC [provenance]
      every committed record, one JSON line per record in partition and
      offset order: [partition, offset, tstype, ts, key hex, value hex,
      headers]. With "provenance", the krt.* headers must be the last four;
      they are taken out and the source offset is printed instead of the
      record's own.
  records.py compare BOOTSTRAP DIR TOPIC...
      the records fastavro reads from the backup in DIR equal what kcat
      reads (records deleted from the topic since are not compared); prints
      "TOPIC BACKUP KCAT MANIFEST" counts, exits 1 on any difference.
  records.py backup DIR TOPIC [offsets|values|blocks]
      per backed-up record "P O" (offsets, the default) or "P O VALUE"
      (values), in file order; or per segment "P BLOCKS RECORDS" (blocks).
"""
import json
import os
import subprocess
import sys

import fastavro


def kcat_records(bootstrap, topic):
    """[(partition, offset, tstype, ts, key, value, headers)] sorted by
    partition and offset; key and value bytes or None, headers
    [(name, value as kcat -J gives it: a string or None)]."""
    base = ['kcat', '-b', bootstrap, '-C', '-e', '-q', '-t', topic,
            '-X', 'isolation.level=read_committed']
    js = subprocess.run(base + ['-J'], check=True, capture_output=True).stdout
    raw = subprocess.run(base + ['-f', '%p %o %K %S\n%k%s\n'], check=True,
                         capture_output=True).stdout
    exact, i = {}, 0
    while i < len(raw):
        nl = raw.index(b'\n', i)
        p, o, kl, vl = (int(x) for x in raw[i:nl].split())
        i = nl + 1
        k = raw[i:i + kl] if kl >= 0 else None
        i += max(kl, 0)
        v = raw[i:i + vl] if vl >= 0 else None
        i += max(vl, 0)
        if raw[i:i + 1] != b'\n':
            raise ValueError('kcat -f output out of step at byte %d' % i)
        i += 1
        exact[(p, o)] = (k, v)
    out = []
    for line in js.decode('utf-8', 'replace').splitlines():
        m = json.loads(line)
        h = m.get('headers') or []
        hdrs = [(h[j], h[j + 1]) for j in range(0, len(h), 2)]
        k, v = exact[(m['partition'], m['offset'])]
        out.append((m['partition'], m['offset'], m['tstype'], m['ts'], k, v, hdrs))
    return sorted(out, key=lambda r: (r[0], r[1]))


def segments(d, topic):
    """(partition, path) of every segment of TOPIC in the backup in D, in the
    manifest's order."""
    with open(os.path.join(d, 'manifest.json')) as f:
        man = json.load(f)
    for t in man['topics']:
        if t['name'] != topic:
            continue
        for p in t['partitions']:
            for s in p['segments']:
                yield p['partition'], os.path.join(d, s['file'])


def backup_records(d, topic):
    """(partition, fastavro record) of every record of TOPIC in the backup in
    D, segment by segment in the manifest's order."""
    for p, path in segments(d, topic):
        with open(path, 'rb') as f:
            for r in fastavro.reader(f):
                yield p, r


def manifest_count(d, topic):
    with open(os.path.join(d, 'manifest.json')) as f:
        man = json.load(f)
    return sum(s['records'] for t in man['topics'] if t['name'] == topic
               for p in t['partitions'] for s in p['segments'])


def dump(bootstrap, topic, provenance):
    out = []
    for p, o, tstype, ts, k, v, hd in kcat_records(bootstrap, topic):
        hd = [[n, x] for n, x in hd]
        off = o
        if provenance:
            names = [x[0] for x in hd[-4:]]
            if names != ['krt.restore.id', 'krt.source.topic', 'krt.source.partition',
                         'krt.source.offset'] or int(hd[-2][1]) != p:
                print('bad provenance headers: %r' % hd, file=sys.stderr)
                return 1
            off = int(hd[-1][1])
            hd = hd[:-4]
        kx = k.hex() if k is not None else None
        vx = v.hex() if v is not None else None
        out.append((p, o, json.dumps([p, off, tstype, ts, kx, vx, hd])))
    for r in sorted(out):
        print(r[2])
    return 0


TSTYPE = {'create': 'CREATE_TIME', 'logappend': 'LOG_APPEND_TIME'}


def compare(bootstrap, d, topics):
    bad = 0
    for t in topics:
        want = [(p, o, ts, TSTYPE.get(tt, 'NOT_AVAILABLE'), k, v,
                 [(n, None if x is None else x.encode()) for n, x in h])
                for p, o, tt, ts, k, v, h in kcat_records(bootstrap, t)]
        got = [(p, r['offset'], r['timestamp'], r['timestamp_type'], r['key'], r['value'],
                [(h['key'], h['value']) for h in r['headers']])
               for p, r in backup_records(d, t)]
        # records deleted from the topic since are not compared (the gap test)
        if want:
            low = {}
            for r in want:
                low.setdefault(r[0], r[1])
            got = [r for r in got if r[1] >= low.get(r[0], 0)]
        got.sort(key=lambda r: (r[0], r[1]))
        if got != want:
            bad += 1
            for a, b in zip(got, want):
                if a != b:
                    print('# first difference in %s\n#   backup: %r\n#   kcat:   %r' % (t, a, b))
                    break
            else:
                print('# %s: backup has %d records, kcat %d' % (t, len(got), len(want)))
        print('%s %d %d %d' % (t, len(got), len(want), manifest_count(d, t)))
    return 1 if bad else 0


def backup(d, topic, what):
    if what == 'blocks':
        for p, path in segments(d, topic):
            with open(path, 'rb') as f:
                blocks = [b.num_records for b in fastavro.block_reader(f)]
            print(p, len(blocks), sum(blocks))
        return 0
    for p, r in backup_records(d, topic):
        if what == 'values':
            print(p, r['offset'], (r['value'] or b'').decode())
        else:
            print(p, r['offset'])
    return 0


def main(argv):
    if len(argv) >= 3 and argv[0] == 'dump':
        return dump(argv[1], argv[2], len(argv) > 3 and argv[3] == 'provenance')
    if len(argv) >= 4 and argv[0] == 'compare':
        return compare(argv[1], argv[2], argv[3:])
    if len(argv) >= 3 and argv[0] == 'backup':
        return backup(argv[1], argv[2], argv[3] if len(argv) > 3 else 'offsets')
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
