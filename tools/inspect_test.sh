#!/bin/sh
# Runs gssneg-inspect on the MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE as hex and
# as base64 and checks what it prints.
#   inspect_test.sh <gssneg-inspect> <ms_nlmp_4_2.vectors>
set -u
inspect=$1
vectors=$2
failures=0

hex=$(sed -n 's/^v2_authenticate_message = //p' "$vectors")
[ -n "$hex" ] || { echo "no v2_authenticate_message in $vectors"; exit 1; }
# The same 232 bytes, base64 encoded.
b64='TlRMTVNTUAADAAAAGAAYAGwAAABUAFQAhAAAAAwADABIAAAACAAIAFQAAAAQABAAXAAAABAAEADYAAAANYKI4gUBKAoAAAAPRABvAG0AYQBpAG4AVQBzAGUAcgBDAE8ATQBQAFUAVABFAFIAhsNQl6yc7BAlVHZKV8zMGaqqqqqqqqqqaM0KuFHlHJaqvJJ76+9qHAEBAAAAAAAAAAAAAAAAAACqqqqqqqqqqgAAAAACAAwARABvAG0AYQBpAG4AAQAMAFMAZQByAHYAZQByAAAAAAAAAAAAxdrSVE/JeZCUzhzpC8nQPg=='
b64url=$(printf '%s' "$b64" | tr '+/' '-_' | tr -d '=')

expect() {  # expect <label> <output> <substring>...
    label=$1
    output=$2
    shift 2
    for want in "$@"; do
        case "$output" in
        *"$want"*) ;;
        *) echo "FAIL [$label]: output lacks: $want"; failures=$((failures + 1)) ;;
        esac
    done
}

text_fields='message: AUTHENTICATE (3)
flags: 0xe2888235
domain: "Domain"
user: "User"
workstation: "COMPUTER"
version: 5.1.2600 rev 15
kind: LMv2
kind: NTLMv2
nt_proof_str: 68cd0ab851e51c96aabc927bebef6a1c
timestamp: 1601-01-01T00:00:00Z
client_challenge: aaaaaaaaaaaaaaaa
MsvAvNbDomainName: "Domain"
MsvAvNbComputerName: "Server"
mic_present: no
session_key_present: yes
encrypted_random_session_key: c5dad2544fc9799094ce1ce90bc9d03e'

check_text() {  # check_text <label> <output>
    old_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086
    set -- "$1" "$2" $text_fields
    IFS=$old_ifs
    expect "$@"
}

out_hex=$("$inspect" "$hex") || { echo "FAIL [hex]: exit $?"; failures=$((failures + 1)); }
check_text hex "$out_hex"
expect hex "$out_hex" 'flag_names: UNICODE|REQUEST_TARGET|SIGN|SEAL|NTLM|ALWAYS_SIGN|EXTENDED_SESSIONSECURITY|TARGET_INFO|VERSION|128|KEY_EXCH|56'

out_b64=$(printf '  NTLM %s\n' "$b64" | "$inspect") || { echo "FAIL [base64 stdin]: exit $?"; failures=$((failures + 1)); }
[ "$out_b64" = "$out_hex" ] || { echo "FAIL [base64 stdin]: output differs from hex"; failures=$((failures + 1)); }

out_url=$("$inspect" "$b64url") || { echo "FAIL [base64url]: exit $?"; failures=$((failures + 1)); }
[ "$out_url" = "$out_hex" ] || { echo "FAIL [base64url]: output differs from hex"; failures=$((failures + 1)); }

out_json=$("$inspect" --json "Negotiate $b64") || { echo "FAIL [json]: exit $?"; failures=$((failures + 1)); }
expect json "$out_json" '"message": "AUTHENTICATE (3)"' '"user": "User"' '"domain": "Domain"' \
    '"kind": "NTLMv2"' '"nt_proof_str": "68cd0ab851e51c96aabc927bebef6a1c"' '"mic_present": false' \
    '"MsvAvNbComputerName": "Server"' '"session_key_present": true'
if command -v python3 >/dev/null 2>&1; then
    printf '%s' "$out_json" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["nt_response"]["length"] == 84' ||
        { echo "FAIL [json]: not valid JSON or wrong NT response length"; failures=$((failures + 1)); }
fi

# A CHALLENGE whose TargetInfo has MsvAvTimestamp, MsvAvFlags,
# MsvAvChannelBindings, MsvAvTargetName and an unknown AvId 0x99.
challenge=4e544c4d5353500002000000000000003000000001008000010203040506070800000000000000003b003b003000000007000800c00b9558283dda0106000400030000000a001000111111111111111111111111111111110900060061002f00620099000100ee00000000
out_challenge=$("$inspect" "$challenge") || { echo "FAIL [challenge]: exit $?"; failures=$((failures + 1)); }
expect challenge "$out_challenge" 'message: CHALLENGE (2)' 'server_challenge: 0102030405060708' \
    'version: absent' 'MsvAvTimestamp: 2024-01-02T03:04:05.5000000Z' \
    'MsvAvFlags: 0x00000003 ACCOUNT_CONSTRAINED|MIC_PRESENT' \
    'MsvAvChannelBindings: 11111111111111111111111111111111' 'MsvAvTargetName: "a/b"' 'AvId 153: ee'

err=$("$inspect" 'YIIBAgYGKwYBBQUCoIH3' 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL [not ntlm]: exit $rc"; failures=$((failures + 1)); }
expect "not ntlm" "$err" 'Token does not start with the NTLMSSP signature'

err=$("$inspect" "$(printf '%s' "$hex" | cut -c1-400)" 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL [truncated]: exit $rc"; failures=$((failures + 1)); }
expect truncated "$err" 'NTLM payload field points outside the message'

if [ "$failures" -ne 0 ]; then
    echo "inspect: $failures checks failed"
    exit 1
fi
echo "inspect: all checks passed"
