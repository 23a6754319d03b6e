# shellcheck shell=bash
# A throw-away Active Directory domain controller (Samba) on loopback for
# tests. Source this file from bash; it only defines functions and never
# starts anything by itself.
#
#   source test/ad/dc.sh
#   if reason=$(dc_missing); then skip "$reason"; fi
#   dc_start "$dir"             # provision into $dir, start samba, wait until ready
#   dc_kinit alice              # alice's TGT into $KRB5CCNAME
#   dc_winbind wbinfo -p        # a winbind client (under nss_wrapper, see below)
#   ...
#   dc_stop                     # also run from the EXIT trap dc_start adds
#   dc_processes; dc_alive P    # the DC's processes, and whether one still runs
#
# The domain: realm AD.EXAMPLE.TEST (DNS domain ad.example.test), NetBIOS
# domain ADEX, DC dc1 on 127.0.0.1. Users alice and bob; carol, whose
# account is disabled; httpsvc, a service account with SPN HTTP/localhost
# and AES keys only (msDS-SupportedEncryptionTypes 24); cifssvc, another
# such account with SPN cifs/localhost, to which httpsvc may delegate
# (constrained delegation with protocol transition: httpsvc impersonates a
# user with S4U2Self, then S4U2Proxy to cifs/localhost). The keys of both
# are exported to $dir/http.keytab. No password expires.
#
# dc_start exports, for the caller and its children:
#   KRB5_CONFIG          $dir/krb5.conf (kdc = 127.0.0.1:88, no DNS)
#   KRB5RCACHEDIR        $dir/rcache
#   KRB5CCNAME           FILE:$dir/ccache (empty until dc_kinit)
#   KRB5_KTNAME          FILE:$dir/http.keytab
#   KRB5_CLIENT_KTNAME   FILE:$dir/no-client.keytab, a file that does not exist
#   GSSNEG_AD_DIR GSSNEG_AD_PID GSSNEG_AD_SMB_CONF
#   GSSNEG_AD_REALM GSSNEG_AD_DNS_DOMAIN GSSNEG_AD_DOMAIN GSSNEG_AD_DOMAIN_SID
#   GSSNEG_AD_ALICE GSSNEG_AD_ALICE_PASSWORD GSSNEG_AD_ALICE_SID
#   GSSNEG_AD_BOB GSSNEG_AD_BOB_PASSWORD GSSNEG_AD_BOB_SID
#   GSSNEG_AD_DISABLED GSSNEG_AD_DISABLED_PASSWORD   (carol)
#   GSSNEG_AD_EXPIRED GSSNEG_AD_EXPIRED_PASSWORD     (dave: account expired)
#   GSSNEG_AD_MUSTCHANGE GSSNEG_AD_MUSTCHANGE_PASSWORD (erin: must change it)
#   GSSNEG_AD_LOCKED GSSNEG_AD_LOCKED_PASSWORD       (frank: locked out)
#   GSSNEG_AD_HTTP_ACCOUNT GSSNEG_AD_HTTP_KEYTAB GSSNEG_AD_HTTP_SERVICE (HTTP@localhost)
#   GSSNEG_AD_CIFS_ACCOUNT  (cifssvc, cifs/localhost, keys in the same keytab)
#   NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP SELFTEST_WINBINDD_SOCKET_DIR
#   GSSNEG_AD_NSS_WRAPPER   the nss_wrapper library
# (user names without a realm: alice, bob, carol, dave, erin, frank) and writes the same
# assignments to $dir/env.sh for programs that are not bash functions of the
# caller (`set -a; . "$dir/env.sh"; set +a`).
#
# Reaching winbindd: libwbclient connects to its compiled-in socket
# directory unless nss_wrapper is loaded, in which case it honours
# SELFTEST_WINBINDD_SOCKET_DIR. dc_start exports that variable and the two
# NSS_WRAPPER_* files (harmless alone); a winbind client must also have
# LD_PRELOAD=$GSSNEG_AD_NSS_WRAPPER, which dc_winbind COMMAND... adds for
# one command. The DC's own processes run with the same environment.
#
# The DC binds fixed ports on 127.0.0.1 (88 and 464 UDP and TCP, 389 UDP
# and TCP, 135, 445, 636, 3268, 3269, and RPC ports from 24100 on, below the
# kernel's ephemeral range where the KDC harness finds its ports): one DC
# per machine at a time. dc_start takes a lock ($TMPDIR or /tmp,
# gssneg-ad-dc.lock) that samba inherits, so DCs of concurrent test runs
# wait for each other until the last process of the previous one is gone;
# in meson, tests that use the DC are is_parallel: false.
#
# Every file the DC and the clients write is in $dir (the lock file
# aside). $dir must be short: Samba's sockets live there and a socket path
# has at most 107 bytes. samba runs with its standard input on a pipe held
# by this shell: if the shell dies without dc_stop, samba sees the end of
# the pipe and stops by itself; --maximum-runtime is the last resort.
# GSSNEG_PYTHON names a Python that has Samba's modules (default
# /usr/bin/python3, Debian's).

