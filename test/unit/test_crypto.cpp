#include "crypto/crypto.h"
#include "crypto/fallback.h"
#include "util/bytes.h"
#include "util/errors.h"
#include "util/utf16.h"
#include "vectors.h"

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/provider.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace gssneg;

namespace {

std::string hex(ByteView v) { return to_hex(v); }

Bytes repeat(uint8_t b, size_t n) { return Bytes(n, b); }

const std::vector<std::pair<std::string, std::string>> rfc1320_md4 = {
    {"", "31d6cfe0d16ae931b73c59d7e0c089c0"},
    {"a", "bde52cb31de33e46245e05fbdbd6fb24"},
    {"abc", "a448017aaf21d8525fc10ae87aa6729d"},
    {"message digest", "d9130a8164549fe818874806e1c7014b"},
    {"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "043f8582f241db351ce627e153e7f0e4"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "e33b4ddc9c38f2199c3e7b164fcc0536"},
};

struct Rc4Case {
    std::string key;
    std::string plaintext;
    std::string ciphertext;
};

const std::vector<Rc4Case> rc4_cases = {
    {"Key", "Plaintext", "bbf316e8d940af0ad3"},
    {"Wiki", "pedia", "1021bf0420"},
    {"Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"},
};

}  // namespace

// Run with GSSNEG_EXPECT_NO_LEGACY=1 and OPENSSL_MODULES pointing at a
// directory without legacy.so (and the tag filter "~[des]") to exercise the
// in-tree fallback through the public functions.
TEST_CASE("the legacy provider lives in a private library context", "[crypto]") {
    (void)crypto::md4(as_bytes("x"));
    if (std::getenv("GSSNEG_EXPECT_NO_LEGACY") != nullptr) {
        REQUIRE_FALSE(crypto::legacy_provider_loaded());
        REQUIRE_FALSE(crypto::des_available());
        const uint8_t key[7] = {};
        const uint8_t block[8] = {};
        try {
            (void)crypto::des_encrypt_block(key, block);
            FAIL("no exception");
        } catch (const GssError& e) {
            CHECK(e.major() == GSS_S_FAILURE);
            CHECK(e.minor() == minor_value(Minor::crypto_failure));
        }
    } else {
        REQUIRE(crypto::legacy_provider_loaded());
        REQUIRE(crypto::des_available());
    }
    // Nothing was loaded into the application's default context.
    CHECK_FALSE(OSSL_PROVIDER_available(nullptr, "legacy"));
    EVP_MD* md4 = EVP_MD_fetch(nullptr, "MD4", nullptr);
    CHECK(md4 == nullptr);
    EVP_MD_free(md4);
}

TEST_CASE("MD4 matches RFC 1320 A.5 through OpenSSL and the in-tree code", "[crypto]") {
    for (const auto& [msg, digest] : rfc1320_md4) {
        INFO(msg);
        CHECK(hex(crypto::md4(as_bytes(msg))) == digest);
        CHECK(hex(crypto::fallback::md4(as_bytes(msg))) == digest);
    }
}

TEST_CASE("in-tree MD4 agrees with OpenSSL across padding boundaries", "[crypto]") {
    Bytes data;
    for (size_t n = 0; n < 200; ++n) {
        INFO("length " << n);
        REQUIRE(crypto::fallback::md4(data) == crypto::md4(data));
        data.push_back(static_cast<uint8_t>(n * 7 + 1));
    }
}

TEST_CASE("MD5 matches RFC 1321 A.5, one part or several", "[crypto]") {
    CHECK(hex(crypto::md5({})) == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(hex(crypto::md5({as_bytes("a")})) == "0cc175b9c0f1b6a831c399e269772661");
    CHECK(hex(crypto::md5({as_bytes("abc")})) == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(hex(crypto::md5({as_bytes("message digest")})) == "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK(hex(crypto::md5({as_bytes("abcdefghijklm"), as_bytes(""), as_bytes("nopqrstuvwxyz")})) ==
          "c3fcd3d76192e4007dfb496cca67e13b");
    CHECK(hex(crypto::md5({as_bytes("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")})) ==
          "d174ab98d277d9f5a5611c2c9f419d9f");
    const std::string digits = "1234567890";
    std::string eighty;
    for (int i = 0; i < 8; ++i) eighty += digits;
    CHECK(hex(crypto::md5({as_bytes(eighty)})) == "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("HMAC-MD5 matches RFC 2202 section 2", "[crypto]") {
    struct Case {
        Bytes key;
        Bytes data;
        std::string mac;
    };
    Bytes key4;
    for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
    const auto str = [](std::string_view s) { return Bytes(s.begin(), s.end()); };
    const std::vector<Case> cases = {
        {repeat(0x0b, 16), str("Hi There"), "9294727a3638bb1c13f48ef8158bfc9d"},
        {str("Jefe"), str("what do ya want for nothing?"), "750c783e6ab0b503eaa86e310a5db738"},
        {repeat(0xaa, 16), repeat(0xdd, 50), "56be34521d144c88dbb8c733f0e8b3f6"},
        {key4, repeat(0xcd, 50), "697eaf0aca3a3aea3a75164746ffaa79"},
        {repeat(0x0c, 16), str("Test With Truncation"), "56461ef2342edc00f9bab995690efd4c"},
        {repeat(0xaa, 80), str("Test Using Larger Than Block-Size Key - Hash Key First"),
         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
        {repeat(0xaa, 80), str("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
         "6f630fad67cda0ee1fb1f562db3aa53e"},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        INFO("RFC 2202 HMAC-MD5 test case " << i + 1);
        const auto& c = cases[i];
        CHECK(hex(crypto::hmac_md5(c.key, {c.data})) == c.mac);
        const crypto::HmacMd5 keyed(c.key);
        // The keyed state is reused: the same message twice, then split.
        CHECK(hex(keyed.mac({c.data})) == c.mac);
        CHECK(hex(keyed.mac({c.data})) == c.mac);
        const ByteView all(c.data);
        CHECK(hex(keyed.mac({all.first(3), all.subspan(3, 0), all.subspan(3)})) == c.mac);
        const std::vector<ByteView> parts{all.first(1), all.subspan(1, 1), all.subspan(2)};
        CHECK(hex(keyed.mac(std::span<const ByteView>(parts))) == c.mac);
    }
}

TEST_CASE("a pre-keyed HMAC-MD5 can be moved and keeps its key", "[crypto]") {
    crypto::HmacMd5 a(repeat(0x0b, 16));
    crypto::HmacMd5 b(std::move(a));
    CHECK(hex(b.mac({as_bytes("Hi There")})) == "9294727a3638bb1c13f48ef8158bfc9d");
    crypto::HmacMd5 c(as_bytes("Jefe"));
    c = std::move(b);
    CHECK(hex(c.mac({as_bytes("Hi There")})) == "9294727a3638bb1c13f48ef8158bfc9d");
    // A moved-from object reports a crypto failure, never undefined behaviour.
    try {
        (void)a.mac({as_bytes("x")});  // NOLINT(bugprone-use-after-move)
        FAIL("no exception");
    } catch (const GssError& e) {
        CHECK(e.major() == GSS_S_FAILURE);
        CHECK(e.minor() == minor_value(Minor::crypto_failure));
    }
}

TEST_CASE("HMAC-MD5 reproduces the MS-NLMP 4.2.4 NTOWFv2 and NTProofStr", "[crypto]") {
    const auto& v = test::ms_nlmp();
    const Bytes user_dom = utf8_to_utf16le("USERDomain");
    const auto ntowf_v2 = crypto::hmac_md5(v.hex("v1_ntowf"), {user_dom});
    CHECK(hex(ntowf_v2) == to_hex(v.hex("v2_ntowf")));
    const crypto::HmacMd5 keyed(ntowf_v2);
    CHECK(hex(keyed.mac({v.hex("server_challenge"), v.hex("v2_client_blob")})) == to_hex(v.hex("v2_nt_proof")));
}

TEST_CASE("RC4 known answers through OpenSSL and the in-tree code", "[crypto]") {
    for (const auto& c : rc4_cases) {
        INFO(c.key);
        CHECK(hex(crypto::rc4_once(as_bytes(c.key), as_bytes(c.plaintext))) == c.ciphertext);

        crypto::Rc4 stream(as_bytes(c.key));
        Bytes data(c.plaintext.begin(), c.plaintext.end());
        const std::span<uint8_t> all(data);
        stream.process_inplace(all.first(2));
        stream.process_inplace(all.subspan(2));
        CHECK(hex(data) == c.ciphertext);

        crypto::fallback::Rc4State soft(as_bytes(c.key));
        Bytes out(c.plaintext.size());
        soft.process(as_bytes(c.plaintext).first(1), std::span<uint8_t>(out).first(1));
        soft.process(as_bytes(c.plaintext).subspan(1), std::span<uint8_t>(out).subspan(1));
        CHECK(hex(out) == c.ciphertext);
    }
}

TEST_CASE("RC4 with the MS-NLMP keys: OpenSSL and in-tree streams agree", "[crypto]") {
    const auto& v = test::ms_nlmp();
    // MS-NLMP 4.2.2.4: RC4(RandomSessionKey, Plaintext).
    CHECK(hex(crypto::rc4_once(v.hex("random_session_key"), v.hex("plaintext"))) == to_hex(v.hex("v1_sealed_data")));
    crypto::fallback::Rc4State soft(v.hex("random_session_key"));
    Bytes sealed(v.hex("plaintext").size());
    soft.process(v.hex("plaintext"), sealed);
    CHECK(hex(sealed) == to_hex(v.hex("v1_sealed_data")));

    // Keys of 8 bytes (LM_KEY seal keys) and a long stream.
    for (const char* name : {"v1_seal_key_lm_key_56", "v1_seal_key_lm_key_40", "v2_client_seal_key"}) {
        const Bytes key = v.hex(name);
        crypto::Rc4 hard(key);
        crypto::fallback::Rc4State sw(key);
        for (size_t len : {1u, 15u, 300u, 4096u}) {
            const Bytes zeros(len, 0);
            Bytes a(len), b(len);
            hard.process(zeros, a);
            sw.process(zeros, b);
            REQUIRE(a == b);
        }
    }
}

TEST_CASE("an RC4 clone continues from the same position independently", "[crypto]") {
    crypto::Rc4 original(as_bytes("Key"));
    Bytes first(4);
    original.process(as_bytes("Plai"), first);
    crypto::Rc4 copy = original.clone();
    Bytes a(5), b(5);
    copy.process(as_bytes("ntext"), a);
    original.process(as_bytes("ntext"), b);
    CHECK(hex(first) + hex(a) == "bbf316e8d940af0ad3");
    CHECK(a == b);
}

TEST_CASE("RC4 rejects empty keys and mismatched buffers", "[crypto]") {
    CHECK_THROWS_AS(crypto::Rc4(ByteView{}), GssError);
    CHECK_THROWS_AS(crypto::fallback::Rc4State(ByteView{}), GssError);
    crypto::Rc4 rc4(as_bytes("Key"));
    Bytes out(3);
    CHECK_THROWS_AS(rc4.process(as_bytes("four"), out), GssError);
}

TEST_CASE("CRC-32 check value and the MS-NLMP 4.2.2.4 checksum", "[crypto]") {
    CHECK(crypto::crc32(as_bytes("123456789")) == 0xcbf43926u);
    CHECK(crypto::crc32({}) == 0u);
    CHECK(crypto::crc32(as_bytes("56789"), crypto::crc32(as_bytes("1234"))) == 0xcbf43926u);
    // The vectors file shows the checksum as it sits in the signature,
    // little-endian.
    CHECK(crypto::crc32(test::ms_nlmp().hex("plaintext")) == 0x93aa847du);
}

TEST_CASE("DES with 7-byte keys gives the LM hash halves", "[crypto][des]") {
    const auto& v = test::ms_nlmp();
    const Bytes magic{'K', 'G', 'S', '!', '@', '#', '$', '%'};
    const std::span<const uint8_t, 8> block(magic.data(), 8);
    const Bytes first{'P', 'A', 'S', 'S', 'W', 'O', 'R'};
    const Bytes second{'D', 0, 0, 0, 0, 0, 0};
    const Bytes lm = v.hex("v1_lmowf");
    CHECK(hex(crypto::des_encrypt_block(std::span<const uint8_t, 7>(first.data(), 7), block)) ==
          to_hex(ByteView(lm).first(8)));
    CHECK(hex(crypto::des_encrypt_block(std::span<const uint8_t, 7>(second.data(), 7), block)) ==
          to_hex(ByteView(lm).subspan(8)));
    // The all-zero key becomes the DES weak key 0101..01 and must still work:
    // it is the LM hash half of an empty password.
    const Bytes zero(7, 0);
    CHECK(hex(crypto::des_encrypt_block(std::span<const uint8_t, 7>(zero.data(), 7), block)) == "aad3b435b51404ee");
}

TEST_CASE("DESL of the NTOWFv1 over the server challenge is the NTLMv1 response", "[crypto][des]") {
    const auto& v = test::ms_nlmp();
    const Bytes k = v.hex("v1_ntowf");
    const Bytes chal = v.hex("server_challenge");
    const std::span<const uint8_t, 8> block(chal.data(), 8);
    Bytes third(k.begin() + 14, k.end());
    third.resize(7, 0);
    std::string out;
    out += hex(crypto::des_encrypt_block(std::span<const uint8_t, 7>(k.data(), 7), block));
    out += hex(crypto::des_encrypt_block(std::span<const uint8_t, 7>(k.data() + 7, 7), block));
    out += hex(crypto::des_encrypt_block(std::span<const uint8_t, 7>(third.data(), 7), block));
    CHECK(out == to_hex(v.hex("v1_nt_response")));
}

TEST_CASE("random bytes fill the whole buffer and differ between calls", "[crypto]") {
    Bytes a(64, 0), b(64, 0);
    crypto::random_bytes(a);
    crypto::random_bytes(b);
    CHECK(a != b);
    CHECK(a != Bytes(64, 0));
    // The last byte is written too (probability of a false failure 2^-64).
    Bytes tail(4096, 0);
    crypto::random_bytes(tail);
    CHECK(Bytes(tail.end() - 8, tail.end()) != Bytes(8, 0));
    crypto::random_bytes({});
}

TEST_CASE("random bytes from many threads do not repeat", "[crypto][random]") {
    // Each thread draws from its own pool; 8-byte draws, as challenges are.
    constexpr int threads = 4;
    constexpr int draws = 500;
    std::vector<std::vector<Bytes>> seen(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&seen, t] {
            for (int i = 0; i < draws; ++i) {
                Bytes b(8, 0);
                crypto::random_bytes(b);
                seen[t].push_back(std::move(b));
            }
        });
    for (auto& w : workers) w.join();
    std::set<Bytes> all;
    for (const auto& list : seen) all.insert(list.begin(), list.end());
    CHECK(all.size() == static_cast<size_t>(threads * draws));
}

namespace {

// What the fork test saw: 16 bytes from the child, the parent's next 16,
// and how the child ended.
struct ForkDraws {
    bool forked = false;
    int child_status = -1;
    Bytes from_child;
    Bytes from_parent;
};

// On a thread of its own, whose pool starts empty, so that after the first
// draw it holds bytes enough for the next, whatever other tests drew before
// on the main thread. The parent's pool is part-used when it forks: without
// the fork handling, child and parent would hand out the same next bytes.
ForkDraws fork_with_part_used_pool() {
    ForkDraws out;
    Bytes first(8, 0);
    crypto::random_bytes(first);
    int fds[2];
    if (::pipe(fds) != 0) return out;
    const pid_t child = ::fork();
    if (child < 0) return out;
    if (child == 0) {
        bool ok = false;
        try {
            Bytes mine(16, 0);
            crypto::random_bytes(mine);
            ok = ::write(fds[1], mine.data(), mine.size()) == static_cast<ssize_t>(mine.size());
        } catch (...) {
        }
        ::_exit(ok ? 0 : 1);
    }
    out.forked = true;
    ::close(fds[1]);
    Bytes got(16, 0);
    size_t n = 0;
    while (n < got.size()) {
        const ssize_t r = ::read(fds[0], got.data() + n, got.size() - n);
        if (r <= 0) break;
        n += static_cast<size_t>(r);
    }
    ::close(fds[0]);
    got.resize(n);
    out.from_child = std::move(got);
    ::waitpid(child, &out.child_status, 0);
    out.from_parent.assign(16, 0);
    crypto::random_bytes(out.from_parent);
    return out;
}

}  // namespace

TEST_CASE("a forked child does not repeat its parent's random bytes", "[crypto][random]") {
    ForkDraws draws;
    std::thread([&draws] { draws = fork_with_part_used_pool(); }).join();
    REQUIRE(draws.forked);
    REQUIRE(WIFEXITED(draws.child_status));
    REQUIRE(WEXITSTATUS(draws.child_status) == 0);
    REQUIRE(draws.from_child.size() == 16);
    CHECK(draws.from_child != draws.from_parent);
    CHECK(draws.from_child != Bytes(16, 0));
}

TEST_CASE("random requests larger than the pool are served whole", "[crypto][random]") {
    for (const size_t n : {63u, 64u, 65u, 255u, 256u, 257u, 70000u}) {
        Bytes a(n, 0), b(n, 0);
        crypto::random_bytes(a);
        crypto::random_bytes(b);
        CHECK(a != b);
        CHECK(Bytes(a.end() - 8, a.end()) != Bytes(8, 0));
    }
}
