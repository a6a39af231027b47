#!/usr/bin/env bash
# Recordings disk full: the recordings directory is a 48 KiB tmpfs (about 1.5 s of an
# 8 kHz stereo recording). A 5 s call goes on to its end when the disk fills; the server
# logs event=recording_failed once, the interaction's timeline says recording_failed,
# and the file left is a valid WAV holding what was written before (shorter than the
# call, its header matching its size: no corrupt file). Needs root for the mount.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$REC_DIR"
mount -t tmpfs -o size=48k,mode=0750 centrala-test "$REC_DIR" 2>/dev/null ||
	skip "cannot mount a tmpfs (needs root)"
test_cleanup() { umount "$REC_DIR" 2>/dev/null || true; }

write_acme_config
start_server
make_tone "$WORK/caller-440.wav" 440 10

agent_port=$(peer_port 2)
sipp_bg agent_pid agent 30 "$(scen agent-answer.xml ring_ms=300)" -p "$agent_port" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1
register_agent alice alice-pw "$agent_port" "$(peer_port 1)"
rc=0
sipp_run caller 30 "$(scen caller.xml wav="$WORK/caller-440.wav" talk_ms=5000)" \
	-p "$(peer_port 3)" -mi 127.0.0.1 -mp "$(media_port 2)" -m 1 -key number 300 \
	-key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
rc=0
wait_rc "$agent_pid" || rc=$?
expect_sipp_ok agent "$rc"

wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=caller' 5
[ "$(grep -c 'event=recording_failed' "$SERVER_LOG")" -eq 1 ] ||
	fail "want one event=recording_failed, got $(grep -c 'event=recording_failed' "$SERVER_LOG")"
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, "%d interactions" % len(ix)
i = ix[0]
assert i["answered"] and i["talk_s"] >= 4.0, i
assert "recording_failed" in [e["event"] for e in i["timeline"]], i["timeline"]
'
rec=$(first_recording)
[ -f "$rec" ] || fail "no recording file at $rec"
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read $rec"
size=$(stat -c %s "$rec")
data=$(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(44); print(struct.unpack("<I", d[40:44])[0])' "$rec")
[ "$size" -eq $((44 + data)) ] || fail "$rec: $size bytes, header says 44 + $data"
dur=$(soxi -D "$rec")
note "recording kept: $dur s of a 5 s call, $size bytes"
python3 -c 'import sys; d = float(sys.argv[1]); sys.exit(0 if 0 < d < 4 else 1)' "$dur" ||
	fail "recording lasts $dur s: the disk did not fill, or nothing was kept"
