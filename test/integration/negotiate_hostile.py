#!/usr/bin/python3
"""Negotiate (our SPNEGO interposer) under python3-gssapi, an RTLD_LOCAL
host, with NTLM beneath (no Kerberos credentials): a clean exchange, then
tokens altered in transit. Each case names the GSS major status it must
end with; the process must survive every one.

Environment: GSSNEG_BUILD_MECH, the build tree's mech file (NTLM line and
interposer line).
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from wire import read_tlv, tlv  # noqa: E402

DOMAIN = "TESTDOM"
USER = "alice"
PASSWORD = "Passw0rd-for-alice"
SPNEGO_OID = "1.3.6.1.5.5.2"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
GSS_S_BAD_MECH = 1 << 16
GSS_S_DEFECTIVE_TOKEN = 9 << 16
GSS_S_BAD_MIC = 6 << 16
GSS_S_NO_CRED = 7 << 16


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


# --- a little DER, enough to take SPNEGO tokens apart and put them back ---

def fields(data, start, end):
    """The TLVs between start and end, as (tag, full_bytes, value_bytes)."""
    out = []
    pos = start
    while pos < end:
        tag, vs, ve = read_tlv(data, pos)
        out.append((tag, data[pos:ve], data[vs:ve]))
        pos = ve
    return out


def neg_token_init_fields(token):
    _, s, e = read_tlv(token, 0)               # 60: framing
    _, _, oid_end = read_tlv(token, s)         # 06: SPNEGO OID
    framing_oid = token[s:oid_end]
    _, s2, _ = read_tlv(token, oid_end)        # a0: NegotiationToken
    _, s3, e3 = read_tlv(token, s2)            # 30: NegTokenInit
    return framing_oid, fields(token, s3, e3)


def build_neg_token_init(framing_oid, items):
    body = tlv(0x30, b"".join(full for _, full, _ in items))
    return tlv(0x60, framing_oid + tlv(0xA0, body))


def neg_token_resp_fields(token):
    _, s, _ = read_tlv(token, 0)               # a1
    _, s2, e2 = read_tlv(token, s)             # 30
    return fields(token, s2, e2)


def build_neg_token_resp(items):
    return tlv(0xA1, tlv(0x30, b"".join(full for _, full, _ in items)))


# --- the exchange ---

def main():
    try:
        import gssapi
        import gssapi.raw
    except ImportError:
        skip("python3-gssapi is not installed")
    mech_file = os.environ.get("GSSNEG_BUILD_MECH")
    if not mech_file:
        fail("GSSNEG_BUILD_MECH is not set")
    tmp = tempfile.mkdtemp(prefix="gssneg-nego-hostile.")
    users = os.path.join(tmp, "users")
    with open(users, "w") as f:
        f.write("%s:%s:%s\n" % (DOMAIN, USER, PASSWORD))
    trace = os.path.join(tmp, "trace")
    # No Kerberos anywhere: Negotiate must use NTLM.
    os.environ.update({
        "GSS_MECH_CONFIG": mech_file,
        "NTLM_USER_FILE": users,
        "NTLMUSER": DOMAIN + "\\" + USER,
        "KRB5CCNAME": "FILE:" + os.path.join(tmp, "no-ccache"),
        "KRB5_CLIENT_KTNAME": os.path.join(tmp, "no-client-keytab"),
        "KRB5_KTNAME": os.path.join(tmp, "no-keytab"),
        "GSS_NEGOTIATE_TRACE": trace,
    })
    spnego = gssapi.OID.from_int_seq(SPNEGO_OID)
    target = gssapi.Name("host@localhost", gssapi.NameType.hostbased_service)

    def pair():
        init = gssapi.SecurityContext(name=target, mech=spnego, usage="initiate",
                                      flags=gssapi.RequirementFlag.integrity |
                                      gssapi.RequirementFlag.confidentiality)
        acc = gssapi.SecurityContext(creds=None, usage="accept")
        return init, acc

    # A clean exchange: four legs, NTLM beneath, messages both ways.
    init, acc = pair()
    legs = [init.step()]
    legs.append(acc.step(legs[-1]))
    legs.append(init.step(legs[-1]))
    legs.append(acc.step(legs[-1]))
    if not acc.complete:
        fail("acceptor not complete after 3 tokens")
    init.step(legs[-1])
    if not init.complete:
        fail("initiator not complete after 4 tokens")
    print("clean exchange: legs %s bytes" % [len(t) for t in legs])
    for ctx, side in ((init, "initiator"), (acc, "acceptor")):
        if ctx.mech.dotted_form != NTLM_OID:
            fail("%s reports mech %s, not NTLM" % (side, ctx.mech))
    sealed = init.wrap(b"negotiate says hello", True)
    if acc.unwrap(sealed.message).message != b"negotiate says hello":
        fail("unwrap")
    mic = acc.get_signature(b"reply")
    init.verify_signature(b"reply", mic)
    print("ok: mech NTLM on both sides, wrap and MIC after the mechListMIC exchange")
    with open(trace) as f:
        text = f.read()
    for line in ("spnego: initiator -> NegTokenInit mechTypes [NTLMSSP (1.3.6.1.4.1.311.2.2.10)]",
                 "spnego: acceptor -> NegTokenResp negState accept-completed",
                 "negotiate: initiator established over NTLM",
                 "negotiate: acceptor established over NTLM"):
        if line not in text:
            fail("trace lacks: " + line)
    print("ok: the trace shows our negotiator on both sides")
    failures = []

    def expect(name, major, run):
        try:
            run()
        except gssapi.raw.misc.GSSError as e:
            if e.maj_code != major:
                failures.append("%s: major 0x%x, expected 0x%x (%s)" % (name, e.maj_code, major, e))
            else:
                print("ok: %s -> major 0x%x: %s" % (name, e.maj_code, str(e).splitlines()[0]))
            return
        failures.append("%s: accepted" % name)

    # Leg 3 (AUTHENTICATE + mechListMIC) with the MIC's last byte flipped.
    def tampered_mic():
        i, a = pair()
        t1 = i.step()
        t2 = a.step(t1)
        t3 = bytearray(i.step(t2))
        t3[-1] ^= 0x01
        a.step(bytes(t3))
    expect("mechListMIC altered", GSS_S_BAD_MIC, tampered_mic)

    # Leg 1 with another OID appended to mechTypes: the acceptor still
    # picks NTLM, but the initiator's mechListMIC covers the list it sent.
    def tampered_mech_types():
        i, a = pair()
        framing, items = neg_token_init_fields(i.step())
        new_items = []
        for tag, full, value in items:
            if tag == 0xA0:
                seq_tag, s, e = read_tlv(value, 0)
                oids = value[s:e] + tlv(0x06, bytes([0x2A, 0x03, 0x04]))
                full = tlv(0xA0, tlv(0x30, oids))
            new_items.append((tag, full, None))
        t2 = a.step(build_neg_token_init(framing, new_items))
        a.step(i.step(t2))
    expect("mechTypes altered (downgrade)", GSS_S_BAD_MIC, tampered_mech_types)

    # Leg 3 without its mechListMIC: NTLM carried a MIC, so the
    # mechListMIC is required.
    def removed_mic():
        i, a = pair()
        t2 = a.step(i.step())
        items = [it for it in neg_token_resp_fields(i.step(t2)) if it[0] != 0xA3]
        a.step(build_neg_token_resp(items))
    expect("mechListMIC removed", GSS_S_DEFECTIVE_TOKEN, removed_mic)

    # Leg 4 (the acceptor's mechListMIC) altered, at the initiator.
    def tampered_final_mic():
        i, a = pair()
        t2 = a.step(i.step())
        t4 = bytearray(a.step(i.step(t2)))
        t4[-1] ^= 0x80
        i.step(bytes(t4))
    expect("acceptor's mechListMIC altered", GSS_S_BAD_MIC, tampered_final_mic)

    # Leg 2 cut at every length, at the initiator: each is a broken
    # NegTokenResp.
    i0, a0 = pair()
    t1 = i0.step()
    t2 = a0.step(t1)
    for cut in range(1, len(t2)):
        def truncated(cut=cut):
            i, _ = pair()
            i.step()
            i.step(t2[:cut])
        expect("leg 2 cut to %d bytes" % cut, GSS_S_DEFECTIVE_TOKEN, truncated)

    # Leg 2 as garbage, and with an indefinite length (BER, not DER).
    def garbage():
        i, _ = pair()
        i.step()
        i.step(b"\xa1\x05garbage-not-a-token")
    expect("leg 2 garbage", GSS_S_DEFECTIVE_TOKEN, garbage)

    def indefinite():
        i, _ = pair()
        i.step()
        _, s, e = read_tlv(t2, 0)
        i.step(b"\xa1\x80" + t2[s:e] + b"\x00\x00")
    expect("leg 2 indefinite length", GSS_S_DEFECTIVE_TOKEN, indefinite)

    # Leg 1 offering only an unknown mechanism: the acceptor rejects.
    def no_common_mech():
        framing, _ = neg_token_init_fields(t1)
        items = [(0xA0, tlv(0xA0, tlv(0x30, tlv(0x06, bytes([0x2A, 0x03, 0x04])))), None)]
        result = gssapi.raw.accept_sec_context(build_neg_token_init(framing, items))
        failures.append("no mechanism in common: accept returned %r" % (result,))
    expect("no mechanism in common", GSS_S_BAD_MECH, no_common_mech)

    # Leg 1 cut at every length past the framing header: the mechglue
    # routes those still framed with the SPNEGO OID to us.
    for cut in range(len(t1) - 1, 12, -1):
        def truncated_init(cut=cut):
            _, a = pair()
            a.step(t1[:cut])
        expect("leg 1 cut to %d bytes" % cut, GSS_S_DEFECTIVE_TOKEN, truncated_init)

    # ntlm_targets: NTLM only for the targets it lists.
    config = os.path.join(tmp, "ntlm-targets.conf")
    with open(config, "w") as f:
        f.write("ntlm_targets = HTTP@legacy.example *@elsewhere.example\n")
    os.environ["GSS_NEGOTIATE_CONFIG"] = config

    def not_listed():
        i, _ = pair()
        i.step()
    try:
        not_listed()
        failures.append("ntlm_targets: NTLM used for a target it does not list")
    except gssapi.raw.misc.GSSError as e:
        if e.maj_code != GSS_S_NO_CRED or "is not in ntlm_targets" not in str(e):
            failures.append("ntlm_targets: major 0x%x (%s)" % (e.maj_code, e))
        else:
            print("ok: ntlm_targets leaves NTLM out for host@localhost: %s" % str(e).splitlines()[0])
    # Another file: the module looks at one options file at most once a second.
    config = os.path.join(tmp, "ntlm-targets-2.conf")
    with open(config, "w") as f:
        f.write("ntlm_targets = HTTP@legacy.example host@*\n")
    os.environ["GSS_NEGOTIATE_CONFIG"] = config
    i, a = pair()
    a.step(i.step(a.step(i.step())))
    if not a.complete:
        failures.append("ntlm_targets: host@* does not let host@localhost use NTLM")
    else:
        print("ok: ntlm_targets host@* lets host@localhost use NTLM")
    del os.environ["GSS_NEGOTIATE_CONFIG"]

    if failures:
        for f in failures:
            print("FAIL: " + f)
        sys.exit(1)
    print("PASS")


main()
