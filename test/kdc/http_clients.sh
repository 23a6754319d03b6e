#!/usr/bin/env bash
# Browsers and HTTP libraries against a private Apache httpd with
# mod_auth_gssapi, the loopback KDC behind both: HTTP Negotiate as the
# programs people run do it.
#
#   http_clients.sh CASE      CASE is CLIENT-MECH-STACK, or
#                             chromium-MECH-STACK-netlog
#     CLIENT   chromium  Chromium headless (--dump-dom)
#              python    test/kdc/http_negotiate_client.py: python-gssapi
#                        the way requests-gssapi uses it, mutual
#                        authentication required and the server's last
#                        token checked, on one keep-alive connection
#     MECH     krb5      the client has alice's ticket, httpd its keytab
#              ntlm      no ticket for the client (KRB5CCNAME and
#                        KRB5_CLIENT_KTNAME name missing files), an NTLM
#                        user file on both sides
#              fallback  the client has alice's ticket and her NTLM
#                        password, httpd has no Kerberos key: the AP-REQ
#                        is answered with NTLM
#     STACK    ours      client and httpd with the build tree's conf/mech
#                        (our Negotiate interposer and our NTLM)
#              ref       both with MIT's SPNEGO over gss-ntlmssp (the
#                        reference peer, GSSNEG_REF_MECH), in the same run,
#                        so that a failure of "ours" is ours and not the
#                        harness's
#     -netlog  Chromium also writes a net log with every byte
#              (--log-net-log, capture mode Everything). Chromium then
#              calls gss_inquire_context after every leg, also while the
#              context is incomplete, and logs what it returns.
#
# Each case expects the client to get the page and exit 0, one 200 in
# httpd's access log naming the user, the mechanism in mod_auth_gssapi's
# GSS_MECH, and traces (GSS_NEGOTIATE_TRACE) showing our negotiator for
# "ours" and nothing from our module for "ref". The python client also
# checks that its context completed on the server's last token, and the
# test that the context names the mechanism and the user. With -netlog
# the net log must describe the context after each of Chromium's
# gss_init_sec_context calls (test/kdc/chromium_net_log.py).
#
# The SPN is HTTP@localhost: Chromium's allowlist names localhost and its
# CNAME lookup is off (--disable-auth-negotiate-cname-lookup), as an
# administrator sets it for a host without DNS. Chromium runs as root
# here, so without its sandbox; its network service inherits the
# environment, which is how the mechglue, krb5 and our module find their
# files.
source "$(dirname "$0")/common.sh"
source "$KDC_TEST_HERE/negotiate_apps.sh"
source "$KDC_TEST_HERE/../lib/httpd.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1
IFS=- read -r client mech stack log extra <<< "$case_name"
[[ -z $extra && -n $stack ]] || fail "unknown case $case_name"
netlog=0
case $log in
    '') ;;
    netlog) [[ $client == chromium ]] || fail "only Chromium writes a net log"; netlog=1 ;;
    *) fail "unknown case $case_name" ;;
esac
case $client in chromium | python) ;; *) fail "unknown client in $case_name" ;; esac
case $mech in krb5 | ntlm | fallback) ;; *) fail "unknown mechanism case in $case_name" ;; esac
use_stack "$stack"
mech_file=$STACK_MECH

CHROMIUM=${GSSNEG_CHROMIUM:-/usr/bin/chromium}
if [[ $client == chromium ]]; then
    [[ -x $CHROMIUM ]] || skip "Chromium is not installed (package chromium)"
else
    "$GSSNEG_PYTHON" -c 'import gssapi' 2> /dev/null || skip "$GSSNEG_PYTHON has no gssapi module (python3-gssapi)"
fi
httpd_require

kdc_start "$TEST_DIR/kdc"
echo "KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT"

root=$TEST_DIR/httpd
server_keytab=$root/http.keytab
[[ $mech != fallback ]] || server_keytab=$root/no-http.keytab
negotiate_httpd_start "$root" "$mech_file" "$server_keytab" "gssneg HTTP clients test"
users=$NEGOTIATE_HTTPD_USERS
server_trace=$NEGOTIATE_HTTPD_TRACE
client_trace=$TEST_DIR/client.trace
: > "$client_trace"
echo "httpd ($stack, pid $HTTPD_PID) listening on 127.0.0.1:$HTTPD_PORT"

