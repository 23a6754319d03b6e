#!/usr/bin/python3
"""Decodes the SPNEGO tokens of one handshake (RFC 4178, MS-SPNG) and checks
that NTLM was negotiated with a mechListMIC in both directions.

  spnego_tokens.py DIR [--expect success|reject]

DIR holds leg-1.bin, leg-2.bin, ... as written by gssneg-client/-server
--dump-tokens (odd legs from the initiator, even legs from the acceptor).
Prints one description per leg; on a failed check prints "FAIL: why" and
exits 1.

Only what the checks need is decoded: a small DER walker with definite
lengths, bounds-checked, that rejects trailing bytes.
"""
import os
import sys

SPNEGO_OID = "1.3.6.1.5.5.2"
NTLM_OID = "1.3.6.1.4.1.311.2.2.10"
NEG_STATES = {0: "accept-completed", 1: "accept-incomplete", 2: "reject", 3: "request-mic"}
NTLM_TYPES = {1: "NEGOTIATE", 2: "CHALLENGE", 3: "AUTHENTICATE"}


class DerError(Exception):
    pass


def read_tlv(data, pos):
    """Returns (tag, value_start, value_end) of the element at pos."""
    if pos + 2 > len(data):
        raise DerError("element header truncated at offset %d" % pos)
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("multi-byte tags are not used by SPNEGO (offset %d)" % pos)
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise DerError("indefinite or oversized length at offset %d" % (pos - 1))
        if pos + count > len(data):
            raise DerError("length truncated at offset %d" % pos)
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise DerError("element at offset %d claims %d bytes, %d left" % (pos, length, len(data) - pos))
    return tag, pos, pos + length


def children(data, start, end):
    """The elements inside [start, end), as (tag, value bytes)."""
    out = []
    pos = start
    while pos < end:
        tag, vs, ve = read_tlv(data, pos)
        if ve > end:
            raise DerError("element at offset %d runs past its parent" % pos)
        out.append((tag, data[vs:ve]))
        pos = ve
    return out


def only(data, expected_tag, what):
    tag, vs, ve = read_tlv(data, 0)
    if tag != expected_tag:
        raise DerError("%s: tag 0x%02x, expected 0x%02x" % (what, tag, expected_tag))
    if ve != len(data):
        raise DerError("%s: %d trailing bytes" % (what, len(data) - ve))
    return data[vs:ve]


