// UTF-8 <-> UTF-16LE conversions and the case mapping NTLM needs.
#pragma once

#include "util/bytes.h"
#include "util/secure.h"

#include <optional>
#include <string>
#include <string_view>

namespace gssneg {

// UTF-8 to UTF-16LE bytes. Throws GssError(bad_string_encoding) on invalid
// UTF-8.
Bytes utf8_to_utf16le(std::string_view utf8);
// The same for a secret (a password): the result, and every buffer used on
// the way, wipes itself.
SecureBytes utf8_to_utf16le_secret(std::string_view utf8);
// UTF-16LE bytes to UTF-8. Throws DecodeError(bad_string_encoding) on an odd
// length or unpaired surrogate.
std::string utf16le_to_utf8(ByteView utf16);
// The same without throwing: nullopt for invalid UTF-16LE.
std::optional<std::string> decode_utf16le(ByteView utf16);
// Upper case as Windows compares account names: ASCII, Latin-1, Greek and
// Cyrillic basic letters; everything else unchanged.
std::string to_upper_utf8(std::string_view utf8);
// The same for a secret (the LM hash upper-cases the password).
SecureString to_upper_utf8_secret(std::string_view utf8);
// ASCII-only case folding for comparisons of names and domains.
bool iequals_ascii(std::string_view a, std::string_view b) noexcept;
std::string to_upper_ascii(std::string_view s);
std::string to_lower_ascii(std::string_view s);

}  // namespace gssneg
