#!/usr/bin/python3
"""Credential and mechanism inquiries that SASL libraries and gssproxy
make of SPNEGO, each with the answer MIT's SPNEGO gives. Run under
with-kdc.sh, with --kinit alice (ticket) or without (NTLM only).

    cred_parity.py STACK

    STACK   ours (our Negotiate, conf/mech), mit-ours (MIT's SPNEGO over
            our NTLM, conf/mech-ntlm) or mit-krb5 (MIT's SPNEGO over
            Kerberos alone: an empty mech file); each must answer alike

Checked: gss_inquire_saslname_for_mech(SPNEGO) names "SPNEGO" and
"spnego"; gss_inquire_mech_for_saslname("SPNEGO") is SPNEGO;
gss_inquire_cred_by_oid(GSS_KRB5_GET_CRED_IMPERSONATOR) on an SPNEGO
initiator credential is the Kerberos element's answer (an empty set for
a ticket that no impersonator made) with a ticket, and UNAVAILABLE with
no Kerberos element. The reference for the ticket case is mit-krb5: with
an NTLM module loaded as well, MIT's mechglue reports the status of the
credential's last element, UNAVAILABLE from NTLM, and drops the Kerberos
answer; Negotiate gives the Kerberos answer (docs/negotiate.md).
"""
import os
import sys
import tempfile

SPNEGO_OID = "1.3.6.1.5.5.2"
GET_CRED_IMPERSONATOR_OID = "1.2.840.113554.1.2.2.5.14"
GSS_S_UNAVAILABLE = 0x100000


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


if len(sys.argv) != 2 or sys.argv[1] not in ("ours", "mit-ours", "mit-krb5"):
    fail("usage: cred_parity.py ours|mit-ours|mit-krb5")
STACK = sys.argv[1]
kdc_dir = os.environ.get("GSSNEG_KDC_DIR")
if not kdc_dir:
    fail("run under test/kdc/with-kdc.sh")
ticket = os.path.exists(os.environ["KRB5CCNAME"].removeprefix("FILE:"))
work = tempfile.mkdtemp(prefix="gssneg-cred-parity.", dir=kdc_dir)
if STACK == "mit-krb5":
    mech_file = os.path.join(work, "no-mechs")
    open(mech_file, "w").close()
else:
    mech_file = os.environ.get("GSSNEG_BUILD_MECH" if STACK == "ours" else "GSSNEG_BUILD_MECH_NTLM", "")
if not os.path.exists(mech_file):
    fail("no mech file for %s (GSSNEG_BUILD_MECH, GSSNEG_BUILD_MECH_NTLM)" % STACK)
users = os.path.join(work, "users")
with open(users, "w") as f:
    f.write("TESTDOM:alice:Passw0rd-for-alice\n")
os.environ.update(GSS_MECH_CONFIG=mech_file, NTLM_USER_FILE=users, NTLMUSER="TESTDOM\\alice")

try:
    import gssapi  # noqa: E402  (after the environment above)
    import gssapi.raw as gr  # noqa: E402
except ImportError as e:
    print("SKIP: python3-gssapi is not importable (package python3-gssapi): %s" % e)
    sys.exit(77)

spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
names = gr.inquire_saslname_for_mech(spnego)
check("SASL name of SPNEGO", b"SPNEGO", names.sasl_mech_name)
check("mechanism name of SPNEGO", b"spnego", names.mech_name)
check("mechanism for the SASL name SPNEGO", SPNEGO_OID, gr.inquire_mech_for_saslname(b"SPNEGO").dotted_form)

creds = gr.acquire_cred(None, mechs=[spnego], usage="initiate").creds
impersonator = gssapi.OID.from_int_seq(GET_CRED_IMPERSONATOR_OID)
try:
    answer = list(gr.inquire_cred_by_oid(creds, impersonator))
    status = 0
except gssapi.exceptions.GSSError as e:
    answer, status = None, e.maj_code
if ticket:
    check("gss_inquire_cred_by_oid(GET_CRED_IMPERSONATOR) status with a ticket", 0, status)
    check("... its answer", [], answer)
else:
    check("gss_inquire_cred_by_oid(GET_CRED_IMPERSONATOR) status with no ticket", GSS_S_UNAVAILABLE, status)
print("PASS: cred_parity %s (%s)" % (STACK, "ticket" if ticket else "no ticket"))
