"""Taking tokens apart and putting them back, for tests that play a man in
the middle: DER (SPNEGO's NegTokenInit and NegTokenResp) and NTLM messages
(MS-NLMP 2.2: the flags, the CHALLENGE's TargetInfo, the AUTHENTICATE's
payload fields and its MIC). Every helper returns new bytes; nothing here
checks what a peer would check, only what a rewrite needs.
"""
import hashlib
import struct

# ---------------------------------------------------------------- DER

def read_tlv(data, pos):
    """(tag, value_start, value_end) of the TLV at pos (definite lengths)."""
    tag = data[pos]
    first = data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        n = first & 0x7F
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    return tag, pos, pos + length


def tlv(tag, value):
    n = len(value)
    if n < 0x80:
        head = bytes([tag, n])
    else:
        size = (n.bit_length() + 7) // 8
        head = bytes([tag, 0x80 | size]) + n.to_bytes(size, "big")
    return head + bytes(value)


def children(data, start, end):
    """The TLVs between start and end, as (tag, value bytes)."""
    out = []
    pos = start
    while pos < end:
        tag, vs, ve = read_tlv(data, pos)
        out.append((tag, bytes(data[vs:ve])))
        pos = ve
    return out


SPNEGO_OID_DER = bytes([0x06, 0x06, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x02])
NTLM_OID = bytes([0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0A])
KRB5_OID = bytes([0x2A, 0x86, 0x48, 0x86, 0xF7, 0x12, 0x01, 0x02, 0x02])
MS_KRB5_OID = bytes([0x2A, 0x86, 0x48, 0x82, 0xF7, 0x12, 0x01, 0x02, 0x02])

NEG_STATES = {0: "accept-completed", 1: "accept-incomplete", 2: "reject", 3: "request-mic"}


class NegTokenInit:
    """RFC 4178 4.2.1, framed as an initial context token (RFC 2743 3.1):
    fields by context tag, mech_types as a list of OID contents."""

    def __init__(self, token):
        _, s, _ = read_tlv(token, 0)                  # 60
        _, _, oid_end = read_tlv(token, s)           # 06 SPNEGO
        self.framing = bytes(token[s:oid_end])
        _, s2, _ = read_tlv(token, oid_end)          # a0 NegotiationToken
        _, s3, e3 = read_tlv(token, s2)              # 30 NegTokenInit
        self.fields = {tag & 0x1F: value for tag, value in children(token, s3, e3)}

    @property
    def mech_types(self):
        _, s, e = read_tlv(self.fields[0], 0)
        return [value for _, value in children(self.fields[0], s, e)]

    @mech_types.setter
    def mech_types(self, oids):
        self.fields[0] = tlv(0x30, b"".join(tlv(0x06, o) for o in oids))

    @property
    def mech_token(self):
        return octets(self.fields.get(2))

    @mech_token.setter
    def mech_token(self, value):
        set_octets(self.fields, 2, value)

    def serialize(self):
        body = b"".join(tlv(0xA0 | tag, self.fields[tag]) for tag in sorted(self.fields))
        return tlv(0x60, self.framing + tlv(0xA0, tlv(0x30, body)))


class NegTokenResp:
    """RFC 4178 4.2.2: negState, supportedMech, responseToken, mechListMIC."""

    def __init__(self, token):
        _, s, _ = read_tlv(token, 0)                 # a1
        _, s2, e2 = read_tlv(token, s)               # 30
        self.fields = {tag & 0x1F: value for tag, value in children(token, s2, e2)}

    @property
    def neg_state(self):
        if 0 not in self.fields:
            return None
        _, s, e = read_tlv(self.fields[0], 0)
        return int.from_bytes(self.fields[0][s:e], "big")

    @neg_state.setter
    def neg_state(self, value):
        if value is None:
            self.fields.pop(0, None)
        else:
            self.fields[0] = tlv(0x0A, bytes([value]))

    @property
    def supported_mech(self):
        if 1 not in self.fields:
            return None
        _, s, e = read_tlv(self.fields[1], 0)
        return self.fields[1][s:e]

    @supported_mech.setter
    def supported_mech(self, oid):
        if oid is None:
            self.fields.pop(1, None)
        else:
            self.fields[1] = tlv(0x06, oid)

    @property
    def response_token(self):
        return octets(self.fields.get(2))

    @response_token.setter
    def response_token(self, value):
        set_octets(self.fields, 2, value)

    @property
    def mech_list_mic(self):
        return octets(self.fields.get(3))

    @mech_list_mic.setter
    def mech_list_mic(self, value):
        set_octets(self.fields, 3, value)

    def serialize(self):
        body = b"".join(tlv(0xA0 | tag, self.fields[tag]) for tag in sorted(self.fields))
        return tlv(0xA1, tlv(0x30, body))


