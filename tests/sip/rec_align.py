#!/usr/bin/env python3
"""Checks that a two-channel call recording of an impaired stream stays aligned.

usage: rec_align.py REC16.wav --gap 3.0:0.5 [--gap-slack 0.14] [--echo=MIN:MAX]
                    [--length SECONDS] [--length-slack 0.14] [--echo-slack S]

REC16.wav is the recording as 16-bit PCM (sox converts it). The left channel is the
caller's stream: a tone with one silence (--gap START:LEN, seconds after the tone's
start); the right channel is the agent's phone echoing what it hears, so the same
silence a round trip later. Silences are runs of 300 ms or more of 20-ms blocks below
RMS 1000; a lost packet leaves one quiet block in place, which is no silence.

Asserts, per channel: exactly one silence; in the caller's channel it starts START
(± --gap-slack) after the tone's start and lasts LEN (± 0.1); the echo's starts
between MIN and MAX seconds after the caller's; with --length, the caller's tone's
last loud block ends SECONDS (± --length-slack) after its start, which fails if lost
packets were squeezed out instead of left as silence in their place (5% of 7 s is
0.35 s). With --echo-slack, the echo's channel is held to the same on its own: its
silence START (± S) after its tone's start, lasting LEN (± 0.1), and (with --length)
its tone SECONDS (± S) long. The recorder's jitter buffer (speexdsp) adapts its delay
to the jitter it sees, so a channel may shift by up to its path's jitter during the
call: a slack is that jitter plus a few 20-ms ticks. Prints what it found; exits 1
with the reason when a check fails.
Standard library only.
"""
import argparse
import math
import struct
import sys
import wave

BLOCK = 160  # 20 ms at 8 kHz


def analyse(samples):
    """The tone's start and end and its silences of 300 ms or more, in seconds."""
    loud = [math.sqrt(sum(x * x for x in samples[i:i + BLOCK]) / BLOCK) > 1000
            for i in range(0, len(samples) - BLOCK + 1, BLOCK)]
    if True not in loud:
        raise AssertionError("no tone at all")
    onset = loud.index(True)
    end = len(loud) - loud[::-1].index(True)
    runs, k = [], onset
    while k < len(loud):
        j = k
        while j < len(loud) and not loud[j]:
            j += 1
        if j - k >= 15 and j < len(loud):
            runs.append((round(k * 0.02, 2), round((j - k) * 0.02, 2)))
        k = j + 1 if j == k else j
    return onset * 0.02, end * 0.02, runs


def off(x, want):
    """How far x is from want, to the 20-ms block (no floating-point residue)."""
    return round(abs(x - want), 3)


def span(text):
    lo, hi = text.split(":")
    return float(lo), float(hi)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("wav")
    ap.add_argument("--gap", type=span, required=True)
    ap.add_argument("--gap-slack", type=float, default=0.14)
    ap.add_argument("--echo", type=span, default=(-0.04, 0.2))
    ap.add_argument("--length", type=float)
    ap.add_argument("--length-slack", type=float, default=0.14)
    ap.add_argument("--echo-slack", type=float)
    a = ap.parse_args()
    w = wave.open(a.wav)
    ch, n = w.getnchannels(), w.getnframes()
    data = struct.unpack("<%dh" % (n * ch), w.readframes(n))
    assert ch == 2, "%d channels" % ch

    t0, end0, caller = analyse(data[0::2])
    t1, end1, agent = analyse(data[1::2])
    print("caller: tone %.2f-%.2f s, silences (start, length) %s; agent's echo: tone "
          "%.2f-%.2f s, silences %s" % (t0, end0, caller, t1, end1, agent))
    at, length = a.gap
    assert len(caller) == 1, "caller's silences %s, want one" % caller
    assert off(caller[0][0] - t0, at) <= a.gap_slack, \
        "silence %.2f s after the tone, want %.1f" % (caller[0][0] - t0, at)
    assert off(caller[0][1], length) <= 0.1, \
        "silence of %.2f s, want %.1f" % (caller[0][1], length)
    assert len(agent) == 1, "echo's silences %s, want one" % agent
    lo, hi = a.echo
    assert lo <= round(agent[0][0] - caller[0][0], 3) <= hi, \
        "channels %.2f s apart, want %.2f..%.2f" % (agent[0][0] - caller[0][0], lo, hi)
    if a.length is not None:
        assert off(end0 - t0, a.length) <= a.length_slack, \
            "the caller's tone lasts %.2f s, want %.2f" % (end0 - t0, a.length)
    if a.echo_slack is not None:
        assert off(agent[0][0] - t1, at) <= a.echo_slack, \
            "echo's silence %.2f s after its tone, want %.1f" % (agent[0][0] - t1, at)
        assert off(agent[0][1], length) <= 0.1, \
            "echo's silence of %.2f s, want %.1f" % (agent[0][1], length)
        if a.length is not None:
            assert off(end1 - t1, a.length) <= a.echo_slack, \
                "the echo's tone lasts %.2f s, want %.2f" % (end1 - t1, a.length)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("not aligned:", e)
        sys.exit(1)
