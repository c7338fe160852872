#!/usr/bin/env python3
"""Tone WAVs for the baresip phones, and the check of what they recorded (Goertzel).

    tone.py gen FILE FREQ SECONDS        8 kHz mono 16-bit sine, amplitude -12 dBFS
    tone.py check FILE FREQ [OTHER...]   exit 0 when FILE holds FREQ: at least 1 s of it,
                                         and in those blocks FREQ carries most of the
                                         energy and each OTHER frequency less than a tenth of it;
                                         and no 20 ms block at all where an OTHER frequency
                                         carries a tenth of the energy or more (a phone's own
                                         tone must not come back to it, not even mixed in).
Prints one line: what was found.
"""
import math
import struct
import sys
import wave

RATE = 8000
BLOCK = 160  # 20 ms, one RTP packet of G.711


def gen(path, freq, seconds):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        amp = 8192
        n = int(RATE * seconds)
        w.writeframes(b"".join(
            struct.pack("<h", int(amp * math.sin(2 * math.pi * freq * i / RATE))) for i in range(n)))


def goertzel(samples, freq, rate):
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    # power normalised so that a full-scale sine of that frequency gives about N^2/4 * A^2
    return s1 * s1 + s2 * s2 - k * s1 * s2


def check(path, freq, others):
    with wave.open(path, "rb") as w:
        rate, width, chans = w.getframerate(), w.getsampwidth(), w.getnchannels()
        raw = w.readframes(w.getnframes())
    if width != 2:
        print(f"{path}: {width}-byte samples, want 16-bit")
        return 1
    samples = struct.unpack(f"<{len(raw) // 2}h", raw)[::chans]
    block = rate // 50
    good = 0
    total = 0
    worst_other = 0.0
    other_blocks = 0
    for i in range(0, len(samples) - block + 1, block):
        b = samples[i:i + block]
        energy = sum(x * x for x in b)
        if energy < block * 100.0 ** 2:  # below about -50 dBFS: silence
            continue
        total += 1
        want = goertzel(b, freq, rate) * 2 / block  # ~ energy of that frequency's component
        rest = [goertzel(b, f, rate) * 2 / block for f in others]
        if any(r >= 0.1 * energy for r in rest):
            other_blocks += 1
        if want > 0.5 * energy and all(r < 0.1 * want for r in rest):
            good += 1
            worst_other = max([worst_other] + [r / want for r in rest])
    secs = good * block / rate
    ok = secs >= 1.0 and other_blocks == 0
    verdict = "ok" if ok else "MISSING" if secs < 1.0 else "OTHER TONE HEARD"
    others_text = "/".join(f"{f:g}" for f in others) or "none"
    print(f"{path}: {secs:.2f} s of {freq:g} Hz in {total * block / rate:.2f} s of sound"
          f" (strongest other tone {worst_other:.3f} of it; {other_blocks} blocks with"
          f" {others_text} Hz) -> {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "gen":
        gen(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], float(sys.argv[3]), [float(f) for f in sys.argv[4:]]))
    else:
        print(__doc__)
        sys.exit(2)
