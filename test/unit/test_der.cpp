#include "spnego/der.h"
#include "spnego/oid.h"
#include "util/errors.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

using namespace gssneg;
using namespace gssneg::spnego;

namespace {

// The minor code of the DecodeError that f throws, or Minor::none.
Minor minor_thrown(const std::function<void()>& f) {
    try {
        f();
    } catch (const DecodeError& e) {
        CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
        return static_cast<Minor>(e.minor());
    }
    return Minor::none;
}

std::string minor_name(Minor m) {
    const char* text = minor_text(minor_value(m));
    return text != nullptr ? text : "no error";
}

std::string hex_of(const DerWriter& w) {
    return to_hex(w.data());
}

}  // namespace

TEST_CASE("OIDs convert between DER contents and dotted form", "[der]") {
    struct Row {
        const Oid& oid;
        const char* dotted;
        const char* contents;
        const char* name;
    };
    const std::vector<Row> rows = {
        {oids::spnego(), "1.3.6.1.5.5.2", "2b0601050502", "SPNEGO"},
        {oids::kerberos(), "1.2.840.113554.1.2.2", "2a864886f712010202", "Kerberos 5"},
        {oids::ms_kerberos(), "1.2.840.48018.1.2.2", "2a864882f712010202", "Kerberos 5 (Microsoft)"},
        {oids::ntlm(), "1.3.6.1.4.1.311.2.2.10", "2b06010401823702020a", "NTLMSSP"},
        {oids::negoex(), "1.3.6.1.4.1.311.2.2.30", "2b06010401823702021e", "NegoEx"},
        {oids::iakerb(), "1.3.6.1.5.2.5", "2b0601050205", "IAKERB"},
    };
    for (const Row& row : rows) {
        INFO(row.dotted);
        CHECK(to_hex(row.oid.bytes()) == row.contents);
        CHECK(row.oid.to_string() == row.dotted);
        CHECK(Oid(from_hex(row.contents)) == row.oid);
        CHECK(Oid::from_string(row.dotted) == row.oid);
        CHECK(std::string(oid_name(row.oid)) == row.name);
        CHECK(describe(row.oid) == std::string(row.name) + " (" + row.dotted + ")");
    }
    CHECK(is_kerberos(oids::kerberos()));
    CHECK(is_kerberos(oids::ms_kerberos()));
    CHECK_FALSE(is_kerberos(oids::ntlm()));
    CHECK_FALSE(oids::kerberos() == oids::ms_kerberos());

    const Oid other = Oid::from_string("2.25.4519935248113378729");
    CHECK(to_hex(other.bytes()) == "69bedd82a591bcc2cb29");
    CHECK(other.to_string() == "2.25.4519935248113378729");
    CHECK(oid_name(other) == nullptr);
    CHECK(describe(other) == "2.25.4519935248113378729");
    CHECK(Oid::from_string("0.0").to_string() == "0.0");
    CHECK(to_hex(Oid::from_string("2.999.3").bytes()) == "883703");
    CHECK(Oid(from_hex("883703")).to_string() == "2.999.3");
    CHECK(Oid(from_hex("2a81ffffffffffffffff7f")).to_string() == "1.2.18446744073709551615");
    CHECK(to_hex(Oid::from_string("1.2.18446744073709551615").bytes()) == "2a81ffffffffffffffff7f");
}

TEST_CASE("Malformed OIDs are refused", "[der]") {
    for (const char* bad : {"", "80", "2b8001", "2b060181", "2b0601058f", "2a82ffffffffffffffff7f",
                            "2a8080808080808080808001"}) {
        INFO(bad);
        CHECK(minor_thrown([&] { (void)Oid(from_hex(bad)); }) == Minor::der_bad_oid);
    }
    for (const char* bad : {"", "1", "3.1", "1.40", "0.40.1", "1..2", "1.2.", ".1.2", "1.02", "1.2.x",
                            "1.2.18446744073709551616", "1.-2"}) {
        INFO(bad);
        CHECK_THROWS_AS(Oid::from_string(bad), std::invalid_argument);
    }
}

