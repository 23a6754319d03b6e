# shellcheck shell=bash
# Helpers for the tests that run real applications over our Negotiate
# interposer (gss_samples_negotiate.sh, http_kerberos.sh); sourced after
# common.sh, not run.
#
# Environment (meson sets both):
#   GSSNEG_BUILD_MECH       the build tree's conf/mech: the NTLM line and the
#                           <interposer> line, so SPNEGO requests reach our
#                           Negotiate ("ours")
#   GSSNEG_BUILD_MECH_NTLM  conf/mech-ntlm: the NTLM line alone, MIT's built-in
#                           SPNEGO in charge ("ref", the reference peer)
# Every process gets GSS_NEGOTIATE_TRACE; the trace says which SPNEGO ran.

OURS_MECH=${GSSNEG_BUILD_MECH:?GSSNEG_BUILD_MECH must name the build tree conf/mech}
REF_MECH=${GSSNEG_BUILD_MECH_NTLM:?GSSNEG_BUILD_MECH_NTLM must name the build tree conf/mech-ntlm}
[[ -r $OURS_MECH ]] || fail "$OURS_MECH is missing"
[[ -r $REF_MECH ]] || fail "$REF_MECH is missing"
grep -q '<interposer>$' "$OURS_MECH" || fail "$OURS_MECH has no <interposer> line"
if grep -q '<interposer>' "$REF_MECH"; then
    fail "$REF_MECH must not have an <interposer> line"
fi

# shellcheck disable=SC2034 # used by the scripts that source this file
KRB5_OID=1.2.840.113554.1.2.2
# shellcheck disable=SC2034
MS_KRB5_OID=1.2.840.48018.1.2.2
# shellcheck disable=SC2034
NTLM_OID=1.3.6.1.4.1.311.2.2.10
NTLM_DOMAIN=TESTDOM
NTLM_USER=alice
NTLM_PASSWORD='Passw0rd-for-alice'

# mech_file_of ours|ref
mech_file_of() {
    case $1 in
        ours) echo "$OURS_MECH" ;;
        ref) echo "$REF_MECH" ;;
        *) fail "unknown side $1" ;;
    esac
}

# write_ntlm_users FILE: the NTLM user database (DOMAIN:user:password) that
# acceptors check against and initiators take alice's password from.
write_ntlm_users() {
    printf '%s:%s:%s\n' "$NTLM_DOMAIN" "$NTLM_USER" "$NTLM_PASSWORD" > "$1"
    printf '%s:%s:%s\n' "$NTLM_DOMAIN" bob 'bobs-other-password' >> "$1"
}

# trace_events FILE: the trace's "component: message" parts, without the
# "gss-negotiate[pid] HH:MM:SS.mmm " prefix.
trace_events() {
    sed -E 's/^gss-negotiate\[[0-9]+\] [0-9:.]+ //' "$1"
}

# expect_event TRACE LINE: the trace has exactly this event.
expect_event() {
    if ! trace_events "$1" | grep -qxF -- "$2"; then
        echo "---- $(basename "$1") ----"
        cat "$1"
        fail "$(basename "$1") lacks the event: $2"
    fi
    echo "ok: $(basename "$1") has: $2"
}

# expect_event_prefix TRACE PREFIX: some event starts with PREFIX.
# (Plain bash: under tools/run-tests' ASan stage every child has libasan
# preloaded, and mawk's index() reads past its buffers there.)
expect_event_prefix() {
    local event
    while IFS= read -r event; do
        if [[ $event == "$2"* ]]; then
            echo "ok: $(basename "$1") has an event starting: $2"
            return 0
        fi
    done < <(trace_events "$1")
    cat "$1"
    fail "$(basename "$1") has no event starting: $2"
}

# expect_event_count TRACE LINE N: the event occurs exactly N times.
expect_event_count() {
    local n
    n=$(trace_events "$1" | grep -cxF -- "$2" || true)
    [[ $n == "$3" ]] || { cat "$1"; fail "$(basename "$1"): '$2' occurs $n times, expected $3"; }
    echo "ok: $(basename "$1") has '$2' $3 time(s)"
}

# expect_reference_side TRACE: MIT's built-in SPNEGO ran in that process; our
# module was loaded (for its NTLM line) but its negotiator never ran.
expect_reference_side() {
    if trace_events "$1" | grep -qE '^(spnego|negotiate): '; then
        cat "$1"
        fail "$(basename "$1"): our negotiator ran on the reference side"
    fi
    echo "ok: $(basename "$1") has no spnego:/negotiate: event (MIT's SPNEGO ran there)"
}

# describe_legs INPUT: the SPNEGO legs of INPUT ("label hex" lines), one
# "label size description" line each, by negotiate_tokens.py.
describe_legs() {
    "$GSSNEG_PYTHON" "$KDC_TEST_HERE/negotiate_tokens.py" < "$1" || fail "a token is not SPNEGO"
}

