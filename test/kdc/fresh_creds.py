#!/usr/bin/python3
"""A credential acquired afresh for every leg, in both roles, as
mod_auth_gssapi does for every HTTP request: acquire, one accept call,
release. Initiator and acceptor are in one process (python3-gssapi's raw
calls), under with-kdc.sh --kinit alice.

    fresh_creds.py SCENARIO STACK

    SCENARIO
      krb5-to-ntlm  alice has a ticket and an NTLM password; the acceptor
                    has no Kerberos key (KRB5_KTNAME names a missing
                    file). The initiator opens with Kerberos; the acceptor
                    answers with NTLM, and the exchange ends over NTLM.
      ntlm-to-krb5  the initiator opens with NTLM (negotiate_mechs = ntlm,
                    kerberos; MIT's SPNEGO: gss_set_neg_mechs in that
                    order); every acceptor credential is limited to
                    Kerberos with gss_set_neg_mechs, whose list also names
                    IAKERB, which Negotiate does not offer (left out, not
                    refused, as MIT's SPNEGO does). The acceptor answers
                    with Kerberos, and the exchange ends over Kerberos.
    STACK
      ours          our Negotiate (conf/mech, the interposer line)
      mit-ours      MIT's SPNEGO over our NTLM (conf/mech-ntlm)
      mit-ntlmssp   MIT's SPNEGO over gss-ntlmssp: the reference

Each credential is released before the next call is made (python drops
the last reference), so a stack that keeps the first call's credential
reads freed memory: under ASan that is a report, elsewhere a refusal.
Checked: both sides complete, over the expected mechanism, and a wrapped
message goes each way.
"""
import faulthandler
import os
import sys
import tempfile

SPNEGO_OID = "1.3.6.1.5.5.2"
KRB5_OID = "1.2.840.113554.1.2.2"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
IAKERB_OID = "1.3.6.1.5.2.5"
NTLMSSP_MODULE = "/usr/lib/x86_64-linux-gnu/gssntlmssp/gssntlmssp.so"


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


SCENARIOS = ("krb5-to-ntlm", "ntlm-to-krb5")
STACKS = ("ours", "mit-ours", "mit-ntlmssp")
if len(sys.argv) != 3 or sys.argv[1] not in SCENARIOS or sys.argv[2] not in STACKS:
    fail("usage: fresh_creds.py %s %s" % ("|".join(SCENARIOS), "|".join(STACKS)))
SCENARIO, STACK = sys.argv[1:]
faulthandler.dump_traceback_later(45, exit=True)

kdc_dir = os.environ.get("GSSNEG_KDC_DIR")
if not kdc_dir:
    fail("run under test/kdc/with-kdc.sh --kinit alice")
if not os.path.exists(os.environ["KRB5CCNAME"].removeprefix("FILE:")):
    fail("no ccache: run under with-kdc.sh --kinit alice")
work = tempfile.mkdtemp(prefix="gssneg-fresh-creds.", dir=kdc_dir)

if STACK == "ours":
    mech_file = os.environ.get("GSSNEG_BUILD_MECH", "")
elif STACK == "mit-ours":
    mech_file = os.environ.get("GSSNEG_BUILD_MECH_NTLM", "")
else:
    if not os.path.exists(NTLMSSP_MODULE):
        print("SKIP: gss-ntlmssp is not installed (package gss-ntlmssp): %s is missing" % NTLMSSP_MODULE)
        sys.exit(77)
    mech_file = os.path.join(work, "mech-ntlmssp")
    with open(mech_file, "w") as f:
        f.write("gssntlmssp_v1 %s %s\n" % (NTLM_OID, NTLMSSP_MODULE))
if not os.path.exists(mech_file):
    fail("no mech file for %s (GSSNEG_BUILD_MECH, GSSNEG_BUILD_MECH_NTLM)" % STACK)
os.environ["GSS_MECH_CONFIG"] = mech_file

users = os.path.join(work, "users")
with open(users, "w") as f:
    f.write("TESTDOM:alice:Passw0rd-for-alice\n")
