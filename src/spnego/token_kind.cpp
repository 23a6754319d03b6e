#include "spnego/token_kind.h"

#include "ntlm/payload.h"
#include "spnego/der.h"

#include <algorithm>

namespace gssneg::spnego {

namespace {

// RFC 4120 5.5.1, 5.5.2, 5.9.1: [APPLICATION 14], [APPLICATION 15],
// [APPLICATION 30], constructed.
constexpr uint8_t krb_ap_req = 0x6e;
constexpr uint8_t krb_ap_rep = 0x6f;
constexpr uint8_t krb_error = 0x7e;
// Kerberos can carry a large PAC: accept a raw Kerberos message of any size
// a peer might send, the krb5 mechanism sets its own limits.
constexpr size_t raw_krb_max_length = 1024 * 1024;

bool starts_with_ntlmssp(ByteView token) {
    return token.size() >= ntlm::ntlmssp_signature.size() &&
           std::equal(ntlm::ntlmssp_signature.begin(), ntlm::ntlmssp_signature.end(), token.begin());
}

// RFC 4121 4.1 TOK_ID values.
TokenKind krb5_kind_of_tok_id(uint16_t tok_id) {
    switch (tok_id) {
    case 0x0100: return TokenKind::krb5_ap_req;
    case 0x0200: return TokenKind::krb5_ap_rep;
    case 0x0300: return TokenKind::krb5_error;
    default: return TokenKind::krb5_other;
    }
}

// 60 len 06 len OID ...: reads the framing without requiring the whole
// token to be there, so that a truncated token still goes to its parser.
// Every read is checked against what remains: classifying never throws.
TokenClass classify_framed(ByteView token) {
    TokenClass out;
    ByteReader r(token);
    if (r.remaining() < 2) return out;
    r.skip(1);
    const uint8_t first_length_octet = r.u8();
    const size_t length_octets = (first_length_octet & 0x80) != 0 ? (first_length_octet & 0x7fu) : 0;
    if (r.remaining() < length_octets + 2) return out;
    r.skip(length_octets);
    if (r.u8() != tag::object_identifier) return out;
    const uint8_t oid_length = r.u8();
    if ((oid_length & 0x80) != 0 || r.remaining() < oid_length) return out;
    const ByteView oid_bytes = r.take(oid_length);
    if (!valid_oid_contents(oid_bytes)) return out;
    out.framing_mech = Oid(oid_bytes);
    if (*out.framing_mech == oids::spnego()) {
        out.kind = TokenKind::spnego_init;
    } else if (is_kerberos(*out.framing_mech) && r.remaining() >= 2) {
        out.kind = krb5_kind_of_tok_id(r.u16be());
        out.inner = r.rest();
    }
    return out;
}

// A raw Kerberos message is one DER element spanning the whole token:
// tag, definite minimal-or-not length, contents. Checked without throwing.
bool spans_one_element(ByteView token) {
    ByteReader r(token);
    if (r.remaining() < 2) return false;
    r.skip(1);
    const uint8_t first = r.u8();
    size_t length = first;
    if ((first & 0x80) != 0) {
        const size_t octets = first & 0x7fu;
        if (octets == 0 || octets > 4 || r.remaining() < octets) return false;
        length = 0;
        for (size_t i = 0; i < octets; ++i) length = (length << 8) | r.u8();
    }
    return length <= raw_krb_max_length && length == r.remaining();
}

TokenClass classify_raw_kerberos(ByteView token, TokenKind kind) {
    if (!spans_one_element(token)) return {};
    return {kind, std::nullopt, token};
}

}  // namespace

TokenClass classify(ByteView token) {
    if (token.empty()) return {TokenKind::empty, std::nullopt, {}};
    if (starts_with_ntlmssp(token)) return {TokenKind::ntlmssp, std::nullopt, {}};
    switch (ByteReader(token).u8()) {
    case tag::context(1): return {TokenKind::spnego_resp, std::nullopt, {}};
    case tag::application_0: return classify_framed(token);
    case krb_ap_req: return classify_raw_kerberos(token, TokenKind::krb5_ap_req);
    case krb_ap_rep: return classify_raw_kerberos(token, TokenKind::krb5_ap_rep);
    case krb_error: return classify_raw_kerberos(token, TokenKind::krb5_error);
    default: return {};
    }
}

const char* token_kind_name(TokenKind kind) noexcept {
    switch (kind) {
    case TokenKind::empty: return "empty";
    case TokenKind::spnego_init: return "NegTokenInit";
    case TokenKind::spnego_resp: return "NegTokenResp";
    case TokenKind::ntlmssp: return "NTLMSSP";
    case TokenKind::krb5_ap_req: return "AP-REQ";
    case TokenKind::krb5_ap_rep: return "AP-REP";
    case TokenKind::krb5_error: return "KRB-ERROR";
    case TokenKind::krb5_other: return "Kerberos (other TOK_ID)";
    case TokenKind::unknown: break;
    }
    return "unknown";
}

}  // namespace gssneg::spnego
