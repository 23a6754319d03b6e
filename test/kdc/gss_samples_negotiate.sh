#!/usr/bin/env bash
# MIT's gss-client and gss-server (package krb5-gss-samples) with -spnego,
# against the loopback KDC, with our Negotiate interposer in one or both
# processes: one context, one wrapped message and its MIC.
#
#   gss_samples_negotiate.sh CASE
#     krb5-ours-ours-mutual    both sides ours, alice's ticket, mutual
#                              (gss-client's default): NegTokenInit with
#                              both Kerberos OIDs and the AP-REQ, answered by
#                              accept-completed with the AP-REP
#     krb5-ours-ours-nomutual  the same with -nomutual: accept-completed
#                              without a response token
#     krb5-ours-ref[-nomutual] our initiator, MIT's SPNEGO in gss-server
#     krb5-ref-ours[-nomutual] MIT's SPNEGO in gss-client, our acceptor
#     ntlm-ours-ours           no ticket (KRB5CCNAME and KRB5_CLIENT_KTNAME
#                              name missing files): NTLM through Negotiate,
#                              the initiator's password from NTLM_USER_FILE
#                              and its name from NTLMUSER; 4 legs with a
#                              mechListMIC each way
#     ntlm-ours-ours-password  the same with gss-client -user/-pass
#                              (gss_acquire_cred_with_password for SPNEGO)
#     ntlm-ours-ref            our initiator, MIT's SPNEGO over our NTLM
#     ntlm-ref-ours            MIT's SPNEGO over our NTLM, our acceptor
#
# "ours" runs with the build tree's conf/mech (NTLM line + <interposer>),
# "ref" with conf/mech-ntlm (MIT's SPNEGO in charge). Both processes trace
# (GSS_NEGOTIATE_TRACE): the trace of an "ours" process must show our
# negotiator establishing the context over the expected mechanism; that of a
# "ref" process must show no negotiator event at all.
#
# gss-server runs in -inetd mode behind inetd_once.py (127.0.0.1 only).
source "$(dirname "$0")/common.sh"
source "$KDC_TEST_HERE/negotiate_apps.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1
for tool in gss-client gss-server; do
    command -v "$tool" > /dev/null || skip "$tool is missing (package krb5-gss-samples)"
done

mutual=1
password=0
case $case_name in
    krb5-ours-ours-mutual) mech=kerberos client_side=ours server_side=ours ;;
    krb5-ours-ours-nomutual) mech=kerberos client_side=ours server_side=ours mutual=0 ;;
    krb5-ours-ref) mech=kerberos client_side=ours server_side=ref ;;
    krb5-ours-ref-nomutual) mech=kerberos client_side=ours server_side=ref mutual=0 ;;
    krb5-ref-ours) mech=kerberos client_side=ref server_side=ours ;;
    krb5-ref-ours-nomutual) mech=kerberos client_side=ref server_side=ours mutual=0 ;;
    ntlm-ours-ours) mech=ntlm client_side=ours server_side=ours ;;
    ntlm-ours-ours-password) mech=ntlm client_side=ours server_side=ours password=1 ;;
    ntlm-ours-ref) mech=ntlm client_side=ours server_side=ref ;;
    ntlm-ref-ours) mech=ntlm client_side=ref server_side=ours ;;
    *) fail "unknown case $case_name" ;;
esac

kdc_start "$TEST_DIR/kdc"
echo "KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT"
users=$TEST_DIR/ntlm-users
write_ntlm_users "$users"
client_env=(GSS_MECH_CONFIG="$(mech_file_of "$client_side")" GSS_NEGOTIATE_TRACE="$TEST_DIR/client.trace")
server_env=(GSS_MECH_CONFIG="$(mech_file_of "$server_side")" GSS_NEGOTIATE_TRACE="$TEST_DIR/server.trace")
client_args=(-spnego)
[[ $mutual -eq 1 ]] || client_args+=(-nomutual)
if [[ $mech == kerberos ]]; then
    kdc_kinit alice
    klist -s || fail "no ticket for alice in $KRB5CCNAME"
    mech_oid=$KRB5_OID
