// The in-tree RC4 and MD5 and the stitched loop (crypto/rc4_md5.cpp),
// checked against known answers and, differentially, against OpenSSL's RC4
// and HMAC-MD5 run as separate passes.
#include "crypto/crypto.h"
#include "crypto/fallback.h"
#include "util/bytes.h"
#include "util/errors.h"

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace gssneg;

namespace {

using Engine = crypto::Rc4::Engine;

std::string hex(ByteView v) { return to_hex(v); }

Bytes noise(std::mt19937_64& rng, size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
}

size_t below(std::mt19937_64& rng, size_t n) { return static_cast<size_t>(rng() % n); }

// Every head and tail around a 64-byte block, both sides of a page, and a
// message far longer than the caches of the stitched loop's state.
std::vector<size_t> message_sizes() {
    std::vector<size_t> sizes;
    for (size_t n = 0; n <= 300; ++n) sizes.push_back(n);
    for (size_t n = 4095; n <= 4100; ++n) sizes.push_back(n);
    sizes.push_back(size_t{1} << 20);
    return sizes;
}

void skip(crypto::Rc4& rc4, size_t n) {
    Bytes scratch(n);
    rc4.process_inplace(scratch);
}

// RFC 2202 section 2.
struct HmacCase {
    Bytes key;
    Bytes data;
    std::string mac;
};

const std::vector<HmacCase>& rfc2202_cases() {
    static const std::vector<HmacCase> cases = {
        {Bytes(16, 0x0b), Bytes{'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'}, "9294727a3638bb1c13f48ef8158bfc9d"},
        {Bytes{'J', 'e', 'f', 'e'}, [] {
             const auto v = as_bytes("what do ya want for nothing?");
             return Bytes(v.begin(), v.end());
         }(),
         "750c783e6ab0b503eaa86e310a5db738"},
        {Bytes(16, 0xaa), Bytes(50, 0xdd), "56be34521d144c88dbb8c733f0e8b3f6"},
        {Bytes(80, 0xaa), [] {
             const auto v = as_bytes("Test Using Larger Than Block-Size Key - Hash Key First");
             return Bytes(v.begin(), v.end());
         }(),
         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
    };
    return cases;
}

}  // namespace

TEST_CASE("in-tree RC4 through crypto::Rc4: known answers, pieces and clones", "[crypto]") {
    // The RC4 examples of test_crypto.cpp.
    const std::vector<std::vector<std::string>> cases = {
        {"Key", "Plaintext", "bbf316e8d940af0ad3"},
        {"Wiki", "pedia", "1021bf0420"},
        {"Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"},
    };
    for (const auto& c : cases) {
        INFO(c[0]);
        crypto::Rc4 stream(as_bytes(c[0]), Engine::in_tree);
        Bytes data(c[1].begin(), c[1].end());
        const std::span<uint8_t> all(data);
        stream.process_inplace(all.first(3));
        crypto::Rc4 copy = stream.clone();
        Bytes rest(all.begin() + 3, all.end());
        copy.process_inplace(rest);
        stream.process_inplace(all.subspan(3));
        CHECK(hex(data) == c[2]);
        CHECK(hex(rest) == c[2].substr(6));
    }
}

TEST_CASE("in-tree RC4 agrees with OpenSSL's RC4 piece after piece", "[crypto]") {
    std::mt19937_64 rng(5);
    for (const size_t key_size : {1u, 5u, 16u, 256u}) {
        INFO("key size " << key_size);
        const Bytes key = noise(rng, key_size);
        crypto::Rc4 reference(key, Engine::openssl);
        crypto::fallback::Rc4State soft(key);
        for (const size_t n : message_sizes()) {
            INFO("piece " << n);
            const Bytes plain = noise(rng, n);
            Bytes expected(n);
            reference.process(plain, expected);
            Bytes inplace = plain;
            soft.process(inplace, inplace);
            REQUIRE(inplace == expected);
        }
    }
}

TEST_CASE("HMAC-MD5 runs reproduce RFC 2202 and HmacMd5::mac at every split", "[crypto]") {
    for (const auto& c : rfc2202_cases()) {
        INFO(c.mac);
        const crypto::HmacMd5 keyed(c.key);
        CHECK(hex(keyed.mac({c.data})) == c.mac);
        crypto::HmacMd5Run run(keyed);
        run.update(c.data);
        CHECK(hex(run.finish()) == c.mac);
    }

    std::mt19937_64 rng(7);
    const crypto::HmacMd5 keyed(noise(rng, 16));
    const Bytes message = noise(rng, 300);
    for (size_t n = 0; n <= message.size(); ++n) {
        const ByteView whole = ByteView(message).first(n);
        const auto expected = keyed.mac({whole});
        crypto::HmacMd5Run one(keyed);
        one.update(whole);
        REQUIRE(one.finish() == expected);
        const size_t split = below(rng, n + 1);
        crypto::HmacMd5Run two(keyed);
        two.update(whole.first(split));
        two.update(whole.subspan(split));
        REQUIRE(two.finish() == expected);
    }

    crypto::HmacMd5Run done(keyed);
    (void)done.finish();
    CHECK_THROWS_AS(done.update(message), GssError);
    CHECK_THROWS_AS(done.finish(), GssError);
}

// MS-NLMP 3.4.3 sealing under ESS: MAC of SeqNum || plaintext, RC4 of the
// plaintext, the stream continuing from message to message. A MAC-only
// prefix of random length (the SeqNum, SIGN_ONLY parts) puts the MD5 block
// boundary anywhere in the message, and keystream spent between messages
// (KEY_EXCH checksums) puts the RC4 chunk boundary anywhere too.
TEST_CASE("stitched sealing equals RC4 and HMAC-MD5 in separate passes, message after message", "[crypto]") {
    for (const Engine engine : {Engine::in_tree, Engine::openssl}) {
        INFO((engine == Engine::in_tree ? "in-tree stream" : "OpenSSL stream"));
        std::mt19937_64 rng(11);
        const Bytes seal_key = noise(rng, 16);
        const crypto::HmacMd5 keyed(noise(rng, 16));
        crypto::Rc4 sender(seal_key, engine);
        crypto::Rc4 receiver(seal_key, engine);
        crypto::Rc4 reference(seal_key, Engine::openssl);

        for (const size_t n : message_sizes()) {
            INFO("message " << n);
            const Bytes prefix = noise(rng, below(rng, 71));
            const size_t spent = below(rng, 71);
            skip(sender, spent);
            skip(receiver, spent);
            skip(reference, spent);
            const Bytes plain = noise(rng, n);
            Bytes expected(n);
            reference.process(plain, expected);
            const auto expected_mac = keyed.mac({prefix, plain});

            // Sealing: in place for odd sizes, into another buffer otherwise.
            Bytes sealed = plain;
            crypto::HmacMd5Run seal(keyed);
            seal.update(prefix);
            if (n % 2 == 1) {
                seal.update_then_rc4(sealed, sealed, sender);
            } else {
                Bytes out(n);
                seal.update_then_rc4(plain, out, sender);
                sealed = out;
            }
            REQUIRE(sealed == expected);
            REQUIRE(seal.finish() == expected_mac);

            // Unsealing: in place every other pair of sizes.
            Bytes opened = sealed;
            crypto::HmacMd5Run unseal(keyed);
            unseal.update(prefix);
            if ((n / 2) % 2 == 1) {
                unseal.rc4_then_update(opened, opened, receiver);
            } else {
                Bytes out(n);
                unseal.rc4_then_update(sealed, out, receiver);
                opened = out;
            }
            REQUIRE(opened == plain);
            REQUIRE(unseal.finish() == expected_mac);
        }
    }
}

TEST_CASE("stitched runs over scatter/gather messages", "[crypto]") {
    // DATA, SIGN_ONLY, DATA: every part is signed, the DATA parts ciphered.
    std::mt19937_64 rng(13);
    const Bytes seal_key = noise(rng, 16);
    const crypto::HmacMd5 keyed(noise(rng, 16));
    crypto::Rc4 sender(seal_key, Engine::in_tree);
    crypto::Rc4 receiver(seal_key, Engine::in_tree);
    crypto::Rc4 reference(seal_key, Engine::openssl);
    for (int round = 0; round < 300; ++round) {
        INFO("round " << round);
        const Bytes a = noise(rng, below(rng, 700));
        const Bytes b = noise(rng, below(rng, 100));
        const Bytes c = noise(rng, below(rng, 700));
        Bytes expected_a(a.size()), expected_c(c.size());
        reference.process(a, expected_a);
        reference.process(c, expected_c);
        const auto expected_mac = keyed.mac({as_bytes("SEQ#"), a, b, c});

        Bytes sa = a, sc = c;
        crypto::HmacMd5Run seal(keyed);
        seal.update(as_bytes("SEQ#"));
        seal.update_then_rc4(sa, sa, sender);
        seal.update(b);
        seal.update_then_rc4(sc, sc, sender);
        REQUIRE(sa == expected_a);
        REQUIRE(sc == expected_c);
        REQUIRE(seal.finish() == expected_mac);

        crypto::HmacMd5Run unseal(keyed);
        unseal.update(as_bytes("SEQ#"));
        unseal.rc4_then_update(sa, sa, receiver);
        unseal.update(b);
        unseal.rc4_then_update(sc, sc, receiver);
        REQUIRE(sa == a);
        REQUIRE(sc == c);
        REQUIRE(unseal.finish() == expected_mac);
    }
}

TEST_CASE("the stitched loop refuses a stream off its chunk boundary", "[crypto]") {
    crypto::fallback::Rc4State rc4(as_bytes("Key"));
    CHECK(rc4.bytes_to_chunk() == 63);
    Bytes one(1);
    rc4.process(one, one);
    CHECK(rc4.bytes_to_chunk() == 62);
    crypto::fallback::Md5Chain chain{};
    Bytes block(64);
    CHECK_THROWS_AS(rc4.process_with_md5(chain, block.data(), block.data(), block.data(), 1), GssError);
    Bytes lead(62);
    rc4.process(lead, lead);
    CHECK(rc4.bytes_to_chunk() == 0);
    rc4.process_with_md5(chain, block.data(), block.data(), block.data(), 1);
    CHECK(rc4.bytes_to_chunk() == 0);

    crypto::HmacMd5Run run(crypto::HmacMd5(as_bytes("key")));
    crypto::Rc4 stream(as_bytes("Key"), Engine::in_tree);
    Bytes out(3);
    CHECK_THROWS_AS(run.update_then_rc4(as_bytes("four"), out, stream), GssError);
}