TEST_CASE("DerReader reads definite lengths in every form", "[der]") {
    const Bytes small = from_hex("04037a7a7a");
    DerReader a(small);
    CHECK(a.peek_tag() == tag::octet_string);
    CHECK(to_hex(a.octet_string()) == "7a7a7a");
    CHECK(a.empty());
    CHECK_FALSE(a.peek_tag().has_value());
    CHECK_NOTHROW(a.assert_done());

    Bytes long_form = from_hex("048180");
    long_form.resize(3 + 0x80, 0x11);
    DerReader b(long_form);
    CHECK(b.octet_string().size() == 0x80);
    b.assert_done();

    Bytes two_octets = from_hex("04820100");
    two_octets.resize(4 + 0x100, 0x22);
    DerReader c(two_octets);
    const DerReader::Element e = c.next();
    CHECK(e.tag == tag::octet_string);
    CHECK(e.contents.size() == 0x100);
    CHECK(e.encoding.size() == two_octets.size());
    c.assert_done();

    Bytes big = from_hex("0483019000");
    big.resize(5 + 0x19000, 0x33);
    CHECK(minor_thrown([&] { DerReader(big).octet_string(); }) == Minor::der_length_over_limit);
    DerReader d(big, 1024 * 1024);
    CHECK(d.octet_string().size() == 0x19000);
    d.assert_done();
}

TEST_CASE("DerReader refuses what DER forbids, each with its own minor", "[der]") {
    struct Row {
        const char* what;
        const char* hex;
        Minor expected;
    };
    const std::vector<Row> rows = {
        {"nothing at all", "", Minor::der_truncated},
        {"tag without length", "04", Minor::der_truncated},
        {"long form cut in its length octets", "048201", Minor::der_truncated},
        {"indefinite length", "0480 0000", Minor::der_indefinite_length},
        {"long form for a length below 128", "048105 0102030405", Minor::der_non_minimal_length},
        {"two octets for a length below 256", "04820085", Minor::der_non_minimal_length},
        {"leading zero octet in the long form", "0483000100", Minor::der_non_minimal_length},
        {"long form for length zero", "048100", Minor::der_non_minimal_length},
        {"contents past the end", "0405 01020304", Minor::der_length_past_end},
        {"long length past the end", "048180 00", Minor::der_length_past_end},
        {"16 MiB claimed", "0484 01000000 00", Minor::der_length_over_limit},
        {"just over 64 KiB claimed", "0483010001", Minor::der_length_over_limit},
        {"five length octets", "0485 0100000000", Minor::der_length_over_limit},
        {"reserved length octet 0xff", "04ff", Minor::der_length_over_limit},
        {"high-tag-number form", "1f8101 00", Minor::der_high_tag_number},
        {"context high-tag-number form", "bf1f 00", Minor::der_high_tag_number},
        {"wrong tag", "0a0100", Minor::der_unexpected_tag},
        {"constructed OCTET STRING", "2403 040100", Minor::der_unexpected_tag},
        {"trailing octet", "040100 00", Minor::der_trailing_data},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        std::string hex = row.hex;
        std::erase(hex, ' ');
        const Bytes data = from_hex(hex);
        const Minor got = minor_thrown([&] {
            DerReader r(data);
            (void)r.octet_string();
            r.assert_done();
        });
        CHECK(minor_name(got) == minor_name(row.expected));
    }
    // The 64 KiB default holds at the boundary itself.
    Bytes at_limit = from_hex("0483010000");
    at_limit.resize(5 + 64 * 1024, 0);
    CHECK(DerReader(at_limit).octet_string().size() == 64 * 1024);
}

TEST_CASE("INTEGER and ENUMERATED are minimal two's complement", "[der]") {
    struct Row {
        int64_t value;
        const char* contents;
    };
    const std::vector<Row> rows = {
        {0, "00"},
        {1, "01"},
        {127, "7f"},
        {128, "0080"},
        {255, "00ff"},
        {256, "0100"},
        {-1, "ff"},
        {-128, "80"},
        {-129, "ff7f"},
        {-256, "ff00"},
        {65535, "00ffff"},
        {std::numeric_limits<int64_t>::max(), "7fffffffffffffff"},
        {std::numeric_limits<int64_t>::min(), "8000000000000000"},
    };
    for (const Row& row : rows) {
        INFO(row.value);
        DerWriter w;
        w.integer(row.value);
        w.enumerated(row.value);
        const std::string len = to_hex(Bytes{static_cast<uint8_t>(std::string(row.contents).size() / 2)});
        CHECK(hex_of(w) == "02" + len + row.contents + "0a" + len + row.contents);
        DerReader r(w.data());
        CHECK(r.integer() == row.value);
        CHECK(r.enumerated() == row.value);
        r.assert_done();
    }
    for (const char* bad : {"0200", "02020001", "0202007f", "0202ff80", "0202ffff", "0209010000000000000000"}) {
        INFO(bad);
        CHECK(minor_thrown([&] { DerReader(from_hex(bad)).integer(); }) == Minor::der_bad_integer);
    }
    CHECK(minor_thrown([&] { DerReader(from_hex("0a0100")).integer(); }) == Minor::der_unexpected_tag);
}

