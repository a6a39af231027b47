#!/usr/bin/env bash
# Recordings encrypted at rest (tenant recording_encryption, libsodium secretstream):
#   1. `centrala recording keygen` makes the key file; `check` refuses a key that is not
#      64 hexadecimal digits, naming the key's path;
#   2. a caller leaves a voicemail streaming 440 Hz (SIPp): the file on disk is sealed
#      (.wav.enc, no WAV inside), the API serves it as a WAV holding the tone, whole and
#      by ranges across the sealed records (tests/sip/rec_enc.py);
#   3. `centrala recording decrypt` gives the same WAV with the tenant's key from the
#      configuration or the key file, and refuses another key.
# shellcheck source=tests/sip/lib.sh
. "$(dirname "$0")/lib.sh"

make_tone "$WORK/caller-440.wav" 440 10
"$BIN" recording keygen >"$WORK/rec.key" || fail "recording keygen failed"
grep -qE '^[0-9a-f]{64}$' "$WORK/rec.key" || fail "keygen printed $(cat "$WORK/rec.key")"
"$BIN" recording keygen >"$WORK/other.key"
cmp -s "$WORK/rec.key" "$WORK/other.key" && fail "two keys from keygen are the same"

tenant_config() {
	write_config <<YAML
prompts: "$TOP/prompts"
tenants:
  - id: acme
    name: ACME
    domain: $ACME_DOMAIN
    recording_encryption: $1
    users:
      - {username: ada, password: ada-secret, roles: [admin]}
    queues:
      - {id: support, strategy: longest-idle}
    numbers:
      - {number: "101", flow: vm}
    flows:
      vm:
        start: vm
        nodes:
          vm: {type: voicemail, beep: false, max: 4s, queue: support, next: bye}
          bye: {type: hangup}
YAML
}
tenant_config '{key: "abc123"}'
rc=0
"$BIN" check "$CONFIG" >"$WORK/check.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "check accepted a short key (exit $rc)"
grep -q 'tenants\[0\].recording_encryption.key: expected 64 hexadecimal digits' "$WORK/check.out" ||
	fail "check's message: $(cat "$WORK/check.out")"

tenant_config "{key_file: \"$WORK/rec.key\"}"
start_server
rc=0
sipp_run caller 30 "$(scen ivr-caller-talk.xml wav="$WORK/caller-440.wav")" -p "$(peer_port 3)" \
	-mi 127.0.0.1 -mp "$(media_port 1)" -m 1 -key number 101 -key domain "$ACME_DOMAIN" || rc=$?
expect_sipp_ok caller "$rc"
wait_log 'tenant=acme call=1 event=interaction ' 10
"$PYTHON" "$SCEN/rec_enc.py" "$API_PORT" "$WORK" >"$WORK/rec_enc.out" 2>&1 ||
	fail "API download: $(tail -n 5 "$WORK/rec_enc.out")"
stop_server

rec=$(cat "$WORK/path.txt")
soxi "$rec" >/dev/null 2>&1 && fail "sox reads the sealed file as audio"
tone_check "$WORK/download.wav" 0 440 1000 || fail "the downloaded WAV does not hold the caller's 440 Hz"
"$BIN" recording decrypt --config "$CONFIG" --tenant acme "$rec" "$WORK/cli.wav" ||
	fail "recording decrypt with the configuration's key failed"
cmp -s "$WORK/cli.wav" "$WORK/download.wav" || fail "decrypt and the API gave different WAVs"
"$BIN" recording decrypt --key-file "$WORK/rec.key" "$rec" >"$WORK/cli2.wav" ||
	fail "recording decrypt with the key file failed"
cmp -s "$WORK/cli2.wav" "$WORK/download.wav" || fail "decrypt to stdout differs"
rc=0
"$BIN" recording decrypt --key-file "$WORK/other.key" "$rec" "$WORK/bad.wav" 2>"$WORK/bad.err" || rc=$?
[ "$rc" -eq 1 ] || fail "decrypt with another key exited $rc"
grep -q 'wrong key' "$WORK/bad.err" || fail "decrypt with another key said: $(cat "$WORK/bad.err")"