GSSNEG_AD_REALM=AD.EXAMPLE.TEST
GSSNEG_AD_DNS_DOMAIN=ad.example.test
GSSNEG_AD_DOMAIN=ADEX
GSSNEG_AD_ALICE=alice
GSSNEG_AD_BOB=bob
GSSNEG_AD_DISABLED=carol
GSSNEG_AD_EXPIRED=dave
GSSNEG_AD_MUSTCHANGE=erin
GSSNEG_AD_LOCKED=frank
GSSNEG_AD_HTTP_ACCOUNT=httpsvc
GSSNEG_AD_CIFS_ACCOUNT=cifssvc
# shellcheck disable=SC2034 # exported by _dc_export
GSSNEG_AD_HTTP_SERVICE=HTTP@localhost
# Passwords that meet AD's default complexity rules.
GSSNEG_AD_ALICE_PASSWORD=${GSSNEG_AD_ALICE_PASSWORD:-Alice-AD-pw.1}
GSSNEG_AD_BOB_PASSWORD=${GSSNEG_AD_BOB_PASSWORD:-Bob-AD-pw.2}
GSSNEG_AD_DISABLED_PASSWORD=${GSSNEG_AD_DISABLED_PASSWORD:-Carol-AD-pw.3}
GSSNEG_AD_EXPIRED_PASSWORD=${GSSNEG_AD_EXPIRED_PASSWORD:-Dave-AD-pw.4}
GSSNEG_AD_MUSTCHANGE_PASSWORD=${GSSNEG_AD_MUSTCHANGE_PASSWORD:-Erin-AD-pw.5}
GSSNEG_AD_LOCKED_PASSWORD=${GSSNEG_AD_LOCKED_PASSWORD:-Frank-AD-pw.6}
: "${GSSNEG_PYTHON:=/usr/bin/python3}"
# How long samba may run at most, in seconds, should nothing stop it.
: "${GSSNEG_AD_MAX_RUNTIME:=1800}"
GSSNEG_AD_PID=
GSSNEG_AD_DIR=
GSSNEG_AD_DOMAIN_SID=''
GSSNEG_AD_ALICE_SID=''
GSSNEG_AD_BOB_SID=''
GSSNEG_AD_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$GSSNEG_AD_HERE/../lib/exit_trap.sh"
_dc_lock_fd=
_dc_stdin_fd=
_dc_master_start=
DC_PROCESSES=()

_dc_log() {
    echo "dc.sh: $*" >&2
}

