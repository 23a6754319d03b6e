#include "util/bytes.h"
#include "util/ct.h"
#include "util/utf16.h"

#include <catch2/catch.hpp>

using namespace gssneg;

TEST_CASE("ByteReader reads little- and big-endian and stops at the end", "[bytes]") {
    const Bytes data = from_hex("0102030405060708090a");
    ByteReader r(data);
    CHECK(r.u16le() == 0x0201);
    CHECK(r.u32le() == 0x06050403);
    CHECK(r.u16be() == 0x0708);
    CHECK(r.remaining() == 2);
    try {
        r.u32le();
        FAIL("read past the end");
    } catch (const DecodeError& e) {
        CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
        CHECK(e.minor() == minor_value(Minor::token_truncated));
    }
    CHECK(r.take(2).size() == 2);
    CHECK_NOTHROW(r.assert_done());
}

TEST_CASE("ByteReader::assert_done rejects trailing data", "[bytes]") {
    const Bytes data = from_hex("0001");
    ByteReader r(data);
    r.u8();
    try {
        r.assert_done();
        FAIL("trailing byte accepted");
    } catch (const DecodeError& e) {
        CHECK(e.minor() == minor_value(Minor::trailing_data));
    }
}

TEST_CASE("ByteWriter writes and patches", "[bytes]") {
    ByteWriter w;
    w.u32le(0x11223344);
    w.u16be(0xaabb);
    w.u64le(1);
    w.patch_u16le(0, 0xbeef);
    CHECK(to_hex(w.data()) == "efbe2211aabb0100000000000000");
    CHECK_THROWS_AS(w.patch_u32le(12, 0), std::out_of_range);
}

TEST_CASE("hex round trip and errors", "[bytes]") {
    CHECK(to_hex(from_hex("00FFa5")) == "00ffa5");
    CHECK_THROWS_AS(from_hex("abc"), std::invalid_argument);
    CHECK_THROWS_AS(from_hex("zz"), std::invalid_argument);
}

TEST_CASE("constant-time comparison", "[bytes]") {
    const Bytes a = from_hex("0102"), b = from_hex("0102"), c = from_hex("0103"), d = from_hex("01");
    CHECK(ct_equal(a, b));
    CHECK_FALSE(ct_equal(a, c));
    CHECK_FALSE(ct_equal(a, d));
}

TEST_CASE("UTF-8 and UTF-16LE", "[bytes]") {
    CHECK(to_hex(utf8_to_utf16le("User")) == "5500730065007200");
    CHECK(utf16le_to_utf8(from_hex("5500730065007200")) == "User");
    // U+00E4 and U+1F600 (a surrogate pair)
    const std::string s = "\xc3\xa4\xf0\x9f\x98\x80";
    CHECK(to_hex(utf8_to_utf16le(s)) == "e4003dd800de");
    CHECK(utf16le_to_utf8(utf8_to_utf16le(s)) == s);
    CHECK_THROWS_AS(utf16le_to_utf8(from_hex("00d8")), DecodeError);
    CHECK_THROWS_AS(utf16le_to_utf8(from_hex("410042")), DecodeError);
    CHECK_THROWS_AS(utf8_to_utf16le("\xc3"), GssError);
    CHECK(to_upper_utf8("alice\xc3\xa4\xd0\xb6") == "ALICE\xc3\x84\xd0\x96");
}