def octets(field):
    if field is None:
        return None
    _, s, e = read_tlv(field, 0)
    return field[s:e]


def set_octets(fields, tag, value):
    if value is None:
        fields.pop(tag, None)
    else:
        fields[tag] = tlv(0x04, value)


def is_spnego_init(token):
    return len(token) > 10 and token[0] == 0x60


def inner_ntlm(token):
    """The NTLM message an SPNEGO token carries, or None."""
    if not token:
        return None
    if token[:8] == b"NTLMSSP\0":
        return bytes(token)
    return NegTokenInit(token).mech_token if is_spnego_init(token) else NegTokenResp(token).response_token


def with_inner_ntlm(token, ntlm):
    """token with its NTLM message replaced (token itself when it is one)."""
    if token[:8] == b"NTLMSSP\0":
        return bytes(ntlm)
    if is_spnego_init(token):
        t = NegTokenInit(token)
        t.mech_token = ntlm
    else:
        t = NegTokenResp(token)
        t.response_token = ntlm
    return t.serialize()

# ---------------------------------------------------------------- NTLM

NEGOTIATE, CHALLENGE, AUTHENTICATE = 1, 2, 3
FLAGS_OFFSET = {NEGOTIATE: 12, CHALLENGE: 20, AUTHENTICATE: 60}

# MS-NLMP 2.2.2.5
SIGN = 0x00000010
SEAL = 0x00000020
LM_KEY = 0x00000080
ALWAYS_SIGN = 0x00008000
ESS = 0x00080000
TARGET_INFO = 0x00800000
NEG_128 = 0x20000000
KEY_EXCH = 0x40000000
NEG_56 = 0x80000000

# MS-NLMP 2.2.2.1
AV_EOL, AV_NB_COMPUTER, AV_NB_DOMAIN, AV_DNS_COMPUTER, AV_DNS_DOMAIN = 0, 1, 2, 3, 4
AV_DNS_TREE, AV_FLAGS, AV_TIMESTAMP, AV_SINGLE_HOST, AV_TARGET_NAME, AV_CHANNEL_BINDINGS = 5, 6, 7, 8, 9, 10


def message_type(msg):
    assert msg[:8] == b"NTLMSSP\0", "not an NTLM message"
    return struct.unpack_from("<I", msg, 8)[0]


def flags(msg):
    return struct.unpack_from("<I", msg, FLAGS_OFFSET[message_type(msg)])[0]


def with_flags(msg, value):
    out = bytearray(msg)
    struct.pack_into("<I", out, FLAGS_OFFSET[message_type(msg)], value)
    return bytes(out)


def field(msg, at):
    """(length, offset) of the payload field descriptor at `at`."""
    length, _, offset = struct.unpack_from("<HHI", msg, at)
    return length, offset


def field_bytes(msg, at):
    length, offset = field(msg, at)
    return bytes(msg[offset:offset + length])


def set_field(msg, at, length, offset):
    struct.pack_into("<HHI", msg, at, length, length, offset)


def parse_av_pairs(data):
    pairs = []
    pos = 0
    while pos + 4 <= len(data):
        av_id, length = struct.unpack_from("<HH", data, pos)
        if av_id == AV_EOL:
            break
        pairs.append((av_id, bytes(data[pos + 4:pos + 4 + length])))
        pos += 4 + length
    return pairs


def av_pairs_bytes(pairs, eol=True):
    out = b"".join(struct.pack("<HH", i, len(v)) + v for i, v in pairs)
    return out + (struct.pack("<HH", AV_EOL, 0) if eol else b"")


# CHALLENGE (MS-NLMP 2.2.1.2): TargetNameFields at 12, TargetInfoFields at 40.
CHALLENGE_TARGET_NAME = 12
CHALLENGE_TARGET_INFO = 40
CHALLENGE_SERVER_CHALLENGE = 24


