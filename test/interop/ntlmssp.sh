#!/usr/bin/env bash
# NTLM interop between "ours" and gss-ntlmssp in separate processes, through
# gssneg-client and gssneg-server.
#
#   ntlmssp.sh CLIENT_SIDE SERVER_SIDE CASE
#     CLIENT_SIDE, SERVER_SIDE: ours | ref
#     CASE: handshake       initiator password from NTLM_USER_FILE, named acceptor
#           password        gss_acquire_cred_with_password, default acceptor cred
#           wrong-password  the acceptor must reject, the client must see it
#           channel-bindings the same channel bindings on both sides
#           messages        wrap/unwrap and get_mic/verify_mic after the handshake
source "$(dirname "$0")/common.sh"

[[ $# -eq 3 ]] || fail "usage: $0 ours|ref ours|ref CASE"
client_side=$1 server_side=$2 case_name=$3

write_ref_mech
write_user_file
mech_of() {
    case $1 in
        ours) echo "$OURS_MECH" ;;
        ref) echo "$REF_MECH" ;;
        *) fail "unknown side $1" ;;
    esac
}
client_mech=$(mech_of "$client_side")
server_mech=$(mech_of "$server_side")
echo "client ($client_side): $client_mech"
echo "server ($server_side): $server_mech"

principal="$TEST_DOMAIN\\$TEST_USER"
server_args=()
client_args=(--mech ntlm --target host@localhost)
expect_success=1
case $case_name in
    handshake)
        server_args+=(--service host@localhost)
        client_args+=(--user "$principal")
        ;;
    password)
        server_args+=(--no-acceptor-name)
        client_args+=(--user "$principal" --password "$TEST_PASSWORD")
        ;;
    wrong-password)
        expect_success=0
        server_args+=(--no-acceptor-name --expect-fail)
        client_args+=(--user "$principal" --password "not-$TEST_PASSWORD" --expect-fail)
        ;;
    channel-bindings)
        server_args+=(--service host@localhost --channel-bindings "tls-server-end-point:0123456789")
        client_args+=(--user "$principal" --channel-bindings "tls-server-end-point:0123456789")
        ;;
    messages)
        server_args+=(--service host@localhost)
        client_args+=(--user "$principal" --messages)
        ;;
    *) fail "unknown case $case_name" ;;
esac

start_server server "$server_mech" --mech ntlm "${server_args[@]}"
run_client client "$client_mech" --port "$SERVER_PORT" "${client_args[@]}"
wait_server
show client
show server
echo "client exit $CLIENT_RC, server exit $SERVER_RC"

[[ $CLIENT_RC -eq 0 ]] || fail "client exited $CLIENT_RC"
[[ $SERVER_RC -eq 0 ]] || fail "server exited $SERVER_RC"

if [[ $expect_success -eq 0 ]]; then
    has_line server "authenticated" && fail "server authenticated a wrong password"
    has_line client "authenticated" && fail "client reports success with a wrong password"
    grep -q '^gss_accept_sec_context failed$' "$TEST_DIR/server.out" || fail "acceptor did not report the failure"
    grep -q '^server rejected the authentication: FAIL ' "$TEST_DIR/client.out" || fail "client did not see the rejection"
    has_line server "<- leg 3: $(sed -n 's/^-> leg 3: //p' "$TEST_DIR/client.out")" \
        || fail "the acceptor did not receive the client's AUTHENTICATE"
    echo "PASS: $client_side -> $server_side $case_name"
    exit 0
fi

for side in client server; do
    has_line "$side" "authenticated" || fail "$side did not authenticate"
    [[ $(field "$side" mech) == 1.3.6.1.4.1.311.2.2.10 ]] || fail "$side: mech is not NTLM"
done
[[ $(field server source-name) == "$principal" ]] \
    || fail "server sees source name '$(field server source-name)', expected '$principal'"
[[ $(field client source-name) == "$principal" ]] \
    || fail "client sees source name '$(field client source-name)', expected '$principal'"
# The three NTLM legs, in order, identical on both sides.
for leg in "1: NEGOTIATE" "2: CHALLENGE" "3: AUTHENTICATE"; do
    grep -q "^[-<>]* leg $leg [0-9]* bytes$" "$TEST_DIR/client.out" || fail "client: no leg $leg"
done
[[ $(grep -c ' leg ' "$TEST_DIR/client.out") -eq 3 ]] || fail "client: not exactly three legs"
diff <(grep ' leg ' "$TEST_DIR/client.out" | sed 's/^[-<>]* //') \
     <(grep ' leg ' "$TEST_DIR/server.out" | sed 's/^[-<>]* //') || fail "the two sides saw different legs"

client_fp=$(field client session-key-fingerprint)
server_fp=$(field server session-key-fingerprint)
# Both implementations hand out the session key (GSS_C_INQ_SSPI_SESSION_KEY):
# the two sides must have the same one.
[[ $client_fp != "(not available)" && -n $client_fp ]] || fail "client: no session key"
[[ $server_fp != "(not available)" && -n $server_fp ]] || fail "server: no session key"
[[ $client_fp == "$server_fp" ]] || fail "session keys differ: client $client_fp, server $server_fp"
echo "session keys match: $client_fp"

if [[ $case_name == messages ]]; then
    has_line client "message protection: ok" || fail "client: message exchange did not complete"
    has_line server "message protection: ok" || fail "server: message exchange did not complete"
fi
echo "PASS: $client_side -> $server_side $case_name"
