#!/usr/bin/python3
"""python3-gssapi as the host of our Negotiate interposer: initiator and
acceptor over SPNEGO in ONE process, against the loopback KDC (run under
with-kdc.sh; --kinit alice for the Kerberos case).

    negotiate_python.py CASE

    kerberos        alice's ticket, and alice's NTLM password in the user
                    file: NegTokenInit offering both Kerberos OIDs and NTLM
                    with the AP-REQ, accept-completed with the AP-REP; both
                    contexts report the krb5 mech 1.2.840.113554.1.2.2; the
                    TGT is delegated and the acceptor authenticates onward
                    with it
    ntlm            no ticket (the harness's KRB5CCNAME is empty, its
                    KRB5_CLIENT_KTNAME a missing file); the initiator's
                    password from NTLM_USER_FILE, its name from NTLMUSER:
                    four legs with a mechListMIC each way; both contexts
                    report NTLM 1.3.6.1.4.1.311.2.2.10
    ntlm-password   the same with the initiator's credential from
                    gss_acquire_cred_with_password for SPNEGO (TESTDOM\\alice
                    and her password; NTLMUSER unset); the user file is
                    still the acceptor's database

After each leg, the side that stepped is read as an application reads a
context early (target_name, initiator_name, actual_flags, lifetime, mech),
each value as MIT's SPNEGO reports it at that stage.

After the handshake, both contexts are exported and imported again (see
below), and then, in both directions: wrap/unwrap with confidentiality,
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
import subprocess
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
if CASE == "kerberos":
    # alice's TGT is forwardable (the harness's krb5.conf): Kerberos
    # delegates it inside the AP-REQ.
    flags.append(Flag.delegate_to_peer)

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


def flag_names(flags):
    return sorted(f.name for f in flags)


def name_text(name):
    """python-gssapi wraps the initiator name of gss_inquire_context in a
    Name even when there is none (GSS_C_NO_NAME), and displaying that one
    fails with GSS_S_CALL_INACCESSIBLE_READ | GSS_S_BAD_NAME."""
    if name is None:
        return None
    try:
        return str(name)
    except gssapi.exceptions.GSSError as e:
        if e.maj_code != 0x1020000:
            raise
        return None


def observe(side, ctx):
    """What an application reads of a context between legs: the names,
    flags, mechanism and lifetime through gss_inquire_context and
    gss_context_time (which a context still establishing has not: python
    raises MissingContextError for its GSS_S_NO_CONTEXT). The names are
    released when python drops them."""
    target = name_text(ctx.target_name)
    source = name_text(ctx.initiator_name)
    try:
        lifetime = "positive" if ctx.lifetime > 0 else "zero"
    except gssapi.exceptions.MissingContextError:
        lifetime = "no context time"
    return (side, "complete" if ctx.complete else "continuing", ctx.mech.dotted_form, source, target,
            flag_names(ctx.actual_flags), lifetime)


observed = []
legs = []
token = initiator.step()
observed.append(observe("initiator", initiator))
while True:
    legs.append(("initiator", token))
    token = acceptor.step(token)
    observed.append(observe("acceptor", acceptor))
    if not token:
        break
    legs.append(("acceptor", token))
    token = initiator.step(token)
    observed.append(observe("initiator", initiator))
    if not token:
        break
    if len(legs) > 8:
        fail("the handshake does not end")
check("initiator complete", True, initiator.complete)
check("acceptor complete", True, acceptor.complete)

# Read early, as MIT's SPNEGO answers: while the mechanism's context
# establishes, SPNEGO as the mechanism, no names, no context time, and the
# flags the context will honour; once the mechanism is done but SPNEGO is
# not, its names and lifetime; the flags never with protection_ready or
# transferable before the end.
NEEDED = ["confidentiality", "integrity", "out_of_sequence_detection", "replay_detection"]
if CASE == "kerberos":
    client = os.environ["GSSNEG_ALICE"]
    service = "host/localhost@" + os.environ["GSSNEG_REALM"]
    asked = sorted(NEEDED + ["delegate_to_peer", "mutual_authentication"])
    expected_observed = [
        ("initiator", "continuing", SPNEGO_OID, None, None, asked, "no context time"),
        # krb5 marks a context transferable, and an acceptor prot-ready
        # once done.
        ("acceptor", "complete", KRB5_OID, client, service, sorted(asked + ["protection_ready", "transferable"]),
         "positive"),
        ("initiator", "complete", KRB5_OID, client, service, sorted(asked + ["transferable"]), "positive"),
    ]
else:
    client = NTLM_DOMAIN + "\\" + NTLM_USER
    # NTLM honours all but mutual authentication; an NTLM acceptor
    # credential has no name.
    expected_observed = [
        ("initiator", "continuing", SPNEGO_OID, None, None, NEEDED, "no context time"),
        ("acceptor", "continuing", SPNEGO_OID, None, None, NEEDED, "no context time"),
        ("initiator", "continuing", SPNEGO_OID, client, "host@localhost", NEEDED, "positive"),
        ("acceptor", "complete", NTLM_OID, client, None, NEEDED, "positive"),
        ("initiator", "complete", NTLM_OID, client, "host@localhost", NEEDED, "positive"),
    ]
for i, (want, got) in enumerate(zip(expected_observed, observed)):
    check("after leg %d, %s: (complete, mech, initiator name, target name, flags, lifetime)" % (i + 1, want[0]),
          want, got)
check("observations", len(expected_observed), len(observed))

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
    # Delegation: the acceptor gets alice's credential (a krb5 credential
    # from the mechglue) and uses it to authenticate as alice elsewhere.
    check("initiator delegates", True, Flag.delegate_to_peer in initiator.actual_flags)
    check("acceptor got delegation", True, Flag.delegate_to_peer in acceptor.actual_flags)
    delegated = acceptor.delegated_creds
    if delegated is None:
        fail("the acceptor has no delegated credential")
    check("delegated credential's name", expected_client, str(delegated.name))
    krb5 = gssapi.OID.from_int_seq(KRB5_OID)
    onward = gssapi.SecurityContext(name=target, mech=krb5, usage="initiate", creds=delegated)
    onward_acceptor = gssapi.SecurityContext(usage="accept")
    onward_acceptor.step(onward.step())
    check("onward context with the delegated credential: complete", True, onward_acceptor.complete)
    check("onward context: the client", expected_client, str(onward_acceptor.initiator_name))
else:
    check("no delegation over NTLM", None, acceptor.delegated_creds)

# Export and import. A half-done context does not travel; a complete one
# travels as its chosen mechanism's context, in the layout of MIT's SPNEGO
# (a 4-byte OID length, the mechanism OID, the mechanism's token). The
# mechglue heads our token with the interposer's OID for SPNEGO, which on
# import means MIT's own SPNEGO (the real mechanism): so it must read our
# layout. A token headed by SPNEGO's public OID (what MIT's SPNEGO exports)
# reaches our gssi_import_sec_context_by_mech. Both paths are used below;
# the message protection after this runs on the pair our import rebuilt.
half = gssapi.SecurityContext(name=target, mech=spnego, usage="initiate", flags=flags,
                              creds=initiator_creds)
half.step()
try:
    half.export()
    fail("an incomplete Negotiate context was exported")
except gssapi.exceptions.GSSError as e:
    check("export of an incomplete context: major (GSS_S_UNAVAILABLE)", 0x100000, e.maj_code)
spnego_der = bytes(spnego.__bytes__())
as_public = {}
for side, ctx in (("initiator", initiator), ("acceptor", acceptor)):
    blob = bytes(ctx.export())
    outer = int.from_bytes(blob[:4], "big")
    inner_at = 4 + outer
    inner = int.from_bytes(blob[inner_at:inner_at + 4], "big")
    check("%s export: outer mechanism is the interposer's for SPNEGO" % side, True,
          outer > len(spnego_der) and blob[4:inner_at].endswith(spnego_der))
    check("%s export: inner mechanism" % side, bytes(gssapi.OID.from_int_seq(MECH).__bytes__()),
          blob[inner_at + 4:inner_at + 4 + inner])
    print("ok: %s exported (%d bytes)" % (side, len(blob)))
    # Through the mechglue as it is: MIT's SPNEGO imports our layout.
    via_mit = gr.import_sec_context(blob)
    check("%s import by MIT's SPNEGO: mech" % side, MECH, gr.inquire_context(via_mit).mech.dotted_form)
    gr.delete_sec_context(via_mit)
    as_public[side] = len(spnego_der).to_bytes(4, "big") + spnego_der + blob[inner_at:]
try:
    initiator.wrap(b"after export", True)
    fail("the exported initiator context still wraps")
except gssapi.exceptions.GSSError as e:
    check("wrap on the exported context: routine error (GSS_S_NO_CONTEXT)", 0x80000, e.maj_code & 0xff0000)
# Another mechanism's OID inside: refused by our import, not passed on.
bad = bytearray(as_public["acceptor"])
bad[4 + len(spnego_der) + 4 + 2] ^= 0x40
try:
    gr.import_sec_context(bytes(bad))
    fail("an exported context naming another mechanism was imported")
except gssapi.exceptions.GSSError as e:
    check("import naming another mechanism: major (GSS_S_DEFECTIVE_TOKEN)", 0x90000, e.maj_code)
for cut in (3, 4 + len(spnego_der) + 2, len(as_public["acceptor"]) - 1):
    try:
        gr.import_sec_context(as_public["acceptor"][:cut])
        fail("an exported context cut to %d bytes was imported" % cut)
    except gssapi.exceptions.GSSError as e:
        # Our header checks say DEFECTIVE_TOKEN; a cut inside the Kerberos
        # token is MIT krb5's to judge, and it says GSS_S_FAILURE.
        allowed = {0x90000} | ({0xd0000} if CASE == "kerberos" and cut > 40 else set())
        if (e.maj_code & 0xff0000) not in allowed:
            fail("import cut to %d bytes: major 0x%x" % (cut, e.maj_code))
        print("ok: import cut to %d bytes -> major 0x%x" % (cut, e.maj_code))
initiator = gssapi.SecurityContext(base=gr.import_sec_context(as_public["initiator"]))
acceptor = gssapi.SecurityContext(base=gr.import_sec_context(as_public["acceptor"]))

# A pair made and exported by MIT's SPNEGO in another process (the mech file
# without the interposer line) imports here through our interposer and
# protects messages both ways.
MIT_PAIR = r'''
import sys, gssapi, gssapi.raw as gr
spnego = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")
target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)
flags = [gr.RequirementFlag.integrity, gr.RequirementFlag.confidentiality]
i = gssapi.SecurityContext(name=target, mech=spnego, usage="initiate", flags=flags)
a = gssapi.SecurityContext(usage="accept")
token = i.step()
while token:
    token = a.step(token)
    if not token:
        break
    token = i.step(token)
print(i.mech.dotted_form, bytes(i.export()).hex(), bytes(a.export()).hex())
'''
if CASE != "ntlm-password":
    ntlm_only = os.environ.get("GSSNEG_BUILD_MECH_NTLM")
    if not ntlm_only or not os.path.exists(ntlm_only):
        fail("GSSNEG_BUILD_MECH_NTLM must name the build tree's conf/mech-ntlm")
    child_env = dict(os.environ, GSS_MECH_CONFIG=ntlm_only, GSS_NEGOTIATE_TRACE=os.path.join(workdir, "mit-trace"))
    made = subprocess.run([sys.executable, "-c", MIT_PAIR], env=child_env, capture_output=True, text=True,
                          timeout=30)
    if made.returncode != 0:
        fail("MIT's SPNEGO pair: " + made.stderr.strip())
    mit_mech, mit_initiator, mit_acceptor = made.stdout.split()
    check("MIT's SPNEGO pair: mech", MECH, mit_mech)
    spnego_header = len(spnego_der).to_bytes(4, "big") + spnego_der
    for blob in (mit_initiator, mit_acceptor):
        if not bytes.fromhex(blob).startswith(spnego_header):
            fail("MIT's SPNEGO export is not headed by SPNEGO's OID")
    mit_i = gssapi.SecurityContext(base=gr.import_sec_context(bytes.fromhex(mit_initiator)))
    mit_a = gssapi.SecurityContext(base=gr.import_sec_context(bytes.fromhex(mit_acceptor)))
    check("MIT's pair imported here: mech", MECH, gr.inquire_context(mit_a).mech.dotted_form)
    for sender, receiver, name in ((mit_i, mit_a, "initiator -> acceptor"), (mit_a, mit_i, "acceptor -> initiator")):
        sealed = sender.wrap(b"across processes", True).message
        check("MIT's pair, imported here, " + name, b"across processes", receiver.unwrap(sealed).message)
for side, ctx in (("initiator", initiator), ("acceptor", acceptor)):
    info = gr.inquire_context(ctx)
    check("imported %s: mech" % side, MECH, info.mech.dotted_form)
    check("imported %s: complete" % side, True, info.complete)
    check("imported %s: locally initiated" % side, side == "initiator", info.locally_init)
check("imported acceptor: initiator's name", expected_client, str(acceptor.initiator_name))

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
check("trace: contexts exported", 2, events.count("negotiate: context exported"))
check("trace: contexts imported", 2 if CASE == "ntlm-password" else 4,
      events.count("negotiate: context imported over " + mech_word))
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
