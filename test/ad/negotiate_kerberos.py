#!/usr/bin/python3
"""Negotiate in the AD domain with Kerberos: python3-gssapi hosting our
SPNEGO interposer (the build tree's conf/mech) as initiator and acceptor
in one process, alice's ticket from the Samba DC, the acceptor's key from
the keytab the DC exported for HTTP/localhost. Run under
with-dc.sh --kinit alice.

Checks:
- the SPNEGO legs (NegTokenInit with the AP-REQ, accept-completed with the
  AP-REP), the krb5 mechanism on both sides, alice as the initiator, and
  our negotiator in the trace;
- the acceptor's source name (gss_accept_sec_context's, and
  gss_inquire_context's): gss_inquire_name lists the PAC's urn:mspac:*
  attributes, and gss_get_name_attribute gives each one exactly as MIT's
  krb5 mechanism gives it for the same ticket without Negotiate (the
  reference handshake in this process); the values decode (Samba's NDR)
  to alice's own logon: account, RID, domain SID, Domain Users, UPN;
- the RFC 6680 calls around them as the reference answers them:
  an attribute that is not there, gss_duplicate_name,
  gss_export_name_composite and its import, gss_set_name_attribute and
  gss_delete_name_attribute.
"""
import faulthandler
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kdc"))
import negotiate_tokens  # noqa: E402

SPNEGO_OID = "1.3.6.1.5.5.2"
KRB5_OID = "1.2.840.113554.1.2.2"
MS_KRB5_OID = "1.2.840.48018.1.2.2"
COMPOSITE_EXPORT_OID = "1.3.6.1.5.6.6"
# MIT's names for the PAC buffers it knows (src/lib/krb5/krb/pac.c); any
# other buffer type is urn:mspac:<number>.
PAC_ATTRIBUTE_NAMES = {1: "logon-info", 2: "credentials-info", 6: "server-checksum",
                       7: "privsvr-checksum", 10: "client-info", 11: "delegation-info",
                       12: "upn-dns-info"}
DOMAIN_USERS_RID = 513


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def shown(value):
    if isinstance(value, bytes) and len(value) > 32:
        return "%d bytes %s..." % (len(value), value[:16].hex())
    return repr(value)


def check(what, expected, actual):
    if expected != actual:
        fail("%s: expected %s, got %s" % (what, shown(expected), shown(actual)))
    print("ok: %s = %s" % (what, shown(actual)))


faulthandler.dump_traceback_later(60, exit=True)
mech_file = os.environ.get("GSSNEG_BUILD_MECH")
if not mech_file or not os.path.exists(mech_file):
    fail("GSSNEG_BUILD_MECH must name the build tree's conf/mech")
interposer_oid = None
with open(mech_file) as f:
    for line in f:
        fields = line.split()
        if not line.startswith("#") and fields and fields[-1] == "<interposer>":
            interposer_oid = fields[1]
if interposer_oid is None:
    fail("%s has no <interposer> line" % mech_file)
ad_dir = os.environ.get("GSSNEG_AD_DIR")
if not ad_dir:
    fail("run under test/ad/with-dc.sh --kinit alice")
REALM = os.environ["GSSNEG_AD_REALM"]
ALICE = os.environ["GSSNEG_AD_ALICE"]
if not os.path.exists(os.environ["KRB5CCNAME"].removeprefix("FILE:")):
    fail("no ccache: run under with-dc.sh --kinit alice")

workdir = tempfile.mkdtemp(prefix="negotiate-kerberos.", dir=ad_dir)
trace_file = os.path.join(workdir, "trace")
os.environ["GSS_MECH_CONFIG"] = mech_file
os.environ["GSS_NEGOTIATE_TRACE"] = trace_file
# No NTLM credential: the initiator offers Kerberos only.
os.environ.pop("NTLM_USER_FILE", None)

try:
    import gssapi  # noqa: E402  (after the environment above)
    import gssapi.raw as gr  # noqa: E402
    from gssapi.raw import RequirementFlag as Flag  # noqa: E402
except ImportError as e:
    print("SKIP: python3-gssapi is not importable (package python3-gssapi): %s" % e)
    sys.exit(77)
from samba.dcerpc import krb5pac  # noqa: E402
from samba.ndr import ndr_unpack  # noqa: E402

target = gssapi.Name(os.environ["GSSNEG_AD_HTTP_SERVICE"], gssapi.NameType.hostbased_service)
flags = [Flag.mutual_authentication, Flag.integrity, Flag.confidentiality]