_dc_find_nss_wrapper() {
    local candidate
    for candidate in /usr/lib/*/libnss_wrapper.so /usr/lib64/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
        [[ -r $candidate ]] && { echo "$candidate"; return 0; }
    done
    return 1
}
GSSNEG_AD_NSS_WRAPPER=${GSSNEG_AD_NSS_WRAPPER:-$(_dc_find_nss_wrapper || true)}

# dc_missing: prints why a DC cannot run here and returns 0, or returns 1
# when everything is installed (tools/install-deps installs it all).
dc_missing() {
    local tool
    # Samba binds 88, 389 and 445 itself (there is no socket wrapper here).
    [[ $(id -u) -eq 0 ]] || { echo "the DC binds ports 88, 389 and 445: run the ad tests as root"; return 0; }
    for tool in samba samba-tool wbinfo kinit klist flock "$GSSNEG_PYTHON"; do
        command -v "$tool" > /dev/null || { echo "$tool is missing (tools/install-deps)"; return 0; }
    done
    [[ -n $GSSNEG_AD_NSS_WRAPPER ]] || { echo "libnss_wrapper.so is missing (package libnss-wrapper)"; return 0; }
    [[ -d /usr/share/samba/setup ]] || { echo "Samba's provisioning data is missing (package samba-ad-provision)"; return 0; }
    "$GSSNEG_PYTHON" -c 'import samba.samdb, samba.dckeytab' 2> /dev/null ||
        { echo "$GSSNEG_PYTHON cannot import Samba's modules (packages python3-samba, samba-dsdb-modules)"; return 0; }
    return 1
}

# dc_winbind COMMAND [ARGS...]: runs a winbind client (wbinfo, ntlm_auth,
# a GSS acceptor that asks winbindd) so that it reaches this DC's winbindd.
dc_winbind() {
    LD_PRELOAD=$GSSNEG_AD_NSS_WRAPPER${LD_PRELOAD:+:$LD_PRELOAD} "$@"
}

# _dc_write_krb5_conf FILE: the client profile; the one provision writes
# relies on DNS.
_dc_write_krb5_conf() {
    cat > "$1" <<EOF
[libdefaults]
    default_realm = $GSSNEG_AD_REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
    ticket_lifetime = 10h
    forwardable = true

[realms]
    $GSSNEG_AD_REALM = {
        kdc = 127.0.0.1:88
        admin_server = 127.0.0.1
    }

[domain_realm]
    localhost = $GSSNEG_AD_REALM
    .$GSSNEG_AD_DNS_DOMAIN = $GSSNEG_AD_REALM
    $GSSNEG_AD_DNS_DOMAIN = $GSSNEG_AD_REALM
EOF
}

_dc_env_names=(KRB5_CONFIG KRB5RCACHEDIR KRB5CCNAME KRB5_KTNAME KRB5_CLIENT_KTNAME
    GSSNEG_AD_DIR GSSNEG_AD_PID GSSNEG_AD_SMB_CONF GSSNEG_AD_REALM GSSNEG_AD_DNS_DOMAIN
    GSSNEG_AD_DOMAIN GSSNEG_AD_DOMAIN_SID GSSNEG_AD_ALICE GSSNEG_AD_ALICE_PASSWORD
    GSSNEG_AD_ALICE_SID GSSNEG_AD_BOB GSSNEG_AD_BOB_PASSWORD GSSNEG_AD_BOB_SID
    GSSNEG_AD_DISABLED GSSNEG_AD_DISABLED_PASSWORD GSSNEG_AD_EXPIRED GSSNEG_AD_EXPIRED_PASSWORD
    GSSNEG_AD_MUSTCHANGE GSSNEG_AD_MUSTCHANGE_PASSWORD GSSNEG_AD_LOCKED GSSNEG_AD_LOCKED_PASSWORD GSSNEG_AD_HTTP_ACCOUNT
    GSSNEG_AD_HTTP_KEYTAB GSSNEG_AD_HTTP_SERVICE GSSNEG_AD_CIFS_ACCOUNT NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    SELFTEST_WINBINDD_SOCKET_DIR GSSNEG_AD_NSS_WRAPPER)

# _dc_export: the caller's environment, and $dir/env.sh with the same values.
_dc_export() {
    local dir=$GSSNEG_AD_DIR name
    export KRB5_CONFIG=$dir/krb5.conf
    export KRB5RCACHEDIR=$dir/rcache
    export KRB5CCNAME=FILE:$dir/ccache
    export KRB5_KTNAME=FILE:$dir/http.keytab
    export KRB5_CLIENT_KTNAME=FILE:$dir/no-client.keytab
    export GSSNEG_AD_SMB_CONF=$dir/dc/etc/smb.conf
    export GSSNEG_AD_HTTP_KEYTAB=$dir/http.keytab
    export NSS_WRAPPER_PASSWD=$dir/passwd
    export NSS_WRAPPER_GROUP=$dir/group
    export SELFTEST_WINBINDD_SOCKET_DIR=$dir/wb
    export "${_dc_env_names[@]}"
    {
        echo "# written by dc.sh dc_start; values for one running DC"
        for name in "${_dc_env_names[@]}"; do
            printf '%s=%q\n' "$name" "${!name}"
        done
    } > "$dir/env.sh"
}

# _dc_provision: a new domain in $dir/dc, its accounts and the keytab.
_dc_provision() {
    local dir=$GSSNEG_AD_DIR
    # An empty configuration to start from: without -s, provision copies
    # the host's /etc/samba/smb.conf, shares and all.
    : > "$dir/empty.conf"
    # Whatever --targetdir does not move is moved by an option. Only the
    # services the tests need; rpc ports below the ephemeral range; IPv4
    # loopback only; one worker per service on a small machine.
    samba-tool domain provision -s "$dir/empty.conf" --targetdir="$dir/dc" \
        --realm="$GSSNEG_AD_REALM" --domain="$GSSNEG_AD_DOMAIN" --host-name=dc1 \
        --host-ip=127.0.0.1 --server-role=dc --dns-backend=NONE --use-rfc2307 \
        --adminpass="Admin-$(head -c 12 /dev/urandom | base64 | tr -d '/+=\n').9" \
        --option="interfaces = 127.0.0.1" \
        --option="bind interfaces only = yes" \
        --option="smb ports = 445" \
        --option="disable netbios = yes" \
        --option="rpc server dynamic port range = 24100-24199" \
        --option="prefork children = 1" \
        --option="pid directory = $dir/run" \
        --option="winbindd socket directory = $dir/wb" \
        --option="ncalrpc dir = $dir/rpc" \
        --option="ntp signd socket directory = $dir/ntp" \
        --option="log file = $dir/log/%m.log" \
        --option="server services = rpc, ldap, cldap, kdc, winbindd, s3fs" \
        > "$dir/provision.out" 2>&1 || {
        tail -n 30 "$dir/provision.out" >&2
        _dc_log "samba-tool domain provision failed"
        return 1
    }
    # Provision does not keep this one; without it samba-dcerpcd starts on
    # demand and logs under /var/log/samba.
    # NTLMv1 too (Samba's DC allows NTLMv2 only by default): the tests
    # check our acceptor's NTLMv1 path against the DC.
    sed -i 's/^\[global\]$/[global]\n\trpc start on demand helpers = no\n\tntlm auth = ntlmv1-permitted/' "$dir/dc/etc/smb.conf"
    grep -q 'rpc start on demand helpers = no' "$dir/dc/etc/smb.conf" || {
        _dc_log "$dir/dc/etc/smb.conf has no [global] section"
        return 1
    }
    "$GSSNEG_PYTHON" "$GSSNEG_AD_HERE/populate.py" "$dir/dc/etc/smb.conf" "$dir/http.keytab" \
        > "$dir/populate.tmp" 2> "$dir/populate.err" <<EOF || {
user $GSSNEG_AD_ALICE $GSSNEG_AD_ALICE_PASSWORD
user $GSSNEG_AD_BOB $GSSNEG_AD_BOB_PASSWORD
disabled $GSSNEG_AD_DISABLED $GSSNEG_AD_DISABLED_PASSWORD
expired $GSSNEG_AD_EXPIRED $GSSNEG_AD_EXPIRED_PASSWORD
mustchange $GSSNEG_AD_MUSTCHANGE $GSSNEG_AD_MUSTCHANGE_PASSWORD
locked $GSSNEG_AD_LOCKED $GSSNEG_AD_LOCKED_PASSWORD
service $GSSNEG_AD_HTTP_ACCOUNT HTTP/localhost
service $GSSNEG_AD_CIFS_ACCOUNT cifs/localhost
delegates $GSSNEG_AD_HTTP_ACCOUNT cifs/localhost
EOF
        cat "$dir/populate.err" >&2
        _dc_log "populate.py failed"
        return 1
    }
    # populate.out marks a finished provision (dc_start reuses it).
    mv "$dir/populate.tmp" "$dir/populate.out"
}

# _dc_read_sids: the SIDs populate.py reported when it created the accounts.
_dc_read_sids() {
    local dir=$GSSNEG_AD_DIR line
    GSSNEG_AD_DOMAIN_SID=''
    GSSNEG_AD_ALICE_SID=''
    GSSNEG_AD_BOB_SID=''
    while read -r -a line; do
        case "${line[0]} ${line[1]}" in
            "domain-sid "*) GSSNEG_AD_DOMAIN_SID=${line[1]} ;;
            "sid $GSSNEG_AD_ALICE") GSSNEG_AD_ALICE_SID=${line[2]} ;;
            "sid $GSSNEG_AD_BOB") GSSNEG_AD_BOB_SID=${line[2]} ;;
        esac
    done < "$dir/populate.out"
    [[ -n $GSSNEG_AD_DOMAIN_SID && -n $GSSNEG_AD_ALICE_SID && -n $GSSNEG_AD_BOB_SID && -s $dir/http.keytab ]] || {
        cat "$dir/populate.out" "$dir/populate.err" >&2
        _dc_log "populate.py did not report the SIDs or write the keytab"
        return 1
    }
}

# _dc_lock: waits (bounded) for the machine's DC lock; the DC inherits it.
_dc_lock() {
    local file=${TMPDIR:-/tmp}/gssneg-ad-dc.lock
    exec {_dc_lock_fd}>> "$file" || return 1
    if ! flock -n "$_dc_lock_fd"; then
        _dc_log "waiting for another test's DC to stop ($file)"
        flock -w 300 "$_dc_lock_fd" || {
            _dc_log "another DC still holds $file after 300 s"
            _dc_unlock
            return 1
        }
    fi
}

_dc_unlock() {
    if [[ -n $_dc_lock_fd ]]; then
        exec {_dc_lock_fd}>&-
        _dc_lock_fd=
    fi
}

# dc_port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
dc_port_open() {
    (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# _dc_stat PID: sets _dc_st to "STATE PPID SESSION STARTTIME" from
# /proc/PID/stat (the command name, in parentheses, may hold spaces).
_dc_stat() {
    local line rest
    read -r line 2> /dev/null < "/proc/$1/stat" || return 1
    rest=${line##*) }
    read -r -a _dc_st <<< "$rest"
    # state ppid pgrp session ... starttime is field 22 of stat, 20 here.
    _dc_st=("${_dc_st[0]}" "${_dc_st[1]}" "${_dc_st[3]}" "${_dc_st[19]}")
}

# dc_processes [MASTER]: sets DC_PROCESSES to "PID:STARTTIME" of every
# process of the running DC (or of the samba MASTER pid): the master, the
# processes in its session and their descendants (smbd and winbindd call
# setsid(): their own sessions), the pid files, and Samba programs whose
# command line names this smb.conf.
dc_processes() {
    local master=${1:-$GSSNEG_AD_PID} conf=$GSSNEG_AD_SMB_CONF stat pid f changed
    local -A ours=() ppid_of=() sid_of=() start_of=() named=()
    local -a args
    for stat in /proc/[0-9]*/stat; do
        pid=${stat#/proc/}
        pid=${pid%/stat}
        _dc_stat "$pid" || continue
        [[ ${_dc_st[0]} == Z ]] && continue
        ppid_of[$pid]=${_dc_st[1]}
        sid_of[$pid]=${_dc_st[2]}
        start_of[$pid]=${_dc_st[3]}
        mapfile -d '' -t args 2> /dev/null < "/proc/$pid/cmdline" || continue
        [[ " ${args[*]} " == *"$conf"* ]] && named[$pid]=1
    done
    [[ -n ${start_of[$master]:-} ]] && ours[$master]=1
    for f in "$GSSNEG_AD_DIR"/run/*.pid; do
        [[ -r $f ]] || continue
        read -r pid < "$f" || continue
        [[ $pid =~ ^[0-9]+$ && -n ${start_of[$pid]:-} ]] && ours[$pid]=1
    done
    for pid in "${!named[@]}"; do ours[$pid]=1; done
    changed=1
    while [[ $changed -eq 1 ]]; do
        changed=0
        for pid in "${!ppid_of[@]}"; do
            [[ -n ${ours[$pid]:-} ]] && continue
            if [[ -n ${ours[${ppid_of[$pid]}]:-} || -n ${ours[${sid_of[$pid]}]:-} ]]; then
                ours[$pid]=1
                changed=1
            fi
        done
    done
    # Never this shell or its parents, whatever a pid file says.
    unset "ours[$$]" "ours[$BASHPID]" "ours[$PPID]" "ours[1]"
    DC_PROCESSES=()
    for pid in "${!ours[@]}"; do
        DC_PROCESSES+=("$pid:${start_of[$pid]}")
    done
}

# dc_alive PID:STARTTIME: the process still runs (not a zombie, not a new
# process that reused the pid).
dc_alive() {
    local pid=${1%%:*} start=${1#*:}
    _dc_stat "$pid" || return 1
    [[ ${_dc_st[0]} != Z && ${_dc_st[3]} == "$start" ]]
}

# _dc_wait_gone TENTHS: waits until no collected process runs; returns 1
# if some still run after TENTHS tenths of a second.
_dc_wait_gone() {
    local i p left
    for ((i = 0; i <= $1; i++)); do
        left=0
        for p in "${DC_PROCESSES[@]}"; do
            dc_alive "$p" && { left=1; break; }
        done
        [[ $left -eq 0 ]] && return 0
        sleep 0.1
    done
    return 1
}

# _dc_signal SIGNAL: sends SIGNAL to each collected process still running.
_dc_signal() {
    local p
    for p in "${DC_PROCESSES[@]}"; do
        dc_alive "$p" && kill "-$1" "${p%%:*}" 2> /dev/null
    done
    return 0
}

# _dc_wait_ready: bounded wait (a readiness wait, not a timed assertion)
# until the KDC and LDAP ports accept and winbindd answers a ping. Returns 1
# if samba exited, 2 if it never became ready.
_dc_wait_ready() {
    local dir=$GSSNEG_AD_DIR i
    for ((i = 0; i < 600; i++)); do
        dc_alive "$GSSNEG_AD_PID:$_dc_master_start" || return 1
        if dc_port_open 88 && dc_port_open 389 &&
            dc_winbind wbinfo -p > "$dir/ready.out" 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    cat "$dir/ready.out" >&2
    return 2
}

# dc_start DIR: provisions a domain in DIR unless DIR already holds one
# (from an earlier dc_start and dc_stop: a restart takes about a second,
# a provision several), starts samba and waits until it is ready.
dc_start() {
    local dir=${1:?usage: dc_start DIR} port rc
    if [[ -n ${GSSNEG_AD_PID:-} ]]; then
        _dc_log "a DC is already running (pid $GSSNEG_AD_PID)"
        return 1
    fi
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
    # The longest socket path below DIR is about 40 bytes.
    if [[ ${#dir} -gt 60 ]]; then
        _dc_log "$dir is too long for Samba's socket paths (at most 60 bytes)"
        return 1
    fi
    GSSNEG_AD_DIR=$dir
    chmod 700 "$dir"
    mkdir -p "$dir/rcache" "$dir/run" "$dir/wb" "$dir/rpc" "$dir/ntp" "$dir/log"
    cp /etc/passwd "$dir/passwd"
    cp /etc/group "$dir/group"
    _dc_write_krb5_conf "$dir/krb5.conf"
    _dc_export
    if [[ ! -s $dir/populate.out ]]; then
        rm -rf "$dir/dc"
        _dc_provision || return 1
    fi
    _dc_read_sids || return 1
    _dc_export

    _dc_lock || return 1
    for port in 88 389 445 135 464 636 3268 3269; do
        if dc_port_open "$port"; then
            ss -Hltnp "sport = :$port" >&2 2> /dev/null || true
            _dc_log "127.0.0.1:$port is taken: another DC or KDC runs outside the harness"
            _dc_unlock
            return 1
        fi
    done
    chain_stop_on_exit dc_stop
    rm -f "$dir/samba.stdin"
    mkfifo "$dir/samba.stdin"
    # samba -i stops at the end of its standard input: the fifo, whose
    # writing end only this shell holds (opened after samba's fork, for
    # reading and writing so that the open does not wait for samba's).
    # setsid puts samba and its children in a session of their own, out of
    # reach of signals meant for the test's process group; it execs samba
    # in place (this background child is not a group leader), so $! is
    # samba's pid.
    env KRB5_CONFIG="$dir/krb5.conf" KRB5RCACHEDIR="$dir/rcache" KRB5CCNAME="FILE:$dir/samba.ccache" \
        KRB5_KTNAME="FILE:$dir/samba.keytab" LD_PRELOAD="$GSSNEG_AD_NSS_WRAPPER" \
        setsid samba -i -s "$GSSNEG_AD_SMB_CONF" --maximum-runtime="$GSSNEG_AD_MAX_RUNTIME" \
        < "$dir/samba.stdin" > "$dir/samba.out" 2>&1 &
    GSSNEG_AD_PID=$!
    exec {_dc_stdin_fd}<> "$dir/samba.stdin"
    _dc_stat "$GSSNEG_AD_PID" || { _dc_log "samba exited at once"; cat "$dir/samba.out" >&2; dc_stop; return 1; }
    _dc_master_start=${_dc_st[3]}
    _dc_export
    rc=0
    _dc_wait_ready || rc=$?
    if [[ $rc -ne 0 ]]; then
        tail -n 40 "$dir/samba.out" >&2
        [[ $rc -eq 1 ]] && _dc_log "samba exited before it was ready"
        [[ $rc -eq 2 ]] && _dc_log "samba was not ready after 60 s"
        dc_stop
        return 1
    fi
    if [[ $(readlink "/proc/$GSSNEG_AD_PID/exe") != */samba ]]; then
        _dc_log "pid $GSSNEG_AD_PID is $(readlink "/proc/$GSSNEG_AD_PID/exe"), not samba"
        dc_stop
        return 1
    fi
}

