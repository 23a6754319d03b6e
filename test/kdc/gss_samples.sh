#!/usr/bin/env bash
# MIT's gss-client and gss-server (package krb5-gss-samples) against the
# loopback KDC: one context, one sealed message and its MIC.
#
#   gss_samples.sh CASE
#     krb5-mutual        the krb5 mech, mutual (gss-client's default flags)
#     krb5-nomutual      the krb5 mech, -nomutual: the AP-REQ alone
#     krb5-password      gss-client -user/-pass (gss_acquire_cred_with_password),
#                        no ticket in the ccache beforehand
#     krb5-client-keytab no ticket, KRB5_CLIENT_KTNAME = alice's keytab: krb5
#                        gets the initiator credential by itself
#     krb5-unknown-service  a target with no principal: the client fails
#     krb5-no-credentials   no ticket and the harness's (missing) client keytab:
#                        the client fails before sending anything
#     spnego-mutual      MIT's built-in SPNEGO over krb5 (-spnego)
#     spnego-nomutual    the same, -nomutual
#     spnego-krb5-only   -spnego -mech krb5 -user alice: gss_set_neg_mechs on
#                        alice's credential (gss-client needs -user for that)
#
# gss-server binds the wildcard address when it listens by itself, so it
# runs in -inetd mode behind inetd_once.py, which listens on 127.0.0.1.
source "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1
for tool in gss-client gss-server; do
    command -v "$tool" > /dev/null || skip "$tool is missing (package krb5-gss-samples)"
done

KRB5_OID_BRACES='{ 1 2 840 113554 1 2 2 }'
# DER of the krb5 mech OID, as the hex of the token dumps.
KRB5_OID_DER=06092a864886f712010202
SPNEGO_OID_DER=06062b0601050502

kdc_start "$TEST_DIR/kdc"
echo "KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT"

message="kdc harness message $$"
client_args=()
expect_client_ok=1
expect_tokens=2          # context tokens on the wire: 1 or 2
expect_mutual=1
expect_errors=()
spnego=0
case $case_name in
    krb5-mutual)
        kdc_kinit alice
        client_args=(-mech "$KRB5_OID_BRACES") ;;
    krb5-nomutual)
        kdc_kinit alice
        client_args=(-mech "$KRB5_OID_BRACES" -nomutual)
        expect_tokens=1 expect_mutual=0 ;;
    krb5-password)
        client_args=(-mech "$KRB5_OID_BRACES" -user "$GSSNEG_ALICE" -pass "$GSSNEG_ALICE_PASSWORD") ;;
    krb5-client-keytab)
        export KRB5_CLIENT_KTNAME=FILE:$GSSNEG_ALICE_KEYTAB
        client_args=(-mech "$KRB5_OID_BRACES") ;;
    krb5-unknown-service)
        kdc_kinit alice
        client_args=(-mech "$KRB5_OID_BRACES")
        expect_client_ok=0
        expect_errors=("Unspecified GSS failure.  Minor code may provide more information"
                       "Server nosuch/localhost@$GSSNEG_REALM not found in Kerberos database") ;;
    krb5-no-credentials)
        client_args=(-mech "$KRB5_OID_BRACES")
        expect_client_ok=0
        expect_errors=("No credentials were supplied, or the credentials were unavailable or inaccessible"
                       "No Kerberos credentials available (default cache: $KRB5CCNAME)") ;;
    spnego-mutual)
        kdc_kinit alice
        client_args=(-spnego) spnego=1 ;;
    spnego-nomutual)
        kdc_kinit alice
        # SPNEGO always answers the initiator: still two tokens.
        client_args=(-spnego -nomutual) spnego=1 expect_mutual=0 ;;
    spnego-krb5-only)
        kdc_kinit alice
        client_args=(-spnego -mech "$KRB5_OID_BRACES" -user "$GSSNEG_ALICE") spnego=1 ;;
    *) fail "unknown case $case_name" ;;
esac
target=$GSSNEG_HOST_SERVICE
[[ $case_name != krb5-unknown-service ]] || target=nosuch@localhost

server_log=$TEST_DIR/server.log
client_out=$TEST_DIR/client.out
port_file=$TEST_DIR/server.port
"$GSSNEG_PYTHON" "$KDC_TEST_HERE/inetd_once.py" "$port_file" \
    gss-server -inetd -verbose -logfile "$server_log" host \
    > "$TEST_DIR/inetd.out" 2>&1 &
server_pid=$!
TEST_PIDS+=("$server_pid")
# Readiness wait for the listener's port (not an assertion on time).
while [[ ! -s $port_file ]]; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$TEST_DIR/inetd.out"; fail "listener exited"; }
    sleep 0.02
done
port=$(< "$port_file")
echo "gss-server (inetd mode) behind 127.0.0.1:$port"

client_rc=0
gss-client -port "$port" "${client_args[@]}" 127.0.0.1 "$target" "$message" \
    > "$client_out" 2>&1 || client_rc=$?
server_rc=0
wait "$server_pid" || server_rc=$?
forget_test_pid "$server_pid"
echo "---- gss-client (rc $client_rc) ----"
cat "$client_out"
echo "---- gss-server log (rc $server_rc) ----"
cat "$server_log" 2>/dev/null || true
echo "----"
expect_eq "gss-server exit status" 0 "$server_rc"

if [[ $expect_client_ok -eq 0 ]]; then
    expect_eq "gss-client exit status" 1 "$client_rc"
    for text in "${expect_errors[@]}"; do
        expect_line "$client_out" "GSS-API error initializing context: $text"
    done
    expect_eq "error lines" "${#expect_errors[@]}" "$(count_lines "$client_out" "GSS-API error")"
    expect_eq "context tokens the server received" 0 "$(count_lines "$server_log" "Received token")"
    echo "PASS: $case_name"
    exit 0
