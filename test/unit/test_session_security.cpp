#include "ntlm/session_security.h"

#include "crypto/crypto.h"
#include "ntlm/flags.h"
#include "ntlm/ntlm_crypto.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "vectors.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace gssneg;
using namespace gssneg::ntlm;

namespace {

const test::Vectors& v() { return test::ms_nlmp(); }
std::string hex(ByteView b) { return to_hex(b); }
std::string vec(const char* name) { return hex(v().hex(name)); }

Key16 key16(const Bytes& b) {
    REQUIRE(b.size() == 16);
    return Key16(std::span<const uint8_t, 16>(b.data(), 16));
}

Key16 random_key() {
    Key16 k;
    crypto::random_bytes(k.span());
    return k;
}

constexpr uint32_t sign_seal = flag::ntlm | flag::sign | flag::seal | flag::always_sign | flag::unicode;
constexpr uint32_t ess = flag::extended_session_security;

struct Variant {
    const char* name;
    uint32_t flags;
};

const std::vector<Variant> variants = {
    {"ESS 128 KEY_EXCH", sign_seal | ess | flag::negotiate_128 | flag::key_exch},
    {"ESS 128", sign_seal | ess | flag::negotiate_128},
    {"ESS 56 KEY_EXCH", sign_seal | ess | flag::negotiate_56 | flag::key_exch},
    {"ESS 56", sign_seal | ess | flag::negotiate_56},
    {"ESS 40 KEY_EXCH", sign_seal | ess | flag::key_exch},
    {"ESS 40", sign_seal | ess},
    {"v1 128 KEY_EXCH", sign_seal | flag::negotiate_128 | flag::negotiate_56 | flag::key_exch},
    {"v1", sign_seal},
    {"v1 LM_KEY 56", sign_seal | flag::lm_key | flag::negotiate_56},
    {"v1 LM_KEY 40", sign_seal | flag::lm_key | flag::key_exch},
    {"v1 DATAGRAM 56", sign_seal | flag::datagram | flag::negotiate_56},
};

// Sequence numbers as the GSS layer keeps them: one per direction with ESS,
// one shared counter without.
struct Counters {
    explicit Counters(bool shared) : m_shared(shared) {}
    uint32_t next(bool from_initiator) {
        uint32_t& c = m_shared ? m_send : (from_initiator ? m_send : m_recv);
        return c++;
    }

private:
    bool m_shared;
    uint32_t m_send = 0;
    uint32_t m_recv = 0;
};

Bytes message(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 13);
    return b;
}

}  // namespace

TEST_CASE("NTLMv1 seal without extended session security (MS-NLMP 4.2.2.4)", "[session]") {
    const uint32_t flags = v().u32("v1_challenge_flags");
    const Key16 key = key16(v().hex("random_session_key"));
    SessionSecurity client(flags, key, true);
    REQUIRE_FALSE(client.extended_session_security());
    REQUIRE(client.shared_stream());

    Bytes data = v().hex("plaintext");
    const auto sig = client.seal(0, data);
    CHECK(hex(data) == vec("v1_sealed_data"));
    CHECK(hex(sig) == vec("v1_signature_wire"));

    SECTION("the acceptor unseals the wire form") {
        SessionSecurity server(flags, key, false);
        CHECK(server.incoming_sequence(sig, data.size()) == 0);
        CHECK(server.unseal(0, data, sig));
        CHECK(hex(data) == vec("plaintext"));
    }
    SECTION("and the form printed in the spec, whose RandomPad is not checked") {
        SessionSecurity server(flags, key, false);
        CHECK(server.unseal(0, data, v().hex("v1_signature_spec")));
        CHECK(hex(data) == vec("plaintext"));
    }
    SECTION("a wrong sequence number is rejected") {
        SessionSecurity server(flags, key, false);
        CHECK_FALSE(server.unseal(1, data, sig));
    }
}

TEST_CASE("NTLMv1 sign without extended session security: CRC-32 under RC4", "[session]") {
    const uint32_t flags = v().u32("v1_challenge_flags");
    const Key16 key = key16(v().hex("random_session_key"));
    SessionSecurity client(flags, key, true);
    const Bytes plaintext = v().hex("plaintext");
    const auto sig = client.sign(7, {plaintext});

    // Independent: RC4(key) over RandomPad 0, CRC32, SeqNum, pad then zeroed.
    const Bytes fields = from_hex("00000000" "7d84aa93" "07000000");
    Bytes expected = crypto::rc4_once(key, fields);
    std::fill_n(expected.begin(), 4, uint8_t{0});
    CHECK(hex(sig) == "01000000" + hex(expected));
    CHECK(hex(ByteView(sig).subspan(8, 4)) == hex(ByteView(crypto::rc4_once(key, fields)).subspan(4, 4)));

    SessionSecurity server(flags, key, false);
    CHECK(server.incoming_sequence(sig) == 7);
    CHECK(server.verify(7, {plaintext}, sig));
}

