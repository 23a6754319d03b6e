# shellcheck shell=bash
# Verdicts and checks for the bash tests of the server harnesses
# (test/kdc, test/ad); sourced, not run. Each check prints "ok: ..." or
# ends the test with "FAIL: ...".

fail() {
    echo "FAIL: $*"
    exit 1
}

# skip REASON: meson's exit status for a skipped test.
skip() {
    echo "SKIP: $*"
    exit 77
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    [[ $2 == "$3" ]] || fail "$1: expected '$2', got '$3'"
    echo "ok: $1 = '$3'"
}

# expect_line FILE LINE: FILE has LINE exactly.
expect_line() {
    grep -qxF -- "$2" "$1" || { cat "$1"; fail "$(basename "$1") lacks the line: $2"; }
    echo "ok: $(basename "$1") has: $2"
}

# expect_no_match FILE STRING: no line of FILE contains the fixed string.
expect_no_match() {
    if grep -qF -- "$2" "$1"; then
        cat "$1"
        fail "$(basename "$1") must not contain: $2"
    fi
    echo "ok: $(basename "$1") has no: $2"
}

# count_lines FILE STRING: how many lines of FILE contain the fixed string.
count_lines() {
    grep -cF -- "$2" "$1" || true
}
