#!/usr/bin/env python3
"""topics - test helper: create and delete topics with confluent-kafka's
AdminClient (librdkafka), in well under a second where kafka-topics starts a
JVM for each call (2-5 s on a busy machine).

  topics.py create BOOTSTRAP TOPIC PARTITIONS RF|ASSIGNMENT [--config K=V]...
  topics.py delete BOOTSTRAP TOPIC...
  topics.py groups-ready BOOTSTRAP [SECS]

ASSIGNMENT is kafka-topics' --replica-assignment ("1:2,2:3,3:1": the broker
ids of each partition's replicas, the preferred leader first). create returns once every broker of the cluster, asked on its own, reports
every partition of the topic with a leader: a test may use the topic at once,
through any broker. delete asks once for every topic and ignores the ones that
are already gone. Errors: one line on stderr, exit 1 (2 for a usage error).
Test code only: tools reach Kafka through libcore."""
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic


def fail(msg, code=1):
    print("topics: " + msg, file=sys.stderr)
    sys.exit(code)


def led_everywhere(admin, topic, partitions):
    """True when each broker, asked directly, knows every partition with a leader."""
    brokers = admin.list_topics(timeout=10).brokers
    for b in brokers.values():
        one = AdminClient({"bootstrap.servers": "%s:%d" % (b.host, b.port)})
        md = one.list_topics(topic=topic, timeout=10)
        t = md.topics.get(topic)
        if t is None or t.error is not None or len(t.partitions) != partitions:
            return False
        if any(p.leader < 0 for p in t.partitions.values()):
            return False
    return True


def create(bootstrap, args):
    if len(args) < 3:
        fail("usage: topics.py create BOOTSTRAP TOPIC PARTITIONS RF [--config K=V]...", 2)
    topic, partitions = args[0], int(args[1])
    if "," in args[2] or ":" in args[2]:
        replicas = [[int(b) for b in p.split(":")] for p in args[2].split(",")]
        if len(replicas) != partitions:
            fail("create: %d partitions, but the assignment '%s' has %d" % (partitions, args[2], len(replicas)), 2)
        layout = {"replica_assignment": replicas}
    else:
        layout = {"replication_factor": int(args[2])}
    config = {}
    rest = args[3:]
    while rest:
        if rest[0] != "--config" or len(rest) < 2 or "=" not in rest[1]:
            fail("create: expected --config K=V, got '%s'" % " ".join(rest), 2)
        k, v = rest[1].split("=", 1)
        config[k] = v
        rest = rest[2:]
    admin = AdminClient({"bootstrap.servers": bootstrap})
    # (confluent-kafka 2.16 wants the count also with an assignment)
    new = NewTopic(topic, partitions, config=config, **layout)
    fut = admin.create_topics([new],
                              operation_timeout=60, request_timeout=60)[topic]
    try:
        fut.result()
    except KafkaException as e:
        fail("cannot create %s: %s" % (topic, e.args[0].str()))
    deadline = time.monotonic() + 60
    while not led_everywhere(admin, topic, partitions):
        if time.monotonic() > deadline:
            fail("%s: not every partition has a leader on every broker after 60 s" % topic)
        time.sleep(0.2)


def delete(bootstrap, topics):
    if not topics:
        return
    admin = AdminClient({"bootstrap.servers": bootstrap})
    failed = []
    for t, fut in admin.delete_topics(topics, operation_timeout=60, request_timeout=60).items():
        try:
            fut.result()
        except KafkaException as e:
            if e.args[0].name() != "UNKNOWN_TOPIC_OR_PART":
                failed.append("%s: %s" % (t, e.args[0].str()))
    if failed:
        fail("cannot delete " + "; ".join(failed))


def groups_ready(bootstrap, secs):
    """Until the group coordinators answer: the first group request of a new
    cluster creates __consumer_offsets and loads its partitions, which took
    longer than a tool's 10 s request on a loaded machine. 50 group names
    reach each of its partitions (offsets.topic.num.partitions=10) with odds
    of about 199 in 200."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = ["krt-warm-up-%d" % i for i in range(50)]
    deadline = time.monotonic() + secs
    while True:
        errors = []
        for g, fut in admin.describe_consumer_groups(names, request_timeout=30).items():
            try:
                fut.result()
            except KafkaException as e:
                errors.append("%s: %s" % (g, e.args[0].str()))
        if not errors:
            return
        if time.monotonic() > deadline:
            fail("group coordinators not ready after %d s: %s" % (secs, errors[0]))
        time.sleep(1)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("create", "delete", "groups-ready"):
        fail("usage: topics.py create|delete|groups-ready BOOTSTRAP ...", 2)
    if sys.argv[1] == "create":
        create(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "delete":
        delete(sys.argv[2], sys.argv[3:])
    else:
        groups_ready(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 180)


if __name__ == "__main__":
    main()
