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