fi
expect_eq "gss-client exit status" 0 "$client_rc"
expect_no_match "$client_out" "GSS-API error"

# The tokens in the server's hex dumps, one "recv HEX" / "send HEX" a line.
tokens=$TEST_DIR/tokens
awk '
    function flush() { if (kind != "") print kind, hex; kind = ""; hex = "" }
    /^Received token \(size=[0-9]+\):/ { flush(); kind = "recv"; next }
    /^Sending accept_sec_context token \(size=[0-9]+\):/ { flush(); kind = "send"; next }
    kind != "" && /^([0-9a-f][0-9a-f] )+$/ { gsub(/ /, ""); hex = hex $0; next }
    { flush() }
    END { flush() }
' "$server_log" > "$tokens"
cut -c1-80 "$tokens"

# framed_inner HEX: for a token "60 len OID rest", prints the OID's DER and
# what follows it, as hex.
framed_inner() {
    local hex=$1 len_byte n
    [[ ${hex:0:2} == 60 ]] || { echo "not-framed"; return; }
    len_byte=$((16#${hex:2:2}))
    if ((len_byte < 128)); then
        echo "${hex:4}"
    else
        n=$((len_byte - 128))
        echo "${hex:$((4 + 2 * n))}"
    fi
}

recv_hex=$(awk '$1 == "recv" { print $2 }' "$tokens")
send_hex=$(awk '$1 == "send" { print $2 }' "$tokens")
expect_eq "tokens the server received" 1 "$(grep -c '^recv ' "$tokens" || true)"
if [[ $spnego -eq 0 ]]; then
    # krb5: AP-REQ framed with tok-id 01 00; AP-REP with 02 00 when mutual.
    inner=$(framed_inner "$recv_hex")
    expect_eq "client token: krb5 OID, tok-id, first byte" "${KRB5_OID_DER}01006e" "${inner:0:28}"
    if [[ $expect_tokens -eq 2 ]]; then
        inner=$(framed_inner "$send_hex")
        expect_eq "server token: krb5 OID, tok-id, first byte" "${KRB5_OID_DER}02006f" "${inner:0:28}"
    else
        expect_eq "tokens the server sent" 0 "$(grep -c '^send ' "$tokens" || true)"
    fi
else
    # SPNEGO: NegTokenInit carrying krb5's AP-REQ; NegTokenResp
    # accept-completed naming krb5, with the AP-REP only when mutual.
    inner=$(framed_inner "$recv_hex")
    expect_eq "client token: SPNEGO OID, NegTokenInit tag" "${SPNEGO_OID_DER}a0" "${inner:0:18}"
    [[ $recv_hex == *a00d300b${KRB5_OID_DER}a2* ]] ||
        fail "mechTypes is not exactly { krb5 } followed by mechToken"
    echo "ok: mechTypes = { krb5 }, then mechToken"
    [[ $recv_hex == *${KRB5_OID_DER}01006e* ]] || fail "no krb5 AP-REQ inside the NegTokenInit"
    echo "ok: NegTokenInit carries a framed krb5 AP-REQ"
    expect_eq "tokens the server sent" 1 "$(grep -c '^send ' "$tokens" || true)"
    if [[ $expect_mutual -eq 1 ]]; then
        [[ $send_hex == a1*a0030a0100a10b${KRB5_OID_DER}a2*${KRB5_OID_DER}02006f* ]] ||
            fail "NegTokenResp is not accept-completed + krb5 + AP-REP: $send_hex"
        echo "ok: NegTokenResp = accept-completed, supportedMech krb5, responseToken AP-REP"
    else
        expect_eq "NegTokenResp (accept-completed, supportedMech krb5, nothing else)" \
            "a1143012a0030a0100a10b${KRB5_OID_DER}" "$send_hex"
    fi
fi

# The client: one token sent; "continue needed" when a reply was expected.
expect_eq "init_sec_context tokens the client sent" 1 "$(count_lines "$client_out" "Sending init_sec_context token")"
if [[ $expect_tokens -eq 2 ]]; then
    expect_eq "client waited for a reply" 1 "$(count_lines "$client_out" "continue needed...")"
else
    expect_eq "client waited for a reply" 0 "$(count_lines "$client_out" "continue needed...")"
fi
if [[ $expect_mutual -eq 1 ]]; then
    expect_line "$client_out" "context flag: GSS_C_MUTUAL_FLAG"
    expect_line "$server_log" "context flag: GSS_C_MUTUAL_FLAG"
else
    expect_no_match "$client_out" "GSS_C_MUTUAL_FLAG"
    expect_no_match "$server_log" "GSS_C_MUTUAL_FLAG"
fi
grep -qE "^\"$GSSNEG_ALICE\" to \"host/localhost@$GSSNEG_REALM\", lifetime [0-9]+, flags [0-9a-f]+, locally initiated, open\$" "$client_out" ||
    fail "the client's context line does not name alice and host/localhost"
echo "ok: client context alice@$GSSNEG_REALM -> host/localhost@$GSSNEG_REALM, open"
expect_line "$client_out" "Mechanism $KRB5_OID_BRACES supports 9 names"
expect_line "$client_out" "Signature verified."
expect_line "$server_log" "Accepted connection using mechanism OID $KRB5_OID_BRACES."
expect_line "$server_log" "Received message: \"$message\""
echo "PASS: $case_name"
