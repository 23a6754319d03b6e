#!/usr/bin/env bash
# SPNEGO over NTLM in separate processes, through gssneg-client and
# gssneg-server (--mech spnego). Each side is one of three stacks:
#
#   ours      conf/mech: our Negotiate interposer over our NTLM
#   mit-ours  conf/mech-ntlm: MIT's built-in SPNEGO over our NTLM (the
#             module without its interposer line)
#   ref       MIT's built-in SPNEGO over gss-ntlmssp
#
# Kerberos has no credentials on either side, so SPNEGO offers NTLM alone:
# NegTokenInit(NEGOTIATE), NegTokenResp(CHALLENGE), NegTokenResp(AUTHENTICATE
# + mechListMIC), NegTokenResp(accept-completed + mechListMIC). The tokens
# are decoded by spnego_tokens.py. Each side's trace (GSS_NEGOTIATE_TRACE)
# shows which SPNEGO ran: ours traces its negotiator, mit-ours traces NTLM
# and no negotiator, ref traces nothing of this module.
#
#   spnego.sh CLIENT_SIDE SERVER_SIDE CASE
#     CLIENT_SIDE, SERVER_SIDE: ours | mit-ours | ref
#     CASE: handshake       integ,conf,replay,sequence; tokens, names, keys
#           messages        the same, then --messages (sealed wrap, MIC, signed wrap)
#           messages-integ  integ,replay,sequence only: the signed wrap is
#                           really integrity-only
#           wrong-password  the acceptor rejects, leg 4 is a reject NegTokenResp
source "$(dirname "$0")/common.sh"

[[ $# -eq 3 ]] || fail "usage: $0 ours|mit-ours|ref ours|mit-ours|ref CASE"
client_side=$1 server_side=$2 case_name=$3
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || skip "/usr/bin/python3 is missing (decodes the SPNEGO tokens)"

write_ref_mech
write_user_file
mech_of() {
    case $1 in
        ours) echo "$OURS_MECH" ;;
        mit-ours) echo "${GSSNEG_BUILD_MECH_NTLM:?GSSNEG_BUILD_MECH_NTLM must name conf/mech-ntlm}" ;;
        ref) echo "$REF_MECH" ;;
        *) fail "unknown side $1" ;;
    esac
}
client_mech=$(mech_of "$client_side")
server_mech=$(mech_of "$server_side")
echo "client ($client_side): $client_mech"
echo "server ($server_side): $server_mech"

# No Kerberos credentials anywhere: SPNEGO must fall to NTLM.
export KRB5CCNAME=FILE:$TEST_DIR/no-ccache KRB5_CLIENT_KTNAME=$TEST_DIR/no-client-keytab
export KRB5_KTNAME=$TEST_DIR/no-keytab

principal="$TEST_DOMAIN\\$TEST_USER"
mkdir "$TEST_DIR/client-tokens" "$TEST_DIR/server-tokens"
server_args=(--mech spnego --dump-tokens "$TEST_DIR/server-tokens")
client_args=(--mech spnego --target host@localhost --user "$principal"
             --dump-tokens "$TEST_DIR/client-tokens")
expect_success=1
case $case_name in
    handshake)
        server_args+=(--service host@localhost)
        client_args+=(--flags integ,conf,replay,sequence)
        ;;
    messages)
        server_args+=(--service host@localhost)
        client_args+=(--flags integ,conf,replay,sequence --messages)
        ;;
    messages-integ)
        server_args+=(--service host@localhost)
        client_args+=(--flags integ,replay,sequence --messages)
        ;;
    wrong-password)
        expect_success=0
        server_args+=(--no-acceptor-name --expect-fail)
        client_args+=(--flags integ,conf,replay,sequence --password "not-$TEST_PASSWORD" --expect-fail)
        ;;
    *) fail "unknown case $case_name" ;;
esac

SIDE_ENV=(GSS_NEGOTIATE_TRACE="$TEST_DIR/server.trace")
start_server server "$server_mech" "${server_args[@]}"
SIDE_ENV=(GSS_NEGOTIATE_TRACE="$TEST_DIR/client.trace")
run_client client "$client_mech" --port "$SERVER_PORT" "${client_args[@]}"
SIDE_ENV=()
wait_server
show client
show server
echo "client exit $CLIENT_RC, server exit $SERVER_RC"
[[ $CLIENT_RC -eq 0 ]] || fail "client exited $CLIENT_RC"
[[ $SERVER_RC -eq 0 ]] || fail "server exited $SERVER_RC"

