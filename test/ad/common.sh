# shellcheck shell=bash
# Helpers for the tests that run the AD domain controller (dc.sh); sourced,
# not run. Each test gets its own short temporary directory; the DC it
# starts there is stopped (by pid) and the directory removed when the test
# exits, and the test fails if any of the DC's processes is left.
set -euo pipefail

AD_TEST_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$AD_TEST_HERE/../lib/expect.sh"
source "$AD_TEST_HERE/../lib/test_dir.sh"
source "$AD_TEST_HERE/dc.sh"

if reason=$(dc_missing); then
    skip "$reason"
fi

test_dir_init gssneg-ad

ad_test_cleanup() {
    local status=$? p
    stop_test_pids
    dc_stop
    # dc_stop leaves the processes it collected in DC_PROCESSES.
    for p in "${DC_PROCESSES[@]}"; do
        if dc_alive "$p"; then
            echo "FAIL: the DC's process ${p%%:*} still runs after dc_stop"
            status=1
        fi
    done
    finish_test_dir "$status"
}
trap ad_test_cleanup EXIT

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
