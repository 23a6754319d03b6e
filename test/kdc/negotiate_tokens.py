#!/usr/bin/python3
"""One line per SPNEGO token, for tests that compare handshakes exactly.

    negotiate_tokens.py < LEGS

Each input line is "LABEL HEX" (LABEL is a word such as recv, send, client,
server; HEX the token). Each output line is "LABEL SIZE DESCRIPTION", where
DESCRIPTION names the SPNEGO message (RFC 4178 4.2), its fields and what the
inner mechanism token is:

    NegTokenInit mechTypes=[1.2.840.48018.1.2.2,1.2.840.113554.1.2.2] mechToken=krb5:AP-REQ mechListMIC=absent
    NegTokenResp negState=accept-completed supportedMech=1.2.840.113554.1.2.2 responseToken=krb5:AP-REP mechListMIC=absent
    NegTokenResp negState=absent supportedMech=absent responseToken=NTLM:AUTHENTICATE mechListMIC=present

Tests compare the descriptions and print the sizes. A token that is not
well-formed DER, or not SPNEGO, exits 1 with "FAIL: ...". Also a module:
describe(bytes) returns the description.
"""
import sys

SPNEGO_OID_DER = bytes.fromhex("06062b0601050502")
KRB5_OID_DERS = (bytes.fromhex("06092a864886f712010202"),   # 1.2.840.113554.1.2.2
                 bytes.fromhex("06092a864882f712010202"))   # 1.2.840.48018.1.2.2 (Microsoft)
KRB5_TOK_IDS = {b"\x01\x00": "AP-REQ", b"\x02\x00": "AP-REP", b"\x03\x00": "KRB-ERROR"}
NTLM_TYPES = {1: "NEGOTIATE", 2: "CHALLENGE", 3: "AUTHENTICATE"}
NEG_STATES = {0: "accept-completed", 1: "accept-incomplete", 2: "reject", 3: "request-mic"}


class TokenError(Exception):
    pass


def tlv(data, pos, end):
    """(tag, value start, value end) of the DER element at pos, inside end."""
    if pos + 2 > end:
        raise TokenError("element header truncated at offset %d" % pos)
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 3 or pos + count > end:
            raise TokenError("bad length octets at offset %d" % (pos - 1))
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > end:
        raise TokenError("element at offset %d runs past its parent" % pos)
    return tag, pos, pos + length


def elements(data, start, end):
    out = []
    while start < end:
        tag, vs, ve = tlv(data, start, end)
        out.append((tag, vs, ve))
        start = ve
    return out


def oid_text(body):
    if not body or body[-1] & 0x80:
        raise TokenError("malformed OID")
    arcs, value = [], 0
    for b in body:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [first, arcs[0] - 40 * first] + arcs[1:])


def mech_token_kind(token):
    if token[:8] == b"NTLMSSP\0" and len(token) >= 12:
        return "NTLM:" + NTLM_TYPES.get(int.from_bytes(token[8:12], "little"), "type-%d" % token[8])
    if token[:1] == b"\x60":
        _, vs, ve = tlv(token, 0, len(token))
        for der in KRB5_OID_DERS:
            if token[vs:vs + len(der)] == der:
                tok_id = token[vs + len(der):vs + len(der) + 2]
                return "krb5:" + KRB5_TOK_IDS.get(tok_id, "tok-id-" + tok_id.hex())
    return "unknown:" + token[:8].hex()


def fields(data, start, end, what):
    """The context-tagged fields [n] of a SEQUENCE, as {n: (start, end)}."""
    out = {}
    for tag, vs, ve in elements(data, start, end):
        if tag & 0xE0 != 0xA0 or tag & 0x1F in out:
            raise TokenError("%s: unexpected or repeated tag 0x%02x" % (what, tag))
        out[tag & 0x1F] = (vs, ve)
    return out


def inner(data, span, want_tag, what):
    tag, vs, ve = tlv(data, span[0], span[1])
    if tag != want_tag or ve != span[1]:
        raise TokenError("%s: tag 0x%02x, expected 0x%02x" % (what, tag, want_tag))
    return vs, ve


def describe_init(data, start, end):
    tag, vs, ve = tlv(data, start, end)
    if tag != 0x30 or ve != end:
        raise TokenError("NegTokenInit is not one SEQUENCE")
    f = fields(data, vs, ve, "NegTokenInit")
    if 0 not in f:
        raise TokenError("NegTokenInit without mechTypes")
    ms, me = inner(data, f[0], 0x30, "mechTypes")
    mechs = []
    for t, os_, oe in elements(data, ms, me):
        if t != 0x06:
            raise TokenError("mechTypes holds a non-OID")
        mechs.append(oid_text(data[os_:oe]))
    token = "absent"
    if 2 in f:
        ts, te = inner(data, f[2], 0x04, "mechToken")
        token = mech_token_kind(data[ts:te])
    # [3] is mechListMIC (an OCTET STRING) in RFC 4178's NegTokenInit and
    # negHints (a SEQUENCE) in MS-SPNG 2.2.1's NegTokenInit2, whose
    # mechListMIC is [4].
    name, mic = "NegTokenInit", "absent"
    if 3 in f:
        if tlv(data, f[3][0], f[3][1])[0] == 0x30:
            name = "NegTokenInit2"
            mic = "present" if 4 in f else "absent"
        else:
            inner(data, f[3], 0x04, "mechListMIC")
            mic = "present"
    return "%s mechTypes=[%s] mechToken=%s mechListMIC=%s" % (name, ",".join(mechs), token, mic)


def describe_resp(data, start, end):
    tag, vs, ve = tlv(data, start, end)
    if tag != 0x30 or ve != end:
        raise TokenError("NegTokenResp is not one SEQUENCE")
    f = fields(data, vs, ve, "NegTokenResp")
    state = "absent"
    if 0 in f:
        es, ee = inner(data, f[0], 0x0A, "negState")
        if ee - es != 1:
            raise TokenError("negState is not one octet")
        state = NEG_STATES.get(data[es], "value-%d" % data[es])
    mech = "absent"
    if 1 in f:
        os_, oe = inner(data, f[1], 0x06, "supportedMech")
        mech = oid_text(data[os_:oe])
    token = "absent"
    if 2 in f:
        ts, te = inner(data, f[2], 0x04, "responseToken")
        token = mech_token_kind(data[ts:te])
    mic = "present" if 3 in f else "absent"
    return "NegTokenResp negState=%s supportedMech=%s responseToken=%s mechListMIC=%s" % (
        state, mech, token, mic)


def describe(data):
    if not data:
        raise TokenError("empty token")
    tag, vs, ve = tlv(data, 0, len(data))
    if ve != len(data):
        raise TokenError("%d bytes after the token" % (len(data) - ve))
    if tag == 0x60:
        if data[vs:vs + len(SPNEGO_OID_DER)] != SPNEGO_OID_DER:
            raise TokenError("framed token without the SPNEGO OID")
        pos = vs + len(SPNEGO_OID_DER)
        t, cs, ce = tlv(data, pos, ve)
        if t != 0xA0 or ce != ve:
            raise TokenError("SPNEGO framing does not hold a NegTokenInit [0]")
        return describe_init(data, cs, ce)
    if tag == 0xA1:
        return describe_resp(data, vs, ve)
    raise TokenError("not a SPNEGO token (tag 0x%02x)" % tag)


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        label, hexdata = line.split()
        data = bytes.fromhex(hexdata)
        try:
            text = describe(data)
        except TokenError as e:
            print("FAIL: %s token %s... : %s" % (label, hexdata[:40], e))
            return 1
        print("%s %d %s" % (label, len(data), text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
