// util/escape.h: what peer text may and may not reach a status text or the
// trace.
#include "util/escape.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

using gssneg::escape_text;
using gssneg::escape_text_into;

namespace {

std::string hex2(unsigned b) {
    static const char* digits = "0123456789abcdef";
    return std::string("\\x") + digits[b >> 4] + digits[b & 15];
}

}  // namespace

TEST_CASE("escape: every C0 control and DEL as \\xNN", "[escape]") {
    for (unsigned b = 0; b < 0x20; ++b) CHECK(escape_text(std::string(1, static_cast<char>(b))) == hex2(b));
    CHECK(escape_text("\x7f") == "\\x7f");
    CHECK(escape_text("a\nb\r\tc\x1b[2J") == "a\\x0ab\\x0d\\x09c\\x1b[2J");
}

TEST_CASE("escape: C1 controls and the line and paragraph separators as \\u{...}", "[escape]") {
    for (unsigned cp = 0x80; cp <= 0x9f; ++cp) {
        const std::string utf8{static_cast<char>(0xc0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3f))};
        char want[16];
        std::snprintf(want, sizeof want, "\\u{%x}", cp);
        CHECK(escape_text(utf8) == want);
    }
    CHECK(escape_text("\xe2\x80\xa8") == "\\u{2028}");
    CHECK(escape_text("\xe2\x80\xa9") == "\\u{2029}");
    CHECK(escape_text("\xe2\x80\xa7") == "\xe2\x80\xa7");  // U+2027 stays
}

TEST_CASE("escape: printable UTF-8 and backslashes stay as they are", "[escape]") {
    for (const char* text : {"M\xc3\xbcller", "\xe4\xb8\xad\xe6\x96\x87", "\xf0\x9f\x94\x91", "DOMAIN\\user",
                             "\xc2\xa0", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", " ~"})
        CHECK(escape_text(text) == text);
}

TEST_CASE("escape: invalid UTF-8, byte by byte", "[escape]") {
    const std::pair<const char*, const char*> cases[] = {
        {"\xc0\xaf", "\\xc0\\xaf"},                  // overlong '/'
        {"\xe0\x80\xaf", "\\xe0\\x80\\xaf"},          // overlong, 3 bytes
        {"\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf"},  // overlong, 4 bytes
        {"\xed\xa0\x80", "\\xed\\xa0\\x80"},          // a surrogate, U+D800
        {"\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"},  // above U+10FFFF
        {"\xf8\x88\x80\x80\x80", "\\xf8\\x88\\x80\\x80\\x80"},
        {"\xff", "\\xff"},
        {"\x80", "\\x80"},                            // a lone continuation byte
        {"ab\xe2\x82", "ab\\xe2\\x82"},                // cut short at the end
        {"\xe2\x82z", "\\xe2\\x82z"},                  // cut short before ASCII
        {"\xc3", "\\xc3"},
    };
    for (const auto& [in, want] : cases) {
        INFO(in);
        CHECK(escape_text(in) == want);
    }
}

TEST_CASE("escape_text_into cuts at a whole escape and never overflows", "[escape]") {
    char buf[8];
    CHECK(escape_text_into("abc", buf, sizeof buf) == 3);
    CHECK(std::string(buf) == "abc");
    CHECK(escape_text_into("abcd\n", buf, sizeof buf) == 4);  // "\x0a" does not fit after "abcd"
    CHECK(std::string(buf) == "abcd");
    CHECK(escape_text_into("\n\n", buf, sizeof buf) == 4);
    CHECK(std::string(buf) == "\\x0a");
    char one[1];
    CHECK(escape_text_into("abc", one, 1) == 0);
    CHECK(one[0] == '\0');
    CHECK(escape_text_into("abc", buf, 0) == 0);
}
