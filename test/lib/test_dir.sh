# shellcheck shell=bash
# The temporary directory and the background processes of one test, for
# the harnesses' common.sh (test/kdc, test/ad); sourced, never run.
#
#   test_dir_init PREFIX   makes TEST_DIR under ${TMPDIR:-/tmp}, empties
#                          TEST_PIDS, and points GSS_MECH_CONFIG at an empty
#                          mech file: the mechglue sees only its built-in
#                          mechanisms (krb5, IAKERB, SPNEGO), whatever
#                          /etc/gss/mech.d holds, unless a test names one
#   stop_test_pids         stops every pid in TEST_PIDS and reaps it
#   forget_test_pid PID    drops PID from TEST_PIDS (already stopped)
#   finish_test_dir STATUS removes TEST_DIR (GSSNEG_KEEP_TMP=1 keeps it)
#                          and exits with STATUS

test_dir_init() {
    TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/${1:?usage: test_dir_init PREFIX}.XXXXXX")
    TEST_PIDS=()
    : > "$TEST_DIR/no-plugins.mech"
    export GSS_MECH_CONFIG=$TEST_DIR/no-plugins.mech
}

stop_test_pids() {
    local pid
    for pid in "${TEST_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

forget_test_pid() {
    local keep=() pid
    for pid in "${TEST_PIDS[@]}"; do
        [[ $pid == "$1" ]] || keep+=("$pid")
    done
    TEST_PIDS=("${keep[@]}")
}

finish_test_dir() {
    if [[ ${GSSNEG_KEEP_TMP:-0} == 1 ]]; then
        echo "kept $TEST_DIR"
    else
        rm -rf "$TEST_DIR"
    fi
    exit "$1"
}
