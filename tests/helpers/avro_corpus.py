#!/usr/bin/env python3
"""Generated Avro data, decoded by fastavro: the oracle for krt-schema decode.

  avro_corpus.py make DIR N [SEED]
      For each case writes DIR/CASE.writer.avsc, DIR/CASE.reader.avsc,
      DIR/CASE.bin (N back-to-back datums written with the writer schema by
      fastavro.schemaless_writer) and DIR/CASE.expected.jsonl (what
      fastavro.schemaless_reader gives reading them with the reader schema,
      bytes as strings of code points 0-255). Prints the case names.
  avro_corpus.py compare EXPECTED.jsonl GOT.jsonl
      Exit 0 when both hold the same values line by line (floats to 1e-6
      relative), else print the first difference and exit 1.
"""
import io
import json
import math
import os
import random
import sys

import fastavro

STATUS = {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED", "LOST"]}
HASH = {"type": "fixed", "name": "Hash", "size": 4}
ADDRESS = {"type": "record", "name": "Address", "fields": [
    {"name": "street", "type": "string"},
    {"name": "zip", "type": "int"},
    {"name": "geo", "type": ["null", {"type": "array", "items": "double"}]}]}
LINE = {"type": "record", "name": "Line", "fields": [
    {"name": "sku", "type": "string"},
    {"name": "qty", "type": "int"},
    {"name": "price", "type": "float"}]}

WRITER = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"},
    {"name": "small", "type": "int"},
    {"name": "ratio", "type": "float"},
    {"name": "flag", "type": "boolean"},
    {"name": "note", "type": "string"},
    {"name": "blob", "type": "bytes"},
    {"name": "status", "type": STATUS},
    {"name": "hash", "type": HASH},
    {"name": "ship", "type": ADDRESS},
    {"name": "bill", "type": ["null", "Address"]},
    {"name": "lines", "type": {"type": "array", "items": LINE}},
    {"name": "attrs", "type": {"type": "map", "values": ["null", "long", "string"]}},
    {"name": "legacy", "type": "string"},
    {"name": "choice", "type": ["int", "string", "Hash"]},
]}

# The reader a consumer deploys: promotions, a removed field (skipped), a
# renamed field (alias), an enum without LOST but with a default, a union
# made wider, and added fields with defaults of every type.
READER = {"type": "record", "name": "Order", "namespace": "shop", "fields": [
    {"name": "id", "type": "long"},
    {"name": "small", "type": "double"},
    {"name": "ratio", "type": "double"},
    {"name": "flag", "type": "boolean"},
    {"name": "comment", "type": "string", "aliases": ["note"]},
    {"name": "blob", "type": "string"},
    {"name": "status", "type": {"type": "enum", "name": "Status",
                                "symbols": ["UNKNOWN", "NEW", "PAID", "SHIPPED"],
                                "default": "UNKNOWN"}},
    {"name": "hash", "type": HASH},
    {"name": "ship", "type": {"type": "record", "name": "Address", "fields": [
        {"name": "street", "type": "string"},
        {"name": "zip", "type": "long"},
        {"name": "geo", "type": ["null", {"type": "array", "items": "double"}]},
        {"name": "country", "type": "string", "default": "FR"}]}},
    {"name": "bill", "type": ["null", "Address"]},
    {"name": "lines", "type": {"type": "array", "items": {
        "type": "record", "name": "Line", "fields": [
            {"name": "sku", "type": "string"},
            {"name": "qty", "type": "long"},
            {"name": "price", "type": "double"},
            {"name": "discount", "type": ["null", "float"], "default": None}]}}},
    {"name": "attrs", "type": {"type": "map", "values": ["null", "long", "string", "boolean"]}},
    {"name": "choice", "type": ["null", "long", "string", "Hash"]},
    {"name": "d_null", "type": "null", "default": None},
    {"name": "d_bool", "type": "boolean", "default": True},
    {"name": "d_int", "type": "int", "default": -7},
    {"name": "d_long", "type": "long", "default": 9007199254740993},
    {"name": "d_float", "type": "float", "default": 1.5},
    {"name": "d_double", "type": "double", "default": -0.25},
    {"name": "d_bytes", "type": "bytes", "default": "\u00ff\u0000a"},
    {"name": "d_string", "type": "string", "default": "caf\u00e9 \u2603"},
    {"name": "d_enum", "type": "Status", "default": "PAID"},
    {"name": "d_fixed", "type": "Hash", "default": "ab\u00ffc"},
    {"name": "d_array", "type": {"type": "array", "items": "int"}, "default": [1, 2, 3]},
    {"name": "d_map", "type": {"type": "map", "values": "string"}, "default": {"k": "v"}},
    # every field given: fastavro does not fill a record default's missing
    # fields from their own defaults (Java's Avro and krt do)
    {"name": "d_record", "type": "Address",
     "default": {"street": "Main", "zip": 1, "geo": None, "country": "US"}},
    {"name": "d_union", "type": ["string", "null"], "default": "x"},
]}

