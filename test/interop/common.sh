# Helpers shared by the interop shell tests; sourced, not run.
#
# Environment (meson passes the GSSNEG_BUILD_* and tool paths):
#   GSSNEG_OURS_MECH   mech file for "our" side; default GSSNEG_BUILD_MECH, the
#                      build tree's conf/mech. Point it at a gss-ntlmssp mech
#                      file to check the harness against the reference.
#   GSSNEG_REF_MODULE  gss-ntlmssp's module; default: searched under /usr/lib.
#   GSSNEG_CLIENT, GSSNEG_SERVER  the sample tools.
#   GSSNEG_PLAIN_TOOLS a directory with gssneg-client and gssneg-server built
#                      without sanitizers, set by the sanitizer stage: a
#                      gss-ntlmssp side then runs those, without the
#                      sanitizer runtime the stage preloads (gss-ntlmssp
#                      1.2.0 trips over a heap overflow of its own there),
#                      so that only our module runs instrumented.

set -euo pipefail

skip() {
    echo "SKIP: $*"
    exit 77
}

fail() {
    echo "FAIL: $*"
    exit 1
}

OURS_MECH=${GSSNEG_OURS_MECH:-${GSSNEG_BUILD_MECH:?GSSNEG_BUILD_MECH or GSSNEG_OURS_MECH must be set}}
CLIENT=${GSSNEG_CLIENT:?}
SERVER=${GSSNEG_SERVER:?}
[[ -r $OURS_MECH ]] || fail "our mech file $OURS_MECH is missing"

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-test.XXXXXX")
CHILD_PIDS=()

cleanup() {
    local pid
    for pid in "${CHILD_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$TEST_DIR"
}
trap cleanup EXIT

forget_pid() {
    local keep=() pid
    for pid in "${CHILD_PIDS[@]}"; do
        [[ $pid == "$1" ]] || keep+=("$pid")
    done
    CHILD_PIDS=("${keep[@]}")
}

find_ref_module() {
    local candidate
    if [[ -n ${GSSNEG_REF_MODULE:-} ]]; then
        [[ -r $GSSNEG_REF_MODULE ]] && { echo "$GSSNEG_REF_MODULE"; return 0; }
        return 1
    fi
    for candidate in /usr/lib/*/gssntlmssp/gssntlmssp.so /usr/lib/gssntlmssp/gssntlmssp.so \
                     /usr/lib64/gssntlmssp/gssntlmssp.so; do
        [[ -r $candidate ]] && { echo "$candidate"; return 0; }
    done
    return 1
}

# Writes $TEST_DIR/ref.mech naming gss-ntlmssp under the NTLM OID.
write_ref_mech() {
    local module
    module=$(find_ref_module) || skip "gss-ntlmssp is not installed (package gss-ntlmssp)"
    echo "gssntlmssp 1.3.6.1.4.1.311.2.2.10 $module" > "$TEST_DIR/ref.mech"
    REF_MECH=$TEST_DIR/ref.mech
}

TEST_DOMAIN=TESTDOM
TEST_USER=alice
TEST_PASSWORD='Passw0rd-for-alice'
# The NTLM user database both sides read (the acceptor validates against it,
# the initiator looks its password up there).
write_user_file() {
    printf '%s:%s:%s\n' "$TEST_DOMAIN" "$TEST_USER" "$TEST_PASSWORD" > "$TEST_DIR/users"
    printf '%s:%s:%s\n' "$TEST_DOMAIN" bob 'bobs-other-password' >> "$TEST_DIR/users"
    USER_FILE=$TEST_DIR/users
}

# start_server NAME MECHFILE ARGS...: runs gssneg-server --port 0 --once in the
# background; sets SERVER_PID and SERVER_PORT; output goes to $TEST_DIR/NAME.out.
# SIDE_ENV (an array of NAME=VALUE, empty by default) adds to the environment
# of the server or client started next.
SIDE_ENV=()
# side_tool TOOL MECHFILE: sets SIDE_TOOL to the tool to run for that side
# and SIDE_UNSET to the env options that go with it (see GSSNEG_PLAIN_TOOLS).
side_tool() {
    SIDE_TOOL=$1
    SIDE_UNSET=()
    if [[ -n ${GSSNEG_PLAIN_TOOLS:-} && $2 == "${REF_MECH:-}" ]]; then
        SIDE_TOOL=$GSSNEG_PLAIN_TOOLS/$(basename "$1")
        [[ -x $SIDE_TOOL ]] || fail "GSSNEG_PLAIN_TOOLS has no $(basename "$1")"
        SIDE_UNSET=(-u LD_PRELOAD -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS)
    fi
}

start_server() {
    local name=$1 mech=$2
    shift 2
    local out=$TEST_DIR/$name.out
    : > "$out"
    side_tool "$SERVER" "$mech"
    env "${SIDE_UNSET[@]}" ${SIDE_ENV[@]+"${SIDE_ENV[@]}"} GSS_MECH_CONFIG="$mech" NTLM_USER_FILE="$USER_FILE" \
        "$SIDE_TOOL" --host 127.0.0.1 --port 0 --once "$@" > "$out" 2>&1 &
    SERVER_PID=$!
    CHILD_PIDS+=("$SERVER_PID")
    SERVER_PORT=
    # Wait until the server prints its port or exits (this is a readiness
    # wait, not an assertion on time).
    while [[ -z $SERVER_PORT ]]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            cat "$out"
            fail "$name: gssneg-server exited before listening"
        fi
        SERVER_PORT=$(sed -n 's/^listening on \([0-9][0-9]*\)$/\1/p' "$out")
        [[ -n $SERVER_PORT ]] || sleep 0.05
    done
}

# wait_server: waits for the server started last; sets SERVER_RC. The client
# connects before anything else, so the server always sees the connection
# end; only when the client could not connect at all is the server stopped.
wait_server() {
    if grep -q '^gssneg-client: cannot connect' "$TEST_DIR"/*.out; then
        kill "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_RC=0
    wait "$SERVER_PID" || SERVER_RC=$?
    forget_pid "$SERVER_PID"
}

# run_client NAME MECHFILE ARGS...: sets CLIENT_RC; output in $TEST_DIR/NAME.out.
run_client() {
    local name=$1 mech=$2
    shift 2
    CLIENT_RC=0
    side_tool "$CLIENT" "$mech"
    env "${SIDE_UNSET[@]}" ${SIDE_ENV[@]+"${SIDE_ENV[@]}"} GSS_MECH_CONFIG="$mech" NTLM_USER_FILE="$USER_FILE" \
        "$SIDE_TOOL" --host 127.0.0.1 "$@" > "$TEST_DIR/$name.out" 2>&1 || CLIENT_RC=$?
}

show() {
    echo "---- $1 ----"
    cat "$TEST_DIR/$1.out"
}

# field NAME KEY: value of the "KEY: value" line in NAME's output, if any.
field() {
    sed -n "s/^$2: //p" "$TEST_DIR/$1.out" | head -n 1
}

has_line() {
    grep -qxF -- "$2" "$TEST_DIR/$1.out"
}
