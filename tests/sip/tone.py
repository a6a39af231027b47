#!/usr/bin/env python3
"""Which tone a channel of a WAV file carries, for the protocol tests.

usage: tone.py FILE CHANNEL HZ [OTHER_HZ ...]

Reads a 16-bit PCM WAV (convert others with sox first), takes channel CHANNEL (0 = left),
skips the first 0.2 s, and measures with the Goertzel algorithm the power at HZ and at
each OTHER_HZ. Exits 0 when HZ is the strongest by a factor of 4 and the channel's RMS
level stands above silence; prints the figures either way. Standard library only.
"""
import math
import struct
import sys
import wave


def goertzel(samples, rate, hz):
    k = 2.0 * math.cos(2.0 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + k * s1 - s2
        s2, s1 = s1, s0
    return (s1 * s1 + s2 * s2 - k * s1 * s2) / max(1, len(samples)) ** 2


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, channel, want = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    others = [float(a) for a in sys.argv[4:]]
    with wave.open(path, "rb") as w:
        nch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        if width != 2:
            print(f"{path}: {8 * width}-bit samples, want 16-bit PCM", file=sys.stderr)
            return 2
        if channel >= nch:
            print(f"{path}: has {nch} channel(s), no channel {channel}", file=sys.stderr)
            return 1
        frames = w.readframes(n)
    data = struct.unpack("<%dh" % (len(frames) // 2), frames)
    x = data[channel::nch][int(0.2 * rate):]
    if len(x) < rate // 10:
        print(f"{path}: channel {channel}: only {len(x)} samples after 0.2 s", file=sys.stderr)
        return 1
    rms = math.sqrt(sum(v * v for v in x) / len(x))
    p_want = goertzel(x, rate, want)
    p_others = {hz: goertzel(x, rate, hz) for hz in others}
    strongest_other = max(p_others.values(), default=0.0)
    figures = " ".join(f"{hz:g}Hz={p:.1f}" for hz, p in [(want, p_want)] + list(p_others.items()))
    print(f"{path} ch{channel}: {len(x) / rate:.2f}s rms={rms:.0f} {figures}")
    if rms < 300:
        print(f"channel {channel} is silent (rms {rms:.0f})", file=sys.stderr)
        return 1
    if p_want < 4 * strongest_other or p_want < 1000:
        print(f"channel {channel}: {want:g} Hz is not the dominant tone", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
