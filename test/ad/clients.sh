#!/usr/bin/env bash
# The domain as its clients see it: MIT's kinit against the DC's KDC, and
# winbind clients (wbinfo, ntlm_auth) through the DC's own winbindd.
#
#   clients.sh CASE
#     kinit    TGTs for alice and bob; a service ticket for HTTP/localhost
#              with AES keys, whose kvno and enctypes the exported keytab
#              holds (and nothing else); a wrong password, the disabled
#              account and an unknown user each fail with their own error
#     winbind  wbinfo -p and -P (the DC's NETLOGON), alice's name maps to
#              the SID the harness reported; wbinfo -a in plaintext and
#              challenge/response (NTLMv1 and NTLMv2) for alice and bob;
#              ntlm_auth validates through winbind; a wrong password, the
#              disabled account and an unknown user each give their own
#              NT_STATUS; without nss_wrapper the DC's winbindd is out of
#              reach (dc_winbind is what makes the difference)
source "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || fail "usage: $0 kinit|winbind"
case_name=$1

dc_start "$TEST_DIR/dc"
echo "samba pid $GSSNEG_AD_PID, dir $GSSNEG_AD_DIR"
out=$TEST_DIR/out
REALM=$GSSNEG_AD_REALM
DOMAIN=$GSSNEG_AD_DOMAIN

# run_out EXPECTED_STATUS COMMAND...: COMMAND's output (both streams) in
# $out, and its exit status checked.
run_out() {
    local expected=$1 rc=0
    shift
    "$@" > "$out" 2>&1 || rc=$?
    cat "$out"
    [[ $rc -eq $expected ]] || fail "$*: exit status $rc, expected $expected"
}

# run_err EXPECTED_STATUS COMMAND...: the same with only the standard
# error in $out (kinit's prompt goes to the standard output).
run_err() {
    local expected=$1 rc=0
    shift
    "$@" > /dev/null 2> "$out" || rc=$?
    cat "$out"
    [[ $rc -eq $expected ]] || fail "$*: exit status $rc, expected $expected"
}

# expect_tgt PRINCIPAL: the ccache holds PRINCIPAL's TGT for the realm.
expect_tgt() {
    run_out 0 klist
    expect_line "$out" "Default principal: $1"
    expect_eq "TGT lines" 1 "$(grep -cE "^[0-9/]+ [0-9:]+  [0-9/]+ [0-9:]+  krbtgt/$REALM@$REALM\$" "$out" || true)"
}

