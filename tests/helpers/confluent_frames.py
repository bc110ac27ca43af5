#!/usr/bin/env python3
"""Records in Confluent's wire format, written by fastavro (not by krt).

  confluent_frames.py register URL SUBJECT SCHEMA.avsc
      register the schema (Confluent REST API), print its id
  confluent_frames.py frames SCHEMA.avsc ID N SEED [MAGIC [LOG.jsonl]]
      write N random records of SCHEMA to stdout as frames for produce_frames
      (4-byte big-endian length + value); each value is MAGIC (default 0),
      the 4-byte big-endian ID, then the Avro binary datum. ID -1: raw Avro
      values without the 5-byte header. LOG.jsonl gets each record written,
      as JSON (bytes as latin-1 strings), so a test can count what it wrote.
  confluent_frames.py null
      one frame of a null value (a tombstone)
"""
import io
import json
import random
import struct
import sys
import urllib.request

import fastavro


def gen(schema, r, named, depth=0):
    if isinstance(schema, str):
        if schema in named:
            return gen(named[schema], r, named, depth)
        schema = {"type": schema}
    if isinstance(schema, list):
        # prefer non-recursive branches deep down
        return gen(schema[r.randrange(len(schema))] if depth < 4 else schema[0], r, named, depth + 1)
    t = schema["type"]
    if isinstance(t, (dict, list)):
        return gen(t, r, named, depth)
    if t in ("record", "error", "enum", "fixed") and "name" in schema:
        named[schema["name"]] = schema
        if "namespace" in schema:
            named[schema["namespace"] + "." + schema["name"]] = schema
    if t == "null":
        return None
    if t == "boolean":
        return r.random() < 0.5
    if t == "int":
        return r.randint(-2**31, 2**31 - 1)
    if t == "long":
        return r.randint(-2**40, 2**40)
    if t in ("float", "double"):
        return r.uniform(-1e4, 1e4)
    if t == "string":
        return "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789 -") for _ in range(r.randint(3, 24)))
    if t == "bytes":
        return bytes(r.randrange(256) for _ in range(r.randint(0, 16)))
    if t == "fixed":
        return bytes(r.randrange(256) for _ in range(schema["size"]))
    if t == "enum":
        return r.choice(schema["symbols"])
    if t == "array":
        return [gen(schema["items"], r, named, depth + 1) for _ in range(r.randint(0, 3 if depth < 3 else 0))]
    if t == "map":
        return {f"k{i}": gen(schema["values"], r, named, depth + 1) for i in range(r.randint(0, 3 if depth < 3 else 0))}
    if t in ("record", "error"):
        return {f["name"]: gen(f["type"], r, named, depth + 1) for f in schema["fields"]}
    if t in named:
        return gen(named[t], r, named, depth)
    raise ValueError(f"unknown type {t}")


def frame(value):
    if value is None:
        return b"\xff\xff\xff\xff"
    return struct.pack(">I", len(value)) + value


def main():
    cmd = sys.argv[1]
    if cmd == "register":
        url, subject, path = sys.argv[2:5]
        with open(path) as f:
            text = f.read()
        req = urllib.request.Request(f"{url.rstrip('/')}/subjects/{subject}/versions",
                                     data=json.dumps({"schema": text}).encode(), method="POST",
                                     headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            print(json.loads(resp.read())["id"])
    elif cmd == "frames":
        path, sid, n, seed = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
        magic = int(sys.argv[6]) if len(sys.argv) > 6 else 0
        log = open(sys.argv[7], "a") if len(sys.argv) > 7 else None
        with open(path) as f:
            raw = json.load(f)
        parsed = fastavro.parse_schema(raw)
        r = random.Random(seed)
        out = sys.stdout.buffer
        for _ in range(n):
            buf = io.BytesIO()
            rec = gen(raw, r, {})
            fastavro.schemaless_writer(buf, parsed, rec)
            if log:
                log.write(json.dumps(rec, default=lambda b: b.decode("latin-1")) + "\n")
            head = b"" if sid < 0 else struct.pack(">bI", magic, sid)
            out.write(frame(head + buf.getvalue()))
    elif cmd == "null":
        sys.stdout.buffer.write(frame(None))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
