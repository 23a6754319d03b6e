#!/usr/bin/python3
"""python3-gssapi as the host of our Negotiate interposer: initiator and
acceptor over SPNEGO in ONE process, against the loopback KDC (run under
with-kdc.sh; --kinit alice for the Kerberos case).

    negotiate_python.py CASE

    kerberos        alice's ticket, and alice's NTLM password in the user
                    file: NegTokenInit offering both Kerberos OIDs and NTLM
                    with the AP-REQ, accept-completed with the AP-REP; both
                    contexts report the krb5 mech 1.2.840.113554.1.2.2
    ntlm            no ticket (the harness's KRB5CCNAME is empty, its
                    KRB5_CLIENT_KTNAME a missing file); the initiator's
                    password from NTLM_USER_FILE, its name from NTLMUSER:
                    four legs with a mechListMIC each way; both contexts
                    report NTLM 1.3.6.1.4.1.311.2.2.10
    ntlm-password   the same with the initiator's credential from
                    gss_acquire_cred_with_password for SPNEGO (TESTDOM\\alice
                    and her password; NTLMUSER unset); the user file is
                    still the acceptor's database

After the handshake, in both directions: wrap/unwrap with confidentiality,
the replayed wrap token (GSS_S_DUPLICATE_TOKEN from Kerberos, GSS_S_BAD_SIG
from NTLM, whose RC4 stream has moved on), get_mic/verify_mic,
wrap_size_limit and a wrap of that size, a MIC over altered data
(GSS_S_BAD_SIG). The trace (GSS_NEGOTIATE_TRACE) must show our negotiator
establishing both contexts.

python3-gssapi loads libgssapi_krb5 with RTLD_LOCAL: the module must reach the
mechglue through its resolved table, never its own gss_* exports by name, or
the process recurses until it crashes. A faulthandler timer turns a hang into
a failure with every thread's stack.
"""
import faulthandler
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import negotiate_tokens  # noqa: E402

SPNEGO_OID = "1.3.6.1.5.5.2"
KRB5_OID = "1.2.840.113554.1.2.2"
MS_KRB5_OID = "1.2.840.48018.1.2.2"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
NTLM_DOMAIN = "TESTDOM"
NTLM_USER = "alice"
NTLM_PASSWORD = "Passw0rd-for-alice"


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


if len(sys.argv) != 2 or sys.argv[1] not in ("kerberos", "ntlm", "ntlm-password"):
    fail("usage: negotiate_python.py kerberos|ntlm|ntlm-password")
CASE = sys.argv[1]
MECH = KRB5_OID if CASE == "kerberos" else NTLM_OID

faulthandler.dump_traceback_later(45, exit=True)
mech_file = os.environ.get("GSSNEG_BUILD_MECH")
if not mech_file or not os.path.exists(mech_file):
    fail("GSSNEG_BUILD_MECH must name the build tree's conf/mech")
with open(mech_file) as f:
    if not any(line.rstrip().endswith("<interposer>") and not line.startswith("#") for line in f):
        fail("%s has no <interposer> line" % mech_file)
kdc_dir = os.environ.get("GSSNEG_KDC_DIR")
if not kdc_dir:
    fail("run under test/kdc/with-kdc.sh")
ccache = os.environ["KRB5CCNAME"].removeprefix("FILE:")
if CASE == "kerberos":
    if not os.path.exists(ccache):
        fail("no ccache: run under with-kdc.sh --kinit alice")
else:
    for path in (ccache, os.environ["KRB5_CLIENT_KTNAME"].removeprefix("FILE:")):
        if os.path.exists(path):
            fail("%s exists: the NTLM cases need no initiator Kerberos credential" % path)

workdir = tempfile.mkdtemp(prefix="gssneg-negotiate-python.", dir=kdc_dir)
trace_file = os.path.join(workdir, "trace")
users = os.path.join(workdir, "users")
with open(users, "w") as f:
    f.write("%s:%s:%s\n" % (NTLM_DOMAIN, NTLM_USER, NTLM_PASSWORD))
    f.write("%s:bob:bobs-other-password\n" % NTLM_DOMAIN)
os.environ["GSS_MECH_CONFIG"] = mech_file
os.environ["GSS_NEGOTIATE_TRACE"] = trace_file
# The acceptor checks NTLM responses against this file. The initiator reads
# alice's password there too, so in the Kerberos case NTLM is offered after
# Kerberos; a password credential names its user itself.
os.environ["NTLM_USER_FILE"] = users
if CASE == "ntlm-password":
    os.environ.pop("NTLMUSER", None)
else:
    os.environ["NTLMUSER"] = NTLM_DOMAIN + "\\" + NTLM_USER

