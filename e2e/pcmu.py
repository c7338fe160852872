#!/usr/bin/env python3
"""G.711 μ-law (PCMU) RTP as pcap files: a tone for sipp to play, and what a capture carried.

    pcmu.py tone PCAP FREQ SECONDS
        A PCMU RTP stream of a sine (PT 0, 20 ms packets, -12 dBFS) as an Ethernet pcap, for
        sipp's <exec play_pcap_audio>: sipp keeps the RTP and the timing, and rewrites the
        addresses and ports.
    pcmu.py decode CAPTURE PORT WAV
        The RTP of payload type 0 to UDP port PORT in CAPTURE (tcpdump -w, on lo or any),
        in sequence-number order, decoded to an 8 kHz 16-bit mono WAV (for tone.py check).
        Prints one line: packets of PT 0 (and of other types), seconds, and the dominant
        frequency (Goertzel over 300-3400 Hz in 5 Hz steps, 100 ms windows); exit status 1
        when there was no PT 0 packet.
"""
import math
import struct
import sys
import wave

RATE = 8000
PACKET = 160  # samples in 20 ms
BIAS = 0x84
CLIP = 32635


def ulaw_encode(sample):
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), CLIP) + BIAS
    exponent = 7
    while exponent > 0 and not magnitude & (0x4000 >> (7 - exponent)):
        exponent -= 1
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def ulaw_decode(byte):
    u = ~byte & 0xFF
    magnitude = (((u & 0x0F) << 3) + BIAS) << ((u >> 4) & 0x07)
    return BIAS - magnitude if u & 0x80 else magnitude - BIAS


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(seq, payload):
    """Ethernet + IPv4 + UDP around one RTP packet (placeholder addresses: sipp sets its own)."""
    src, dst, sport, dport = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]), 6000, 6002
    rtp = struct.pack("!BBHII", 0x80, (0x80 if seq == 0 else 0), seq & 0xFFFF,
                      seq * PACKET & 0xFFFFFFFF, 0x5B0A4D01) + payload
    udp_len = 8 + len(rtp)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + rtp
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, seq & 0xFFFF, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\0" * 12 + b"\x08\x00" + ip + udp


def tone(path, freq, seconds):
    amplitude = 8192  # -12 dBFS
    packets = int(seconds * RATE / PACKET)
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for seq in range(packets):
            payload = bytes(
                ulaw_encode(int(amplitude * math.sin(2 * math.pi * freq * (seq * PACKET + i) / RATE)))
                for i in range(PACKET))
            data = frame(seq, payload)
            usec = seq * 20000
            out.write(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(data), len(data)))
            out.write(data)
    print(f"{path}: {packets} PCMU packets of {freq:g} Hz ({packets * PACKET / RATE:g} s)")
    return 0


# Link-layer header lengths of the pcap link types tcpdump writes on Linux.
LINK_HEADER = {1: 14, 113: 16, 276: 20}  # Ethernet (lo too), Linux cooked v1 and v2


def rtp_payloads(path, port):
    """(sequence number, payload) of each RTP packet of PT 0 to `port`, and a count of the
    packets of other payload types."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a pcap file (pcapng is not read: use tcpdump -w)")
    link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    if link not in LINK_HEADER:
        raise ValueError(f"{path}: link type {link} not read here")
    offset, found, others = 24, [], 0
    while offset + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        packet = data[offset + 16:offset + 16 + incl]
        offset += 16 + incl
        ip = packet[LINK_HEADER[link]:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        if len(udp) < 8 + 12 or struct.unpack("!H", udp[2:4])[0] != port:
            continue
        rtp = udp[8:]
        if rtp[0] >> 6 != 2:
            continue
        csrc = (rtp[0] & 0x0F) * 4
        if rtp[1] & 0x7F != 0:
            others += 1
            continue
        found.append((struct.unpack("!H", rtp[2:4])[0], rtp[12 + csrc:]))
    return found, others


def in_order(packets):
    """Sorted by the sequence number extended over its wraps (as received, roughly)."""
    ordered, last, cycles = [], None, 0
    for seq, payload in packets:
        if last is not None and seq < last and last - seq > 0x8000:
            cycles += 0x10000
        elif last is not None and seq > last and seq - last > 0x8000:
            seq -= 0x10000  # a late packet from before the wrap
        ordered.append((seq + cycles, payload))
        last = seq % 0x10000
    return [p for _, p in sorted(ordered, key=lambda x: x[0])]


def goertzel(samples, freq):
    k = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2


def dominant(samples):
    """The frequency (300-3400 Hz, 5 Hz steps) with the most power summed over up to twenty
    100 ms windows from the middle of the sound; 0 when it is all silence."""
    window = RATE // 10
    loud = [samples[i:i + window] for i in range(0, len(samples) - window + 1, window)
            if sum(x * x for x in samples[i:i + window]) > window * 100.0 ** 2]
    if not loud:
        return 0.0
    middle = len(loud) // 2
    chosen = loud[max(0, middle - 10):middle + 10]
    best, best_power = 0.0, -1.0
    for freq in range(300, 3401, 5):
        power = sum(goertzel(w, freq) for w in chosen)
        if power > best_power:
            best, best_power = float(freq), power
    return best


def decode(path, port, wav_path):
    found, others = rtp_payloads(path, port)
    samples = [ulaw_decode(b) for payload in in_order(found) for b in payload]
    with wave.open(wav_path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    peak = dominant(samples)
    print(f"{len(found)} PCMU packets (PT 0) to port {port}, {others} of other types, "
          f"{len(samples) / RATE:.2f} s, dominant {peak:g} Hz -> {wav_path}")
    return 0 if found else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "tone":
        sys.exit(tone(args[1], float(args[2]), float(args[3])))
    if len(args) == 4 and args[0] == "decode":
        sys.exit(decode(args[1], int(args[2]), args[3]))
    print(__doc__, file=sys.stderr)
    sys.exit(2)
