// gssneg-inspect's decoders for SPNEGO tokens (RFC 4178, MS-SPNG) and, by
// name and size only, the Kerberos tokens they carry (RFC 4121 4.1).
#pragma once

#include "inspect_value.h"
#include "util/bytes.h"

namespace gssneg::inspect {

// True for a NegTokenInit framing (even a truncated one) or a NegTokenResp.
bool looks_like_spnego(ByteView token) noexcept;
// negState, mechTypes by name, supportedMech, reqFlags, negHints, the
// mechListMIC, and the inner token decoded by its own kind. Throws the
// parsers' DecodeError for anything that is not a valid SPNEGO token.
Value decode_spnego(ByteView token);

// True for a framed or raw AP-REQ, AP-REP or KRB-ERROR.
bool looks_like_kerberos(ByteView token) noexcept;
// The Kerberos message's name, its framing and its size; nothing deeper.
Value decode_kerberos(ByteView token);

}  // namespace gssneg::inspect