client_env=(GSS_MECH_CONFIG="$mech_file" GSS_NEGOTIATE_TRACE="$client_trace")
case $mech in
    krb5)
        kdc_kinit alice
        klist -s || fail "no ticket for alice in $KRB5CCNAME"
        expected_log_user=$GSSNEG_ALICE
        ;;
    fallback)
        kdc_kinit alice
        klist -s || fail "no ticket for alice in $KRB5CCNAME"
        client_env+=(NTLM_USER_FILE="$users" NTLMUSER="$NTLM_DOMAIN\\$NTLM_USER")
        # httpd's log escapes the backslash.
        expected_log_user="$NTLM_DOMAIN\\\\$NTLM_USER"
        ;;
    ntlm)
        [[ ! -e ${KRB5CCNAME#FILE:} && ! -e ${KRB5_CLIENT_KTNAME#FILE:} ]] ||
            fail "a ccache or client keytab exists: the NTLM case needs none"
        client_env+=(NTLM_USER_FILE="$users" NTLMUSER="$NTLM_DOMAIN\\$NTLM_USER")
        expected_log_user="$NTLM_DOMAIN\\\\$NTLM_USER"
        ;;
esac

url="http://localhost:$HTTPD_PORT/index.html"
net_log=$TEST_DIR/net-log.json
status=0
if [[ $client == chromium ]]; then
    profile=$TEST_DIR/profile
    mkdir -p "$profile"
    # Chromium on Linux loads libgssapi_krb5 only in a profile that has once
    # received a Negotiate challenge (Local State net.received_http_auth_
    # negotiate_headers, set on the first one; before it, Negotiate is an
    # unsupported scheme). A new profile is seeded with it, as one that has
    # been to an intranet site before.
    printf '{"net": {"received_http_auth_negotiate_headers": true}}\n' > "$profile/Local State"
    chromium_args=(
        --headless=new --no-sandbox --disable-gpu --no-first-run --no-default-browser-check
        --disable-background-networking --disable-component-update --disable-sync
        --disable-extensions --no-proxy-server --user-data-dir="$profile"
        --auth-server-allowlist=localhost --disable-auth-negotiate-cname-lookup
        --virtual-time-budget=10000 --dump-dom
    )
    [[ $netlog -eq 0 ]] || chromium_args+=(--log-net-log="$net_log" --net-log-capture-mode=Everything)
    echo "chromium ($stack): $mech_file"
    env "${client_env[@]}" timeout 60 "$CHROMIUM" "${chromium_args[@]}" "$url" \
        > "$TEST_DIR/page" 2> "$TEST_DIR/chromium.log" || status=$?
else
    echo "python ($stack): $mech_file"
    env "${client_env[@]}" timeout 60 "$GSSNEG_PYTHON" "$KDC_TEST_HERE/http_negotiate_client.py" "$url" "$TEST_DIR" \
        > "$TEST_DIR/client.log" 2>&1 || status=$?
    cp "$TEST_DIR/body" "$TEST_DIR/page" 2> /dev/null || : > "$TEST_DIR/page"
fi

# httpd writes the access line after the response has gone out.
tries=0
while ! grep -q ' status=200 ' "$root/logs/access.log" 2>/dev/null && ((tries++ < 50)); do
    sleep 0.1
done
kill "$HTTPD_PID" 2>/dev/null || true
wait "$HTTPD_PID" 2>/dev/null || true
forget_test_pid "$HTTPD_PID"

echo "$client exited $status"
echo "---- page ----"
cat "$TEST_DIR/page"
if [[ $client == chromium ]]; then
    echo "---- chromium's stderr (last lines) ----"
    grep -v dbus "$TEST_DIR/chromium.log" | tail -n 15 || true
else
    echo "---- client ----"
    cat "$TEST_DIR/client.log"
fi
echo "---- access.log ----"
cat "$root/logs/access.log"
echo "---- error.log (auth_gssapi) ----"
grep -E 'auth_gssapi|GSS' "$root/logs/error.log" | tail -n 20 || true
echo "---- $client trace ----"
trace_events "$client_trace"
echo "---- httpd trace ----"
trace_events "$server_trace"
echo "----"

[[ $status -eq 0 ]] || fail "$client exited $status"
grep -qF "hello from the gssneg test server" "$TEST_DIR/page" || fail "$client did not get the page"
echo "ok: $client got the page"

expect_eq "200 lines in the access log" 1 "$(grep -c ' status=200 ' "$root/logs/access.log")"
line=$(grep ' status=200 ' "$root/logs/access.log")
[[ $line == *"user=$expected_log_user "* ]] || fail "the access log does not name $expected_log_user: $line"
echo "ok: access log names $expected_log_user"
mech_field=$(sed -E 's/.* mech=([^ ]*) .*/\1/' <<< "$line")
if [[ $mech == krb5 ]]; then
    expect_eq "access log mech" Negotiate/krb5 "$mech_field"
else
    expect_eq "access log mech" Negotiate/NTLM "$mech_field"
fi

mech_word=Kerberos
[[ $mech == krb5 ]] || mech_word=NTLM
if [[ $stack == ours ]]; then
    case $mech in
        krb5) expect_event_prefix "$client_trace" "spnego: initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) ($MS_KRB5_OID), Kerberos 5 ($KRB5_OID)" ;;
        ntlm) expect_event "$client_trace" "spnego: initiator -> NegTokenInit mechTypes [NTLMSSP ($NTLM_OID)] mechToken NTLMSSP (40 bytes) mechListMIC none" ;;
        fallback) expect_event "$client_trace" "spnego: acceptor chose NTLM over Kerberos; mechListMIC required" ;;
    esac
    expect_event_count "$server_trace" "negotiate: acceptor established over $mech_word" 1
