#!/usr/bin/env bash
# Starting and stopping the KDC: nothing is left running.
#
#   lifecycle.sh CASE
#     stop         kdc_stop: the pid is gone, the port is closed, kinit now
#                  fails with "Cannot contact any KDC"; a second kdc_stop is
#                  harmless
#     unreachable  kdc_write_unreachable_conf: kinit through it fails while
#                  the harness's own profile still works
#     exit-trap    a script that starts a KDC and exits without kdc_stop:
#                  the EXIT trap kdc_start added stops it
#     term         a script with an EXIT trap of its own, killed with SIGTERM
#                  while its KDC runs: both its trap and kdc_stop run
#     exit-status  a script with an EXIT trap of its own that exits with the
#                  status it finds (as common.sh's cleanup does) and exits 3
#                  while its KDC runs: its trap sees 3, not kdc_stop's 0
#     cycles       three start+stop cycles in one shell; prints the time each
#                  start and stop took (printed only, never asserted)
source "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1
CANNOT_CONTACT="kinit: Cannot contact any KDC for realm '$GSSNEG_REALM' while getting initial credentials"

# expect_gone PID: no process PID, or at least not a krb5kdc (pid reuse).
expect_gone() {
    local pid=$1
    if [[ -e /proc/$pid ]] && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == krb5kdc ]]; then
        fail "krb5kdc $pid is still running"
    fi
    echo "ok: krb5kdc $pid is gone"
}

# expect_port_closed PORT: nothing listens on 127.0.0.1:PORT (UDP or TCP).
expect_port_closed() {
    command -v ss > /dev/null || return 0
    expect_eq "UDP sockets on port $1" "" "$(ss -Hlnu "sport = :$1")"
    expect_eq "TCP sockets on port $1" "" "$(ss -Hlnt "sport = :$1")"
}

# run_child NAME SCRIPT: runs SCRIPT in a new bash that sources kdc.sh;
# sets CHILD_PID (the child writes its KDC's pid to $TEST_DIR/NAME.kdcpid).
run_child() {
    local name=$1 script=$2
    bash -c "set -euo pipefail; source '$KDC_TEST_HERE/kdc.sh'; $script" \
        > "$TEST_DIR/$name.out" 2>&1 &
    CHILD_PID=$!
    TEST_PIDS+=("$CHILD_PID")
}

# stop_leftover PID: if the child's KDC survived (a failing test), stop it;
# it is ours (started by our child), and only a krb5kdc is signalled.
# Returns the status it was called with: it runs in the EXIT trap before
# kdc_test_cleanup, which exits with the status it finds.
stop_leftover() {
    local status=$?
    if [[ $(cat "/proc/$1/comm" 2>/dev/null) == krb5kdc ]]; then
        kill "$1" 2>/dev/null || true
    fi
    return "$status"
}

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

case $case_name in
    stop)
        kdc_start "$TEST_DIR/kdc"
        pid=$GSSNEG_KDC_PID port=$GSSNEG_KDC_PORT
        expect_eq "the pid's program" krb5kdc "$(cat "/proc/$pid/comm")"
        kdc_kinit alice
        kdestroy
        kdc_stop
        expect_eq "GSSNEG_KDC_PID after kdc_stop" "" "$GSSNEG_KDC_PID"
        expect_gone "$pid"
        expect_port_closed "$port"
        expect_line "$GSSNEG_KDC_DIR/env.sh" "GSSNEG_KDC_PID="
        rc=0
        kdc_kinit alice 2> "$TEST_DIR/kinit.err" || rc=$?
        expect_eq "kinit exit status without a KDC" 1 "$rc"
        expect_line "$TEST_DIR/kinit.err" "$CANNOT_CONTACT"
        kdc_stop
        echo "ok: a second kdc_stop is harmless"
        ;;
    unreachable)
        kdc_start "$TEST_DIR/kdc"
        kdc_write_unreachable_conf "$TEST_DIR/unreachable.conf"
        port=$(sed -n 's/^ *kdc = 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TEST_DIR/unreachable.conf")
        [[ -n $port && $port != "$GSSNEG_KDC_PORT" ]] || fail "unreachable.conf names port '$port'"
        echo "ok: unreachable.conf names 127.0.0.1:$port"
        expect_port_closed "$port"
        rc=0
        KRB5_CONFIG=$TEST_DIR/unreachable.conf kdc_kinit alice 2> "$TEST_DIR/kinit.err" || rc=$?
        expect_eq "kinit exit status through unreachable.conf" 1 "$rc"
        expect_line "$TEST_DIR/kinit.err" "$CANNOT_CONTACT"
        kdc_kinit alice
        echo "ok: the harness's own profile still works"
        ;;
    exit-trap)
        run_child exit-trap "kdc_start '$TEST_DIR/child'; echo \$GSSNEG_KDC_PID > '$TEST_DIR/exit-trap.kdcpid'; kdc_kinit alice; exit 0"
        rc=0
        wait "$CHILD_PID" || rc=$?
        forget_test_pid "$CHILD_PID"
        cat "$TEST_DIR/exit-trap.out"
        expect_eq "child exit status" 0 "$rc"
        pid=$(< "$TEST_DIR/exit-trap.kdcpid")
        stop_leftover_pid=$pid
        trap 'stop_leftover "$stop_leftover_pid"; kdc_test_cleanup' EXIT
        expect_gone "$pid"
        ;;
    term)
        run_child term "trap 'echo caller-trap-ran > \"$TEST_DIR/term.marker\"' EXIT
