#!/usr/bin/env python3
"""gen_corpus.py - a deterministic corpus of date-times and durations, valid
and invalid, for comparing krt's parsers with java.time (tests/oracle).

Output lines: KIND<TAB>ZONE<TAB>TEXT, KIND "dt" or "dur", ZONE an IANA zone
(the --timezone krt is given) or "-". TEXT never holds a tab or a newline.
Every date-time written with a space for the 'T' is also written with the
'T', so that compare.py can hold the space variant to java.time's verdict
on the 'T' form (a deliberate difference of krt).
Usage: gen_corpus.py [SEED] [COUNT]   (defaults: 20261122, 2000 of each kind)
"""
import random
import re
import sys

SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 20261122
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
rng = random.Random(SEED)
out = []
seen = set()


def emit(kind, zone, text):
    assert "\t" not in text and "\n" not in text
    if (kind, zone, text) in seen:
        return
    seen.add((kind, zone, text))
    out.append(f"{kind}\t{zone}\t{text}")


SPACE = re.compile(r"^([+-]?[0-9]+-[0-9][0-9]-[0-9][0-9]) (.*)$", re.S)


def dt(zone, text):
    emit("dt", zone, text)
    m = SPACE.match(text)
    if m:
        emit("dt", zone, m.group(1) + "T" + m.group(2))


# ---- date-times: hand-picked edges -------------------------------------
EDGES = [
    "1970-01-01T00:00:00Z", "1970-01-01T00:00Z", "1969-12-31T23:59:59.999Z",
    "1969-12-31T23:59:59Z", "1970-01-01T00:00:00.001Z", "1970-01-01T01:00:00+01:00",
    "1970-01-01T00:59:59+01:00", "1970-01-01T00:00:00-00:00", "1970-01-01T00:00:00+00:00",
    "2024-02-29T12:00:00Z", "2023-02-29T12:00:00Z", "2000-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2400-02-29T00:00:00Z",
    "0000-01-01T00:00:00Z", "0000-02-29T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
    "10000-01-01T00:00:00Z", "+10000-01-01T00:00:00Z", "+9999-12-31T00:00:00Z",
    "-0001-01-01T00:00:00Z", "+292278994-08-17T07:12:55.807Z", "+292278994-08-17T07:12:55.808Z",
    "+999999999-12-31T23:59:59Z", "+1000000000-01-01T00:00:00Z", "2024-05-01t13:00:00z",
    "2024-05-01T13:00:00z", "2024-05-01t13:00Z", "2024-05-01T13:00", "2024-05-01T13Z",
    "2024-05-01T24:00:00Z", "2024-05-01T24:00Z", "2024-05-01T23:59:60Z", "2024-05-01T23:60:00Z",
    "2024-05-01T13:00:00+14:00", "2024-05-01T13:00:00-18:00", "2024-05-01T13:00:00+18:00",
    "2024-05-01T13:00:00+18:01", "2024-05-01T13:00:00-18:00:01", "2024-05-01T13:00:00+19:00",
    "2024-05-01T13:00:00+05:45", "2024-05-01T13:00:00+02", "2024-05-01T13:00:00+2",
    "2024-05-01T13:00:00+0200", "2024-05-01T13:00:00+02:0", "2024-05-01T13:00:00+02:00:30",
    "2024-05-01T13:00:00+02:00:3", "2024-05-01T13:00:00+02:", "2024-05-01T13:00:00+02:60",
    "2024-05-01T13:00:00+02:00:60", "2024-05-01T13:00:00+", "2024-05-01T13:00:00Z+02:00",
    "2024-05-01T13:00:00.Z", "2024-05-01T13:00:00,5Z", "2024-05-01T13:00.5Z",
    "2024-05-01T13:00:00.1234567890Z", "2024-05-01T13:00:00.000000000Z",
    "2024-05-01 13:00:00Z", "2024-05-01  13:00:00Z", " 2024-05-01T13:00:00Z",
    "2024-05-01T13:00:00Z ", "2024-05-01_13:00:00Z", "2024-05-01", "2024-05-01T", "T13:00Z",
    "", "Z", "yesterday", "now", "2024-05-01T13:00:00UTC", "2024-05-01T13:00:00 Z",
    "2024-05-01T13:00:00+02:00[Europe/Paris]", "2024-5-1T13:00:00Z", "24-05-01T13:00:00Z",
    "2024-05-01T1:00:00Z", "2024-05-01T13:0:00Z", "2024-05-01T13:00:0Z", "2024/05/01T13:00:00Z",
    "2024-05-01T13-00-00Z", "2024-00-01T00:00:00Z", "2024-13-01T00:00:00Z",
    "2024-04-31T00:00:00Z", "2024-04-00T00:00:00Z", "2024-12-32T00:00:00Z",
    "\u0662\u0660\u0662\u0664-05-01T13:00:00Z", "2024-05-01T\u0661\u0663:00:00Z",
    "\uff12\uff10\uff12\uff14-05-01T13:00:00Z", "2024-05-01T13:00:00\uff3a",
    "2024-05-01T13:00:00.\u0661Z", "2024-05-01T13:00:00+\u0660\u0662:00",
    "2024-05-01T13:00:00\u2212\u0030\u0032:00", "2024\u201005\u201001T13:00:00Z",
    "9999999999-01-01T00:00:00Z", "+0000000001-01-01T00:00:00Z", "+02024-05-01T13:00:00Z",
    "02024-05-01T13:00:00Z", "-2024-05-01T13:00:00Z", "+-2024-05-01T13:00:00Z",
]
for e in EDGES:
    dt("-", e)

