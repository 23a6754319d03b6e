# shellcheck shell=bash
# Helpers for the tests that run the AD domain controller (dc.sh); sourced,
# not run. Each test gets its own short temporary directory; the DC it
# starts there is stopped (by pid) and the directory removed when the test
# exits, and the test fails if any of the DC's processes is left.
set -euo pipefail

AD_TEST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$AD_TEST_HERE/../lib/expect.sh"
source "$AD_TEST_HERE/dc.sh"

if reason=$(dc_missing); then
    skip "$reason"
fi

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-ad.XXXXXX")
TEST_PIDS=()

ad_test_cleanup() {
    local status=$? pid p
    for pid in "${TEST_PIDS[@]}"; do
        kill "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    done
    dc_stop
    # dc_stop leaves the processes it collected in DC_PROCESSES.
    for p in "${DC_PROCESSES[@]}"; do
        if dc_alive "$p"; then
            echo "FAIL: the DC's process ${p%%:*} still runs after dc_stop"
            status=1
        fi
    done
    if [[ ${GSSNEG_KEEP_TMP:-0} == 1 ]]; then
        echo "kept $TEST_DIR"
    else
        rm -rf "$TEST_DIR"
    fi
    exit "$status"
}
trap ad_test_cleanup EXIT

# No GSS plugin module unless a test names one.
: > "$TEST_DIR/no-plugins.mech"
export GSS_MECH_CONFIG=$TEST_DIR/no-plugins.mech

forget_test_pid() {
    local keep=() pid
    for pid in "${TEST_PIDS[@]}"; do
        [[ $pid == "$1" ]] || keep+=("$pid")
    done
    TEST_PIDS=("${keep[@]}")
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# expect_dc_gone PROCS...: none of the DC's processes (PID:STARTTIME, as
# dc_processes lists them) runs, and its fixed ports are closed.
expect_dc_gone() {
    local p port
    for p in "$@"; do
        dc_alive "$p" && fail "the DC's process ${p%%:*} ($(cat "/proc/${p%%:*}/comm" 2>/dev/null)) still runs"
    done
    echo "ok: all $# processes of the DC are gone"
    for port in 88 389 445; do
        dc_port_open "$port" && fail "127.0.0.1:$port still accepts connections"
    done
    echo "ok: ports 88, 389 and 445 are closed"
}
