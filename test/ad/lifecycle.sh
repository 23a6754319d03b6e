#!/usr/bin/env bash
# Starting and stopping the AD domain controller: what runs, where it
# listens, and that nothing is left running, whatever way the test ends.
# One provision in the test's directory; every case after the first
# restarts that domain (about a second instead of several).
#
#   lifecycle.sh
#     start-stop   dc_start: samba (in a session of its own) with smbd and
#                  winbindd; its sockets are on 127.0.0.1 only, 88 and 389
#                  over UDP and TCP, 445; dc_stop: every process gone, the
#                  ports closed, env.sh updated, kinit cannot reach a KDC; a
#                  second dc_stop is harmless; nothing written under
#                  Samba's system directories but the empty log files
#                  smbd and winbindd create at start-up (their logs go
#                  to the DC's own directory)
#     restart      dc_start on the provisioned directory: kinit and a winbind
#                  authentication work again
#     exit-status  a script with an EXIT trap of its own that exits with the
#                  status it finds exits 3 while its DC runs: its trap sees
#                  3, not dc_stop's 0, and the DC is gone
#     term         the same script killed with SIGTERM (meson's timeout):
#                  status 143, both traps ran, the DC is gone
#     kill         the same script killed with SIGKILL (no trap can run):
#                  samba sees the end of its standard input and stops, with
#                  all its processes
# Prints how long each start and stop took (never asserted).
source "$(dirname "$0")/common.sh"

DC_DIR=$TEST_DIR/dc
CANNOT_CONTACT="kinit: Cannot contact any KDC for realm '$GSSNEG_AD_REALM' while getting initial credentials"
timings=()

# listening PIDS...: "PROTO ADDRESS:PORT" of the listening sockets of PIDS.
listening() {
    local -A want=()
    local pid line proto local_addr
    for pid in "$@"; do want[$pid]=1; done
    ss -Hlntup | while read -r proto _ _ _ local_addr _ line; do
        while read -r pid; do
            if [[ -n ${want[$pid]:-} ]]; then
                echo "$proto $local_addr"
                break
            fi
        done < <(grep -o 'pid=[0-9]*' <<< "$line" | cut -d= -f2)
    done | sort -u
}

# run_child NAME SCRIPT: SCRIPT in a new bash that has sourced dc.sh and
# set an EXIT trap that records the status it sees in NAME.trap and exits
# with it; once its DC is ready the child writes the DC's processes to
# NAME.procs. Sets CHILD_PID.
run_child() {
    local name=$1 script=$2
    bash -c "set -euo pipefail
source '$AD_TEST_HERE/dc.sh'
trap 'status=\$?; echo \"trap saw \$status\" > \"$TEST_DIR/$name.trap\"; exit \$status' EXIT
dc_start '$DC_DIR'
dc_processes
printf '%s\n' \"\${DC_PROCESSES[@]}\" > '$TEST_DIR/$name.procs.tmp'
mv '$TEST_DIR/$name.procs.tmp' '$TEST_DIR/$name.procs'
$script" > "$TEST_DIR/$name.out" 2>&1 &
    CHILD_PID=$!
    TEST_PIDS+=("$CHILD_PID")
}

# wait_child_dc NAME: waits until the child wrote its DC's processes (a
# readiness wait, not an assertion on time); sets CHILD_PROCS.
wait_child_dc() {
    while [[ ! -s $TEST_DIR/$1.procs ]]; do
        kill -0 "$CHILD_PID" 2> /dev/null || { cat "$TEST_DIR/$1.out"; fail "$1: the child exited early"; }
        sleep 0.05
    done
    mapfile -t CHILD_PROCS < "$TEST_DIR/$1.procs"
}

# finish_child NAME EXPECTED_STATUS EXPECTED_TRAP_LINE
finish_child() {
    local rc=0
    wait "$CHILD_PID" || rc=$?
    forget_test_pid "$CHILD_PID"
    cat "$TEST_DIR/$1.out"
    expect_eq "$1: the child's exit status" "$2" "$rc"
    expect_eq "$1: the child's own EXIT trap" "$3" "$(cat "$TEST_DIR/$1.trap" 2> /dev/null)"
}

echo "== start-stop"
touch "$TEST_DIR/marker"
t0=$(now_ms)
dc_start "$DC_DIR"
t1=$(now_ms)
pid=$GSSNEG_AD_PID
echo "samba pid $pid, dir $GSSNEG_AD_DIR"
expect_eq "the started program" /usr/sbin/samba "$(readlink "/proc/$pid/exe")"
stat=$(< "/proc/$pid/stat")
read -r -a fields <<< "${stat##*) }"
expect_eq "samba's session" "$pid" "${fields[3]}"
expect_line "$DC_DIR/env.sh" "GSSNEG_AD_PID=$pid"
dc_processes
procs=("${DC_PROCESSES[@]}")
programs=$(for p in "${procs[@]}"; do readlink "/proc/${p%%:*}/exe" || true; done | sed 's,.*/,,' | sort -u | tr '\n' ' ')
expect_eq "the DC's programs" "samba smbd winbindd " "$programs"
listening "${procs[@]%%:*}" > "$TEST_DIR/listening"
cat "$TEST_DIR/listening"
for socket in "tcp 127.0.0.1:88" "udp 127.0.0.1:88" "tcp 127.0.0.1:389" "udp 127.0.0.1:389" "tcp 127.0.0.1:445"; do
    expect_line "$TEST_DIR/listening" "$socket"
