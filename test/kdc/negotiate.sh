#!/usr/bin/env bash
# Negotiate (our SPNEGO interposer) against the loopback KDC, in separate
# processes through gssneg-client and gssneg-server (--mech spnego), with
# message protection afterwards. "ours" runs with the build tree's mech file
# (the NTLM line and the interposer line); "ref" runs with mech-ntlm (the
# NTLM line alone), so MIT's built-in SPNEGO is in charge there. Each side
# writes a trace, which must show our negotiator on "ours" sides only, and
# the mechanism and reason the case is about.
#
#   negotiate.sh CASE
#     krb5-ours-ours-mutual    Kerberos both sides ours, mutual: 2 legs
#     krb5-ours-ours-nomutual  no mutual: the AP-REQ, then accept-completed
#     krb5-ours-ours-dce       GSS_C_DCE_STYLE: 3 Kerberos tokens, 4 legs
#     krb5-ours-ref            our initiator, MIT's SPNEGO acceptor
#     krb5-ref-ours            MIT's SPNEGO initiator, our acceptor
#     krb5-ref-ours-nomutual   the same without mutual
#     fallback-no-ticket       no ticket: NTLM alone is offered
#     fallback-unreachable     a ticket, but the KDC is unreachable for the
#                              service ticket: Kerberos fails, NTLM is used
#     fallback-unknown-service no principal for the target: NTLM
#     fallback-ip-target       target host@127.0.0.1: Kerberos is not offered
#     acceptor-no-keytab       the initiator offers Kerberos first with an
#                              optimistic AP-REQ; the acceptor has no keytab
#                              and picks NTLM: request-mic, reselection and
#                              a mechListMIC exchange
#     ntlm-disabled            GSS_NEGOTIATE_MECHS=kerberos on the initiator
#                              and no ticket: no mechanism, GSS_S_NO_CRED
#     krb5-acceptor-error      the acceptor's keytab holds a wrong key for
#                              host/localhost: it chose Kerberos, so it
#                              rejects (no fallback) with the KRB-ERROR
#                              inside, which tells the initiator why
#     krb5-acceptor-error-ref-ours  the same with MIT's SPNEGO initiator
source "$(dirname "$0")/../interop/common.sh"
source "$(dirname "$0")/kdc.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1
for tool in krb5kdc kdb5_util kadmin.local kinit; do
    command -v "$tool" > /dev/null || skip "$tool is missing (tools/install-deps)"
done
NTLM_MECH=${GSSNEG_BUILD_MECH_NTLM:?GSSNEG_BUILD_MECH_NTLM must be set}

kdc_start "$TEST_DIR/kdc" > /dev/null
echo "KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT"
write_user_file
KRB5_OID=1.2.840.113554.1.2.2
NTLM_OID=1.3.6.1.4.1.311.2.2.10

