#!/usr/bin/env bash
# Smoke test of gssneg-bench and bench-compare: each mode runs once with tiny
# counts against the build tree's module. It checks that every run completes
# and prints well-formed figures; it never judges a figure's value.
#
# usage: bench_smoke.sh GSSNEG-BENCH MECH-FILE [BENCH-COMPARE BUILD-DIR]
set -euo pipefail

bench=$1
mech=$2
compare=${3:-}
build=${4:-}

work=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-bench-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'SMOKEDOM:smoke:Smoke-Passw0rd\n' > "$work/users"
: > "$work/options"

export GSS_MECH_CONFIG=$mech NTLM_USER_FILE=$work/users GSS_NEGOTIATE_CONFIG=$work/options
export KRB5CCNAME=FILE:$work/absent KRB5_CLIENT_KTNAME=FILE:$work/absent
unset GSS_NEGOTIATE_TRACE

fail() {
    echo "FAIL: $*"
    exit 1
}

# run NAME EXPECTED-FIGURE ARGS...: one run in text mode; every line must read
# "name: number unit" and the expected figure must be among them.
run() {
    local name=$1 expected=$2
    shift 2
    "$bench" --mech ntlm --user 'SMOKEDOM\smoke' "$@" > "$work/$name.out" 2> "$work/$name.err" ||
        fail "$name: gssneg-bench $* exited $?: $(cat "$work/$name.err")"
    [[ -s $work/$name.out ]] || fail "$name: no output"
    if grep -Evq '^[a-z0-9_]+: -?[0-9]+(\.[0-9]+)? [A-Za-z/-]+$' "$work/$name.out"; then
        fail "$name: malformed line: $(grep -Ev '^[a-z0-9_]+: -?[0-9]+(\.[0-9]+)? [A-Za-z/-]+$' "$work/$name.out" | head -1)"
    fi
    grep -q "^$expected: " "$work/$name.out" || fail "$name: no $expected figure"
    echo "ok: $name ($(wc -l < "$work/$name.out") figures)"
}

run handshake handshake_rate --mode handshake --count 3 --warmup 1
run handshake-threads handshake_rate_thread_1 --mode handshake --count 3 --warmup 1 --threads 2
run wrap unwrap_rate --mode wrap --count 2 --size 4096 --warmup 1
run mic verify_mic_rate --mode mic --count 10 --warmup 1
run memory heap_bytes_per_context --mode memory --count 20 --warmup 1
run seconds handshake_rate --mode handshake --seconds 0.05 --warmup 1

# --json prints one object whose figures all have a number and a unit.
"$bench" --mech ntlm --user 'SMOKEDOM\smoke' --mode all --count 3 --warmup 1 --size 64 --json > "$work/all.json" ||
    fail "json: gssneg-bench exited $?"
if [[ -x /usr/bin/python3 ]]; then
    /usr/bin/python3 - "$work/all.json" <<'EOF' || fail "json: malformed object"
import json, numbers, sys
obj = json.load(open(sys.argv[1]))
figures = obj["figures"]
assert obj["mode"] == "all" and figures
for name in ("handshake_rate", "wrap_rate", "get_mic_rate", "peak_rss"):
    assert name in figures, name
for fig in figures.values():
    assert isinstance(fig["value"], numbers.Number) and fig["unit"]
EOF
    echo "ok: json"
fi

# An error prints the GSS status texts and exits 1.
if NTLM_USER_FILE=$work/absent "$bench" --mech ntlm --mode handshake --count 1 > /dev/null 2> "$work/error.err"; then
    fail "error: a run without a user database succeeded"
else
    rc=$?
    [[ $rc -eq 1 ]] || fail "error: exit $rc, expected 1"
    grep -q 'major:' "$work/error.err" || fail "error: no major status text"
fi
echo "ok: error"

if [[ -n $compare ]]; then
    [[ -x /usr/bin/python3 ]] || { echo "ok: bench-compare skipped (no /usr/bin/python3)"; exit 0; }
    "$compare" --quick --build "$build" > "$work/compare.out" 2>&1 ||
        fail "bench-compare --quick: $(tail -5 "$work/compare.out")"
    grep -q 'NTLM handshakes/s, 1 thread' "$work/compare.out" || grep -q 'no reference' "$work/compare.out" ||
        fail "bench-compare --quick: no NTLM rows"
    grep -q 'Negotiate over Kerberos' "$work/compare.out" || fail "bench-compare --quick: no Negotiate rows"
    # With the KDC tools present (CI installs them), the Kerberos rows carry
    # figures for all three sides.
    if command -v krb5kdc > /dev/null && command -v kadmin.local > /dev/null; then
        grep -Eq 'Negotiate/krb5 vs MIT SPNEGO: handshakes/s, 1 thread +[0-9,.]+ +[0-9,.]+ +[0-9.]+x' \
            "$work/compare.out" || fail "bench-compare --quick: no Kerberos figures against MIT's SPNEGO"
        grep -Eq 'Negotiate/krb5 vs raw krb5: wrap MB/s \(1 MiB, sealed\) +[0-9,.]+ +[0-9,.]+ +[0-9.]+x' \
            "$work/compare.out" || fail "bench-compare --quick: no Kerberos figures against raw krb5"
    fi
    echo "ok: bench-compare --quick"
fi