TEST_CASE("NTLMv1 with extended session security, no KEY_EXCH (MS-NLMP 4.2.3.4)", "[session]") {
    const uint32_t flags = v().u32("ess_flags");
    REQUIRE((flags & flag::key_exch) == 0);
    const Key16 key = key16(v().hex("ess_kxkey"));
    SessionSecurity client(flags, key, true);
    Bytes data = v().hex("plaintext");
    const auto sig = client.seal(0, data);
    CHECK(hex(data) == vec("ess_sealed_data"));
    CHECK(hex(sig) == vec("ess_signature"));

    SessionSecurity server(flags, key, false);
    CHECK(SessionSecurity::clear_sequence(sig) == 0);
    CHECK(server.unseal(0, data, sig));
    CHECK(hex(data) == vec("plaintext"));
}

TEST_CASE("NTLMv2 seal with KEY_EXCH (MS-NLMP 4.2.4.4)", "[session]") {
    const uint32_t flags = v().u32("v2_challenge_flags");
    const Key16 key = key16(v().hex("random_session_key"));
    SessionSecurity client(flags, key, true);
    Bytes data = v().hex("plaintext");
    const auto sig = client.seal(0, data);
    CHECK(hex(data) == vec("v2_sealed_data"));
    CHECK(hex(sig) == vec("v2_signature"));

    SessionSecurity server(flags, key, false);
    CHECK(server.unseal(0, data, sig));
    CHECK(hex(data) == vec("plaintext"));
}

TEST_CASE("NTLMv2 checksum without KEY_EXCH is the bare HMAC (MS-NLMP 4.2.4.4)", "[session]") {
    const uint32_t flags = v().u32("v2_challenge_flags") & ~flag::key_exch;
    const Key16 key = key16(v().hex("random_session_key"));
    const Bytes plaintext = v().hex("plaintext");

    SessionSecurity signer(flags, key, true);
    const auto sig = signer.sign(0, {plaintext});
    CHECK(hex(sig) == vec("v2_signature_no_key_exch"));
    CHECK(hex(ByteView(sig).subspan(4, 8)) == vec("v2_checksum"));
    // Independent: HMAC_MD5(client sign key, SeqNum || Message)[0..7].
    const auto hmac = crypto::hmac_md5(v().hex("v2_client_sign_key"), {from_hex("00000000"), plaintext});
    CHECK(hex(ByteView(hmac).first(8)) == vec("v2_checksum"));

    SessionSecurity sealer(flags, key, true);
    Bytes data = plaintext;
    CHECK(hex(sealer.seal(0, data)) == vec("v2_signature_no_key_exch"));
    CHECK(hex(data) == vec("v2_sealed_data"));
}

TEST_CASE("with KEY_EXCH a MIC's checksum goes through the outgoing seal handle", "[session]") {
    const uint32_t flags = v().u32("v2_challenge_flags");
    const Key16 key = key16(v().hex("random_session_key"));
    SessionSecurity client(flags, key, true);
    const auto sig = client.sign(0, {v().hex("plaintext")});
    const Bytes encrypted = crypto::rc4_once(v().hex("v2_client_seal_key"), v().hex("v2_checksum"));
    CHECK(hex(sig) == "01000000" + hex(encrypted) + "00000000");
}

