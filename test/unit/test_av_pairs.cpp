#include "ntlm/av_pairs.h"
#include "util/errors.h"
#include "vectors.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

Bytes bytes_of(const std::string& hex) {
    return from_hex(hex);
}

// The 36-byte TargetInfo of the MS-NLMP 4.2.4.3 CHALLENGE_MESSAGE, cut out of
// the whole message (TargetInfoFields: Len 0x24 at offset 0x44).
Bytes v2_target_info() {
    const Bytes challenge = gssneg::test::ms_nlmp().hex("v2_challenge_message");
    return Bytes(challenge.begin() + 0x44, challenge.begin() + 0x44 + 0x24);
}

}  // namespace

TEST_CASE("AV pairs of the MS-NLMP 4.2.4 CHALLENGE decode and re-encode", "[av_pairs]") {
    const Bytes wire = v2_target_info();
    const AvPairs pairs(wire);

    REQUIRE(pairs.entries().size() == 2);
    CHECK(pairs.entries()[0].id == static_cast<uint16_t>(AvId::nb_domain_name));
    CHECK(pairs.entries()[1].id == static_cast<uint16_t>(AvId::nb_computer_name));
    CHECK(pairs.string(AvId::nb_domain_name) == std::optional<std::string>("Domain"));
    CHECK(pairs.string(AvId::nb_computer_name) == std::optional<std::string>("Server"));
    CHECK_FALSE(pairs.contains(AvId::timestamp));
    CHECK_FALSE(pairs.flags().has_value());
    CHECK_FALSE(pairs.timestamp().has_value());
    CHECK(pairs.serialize() == wire);

    // The NTLMv2 client blob carries the same list after its 28-byte header.
    const Bytes blob = test::ms_nlmp().hex("v2_client_blob");
    const AvPairs from_blob(ByteView(blob).subspan(28));
    CHECK(from_blob.serialize() == wire);
}

TEST_CASE("AV pairs ignore bytes after MsvAvEOL", "[av_pairs]") {
    const Bytes wire = v2_target_info();
    const Bytes padded_wire = [&] {
        Bytes b = wire;
        b.insert(b.end(), {0, 0, 0, 0, 0xde, 0xad});
        return b;
    }();
    const AvPairs pairs(padded_wire);
    CHECK(pairs.entries().size() == 2);
    CHECK(pairs.serialize() == wire);
}

TEST_CASE("AV pairs keep unknown attributes", "[av_pairs]") {
    const AvPairs pairs(bytes_of("3412020061620000" "00000000"));
    REQUIRE(pairs.entries().size() == 1);
    CHECK(pairs.entries()[0].id == 0x1234);
    CHECK(pairs.entries()[0].value == Bytes{'a', 'b'});
    CHECK(std::string(av_id_name(0x1234)) == "unknown");
}

TEST_CASE("AV pairs set replaces in place and appends new entries before the EOL", "[av_pairs]") {
    AvPairs pairs;
    CHECK(pairs.empty());
    CHECK(pairs.serialize() == Bytes{0, 0, 0, 0});

    pairs.set_string(AvId::nb_domain_name, "Domain");
    pairs.set_string(AvId::nb_computer_name, "Server");
    CHECK(pairs.serialize() == v2_target_info());

    pairs.set_string(AvId::nb_domain_name, "D");
    REQUIRE(pairs.entries().size() == 2);
    CHECK(pairs.entries()[0].id == static_cast<uint16_t>(AvId::nb_domain_name));
    CHECK(pairs.serialize() == bytes_of("020002004400" "01000c00530065007200760065007200" "00000000"));

    pairs.set_flags(av_flag::mic_present);
    pairs.set_timestamp(0x01d2c3b4a5968778ULL);
    CHECK(pairs.flags() == std::optional<uint32_t>(2));
    CHECK(pairs.timestamp() == std::optional<uint64_t>(0x01d2c3b4a5968778ULL));
    CHECK(pairs.serialize() == bytes_of("020002004400" "01000c00530065007200760065007200" "060004000200000007000800"
                                        "788796a5b4c3d201" "00000000"));

    pairs.remove(AvId::nb_computer_name);
    pairs.remove(AvId::channel_bindings);
    CHECK(pairs.entries().size() == 3);
    CHECK_FALSE(pairs.contains(AvId::nb_computer_name));

    const AvPairs reparsed(pairs.serialize());
    CHECK(reparsed.flags() == std::optional<uint32_t>(2));
    CHECK(reparsed.timestamp() == std::optional<uint64_t>(0x01d2c3b4a5968778ULL));
    CHECK(reparsed.string(AvId::nb_domain_name) == std::optional<std::string>("D"));
}

