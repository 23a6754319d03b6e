#include "ntlm/authenticate_message.h"
#include "ntlm/challenge_message.h"
#include "ntlm/flags.h"
#include "ntlm/negotiate_message.h"
#include "ntlm/payload.h"
#include "ntlm/version.h"
#include "util/errors.h"
#include "vectors.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

const test::Vectors& v() {
    return test::ms_nlmp();
}

Challenge8 challenge8(const Bytes& b) {
    REQUIRE(b.size() == 8);
    Challenge8 c{};
    std::copy(b.begin(), b.end(), c.begin());
    return c;
}

uint16_t u16_at(const Bytes& b, size_t pos) {
    return static_cast<uint16_t>(b.at(pos) | (b.at(pos + 1) << 8));
}

uint32_t u32_at(const Bytes& b, size_t pos) {
    return static_cast<uint32_t>(u16_at(b, pos)) | (static_cast<uint32_t>(u16_at(b, pos + 2)) << 16);
}

// Hex of a vector with a little-endian value written over it at pos.
std::string patched(const std::string& name, size_t pos, uint64_t value, size_t width) {
    Bytes b = v().hex(name);
    for (size_t i = 0; i < width; ++i) b.at(pos + i) = static_cast<uint8_t>(value >> (8 * i));
    return to_hex(b);
}

std::string patched_hex(const std::string& hex, size_t pos, uint64_t value, size_t width) {
    Bytes b = from_hex(hex);
    for (size_t i = 0; i < width; ++i) b.at(pos + i) = static_cast<uint8_t>(value >> (8 * i));
    return to_hex(b);
}

std::string vector_hex(const std::string& name) {
    return to_hex(v().hex(name));
}

std::string truncated(const std::string& name, size_t size) {
    Bytes b = v().hex(name);
    b.resize(size);
    return to_hex(b);
}

std::string padded(const std::string& name, size_t size) {
    Bytes b = v().hex(name);
    b.resize(size, 0);
    return to_hex(b);
}

const Version windows_vista{6, 0, 6000, 15};
const Version windows_xp{5, 1, 2600, 15};

// The payload field described at header_pos, as (Len, Offset).
std::pair<uint16_t, uint32_t> field_at(const Bytes& msg, size_t header_pos) {
    return {u16_at(msg, header_pos), u32_at(msg, header_pos + 4)};
}

}  // namespace

TEST_CASE("flags_to_string names every bit in order", "[messages]") {
    CHECK(flags_to_string(v().u32("v2_challenge_flags")) ==
          "UNICODE|OEM|SIGN|SEAL|NTLM|ALWAYS_SIGN|TARGET_TYPE_SERVER|EXTENDED_SESSIONSECURITY|TARGET_INFO|"
          "VERSION|128|KEY_EXCH|56");
    CHECK(flags_to_string(v().u32("v1_authenticate_flags")) ==
          "UNICODE|REQUEST_TARGET|SIGN|SEAL|NTLM|ALWAYS_SIGN|TARGET_INFO|VERSION|128|KEY_EXCH|56");
    CHECK(flags_to_string(0x00000008 | flag::oem_domain_supplied | 0x01000000) ==
          "0x00000008|OEM_DOMAIN_SUPPLIED|0x01000000");
    CHECK(flags_to_string(0).empty());
}

TEST_CASE("VERSION reads and writes its 8 bytes", "[messages]") {
    const Bytes wire = v().hex("challenge_version");
    ByteReader r(wire);
    const Version parsed = Version::parse(r);
    CHECK(r.empty());
    CHECK(parsed == windows_vista);
    CHECK(parsed.to_string() == "6.0.6000 rev 15");
    ByteWriter w;
    parsed.write(w);
    CHECK(w.data() == wire);

    const Bytes auth_wire = v().hex("authenticate_version");
    ByteReader r2(auth_wire);
    CHECK(Version::parse(r2) == windows_xp);
    CHECK(Version{}.to_string() == "6.1.7601 rev 15");

    const Bytes short_wire = from_hex("0600701700");
    ByteReader r3(short_wire);
    CHECK_THROWS_AS(Version::parse(r3), DecodeError);
}