// MS-NLMP 3.4.3 and 3.4.4.2 recomputed apart, with OpenSSL's RC4 and
// HMAC-MD5: one keystream per direction runs through sealed messages,
// scatter/gather parts and, with KEY_EXCH, the checksums of MICs.
TEST_CASE("with ESS each direction's keystream runs on through seals, MICs and parts", "[session]") {
    for (const bool key_exch : {true, false}) {
        INFO("KEY_EXCH " << key_exch);
        const uint32_t flags = sign_seal | ess | flag::negotiate_128 | (key_exch ? flag::key_exch : 0);
        const Key16 key = random_key();
        SessionSecurity ini(flags, key, true);
        SessionSecurity acc(flags, key, false);
        crypto::Rc4 stream(seal_key(flags, key, true), crypto::Rc4::Engine::openssl);
        const crypto::HmacMd5 hmac(sign_key(key, true));
        const auto expected_signature = [&](uint32_t seq, std::initializer_list<ByteView> parts) {
            const uint8_t seq_le[4] = {static_cast<uint8_t>(seq), static_cast<uint8_t>(seq >> 8),
                                       static_cast<uint8_t>(seq >> 16), static_cast<uint8_t>(seq >> 24)};
            std::vector<ByteView> all{ByteView(seq_le, 4)};
            all.insert(all.end(), parts.begin(), parts.end());
            const auto mac = hmac.mac(std::span<const ByteView>(all));
            Bytes checksum(mac.begin(), mac.begin() + 8);
            if (key_exch) stream.process_inplace(checksum);
            return "01000000" + hex(checksum) + hex(ByteView(seq_le, 4));
        };
        const auto encrypted = [&](const Bytes& plain) {
            Bytes out(plain.size());
            stream.process(plain, out);
            return out;
        };

        uint32_t seq = 0;
        for (const size_t n : {0u, 1u, 63u, 100u, 1000u, 4099u, 1u << 20}) {
            INFO("size " << n);
            const Bytes plain = message(n, static_cast<uint8_t>(n));
            Bytes data = plain;
            const auto sig = ini.seal(seq, data);
            CHECK(data == encrypted(plain));
            CHECK(hex(sig) == expected_signature(seq, {plain}));
            REQUIRE(acc.unseal(seq, data, sig));
            CHECK(data == plain);
            ++seq;

            const Bytes mic_message = message(n % 97, 3);
            const auto mic = ini.sign(seq, {mic_message});
            CHECK(hex(mic) == expected_signature(seq, {mic_message}));
            REQUIRE(acc.verify(seq, {mic_message}, mic));
            ++seq;

            const Bytes a = message(n % 300, 1), b = message(n % 50, 2), c = message(n % 5000, 4);
            Bytes pa = a, pb = b, pc = c;
            const SessionSecurity::Part parts[] = {{pa, true}, {pb, false}, {pc, true}};
            const auto iov_sig = ini.seal_parts(seq, parts);
            CHECK(pa == encrypted(a));
            CHECK(pb == b);
            CHECK(pc == encrypted(c));
            CHECK(hex(iov_sig) == expected_signature(seq, {a, b, c}));
            REQUIRE(acc.unseal_parts(seq, parts, iov_sig));
            CHECK((pa == a && pb == b && pc == c));
            ++seq;
        }
    }
}

TEST_CASE("initiator and acceptor round trips for every key strength", "[session]") {
    for (const auto& var : variants) {
        INFO(var.name);
        const Key16 key = random_key();
        SessionSecurity ini(var.flags, key, true);
        SessionSecurity acc(var.flags, key, false);
        REQUIRE(ini.can_seal());
        REQUIRE(ini.shared_stream() == ((var.flags & ess) == 0));
        Counters seq(ini.shared_stream());

        for (int round = 0; round < 4; ++round) {
            INFO("round " << round);
            const Bytes original = message(static_cast<size_t>(17 + round * 300), static_cast<uint8_t>(round));

            Bytes data = original;
            uint32_t n = seq.next(true);
            auto sig = ini.seal(n, data);
            CHECK(data != original);
            CHECK(acc.incoming_sequence(sig, data.size()) == n);
            REQUIRE(acc.unseal(n, data, sig));
            CHECK(data == original);

            n = seq.next(false);
            sig = acc.seal(n, data);
            REQUIRE(ini.unseal(n, data, sig));
            CHECK(data == original);

            n = seq.next(true);
            sig = ini.sign(n, {original});
            CHECK(acc.incoming_sequence(sig) == n);
            REQUIRE(acc.verify(n, {original}, sig));

            n = seq.next(false);
            sig = acc.sign(n, {original});
            REQUIRE(ini.verify(n, {original}, sig));
        }
    }
}

TEST_CASE("wrong sequence numbers and tampering are rejected, and the streams stay in step", "[session]") {
    for (const auto& var : variants) {
        INFO(var.name);
        const Key16 key = random_key();
        SessionSecurity ini(var.flags, key, true);
        SessionSecurity acc(var.flags, key, false);
        const Bytes original = message(40, 3);

        auto sig = ini.sign(5, {original});
        CHECK_FALSE(acc.verify(6, {original}, sig));

        Bytes data = original;
        sig = ini.seal(6, data);
        data[10] ^= 0x01;
        CHECK_FALSE(acc.unseal(6, data, sig));

        sig = ini.sign(7, {original});
        Bytes tampered = original;
        tampered.back() ^= 0x80;
        CHECK_FALSE(acc.verify(7, {tampered}, sig));

        sig = ini.sign(8, {original});
        auto bad_sig = sig;
        bad_sig[13] ^= 0x01;
        CHECK_FALSE(acc.verify(8, {original}, bad_sig));

        sig = ini.sign(9, {original});
        CHECK_FALSE(acc.verify(9, {original}, ByteView(sig).first(15)));
        // The short signature was refused before touching the stream; the
        // sender moved on, so resynchronise by dropping that message.
        sig = ini.sign(10, {original});
        if (acc.shared_stream() || (var.flags & flag::key_exch) != 0) {
            CHECK_FALSE(acc.verify(10, {original}, sig));
        } else {
            CHECK(acc.verify(10, {original}, sig));
        }
    }
}

