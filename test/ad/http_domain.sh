#!/usr/bin/env bash
# HTTP Negotiate in the domain: curl --negotiate -u : against a private
# Apache httpd with mod_auth_gssapi, our interposer on both sides, domain
# users only:
#
#   krb5   curl with alice's ticket from the DC; httpd with the keytab the DC
#          exported for HTTP/localhost
#   ntlm   curl without a ticket (alice's domain password in its NTLM user
#          file); httpd's NTLM acceptor with the winbind backend alone, so
#          the DC validates the logon
#
# httpd's children run as nobody, in the group given winbindd's privileged
# pipe directory (as a deployment adds the web server's user to
# winbindd_priv), under nss_wrapper so that libwbclient reaches the test
# DC's winbindd.
source "$(dirname "$0")/common.sh"
source "$AD_TEST_HERE/../lib/httpd.sh"

[[ $# -eq 1 ]] || fail "usage: $0 krb5|ntlm"
case_name=$1
[[ $case_name == krb5 || $case_name == ntlm ]] || fail "unknown case $case_name"
[[ -n ${GSSNEG_BUILD_MECH:-} && -f $GSSNEG_BUILD_MECH ]] || fail "GSSNEG_BUILD_MECH must name the build tree's conf/mech"
httpd_require

dc_start "$TEST_DIR/dc"
echo "samba pid $GSSNEG_AD_PID, dir $GSSNEG_AD_DIR"

root=$TEST_DIR/httpd
httpd_prepare "$root" "$GSSNEG_PYTHON"
mkdir -p "$root/rcache"
cp "$KRB5_CONFIG" "$root/krb5.conf"
cp "$GSSNEG_AD_HTTP_KEYTAB" "$root/http.keytab"
server_trace=$root/logs/server.trace
: > "$server_trace"
chmod 644 "$root/krb5.conf" "$server_trace"
if [[ $(id -u) -eq 0 ]]; then
    group=$(id -gn nobody 2> /dev/null || echo nogroup)
    chown nobody "$root/rcache" "$root/http.keytab" "$server_trace"
    # The way to winbindd's pipes, and the privileged one for nobody's group.
    chmod a+x "$TEST_DIR" "$GSSNEG_AD_DIR"
    chmod a+r "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
    privileged=$(find "$GSSNEG_AD_DIR" -type d -name winbindd_privileged -print -quit)
    [[ -n $privileged ]] || fail "no winbindd_privileged directory under $GSSNEG_AD_DIR"
    d=$(dirname "$privileged")
    while [[ $d != "$GSSNEG_AD_DIR" && $d != / ]]; do
        chmod a+x "$d"
        d=$(dirname "$d")
    done
    chgrp "$group" "$privileged"
    echo "httpd's children: nobody:$group, which owns $privileged"
fi

httpd_write_conf "$root" localhost '    AuthName "gssneg domain test"
    GssapiCredStore keytab:'"$root"'/http.keytab
    GssapiAcceptorName HTTP@localhost
    GssapiConnectionBound On
    GssapiAllowedMech krb5
    GssapiAllowedMech ntlmssp'
httpd_start TEST_PIDS "$root" "$GSSNEG_PYTHON" GSS_MECH_CONFIG="$GSSNEG_BUILD_MECH" \
    GSS_NEGOTIATE_TRACE="$server_trace" GSS_NEGOTIATE_NTLM_BACKENDS=winbind KRB5_CONFIG="$root/krb5.conf" \
    KRB5RCACHEDIR="$root/rcache" KRB5_KTNAME="FILE:$root/no-keytab" KRB5CCNAME="FILE:$root/no-ccache" \
    KRB5_CLIENT_KTNAME="FILE:$root/no-client-keytab" LD_PRELOAD="$GSSNEG_AD_NSS_WRAPPER" \
    NSS_WRAPPER_PASSWD="$NSS_WRAPPER_PASSWD" NSS_WRAPPER_GROUP="$NSS_WRAPPER_GROUP" \
    SELFTEST_WINBINDD_SOCKET_DIR="$SELFTEST_WINBINDD_SOCKET_DIR"
echo "httpd (pid $HTTPD_PID) listening on 127.0.0.1:$HTTPD_PORT"

client_env=(GSS_MECH_CONFIG="$GSSNEG_BUILD_MECH" NTLM_USER_FILE="$TEST_DIR/no-user-file")
if [[ $case_name == krb5 ]]; then
    dc_kinit "$GSSNEG_AD_ALICE"
    expected_user="$GSSNEG_AD_ALICE@$GSSNEG_AD_REALM"
    expected_mech=Negotiate/krb5
    expected_requests=1
else
    client_env+=(KRB5CCNAME="FILE:$TEST_DIR/no-ccache" NTLM_USER_FILE="$TEST_DIR/users"
        NTLMUSER="$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_ALICE")
    echo "$GSSNEG_AD_DOMAIN:$GSSNEG_AD_ALICE:$GSSNEG_AD_ALICE_PASSWORD" > "$TEST_DIR/users"
    expected_user="$GSSNEG_AD_DOMAIN\\\\$GSSNEG_AD_ALICE"  # httpd's log escapes the backslash
    expected_mech=Negotiate/NTLM
    expected_requests=2
fi

httpd_curl "$TEST_DIR" localhost "${client_env[@]}"
status=$CURL_STATUS
httpd_stop_after "$TEST_DIR/curl.log" "$root"
forget_test_pid "$HTTPD_PID"
httpd_show "$TEST_DIR/curl.log" "$root"
echo "---- httpd trace ----"
grep -E 'spnego: acceptor chooses|negotiate: acceptor established|backend|winbind' "$server_trace" || true
echo "----"

[[ $status -eq 0 ]] || fail "curl exited $status"
expect_eq "HTTP status" 200 "$(cat "$TEST_DIR/curl.code")"
cmp -s "$TEST_DIR/body" "$root/htdocs/index.html" || fail "the page body differs"
echo "ok: the page body is the document"
expect_eq "requests curl sent" "$expected_requests" "$(grep -c '^> GET ' "$TEST_DIR/curl.log" || true)"
line=$(grep ' status=200 ' "$root/logs/access.log" | tail -n 1)
[[ -n $line ]] || fail "no 200 line in the access log"
[[ $line == *"user=$expected_user "* ]] || fail "the access log does not name $expected_user: $line"
[[ $line == *"mech=$expected_mech "* ]] || fail "the access log does not give $expected_mech: $line"
echo "ok: access log: $expected_user over $expected_mech"
if [[ $case_name == ntlm ]]; then
    grep -q "acceptor: the winbind backend checked the logon" "$server_trace" ||
        fail "httpd's trace does not show the winbind backend checking the logon"
    grep -q "winbind: the domain authenticated $GSSNEG_AD_DOMAIN\\\\$GSSNEG_AD_ALICE (" "$server_trace" ||
        fail "httpd's trace does not show the domain authenticating alice"
    echo "ok: the DC validated the NTLM logon through winbindd"
fi
echo "PASS: HTTP Negotiate in the domain ($case_name)"