TEST_CASE("AV pairs refuse MsvAvEOL as an entry and oversized values", "[av_pairs]") {
    AvPairs pairs;
    CHECK_THROWS_AS(pairs.set(AvId::eol, Bytes{}), GssError);
    const Bytes huge(70000, 0);
    CHECK_THROWS_AS(pairs.set(AvId::channel_bindings, huge), GssError);
    CHECK(pairs.empty());
}

TEST_CASE("AV pairs: flags and timestamp of the wrong size are malformed", "[av_pairs]") {
    struct Row {
        const char* hex;
        bool flags;
    };
    const std::vector<Row> rows = {
        {"06000300010000" "00000000", true},
        {"0600050001000000ff" "00000000", true},
        {"070004000000000000000000", false},
        {"07000900000000000000000000" "00000000", false},
    };
    for (const Row& row : rows) {
        INFO(row.hex);
        const AvPairs pairs(bytes_of(row.hex));
        try {
            if (row.flags)
                (void)pairs.flags();
            else
                (void)pairs.timestamp();
            FAIL("no error");
        } catch (const DecodeError& e) {
            CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(e.minor() == minor_value(Minor::av_pair_malformed));
        }
    }
}

TEST_CASE("AV pairs: malformed lists name the exact error", "[av_pairs]") {
    struct Row {
        const char* what;
        const char* hex;
        Minor expected;
    };
    const std::vector<Row> rows = {
        {"empty list", "", Minor::av_pair_missing_eol},
        {"no EOL", "02000c0044006f006d00610069006e00", Minor::av_pair_missing_eol},
        {"half an entry header", "02000c0044006f006d00610069006e000000", Minor::av_pair_malformed},
        {"value past the end", "02000d0044006f006d00610069006e0000000000", Minor::av_pair_malformed},
        {"EOL with a length", "02000c0044006f006d00610069006e0000000100ff", Minor::av_pair_malformed},
        {"EOL with a length, nothing after", "00000400", Minor::av_pair_malformed},
        {"duplicate", "0200020044000100020053000200020045000000" "0000", Minor::av_pair_duplicate},
        {"duplicate unknown id", "ff0000000100020053" "00ff000000" "00000000", Minor::av_pair_duplicate},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        try {
            const AvPairs pairs(bytes_of(row.hex));
            FAIL("parsed " << pairs.entries().size() << " entries");
        } catch (const DecodeError& e) {
            CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(e.minor() == minor_value(row.expected));
        }
    }
}

TEST_CASE("AV pairs: a string value of odd length is a bad encoding", "[av_pairs]") {
    const AvPairs pairs(bytes_of("0900030041004200" "00000000"));
    try {
        (void)pairs.string(AvId::target_name);
        FAIL("no error");
    } catch (const DecodeError& e) {
        CHECK(e.minor() == minor_value(Minor::bad_string_encoding));
    }
}

TEST_CASE("AV pair ids have their MS-NLMP names", "[av_pairs]") {
    CHECK(std::string(av_id_name(0)) == "MsvAvEOL");
    CHECK(std::string(av_id_name(2)) == "MsvAvNbDomainName");
    CHECK(std::string(av_id_name(6)) == "MsvAvFlags");
    CHECK(std::string(av_id_name(7)) == "MsvAvTimestamp");
    CHECK(std::string(av_id_name(9)) == "MsvAvTargetName");
    CHECK(std::string(av_id_name(10)) == "MsvAvChannelBindings");
    CHECK(std::string(av_id_name(11)) == "unknown");
}

namespace {

// Every AvId but MsvAvEOL once, each with an empty value, then whatever
// repeat gives, then MsvAvEOL: 65535 entries, the longest list without a
// repeated id.
Bytes every_id(std::optional<uint16_t> repeat = std::nullopt) {
    ByteWriter w;
    for (uint32_t id = 1; id <= 0xffff; ++id) {
        w.u16le(static_cast<uint16_t>(id));
        w.u16le(0);
    }
    if (repeat) {
        w.u16le(*repeat);
        w.u16le(0);
    }
    w.u16le(0);
    w.u16le(0);
    return w.take();
}

}  // namespace

TEST_CASE("AV pairs: the longest list without repeats parses, one more entry is a repeat", "[av_pairs]") {
    const AvPairs pairs(every_id());
    REQUIRE(pairs.entries().size() == 0xffff);
    CHECK(pairs.entries().front().id == 1);
    CHECK(pairs.entries().back().id == 0xffff);

    for (const uint16_t repeat : {uint16_t{1}, uint16_t{10}, uint16_t{0x8000}, uint16_t{0xffff}}) {
        INFO("repeated id " << repeat);
        try {
            const AvPairs repeated(every_id(repeat));
            FAIL("parsed " << repeated.entries().size() << " entries");
        } catch (const DecodeError& e) {
            CHECK(e.minor() == minor_value(Minor::av_pair_duplicate));
        }
    }
}