TEST_CASE("BOOLEAN and BIT STRING follow DER", "[der]") {
    CHECK(DerReader(from_hex("0101ff")).boolean());
    CHECK_FALSE(DerReader(from_hex("010100")).boolean());
    for (const char* bad : {"010101", "0101fe", "0100", "01020000"}) {
        INFO(bad);
        CHECK(minor_thrown([&] { DerReader(from_hex(bad)).boolean(); }) == Minor::der_bad_boolean);
    }
    DerWriter wb;
    wb.boolean(true);
    wb.boolean(false);
    CHECK(hex_of(wb) == "0101ff010100");

    const BitString flags = DerReader(from_hex("03020142")).bit_string();
    CHECK(flags.unused_bits == 1);
    CHECK(to_hex(flags.bytes) == "42");
    CHECK(flags.size_in_bits() == 7);
    CHECK_FALSE(flags.bit(0));
    CHECK(flags.bit(1));
    CHECK(flags.bit(6));
    CHECK_FALSE(flags.bit(7));
    CHECK_FALSE(flags.bit(100));
    DerWriter w;
    w.bit_string(flags);
    CHECK(hex_of(w) == "03020142");

    const BitString empty = DerReader(from_hex("030100")).bit_string();
    CHECK(empty.bytes.empty());
    CHECK(empty.size_in_bits() == 0);
    for (const char* bad : {"0300", "030101", "03020800", "03020141", "0303070181"}) {
        INFO(bad);
        CHECK(minor_thrown([&] { DerReader(from_hex(bad)).bit_string(); }) == Minor::der_bad_bit_string);
    }
}

TEST_CASE("OCTET STRING, OID and GeneralString fields", "[der]") {
    const Bytes data = from_hex("040301020306062b06010505021b036162630400");
    DerReader r(data);
    CHECK(to_hex(r.octet_string(3, 3)) == "010203");
    CHECK(r.oid() == oids::spnego());
    CHECK(r.general_string() == "abc");
    CHECK(r.octet_string().empty());
    r.assert_done();

    CHECK(minor_thrown([&] { DerReader(from_hex("0403010203")).octet_string(4); }) == Minor::der_bad_size);
    CHECK(minor_thrown([&] { DerReader(from_hex("0403010203")).octet_string(0, 2); }) == Minor::der_bad_size);
    CHECK(minor_thrown([&] { DerReader(from_hex("1b03616263")).general_string(2); }) == Minor::der_bad_size);
    CHECK(minor_thrown([&] { DerReader(from_hex("0600")).oid(); }) == Minor::der_bad_oid);
    CHECK(minor_thrown([&] { DerReader(from_hex("06022b80")).oid(); }) == Minor::der_bad_oid);
    CHECK(minor_thrown([&] { DerReader(from_hex("0603802b06")).oid(); }) == Minor::der_bad_oid);
    CHECK(minor_thrown([&] { DerReader(from_hex("0c03616263")).general_string(); }) == Minor::der_unexpected_tag);
}

TEST_CASE("expect and optional return readers over the contents", "[der]") {
    const Bytes data = from_hex("a1083006a0040a020001");
    DerReader r(data);
    CHECK_FALSE(r.optional(tag::context(0)).has_value());
    std::optional<DerReader> choice = r.optional(tag::context(1));
    REQUIRE(choice.has_value());
    r.assert_done();
    DerReader seq = choice->expect(tag::sequence);
    choice->assert_done();
    DerReader field = seq.expect(tag::context(0));
    CHECK(minor_thrown([&] { field.enumerated(); }) == Minor::der_bad_integer);
    // A sub-reader keeps the limit of its parent.
    Bytes nested = from_hex("308201040482010000");
    nested.resize(8 + 0x100, 0);
    DerReader limited(nested, 0x104);
    DerReader inner = limited.expect(tag::sequence);
    CHECK(inner.octet_string().size() == 0x100);
    DerReader tighter(nested, 0x100);
    CHECK(minor_thrown([&] { tighter.expect(tag::sequence); }) == Minor::der_length_over_limit);
    const Bytes wrong = from_hex("3000");
    CHECK(minor_thrown([&] { DerReader(wrong).expect(tag::context(0)); }) == Minor::der_unexpected_tag);
    CHECK(minor_thrown([&] { DerReader(Bytes{}).expect(tag::sequence); }) == Minor::der_truncated);
}