def handshake(mech_oid):
    initiator = gssapi.SecurityContext(name=target, mech=gssapi.OID.from_int_seq(mech_oid),
                                       usage="initiate", flags=flags)
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
        if len(legs) > 6:
            fail("the handshake does not end")
    if not (initiator.complete and acceptor.complete):
        fail("%s: the handshake ended incomplete" % mech_oid)
    return initiator, acceptor, legs


def outcome(call):
    """What an RFC 6680 call gives: ("ok", result), or the exception's class
    and major status (minor codes differ: the mechglue maps them per
    mechanism)."""
    try:
        return ("ok", call())
    except gssapi.exceptions.GSSError as e:
        return (type(e).__name__, "major 0x%x" % e.maj_code)


# ---- Negotiate, ours on both sides ----
initiator, acceptor, legs = handshake(SPNEGO_OID)
described = []
for side, tok in legs:
    text = negotiate_tokens.describe(bytes(tok))
    print("%s %d %s" % (side, len(tok), text))
    described.append("%s %s" % (side, text))
check("SPNEGO legs", [
    "initiator NegTokenInit mechTypes=[%s,%s] mechToken=krb5:AP-REQ mechListMIC=absent" % (MS_KRB5_OID, KRB5_OID),
    "acceptor NegTokenResp negState=accept-completed supportedMech=%s responseToken=krb5:AP-REP "
    "mechListMIC=absent" % MS_KRB5_OID,
], described)
check("initiator's mech", KRB5_OID, initiator.mech.dotted_form)
check("acceptor's mech", KRB5_OID, acceptor.mech.dotted_form)
check("initiator's target", "HTTP/localhost@" + REALM, str(initiator.target_name))
check("initiator's name (acceptor side)", "%s@%s" % (ALICE, REALM), str(acceptor.initiator_name))

with open(trace_file) as f:
    events = [line.rstrip("\n").split(" ", 2)[2] for line in f if line.startswith("gss-negotiate[")]
for event in ("negotiate: initiator established over Kerberos", "negotiate: acceptor established over Kerberos",
              "spnego: acceptor chooses Kerberos"):
    check("trace events '%s'" % event, 1, events.count(event))

# ---- the reference: MIT's krb5 mechanism alone, same ticket ----
_, ref_acceptor, _ = handshake(KRB5_OID)
ref_name = ref_acceptor.initiator_name
ref_attrs = gr.inquire_name(ref_name, mech_name=True, attrs=True).attrs
print("reference attributes: %r" % ref_attrs)

# ---- the source name our Negotiate acceptor hands out ----
name = acceptor.initiator_name
inquired = gr.inquire_name(name, mech_name=True, attrs=True)
check("gss_inquire_name: a mechanism name", True, inquired.is_mech_name)
# The mechglue reports the union name's mechanism itself
# (g_inq_name.c), and for a name an interposer made that is the
# interposer's own OID, not SPNEGO's.
check("gss_inquire_name: its mechanism", interposer_oid, inquired.mech.dotted_form)
check("gss_inquire_name: the attributes, as the krb5 mechanism lists them", ref_attrs, inquired.attrs)
for wanted in ("logon-info", "client-info", "upn-dns-info", "server-checksum", "privsvr-checksum"):
    if ("urn:mspac:" + wanted).encode() not in inquired.attrs:
        fail("the source name has no urn:mspac:%s" % wanted)
print("ok: logon-info, client-info, upn-dns-info and both PAC signatures are among them")

values = {}
for attr in inquired.attrs:
    got = gr.get_name_attribute(name, attr)
    ref = gr.get_name_attribute(ref_name, attr)
    if (got.authenticated, got.complete, got.values, got.display_values) != \
            (ref.authenticated, ref.complete, ref.values, ref.display_values):
        fail("%s: %r through Negotiate, %r from the krb5 mechanism" % (attr, got, ref))
    if not got.authenticated or len(got.values) != 1:
        fail("%s: authenticated %r, %d values" % (attr, got.authenticated, len(got.values)))
    values[attr.decode()] = bytes(got.values[0])
    print("ok: %s: %d bytes, authenticated, as the krb5 mechanism gives it" % (attr.decode(), len(got.values[0])))

# The whole PAC, then each buffer as its own attribute.
pac_raw = ndr_unpack(krb5pac.PAC_DATA_RAW, values["urn:mspac:"])
from_buffers = {}
for buf in pac_raw.buffers:
    # The raw blob runs to the next 8-byte boundary; ndr_size is the
    # buffer's own length.
    from_buffers["urn:mspac:" + PAC_ATTRIBUTE_NAMES.get(buf.type, str(buf.type))] = \
        bytes(buf.info.remaining)[:buf.ndr_size]
