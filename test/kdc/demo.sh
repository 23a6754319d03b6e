#!/usr/bin/env bash
# tools/run-demo, as a new user runs it (the build already made): Negotiate
# over Kerberos with mutual authentication, then without a ticket over NTLM
# in three NTLM messages, messages protected both ways each time; then
# --ntlm. Checks the lines that say so.
#
#   demo.sh negotiate | ntlm
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/expect.sh"
root=$(cd "$here/../.." && pwd)
out=$(mktemp "${TMPDIR:-/tmp}/gssneg-demo-test.XXXXXX")
trap 'rm -f "$out"' EXIT

case ${1:?usage: demo.sh negotiate|ntlm} in
negotiate)
    GSSNEG_DEMO_NO_BUILD=1 bash "$root/tools/run-demo" > "$out" 2>&1 || { cat "$out"; fail "run-demo failed"; }
    cat "$out"
    # The Kerberos part, then the NTLM part, in that order.
    kerberos=$(sed -n '/^== 1\. /,/^== 2\. /p' "$out")
    ntlm=$(sed -n '/^== 2\. /,$p' "$out")
    grep -q 'NegTokenInit \[Kerberos 5 (Microsoft), Kerberos 5\] with AP-REQ' <<< "$kerberos" || fail "no Kerberos NegTokenInit"
    grep -q 'accept-completed Kerberos 5 (Microsoft) with AP-REP' <<< "$kerberos" || fail "no AP-REP"
    grep -q '^  mechanism:    Kerberos 5 ' <<< "$kerberos" || fail "Kerberos was not the mechanism"
    grep -q 'the client authenticated the server as host/localhost@GSSNEG.TEST (mutual authentication)' <<< "$kerberos" ||
        fail "mutual authentication not reported"
    grep -q 'the server authenticated the client as alice@GSSNEG.TEST' <<< "$kerberos" || fail "no Kerberos client name"
    echo "ok: Kerberos with mutual authentication"
    [[ $(grep -c '^         NTLM ' <<< "$ntlm") -eq 3 ]] || fail "not three NTLM messages"
    for m in NEGOTIATE CHALLENGE AUTHENTICATE; do
        grep -q "^         NTLM $m, flags " <<< "$ntlm" || fail "no decoded NTLM $m"
    done
    grep -q '^  mechanism:    NTLM ' <<< "$ntlm" || fail "NTLM was not the mechanism"
    grep -q 'the server authenticated the client as DEMO\\alice' <<< "$ntlm" || fail "no NTLM client name"
    grep -q 'NTLM has no server authentication' <<< "$ntlm" || fail "NTLM's missing server authentication not said"
    echo "ok: the fallback to NTLM in three messages"
    [[ $(grep -c '^  message protection: ok' "$out") -eq 2 ]] || fail "messages not protected in both runs"
    for part in "$kerberos" "$ntlm"; do
        grep -q '<- sealed reply (confidential)' <<< "$part" || fail "no sealed reply"
        grep -q "<- server's MIC verified" <<< "$part" || fail "no verified MIC"
    done
    echo "ok: sealed and signed messages both ways, twice"
    ;;
ntlm)
    GSSNEG_DEMO_NO_BUILD=1 bash "$root/tools/run-demo" --ntlm > "$out" 2>&1 || { cat "$out"; fail "run-demo --ntlm failed"; }
    cat "$out"
    [[ $(grep -c '^         NTLM ' "$out") -eq 3 ]] || fail "not three NTLM messages"
    grep -q 'the server authenticated the client as DEMO\\alice' "$out" || fail "no client name"
    grep -q '^  message protection: ok' "$out" || fail "messages not protected"
    echo "ok: raw NTLM"
    ;;
*) fail "unknown case $1" ;;
esac
echo PASS