TEST_CASE("after a rejected message the next one still verifies", "[session]") {
    for (const auto& var : variants) {
        INFO(var.name);
        const Key16 key = random_key();
        SessionSecurity ini(var.flags, key, true);
        SessionSecurity acc(var.flags, key, false);
        const Bytes original = message(64, 9);
        Bytes data = original;
        auto sig = ini.seal(0, data);
        data[0] ^= 0xff;
        CHECK_FALSE(acc.unseal(0, data, sig));
        data = original;
        sig = ini.seal(1, data);
        CHECK(acc.unseal(1, data, sig));
        CHECK(data == original);
    }
}

TEST_CASE("a signature from the wrong direction is rejected with ESS", "[session]") {
    const uint32_t flags = sign_seal | ess | flag::negotiate_128 | flag::key_exch;
    const Key16 key = random_key();
    SessionSecurity ini(flags, key, true);
    SessionSecurity other_ini(flags, key, true);
    const Bytes m = message(20, 1);
    const auto sig = ini.sign(0, {m});
    CHECK_FALSE(other_ini.verify(0, {m}, sig));
}

TEST_CASE("reset_rc4 restarts both streams from the seal keys (MS-SPNG 3.3.5.1)", "[session]") {
    for (const auto& var : variants) {
        INFO(var.name);
        const Key16 key = random_key();
        SessionSecurity ini(var.flags, key, true);
        SessionSecurity acc(var.flags, key, false);
        const Bytes m = message(33, 5);

        // The mechListMIC exchange, then both sides reset.
        auto sig = ini.sign(0, {m});
        REQUIRE(acc.verify(0, {m}, sig));
        sig = acc.sign(ini.shared_stream() ? 1 : 0, {m});
        REQUIRE(ini.verify(ini.shared_stream() ? 1 : 0, {m}, sig));
        ini.reset_rc4();
        acc.reset_rc4();

        // The initiator's output is now what a fresh context produces.
        SessionSecurity fresh(var.flags, key, true);
        Bytes a = m, b = m;
        const auto sig_a = ini.seal(0, a);
        const auto sig_b = fresh.seal(0, b);
        CHECK(a == b);
        CHECK(sig_a == sig_b);
        CHECK(acc.unseal(0, a, sig_a));
        CHECK(a == m);
    }
}

TEST_CASE("only one side resetting RC4 breaks sealing", "[session]") {
    const uint32_t flags = sign_seal | ess | flag::negotiate_128 | flag::key_exch;
    const Key16 key = random_key();
    SessionSecurity ini(flags, key, true);
    SessionSecurity acc(flags, key, false);
    Bytes data = message(16, 2);
    auto sig = ini.seal(0, data);
    REQUIRE(acc.unseal(0, data, sig));
    ini.reset_rc4();
    sig = ini.seal(1, data);
    CHECK_FALSE(acc.unseal(1, data, sig));
}

TEST_CASE("scatter/gather sealing signs every part and encrypts only the confidential ones", "[session]") {
    for (const auto& var : variants) {
        INFO(var.name);
        const Key16 key = random_key();
        SessionSecurity ini(var.flags, key, true);
        SessionSecurity acc(var.flags, key, false);
        const Bytes header0 = message(12, 40), body0 = message(100, 41), trailer0 = message(7, 42);
        Bytes header = header0, body = body0, trailer = trailer0;
        const std::vector<SessionSecurity::Part> parts = {{header, false}, {body, true}, {trailer, true}};
        const auto sig = ini.seal_parts(0, parts);
        CHECK(header == header0);
        CHECK(body != body0);
        CHECK(trailer != trailer0);

        // Same keystream and checksum as sealing the confidential bytes as
        // one buffer with the header signed alongside.
        SessionSecurity twin(var.flags, key, true);
        Bytes joined = body0;
        joined.insert(joined.end(), trailer0.begin(), trailer0.end());
        Bytes h = header0;
        const std::vector<SessionSecurity::Part> two = {{h, false}, {joined, true}};
        CHECK(twin.seal_parts(0, two) == sig);
        Bytes body_trailer = body;
        body_trailer.insert(body_trailer.end(), trailer.begin(), trailer.end());
        CHECK(joined == body_trailer);

        CHECK(acc.unseal_parts(0, parts, sig));
        CHECK(header == header0);
        CHECK(body == body0);
        CHECK(trailer == trailer0);
    }
}