def oid_text(body):
    if not body:
        raise DerError("empty OID")
    arcs = []
    value = 0
    for i, b in enumerate(body):
        value = (value << 7) | (b & 0x7F)
        if b & 0x80:
            if i == len(body) - 1:
                raise DerError("OID ends inside an arc")
            continue
        arcs.append(value)
        value = 0
    top = min(arcs[0] // 40, 2)
    return ".".join(str(a) for a in [top, arcs[0] - 40 * top] + arcs[1:])


def context_fields(body, what):
    """SEQUENCE { [n] ... } -> {n: inner bytes}; each [n] at most once, in order."""
    seq = only(body, 0x30, what + " SEQUENCE")
    fields = {}
    last = -1
    for tag, value in children(seq, 0, len(seq)):
        if tag & 0xE0 != 0xA0:
            raise DerError("%s: unexpected tag 0x%02x" % (what, tag))
        n = tag & 0x1F
        if n <= last:
            raise DerError("%s: field [%d] out of order or repeated" % (what, n))
        last = n
        fields[n] = value
    return fields


def octets(value, what):
    return only(value, 0x04, what)


def describe_ntlm(token):
    if len(token) >= 12 and token[:8] == b"NTLMSSP\0":
        kind = int.from_bytes(token[8:12], "little")
        return NTLM_TYPES.get(kind, "NTLMSSP type %d" % kind)
    return None


class Leg:
    def __init__(self, number, data):
        self.number = number
        self.kind = None          # "NegTokenInit" | "NegTokenResp"
        self.mech_types = []
        self.neg_state = None
        self.supported_mech = None
        self.token = None         # mechToken / responseToken bytes
        self.mic = None           # mechListMIC bytes
        self.decode(data)

    def decode(self, data):
        if data[:1] == b"\x60":
            # InitialContextToken (RFC 2743 3.1): [APPLICATION 0] { thisMech, innerToken }
            body = only(data, 0x60, "InitialContextToken")
            tag, vs, ve = read_tlv(body, 0)
            if tag != 0x06:
                raise DerError("InitialContextToken does not start with an OID")
            if oid_text(body[vs:ve]) != SPNEGO_OID:
                raise DerError("framing OID %s is not SPNEGO" % oid_text(body[vs:ve]))
            inner = body[ve:]
            init = only(inner, 0xA0, "NegotiationToken [0]")
            self.decode_init(init)
        elif data[:1] == b"\xa1":
            self.decode_resp(only(data, 0xA1, "NegotiationToken [1]"))
        elif data[:1] == b"\xa0":
            self.decode_init(only(data, 0xA0, "NegotiationToken [0]"))
        else:
            raise DerError("not a SPNEGO token (first byte 0x%02x)" % data[0] if data else "empty token")

    def decode_init(self, body):
        # NegTokenInit ::= SEQUENCE { mechTypes [0], reqFlags [1], mechToken [2], mechListMIC [3] }
        self.kind = "NegTokenInit"
        fields = context_fields(body, "NegTokenInit")
        if 0 not in fields:
            raise DerError("NegTokenInit without mechTypes")
        types = only(fields[0], 0x30, "mechTypes")
        for tag, value in children(types, 0, len(types)):
            if tag != 0x06:
                raise DerError("mechTypes holds tag 0x%02x" % tag)
            self.mech_types.append(oid_text(value))
        if 2 in fields:
            self.token = octets(fields[2], "mechToken")
        if 3 in fields:
            self.mic = octets(fields[3], "mechListMIC")

    def decode_resp(self, body):
        # NegTokenResp ::= SEQUENCE { negState [0] ENUMERATED, supportedMech [1],
        #                             responseToken [2], mechListMIC [3] }
        self.kind = "NegTokenResp"
        fields = context_fields(body, "NegTokenResp")
        if 0 in fields:
            state = only(fields[0], 0x0A, "negState")
            if len(state) != 1:
                raise DerError("negState of %d bytes" % len(state))
            self.neg_state = NEG_STATES.get(state[0], "unknown(%d)" % state[0])
        if 1 in fields:
            self.supported_mech = oid_text(only(fields[1], 0x06, "supportedMech"))
        if 2 in fields:
            self.token = octets(fields[2], "responseToken")
        if 3 in fields:
            self.mic = octets(fields[3], "mechListMIC")

    def ntlm(self):
        return describe_ntlm(self.token) if self.token is not None else None

    def summary(self):
        parts = [self.kind]
        if self.mech_types:
            parts.append("mechTypes=[%s]" % ", ".join(self.mech_types))
        if self.neg_state is not None:
            parts.append("negState=" + self.neg_state)
        if self.supported_mech is not None:
            parts.append("supportedMech=" + self.supported_mech)
        if self.token is not None:
            parts.append("token=%s %d bytes" % (self.ntlm() or "opaque", len(self.token)))
        if self.mic is not None:
            parts.append("mechListMIC=%d bytes" % len(self.mic))
        return "leg %d: %s" % (self.number, " ".join(parts))


def is_ntlm_signature(mic):
    # MS-NLMP 2.2.2.9: NTLMSSP_MESSAGE_SIGNATURE, Version 0x00000001, 16 bytes.
    return len(mic) == 16 and mic[:4] == b"\x01\x00\x00\x00"


def main():
    args = sys.argv[1:]
    expect = "success"
    if len(args) == 3 and args[1] == "--expect" and args[2] in ("success", "reject"):
        expect = args[2]
        args = args[:1]
    if len(args) != 1:
        print("usage: spnego_tokens.py DIR [--expect success|reject]")
        return 2
    directory = args[0]
    legs = []
    while True:
        path = os.path.join(directory, "leg-%d.bin" % (len(legs) + 1))
        if not os.path.exists(path):
            break
        with open(path, "rb") as f:
            data = f.read()
        try:
            legs.append(Leg(len(legs) + 1, data))
        except DerError as e:
            print("FAIL: leg %d: %s (%d bytes: %s)" % (len(legs) + 1, e, len(data), data.hex()))
            return 1
    for leg in legs:
        print(leg.summary())

    problems = []

    def check(condition, why):
        if not condition:
            problems.append(why)

    check(len(legs) >= 3, "fewer than three legs")
    if len(legs) >= 1:
        first = legs[0]
        check(first.kind == "NegTokenInit", "leg 1 is not a NegTokenInit")
        check(NTLM_OID in first.mech_types, "leg 1: NTLM is not in mechTypes")
        check(first.mech_types[:1] == [NTLM_OID], "leg 1: NTLM is not the first (optimistic) mech")
        check(first.ntlm() == "NEGOTIATE", "leg 1: mechToken is not an NTLM NEGOTIATE")
    if len(legs) >= 2:
        second = legs[1]
        check(second.kind == "NegTokenResp", "leg 2 is not a NegTokenResp")
        check(second.neg_state == "accept-incomplete", "leg 2: negState %s" % second.neg_state)
        check(second.supported_mech == NTLM_OID, "leg 2: supportedMech %s is not NTLM" % second.supported_mech)
        check(second.ntlm() == "CHALLENGE", "leg 2: responseToken is not an NTLM CHALLENGE")
    if len(legs) >= 3:
        third = legs[2]
        check(third.kind == "NegTokenResp", "leg 3 is not a NegTokenResp")
        check(third.ntlm() == "AUTHENTICATE", "leg 3: responseToken is not an NTLM AUTHENTICATE")
        check(third.mic is not None, "leg 3: the initiator sent no mechListMIC")
        check(third.mic is None or is_ntlm_signature(third.mic),
              "leg 3: mechListMIC is not a 16-byte NTLM signature")
    if expect == "success":
        check(len(legs) == 4, "%d legs, expected 4" % len(legs))
        if len(legs) >= 4:
            fourth = legs[3]
            check(fourth.kind == "NegTokenResp", "leg 4 is not a NegTokenResp")
            check(fourth.neg_state == "accept-completed", "leg 4: negState %s" % fourth.neg_state)
            check(fourth.token is None, "leg 4 carries a responseToken")
            check(fourth.mic is not None, "leg 4: the acceptor sent no mechListMIC")
            check(fourth.mic is None or is_ntlm_signature(fourth.mic),
                  "leg 4: mechListMIC is not a 16-byte NTLM signature")
            check(fourth.mic is None or third.mic is None or fourth.mic != third.mic,
                  "leg 4: the acceptor's mechListMIC repeats the initiator's")
    else:
        if len(legs) >= 4:
            fourth = legs[3]
            check(fourth.kind == "NegTokenResp" and fourth.neg_state == "reject",
                  "leg 4 after a rejected AUTHENTICATE is not a reject NegTokenResp")
            check(fourth.mic is None, "leg 4: a reject carries a mechListMIC")
        check(len(legs) in (3, 4), "%d legs after a rejected AUTHENTICATE" % len(legs))

    for why in problems:
        print("FAIL: " + why)
    if problems:
        return 1
    print("spnego tokens: ok (%s, %d legs)" % (expect, len(legs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
