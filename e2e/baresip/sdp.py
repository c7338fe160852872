#!/usr/bin/env python3
"""The SDP of one SIP message in a baresip log written with -s (SIP trace).

    sdp.py LOG START METHOD [--answered] [--show]

Finds the first traced message whose first line starts with START ("INVITE", "200") and
whose CSeq method is METHOD, and prints "PROTO KEY": the m=audio line's transport
(RTP/AVP, RTP/SAVP, ...) and the key of its first a=crypto line, "-" for what is missing
("- -" when there is no such message or it has no SDP). With --answered, only a request
that a 200 in the trace answered (same Call-ID and CSeq) counts: the offer a phone took,
not one it refused (a server may offer plain RTP first and SRTP after a 488).
With --show, the SDP follows.
A message in the trace is "#", "UDP SRC -> DST", the message, then an escape sequence that
starts the next line (the "#" may be glued to the end of baresip's status line).
"""
import re
import sys

ESC = re.compile(r"\x1b\[[0-9;]*m")


START = re.compile(r"^(UDP|TCP|TLS|WS|WSS) \S+ -> \S+$")


def messages(text):
    raw = text.split("\n")
    lines = [ESC.sub("", line).rstrip("\r") for line in raw]
    i = 0
    while i < len(lines):
        if START.match(lines[i]):
            j = i + 1
            msg = []
            # up to the trace's closing escape sequence (other log output may follow it on
            # the same line), or to where the next traced message starts
            while j < len(lines) and not raw[j].startswith("\x1b[;m") and not START.match(lines[j]):
                msg.append(lines[j])
                j += 1
            yield msg
            i = j
        else:
            i += 1


def main(argv):
    show = "--show" in argv
    answered = "--answered" in argv
    args = [a for a in argv if a not in ("--show", "--answered")]
    if len(args) != 3:
        print(__doc__)
        return 2
    path, start, method = args
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    msgs = list(messages(text))

    def header(msg, name):
        return next((m.split(":", 1)[1].strip() for m in msg if m.lower().startswith(name + ":")), "")

    ok = {(header(m, "call-id"), header(m, "cseq")) for m in msgs if m and m[0].startswith("SIP/2.0 200")}
    for msg in msgs:
        if answered and (header(msg, "call-id"), header(msg, "cseq")) not in ok:
            continue
        if not msg or not msg[0].startswith(start) and not msg[0].startswith("SIP/2.0 " + start):
            continue
        cseq = next((m for m in msg if m.lower().startswith("cseq:")), "")
        if cseq.split()[-1:] != [method]:
            continue
        try:
            body = msg[msg.index("") + 1:]
        except ValueError:
            body = []
        proto = key = "-"
        for line in body:
            m = re.match(r"^m=audio \d+ (\S+)", line)
            if m and proto == "-":
                proto = m.group(1)
            m = re.match(r"^a=crypto:\d+ \S+ inline:([^|\s]+)", line)
            if m and key == "-":
                key = m.group(1)
        print(proto, key)
        if show:
            print("\n".join(line for line in body if line))
        return 0
    print("- -")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
