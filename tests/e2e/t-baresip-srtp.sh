#!/usr/bin/env bash
# End to end with real softphones over SRTP (SDES keys, RFC 4568): tenant acme has
# `srtp: required`. baresip (Debian, module srtp, mediaenc=srtp-mand) registers as agent
# alice and a second baresip calls number 300, both offering only RTP/SAVP; the caller's
# microphone is a 440 Hz tone, the agent's 1000 Hz. Asserts:
#   - each phone heard the other's tone and the recording holds 440 Hz left, 1000 Hz
#     right (the server decrypted both legs and encrypted what it relayed);
#   - on the wire (an AF_PACKET capture inside the namespace, tests/e2e/rtp_sniff.py)
#     no PCMU packet has the length of plain RTP, they carry SRTP's tag, and no stream's
#     payload holds a tone;
#   - the server counted SRTP packets both ways (/metrics), and refused no RTP packet,
#     only baresip's RTCP that is not SRTCP (its plain opener, its BYE at the hang-up);
#   - a third phone offering plain RTP is refused with 488 (logged srtp_required).
#
# Like t-baresip.sh, it runs in a network namespace of its own (root needed: ip netns).
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/../sip/lib.sh"

command -v baresip >/dev/null || skip "baresip is not installed (scripts/install-deps --test)"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
NS=centrala-e2e-$$
if ! ip netns add "$NS" 2>"$WORK/netns.err"; then
	skip "cannot create a network namespace here: $(cat "$WORK/netns.err")"
fi
test_cleanup() {
	ip netns del "$NS" 2>/dev/null || true
}
ip -n "$NS" link set lo up
ip -n "$NS" link add v0 type veth peer name v1 || skip "cannot create a veth pair in $NS"
ip -n "$NS" addr add 10.77.0.1/24 dev v0
ip -n "$NS" addr add 10.77.0.2/24 dev v1
ip -n "$NS" link set v0 up
ip -n "$NS" link set v1 up
ip -n "$NS" route add default via 10.77.0.2 dev v0

IP=10.77.0.1
SIP_HOST=$IP
SIP_PORT=5060
RTP_ADDR=$IP
SERVER_PREFIX=(ip netns exec "$NS")
# The tenant's SIP domain is the server's address: no DNS inside the namespace.
write_config <<YAML
tenants:
  - id: acme
    name: ACME
    domain: $IP
    srtp: required
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    numbers:
      - {number: "300", user: alice}
YAML
start_server

sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/caller-440.wav" synth 30 sine 440 vol 0.5
sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/agent-1000.wav" synth 30 sine 1000 vol 0.5

# One configuration directory per phone. baresip binds TCP on its SIP port and the next
# one: the phones' ports are 10 apart.
phone_config() {
	local dir=$1 port=$2 wav=$3 rtp=$4
	mkdir -p "$dir"
	cat >"$dir/config" <<EOF
poll_method		epoll
sip_listen		$IP:$port
call_local_timeout	30
audio_player		aubridge,nil
audio_alert		aubridge,nil
audio_source		aufile,$wav
ausrc_srate		8000
auplay_srate		8000
ausrc_channels		1
auplay_channels		1
audio_level		no
rtp_ports		$rtp
rtcp_mux		no
jitter_buffer_delay	5-10
snd_path		$dir
module_path		/usr/lib/baresip/modules
module			g711.so
module			srtp.so
module			aufile.so
module			aubridge.so
module			sndfile.so
module_app		account.so
module_app		menu.so
EOF
}
phone_config "$WORK/agent" 5072 "$WORK/agent-1000.wav" 10000-10019
phone_config "$WORK/caller" 5082 "$WORK/caller-440.wav" 10100-10119
phone_config "$WORK/plain" 5092 "$WORK/caller-440.wav" 10200-10219
echo "<sip:alice@$IP:$SIP_PORT>;auth_pass=alice-pw;answermode=auto;regint=600;audio_codecs=PCMU;mediaenc=srtp-mand" \
	>"$WORK/agent/accounts"
echo "<sip:customer@$IP:$SIP_PORT>;regint=0;audio_codecs=PCMU;mediaenc=srtp-mand" >"$WORK/caller/accounts"
echo "<sip:plain@$IP:$SIP_PORT>;regint=0;audio_codecs=PCMU" >"$WORK/plain/accounts"

timeout -k 3 60 ip netns exec "$NS" baresip -4 -f "$WORK/agent" -t 45 >"$WORK/agent.log" 2>&1 &
agent_pid=$!
_BG_PIDS+=("$agent_pid")
wait_log "event=registered user=alice domain=$IP source=$IP:5072 contacts=1" 10

# The capture covers the call: it starts before the caller dials and lasts 7 s.
ip netns exec "$NS" "$PYTHON" "$TOP/tests/e2e/rtp_sniff.py" lo 7 "$WORK/sniff.json" \
	>"$WORK/sniff.out" 2>&1 &
