#!/usr/bin/env bash
# Runs one command against a fresh loopback KDC of its own.
#
#   with-kdc.sh [--kinit USER] [--] COMMAND [ARGS...]
#
# Makes a temporary directory, starts the KDC there (kdc.sh kdc_start), gets
# USER's ticket when --kinit is given, runs COMMAND with the harness's
# environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, GSSNEG_* ... see
# kdc.sh), stops the KDC by its pid and removes the directory. Exits with
# COMMAND's status. For tests that are programs rather than bash scripts
# (Catch2, Python): in meson, test(..., bash, args: [with_kdc, exe, ...]).
# GSSNEG_KEEP_TMP=1 keeps the directory for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/kdc.sh"

kinit_user=
while [[ $# -gt 0 ]]; do
    case $1 in
        --kinit) kinit_user=${2:?--kinit needs a user}; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--kinit USER] [--] COMMAND [ARGS...]" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-kdc.XXXXXX")
# shellcheck disable=SC2317 # called from the EXIT trap
finish() {
    kdc_stop
    if [[ ${GSSNEG_KEEP_TMP:-0} == 1 ]]; then
        echo "with-kdc.sh: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT
kdc_start "$tmp/kdc"
echo "with-kdc.sh: KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT (UDP and TCP), dir $GSSNEG_KDC_DIR"
[[ -z $kinit_user ]] || kdc_kinit "$kinit_user"
rc=0
"$@" || rc=$?
exit "$rc"
