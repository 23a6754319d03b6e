#!/usr/bin/python3
"""Calls that SPNEGO hands to its mechanism, on Negotiate names,
credentials and contexts, with the answers MIT's SPNEGO gives:
gss_export_name, gss_export_cred and gss_import_cred, gss_wrap_aead and
gss_unwrap_aead, gss_display_name_ext, gss_acquire_cred_impersonate_name.
Run under with-kdc.sh --kinit alice.

    forward_parity.py STACK     STACK is ours (conf/mech) or mit-krb5
                                (MIT's SPNEGO over Kerberos alone: an
                                empty mech file); both must answer alike

Checked, with no NTLM user file (so that a credential holds Kerberos
alone in both stacks):
- an imported name made an SPNEGO mechanism name exports as RFC 2743 3.2
  with the SPNEGO OID and the name as given, byte for byte what MIT's
  mechglue writes (never the interposer's private OID), and imports back
  to a name that exports the same; a token whose name length runs past
  its end, or whose name is cut short, is DEFECTIVE_TOKEN, and one padded
  after the name imports (as MIT's mechglue allows);
- the source name of an SPNEGO acceptor context over Kerberos exports
  the same way: the SPNEGO OID and the principal (MIT's SPNEGO hands out
  a name of its own there, which MIT's mechglue exports so);
- an SPNEGO initiator credential and an acceptor credential export, the
  tokens import, and each imported credential establishes a context;
- a token whose inner part is damaged does not import (DEFECTIVE_TOKEN);
- over that Kerberos context, gss_wrap_aead's token unwraps with
  gss_unwrap_aead to the payload, and not with other associated data
  (BAD_SIG); gss_display_name_ext of the source name as a Kerberos
  principal answers as the krb5 mechanism does.
In a child process with the service's own ticket: the service impersonates
alice (S4U2Self), the credential names SPNEGO, a context made with it has
alice as its source over Kerberos, and an unknown principal cannot be
impersonated.
For ours also, in a child process with an NTLM user file and no ticket:
credentials that hold an NTLM element export without the password in
clear and import, a context made with the imported initiator and acceptor
credentials completes over NTLM, a token cut short or with its NTLM part
altered is DEFECTIVE_TOKEN, and gss_wrap_aead / gss_unwrap_aead work over
that NTLM context the same way. (MIT's SPNEGO over gss-ntlmssp 1.2.0 has
no reference to give here: gss-ntlmssp exports such a credential but
refuses to import its own token, GSS_S_FAILURE "Invalid value in
argument".)
"""
import os
import subprocess
import sys
import tempfile

SPNEGO_OID = "1.3.6.1.5.5.2"
SPNEGO_DER = bytes.fromhex("2b0601050502")
GSS_S_DEFECTIVE_TOKEN = 0x90000
GSS_S_BAD_SIG = 0x60000
KRB5_NT_PRINCIPAL = "1.2.840.113554.1.2.2.1"


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %r, got %r" % (what, expected, actual))
    print("ok: %s = %r" % (what, actual))


def establish(init_cred=None, accept_cred=None):
    """An SPNEGO context pair; the credentials are gssapi.raw ones or
    None for the defaults."""
    flags = (gssapi.RequirementFlag.confidentiality | gssapi.RequirementFlag.integrity
             | gssapi.RequirementFlag.mutual_authentication)
    initiator = gssapi.SecurityContext(name=target, mech=spnego, usage="initiate", flags=flags,
                                       creds=gssapi.Credentials(init_cred) if init_cred else None)
    acceptor = gssapi.SecurityContext(usage="accept", creds=gssapi.Credentials(accept_cred) if accept_cred else None)
    token = initiator.step()
    while not (initiator.complete and acceptor.complete):
        token = acceptor.step(token)
        if token and not initiator.complete:
            token = initiator.step(token)
    return initiator, acceptor


def check_aead(initiator, acceptor, what):
    """gss_wrap_aead from the initiator, gss_unwrap_aead at the acceptor,
    then the same token with other associated data."""
    payload, assoc = b"the payload, sealed", b"the header, signed only"
    wrapped = gr.wrap_aead(initiator, payload, associated=assoc, confidential=True)
    check("%s: gss_wrap_aead sealed" % what, True, wrapped.encrypted)
    if payload in wrapped.message or assoc in wrapped.message:
        fail("%s: the AEAD token holds the payload or the associated data in clear" % what)
    unwrapped = gr.unwrap_aead(acceptor, wrapped.message, associated=assoc)
    check("%s: gss_unwrap_aead payload" % what, payload, unwrapped.message)
    again = gr.wrap_aead(initiator, payload, associated=assoc, confidential=True)
    try:
        gr.unwrap_aead(acceptor, again.message, associated=b"other associated data!")
        fail("%s: gss_unwrap_aead accepted other associated data" % what)
    except gssapi.exceptions.GSSError as e:
        check("%s: gss_unwrap_aead status with other associated data" % what, GSS_S_BAD_SIG,
              e.maj_code & 0xFFFF0000)


