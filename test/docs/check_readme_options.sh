#!/usr/bin/env bash
# The README's table of options is the one the option table prints.
#   check_readme_options.sh GEN_DOCS README
set -euo pipefail
gen=$1 readme=$2
in_readme=$(sed -n '/^<!-- options:begin/,/^<!-- options:end -->/p' "$readme" | sed '1d;$d')
[[ -n $in_readme ]] || { echo "FAIL: $readme has no options:begin/options:end section"; exit 1; }
if ! diff -u <(printf '%s\n' "$in_readme") <("$gen" markdown); then
    echo "FAIL: the README's options table differs from the option table (- README, + generated)."
    echo "Replace the lines between the markers with the output of: $gen markdown"
    exit 1
fi
echo "ok: the README's options table is the generated one ($(wc -l <<< "$in_readme") lines)"
