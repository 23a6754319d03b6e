#!/usr/bin/env bash
# HTTP Negotiate with Kerberos: curl --negotiate -u : against a private
# Apache httpd with mod_auth_gssapi, the loopback KDC behind both, our
# Negotiate interposer in curl, in httpd's children, or in both.
#
#   http_kerberos.sh CASE
#     krb5-ours-ours   curl (alice's ticket) and httpd both with conf/mech:
#                      one Authorization header with NegTokenInit (both
#                      Kerberos OIDs, the AP-REQ), 200 with accept-completed
#                      and the AP-REP
#     krb5-ours-ref    our curl, httpd with conf/mech-ntlm (MIT's SPNEGO)
#     krb5-ref-ours    curl with MIT's SPNEGO, our httpd
#     krb5-ref-ref     MIT's SPNEGO on both sides: the harness's baseline
#     ntlm-ours-ours   no ticket for curl (KRB5CCNAME and KRB5_CLIENT_KTNAME
#                      name missing files), an NTLM user file on both sides,
#                      httpd with its keytab all the same: NTLM through our
#                      Negotiate, 2 round trips on one keep-alive connection
#     ntlm-ours-ref    the same, httpd with MIT's SPNEGO over our NTLM
#     ntlm-ref-ours    the same, curl with MIT's SPNEGO over our NTLM
#     fallback-C-S     curl has alice's ticket and her NTLM password, httpd
#                      has no Kerberos key (its GssapiCredStore keytab is a
#                      missing file): the AP-REQ is answered with NTLM, and
#                      NTLM ends the exchange in 3 requests. mod_auth_gssapi
#                      acquires a fresh acceptor credential for every
#                      request, so each leg meets a new credential. C and S
#                      are ours or ref as above: fallback-ours-ours,
#                      fallback-ours-ref, fallback-ref-ours, fallback-ref-ref
#
# Each case expects HTTP 200, the page, the user in httpd's access log
# (alice@GSSNEG.TEST, or TESTDOM\alice for NTLM), the exact SPNEGO legs in
# the headers, and traces (GSS_NEGOTIATE_TRACE) showing our negotiator in
# the "ours" processes only.
#
# httpd gets its keytab through mod_auth_gssapi's GssapiCredStore
# (keytab:...), with KRB5_KTNAME naming a missing file, so that the
# credential store must travel through the SPNEGO layer (our
# gssi_acquire_cred_from, or MIT's) down to krb5. When run as root, httpd's
# children drop to nobody: they get copies of krb5.conf and of an
# HTTP/localhost keytab they can read, and a replay cache they can write.
source "$(dirname "$0")/common.sh"
source "$KDC_TEST_HERE/negotiate_apps.sh"
source "$KDC_TEST_HERE/../lib/httpd.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1
case $case_name in
    krb5-ours-ours) mech=kerberos client_side=ours server_side=ours ;;
    krb5-ours-ref) mech=kerberos client_side=ours server_side=ref ;;
    krb5-ref-ours) mech=kerberos client_side=ref server_side=ours ;;
    krb5-ref-ref) mech=kerberos client_side=ref server_side=ref ;;
    ntlm-ours-ours) mech=ntlm client_side=ours server_side=ours ;;
    ntlm-ours-ref) mech=ntlm client_side=ours server_side=ref ;;
    ntlm-ref-ours) mech=ntlm client_side=ref server_side=ours ;;
    fallback-ours-ours) mech=fallback client_side=ours server_side=ours ;;
    fallback-ours-ref) mech=fallback client_side=ours server_side=ref ;;
    fallback-ref-ours) mech=fallback client_side=ref server_side=ours ;;
    fallback-ref-ref) mech=fallback client_side=ref server_side=ref ;;
    *) fail "unknown case $case_name" ;;
esac

httpd_require

kdc_start "$TEST_DIR/kdc"
echo "KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT"

root=$TEST_DIR/httpd
server_keytab=$root/http.keytab
[[ $mech != fallback ]] || server_keytab=$root/no-http.keytab
negotiate_httpd_start "$root" "$(mech_file_of "$server_side")" "$server_keytab" "gssneg Kerberos test"
users=$NEGOTIATE_HTTPD_USERS
server_trace=$NEGOTIATE_HTTPD_TRACE
client_trace=$TEST_DIR/client.trace
: > "$client_trace"
echo "httpd ($server_side, pid $HTTPD_PID) listening on 127.0.0.1:$HTTPD_PORT"

client_env=(GSS_MECH_CONFIG="$(mech_file_of "$client_side")" GSS_NEGOTIATE_TRACE="$client_trace")
if [[ $mech == kerberos ]]; then
    kdc_kinit alice
    klist -s || fail "no ticket for alice in $KRB5CCNAME"
    expected_user=$GSSNEG_ALICE
    expected_log_user=$GSSNEG_ALICE