def exported(oid_der, name):
    """RFC 2743 3.2: 04 01, the DER OID's length, the DER OID, the name's
    4-byte length, the name."""
    oid = b"\x06" + bytes([len(oid_der)]) + oid_der
    return b"\x04\x01" + len(oid).to_bytes(2, "big") + oid + len(name).to_bytes(4, "big") + name


if len(sys.argv) not in (2, 3) or sys.argv[1] not in ("ours", "mit-krb5") or \
        (len(sys.argv) == 3 and sys.argv[2] not in ("--ntlm-element", "--impersonate")):
    fail("usage: forward_parity.py ours|mit-krb5")
STACK = sys.argv[1]
NTLM_CHILD = len(sys.argv) == 3 and sys.argv[2] == "--ntlm-element"
S4U_CHILD = len(sys.argv) == 3 and sys.argv[2] == "--impersonate"
kdc_dir = os.environ.get("GSSNEG_KDC_DIR")
if not kdc_dir:
    fail("run under test/kdc/with-kdc.sh --kinit alice")
work = tempfile.mkdtemp(prefix="gssneg-forward-parity.", dir=kdc_dir)
if STACK == "mit-krb5":
    mech_file = os.path.join(work, "no-mechs")
    open(mech_file, "w").close()
else:
    mech_file = os.environ.get("GSSNEG_BUILD_MECH", "")
if not os.path.exists(mech_file):
    fail("no mech file for %s (GSSNEG_BUILD_MECH)" % STACK)
os.environ["GSS_MECH_CONFIG"] = mech_file
os.environ.pop("NTLM_USER_FILE", None)
if NTLM_CHILD:
    users = os.path.join(work, "users")
    with open(users, "w") as f:
        f.write("TESTDOM:alice:Passw0rd-for-alice\n")
    os.environ.update(NTLM_USER_FILE=users, NTLMUSER="TESTDOM\\alice",
                      KRB5CCNAME="FILE:" + os.path.join(work, "no-ccache"))

try:
    import gssapi  # noqa: E402  (after the environment above)
    import gssapi.raw as gr  # noqa: E402
except ImportError as e:
    print("SKIP: python3-gssapi is not importable (package python3-gssapi): %s" % e)
    sys.exit(77)

spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)

if S4U_CHILD:
    # The service, with its own TGT and its keytab, impersonates alice
    # (S4U2Self) and authenticates to itself with that credential.
    host = "host/localhost@" + os.environ["GSSNEG_REALM"]
    ccache = os.path.join(work, "service.ccache")
    subprocess.run(["kinit", "-k", "-t", os.environ["KRB5_KTNAME"].removeprefix("FILE:"), "-f", "-c",
                    "FILE:" + ccache, host], check=True, capture_output=True)
    os.environ["KRB5CCNAME"] = "FILE:" + ccache
    service = gr.acquire_cred(None, mechs=[spnego], usage="both").creds
    user = gr.import_name(os.environ["GSSNEG_ALICE"].encode(), gssapi.NameType.kerberos_principal)
    impersonated = gr.acquire_cred_impersonate_name(service, user, mechs=[spnego], usage="initiate")
    mechs = [m.dotted_form for m in impersonated.mechs]
    if STACK == "ours":
        # MIT's mechglue copies the credential's own mechanism list into
        # actual_mechs here (g_acquire_cred_imp_name.c), not the public
        # OIDs as gss_acquire_cred does: for an interposed SPNEGO that is
        # the interposer's OID followed by SPNEGO's bytes (2b 06 01 05 05 02).
        if len(mechs) != 1 or not mechs[0].endswith(".43.6.1.5.5.2"):
            fail("gss_acquire_cred_impersonate_name mechanisms: %r" % mechs)
        print("ok: gss_acquire_cred_impersonate_name mechanisms = %r (the mechglue's interposed SPNEGO)" % mechs)
    else:
        check("gss_acquire_cred_impersonate_name mechanisms", [SPNEGO_OID], mechs)
    initiator, acceptor = establish(impersonated.creds, service)
    check("source name of the impersonated logon", os.environ["GSSNEG_ALICE"], str(acceptor.initiator_name))
    check("its mechanism", "1.2.840.113554.1.2.2", acceptor.mech.dotted_form)
    try:
        gr.acquire_cred_impersonate_name(service, gr.import_name(b"nobody-here@" + os.environ["GSSNEG_REALM"].encode(),
                                                                 gssapi.NameType.kerberos_principal),
                                         mechs=[spnego], usage="initiate")
        fail("impersonated a principal the KDC does not have")
    except gssapi.exceptions.GSSError as e:
        # MIT's mechglue answers NO_CRED with CALL_INACCESSIBLE_READ and
        # minor 0 here, through either SPNEGO.
        check("gss_acquire_cred_impersonate_name status for an unknown principal", "0x1070000", hex(e.maj_code))
    print("PASS: forward_parity %s (impersonation)" % STACK)
    sys.exit(0)

