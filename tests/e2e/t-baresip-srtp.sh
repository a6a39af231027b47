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
# shellcheck source=tests/e2e/baresip-lib.sh
. "$(dirname "$0")/baresip-lib.sh"

baresip_netns
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

phone_tones
phone_config "$WORK/agent" 5072 "$WORK/agent-1000.wav" 10000-10019 srtp.so
phone_config "$WORK/caller" 5082 "$WORK/caller-440.wav" 10100-10119 srtp.so
phone_config "$WORK/plain" 5092 "$WORK/caller-440.wav" 10200-10219 srtp.so
echo "<sip:alice@$IP:$SIP_PORT>;auth_pass=alice-pw;answermode=auto;regint=600;audio_codecs=PCMU;mediaenc=srtp-mand" \
	>"$WORK/agent/accounts"
echo "<sip:customer@$IP:$SIP_PORT>;regint=0;audio_codecs=PCMU;mediaenc=srtp-mand" >"$WORK/caller/accounts"
echo "<sip:plain@$IP:$SIP_PORT>;regint=0;audio_codecs=PCMU" >"$WORK/plain/accounts"

start_agent_phone

# The capture covers the call: it starts before the caller dials and lasts 7 s.
ip netns exec "$NS" "$PYTHON" "$TOP/tests/e2e/rtp_sniff.py" lo 7 "$WORK/sniff.json" \
	>"$WORK/sniff.out" 2>&1 &
sniff_pid=$!
_BG_PIDS+=("$sniff_pid")
sleep 0.3

call_300
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
stop_agent_phone
stop_server

check_call_heard