# ---- date-times: random, mostly plausible, some broken -------------------
ZONES = ["Z", "z", "+00:00", "-00:00", "+01:00", "+02:00", "-05:00", "+05:30", "+05:45",
         "+14:00", "-18:00", "+18:00", "-12:00", "+02", "-07", "+10:30:15", "-03:30",
         "+0100", "+1", "+18:30", "-18:00:01", "+00:60", "", "UTC", "+02:00:00"]


def two(lo, hi):
    return f"{rng.randint(lo, hi):02d}"


def year():
    r = rng.random()
    if r < 0.7:
        return f"{rng.randint(1970, 2100):04d}"
    if r < 0.8:
        return f"{rng.randint(0, 9999):04d}"
    if r < 0.85:
        return "+" + str(rng.randint(10000, 999999999))
    if r < 0.9:
        return str(rng.randint(10000, 99999))
    if r < 0.95:
        return f"-{rng.randint(1, 9999):04d}"
    return rng.choice(["1969", "1970", "2000", "2100", "9999", "0000"])


def fraction():
    n = rng.choice([0, 0, 0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 9, 10, 12])
    if n == 0 and rng.random() < 0.8:
        return ""
    return rng.choice([".", ".", ".", ","]) + "".join(rng.choice("0123456789") for _ in range(n))


def random_datetime():
    y = year()
    mo = two(1, 12) if rng.random() < 0.9 else two(0, 13)
    d = two(1, 28) if rng.random() < 0.7 else two(0, 32)
    if rng.random() < 0.05:
        mo, d = "02", "29"
    h = two(0, 23) if rng.random() < 0.9 else two(0, 25)
    mi = two(0, 59) if rng.random() < 0.95 else two(58, 61)
    t = f"{h}:{mi}"
    if rng.random() < 0.85:
        t += ":" + (two(0, 59) if rng.random() < 0.95 else two(59, 61)) + fraction()
    sep = rng.choice(["T"] * 8 + ["t", " "])
    return f"{y}-{mo}-{d}{sep}{t}"


