# shellcheck shell=bash
# Helpers for the tests of the KDC harness itself; sourced, not run.
# Each test gets its own temporary directory and its own KDC, both removed
# and stopped (by pid) when the test exits.
set -euo pipefail

KDC_TEST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$KDC_TEST_HERE/../lib/expect.sh"
source "$KDC_TEST_HERE/kdc.sh"

for tool in krb5kdc kdb5_util kadmin.local kinit klist "$GSSNEG_PYTHON"; do
    command -v "$tool" > /dev/null || skip "$tool is missing (tools/install-deps)"
done

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-kdc-test.XXXXXX")
TEST_PIDS=()

kdc_test_cleanup() {
    local pid status=$? kdc_pid=${GSSNEG_KDC_PID:-}
    for pid in "${TEST_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    kdc_stop
    # Every test also checks that its KDC is gone at the end.
    if [[ -n $kdc_pid && $(cat "/proc/$kdc_pid/comm" 2>/dev/null) == krb5kdc ]]; then
        echo "FAIL: krb5kdc $kdc_pid still runs after kdc_stop"
        status=1
    fi
    if [[ ${GSSNEG_KEEP_TMP:-0} == 1 ]]; then
        echo "kept $TEST_DIR"
    else
        rm -rf "$TEST_DIR"
    fi
    exit "$status"
}
trap kdc_test_cleanup EXIT

# No GSS plugin module: the mechglue sees only its built-in mechanisms
# (krb5, IAKERB, SPNEGO), whatever /etc/gss/mech.d holds.
: > "$TEST_DIR/no-plugins.mech"
export GSS_MECH_CONFIG=$TEST_DIR/no-plugins.mech

forget_test_pid() {
    local keep=() pid
    for pid in "${TEST_PIDS[@]}"; do
        [[ $pid == "$1" ]] || keep+=("$pid")
    done
    TEST_PIDS=("${keep[@]}")
}
