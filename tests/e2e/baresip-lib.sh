# shellcheck shell=bash
# Shared by the end-to-end tests with real softphones (t-baresip*.sh), sourced after
# tests/sip/lib.sh. Two baresip phones talk through centrala: agent alice (answermode
# auto, its microphone a 1000 Hz tone) and a caller dialling number 300 (440 Hz); each
# phone writes what it hears (module sndfile).
#
# baresip advertises the host's address and refuses `-n lo`, so baresip_netns makes a
# network namespace with a veth pair (10.77.0.1 <-> 10.77.0.2, default route through it)
# and centrala and the phones run inside it: nothing leaves the namespace, no port
# collides with the host. Needs root (ip netns); without it the test is skipped.

# Makes the namespace $NS (removed at the end) and points the server ($IP, SIP_HOST,
# SIP_PORT, RTP_ADDR, SERVER_PREFIX) into it.
baresip_netns() {
	command -v baresip >/dev/null ||
		skip "baresip is not installed (scripts/install-deps --test)"
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
}

# The phones' microphones: $WORK/caller-440.wav and $WORK/agent-1000.wav.
phone_tones() {
	sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/caller-440.wav" synth 30 sine 440 vol 0.5
	sox -q -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/agent-1000.wav" synth 30 sine 1000 vol 0.5
}

# phone_config DIR PORT WAV RTP-PORTS [MODULE...]: one configuration directory per phone,
# with the extra modules (srtp.so) loaded after g711.so. baresip binds TCP on its SIP port
# and the next one: the phones' ports are 10 apart.
phone_config() {
	local dir=$1 port=$2 wav=$3 rtp=$4 extra="" m
	shift 4
	for m in "$@"; do
		extra+="module			$m"$'\n'
	done
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
${extra}module			aufile.so
module			aubridge.so
module			sndfile.so
module_app		account.so
module_app		menu.so
EOF
}

# Starts the agent's phone ($WORK/agent, SIP port 5072; $agent_pid) and waits for its
# registration.
start_agent_phone() {
	timeout -k 3 60 ip netns exec "$NS" baresip -4 -f "$WORK/agent" -t 45 >"$WORK/agent.log" 2>&1 &
	agent_pid=$!
	_BG_PIDS+=("$agent_pid")
	wait_log "event=registered user=alice domain=$IP source=$IP:5072 contacts=1" 10
}

# The caller ($WORK/caller) dials 300 at start and quits (hanging up) after 8 s; asserts
# both phones established the call and the server logged it answered.
call_300() {
	local rc=0
	timeout -k 3 30 ip netns exec "$NS" baresip -4 -f "$WORK/caller" -t 8 \
		-e "/dial sip:300@$IP:$SIP_PORT" >"$WORK/caller.log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || fail "caller baresip exited with $rc: $(tail -n 5 "$WORK/caller.log")"
	grep -q 'Call established' "$WORK/caller.log" || fail "the caller's call was not established"
	wait_log 'tenant=acme call=1 event=interaction .* answered=1 .* hangup_by=caller' 10
	grep -q 'Call established' "$WORK/agent.log" || fail "the agent's phone did not answer"
}

# The agent's phone quits on TERM (un-registering when it gets to it: not asserted, it
# does not always send the REGISTER before it exits).
stop_agent_phone() {
	kill -TERM "$agent_pid" 2>/dev/null || true
	for _ in $(seq 50); do
		kill -0 "$agent_pid" 2>/dev/null || break
		sleep 0.1
	done
}

# After stop_server: the call is stored with its recording, each phone heard the other's
# tone, and the recording holds 440 Hz on the left channel (customer) and 1000 Hz on the
# right (agent).
check_call_heard() {
	local rec heard_by_caller heard_by_agent
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
}
