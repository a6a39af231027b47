#!/usr/bin/env bash
# End to end with real softphones: baresip (Debian) registers as agent alice (answermode
# auto) and a second baresip calls number 300. The caller's microphone is a 440 Hz tone,
# the agent's 1000 Hz (module aufile); each phone writes what it hears (module sndfile).
# Asserts: each phone heard the other's tone, and centrala's recording holds 440 Hz on the
# left channel (customer) and 1000 Hz on the right (agent); the interaction is stored.
#
# centrala and both phones run in a network namespace of their own (baresip-lib.sh says
# why). Needs root (ip netns); without it the test is skipped (exit 77), and fails under CI=true.
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
    users:
      - {username: alice, sip: {user: alice, password: alice-pw}}
    numbers:
      - {number: "300", user: alice}
YAML
start_server

phone_tones
phone_config "$WORK/agent" 5072 "$WORK/agent-1000.wav" 10000-10019
phone_config "$WORK/caller" 5082 "$WORK/caller-440.wav" 10100-10119
echo "<sip:alice@$IP:$SIP_PORT>;auth_pass=alice-pw;answermode=auto;regint=600;audio_codecs=PCMU" \
	>"$WORK/agent/accounts"
echo "<sip:customer@$IP:$SIP_PORT>;regint=0;audio_codecs=PCMU" >"$WORK/caller/accounts"

start_agent_phone

call_300
stop_agent_phone
stop_server

check_call_heard