TEST_CASE("MS-NLMP 4.2.2.3 v1 CHALLENGE decodes and re-encodes", "[messages]") {
    const Bytes wire = v().hex("v1_challenge_message");
    const ChallengeMessage msg(wire);
    CHECK(msg.flags() == v().u32("v1_challenge_flags"));
    CHECK(msg.server_challenge() == challenge8(v().hex("server_challenge")));
    CHECK(msg.target_name() == "Server");
    CHECK(msg.target_info().empty());
    CHECK(msg.target_info_bytes().empty());
    REQUIRE(msg.version().has_value());
    CHECK(*msg.version() == windows_vista);

    const ChallengeMessage built(msg.flags(), msg.server_challenge(), "Server", AvPairs{}, windows_vista);
    CHECK(built.serialize() == wire);
}

TEST_CASE("MS-NLMP 4.2.4.3 v2 CHALLENGE decodes and re-encodes", "[messages]") {
    const Bytes wire = v().hex("v2_challenge_message");
    const ChallengeMessage msg(wire);
    CHECK(msg.flags() == v().u32("v2_challenge_flags"));
    CHECK(msg.server_challenge() == challenge8(v().hex("server_challenge")));
    CHECK(msg.target_name() == "Server");
    REQUIRE(msg.target_info().entries().size() == 2);
    CHECK(msg.target_info().entries()[0].id == static_cast<uint16_t>(AvId::nb_domain_name));
    CHECK(msg.target_info().string(AvId::nb_domain_name) == std::optional<std::string>("Domain"));
    CHECK(msg.target_info().entries()[1].id == static_cast<uint16_t>(AvId::nb_computer_name));
    CHECK(msg.target_info().string(AvId::nb_computer_name) == std::optional<std::string>("Server"));
    CHECK(msg.target_info_bytes() == Bytes(wire.begin() + 0x44, wire.end()));
    REQUIRE(msg.version().has_value());
    CHECK(*msg.version() == windows_vista);

    AvPairs info;
    info.set_string(AvId::nb_domain_name, "Domain");
    info.set_string(AvId::nb_computer_name, "Server");
    const ChallengeMessage built(msg.flags(), challenge8(v().hex("server_challenge")), "Server", info, windows_vista);
    CHECK(built.target_info_bytes() == msg.target_info_bytes());
    CHECK(built.serialize() == wire);

    const ChallengeMessage reparsed(built.serialize());
    CHECK(reparsed.target_info_bytes() == msg.target_info_bytes());
}

TEST_CASE("MS-NLMP 4.2.2.3 v1 AUTHENTICATE decodes and re-encodes", "[messages]") {
    const Bytes wire = v().hex("v1_authenticate_message");
    const AuthenticateMessage msg(wire);
    const AuthenticateFields& f = msg.fields();
    CHECK(msg.flags() == v().u32("v1_authenticate_flags"));
    CHECK(f.domain == "Domain");
    CHECK(f.user == "User");
    CHECK(f.workstation == "COMPUTER");
    CHECK(f.lm_response == v().hex("v1_lm_response"));
    CHECK(f.nt_response == v().hex("v1_nt_response"));
    CHECK(f.encrypted_random_session_key == v().hex("v1_encrypted_session_key"));
    REQUIRE(f.version.has_value());
    CHECK(*f.version == windows_xp);
    CHECK_FALSE(f.mic.has_value());

    AuthenticateFields fields;
    fields.flags = v().u32("v1_authenticate_flags");
    fields.lm_response = v().hex("v1_lm_response");
    fields.nt_response = v().hex("v1_nt_response");
    fields.domain = v().str("domain");
    fields.user = v().str("user");
    fields.workstation = v().str("workstation");
    fields.encrypted_random_session_key = v().hex("v1_encrypted_session_key");
    fields.version = windows_xp;
    CHECK(AuthenticateMessage(fields).serialize() == wire);
}

TEST_CASE("MS-NLMP 4.2.4.3 v2 AUTHENTICATE decodes and re-encodes", "[messages]") {
    const Bytes wire = v().hex("v2_authenticate_message");
    const AuthenticateMessage msg(wire);
    const AuthenticateFields& f = msg.fields();
    CHECK(msg.flags() == v().u32("v2_authenticate_flags"));
    CHECK(f.domain == "Domain");
    CHECK(f.user == "User");
    CHECK(f.workstation == "COMPUTER");
    CHECK(f.lm_response == v().hex("v2_lm_response"));
    Bytes nt = v().hex("v2_nt_proof");
    const Bytes blob = v().hex("v2_client_blob");
    nt.insert(nt.end(), blob.begin(), blob.end());
    CHECK(f.nt_response == nt);
    CHECK(f.encrypted_random_session_key == v().hex("v2_encrypted_session_key"));
    REQUIRE(f.version.has_value());
    CHECK(*f.version == windows_xp);
    CHECK_FALSE(f.mic.has_value());

    CHECK(AuthenticateMessage(f).serialize() == wire);
}

