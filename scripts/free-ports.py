#!/usr/bin/env python3
"""Prints N distinct ports that are free on 127.0.0.1 for both UDP and TCP.

The kernel picks each (bind to port 0); all are held until every one is chosen, so they are
distinct, then released for the caller. Used by e2e/interop.sh and scripts/bench.sh.

With --with-next, port+1 is free (TCP) and held too, and is never one of the others: for
baresip 1.0, which also listens for TLS on the port after its SIP port.
"""
import socket
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
with_next = "--with-next" in sys.argv[1:]
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
    if u is None or (with_next and n is None):
        for s in (t, u, n):
            if s is not None:
                s.close()
        continue
    held += [s for s in (t, u, n) if s is not None]
    ports.append(port)
print(*ports)