else
    # No ticket: the harness's KRB5CCNAME is still empty and its
    # KRB5_CLIENT_KTNAME names a file that does not exist.
    [[ ! -e ${KRB5CCNAME#FILE:} && ! -e ${KRB5_CLIENT_KTNAME#FILE:} ]] ||
        fail "a ccache or client keytab exists: the NTLM case needs none"
    mech_oid=$NTLM_OID
    server_env+=(NTLM_USER_FILE="$users")
    if [[ $password -eq 1 ]]; then
        client_args+=(-user "$NTLM_DOMAIN\\$NTLM_USER" -pass "$NTLM_PASSWORD")
    else
        client_env+=(NTLM_USER_FILE="$users" NTLMUSER="$NTLM_DOMAIN\\$NTLM_USER")
    fi
fi
mech_braces="{ ${mech_oid//./ } }"
: > "$TEST_DIR/client.trace"
: > "$TEST_DIR/server.trace"
echo "gss-client: $client_side ($(mech_file_of "$client_side")), gss-server: $server_side ($(mech_file_of "$server_side"))"

message="negotiate through gss-samples $$"
server_log=$TEST_DIR/server.log
client_out=$TEST_DIR/client.out
port_file=$TEST_DIR/server.port
env "${server_env[@]}" "$GSSNEG_PYTHON" "$KDC_TEST_HERE/inetd_once.py" "$port_file" \
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
env "${client_env[@]}" gss-client -port "$port" "${client_args[@]}" 127.0.0.1 host@localhost "$message" \
    > "$client_out" 2>&1 || client_rc=$?
server_rc=0
wait "$server_pid" || server_rc=$?
forget_test_pid "$server_pid"
echo "---- gss-client (rc $client_rc) ----"
grep -v '^  [0-9]: {' "$client_out" || true
echo "---- gss-server log (rc $server_rc), without hex dumps ----"
grep -vE '^([0-9a-f][0-9a-f] ?)+$' "$server_log" || true
echo "---- client trace ----"
trace_events "$TEST_DIR/client.trace"
echo "---- server trace ----"
trace_events "$TEST_DIR/server.trace"
echo "----"

expect_eq "gss-server exit status" 0 "$server_rc"
expect_eq "gss-client exit status" 0 "$client_rc"
expect_no_match "$client_out" "GSS-API error"
expect_no_match "$server_log" "GSS-API error accepting context"

# The context tokens, as gss-server dumped them.
awk '
    function flush() { if (kind != "") print kind, hex; kind = ""; hex = "" }
    /^Received token \(size=[0-9]+\):/ { flush(); kind = "recv"; next }
    /^Sending accept_sec_context token \(size=[0-9]+\):/ { flush(); kind = "send"; next }
    kind != "" && /^([0-9a-f][0-9a-f] )+$/ { gsub(/ /, ""); hex = hex $0; next }
    { flush() }
    END { flush() }
' "$server_log" > "$TEST_DIR/legs.hex"
describe_legs "$TEST_DIR/legs.hex" > "$TEST_DIR/legs"
echo "---- SPNEGO legs (label, size, description) ----"
cat "$TEST_DIR/legs"

if [[ $mech == kerberos ]]; then
    # Our initiator announces Microsoft's Kerberos OID before the standard
    # one, as Windows does; either acceptor answers with the first.
    if [[ $client_side == ours ]]; then
        mech_types="$MS_KRB5_OID,$KRB5_OID" supported=$MS_KRB5_OID
    else
        mech_types=$KRB5_OID supported=$KRB5_OID
    fi
    response=absent
    [[ $mutual -eq 0 ]] || response=krb5:AP-REP
    expect_legs "$TEST_DIR/legs" \
        "recv NegTokenInit mechTypes=[$mech_types] mechToken=krb5:AP-REQ mechListMIC=absent" \
        "send NegTokenResp negState=accept-completed supportedMech=$supported responseToken=$response mechListMIC=absent"
    expect_eq "init_sec_context tokens gss-client sent" 1 "$(count_lines "$client_out" "Sending init_sec_context token")"
    grep -qE "^\"$GSSNEG_ALICE\" to \"host/localhost@$GSSNEG_REALM\", lifetime [0-9]+, flags [0-9a-f]+, locally initiated, open\$" "$client_out" ||
        fail "the client's context line does not name alice and host/localhost"
    echo "ok: client context $GSSNEG_ALICE -> host/localhost@$GSSNEG_REALM, open"
    # Kerberos always offers confidentiality.
    expect_no_match "$client_out" "Message not encrypted"
    if [[ $mutual -eq 1 ]]; then
        expect_line "$client_out" "context flag: GSS_C_MUTUAL_FLAG"
        expect_line "$server_log" "context flag: GSS_C_MUTUAL_FLAG"
    else
        expect_no_match "$client_out" "GSS_C_MUTUAL_FLAG"
        expect_no_match "$server_log" "GSS_C_MUTUAL_FLAG"
    fi
else
    # MIT's initiator marks its AUTHENTICATE leg accept-incomplete; ours
    # leaves negState out (RFC 4178 4.2.2: only the acceptor must send it).
    third_state=absent
    [[ $client_side == ours ]] || third_state=accept-incomplete
    expect_legs "$TEST_DIR/legs" \
        "recv NegTokenInit mechTypes=[$NTLM_OID] mechToken=NTLM:NEGOTIATE mechListMIC=absent" \
        "send NegTokenResp negState=accept-incomplete supportedMech=$NTLM_OID responseToken=NTLM:CHALLENGE mechListMIC=absent" \
        "recv NegTokenResp negState=$third_state supportedMech=absent responseToken=NTLM:AUTHENTICATE mechListMIC=present" \
        "send NegTokenResp negState=accept-completed supportedMech=absent responseToken=absent mechListMIC=present"
    expect_eq "init_sec_context tokens gss-client sent" 2 "$(count_lines "$client_out" "Sending init_sec_context token")"
    grep -qE "^\"$NTLM_DOMAIN\\\\$NTLM_USER\" to \"host@localhost\", lifetime [0-9]+, flags [0-9a-f]+, locally initiated, open\$" "$client_out" ||
        fail "the client's context line does not name $NTLM_DOMAIN\\$NTLM_USER and host@localhost"
    echo "ok: client context $NTLM_DOMAIN\\$NTLM_USER -> host@localhost, open"
    # gss-client asks for mutual and replay only: NTLM has no mutual
    # authentication, and seals only when GSS_C_CONF_FLAG was asked for, so
    # the wrap is integrity-only (as with MIT's SPNEGO over the same NTLM).
    expect_no_match "$client_out" "GSS_C_MUTUAL_FLAG"
    expect_no_match "$server_log" "GSS_C_MUTUAL_FLAG"
    expect_line "$client_out" "Warning!  Message not encrypted."
    expect_line "$server_log" "context flag: GSS_C_INTEG_FLAG "
fi
grep -qE "^Mechanism \\$mech_braces supports [0-9]+ names\$" "$client_out" ||
    fail "gss-client does not report the context's mechanism as $mech_braces"
echo "ok: the client context's mechanism is $mech_braces"
expect_line "$client_out" "Signature verified."
expect_line "$server_log" "Accepted connection using mechanism OID $mech_braces."
expect_line "$server_log" "Received message: \"$message\""

# Which SPNEGO ran where.
mech_word=Kerberos
[[ $mech == kerberos ]] || mech_word=NTLM
if [[ $client_side == ours ]]; then
    trace=$TEST_DIR/client.trace
    if [[ $mech == kerberos ]]; then
        expect_event_prefix "$trace" "spnego: initiator leaves out NTLM: no credentials: "
        expect_event_prefix "$trace" "spnego: initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) ($MS_KRB5_OID), Kerberos 5 ($KRB5_OID)] mechToken AP-REQ ("
    else
        if [[ $password -eq 1 ]]; then
            expect_event_prefix "$trace" "spnego: initiator leaves out Kerberos: "
        else
            expect_event_prefix "$trace" "spnego: initiator leaves out Kerberos: no credentials: "
        fi
        expect_event "$trace" "spnego: initiator -> NegTokenInit mechTypes [NTLMSSP ($NTLM_OID)] mechToken NTLMSSP (40 bytes) mechListMIC none"
        expect_event "$trace" "spnego: mechListMIC from the peer verifies"
    fi
    expect_event_count "$trace" "negotiate: initiator established over $mech_word" 1
else
    expect_reference_side "$TEST_DIR/client.trace"
fi
if [[ $server_side == ours ]]; then
    trace=$TEST_DIR/server.trace
    expect_event "$trace" "spnego: acceptor chooses $mech_word"
    [[ $mech == kerberos ]] || expect_event "$trace" "spnego: mechListMIC from the peer verifies"
    expect_event_count "$trace" "negotiate: acceptor established over $mech_word" 1
else
    expect_reference_side "$TEST_DIR/server.trace"
fi
if [[ $mech == ntlm ]]; then
    # Our NTLM ran under whichever SPNEGO: its acceptor logged the user.
    expect_event "$TEST_DIR/server.trace" "ntlm: acceptor: authenticated $NTLM_DOMAIN\\$NTLM_USER with NTLMv2, MIC verified"
fi
echo "PASS: $case_name"
