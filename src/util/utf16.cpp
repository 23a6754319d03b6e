#include "util/utf16.h"

namespace gssneg {

namespace {

// Decodes one code point; returns false on malformed input.
bool next_code_point(std::string_view s, size_t& i, char32_t& cp) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    size_t len = 0;
    if (b0 < 0x80) {
        cp = b0;
        len = 1;
    } else if ((b0 & 0xe0) == 0xc0) {
        cp = b0 & 0x1f;
        len = 2;
    } else if ((b0 & 0xf0) == 0xe0) {
        cp = b0 & 0x0f;
        len = 3;
    } else if ((b0 & 0xf8) == 0xf0) {
        cp = b0 & 0x07;
        len = 4;
    } else {
        return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
        const auto b = static_cast<uint8_t>(s[i + k]);
        if ((b & 0xc0) != 0x80) return false;
        cp = (cp << 6) | (b & 0x3f);
    }
    static constexpr char32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
    return true;
}

template <typename Text>
void append_utf8(Text& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
        out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
}

char32_t upper(char32_t c) {
    if (c >= 'a' && c <= 'z') return c - 0x20;
    if ((c >= 0xe0 && c <= 0xfe && c != 0xf7)) return c - 0x20;  // Latin-1
    if (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) return c - 0x20;  // Greek
    if (c >= 0x430 && c <= 0x44f) return c - 0x20;                // Cyrillic
    if (c >= 0x450 && c <= 0x45f) return c - 0x50;
    return c;
}

// Each code point takes at most as many UTF-16 bytes as twice its UTF-8
// bytes, so reserving that up front means the output never reallocates.
template <typename Out>
Out encode_utf16le(std::string_view utf8) {
    Out out;
    out.reserve(utf8.size() * 2);
    size_t i = 0;
    while (i < utf8.size()) {
        char32_t cp = 0;
        if (!next_code_point(utf8, i, cp)) throw GssError(GSS_S_BAD_NAME, Minor::bad_string_encoding);
        auto put = [&out](uint32_t unit) {
            out.push_back(static_cast<uint8_t>(unit));
            out.push_back(static_cast<uint8_t>(unit >> 8));
        };
        if (cp >= 0x10000) {
            const uint32_t v = cp - 0x10000;
            put(0xd800 + (v >> 10));
            put(0xdc00 + (v & 0x3ff));
        } else {
            put(cp);
        }
    }
    return out;
}

// Upper-casing keeps each code point's UTF-8 length, so the output never
// reallocates either.
template <typename Text>
Text upper_utf8(std::string_view utf8) {
    Text out;
    out.reserve(utf8.size());
    size_t i = 0;
    while (i < utf8.size()) {
        char32_t cp = 0;
        if (!next_code_point(utf8, i, cp)) throw GssError(GSS_S_BAD_NAME, Minor::bad_string_encoding);
        append_utf8(out, upper(cp));
    }
    return out;
}

}  // namespace

Bytes utf8_to_utf16le(std::string_view utf8) { return encode_utf16le<Bytes>(utf8); }

SecureBytes utf8_to_utf16le_secret(std::string_view utf8) { return encode_utf16le<SecureBytes>(utf8); }

std::optional<std::string> decode_utf16le(ByteView utf16) {
    if (utf16.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(utf16.size() / 2);
    for (size_t i = 0; i < utf16.size(); i += 2) {
        char32_t unit = static_cast<char32_t>(utf16[i] | (utf16[i + 1] << 8));
        if (unit >= 0xd800 && unit <= 0xdbff) {
            if (i + 3 >= utf16.size()) return std::nullopt;
            const char32_t low = static_cast<char32_t>(utf16[i + 2] | (utf16[i + 3] << 8));
            if (low < 0xdc00 || low > 0xdfff) return std::nullopt;
            unit = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
            i += 2;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return std::nullopt;
        }
        append_utf8(out, unit);
    }
    return out;
}

std::string utf16le_to_utf8(ByteView utf16) {
    auto decoded = decode_utf16le(utf16);
    if (!decoded) throw DecodeError(Minor::bad_string_encoding);
    return std::move(*decoded);
}

std::string to_upper_utf8(std::string_view utf8) { return upper_utf8<std::string>(utf8); }

SecureString to_upper_utf8_secret(std::string_view utf8) { return upper_utf8<SecureString>(utf8); }

bool iequals_ascii(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 0x20);
        if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 0x20);
        if (x != y) return false;
    }
    return true;
}

std::string to_upper_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 0x20);
    return out;
}

std::string to_lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 0x20);
    return out;
}

}  // namespace gssneg
