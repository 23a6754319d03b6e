// gssneg-inspect's decoder for NTLMSSP messages (MS-NLMP 2.2.1).
#pragma once

#include "inspect_value.h"
#include "util/bytes.h"

#include <cstdint>
#include <string>

namespace gssneg::inspect {

// True when the token starts with the NTLMSSP signature.
bool looks_like_ntlm(ByteView token) noexcept;
// Every field of a NEGOTIATE, CHALLENGE or AUTHENTICATE message. Throws the
// parsers' DecodeError for anything that is not a valid NTLM message.
Value decode_ntlm(ByteView token);

// A FILETIME (100 ns ticks since 1601-01-01) as ISO-8601 UTC, with a
// fraction of a second only when it is non-zero.
std::string filetime_to_iso8601(uint64_t filetime);

}  // namespace gssneg::inspect
