#!/usr/bin/env python3
"""Differential corpus of Avro schema changes, and the registry's verdicts.

Usage: schema_corpus.py DIR REGISTRY_URL

Writes every pair as DIR/NAME.old.avsc and DIR/NAME.new.avsc, asks the real
registry (Confluent API: register the old schema under a fresh subject, set
the subject's level, POST /compatibility/subjects/S/versions/latest) for each
of BACKWARD, FORWARD and FULL, and prints one line per pair and level:
    NAME LEVEL true|false FIELD
FIELD is the field the change is about ('a/b' for a rename, '-' when not about a
field), so the test can check that krt's reasons name it. The verdicts come
from the registry only; nothing here decides compatibility.
"""
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.request

CT = "application/vnd.schemaregistry.v1+json"


def rec(fields, name="Order", ns="shop", **extra):
    d = {"type": "record", "name": name, "namespace": ns, "fields": fields}
    d.update(extra)
    return d


def f(name, typ, **kw):
    d = {"name": name, "type": typ}
    d.update(kw)
    return d


ID = f("id", "long")


def enum(symbols, **kw):
    d = {"type": "enum", "name": "Status", "symbols": symbols}
    d.update(kw)
    return d


ADDR = {"type": "record", "name": "Address",
        "fields": [f("street", "string"), f("zip", "int")]}
ADDR2 = {"type": "record", "name": "Address",
         "fields": [f("street", "string"), f("zip", "long")]}
TREE = lambda vt, extra=(): {"type": "record", "name": "Tree", "fields": [
    f("value", vt), f("children", {"type": "array", "items": "Tree"})] + list(extra)}