try:
    import gssapi  # noqa: E402  (after the environment above)
    import gssapi.raw as gr  # noqa: E402
    from gssapi.raw import RequirementFlag as Flag  # noqa: E402
except ImportError as e:
    print("SKIP: python3-gssapi is not importable (package python3-gssapi): %s" % e)
    sys.exit(77)

spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
flags = [Flag.mutual_authentication, Flag.integrity, Flag.confidentiality,
         Flag.replay_detection, Flag.out_of_sequence_detection]

initiator_creds = None
if CASE == "ntlm-password":
    user = gssapi.Name(NTLM_DOMAIN + "\\" + NTLM_USER, gssapi.NameType.user)
    acquired = gr.acquire_cred_with_password(user, NTLM_PASSWORD.encode(), usage="initiate",
                                             mechs=[spnego])
    initiator_creds = gssapi.Credentials(acquired.creds)
    print("ok: gss_acquire_cred_with_password for SPNEGO")

initiator = gssapi.SecurityContext(name=target, mech=spnego, usage="initiate", flags=flags,
                                   creds=initiator_creds)
acceptor = gssapi.SecurityContext(usage="accept")

legs = []
token = initiator.step()
while True:
    legs.append(("initiator", token))
    token = acceptor.step(token)
    if not token:
        break
    legs.append(("acceptor", token))
    token = initiator.step(token)
    if not token:
        break
    if len(legs) > 8:
        fail("the handshake does not end")
check("initiator complete", True, initiator.complete)
check("acceptor complete", True, acceptor.complete)

print("---- SPNEGO legs ----")
described = []
for side, tok in legs:
    try:
        text = negotiate_tokens.describe(bytes(tok))
    except negotiate_tokens.TokenError as e:
        fail("%s token is not SPNEGO: %s" % (side, e))
    print("%s %d %s" % (side, len(tok), text))
    described.append("%s %s" % (side, text))
if CASE == "kerberos":
    expected_legs = [
        "initiator NegTokenInit mechTypes=[%s,%s,%s] mechToken=krb5:AP-REQ mechListMIC=absent"
        % (MS_KRB5_OID, KRB5_OID, NTLM_OID),
        "acceptor NegTokenResp negState=accept-completed supportedMech=%s responseToken=krb5:AP-REP "
        "mechListMIC=absent" % MS_KRB5_OID,
    ]
else:
    expected_legs = [
        "initiator NegTokenInit mechTypes=[%s] mechToken=NTLM:NEGOTIATE mechListMIC=absent" % NTLM_OID,
        "acceptor NegTokenResp negState=accept-incomplete supportedMech=%s responseToken=NTLM:CHALLENGE "
        "mechListMIC=absent" % NTLM_OID,
        "initiator NegTokenResp negState=absent supportedMech=absent responseToken=NTLM:AUTHENTICATE "
        "mechListMIC=present",
        "acceptor NegTokenResp negState=accept-completed supportedMech=absent responseToken=absent "
        "mechListMIC=present",
    ]
check("SPNEGO legs", expected_legs, described)

# gss_inquire_context through the mechglue: the negotiated mechanism.
check("initiator's mech", MECH, initiator.mech.dotted_form)
check("acceptor's mech", MECH, acceptor.mech.dotted_form)
info = gr.inquire_context(acceptor)
check("inquire_context(acceptor).mech", MECH, info.mech.dotted_form)
check("inquire_context(acceptor).complete", True, info.complete)
check("inquire_context(acceptor).locally_initiated", False, info.locally_init)
if CASE == "kerberos":
    expected_client = os.environ["GSSNEG_ALICE"]
    check("initiator's target", "host/localhost@" + os.environ["GSSNEG_REALM"], str(initiator.target_name))
else:
    expected_client = NTLM_DOMAIN + "\\" + NTLM_USER
check("initiator's name (initiator side)", expected_client, str(initiator.initiator_name))
check("initiator's name (acceptor side)", expected_client, str(acceptor.initiator_name))
if CASE != "kerberos":
    # RFC 6680 on the NTLM source name our Negotiate hands out: no
    # attributes, none to read, set, delete or export with the name.
    src = acceptor.initiator_name
    check("inquire_name(NTLM source name).attrs", [], gr.inquire_name(src, mech_name=True, attrs=True).attrs)
    for what, call in (("get_name_attribute", lambda: gr.get_name_attribute(src, b"urn:mspac:")),
                       ("set_name_attribute", lambda: gr.set_name_attribute(src, b"urn:x", [b"v"])),
                       ("delete_name_attribute", lambda: gr.delete_name_attribute(src, b"urn:x")),
                       ("export_name_composite", lambda: gr.export_name_composite(src))):
        try:
            call()
            fail(what + " on an NTLM source name succeeded")
        except gssapi.exceptions.OperationUnavailableError:
            print("ok: %s on the NTLM source name -> GSS_S_UNAVAILABLE" % what)