client_side=ours server_side=ours
client_args=(--mech spnego --target host@localhost --user alice --flags mutual,integ,conf,replay,sequence --messages)
server_args=(--mech spnego --service host@localhost)
client_env=()
server_env=()
expect_mech=$KRB5_OID
expect_client_ok=1
ticket=1
case $case_name in
    krb5-ours-ours-mutual | krb5-ours-ref | krb5-ref-ours) ;;
    krb5-ours-ours-nomutual | krb5-ref-ours-nomutual)
        client_args=(--mech spnego --target host@localhost --user alice --flags integ,conf,replay,sequence --messages) ;;
    krb5-ours-ours-dce)
        client_args=(--mech spnego --target host@localhost --user alice --flags mutual,dce,integ,conf,replay,sequence --messages) ;;
    fallback-no-ticket)
        ticket=0 expect_mech=$NTLM_OID
        client_args=(--mech spnego --target host@localhost --user 'TESTDOM\alice' --flags integ,conf,replay,sequence --messages) ;;
    fallback-unreachable)
        expect_mech=$NTLM_OID
        kdc_write_unreachable_conf "$TEST_DIR/unreachable-krb5.conf"
        client_env=(KRB5_CONFIG="$TEST_DIR/unreachable-krb5.conf") ;;
    fallback-unknown-service)
        expect_mech=$NTLM_OID
        client_args=(--mech spnego --target nosuch@localhost --user alice --flags integ,conf,replay,sequence --messages)
        server_args=(--mech spnego --no-acceptor-name) ;;
    fallback-ip-target)
        expect_mech=$NTLM_OID
        client_args=(--mech spnego --target host@127.0.0.1 --user alice --flags integ,conf,replay,sequence --messages)
        server_args=(--mech spnego --no-acceptor-name) ;;
    acceptor-no-keytab)
        expect_mech=$NTLM_OID
        server_env=(KRB5_KTNAME="FILE:$TEST_DIR/no-keytab")
        server_args=(--mech spnego --no-acceptor-name) ;;
    ntlm-disabled)
        ticket=0 expect_client_ok=0
        client_env=(GSS_NEGOTIATE_MECHS=kerberos)
        client_args=(--mech spnego --target host@localhost --flags integ --expect-fail)
        server_args=(--mech spnego --service host@localhost --expect-fail) ;;
    krb5-acceptor-error | krb5-acceptor-error-ref-ours)
        expect_client_ok=0
        # host/localhost at the KDC's key version, with a key from another
        # password: the ticket does not decrypt.
        kvno=$(klist -k "$GSSNEG_SERVICE_KEYTAB" | awk '/host\/localhost@/ { print $1; exit }')
        [[ $kvno =~ ^[0-9]+$ ]] || fail "no host/localhost entry in $GSSNEG_SERVICE_KEYTAB"
        printf 'addent -password -p host/localhost@%s -k %s -e aes256-cts-hmac-sha1-96\nnot-the-service-key\nwkt %s\n' \
            "$GSSNEG_REALM" "$kvno" "$TEST_DIR/wrong-key.keytab" | ktutil > /dev/null
        [[ -s $TEST_DIR/wrong-key.keytab ]] || fail "ktutil wrote no keytab"
        server_env=(KRB5_KTNAME="FILE:$TEST_DIR/wrong-key.keytab")
        client_args=(--mech spnego --target host@localhost --user alice --flags mutual,integ --expect-fail)
        server_args=(--mech spnego --service host@localhost --expect-fail) ;;
    *) fail "unknown case $case_name" ;;
esac
case $case_name in
    krb5-ours-ref) server_side=ref ;;
    krb5-ref-ours* | krb5-acceptor-error-ref-ours) client_side=ref ;;
esac
mech_file() { [[ $1 == ours ]] && echo "$OURS_MECH" || echo "$NTLM_MECH"; }
[[ $ticket -eq 0 ]] || kdc_kinit alice

client_trace=$TEST_DIR/client.trace server_trace=$TEST_DIR/server.trace
: > "$client_trace"
: > "$server_trace"
SIDE_ENV=(${server_env[@]+"${server_env[@]}"} GSS_NEGOTIATE_TRACE="$server_trace")
start_server server "$(mech_file "$server_side")" "${server_args[@]}"
SIDE_ENV=(${client_env[@]+"${client_env[@]}"} GSS_NEGOTIATE_TRACE="$client_trace")
run_client client "$(mech_file "$client_side")" --port "$SERVER_PORT" "${client_args[@]}"
SIDE_ENV=()
wait_server
show client
show server
for side in client server; do
    echo "---- $side trace (negotiation lines) ----"
    grep -E ' (spnego|negotiate): ' "$TEST_DIR/$side.trace" | cut -d' ' -f4- || true
done
echo "----"

