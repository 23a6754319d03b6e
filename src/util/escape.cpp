#include "util/escape.h"

#include <cstdint>
#include <cstdio>

namespace gssneg {

namespace {

// The length of the valid UTF-8 sequence at text[i] and its code point, or
// 0 when the byte there does not start one (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF).
size_t utf8_sequence(std::string_view text, size_t i, uint32_t& cp) noexcept {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(text[i + k]); };
    const uint8_t lead = b(0);
    size_t n = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    if (lead >= 0xc2 && lead <= 0xdf) {
        n = 2;
        cp = lead & 0x1f;
        min = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        n = 3;
        cp = lead & 0x0f;
        min = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        n = 4;
        cp = lead & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > text.size()) return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((b(k) & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (b(k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
}

// Appends one piece to out through emit(ptr, len); returns false to stop.
template <typename Emit>
void escape(std::string_view text, Emit emit) {
    char buf[16];
    size_t i = 0;
    while (i < text.size()) {
        uint32_t cp = 0;
        const size_t n = utf8_sequence(text, i, cp);
        bool go = true;
        if (n == 0) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<uint8_t>(text[i]));
            go = emit(buf, 4);
            i += 1;
        } else if (cp < 0x20 || cp == 0x7f) {
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
            go = emit(buf, 4);
            i += 1;
        } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
            const int len = std::snprintf(buf, sizeof buf, "\\u{%x}", static_cast<unsigned>(cp));
            go = emit(buf, static_cast<size_t>(len));
            i += n;
        } else {
            go = emit(text.data() + i, n);
            i += n;
        }
        if (!go) return;
    }
}

}  // namespace

std::string escape_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    escape(text, [&out](const char* p, size_t n) {
        out.append(p, n);
        return true;
    });
    return out;
}

size_t escape_text_into(std::string_view text, char* out, size_t capacity) noexcept {
    if (capacity == 0) return 0;
    size_t used = 0;
    escape(text, [&](const char* p, size_t n) noexcept {
        if (used + n >= capacity) return false;
        for (size_t k = 0; k < n; ++k) out[used + k] = p[k];
        used += n;
        return true;
    });
    out[used] = '\0';
    return used;
}

}  // namespace gssneg
