#!/usr/bin/env python3
"""Counts the UDP datagrams (RTP) that reach 127.0.0.1:PORT (or ADDR:PORT) and keeps the
count in FILE.

    udp-count.py PORT FILE [ADDR]   (runs until killed; FILE holds "packets bytes" at every moment)

e2e/calls.sh points a sipp callee's SDP at it, so "RTP counted at the far end" is what really
arrived through Switchboard's relay.
"""
import os
import socket
import sys

port, path = int(sys.argv[1]), sys.argv[2]
addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
s.settimeout(0.5)
packets = size = 0
written = None


def write():
    global written
    if written != packets:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{packets} {size}\n")
        os.replace(tmp, path)
        written = packets


write()
while True:
    try:
        data = s.recv(2048)
    except socket.timeout:
        write()
        continue
    # RTP version 2 only (RTCP would go to port + 1 anyway)
    if len(data) >= 12 and data[0] >> 6 == 2:
        packets += 1
        size += len(data)
        if packets % 10 == 0:
            write()