# trace_has SIDE TEXT / trace_lacks SIDE TEXT: a negotiation line of SIDE's
# trace contains (or no line contains) the fixed string.
trace_has() {
    grep -E ' (spnego|negotiate): ' "$TEST_DIR/$1.trace" | grep -qF -- "$2" ||
        fail "$1 trace lacks: $2"
    echo "ok: $1 trace has: $2"
}
trace_lacks() {
    ! grep -E ' (spnego|negotiate): ' "$TEST_DIR/$1.trace" | grep -qF -- "$2" ||
        fail "$1 trace must not have: $2"
    echo "ok: $1 trace has no: $2"
}
# Our negotiator ran on "ours" sides and nowhere else (a client that fails
# before its first token leaves the server nothing to negotiate).
sides=(client server)
[[ $expect_client_ok -eq 1 ]] || sides=(client)
for side in "${sides[@]}"; do
    side_kind=$client_side
    [[ $side == server ]] && side_kind=$server_side
    role=initiator
    [[ $side == server ]] && role=acceptor
    if [[ $side_kind == ours ]]; then
        trace_has "$side" "spnego: $role"
    else
        trace_lacks "$side" "spnego:"
    fi
done

if [[ $expect_client_ok -eq 0 ]]; then
    [[ $CLIENT_RC -eq 0 ]] || fail "client exit status $CLIENT_RC"
    case $case_name in
        ntlm-disabled)
            trace_has client "initiator leaves out Kerberos: no credentials"
            trace_lacks client "NTLM"
            grep -q 'No credentials were supplied' "$TEST_DIR/client.out" || fail "no GSS_S_NO_CRED text" ;;
        krb5-acceptor-error*)
            # The acceptor rejects with Kerberos's own error, never NTLM.
            trace_has server "acceptor chooses Kerberos"
            trace_lacks server "acceptor chooses NTLM"
            trace_lacks server "established over"
            grep -Eq '^-> leg 2: NegTokenResp reject with KRB-ERROR [0-9]+ bytes$' "$TEST_DIR/server.out" ||
                fail "server: leg 2 is not a reject carrying a KRB-ERROR"
            echo "ok: the reject carries the KRB-ERROR"
            grep -q 'cannot decrypt ticket' "$TEST_DIR/server.out" || fail "server: no Kerberos reason"
            echo "ok: the acceptor reports Kerberos's reason"
            # Both initiators hand the KRB-ERROR to Kerberos, which names
            # the failure the acceptor saw.
            grep -Eq '^<- leg 2: NegTokenResp reject with KRB-ERROR [0-9]+ bytes$' "$TEST_DIR/client.out" ||
                fail "client: leg 2 is not the reject"
            grep -q 'Decrypt integrity check failed' "$TEST_DIR/client.out" ||
                fail "client: the KRB-ERROR's reason is not reported"
            echo "ok: the initiator reports the KRB-ERROR's reason"
            [[ $client_side == ref ]] || trace_has client "the acceptor sent reject" ;;
    esac
    echo "PASS: $case_name"
    exit 0
fi

[[ $CLIENT_RC -eq 0 ]] || fail "client exit status $CLIENT_RC"
[[ $SERVER_RC -eq 0 ]] || fail "server exit status $SERVER_RC"
expect_mech_line() {
    [[ $(field "$1" mech) == "$expect_mech" ]] || fail "$1 reports mech '$(field "$1" mech)', expected $expect_mech"
    echo "ok: $1 mech $expect_mech"
}
expect_mech_line client
expect_mech_line server
has_line client "message protection: ok" || fail "client: message protection"
has_line server "message protection: ok" || fail "server: message protection"
[[ $(field client session-key-fingerprint) == "$(field server session-key-fingerprint)" ]] ||
    fail "session keys differ"
echo "ok: equal session keys"

mech_name=Kerberos
[[ $expect_mech == "$NTLM_OID" ]] && mech_name=NTLM
[[ $client_side == ours ]] && trace_has client "initiator established over $mech_name"
[[ $server_side == ours ]] && trace_has server "acceptor established over $mech_name"

case $case_name in
    krb5-ours-*)
        trace_has client "initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2), Kerberos 5 (1.2.840.113554.1.2.2)"
        trace_has client "mechToken AP-REQ" ;;