# expect_legs DESCRIBED EXPECTED...: the described legs, sizes left out, are
# exactly EXPECTED (one "label description" argument per leg, in order).
expect_legs() {
    local described=$1 actual expected
    shift
    actual=$(cut -d' ' -f1,3- "$described")
    expected=$(printf '%s\n' "$@")
    if [[ $actual != "$expected" ]]; then
        echo "---- expected legs ----"
        echo "$expected"
        echo "---- actual legs ----"
        echo "$actual"
        fail "the SPNEGO legs differ"
    fi
    echo "ok: $# SPNEGO legs as expected"
}

# use_stack ours|ref: sets STACK_MECH for the tests whose "ref" is another
# implementation altogether on both sides: "ours" is conf/mech, "ref" MIT's
# SPNEGO over gss-ntlmssp (GSSNEG_REF_MECH, test/interop/gss-ntlmssp.mech).
# Skips when gss-ntlmssp is not installed (a failure under CI=true).
use_stack() {
    case $1 in
        ours) STACK_MECH=$OURS_MECH ;;
        ref)
            STACK_MECH=${GSSNEG_REF_MECH:?GSSNEG_REF_MECH must name test/interop/gss-ntlmssp.mech}
            [[ -r $STACK_MECH ]] || fail "$STACK_MECH is missing"
            local module
            module=$(awk '!/^#/ && NF { m = $3 } END { print m }' "$STACK_MECH")
            [[ -r $module ]] || skip "gss-ntlmssp is not installed ($module is missing)"
            ;;
        *) fail "unknown stack $1" ;;
    esac
}

# negotiate_httpd_start ROOT MECH_FILE KEYTAB AUTH_NAME: a private httpd
# (test/lib/httpd.sh) in ROOT with mod_auth_gssapi for HTTP@localhost,
# Kerberos and NTLM allowed, the context bound to the connection, and the
# credential store's keytab KEYTAB: http.keytab (HTTP/localhost's key,
# written here) or any other name for a server without a Kerberos key.
# httpd runs with MECH_FILE, its trace in ROOT/logs/server.trace and the
# NTLM user file ROOT/ntlm-users, krb5's other default files pointing at
# missing ones, so that the credential store must travel through the
# SPNEGO layer. Sets NEGOTIATE_HTTPD_USERS and NEGOTIATE_HTTPD_TRACE, and
# HTTPD_PID and HTTPD_PORT (httpd_start); the pid joins TEST_PIDS.
negotiate_httpd_start() {
    local root=$1 mech_file=$2 keytab=$3 auth_name=$4
    chmod 755 "$TEST_DIR"
    httpd_prepare "$root" "$GSSNEG_PYTHON"
    mkdir -p "$root/rcache"
    cp "$KRB5_CONFIG" "$root/krb5.conf"
    kdc_kadmin "ktadd -k $root/http.keytab -norandkey HTTP/localhost@$GSSNEG_REALM" > "$root/ktadd.out" 2>&1 ||
        { cat "$root/ktadd.out"; fail "could not write httpd's keytab"; }
    NEGOTIATE_HTTPD_USERS=$root/ntlm-users
    write_ntlm_users "$NEGOTIATE_HTTPD_USERS"
    NEGOTIATE_HTTPD_TRACE=$root/logs/server.trace
    : > "$NEGOTIATE_HTTPD_TRACE"
    chmod 644 "$root/krb5.conf" "$NEGOTIATE_HTTPD_USERS" "$NEGOTIATE_HTTPD_TRACE"
    if [[ $(id -u) -eq 0 ]]; then
        # httpd's children run as nobody (httpd_prepare).
        chown nobody "$root/rcache" "$root/http.keytab" "$NEGOTIATE_HTTPD_TRACE"
    fi
    httpd_write_conf "$root" localhost "    AuthName \"$auth_name\"
    GssapiCredStore keytab:$keytab
    GssapiAcceptorName HTTP@localhost
    GssapiConnectionBound On
    GssapiAllowedMech krb5
    GssapiAllowedMech ntlmssp"
    httpd_start TEST_PIDS "$root" "$GSSNEG_PYTHON" GSS_MECH_CONFIG="$mech_file" \
        GSS_NEGOTIATE_TRACE="$NEGOTIATE_HTTPD_TRACE" NTLM_USER_FILE="$NEGOTIATE_HTTPD_USERS" \
        KRB5_CONFIG="$root/krb5.conf" KRB5RCACHEDIR="$root/rcache" KRB5_KTNAME="FILE:$root/no-keytab" \
        KRB5CCNAME="FILE:$root/no-ccache" KRB5_CLIENT_KTNAME="FILE:$root/no-client-keytab"
}
