#!/usr/bin/python3
"""GSS_KRB5_CRED_NO_CI_FLAGS_X on an SPNEGO initiator credential, as Cyrus
SASL sets it for maxssf=0 (an LDAP bind inside TLS): the acceptor's
context has confidentiality and integrity only when the initiator asked
for them. Initiator and acceptor in one process (python3-gssapi's raw
calls), under with-kdc.sh (--kinit alice for kerberos).

    ci_flags.py MECH STACK

    MECH    kerberos (alice's ticket) or ntlm (no ticket; alice's NTLM
            password in the user file)
    STACK   ours (our Negotiate, conf/mech) or mit-ours (MIT's SPNEGO over
            our NTLM, conf/mech-ntlm: the reference for Kerberos, where
            MIT's SPNEGO forwards the option to krb5)

Each row establishes a context with the request flags given and checks
the acceptor's CONF and INTEG flags (MIT's t_ciflags for Kerberos; for
NTLM, SEAL brings SIGN with it, and without the option SPNEGO asks NTLM
for integrity, so SIGN is there). First without the option, then with
it; with it, the flags SASL asks for (MUTUAL and SEQUENCE) give neither.
"""
import faulthandler
import os
import sys
import tempfile

SPNEGO_OID = "1.3.6.1.5.5.2"
KRB5_OID = "1.2.840.113554.1.2.2"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
NO_CI_FLAGS_OID = "1.2.752.43.13.29"


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


if len(sys.argv) != 3 or sys.argv[1] not in ("kerberos", "ntlm") or sys.argv[2] not in ("ours", "mit-ours"):
    fail("usage: ci_flags.py kerberos|ntlm ours|mit-ours")
MECH, STACK = sys.argv[1:]
faulthandler.dump_traceback_later(45, exit=True)

kdc_dir = os.environ.get("GSSNEG_KDC_DIR")
if not kdc_dir:
    fail("run under test/kdc/with-kdc.sh")
ccache = os.environ["KRB5CCNAME"].removeprefix("FILE:")
if (MECH == "kerberos") != os.path.exists(ccache):
    fail("the kerberos case needs alice's ticket (--kinit alice), the ntlm case none")
mech_file = os.environ.get("GSSNEG_BUILD_MECH" if STACK == "ours" else "GSSNEG_BUILD_MECH_NTLM", "")
if not os.path.exists(mech_file):
    fail("no mech file for %s (GSSNEG_BUILD_MECH, GSSNEG_BUILD_MECH_NTLM)" % STACK)
work = tempfile.mkdtemp(prefix="gssneg-ci-flags.", dir=kdc_dir)
users = os.path.join(work, "users")
with open(users, "w") as f:
    f.write("TESTDOM:alice:Passw0rd-for-alice\n")
os.environ.update(GSS_MECH_CONFIG=mech_file, NTLM_USER_FILE=users, NTLMUSER="TESTDOM\\alice",
                  GSS_NEGOTIATE_TRACE=os.path.join(work, "trace"))

try:
    import gssapi  # noqa: E402  (after the environment above)
    import gssapi.raw as gr  # noqa: E402
    from gssapi.raw import RequirementFlag as Flag  # noqa: E402
except ImportError as e:
    print("SKIP: python3-gssapi is not importable (package python3-gssapi): %s" % e)
    sys.exit(77)

spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
no_ci = gssapi.OID.from_int_seq(NO_CI_FLAGS_OID)
target = gr.import_name(b"host@localhost", gssapi.NameType.hostbased_service)
CONF, INTEG = Flag.confidentiality, Flag.integrity


def establish(creds, flags):
    """The acceptor's CONF and INTEG flags, and its mechanism."""
    ictx = actx = None
    token = None
    for _ in range(6):
        res = gr.init_sec_context(target, creds=creds, context=ictx, mech=spnego, flags=flags, input_token=token)
        ictx, token = res.context, res.token
        if not token:
            break
        res = gr.accept_sec_context(token, context=actx)
        actx, token = res.context, res.token
        if not res.more_steps:
            mech = res.mech.dotted_form
            got = {f for f in res.flags if f in (CONF, INTEG)}
        if not token:
            break
    return got, mech


def row(creds, label, flags, expected):
    try:
        got, mech = establish(creds, flags)
    except gssapi.exceptions.GSSError as e:
        fail("%s: %s" % (label, e))
    want_mech = KRB5_OID if MECH == "kerberos" else NTLM_OID
    if mech != want_mech:
        fail("%s: the acceptor's mechanism is %s, not %s" % (label, mech, want_mech))
    names = sorted(f.name for f in got)
    if got != expected:
        fail("%s: the acceptor has %s, expected %s" % (label, names, sorted(f.name for f in expected)))
    print("ok: %s: the acceptor has %s" % (label, names or "neither CONF nor INTEG"))


creds = gr.acquire_cred(None, mechs=[spnego], usage="initiate").creds
sasl = [Flag.mutual_authentication, Flag.out_of_sequence_detection]
if MECH == "kerberos":
    # krb5 asserts CONF and INTEG unless told otherwise.
    row(creds, "no option, no flags", [], {CONF, INTEG})
else:
    # SPNEGO asks its mechanism for integrity (for the mechListMIC).
    row(creds, "no option, no flags", [], {INTEG})

try:
    creds = gr.set_cred_option(no_ci, creds, b"")
except gssapi.exceptions.GSSError as e:
    fail("gss_set_cred_option(GSS_KRB5_CRED_NO_CI_FLAGS_X) on the SPNEGO credential: %s" % e)
print("ok: gss_set_cred_option(GSS_KRB5_CRED_NO_CI_FLAGS_X) on the SPNEGO credential")
row(creds, "option, no flags", [], set())
row(creds, "option, MUTUAL and SEQUENCE (SASL maxssf=0)", sasl, set())
row(creds, "option, INTEG", [INTEG], {INTEG})
row(creds, "option, CONF", [CONF], {CONF} if MECH == "kerberos" else {CONF, INTEG})
row(creds, "option, CONF and INTEG", [CONF, INTEG], {CONF, INTEG})
print("PASS: ci_flags %s %s" % (MECH, STACK))
