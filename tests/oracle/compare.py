#!/usr/bin/env python3
"""compare.py CORPUS JAVA KRT - hold krt's date-time and duration parsers to
java.time, line by line (TAP on stdout).

CORPUS is gen_corpus.py's output, JAVA TimeOracle's, KRT timespec_driver's.

What krt must match:
- durations (krt --by-duration): java.time.Duration.parse(s).toMillis(),
  the call of kafka-consumer-groups --by-duration. Same accept/reject, same
  milliseconds; a duration Java parses but whose milliseconds overflow a long
  ("range") krt refuses.
- date-times: OffsetDateTime.parse(s) (ISO_OFFSET_DATE_TIME); with a
  --timezone and no offset in s, LocalDateTime.parse(s).atZone(zone).
  Same accept/reject, same instant in milliseconds, except krt's deliberate
  differences:
    1. a time before 1970-01-01T00:00:00Z is refused (Kafka reads negative
       times as -1 "latest" / -2 "earliest"; defect 8 of issue 10);
    2. a space may stand for the 'T' (held to Java's verdict on the 'T' form);
    3. a time whose milliseconds do not fit in a long ("range") is refused;
    4. a time with no offset, read in a --timezone, must lie in the years up
       to 9999: zone rules that far out are guesses, and glibc and the JDK
       guess differently (seen: an hour apart in the year 75989933).
- Instant.parse(s) (ISO_INSTANT) accepts a different set (seconds required,
  24:00 and leap seconds allowed): wherever both it and krt accept, the
  instant must be the same.
- Kafka's own --to-datetime does not use java.time: it calls
  org.apache.kafka.common.utils.Utils.getDateTime, a java.text
  SimpleDateFormat "yyyy-MM-dd'T'HH:mm:ss.SSS" + zone that reads a missing
  zone as UTC and ".5" as 5 ms. Wherever it and krt both accept a time with
  exactly three fraction digits and an explicit zone, the instant must be the
  same; the other differences are counted and shown, not failed.
"""
import re
import sys

corpus = [l.rstrip("\n").split("\t", 2) for l in open(sys.argv[1], encoding="utf-8")]
java = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8")]
krt = [l.rstrip("\n") for l in open(sys.argv[3], encoding="utf-8")]
if not (len(corpus) == len(java) == len(krt)) or not corpus:
    print("Bail out! corpus, java and krt outputs differ in length: "
          f"{len(corpus)} {len(java)} {len(krt)}")
    sys.exit(1)

SPACE = re.compile(r"^([+-]?[0-9]+-[0-9][0-9]-[0-9][0-9]) (.*)$", re.S)
KAFKA_FORM = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}"
                        r"(Z|[+-][0-9]{2}:[0-9]{2})$")
YEAR = re.compile(r"^[+-]?([0-9]+)-")
java_of = {(k, z, t): j for (k, z, t), j in zip(corpus, java)}
n = 0
failed = 0


def tap(desc, bad, checked):
    global n, failed
    n += 1
    if bad:
        failed += 1
        print(f"not ok {n} - {desc} ({checked} strings, {len(bad)} disagree)")
        for b in bad[:25]:
            print("#   " + b)
    else:
        print(f"ok {n} - {desc} ({checked} strings)")


def ms(v):
    return int(v[3:]) if v.startswith("ok:") else None


def expected_dt(kind, zone, text):
    """java.time's verdict, after krt's documented differences."""
    m = SPACE.match(text)
    if m:
        j = java_of.get((kind, zone, m.group(1) + "T" + m.group(2)))
        if j is None:
            raise SystemExit(f"Bail out! corpus lacks the 'T' form of {text!r}")
    else:
        j = java_of[(kind, zone, text)]
    odt, local = j[0], j[1]
    v = odt if odt != "reject" or zone == "-" else local
    if v == "range" or (v.startswith("ok:") and ms(v) < 0):
        return "reject"
    if v is local and YEAR.match(text) and int(YEAR.match(text).group(1)) > 9999:
        return "reject"
    return v


dur_bad, dt_bad, inst_bad, kafka_bad = [], [], [], []
ndur = ndt = ninst = nkafka = 0
kafka_diff = {"Kafka accepts, krt refuses": 0, "Kafka refuses, krt accepts": 0,
              "both accept, other instant": 0}
kafka_examples = {k: [] for k in kafka_diff}
for (kind, zone, text), j, k in zip(corpus, java, krt):
    shown = f"{text!r}" + (f" in {zone}" if zone != "-" else "")
    if kind == "dur":
        ndur += 1
        want = j[0] if j[0].startswith("ok:") else "reject"
        if k != want:
            dur_bad.append(f"{shown}: java {j[0]}, krt {k}")
        continue
    ndt += 1
    want = expected_dt(kind, zone, text)
    if k != want:
        dt_bad.append(f"{shown}: java.time {'/'.join(j[:2])} -> want {want}, krt {k}")
    inst, kafka = j[2], j[3]
    if inst.startswith("ok:") and k.startswith("ok:"):
        ninst += 1
        if ms(inst) != ms(k):
            inst_bad.append(f"{shown}: Instant.parse {inst}, krt {k}")
    if kafka == "-":
        continue
    if kafka.startswith("ok:") and k.startswith("ok:") and KAFKA_FORM.match(text) and zone == "-":
        nkafka += 1
        if ms(kafka) != ms(k):
            kafka_bad.append(f"{shown}: Kafka {kafka}, krt {k}")
    cat = None
    if kafka.startswith("ok:") and not k.startswith("ok:"):
        cat = "Kafka accepts, krt refuses"
    elif not kafka.startswith("ok:") and k.startswith("ok:"):
        cat = "Kafka refuses, krt accepts"
    elif kafka.startswith("ok:") and ms(kafka) != ms(k):
        cat = "both accept, other instant"
    if cat:
        kafka_diff[cat] += 1
        if len(kafka_examples[cat]) < 4:
            kafka_examples[cat].append(f"{shown}: Kafka {kafka}, krt {k}")

tap("durations: krt accepts, refuses and computes as Duration.parse().toMillis()",
    dur_bad, ndur)
tap("date-times: krt accepts, refuses and computes as OffsetDateTime.parse / "
    "LocalDateTime.atZone, with its documented differences", dt_bad, ndt)
tap("date-times both Instant.parse and krt accept: same instant", inst_bad, ninst)
if java[0][3] == "-":
    n += 1
    failed += 1
    print(f"not ok {n} - Kafka's Utils.getDateTime was not on the class path")
else:
    tap("date-times with .SSS and a zone that Kafka's --to-datetime and krt both accept: "
        "same instant", kafka_bad if nkafka else ["no such string in the corpus"], nkafka)
    for cat, count in kafka_diff.items():
        print(f"# Kafka's Utils.getDateTime vs krt, {cat}: {count}")
        for e in kafka_examples[cat]:
            print("#   " + e)
accepted = sum(1 for k in krt if k.startswith("ok:"))
print(f"# corpus: {len(corpus)} strings, krt accepted {accepted}")
print(f"1..{n}")
sys.exit(1 if failed else 0)