TEST_CASE("AUTHENTICATE with a MIC: field at offset 72, payload after it", "[messages]") {
    AuthenticateFields fields;
    fields.flags = v().u32("v2_authenticate_flags");
    fields.lm_response = Bytes(24, 0);
    fields.nt_response = v().hex("v2_nt_proof");
    fields.domain = "Domain";
    fields.user = "User";
    fields.workstation = "COMPUTER";
    fields.encrypted_random_session_key = v().hex("v2_encrypted_session_key");
    fields.version = windows_xp;
    Mic16 mic{};
    for (size_t i = 0; i < mic.size(); ++i) mic[i] = static_cast<uint8_t>(0xa0 + i);
    fields.mic = mic;

    const Bytes wire = AuthenticateMessage(fields).serialize();
    REQUIRE(wire.size() == 88 + 12 + 8 + 16 + 24 + 16 + 16);
    CHECK(Bytes(wire.begin() + 64, wire.begin() + 72) == v().hex("authenticate_version"));
    CHECK(Bytes(wire.begin() + AuthenticateMessage::mic_offset, wire.begin() + 88) == Bytes(mic.begin(), mic.end()));
    CHECK(field_at(wire, 28) == std::pair<uint16_t, uint32_t>{12, 88});    // Domain
    CHECK(field_at(wire, 36) == std::pair<uint16_t, uint32_t>{8, 100});    // User
    CHECK(field_at(wire, 44) == std::pair<uint16_t, uint32_t>{16, 108});   // Workstation
    CHECK(field_at(wire, 12) == std::pair<uint16_t, uint32_t>{24, 124});   // LM
    CHECK(field_at(wire, 20) == std::pair<uint16_t, uint32_t>{16, 148});   // NT
    CHECK(field_at(wire, 52) == std::pair<uint16_t, uint32_t>{16, 164});   // session key

    const AuthenticateMessage parsed(wire);
    REQUIRE(parsed.fields().mic.has_value());
    CHECK(*parsed.fields().mic == mic);
    CHECK(parsed.fields().version == fields.version);
    CHECK(parsed.fields().domain == "Domain");
    CHECK(parsed.fields().user == "User");
    CHECK(parsed.fields().workstation == "COMPUTER");
    CHECK(parsed.fields().lm_response == fields.lm_response);
    CHECK(parsed.fields().nt_response == fields.nt_response);
    CHECK(parsed.fields().encrypted_random_session_key == fields.encrypted_random_session_key);
    CHECK(AuthenticateMessage(parsed.fields()).serialize() == wire);
}

TEST_CASE("AUTHENTICATE builder: a MIC needs a Version", "[messages]") {
    AuthenticateFields fields;
    fields.mic = Mic16{};
    try {
        const AuthenticateMessage msg(fields);
        FAIL("built");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_FAILURE);
        CHECK(e.minor() == minor_value(Minor::internal_error));
    }
}

TEST_CASE("AUTHENTICATE builder: empty fields point at the current payload position", "[messages]") {
    AuthenticateFields fields;
    fields.flags = flag::unicode | flag::anonymous;
    fields.lm_response = Bytes{0};
    fields.version = windows_xp;
    fields.mic = Mic16{};
    const Bytes wire = AuthenticateMessage(fields).serialize();
    REQUIRE(wire.size() == 89);
    CHECK(field_at(wire, 28) == std::pair<uint16_t, uint32_t>{0, 88});
    CHECK(field_at(wire, 36) == std::pair<uint16_t, uint32_t>{0, 88});
    CHECK(field_at(wire, 44) == std::pair<uint16_t, uint32_t>{0, 88});
    CHECK(field_at(wire, 12) == std::pair<uint16_t, uint32_t>{1, 88});
    CHECK(field_at(wire, 20) == std::pair<uint16_t, uint32_t>{0, 89});
    CHECK(field_at(wire, 52) == std::pair<uint16_t, uint32_t>{0, 89});

    const AuthenticateMessage parsed(wire);
    CHECK(parsed.fields().mic.has_value());
    CHECK(parsed.fields().user.empty());
    CHECK(parsed.fields().nt_response.empty());
    CHECK(parsed.fields().lm_response == Bytes{0});
}