esac
case $case_name in
    krb5-ours-ours-mutual)
        trace_has server "acceptor -> NegTokenResp negState accept-completed supportedMech Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2) responseToken AP-REP" ;;
    krb5-ours-ours-nomutual)
        trace_has server "acceptor -> NegTokenResp negState accept-completed supportedMech Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2) responseToken none" ;;
    krb5-ours-ours-dce)
        trace_has server "acceptor -> NegTokenResp negState accept-incomplete supportedMech Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2) responseToken AP-REP"
        trace_has client "initiator -> NegTokenResp negState absent supportedMech absent responseToken AP-REP"
        trace_has server "acceptor -> NegTokenResp negState accept-completed supportedMech absent responseToken none" ;;
    krb5-ref-ours*)
        trace_has server "acceptor <- NegTokenInit mechTypes [Kerberos 5 (1.2.840.113554.1.2.2)"
        trace_has server "acceptor chooses Kerberos" ;;
    fallback-no-ticket)
        trace_has client "initiator leaves out Kerberos: no credentials"
        trace_has client "initiator -> NegTokenInit mechTypes [NTLMSSP (1.3.6.1.4.1.311.2.2.10)] mechToken NTLMSSP" ;;
    fallback-unreachable)
        trace_has client "falling back from Kerberos to NTLM: no KDC reachable"
        trace_has client "initiator -> NegTokenInit mechTypes [NTLMSSP (1.3.6.1.4.1.311.2.2.10)] mechToken NTLMSSP" ;;
    fallback-unknown-service)
        trace_has client "falling back from Kerberos to NTLM: the KDC does not know the service principal" ;;
    fallback-ip-target)
        trace_has client "initiator leaves out Kerberos: the target host@127.0.0.1 is an address" ;;
    acceptor-no-keytab)
        trace_has client "initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) (1.2.840.48018.1.2.2), Kerberos 5 (1.2.840.113554.1.2.2), NTLMSSP (1.3.6.1.4.1.311.2.2.10)] mechToken AP-REQ"
        trace_has server "acceptor leaves out Kerberos"
        trace_has server "acceptor -> NegTokenResp negState request-mic supportedMech NTLMSSP (1.3.6.1.4.1.311.2.2.10) responseToken none"
        trace_has client "acceptor chose NTLM over Kerberos; mechListMIC required"
        trace_has server "mechListMIC from the peer verifies"
        trace_has client "mechListMIC from the peer verifies" ;;
esac

# The sample programs show each leg: the SPNEGO message and what it carries.
leg_has() {
    grep -Eq "^$2 [0-9]+ bytes\$" "$TEST_DIR/$1.out" || fail "$1 shows no leg: $2"
    echo "ok: $1 shows: $2"
}
case $case_name in
    krb5-ours-ours-mutual)
        leg_has client '-> leg 1: NegTokenInit \[Kerberos 5 \(Microsoft\), Kerberos 5(, NTLMSSP)?\] with AP-REQ'
        leg_has client '<- leg 2: NegTokenResp accept-completed Kerberos 5 \(Microsoft\) with AP-REP'
        leg_has server '<- leg 1: NegTokenInit \[Kerberos 5 \(Microsoft\), Kerberos 5(, NTLMSSP)?\] with AP-REQ'
        leg_has server '-> leg 2: NegTokenResp accept-completed Kerberos 5 \(Microsoft\) with AP-REP' ;;
    fallback-no-ticket)
        leg_has client '-> leg 1: NegTokenInit \[NTLMSSP\] with NEGOTIATE'
        leg_has client '<- leg 2: NegTokenResp accept-incomplete NTLMSSP with CHALLENGE'
        leg_has client '-> leg 3: NegTokenResp with AUTHENTICATE, mechListMIC'
        leg_has client '<- leg 4: NegTokenResp accept-completed, mechListMIC' ;;
esac
echo "PASS: $case_name"