else
    for trace in "$client_trace" "$server_trace"; do
        [[ ! -s $trace ]] || { cat "$trace"; fail "$(basename "$trace"): our module traced on the reference side"; }
    done
    echo "ok: no trace from our module on either side (MIT's SPNEGO over gss-ntlmssp ran)"
fi

if [[ $netlog -eq 1 ]]; then
    [[ -s $net_log ]] || fail "chromium wrote no net log"
    "$GSSNEG_PYTHON" "$KDC_TEST_HERE/chromium_net_log.py" "$net_log" "$mech" ||
        fail "the net log lacks the expected GSSAPI events"
fi
if [[ $client == python ]]; then
    # The context completed on the server's last token (the client exits
    # 1 otherwise) and describes the mechanism and the user of the logon.
    echo "---- SPNEGO legs the client saw (label, size, description) ----"
    describe_legs "$TEST_DIR/legs.hex"
    context=$(cat "$TEST_DIR/context")
    echo "$context"
    expect_eq "context complete" True "$(sed -n 's/^complete //p' <<< "$context")"
    if [[ $mech == krb5 ]]; then
        expect_eq "context mechanism" "$KRB5_OID" "$(sed -n 's/^mech //p' <<< "$context")"
        expect_eq "context initiator" "$GSSNEG_ALICE" "$(sed -n 's/^initiator //p' <<< "$context")"
        expect_eq "mutual authentication" True "$(sed -n 's/^mutual //p' <<< "$context")"
    else
        expect_eq "context mechanism" "$NTLM_OID" "$(sed -n 's/^mech //p' <<< "$context")"
        initiator=$(sed -n 's/^initiator //p' <<< "$context")
        # gss-ntlmssp counts the name's terminating NUL into its length.
        initiator=${initiator%$'\0'}
        expect_eq "context initiator" "$NTLM_DOMAIN\\$NTLM_USER" "$initiator"
    fi
    if [[ $stack == ours ]]; then
        expect_event_count "$client_trace" "negotiate: initiator established over $mech_word" 1
    fi
fi
echo "PASS: $client $case_name"