TEST_CASE("AUTHENTICATE without UNICODE carries OEM strings", "[messages]") {
    AuthenticateFields fields;
    fields.flags = flag::oem | flag::ntlm;
    fields.domain = "D\xc3\xa9";  // "Dé"
    fields.user = "u";
    fields.nt_response = Bytes(24, 0x11);
    const Bytes wire = AuthenticateMessage(fields).serialize();
    CHECK(field_at(wire, 28) == std::pair<uint16_t, uint32_t>{2, 64});
    CHECK(wire.at(64) == 'D');
    CHECK(wire.at(65) == 0xe9);
    const AuthenticateMessage parsed(wire);
    CHECK_FALSE(parsed.fields().version.has_value());
    CHECK_FALSE(parsed.fields().mic.has_value());
    CHECK(parsed.fields().domain == "D\xc3\xa9");
    CHECK(parsed.fields().user == "u");

    fields.user = "\xe2\x82\xac";  // U+20AC, not in Latin-1
    try {
        (void)AuthenticateMessage(fields).serialize();
        FAIL("encoded");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_BAD_NAME);
        CHECK(e.minor() == minor_value(Minor::bad_string_encoding));
    }
}

TEST_CASE("NEGOTIATE with Version and OEM strings round-trips", "[messages]") {
    const uint32_t flags = flag::unicode | flag::oem | flag::request_target | flag::ntlm | flag::always_sign |
                           flag::extended_session_security | flag::version | flag::negotiate_128 | flag::key_exch |
                           flag::negotiate_56;
    const NegotiateMessage built(flags, "DOMAIN", "W\xc3\x96RK", Version{10, 0, 19041, 15});
    CHECK(built.flags() == (flags | flag::oem_domain_supplied | flag::oem_workstation_supplied));
    const Bytes wire = built.serialize();
    CHECK(to_hex(wire) ==
          "4e544c4d53535000" "01000000" "07b208e2" "0600060028000000" "040004002e000000" "0a00614a0000000f"
          "444f4d41494e" "57d6524b");

    const NegotiateMessage parsed(wire);
    CHECK(parsed.flags() == built.flags());
    CHECK(parsed.domain() == "DOMAIN");
    CHECK(parsed.workstation() == "W\xc3\x96RK");
    REQUIRE(parsed.version().has_value());
    CHECK(*parsed.version() == Version{10, 0, 19041, 15});
    CHECK(NegotiateMessage(parsed.flags(), parsed.domain(), parsed.workstation(), parsed.version()).serialize() ==
          wire);
}

TEST_CASE("NEGOTIATE without Version: 32 bytes, or strings right after the header", "[messages]") {
    const NegotiateMessage bare(flag::unicode | flag::ntlm, "", "", std::nullopt);
    const Bytes wire = bare.serialize();
    CHECK(to_hex(wire) == "4e544c4d53535000" "01000000" "01020000" "0000000020000000" "0000000020000000");
    const NegotiateMessage parsed(wire);
    CHECK(parsed.flags() == (flag::unicode | flag::ntlm));
    CHECK_FALSE(parsed.version().has_value());
    CHECK(parsed.domain().empty());
    CHECK(parsed.workstation().empty());

    const NegotiateMessage with_names(flag::oem, "", "HOST", std::nullopt);
    const Bytes wire2 = with_names.serialize();
    CHECK(wire2.size() == 36);
    CHECK(field_at(wire2, 24) == std::pair<uint16_t, uint32_t>{4, 32});
    const NegotiateMessage parsed2(wire2);
    CHECK_FALSE(parsed2.version().has_value());
    CHECK(parsed2.workstation() == "HOST");
    CHECK(parsed2.domain().empty());
    CHECK(parsed2.flags() == (flag::oem | flag::oem_workstation_supplied));
}