TEST_CASE("ContextFields wants each field once, in ascending order", "[der]") {
    struct Row {
        const char* what;
        const char* contents;
        Minor expected;
        std::vector<int> numbers;
    };
    const std::vector<Row> rows = {
        {"[0] [2]", "a0030a0101a2020400", Minor::none, {0, 2}},
        {"[0] to [3]", "a0020400a1020400a2020400a3020400", Minor::none, {0, 1, 2, 3}},
        {"nothing", "", Minor::none, {}},
        {"[0] twice", "a0030a0101a0030a0101", Minor::der_field_order, {0}},
        {"[2] before [1]", "a2020400a1020400", Minor::der_field_order, {2}},
        {"[4] past the last", "a4020400", Minor::der_unexpected_tag, {}},
        {"primitive [0]", "80020400", Minor::der_unexpected_tag, {}},
        {"universal SEQUENCE among fields", "3000", Minor::der_unexpected_tag, {}},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const Bytes data = from_hex(row.contents);
        std::vector<int> numbers;
        const Minor got = minor_thrown([&] {
            ContextFields fields(DerReader(data), 3);
            while (std::optional<ContextFields::Field> f = fields.next()) {
                numbers.push_back(f->number);
                (void)f->contents.next();
            }
        });
        CHECK(minor_name(got) == minor_name(row.expected));
        CHECK(numbers == row.numbers);
    }
}

TEST_CASE("DerWriter writes minimal lengths and nests", "[der]") {
    struct Row {
        size_t length;
        const char* header;
    };
    const std::vector<Row> rows = {
        {0, "0400"}, {1, "0401"}, {127, "047f"}, {128, "048180"}, {255, "0481ff"},
        {256, "04820100"}, {65535, "0482ffff"}, {65536, "0483010000"}, {0x1000000, "048401000000"},
    };
    for (const Row& row : rows) {
        INFO(row.length);
        DerWriter w;
        w.octet_string(Bytes(row.length, 0x5a));
        const std::string header = row.header;
        CHECK(to_hex(ByteView(w.data()).first(header.size() / 2)) == header);
        CHECK(w.data().size() == header.size() / 2 + row.length);
        DerReader r(w.data(), 0x1000000);
        CHECK(r.octet_string().size() == row.length);
        r.assert_done();

        // Built in place, the length is written once the contents are in.
        Bytes contents(row.length);
        for (size_t i = 0; i < contents.size(); ++i) contents[i] = static_cast<uint8_t>(i * 7 + 1);
        DerWriter in_place(16);
        in_place.nested(tag::octet_string, [&](DerWriter& f) { f.raw(contents); });
        DerWriter copied;
        copied.octet_string(contents);
        CHECK(in_place.data() == copied.data());
    }

    // Two levels whose lengths both take the long form, then a short
    // element after them: the contents move up intact.
    Bytes inner(300);
    for (size_t i = 0; i < inner.size(); ++i) inner[i] = static_cast<uint8_t>(255 - i % 251);
    DerWriter two;
    two.nested(tag::sequence, [&](DerWriter& seq) {
        seq.nested(tag::context(2), [&](DerWriter& f) { f.octet_string(inner); });
        seq.nested(tag::context(3), [&](DerWriter& f) { f.integer(-129); });
    });
    DerWriter field2, field3, expected;
    DerWriter octets;
    octets.octet_string(inner);
    field2.element(tag::context(2), octets.data());
    DerWriter integer;
    integer.integer(-129);
    field3.element(tag::context(3), integer.data());
    Bytes both = field2.data();
    both.insert(both.end(), field3.data().begin(), field3.data().end());
    expected.element(tag::sequence, both);
    CHECK(to_hex(two.data()) == to_hex(expected.data()));
    CHECK(to_hex(ByteView(two.data()).first(8)) == "3082013aa2820130");

    DerWriter w;
    w.nested(tag::context(1), [](DerWriter& choice) {
        choice.nested(tag::sequence, [](DerWriter& seq) {
            seq.nested(tag::context(0), [](DerWriter& f) { f.enumerated(1); });
            seq.nested(tag::context(1), [](DerWriter& f) { f.oid(oids::ntlm()); });
        });
    });
    CHECK(hex_of(w) == "a1153013a0030a0101a10c060a2b06010401823702020a");
    w.general_string("x");
    w.raw(from_hex("0500"));
    CHECK(to_hex(w.take()) == "a1153013a0030a0101a10c060a2b06010401823702020a1b01780500");
}
