// Turns what a user pastes into token bytes: hex, or base64 (standard or
// URL-safe, padding optional), with an optional HTTP "NTLM " or
// "Negotiate " scheme prefix. Whitespace anywhere is ignored.
#pragma once

#include "util/bytes.h"

#include <string_view>

namespace gssneg::inspect {

// Throws std::invalid_argument saying why the text is not a token.
Bytes decode_input(std::string_view text);
// Base64 in either alphabet; throws std::invalid_argument.
Bytes decode_base64(std::string_view text);

}  // namespace gssneg::inspect