TEST_CASE("NEGOTIATE forms sent by real clients parse", "[messages]") {
    // 40 bytes, all fields zero, Version 10.0.19041: a Windows 10 client.
    const NegotiateMessage windows(
        from_hex("4e544c4d535350000100000097b208e2000000000000000000000000000000000a00614a0000000f"));
    CHECK(windows.flags() == 0xe208b297);
    CHECK(windows.domain().empty());
    CHECK(windows.workstation().empty());
    REQUIRE(windows.version().has_value());
    CHECK(windows.version()->to_string() == "10.0.19041 rev 15");

    // 32 bytes, no Version field.
    const NegotiateMessage old(from_hex("4e544c4d535350000100000007820800000000000000000000000000000000000000"
                                        "0000"));
    CHECK(old.flags() == 0x00088207);
    CHECK_FALSE(old.version().has_value());

    // Strings not flagged as supplied are ignored, even when out of bounds.
    const NegotiateMessage unflagged(
        from_hex("4e544c4d53535000010000000782080004000400ffffff7f0000000000000000"));
    CHECK(unflagged.domain().empty());
    CHECK_FALSE(unflagged.version().has_value());
}

TEST_CASE("NEGOTIATE: a character outside Latin-1 cannot be sent", "[messages]") {
    const NegotiateMessage msg(flag::oem, "\xd0\x94", "", std::nullopt);
    try {
        (void)msg.serialize();
        FAIL("encoded");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_BAD_NAME);
        CHECK(e.minor() == minor_value(Minor::bad_string_encoding));
    }
}

TEST_CASE("CHALLENGE builder: OEM target name, empty name, no TargetInfo", "[messages]") {
    const Challenge8 c = challenge8(v().hex("server_challenge"));
    const ChallengeMessage oem(flag::oem | flag::request_target, c, "Serv\xc3\xa9r", AvPairs{}, std::nullopt);
    const Bytes wire = oem.serialize();
    REQUIRE(wire.size() == 48 + 6);
    CHECK(field_at(wire, 12) == std::pair<uint16_t, uint32_t>{6, 48});
    CHECK(field_at(wire, 40) == std::pair<uint16_t, uint32_t>{0, 0});
    CHECK(wire.at(52) == 0xe9);
    const ChallengeMessage parsed(wire);
    CHECK(parsed.target_name() == "Serv\xc3\xa9r");
    CHECK_FALSE(parsed.version().has_value());
    CHECK(parsed.server_challenge() == c);

    AvPairs info;
    info.set_timestamp(0);
    const ChallengeMessage unnamed(flag::unicode | flag::target_info, c, "", info, windows_vista);
    const Bytes wire2 = unnamed.serialize();
    REQUIRE(wire2.size() == 56 + 12 + 4);
    CHECK(field_at(wire2, 12) == std::pair<uint16_t, uint32_t>{0, 56});
    CHECK(field_at(wire2, 40) == std::pair<uint16_t, uint32_t>{16, 56});
    const ChallengeMessage parsed2(wire2);
    CHECK(parsed2.target_name().empty());
    CHECK(parsed2.target_info().timestamp() == std::optional<uint64_t>(0));
    CHECK(parsed2.version() == std::optional<Version>(windows_vista));
}

TEST_CASE("Parsers are liberal: MaxLen, overlapping fields, trailing bytes", "[messages]") {
    // MaxLen of the user field set to 0.
    const AuthenticateMessage max_len(from_hex(patched("v2_authenticate_message", 38, 0, 2)));
    CHECK(max_len.fields().user == "User");

    // Workstation pointed at the user name.
    Bytes overlap = v().hex("v2_authenticate_message");
    overlap.at(44) = 8;
    overlap.at(48) = 0x54;
    const AuthenticateMessage overlapping(overlap);
    CHECK(overlapping.fields().workstation == "User");
    CHECK(overlapping.fields().user == "User");

    Bytes trailing = v().hex("v2_challenge_message");
    trailing.insert(trailing.end(), 7, 0xee);
    const ChallengeMessage with_trailing(trailing);
    CHECK(with_trailing.target_name() == "Server");

    // A 64 KiB token is still accepted.
    const AuthenticateMessage biggest(from_hex(padded("v2_authenticate_message", 64 * 1024)));
    CHECK(biggest.fields().user == "User");
}

