# shellcheck shell=bash
# A real MIT KDC on loopback for tests. Source this file from bash; it only
# defines functions and never starts anything by itself.
#
#   source test/kdc/kdc.sh
#   kdc_start "$dir"            # realm GSSNEG.TEST, everything inside $dir
#   kdc_kinit alice             # ticket into $KRB5CCNAME
#   ...                          # run GSS programs with the exported env
#   kdc_stop                    # also run from the EXIT trap kdc_start adds
#   kdc_kadmin listprincs       # any kadmin.local command on the database
#   kdc_write_unreachable_conf F  # a krb5.conf whose KDC port is closed
#
# kdc_start exports, for the caller and its children:
#   KRB5_CONFIG          $dir/krb5.conf (kdc = 127.0.0.1:PORT, UDP and TCP)
#   KRB5_KDC_PROFILE     $dir/kdc.conf
#   KRB5RCACHEDIR        $dir/rcache
#   KRB5CCNAME           FILE:$dir/ccache (empty until kdc_kinit)
#   KRB5_KTNAME          FILE:$dir/service.keytab (host/localhost, HTTP/localhost)
#   KRB5_CLIENT_KTNAME   FILE:$dir/no-client.keytab, a file that does not
#                        exist, so that "no ticket" really means no initiator
#                        credential; point it at $GSSNEG_ALICE_KEYTAB to let
#                        krb5 get alice's ticket by itself
#   GSSNEG_KDC_DIR GSSNEG_REALM GSSNEG_KDC_PORT GSSNEG_KDC_PID
#   GSSNEG_ALICE GSSNEG_ALICE_PASSWORD GSSNEG_ALICE_KEYTAB
#   GSSNEG_BOB GSSNEG_BOB_PASSWORD
#   GSSNEG_SERVICE_KEYTAB GSSNEG_HOST_SERVICE (host@localhost)
#   GSSNEG_HTTP_SERVICE (HTTP@localhost)
# and writes the same assignments to $dir/env.sh for programs that are not
# bash functions of the caller (`set -a; . "$dir/env.sh"; set +a`).
#
# Servers listen on 127.0.0.1 only. No file is written outside $dir.
# GSSNEG_PYTHON names the Python used to find free ports (default
# /usr/bin/python3, Debian's).

GSSNEG_REALM=GSSNEG.TEST
GSSNEG_ALICE=alice@$GSSNEG_REALM
GSSNEG_BOB=bob@$GSSNEG_REALM
GSSNEG_ALICE_PASSWORD=${GSSNEG_ALICE_PASSWORD:-alice-Krb5-pw.1}
GSSNEG_BOB_PASSWORD=${GSSNEG_BOB_PASSWORD:-bob-Krb5-pw.2}
GSSNEG_HOST_SERVICE=host@localhost
GSSNEG_HTTP_SERVICE=HTTP@localhost
: "${GSSNEG_PYTHON:=/usr/bin/python3}"
GSSNEG_KDC_PID=
source "$(dirname "${BASH_SOURCE[0]}")/../lib/exit_trap.sh"

_kdc_log() {
    echo "kdc.sh: $*" >&2
}

# kdc_free_port: prints a port that is free on 127.0.0.1 for both TCP and UDP
# at the time of the call. Someone may take it before we bind; kdc_start
# retries with a new port when the KDC cannot bind.
kdc_free_port() {
    "$GSSNEG_PYTHON" - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
else:
    raise SystemExit("no port free for both TCP and UDP")
EOF
}

