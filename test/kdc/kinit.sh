#!/usr/bin/env bash
# The realm itself: tickets from a password, from alice's keytab (which must
# not have changed her password), over UDP and over TCP; the KDC listens on
# 127.0.0.1 only; the service keytab holds what the acceptors need.
#
#   kinit.sh CASE
#     password   kdc_kinit alice and bob; a wrong password is refused
#     keytab     kinit -k -t alice.keytab, then alice's password still works
#     tcp        a krb5.conf with udp_preference_limit = 1: kinit over TCP
#     listen     the KDC's sockets: UDP and TCP on 127.0.0.1:PORT, nothing else
#     keytabs    klist -k of the service and client keytabs; the principals
source "$(dirname "$0")/common.sh"

[[ $# -eq 1 ]] || fail "usage: $0 CASE"
case_name=$1

kdc_start "$TEST_DIR/kdc"
echo "KDC pid $GSSNEG_KDC_PID on 127.0.0.1:$GSSNEG_KDC_PORT"
klist_out=$TEST_DIR/klist.out

# expect_tgt PRINCIPAL: the ccache holds PRINCIPAL's TGT for the realm.
expect_tgt() {
    klist > "$klist_out" 2>&1 || { cat "$klist_out"; fail "klist failed"; }
    cat "$klist_out"
    expect_line "$klist_out" "Ticket cache: $KRB5CCNAME"
    expect_line "$klist_out" "Default principal: $1"
    expect_eq "TGT lines" 1 "$(grep -cE "^[0-9/]+ [0-9:]+  [0-9/]+ [0-9:]+  krbtgt/$GSSNEG_REALM@$GSSNEG_REALM\$" "$klist_out" || true)"
}

case $case_name in
    password)
        klist > "$klist_out" 2>&1 && fail "the ccache must start empty"
        expect_line "$klist_out" "klist: No credentials cache found (filename: ${KRB5CCNAME#FILE:})"
        kdc_kinit alice
        expect_tgt "$GSSNEG_ALICE"
        kdestroy
        kdc_kinit bob
        expect_tgt "$GSSNEG_BOB"
        kdestroy
        rc=0
        printf 'not-the-password\n' | kinit "$GSSNEG_ALICE" > "$TEST_DIR/wrong.out" 2>&1 || rc=$?
        expect_eq "kinit exit status with a wrong password" 1 "$rc"
        expect_line "$TEST_DIR/wrong.out" \
            "kinit: Password incorrect while getting initial credentials"
        ;;
    keytab)
        kinit -k -t "$GSSNEG_ALICE_KEYTAB" "$GSSNEG_ALICE"
        expect_tgt "$GSSNEG_ALICE"
        kdestroy
        # ktadd -norandkey kept the password's keys.
        kdc_kinit alice
        expect_tgt "$GSSNEG_ALICE"
        # A service ticket with it: the kvno the service keytab holds.
        kvno -S host localhost > "$TEST_DIR/kvno.out" 2>&1 ||
            { cat "$TEST_DIR/kvno.out"; fail "kvno failed"; }
        expect_line "$TEST_DIR/kvno.out" "host/localhost@$GSSNEG_REALM: kvno = 2"
        ;;
    tcp)
        sed 's|^\[libdefaults\]$|&\n    udp_preference_limit = 1|' \
            "$KRB5_CONFIG" > "$TEST_DIR/tcp.conf"
        expect_line "$TEST_DIR/tcp.conf" "    udp_preference_limit = 1"
        KRB5_TRACE=$TEST_DIR/tcp.trace KRB5_CONFIG=$TEST_DIR/tcp.conf kdc_kinit alice
        expect_tgt "$GSSNEG_ALICE"
        grep -F "Sending TCP request to stream 127.0.0.1:$GSSNEG_KDC_PORT" "$TEST_DIR/tcp.trace" ||
            { cat "$TEST_DIR/tcp.trace"; fail "the trace shows no TCP request"; }
        if grep -F "UDP request" "$TEST_DIR/tcp.trace"; then
            fail "a UDP request was sent"
        fi
        echo "ok: TCP only"
        # And the default profile goes over UDP.
        kdestroy
        KRB5_TRACE=$TEST_DIR/udp.trace kdc_kinit alice
        grep -F "Sending initial UDP request to dgram 127.0.0.1:$GSSNEG_KDC_PORT" "$TEST_DIR/udp.trace" ||
            { cat "$TEST_DIR/udp.trace"; fail "the trace shows no UDP request"; }
        ;;
    listen)
        command -v ss > /dev/null || skip "ss is missing (package iproute2)"
        ss -Hlnu "sport = :$GSSNEG_KDC_PORT" > "$TEST_DIR/udp.ss"
        ss -Hlnt "sport = :$GSSNEG_KDC_PORT" > "$TEST_DIR/tcp.ss"
        cat "$TEST_DIR/udp.ss" "$TEST_DIR/tcp.ss"
        expect_eq "UDP sockets on the port" "127.0.0.1:$GSSNEG_KDC_PORT" \
            "$(awk '{ print $4 }' "$TEST_DIR/udp.ss" | paste -sd' ')"
        expect_eq "TCP sockets on the port" "127.0.0.1:$GSSNEG_KDC_PORT" \
            "$(awk '{ print $4 }' "$TEST_DIR/tcp.ss" | paste -sd' ')"
        # The process behind the pid is the krb5kdc we started.
        expect_eq "the pid's program" krb5kdc "$(cat "/proc/$GSSNEG_KDC_PID/comm")"
        expect_eq "kdc.pid" "$GSSNEG_KDC_PID" "$(< "$GSSNEG_KDC_DIR/kdc.pid")"
        ;;
    keytabs)
        klist -k "$KRB5_KTNAME" | tail -n +4 | awk '{ print $1, $2 }' > "$TEST_DIR/service.kt"
        printf '%s\n' "2 host/localhost@$GSSNEG_REALM" "2 host/localhost@$GSSNEG_REALM" \
            "2 HTTP/localhost@$GSSNEG_REALM" "2 HTTP/localhost@$GSSNEG_REALM" > "$TEST_DIR/service.want"
        diff -u "$TEST_DIR/service.want" "$TEST_DIR/service.kt" || fail "service keytab"
        echo "ok: service keytab: host/localhost and HTTP/localhost, kvno 2, two keys each"
        klist -ke "$GSSNEG_ALICE_KEYTAB" | tail -n +4 > "$TEST_DIR/alice.kt"
        cat "$TEST_DIR/alice.kt"
        expect_line "$TEST_DIR/alice.kt" "   1 $GSSNEG_ALICE (aes256-cts-hmac-sha1-96) "
        expect_line "$TEST_DIR/alice.kt" "   1 $GSSNEG_ALICE (aes128-cts-hmac-sha1-96) "
        expect_eq "alice keytab entries" 2 "$(wc -l < "$TEST_DIR/alice.kt")"
        kdc_kadmin listprincs 2> /dev/null | grep -v '^Authenticating as' > "$TEST_DIR/princs"
        printf '%s\n' "HTTP/localhost@$GSSNEG_REALM" "K/M@$GSSNEG_REALM" "$GSSNEG_ALICE" \
            "$GSSNEG_BOB" "host/localhost@$GSSNEG_REALM" "kadmin/admin@$GSSNEG_REALM" \
            "kadmin/changepw@$GSSNEG_REALM" "krbtgt/$GSSNEG_REALM@$GSSNEG_REALM" > "$TEST_DIR/princs.want"
        diff -u "$TEST_DIR/princs.want" "$TEST_DIR/princs" || fail "principals"
        echo "ok: the realm's principals"
        [[ ! -e ${KRB5_CLIENT_KTNAME#FILE:} ]] || fail "KRB5_CLIENT_KTNAME must name a missing file"
        echo "ok: KRB5_CLIENT_KTNAME names a missing file"
        ;;
    *) fail "unknown case $case_name" ;;
esac
echo "PASS: $case_name"