TEST_CASE("Version and MIC presence follows the smallest payload offset", "[messages]") {
    // Domain moved to offset 0x40: no room for a Version.
    const AuthenticateMessage no_version(from_hex(patched("v2_authenticate_message", 32, 0x40, 4)));
    CHECK_FALSE(no_version.fields().version.has_value());
    CHECK_FALSE(no_version.fields().mic.has_value());
    // The domain now starts with the Version bytes 05 01 28 0a 00 00 00 0f.
    CHECK(no_version.fields().domain == std::string("\u0105\u0a28") + '\0' + "\u0f00Do");

    // Every field moved 16 bytes on and the payload padded: Version + MIC.
    Bytes shifted = v().hex("v2_authenticate_message");
    shifted.insert(shifted.begin() + 72, 16, 0x5a);
    for (const size_t field : {12u, 20u, 28u, 36u, 44u, 52u}) {
        const uint32_t moved = u32_at(shifted, field + 4) + 16;
        for (size_t i = 0; i < 4; ++i) shifted.at(field + 4 + i) = static_cast<uint8_t>(moved >> (8 * i));
    }
    const AuthenticateMessage with_mic(shifted);
    REQUIRE(with_mic.fields().mic.has_value());
    CHECK(*with_mic.fields().mic == Mic16{0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                         0x5a, 0x5a, 0x5a, 0x5a});
    CHECK(with_mic.fields().user == "User");
    CHECK(with_mic.fields().encrypted_random_session_key == v().hex("v2_encrypted_session_key"));
}

