// Text a peer chose (user and domain names, AV pair values, SPNs) can reach
// status texts and the trace. Before it does, everything that could forge a
// line or drive a terminal is written as an escape:
//   C0 controls (0x00-0x1f) and DEL  ->  \xNN
//   C1 controls (U+0080-U+009F)      ->  \u{80} ... \u{9f}
//   U+2028, U+2029 (line, paragraph) ->  \u{2028}, \u{2029}
//   every byte of invalid UTF-8      ->  \xNN (overlongs, surrogates, code
//                                        points over U+10FFFF, cut sequences)
// Printable UTF-8 ("Müller", CJK) is left as it is, backslashes included
// ("DOMAIN\user" reads as it always has).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gssneg {

std::string escape_text(std::string_view text);

// The same into out (capacity bytes, at least 1), always NUL-terminated and
// cut at a whole escape when it does not fit; returns the length written.
// Never allocates, never throws.
size_t escape_text_into(std::string_view text, char* out, size_t capacity) noexcept;

}  // namespace gssneg