for _ in range(COUNT * 7 // 10):
    dt("-", random_datetime() + rng.choice(ZONES))

# the one form Kafka's own --to-datetime (Utils.getDateTime) reads as meant:
# three fraction digits and Z or +HH:MM
for _ in range(COUNT // 10):
    y = f"{rng.randint(1970, 2200):04d}"
    z = rng.choice(["Z", "+00:00", "+02:00", "-05:00", "+05:30", "+14:00", "-12:00"])
    dt("-", f"{y}-{two(1, 12)}-{two(1, 28)}T{two(0, 23)}:{two(0, 59)}:{two(0, 59)}"
            f".{rng.randint(0, 999):03d}{z}")

# a few characters changed, dropped or added
for _ in range(COUNT // 10):
    s = list(random_datetime() + rng.choice(ZONES[:14]))
    i = rng.randrange(len(s))
    op = rng.random()
    if op < 0.4:
        s[i] = rng.choice("0123456789:-+.TZ tz\u0663\uff15/")
    elif op < 0.7:
        del s[i]
    else:
        s.insert(i, rng.choice("0123456789:-+.TZ "))
    dt("-", "".join(s))

# ---- date-times with no zone, read in --timezone ------------------------
TZS = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
       "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham"]
TRANSITIONS = [  # around DST changes: gaps (clocks forward) and overlaps (back)
    ("Europe/Paris", "2024-03-31T0{h}:{m}"), ("Europe/Paris", "2024-10-27T0{h}:{m}"),
    ("America/New_York", "2024-03-10T0{h}:{m}"), ("America/New_York", "2024-11-03T0{h}:{m}"),
    ("Australia/Lord_Howe", "2024-04-07T0{h}:{m}"), ("Australia/Lord_Howe", "2024-10-06T0{h}:{m}"),
    ("America/St_Johns", "2024-03-10T0{h}:{m}"), ("America/St_Johns", "2024-11-03T0{h}:{m}"),
    ("Pacific/Chatham", "2024-04-07T0{h}:{m}"), ("Pacific/Chatham", "2024-09-29T0{h}:{m}"),
]
for zone, pat in TRANSITIONS:
    for h in range(0, 5):
        for m in ("00", "15", "30", "45", "59"):
            dt(zone, pat.format(h=h, m=m))
            dt(zone, pat.format(h=h, m=m) + ":30.5")
for _ in range(COUNT // 5):
    z = rng.choice(TZS)
    s = random_datetime()
    if rng.random() < 0.15:
        s += rng.choice(ZONES[:12])
    dt(z, s)
dt("Europe/Paris", "1970-01-01T00:30:00")
dt("Europe/Paris", "1970-01-01T01:00:00")
dt("America/New_York", "1969-12-31T19:00:00")
dt("America/New_York", "1969-12-31T18:59:59.999")

# ---- durations ----------------------------------------------------------
DUR_EDGES = [
    "PT0S", "PT0.5S", "PT1.S", "PT.5S", "PT-1S", "PT-0.5S", "PT-1.5S", "-PT5M", "+PT5M",
    "--PT5M", "-PT-5M", "P1DT", "PT", "P", "", "P1D", "p1d", "pt1h", "Pt1H2m3.5s", "P1DT1H1M1S",
    "P1W", "P1Y", "P1M", "PT1D", "P1H", "PT1H1H", "PT1M1H", "PT1S1M", "PT1.5M", "PT1,5S",
    "PT1.1234567890S", "PT1.123456789S", "PT0.0009S", "PT-0.0009S", "PT0.999999999S",
    "PT9223372036854775807S", "PT9223372036854775808S", "PT-9223372036854775808S",
    "PT9223372036854775.807S", "PT9223372036854775.808S", "PT-9223372036854775.808S",
    "PT-9223372036854775.809S", "P106751991167D", "P106751991168D", "-P106751991167D",
    "P106751991167DT7H12M55.807S", "P106751991167DT7H12M55.808S", "PT2562047788015215H",
    "PT2562047788015216H", "PT153722867280912M", "PT153722867280913M",
    "P53375995583DT1281023894007H76861433640456M", "P106751991167300DT-2562047788015200H",
    "PT99999999999999999999S", "P99999999999999999999D", "PT00000000000000000000000001S",
    "PT+1S", "P+1DT+1H", "P-1DT1H", "PT1H-60M", "P1DT-24H", "-P-1D", "PT1S ", " PT1S",
    "PT1 S", "P 1D", "PT\u0661S", "P\uff11D", "PT1\uff33", "PT1.\u0665S", "PTS", "PT.S",
    "PT-S", "PT-.5S", "P1.5D", "PT0.5H", "P1DT1H1M1.5S1", "P1DTT1H", "PT1HT1M", "P1D1D",
    "P0D", "-P0D", "PT-0S", "PT-0.000000001S", "P1DT24H", "Pt", "pT1m", "PT1e3S", "PT0x10S",
]
for e in DUR_EDGES:
    emit("dur", "-", e)


def amount(big=False):
    sign = rng.choice(["", "", "", "", "-", "+"])
    if big or rng.random() < 0.1:
        n = str(rng.randint(10 ** 9, 10 ** rng.randint(10, 24)))
    else:
        n = str(rng.randint(0, 5000))
    if rng.random() < 0.05:
        n = "0" * rng.randint(1, 20) + n
    return sign + n


def random_duration():
    s = rng.choice(["", "", "", "-", "+"]) + rng.choice("PPPp")
    parts = []
    if rng.random() < 0.5:
        parts.append(amount() + rng.choice("DDDd"))
    time = []
    if rng.random() < 0.5:
        time.append(amount() + rng.choice("HHh"))
    if rng.random() < 0.5:
        time.append(amount() + rng.choice("MMm"))
    if rng.random() < 0.6:
        sec = amount()
        if rng.random() < 0.4:
            sec += rng.choice([".", ".", ","]) + "".join(
                rng.choice("0123456789") for _ in range(rng.choice([0, 1, 3, 6, 9, 10])))
        time.append(sec + rng.choice("SSs"))
    if time or rng.random() < 0.1:
        parts.append(rng.choice("TTt") + "".join(time))
    s += "".join(parts)
    if rng.random() < 0.1:
        c = list(s)
        i = rng.randrange(len(c))
        if rng.random() < 0.5:
            del c[i]
        else:
            c.insert(i, rng.choice("0123456789PTDHMS-+.,YW "))
        s = "".join(c)
    return s


for _ in range(COUNT):
    emit("dur", "-", random_duration())

sys.stdout.write("\n".join(out) + "\n")
