#!/usr/bin/env bash
# Every man page renders, and groff has no warning about any of them.
#   check_man.sh PAGE...
set -euo pipefail
# groff and man are not ours: under the ASan stage's wrapper they must not
# run with the preloaded sanitizer runtime.
unset LD_PRELOAD
command -v groff > /dev/null || { echo "SKIP: groff is missing (package groff-base)"; exit 77; }
failed=0
for page in "$@"; do
    warnings=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
    # As lintian renders a page.
    if command -v man > /dev/null; then
        warnings+=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 > /dev/null)
    fi
    text=$(groff -man -Tutf8 -P-cbou "$page" 2> /dev/null)
    name=$(basename "$page")
    if [[ -n $warnings ]]; then
        echo "FAIL: $name: $warnings"
        failed=1
    elif ! grep -q '^NAME' <<< "$text" || [[ $(wc -l <<< "$text") -lt 10 ]]; then
        echo "FAIL: $name renders without a NAME section or nearly empty"
        failed=1
    else
        echo "ok: $name renders ($(wc -l <<< "$text") lines), no warning"
    fi
done
exit "$failed"
