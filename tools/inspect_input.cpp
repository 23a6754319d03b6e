#include "inspect_input.h"

#include "util/utf16.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace gssneg::inspect {

namespace {

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_hex_digit(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int base64_value(char c) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view strip_scheme(std::string_view s) {
    static constexpr std::array<std::string_view, 2> schemes = {"NTLM", "Negotiate"};
    for (const std::string_view scheme : schemes) {
        if (s.size() > scheme.size() && is_space(s[scheme.size()]) && iequals_ascii(s.substr(0, scheme.size()), scheme))
            return trim(s.substr(scheme.size()));
    }
    return s;
}

}  // namespace

Bytes decode_base64(std::string_view text) {
    size_t end = text.size();
    size_t padding = 0;
    while (end > 0 && text[end - 1] == '=' && padding < 2) {
        --end;
        ++padding;
    }
    const std::string_view body = text.substr(0, end);
    if (body.size() % 4 == 1) throw std::invalid_argument("base64 of impossible length");
    if (padding != 0 && (body.size() + padding) % 4 != 0) throw std::invalid_argument("bad base64 padding");

    Bytes out;
    out.reserve(body.size() * 3 / 4);
    uint32_t acc = 0;
    int bits = 0;
    for (const char c : body) {
        const int v = base64_value(c);
        if (v < 0) throw std::invalid_argument(std::string("not a base64 character: '") + c + "'");
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<uint8_t>(acc >> bits));
        }
        acc &= (uint32_t{1} << bits) - 1;
    }
    return out;
}

Bytes decode_input(std::string_view text) {
    const std::string_view body = strip_scheme(trim(text));
    std::string compact;
    compact.reserve(body.size());
    std::copy_if(body.begin(), body.end(), std::back_inserter(compact), [](char c) { return !is_space(c); });
    if (compact.empty()) throw std::invalid_argument("no token given");

    if (compact.size() % 2 == 0 && std::all_of(compact.begin(), compact.end(), is_hex_digit))
        return from_hex(compact);
    try {
        return decode_base64(compact);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(std::string("input is neither hex nor base64 (") + e.what() + ")");
    }
}

}  // namespace gssneg::inspect