elif [[ $mech == fallback ]]; then
    kdc_kinit alice
    klist -s || fail "no ticket for alice in $KRB5CCNAME"
    client_env+=(NTLM_USER_FILE="$users" NTLMUSER="$NTLM_DOMAIN\\$NTLM_USER")
    expected_user="$NTLM_DOMAIN\\$NTLM_USER"
    expected_log_user="$NTLM_DOMAIN\\\\$NTLM_USER"
else
    [[ ! -e ${KRB5CCNAME#FILE:} && ! -e ${KRB5_CLIENT_KTNAME#FILE:} ]] ||
        fail "a ccache or client keytab exists: the NTLM case needs none"
    client_env+=(NTLM_USER_FILE="$users" NTLMUSER="$NTLM_DOMAIN\\$NTLM_USER")
    expected_user="$NTLM_DOMAIN\\$NTLM_USER"
    # httpd's log escapes the backslash.
    expected_log_user="$NTLM_DOMAIN\\\\$NTLM_USER"
fi
echo "curl ($client_side): $(mech_file_of "$client_side")"

# localhost resolves to 127.0.0.1 only here: curl's SPN is HTTP@localhost
# (for an address it would be HTTP@127.0.0.1, which Kerberos cannot name).
httpd_curl "$TEST_DIR" localhost "${client_env[@]}"
status=$CURL_STATUS

httpd_stop_after "$TEST_DIR/curl.log" "$root"
forget_test_pid "$HTTPD_PID"
requests=$(grep -c '^> GET ' "$TEST_DIR/curl.log" || true)

echo "curl exited $status"
httpd_show "$TEST_DIR/curl.log" "$root"
echo "---- curl trace ----"
trace_events "$client_trace"
echo "---- httpd trace ----"
trace_events "$server_trace"
echo "----"

[[ $status -eq 0 ]] || fail "curl exited $status"
expect_eq "HTTP status" 200 "$(cat "$TEST_DIR/curl.code")"
cmp -s "$TEST_DIR/body" "$root/htdocs/index.html" || fail "the page body differs"
echo "ok: the page body is the document"

# The SPNEGO legs in the headers, in order: curl's Authorization tokens and
# httpd's WWW-Authenticate tokens (the first 401's bare "Negotiate" has none).
sed -n -E 's/^> Authorization: Negotiate ([A-Za-z0-9+\/=]+)\r?$/client \1/p; s/^< WWW-Authenticate: Negotiate ([A-Za-z0-9+\/=]+)\r?$/server \1/p' \
    "$TEST_DIR/curl.log" |
    while read -r label b64; do
        printf '%s %s\n' "$label" "$(printf '%s' "$b64" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
    done > "$TEST_DIR/legs.hex"
describe_legs "$TEST_DIR/legs.hex" > "$TEST_DIR/legs"
echo "---- SPNEGO legs in the headers (label, size, description) ----"
cat "$TEST_DIR/legs"

if [[ $mech == kerberos ]]; then
    if [[ $client_side == ours ]]; then
        mech_types="$MS_KRB5_OID,$KRB5_OID" supported=$MS_KRB5_OID
    else
        mech_types=$KRB5_OID supported=$KRB5_OID
    fi
    # curl asks for mutual authentication: the 200 carries the AP-REP.
    expect_legs "$TEST_DIR/legs" \
        "client NegTokenInit mechTypes=[$mech_types] mechToken=krb5:AP-REQ mechListMIC=absent" \
        "server NegTokenResp negState=accept-completed supportedMech=$supported responseToken=krb5:AP-REP mechListMIC=absent"
    # With a ticket curl sends its token on the first request.
    expect_eq "requests curl sent" 1 "$requests"
elif [[ $mech == fallback ]]; then
    # The AP-REQ goes out first; the acceptor, with no key, asks for NTLM
    # (request-mic: NTLM was not the initiator's first choice), and the
    # NTLM legs follow, each with its own request.
    mech_types="$KRB5_OID,$NTLM_OID" next_state=accept-incomplete
    [[ $client_side == ref ]] || mech_types="$MS_KRB5_OID,$KRB5_OID,$NTLM_OID" next_state=absent
    expect_legs "$TEST_DIR/legs" \
        "client NegTokenInit mechTypes=[$mech_types] mechToken=krb5:AP-REQ mechListMIC=absent" \
        "server NegTokenResp negState=request-mic supportedMech=$NTLM_OID responseToken=absent mechListMIC=absent" \
        "client NegTokenResp negState=$next_state supportedMech=absent responseToken=NTLM:NEGOTIATE mechListMIC=absent" \
        "server NegTokenResp negState=accept-incomplete supportedMech=absent responseToken=NTLM:CHALLENGE mechListMIC=absent" \
        "client NegTokenResp negState=$next_state supportedMech=absent responseToken=NTLM:AUTHENTICATE mechListMIC=present" \
        "server NegTokenResp negState=accept-completed supportedMech=absent responseToken=absent mechListMIC=present"
    expect_eq "requests curl sent" 3 "$requests"
else
    # MIT's initiator marks its AUTHENTICATE leg accept-incomplete; ours
    # leaves negState out.
    third_state=absent
    [[ $client_side == ours ]] || third_state=accept-incomplete
    expect_legs "$TEST_DIR/legs" \
        "client NegTokenInit mechTypes=[$NTLM_OID] mechToken=NTLM:NEGOTIATE mechListMIC=absent" \
        "server NegTokenResp negState=accept-incomplete supportedMech=$NTLM_OID responseToken=NTLM:CHALLENGE mechListMIC=absent" \
        "client NegTokenResp negState=$third_state supportedMech=absent responseToken=NTLM:AUTHENTICATE mechListMIC=present" \
        "server NegTokenResp negState=accept-completed supportedMech=absent responseToken=absent mechListMIC=present"
    expect_eq "requests curl sent" 2 "$requests"
fi

line=$(grep ' status=200 ' "$root/logs/access.log" | tail -n 1)
[[ -n $line ]] || fail "no 200 line in the access log"
[[ $line == *"user=$expected_log_user "* ]] || fail "the access log does not name $expected_user: $line"
[[ $line == *"gss_name=$expected_log_user "* ]] || fail "GSS_NAME is not $expected_user: $line"
echo "ok: access log: user and GSS_NAME $expected_user"
expect_eq "200 lines in the access log" 1 "$(grep -c ' status=200 ' "$root/logs/access.log")"
mech_field=$(sed -E 's/.* mech=([^ ]*) .*/\1/' <<< "$line")
# mod_auth_gssapi's GSS_MECH: the auth type, then its name for the mech
# that gss_accept_sec_context reported (the sub-mechanism, not SPNEGO).
if [[ $mech == kerberos ]]; then
    expect_eq "access log mech" Negotiate/krb5 "$mech_field"
else
    expect_eq "access log mech" Negotiate/NTLM "$mech_field"
fi

mech_word=Kerberos
[[ $mech == kerberos ]] || mech_word=NTLM
if [[ $client_side == ours ]]; then
    if [[ $mech == fallback ]]; then
        expect_event_prefix "$client_trace" "spnego: initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) ($MS_KRB5_OID), Kerberos 5 ($KRB5_OID), NTLMSSP ($NTLM_OID)] mechToken AP-REQ ("
        expect_event "$client_trace" "spnego: acceptor chose NTLM over Kerberos; mechListMIC required"
    elif [[ $mech == kerberos ]]; then
        expect_event_prefix "$client_trace" "spnego: initiator leaves out NTLM: no credentials: "
        expect_event_prefix "$client_trace" "spnego: initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) ($MS_KRB5_OID), Kerberos 5 ($KRB5_OID)] mechToken AP-REQ ("
    else
        expect_event_prefix "$client_trace" "spnego: initiator leaves out Kerberos: no credentials: "
        expect_event "$client_trace" "spnego: initiator -> NegTokenInit mechTypes [NTLMSSP ($NTLM_OID)] mechToken NTLMSSP (40 bytes) mechListMIC none"
    fi
    # curl does not hand the token of the 200 back to gss_init_sec_context,
    # so its context never completes: no "initiator established" event.
    expect_event_count "$client_trace" "negotiate: initiator established over $mech_word" 0
else
    expect_reference_side "$client_trace"
fi
if [[ $server_side == ours ]]; then
    if [[ $mech == fallback ]]; then
        expect_event_prefix "$server_trace" "spnego: acceptor leaves out Kerberos: no credentials: "
        expect_event "$server_trace" "spnego: acceptor chooses NTLM (not the initiator's first: mechListMIC required)"
    else
        expect_event "$server_trace" "spnego: acceptor chooses $mech_word"
    fi
    expect_event_count "$server_trace" "negotiate: acceptor established over $mech_word" 1
    [[ $mech == kerberos ]] || expect_event "$server_trace" "spnego: mechListMIC from the peer verifies"
else
    expect_reference_side "$server_trace"
fi
if [[ $mech != kerberos ]]; then
    # Our NTLM ran in httpd under whichever SPNEGO.
    expect_event "$server_trace" "ntlm: acceptor: authenticated $NTLM_DOMAIN\\$NTLM_USER with NTLMv2, MIC verified"
fi
echo "PASS: http $case_name"
