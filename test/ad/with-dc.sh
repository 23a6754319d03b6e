#!/usr/bin/env bash
# Runs one command against a fresh AD domain controller of its own.
#
#   with-dc.sh [--kinit USER] [--] COMMAND [ARGS...]
#
# Makes a short temporary directory, starts the DC there (dc.sh dc_start),
# gets USER's ticket when --kinit is given, runs COMMAND with the harness's
# environment (KRB5_CONFIG, KRB5CCNAME, KRB5_KTNAME, GSSNEG_AD_* ... see
# dc.sh), stops the DC by its pids and removes the directory. Exits with
# COMMAND's status, or 77 (skipped) when the DC cannot run here. For tests
# that are programs rather than bash scripts (Python): in meson,
# test(..., bash, args: [ad_with, exe, ...], is_parallel: false).
# GSSNEG_KEEP_TMP=1 keeps the directory for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/dc.sh"

kinit_user=
while [[ $# -gt 0 ]]; do
    case $1 in
        --kinit) kinit_user=${2:?--kinit needs a user}; shift 2 ;;
        --) shift; break ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "usage: $0 [--kinit USER] [--] COMMAND [ARGS...]" >&2; exit 2; }

if reason=$(dc_missing); then
    echo "SKIP: $reason"
    exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-ad.XXXXXX")
# shellcheck disable=SC2317 # called from the EXIT trap
finish() {
    dc_stop
    if [[ ${GSSNEG_KEEP_TMP:-0} == 1 ]]; then
        echo "with-dc.sh: kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap finish EXIT
dc_start "$tmp/dc"
echo "with-dc.sh: samba pid $GSSNEG_AD_PID, realm $GSSNEG_AD_REALM, dir $GSSNEG_AD_DIR"
[[ -z $kinit_user ]] || dc_kinit "$kinit_user"
rc=0
"$@" || rc=$?
exit "$rc"