for side, ctx in (("initiator", initiator), ("acceptor", acceptor)):
    got = ctx.actual_flags
    for flag in (Flag.integrity, Flag.confidentiality, Flag.replay_detection):
        if flag not in got:
            fail("%s lacks %s in its flags %r" % (side, flag.name, got))
    print("ok: %s has integrity, confidentiality, replay detection" % side)
if CASE == "kerberos":
    check("initiator mutual", True, Flag.mutual_authentication in initiator.actual_flags)
    check("acceptor mutual", True, Flag.mutual_authentication in acceptor.actual_flags)

# Message protection both ways, through gssi_wrap & co.
for sender, receiver, name in ((initiator, acceptor, "initiator -> acceptor"),
                               (acceptor, initiator, "acceptor -> initiator")):
    message = ("sealed %s over %s" % (name, CASE)).encode()
    wrapped = sender.wrap(message, True)
    check(name + " wrap encrypted", True, wrapped.encrypted)
    if message in wrapped.message:
        fail(name + ": the sealed token holds the clear text")
    unwrapped = receiver.unwrap(wrapped.message)
    check(name + " unwrap", (message, True), (unwrapped.message, unwrapped.encrypted))
    # A replay: Kerberos names it; NTLM with KEY_EXCH (always negotiated
    # by this module) verifies only the token at the RC4 stream position,
    # so the replay fails its checksum and the session stays usable.
    replay_error = gssapi.exceptions.DuplicateTokenError if CASE == "kerberos" else gssapi.exceptions.BadMICError
    try:
        receiver.unwrap(wrapped.message)
        fail(name + ": a replayed wrap token was accepted")
    except replay_error as e:
        print("ok: %s replayed wrap token -> %s (major 0x%x)" % (name, type(e).__name__, e.maj_code))
    mic = sender.get_signature(message)
    receiver.verify_signature(message, mic)
    print("ok: %s get_mic/verify_mic (%d-byte MIC)" % (name, len(mic)))
    limit = sender.get_wrap_size_limit(1000, encrypted=True)
    if not 900 <= limit < 1000:
        fail("%s wrap_size_limit(1000) = %d" % (name, limit))
    big = sender.wrap(b"x" * limit, True).message
    if len(big) > 1000:
        fail("%s: wrap of %d bytes (the limit) gives %d > 1000" % (name, limit, len(big)))
    if receiver.unwrap(big).message != b"x" * limit:
        fail(name + ": the limit-sized token does not unwrap to its message")
    print("ok: %s wrap_size_limit(1000) = %d, wrap of that many bytes = %d" % (name, limit, len(big)))
    # Last in this direction: Kerberos does not count a token that fails its
    # check, so a later one would be reported as a gap (GSS_S_GAP_TOKEN).
    altered = bytes([message[0] ^ 1]) + message[1:]
    mic = sender.get_signature(message)
    try:
        receiver.verify_signature(altered, mic)
        fail(name + ": a MIC verified over altered data")
    except gssapi.exceptions.BadMICError:
        print("ok: %s MIC over altered data -> GSS_S_BAD_SIG" % name)

with open(trace_file) as f:
    events = [line.rstrip("\n").split(" ", 2)[2] for line in f if line.startswith("gss-negotiate[")]
print("---- trace ----")
for e in events:
    print(e)
mech_word = "Kerberos" if CASE == "kerberos" else "NTLM"
for event in ("negotiate: initiator established over " + mech_word,
              "negotiate: acceptor established over " + mech_word,
              "spnego: acceptor chooses " + mech_word):
    check("trace events '%s'" % event, 1, events.count(event))
if CASE == "kerberos":
    prefix = "spnego: initiator -> NegTokenInit mechTypes [Kerberos 5 (Microsoft) (%s), Kerberos 5 (%s), " \
             "NTLMSSP (%s)] mechToken AP-REQ (" % (MS_KRB5_OID, KRB5_OID, NTLM_OID)
else:
    prefix = "spnego: initiator leaves out Kerberos: "
    check("trace: mechListMIC verified by both sides", 2,
          events.count("spnego: mechListMIC from the peer verifies"))
if not any(e.startswith(prefix) for e in events):
    fail("the trace has no event starting: " + prefix)
print("ok: the trace has an event starting: " + prefix)
print("PASS: " + CASE)
