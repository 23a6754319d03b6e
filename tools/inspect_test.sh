#!/bin/sh
# Runs gssneg-inspect on the MS-NLMP 4.2.4.3 AUTHENTICATE_MESSAGE as hex and
# as base64, and on captured SPNEGO tokens, and checks what it prints.
#   inspect_test.sh <gssneg-inspect> <ms_nlmp_4_2.vectors> <spnego.vectors>
set -u
inspect=$1
vectors=$2
spnego_vectors=$3
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

err=$("$inspect" '00112233' 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL [not ntlm]: exit $rc"; failures=$((failures + 1)); }
expect "not ntlm" "$err" 'Token does not start with the NTLMSSP signature'

err=$("$inspect" "$(printf '%s' "$hex" | cut -c1-400)" 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL [truncated]: exit $rc"; failures=$((failures + 1)); }
expect truncated "$err" 'NTLM payload field points outside the message'

# SPNEGO: tokens captured from MIT's SPNEGO over NTLM and Kerberos.
spnego() {  # spnego <vector name>: its hex
    sed -n "s/^$1 = //p" "$spnego_vectors"
}
run() {  # run <label> <args>...: sets out, counting a failure on a non-zero exit
    label=$1
    shift
    out=$("$inspect" "$@")
    rc=$?
    [ "$rc" -eq 0 ] || { echo "FAIL [$label]: exit $rc"; failures=$((failures + 1)); }
}

run "spnego init" "$(spnego mit_ntlm_1_init)"
expect "spnego init" "$out" 'token: SPNEGO' 'size: 74' 'message: NegTokenInit' \
    '[0]: NTLMSSP (1.3.6.1.4.1.311.2.2.10)' 'mech_token:' '  message: NEGOTIATE (1)' '  flags: 0xe2088237' \
    'mech_list_mic_present: no'

# The CHALLENGE leg as an HTTP header would carry it.
b64_challenge='oYGMMIGJoAMKAQGhDAYKKwYBBAGCNwICCqJ0BHJOVExNU1NQAAIAAAAEAAQAOAAAADWCiuK+X8YhdYOPrQAAAAAAAAAANgA2ADwAAAAGAbEdAAAAD1YATQACABIAVwBPAFIASwBHAFIATwBVAFAAAQAEAFYATQADAAQAdgBtAAcACACAnYtGP3vdAQAAAAA='
out=$(printf 'Negotiate %s\n' "$b64_challenge" | "$inspect") || { echo "FAIL [spnego challenge]: exit $?"; failures=$((failures + 1)); }
expect "spnego challenge" "$out" 'message: NegTokenResp' 'neg_state: accept-incomplete (1)' \
    'supported_mech: NTLMSSP (1.3.6.1.4.1.311.2.2.10)' 'response_token:' '  message: CHALLENGE (2)' \
    '  target_name: "VM"' '  server_challenge: be5fc62175838fad'
from_base64=$out
run "spnego challenge hex" "$(spnego mit_ntlm_2_challenge)"
[ "$out" = "$from_base64" ] ||
    { echo "FAIL [spnego challenge]: base64 and hex outputs differ"; failures=$((failures + 1)); }

run "spnego authenticate json" --json "$(spnego mit_ntlm_3_authenticate)"
expect "spnego authenticate json" "$out" '"token": "SPNEGO"' '"neg_state": "accept-incomplete (1)"' \
    '"message": "AUTHENTICATE (3)"' '"user": "alice"' '"domain": "TESTDOM"' '"mech_list_mic_present": true' \
    '"hex": "01000000045118a3f4e952f400000000"'
if command -v python3 >/dev/null 2>&1; then
    printf '%s' "$out" | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d["mech_list_mic"]["length"] == 16 and d["response_token"]["size"] == 298' ||
        { echo "FAIL [spnego authenticate json]: not valid JSON or wrong fields"; failures=$((failures + 1)); }
fi

run "spnego completed" "$(spnego mit_ntlm_4_completed)"
expect "spnego completed" "$out" 'neg_state: accept-completed (0)' 'mech_list_mic_present: yes' '  length: 16' \
    '  hex: 01000000763a01e21ebd9be800000000'
case "$out" in *response_token*) echo "FAIL [spnego completed]: a response token shown"; failures=$((failures + 1)) ;; esac

run "spnego krb5 init" "$(spnego mit_krb5_init)"
expect "spnego krb5 init" "$out" '[0]: Kerberos 5 (1.2.840.113554.1.2.2)' '[1]: NTLMSSP (1.3.6.1.4.1.311.2.2.10)' \
    '  token: Kerberos' '  message: AP-REQ' '  size: 721' '  framing: Kerberos 5 (1.2.840.113554.1.2.2)'

run "spnego krb5 completed" "$(spnego mit_krb5_completed)"
expect "spnego krb5 completed" "$out" 'neg_state: accept-completed (0)' \
    'supported_mech: Kerberos 5 (1.2.840.113554.1.2.2)' '  message: AP-REP' '  size: 156'

run "spnego krb5 reject" "$(spnego mit_krb5_reject)"
expect "spnego krb5 reject" "$out" 'neg_state: reject (2)' '  message: KRB-ERROR' '  size: 106'

run "spnego init2" "$(spnego windows_init2)"
expect "spnego init2" "$out" 'message: NegTokenInit2' '[0]: Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2)' \
    '[2]: NegoEx (1.3.6.1.4.1.311.2.2.30)' '[3]: NTLMSSP' 'neg_hints:' \
    '  hint_name: "not_defined_in_RFC4178@please_ignore"'

run "spnego reqFlags" --json "$(spnego ms_krb5_first_init)"
expect "spnego reqFlags" "$out" '"req_flags": "mutual|integ"' '"Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2)"'

# The AP-REQ alone, as the last field of mit_krb5_init carries it.
ap_req=$(spnego mit_krb5_init | sed 's/^.*048202d1//')
run "kerberos" "$ap_req"
expect "kerberos" "$out" 'token: Kerberos' 'size: 721' 'message: AP-REQ' 'krb_message_size: 704'

err=$("$inspect" 'YIIBAgYGKwYBBQUCoIH3' 2>&1 >/dev/null)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL [truncated spnego]: exit $rc"; failures=$((failures + 1)); }
expect "truncated spnego" "$err" "not a valid SPNEGO token: DER element's contents run past the end"

out=$("$inspect" --json a1073005a0030a0104 2>/dev/null)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL [negState 4]: exit $rc"; failures=$((failures + 1)); }
expect "negState 4" "$out" '"error": "not a valid SPNEGO token: SPNEGO negState is not one of the four defined values"' \
    '"minor": "0x'

if [ "$failures" -ne 0 ]; then
    echo "inspect: $failures checks failed"
    exit 1
fi
echo "inspect: all checks passed"