# Which SPNEGO ran, from each side's trace.
for side in client server; do
    [[ $side == client ]] && stack=$client_side || stack=$server_side
    trace=$TEST_DIR/$side.trace
    negotiator=0 ntlm=0
    [[ -s $trace ]] && grep -Eq '\] [0-9:.]* (spnego|negotiate): ' "$trace" && negotiator=1
    [[ -s $trace ]] && grep -q '\] [0-9:.]* ntlm: ' "$trace" && ntlm=1
    case $stack in
        ours) [[ $negotiator -eq 1 && $ntlm -eq 1 ]] || fail "$side ($stack): the trace shows no Negotiate over NTLM" ;;
        mit-ours) [[ $negotiator -eq 0 && $ntlm -eq 1 ]] ||
            fail "$side ($stack): the trace must show our NTLM under MIT's SPNEGO (negotiator $negotiator, NTLM $ntlm)" ;;
        ref) [[ ! -s $trace ]] || fail "$side ($stack): our module traced under gss-ntlmssp" ;;
    esac
    echo "ok: $side ran $stack (negotiator lines: $negotiator, NTLM lines: $ntlm)"
done

echo "---- SPNEGO tokens (as the client saw them) ----"
expect=success
[[ $expect_success -eq 1 ]] || expect=reject
"$PYTHON" "$(dirname "$0")/spnego_tokens.py" "$TEST_DIR/client-tokens" --expect "$expect" \
    || fail "the SPNEGO tokens are not what MIT SPNEGO over NTLM exchanges"
# Both sides must have seen the same bytes in every leg.
diff <(cd "$TEST_DIR/client-tokens" && sha256sum leg-*.bin) \
     <(cd "$TEST_DIR/server-tokens" && sha256sum leg-*.bin) \
    || fail "the client and the server saw different tokens"
diff <(grep ' leg ' "$TEST_DIR/client.out" | sed 's/^[-<>]* //') \
     <(grep ' leg ' "$TEST_DIR/server.out" | sed 's/^[-<>]* //') || fail "the two sides saw different legs"

if [[ $expect_success -eq 0 ]]; then
    has_line server "authenticated" && fail "server authenticated a wrong password"
    has_line client "authenticated" && fail "client reports success with a wrong password"
    grep -q '^gss_accept_sec_context failed$' "$TEST_DIR/server.out" || fail "acceptor did not report the failure"
    grep -q '^gss_init_sec_context failed$' "$TEST_DIR/client.out" \
        || fail "the initiator did not fail on the reject token"
    echo "PASS: spnego $client_side -> $server_side $case_name"
    exit 0
fi

for side in client server; do
    has_line "$side" "authenticated" || fail "$side did not authenticate"
    [[ $(grep -c ' leg ' "$TEST_DIR/$side.out") -eq 4 ]] || fail "$side: not exactly four legs"
    [[ $(field "$side" mech) == 1.3.6.1.4.1.311.2.2.10 ]] \
        || fail "$side: mech is '$(field "$side" mech)', not NTLM"
done
[[ $(field server source-name) == "$principal" ]] \
    || fail "server sees source name '$(field server source-name)', expected '$principal'"
[[ $(field client source-name) == "$principal" ]] \
    || fail "client sees source name '$(field client source-name)', expected '$principal'"
client_fp=$(field client session-key-fingerprint)
server_fp=$(field server session-key-fingerprint)
[[ $client_fp != "(not available)" && -n $client_fp ]] || fail "client: no session key"
[[ $client_fp == "$server_fp" ]] || fail "session keys differ: client $client_fp, server $server_fp"
echo "session keys match: $client_fp"

if [[ $case_name == messages* ]]; then
    for side in client server; do
        has_line "$side" "message protection: ok" || fail "$side: message exchange did not complete"
    done
    grep -q '^-> signed wrap (' "$TEST_DIR/client.out" || fail "client: no signed wrap was sent"
    if [[ $case_name == messages-integ ]]; then
        grep -q '^-> signed wrap (integrity only) ' "$TEST_DIR/client.out" \
            || fail "client: without confidentiality the signed wrap must be integrity only"
        grep -q '^<- sealed message (integrity only)' "$TEST_DIR/server.out" \
            || fail "server: without confidentiality the conf wrap must come integrity only"
    else
        grep -q '^<- sealed message (confidential)' "$TEST_DIR/server.out" \
            || fail "server: the sealed message was not confidential"
    fi
fi
echo "PASS: spnego $client_side -> $server_side $case_name"
