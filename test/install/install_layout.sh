#!/usr/bin/env bash
# meson install of this build into a scratch DESTDIR, and the files a user
# gets from it:
#   - exactly the expected files (gssneg-bench only with -Dinstall_bench);
#   - with -Dstrip=true, the module and the tools carry no symbol table and
#     no debugging information;
#   - the module's default options file is $(sysconfdir)/gss-negotiate/
#     gss-negotiate.conf, the path the example file names;
#   - the mechglue's directory holds a link, sorting after gss-ntlmssp's
#     mech.ntlmssp.conf, to the mech file in $(sysconfdir)/gss-negotiate,
#     whose two lines name the installed module;
#   - gss-negotiate.pc gives the header's directory, krb5-gssapi, and the
#     installed paths; a C program built with it decodes the header's OIDs
#     through the mechglue.
# meson install rewrites BUILD/meson-logs/install-log.txt, which "ninja
# uninstall" reads: the test puts the previous one back.
#
#   install_layout.sh BUILD SOURCE PREFIX BINDIR LIBDIR LIBEXECDIR INCLUDEDIR
#                     PKG_SYSCONF_DIR OPTIONS_FILE MECH_CONF_DIR MECH_LINK
#                     MODULE_PATH_IN_MECH INTERPOSER_OID STRIP INSTALL_BENCH MANDIR
set -euo pipefail