def target_info(challenge):
    return parse_av_pairs(field_bytes(challenge, CHALLENGE_TARGET_INFO))


def with_target_info(challenge, info):
    """The CHALLENGE rebuilt with a new TargetInfo (AV pairs, or raw bytes)."""
    if isinstance(info, list):
        info = av_pairs_bytes(info)
    name = field_bytes(challenge, CHALLENGE_TARGET_NAME)
    header = min(field(challenge, CHALLENGE_TARGET_NAME)[1], field(challenge, CHALLENGE_TARGET_INFO)[1])
    out = bytearray(challenge[:header])
    set_field(out, CHALLENGE_TARGET_NAME, len(name), header)
    out += name
    set_field(out, CHALLENGE_TARGET_INFO, len(info), len(out))
    out += info
    return bytes(out)


def edit_target_info(challenge, edit):
    """The CHALLENGE with edit(pairs) as its TargetInfo."""
    return with_target_info(challenge, edit(target_info(challenge)))


# AUTHENTICATE (MS-NLMP 2.2.1.3): six payload fields from 12, the MIC at 72.
AUTH_LM, AUTH_NT, AUTH_DOMAIN, AUTH_USER, AUTH_WORKSTATION, AUTH_SESSION_KEY = 12, 20, 28, 36, 44, 52
AUTH_FIELDS = (AUTH_LM, AUTH_NT, AUTH_DOMAIN, AUTH_USER, AUTH_WORKSTATION, AUTH_SESSION_KEY)
AUTH_MIC = 72
# NTLMv2_RESPONSE: NTProofStr (16), then the client challenge, AV pairs 28 in.
V2_AV_PAIRS = 16 + 28


def blob_av_pairs(authenticate):
    """The AV pairs the initiator signed in its NTLMv2 response."""
    nt = field_bytes(authenticate, AUTH_NT)
    assert len(nt) > 24, "not an NTLMv2 response"
    return parse_av_pairs(nt[V2_AV_PAIRS:])


def has_mic(authenticate):
    first = min((field(authenticate, f)[1] for f in AUTH_FIELDS if field(authenticate, f)[0]), default=len(authenticate))
    return first >= AUTH_MIC + 16


def with_mic(authenticate, mic):
    out = bytearray(authenticate)
    out[AUTH_MIC:AUTH_MIC + 16] = mic
    return bytes(out)


def without_mic_field(authenticate):
    """The same responses without the 16-byte MIC field: every payload
    offset moves down by 16, so nothing the NT response covers changes."""
    assert has_mic(authenticate), "the AUTHENTICATE has no MIC field"
    out = bytearray(authenticate[:AUTH_MIC] + authenticate[AUTH_MIC + 16:])
    for f in AUTH_FIELDS:
        length, offset = field(out, f)
        set_field(out, f, length, offset - 16 if length else offset)
    return bytes(out)


def edit_blob_av_flags(authenticate, edit):
    """The AUTHENTICATE with MsvAvFlags inside the NTLMv2 response rewritten
    in place (the NTProofStr then no longer covers it)."""
    length, offset = field(authenticate, AUTH_NT)
    out = bytearray(authenticate)
    pos = offset + V2_AV_PAIRS
    while pos + 4 <= offset + length:
        av_id, n = struct.unpack_from("<HH", out, pos)
        if av_id == AV_EOL:
            break
        if av_id == AV_FLAGS and n == 4:
            struct.pack_into("<I", out, pos + 4, edit(struct.unpack_from("<I", out, pos + 4)[0]))
            return bytes(out)
        pos += 4 + n
    raise AssertionError("no MsvAvFlags in the NTLMv2 response")


def channel_bindings_hash(application_data, initiator=(0, b""), acceptor=(0, b"")):
    """MS-NLMP 3.1.5.1.2: MD5 of the gss_channel_bindings_struct as laid out
    for NTLM (little-endian types and lengths)."""
    parts = []
    for addrtype, addr in (initiator, acceptor):
        parts += [struct.pack("<II", addrtype, len(addr)), addr]
    parts += [struct.pack("<I", len(application_data)), application_data]
    return hashlib.md5(b"".join(parts)).digest()


def utf16(text):
    return text.encode("utf-16-le")