os.environ["NTLM_USER_FILE"] = users
os.environ["NTLMUSER"] = "TESTDOM\\alice"
trace = os.path.join(work, "trace")
os.environ["GSS_NEGOTIATE_TRACE"] = trace
if SCENARIO == "krb5-to-ntlm":
    os.environ["KRB5_KTNAME"] = "FILE:" + os.path.join(work, "no-service.keytab")
elif STACK == "ours":
    options = os.path.join(work, "options")
    with open(options, "w") as f:
        f.write("negotiate_mechs = ntlm, kerberos\n")
    os.environ["GSS_NEGOTIATE_CONFIG"] = options

try:
    import gssapi  # noqa: E402  (after the environment above)
    import gssapi.raw as gr  # noqa: E402
    from gssapi.raw import RequirementFlag as Flag  # noqa: E402
except ImportError as e:
    print("SKIP: python3-gssapi is not importable (package python3-gssapi): %s" % e)
    sys.exit(77)

spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
krb5 = gssapi.OID.from_int_seq(KRB5_OID)
ntlm = gssapi.OID.from_int_seq(NTLM_OID)
iakerb = gssapi.OID.from_int_seq(IAKERB_OID)
expected_mech = NTLM_OID if SCENARIO == "krb5-to-ntlm" else KRB5_OID
target = gr.import_name(b"host@localhost", gssapi.NameType.hostbased_service)
flags = [Flag.mutual_authentication, Flag.integrity, Flag.confidentiality]


def fresh(usage):
    creds = gr.acquire_cred(None, mechs=[spnego], usage=usage).creds
    if SCENARIO == "ntlm-to-krb5":
        if usage == "accept":
            gr.set_neg_mechs(creds, [iakerb, krb5])
        elif STACK != "ours":
            gr.set_neg_mechs(creds, [ntlm, krb5])
    return creds


def step(what, call):
    try:
        return call()
    except gssapi.exceptions.GSSError as e:
        fail("%s: %s" % (what, e))


init_ctx = None
acc_ctx = None
init_done = acc_done = False
init_mech = acc_mech = None
token = None
legs = []
for leg in range(1, 9):
    creds = fresh("initiate")
    res = step("initiator leg %d" % leg, lambda: gr.init_sec_context(
        target, creds=creds, context=init_ctx, mech=spnego, flags=flags, input_token=token))
    del creds
    init_ctx, token, init_done = res.context, res.token, not res.more_steps
    if init_done:
        init_mech = res.mech.dotted_form
    if token:
        legs.append("initiator %d bytes" % len(token))
    if not token:
        break
    creds = fresh("accept")
    res = step("acceptor leg %d" % leg, lambda: gr.accept_sec_context(token, acceptor_creds=creds, context=acc_ctx))
    del creds
    acc_ctx, token, acc_done = res.context, res.token, not res.more_steps
    if acc_done:
        acc_mech = res.mech.dotted_form
    if token:
        legs.append("acceptor %d bytes" % len(token))
    if acc_done and init_done:
        break
    if not token:
        break
else:
    fail("the exchange does not end: %s" % legs)
print("legs: " + ", ".join(legs))
check("initiator complete", True, init_done)
check("acceptor complete", True, acc_done)
check("initiator mechanism", expected_mech, init_mech)
check("acceptor mechanism", expected_mech, acc_mech)

sealed = gr.wrap(init_ctx, b"to the acceptor", True)
check("acceptor unwraps", b"to the acceptor", gr.unwrap(acc_ctx, sealed.message).message)
sealed = gr.wrap(acc_ctx, b"to the initiator", True)
check("initiator unwraps", b"to the initiator", gr.unwrap(init_ctx, sealed.message).message)

# Which SPNEGO ran: our negotiator traces its events, MIT's SPNEGO none.
events = open(trace).read() if os.path.exists(trace) else ""
check("our negotiator traced", STACK == "ours", " negotiate: " in events)
print("PASS: %s over %s" % (SCENARIO, STACK))