# dc_kinit USER [KINIT_ARGS...]: USER's TGT into $KRB5CCNAME with the known
# password (alice, bob or carol, the disabled one).
dc_kinit() {
    local user=${1:?usage: dc_kinit USER} password
    shift
    case $user in
        "$GSSNEG_AD_ALICE") password=$GSSNEG_AD_ALICE_PASSWORD ;;
        "$GSSNEG_AD_BOB") password=$GSSNEG_AD_BOB_PASSWORD ;;
        "$GSSNEG_AD_DISABLED") password=$GSSNEG_AD_DISABLED_PASSWORD ;;
        *) _dc_log "dc_kinit: no known password for $user"; return 1 ;;
    esac
    printf '%s\n' "$password" | kinit "$@" "$user@$GSSNEG_AD_REALM" > /dev/null
}

# dc_stop: stops the DC this shell started and waits until every one of its
# processes is gone: SIGTERM to samba (which stops its services, smbd and
# winbindd), then to what is left, then SIGKILL. Only the processes
# collected before the first signal (DC_PROCESSES keeps the list, for a
# test to check) are signalled, each checked again by its start time.
# Safe to call twice.
dc_stop() {
    local master=${GSSNEG_AD_PID:-}
    if [[ -z $master ]]; then
        _dc_unlock
        return 0
    fi
    GSSNEG_AD_PID=
    dc_processes "$master"
    kill -TERM "$master" 2> /dev/null || true
    if [[ -n $_dc_stdin_fd ]]; then
        exec {_dc_stdin_fd}>&-
        _dc_stdin_fd=
    fi
    if ! _dc_wait_gone 150; then
        _dc_log "some of the DC's processes ignored samba's stop; SIGTERM to each"
        _dc_signal TERM
        if ! _dc_wait_gone 50; then
            _dc_log "SIGKILL to what is left"
            _dc_signal KILL
            _dc_wait_gone 50 || _dc_log "processes left: ${DC_PROCESSES[*]}"
        fi
    fi
    wait "$master" 2> /dev/null || true
    [[ -n ${GSSNEG_AD_DIR:-} ]] && sed -i 's/^GSSNEG_AD_PID=.*/GSSNEG_AD_PID=/' "$GSSNEG_AD_DIR/env.sh" 2> /dev/null
    _dc_unlock
    return 0
}
