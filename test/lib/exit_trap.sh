# shellcheck shell=bash
# Stopping a test server from the EXIT trap without losing the script's
# exit status; sourced by the server harnesses (test/kdc/kdc.sh,
# test/ad/dc.sh), never run.
#
#   chain_stop_on_exit STOP_FUNCTION
#
# Makes the EXIT trap run STOP_FUNCTION first, then whatever EXIT trap the
# shell already had. TERM, INT and HUP (meson's timeout, ^C) turn into an
# exit, so that the EXIT trap runs, unless the shell already traps them.
# Calling it again with the same function adds nothing.

# _exit_trap_run STOP_FUNCTION: runs it and returns the status the shell is
# exiting with, so that a caller's trap that exits with "$?" (as the test
# helpers' cleanup functions do) keeps the script's status instead of the
# stop function's 0. The trap calls it as "_exit_trap_run F && :": a failure
# that is not the last of an && list does not end a set -e shell, so the
# caller's trap still runs.
_exit_trap_run() {
    local status=$?
    "$1"
    return "$status"
}

chain_stop_on_exit() {
    local stop=${1:?usage: chain_stop_on_exit STOP_FUNCTION} current
    current=$(trap -p EXIT)
    if [[ -n $current ]]; then
        eval "set -- $current"
        # A whole word: kdc_stop must not count as dc_stop.
        [[ $3 =~ (^|[^[:alnum:]_])$stop($|[^[:alnum:]_]) ]] ||
            trap -- "_exit_trap_run $stop && :; $3" EXIT
    else
        trap -- "$stop" EXIT
    fi
    [[ -n $(trap -p TERM) ]] || trap 'exit 143' TERM
    [[ -n $(trap -p INT) ]] || trap 'exit 130' INT
    [[ -n $(trap -p HUP) ]] || trap 'exit 129' HUP
}