kdc_start '$TEST_DIR/child'
echo \$GSSNEG_KDC_PID > '$TEST_DIR/term.kdcpid.tmp'
mv '$TEST_DIR/term.kdcpid.tmp' '$TEST_DIR/term.kdcpid'
while :; do sleep 0.05; done"
        # Readiness wait for the child's KDC (not an assertion on time).
        while [[ ! -s $TEST_DIR/term.kdcpid ]]; do
            kill -0 "$CHILD_PID" 2>/dev/null || { cat "$TEST_DIR/term.out"; fail "child exited early"; }
            sleep 0.05
        done
        pid=$(< "$TEST_DIR/term.kdcpid")
        stop_leftover_pid=$pid
        trap 'stop_leftover "$stop_leftover_pid"; kdc_test_cleanup' EXIT
        expect_eq "the child's KDC runs" krb5kdc "$(cat "/proc/$pid/comm")"
        kill -TERM "$CHILD_PID"
        rc=0
        wait "$CHILD_PID" || rc=$?
        forget_test_pid "$CHILD_PID"
        cat "$TEST_DIR/term.out"
        expect_eq "child exit status after SIGTERM" 143 "$rc"
        expect_gone "$pid"
        expect_eq "the caller's own EXIT trap" caller-trap-ran "$(cat "$TEST_DIR/term.marker" 2>/dev/null)"
        ;;
    exit-status)
        run_child exit-status "trap 'status=\$?; echo \"caller trap saw \$status\" > \"$TEST_DIR/exit-status.marker\"; exit \$status' EXIT
kdc_start '$TEST_DIR/child'
echo \$GSSNEG_KDC_PID > '$TEST_DIR/exit-status.kdcpid'
exit 3"
        rc=0
        wait "$CHILD_PID" || rc=$?
        forget_test_pid "$CHILD_PID"
        cat "$TEST_DIR/exit-status.out"
        pid=$(< "$TEST_DIR/exit-status.kdcpid")
        stop_leftover_pid=$pid
        trap 'stop_leftover "$stop_leftover_pid"; kdc_test_cleanup' EXIT
        expect_eq "the caller's EXIT trap" "caller trap saw 3" "$(cat "$TEST_DIR/exit-status.marker" 2>/dev/null)"
        expect_eq "child exit status" 3 "$rc"
        expect_gone "$pid"
        ;;
    cycles)
        for cycle in 1 2 3; do
            t0=$(now_ms)
            kdc_start "$TEST_DIR/kdc$cycle"
            t1=$(now_ms)
            pid=$GSSNEG_KDC_PID
            kdc_kinit alice
            t2=$(now_ms)
            kdc_stop
            t3=$(now_ms)
            expect_gone "$pid"
            echo "cycle $cycle: kdc_start $((t1 - t0)) ms (realm, principals, keytabs, krb5kdc up), kdc_kinit $((t2 - t1)) ms, kdc_stop $((t3 - t2)) ms"
        done
        ;;
    *) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
