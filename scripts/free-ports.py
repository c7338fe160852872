#!/usr/bin/env python3
"""Prints N distinct ports that are free on 127.0.0.1 for both UDP and TCP.

The kernel picks each (bind to port 0); all are held until every one is chosen, so they are
distinct, then released for the caller. Used by e2e/interop.sh and scripts/bench.sh.
"""
import socket
import sys

want = int(sys.argv[1]) if len(sys.argv) > 1 else 1
held, ports = [], []
while len(ports) < want:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        u.close()
        continue
    held += [t, u]
    ports.append(port)
print(*ports)
