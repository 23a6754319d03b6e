#!/usr/bin/env bash
# Smoke test of bench-compare --only domain (never a timed assertion): with
# a DC of its own, one short round of NTLM handshakes validated through
# winbindd, ours and gss-ntlmssp's, with 1 and 2 threads; each row must
# carry figures for both sides.
#
# usage: bench_domain.sh BENCH-COMPARE BUILD-DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/dc.sh"
source "$here/../lib/expect.sh"
if reason=$(dc_missing); then
    skip "$reason"
fi
[[ $# -eq 2 ]] || fail "usage: $0 BENCH-COMPARE BUILD-DIR"
out=$(mktemp "${TMPDIR:-/tmp}/gssneg-bench-domain.XXXXXX")
trap 'rm -f "$out"' EXIT
rc=0
"$GSSNEG_PYTHON" "$1" --build "$2" --quick --only domain --domain-threads 2 > "$out" 2>&1 || rc=$?
cat "$out"
[[ $rc -eq 0 ]] || fail "bench-compare --only domain exited $rc"
number='[0-9][0-9,]*(\.[0-9]+)?'
for row in "logons/s through the DC, 1 thread" "logons/s through the DC, 2 threads" "logons, 2 threads / 1 thread"; do
    grep -Eq "^  $row +$number +$number +$number" "$out" || fail "no figures for both sides in: $row"
    echo "ok: $row"
done
echo "PASS: bench-compare through the domain"
