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
#   ntlm-sso  as ntlm, but single sign-on: alice's password is in winbindd's
#          memory only (wbinfo --ccache-save); the clients have no user file
#          and no ticket. curl, libsoup 3 (test/ad/soup_negotiate.py), then
#          Chromium headless, each run twice against the same httpd: with
#          our interposer, then with MIT's SPNEGO over gss-ntlmssp, whose
#          winbind support reads the same cache (the reference)
#
# httpd's children run as nobody, in the group given winbindd's privileged
# pipe directory (as a deployment adds the web server's user to
# winbindd_priv), under nss_wrapper so that libwbclient reaches the test
# DC's winbindd.
source "$(dirname "$0")/common.sh"
source "$AD_TEST_HERE/../lib/httpd.sh"

[[ $# -eq 1 ]] || fail "usage: $0 krb5|ntlm|ntlm-sso"
case_name=$1
[[ $case_name == krb5 || $case_name == ntlm || $case_name == ntlm-sso ]] || fail "unknown case $case_name"
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

# check_request DIR USER MECH REQUESTS: the run in DIR got the page (curl:
# after REQUESTS requests), and the last 200 of the access log as it was
# when the run ended names USER and MECH.
check_request() {
    local dir=$1 user=$2 mech=$3 requests=$4 line
    [[ $(cat "$dir/client.status") -eq 0 ]] || fail "the client exited $(cat "$dir/client.status")"
    if [[ -e $dir/chromium.log ]]; then
        grep -qF "$(cat "$root/htdocs/index.html")" "$dir/page" || fail "Chromium did not get the page"
        echo "ok: Chromium got the page"
    elif [[ -e $dir/firefox.log ]]; then
        [[ -s $dir/page.png ]] || fail "Firefox made no screenshot of the page"
        echo "ok: Firefox loaded the page (its screenshot is $(stat -c %s "$dir/page.png") bytes)"
    elif [[ -e $dir/soup.log ]]; then
        expect_eq "HTTP status (libsoup)" 200 "$(cat "$dir/status")"
        cmp -s "$dir/body" "$root/htdocs/index.html" || fail "libsoup's page body differs"
        echo "ok: libsoup got the page"
    else
        expect_eq "HTTP status" 200 "$(cat "$dir/curl.code")"
        cmp -s "$dir/body" "$root/htdocs/index.html" || fail "the page body differs"
        echo "ok: the page body is the document"
        expect_eq "requests curl sent" "$requests" "$(grep -c '^> GET ' "$dir/curl.log" || true)"
    fi
    line=$(head -n "$(cat "$dir/log.lines")" "$root/logs/access.log" | grep ' status=200 ' | tail -n 1)
    [[ -n $line ]] || fail "no 200 line in the access log"
    [[ $line == *"user=$user "* ]] || fail "the access log does not name $user: $line"
    [[ $line == *"mech=$mech "* ]] || fail "the access log does not give $mech: $line"
    echo "ok: access log: $user over $mech"
}

# wait_logged DIR COUNT: waits until httpd's access log has COUNT lines
# (httpd writes one after its response has gone out), then notes how many
# lines belong to runs up to DIR's.
wait_logged() {
    local dir=$1 count=$2 tries=0
    while [[ $(wc -l < "$root/logs/access.log" 2> /dev/null || echo 0) -lt $count ]] &&
        kill -0 "$HTTPD_PID" 2> /dev/null && ((tries++ < 200)); do
        sleep 0.05
    done
    wc -l < "$root/logs/access.log" > "$dir/log.lines"
}

# run_curl DIR NAME=VALUE...: curl once, then waits for httpd's access log
# to hold a line for each request sent in this test.
sent=0
run_curl() {
    local dir=$1
    shift
    mkdir -p "$dir"
    httpd_curl "$dir" localhost "$@"
    echo "$CURL_STATUS" > "$dir/client.status"
    sent=$((sent + $(grep -c '^> GET ' "$dir/curl.log" || true)))
    wait_logged "$dir" "$sent"
}

# run_soup DIR NAME=VALUE...: libsoup 3 (test/ad/soup_negotiate.py), with
# Negotiate trusted for this server only, then waits for its 401 and 200.
run_soup() {
    local dir=$1 status=0
    shift
    mkdir -p "$dir"
    env "$@" SOUP_GSSAPI_TRUSTED_URIS="http://localhost:$HTTPD_PORT" timeout 60 "$GSSNEG_PYTHON" \
        "$AD_TEST_HERE/soup_negotiate.py" "http://localhost:$HTTPD_PORT/index.html" "$dir" \
        > "$dir/soup.log" 2>&1 || status=$?
    echo "$status" > "$dir/client.status"
    sent=$((sent + 2))
    wait_logged "$dir" "$sent"
}

# run_firefox DIR NAME=VALUE...: Firefox headless loads the page once
# (--screenshot: it exits once the page has loaded) in a new profile that
# trusts this server for Negotiate, as an administrator's policy would
# (network.negotiate-auth.trusted-uris; localhost is not a fully qualified
# name, hence allow-non-fqdn). Firefox may ask for more than the page (its
# icon), so this waits for the page's 200 and then takes the log as it is.
run_firefox() {
    local dir=$1 status=0 before tries=0
    shift
    mkdir -p "$dir/profile"
    cat > "$dir/profile/user.js" <<PREFS
user_pref("network.negotiate-auth.trusted-uris", "http://localhost");
user_pref("network.negotiate-auth.allow-non-fqdn", true);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("toolkit.telemetry.enabled", false);
PREFS
    before=$(wc -l < "$root/logs/access.log")
    env "$@" HOME="$dir" timeout 90 "$FIREFOX" --headless --no-remote --profile "$dir/profile" \
        --screenshot "$dir/page.png" "http://localhost:$HTTPD_PORT/index.html" > "$dir/firefox.log" 2>&1 || status=$?
    echo "$status" > "$dir/client.status"
    while ! tail -n "+$((before + 1))" "$root/logs/access.log" | grep -q ' status=200 .*"GET /index.html' &&
        kill -0 "$HTTPD_PID" 2> /dev/null && ((tries++ < 100)); do
        sleep 0.05
    done
    sleep 0.2
    sent=$(wc -l < "$root/logs/access.log")
    wc -l < "$root/logs/access.log" > "$dir/log.lines"
}

# run_chromium DIR NAME=VALUE...: Chromium headless once for the page (a
# profile seeded as one that has seen a Negotiate challenge, which Chromium
# on Linux needs before it loads libgssapi_krb5; see
# test/kdc/http_clients.sh), then waits for its 401 and its 200 in the
# access log.
run_chromium() {
    local dir=$1 status=0
    shift
    mkdir -p "$dir/profile"
    printf '{"net": {"received_http_auth_negotiate_headers": true}}\n' > "$dir/profile/Local State"
    env "$@" timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
        --no-default-browser-check --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --no-proxy-server --user-data-dir="$dir/profile" \
        --auth-server-allowlist=localhost --disable-auth-negotiate-cname-lookup --virtual-time-budget=10000 \
        --dump-dom "http://localhost:$HTTPD_PORT/index.html" > "$dir/page" 2> "$dir/chromium.log" || status=$?
    echo "$status" > "$dir/client.status"
    sent=$((sent + 2))
    wait_logged "$dir" "$sent"
}

# both_stacks NAME RUN_FUNCTION (ntlm-sso): the client once with our
# interposer (its trace in $TEST_DIR/NAME-ours.trace, which must show
# winbindd's cached credentials) and once with the reference, each checked
# as a run.
both_stacks() {
    local name=$1 runner=$2
    "$runner" "$TEST_DIR/$name-ours" "${sso_env[@]}" GSS_MECH_CONFIG="$GSSNEG_BUILD_MECH" \
        GSS_NEGOTIATE_TRACE="$TEST_DIR/$name-ours.trace"
    runs+=("$TEST_DIR/$name-ours $ntlm_user Negotiate/NTLM 2")
    sso_traces+=("$TEST_DIR/$name-ours.trace")
    if [[ $use_ref -eq 1 ]]; then
        "$runner" "$TEST_DIR/$name-ref" "${sso_env[@]}" GSS_MECH_CONFIG="$ref_mech"
        runs+=("$TEST_DIR/$name-ref $ntlm_user Negotiate/NTLM 2")
    fi
}

# client_missing WHY: a failure under CI=true, else a note that one client
# is left out.
client_missing() {
    [[ ${CI:-} == true ]] && fail "$1"
    echo "SKIP (one client): $1"
}

runs=()
sso_traces=()
client_env=(GSS_MECH_CONFIG="$GSSNEG_BUILD_MECH" NTLM_USER_FILE="$TEST_DIR/no-user-file")
ntlm_user="$GSSNEG_AD_DOMAIN\\\\$GSSNEG_AD_ALICE"  # httpd's log escapes the backslash
case $case_name in
    krb5)
        dc_kinit "$GSSNEG_AD_ALICE"
        run_curl "$TEST_DIR/curl" "${client_env[@]}"
        runs=("$TEST_DIR/curl $GSSNEG_AD_ALICE@$GSSNEG_AD_REALM Negotiate/krb5 1")
        ;;
    ntlm)
        echo "$GSSNEG_AD_DOMAIN:$GSSNEG_AD_ALICE:$GSSNEG_AD_ALICE_PASSWORD" > "$TEST_DIR/users"
        run_curl "$TEST_DIR/curl" "${client_env[@]}" KRB5CCNAME="FILE:$TEST_DIR/no-ccache" \
            NTLM_USER_FILE="$TEST_DIR/users" NTLMUSER="$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_ALICE"
        runs=("$TEST_DIR/curl $ntlm_user Negotiate/NTLM 2")
        ;;
    ntlm-sso)
        use_ref=1
        ref_mech=${GSSNEG_REF_MECH:?GSSNEG_REF_MECH must name test/interop/gss-ntlmssp.mech}
        ref_module=$(awk '!/^#/ && NF { m = $3 } END { print m }' "$ref_mech")
        if [[ ! -r $ref_module ]]; then
            [[ ${CI:-} == true ]] && fail "gss-ntlmssp is not installed ($ref_module is missing)"
            echo "SKIP (reference only): gss-ntlmssp is not installed ($ref_module is missing)"
            use_ref=0
        fi
        dc_winbind wbinfo --ccache-save="$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_ALICE%$GSSNEG_AD_ALICE_PASSWORD" ||
            fail "wbinfo --ccache-save could not store alice's password in winbindd"
        # No password anywhere: no user file, no ticket; USER names the
        # logged-on user, and nss_wrapper lets libwbclient reach winbindd.
        sso_env=(-u NTLM_USER_FILE -u NTLMUSER USER="$GSSNEG_AD_ALICE" KRB5CCNAME="FILE:$TEST_DIR/no-ccache"
            LD_PRELOAD="$GSSNEG_AD_NSS_WRAPPER")
        both_stacks curl run_curl
        if "$GSSNEG_PYTHON" -c 'import gi; gi.require_version("Soup", "3.0")' 2> /dev/null; then
            both_stacks libsoup run_soup
        else
            client_missing "libsoup 3's GObject bindings are missing (packages python3-gi, gir1.2-soup-3.0)"
        fi
        FIREFOX=${GSSNEG_FIREFOX:-/usr/bin/firefox-esr}
        if [[ -x $FIREFOX ]]; then
            both_stacks firefox run_firefox
        else
            client_missing "Firefox is not installed ($FIREFOX)"
        fi
        CHROMIUM=${GSSNEG_CHROMIUM:-/usr/bin/chromium}
        if [[ -x $CHROMIUM ]]; then
            both_stacks chromium run_chromium
        else
            client_missing "Chromium is not installed ($CHROMIUM)"
        fi
        ;;