check("the buffer attributes", sorted(from_buffers), sorted(a for a in values if a != "urn:mspac:"))
for attr, blob in from_buffers.items():
    if values[attr] != blob:
        fail("%s is not the PAC's buffer of that type" % attr)
print("ok: each urn:mspac:<buffer> attribute is that buffer of urn:mspac:")

alice_sid = os.environ["GSSNEG_AD_ALICE_SID"]
domain_sid = os.environ["GSSNEG_AD_DOMAIN_SID"]
pac = ndr_unpack(krb5pac.PAC_DATA, values["urn:mspac:"])
seen = set()
for buf in pac.buffers:
    if buf.type == krb5pac.PAC_TYPE_LOGON_INFO:
        base = buf.info.info.info3.base
        check("logon info: account", ALICE, str(base.account_name.string))
        check("logon info: logon domain", os.environ["GSSNEG_AD_DOMAIN"], str(base.logon_domain.string))
        check("logon info: domain SID", domain_sid, str(base.domain_sid))
        check("logon info: user SID", alice_sid, "%s-%d" % (base.domain_sid, base.rid))
        check("logon info: primary group", DOMAIN_USERS_RID, base.primary_gid)
        check("logon info: Domain Users among the groups", True,
              DOMAIN_USERS_RID in [g.rid for g in base.groups.rids])
        seen.add("logon")
    elif buf.type == krb5pac.PAC_TYPE_LOGON_NAME:
        check("client info: name", ALICE, str(buf.info.account_name))
        seen.add("client")
    elif buf.type == krb5pac.PAC_TYPE_UPN_DNS_INFO:
        check("UPN and DNS info: UPN", "%s@%s" % (ALICE, os.environ["GSSNEG_AD_DNS_DOMAIN"]),
              str(buf.info.upn_name))
        check("UPN and DNS info: DNS domain", REALM, str(buf.info.dns_domain_name).upper())
        seen.add("upn")
check("PAC buffers decoded", {"logon", "client", "upn"}, seen)

# ---- the other RFC 6680 calls, answered as the krb5 mechanism answers ----
absent = b"urn:mspac:credentials-info"
check("gss_get_name_attribute(%s)" % absent.decode(),
      outcome(lambda: gr.get_name_attribute(ref_name, absent)),
      outcome(lambda: gr.get_name_attribute(name, absent)))
ctx_name = gr.inquire_context(acceptor, initiator_name=True).initiator_name
check("gss_inquire_context's source name: attributes", ref_attrs,
      gr.inquire_name(ctx_name, mech_name=True, attrs=True).attrs)
duplicate = gr.duplicate_name(name)
check("gss_duplicate_name: attributes", ref_attrs, gr.inquire_name(duplicate, mech_name=True, attrs=True).attrs)
check("gss_duplicate_name: logon-info", values["urn:mspac:logon-info"],
      bytes(gr.get_name_attribute(duplicate, b"urn:mspac:logon-info").values[0]))

ref_export = outcome(lambda: bytes(gr.export_name_composite(ref_name)))
export = outcome(lambda: bytes(gr.export_name_composite(name)))
check("gss_export_name_composite: status", ref_export[0], export[0])
check("gss_export_name_composite: the krb5 mechanism's token", ref_export[1], export[1])
imported = gr.import_name(export[1], gssapi.OID.from_int_seq(COMPOSITE_EXPORT_OID))
check("the imported composite name: attributes", ref_attrs,
      gr.inquire_name(imported, mech_name=True, attrs=True).attrs)
check("the imported composite name: logon-info", values["urn:mspac:logon-info"],
      bytes(gr.get_name_attribute(imported, b"urn:mspac:logon-info").values[0]))

for what, call in (("gss_set_name_attribute", lambda n: gr.set_name_attribute(n, b"urn:mspac:client-info",
                                                                             [b"forged"], complete=True)),
                   ("gss_delete_name_attribute", lambda n: gr.delete_name_attribute(n, b"urn:mspac:client-info"))):
    expected = outcome(lambda: call(gr.duplicate_name(ref_name)))
    check(what + " on urn:mspac:client-info", expected, outcome(lambda: call(name)))
check("urn:mspac:client-info afterwards, unchanged", values["urn:mspac:client-info"],
      bytes(gr.get_name_attribute(name, b"urn:mspac:client-info").values[0]))
print("PASS")
