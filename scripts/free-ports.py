#!/usr/bin/env python3
"""Prints N distinct ports that are free on 127.0.0.1 for both UDP and TCP.

The kernel picks each (bind to port 0); all are held until every one is chosen, so they are
distinct, then released for the caller. Used by e2e/interop.sh and scripts/bench.sh.

With --with-next, port+1 is free (TCP) and held too, and is never one of the others: for
baresip 1.0, which also listens for TLS on the port after its SIP port.

With --udp-span=K, the K-1 ports after each port are free for UDP and held too, so no other
port printed falls among them: for sipp's -mp, which binds audio RTP and RTCP there and video
RTP and RTCP on the two ports after (K=4).
"""
import socket
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
with_next = "--with-next" in sys.argv[1:]
span = next((int(a.split("=", 1)[1]) for a in sys.argv[1:] if a.startswith("--udp-span=")), 1)
want = int(args[0]) if args else 1
held, ports = [], []


def bind(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        return None
    return s


while len(ports) < want:
    t = bind(socket.SOCK_STREAM, 0)
    port = t.getsockname()[1]
    u = bind(socket.SOCK_DGRAM, port)
    n = bind(socket.SOCK_STREAM, port + 1) if with_next and port < 65535 else None
    after = [bind(socket.SOCK_DGRAM, port + i) if port + i <= 65535 else None for i in range(1, span)]
    if u is None or (with_next and n is None) or None in after:
        for s in (t, u, n, *after):
            if s is not None:
                s.close()
        continue
    held += [s for s in (t, u, n, *after) if s is not None]
    ports.append(port)
print(*ports)