[[ $# -eq 16 ]] || { echo "usage: see the head of $0" >&2; exit 2; }
build=$1 source=$2 prefix=$3 bindir=$4 libdir=$5 libexecdir=$6 includedir=$7
pkg_sysconf_dir=$8 options_file=$9 mech_conf_dir=${10} mech_link=${11}
module_in_mech=${12} interposer_oid=${13} strip=${14} install_bench=${15} mandir=${16}

abs() { [[ $1 == /* ]] && echo "$1" || echo "$prefix/$1"; }
bindir=$(abs "$bindir") libdir=$(abs "$libdir") libexecdir=$(abs "$libexecdir")
includedir=$(abs "$includedir") mandir=$(abs "$mandir")

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gssneg-install.XXXXXX")
log=$build/meson-logs/install-log.txt
saved_log=
if [[ -e $log ]]; then
    saved_log=$work/install-log.txt
    cp -p "$log" "$saved_log"
fi
cleanup() {
    if [[ -n $saved_log ]]; then cp -p "$saved_log" "$log"; else rm -f "$log"; fi
    rm -rf "$work"
}
trap cleanup EXIT

dest=$work/root
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet

module=$libdir/gss/gss-negotiate.so
expected=(
    "$bindir/gssneg-client"
    "$bindir/gssneg-doctor"
    "$bindir/gssneg-inspect"
    "$bindir/gssneg-server"
    "$includedir/gss-negotiate/gss_negotiate.h"
    "$libdir/pkgconfig/gss-negotiate.pc"
    "$module"
    "$pkg_sysconf_dir/gss-negotiate.conf.example"
    "$pkg_sysconf_dir/mech"
    "$mech_conf_dir/$mech_link"
    "$mandir/man1/gssneg-client.1"
    "$mandir/man1/gssneg-doctor.1"
    "$mandir/man1/gssneg-inspect.1"
    "$mandir/man1/gssneg-server.1"
    "$mandir/man5/gss-negotiate.conf.5"
    "$mandir/man7/gss-negotiate.7"
)
[[ $install_bench == true ]] && expected+=("$libexecdir/gss-negotiate/gssneg-bench")
printf '%s\n' "${expected[@]}" | LC_ALL=C sort > "$work/expected"
(cd "$dest" && find . -type f -o -type l) | sed 's|^\.||' | LC_ALL=C sort > "$work/installed"
if diff -u "$work/expected" "$work/installed"; then
    ok "meson install puts exactly these files: $(tr '\n' ' ' < "$work/installed")"
else
    fail "the installed files differ from the expected ones (- expected, + installed)"
fi

echo "installed module: $(stat -c %s "$dest$module") bytes (build tree: $(stat -c %s "$build/mech/gss-negotiate.so"))"
if [[ $strip == true ]]; then
    for f in "$module" "$bindir/gssneg-client" "$bindir/gssneg-server" "$bindir/gssneg-inspect" "$bindir/gssneg-doctor"; do
        sections=$(readelf -S -W "$dest$f")
        if grep -qE '\.(symtab|debug_[a-z]+) ' <<< "$sections"; then
            fail "$f is not stripped: $(grep -oE '\.(symtab|debug_[a-z]+) ' <<< "$sections" | tr -d ' ' | tr '\n' ' ')"
        else
            ok "$f is stripped"
        fi
    done
    # What a module needs at run time survives: the mechglue's dlsym of
    # the entry points reads the dynamic symbol table.
    readelf --dyn-syms -W "$dest$module" > "$work/dynsyms"
    if grep -qw gss_mech_interposer "$work/dynsyms"; then
        ok "the stripped module still exports gss_mech_interposer"
    else
        fail "the stripped module lost its dynamic symbols"
    fi
fi

# (The strings go to a file: grep -q would end a pipe early, and pipefail
# would count strings' SIGPIPE as the outcome.)
strings -a "$dest$module" > "$work/module-strings"
if grep -qxF "$options_file" "$work/module-strings"; then
    ok "the module's default options file is $options_file"
else
    fail "the module does not name $options_file; it has: $(grep 'gss-negotiate\.conf$' "$work/module-strings" | tr '\n' ' ')"
fi
if grep -qF "# The module reads $options_file," "$dest$pkg_sysconf_dir/gss-negotiate.conf.example"; then
    ok "the example options file names $options_file"
else
    fail "the example options file does not name $options_file"
fi

link=$dest$mech_conf_dir/$mech_link
if [[ -L $link && $(readlink "$link") == "$pkg_sysconf_dir/mech" ]]; then
    ok "$mech_conf_dir/$mech_link -> $pkg_sysconf_dir/mech"
else
    fail "$mech_conf_dir/$mech_link is not a link to $pkg_sysconf_dir/mech"
fi
printf '%s\n' 'gss-negotiate-ntlm       1.3.6.1.4.1.311.2.2.10 '"$module_in_mech" \
    'gss-negotiate-negotiate  '"$interposer_oid $module_in_mech"' <interposer>' > "$work/mech-lines"
if grep -v '^#' "$dest$pkg_sysconf_dir/mech" | diff -u "$work/mech-lines" -; then
    ok "the mech file's lines name $module_in_mech"
else
    fail "the mech file's lines differ (- expected, + installed)"
fi
# glob(3) sorts by the collation of the process's locale: the link must
# come last in the C locale and in C.UTF-8 (the one every Debian has).
for locale in C C.UTF-8; do
    last=$(printf '%s\n' mech.ntlmssp.conf gssproxy.conf proxymech.conf "$mech_link" |
        LC_ALL=$locale sort | tail -n 1)
    if [[ $last == "$mech_link" ]]; then
        ok "$mech_link sorts after mech.ntlmssp.conf in $locale"
    else
        fail "$last sorts after $mech_link in $locale"
    fi
done

pc() { PKG_CONFIG_PATH=$dest$libdir/pkgconfig pkg-config "$@" gss-negotiate; }
check_variable() {
    local value
    value=$(pc --variable="$1")
    if [[ $value == "$2" ]]; then ok "pkg-config $1 = $value"; else fail "pkg-config $1 = '$value', expected '$2'"; fi
}
check_variable includedir "$includedir"
check_variable module "$module"
check_variable optionsfile "$options_file"
check_variable mechfile "$pkg_sysconf_dir/mech"
check_variable mechconfdir "$mech_conf_dir"
check_variable ntlm_oid 1.3.6.1.4.1.311.2.2.10
check_variable interposer_oid "$interposer_oid"
if [[ $(pc --print-requires) == krb5-gssapi ]]; then ok "gss-negotiate.pc requires krb5-gssapi"; else fail "gss-negotiate.pc does not require krb5-gssapi"; fi
# The header from DESTDIR: the .pc's own -I names the final location.
read -r -a cflags <<< "$(pc --cflags)"
read -r -a libs <<< "$(pc --libs)"
if cc -std=c99 -Wall -Wextra -Werror -I"$dest$includedir" "${cflags[@]}" \
        -o "$work/use_header" "$source/test/install/use_header.c" "${libs[@]}" &&
        "$work/use_header"; then
    ok "a C program built with gss-negotiate.pc decodes the header's OIDs"
else
    fail "the C program built with gss-negotiate.pc failed"
fi

if [[ $failures -ne 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
fi