# A recursive type, read as itself.
TREE = {"type": "record", "name": "Tree", "fields": [
    {"name": "value", "type": "long"},
    {"name": "label", "type": ["null", "string"]},
    {"name": "children", "type": {"type": "array", "items": "Tree"}}]}


def rstr(r, n=12):
    alphabet = "abcdefghijklmnopqrstuvwxyz \u00e9\u00fc\u4e2d\U0001f600\"\\\n"
    return "".join(r.choice(alphabet) for _ in range(r.randint(0, n)))


def rbytes(r, n):
    return bytes(r.randrange(256) for _ in range(n))


def raddress(r):
    return {"street": rstr(r), "zip": r.randint(-2**31, 2**31 - 1),
            "geo": None if r.random() < 0.5 else [r.uniform(-1e6, 1e6) for _ in range(r.randint(0, 3))]}


def rorder(r):
    kind = r.randrange(3)
    choice = r.randint(-2**31, 2**31 - 1) if kind == 0 else rstr(r) if kind == 1 else rbytes(r, 4)
    return {
        "id": r.randint(-2**63, 2**63 - 1),
        "small": r.randint(-2**31, 2**31 - 1),
        "ratio": r.uniform(-1e3, 1e3),
        "flag": r.random() < 0.5,
        "note": rstr(r, 40),
        "blob": rstr(r, 10).encode("utf-8"),  # read as string: must be UTF-8
        "status": r.choice(STATUS["symbols"]),
        "hash": rbytes(r, 4),
        "ship": raddress(r),
        "bill": None if r.random() < 0.3 else raddress(r),
        "lines": [{"sku": rstr(r, 6), "qty": r.randint(0, 1000), "price": r.uniform(0, 100)}
                  for _ in range(r.randint(0, 4))],
        "attrs": {rstr(r, 5): (None if r.random() < 0.3 else r.randint(-10**12, 10**12)
                               if r.random() < 0.5 else rstr(r)) for _ in range(r.randint(0, 4))},
        "legacy": rstr(r),
        "choice": choice,
    }


def rtree(r, depth=0):
    return {"value": r.randint(-2**40, 2**40), "label": None if r.random() < 0.5 else rstr(r),
            "children": [rtree(r, depth + 1) for _ in range(r.randint(0, 3 if depth < 3 else 0))]}


def plain(v):
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, tuple):  # a union read with return_record_name
        return plain(v[1])
    return v


def make(out, n, seed):
    r = random.Random(seed)
    cases = [("order-evolved", WRITER, READER, rorder),
             ("order-same", WRITER, WRITER, rorder),
             ("tree", TREE, TREE, rtree)]
    for name, w, rd, gen in cases:
        pw, pr = fastavro.parse_schema(w), fastavro.parse_schema(rd)
        buf = io.BytesIO()
        for _ in range(n):
            fastavro.schemaless_writer(buf, pw, gen(r))
        data = buf.getvalue()
        with open(os.path.join(out, name + ".writer.avsc"), "w") as f:
            json.dump(w, f)
        with open(os.path.join(out, name + ".reader.avsc"), "w") as f:
            json.dump(rd, f)
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)
        src = io.BytesIO(data)
        with open(os.path.join(out, name + ".expected.jsonl"), "w") as f:
            while src.tell() < len(data):
                v = fastavro.schemaless_reader(src, pw, pr)
                f.write(json.dumps(plain(v), ensure_ascii=False) + "\n")
        print(name)


def diff_path(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            if not same(a[k], b[k]):
                return diff_path(a[k], b[k], f"{path}/{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if not same(x, y):
                return diff_path(x, y, f"{path}/{i}")
    return f"{path}: fastavro {a!r}, krt {b!r}"


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-30)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b and type(a) is type(b)


def compare(expected, got):
    with open(expected, encoding="utf-8") as fe, open(got, encoding="utf-8") as fg:
        el, gl = fe.read().split("\n")[:-1], fg.read().split("\n")[:-1]
    if len(el) != len(gl):
        print(f"{len(gl)} records decoded, fastavro decoded {len(el)}")
        return 1
    for i, (e, g) in enumerate(zip(el, gl)):
        if not same(json.loads(e), json.loads(g)):
            print(f"record {i} differs at {diff_path(json.loads(e), json.loads(g))}")
            return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1)
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