esac
httpd_stop_after /dev/null "$root"
forget_test_pid "$HTTPD_PID"
for run in "${runs[@]}"; do
    read -r dir _ <<< "$run"
    echo "==== $(basename "$dir")"
    if [[ -e $dir/soup.log ]]; then
        cat "$dir/soup.log"
    elif [[ -e $dir/firefox.log ]]; then
        grep -vE 'dbus|^$' "$dir/firefox.log" | tail -n 10 || true
    elif [[ -e $dir/chromium.log ]]; then
        echo "---- page ----"
        cat "$dir/page"
        echo "---- chromium's stderr (last lines) ----"
        grep -v dbus "$dir/chromium.log" | tail -n 15 || true
    else
        httpd_show "$dir/curl.log" "$root"
    fi
done
echo "---- access.log ----"
cat "$root/logs/access.log"
echo "---- httpd trace ----"
grep -E 'spnego: acceptor chooses|negotiate: acceptor established|backend|winbind' "$server_trace" || true
echo "----"

for run in "${runs[@]}"; do
    read -r dir user mech requests <<< "$run"
    echo "== $(basename "$dir")"
    check_request "$dir" "$user" "$mech" "$requests"
done
if [[ $case_name != krb5 ]]; then
    grep -q "acceptor: the winbind backend checked the logon" "$server_trace" ||
        fail "httpd's trace does not show the winbind backend checking the logon"
    grep -q "winbind: the domain authenticated $GSSNEG_AD_DOMAIN\\\\$GSSNEG_AD_ALICE (" "$server_trace" ||
        fail "httpd's trace does not show the domain authenticating alice"
    echo "ok: the DC validated the NTLM logon through winbindd"
fi
if [[ $case_name == ntlm-sso ]]; then
    for trace in "${sso_traces[@]}"; do
        grep -q "from winbindd's cached credentials of $GSSNEG_AD_DOMAIN\\\\$GSSNEG_AD_ALICE" "$trace" ||
            fail "$trace does not show winbindd answering with alice's cached credentials"
        echo "ok: $(basename "$trace" .trace) signed on with the credentials winbindd keeps"
    done
fi
echo "PASS: HTTP Negotiate in the domain ($case_name)"
