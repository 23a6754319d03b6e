# shellcheck shell=bash
# Helpers for the tests of the KDC harness itself; sourced, not run.
# Each test gets its own temporary directory and its own KDC, both removed
# and stopped (by pid) when the test exits.
set -euo pipefail

KDC_TEST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$KDC_TEST_HERE/../lib/expect.sh"
source "$KDC_TEST_HERE/../lib/test_dir.sh"
source "$KDC_TEST_HERE/kdc.sh"

for tool in krb5kdc kdb5_util kadmin.local kinit klist "$GSSNEG_PYTHON"; do
    command -v "$tool" > /dev/null || skip "$tool is missing (tools/install-deps)"
done

test_dir_init gssneg-kdc-test

kdc_test_cleanup() {
    local status=$? kdc_pid=${GSSNEG_KDC_PID:-}
    stop_test_pids
    kdc_stop
    # Every test also checks that its KDC is gone at the end.
    if [[ -n $kdc_pid && $(cat "/proc/$kdc_pid/comm" 2>/dev/null) == krb5kdc ]]; then
        echo "FAIL: krb5kdc $kdc_pid still runs after kdc_stop"
        status=1
    fi
    finish_test_dir "$status"
}
trap kdc_test_cleanup EXIT