sniff_pid=$!
_BG_PIDS+=("$sniff_pid")
sleep 0.3

# The caller dials at start and quits (hanging up) after 8 s.
rc=0
timeout -k 3 30 ip netns exec "$NS" baresip -4 -f "$WORK/caller" -t 8 \
	-e "/dial sip:300@$IP:$SIP_PORT" >"$WORK/caller.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "caller baresip exited with $rc: $(tail -n 5 "$WORK/caller.log")"
grep -q 'Call established' "$WORK/caller.log" || fail "the caller's call was not established"
wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=caller' 10
grep -q 'Call established' "$WORK/agent.log" || fail "the agent's phone did not answer"
grep -q 'SRTP is Enabled' "$WORK/caller.log" || fail "the caller's phone did not turn SRTP on"
grep -q 'SRTP is Enabled' "$WORK/agent.log" || fail "the agent's phone did not turn SRTP on"
wait_rc "$sniff_pid" || fail "the capture failed: $(cat "$WORK/sniff.out")"
"$PYTHON" - "$WORK/sniff.json" <<'PY' || fail "RTP on the wire: $(cat "$WORK/sniff.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["rtp"] >= 200, s            # both legs, both ways, for seconds
assert s["plain_len"] == 0, s        # no packet of plain PCMU's length
assert s["srtp_len"] >= 200, s       # every one carries an authentication tag
assert s["max_tone_share"] < 0.05, s # payloads are noise, not the tones
PY
ip netns exec "$NS" curl -sf "http://127.0.0.1:$API_PORT/metrics" >"$WORK/metrics.txt" ||
	fail "no /metrics"
"$PYTHON" - "$WORK/metrics.txt" <<'PY' || fail "SRTP counters: $(grep srtp "$WORK/metrics.txt")"
import re, sys
m = dict(re.findall(r'^(centrala_srtp_\S+) (\d+)$', open(sys.argv[1]).read(), re.M))
assert int(m['centrala_srtp_packets_total{direction="in"}']) >= 200, m
assert int(m['centrala_srtp_packets_total{direction="out"}']) >= 200, m
# baresip sends one plain 16-byte RTCP APP packet per stream as it starts (a NAT
# opener, too short to be SRTCP) and, at the hang-up, may send its RTCP BYE without
# SRTCP's encryption bit: refused, as every such packet must be. At most those.
assert int(m["centrala_srtp_failures_total"]) <= 4, m
PY
# No RTP packet was refused (the first refusal of a session is logged, RTCP or RTP).
expect_no_log 'event=srtp_refused rtcp=0 '

# A phone offering plain RTP to a tenant that requires SRTP is refused.
timeout -k 3 20 ip netns exec "$NS" baresip -4 -f "$WORK/plain" -t 4 \
	-e "/dial sip:300@$IP:$SIP_PORT" >"$WORK/plain.log" 2>&1 || true
wait_log "tenant=acme event=rejected status=488 reason=srtp_required number=300 " 5
grep -q 'Call established' "$WORK/plain.log" && fail "the plain RTP call was established"
# The agent's phone quits on TERM (un-registering when it gets to it: not asserted, it
# does not always send the REGISTER before it exits).
kill -TERM "$agent_pid" 2>/dev/null || true
for _ in $(seq 50); do
	kill -0 "$agent_pid" 2>/dev/null || break
	sleep 0.1
done
stop_server

export_interactions
check_interactions '
assert len(ix) == 1, "%d interactions" % len(ix)
i = ix[0]
assert i["answered"] and i["agent"] == "alice" and i["number"] == "300", i
assert 4.0 <= i["talk_s"] <= 10.0, "talk_s %s" % i["talk_s"]
assert i["recording"], i
'
rec=$(first_recording)
heard_by_caller=$(ls "$WORK"/caller/dump-*-dec.wav 2>/dev/null | head -n 1)
heard_by_agent=$(ls "$WORK"/agent/dump-*-dec.wav 2>/dev/null | head -n 1)
[ -n "$heard_by_caller" ] || fail "the caller's sndfile wrote no *-dec.wav"
[ -n "$heard_by_agent" ] || fail "the agent's sndfile wrote no *-dec.wav"
tone_check "$heard_by_caller" 0 1000 440 || fail "the caller did not hear the agent's 1000 Hz"
tone_check "$heard_by_agent" 0 440 1000 || fail "the agent did not hear the caller's 440 Hz"
soxi "$rec" >/dev/null 2>&1 || fail "soxi cannot read the recording $rec"
[ "$(soxi -c "$rec")" = 2 ] || fail "the recording is not stereo"
tone_check "$rec" 0 440 1000 || fail "recording: the left channel (customer) is not 440 Hz"
tone_check "$rec" 1 1000 440 || fail "recording: the right channel (agent) is not 1000 Hz"
