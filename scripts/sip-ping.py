#!/usr/bin/env python3
"""Sends SIP OPTIONS over UDP to HOST:PORT until any SIP response comes back.

Exit 0 on an answer, 1 when none came within the deadline. Used to wait for a server to be
ready (scripts/bench.sh) without caring what it answers: Kamailio's reference config replies
200 without an Allow header, Switchboard with one.

    sip-ping.py HOST PORT [SECONDS]
"""
import os
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + (float(sys.argv[3]) if len(sys.argv) > 3 else 10.0)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 0))
local = sock.getsockname()[1]
attempt = 0
while time.monotonic() < deadline:
    attempt += 1
    branch = f"z9hG4bK-ping-{os.getpid()}-{attempt}"
    msg = (
        f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch={branch};rport\r\n"
        f"From: <sip:ping@127.0.0.1>;tag=ping{os.getpid()}\r\n"
        f"To: <sip:{host}:{port}>\r\n"
        f"Call-ID: ping-{os.getpid()}-{attempt}@127.0.0.1\r\n"
        f"CSeq: {attempt} OPTIONS\r\n"
        "Max-Forwards: 70\r\n"
        "Content-Length: 0\r\n\r\n"
    ).encode()
    try:
        sock.sendto(msg, (host, port))
    except OSError:
        pass
    sock.settimeout(0.2)
    try:
        data, _ = sock.recvfrom(65535)
        if data.startswith(b"SIP/2.0 "):
            sys.exit(0)
    except (socket.timeout, ConnectionRefusedError, OSError):
        pass
    time.sleep(0.05)
sys.exit(1)