def pairs():
    p = []
    add = lambda name, old, new, field="-": p.append((name, old, new, field))
    for a, b in [("int", "long"), ("long", "int"), ("int", "float"), ("int", "double"),
                 ("long", "float"), ("long", "double"), ("float", "double"),
                 ("double", "float"), ("string", "bytes"), ("bytes", "string"),
                 ("string", "int"), ("boolean", "int"), ("null", "string")]:
        add(f"prim-{a}-{b}", rec([ID, f("v", a)]), rec([ID, f("v", b)]), "v")
    add("add-no-default", rec([ID]), rec([ID, f("discount", "double")]), "discount")
    add("add-with-default", rec([ID]), rec([ID, f("discount", "double", default=0.0)]), "discount")
    add("remove-no-default", rec([ID, f("note", "string")]), rec([ID]), "note")
    add("remove-with-default", rec([ID, f("note", "string", default="")]), rec([ID]), "note")
    add("reorder-fields", rec([ID, f("a", "int"), f("b", "string")]),
        rec([f("b", "string"), ID, f("a", "int")]))
    add("enum-add-symbol", rec([ID, f("s", enum(["NEW", "PAID"]))]),
        rec([ID, f("s", enum(["NEW", "PAID", "SHIPPED"]))]), "s")
    add("enum-remove-symbol", rec([ID, f("s", enum(["NEW", "PAID", "SHIPPED"]))]),
        rec([ID, f("s", enum(["NEW", "PAID"]))]), "s")
    add("enum-remove-symbol-default", rec([ID, f("s", enum(["NEW", "PAID", "SHIPPED"]))]),
        rec([ID, f("s", enum(["NEW", "PAID"], default="NEW"))]), "s")
    add("enum-add-symbol-old-default", rec([ID, f("s", enum(["NEW", "PAID"], default="NEW"))]),
        rec([ID, f("s", enum(["NEW", "PAID", "SHIPPED"], default="NEW"))]), "s")
    add("enum-to-string", rec([ID, f("s", enum(["NEW"]))]), rec([ID, f("s", "string")]), "s")
    add("union-add-branch", rec([ID, f("u", ["null", "string"])]),
        rec([ID, f("u", ["null", "string", "int"])]), "u")
    add("union-remove-branch", rec([ID, f("u", ["null", "string", "int"])]),
        rec([ID, f("u", ["null", "string"])]), "u")
    add("make-optional", rec([ID, f("u", "string")]), rec([ID, f("u", ["null", "string"], default=None)]), "u")
    add("make-required", rec([ID, f("u", ["null", "string"], default=None)]), rec([ID, f("u", "string")]), "u")
    add("int-to-union-long", rec([ID, f("u", "int")]), rec([ID, f("u", ["null", "long"], default=None)]), "u")
    add("union-reorder", rec([ID, f("u", ["string", "int"])]), rec([ID, f("u", ["int", "string"])]))
    add("null-to-union", rec([ID, f("u", "null")]), rec([ID, f("u", ["null", "string"])]), "u")
    add("record-rename", rec([ID], name="Order"), rec([ID], name="Purchase"))
    add("record-rename-alias", rec([ID], name="Order"),
        rec([ID], name="Purchase", aliases=["shop.Order"]))
    add("namespace-change", rec([ID], ns="shop"), rec([ID], ns="store"))
    add("fixed-size", rec([ID, f("h", {"type": "fixed", "name": "Hash", "size": 16})]),
        rec([ID, f("h", {"type": "fixed", "name": "Hash", "size": 32})]), "h")
    add("fixed-rename", rec([ID, f("h", {"type": "fixed", "name": "Hash", "size": 16})]),
        rec([ID, f("h", {"type": "fixed", "name": "Digest", "size": 16})]), "h")
    add("fixed-to-bytes", rec([ID, f("h", {"type": "fixed", "name": "Hash", "size": 4})]),
        rec([ID, f("h", "bytes")]), "h")
    add("field-rename-alias", rec([ID, f("amount", "int")]),
        rec([ID, f("total", "int", aliases=["amount"])]), "total/amount")
    add("field-rename-no-alias", rec([ID, f("amount", "int")]), rec([ID, f("total", "int")]), "total/amount")
    nested = lambda extra: rec([ID, f("customer", {"type": "record", "name": "Customer",
                                                    "fields": [f("name", "string")] + extra})])
    add("nested-add-no-default", nested([]), nested([f("email", "string")]), "email")
    add("nested-add-default", nested([]), nested([f("email", "string", default="")]), "email")
    add("array-items-widen", rec([ID, f("xs", {"type": "array", "items": "int"})]),
        rec([ID, f("xs", {"type": "array", "items": "long"})]), "xs")
    add("array-items-narrow", rec([ID, f("xs", {"type": "array", "items": "long"})]),
        rec([ID, f("xs", {"type": "array", "items": "int"})]), "xs")
    add("map-values-string-bytes", rec([ID, f("m", {"type": "map", "values": "string"})]),
        rec([ID, f("m", {"type": "map", "values": "bytes"})]), "m")
    add("map-values-int-string", rec([ID, f("m", {"type": "map", "values": "int"})]),
        rec([ID, f("m", {"type": "map", "values": "string"})]), "m")
    add("array-to-map", rec([ID, f("m", {"type": "array", "items": "int"})]),
        rec([ID, f("m", {"type": "map", "values": "int"})]), "m")
    add("recursive-add-default", TREE("long"), TREE("long", [f("label", "string", default="")]))
    add("recursive-narrow", TREE("long"), TREE("int"), "value")
    add("named-ref-change", rec([ID, f("ship", ADDR), f("bill", "Address")]),
        rec([ID, f("ship", ADDR2), f("bill", "Address")]), "zip")
    item = lambda extra: {"type": "array", "items": {"type": "record", "name": "Line",
                                                      "fields": [f("sku", "string")] + extra}}
    add("array-of-records-remove", rec([ID, f("lines", item([f("qty", "int")]))]),
        rec([ID, f("lines", item([]))]), "qty")
    a = {"type": "record", "name": "Card", "fields": [f("pan", "string")]}
    b = {"type": "record", "name": "Cash", "fields": [f("amount", "long")]}
    add("union-of-records-remove", rec([ID, f("pay", [a, b])]), rec([ID, f("pay", [a])]), "pay")
    add("union-of-records-add", rec([ID, f("pay", [a])]), rec([ID, f("pay", [a, b])]), "pay")
    add("add-enum-default-only", rec([ID, f("s", enum(["A", "B"]))]),
        rec([ID, f("s", enum(["A", "B"], default="A"))]))
    add("identical", rec([ID, f("a", "string")]), rec([ID, f("a", "string")]))
    add("add-optional-union-default", rec([ID]), rec([ID, f("c", ["null", "string"], default=None)]), "c")
    add("add-record-field-default", rec([ID]),
        rec([ID, f("addr", ADDR, default={"street": "", "zip": 0})]), "addr")
    return p


def call(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(6):
        req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": CT})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read() or b"null")
        except (ConnectionError, http.client.RemoteDisconnected, urllib.error.URLError) as e:
            # a registry that just became ready on a loaded machine may drop
            # a connection; an HTTP error status is an answer, not retried
            if isinstance(e, urllib.error.HTTPError) or attempt == 5:
                raise
            time.sleep(1 + attempt)


def main():
    out, reg = sys.argv[1], sys.argv[2].rstrip("/")
    tag = f"krt-diff-{os.getpid()}"
    for name, old, new, field in pairs():
        for which, s in (("old", old), ("new", new)):
            with open(os.path.join(out, f"{name}.{which}.avsc"), "w") as fh:
                json.dump(s, fh, indent=1)
        subject = f"{tag}-{name}"
        call("PUT", f"{reg}/config/{subject}", {"compatibility": "NONE"})
        call("POST", f"{reg}/subjects/{subject}/versions", {"schema": json.dumps(old)})
        for level in ("BACKWARD", "FORWARD", "FULL"):
            call("PUT", f"{reg}/config/{subject}", {"compatibility": level})
            r = call("POST", f"{reg}/compatibility/subjects/{subject}/versions/latest",
                     {"schema": json.dumps(new)})
            print(name, level, "true" if r["is_compatible"] else "false", field)


if __name__ == "__main__":
    main()
