#!/usr/bin/env python3
"""Finds a call record in `switchboard cdr list --json` output and checks its fields.

    cdr-check.py FILE --caller 1101 --dialed 1102 [--callee 1102] [--disposition answered]
                 [--cause 200] [--min-duration S] [--min-billable S] [--min-a-in N] [--min-b-out N]

The newest record matching --caller and --dialed (those are the keys) is checked. Field names
are looked up leniently (a_packets_in, leg_a.packets_in, ...): the JSON is flattened with '.'
and '_' both tried. Exit 0 when all given checks hold, 1 when one fails, 3 when no record
matches yet (the caller may retry: records are written behind). Prints one line.
"""
import argparse
import json
import sys


def flatten(obj, prefix=""):
    out = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        out[key] = v
        out[key.replace(".", "_")] = v
    return out


def get(rec, *names):
    for n in names:
        if n in rec and rec[n] is not None:
            return rec[n]
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--caller", required=True)
    p.add_argument("--dialed", required=True)
    p.add_argument("--callee")
    p.add_argument("--disposition")
    p.add_argument("--cause", type=int)
    p.add_argument("--min-duration", type=int)
    p.add_argument("--min-billable", type=int)
    p.add_argument("--min-a-in", type=int)
    p.add_argument("--min-b-out", type=int)
    a = p.parse_args()
    try:
        data = json.load(open(a.file))
    except (OSError, ValueError) as e:
        print(f"cdr: cannot read the JSON ({e})")
        return 1
    if isinstance(data, dict):  # tolerate {"records": [...]}
        data = next((v for v in data.values() if isinstance(v, list)), [])
    recs = [flatten(r) for r in data if isinstance(r, dict)]
    mine = [r for r in recs if str(get(r, "caller")) == a.caller and str(get(r, "dialed")) == a.dialed]
    # a record still open is not the one to check yet
    done = [r for r in mine if get(r, "disposition") not in (None, "in progress")]
    if not done:
        print(f"cdr: no finished record {a.caller} -> {a.dialed} among {len(recs)}")
        return 3
    r = max(done, key=lambda r: get(r, "start_ms") or 0)
    bad = []

    def want(name, value, ok):
        if not ok:
            bad.append(f"{name}={value!r}")

    if a.callee is not None:
        v = get(r, "callee")
        want("callee", v, str(v) == a.callee)
    if a.disposition is not None:
        v = get(r, "disposition")
        want("disposition", v, v == a.disposition)
    if a.cause is not None:
        v = get(r, "sip_cause", "cause")
        want("sip_cause", v, v == a.cause)
    if a.min_duration is not None:
        v = get(r, "duration", "duration_secs")
        want("duration", v, isinstance(v, (int, float)) and v >= a.min_duration)
    if a.min_billable is not None:
        v = get(r, "billable", "billable_secs")
        want("billable", v, isinstance(v, (int, float)) and v >= a.min_billable)
    if a.min_a_in is not None:
        v = get(r, "a_packets_in", "leg_a_packets_in", "leg_a.packets_in")
        want("a_packets_in", v, isinstance(v, int) and v >= a.min_a_in)
    if a.min_b_out is not None:
        v = get(r, "b_packets_out", "leg_b_packets_out", "leg_b.packets_out")
        want("b_packets_out", v, isinstance(v, int) and v >= a.min_b_out)
    summary = ", ".join(f"{k}={get(r, k)}" for k in ("callee", "disposition", "sip_cause", "duration", "billable")
                        if get(r, k) is not None)
    if bad:
        print(f"cdr {a.caller} -> {a.dialed}: wrong " + ", ".join(bad) + f" (record: {summary})")
        return 1
    print(f"cdr {a.caller} -> {a.dialed}: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
