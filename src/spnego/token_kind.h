// What a context token is, from its first octets: which parser to hand it
// to, and which Kerberos message a Kerberos token carries. Only the header
// is looked at; the parser of the kind checks the rest.
#pragma once

#include "spnego/oid.h"
#include "util/bytes.h"

#include <optional>

namespace gssneg::spnego {

enum class TokenKind {
    empty,
    spnego_init,   // 60 .. 06 .. 1.3.6.1.5.5.2 (NegTokenInit or NegTokenInit2)
    spnego_resp,   // a1 (NegTokenResp)
    ntlmssp,       // "NTLMSSP\0"
    krb5_ap_req,   // framed with a Kerberos OID and TOK_ID 01 00, or raw 6e
    krb5_ap_rep,   // TOK_ID 02 00, or raw 6f
    krb5_error,    // TOK_ID 03 00, or raw 7e
    krb5_other,    // framed with a Kerberos OID, another TOK_ID
    unknown,       // anything else, including a framing with another OID
};

struct TokenClass {
    TokenKind kind = TokenKind::unknown;
    // The mechanism OID of an RFC 2743 3.1 framing, when there is one.
    std::optional<Oid> framing_mech;
    // For Kerberos, the KRB message: what follows the framing and TOK_ID
    // (RFC 4121 4.1), or the whole raw token (GSS_C_DCE_STYLE legs).
    ByteView inner;
};

TokenClass classify(ByteView token);
// "NegTokenInit", "AP-REQ", "NTLMSSP" ...
const char* token_kind_name(TokenKind kind) noexcept;

}  // namespace gssneg::spnego