TEST_CASE("Malformed tokens fail with the exact minor code", "[messages]") {
    enum class Parser { negotiate, challenge, authenticate };
    struct Row {
        const char* what;
        Parser parser;
        std::string hex;
        Minor expected;
    };
    const std::string negotiate_hex = "4e544c4d53535000010000000732000006000600200000000400040026000000444f4d41494e484f5354";
    const std::vector<Row> rows = {
        {"empty token", Parser::authenticate, "", Minor::token_truncated},
        {"4 bytes", Parser::authenticate, truncated("v2_authenticate_message", 4), Minor::token_truncated},
        {"signature only", Parser::authenticate, truncated("v2_authenticate_message", 8), Minor::token_truncated},
        {"half a type", Parser::authenticate, truncated("v2_authenticate_message", 10), Minor::token_truncated},
        {"AUTHENTICATE header cut", Parser::authenticate, truncated("v2_authenticate_message", 63),
         Minor::token_truncated},
        {"CHALLENGE header cut", Parser::challenge, truncated("v2_challenge_message", 47), Minor::token_truncated},
        {"NEGOTIATE header cut", Parser::negotiate, negotiate_hex.substr(0, 62), Minor::token_truncated},
        {"AUTHENTICATE payload cut", Parser::authenticate, truncated("v2_authenticate_message", 200),
         Minor::payload_out_of_bounds},
        {"CHALLENGE payload cut", Parser::challenge, truncated("v2_challenge_message", 100),
         Minor::payload_out_of_bounds},
        {"NT offset 0xffffffff", Parser::authenticate, patched("v2_authenticate_message", 24, 0xffffffff, 4),
         Minor::payload_out_of_bounds},
        {"NT offset wraps in 32 bits", Parser::authenticate, patched("v2_authenticate_message", 24, 0xfffffff0, 4),
         Minor::payload_out_of_bounds},
        {"domain length 0xffff", Parser::authenticate, patched("v2_authenticate_message", 28, 0xffff, 2),
         Minor::payload_out_of_bounds},
        {"session key one byte past the end", Parser::authenticate,
         patched("v2_authenticate_message", 52, 0x11, 2), Minor::payload_out_of_bounds},
        {"LM offset past the end", Parser::authenticate, patched("v1_authenticate_message", 16, 172, 4),
         Minor::payload_out_of_bounds},
        {"target name offset 0xffffffff", Parser::challenge, patched("v2_challenge_message", 16, 0xffffffff, 4),
         Minor::payload_out_of_bounds},
        {"target info offset past the end", Parser::challenge, patched("v2_challenge_message", 44, 0x1000, 4),
         Minor::payload_out_of_bounds},
        {"NEGOTIATE domain past the end", Parser::negotiate,
         patched_hex(negotiate_hex, 16, 0x0b, 2), Minor::payload_out_of_bounds},
        {"NEGOTIATE workstation offset 0xffffffff", Parser::negotiate,
         patched_hex(negotiate_hex, 28, 0xffffffff, 4), Minor::payload_out_of_bounds},
        {"wrong signature", Parser::authenticate, patched("v2_authenticate_message", 6, 'Q', 1),
         Minor::bad_ntlm_signature},
        {"signature without NUL", Parser::challenge, patched("v2_challenge_message", 7, ' ', 1),
         Minor::bad_ntlm_signature},
        {"not NTLM at all", Parser::negotiate, "a0819b30819830", Minor::bad_ntlm_signature},
        {"short and not NTLM", Parser::challenge, "4e5458", Minor::bad_ntlm_signature},
        {"short prefix of the signature", Parser::challenge, "4e544c4d", Minor::token_truncated},
        {"CHALLENGE given as AUTHENTICATE", Parser::authenticate, vector_hex("v2_challenge_message"),
         Minor::wrong_message_type},
        {"AUTHENTICATE given as CHALLENGE", Parser::challenge, vector_hex("v2_authenticate_message"),
         Minor::wrong_message_type},
        {"CHALLENGE given as NEGOTIATE", Parser::negotiate, vector_hex("v1_challenge_message"),
         Minor::wrong_message_type},
        {"message type 4", Parser::authenticate, patched("v2_authenticate_message", 8, 4, 4),
         Minor::wrong_message_type},
        {"message type 0x103", Parser::authenticate, patched("v2_authenticate_message", 8, 0x103, 4),
         Minor::wrong_message_type},
        {"65 KiB AUTHENTICATE", Parser::authenticate, padded("v2_authenticate_message", 65 * 1024),
         Minor::token_too_large},
        {"64 KiB + 1 of garbage", Parser::negotiate, std::string((64 * 1024 + 1) * 2, 'f'), Minor::token_too_large},
        {"AV pairs without EOL", Parser::challenge, patched("v2_challenge_message", 40, 0x20, 2),
         Minor::av_pair_missing_eol},
        {"AV pair cut inside its header", Parser::challenge, patched("v2_challenge_message", 40, 0x22, 2),
         Minor::av_pair_malformed},
        {"AV pair value past the list", Parser::challenge, patched("v2_challenge_message", 0x46, 0x40, 2),
         Minor::av_pair_malformed},
        {"duplicate AV pair", Parser::challenge, patched("v2_challenge_message", 0x54, 2, 2),
         Minor::av_pair_duplicate},
        {"EOL with a length", Parser::challenge, patched("v2_challenge_message", 0x66, 1, 2),
         Minor::av_pair_malformed},
        {"odd-length UTF-16 domain", Parser::authenticate, patched("v2_authenticate_message", 28, 0x0b, 2),
         Minor::bad_string_encoding},
        {"odd-length UTF-16 target name", Parser::challenge, patched("v2_challenge_message", 12, 0x0b, 2),
         Minor::bad_string_encoding},
        {"unpaired surrogate in user", Parser::authenticate, patched("v2_authenticate_message", 0x54, 0xd800, 2),
         Minor::bad_string_encoding},
    };
    for (const Row& row : rows) {
        INFO(row.what);
        const Bytes token = from_hex(row.hex);
        try {
            switch (row.parser) {
            case Parser::negotiate: (void)NegotiateMessage(token); break;
            case Parser::challenge: (void)ChallengeMessage(token); break;
            case Parser::authenticate: (void)AuthenticateMessage(token); break;
            }
            FAIL("parsed");
        } catch (const DecodeError& e) {
            CHECK(e.major() == GSS_S_DEFECTIVE_TOKEN);
            CHECK(minor_text(e.minor()) == std::string(minor_text(minor_value(row.expected))));
            CHECK(e.minor() == minor_value(row.expected));
        }
    }
}

TEST_CASE("peek_message_type reads the type after the signature", "[messages]") {
    CHECK(peek_message_type(v().hex("v1_challenge_message")) == message_type::challenge);
    CHECK(peek_message_type(v().hex("v2_authenticate_message")) == message_type::authenticate);
    CHECK(peek_message_type(from_hex("4e544c4d5353500009000000")) == 9);
    CHECK_THROWS_AS(peek_message_type(from_hex("4e544c4d5353500001")), DecodeError);
}