TEST_CASE("signing parts equals signing their concatenation", "[session]") {
    const uint32_t flags = sign_seal | ess | flag::negotiate_128 | flag::key_exch;
    const Key16 key = random_key();
    SessionSecurity a(flags, key, true);
    SessionSecurity b(flags, key, true);
    const Bytes all = message(50, 8);
    const std::vector<ByteView> split{ByteView(all).first(10), ByteView(all).subspan(10)};
    CHECK(a.sign_parts(3, split) == b.sign(3, {all}));
}

TEST_CASE("without SIGN or SEAL signatures are dummies and sealing is unavailable", "[session]") {
    for (const uint32_t flags : {flag::always_sign | flag::ntlm | ess, flag::anonymous | flag::ntlm, 0u}) {
        INFO(flags);
        SessionSecurity s(flags, Key16{}, true);
        CHECK(s.dummy_signatures());
        CHECK_FALSE(s.can_seal());
        const Bytes m = message(10, 0);
        const auto sig = s.sign(42, {m});
        CHECK(hex(sig) == "01000000000000000000000000000000");
        CHECK(s.verify(42, {m}, sig));
        CHECK(s.verify(0, {}, sig));
        auto bad = sig;
        bad[15] = 1;
        CHECK_FALSE(s.verify(42, {m}, bad));
        CHECK(s.incoming_sequence(sig) == 0);
        s.reset_rc4();

        Bytes data = m;
        try {
            (void)s.seal(0, data);
            FAIL("no exception");
        } catch (const GssError& e) {
            CHECK(e.major() == GSS_S_UNAVAILABLE);
            CHECK(e.minor() == minor_value(Minor::sealing_not_negotiated));
        }
        CHECK_THROWS_AS(s.unseal(0, data, sig), GssError);
        CHECK(data == m);
    }
}

TEST_CASE("SIGN without SEAL signs but does not seal", "[session]") {
    const uint32_t flags = flag::ntlm | flag::sign | ess | flag::negotiate_128 | flag::key_exch;
    const Key16 key = random_key();
    SessionSecurity ini(flags, key, true);
    SessionSecurity acc(flags, key, false);
    CHECK_FALSE(ini.dummy_signatures());
    CHECK_FALSE(ini.can_seal());
    const Bytes m = message(10, 0);
    CHECK(acc.verify(0, {m}, ini.sign(0, {m})));
    Bytes data = m;
    CHECK_THROWS_AS(ini.seal(1, data), GssError);
}

TEST_CASE("incoming_sequence reads without advancing the stream", "[session]") {
    const uint32_t flags = v().u32("v1_challenge_flags");
    const Key16 key = random_key();
    SessionSecurity ini(flags, key, true);
    SessionSecurity acc(flags, key, false);
    Bytes data = message(1000, 7);
    const auto sig = ini.seal(123456, data);
    CHECK(acc.incoming_sequence(sig, data.size()) == 123456);
    CHECK(acc.incoming_sequence(sig, data.size()) == 123456);
    CHECK(acc.incoming_sequence(sig, 0) != 123456);
    CHECK(acc.unseal(123456, data, sig));
    CHECK(data == message(1000, 7));
    CHECK_THROWS_AS(acc.incoming_sequence(ByteView(sig).first(12)), DecodeError);
    CHECK_THROWS_AS(SessionSecurity::clear_sequence(ByteView(sig).first(15)), DecodeError);
    CHECK(SessionSecurity::clear_sequence(from_hex("0100000000000000000000000a0b0c0d")) == 0x0d0c0b0au);
}

TEST_CASE("a moved SessionSecurity keeps its keys and streams", "[session]") {
    const uint32_t flags = v().u32("v2_challenge_flags");
    const Key16 key = key16(v().hex("random_session_key"));
    SessionSecurity original(flags, key, true);
    SessionSecurity moved(std::move(original));
    Bytes data = v().hex("plaintext");
    CHECK(hex(moved.seal(0, data)) == vec("v2_signature"));
    CHECK(hex(data) == vec("v2_sealed_data"));
}