if NTLM_CHILD:
    init_cred = gr.acquire_cred(None, mechs=[spnego], usage="initiate").creds
    accept_cred = gr.acquire_cred(None, mechs=[spnego], usage="accept").creds
    init_token = gr.export_cred(init_cred)
    accept_token = gr.export_cred(accept_cred)
    print("ok: credentials with an NTLM element export (%d and %d bytes)" % (len(init_token), len(accept_token)))
    if b"Passw0rd-for-alice" in init_token:
        fail("the exported credential holds the password in clear")
    initiator, acceptor = establish(gr.import_cred(init_token), gr.import_cred(accept_token))
    check("NTLM context with the imported credentials, mechanism", "1.3.6.1.4.1.311.2.2.10",
          acceptor.mech.dotted_form)
    check("its source name", "TESTDOM\\alice", str(acceptor.initiator_name))
    check_aead(initiator, acceptor, "NTLM")
    # Damaged tokens: cut short, and the NTLM part's magic altered.
    magic = init_token.find(b"GNCR")
    if magic < 0:
        fail("the exported credential has no NTLM part")
    for what, bad in (("cut short", init_token[:-1]),
                      ("with the NTLM part altered", init_token[:magic] + b"GNCX" + init_token[magic + 4:])):
        try:
            gr.import_cred(bad)
            fail("a credential token %s imported" % what)
        except gssapi.exceptions.GSSError as e:
            check("gss_import_cred status of a token %s" % what, GSS_S_DEFECTIVE_TOKEN, e.maj_code)
    print("PASS: forward_parity %s (NTLM element)" % STACK)
    sys.exit(0)

# Names.
for text, ntype in ((b"xyz", gssapi.NameType.user), (b"a@b", gssapi.NameType.kerberos_principal)):
    name = gr.import_name(text, ntype)
    mn = gr.canonicalize_name(name, spnego)
    token = gr.export_name(mn)
    check("exported SPNEGO name %s" % text.decode(), exported(SPNEGO_DER, text).hex(), token.hex())
    again = gr.export_name(gr.import_name(token, gssapi.NameType.export))
    check("... imported and exported again", token.hex(), again.hex())

# Rewritten exported names: a name length past the end and a name cut
# short are DEFECTIVE_TOKEN; a token padded after the name imports, as MIT's
# mechglue allows for rpcsec_gss's rounded-up tokens.
good = exported(SPNEGO_DER, b"xyz")
for what, token in (("a name length past the end", good[:-7] + (9).to_bytes(4, "big") + b"xyz"),
                    ("a name cut short", good[:-1])):
    try:
        gr.import_name(token, gssapi.NameType.export)
        fail("an exported name with %s imported" % what)
    except gssapi.exceptions.GSSError as e:
        check("gss_import_name status for %s" % what, GSS_S_DEFECTIVE_TOKEN, e.maj_code)
padded = gr.import_name(good + b"\x00", gssapi.NameType.export)
check("a padded exported name imports as", b"xyz", gr.display_name(padded).name)

# A context over Kerberos, with credentials that went through export and
# import on both sides.
init_cred = gr.acquire_cred(None, mechs=[spnego], usage="initiate").creds
accept_cred = gr.acquire_cred(None, mechs=[spnego], usage="accept").creds
init_token = gr.export_cred(init_cred)
accept_token = gr.export_cred(accept_cred)
print("ok: both credentials export (%d and %d bytes)" % (len(init_token), len(accept_token)))
init_imported = gr.import_cred(init_token)
accept_imported = gr.import_cred(accept_token)
initiator, acceptor = establish(init_imported, accept_imported)
check("context with the imported credentials complete", (True, True), (initiator.complete, acceptor.complete))
check("its mechanism", "1.2.840.113554.1.2.2", acceptor.mech.dotted_form)
source = gr.export_name(acceptor.initiator_name)
check("exported source name", exported(SPNEGO_DER, os.environ["GSSNEG_ALICE"].encode()).hex(), source.hex())

check_aead(initiator, acceptor, "Kerberos")
try:
    shown = gr.display_name_ext(acceptor.initiator_name, gssapi.OID.from_int_seq(KRB5_NT_PRINCIPAL))
    result = (0, shown)
except gssapi.exceptions.GSSError as e:
    result = (e.maj_code, None)
check("gss_display_name_ext(source name, Kerberos principal)", (0, os.environ["GSSNEG_ALICE"].encode()), result)

# A damaged credential token: the last byte of the mechanism's part cut.
try:
    gr.import_cred(init_token[:-1])
    fail("a truncated credential token imported")
except gssapi.exceptions.GSSError as e:
    check("gss_import_cred status of a truncated token", GSS_S_DEFECTIVE_TOKEN, e.maj_code)

if subprocess.run([sys.executable, __file__, STACK, "--impersonate"], check=False).returncode != 0:
    fail("the impersonation case failed")
if STACK == "ours":
    child = subprocess.run([sys.executable, __file__, STACK, "--ntlm-element"], check=False)
    if child.returncode != 0:
        fail("the NTLM element case failed")
print("PASS: forward_parity %s" % STACK)
