#!/usr/bin/env bash
# NTLM validated by the domain controller through winbindd, with our
# acceptor's winbind backend alone (no user file). One DC for all cases:
#
#   ours, ntlm-auth, errors, negotiate, ntlmv1   ntlm_winbind.py's cases
#                 (see there); ntlmv1 with LM_COMPAT_LEVEL=1
#   sso           ntlm_winbind.py's case, after wbinfo --ccache-save has
#                 put alice's password in winbindd's memory
#   threads       gssneg-bench: 8 threads, each with its own contexts, run
#                 full NTLM handshakes through winbindd at once; every one
#                 must complete
#   no-privilege  ntlm_winbind.py as nobody, with copies of the module and
#                 scripts it can read: winbindd answers on its public pipe
#                 but not on the privileged one; bob's password, which
#                 nobody stores in winbindd, signs nobody on
#   unavailable   after dc_stop: winbindd cannot be reached
#
# Environment (from meson): GSSNEG_BUILD_MECH, GSSNEG_BENCH.
source "$(dirname "$0")/common.sh"

[[ -n ${GSSNEG_BUILD_MECH:-} && -f $GSSNEG_BUILD_MECH ]] || fail "GSSNEG_BUILD_MECH must name the build tree's conf/mech"
[[ -n ${GSSNEG_BENCH:-} && -x $GSSNEG_BENCH ]] || fail "GSSNEG_BENCH must name gssneg-bench"
"$GSSNEG_PYTHON" -c 'import gssapi' 2> /dev/null || skip "python3-gssapi is missing for $GSSNEG_PYTHON"
command -v ntlm_auth > /dev/null || skip "ntlm_auth is missing (package winbind)"

dc_start "$TEST_DIR/dc"
echo "samba pid $GSSNEG_AD_PID, dir $GSSNEG_AD_DIR"
out=$TEST_DIR/out

run_case() {
    echo "== $1"
    dc_winbind "$GSSNEG_PYTHON" "$AD_TEST_HERE/ntlm_winbind.py" "$1" || fail "case $1"
}

for c in ours ntlm-auth errors negotiate; do
    run_case "$c"
done
echo "== ntlmv1"
LM_COMPAT_LEVEL=1 GSS_NEGOTIATE_TRACE=$TEST_DIR/ntlmv1.trace dc_winbind "$GSSNEG_PYTHON" "$AD_TEST_HERE/ntlm_winbind.py" ntlmv1 ||
    fail "case ntlmv1"

echo "== sso"
dc_winbind wbinfo --ccache-save="$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_ALICE%$GSSNEG_AD_ALICE_PASSWORD" ||
    fail "wbinfo --ccache-save could not store alice's password in winbindd"
GSS_NEGOTIATE_TRACE=$TEST_DIR/sso.trace dc_winbind "$GSSNEG_PYTHON" "$AD_TEST_HERE/ntlm_winbind.py" sso ||
    fail "case sso"

echo "== threads"
threads=8
per_thread=25
rc=0
GSS_MECH_CONFIG=$GSSNEG_BUILD_MECH GSS_NEGOTIATE_NTLM_BACKENDS=winbind dc_winbind env -u NTLM_USER_FILE \
    "$GSSNEG_BENCH" --mech ntlm --mode handshake \
    --threads "$threads" --count "$per_thread" --warmup 0 --user "$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_ALICE" \
    --password "$GSSNEG_AD_ALICE_PASSWORD" > "$out" 2>&1 || rc=$?
cat "$out"
[[ $rc -eq 0 ]] || fail "gssneg-bench failed with $threads threads (exit status $rc)"
expect_line "$out" "handshake_count: $((threads * per_thread)) handshakes"
expect_eq "per-thread rates" "$threads" "$(grep -c '^handshake_rate_thread_[0-9]*: ' "$out")"
echo "ok: $((threads * per_thread)) handshakes through winbindd on $threads threads, none failed"

echo "== no-privilege"
# nobody reaches the public pipe (the path to it opened for traversal) but
# not winbindd_privileged (root:root 0750, as winbindd makes it).
nobody_dir=$TEST_DIR/nobody
mkdir -p "$nobody_dir"
module=$(awk '$2 == "1.3.6.1.4.1.311.2.2.10" { print $3 }' "$GSSNEG_BUILD_MECH")
cp "$module" "$nobody_dir/gss-negotiate.so"
echo "gss-negotiate-ntlm 1.3.6.1.4.1.311.2.2.10 $nobody_dir/gss-negotiate.so" > "$nobody_dir/mech"
cp "$AD_TEST_HERE/ntlm_winbind.py" "$nobody_dir/"
mkdir -p "$nobody_dir/../interop" "$nobody_dir/../lib"
cp "$AD_TEST_HERE/../interop/ntlm_auth_common.py" "$nobody_dir/../interop/"
cp "$AD_TEST_HERE/../lib/wire.py" "$nobody_dir/../lib/"
chmod -R a+rX "$nobody_dir" "$TEST_DIR/interop" "$TEST_DIR/lib"
chmod a+x "$TEST_DIR" "$GSSNEG_AD_DIR"
chmod a+r "$NSS_WRAPPER_PASSWD" "$NSS_WRAPPER_GROUP"
dc_winbind setpriv --reuid=nobody --regid=nogroup --clear-groups \
    wbinfo --ccache-save="$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_BOB%$GSSNEG_AD_BOB_PASSWORD" ||
    fail "nobody could not store bob's password in winbindd"
rc=0
GSSNEG_BUILD_MECH=$nobody_dir/mech HOME=$nobody_dir dc_winbind setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$GSSNEG_PYTHON" "$nobody_dir/ntlm_winbind.py" no-privilege || rc=$?
[[ $rc -eq 0 ]] || fail "case no-privilege"

dc_stop
run_case unavailable
echo "PASS: NTLM through winbind"