case $case_name in
    kinit)
        dc_kinit "$GSSNEG_AD_ALICE"
        expect_tgt "$GSSNEG_AD_ALICE@$REALM"
        run_out 0 kvno "HTTP/localhost@$REALM"
        kvno=$(sed -n "s,^HTTP/localhost@$REALM: kvno = \([0-9]*\)\$,\1,p" "$out")
        [[ -n $kvno ]] || fail "kvno printed no key version"
        run_out 0 klist -e
        # The line after the service ticket's names its enctypes.
        expect_eq "the HTTP/localhost ticket's enctypes" \
            "Etype (skey, tkt): aes256-cts-hmac-sha1-96, aes256-cts-hmac-sha1-96" \
            "$(grep -A1 " HTTP/localhost@$REALM\$" "$out" | sed -n '2s/^[[:space:]]*//; 2s/[[:space:]]*$//p')"
        run_out 0 klist -k -e "$GSSNEG_AD_HTTP_KEYTAB"
        # The SPNs' keys are AES only (msDS-SupportedEncryptionTypes); the
        # account principal of httpsvc (for its TGT) comes with the RC4 key
        # Samba exports for accounts, which krb5.conf's permitted_enctypes
        # leaves unused.
        aes="(aes256-cts-hmac-sha1-96)|%s (aes128-cts-hmac-sha1-96)|"
        # shellcheck disable=SC2059 # the format is ours
        expect_eq "keytab entries" \
            "$kvno HTTP/localhost@$REALM $(printf "$aes" "$kvno HTTP/localhost@$REALM")$kvno cifs/localhost@$REALM $(printf "$aes" "$kvno cifs/localhost@$REALM")$kvno $GSSNEG_AD_HTTP_ACCOUNT@$REALM $(printf "$aes" "$kvno $GSSNEG_AD_HTTP_ACCOUNT@$REALM")$kvno $GSSNEG_AD_HTTP_ACCOUNT@$REALM (DEPRECATED:arcfour-hmac)|" \
            "$(sed -n '4,$p' "$out" | sed 's/^ *//; s/ *$//' | tr '\n' '|')"
        kdestroy
        dc_kinit "$GSSNEG_AD_BOB"
        expect_tgt "$GSSNEG_AD_BOB@$REALM"
        kdestroy
        run_err 1 kinit "$GSSNEG_AD_ALICE@$REALM" <<< "not-her-password"
        expect_line "$out" "kinit: Password incorrect while getting initial credentials"
        run_err 1 dc_kinit "$GSSNEG_AD_DISABLED"
        expect_line "$out" "kinit: Client's credentials have been revoked while getting initial credentials"
        run_err 1 kinit "nobody@$REALM" <<< "Nobody-pw.1"
        expect_line "$out" "kinit: Client 'nobody@$REALM' not found in Kerberos database while getting initial credentials"
        ;;
    winbind)
        run_out 0 dc_winbind wbinfo -p
        expect_line "$out" "Ping to winbindd succeeded"
        run_out 0 dc_winbind wbinfo -P
        expect_line "$out" "checking the NETLOGON for domain[$DOMAIN] dc connection to \"dc1.$GSSNEG_AD_DNS_DOMAIN\" succeeded"
        run_out 0 dc_winbind wbinfo -n "$DOMAIN\\$GSSNEG_AD_ALICE"
        expect_line "$out" "$GSSNEG_AD_ALICE_SID SID_USER (1)"
        for user in "$GSSNEG_AD_ALICE:$GSSNEG_AD_ALICE_PASSWORD" "$GSSNEG_AD_BOB:$GSSNEG_AD_BOB_PASSWORD"; do
            for v2 in "" --ntlmv2; do
                run_out 0 dc_winbind wbinfo ${v2:+"$v2"} -a "$DOMAIN\\${user%%:*}%${user#*:}"
                expect_line "$out" "plaintext password authentication succeeded"
                expect_line "$out" "challenge/response password authentication succeeded"
            done
        done
        # Samba's NTLM helper without --password asks winbindd.
        run_out 0 dc_winbind ntlm_auth --username="$GSSNEG_AD_ALICE" --domain="$DOMAIN" \
            --password="$GSSNEG_AD_ALICE_PASSWORD"
        expect_line "$out" ":  (0x0)"
        run_out 1 dc_winbind wbinfo -a "$DOMAIN\\$GSSNEG_AD_ALICE%not-her-password"
        expect_line "$out" "wbcAuthenticateUserEx($DOMAIN\\$GSSNEG_AD_ALICE): error code was NT_STATUS_WRONG_PASSWORD (0xc000006a, authoritative=1)"
        expect_line "$out" "challenge/response password authentication failed"
        run_out 1 dc_winbind wbinfo -a "$DOMAIN\\$GSSNEG_AD_DISABLED%$GSSNEG_AD_DISABLED_PASSWORD"
        expect_line "$out" "wbcAuthenticateUserEx($DOMAIN\\$GSSNEG_AD_DISABLED): error code was NT_STATUS_ACCOUNT_DISABLED (0xc0000072, authoritative=1)"
        expect_line "$out" "challenge/response password authentication failed"
        run_out 1 dc_winbind wbinfo -a "$DOMAIN\\nobody%Nobody-pw.1"
        expect_line "$out" "wbcAuthenticateUserEx($DOMAIN\\nobody): error code was NT_STATUS_NO_SUCH_USER (0xc0000064, authoritative=1)"
        # Without the wrapper libwbclient goes to the compiled-in socket
        # directory: whatever answers there (nothing, on a test machine),
        # it is not this DC's winbindd.
        rc=0
        wbinfo -n "$DOMAIN\\$GSSNEG_AD_ALICE" > "$out" 2>&1 || rc=$?
        cat "$out"
        if [[ $rc -eq 0 ]] && grep -qF "$GSSNEG_AD_ALICE_SID" "$out"; then
            fail "wbinfo without nss_wrapper reached the DC's winbindd"
        fi
        echo "ok: without nss_wrapper wbinfo does not reach the DC's winbindd"
        ;;
    *) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