done
expect_eq "sockets not on 127.0.0.1" "" "$(grep -v ' 127\.0\.0\.1:' "$TEST_DIR/listening" || true)"
t2=$(now_ms)
dc_stop
t3=$(now_ms)
expect_eq "GSSNEG_AD_PID after dc_stop" "" "$GSSNEG_AD_PID"
expect_dc_gone "${procs[@]}"
expect_line "$DC_DIR/env.sh" "GSSNEG_AD_PID="
rc=0
dc_kinit alice 2> "$TEST_DIR/kinit.err" || rc=$?
expect_eq "kinit exit status without the DC" 1 "$rc"
expect_line "$TEST_DIR/kinit.err" "$CANNOT_CONTACT"
dc_stop
echo "ok: a second dc_stop is harmless"
# smbd and winbindd open their compiled-in log files, log.smbd and
# log.winbindd under /var/log/samba, before they read the configuration's
# "log file": where Samba has never run, that creates them (and so touches
# the directory). Those start-up defaults are told apart from the DC
# writing there: they are empty, and each daemon's log went to the DC's
# own directory instead. Anything else new under a system path fails.
startup_defaults=(/var/log/samba /var/log/samba/log.smbd /var/log/samba/log.winbindd)
written=$(find /var/lib/samba /var/cache/samba /var/log/samba /run/samba /etc/samba -newer "$TEST_DIR/marker" 2> /dev/null |
    grep -vxF -f <(printf '%s\n' "${startup_defaults[@]}") || true)
expect_eq "files written under Samba's system directories (start-up defaults aside)" "" "$written"
for f in /var/log/samba/log.smbd /var/log/samba/log.winbindd; do
    if [[ -e $f && $f -nt $TEST_DIR/marker ]]; then
        expect_eq "size of $f, created by the daemon's start-up" 0 "$(stat -c %s "$f")"
    fi
done
for f in smbd winbindd; do
    [[ -s $DC_DIR/log/$f.log ]] || fail "the DC's $f logged nothing to $DC_DIR/log/$f.log"
    echo "ok: the DC's $f logged to its own $DC_DIR/log/$f.log"
done
timings+=("start-stop: dc_start $((t1 - t0)) ms (provision, accounts, keytab, samba ready), dc_stop $((t3 - t2)) ms, ${#procs[@]} processes")

echo "== restart"
t0=$(now_ms)
dc_start "$DC_DIR"
t1=$(now_ms)
dc_kinit alice
echo "ok: kinit alice"
dc_winbind wbinfo -a "$GSSNEG_AD_DOMAIN\\$GSSNEG_AD_ALICE%$GSSNEG_AD_ALICE_PASSWORD" > "$TEST_DIR/wbinfo.out" 2>&1 ||
    { cat "$TEST_DIR/wbinfo.out"; fail "wbinfo -a after a restart"; }
expect_line "$TEST_DIR/wbinfo.out" "challenge/response password authentication succeeded"
dc_processes
procs=("${DC_PROCESSES[@]}")
t2=$(now_ms)
dc_stop
t3=$(now_ms)
expect_dc_gone "${procs[@]}"
timings+=("restart: dc_start $((t1 - t0)) ms, dc_stop $((t3 - t2)) ms")

echo "== exit-status"
run_child exit-status "exit 3"
wait_child_dc exit-status
finish_child exit-status 3 "trap saw 3"
expect_dc_gone "${CHILD_PROCS[@]}"

echo "== term"
run_child term "while :; do sleep 0.05; done"
wait_child_dc term
kill -TERM "$CHILD_PID"
finish_child term 143 "trap saw 143"
expect_dc_gone "${CHILD_PROCS[@]}"

echo "== kill"
run_child kill "while :; do sleep 0.05; done"
wait_child_dc kill
t0=$(now_ms)
kill -KILL "$CHILD_PID"
rc=0
wait "$CHILD_PID" || rc=$?
forget_test_pid "$CHILD_PID"
expect_eq "kill: the child's exit status" 137 "$rc"
# Wait for samba to notice (bounded well below the test's timeout); the
# time is printed, not asserted.
for ((i = 0; i < 300; i++)); do
    left=0
    for p in "${CHILD_PROCS[@]}"; do
        dc_alive "$p" && { left=1; break; }
    done
    [[ $left -eq 0 ]] && break
    sleep 0.1
done
t1=$(now_ms)
expect_dc_gone "${CHILD_PROCS[@]}"
timings+=("kill: the DC stopped by itself $((t1 - t0)) ms after its shell was killed")

for line in "${timings[@]}"; do
    echo "$line"
done
echo "PASS"
