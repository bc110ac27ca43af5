#!/usr/bin/env python3
"""The application of the schema-transition drill, written with clients
nobody in krt wrote: confluent-kafka (librdkafka's Python binding) for Kafka,
fastavro for Avro, urllib for the Confluent Schema Registry REST API. Values
are in Confluent's wire format: magic byte 0, the 4-byte big-endian schema
id, the Avro binary datum.

  schema_app.py produce B REGISTRY SUBJECT TOPIC SCHEMA.avsc N TAG OUT.jsonl [--auto-register]
      write N records of SCHEMA. With --auto-register the schema is
      registered under SUBJECT (what an old producer with
      auto.register.schemas=true does); without, its id is looked up and a
      schema not registered is an error (a producer with
      auto.register.schemas=false). OUT gets one line per acknowledged
      record: {"partition", "offset", "key", "schema_id"}.
  schema_app.py consume B REGISTRY TOPIC GROUP CONTROL OUT.jsonl
      one consumer for the whole drill. CONTROL holds the path of the reader
      schema in effect: the consumer re-reads it between polls and switches
      its reader without restarting. Each record is decoded with the writer
      schema fetched by id from the registry and the reader of the moment;
      OUT gets {"partition", "offset", "key", "schema_id", "reader", "value"}
      or {"partition", "offset", "error"}. It stops when CONTROL says "stop".
"""
import io
import json
import os
import struct
import sys
import time
import urllib.error
import urllib.request

import fastavro
from confluent_kafka import Consumer, Producer

CT = "application/vnd.schemaregistry.v1+json"


def registry(url, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, headers={"Content-Type": CT, "Accept": CT},
                                 method="POST" if data is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def produce(bootstrap, reg, subject, topic, schema_file, n, tag, out, auto):
    text = open(schema_file).read()
    schema = fastavro.parse_schema(json.loads(text))
    if auto:
        sid = registry(reg, f"/subjects/{subject}/versions", {"schema": text})["id"]
    else:
        try:
            sid = registry(reg, f"/subjects/{subject}", {"schema": text})["id"]
        except urllib.error.HTTPError as e:
            sys.exit(f"schema_app: {schema_file} is not registered under {subject}: HTTP {e.code}")
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 20})
    acked = []
    errors = []

    def done(err, msg):
        if err:
            errors.append(str(err))
        else:
            acked.append({"partition": msg.partition(), "offset": msg.offset(),
                          "key": msg.key().decode(), "schema_id": sid})

    statuses = ["NEW", "PAID", "SHIPPED"]
    fields = {f["name"] for f in json.loads(text)["fields"]}
    for i in range(n):
        rec = {"id": i, "customer": f"c{i % 97}", "amount": (i % 1000) / 4.0,
               "status": statuses[i % 3]}
        if "currency" in fields:
            rec["currency"] = ["USD", "CHF", "JPY"][i % 3]
        b = io.BytesIO()
        b.write(struct.pack(">bI", 0, sid))
        fastavro.schemaless_writer(b, schema, rec)
        while True:
            try:
                p.produce(topic, key=f"{tag}-{i}", value=b.getvalue(), on_delivery=done)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    p.flush(120)
    with open(out, "w") as f:
        for a in acked:
            f.write(json.dumps(a) + "\n")
    print(json.dumps({"schema_id": sid, "acked": len(acked), "errors": len(errors),
                      "first_error": errors[0] if errors else None}))


def consume(bootstrap, reg, topic, group, control, out):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": True})
    c.subscribe([topic])
    writers = {}
    reader_path = None
    reader = None
    f = open(out, "w", buffering=1)
    while True:
        want = open(control).read().strip()
        if want == "stop":
            break
        if want != reader_path:
            reader = fastavro.parse_schema(json.load(open(want)))
            reader_path = want
            f.write(json.dumps({"switched_to": os.path.basename(want)}) + "\n")
        for m in c.consume(500, 0.5):
            if m.error():
                f.write(json.dumps({"error": str(m.error())}) + "\n")
                continue
            row = {"partition": m.partition(), "offset": m.offset(), "key": m.key().decode()}
            v = m.value()
            try:
                magic, sid = struct.unpack(">bI", v[:5])
                if magic != 0:
                    raise ValueError(f"magic byte {magic}")
                if sid not in writers:
                    writers[sid] = fastavro.parse_schema(
                        json.loads(registry(reg, f"/schemas/ids/{sid}")["schema"]))
                row["schema_id"] = sid
                row["reader"] = os.path.basename(reader_path)
                row["value"] = fastavro.schemaless_reader(io.BytesIO(v[5:]), writers[sid], reader)
            except Exception as e:  # every failure is a row, the drill counts them
                row["error"] = f"{type(e).__name__}: {e}"
            f.write(json.dumps(row) + "\n")
    c.close()


def main():
    a = sys.argv[1:]
    if a[:1] == ["produce"] and len(a) in (9, 10):
        produce(a[1], a[2], a[3], a[4], a[5], int(a[6]), a[7], a[8], a[9:] == ["--auto-register"])
    elif a[:1] == ["consume"] and len(a) == 7:
        consume(*a[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