# _kdc_write_krb5_conf FILE PORT: the client profile, pointing at PORT.
_kdc_write_krb5_conf() {
    local file=$1 port=$2
    cat > "$file" <<EOF
[libdefaults]
    default_realm = $GSSNEG_REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    ignore_acceptor_hostname = false
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    ticket_lifetime = 10h
    renew_lifetime = 1d
    forwardable = true

[realms]
    $GSSNEG_REALM = {
        kdc = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $GSSNEG_REALM
    .localhost = $GSSNEG_REALM
    127.0.0.1 = $GSSNEG_REALM
EOF
}

# _kdc_write_kdc_conf PORT: the KDC profile; the database lives in the dir.
# krb5kdc, kdb5_util and kadmin.local read it after krb5.conf, so [logging]
# is here only (in both, every line would be logged twice).
_kdc_write_kdc_conf() {
    local port=$1 dir=$GSSNEG_KDC_DIR
    cat > "$dir/kdc.conf" <<EOF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $GSSNEG_REALM = {
        database_name = $dir/principal
        acl_file = $dir/kadm5.acl
        key_stash_file = $dir/stash
        dict_file = $dir/no-dict
        kdc_listen = 127.0.0.1:$port
        kdc_tcp_listen = 127.0.0.1:$port
        kadmind_listen = 127.0.0.1:0
        kpasswd_listen = 127.0.0.1:0
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
        max_life = 10h
        max_renewable_life = 1d
    }

[logging]
    kdc = FILE:$dir/kdc.log
    admin_server = FILE:$dir/kadmin.log
    default = FILE:$dir/krb5lib.log
EOF
}

# kdc_write_unreachable_conf FILE: a krb5.conf like the harness's own but
# whose KDC is 127.0.0.1 on a port where nothing listens (probed free now),
# for "KDC unreachable" cases: KRB5_CONFIG=FILE kinit ... fails with
# "Cannot contact any KDC for realm 'GSSNEG.TEST'".
kdc_write_unreachable_conf() {
    local file=${1:?usage: kdc_write_unreachable_conf FILE} port
    [[ -n ${GSSNEG_KDC_DIR:-} ]] || { _kdc_log "kdc_start first"; return 1; }
    port=$(kdc_free_port) || return 1
    _kdc_write_krb5_conf "$file" "$port"
}

# _kdc_export: the caller's environment, and $dir/env.sh with the same values.
_kdc_export() {
    local dir=$GSSNEG_KDC_DIR name
    export KRB5_CONFIG=$dir/krb5.conf
    export KRB5_KDC_PROFILE=$dir/kdc.conf
    export KRB5RCACHEDIR=$dir/rcache
    export KRB5CCNAME=FILE:$dir/ccache
    export KRB5_KTNAME=FILE:$dir/service.keytab
    export KRB5_CLIENT_KTNAME=FILE:$dir/no-client.keytab
    export GSSNEG_KDC_DIR GSSNEG_REALM GSSNEG_KDC_PORT GSSNEG_KDC_PID
    export GSSNEG_ALICE GSSNEG_ALICE_PASSWORD GSSNEG_BOB GSSNEG_BOB_PASSWORD
    export GSSNEG_ALICE_KEYTAB=$dir/alice.keytab
    export GSSNEG_SERVICE_KEYTAB=$dir/service.keytab
    export GSSNEG_HOST_SERVICE GSSNEG_HTTP_SERVICE
    {
        echo "# written by kdc.sh kdc_start; values for one running KDC"
        for name in KRB5_CONFIG KRB5_KDC_PROFILE KRB5RCACHEDIR KRB5CCNAME \
                    KRB5_KTNAME KRB5_CLIENT_KTNAME GSSNEG_KDC_DIR GSSNEG_REALM \
                    GSSNEG_KDC_PORT GSSNEG_KDC_PID GSSNEG_ALICE \
                    GSSNEG_ALICE_PASSWORD GSSNEG_ALICE_KEYTAB GSSNEG_BOB \
                    GSSNEG_BOB_PASSWORD GSSNEG_SERVICE_KEYTAB \
                    GSSNEG_HOST_SERVICE GSSNEG_HTTP_SERVICE; do
            printf '%s=%q\n' "$name" "${!name}"
        done
    } > "$dir/env.sh"
}

# _kdc_create_db: database, stash and principals (no KDC needed).
_kdc_create_db() {
    local dir=$GSSNEG_KDC_DIR master
    master=$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')
    : > "$dir/kadm5.acl"
    kdb5_util -r "$GSSNEG_REALM" create -s -P "$master" > "$dir/kdb5_util.out" 2>&1 || {
        cat "$dir/kdb5_util.out" >&2
        _kdc_log "kdb5_util create failed"
        return 1
    }
    # One kadmin.local run, commands on stdin.
    kadmin.local -r "$GSSNEG_REALM" > "$dir/kadmin.out" 2>&1 <<EOF || {
addprinc -pw $GSSNEG_ALICE_PASSWORD $GSSNEG_ALICE
addprinc -pw $GSSNEG_BOB_PASSWORD $GSSNEG_BOB
addprinc -randkey host/localhost@$GSSNEG_REALM
addprinc -randkey HTTP/localhost@$GSSNEG_REALM
ktadd -k $dir/service.keytab host/localhost@$GSSNEG_REALM HTTP/localhost@$GSSNEG_REALM
ktadd -k $dir/alice.keytab -norandkey $GSSNEG_ALICE
EOF
        cat "$dir/kadmin.out" >&2
        _kdc_log "kadmin.local failed"
        return 1
    }
    [[ -s $dir/service.keytab && -s $dir/alice.keytab ]] || {
        cat "$dir/kadmin.out" >&2
        _kdc_log "keytabs were not written"
        return 1
    }
}

# _kdc_wait_ready: bounded wait until a kinit with alice's keytab succeeds
# (a readiness wait, not a timed assertion). Returns 1 if the KDC exited.
_kdc_wait_ready() {
    local dir=$GSSNEG_KDC_DIR i
    for ((i = 0; i < 400; i++)); do
        kill -0 "$GSSNEG_KDC_PID" 2>/dev/null || return 1
        if kinit -k -t "$dir/alice.keytab" -c "FILE:$dir/ready.ccache" \
                "$GSSNEG_ALICE" > "$dir/ready.out" 2>&1; then
            rm -f "$dir/ready.ccache"
            return 0
        fi
        sleep 0.05
    done
    cat "$dir/ready.out" >&2
    return 2
}

# kdc_start DIR: creates the realm in DIR and starts krb5kdc on a free port.
kdc_start() {
    local dir=${1:?usage: kdc_start DIR} attempt port rc
    if [[ -n ${GSSNEG_KDC_PID:-} ]]; then
        _kdc_log "a KDC is already running (pid $GSSNEG_KDC_PID)"
        return 1
    fi
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
    GSSNEG_KDC_DIR=$dir
    mkdir -p "$dir/rcache"
    chmod 700 "$dir"
    # Everything krb5 reads or writes is in DIR from here on. kdb5_util and
    # kadmin.local need the profiles; the port is chosen again just before
    # the KDC starts.
    GSSNEG_KDC_PORT=0
    _kdc_write_kdc_conf 0
    _kdc_write_krb5_conf "$dir/krb5.conf" 0
    _kdc_export
    _kdc_create_db || return 1
    # kdc_stop runs on exit, before the EXIT trap the caller already had.
    chain_stop_on_exit kdc_stop
    for ((attempt = 1; attempt <= 5; attempt++)); do
        port=$(kdc_free_port) || return 1
        GSSNEG_KDC_PORT=$port
        _kdc_write_kdc_conf "$port"
        _kdc_write_krb5_conf "$dir/krb5.conf" "$port"
        rm -f "$dir/kdc.pid"
        krb5kdc -n -r "$GSSNEG_REALM" -P "$dir/kdc.pid" \
            > "$dir/krb5kdc.out" 2>&1 < /dev/null &
        GSSNEG_KDC_PID=$!
        _kdc_export
        rc=0
        _kdc_wait_ready || rc=$?
        if [[ $rc -eq 0 ]]; then
            if [[ $(cat "$dir/kdc.pid" 2>/dev/null) != "$GSSNEG_KDC_PID" ]]; then
                _kdc_log "kdc.pid does not hold the pid started ($GSSNEG_KDC_PID)"
                kdc_stop
                return 1
            fi
            return 0
        fi
        kdc_stop
        if [[ $rc -eq 2 ]]; then
            _kdc_log "the KDC on port $port never answered"
            return 1
        fi
        # The KDC exited: most likely the port was taken meanwhile.
        _kdc_log "krb5kdc exited on port $port (attempt $attempt):"
        cat "$dir/krb5kdc.out" >&2
    done
    _kdc_log "could not start krb5kdc"
    return 1
}

# kdc_kinit USER [KINIT_ARGS...]: gets USER's TGT into $KRB5CCNAME with the
# known password (USER is alice, bob or a principal of theirs).
kdc_kinit() {
    local user=${1:?usage: kdc_kinit USER} password
    shift
    case ${user%@*} in
        alice) password=$GSSNEG_ALICE_PASSWORD ;;
        bob) password=$GSSNEG_BOB_PASSWORD ;;
        *) _kdc_log "kdc_kinit: no known password for $user"; return 1 ;;
    esac
    [[ $user == *@* ]] || user=$user@$GSSNEG_REALM
    printf '%s\n' "$password" | kinit "$@" "$user" > /dev/null
}

# kdc_kadmin COMMAND...: one kadmin.local command on the realm's database
# (the KDC may be running), e.g. kdc_kadmin addprinc -randkey cifs/localhost
kdc_kadmin() {
    [[ -n ${GSSNEG_KDC_DIR:-} ]] || { _kdc_log "kdc_start first"; return 1; }
    kadmin.local -r "$GSSNEG_REALM" -q "$*"
}

# kdc_stop: stops the KDC this shell started, by its pid, and waits for it.
# Safe to call twice.
kdc_stop() {
    local pid=${GSSNEG_KDC_PID:-} i
    [[ -n $pid ]] || return 0
    GSSNEG_KDC_PID=
    kill -TERM "$pid" 2>/dev/null || true
    # Our own child: wait reaps it. Otherwise poll until it is gone.
    wait "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        _kdc_log "krb5kdc $pid ignored SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    [[ -n ${GSSNEG_KDC_DIR:-} ]] && sed -i 's/^GSSNEG_KDC_PID=.*/GSSNEG_KDC_PID=/' \
        "$GSSNEG_KDC_DIR/env.sh" 2>/dev/null
    return 0
}
