#!/usr/bin/env bash
# HTTP Negotiate: curl --negotiate against a private Apache httpd with
# mod_auth_gssapi, both using MIT's SPNEGO over an NTLM module (ours or
# gss-ntlmssp). No Kerberos credentials anywhere, so SPNEGO picks NTLM;
# GssapiConnectionBound keeps the NTLM context on the keep-alive connection
# across the 401 round trips.
#
#   http_negotiate.sh CLIENT_SIDE SERVER_SIDE CASE
#     CLIENT_SIDE (curl), SERVER_SIDE (httpd): ours | ref
#     CASE: ok              200, the access log names the user and the mech
#           wrong-password  401, the error log shows the GSS failure
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/../lib/httpd.sh"

[[ $# -eq 3 ]] || fail "usage: $0 ours|ref ours|ref ok|wrong-password"
client_side=$1 server_side=$2 case_name=$3
[[ $case_name == ok || $case_name == wrong-password ]] || fail "unknown case $case_name"

httpd_require
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || skip "/usr/bin/python3 is missing (picks a free port)"

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
echo "curl ($client_side): $client_mech"
echo "httpd ($server_side): $server_mech"

# httpd's children drop to an unprivileged user when started as root: they
# must be able to read the user file and the document root.
chmod 755 "$TEST_DIR"
chmod 644 "$USER_FILE"
root=$TEST_DIR/httpd
httpd_prepare "$root" "$PYTHON"
httpd_write_conf "$root" 127.0.0.1 '    AuthName "gssneg test"
    GssapiConnectionBound On
    GssapiAllowedMech ntlmssp'
httpd_start CHILD_PIDS "$root" "$PYTHON" GSS_MECH_CONFIG="$server_mech" NTLM_USER_FILE="$USER_FILE" \
    KRB5CCNAME="FILE:$TEST_DIR/no-ccache" KRB5_CLIENT_KTNAME="$TEST_DIR/no-client-keytab" \
    KRB5_KTNAME="$TEST_DIR/no-keytab"
echo "httpd (pid $HTTPD_PID) listening on 127.0.0.1:$HTTPD_PORT"

# curl's own user file: the right password, or a wrong one.
client_users=$TEST_DIR/client-users
if [[ $case_name == ok ]]; then
    printf '%s:%s:%s\n' "$TEST_DOMAIN" "$TEST_USER" "$TEST_PASSWORD" > "$client_users"
else
    printf '%s:%s:%s\n' "$TEST_DOMAIN" "$TEST_USER" "not-$TEST_PASSWORD" > "$client_users"
fi
httpd_curl "$TEST_DIR" 127.0.0.1 GSS_MECH_CONFIG="$client_mech" NTLM_USER_FILE="$client_users" \
    NTLMUSER="$TEST_DOMAIN\\$TEST_USER" KRB5CCNAME="FILE:$TEST_DIR/no-ccache" \
    KRB5_CLIENT_KTNAME="$TEST_DIR/no-client-keytab"
status=$CURL_STATUS

httpd_stop_after "$TEST_DIR/curl.log" "$root"
forget_pid "$HTTPD_PID"
echo "curl exited $status"
httpd_show "$TEST_DIR/curl.log" "$root"

code=$(cat "$TEST_DIR/curl.code")
[[ $status -eq 0 ]] || fail "curl exited $status"
# The Negotiate legs on the wire: every Authorization header curl sent and
# every WWW-Authenticate challenge with a token.
auth_headers=$(grep -c '^> Authorization: Negotiate ' "$TEST_DIR/curl.log" || true)
echo "curl sent $auth_headers Authorization: Negotiate headers, final status $code"

# The SPNEGO tokens in the headers, in order, decoded by spnego_tokens.py.
mkdir "$TEST_DIR/tokens"
leg=0
while read -r b64; do
    leg=$((leg + 1))
    printf '%s' "$b64" | base64 -d > "$TEST_DIR/tokens/leg-$leg.bin" || fail "leg $leg is not base64"
done < <(sed -n -E 's/^[<>] (Authorization|WWW-Authenticate): Negotiate ([A-Za-z0-9+\/=]+)\r?$/\2/p' "$TEST_DIR/curl.log")
echo "---- SPNEGO tokens in the HTTP headers ----"
expect=success
[[ $case_name == ok ]] || expect=reject
"$PYTHON" "$(dirname "$0")/spnego_tokens.py" "$TEST_DIR/tokens" --expect "$expect" \
    || fail "the Negotiate headers are not MIT SPNEGO over NTLM with mechListMICs"

if [[ $case_name == wrong-password ]]; then
    [[ $code == 401 ]] || fail "a wrong password gave HTTP $code, expected 401"
    [[ $auth_headers -eq 2 ]] || fail "expected 2 Negotiate legs from curl (NEGOTIATE, AUTHENTICATE), saw $auth_headers"
    grep -q ' status=200 ' "$root/logs/access.log" && fail "httpd served a page to a wrong password"
    grep -Eq 'user=- status=401 .*error=GSS ERROR' "$root/logs/access.log" \
        || fail "the access log does not show a GSS ERROR 401"
    echo "PASS: http $client_side -> $server_side $case_name"
    exit 0
fi

[[ $code == 200 ]] || fail "HTTP $code, expected 200"
cmp -s "$TEST_DIR/body" "$root/htdocs/index.html" || fail "the page body differs"
[[ $auth_headers -eq 2 ]] || fail "expected 2 Negotiate legs from curl (NEGOTIATE, AUTHENTICATE), saw $auth_headers"
line=$(grep ' status=200 ' "$root/logs/access.log" | tail -n 1)
[[ -n $line ]] || fail "no 200 line in the access log"
# mod_auth_gssapi sets the user to the display name of the NTLM source
# name; httpd's log escapes the backslash as "\\".
[[ $line == *"user=$TEST_DOMAIN\\\\$TEST_USER "* ]] || fail "the access log does not name $TEST_DOMAIN\\$TEST_USER: $line"
[[ $line == *"gss_name=$TEST_DOMAIN\\\\$TEST_USER "* ]] || fail "GSS_NAME is not $TEST_DOMAIN\\$TEST_USER: $line"
[[ $line == *"mech=Negotiate/"* ]] || fail "the access log does not show a Negotiate mech: $line"
# The mech name is the NTLM mech's SASL/display name or its OID.
[[ $line =~ mech=Negotiate/(1\.3\.6\.1\.4\.1\.311\.2\.2\.10|[^ ]*[Nn][Tt][Ll][Mm][^ ]*)\  ]] \
    || fail "the access log's mech is not NTLM: $line"
echo "PASS: http $client_side -> $server_side $case_name"
